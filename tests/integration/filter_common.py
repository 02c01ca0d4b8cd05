# SPDX-License-Identifier: MIT
"""
filter_common.py - shared by the filter tests: a private network namespace
with several IPv4 and IPv6 addresses, real sockets in several states, and
the same listing from ss, from tulpen over netlink, over /proc and over a
recorded dump, as comparable sets.

Python standard library only; needs root, ip and ss.
"""

import ctypes
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
SO_MARK = 36
SO_BINDTODEVICE = 25

V4 = ["127.0.0.1", "10.1.2.3", "10.1.7.9", "192.168.50.1"]
V6 = ["::1", "fd00::1", "fd00:1::2", "fd12:3456::9"]

# ss's state names -> tulpen's (RFC 9293) names.
SS_STATE = {
    "LISTEN": "LISTEN", "SYN-SENT": "SYN-SENT", "SYN-RECV": "SYN-RECEIVED",
    "ESTAB": "ESTABLISHED", "FIN-WAIT-1": "FIN-WAIT-1",
    "FIN-WAIT-2": "FIN-WAIT-2", "CLOSE-WAIT": "CLOSE-WAIT",
    "CLOSING": "CLOSING", "LAST-ACK": "LAST-ACK", "TIME-WAIT": "TIME-WAIT",
    "UNCONN": "UNCONN",
}


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def enter_netns():
    """Move this process into a new network namespace set up for the test."""
    if os.geteuid() != 0:
        raise SystemExit("needs root (a private network namespace)")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise SystemExit("unshare(CLONE_NEWNET): %s"
                         % os.strerror(ctypes.get_errno()))
    run(["ip", "link", "set", "lo", "up"])
    with open("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "w") as f:
        f.write("0")
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write("32768 60999")
    for a in V4[1:]:
        run(["ip", "addr", "add", a + "/32", "dev", "lo"])
    for a in V6[1:]:
        run(["ip", "-6", "addr", "add", a + "/128", "dev", "lo", "nodad"])
    # A device where SYNs vanish: SYN-SENT sockets stay SYN-SENT.
    run(["ip", "link", "add", "tfd0", "type", "veth", "peer", "name",
         "tfd1"])
    run(["ip", "link", "set", "tfd0", "up"])
    run(["ip", "link", "set", "tfd1", "up"])
    run(["ip", "addr", "add", "10.55.0.2/16", "dev", "tfd0"])
    run(["ip", "-6", "addr", "add", "fd55::2/64", "dev", "tfd0", "nodad"])
    run(["ip", "neigh", "add", "10.55.0.1", "lladdr", "02:00:00:00:00:01",
         "dev", "tfd0"])
    run(["ip", "-6", "neigh", "add", "fd55::1", "lladdr",
         "02:00:00:00:00:01", "dev", "tfd0"])


class Population:
    """Sockets held open for the life of the test."""

    def __init__(self):
        self.socks = []

    def keep(self, s):
        self.socks.append(s)
        return s

    def listen(self, fam, addr, port, v6only=None):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6only is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        s.bind((addr, port))
        s.listen(64)
        return self.keep(s)

    def connect(self, fam, src, dst, port, lst, mark=0, dev=None):
        """A client (autobound) connected to a listener; returns both."""
        c = socket.socket(fam, socket.SOCK_STREAM)
        if mark:
            c.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        if dev:
            c.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
        c.bind((src, 0))
        c.connect((dst, port))
        a, _ = lst.accept()
        self.keep(c)
        self.keep(a)
        return c, a


def build_population():
    """Listeners, connections in several states, UDP; returns Population."""
    p = Population()
    I4, I6 = socket.AF_INET, socket.AF_INET6
    l22 = p.listen(I4, "10.1.2.3", 22)
    l80 = p.listen(I4, "0.0.0.0", 80)
    l443 = p.listen(I6, "::", 443, v6only=0)          # dual stack
    l8080 = p.listen(I6, "fd00::1", 8080, v6only=1)
    l5432 = p.listen(I4, "127.0.0.1", 5432)
    l5432b = p.listen(I6, "::1", 5432, v6only=1)
    l1024 = p.listen(I4, "192.168.50.1", 1024)
    l3000 = p.listen(I4, "10.1.7.9", 3000)
    p.listen(I6, "fd12:3456::9", 2222, v6only=1)
    p.listen(I4, "10.1.7.9", 0)                         # autobound listener
    p.connect(I4, "10.1.7.9", "10.1.2.3", 22, l22)
    p.connect(I4, "127.0.0.1", "10.1.2.3", 22, l22, mark=5)
    p.connect(I4, "192.168.50.1", "127.0.0.1", 80, l80, mark=0x14)
    p.connect(I4, "10.1.2.3", "10.1.7.9", 80, l80, dev="lo")
    p.connect(I4, "127.0.0.1", "127.0.0.1", 443, l443)  # v4-mapped server
    p.connect(I6, "fd00:1::2", "::1", 443, l443)
    p.connect(I6, "fd12:3456::9", "fd00::1", 8080, l8080, mark=5)
    p.connect(I6, "::1", "::1", 5432, l5432b)
    p.connect(I4, "127.0.0.1", "127.0.0.1", 5432, l5432)
    p.connect(I4, "10.1.2.3", "192.168.50.1", 1024, l1024)
    # FIN-WAIT-2 / CLOSE-WAIT: the client half-closes
    c, _ = p.connect(I4, "10.1.7.9", "10.1.7.9", 3000, l3000)
    c.shutdown(socket.SHUT_WR)
    c, _ = p.connect(I6, "fd00::1", "fd00::1", 8080, l8080)
    c.shutdown(socket.SHUT_WR)
    p.tw_from = ((I4, "10.1.2.3", "10.1.2.3", 22, l22),
                 (I4, "127.0.0.1", "10.1.7.9", 3000, l3000),
                 (I6, "::1", "fd00::1", 8080, l8080))
    time_wait(p)
    # SYN-SENT into the void
    for fam, dst in ((I4, "10.55.0.1"), (I6, "fd55::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((dst, 9))
        except BlockingIOError:
            pass
        p.keep(s)
    # UDP: bound, wildcard, connected
    for fam, addr, port in ((I4, "0.0.0.0", 53), (I6, "::", 5353),
                            (I4, "10.1.2.3", 123), (I6, "fd00::1", 123)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((addr, port))
        p.keep(s)
    u = socket.socket(I4, socket.SOCK_DGRAM)
    u.connect(("10.1.2.3", 123))
    p.keep(u)
    time.sleep(0.2)
    return p


def time_wait(p):
    """TIME-WAIT sockets: the client closes first, then the server. They
    end 60 s later (p.tw_since says when they were made)."""
    for fam, src, dst, port, lst in p.tw_from:
        c, a = p.connect(fam, src, dst, port, lst)
        c.close()
        time.sleep(0.02)
        a.close()
        p.socks.remove(c)
        p.socks.remove(a)
    time.sleep(0.1)
    p.tw_since = time.time()


def _norm_addr(a):
    if a.startswith("[") and a.endswith("]"):
        a = a[1:-1]
    if "%" in a:
        a = a.split("%", 1)[0]
    if a == "*":
        a = "::"
    return ipaddress.ip_address(a).compressed


def _split_ep(ep):
    host, port = ep.rsplit(":", 1)
    return _norm_addr(host), 0 if port == "*" else int(port)


class Done:
    def __init__(self, rc, out, err):
        self.returncode, self.stdout, self.stderr = rc, out, err


def start(cmd):
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def start_tulpen(tulpen, opts, expr, extra=()):
    return start([tulpen, "--json", "-n"] + list(extra) + opts + expr)


def finish(p):
    if isinstance(p, Done):
        return p
    out, err = p.communicate()
    return Done(p.returncode, out, err)


def ss_set(opts, expr):
    """ss's selection as a sorted list of keys, or None when ss refuses."""
    return ss_parse(start(["ss", "-H", "-n"] + opts + expr))


def ss_parse(job):
    r = finish(job)
    if r.returncode != 0:
        return None
    keys = []
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0] in SS_STATE:
            # one protocol asked for (-t): ss leaves the Netid column out
            f.insert(0, "tcp")
        if len(f) == 5:
            # one state asked for: ss leaves the State column out
            f.insert(1, "?")
        if len(f) < 6:
            continue
        la, lp = _split_ep(f[4])
        pa, pp = _split_ep(f[5])
        keys.append((f[0], SS_STATE.get(f[1], f[1]), la, lp, pa, pp))
    return sorted(keys)


def same(want, got):
    """Compare ss's keys with tulpen's ('?': ss showed no state)."""
    if want is None or got is None:
        return want is got
    if any(k[1] == "?" for k in want):
        got = sorted((k[0], "?") + tuple(k[2:]) for k in got)
    return want == got


def diff(want, got):
    if want is None or got is None:
        return "ss %r, tulpen %r" % (want, got)
    if any(k[1] == "?" for k in want):
        got = sorted((k[0], "?") + tuple(k[2:]) for k in got)
    a, b = set(want), set(got)
    return "only ss: %s\n  only tulpen: %s" % (sorted(a - b), sorted(b - a))


def tulpen_set(tulpen, opts, expr, extra=()):
    """tulpen's selection, or None with its stderr when it refuses."""
    return tulpen_parse(start_tulpen(tulpen, opts, expr, extra))


def tulpen_parse(job):
    r = finish(job)
    if r.returncode != 0:
        return None, r
    keys = []
    for o in json.loads(r.stdout or "[]"):
        keys.append((o["proto"], o["state"],
                     _norm_addr(o["local"]["address"]), o["local"]["port"],
                     _norm_addr(o["peer"]["address"]), o["peer"]["port"]))
    return sorted(keys), r


def record(tulpen, opts):
    """An unfiltered netlink recording of the population (path)."""
    fd, path = tempfile.mkstemp(prefix="tulpen-filter-", suffix=".nl")
    os.close(fd)
    run([tulpen, "--json", "-n", "--source=netlink", "--nl-record", path]
        + opts)
    return path


def own_cgroup():
    """This process's cgroup v2 path ("0::/x" in /proc/self/cgroup)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip() or "/"
    return None


def tap(ok, n, what, detail=""):
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    if not ok and detail:
        for line in detail.rstrip().splitlines():
            print("# " + line)
    sys.stdout.flush()
