#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/filter_bench.sh - a filtered listing against the unfiltered one,
# against ss and against the kernel's filtered walk.
#
# usage: bench/filter_bench.sh [-n N] [-P PROCS] [--reps R] [--tulpen PATH]
#                              [--bin DIR] [--out DIR]
#   -n N        established connections of the population (default 100000:
#               about 200,000 TCP sockets, both ends)
#   -P PROCS    processes holding them (default 50)
#   --reps R    timed runs per command, interleaved; the median is reported
#               (default 5)
#
# In a private network namespace it builds bench/population (as
# bench/run.sh does), picks the remote port PORT that a few thousand
# sockets have (the client ends of one listener's connections), then times
#   floor_filter -1 -p PORT    the kernel's filtered walk, nothing else, with
#                              the port in the request as tulpen sends it
#   floor_filter -1 PORT       the same with the bytecode alone
#   floor_filter PORT          the same as two per-family dumps (as ss asks)
#   floor -1                   the unfiltered walk
#   tulpen -tan dport = :PORT
#   ss -tan dport = :PORT
#   tulpen -tan                (unfiltered)
#   ss -tan
# each through bench/measure (wall time, max RSS), and checks the targets:
# the filtered tulpen at least 4x faster than the unfiltered one, and no
# slower than the filtered ss. The load average is printed before and
# after: the machine may be shared. Needs root and iproute2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
n=100000
procs=50
reps=5
tulpen=${TULPEN:-$root/build/cli/tulpen}
bin=$root/build/bench
out=""

while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) bench_help; exit 0 ;;
	*)
		bench_opt "$1" "${2:-}" || {
			echo "filter_bench.sh: unknown argument '$1'" >&2
			exit 2
		}
		shift ;;
	esac
	shift
done

bench_need_root "a network namespace"
bench_need_bin "$bin" population floor floor_filter measure
: "${out:=$root/bench/out/filter-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

ns=tulpen-fbench-$$
pop_pid=""
cleanup() {
	if [ -n "$pop_pid" ]; then
		kill "$pop_pid" 2>/dev/null || true
		wait "$pop_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(ss -V 2>&1 | head -1); tulpen=$tulpen"
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
echo "== building $n connections in $procs processes"
ip netns exec "$ns" "$bin/population" -n "$n" -P "$procs" -q \
	-r "$out/ready" >"$out/population.log" 2>&1 &
pop_pid=$!
bench_wait_ready "$out/ready" "$pop_pid" "$out/population.log"

# The remote port held by the most sockets below 1024 (a listener's port,
# on the client ends of its connections).
port=$(ip netns exec "$ns" ss -Htan | awk '{ n = split($5, a, ":");
	p = a[n]; if (p != "*" && p + 0 < 1024) c[p]++ }
	END { for (p in c) if (c[p] > best) { best = c[p]; bp = p }
	      print bp }')
total=$(ip netns exec "$ns" ss -Htan | wc -l)
echo "== PORT=$port, $total TCP sockets"

labels=("floor_filter -1 -p PORT" "floor_filter -1 PORT"
	"floor_filter PORT" "floor -1"
	"tulpen -tan dport = :PORT" "ss -tan dport = :PORT" "tulpen -tan"
	"ss -tan")
cmds=("$bin/floor_filter -1 -p $port" "$bin/floor_filter -1 $port"
      "$bin/floor_filter $port"
      "$bin/floor -1" "$tulpen -tan dport = :$port" "ss -tan dport = :$port"
      "$tulpen -tan" "ss -tan")
raw=$out/raw.tsv
: >"$raw"
for rep in $(seq 0 "$reps"); do
	for i in "${!cmds[@]}"; do
		# shellcheck disable=SC2086
		res=$(ip netns exec "$ns" "$bin/measure" -t 120 -o "$out/o.$i" \
			-e /dev/null -- ${cmds[$i]})
		lines=$(wc -l <"$out/o.$i")
		[ "$rep" = 0 ] && continue # warm-up
		printf '%s\t%s\t%s\n' "$i" "$res" "$lines" >>"$raw"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -F '\t' -v reps="$reps" -v port="$port" '
	BEGIN { split("", w) }
	{ split($2, r, " "); k = $1; w[k, ++cnt[k]] = r[1]; rss[k] = r[2];
	  lines[k] = $3 }
	function median(k,   i, j, t, a, m) {
		m = cnt[k]
		for (i = 1; i <= m; i++) a[i] = w[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		split("floor_filter -1 -p PORT|floor_filter -1 PORT|" \
		      "floor_filter PORT|floor -1|" \
		      "tulpen -tan dport = :PORT|ss -tan dport = :PORT|" \
		      "tulpen -tan|ss -tan", lab, "|")
		for (k = 0; k < 8; k++) med[k] = median(k)
		printf "%-28s %9s %9s %8s\n", "command (PORT=" port ")", \
		       "median s", "max KiB", "lines"
		for (k = 0; k < 8; k++)
			printf "%-28s %9.4f %9d %8d\n", lab[k + 1], med[k], \
			       rss[k], lines[k]
		f = med[4]; u = med[6]; s = med[5]; fl = med[0]
		printf "\nfiltered tulpen vs unfiltered tulpen: %.1fx faster " \
		       "(target >= 4x): %s\n", u / f, (u / f >= 4) ? "met" : \
		       "NOT met"
		printf "filtered tulpen vs filtered ss: %.2fx the time " \
		       "(target <= 1): %s\n", f / s, (f <= s) ? "met" : \
		       "NOT met"
		printf "filtered tulpen vs the filtered walk (floor): " \
		       "%.2fx\n", f / fl
	}' "$raw" | tee "$out/report.txt"
