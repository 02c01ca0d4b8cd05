#!/bin/sh
# Golden tests: every output layout over recorded data (a /proc fixture and
# a recorded netlink dump, both made from a real kernel in a private
# network namespace). UPDATE_GOLDEN=1 rewrites the expected files.
set -u
T=${TULPEN:?set TULPEN to the binary}
cd "$(dirname "$0")/.." || exit 1
PROC="--proc-root fixtures/proc/basic --source=proc"
NL="--nl-replay fixtures/netlink/basic.nlrec --source=netlink"
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

check proc_table $PROC -tuxan
check proc_table_eo $PROC -tuxaneo
check proc_listen $PROC -tuln
check proc_json $PROC -tuxan --json
check proc_ndjson $PROC -tuxan --ndjson
check proc_netstat $PROC -tuxan --style=netstat -e -o
check proc_ss $PROC -tuxan --style=ss -e -o
check proc_state_filter $PROC -tan state close-wait state fin-wait-2
check proc_exclude $PROC -tan exclude listening -H
check proc_v6 $PROC -6 -tuan
check proc_summary $PROC -s
check proc_summary_json $PROC -s --json
check nl_table $NL -tuxan
check nl_json $NL -tuxan --json
check nl_ss $NL -tuxan --style=ss -e
# netlink and packet sockets (recorded in a private netns; numeric, so
# that no process name is looked up at replay time)
FAM="--nl-replay fixtures/families/families.nlrec --source=netlink"
check families_ss $FAM -a -A netlink,packet -n --style=ss
check families_table $FAM -a -A netlink,packet -n
check nl_netstat $NL -tuxan --style=netstat -e
# The sock_diag extras (-i, -m, -e, -o, --tos) over a dump recorded in a
# private network namespace with TCP connections that sent data both ways
# (IPv4, IPv6, bbr and reno), a UDP socket and a UNIX listener, made with
#   tulpen -tuxa -i -m -e -o --tos --style=ss -O -n --nl-record FILE
# while `ss -tuxaimeoO --tos -n` printed the same fields for the same
# sockets (tests/integration/test_tcp_internals.py checks that live).
EXT="--nl-replay fixtures/netlink/extras.nlrec --source=netlink -tuxa -n"
check nl_extras_ss_O $EXT -i -m -e -o --tos --style=ss -O
check nl_extras_ss $EXT -i -m -e -o --style=ss
check nl_extras_ss_i $EXT -i --style=ss -H
check nl_extras_ss_m $EXT -m --style=ss -H
check nl_extras_table $EXT -i -m
check nl_extras_json $EXT -i -m --tos --json

echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
