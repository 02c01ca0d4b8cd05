#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/serve_bench.sh - a /metrics scrape of tulpen serve against
# node_exporter's tcpstat collector on the same sockets.
#
# usage: bench/serve_bench.sh [-t TULPEN] [-n CONNS] [-P PROCS] [-r REPS]
#                             [-b BINDIR]
#   defaults: build/cli/tulpen, 100,000 connections, 50 processes, 7 reps
#
# In a private network namespace it builds bench/population (-n CONNS -P
# PROCS), then runs, each on 127.0.0.1 inside the namespace:
#   tulpen serve                        owners cached (a scan per 30 s)
#   tulpen serve --owners-max-age 0     a process scan on every scrape
#   tulpen serve --no-owners            no process scan at all
#   prometheus-node-exporter --collector.disable-defaults --collector.tcpstat
# One warm-up scrape each, then REPS timed scrapes interleaved (curl's
# time_total, body to a file), and reports per exporter the median, min and
# max, the CPU time each exporter spent per timed scrape (utime + stime of
# its process: fairer than wall time on a loaded machine), the ratio of
# node_exporter's median to tulpen's, tulpen's RSS (VmRSS
# and VmHWM) after the scrapes, its CPU over 10 idle seconds, the socket
# totals each exporter counted, and the load average before and after
# (the machine may be shared). Root only.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tulpen=$root/build/cli/tulpen
conns=100000
procs=50
reps=7
bin=$root/build/bench
while getopts t:n:P:r:b: opt; do
	case $opt in
	t) tulpen=$OPTARG ;;
	n) conns=$OPTARG ;;
	P) procs=$OPTARG ;;
	r) reps=$OPTARG ;;
	b) bin=$OPTARG ;;
	*) echo "usage: $0 [-t TULPEN] [-n CONNS] [-P PROCS] [-r REPS]" \
		"[-b BINDIR]" >&2
	   exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "serve_bench: needs root" >&2; exit 77; }
nodeexp=$(command -v prometheus-node-exporter ||
	echo /usr/bin/prometheus-node-exporter)
[ -x "$nodeexp" ] || { echo "serve_bench: no prometheus-node-exporter" \
	"(scripts/deps.sh --bench)" >&2; exit 1; }
[ -x "$tulpen" ] || { echo "serve_bench: no tulpen at $tulpen" >&2; exit 1; }

tmp=$(mktemp -d)
ns=tulpen-serve-bench-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$bin/population" ]; then
	bin=$tmp
	cc -O2 -D_GNU_SOURCE -pthread -o "$bin/population" \
		"$here/population.c" "$here/population_churn.c"
fi
nsx() { ip netns exec "$ns" "$@"; }

echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
ip netns add "$ns"
nsx ip link set lo up
t0=$(date +%s)
# not through nsx: $! must be the population, for the cleanup to stop it
ip netns exec "$ns" "$bin/population" -n "$conns" -P "$procs" \
	-r "$tmp/ready" >"$tmp/population.log" 2>&1 &
pids+=($!)
while [ ! -s "$tmp/ready" ]; do
	kill -0 "${pids[0]}" 2>/dev/null ||
		{ cat "$tmp/population.log" >&2; exit 1; }
	sleep 0.5
done
echo "population: $(cat "$tmp/ready") (built in $(( $(date +%s) - t0 )) s)"

# label port argv...
names=()
ports=()
start() {
	local label=$1 port=$2
	shift 2
	# not through nsx: $! must be the exporter (ip netns exec execs it)
	ip netns exec "$ns" "$@" >"$tmp/$port.log" 2>&1 &
	pids+=($!)
	names+=("$label")
	ports+=("$port")
	for _ in $(seq 100); do
		nsx curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	echo "serve_bench: $label did not start:" >&2
	cat "$tmp/$port.log" >&2
	exit 1
}
start "tulpen serve" 19829 "$tulpen" serve --listen 127.0.0.1:19829
tulpen_pid=${pids[-1]}
start "tulpen serve --owners-max-age 0" 19830 "$tulpen" serve \
	--listen 127.0.0.1:19830 --owners-max-age 0
start "tulpen serve --no-owners" 19831 "$tulpen" serve \
	--listen 127.0.0.1:19831 --no-owners
start "node_exporter tcpstat" 19100 "$nodeexp" \
	--collector.disable-defaults --collector.tcpstat \
	--web.listen-address=127.0.0.1:19100

scrape() { # port -> seconds
	nsx curl -s -o "$tmp/body.$1" -w '%{time_total}\n' \
		"http://127.0.0.1:$1/metrics"
}
for i in "${!ports[@]}"; do
	w=$(scrape "${ports[$i]}")
	echo "warm-up ${names[$i]}: $w s"
done
clk=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
declare -A cpu0
for i in "${!ports[@]}"; do
	cpu0[$i]=$(cpu "${pids[$((i + 1))]}")
done
for _ in $(seq "$reps"); do
	for i in "${!ports[@]}"; do
		scrape "${ports[$i]}" >>"$tmp/times.${ports[$i]}"
	done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END {
	printf "%.3f %.3f %.3f", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
printf '\n| exporter | median s | min s | max s | CPU s per scrape |\n'
printf '|---|---|---|---|---|\n'
for i in "${!ports[@]}"; do
	read -r med lo hi <<<"$(median "$tmp/times.${ports[$i]}")"
	c=$(awk -v d=$(( $(cpu "${pids[$((i + 1))]}") - ${cpu0[$i]} )) \
		-v h="$clk" -v r="$reps" 'BEGIN { printf "%.3f", d / h / r }')
	printf '| %s | %s | %s | %s | %s |\n' "${names[$i]}" "$med" "$lo" \
		"$hi" "$c"
done
t_med=$(median "$tmp/times.19829" | cut -d' ' -f1)
n_med=$(median "$tmp/times.19100" | cut -d' ' -f1)
echo
echo "node_exporter / tulpen serve (median): $(awk -v n="$n_med" \
	-v t="$t_med" 'BEGIN { printf "%.1fx", n / t }')"
tt=$(awk '/^tulpen_tcp_sockets\{/ { s += $2 } END { print s }' \
	"$tmp/body.19829")
nt=$(awk '/^node_tcp_connection_states\{/ { s += $2 } END { print s }' \
	"$tmp/body.19100")
echo "TCP sockets counted: tulpen $tt, node_exporter $nt"
grep '^node_tcp_connection_states' "$tmp/body.19100" | sed 's/^/  /' || true
echo "tulpen collection: $(awk '/^tulpen_collect_duration_seconds/ \
	{ print $2 }' "$tmp/body.19829") s (its own figure, last scrape)"

grep -E '^Vm(RSS|HWM)' "/proc/$tulpen_pid/status" | tr -s ' \t' ' ' |
	sed 's/^/tulpen serve: /'
c0=$(cpu "$tulpen_pid")
sleep 10
c1=$(cpu "$tulpen_pid")
echo "tulpen serve CPU over 10 idle s: $(( c1 - c0 )) ticks" \
	"($(awk -v d=$(( c1 - c0 )) -v h="$clk" \
	'BEGIN { printf "%.2f", 100 * d / h / 10 }')% of a core)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
