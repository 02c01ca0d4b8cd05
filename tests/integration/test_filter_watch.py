#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
test_filter_watch.py TULPEN - `tulpen watch` takes the lister's filter
language: in a fresh network namespace, connections to an IPv4 and an
IPv6 listener come and go while three watchers run with
  port P4                      (tulpen's either-side port)
  src [::1] or dst [::1]       (an ss address term)
  state established sport = :P6 (watch's state words with an expression);
every record each one prints must satisfy its expression, and each must
print the connections that do. TAP output; needs root and eBPF (BTF).
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

N = 0
FAILS = 0


def check(ok, what, detail=""):
    global N, FAILS
    N += 1
    FAILS += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", N, what))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()


def child_main():
    wc.child_hello()
    l4 = socket.socket()
    l4.bind(("127.0.0.1", 0))
    l4.listen(8)
    l6 = socket.socket(socket.AF_INET6)
    l6.bind(("::1", 0))
    l6.listen(8)
    print(json.dumps({"p4": l4.getsockname()[1],
                      "p6": l6.getsockname()[1]}), flush=True)
    sys.stdin.readline()  # the watchers are running
    for _ in range(2):
        for fam, addr, lst in ((socket.AF_INET, "127.0.0.1", l4),
                               (socket.AF_INET6, "::1", l6)):
            c = socket.socket(fam)
            c.connect((addr, lst.getsockname()[1]))
            a, _ = lst.accept()
            time.sleep(0.2)
            c.close()
            a.close()
    time.sleep(1.0)
    print(json.dumps({"done": 1}), flush=True)
    sys.stdin.readline()


def records(objs):
    return [o for o in objs if "local" in o and "peer" in o]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ["TULPEN"]
    wc.need_root()
    wc.need_bpf(tulpen)
    child = wc.Child(os.path.abspath(__file__))
    ports = child.read()
    p4, p6 = ports["p4"], ports["p6"]
    cases = [
        ("port %d" % p4, ["port", str(p4)],
         lambda o: p4 in (o["local"]["port"], o["peer"]["port"])),
        ("src [::1] or dst [::1]", ["src [::1] or dst [::1]"],
         lambda o: o["local"]["address"] == "::1" or
         o["peer"]["address"] == "::1"),
        # the server ends (the client is in TIME-WAIT for a minute)
        ("state established sport = :%d" % p6,
         ["state", "established", "sport", "=", ":%d" % p6],
         lambda o: o["local"]["port"] == p6),
    ]
    watchers = [wc.Watch(tulpen, child.netns, *argv)
                for _, argv, _ in cases]
    child.send({"go": 1})
    child.read(60)
    for w in watchers:
        w.wait_for(lambda objs: len(wc.lifetimes(objs)) >= 2, 10)
    for w in watchers:
        w.stop()
    child.finish()
    for (name, _, pred), w in zip(cases, watchers):
        recs = records(w.objs)
        bad = [o for o in recs if not pred(o)]
        check(recs and not bad, "watch %s: %d records, all match"
              % (name, len(recs)),
              "not matching: %s\nstderr: %s" % (bad[:3], w.stderr))
        lts = wc.lifetimes(w.objs)
        check(len(lts) >= 2, "watch %s: the matching connections' "
              "lifetimes are there (%d)" % (name, len(lts)), w.stderr)
    print("1..%d" % N)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
