#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
pcap_kernel.py - `tulpen pcap` against the kernel's own TCP state changes.

For one scenario (argv[2]) this test, inside a private network namespace
(unshare -n) it makes itself:
  1. records the kernel's transitions of the test's sockets through the
     sock:inet_sock_set_state tracepoint, in a tracefs instance of its own
     filtered on the test's port;
  2. captures the traffic on lo with tcpdump;
  3. plays the scenario with real sockets (nftables rules where packets
     must be lost);
  4. notes which sockets `ss -tan` shows in TIME-WAIT (the tracepoint shows
     a socket going to TIME-WAIT as its full socket closing: X -> CLOSE);
  5. runs `tulpen pcap --json` on the capture and compares each endpoint's
     reconstructed state sequence with the kernel's, and the time of each
     transition (relative to the client's SYN-SENT) within 5 ms.

Usage: pcap_kernel.py TULPEN SCENARIO [--keep DIR]
Exit 77 (skip) only when not root (or the kernel has no tracefs at all);
as root a missing tool is a failure. tracefs is mounted, when the host has
not, in a private mount namespace of the test's own.

With --keep DIR the capture is kept as DIR/SCENARIO.pcap (used to refresh
the fixtures in tests/fixtures/pcap/).
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

TRACEFS = "/sys/kernel/tracing"
KSTATE = {
    "TCP_ESTABLISHED": "ESTABLISHED", "TCP_SYN_SENT": "SYN-SENT",
    "TCP_SYN_RECV": "SYN-RECEIVED", "TCP_FIN_WAIT1": "FIN-WAIT-1",
    "TCP_FIN_WAIT2": "FIN-WAIT-2", "TCP_TIME_WAIT": "TIME-WAIT",
    "TCP_CLOSE": "CLOSED", "TCP_CLOSE_WAIT": "CLOSE-WAIT",
    "TCP_LAST_ACK": "LAST-ACK", "TCP_LISTEN": "LISTEN",
    "TCP_CLOSING": "CLOSING", "TCP_NEW_SYN_RECV": "SYN-RECEIVED",
}


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def need_tracefs():
    """The sock:inet_sock_set_state tracepoint in TRACEFS, mounting tracefs
    there when it is not (called in our private mount namespace)."""
    ev = os.path.join(TRACEFS, "events/sock/inet_sock_set_state")
    if os.path.isdir(ev):
        return
    with open("/proc/filesystems") as f:
        if "tracefs" not in f.read().split():
            skip("the kernel has no tracefs")
    r = subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("cannot mount tracefs on %s: %s" % (TRACEFS, r.stderr.strip()))
    if not os.path.isdir(ev):
        fail("no sock:inet_sock_set_state tracepoint in " + TRACEFS)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          **kw)


class Env:
    """What a scenario needs: addresses, ports, nft, the listener."""

    def __init__(self):
        self.saddr = "127.%d.%d.%d" % (random.randint(1, 254),
                                       random.randint(1, 254),
                                       random.randint(2, 254))
        self.caddr = "127.%d.%d.%d" % (random.randint(1, 254),
                                       random.randint(1, 254),
                                       random.randint(2, 254))
        self.sport = random.randint(20000, 29999)
        self.next_cport = random.randint(30000, 59000)
        self.nft_ready = False
        self.family = socket.AF_INET
        self.expect = {}   # extra expectations of the scenario

    def cport(self):
        self.next_cport += 1
        return self.next_cport

    def ipv6(self):
        """Use random addresses of fd00::/8 on lo instead."""
        self.family = socket.AF_INET6
        self.saddr = "fd%02x::%x" % (random.randint(0, 255),
                                     random.randint(2, 65000))
        self.caddr = "fd%02x::%x" % (random.randint(0, 255),
                                     random.randint(2, 65000))
        for a in (self.saddr, self.caddr):
            run(["ip", "-6", "addr", "add", a + "/128", "dev", "lo",
                 "nodad"])

    def listener(self):
        s = socket.socket(self.family)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.saddr, self.sport))
        s.listen(16)
        return s

    def client(self, connect=True, timeout=None):
        c = socket.socket(self.family)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = self.cport()
        c.bind((self.caddr, port))
        if timeout is not None:
            c.settimeout(timeout)
        if connect:
            c.connect((self.saddr, self.sport))
        return c, port

    def nft(self, rule):
        """Add a rule to this namespace's own table; returns its handle."""
        if not self.nft_ready:
            run(["nft", "add", "table", "inet", "tulpen_t"])
            for hook in ("input", "output"):
                run(["nft", "add", "chain", "inet", "tulpen_t", hook,
                     "{ type filter hook %s priority 0; }" % hook])
            self.nft_ready = True
        hook, expr = rule
        out = run(["nft", "--echo", "--handle", "add", "rule", "inet",
                   "tulpen_t", hook] + expr.split()).stdout
        m = re.search(r"# handle (\d+)", out)
        if not m:
            fail("nft gave no rule handle: %r" % out)
        return (hook, m.group(1))

    def nft_del(self, h):
        run(["nft", "delete", "rule", "inet", "tulpen_t", h[0], "handle",
             h[1]])


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def settle():
    time.sleep(0.15)


# --- scenarios: each returns the list of client ports to check -----------

def sc_client_close(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    a.recv(100)
    a.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 3000)
    c.recv(5000)
    c.close()
    settle()
    a.close()
    settle()
    env.expect[p] = {"conn_state": "SF", "active_closer": "client"}
    return [p]


def sc_client_close_v6(env):
    env.ipv6()
    return sc_client_close(env)


def sc_server_close(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    a.sendall(b"hello")
    c.recv(10)
    a.close()
    settle()
    c.close()
    settle()
    env.expect[p] = {"conn_state": "SF", "active_closer": "server"}
    return [p]


def sc_three_way_close(env):
    # The server's ACK of the client's FIN is lost (dropped before the
    # capture point), so its FIN goes out with the ACK: FIN, FIN+ACK, ACK.
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"ping")
    a.recv(10)
    settle()
    h = env.nft(("output", "tcp sport %d tcp flags == ack drop"
                 % env.sport))
    c.close()
    settle()
    a.close()
    env.nft_del(h)
    settle()
    env.expect[p] = {"conn_state": "SF", "active_closer": "client",
                     "server_fin_ack": True}
    return [p]


def sc_simultaneous_close(env):
    # Both send FIN before receiving the other's: the client's first FIN
    # is dropped on input (the capture still has it), the server's FIN
    # then reaches a client in FIN-WAIT-1 -> CLOSING. The client's
    # retransmitted FIN closes the rest.
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"x")
    a.recv(1)
    settle()
    h = env.nft(("input", "tcp sport %d tcp flags & fin == fin drop" % p))
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.02)
    a.shutdown(socket.SHUT_WR)
    time.sleep(0.05)
    env.nft_del(h)
    time.sleep(1.2)     # the client's FIN retransmission (RTO >= 200 ms)
    c.close()
    a.close()
    settle()
    env.expect[p] = {"conn_state": "SF", "simultaneous_close": True,
                     "closing": "client"}
    return [p]


def sc_half_close(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"request")
    c.shutdown(socket.SHUT_WR)
    a.recv(100)
    assert a.recv(100) == b""
    settle()
    a.sendall(b"r" * 5000)  # data after the client's FIN
    settle()
    got = 0
    while got < 5000:
        got += len(c.recv(10000))
    a.close()
    settle()
    c.close()
    settle()
    env.expect[p] = {"conn_state": "SF", "active_closer": "client",
                     "server_bytes_min": 5000}
    return [p]


def sc_rst_client(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"x")
    a.recv(1)
    linger0(c)
    c.close()
    settle()
    a.close()
    env.expect[p] = {"conn_state": "RSTO", "first_reset_by": "client"}
    return [p]


def sc_rst_server(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"x")
    a.recv(1)
    linger0(a)
    a.close()
    settle()
    c.close()
    env.expect[p] = {"conn_state": "RSTR", "first_reset_by": "server"}
    return [p]


def sc_refused(env):
    c, p = env.client(connect=False)
    try:
        c.connect((env.saddr, env.sport))   # nothing listens
        fail("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    c.close()
    env.expect[p] = {"conn_state": "REJ", "first_reset_by": "server"}
    return [p]


def sc_syn_unanswered(env):
    ls = env.listener()
    env.nft(("input", "tcp dport %d tcp flags & (syn|ack) == syn drop"
             % env.sport))
    c, p = env.client(connect=False, timeout=2.5)
    try:
        c.connect((env.saddr, env.sport))
        fail("connect through a blackhole succeeded")
    except (socket.timeout, TimeoutError):
        pass
    # still trying: the socket is SYN-SENT until we close it
    env.expect[p] = {"conn_state": "S0", "client_syn_rexmits_min": 1,
                     "open": True}
    env.keep_open = (c, ls)
    return [p]


def sc_syn_retransmit(env):
    ls = env.listener()
    h = env.nft(("input", "tcp dport %d tcp flags & (syn|ack) == syn drop"
                 % env.sport))
    t = threading.Timer(0.4, env.nft_del, args=(h,))
    t.start()
    c, p = env.client(timeout=5)     # the 1 s retransmission gets through
    t.join()
    a, _ = ls.accept()
    c.sendall(b"after retransmission")
    a.recv(100)
    c.close()
    settle()
    a.close()
    settle()
    env.expect[p] = {"conn_state": "SF", "client_syn_rexmits_min": 1,
                     "syn_received_at_last_syn": True}
    return [p]


def sc_midstream(env):
    ls = env.listener()
    c, p = env.client()
    a, _ = ls.accept()
    c.sendall(b"before the capture")
    a.recv(100)
    env.start_capture()           # the capture starts now
    c.sendall(b"during the capture")
    a.recv(100)
    a.sendall(b"reply")
    c.recv(100)
    c.close()
    settle()
    a.close()
    settle()
    env.expect[p] = {"midstream": True, "conn_state": "SF",
                     "active_closer": "client"}
    return [p]


SCENARIOS = {
    "client-close": sc_client_close,
    "client-close-v6": sc_client_close_v6,
    "server-close": sc_server_close,
    "three-way-close": sc_three_way_close,
    "simultaneous-close": sc_simultaneous_close,
    "half-close": sc_half_close,
    "rst-client": sc_rst_client,
    "rst-server": sc_rst_server,
    "refused": sc_refused,
    "syn-unanswered": sc_syn_unanswered,
    "syn-retransmit": sc_syn_retransmit,
    "midstream": sc_midstream,
}
LATE_CAPTURE = {"midstream"}


# --- kernel truth ----------------------------------------------------------

class Trace:
    def __init__(self, port):
        self.dir = os.path.join(TRACEFS, "instances",
                                "tulpen_pcap_%d_%d" % (os.getpid(),
                                                       random.randint(0, 1 << 30)))
        os.mkdir(self.dir)
        ev = os.path.join(self.dir, "events/sock/inet_sock_set_state")
        with open(os.path.join(ev, "filter"), "w") as f:
            f.write("sport == %d || dport == %d" % (port, port))
        with open(os.path.join(ev, "enable"), "w") as f:
            f.write("1")
        self.ev = ev

    def read(self):
        with open(os.path.join(self.ev, "enable"), "w") as f:
            f.write("0")
        with open(os.path.join(self.dir, "trace")) as f:
            text = f.read()
        return text

    def close(self):
        try:
            os.rmdir(self.dir)
        except OSError:
            pass


LINE = re.compile(r"\s(\d+\.\d+): inet_sock_set_state: family=(\w+) .*"
                  r"sport=(\d+) dport=(\d+) saddr=(\S+) daddr=(\S+) "
                  r"saddrv6=(\S+) .*oldstate=(\w+) newstate=(\w+)")


def kernel_sequences(text, env):
    """{(local addr, local port, peer port): [(t, state), ...]}"""
    seqs = {}
    for line in text.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        t, fam, sp, dp, sa, da, sa6, old, new = m.groups()
        sp, dp = int(sp), int(dp)
        if fam == "AF_INET6":
            sa = sa6
        if sa not in (env.saddr, env.caddr):
            continue        # another test's socket on the same port
        key = (sa, sp, dp)
        if key not in seqs:
            seqs[key] = [(float(t), KSTATE[old])]
        seqs[key].append((float(t), KSTATE[new]))
    return seqs


def time_wait_sockets():
    out = run(["ss", "-tanH", "state", "time-wait"]).stdout
    tw = set()
    for line in out.splitlines():
        f = line.split()
        # Recv-Q Send-Q Local Peer (state column omitted with a filter)
        local = f[2] if len(f) >= 4 else f[-2]
        addr, port = local.rsplit(":", 1)
        tw.add((addr.strip("[]"), int(port)))
    return tw


def normalise_kernel(seq, local, tw, tulpen_states):
    """Kernel transitions as RFC 9293 names them (see the module doc)."""
    states = [s for _, s in seq]
    times = [t for t, _ in seq]
    # A full socket going to TIME-WAIT shows as "-> CLOSE".
    if local in tw and states and states[-1] == "CLOSED":
        states[-1] = "TIME-WAIT"
    # FIN+ACK in one segment: Linux takes the ACK first (FIN-WAIT-1 ->
    # FIN-WAIT-2) and the FIN right after, in the same microseconds; RFC
    # 9293 goes FIN-WAIT-1 -> TIME-WAIT. Only when the capture shows it so.
    for i in range(1, len(states) - 1):
        if (states[i] == "FIN-WAIT-2" and states[i - 1] == "FIN-WAIT-1"
                and states[i + 1] in ("TIME-WAIT", "CLOSED")
                and times[i + 1] - times[i] < 0.0002
                and "FIN-WAIT-2" not in tulpen_states):
            del states[i]
            del times[i]
            break
    return states, times


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in SCENARIOS:
        print(__doc__)
        print("scenarios: " + " ".join(SCENARIOS))
        sys.exit(2)
    tulpen, name = os.path.abspath(sys.argv[1]), sys.argv[2]
    keep = None
    if "--keep" in sys.argv:
        keep = sys.argv[sys.argv.index("--keep") + 1]
    if os.geteuid() != 0:
        skip("needs root (network namespace, tracefs, tcpdump)")
    # As root these are part of the set-up (scripts/deps.sh): a missing
    # one is a failure, not a skip.
    for tool in ("tcpdump", "nft", "ss", "ip", "unshare", "mount"):
        if not shutil.which(tool):
            fail("%s is not installed (scripts/deps.sh)" % tool)
    if os.environ.get("TULPEN_PCAP_NETNS") != str(os.getppid()):
        env = dict(os.environ, TULPEN_PCAP_NETNS=str(os.getpid()))
        # A network namespace and a private mount namespace of our own
        # (tracefs is mounted there if the host has not: the host is left
        # as it was). unshare execs python directly: our pid becomes its
        # parent.
        r = subprocess.run(["unshare", "-n", "-m", "--propagation",
                            "private", sys.executable] + sys.argv, env=env)
        sys.exit(r.returncode)
    need_tracefs()

    run(["ip", "link", "set", "lo", "up"])
    env = Env()
    tmp = tempfile.mkdtemp(prefix="tulpen-pcap-")
    pcap = os.path.join(tmp, name + ".pcap")
    trace = Trace(env.sport)
    dump = None

    def start_capture():
        nonlocal dump
        dump = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-w", pcap, "-U", "-s", "256",
             "--immediate-mode", "-n", "tcp port %d" % env.sport],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        line = dump.stderr.readline()   # "listening on lo, ..."
        if "listening" not in line:
            fail("tcpdump did not start: " + line)
        time.sleep(0.1)

    env.start_capture = start_capture
    try:
        if name not in LATE_CAPTURE:
            start_capture()
        ports = SCENARIOS[name](env)
        time.sleep(0.2)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
        tw = time_wait_sockets()
        ktext = trace.read()
    finally:
        trace.close()
        if dump and dump.poll() is None:
            dump.kill()
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(pcap, os.path.join(keep, name + ".pcap"))

    r = subprocess.run([tulpen, "pcap", "--json", pcap],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("tulpen pcap exited %d: %s" % (r.returncode, r.stderr))
    conns = json.loads(r.stdout)
    kseqs = kernel_sequences(ktext, env)
    errors = []
    # Transition times are compared too, relative to the client's
    # SYN-SENT: the capture's clock and the tracepoint's differ in origin,
    # not in rate. A transition tulpen dates from the wrong packet (the
    # first SYN instead of the one that got through, the FIN instead of
    # its late ACK) is off by a delayed-ACK time (40 ms) or an RTO (>= 200
    # ms); loopback jitter between capture and tracepoint is microseconds.
    TOL = 0.005
    for p in ports:
        found = [c for c in conns if c["client"]["port"] == p
                 and c["server"]["port"] == env.sport]
        if len(found) != 1:
            errors.append("client port %d: %d connections in the capture"
                          % (p, len(found)))
            continue
        c = found[0]
        ck = kseqs.get((env.caddr, p, env.sport), [])
        kref = ck[1][0] if len(ck) > 1 else None
        tref = c["client"]["states"][1]["ts"] \
            if len(c["client"]["states"]) > 1 else None
        for side, local, peer in (("client", (env.caddr, p), env.sport),
                                  ("server", (env.saddr, env.sport), p)):
            tul = [s["state"] for s in c[side]["states"]]
            kseq = kseqs.get((local[0], local[1], peer), [])
            kern, ktimes = normalise_kernel(kseq, local, tw, tul)
            if c["midstream"]:
                # Compare from where the capture could see: the states
                # the kernel went through from ESTABLISHED on.
                if "ESTABLISHED" in kern:
                    kern = kern[kern.index("ESTABLISHED"):]
            elif not kern and side == "server":
                # No socket was ever created for this connection: it
                # must be shown in its initial state only.
                kern = tul[:1] if len(tul) == 1 else ["(no socket)"]
            if tul != kern:
                errors.append("%s %s:%d: tulpen %s, kernel %s" % (
                    side, local[0], local[1], " -> ".join(tul),
                    " -> ".join(kern)))
                continue
            print("ok %s: %s" % (side, " -> ".join(tul)))
            if c["midstream"] or kref is None or tref is None or \
                    len(ktimes) != len(tul):
                continue
            # [0] is the state before the first transition: no time.
            for i in range(1, len(tul)):
                # The tracepoint dates a server's SYN-RECEIVED when its
                # full socket is made, at the handshake's last ACK (the
                # request socket before it has no tracepoint); RFC 9293's
                # SYN-RECEIVED starts at the SYN.
                if tul[i] == "SYN-RECEIVED" and side == "server":
                    continue
                # A closed socket in FIN-WAIT-2 becomes a timewait socket
                # ("-> CLOSE" in the trace) at once; its later move to
                # TIME-WAIT has no tracepoint.
                if tul[i] == "TIME-WAIT" and tul[i - 1] == "FIN-WAIT-2":
                    continue
                kt = ktimes[i] - kref
                tt = c[side]["states"][i]["ts"] - tref
                if abs(kt - tt) > TOL:
                    errors.append(
                        "%s %s: at +%.6f s in the capture, at +%.6f s "
                        "in the kernel" % (side, tul[i], tt, kt))
            print("ok %s: transition times within %d ms of the kernel's"
                  % (side, TOL * 1000))
        exp = env.expect.get(p, {})
        for key in ("conn_state", "active_closer", "first_reset_by",
                    "midstream", "simultaneous_close"):
            if key in exp and c[key] != exp[key]:
                errors.append("%s: %r, expected %r" % (key, c[key],
                                                        exp[key]))
        if exp.get("closing"):
            if "CLOSING" not in [s["state"] for s in
                                 c[exp["closing"]]["states"]]:
                errors.append("%s never in CLOSING" % exp["closing"])
        if "client_syn_rexmits_min" in exp and \
                c["client"]["syn_rexmits"] < exp["client_syn_rexmits_min"]:
            errors.append("no SYN retransmission counted")
        if "server_bytes_min" in exp and \
                c["server"]["bytes"] < exp["server_bytes_min"]:
            errors.append("server bytes %d" % c["server"]["bytes"])
        if exp.get("open") and c["end"] != "open":
            errors.append("end %r, expected open" % c["end"])
        if exp.get("server_fin_ack"):
            st = [s["state"] for s in c["server"]["states"]]
            if "FIN-WAIT-1" in st or "LAST-ACK" not in st:
                errors.append("server states %r" % st)
            ct = [s["state"] for s in c["client"]["states"]]
            if "FIN-WAIT-2" in ct:
                errors.append("three-way close shows client FIN-WAIT-2")
        if exp.get("syn_received_at_last_syn"):
            # The server got the retransmitted SYN, not the first one.
            srv = [s for s in c["server"]["states"]
                   if s["state"] == "SYN-RECEIVED"]
            first = c["client"]["states"][1]["packet"]
            if not srv or srv[0]["packet"] == first:
                errors.append("server SYN-RECEIVED at the first SYN")
    shutil.rmtree(tmp, ignore_errors=True)
    if errors:
        print("tulpen pcap --json output:")
        print(r.stdout)
        print("kernel trace:")
        print(ktext)
        fail("; ".join(errors))
    print("PASS %s" % name)


if __name__ == "__main__":
    main()
