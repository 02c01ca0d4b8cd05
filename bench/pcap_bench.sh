#!/bin/bash
# SPDX-License-Identifier: MIT
#
# pcap_bench.sh - `tulpen pcap` against a bare libpcap read loop, tcptrace
# and tshark, on a capture this script makes itself.
#
# Usage: bench/pcap_bench.sh [BUILDDIR [CONNECTIONS]]
#        (as root; BUILDDIR defaults to build, CONNECTIONS to 125000)
#
# 1. In a private network namespace (unshare -n), bench/pcap_churn makes
#    CONNECTIONS short TCP connections on loopback, HTTP/1.0 style (request,
#    answer, the server closes first; every 20th reset by the client, every
#    50th refused; the client's ephemeral ports are reused several times)
#    while tcpdump -w captures them. About 10 packets per connection:
#    125000 give more than 1.2 million packets.
# 2. With the capture in the page cache, each tool reads it, output to
#    /dev/null: bench/pcap_readloop (libpcap's pcap_next_ex, nothing else),
#    `tulpen pcap FILE` (the default table, every connection printed; and
#    the same in one thread, TULPEN_PCAP_THREADS=1, alternated with it),
#    `tcptrace -n FILE`, `tshark -q -n -z conv,tcp -r FILE`. Wall time is
#    taken from the clock around each run, peak RSS from /usr/bin/time; the
#    read loop and both tulpen runs 3 times (best kept), tcptrace and
#    tshark once.
# 3. A markdown table with the ratios is printed at the end (it goes into
#    docs/PERFORMANCE.md, section "pcap").
#
# The machine is shared: run this once, not in a loop. Needs tcpdump, cc,
# libpcap-dev, /usr/bin/time (package time), tcptrace, tshark.
set -eu

cd "$(dirname "$0")/.."
BUILD=${1:-build}
CONNS=${2:-125000}
TULPEN=$BUILD/cli/tulpen

die() {
	echo "pcap_bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespace, tcpdump)"
[ -x "$TULPEN" ] || die "no $TULPEN: build first (meson setup $BUILD && ninja -C $BUILD)"
for t in tcpdump cc unshare /usr/bin/time tcptrace tshark; do
	command -v "$t" >/dev/null ||
		die "$t missing (apt-get install tcpdump gcc util-linux time tcptrace tshark)"
done

WORK=$(mktemp -d /tmp/tulpen-pcap-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PCAP=$WORK/churn.pcap

cc -O2 -o "$WORK/pcap_readloop" bench/pcap_readloop.c -lpcap
cc -O2 -pthread -o "$WORK/pcap_churn" bench/pcap_churn.c

echo "== capturing $CONNS connections on loopback in a private netns"
unshare -n bash -c "
	set -e
	ip link set lo up
	tcpdump -i lo -n -s 128 -B 65536 -w '$PCAP' tcp 2>'$WORK/tcpdump.err' &
	tp=\$!
	sleep 1
	'$WORK/pcap_churn' '$CONNS'
	sleep 1
	kill -INT \$tp
	wait \$tp || true
"
grep -E "captured|dropped" "$WORK/tcpdump.err" || true
PKTS=$("$WORK/pcap_readloop" "$PCAP" | cut -d' ' -f1)
SIZE=$(du -m "$PCAP" | cut -f1)
echo "== $PKTS packets, $SIZE MiB"
cat "$PCAP" >/dev/null # into the page cache

# measure NAME RUNS CMD...: best wall time (s, from the clock in ns around
# the run; /usr/bin/time only has 10 ms steps) and its peak RSS (KiB, from
# /usr/bin/time).
measure() {
	local name=$1 runs=$2 best="" rss="" i t m t0 t1
	shift 2
	eval "best=\${T_$name:-} rss=\${M_$name:-}" # kept over calls
	for i in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f "%M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" ||
			die "$name failed: $(tail -3 "$WORK/err")"
		t1=$(date +%s%N)
		t=$(awk "BEGIN{ printf \"%.3f\", ($t1 - $t0) / 1e9 }")
		m=$(tail -1 "$WORK/time")
		echo "   $name run $i: ${t} s, $((m / 1024)) MiB"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then
			best=$t
			rss=$m
		fi
	done
	eval "T_$name=$best M_$name=$rss"
}

echo "== timing (output to /dev/null)"
measure readloop 3 "$WORK/pcap_readloop" "$PCAP"
# The default (a second thread reads and decodes) and one thread,
# alternated: the machine's load moves from one run to the next.
for i in 1 2 3; do
	measure tulpen 1 "$TULPEN" pcap "$PCAP"
	measure tulpen1 1 env TULPEN_PCAP_THREADS=1 "$TULPEN" pcap "$PCAP"
done
measure tcptrace 1 tcptrace -n "$PCAP"
measure tshark 1 tshark -q -n -z conv,tcp -r "$PCAP"

# Sanity: tulpen saw every connection the generator made.
SEEN=$("$TULPEN" pcap -s --json "$PCAP" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])')
echo "== tulpen found $SEEN connections (generator made $CONNS)"

ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.1f\", $1 / $2; else print \"inf\" }"; }
mib() { awk "BEGIN{ printf \"%.0f\", $1 / 1024 }"; }

cat <<EOF

| Tool | Wall time | Peak RSS | tulpen is |
|---|---:|---:|---|
| bare libpcap read loop (bench/pcap_readloop) | ${T_readloop} s | $(mib "$M_readloop") MiB | $(ratio "$T_tulpen" "$T_readloop") x its time |
| \`tulpen pcap FILE\` | ${T_tulpen} s | $(mib "$M_tulpen") MiB | - |
| \`TULPEN_PCAP_THREADS=1 tulpen pcap FILE\` (one thread) | ${T_tulpen1} s | $(mib "$M_tulpen1") MiB | $(ratio "$T_tulpen1" "$T_tulpen") x faster |
| \`tcptrace -n FILE\` | ${T_tcptrace} s | $(mib "$M_tcptrace") MiB | $(ratio "$T_tcptrace" "$T_tulpen") x faster |
| \`tshark -q -n -z conv,tcp -r FILE\` | ${T_tshark} s | $(mib "$M_tshark") MiB | $(ratio "$T_tshark" "$T_tulpen") x faster |

Capture: $PKTS packets, $CONNS connections made ($SEEN found by tulpen), $SIZE MiB (snaplen 128).
EOF
