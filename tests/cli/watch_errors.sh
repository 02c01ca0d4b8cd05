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

expect "unknown option" 2 "tulpen watch: unknown option '--bogus'" --bogus
expect "unknown short option" 2 "tulpen watch: unknown option '-x'" -x
expect "usage hint" 2 "Try 'tulpen watch --help'." --bogus
expect "missing argument" 2 "tulpen watch: --interval: needs an argument" \
	--interval
expect "bad state" 2 "tulpen watch: state: unknown state 'nosuch'" \
	state nosuch
# the filter words are the lister's language (docs/filters.md)
expect "filter without value" 2 \
	"tulpen watch: filter: expected a port after 'port', column 6" port
expect "state without value" 2 "filter 'state' needs a value" state
expect "unknown filter" 2 "tulpen watch: filter: unexpected 'hots', column 13" \
	dport = :22 hots 1.2.3.4
expect "capture words" 2 "'midstream' selects captured connections" \
	midstream
expect "bad port" 2 \
	"tulpen watch: filter: port 70000 is out of range (0 to 65535)" \
	port 70000
expect "not a port" 2 "tulpen watch: filter: 'x1' is not a port" dport x1
expect "negative port" 2 "unknown option '-1'" sport -1
expect "bad interval" 2 \
	"--interval: 'abc' is not a duration (seconds, or 500ms, 2s, 1.5m)" \
	--interval abc
expect "too short interval" 2 "--interval: '0' is out of range (10ms to 365d)" \
	--interval 0
expect "bad summary" 2 "--summary-every: '1x' is not a duration" \
	--summary-every 1x
expect "option without argument" 2 "tulpen watch: --json: takes no argument" \
	--json=1
expect "interval in ms" 1 "tulpen watch: --netns /nonexistent/ns" \
	--interval 500ms --netns /nonexistent/ns
expect "bad source" 2 "--source: 'kprobe' is not auto, bpf or sampled" \
	--source=kprobe
expect "bad ring size" 2 "--ringbuf-mb: '0' is out of range (1 to 1024)" \
	--ringbuf-mb 0
expect "bad part" 2 "--bpf-without: unknown part 'kprobe'" \
	--bpf-without accept,kprobe
expect "missing netns" 1 "tulpen watch: --netns /nonexistent/ns: No such file" \
	--netns /nonexistent/ns --duration 0.1

# ok NAME CONDITION-COMMAND...
ok() {
	name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
	fi
}

# --help: on stdout, exit 0, every long option of the source listed.
"$T" watch --help >"$tmp/help" 2>"$tmp/err"
ok "help exits 0" [ $? = 0 ]
ok "help on stdout only" [ ! -s "$tmp/err" ]
ok "help usage line" grep -q "^Usage: tulpen watch" "$tmp/help"
src=${TULPEN_SRCDIR:-$(dirname "$0")/../..}/cli/cmd_watch.c
opts=$(sed -n 's/^	{ *"\([a-z0-9-]*\)", .*/\1/p' "$src")
ok "option table found" [ -n "$opts" ]
for o in $opts; do
	ok "help lists --$o" grep -q -- "--$o" "$tmp/help"
done
"$T" watch -h >"$tmp/h2" 2>/dev/null
ok "-h is --help" cmp -s "$tmp/help" "$tmp/h2"

# --version: "tulpen VERSION" on stdout, exit 0.
"$T" watch --version >"$tmp/ver" 2>"$tmp/err"
ok "version exits 0" [ $? = 0 ]
ok "version text" grep -qx "tulpen [0-9][0-9.]*[^ ]*" "$tmp/ver"
ok "version on stdout only" [ ! -s "$tmp/err" ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
