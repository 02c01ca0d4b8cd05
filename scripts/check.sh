#!/bin/bash
# Build with -Werror and run every test; then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer and run every test once
# more; then a ThreadSanitizer build runs the tests of the threaded parts
# (netlink receive thread, owner scan, resolver). Plus the clang-format
# check. Every test that does not pass is listed by name with its reason.
# As root on a machine with BTF every capability is there, so a skipped
# test counts as a failure.
#
# Ends with one line: "N passed, N failed, N skipped".
#
# TULPEN_SKIP_SANITIZERS=1: the plain build only.
# TULPEN_FORMAT_CHECK=0: do not count the clang-format check (it still runs
#   and reports, but is not counted).
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
skipped=0
start=$SECONDS
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

strict=0
if [ "$(id -u)" = 0 ] && [ -e /sys/kernel/btf/vmlinux ]; then
	strict=1
	echo "=== root on a machine with BTF: a skipped test is a FAILURE"
fi

# count DIR: add DIR's meson-logs/testlog.json to the totals, listing
# every test that did not pass with its reason.
count() {
	local dir=$1 out line log
	# testlog.json, or testlog-WRAPPER.json when run with a wrapper
	log=$(ls -t "$dir"/meson-logs/testlog*.json 2>/dev/null | head -1)
	out=$("$PY" scripts/testlog.py $([ $strict = 1 ] && echo --strict) \
		"${log:-$dir/meson-logs/testlog.json}")
	line=$(printf '%s\n' "$out" | tail -1)
	printf '%s\n' "$out" | sed '$d'
	set -- $line
	if [ "${1:-}" != COUNTS ] || [ $# != 4 ]; then
		echo "=== $dir: cannot read the test log"
		failed=$((failed + 1))
		return 1
	fi
	echo "=== $dir: $2 passed, $3 failed, $4 skipped" \
		"($(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s so far)"
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + $4))
	return 0
}

# run_suite BUILDDIR MESON-OPTIONS... [-- MESON-TEST-ARGS...]
run_suite() {
	local dir=$1 opts=() targs=() rc before
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	targs=("$@")
	echo "=== $dir: configure and build (${opts[*]})"
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "${opts[@]}" >/dev/null || {
			echo "=== $dir: CONFIGURE FAILED"
			failed=$((failed + 1))
			return 1
		}
	else
		meson setup "$dir" "${opts[@]}" >/dev/null || {
			echo "=== $dir: SETUP FAILED"
			failed=$((failed + 1))
			return 1
		}
	fi
	if ! ninja -C "$dir"; then
		echo "=== $dir: BUILD FAILED"
		failed=$((failed + 1))
		return 1
	fi
	echo "=== $dir: tests ${targs[*]}"
	rm -f "$dir"/meson-logs/testlog*.json
	before=$failed
	meson test -C "$dir" --print-errorlogs \
		--num-processes 2 --timeout-multiplier "${TIMEOUT_MULTIPLIER:-1}" \
		"${targs[@]}" |
		tee "$dir/check.log"
	rc=${PIPESTATUS[0]}
	count "$dir" || return 1
	if [ "$rc" != 0 ] && [ "$failed" = "$before" ]; then
		echo "=== $dir: meson test exited $rc with no failing test"
		failed=$((failed + 1))
	fi
}

# The C sources against .clang-format: one check.
format_check() {
	echo "=== clang-format"
	mkdir -p build
	if sh scripts/format.sh --check >build/format.log 2>&1; then
		tail -1 build/format.log
		[ "${TULPEN_FORMAT_CHECK:-1}" = 1 ] && passed=$((passed + 1))
		return 0
	fi
	grep -v ' differs ' build/format.log | sed 's/^/    /'
	if [ "${TULPEN_FORMAT_CHECK:-1}" = 1 ]; then
		echo "  FAILURE: clang-format (files listed in build/format.log)"
		failed=$((failed + 1))
	else
		echo "  (not counted until the tree is formatted once:" \
			"TULPEN_FORMAT_CHECK=1 counts it; list in build/format.log)"
	fi
}

# ThreadSanitizer needs a layout of memory that a randomised mmap base on
# some kernels (vm.mmap_rnd_bits = 32) breaks: run under setarch -R.
tsan_wrapper() {
	if setarch "$(uname -m)" -R true 2>/dev/null; then
		echo "setarch $(uname -m) -R"
	fi
}

run_suite build -Dwerror=true -Db_sanitize=none
format_check
if [ "${TULPEN_SKIP_SANITIZERS:-0}" != 1 ]; then
	TIMEOUT_MULTIPLIER=3 run_suite build-asan -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	# The threaded parts: the netlink receive thread (live dumps: lister,
	# explain_live, install's examples), the owner scan (owners, lister
	# -p), the resolver (names, resolver), the pcap reader thread
	# (pcap_threads, pcap_scapy_zeek: two threads against one).
	w=$(tsan_wrapper)
	TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1" \
	TIMEOUT_MULTIPLIER=4 run_suite build-tsan -Dwerror=true \
		-Db_sanitize=thread -Db_lundef=false -- \
		${w:+--wrapper "$w"} \
		owners names resolver nl_replay golden lister-replay \
		explain_live lister install pcap_threads pcap_scapy_zeek
fi
echo "=== $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s in all"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
