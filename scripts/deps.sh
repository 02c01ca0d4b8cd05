#!/bin/sh
# Install the Debian packages tulpen needs to build and test.
set -e
PKGS="build-essential meson ninja-build pkg-config libmnl-dev libpcap-dev
libcmocka-dev libbpf-dev bpftool clang llvm libclang-rt-14-dev iproute2
nftables tcpdump python3 jq util-linux procps net-tools libbpf-tools lsof
clang-format binutils zsh libmicrohttpd-dev libgnutls28-dev libyaml-dev
libcrypt-dev prometheus openssl zlib1g-dev libzstd-dev gzip zstd
python3-jsonschema python3-scapy"
# The benchmarks also run the tools tulpen is measured against.
if [ "${1:-}" = "--bench" ]; then
	PKGS="$PKGS tshark tcptrace time prometheus-node-exporter"
fi
SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
		echo "scripts/deps.sh: missing packages:$missing;" \
			"run this as root (sudo is not installed)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq $missing
fi
