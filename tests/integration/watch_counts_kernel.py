#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The in-kernel counts of `tulpen watch --summary` (what tulpen serve
exports) against the kernel's own counters, in a private network
namespace whose /proc/net/snmp and /proc/net/netstat count only it:

- every socket born (CLOSED -> SYN-SENT: ActiveOpens, plus the connects
  that found no local port, which the kernel fails after SYN-SENT; a
  listener's child, LISTEN -> SYN-RECEIVED: PassiveOpens) and closed
  again is in the lifetime histogram exactly once (the counts-only birth
  table), none untracked, listeners opened and closed in between not at
  all;
- the time-wait sockets' ends, TIME-WAIT -> CLOSED, seen through the
  timer tracepoints, equal the kernel's count of time-wait sockets that
  connect() reused (TcpExt TWRecycled; none in TIME-WAIT can expire
  within the test's seconds): the scenario makes connect() reuse them
  (tcp_tw_reuse, 32 local ports for N connections);
- each time-wait socket that took over either ended or is still listed
  by ss;
- ORPHANS connections closed by the client only (the server keeps its
  end in CLOSE-WAIT) leave time-wait sockets in FIN-WAIT-2 that expire
  after tcp_fin_timeout (1 s here): each expiry ends one of them once
  (FIN-WAIT-2 -> CLOSED), once ss lists no FIN-WAIT-2 socket left.

A run the kernel skips (missed_runs) may lose one count each.

usage: watch_counts_kernel.py [TULPEN]   (or $TULPEN)
"""
import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

N = 400           # graceful connections, client closes first
PORTS = (40000, 40031)
RESETS = 10
LISTENERS = 20    # listeners opened and closed: never born, never counted
ORPHANS = 5       # time-wait sockets left in FIN-WAIT-2 to expire

failures = []


def check(cond, msg):
    print(("ok - " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def proc_table(path, prefix):
    """Two-line /proc/net/{snmp,netstat} block @prefix as a dict."""
    with open(path) as f:
        rows = [line.split() for line in f if line.startswith(prefix)]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def kernel_counts():
    snmp = proc_table("/proc/net/snmp", "Tcp:")
    ext = proc_table("/proc/net/netstat", "TcpExt:")
    return {"active": snmp["ActiveOpens"], "passive": snmp["PassiveOpens"],
            "recycled": ext["TWRecycled"]}


def ss_count(*args):
    out = subprocess.run(["ss", "-tanH"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def settle():
    """Until only LISTEN, ESTABLISHED, TIME-WAIT and the orphans' server
    ends (CLOSE-WAIT: a close() moves the scenario's own on) are left."""
    # Normally a few ms; on a loaded host loopback's backlog can drop a
    # FIN or an ACK, and its retransmission backs off (0.2 s, 0.4 s, ...).
    deadline = time.time() + 60
    left = ["exclude", "established", "exclude", "listening",
            "exclude", "time-wait", "exclude", "close-wait"]
    while ss_count(*left):
        if time.time() > deadline:
            out = subprocess.run(["ss", "-tanoH"] + left,
                                 capture_output=True, text=True).stdout
            raise AssertionError("sockets still closing after 60 s:\n"
                                 + out)
        time.sleep(0.05)


FAILED = [0]      # connects refused for want of a local port


def connect_retry(port):
    """A connection from the narrow port range: when every port is in
    TIME-WAIT, the kernel reuses one once tcp_tw_reuse_delay passed."""
    for _ in range(2000):
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", port))
            return c
        except OSError as e:
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            FAILED[0] += 1
            c.close()
            time.sleep(0.002)
    raise AssertionError("no local port to connect from in 4 s")


def orphans():
    """ORPHANS time-wait sockets in FIN-WAIT-2, waited for until they
    expired; returns the server ends (still in CLOSE-WAIT)."""
    subprocess.run(["sysctl", "-qw", "net.ipv4.tcp_fin_timeout=1"],
                   check=True)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 5001))
    ls.listen(16)
    held = []
    for _ in range(ORPHANS):
        c = socket.create_connection(("127.0.0.1", 5001))
        s, _ = ls.accept()
        held.append(s)
        c.close()
    deadline = time.time() + 20
    while ss_count("state", "fin-wait-2"):
        if time.time() > deadline:
            raise AssertionError("FIN-WAIT-2 sockets left after 20 s")
        time.sleep(0.1)
    subprocess.run(["sysctl", "-qw", "net.ipv4.tcp_fin_timeout=60"],
                   check=True)
    ls.close()
    return held


def scenario():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 5000))
    ls.listen(128)
    for i in range(N):
        c = connect_retry(5000)
        s, _ = ls.accept()
        c.close()   # FIN-WAIT-1, FIN-WAIT-2, its time-wait socket
        s.close()   # CLOSE-WAIT, LAST-ACK, CLOSED
        if i % 40 == 0:
            extra = socket.socket()
            extra.bind(("127.0.0.1", 6000 + i))
            extra.listen(1)
            extra.close()   # CLOSED -> LISTEN -> CLOSED: no lifetime
    for i in range(LISTENERS):
        extra = socket.socket()
        extra.bind(("127.0.0.1", 7000 + i))
        extra.listen(1)
        extra.close()
    linger0 = struct.pack("ii", 1, 0)
    for _ in range(RESETS):
        c = connect_retry(5000)
        s, _ = ls.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger0)
        c.close()
        s.close()
    ls.close()
    settle()


def main():
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    if "--inside" not in sys.argv:
        wc.need_bpf(tulpen)
        wc.need_tools("ss")
        r = subprocess.run(["unshare", "-n", sys.executable,
                            os.path.abspath(__file__), tulpen, "--inside"])
        sys.exit(r.returncode)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for k, v in (("net.ipv4.tcp_tw_reuse", "1"),
                 ("net.ipv4.tcp_tw_reuse_delay", "1"),
                 ("net.ipv4.ip_local_port_range", "%d %d" % PORTS)):
        subprocess.run(["sysctl", "-qw", "%s=%s" % (k, v)], check=True)
    w = subprocess.Popen([tulpen, "watch", "--summary", "--json", "--netns",
                          "/proc/%d/ns/net" % os.getpid()],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.time() + 20
    while wc.bpf_links(w.pid) < 5:   # set_state, timers, xmit
        if w.poll() is not None or time.time() > deadline:
            wc.fail("tulpen watch --summary did not attach: " +
                    (w.stderr.read() if w.poll() is not None else ""))
        time.sleep(0.05)
    try:
        time.sleep(0.3)
        k0 = kernel_counts()
        held = orphans()
        scenario()
        k1 = kernel_counts()
        tw_left = ss_count("state", "time-wait")
    except BaseException:
        # Never leave the programs attached behind a failed scenario.
        w.kill()
        w.wait()
        raise
    w.send_signal(signal.SIGINT)
    out, err = w.communicate(timeout=30)
    check(w.returncode == 0, "tulpen watch --summary exit 0 " + err.strip())
    res = json.loads(out)
    got = {(t["old"], t["new"]): t["count"] for t in res["transitions"]}
    missed = res["missed_runs"]
    d = {k: k1[k] - k0[k] for k in k0}
    print("# kernel:", d, "time-wait left:", tw_left)
    print("# counted:", sorted(got.items()), "missed:", missed)
    print("# lifetimes:", res["lifetimes"]["sockets"], "untracked:",
          res["lifetimes"]["untracked"])

    def near(a, b):
        return abs(a - b) <= missed

    check(d["recycled"] >= N - (PORTS[1] - PORTS[0] + 1),
          "connect() reused time-wait sockets (%d)" % d["recycled"])
    check(near(got.get(("CLOSED", "SYN-SENT"), 0), d["active"] + FAILED[0]),
          "CLOSED -> SYN-SENT equals ActiveOpens (%d) and the connects "
          "without a port (%d)" % (d["active"], FAILED[0]))
    check(near(got.get(("SYN-SENT", "CLOSED"), 0), FAILED[0]),
          "SYN-SENT -> CLOSED: the connects without a port")
    check(near(got.get(("LISTEN", "SYN-RECEIVED"), 0), d["passive"]),
          "LISTEN -> SYN-RECEIVED equals PassiveOpens (%d)" % d["passive"])
    # The orphans' server ends are still open.
    born = d["active"] + d["passive"] + FAILED[0] - ORPHANS
    check(near(res["lifetimes"]["sockets"], born),
          "every socket born and closed is in the histogram once (%d, "
          "got %d)" % (born, res["lifetimes"]["sockets"]))
    check(res["lifetimes"]["untracked"] == 0, "no birth untracked")
    ended = got.get(("TIME-WAIT", "CLOSED"), 0)
    check(ended > 0 and near(ended, d["recycled"]),
          "TIME-WAIT -> CLOSED equals the kernel's reused time-wait "
          "sockets (TWRecycled: %d, got %d)" % (d["recycled"], ended))
    made = got.get(("FIN-WAIT-2", "TIME-WAIT"), 0)
    check(near(made, ended + tw_left),
          "each time-wait socket made (%d) ended or is listed by ss "
          "(%d + %d)" % (made, ended, tw_left))
    check(near(got.get(("FIN-WAIT-2", "CLOSED"), 0), ORPHANS),
          "each expired FIN-WAIT-2 time-wait socket ended once (%d, got "
          "%d)" % (ORPHANS, got.get(("FIN-WAIT-2", "CLOSED"), 0)))
    check(near(got.get(("ESTABLISHED", "CLOSE-WAIT"), 0), N + ORPHANS),
          "the servers of the orphans are in CLOSE-WAIT")
    for h in held:
        h.close()
    check(("LISTEN", "CLOSED") in got and
          near(got[("LISTEN", "CLOSED")], LISTENERS + N // 40 + 2),
          "the listeners' closes are counted as transitions")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
