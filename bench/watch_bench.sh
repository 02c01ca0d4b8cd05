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
# With -b OTHER (another build's tulpen, say the one before a change),
# each round also runs its counts and event stream ("counts-b",
# "tulpen-b"), interleaved with this build's, so that both meet the same
# machine. After the last round, the medians over the rounds of every
# tracer's rate and CPU per connection, against the median run alone (on
# a shared machine one round is noisy; take -n 5 -d 3).
#
# usage: bench/watch_bench.sh [-t TULPEN] [-b OTHER] [-d SECONDS]
#                             [-j THREADS] [-r CONN_PER_S] [-n ROUNDS]
#                             [-f] [-T]
# -n: each set ROUNDS times (each round has its own run alone); -f: the
# flat-out set only; -T: without tcpstates.
# Root only. Takes about 9 x SECONDS per round. Tables go to stdout,
# details to stderr.
set -eu

TULPEN=build/cli/tulpen
OTHER=
DUR=10
THREADS=4
RATE=14000
ROUNDS=1
FLAT_ONLY=0
NO_TCPSTATES=0
while getopts t:b:d:j:r:n:fT opt; do
	case $opt in
	t) TULPEN=$OPTARG ;;
	b) OTHER=$OPTARG ;;
	d) DUR=$OPTARG ;;
	j) THREADS=$OPTARG ;;
	r) RATE=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	f) FLAT_ONLY=1 ;;
	T) NO_TCPSTATES=1 ;;
	*) echo "usage: $0 [-t TULPEN] [-b OTHER] [-d SECONDS] [-j THREADS] [-r CONN_PER_S] [-n ROUNDS] [-f] [-T]" >&2
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
[ -z "$OTHER" ] || [ -x "$OTHER" ] ||
	{ echo "watch_bench: no tulpen at $OTHER" >&2; exit 1; }

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
# Also kept in $TMP/rows.$SET for the medians.
report() {
	conns=$(field connections "$2")
	rate=$(field conn_per_s "$2")
	trate=$(field transitions_per_s "$2")
	cpc=$(field cpu_us_per_conn "$2")
	echo "$1 $rate $cpc" >>"$TMP/rows.$SET"
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

# A set of runs (alone, counts, tulpen, with -b the other build's, tcpstates)
# with churn args "$@".
run_set() {
	echo "== churn alone: churn -t $THREADS -d $DUR $*" >&2
	BASE=$(churn "$@")
	echo "$BASE" >&2
	BASE_RATE=$(field conn_per_s "$BASE")
	BASE_CPC=$(field cpu_us_per_conn "$BASE")

	if [ -n "$OTHER" ]; then
		counts_run "$OTHER" "$@"
		RUN_KB=$RUN_K K0B=$K0 K1B=$K1 K_SEENB=$K_SEEN K_LOSTB=$K_LOST
		tulpen_run "$OTHER" "$@"
		RUN_TB=$RUN_T T0B=$T0 T1B=$T1 T_SEENB=$T_SEEN T_LOSTB=$T_LOST
	fi
	counts_run "$TULPEN" "$@"
	tulpen_run "$TULPEN" "$@"

	C0=0 C1=0 C_SEEN=0 C_LOST=0 RUN_C=
	[ "$NO_TCPSTATES" = 1 ] || tcpstates_run "$@"

	echo "| tracer    | kernel transitions | conn/s | transitions/s | slowdown | churn CPU us/conn | vs alone | events seen | lost | tracer CPU | CPU per 10k tr/s | note |"
	echo "|-----------|----------:|---------:|----------:|---------:|------:|-------:|----------:|--------:|-------:|--------:|------|"
	report none "$BASE" 0 0 0 0 ""
	report counts "$RUN_K" "$K0" "$K1" "${K_SEEN:-0}" "${K_LOST:-0}" \
		"in-kernel counts (tulpen watch --summary)"
	report tulpen "$RUN_T" "$T0" "$T1" "$T_SEEN" "$T_LOST" \
		"seen includes $T_TW TIME-WAIT transitions tcpstates cannot see"
	if [ -n "$OTHER" ]; then
		report counts-b "$RUN_KB" "$K0B" "$K1B" "${K_SEENB:-0}" \
			"${K_LOSTB:-0}" "the same, $OTHER"
		report tulpen-b "$RUN_TB" "$T0B" "$T1B" "$T_SEENB" "$T_LOSTB" \
			"the same, $OTHER"
	fi
	[ "$NO_TCPSTATES" = 1 ] ||
		report tcpstates "$RUN_C" "$C0" "$C1" "$C_SEEN" "$C_LOST" ""
}

counts_run() { # counts_run TULPEN [CHURN ARGS]
	t=$1
	shift
	echo "== with: $t watch --summary --netns ... (in-kernel counts)" >&2
	"$t" watch --summary --netns "/run/netns/$NS" >"$TMP/counts.out" \
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
}

tulpen_run() { # tulpen_run TULPEN [CHURN ARGS]
	t=$1
	shift
	echo "== with: $t watch --ndjson --netns ... >/dev/null" >&2
	"$t" watch --ndjson --stats --netns "/run/netns/$NS" >/dev/null \
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

# The medians over the rounds of set $1 (rows: tracer conn/s us/conn).
medians() {
	[ -s "$TMP/rows.$1" ] || return 0
	echo "### medians over $ROUNDS rounds: $2"
	echo
	echo "| tracer | conn/s | slowdown | churn CPU us/conn | vs alone |"
	echo "|---|---:|---:|---:|---:|"
	awk '{ print $1 }' "$TMP/rows.$1" | awk '!seen[$0]++' |
	while read -r name; do
		awk -v k="$name" '$1 == k { print $2, $3 }' "$TMP/rows.$1" >"$TMP/m"
		n=$(wc -l <"$TMP/m")
		rate=$(sort -n -k1,1 "$TMP/m" | awk -v n="$n" 'NR == int((n + 1) / 2) { print $1 }')
		cpc=$(sort -n -k2,2 "$TMP/m" | awk -v n="$n" 'NR == int((n + 1) / 2) { print $2 }')
		[ "$name" = none ] && { MR=$rate; MC=$cpc; }
		echo "$name $rate $cpc $MR $MC" | awk '{
			slow = ($4 > 0) ? 100 * (1 - $2 / $4) : 0
			more = ($5 > 0) ? 100 * ($3 / $5 - 1) : 0
			printf "| %s | %d | %.1f%% | %.2f | %+.1f%% |\n", $1, $2, slow, $3, more
		}'
	done
	echo
}

r=1
while [ $r -le "$ROUNDS" ]; do
	echo "### flat out: churn -t $THREADS -d $DUR (round $r of $ROUNDS)"
	echo
	SET=flat
	run_set
	echo
	if [ "$FLAT_ONLY" = 0 ]; then
		echo "### paced: churn -t $THREADS -d $DUR -r $RATE (about $((RATE * 10)) transitions/s; round $r of $ROUNDS)"
		echo
		SET=paced
		run_set -r "$RATE"
		echo
	fi
	r=$((r + 1))
done
if [ "$ROUNDS" -gt 1 ]; then
	medians flat "flat out"
	medians paced "paced at $RATE connections/s"
fi
