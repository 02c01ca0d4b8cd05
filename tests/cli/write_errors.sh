#!/bin/sh
# Output that cannot be written is never a silent success: every command
# and layout writing to a full device (/dev/full) says so on standard error
# and exits non-zero. Runs without root (tulpen watch then samples netlink).
set -u
T=${TULPEN:?set TULPEN to the binary}
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1"; fail=$((fail + 1)); }
err=$(mktemp)
trap 'rm -f "$err"' EXIT

full() {
	name=$1
	shift
	"$@" >/dev/full 2>"$err"
	rc=$?
	if [ "$rc" = 0 ]; then
		nok "$name: exit 0 writing to /dev/full"
	elif ! grep -q "No space left on device" "$err"; then
		nok "$name: exit $rc, but stderr does not say why: $(cat "$err")"
	else
		ok "$name: exit $rc, said so"
	fi
}

P=fixtures/pcap/client-close.pcap
R="--source=proc --proc-root fixtures/proc/basic"
for args in "-tan" "-tan --json" "-tan --ndjson" "-tan --style=ss" \
	    "-tan --style=netstat" "-xa" "-s" "-s --json"; do
	# shellcheck disable=SC2086
	full "list $args" "$T" $R $args
done
full "explain" "$T" explain
full "explain --dot" "$T" explain --dot
full "explain --json" "$T" explain --json
full "explain LISTEN" "$T" explain --proc-root fixtures/explain/proc listen
for args in "" "-v" "--json" "--ndjson" "-s" "-s --json" "--format zeek" \
	    "--format zeek-json"; do
	# shellcheck disable=SC2086
	full "pcap $args" "$T" pcap $args "$P"
done
full "pcap from stdin" sh -c "\"$T\" pcap - < $P"
full "watch" "$T" watch --duration 0.3
full "watch --json" "$T" watch --duration 0.3 --json
full "watch --ndjson" "$T" watch --duration 0.3 --ndjson
for c in "" explain pcap watch serve; do
	# shellcheck disable=SC2086
	full "$c --help" "$T" $c --help
	# shellcheck disable=SC2086
	full "$c --version" "$T" $c --version
done
full "help pcap" "$T" help pcap

echo "write errors: $pass passed, $fail failed"
[ "$fail" = 0 ]
