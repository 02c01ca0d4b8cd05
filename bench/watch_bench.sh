#!/bin/sh
# SPDX-License-Identifier: MIT
#
# watch_bench.sh - what tracing TCP transitions costs under connection
# churn: bench/churn alone, with the in-kernel counts only (`tulpen watch
# --summary`, what tulpen serve loads), with the full event stream
# (`tulpen watch --ndjson >/dev/null`), and with libbpf-tools `tcpstates`
# (/usr/sbin/tcpstates), each on the same churn in a private network
# namespace.
#
# Reports per run: connections/s and kernel transitions/s reached (10 per
# connection), the churn's slowdown against the run alone, the events each
# tracer saw for the churn's addresses (127.77.0.x), the events it lost,
# its CPU (utime+stime from /proc/PID/stat over the churn run, % of one
# core) and its CPU per 10,000 transitions/s.
#
# "churn CPU us/conn" is the churn's own CPU (user + system, where the
# kernel's connection work and the tracepoint programs run) per
# connection, and "vs alone" its growth against the run alone: unlike the
# rate, it hardly depends on what else a shared machine runs. (A reader's
# own CPU is in "tracer CPU".)
#
# For the counts, "events seen" is the transitions the kernel side counted
# (the summary's total; the time-wait sockets' own TIME-WAIT -> CLOSED
# included) and "lost" the program runs the kernel skipped.
#
# Two sets: the churn flat out (every cycle a tracer takes is a cycle the
# churn loses on this 2-core machine), and paced at -r connections/s
# (default 14,000: about 140,000 transitions/s).
#
# usage: bench/watch_bench.sh [-t TULPEN] [-d SECONDS] [-j THREADS]
#                             [-r CONN_PER_S] [-n ROUNDS] [-f] [-T]
# -n: each set ROUNDS times (each round has its own run alone); -f: the
# flat-out set only; -T: without tcpstates.
# Root only. Takes about 9 x SECONDS per round. Tables go to stdout,
# details to stderr.
set -eu

TULPEN=build/cli/tulpen
DUR=10
THREADS=4
RATE=14000
ROUNDS=1
FLAT_ONLY=0
NO_TCPSTATES=0
while getopts t:d:j:r:n:fT opt; do
	case $opt in
	t) TULPEN=$OPTARG ;;
	d) DUR=$OPTARG ;;
	j) THREADS=$OPTARG ;;
	r) RATE=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	f) FLAT_ONLY=1 ;;
	T) NO_TCPSTATES=1 ;;
	*) echo "usage: $0 [-t TULPEN] [-d SECONDS] [-j THREADS] [-r CONN_PER_S] [-n ROUNDS] [-f] [-T]" >&2
	   exit 2 ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "watch_bench: needs root (namespaces, eBPF)" >&2
	exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TCPSTATES=$(command -v tcpstates || echo /usr/sbin/tcpstates)
[ "$NO_TCPSTATES" = 1 ] || [ -x "$TCPSTATES" ] ||
	{ echo "watch_bench: no tcpstates (apt install libbpf-tools, or -T)" >&2; exit 77; }
[ -x "$TULPEN" ] || { echo "watch_bench: no tulpen at $TULPEN" >&2; exit 1; }

TMP=$(mktemp -d)
NS=tulpen_churn_$$
TPID=
cleanup() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cc -O2 -pthread -o "$TMP/churn" "$HERE/churn.c"
ip netns add "$NS"
ip netns exec "$NS" sh -c 'ip link set lo up &&
	sysctl -qw net.ipv4.ip_local_port_range="1024 65535" &&
	sysctl -qw net.ipv4.tcp_tw_reuse=1'
HZ=$(getconf CLK_TCK)

# CPU ticks (utime + stime) of a process.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

churn() { # churn [EXTRA ARGS]
	ip netns exec "$NS" "$TMP/churn" -t "$THREADS" -d "$DUR" "$@"
}

field() { # field NAME LINE
	echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# Wait until process $1 has attached (its eBPF programs appear in fdinfo).
wait_attached() {
	i=0
	while [ $i -lt 100 ]; do
		if grep -qs '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null; then
			sleep 1
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "watch_bench: tracer $1 did not attach" >&2
	exit 1
}

# One table row: name, churn output, ticks before/after, seen, lost, note.
report() {
	conns=$(field connections "$2")
	rate=$(field conn_per_s "$2")
	trate=$(field transitions_per_s "$2")
	cpc=$(field cpu_us_per_conn "$2")
	echo "$1" "$conns" "$rate" "$trate" "$BASE_RATE" "$3" "$4" "$HZ" \
		"$DUR" "$5" "$6" "$cpc" "$BASE_CPC" | awk -v note="$7" '{
		slow = ($5 > 0) ? 100 * (1 - $3 / $5) : 0
		cpu = ($7 - $6) / $8 / $9 * 100
		per = ($4 > 0) ? cpu / ($4 / 10000) : 0
		more = ($13 > 0) ? 100 * ($12 / $13 - 1) : 0
		printf "| %-9s | %9d | %8d | %9d | %7.1f%% | %6.2f | %+6.1f%% | %9d | %7d | %6.1f%% | %6.2f%% | %s\n",
			$1, $2 * 10, $3, $4, slow, $12, more, $10, $11, cpu, per, note
	}'
}

# A set of three runs (alone, tulpen, tcpstates) with churn args "$@".
run_set() {
	echo "== churn alone: churn -t $THREADS -d $DUR $*" >&2
	BASE=$(churn "$@")
	echo "$BASE" >&2
	BASE_RATE=$(field conn_per_s "$BASE")
	BASE_CPC=$(field cpu_us_per_conn "$BASE")

	echo "== with: tulpen watch --summary --netns ... (in-kernel counts)" >&2
	"$TULPEN" watch --summary --netns "/run/netns/$NS" >"$TMP/counts.out" \
		2>"$TMP/counts.err" &
	TPID=$!
	wait_attached $TPID
	K0=$(ticks $TPID)
	RUN_K=$(churn "$@")
	K1=$(ticks $TPID)
	sleep 1 # the last time-wait sockets' reuse
	kill -INT $TPID
	wait $TPID || true
	TPID=
	echo "$RUN_K" >&2
	cat "$TMP/counts.out" "$TMP/counts.err" >&2
	K_SEEN=$(awk '$1 == "total" { print $2 }' "$TMP/counts.out")
	K_LOST=$(awk '$1 == "missed:" { print $2 }' "$TMP/counts.out")

	echo "== with: tulpen watch --ndjson --netns ... >/dev/null" >&2
	"$TULPEN" watch --ndjson --stats --netns "/run/netns/$NS" >/dev/null \
		2>"$TMP/tulpen.err" &
	TPID=$!
	wait_attached $TPID
	T0=$(ticks $TPID)
	RUN_T=$(churn "$@")
	T1=$(ticks $TPID)
	sleep 1 # let it drain
	kill -INT $TPID
	wait $TPID || true
	TPID=
	echo "$RUN_T" >&2
	cat "$TMP/tulpen.err" >&2
	STATS=$(grep 'stats:' "$TMP/tulpen.err" || true)
	T_SEEN=$(field transitions "$STATS")
	T_TW=$(field timewait "$STATS")
	T_LOST=$(field lost "$STATS")

	C0=0 C1=0 C_SEEN=0 C_LOST=0 RUN_C=
	[ "$NO_TCPSTATES" = 1 ] || tcpstates_run "$@"

	echo "| tracer    | kernel transitions | conn/s | transitions/s | slowdown | churn CPU us/conn | vs alone | events seen | lost | tracer CPU | CPU per 10k tr/s | note |"
	echo "|-----------|----------:|---------:|----------:|---------:|------:|-------:|----------:|--------:|-------:|--------:|------|"
	report none "$BASE" 0 0 0 0 ""
	report counts "$RUN_K" "$K0" "$K1" "${K_SEEN:-0}" "${K_LOST:-0}" \
		"in-kernel counts (tulpen watch --summary)"
	report tulpen "$RUN_T" "$T0" "$T1" "$T_SEEN" "$T_LOST" \
		"seen includes $T_TW TIME-WAIT transitions tcpstates cannot see"
	[ "$NO_TCPSTATES" = 1 ] ||
		report tcpstates "$RUN_C" "$C0" "$C1" "$C_SEEN" "$C_LOST" ""
}

tcpstates_run() {
	echo "== with: tcpstates > file" >&2
	"$TCPSTATES" >"$TMP/tcpstates.out" 2>"$TMP/tcpstates.err" &
	TPID=$!
	wait_attached $TPID
	C0=$(ticks $TPID)
	RUN_C=$(churn "$@")
	C1=$(ticks $TPID)
	sleep 1
	kill -INT $TPID
	wait $TPID || true
	TPID=
	echo "$RUN_C" >&2
	C_SEEN=$(grep -c '127\.77\.' "$TMP/tcpstates.out" || true)
	C_LOST=$(awk '/lost/ { for (i = 1; i <= NF; i++) if ($i == "lost") s += $(i + 1) } END { print s + 0 }' "$TMP/tcpstates.err")
}

r=1
while [ $r -le "$ROUNDS" ]; do
	echo "### flat out: churn -t $THREADS -d $DUR (round $r of $ROUNDS)"
	echo
	run_set
	echo
	if [ "$FLAT_ONLY" = 0 ]; then
		echo "### paced: churn -t $THREADS -d $DUR -r $RATE (about $((RATE * 10)) transitions/s; round $r of $ROUNDS)"
		echo
		run_set -r "$RATE"
		echo
	fi
	r=$((r + 1))
done
