#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh - tulpen at scale against the floor, ss, netstat and lsof.
#
# usage: bench/run.sh [small|large] [options]
#   small  N = 5,000 and 20,000 connections (well under a minute)
#   large  N = 100,000 (50 processes) and 500,000 (100 processes)
# options:
#   --tulpen PATH   tulpen binary (default $TULPEN or build/cli/tulpen)
#   --sizes "N:P ..." connection counts and process counts instead of a preset
#   --reps R        timed runs per fast command (median reported)
#   --timeout S     per-command time limit (reported as "> S s")
#   --slow S        a command whose first run takes longer than S seconds
#                   is not repeated (that run is its figure)
#   --out DIR       where raw results and the report go (default
#                   bench/out/PRESET-DATE)
#   --bin DIR       where population, floor and measure are (default
#                   build/bench; compiled into the out directory if absent)
#   --only REGEX    run only the commands whose label matches REGEX (awk ERE),
#                   e.g. --only 'floor|tulpen' while tuning tulpen
#   --extra 'LABEL=COMMAND'  one more row (repeatable), e.g.
#                   --extra 'tulpen -tanp (proc scan)=build/cli/tulpen -tanp X'
#                   (a LABEL with -tanp is compared with ss -tanp)
#
# For every size it builds the population (bench/population.c) in a private
# network namespace, runs every command once (warm-up; its output is kept
# to count lines), then R timed runs interleaved, all inside the namespace,
# each through bench/measure.c (wall time, max RSS, timeout). The report
# (bench/report.py) prints the table with ratios to ss and to the floor and
# checks the scale targets. Needs root, iproute2, net-tools, lsof.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
preset=small
tulpen=${TULPEN:-$root/build/cli/tulpen}
sizes=""
reps=""
timeout=""
slow=""
out=""
only=""
extra=()
bin=$root/build/bench

while [ $# -gt 0 ]; do
	case "$1" in
	small|large) preset=$1 ;;
	--tulpen) tulpen=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--reps) reps=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--slow) slow=$2; shift ;;
	--out) out=$2; shift ;;
	--bin) bin=$2; shift ;;
	--only) only=$2; shift ;;
	--extra)
		case "$2" in
		?*=?*) extra+=("$2") ;;
		*) echo "run.sh: --extra takes LABEL=COMMAND" >&2; exit 2 ;;
		esac
		shift ;;
	-h|--help)
		awk 'NR > 3 && /^#/ { sub(/^# ?/, ""); print; next }
		     NR > 3 { exit }' "$0"
		exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

case "$preset" in
small)
	: "${sizes:=5000:4 20000:8}"
	: "${reps:=5}" "${timeout:=60}" "${slow:=2}" ;;
large)
	: "${sizes:=100000:50 500000:100}"
	: "${reps:=3}" "${timeout:=150}" "${slow:=10}" ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: needs root (network namespaces, /proc of all processes)" >&2
	exit 1
fi
for t in ip ss netstat lsof python3; do
	if ! command -v "$t" >/dev/null; then
		echo "run.sh: '$t' not found (scripts/deps.sh installs it)" >&2
		exit 1
	fi
done

: "${out:=$root/bench/out/$preset-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
raw=$out/raw.tsv

# The instruments: from the meson build when it is there, else compiled now.
if [ ! -x "$bin/population" ] || [ ! -x "$bin/floor" ] ||
   [ ! -x "$bin/measure" ] || [ ! -x "$bin/fdscan" ]; then
	bin=$out/bin
	mkdir -p "$bin"
	for p in population floor measure fdscan; do
		extra=
		[ "$p" = population ] && extra=$here/population_churn.c
		${CC:-cc} -O2 -D_GNU_SOURCE -pthread -o "$bin/$p" "$here/$p.c" \
			$extra
	done
fi

have_tulpen=1
if [ ! -x "$tulpen" ]; then
	echo "run.sh: no tulpen binary at $tulpen: tulpen rows skipped" >&2
	have_tulpen=0
fi

ns=""
pop_pid=""
cleanup() {
	if [ -n "$pop_pid" ]; then
		kill "$pop_pid" 2>/dev/null || true
		wait "$pop_pid" 2>/dev/null || true
		pop_pid=""
	fi
	if [ -n "$ns" ]; then
		ip netns del "$ns" 2>/dev/null || true
		ns=""
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The commands: label <TAB> argv (space separated; no argument has spaces).
commands() {
	if [ -n "$only" ]; then
		all_commands | awk -F '\t' -v re="$only" '$1 ~ re'
	else
		all_commands
	fi
}

all_commands() {
	# each tulpen row next to the commands it is compared with, so that
	# the output line counts are taken close together in time
	local t=
	[ "$have_tulpen" = 1 ] && t=$tulpen
	printf '%s\t%s\n' \
		"floor" "$bin/floor" \
		"floor -1 (one walk)" "$bin/floor -1" \
		${t:+"tulpen -tan" "$t -tan"} \
		"ss -tan" "ss -tan" \
		${t:+"tulpen -tan --json" "$t -tan --json"} \
		${t:+"tulpen -tan --ndjson" "$t -tan --ndjson"} \
		"netstat -tan" "netstat -tan" \
		"lsof -nP -iTCP" "lsof -nP -iTCP" \
		"fdscan (-p floor)" "$bin/fdscan" \
		"fdscan -j 2" "$bin/fdscan -j 2" \
		${t:+"tulpen -tanp" "$t -tanp"} \
		"ss -tanp" "ss -tanp" \
		"netstat -tanp" "netstat -tanp" \
		${t:+"tulpen -s" "$t -s"} \
		"ss -s" "ss -s"
	for e in ${extra[@]+"${extra[@]}"}; do
		printf '%s\t%s\n' "${e%%=*}" "${e#*=}"
	done
}

# measure_one SIZE LABEL REP OUTFILE ARGV... -> appends one raw line
measure_one() {
	local n=$1 label=$2 rep=$3 of=$4 res wall rss status lines ef=/dev/null
	shift 4
	if [ "$rep" = 0 ]; then
		ef=$out/stderr.$n.${label//[^a-z0-9-]/_}.log
	fi
	res=$(ip netns exec "$ns" "$bin/measure" -t "$timeout" -o "$of" \
		-e "$ef" -- "$@")
	read -r wall rss status <<<"$res"
	lines=-
	if [ "$of" != /dev/null ] && [ "$status" != timeout ]; then
		lines=$(wc -l <"$of")
		rm -f "$of"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$label" "$rep" \
		"$wall" "$rss" "$status" "$lines" "$tcp_sockets" \
		"$socket_fds" >>"$raw"
	printf '  %-22s run %s: %8.3f s %7d KiB %s lines=%s\n' "$label" "$rep" \
		"$wall" "$rss" "$status" "$lines"
	[ "$status" != timeout ] && [ "$(awk -v w="$wall" -v s="$slow" \
		'BEGIN { print (w > s) ? 1 : 0 }')" = 0 ]
}

printf 'size\tcommand\trun\twall_s\tmaxrss_kib\tstatus\tlines\ttcp_sockets\tsocket_fds\n' >"$raw"
{
	echo "preset=$preset sizes='$sizes' reps=$reps timeout=$timeout slow=$slow only='$only'"
	echo "tulpen=$tulpen"
	echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc)"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ss=$(ss -V 2>&1 | head -1)"
	echo "netstat=$(netstat -V 2>&1 | head -1)"
	echo "lsof=$(lsof -v 2>&1 | grep -m1 -i revision | tr -s ' ')"
} >"$out/meta.txt"
cat "$out/meta.txt"

t_start=$(date +%s)
for sz in $sizes; do
	n=${sz%%:*}
	procs=${sz#*:}
	ns=tulpen-bench-$$-$n
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	rm -f "$out/ready.$n"
	echo "== N=$n connections, $procs processes: building the population"
	t0=$(date +%s)
	ip netns exec "$ns" "$bin/population" -n "$n" -P "$procs" \
		-r "$out/ready.$n" >"$out/population.$n.log" 2>&1 &
	pop_pid=$!
	while [ ! -s "$out/ready.$n" ]; do
		if ! kill -0 "$pop_pid" 2>/dev/null; then
			echo "run.sh: population failed:" >&2
			cat "$out/population.$n.log" >&2
			exit 1
		fi
		if [ $(( $(date +%s) - t0 )) -gt 900 ]; then
			echo "run.sh: population not ready after 900 s" >&2
			exit 1
		fi
		sleep 0.2
	done
	ready=$(cat "$out/ready.$n")
	echo "   $ready (built in $(( $(date +%s) - t0 )) s)"
	tcp_sockets=$(sed -n 's/.*tcp_sockets=\([0-9]*\).*/\1/p' <<<"$ready")
	socket_fds=$(sed -n 's/.*socket_fds=\([0-9]*\).*/\1/p' <<<"$ready")

	# Warm-up: every command once, output kept for a line count.
	declare -A fast=()
	while IFS=$'\t' read -r label cmd; do
		# shellcheck disable=SC2086
		if measure_one "$n" "$label" 0 "$out/output.tmp" $cmd; then
			fast[$label]=1
		fi
	done < <(commands)
	# Timed runs, interleaved so that drift hits every command alike.
	for rep in $(seq 1 "$reps"); do
		while IFS=$'\t' read -r label cmd; do
			[ -n "${fast[$label]:-}" ] || continue
			# shellcheck disable=SC2086
			measure_one "$n" "$label" "$rep" /dev/null $cmd || true
		done < <(commands)
	done
	unset fast
	if ! kill -0 "$pop_pid" 2>/dev/null; then
		echo "run.sh: the population died while measuring:" >&2
		cat "$out/population.$n.log" >&2
		exit 1
	fi
	cleanup
	# Let the kernel tear down the old namespace before the next size.
	sleep $(( n / 100000 * 3 + 1 ))
done
echo "== total time $(( $(date +%s) - t_start )) s"

python3 "$here/report.py" --timeout "$timeout" "$raw" | tee "$out/report.md"
echo "raw results: $raw"
