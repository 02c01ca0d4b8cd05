#!/bin/bash
# Build with -Werror and run every test; then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer and run every test once
# more. Ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
skipped=0

# run_suite BUILDDIR MESON-OPTIONS...
run_suite() {
	local dir=$1
	shift
	echo "=== $dir: configure and build ($*)"
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	if ! ninja -C "$dir"; then
		echo "=== $dir: BUILD FAILED"
		failed=$((failed + 1))
		return 1
	fi
	echo "=== $dir: tests"
	meson test -C "$dir" --print-errorlogs --num-processes 2 \
		--timeout-multiplier "${TIMEOUT_MULTIPLIER:-1}" |
		tee "$dir/check.log"
	local ok fail skip tout xp
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/check.log" | tail -1)
	fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir/check.log" | tail -1)
	skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$dir/check.log" | tail -1)
	tout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir/check.log" | tail -1)
	xp=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$dir/check.log" | tail -1)
	if [ -z "$ok" ]; then
		echo "=== $dir: the test run did not finish"
		failed=$((failed + 1))
		return 1
	fi
	passed=$((passed + ok))
	failed=$((failed + ${fail:-0} + ${tout:-0} + ${xp:-0}))
	skipped=$((skipped + ${skip:-0}))
}

run_suite build -Dwerror=true -Db_sanitize=none
if [ "${TULPEN_SKIP_SANITIZERS:-0}" != 1 ]; then
	TIMEOUT_MULTIPLIER=3 run_suite build-asan -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
