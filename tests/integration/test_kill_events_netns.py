#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_kill_events_netns.py - -K and -E in a network namespace named with
-N, and -E over every namespace (--all-netns), in two private namespaces
this test makes (kn<pid>a, kn<pid>b). Each holds the same sockets on the
same port: a listener and both ends of a connection, in a helper process
started there. The expectations come from the kernel: ss -N NAME after
-K, the peer's own socket (it sees the abort), and for -E the ends the
helpers close.

- -K -N A 'sport = :P or dport = :P' closes A's three sockets (ss -N A
  lists none, A's client sees the abort) and none of B's (ss -N B lists
  all three, B's client reads on);
- -E -N A reports A's ends and none of B's, each labelled A;
- -E --all-netns reports both namespaces' ends, each with its own
  namespace's name;
- -K --all-netns refuses (exit 2).

usage: test_kill_events_netns.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import json
import os
import signal
import subprocess
import sys
import time

PY = "/usr/bin/python3"
NS = ["kn%da" % os.getpid(), "kn%db" % os.getpid()]
PORT = 41000 + os.getpid() % 2000
QPORT = PORT + 1
T = None
results = []

HELPER = r'''
import errno, json, socket, sys
def trio(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen()
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = l.accept()
    return l, c, a
k = trio(int(sys.argv[1]))      # for -K
e = trio(int(sys.argv[2]))      # for -E
print(json.dumps({"kclient": k[1].getsockname()[1],
                  "eclient": e[1].getsockname()[1]}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "probe":          # did -K abort our client?
        k[1].settimeout(0.3)
        try:
            k[1].recv(1)
            r = "open-eof"
        except socket.timeout:
            r = "open"
        except OSError as x:
            r = errno.errorcode.get(x.errno, str(x.errno))
        print(json.dumps({"probe": r}), flush=True)
    elif cmd == "close":        # the -E ends: client first, then the rest
        e[1].close(); e[2].close(); e[0].close()
        print(json.dumps({"closed": True}), flush=True)
'''


def tap(ok, name, diag=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if diag and not ok:
        for ln in diag.splitlines():
            print("# " + ln)
    sys.stdout.flush()


def run(*cmd, check=False):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          check=check)


def ss_ports(ns, port):
    """(local port, peer port) of ns's TCP sockets on @port, as ss -N
    sees them."""
    out = run("ss", "-N", ns, "-tanH", "sport = :%d or dport = :%d" %
              (port, port)).stdout
    got = set()
    for ln in out.splitlines():
        f = ln.split()
        got.add((int(f[3].rsplit(":", 1)[1]),
                 0 if f[4].endswith(":*") else int(f[4].rsplit(":", 1)[1])))
    return got


class Helper:
    def __init__(self, ns):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c",
                                   HELPER, str(PORT), str(QPORT)],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.p.stdout.readline())

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def subscribed(ns):
    """Whether a sock_diag socket of ns listens to destroy groups (ss -e
    shows a tcpdiag row with groups other than 0)."""
    out = run("ss", "-N", ns, "-a", "-A", "netlink", "-e", "-H").stdout
    return any("tcpdiag:" in ln and "groups=0x00000000" not in ln
               for ln in out.splitlines())


def events(args, namespaces, helpers):
    """tulpen -E ARGS --ndjson on QPORT, until the helpers' ends are
    reported: the records."""
    ev = subprocess.Popen([T, "-E", "-t", "-n", "--ndjson"] + args +
                          ["sport = :%d or dport = :%d" % (QPORT, QPORT)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    deadline = time.time() + 10
    while time.time() < deadline and \
            not all(subscribed(n) for n in namespaces):
        time.sleep(0.1)
    for h in helpers:
        h.ask("close")
    time.sleep(0.5)
    ev.send_signal(signal.SIGINT)
    out, err = ev.communicate(timeout=10)
    recs = [json.loads(x) for x in out.splitlines() if x.strip()]
    return ev.returncode, recs, err


def want_ends(h):
    c = h.info["eclient"]
    return {(c, QPORT), (QPORT, c)}


def main(argv):
    global T
    args = [a for a in argv[1:] if a != "--tap"]
    T = os.path.abspath(args[-1] if args else os.environ["TULPEN"])
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespaces)")
        return 0
    print("1..7")
    helpers = []
    try:
        for n in NS:
            run("ip", "netns", "add", n, check=True)
            run("ip", "netns", "exec", n, "ip", "link", "set", "lo", "up",
                check=True)
            helpers.append(Helper(n))
        a, b = NS
        before_a, before_b = ss_ports(a, PORT), ss_ports(b, PORT)

        # an end whose peer was closed first is gone by its turn (the
        # peer's reset): at least the listener and one end are reported
        r = run(T, "-K", "-N", a, "-a", "-n", "--json",
                "sport = :%d or dport = :%d" % (PORT, PORT))
        closed = {(s["local"]["port"], s["peer"]["port"])
                  for s in json.loads(r.stdout or "[]")}
        tap(r.returncode == 0 and ss_ports(a, PORT) == set() and
            len(before_a) == 3 and len(closed) >= 2 and closed <= before_a,
            "-K -N A: A's three sockets closed, as ss -N A sees",
            "exit %d %s; closed %r; ss -N A %r; A had %r" %
            (r.returncode, r.stderr, closed, ss_ports(a, PORT), before_a))
        tap(ss_ports(b, PORT) == before_b and len(before_b) == 3,
            "-K -N A: B's sockets on the same port all there (ss -N B)",
            "before %r after %r" % (before_b, ss_ports(b, PORT)))
        pa, pb = helpers[0].ask("probe"), helpers[1].ask("probe")
        tap(pa["probe"] in ("ECONNABORTED", "ECONNRESET") and
            pb["probe"] == "open",
            "-K -N A: A's client sees the abort, B's reads on",
            "A %r, B %r" % (pa, pb))

        rc, recs, err = events(["-N", a], [a], [helpers[0]])
        got = {(x["local"]["port"], x["peer"]["port"]) for x in recs}
        names = {x.get("netns", {}).get("name") for x in recs}
        want = want_ends(helpers[0])
        tap(rc == 0 and want <= got <= want | {(QPORT, 0)} and
            names == {a},
            "-E -N A: A's ends, labelled A",
            "exit %d %s; got %r names %r; want %r" %
            (rc, err, sorted(got), names, sorted(want)))

        # B's -E sockets are still open: close them under --all-netns,
        # after A's new ones (a second helper round in A)
        helpers[0].stop()
        helpers[0] = Helper(a)
        rc, recs, err = events(["--all-netns"], [a, b], helpers)
        by_ns = {}
        for x in recs:
            name = x.get("netns", {}).get("name")
            if name in NS:
                by_ns.setdefault(name, set()).add(
                    (x["local"]["port"], x["peer"]["port"]))
        ok = rc == 0
        for n, h in zip(NS, helpers):
            w = want_ends(h)
            ok = ok and w <= by_ns.get(n, set()) <= w | {(QPORT, 0)}
        tap(ok, "-E --all-netns: each namespace's ends, labelled with it",
            "exit %d %s; got %r; want A %r B %r" %
            (rc, err, {k: sorted(v) for k, v in by_ns.items()},
             sorted(want_ends(helpers[0])), sorted(want_ends(helpers[1]))))
        tap(all(x.get("netns", {}).get("inode") for x in recs),
            "-E --all-netns: every record has its namespace's inode")

        r = run(T, "-K", "--all-netns", "sport = :%d" % PORT)
        tap(r.returncode == 2 and "-N NAME" in r.stderr and
            ss_ports(b, PORT) == before_b,
            "-K --all-netns refuses (exit 2) and closes nothing",
            "exit %d %r" % (r.returncode, r.stderr))
    finally:
        for h in helpers:
            try:
                h.p.kill()
                h.p.wait(timeout=5)
            except OSError:
                pass
        for n in NS:
            run("ip", "netns", "del", n)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
