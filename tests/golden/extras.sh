#!/bin/sh
# Golden tests of the sock_diag extras (-i, -m, -e, -o, --tos) over a dump
# recorded in a private network namespace with TCP connections that sent
# data both ways (IPv4, IPv6, bbr and reno), a UDP socket and a UNIX
# listener: fixtures/netlink/extras.nlrec, made with
#   tulpen -tuxa -i -m -e -o --tos --style=ss -O -n --nl-record FILE
# while `ss -tuxaimeoO --tos -n` printed the same fields for the same
# sockets (tests/integration/test_tcp_internals.py checks that live).
# UPDATE_GOLDEN=1 rewrites the expected files.
set -u
T=${TULPEN:?set TULPEN to the binary}
cd "$(dirname "$0")/.." || exit 1
NL="--nl-replay fixtures/netlink/extras.nlrec --source=netlink -tuxa -n"
pass=0
fail=0

check() {
	name=$1
	shift
	out=$("$T" "$@" 2>&1)
	rc=$?
	printf '%s\n[exit %d]\n' "$out" "$rc" > "golden/$name.actual"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		mv "golden/$name.actual" "golden/$name.out"
	fi
	if cmp -s "golden/$name.actual" "golden/$name.out" 2>/dev/null ||
	   [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		echo "ok - $name"
		pass=$((pass + 1))
		rm -f "golden/$name.actual"
	else
		echo "not ok - $name: output differs from golden/$name.out:"
		diff -u "golden/$name.out" "golden/$name.actual" | head -40
		fail=$((fail + 1))
	fi
}

# every record of the replay carries what -i -m -e -o --tos asked for
check nl_extras_ss_O $NL -i -m -e -o --tos --style=ss -O
check nl_extras_ss $NL -i -m -e -o --style=ss
check nl_extras_ss_i $NL -i --style=ss -H
check nl_extras_ss_m $NL -m --style=ss -H
check nl_extras_table $NL -i -m
check nl_extras_json $NL -i -m --tos --json

echo "golden extras: $pass passed, $fail failed"
[ "$fail" = 0 ]
