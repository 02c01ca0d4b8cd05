#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_replay.py - golden tests of the lister over recorded data; no root.

For every directory tests/fixtures/proc/CASE/ holding net/{tcp,...,unix}
(recorded by `sockstates.py --record` inside the private namespace with
every TCP state held) and expected.json (what `ss` showed for the same
sockets at the same moment), run

    tulpen --proc-root CASE --source=proc -tuwxaen --json

and compare it with expected.json. A directory with error.json instead
holds a deliberately broken file: tulpen must skip the line, name the file
and line from error.json in one note on stderr, exit 0 and list every
other socket of that file (counted from the file itself).

If tests/fixtures/netlink/CASE.nlrec exists (recorded in the same moment
with `tulpen --nl-record`), the netlink source is replayed from it
(--nl-replay) and compared with expected.json too.

usage: test_replay.py [--tap] [TULPEN_BINARY [FIXTURE_DIR]]
       (defaults: $TULPEN, tests/fixtures)
Output is TAP. Python stdlib only.
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lister_common as L  # noqa: E402 (test_lister.py's helpers)

Fail = L.Fail


def expected_recs(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for d in doc:
        if d["proto"] == "unix":
            out.append(L.Rec(proto="unix", family="unix", state=d["state"],
                             rq=d["recv_q"], sq=d["send_q"],
                             inode=d["inode"], utype=d["unix_type"],
                             path=d["path"], peer_inode=d["peer_inode"]))
            continue
        fam = d["family"]
        out.append(L.Rec(proto=d["proto"], family=fam, state=d["state"],
                         local=(L.canon_host(d["local"][0], fam),
                                L.canon_port(d["local"][1])),
                         peer=(L.canon_host(d["peer"][0], fam),
                               L.canon_port(d["peer"][1])),
                         rq=d["recv_q"], sq=d["send_q"], uid=d["uid"],
                         inode=d["inode"], iface=d.get("interface")))
    return out


def run(args):
    p = subprocess.run([L.TULPEN] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    return p


def tulpen_recs(args):
    p = run(args + ["--json"])
    if p.returncode != 0:
        raise Fail("`tulpen %s --json` exited %d: %s" %
                   (" ".join(args), p.returncode, p.err.strip()[:400]))
    try:
        doc = json.loads(p.out)
    except ValueError as e:
        raise Fail("--json does not parse: %s" % e)
    return [L.rec_from_tulpen(o) for o in doc]


def proc_skip(r, f):
    """What a /proc/net reader cannot know, though ss (netlink) shows it:
    a listener's Send-Q (its backlog; /proc/net/tcp says 0) and the
    queues and peer of a UNIX socket (not in /proc/net/unix)."""
    if r.proto == "tcp" and r.state == "LISTEN" and f == "sq":
        return True
    if r.proto == "unix" and f in ("rq", "sq", "peer_inode", "uid"):
        return True
    return False


def cases_for(case_dir, name):
    tests = []
    exp = os.path.join(case_dir, "expected.json")
    err = os.path.join(case_dir, "error.json")
    base = ["--proc-root", case_dir, "--source=proc", "-tuwxaen"]

    if os.path.exists(exp):
        def got_want():
            want = expected_recs(exp)
            got = L.cached("replay-" + name, lambda: tulpen_recs(base))
            return L.set_diff(got, want, "tulpen", "expected.json")

        def t_set():
            got_want()

        def t_fields(fields):
            def t():
                g, w = got_want()
                n = L.field_diff(g, w, fields, "tulpen", "expected.json",
                                 skip=proc_skip)
                if not n:
                    raise Fail("nothing compared")
            return t

        tests += [
            ("%s: same sockets as ss showed" % name, t_set),
            ("%s: states" % name, t_fields(("state",))),
            ("%s: Recv-Q/Send-Q" % name, t_fields(("rq", "sq"))),
            ("%s: uid and inode" % name, t_fields(("uid", "inode"))),
            ("%s: UNIX type and path" % name, t_fields(("utype", "path"))),
        ]

        def t_every_state():
            g, _ = got_want()
            have = {r.state for r in g.values() if r.proto == "tcp"}
            miss = [s for s in L.S.TCP_STATES if s not in have]
            if miss:
                raise Fail("no TCP socket in %s" % ", ".join(miss))
        tests.append(("%s: every TCP state present" % name, t_every_state))

        def t_table():
            p = run(["--proc-root", case_dir, "--source=proc", "-tan"])
            if p.returncode != 0:
                raise Fail("exit %d: %s" % (p.returncode, p.err[:300]))
            with open(exp) as f:
                v6 = {d["local"][0] for d in json.load(f)
                      if d.get("family") == "inet6" and
                      d["local"][0] not in ("*", "::")}
            long6 = [a for a in v6 if len(a) > 20]
            for a in long6:
                if not re.search(r"\[%s\]:\d+" % re.escape(a), p.out):
                    raise Fail("IPv6 address %s not shown in full as "
                               "[addr]:port:\n%s" % (a, p.out[:1000]))
            if not long6:
                raise Fail("fixture has no long IPv6 address")
        tests.append(("%s: table shows long IPv6 addresses in full" % name,
                      t_table))

        nl = os.path.join(os.path.dirname(os.path.dirname(case_dir)),
                          "netlink", name + ".nlrec")
        if os.path.exists(nl):
            def nl_got_want():
                # Replayed with the options it was recorded with. RAW is
                # left out: the recording kernel had no raw_diag, and a
                # netlink replay cannot fall back to /proc.
                want = [r for r in expected_recs(exp) if r.proto != "raw"]
                args = [a for a in L.S.NL_RECORD_ARGS if a != "--json"]
                got = L.cached("nl-" + name, lambda: tulpen_recs(
                    ["--nl-replay", nl] + args))
                got = [r for r in got if r.proto != "raw"]
                return L.set_diff(got, want, "tulpen --nl-replay",
                                  "expected.json")

            def t_nl_set():
                nl_got_want()

            def t_nl_fields(fields):
                def t():
                    g, w = nl_got_want()
                    # ss prints no uid for UNIX sockets: nothing to
                    # compare netlink's UNIX_DIAG_UID with.
                    L.field_diff(g, w, fields, "tulpen --nl-replay",
                                 "expected.json",
                                 skip=lambda r, f: r.proto == "unix" and
                                 f == "uid")
                return t
            def t_nl_iface():
                # The dump holds interface indexes only; their names are
                # the replaying host's, so only presence can be checked.
                g, w = nl_got_want()
                bad = ["%s: interface %r, expected.json says %r" %
                       (w[k].show(), g[k].iface, w[k].iface)
                       for k in w if bool(g[k].iface) != bool(w[k].iface)]
                if not any(r.iface for r in w.values()):
                    raise Fail("expected.json has no scoped socket")
                if bad:
                    raise Fail("\n".join(bad))

            tests += [
                ("%s: netlink replay: same sockets as ss showed" % name,
                 t_nl_set),
                ("%s: netlink replay: states" % name,
                 t_nl_fields(("state",))),
                ("%s: netlink replay: Recv-Q/Send-Q" % name,
                 t_nl_fields(("rq", "sq"))),
                ("%s: netlink replay: uid and inode" % name,
                 t_nl_fields(("uid", "inode"))),
                ("%s: netlink replay: UNIX type, path, peer" % name,
                 t_nl_fields(("utype", "path", "peer_inode"))),
                ("%s: netlink replay: scoped/bound sockets have an "
                 "interface" % name, t_nl_iface),
            ]

    if os.path.exists(err):
        with open(err) as f:
            e = json.load(f)

        def t_err():
            table = os.path.join(case_dir, e["file"])
            with open(table) as f:
                rows = [ln for ln in f.read().split("\n")[1:] if ln.strip()]
            want = len(rows) - 1  # every line but the broken one
            tname = os.path.basename(e["file"])
            proto = tname.rstrip("6")
            fam = "unix" if proto == "unix" else (
                "inet6" if tname.endswith("6") else "inet")
            for fmt in (["--json"], ["--ndjson"], []):
                p = run(base + fmt)
                bad = []
                if p.returncode != 0:
                    bad.append("exit %d, expected 0" % p.returncode)
                if e["file"] not in p.err:
                    bad.append("stderr does not name %s" % e["file"])
                if not re.search(r"(line\s*%d\b|:%d\b)" % (e["line"],
                                                          e["line"]),
                                 p.err):
                    bad.append("stderr does not name line %d" % e["line"])
                if len(p.err.strip().split("\n")) != 1:
                    bad.append("not one note")
                if fmt:
                    if fmt == ["--json"]:
                        doc = json.loads(p.out)
                    else:
                        doc = [json.loads(ln) for ln in p.out.splitlines()]
                    got = len([d for d in doc if d["proto"] == proto and
                               d.get("family", "unix") == fam])
                    if got != want:
                        bad.append("%d %s sockets listed, the file holds "
                                   "%d that parse" % (got, tname, want))
                elif len(p.out.splitlines()) < want:
                    bad.append("the table shows fewer than %d rows" % want)
                if bad:
                    raise Fail("`tulpen %s`: %s; stderr: %r" %
                               (" ".join(base + fmt), "; ".join(bad),
                                p.err[:300]))
        tests.append(("%s: %s line %d skipped with a note, exit 0, the rest "
                      "listed" % (name, e["file"], e["line"]), t_err))
    return tests


def main(argv):
    tap = False
    if argv and argv[0] == "--tap":
        tap = True
        argv = argv[1:]
    if not argv and os.environ.get("TULPEN"):
        argv = [os.environ["TULPEN"]]
    if len(argv) == 1:
        argv.append(os.path.join(os.path.dirname(os.path.abspath(
            __file__)), "..", "fixtures"))
    if len(argv) != 2:
        print("usage: test_replay.py [--tap] [TULPEN_BINARY [FIXTURE_DIR]]"
              " (default: $TULPEN, tests/fixtures)", file=sys.stderr)
        return 2
    L.TULPEN = os.path.abspath(argv[0])
    root = os.path.join(os.path.abspath(argv[1]), "proc")
    if not os.access(L.TULPEN, os.X_OK):
        print("1..0 # SKIP tulpen binary %s not found" % L.TULPEN)
        return 0 if tap else 77
    tests = []
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if os.path.isdir(os.path.join(d, "net")):
            tests += cases_for(d, name)
    failed = 0
    for n, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (n, name))
        except Fail as e:
            failed += 1
            print("not ok %d - %s" % (n, name))
            for line in str(e).splitlines():
                print("#   " + line)
        except Exception as e:
            failed += 1
            print("not ok %d - %s" % (n, name))
            print("#   test error: %s: %s" % (type(e).__name__, e))
    print("1..%d" % len(tests))
    # Under TAP the "not ok" lines carry the verdict.
    return 0 if tap or not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
