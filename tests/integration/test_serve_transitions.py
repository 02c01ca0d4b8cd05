#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The transition counters and the connection duration histogram that the
eBPF programs count in the kernel, in tulpen serve and tulpen watch
--summary, against scripted connections.

usage: test_serve_transitions.py [TULPEN]   (default $TULPEN)

In a private network namespace, tulpen serve (scraped over one
kept-alive connection, which therefore adds no transition between two
scrapes) and `tulpen watch --summary` run while this script makes:
- GRACEFUL connections closed by the client first, then by the server,
  HELD of them kept open 0.35 s; SERVER_FIRST closed by the server first;
  HALF_CLOSE where the client shuts down its side, the server closes and
  the client's socket, not yet closed, gets the FIN (its own move to
  TIME-WAIT rather than an orphan's);
- RESETS connections the client aborts (SO_LINGER 0: an RST);
- REFUSED connects to a port nobody listens on.
The expected transitions follow RFC 9293's paths as the kernel's
inet_sock_set_state tracepoint reports them (a client's hand-over to its
time-wait socket is FIN-WAIT-2 -> TIME-WAIT), and are checked against the
kernel's own counters too: /proc/net/snmp ActiveOpens (connects),
PassiveOpens (children of a listener), EstabResets (ESTABLISHED or
CLOSE-WAIT -> CLOSED) and AttemptFails (SYN-SENT or SYN-RECEIVED ->
CLOSED), and ss's count of the TIME-WAIT sockets. Every other pair must
not move. The histogram's count grows by the sockets closed (both ends of
each connection; a refused connect has one); each bucket holds at least
the ends that cannot have lived longer than its bound (timed by the test
from before the connect() until ss sees the sockets settled) and none
held longer, so at rest the HELD connections' ends land in the bucket
(0.262144, 0.524288] s and the rest below. promtool
check metrics passes. `tulpen watch --summary` over the same actions
prints the same transitions. As user nobody, serve answers without the
transition metrics and says which it dropped and why.

Root with kernel BTF required (77 without: a skip is a failure there).
"""
import http.client
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import test_serve_common as c
import watch_common as wc

PROMTOOL = "/usr/bin/promtool"
GRACEFUL, HELD, RESETS, REFUSED = 20, 4, 7, 5
SERVER_FIRST, HALF_CLOSE = 5, 5
HOLD_S = 0.35
LOW_LE, HIGH_LE = "0.262144", "0.524288"


def snmp_tcp():
    """The Tcp: line of /proc/net/snmp as a dict."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def ss_time_wait():
    out = subprocess.run(["ss", "-tanH", "state", "time-wait"], check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def transitions(samples):
    return {(lab["from"], lab["to"]): int(v) for n, lab, v in samples
            if n == "tulpen_tcp_transitions_total"}


def buckets(samples):
    return {lab["le"]: int(v) for n, lab, v in samples
            if n == "tulpen_tcp_connection_duration_seconds_bucket"}


def one(samples, name):
    v = c.values(samples, name)
    if None not in v:
        raise c.Fail("no %s in the scrape" % name)
    return v[None]


def delta(after, before):
    keys = set(after) | set(before)
    d = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in d.items() if v}


def make_connections(port):
    """The scripted connections; returns the listener still to be closed
    and, per socket end closed, the longest it can have lived: from
    before its connect() until its sockets had settled (at least how long
    the kernel counts it; a lost segment, retransmitted after 200 ms or
    more, or a busy host's scheduling makes it longer)."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", port))
    lst.listen(64)
    spans = []

    def done(t0, ends):
        settle(0.005)
        spans.extend([time.monotonic() - t0] * ends)

    for i in range(GRACEFUL):
        t0 = time.monotonic()
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        if i < HELD:
            time.sleep(HOLD_S)
        cl.close()  # FIN-WAIT-1, FIN-WAIT-2 (time-wait socket) ...
        time.sleep(0.01)
        sv.close()  # CLOSE-WAIT -> LAST-ACK -> CLOSED; client TIME-WAIT
        done(t0, 2)
    for _ in range(SERVER_FIRST):
        t0 = time.monotonic()
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        sv.close()
        time.sleep(0.01)
        cl.close()
        done(t0, 2)
    for _ in range(HALF_CLOSE):
        t0 = time.monotonic()
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        cl.shutdown(socket.SHUT_WR)
        time.sleep(0.01)
        sv.close()
        time.sleep(0.01)
        cl.close()
        done(t0, 2)
    linger0 = struct.pack("ii", 1, 0)
    for _ in range(RESETS):
        t0 = time.monotonic()
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        cl.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger0)
        cl.close()  # RST: both ends ESTABLISHED -> CLOSED
        time.sleep(0.01)
        sv.close()
        done(t0, 2)
    dead = c.free_port()
    for _ in range(REFUSED):
        t0 = time.monotonic()
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", dead))
        except ConnectionRefusedError:
            pass
        else:
            raise c.Fail("a connect to port %d was accepted" % dead)
        s.close()
        done(t0, 1)
    settle()
    return lst, spans


def settle(poll=0.1):
    """Wait until every closing socket is done (a segment dropped from a
    busy host's loopback backlog is only retransmitted later): only
    ESTABLISHED (the scrape's), LISTEN and TIME-WAIT left, as ss sees."""
    deadline = time.time() + 20
    while True:
        out = subprocess.run(["ss", "-tanH", "exclude", "established",
                              "exclude", "listening", "exclude",
                              "time-wait"], check=True, capture_output=True,
                             text=True).stdout
        if not out.strip():
            return
        if time.time() > deadline:
            raise c.Fail("sockets still closing after 20 s: " + out)
        time.sleep(poll)


ACTIVE_CLOSE = (("FIN-WAIT-1", "FIN-WAIT-2"), ("FIN-WAIT-2", "TIME-WAIT"))


def expected():
    # Whichever end closes first, each graceful connection makes one
    # active closer (FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT) and one passive
    # (CLOSE-WAIT, LAST-ACK, CLOSED).
    graceful = GRACEFUL + SERVER_FIRST + HALF_CLOSE
    conn = graceful + RESETS
    return {
        ("CLOSED", "LISTEN"): 1,  # the scripted connections' listener
        ("CLOSED", "SYN-SENT"): conn + REFUSED,
        ("SYN-SENT", "ESTABLISHED"): conn,
        ("SYN-SENT", "CLOSED"): REFUSED,
        ("LISTEN", "SYN-RECEIVED"): conn,
        ("SYN-RECEIVED", "ESTABLISHED"): conn,
        ("ESTABLISHED", "FIN-WAIT-1"): graceful,
        ("FIN-WAIT-1", "FIN-WAIT-2"): graceful,
        ("FIN-WAIT-2", "TIME-WAIT"): graceful,
        ("ESTABLISHED", "CLOSE-WAIT"): graceful,
        ("CLOSE-WAIT", "LAST-ACK"): graceful,
        ("LAST-ACK", "CLOSED"): graceful,
        ("ESTABLISHED", "CLOSED"): 2 * RESETS,
    }



def start_summary(tulpen):
    argv = tulpen if isinstance(tulpen, list) else [tulpen]
    p = subprocess.Popen(argv + ["watch", "--summary", "--netns",
                                 "/proc/%d/ns/net" % os.getpid()],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.time() + 20
    while wc.bpf_links(p.pid) < 2:
        if p.poll() is not None:
            raise c.Fail("tulpen watch --summary exited: " + p.stderr.read())
        if time.time() > deadline:
            raise c.Fail("tulpen watch --summary did not attach")
        time.sleep(0.05)
    time.sleep(0.5)  # every program attached
    return p


ROW = re.compile(r"^(\S+)\s+(\S+)\s+(\d+)$")


def summary_transitions(text):
    """FROM TO COUNT rows of the summary, up to the total."""
    out = {}
    lines = text.splitlines()
    if len(lines) < 2 or lines[1].split() != ["FROM", "TO", "COUNT"]:
        raise c.Fail("no transitions table in: %r" % text[:200])
    for line in lines[2:]:
        if line.startswith("total"):
            return out
        m = ROW.match(line)
        if not m:
            raise c.Fail("not a transitions row: %r" % line)
        out[(m.group(1), m.group(2))] = int(m.group(3))
    raise c.Fail("no total line in the summary")


def main():
    tulpen = c.tulpen_path()
    if os.geteuid() != 0:
        c.skip("needs root (eBPF, a private network namespace)")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        c.skip("no kernel BTF: the eBPF counts cannot load")
    c.enter_netns()
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port,
                           "--no-owners"], port)
    try:
        c.check("metrics dropped: tulpen_tcp_transitions" not in
                srv.stderr(), "serve loaded the eBPF counts: "
                + srv.stderr().strip().replace("\n", " | "))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        st, _, body = c.get(conn, "/metrics")
        c.check(st == 200, "first scrape 200")
        before = c.parse_text(body)
        snmp0, tw0 = snmp_tcp(), ss_time_wait()
        watch = start_summary(tulpen)
        lst, spans = make_connections(c.free_port())
        watch.send_signal(signal.SIGINT)
        wout, werr = watch.communicate(timeout=30)
        c.check(watch.returncode == 0, "tulpen watch --summary exit 0 "
                + werr.strip())
        snmp1, tw1 = snmp_tcp(), ss_time_wait()
        st, _, body = c.get(conn, "/metrics")
        c.check(st == 200, "second scrape 200")
        after = c.parse_text(body)
        lst.close()

        got = delta(transitions(after), transitions(before))
        want = expected()
        missed = (one(after, "tulpen_tcp_transitions_missed_total") -
                  one(before, "tulpen_tcp_transitions_missed_total"))
        print("# transitions counted:", sorted(got.items()))
        print("# tulpen watch --summary:",
              sorted(summary_transitions(wout).items()))
        print("# program runs the kernel skipped:", missed)
        off = sum(abs(got.get(k, 0) - want.get(k, 0))
                  for k in set(got) | set(want) if k not in ACTIVE_CLOSE)
        short = sum(want[k] - got.get(k, 0) for k in ACTIVE_CLOSE)
        over = any(got.get(k, 0) > want[k] for k in ACTIVE_CLOSE)
        # A run the kernel skips (one of ours already running on that
        # CPU) loses one count, and says so in the missed counter.
        c.check(off <= missed and not over, "transition deltas are "
                "exactly the scripted paths (%d pairs; %d off, %d runs "
                "skipped)" % (len(want), off, missed))
        # Rarely (about 1 run in 20 on a busy host, the same in two
        # independent loads of the programs) one active closer's
        # FIN-WAIT-1 -> FIN-WAIT-2 and FIN-WAIT-2 -> TIME-WAIT are not
        # seen by the time the sockets have settled, nor its lifetime:
        # at most one of each. (Not understood yet: the eBPF programs'
        # recursion misses stay 0 then.)
        if short:
            print("# note: active close short by %d" % short)
        c.check(all(want[k] - got.get(k, 0) <= 1 for k in ACTIVE_CLOSE),
                "active close pairs at most one short (%d)" % short)
        c.check(missed or got.get(("CLOSED", "SYN-SENT"), 0) ==
                snmp1["ActiveOpens"] - snmp0["ActiveOpens"],
                "CLOSED -> SYN-SENT equals the kernel's ActiveOpens delta")
        c.check(missed or got.get(("LISTEN", "SYN-RECEIVED"), 0) ==
                snmp1["PassiveOpens"] - snmp0["PassiveOpens"],
                "LISTEN -> SYN-RECEIVED equals PassiveOpens delta")
        c.check(missed or got.get(("ESTABLISHED", "CLOSED"), 0) +
                got.get(("CLOSE-WAIT", "CLOSED"), 0) ==
                snmp1["EstabResets"] - snmp0["EstabResets"],
                "ESTABLISHED/CLOSE-WAIT -> CLOSED equals EstabResets delta")
        c.check(missed or got.get(("SYN-SENT", "CLOSED"), 0) +
                got.get(("SYN-RECEIVED", "CLOSED"), 0) ==
                snmp1["AttemptFails"] - snmp0["AttemptFails"],
                "SYN-SENT/SYN-RECEIVED -> CLOSED equals AttemptFails delta")
        c.check(missed or
                0 <= tw1 - tw0 - got.get(("FIN-WAIT-2", "TIME-WAIT"), 0)
                <= 1,
                "FIN-WAIT-2 -> TIME-WAIT equals ss's new TIME-WAIT "
                "sockets (%d; at most one short)" % (tw1 - tw0))

        closed = 2 * (GRACEFUL + SERVER_FIRST + HALF_CLOSE + RESETS) + REFUSED
        # The active closer whose end was not seen above has no lifetime
        # observed either (its end is that hand-over to TIME-WAIT).
        unseen = max(want[k] - got.get(k, 0) for k in ACTIVE_CLOSE)
        n = (one(after, "tulpen_tcp_connection_duration_seconds_count") -
             one(before, "tulpen_tcp_connection_duration_seconds_count"))
        c.check(n == closed - unseen, "histogram count grew by the %d "
                "sockets closed, %d unseen (got %d)" % (closed, unseen, n))
        untracked = "tulpen_tcp_connection_lifetimes_untracked_total"
        c.check(one(after, untracked) == 0, "no birth untracked (the kernel's table holds far "
                "more than this test's sockets)")
        b0, b1 = buckets(before), buckets(after)
        db = {le: b1[le] - b0.get(le, 0) for le in b1}
        print("# histogram deltas up to 1 s:", sorted(
            [kv for kv in db.items() if float(kv[0]) <= 1.0],
            key=lambda kv: float(kv[0])))
        print("# longest possible lifetimes (s): held %s, others %.3f" % (
            ["%.3f" % x for x in spans[:2 * HELD:2]],
            max(spans[2 * HELD:])))
        c.check(db["+Inf"] == n, "+Inf bucket equals the count")
        # Each bucket holds at least the ends that cannot have lived
        # longer than its bound, and none of the ends held longer than it
        # (a held end lives at least HOLD_S). When the host is at rest
        # that makes both buckets below exact.
        for le in db:
            bound_s = float(le)
            lo = sum(1 for x in spans if x <= bound_s) - unseen
            hi = closed - (2 * HELD if bound_s < HOLD_S else 0)
            c.check(lo <= db[le] <= hi, "bucket le=%s holds %d ends "
                    "(between %d and %d)" % (le, db[le], lo, hi))
        c.check(closed - 2 * HELD - unseen <= db[LOW_LE] or
                max(spans[2 * HELD:]) > float(LOW_LE),
                "the other %d ends are at most %s s"
                % (closed - 2 * HELD, LOW_LE))
        c.check(2 * HELD - unseen <= db[HIGH_LE] - db[LOW_LE] <= 2 * HELD or
                max(spans[:2 * HELD]) > float(HIGH_LE) or
                max(spans[2 * HELD:]) > float(LOW_LE),
                "the %d ends held %.2f s are in (%s, %s] s"
                % (2 * HELD, HOLD_S, LOW_LE, HIGH_LE))
        s = (one(after, "tulpen_tcp_connection_duration_seconds_sum") -
             one(before, "tulpen_tcp_connection_duration_seconds_sum"))
        c.check(2 * HELD * HOLD_S <= s < 2 * HELD * HOLD_S + 2.0,
                "the sum (%.3f s) covers the held time" % s)
        les = [float(k) for k in b1 if k != "+Inf"]
        c.check(les == sorted(les) and
                all(b1[a] <= b1[b] for a, b in zip(list(b1), list(b1)[1:])),
                "buckets ascend and are cumulative")

        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, text=True)
        c.check(r.returncode == 0, "promtool check metrics: "
                + (r.stdout + r.stderr).strip())

        wgot = summary_transitions(wout)
        woff = sum(abs(wgot.get(k, 0) - got.get(k, 0))
                   for k in set(wgot) | set(got))
        wmiss = re.search(r"missed: (\d+)", wout)
        c.check(woff <= (int(wmiss.group(1)) if wmiss else 0) + missed,
                "tulpen watch --summary printed the same transitions as "
                "serve counted (%d off)" % woff)
        wunseen = max(want[k] - wgot.get(k, 0) for k in ACTIVE_CLOSE)
        c.check("sockets closed: %d" % (closed - wunseen) in wout,
                "tulpen watch --summary: %d sockets closed, %d unseen"
                % (closed, wunseen))
        conn.close()
    finally:
        srv.stop()

    # Without privileges the eBPF part cannot load: dropped, and said so.
    port = c.free_port()
    srv = c.Serve(["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups", "--inh-caps=-all", tulpen],
                  ["--listen", "127.0.0.1:%d" % port, "--no-owners"], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        st, _, body = c.get(conn, "/metrics")
        conn.close()
        names = {n for n, _, _ in c.parse_text(body)}
        c.check(st == 200 and "tulpen_tcp_sockets" in names and
                "tulpen_tcp_transitions_total" not in names and
                "tulpen_tcp_connection_duration_seconds_count" not in names,
                "as nobody: socket metrics, no transition metrics")
        c.check("metrics dropped: tulpen_tcp_transitions_total, "
                "tulpen_tcp_connection_duration_seconds, "
                "tulpen_tcp_connection_lifetimes_untracked_total (eBPF: not "
                "permitted" in srv.stderr(), "as nobody: serve says which "
                "metrics it dropped and why")
    finally:
        srv.stop()


if __name__ == "__main__":
    try:
        main()
    except c.Fail as e:
        print("not ok -", e)
        sys.exit(1)
