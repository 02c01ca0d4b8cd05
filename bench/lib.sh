# bench/lib.sh - what the benchmark scripts share: their --help, the root
# check, waiting for bench/population to be ready, and a median. Sourced
# (bash): `. "$(dirname "$0")/lib.sh"`; every function prints its errors
# under the script's own name ($bench_name, set from $0).

bench_name=$(basename "$0")

# The script's header comment (after the shebang and the first line) as its
# help text.
bench_help() {
	awk 'NR > 3 && /^#/ { sub(/^# ?/, ""); print; next }
	     NR > 3 { exit }' "$0"
}

# bench_need_root WHY: exit 1 unless root.
bench_need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "$bench_name: needs root ($1)" >&2
		exit 1
	fi
}

# bench_need_bin DIR NAME...: exit 1 unless each DIR/NAME is executable.
bench_need_bin() {
	local dir=$1 p
	shift
	for p in "$@"; do
		if [ ! -x "$dir/$p" ]; then
			echo "$bench_name: no $dir/$p (ninja -C build)" >&2
			exit 1
		fi
	done
}

# bench_wait_ready FILE PID LOG [SECONDS]: wait until bench/population
# (PID, writing LOG) has written its ready line to FILE, then print that
# line; exit 1 when it died (with its log) or after SECONDS (default 900).
bench_wait_ready() {
	local file=$1 pid=$2 log=$3 limit=${4:-900} t0
	t0=$(date +%s)
	while [ ! -s "$file" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$bench_name: population failed:" >&2
			cat "$log" >&2
			exit 1
		fi
		if [ $(($(date +%s) - t0)) -gt "$limit" ]; then
			echo "$bench_name: population not ready after" \
				"$limit s" >&2
			exit 1
		fi
		sleep 1
	done
	cat "$file"
}

# The median of the numbers on stdin, one a line (the mean of the middle
# two for an even count).
bench_median() {
	sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# bench_opt OPTION VALUE: the options the population benches share (-n
# connections, -P processes, --reps, --tulpen, --bin, --out), set in the
# caller's variables n, procs, reps, tulpen, bin and out; returns 1 for any
# other option. Each takes a value: the caller shifts twice.
bench_opt() {
	case "$1" in
	-n) n=$2 ;;
	-P) procs=$2 ;;
	--reps) reps=$2 ;;
	--tulpen) tulpen=$2 ;;
	--bin) bin=$2 ;;
	--out) out=$2 ;;
	*) return 1 ;;
	esac
}
