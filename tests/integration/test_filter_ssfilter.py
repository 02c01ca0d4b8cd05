#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
test_filter_ssfilter.py TULPEN - iproute2's own filter test cases
(testsuite/tests/ss/ssfilter.t) rebuilt as real sockets.

ssfilter.t runs ss over a recorded dump of four sockets:

  LISTEN 0.0.0.0:22        0.0.0.0:*
  ESTAB  10.0.0.1:22       10.0.0.1:36266
  ESTAB  10.0.0.1:36266    10.0.0.1:22
  ESTAB  10.0.0.1:22       10.0.0.2:50312

Here they are real: this namespace holds 10.0.0.1 and the listener, a
second namespace (over a veth pair) holds 10.0.0.2, whose end of the last
connection is therefore not listed. Each expression must select exactly
its one row, from ss, from tulpen over netlink and from tulpen over /proc.
TAP output.
"""

import ctypes
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import filter_common as fc  # noqa: E402

LISTEN = ("tcp", "LISTEN", "0.0.0.0", 22, "0.0.0.0", 0)
E36266 = ("tcp", "ESTABLISHED", "10.0.0.1", 36266, "10.0.0.1", 22)
E50312 = ("tcp", "ESTABLISHED", "10.0.0.1", 22, "10.0.0.2", 50312)

CASES = [
    ("Match dport = 22", ["dport", "=", "22"], E36266),
    ("Match dport 22", ["dport", "22"], E36266),
    ("Match (dport)", ["( dport = 22 )"], E36266),
    ("Match src = 0.0.0.0", ["src", "=", "0.0.0.0"], LISTEN),
    ("Match src 0.0.0.0", ["src", "0.0.0.0"], LISTEN),
    ("Match src sport", ["src", "0.0.0.0", "sport", "=", "22"], LISTEN),
    ("Match src and sport", ["src", "0.0.0.0", "and", "sport", "=", "22"],
     LISTEN),
    ("Match src and sport and dport",
     ["src", "10.0.0.1", "and", "sport", "=", "22", "and", "dport", "=",
      "50312"], E50312),
    ("Match src and sport and (dport)",
     ["src 10.0.0.1 and sport = 22 and ( dport = 50312 )"], E50312),
    ("Match src and (sport and dport)",
     ["src 10.0.0.1 and ( sport = 22 and dport = 50312 )"], E50312),
    ("Match (src and sport) and dport",
     ["( src 10.0.0.1 and sport = 22 ) and dport = 50312"], E50312),
    ("Match (src or src) and dst",
     ["( src 0.0.0.0 or src 10.0.0.1 ) and dst 10.0.0.2"], E50312),
]


def peer_namespace():
    """A child in its own namespace with 10.0.0.2 on the veth's far end,
    connected from port 50312 to 10.0.0.1:22; returns its pid."""
    r, w = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(fc.CLONE_NEWNET) != 0:
            os._exit(1)
        os.write(w, b"1")
        os.read(r2, 1)  # the parent has moved the veth end here
        fc.run(["ip", "link", "set", "lo", "up"])
        fc.run(["ip", "addr", "add", "10.0.0.2/24", "dev", "tpb"])
        fc.run(["ip", "link", "set", "tpb", "up"])
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("10.0.0.2", 50312))
        for _ in range(100):
            try:
                s.connect(("10.0.0.1", 22))
                break
            except OSError:
                time.sleep(0.05)
        os.write(w, b"2")
        while True:
            time.sleep(60)
    os.read(r, 1)
    fc.run(["ip", "link", "set", "tpb", "netns", str(pid)])
    os.write(w2, b"1")
    os.read(r, 1)
    return pid


def main():
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ["TULPEN"]
    if os.geteuid() != 0:
        print("not ok 1 - needs root (private network namespaces)")
        return 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(fc.CLONE_NEWNET) != 0:
        print("not ok 1 - unshare(CLONE_NEWNET) failed")
        return 1
    fc.run(["ip", "link", "set", "lo", "up"])
    fc.run(["ip", "link", "add", "tpa", "type", "veth", "peer", "name",
            "tpb"])
    fc.run(["ip", "addr", "add", "10.0.0.1/24", "dev", "tpa"])
    fc.run(["ip", "link", "set", "tpa", "up"])
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("0.0.0.0", 22))
    lst.listen(8)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind(("10.0.0.1", 36266))
    c.connect(("10.0.0.1", 22))
    a1, _ = lst.accept()
    pid = peer_namespace()
    a2, _ = lst.accept()
    n = 0
    fails = 0
    base = fc.ss_set(["-tna"], [])
    n += 1
    ok = base == sorted([LISTEN, E36266, E50312,
                         ("tcp", "ESTABLISHED", "10.0.0.1", 22,
                          "10.0.0.1", 36266)])
    fc.tap(ok, n, "the four sockets of ss1.dump", "ss: %s" % base)
    fails += not ok
    for name, expr, row in CASES:
        want = [row]
        for label, extra in (("ss", None), ("tulpen", []),
                             ("tulpen --source=proc", ["--source=proc"])):
            if extra is None:
                got = fc.ss_set(["-tna"], expr)
            else:
                got, _ = fc.tulpen_set(tulpen, ["-tna"], expr, extra)
            n += 1
            ok = got == want
            fails += not ok
            fc.tap(ok, n, "%s: %s %s" % (name, label, " ".join(expr)),
                   "want %s\ngot  %s" % (want, got))
    print("1..%d" % n)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    del a1, a2, c, lst
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
