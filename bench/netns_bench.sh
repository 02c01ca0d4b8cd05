#!/bin/bash
# SPDX-License-Identifier: MIT
#
# netns_bench.sh - every network namespace at once: tulpen
# --all-netns against the loop people write with ip netns exec and ss.
#
# usage: bench/netns_bench.sh [-n NAMESPACES] [-s SOCKETS] [-m SMALL]
#                             [-p EVERY] [--tulpen PATH] [--bin BUILD/bench]
#
# Makes NAMESPACES (default 1000) named network namespaces (ip netns add)
# with SOCKETS (default 100) ESTABLISHED TCP sockets each, held by a few
# processes (as many namespaces each as the fd limit allows) that enter
# each namespace in turn to make them. Then, in the
# same run, times (bench/measure: wall seconds and peak RSS):
#
#   loop  for ns in $(ip netns list); do ip netns exec $ns ss -tan; done
#   tulpen --all-netns -tan
#   loop  ... ss -tanp
#   tulpen --all-netns -tanp
#
# (the loop runs over this bench's namespaces only; tulpen lists every
# namespace of the host, the others' too). Memory: tulpen's peak RSS is
# also measured when only the first SMALL (default 100) namespaces exist,
# to show it is flat in the number of namespaces. Each output is checked:
# NAMESPACES x SOCKETS rows of ours. Root only; everything made is removed
# at the end, whatever happens.
#
# -p EVERY: the ss -tanp loop runs over every EVERY-th namespace only and
# its time is scaled up by EVERY (marked "extrapolated"): each ss -tanp
# reads every process's fds on the host, which on a busy machine takes
# seconds per namespace. Default 1: the whole loop.
set -euo pipefail

N=1000
S=100
SMALL=100
EVERY=1
TULPEN=
BIN=
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N=$2; shift 2 ;;
	-s) S=$2; shift 2 ;;
	-m) SMALL=$2; shift 2 ;;
	-p) EVERY=$2; shift 2 ;;
	--tulpen) TULPEN=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	*) echo "usage: $0 [-n N] [-s SOCKETS] [-m SMALL] [--tulpen PATH]" \
		"[--bin DIR]" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
TULPEN=${TULPEN:-$here/../build/cli/tulpen}
BIN=${BIN:-$here/../build/bench}
MEASURE=$BIN/measure
[ "$(id -u)" = 0 ] || { echo "netns_bench: needs root" >&2; exit 1; }
[ -x "$TULPEN" ] && [ -x "$MEASURE" ] ||
	{ echo "netns_bench: build first (ninja -C build)" >&2; exit 1; }
[ "$SMALL" -le "$N" ] || SMALL=$N
PAIRS=$(( (S + 1) / 2 ))
PREFIX=tnb$$-
work=$(mktemp -d)
holders=()

cleanup() {
	local status=$?

	set +e
	[ ${#holders[@]} -gt 0 ] && kill "${holders[@]}" 2>/dev/null
	wait 2>/dev/null
	ip netns list | awk '{print $1}' | grep "^$PREFIX" |
		sed 's/^/netns del /' | ip -force -batch - 2>/dev/null || true
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT

# A holder: enters namespaces FROM..TO-1, brings lo up, makes PAIRS
# connections in each, says "ok" and keeps them until killed.
cat > "$work/holder.py" <<'EOF'
import ctypes, fcntl, os, resource, socket, struct, sys, time
prefix, pairs, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
own = os.open("/proc/self/ns/net", os.O_RDONLY)
keep = []
if True:
    for i in range(a, b):
        fd = os.open("/run/netns/%s%d" % (prefix, i), os.O_RDONLY)
        if libc.setns(fd, 0x40000000):
            sys.exit("setns: %d" % ctypes.get_errno())
        os.close(fd)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        fcntl.ioctl(s, 0x8914, struct.pack("16sh22x", b"lo", 0x1 | 0x8 | 0x40))
        s.close()
        ls = socket.socket()
        ls.bind(("127.0.0.1", 8080))
        ls.listen(pairs + 8)
        for _ in range(pairs):
            c = socket.create_connection(("127.0.0.1", 8080))
            keep.append(c)
            keep.append(ls.accept()[0])
        ls.close()
    libc.setns(own, 0x40000000)
    print("ok", flush=True)
    sys.stdout.close()
while True:
    time.sleep(3600)
EOF

# namespaces per holder: what its fd limit allows
PER=$(( ($(ulimit -Hn) - 100) / (PAIRS * 2) ))
[ "$PER" -ge 1 ] || { echo "netns_bench: fd limit too low" >&2; exit 1; }

make_ns() { # FROM TO
	local a b ok
	seq "$1" $(( $2 - 1 )) | sed "s/^/netns add $PREFIX/" | ip -batch -
	for (( a = $1; a < $2; a += PER )); do
		b=$(( a + PER < $2 ? a + PER : $2 ))
		mkfifo "$work/ready$a"
		python3 "$work/holder.py" "$PREFIX" "$PAIRS" "$a" "$b" \
			> "$work/ready$a" &
		holders+=($!)
		read -r ok < "$work/ready$a"
		[ "$ok" = ok ] || { echo "netns_bench: holder failed" >&2; exit 1; }
	done
}

# measure NAME COMMAND...: "NAME seconds rss_kib", output in $work/NAME.out
measure() {
	local name=$1
	shift
	read -r secs rss status < <("$MEASURE" -t 3600 -o "$work/$name.out" \
		-e "$work/$name.err" -- "$@")
	[ "$status" = exit=0 ] || {
		echo "netns_bench: $name: $status: $(head -3 "$work/$name.err")" >&2
		exit 1
	}
	echo "$name $secs $rss" >> "$work/results"
}

# rows of ours in a tulpen table (Netns first) / in the loop's output
ours_tulpen() { awk -v p="$PREFIX" 'index($1, p) == 1' "$work/$1.out" | wc -l; }
ours_loop() { grep -vc '^State' "$work/$1.out" || true; }

loop() { # ss options, every how many namespaces
	cat > "$work/loop.sh" <<EOF
for ns in \$(ip netns list | awk '{print \$1}' | grep '^$PREFIX' |
	    awk 'NR % $2 == 0'); do
	ip netns exec \$ns ss $1
done
EOF
	echo "$work/loop.sh"
}

t0=$(date +%s)
make_ns 0 "$SMALL"
measure small_tulpen "$TULPEN" --all-netns -tan
measure small_tulpen_p "$TULPEN" --all-netns -tanp
[ "$SMALL" -lt "$N" ] && make_ns "$SMALL" "$N"
t1=$(date +%s)
echo "netns_bench: $N namespaces x $(( PAIRS * 2 )) sockets made in" \
	"$(( t1 - t0 ))s" >&2

measure loop_tan bash "$(loop -tan 1)"
measure tulpen_tan "$TULPEN" --all-netns -tan
measure loop_tanp bash "$(loop -tanp "$EVERY")"
measure tulpen_tanp "$TULPEN" --all-netns -tanp

want=$(( N * PAIRS * 2 ))
got=$(ours_loop loop_tan)
[ "$got" = "$want" ] || { echo "netns_bench: loop_tan: $got rows, want $want" >&2; exit 1; }
got=$(ours_loop loop_tanp)
pwant=$(( N / EVERY * PAIRS * 2 ))
[ "$got" = "$pwant" ] || { echo "netns_bench: loop_tanp: $got rows, want $pwant" >&2; exit 1; }
for r in tulpen_tan tulpen_tanp; do
	got=$(ours_tulpen $r)
	[ "$got" = "$want" ] || { echo "netns_bench: $r: $got rows, want $want" >&2; exit 1; }
done
swant=$(( SMALL * PAIRS * 2 ))
got=$(ours_tulpen small_tulpen)
[ "$got" = "$swant" ] || { echo "netns_bench: small: $got rows, want $swant" >&2; exit 1; }

# the sampled loop, scaled to every namespace
awk -v e="$EVERY" '$1 == "loop_tanp" { $2 = $2 * e } { print }' \
	"$work/results" > "$work/results.x" && mv "$work/results.x" "$work/results"
ptag=
[ "$EVERY" = 1 ] || ptag=" (extrapolated from every ${EVERY}th namespace)"
get() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$work/results"; }
ratio() { awk -v a="$(get "$1" 2)" -v b="$(get "$2" 2)" 'BEGIN { printf "%.1f", a / b }'; }
# namespaces with TCP sockets in tulpen's listing (no second walk)
nsall=$(tail -n +2 "$work/tulpen_tan.out" | awk '{print $1}' | sort -u | wc -l)
cat <<EOF
netns_bench: $N namespaces x $(( PAIRS * 2 )) ESTABLISHED TCP sockets ($want rows of ours; tulpen saw $nsall namespaces)
| command | wall s | peak RSS KiB |
|---|---|---|
| loop: ip netns exec NS ss -tan | $(get loop_tan 2) | $(get loop_tan 3) (one ss) |
| tulpen --all-netns -tan | $(get tulpen_tan 2) | $(get tulpen_tan 3) |
| loop: ip netns exec NS ss -tanp$ptag | $(get loop_tanp 2) | $(get loop_tanp 3) (one ss) |
| tulpen --all-netns -tanp | $(get tulpen_tanp 2) | $(get tulpen_tanp 3) |
| tulpen --all-netns -tan, $SMALL namespaces | $(get small_tulpen 2) | $(get small_tulpen 3) |
| tulpen --all-netns -tanp, $SMALL namespaces | $(get small_tulpen_p 2) | $(get small_tulpen_p 3) |
speed-up -tan: $(ratio loop_tan tulpen_tan)x, -tanp: $(ratio loop_tanp tulpen_tanp)x
EOF
