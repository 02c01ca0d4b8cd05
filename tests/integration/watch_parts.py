#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tulpen watch with parts of the eBPF source left out
(--bpf-without accept,timewait), in a private network namespace: the
fallback a part takes when its program cannot be loaded or attached.

Checked: the start record lists both parts as missing with a reason,
stderr names them; the rest still works: the transitions are reported
with their owners, a server-side socket keeps its listener's owner (no
accept record), and a client that closes first is reported as
FIN-WAIT-2 -> CLOSED, as the tracepoint alone shows it. And the reverse:
without --bpf-without nothing is missing (every program attaches with no
tracefs mounted).

usage: watch_parts.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def child_main():
    """Server (this process) and client (a fork); the client closes
    first, the server 0.1 s later."""
    wc.child_hello()
    sys.stdin.readline()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    sport = ls.getsockname()[1]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        c = socket.socket()
        c.connect(("127.0.0.1", sport))
        os.write(w, b"%d\n" % c.getsockname()[1])
        c.sendall(b"x")
        time.sleep(0.1)
        c.close()
        os._exit(0)
    os.close(w)
    a, _ = ls.accept()
    a.recv(1)
    cport = int(os.read(r, 32))
    time.sleep(0.2)
    a.close()
    os.waitpid(pid, 0)
    ls.close()
    print(json.dumps({"server_pid": os.getpid(), "client_pid": pid,
                      "sport": sport, "cport": cport}), flush=True)
    sys.stdin.readline()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    wc.need_bpf(tulpen)

    child = wc.Child(os.path.abspath(__file__))
    full = wc.Watch(tulpen, child.netns, "--source=bpf")
    w = wc.Watch(tulpen, child.netns, "--source=bpf", "--bpf-without",
                 "accept,timewait")
    child.send({"go": 1})
    res = child.read(30)
    sport, cport = res["sport"], res["cport"]

    def done(objs):
        return (wc.find_lifetime(objs, sport, cport) and
                wc.find_lifetime(objs, cport, sport))

    check(w.wait_for(done, 20), "lifetimes never came")
    check(w.stop() == 0, "exit status: %s" % w.stderr)
    child.finish()      # the namespace goes: its TIME-WAIT sockets end
    check(full.wait_for(done, 20), "lifetimes never came (all parts)")
    check(full.stop() == 0, "exit status (all parts): %s" % full.stderr)

    check(full.start.get("missing") == [], "parts missing without "
          "--bpf-without: %r" % full.start.get("missing"))
    missing = {m["part"]: m["reason"] for m in w.start.get("missing", [])}
    check(sorted(missing) == ["accept", "timewait"],
          "start record: missing %r" % w.start.get("missing"))
    check(all(missing.values()), "a missing part without a reason: %r" %
          missing)
    for part in ("accept", "timewait"):
        check("without the %s part" % part in w.stderr,
              "stderr does not name the %s part: %r" % (part, w.stderr))

    objs = w.objs
    check(not [o for o in objs if o.get("type") == "accept"],
          "accept records without the accept part")
    srv = wc.find_lifetime(objs, sport, cport)
    cli = wc.find_lifetime(objs, cport, sport)
    if srv:
        check(wc.owner_pid(srv) == res["server_pid"] and
              srv.get("owner_of_listener") is True,
              "server side: owner %r (listener's expected)" % srv)
    if cli:
        check(wc.owner_pid(cli) == res["client_pid"],
              "client side: owner %r" % cli["processes"])
        check(wc.path_states(cli) == ["SYN-SENT", "ESTABLISHED",
                                      "FIN-WAIT-1", "FIN-WAIT-2", "CLOSED"],
              "client path without TIME-WAIT following: %s" %
              wc.path_states(cli))
    # With every part, the same client shows TIME-WAIT and the server
    # side the process that accepted it.
    cli = wc.find_lifetime(full.objs, cport, sport)
    srv = wc.find_lifetime(full.objs, sport, cport)
    check(cli is not None and "TIME-WAIT" in wc.path_states(cli),
          "all parts: client path %r" % (cli and wc.path_states(cli)))
    check(srv is not None and not srv.get("owner_of_listener") and
          wc.owner_pid(srv) == res["server_pid"],
          "all parts: server side %r" % srv)
    check([o for o in full.objs if o.get("type") == "accept"],
          "all parts: no accept record")

    if failures:
        print("%d checks failed" % len(failures))
        for o in objs:
            print(json.dumps(o))
        return 1
    print("ok: parts left out fall back as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
