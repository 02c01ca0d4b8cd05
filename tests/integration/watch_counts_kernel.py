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
  timer tracepoints, equal the kernel's count of time-wait sockets
  reused or killed (TcpExt TWRecycled + TWKilled; none can expire within
  the test's seconds): the scenario makes connect() reuse them
  (tcp_tw_reuse, 32 local ports for N connections);
- each time-wait socket that took over either ended or is still listed
  by ss.

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
            "tw_ended": ext["TWRecycled"] + ext["TWKilled"],
            "recycled": ext["TWRecycled"]}


def ss_count(*args):
    out = subprocess.run(["ss", "-tanH"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def settle():
    """Until only LISTEN, ESTABLISHED and TIME-WAIT sockets are left."""
    deadline = time.time() + 20
    while ss_count("exclude", "established", "exclude", "listening",
                   "exclude", "time-wait"):
        if time.time() > deadline:
            raise AssertionError("sockets still closing after 20 s")
        time.sleep(0.05)


def links(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                n += "link_id:" in f.read()
        except OSError:
            pass
    return n


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
    while links(w.pid) < 5:   # set_state, timers, xmit
        if w.poll() is not None or time.time() > deadline:
            wc.fail("tulpen watch --summary did not attach: " +
                    (w.stderr.read() if w.poll() is not None else ""))
        time.sleep(0.05)
    time.sleep(0.3)
    k0 = kernel_counts()
    scenario()
    k1 = kernel_counts()
    tw_left = ss_count("state", "time-wait")
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
    born = d["active"] + d["passive"] + FAILED[0]
    check(near(res["lifetimes"]["sockets"], born),
          "every socket born and closed is in the histogram once (%d, "
          "got %d)" % (born, res["lifetimes"]["sockets"]))
    check(res["lifetimes"]["untracked"] == 0, "no birth untracked")
    ended = got.get(("TIME-WAIT", "CLOSED"), 0)
    check(ended > 0 and near(ended, d["tw_ended"]),
          "TIME-WAIT -> CLOSED equals the kernel's ended time-wait "
          "sockets (TWRecycled + TWKilled: %d, got %d)"
          % (d["tw_ended"], ended))
    made = got.get(("FIN-WAIT-2", "TIME-WAIT"), 0)
    check(near(made, ended + tw_left),
          "each time-wait socket made (%d) ended or is listed by ss "
          "(%d + %d)" % (made, ended, tw_left))
    check(("LISTEN", "CLOSED") in got and
          near(got[("LISTEN", "CLOSED")], LISTENERS + N // 40 + 1),
          "the listeners' closes are counted as transitions")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
