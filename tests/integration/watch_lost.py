#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""No silent loss: with a small ring buffer and tulpen stopped (SIGSTOP)
while a burst of connections runs, the kernel side must drop events; tulpen
must then report them (a "lost" record in the JSON stream, a line on
stderr, the total in --stats), and what it saw plus what it reports lost
must cover every event the burst made.

usage: watch_lost.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import re
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

N = 3000          # connections in the burst
K = 5             # connections open before it, reset after it
# Events per connection at least: client SYN-SENT, ESTABLISHED, FIN-WAIT-1,
# FIN-WAIT-2, its time-wait take-over; server SYN-RECEIVED, ESTABLISHED,
# accept, CLOSE-WAIT, LAST-ACK, CLOSED.
PER_CONN = 11

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def child_main():
    wc.child_hello()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    sys.stdin.readline()                  # tulpen watches now
    # K connections tulpen tracks before it is stopped...
    held = []
    for _ in range(K):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = ls.accept()
        held += [c, s]
    print(json.dumps({"port": port, "held": [c.getsockname()[1]
                                             for c in held[::2]]}),
          flush=True)
    sys.stdin.readline()                  # tulpen is stopped now
    for _ in range(N):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = ls.accept()
        c.close()
        s.close()
    # ... whose ends (resets: no TIME-WAIT is left) go into a full ring
    # buffer: only the re-read of the socket table can drop them.
    for so in held:
        so.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
        so.close()
    print(json.dumps({"done": N}), flush=True)
    sys.stdin.readline()
    ls.close()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    wc.need_root()
    wc.need_bpf(tulpen)
    child = wc.Child(os.path.abspath(__file__))
    w = wc.Watch(tulpen, child.netns, "--source=bpf", "--ringbuf-mb", "1",
                 "--stats")
    child.send({"open": K})
    held = child.read(60)
    port = held["port"]

    def tracked(objs):
        est = {o["local"]["port"] for o in objs
               if o.get("type") == "transition" and
               o["new"] == "ESTABLISHED" and o["peer"]["port"] == port}
        return est >= set(held["held"])

    check(w.wait_for(tracked, 30), "the held connections were not seen")
    w.p.send_signal(signal.SIGSTOP)
    child.send({"go": 1})
    child.read(120)
    w.p.send_signal(signal.SIGCONT)
    # let it read what is there and notice the losses (checked each second)
    # (and reading all of it: tulpen must not block on a full pipe; the
    # lost record is flushed after the re-read of the socket table)
    check(w.wait_for(lambda objs: any(o.get("type") == "lost"
                                      for o in objs), 60),
          "no lost record within 60 s")
    w.wait_for(lambda objs: False, 1.5)
    rc = w.stop()
    child.finish()
    check(rc == 0, "exit status %d" % rc)

    lost = [o for o in w.objs if o.get("type") == "lost"]
    check(lost, "no lost record in the JSON stream")
    total = max([o["lost_total"] for o in lost] or [0])
    check(total > 0, "lost_total is 0 although the buffer overflowed")
    check("events lost" in w.stderr, "no loss notice on stderr: %r" %
          w.stderr)
    # connections whose end was lost are dropped after a re-read: at least
    # both sides of the K reset ones
    m = re.search(r"(\d+) connections whose end was lost are no longer "
                  r"tracked", w.stderr)
    check(m and int(m.group(1)) >= 2 * K, "no reconcile after losses "
          "(at least %d to drop): %r" % (2 * K, w.stderr))
    stats = [l for l in w.stderr.splitlines() if "stats:" in l]
    check(len(stats) == 1, "no --stats line: %r" % w.stderr)
    if stats:
        f = stats[0].split()
        nums = {f[i]: int(f[i + 1]) for i in range(len(f) - 1)
                if f[i + 1].isdigit()}
        seen, slost = nums.get("events", 0), nums.get("lost", 0)
        check(slost >= total, "--stats lost %d < reported %d" %
              (slost, total))
        check(seen + slost >= N * PER_CONN,
              "seen %d + lost %d < %d events the burst made" %
              (seen, slost, N * PER_CONN))
        print("seen %d, lost %d, burst made at least %d" %
              (seen, slost, N * PER_CONN))
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("tulpen said: " + w.stderr.strip())
    print("ok: losses reported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
