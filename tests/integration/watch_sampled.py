#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tulpen watch without eBPF (--source=sampled, the forced fallback): it
says it samples, lists the connections that existed at start, reports the
transitions of long-lived connections made later (each labelled sampled,
times approximate to an interval), and its final picture of every socket matches
what `ss` reports in the namespace. When the eBPF source works here too,
both sources are run side by side and must agree on those states.

usage: watch_sampled.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

failures = []

SS_NAMES = {"ESTAB": "ESTABLISHED", "LISTEN": "LISTEN",
            "CLOSE-WAIT": "CLOSE-WAIT", "FIN-WAIT-2": "FIN-WAIT-2",
            "FIN-WAIT-1": "FIN-WAIT-1", "TIME-WAIT": "TIME-WAIT",
            "SYN-SENT": "SYN-SENT", "SYN-RECV": "SYN-RECEIVED",
            "LAST-ACK": "LAST-ACK", "CLOSING": "CLOSING"}


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def child_main():
    wc.child_hello()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    lport = ls.getsockname()[1]
    a_c = socket.create_connection(("127.0.0.1", lport))
    a_s, _ = ls.accept()
    print(json.dumps({"listen": lport, "a": a_c.getsockname()[1]}),
          flush=True)
    sys.stdin.readline()                 # watchers are running
    b_c = socket.create_connection(("127.0.0.1", lport))
    b_s, _ = ls.accept()
    time.sleep(1.0)
    b_s.close()                          # b_s: FIN-WAIT-2, b_c: CLOSE-WAIT
    time.sleep(1.0)
    print(json.dumps({"b": b_c.getsockname()[1]}), flush=True)
    sys.stdin.readline()                 # EOF: done
    for s in (a_c, a_s, b_c, ls):
        s.close()


def final_states(objs):
    """(local port, peer port) -> last state known from the stream."""
    st = {}
    for o in objs:
        t = o.get("type")
        if t not in ("existing", "transition"):
            continue
        key = (o["local"]["port"], o["peer"]["port"])
        st[key] = o["state"] if t == "existing" else o["new"]
    return {k: v for k, v in st.items() if v != "CLOSED"}


def ss_states(netns):
    out = subprocess.run(["nsenter", "--net=" + netns, "ss", "-tanH"],
                         stdout=subprocess.PIPE, check=True,
                         text=True).stdout
    st = {}
    for line in out.splitlines():
        f = line.split()
        lport = int(f[3].rsplit(":", 1)[1])
        pp = f[4].rsplit(":", 1)[1]
        st[(lport, 0 if pp == "*" else int(pp))] = SS_NAMES[f[0]]
    return st


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    wc.need_root()
    # The sampled source is the subject; where eBPF can work (BTF) it must,
    # and both sources must agree.
    have_bpf = wc.have_btf()
    if have_bpf:
        wc.need_bpf(tulpen)

    child = wc.Child(os.path.abspath(__file__))
    setup = child.read()
    lport, aport = setup["listen"], setup["a"]
    ws = wc.Watch(tulpen, child.netns, "--source=sampled", "--interval",
                  "0.2", "--summary-every", "0.5")
    wb = wc.Watch(tulpen, child.netns, "--source=bpf") if have_bpf else None
    child.send({"go": 1})
    bport = child.read(30)["b"]
    time.sleep(0.5)                       # a few more samples
    truth = ss_states(child.netns)
    rc = ws.stop()
    check(rc == 0, "sampled: exit status %d" % rc)
    if wb:
        check(wb.stop() == 0, "bpf: bad exit status")
    child.finish()

    check(ws.start["source"] == "sampled", "source %r" % ws.start)
    check("SAMPLED" in ws.stderr, "no SAMPLED notice on stderr: %r" %
          ws.stderr)
    ex = {(o["local"]["port"], o["peer"]["port"]): o["state"]
          for o in ws.objs if o.get("type") == "existing"}
    check(ex.get((lport, 0)) == "LISTEN", "existing listener: %r" % ex)
    check(ex.get((aport, lport)) == "ESTABLISHED" and
          ex.get((lport, aport)) == "ESTABLISHED",
          "existing connection: %r" % ex)

    tr = [o for o in ws.objs if o.get("type") == "transition"]
    for o in tr:
        check(o["source"] == "sampled" and o.get("in_old_approx"),
              "transition not labelled sampled: %r" % o)

    def seq(lp, pp):
        return [(o["old"], o["new"]) for o in tr
                if o["local"]["port"] == lp and o["peer"]["port"] == pp]

    got = seq(bport, lport)
    check(got == [("CLOSED", "ESTABLISHED"), ("ESTABLISHED", "CLOSE-WAIT")],
          "client B: %r" % got)
    got = seq(lport, bport)
    # FIN-WAIT-1 lasts until the peer's ACK: a snapshot may catch it on a
    # loaded machine
    check(got in ([("CLOSED", "ESTABLISHED"), ("ESTABLISHED", "FIN-WAIT-2")],
                  [("CLOSED", "ESTABLISHED"), ("ESTABLISHED", "FIN-WAIT-1"),
                   ("FIN-WAIT-1", "FIN-WAIT-2")]),
          "server B: %r" % got)
    for o in tr:
        if o["old"] == "ESTABLISHED" and o["local"]["port"] in (bport,
                                                                 lport):
            # first and last seen are each up to an interval (0.2 s) off;
            # allow for a loaded machine's slow snapshots too
            check(0.4e9 <= o["in_old_ns"] <= 2.5e9, "ESTABLISHED lasted "
                  "1 s, sampled says %r ns" % o["in_old_ns"])

    # the live counts: the last summary matches the final picture
    sums = [o for o in ws.objs if o.get("type") == "summary"]
    check(sums, "no summary records with --summary-every")

    fs = final_states(ws.objs)
    if sums:
        counts = {}
        for st in fs.values():
            counts[st] = counts.get(st, 0) + 1
        check(sums[-1]["states"] == counts, "last summary %r, final "
              "states %r" % (sums[-1]["states"], counts))
    check(fs == truth, "sampled final states %r != ss %r" % (fs, truth))
    if wb:
        fb = final_states(wb.objs)
        check(fb == fs, "bpf %r != sampled %r" % (fb, fs))

    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("ok: sampled mode agrees with ss%s" %
          (" and the eBPF source" if wb else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
