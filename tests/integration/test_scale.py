#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Correctness at scale (issue 5 item 3).

usage: test_scale.py [TULPEN POPULATION]
(default: $TULPEN and $POPULATION, or $TULPEN_BUILDDIR/bench/population)

In a private network namespace, bench/population builds more than 20,000
TCP sockets (established pairs over many 127.x.y.z addresses and ::1,
LISTEN, TIME-WAIT, FIN-WAIT-2/CLOSE-WAIT pairs) held by several processes.

1. Quiet population: `tulpen -tanp --json` must list exactly the sockets,
   states and owners (command, pid, fd) that `ss -tanp` lists. ss runs before
   and after tulpen and must agree with itself (proof of quiet).
2. Churn: the population starts opening and closing connections (TIME-WAIT
   on either side, FIN-WAIT-2/CLOSE-WAIT, resets) while tulpen runs again
   and again (-tan --json, -tanp --json, -tan --ndjson). Every run must exit
   0, every document/line must parse, every record must have a valid state,
   protocol, addresses and ports in range, no socket twice, and every socket
   of the quiet population that churn does not touch must still be there with
   the same state (and owners with -p). Churned sockets must show up (else
   the churn did not happen and the test proves nothing).

Exit 77 (skip) when not root or a tool is missing.
"""
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CONNS = 10500          # established connections: 21,000 sockets + the rest
PROCS = 4
CHURN_SECONDS = 10
TCP_STATES = {
    "ESTABLISHED", "SYN-SENT", "SYN-RECEIVED", "FIN-WAIT-1", "FIN-WAIT-2",
    "TIME-WAIT", "CLOSED", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
    "BOUND-INACTIVE",
}
# ss spellings -> RFC names
SS_STATE = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN-SENT", "SYN-RECV": "SYN-RECEIVED",
    "FIN-WAIT-1": "FIN-WAIT-1", "FIN-WAIT-2": "FIN-WAIT-2",
    "TIME-WAIT": "TIME-WAIT", "UNCONN": "CLOSED", "CLOSE-WAIT": "CLOSE-WAIT",
    "LAST-ACK": "LAST-ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
}
# Addresses the churn process uses (population.c): listener 127.6.0.1,
# clients from 127.7.x.y. The TIME-WAIT keeper: 127.2.0.1 / 127.3.x.y.
CHURN_NETS = [ipaddress.ip_network("127.6.0.0/16"),
              ipaddress.ip_network("127.7.0.0/16")]


class Fail(Exception):
    pass


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def endpoint(text):
    """'127.0.0.1:80', '[::1]:80', '*:80', '0.0.0.0:*' -> (addr, port)."""
    host, _, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%")[0]
    if host == "*":
        host = "0.0.0.0"
    port = 0 if port == "*" else int(port)
    return str(ipaddress.ip_address(host)), port


USERS_RE = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')


def ss_snapshot(ns):
    """{(state, laddr, lport, paddr, pport): frozenset(owners)} from ss."""
    out = run(["ip", "netns", "exec", ns, "ss", "-tanpH"]).stdout
    socks = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            raise Fail("ss line unparsable: %r" % line)
        state = SS_STATE.get(f[0])
        if state is None:
            raise Fail("ss state unknown: %r" % line)
        key = (state,) + endpoint(f[3]) + endpoint(f[4])
        owners = frozenset((c, int(p), int(d)) for c, p, d in
                           USERS_RE.findall(" ".join(f[5:])))
        if key in socks:
            raise Fail("ss lists %r twice" % (key,))
        socks[key] = owners
    return socks


# -- tulpen's JSON records (fields as lib/fmt_json.c writes them) ----------

def _endpoint(o, side, family):
    v = o.get(side)
    if not isinstance(v, dict):
        raise Fail("record without %s endpoint: %r" % (side, o))
    addr, port = v.get("address"), v.get("port")
    if not isinstance(port, int) or isinstance(port, bool) \
            or not 0 <= port <= 65535:
        raise Fail("record with bad %s port: %r" % (side, o))
    if not isinstance(addr, str):
        raise Fail("record with bad %s address: %r" % (side, o))
    try:
        ip = ipaddress.ip_address(addr.split("%")[0])
    except ValueError:
        raise Fail("record with bad %s address %r: %r" % (side, addr, o))
    if ip.version != {"inet": 4, "inet6": 6}.get(family):
        raise Fail("%s address %s does not match family %r: %r"
                   % (side, addr, family, o))
    return str(ip), port


def _owners(o, want):
    lst = o.get("processes")
    if not want:
        if lst is not None:
            raise Fail("processes without -p: %r" % o)
        return None
    if not isinstance(lst, list):
        raise Fail("record without processes list under -p: %r" % o)
    res = set()
    for p in lst:
        name, pid, fd = p.get("command"), p.get("pid"), p.get("fd")
        if not isinstance(name, str) or not isinstance(pid, int) \
                or not isinstance(fd, int) or pid <= 0 or fd < 0:
            raise Fail("bad owner %r in %r" % (p, o))
        res.add((name, pid, fd))
    if len(res) != len(lst):
        raise Fail("an owner listed twice: %r" % o)
    return frozenset(res)


def tulpen_record(o, want_owners):
    """Validate one record; return (key, owners or None)."""
    if not isinstance(o, dict):
        raise Fail("record is not an object: %r" % (o,))
    if o.get("proto") != "tcp":
        raise Fail("record is not tcp with -t: %r" % o)
    family = o.get("family")
    if family not in ("inet", "inet6"):
        raise Fail("record with bad family: %r" % o)
    state = o.get("state")
    if state not in TCP_STATES:
        raise Fail("record with bad state: %r" % o)
    for k in ("recv_q", "send_q", "uid", "inode"):
        v = o.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise Fail("record with bad %s: %r" % (k, o))
    key = (state,) + _endpoint(o, "local", family) + \
        _endpoint(o, "peer", family)
    return key, _owners(o, want_owners)


def tulpen_snapshot(ns, tulpen, args, ndjson=False):
    r = run(["ip", "netns", "exec", ns, tulpen] + args, check=False)
    if r.returncode != 0:
        raise Fail("tulpen %s exited %d: %s" % (" ".join(args),
                                                r.returncode,
                                                r.stderr[-2000:]))
    if ndjson:
        recs = []
        for i, line in enumerate(r.stdout.splitlines(), 1):
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise Fail("ndjson line %d does not parse (%s): %r"
                           % (i, e, line[:200]))
    else:
        try:
            recs = json.loads(r.stdout)
        except ValueError as e:
            raise Fail("--json output does not parse: %s" % e)
        if not isinstance(recs, list):
            raise Fail("--json output is not an array")
    socks = {}
    want = any(a.startswith("-") and not a.startswith("--") and "p" in a
               for a in args)
    for o in recs:
        key, owners = tulpen_record(o, want)
        if key in socks:
            raise Fail("tulpen lists %r twice" % (key,))
        socks[key] = owners
    return socks


def churned(key):
    for a in (key[1], key[3]):
        ip = ipaddress.ip_address(a)
        if any(ip in n for n in CHURN_NETS):
            return True
    return False


def main():
    if len(sys.argv) == 3:
        tulpen, population = sys.argv[1], sys.argv[2]
    elif len(sys.argv) == 1:
        tulpen = os.environ.get("TULPEN", "build/cli/tulpen")
        population = os.environ.get("POPULATION") or os.path.join(
            os.environ.get("TULPEN_BUILDDIR", "build"), "bench",
            "population")
    else:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        skip("needs root (network namespaces)")
    for t in ("ip", "ss"):
        if not shutil.which(t):
            skip("%s not installed" % t)
    for b in (tulpen, population):
        if not os.access(b, os.X_OK):
            skip("%s not built" % b)

    ns = "tulpen-scale-%d" % os.getpid()
    tmp = tempfile.mkdtemp(prefix="tulpen-scale-")
    ready = os.path.join(tmp, "ready")
    pop = None
    try:
        run(["ip", "netns", "add", ns])
        pop = subprocess.Popen(
            ["ip", "netns", "exec", ns, population, "-n", str(CONNS),
             "-P", str(PROCS), "-q", "-w", "500", "-f", "300", "-u", "100",
             "-C", "1500", "-R", "3000", "-r", ready],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (os.path.exists(ready) and os.path.getsize(ready)):
            if pop.poll() is not None:
                raise Fail("population failed: " + pop.stderr.read())
            if time.monotonic() > deadline:
                raise Fail("population not ready after 60 s")
            time.sleep(0.1)
        with open(ready) as f:
            info = dict(kv.split("=", 1) for kv in f.read().split()[1:])
        print("population: " + " ".join("%s=%s" % kv for kv in info.items()))
        if int(info["tcp_sockets"]) < 20000:
            raise Fail("population too small")

        # 1. quiet: tulpen == ss, sockets, states and owners
        before = ss_snapshot(ns)
        tp = tulpen_snapshot(ns, tulpen, ["-tanp", "--json"])
        after = ss_snapshot(ns)
        if before != after:
            raise Fail("population not quiet: ss differs from itself")
        if len(before) < 20000:
            raise Fail("ss sees only %d sockets" % len(before))
        missing = set(before) - set(tp)
        extra = set(tp) - set(before)
        if missing or extra:
            raise Fail("socket sets differ: %d only in ss (e.g. %r), %d "
                       "only in tulpen (e.g. %r)" % (
                           len(missing), sorted(missing)[:3], len(extra),
                           sorted(extra)[:3]))
        bad = [k for k in before if tp[k] is not None and tp[k] != before[k]
               or tp[k] is None and before[k]]
        if bad:
            k = bad[0]
            raise Fail("owners differ for %d sockets, e.g. %r: ss %r, "
                       "tulpen %r" % (len(bad), k, sorted(before[k]),
                                      sorted(tp[k] or ())))
        owned = sum(1 for k in before if before[k])
        print("quiet: %d sockets, %d with owners: tulpen == ss -tanp"
              % (len(before), owned))
        # TIME-WAIT sockets end 60 s after they were made: not stable
        stable = {k: v for k, v in before.items()
                  if not churned(k) and k[0] != "TIME-WAIT"}

        # 2. churn
        os.kill(int(info["pid"]), signal.SIGUSR1)
        time.sleep(0.5)
        runs = 0
        skips = 0
        seen_churn = set()
        variants = [(["-tan", "--json"], False, False),
                    (["-tanp", "--json"], False, True),
                    (["-tan", "--ndjson"], True, False)]
        end = time.monotonic() + CHURN_SECONDS
        while time.monotonic() < end or runs < 3:
            args, nd, own = variants[runs % len(variants)]
            got = tulpen_snapshot(ns, tulpen, args, ndjson=nd)
            runs += 1
            lost = [k for k in stable if k not in got]
            if lost:
                # A sock_diag dump is not atomic: the kernel resumes each
                # datagram at a position counted within a hash bucket, so
                # a churned socket leaving that bucket between two
                # datagrams can make the dump (ss's as well) skip a
                # neighbour. Seen about once in ten runs. Ask again at
                # once: a socket tulpen itself drops is lost again.
                skips += 1
                print("note: tulpen %s missed %d stable sockets (e.g. %r); "
                      "asking again" % (" ".join(args), len(lost),
                                        sorted(lost)[:1]))
                got = tulpen_snapshot(ns, tulpen, args, ndjson=nd)
                lost = [k for k in stable if k not in got]
            if lost:
                raise Fail("under churn, tulpen %s lost %d stable sockets "
                           "twice in a row, e.g. %r" % (
                               " ".join(args), len(lost), sorted(lost)[:3]))
            if own:
                wrong = [k for k in stable if got[k] != stable[k] and
                         not (got[k] is None and not stable[k])]
                if wrong:
                    k = wrong[0]
                    raise Fail("under churn, owners of %d stable sockets "
                               "differ, e.g. %r: %r vs %r" % (
                                   len(wrong), k, sorted(got[k] or ()),
                                   sorted(stable[k])))
            seen_churn |= {k[0] for k in got if churned(k)}
        if pop.poll() is not None:
            raise Fail("population died during churn: " + pop.stderr.read())
        if not {"ESTABLISHED", "TIME-WAIT"} <= seen_churn:
            raise Fail("churn not visible (states seen: %r)"
                       % sorted(seen_churn))
        if skips > 1:
            raise Fail("%d runs under churn missed stable sockets: more "
                       "than the kernel's rare dump skip" % skips)
        print("churn: %d tulpen runs in %d s, all valid (%d asked again); "
              "churned states seen: %s" % (runs, CHURN_SECONDS, skips,
                                           " ".join(sorted(seen_churn))))
        print("PASS")
        return 0
    except (Fail, subprocess.CalledProcessError) as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        if pop is not None and pop.poll() is None:
            # ip netns exec has become the population: SIGTERM ends it
            pop.terminate()
            try:
                pop.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pop.kill()
                pop.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
