#!/bin/bash
# SPDX-License-Identifier: MIT
#
# doctor_bench.sh - tulpen doctor against what an operator runs by hand to
# look for the same problems: ss -tanpi (every socket with its process and
# tcp_info) and nstat -az (the kernel's counters), once each.
#
# usage: bench/doctor_bench.sh [-n CONNS] [-P PROCS] [-r REPS]
#                              [--tulpen PATH] [--bin BUILD/bench]
#
# In a network namespace of its own (docbench) it builds bench/population
# (default 25,000 connections over 4 processes, with CLOSE-WAIT and
# TIME-WAIT sockets), then, in the same run and interleaved, REPS times
# (default 5; bench/measure: wall seconds and peak RSS):
#
#   manual  ip netns exec docbench sh -c 'ss -tanpi; nstat -az'
#   doctor  tulpen doctor -N docbench --interval 10ms
#
# and prints the medians and their ratio. doctor takes two samples (the
# 10 ms interval is the least it allows here; the default is 1 s, which
# only waits), scans the owners once and runs every rule: more work than
# the manual commands, which only print. Root only; the namespace is
# removed at the end, whatever happens.
set -euo pipefail

CONNS=25000
PROCS=4
REPS=5
TULPEN=
BIN=
while [ $# -gt 0 ]; do
	case "$1" in
	-n) CONNS=$2; shift 2 ;;
	-P) PROCS=$2; shift 2 ;;
	-r) REPS=$2; shift 2 ;;
	--tulpen) TULPEN=$2; shift 2 ;;
	--bin) BIN=$2; shift 2 ;;
	*) echo "usage: $0 [-n CONNS] [-P PROCS] [-r REPS] [--tulpen PATH]" \
		"[--bin DIR]" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
TULPEN=${TULPEN:-$here/../build/cli/tulpen}
BIN=${BIN:-$here/../build/bench}
MEASURE=$BIN/measure
NS=docbench
bench_need_root "a network namespace"
bench_need_bin "$BIN" measure population
[ -x "$TULPEN" ] || { echo "doctor_bench: no $TULPEN (ninja -C build)" >&2; exit 1; }

work=$(mktemp -d)
pop=
cleanup() {
	[ -n "$pop" ] && kill "$pop" 2>/dev/null && wait "$pop" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip netns exec "$NS" "$BIN/population" -n "$CONNS" -P "$PROCS" -w 2000 \
	-f 500 -q -r "$work/ready" > "$work/pop.out" 2>&1 &
pop=$!
ready=$(bench_wait_ready "$work/ready" "$pop" "$work/pop.out" 300)
echo "# $ready"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME OKSTATUS COMMAND...: one "seconds rss_kib" line per run
measure() {
	local name=$1 ok=$2
	shift 2
	read -r secs rss status < <("$MEASURE" -t 600 -o /dev/null \
		-e "$work/$name.err" -- "$@")
	[[ "$status" =~ ^exit=($ok)$ ]] || {
		echo "doctor_bench: $name: $status: $(head -3 "$work/$name.err")" >&2
		exit 1
	}
	echo "$secs $rss" >> "$work/$name"
}

for _ in $(seq 1 "$REPS"); do
	measure manual 0 ip netns exec "$NS" sh -c 'ss -tanpi; nstat -az'
	# the population holds CLOSE-WAIT sockets: doctor says so (4 or 5)
	measure doctor '0|3|4|5' "$TULPEN" doctor -N "$NS" --interval 10ms
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n -k1,1 "$work/$1" | awk '{a[NR]=$1; r[NR]=$2}
	END {m = int((NR + 1) / 2); printf "%s %s\n", a[m], r[m]}'; }
read -r ms mr < <(median manual)
read -r ds dr < <(median doctor)
printf '%-8s %10s %12s\n' what "median s" "rss KiB"
printf '%-8s %10s %12s\n' manual "$ms" "$mr" doctor "$ds" "$dr"
awk -v m="$ms" -v d="$ds" 'BEGIN { printf "ratio manual/doctor: %.2f\n", m / d }'
