#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
netstat_snmp_replay.py - golden test of `tulpen -s --style=netstat`: the
/proc/net/snmp, netstat and snmp6 of a namespace with traffic
(tests/integration/snmp_traffic.py --record) replayed with --proc-root
must give what netstat -s printed from them at the same moment, byte for
byte, for each recorded variant (expected/s_6_t.out is netstat -s -6 -t).
Also: a missing snmp6 is said on stderr and -s -6 prints nothing, as
netstat does; UNIX or both families at once are refused.

FIXTURE_DIR/netstat_snmp is a namespace's recording; netstat_snmp_unique
has files made up so that every counter has its own value (netstat read
them from a tmpfs over /proc in a private mount namespace): every sentence
and histogram line netstat knows, each at its place; netstat_snmp_quirks
is made up the same way for netstat's odd corners (a histogram's indent
carried into IcmpMsg and sections netstat does not know, a section twice,
values that are no number, negative or too large, snmp6 names without a
'6').

usage: netstat_snmp_replay.py TULPEN_BINARY FIXTURE_DIR...  (TAP on stdout)
"""

import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60)


def main(argv):
    tulpen, fixes = os.path.abspath(argv[1]), argv[2:]
    checks = []
    for fix in fixes:
        for name in sorted(os.listdir(os.path.join(fix, "expected"))):
            args = ["-" + a for a in name[1:-len(".out")].split("_") if a]
            with open(os.path.join(fix, "expected", name), "rb") as f:
                want = f.read()
            checks.append(("%s: netstat -s %s" % (os.path.basename(fix),
                                                  " ".join(args)),
                           fix, ["-s", "--style=netstat"] + args, want))
    fix = fixes[0]
    tmp = tempfile.mkdtemp(prefix="snmp-replay")
    try:
        os.makedirs(os.path.join(tmp, "net"))
        for f in ("snmp", "netstat"):
            shutil.copy(os.path.join(fix, "net", f), os.path.join(tmp, "net"))
        print("1..%d" % (len(checks) + 3))
        n = 0
        for title, root, args, want in checks:
            n += 1
            p = run([tulpen, "--proc-root", root] + args)
            if p.returncode == 0 and p.stdout == want:
                print("ok %d - %s (%d lines)" % (n, title,
                                                 want.count(b"\n")))
                continue
            print("not ok %d - %s: exit %d" % (n, title, p.returncode))
            for i, (a, b) in enumerate(zip(want.split(b"\n") + [b""] * 999,
                                           p.stdout.split(b"\n"))):
                if a != b:
                    print("# line %d: netstat %r, tulpen %r" % (i + 1, a, b))
                    break
            print("# stderr: %r" % p.stderr)
        n += 1
        p = run([tulpen, "--proc-root", tmp, "-s", "--style=netstat", "-6"])
        ok = (p.returncode == 0 and p.stdout == b"" and
              b"net/snmp6: No such file" in p.stderr)
        print("%s %d - no snmp6: said, nothing printed" %
              ("ok" if ok else "not ok", n))
        for bad, fam in ((["-x"], b"unix"), (["-4", "-6"], b"inet,inet6")):
            n += 1
            p = run([tulpen, "--proc-root", fix, "-s", "--style=netstat"] +
                    bad)
            ok = p.returncode == 1 and p.stdout == b"" and fam in p.stderr
            print("%s %d - -s %s refused (%r)" %
                  ("ok" if ok else "not ok", n, " ".join(bad),
                   p.stderr.strip()))
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
