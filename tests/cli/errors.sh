#!/bin/sh
# The command line's failure modes: a clear message naming the culprit, the
# hint to --help, the right exit code, nothing half-printed, and a quiet end on a
# closed pipe. Runs without root.
set -u
T=${TULPEN:?set TULPEN to the binary}
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1"; fail=$((fail + 1)); }

# expect NAME CODE STDERR-SUBSTRING ARGS...
expect() {
	name=$1 code=$2 msg=$3
	shift 3
	"$T" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$code" ]; then
		nok "$name: exit $rc, wanted $code"
		return
	fi
	if [ -n "$msg" ] && ! grep -qF -- "$msg" "$tmp/err"; then
		nok "$name: stderr lacks '$msg': $(cat "$tmp/err")"
		return
	fi
	ok "$name"
}

expect "unknown short option" 2 "unknown option '-z'" -tz
expect "hint shown" 2 "Try 'tulpen --help'." -tz
expect "unknown long option" 2 "unknown option '--frobnicate'" --frobnicate
expect "bad state name" 2 "unknown state 'establishd'" state establishd
expect "filter without state" 2 "needs a state name" -t state
expect "bad style" 2 "tulpen: --style: 'xml' is not table, ss or netstat" \
	--style=xml
expect "bad source" 2 "tulpen: --source: 'bpf' is not auto, netlink or proc" \
	--source=bpf
expect "help" 0 "" --help
expect "version" 0 "" --version

# A /proc table line that does not parse: skipped with one note naming the
# file and line, exit 0, the rest listed.
mkdir -p "$tmp/proc/net"
cp fixtures/proc/basic/net/* "$tmp/proc/net/"
printf '   9: 0100007F:1F90 0100007F:ZZZZ 01 x\n' >> "$tmp/proc/net/tcp6"
expect "broken proc line" 0 \
	"$tmp/proc/net/tcp6: line 5: bad local address; line skipped" \
	--source=proc --proc-root "$tmp/proc" -tan
want=$(($(wc -l < fixtures/proc/basic/net/tcp) + \
	$(wc -l < fixtures/proc/basic/net/tcp6) - 2))
if [ "$(grep -c '^tcp' "$tmp/out")" = "$want" ]; then
	ok "broken proc line: the other $want sockets listed"
else
	nok "broken proc line: $(grep -c '^tcp' "$tmp/out") rows, want $want"
fi
# A host without IPv6 tables: the family is absent, noted with -v only.
mkdir -p "$tmp/nov6/net"
cp fixtures/proc/basic/net/tcp fixtures/proc/basic/net/unix "$tmp/nov6/net/"
expect "no tcp6 table" 0 "" --source=proc --proc-root "$tmp/nov6" -tan
if [ -s "$tmp/err" ]; then
	nok "no tcp6 table: said '$(cat "$tmp/err")' without -v"
else
	ok "no tcp6 table: quiet without -v"
fi
expect "no tcp6 table, -v" 0 "$tmp/nov6/net/tcp6: absent" \
	--source=proc --proc-root "$tmp/nov6" -tan -v
expect "missing proc dir" 1 \
	"tulpen: --proc-root /nonexistent-dir: No such file or directory" \
	--source=proc --proc-root /nonexistent-dir -t
# A directory without the table asked for: the file is named.
mkdir -p "$tmp/empty"
expect "proc dir without net/tcp" 1 "$tmp/empty/net/tcp" \
	--proc-root "$tmp/empty" -t

# Out of file descriptors during the owner scan (-p): said once, with the
# number of processes not read; the listing is still printed.
sh -c "ulimit -n 5; exec \"$T\" -tap --source=proc --proc-root /proc" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c 'owners not read for [0-9]* of [0-9]* processes' "$tmp/err")" = 1 ] &&
	[ -s "$tmp/out" ]; then
	ok "fd limit during the owner scan: said once, the listing printed"
else
	nok "fd limit during the owner scan: exit $rc, said: $(cat "$tmp/err")"
fi

# A netlink recording cut short: the file, the offset and what was expected.
head -c 100 fixtures/netlink/basic.nlrec > "$tmp/cut.nlrec"
expect "cut recording" 1 \
	"$tmp/cut.nlrec: offset 4: datagram 1: 96 of its" \
	--nl-replay "$tmp/cut.nlrec" -tan
head -c 2 fixtures/netlink/basic.nlrec > "$tmp/cut2.nlrec"
expect "recording cut in a length" 1 \
	"$tmp/cut2.nlrec: offset 0: datagram 1: 2 bytes where a 4-byte length was expected" \
	--nl-replay "$tmp/cut2.nlrec" -tan
expect "not a recording" 1 "not a recording?" \
	--nl-replay fixtures/proc/basic/net/tcp -tan

# A closed pipe ends the output quietly with status 0: a large fixture
# (100,000 sockets) so that the reader is gone long before the end.
mkdir -p "$tmp/big/net"
for f in fixtures/proc/basic/net/*; do
	head -1 "$f" > "$tmp/big/net/$(basename "$f")"
done
awk 'NR > 1 { for (i = 0; i < 33334; i++) print }' \
	fixtures/proc/basic/net/tcp >> "$tmp/big/net/tcp"
for args in "-tan" "-tan --json" "-tan --ndjson" "-tan --style=ss" \
	    "-tan --style=netstat"; do
	# shellcheck disable=SC2086
	"$T" --source=proc --proc-root "$tmp/big" $args 2>"$tmp/err" |
		head -1 >/dev/null
	# POSIX sh has no PIPESTATUS: run again with the status captured
	# shellcheck disable=SC2086
	rc=$( { "$T" --source=proc --proc-root "$tmp/big" $args; \
		echo "$?" >"$tmp/rc"; } | head -1 >/dev/null; cat "$tmp/rc")
	if [ -s "$tmp/err" ]; then
		nok "closed pipe ($args): said '$(cat "$tmp/err")'"
	elif [ "$rc" != 0 ]; then
		nok "closed pipe ($args): exit $rc"
	else
		ok "closed pipe ($args): quiet, exit 0"
	fi
done

# tulpen doctor: bad values name the option; a broken recorded tree names
# the file; the status of a replayed tree is its worst finding's.
expect "doctor: bad threshold" 2 \
	"tulpen doctor: --close-wait: 'x' is not a whole number" \
	doctor --close-wait x
expect "doctor: percent out of range" 2 \
	"tulpen doctor: --ephemeral-pct: '101' is out of range (0 to 100)" \
	doctor --ephemeral-pct 101
expect "doctor: interval" 2 "tulpen doctor: --interval: '0' is out of range" \
	doctor --interval 0
expect "doctor: -N with --all-netns" 2 "exclude each other" \
	doctor -N x --all-netns
expect "doctor: stray argument" 2 "unexpected argument 'now'" doctor now
expect "doctor: missing proc root" 1 \
	"tulpen doctor: --proc-root /nonexistent-dir: No such file or directory" \
	doctor --proc-root /nonexistent-dir
cp -r fixtures/doctor/healthy "$tmp/doc"
printf '   9: 0100007F:1F90 0100007F:ZZZZ 01 x\n' >> "$tmp/doc/net/tcp"
# a line that does not parse is skipped, said on stderr (the lister's way)
expect "doctor: broken proc file" 0 "$tmp/doc/net/tcp: line 12: bad remote address; line skipped" \
	doctor --interval 10ms --proc-root "$tmp/doc"
expect "doctor: replayed pressure exits 5" 5 "" \
	doctor --interval 10ms --proc-root fixtures/doctor/memory
expect "doctor: replayed healthy tree exits 0" 0 "" \
	doctor --interval 10ms --proc-root fixtures/doctor/healthy

echo "cli errors: $pass passed, $fail failed"
[ "$fail" = 0 ]
