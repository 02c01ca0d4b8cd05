#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
pcap_memory.py - `tulpen pcap` memory bounded by design, on a SYN flood.

A capture of N SYNs from N distinct clients (each a half-open connection
that is never answered) is written at test time, then read

  - as rows (--ndjson) and as a summary (-s --json) under a --max-memory
    budget, inside an address-space limit (RLIMIT_AS, as `ulimit -v`) that
    the old 1.4 KB per half-open connection would break: the report must
    be complete (N connections, every one of them S0, the evicted ones
    said so in a note and in their "end"), and the peak RSS (getrusage of
    the child) must stay near the budget;
  - with a budget far above what is needed: no eviction at all.

usage: pcap_memory.py TULPEN [N]     (N: 150000 SYNs by default)
Under a sanitizer build (TULPEN_SANITIZED=1, the ASan pass) the address
space limit and the RSS bound are left out: the shadow memory is not ours.
Python stdlib only.
"""

import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile

BUDGET_MB = 24
AS_LIMIT_MB = 320     # the address space tulpen may map in all
RSS_SLACK_MB = 40     # above the budget: the binary, stdio, the summary


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def write_flood(path, n):
    """N SYNs, Ethernet, each from its own address and port, checksums
    right (a SYN with a bad checksum is not held compact)."""
    rnd = random.Random(14)
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    eth = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"
    dst = bytes([192, 0, 2, 1])
    t0 = 1700000000
    for i in range(n):
        src = struct.pack(">I", 0x0a000000 + i)    # 10.0.0.0/8, distinct
        sport = 1024 + rnd.randrange(60000)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64,
                         6, 0, src, dst)
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
        tcp = struct.pack(">HHIIBBHHH", sport, 80, rnd.getrandbits(32), 0,
                          5 << 4, 0x02, 64240, 0, 0)
        pseudo = src + dst + struct.pack(">BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack(">H", csum(pseudo + tcp)) + tcp[18:]
        frame = eth + ip + tcp
        sec, usec = t0 + i // 1000, (i % 1000) * 1000
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        out.append(frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def run(tulpen, args, limit):
    """Exit code, stdout, stderr and this run's own peak RSS (KiB)."""
    def pre():
        if limit:
            lim = (AS_LIMIT_MB if limit is True else limit) << 20
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([tulpen, "pcap"] + args, stdout=out,
                             stderr=err, preexec_fn=pre)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read().decode(), ru.ru_maxrss


failures = []


def check(cond, msg):
    print(("ok - " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def gen(path, n):
    """In a process of its own: the parent stays small, and a child's peak
    RSS counts what it had before exec (the parent's pages)."""
    subprocess.run([sys.executable, os.path.abspath(__file__), "--gen", path,
                    str(n)], check=True)


def main():
    if sys.argv[1] == "--gen":
        write_flood(sys.argv[2], int(sys.argv[3]))
        return 0
    tulpen = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 150000
    sanitized = os.environ.get("TULPEN_SANITIZED") == "1"
    limit = not sanitized
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "flood.pcap")
        gen(cap, n)
        budget = ["--max-memory", "%dM" % BUDGET_MB]

        rc, out, err, rss = run(tulpen, ["-s", "--json"] + budget + [cap],
                                limit)
        check(rc == 0, "-s under the budget: exit %d (%s)" % (rc, err[-300:]))
        doc = json.loads(out) if rc == 0 else {}
        check(doc.get("connections") == n and doc.get("frames") == n,
              "-s: %s of %d connections, %s frames" %
              (doc.get("connections"), n, doc.get("frames")))
        check(doc.get("conn_states") == {"S0": n},
              "-s: every one S0: %s" % doc.get("conn_states"))
        check("handed out before their end" in err,
              "-s: the evictions are said: %r" % err[-300:])
        if not sanitized:
            check(rss < (BUDGET_MB + RSS_SLACK_MB) << 10,
                  "-s: peak RSS %d MiB, budget %d MiB" %
                  (rss >> 10, BUDGET_MB))

        # Compact half-open connections: with room for all of them, a
        # half-open connection costs a few hundred bytes, not a full
        # connection record (about 1.5 KB).
        rc, out, err, rss = run(tulpen, ["-s", "--json", "--max-memory",
                                         "1G", cap], False)
        doc = json.loads(out) if rc == 0 else {}
        check(rc == 0 and doc.get("connections") == n and
              "handed out before" not in err,
              "1G: exit %d, %s connections, err %r" %
              (rc, doc.get("connections"), err[-200:]))
        if not sanitized:
            per = ((rss << 10) - (30 << 20)) / n
            check(per < 400, "1G: %d bytes a half-open connection (peak "
                  "RSS %d MiB for %d)" % (per, rss >> 10, n))

        rc, out, err, rss = run(tulpen, ["--ndjson"] + budget + [cap], limit)
        rows = [json.loads(ln) for ln in out.splitlines()]
        ends = {}
        for r in rows:
            ends[r["end"]] = ends.get(r["end"], 0) + 1
        check(rc == 0 and len(rows) == n and
              {r["id"] for r in rows} == set(range(1, n + 1)),
              "rows: exit %d, %d rows of %d, ids each once" %
              (rc, len(rows), n))
        check(ends.get("evicted", 0) > 0 and
              sum(ends.values()) == n,
              "rows: ends %s" % ends)
        check(all(r["conn_state"] == "S0" and r["client"]["syns"] == 1
                  for r in rows), "rows: each a SYN, S0")
        evicted = ends.get("evicted", 0)
        check(("%d connections handed out" % evicted) in err,
              "rows: the note counts %d evicted: %r" % (evicted, err[-300:]))
        if not sanitized:
            check(rss < (BUDGET_MB + RSS_SLACK_MB) << 10,
                  "rows: peak RSS %d MiB, budget %d MiB" %
                  (rss >> 10, BUDGET_MB))

        # Out of memory long before a large budget (an address space
        # of 40 MiB): no crash (it used to recurse once per compact
        # record, evicting one to promote the last, until the stack
        # overflowed); every connection reported, or a note says where
        # reading stopped.
        if not sanitized:
            rc, out, err, _ = run(tulpen, ["--ndjson", "--max-memory",
                                           "4G", cap], 40)
            rows = [json.loads(ln) for ln in out.splitlines()]
            ids = {r["id"] for r in rows}
            check((rc == 0 and ids == set(range(1, n + 1))) or
                  (rc == 1 and "out of memory at" in err),
                  "40 MiB of address space: exit %d, %d rows of %d, %r" %
                  (rc, len(rows), n, err[-300:]))

        # A small flood under a large budget: nothing evicted, nothing said.
        small = os.path.join(tmp, "small.pcap")
        gen(small, 2000)
        rc, out, err, _ = run(tulpen, ["--ndjson", small], False)
        rows = [json.loads(ln) for ln in out.splitlines()]
        check(rc == 0 and len(rows) == 2000 and
              all(r["end"] == "open" for r in rows) and not err,
              "no budget pressure: %d rows, err %r" % (len(rows), err))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
