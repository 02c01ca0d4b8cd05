#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/internals_bench.sh - TCP internals and socket destruction against
# ss, in one run.
#
# usage: bench/internals_bench.sh [-n N] [-P PROCS] [-k K] [--reps R]
#                                 [--tulpen PATH] [--bin DIR] [--out DIR]
#   -n N        established connections of the population (default 100000:
#               about 200,000 TCP sockets, both ends)
#   -P PROCS    processes holding them (default 50)
#   -k K        sockets each -K run closes (default 10000)
#   --reps R    timed runs per command, interleaved; the median is
#               reported (default 5; -K: R rounds of fresh sockets)
#
# In a private network namespace it builds bench/population (as
# bench/filter_bench.sh does) and times
#   tulpen -tin --json     every TCP socket's tcp_info as JSON
#   ss -tin                the same as ss's text
# (wall and cpu time, medians of R runs, interleaved), then, in a second
# namespace, for each round: two listeners with K
# connections each, and
#   tulpen -K sport = :A   closes the K server ends of listener A
#   ss -K sport = :B       the same for B
# checking with ss that exactly those are gone. Targets: tulpen -tin --json
# at least 3x faster than ss -tin; tulpen -K no slower than ss -K. The load
# average is printed before and after: the machine may be shared. Needs
# root and iproute2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
n=100000
procs=50
kills=10000
reps=5
tulpen=${TULPEN:-$root/build/cli/tulpen}
bin=$root/build/bench
out=""

while [ $# -gt 0 ]; do
	case "$1" in
	-k) kills=$2; shift ;;
	-h|--help) bench_help; exit 0 ;;
	*)
		bench_opt "$1" "${2:-}" || {
			echo "internals_bench.sh: unknown argument '$1'" >&2
			exit 2
		}
		shift ;;
	esac
	shift
done

bench_need_root "network namespaces"
bench_need_bin "$bin" population
: "${out:=$root/bench/out/internals-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
rm -f "$out/ready" "$out/kready" # a reused directory: not ready yet

ns=tulpen-ibench-$$
kns=tulpen-kbench-$$
pop_pid=""
holder=""
cleanup() {
	for p in $pop_pid $holder; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	ip netns del "$kns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# timed ARGV...: "wall cpu" seconds (cpu: user + system, children
# included) of ARGV run in the namespace, its output in $tout; wall time is
# what the targets are about, cpu time says how much of it is work when the
# machine is shared.
timed() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time ip netns exec "$tns" "$@" >"$tout" 2>/dev/null; } 2>&1 )
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t"
}

echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(ss -V 2>&1 | head -1); tulpen=$tulpen"

# ---- -tin: tcp_info of every socket -----------------------------------
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
echo "== building $n connections in $procs processes"
ip netns exec "$ns" "$bin/population" -n "$n" -P "$procs" -q \
	-r "$out/ready" >"$out/population.log" 2>&1 &
pop_pid=$!
bench_wait_ready "$out/ready" "$pop_pid" "$out/population.log"
total=$(ip netns exec "$ns" ss -Htan | wc -l)
echo "== $total TCP sockets"
: >"$out/tin.tsv"
tns=$ns
for rep in $(seq 0 "$reps"); do
	for k in tulpen ss; do
		# the outputs of the warm-up run are kept and counted; the timed
		# runs write to /dev/null (the JSON is 3x ss's text in bytes: the
		# page cache is not what is compared)
		tout=/dev/null
		[ "$rep" = 0 ] && tout=$out/tin.$k
		if [ $k = tulpen ]; then
			res=$(timed "$tulpen" -tin --json)
		else
			res=$(timed ss -tin)
		fi
		[ "$rep" = 0 ] && continue # warm-up
		echo "$k $res" >>"$out/tin.tsv"
	done
done
kill "$pop_pid" 2>/dev/null || true
wait "$pop_pid" 2>/dev/null || true
pop_pid=""
ip netns del "$ns"
t_tin=$(awk '$1 == "tulpen" { print $2 }' "$out/tin.tsv" | bench_median)
s_tin=$(awk '$1 == "ss" { print $2 }' "$out/tin.tsv" | bench_median)
tc_tin=$(awk '$1 == "tulpen" { print $3 }' "$out/tin.tsv" | bench_median)
sc_tin=$(awk '$1 == "ss" { print $3 }' "$out/tin.tsv" | bench_median)
recs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
	"$out/tin.tulpen")
echo "tulpen -tin --json: median ${t_tin}s ($recs records)"
echo "ss -tin:            median ${s_tin}s ($(grep -c '^ESTAB' \
	"$out/tin.ss" || true) ESTAB lines)"

# ---- -K: K sockets by one filter --------------------------------------
ip netns add "$kns"
ip netns exec "$kns" ip link set lo up
ip netns exec "$kns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
: >"$out/kill.tsv"
for rep in $(seq 1 "$reps"); do
	rm -f "$out/kready"
	ip netns exec "$kns" /usr/bin/python3 -c '
import ctypes, os, resource, socket, sys, time
# K connections per listener, both ends, in processes of their own (each
# holds at most K + 1 descriptors); every child dies with its parent
k = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if hard < k + 64:
    sys.exit("RLIMIT_NOFILE %d is below %d" % (hard, k + 64))
libc = ctypes.CDLL(None)
r, w = os.pipe()
ports = []
for _ in range(2):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0)); ls.listen(4096)
    ports.append(ls.getsockname()[1])
    for role in ("server", "client"):
        if os.fork() == 0:
            libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
            if role == "server":
                keep = [ls.accept()[0] for _ in range(k)]
                os.write(w, b"x")
            else:
                ls.close()
                keep = [socket.create_connection(("127.0.0.1", ports[-1]))
                        for _ in range(k)]
            time.sleep(3600)
            os._exit(0)
    ls.close()
for _ in range(2):
    os.read(r, 1)
open(sys.argv[2], "w").write("%d %d\n" % tuple(ports))
time.sleep(3600)
' "$kills" "$out/kready" &
	holder=$!
	while [ ! -s "$out/kready" ]; do
		kill -0 "$holder" 2>/dev/null || {
			echo "internals_bench.sh: socket holder failed" >&2
			exit 1
		}
		sleep 0.2
	done
	read -r pa pb <"$out/kready"
	tns=$kns
	for k in tulpen ss; do
		tout=$out/kill.$k
		if [ $k = tulpen ]; then
			port=$pa
		else
			port=$pb
		fi
		before=$(ip netns exec "$kns" ss -Htn sport = :"$port" | wc -l)
		if [ $k = tulpen ]; then
			res=$(timed "$tulpen" -K -n sport = :"$port")
		else
			res=$(timed ss -K -n sport = :"$port")
		fi
		left=$(ip netns exec "$kns" ss -Htn sport = :"$port" | wc -l)
		printed=$(grep -c ":$port " "$out/kill.$k" || true)
		echo "$k $res before=$before left=$left printed=$printed" \
			>>"$out/kill.tsv"
	done
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	holder=""
done
cat "$out/kill.tsv"
t_k=$(awk '$1 == "tulpen" { print $2 }' "$out/kill.tsv" | bench_median)
s_k=$(awk '$1 == "ss" { print $2 }' "$out/kill.tsv" | bench_median)
tc_k=$(awk '$1 == "tulpen" { print $3 }' "$out/kill.tsv" | bench_median)
sc_k=$(awk '$1 == "ss" { print $3 }' "$out/kill.tsv" | bench_median)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v tt="$t_tin" -v st="$s_tin" -v tk="$t_k" -v sk="$s_k" \
	-v tct="$tc_tin" -v sct="$sc_tin" -v tck="$tc_k" -v sck="$sc_k" \
	-v total="$total" -v kills="$kills" 'BEGIN {
	printf "\n%-34s %10s %10s\n", "command", "wall s", "cpu s"
	printf "%-34s %10.4f %10.3f\n", "tulpen -tin --json (" total " TCP)", \
	       tt, tct
	printf "%-34s %10.4f %10.3f\n", "ss -tin", st, sct
	printf "%-34s %10.4f %10.3f\n", "tulpen -K sport = :A (" kills ")", \
	       tk, tck
	printf "%-34s %10.4f %10.3f\n", "ss -K sport = :B", sk, sck
	printf "\ntulpen -tin --json vs ss -tin: %.1fx faster (cpu %.1fx) " \
	       "(target >= 3x): %s\n", st / tt, sct / tct, \
	       (st / tt >= 3) ? "met" : "NOT met"
	printf "tulpen -K vs ss -K: %.2fx the time (cpu %.2fx) " \
	       "(target <= 1): %s\n", tk / sk, tck / sck, \
	       (tk <= sk) ? "met" : "NOT met"
}' | tee "$out/report.txt"
