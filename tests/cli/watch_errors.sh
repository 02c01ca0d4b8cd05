#!/bin/sh
# `tulpen watch`'s command line: a clear message naming the culprit, the
# usage, exit 2 for usage errors and 1 for runtime errors, nothing on
# stdout. Runs without root (nothing here reaches the kernel's eBPF).
set -u
T=${TULPEN:?set TULPEN to the binary}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME CODE STDERR-SUBSTRING ARGS...
expect() {
	name=$1 code=$2 msg=$3
	shift 3
	"$T" watch "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$code" ]; then
		echo "not ok - $name: exit $rc, wanted $code: $(cat "$tmp/err")"
		fail=$((fail + 1))
	elif ! grep -qF -- "$msg" "$tmp/err"; then
		echo "not ok - $name: stderr lacks '$msg': $(cat "$tmp/err")"
		fail=$((fail + 1))
	elif [ -s "$tmp/out" ]; then
		echo "not ok - $name: printed on stdout: $(head -c 200 "$tmp/out")"
		fail=$((fail + 1))
	else
		echo "ok - $name"
		pass=$((pass + 1))
	fi
}

expect "unknown option" 2 "unknown or incomplete option '--bogus'" --bogus
expect "unknown short option" 2 "unknown option '-x'" -x
expect "usage shown" 2 "usage: tulpen watch" --bogus
expect "bad state" 2 "unknown state 'nosuch'" state nosuch
expect "filter without value" 2 "filter 'port' needs a value" port
expect "unknown filter" 2 "unknown filter 'host'" host 1.2.3.4
expect "bad port" 2 "port: bad number '70000'" port 70000
expect "negative port" 2 "unknown option '-1'" sport -1
expect "bad interval" 2 "--interval: bad number of seconds 'abc'" \
	--interval abc
expect "too short interval" 2 "--interval: bad number of seconds '0'" \
	--interval 0
expect "bad summary" 2 "--summary-every: bad number of seconds '1x'" \
	--summary-every 1x
expect "bad source" 2 "--source: 'kprobe' is not auto, bpf or sampled" \
	--source=kprobe
expect "bad ring size" 2 "--ringbuf-mb: from 1 to 1024" --ringbuf-mb 0
expect "missing netns" 1 "--netns /nonexistent/ns: No such file" \
	--netns /nonexistent/ns --duration 0.1

# --help: usage on stdout, exit 0
if "$T" watch --help 2>/dev/null | grep -q "usage: tulpen watch"; then
	echo "ok - help"
	pass=$((pass + 1))
else
	echo "not ok - help"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
