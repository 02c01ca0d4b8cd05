#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What `tulpen explain` says, checked against the kernel.

Each check runs in a private network namespace of its own (unshare -n):
- SYN-RECEIVED: a server's half-open handshake is a request socket whose
  kernel state is 12 (a sock_diag dump asking for bit 12 alone gets it)
  and is reported as 3 (sock_diag and /proc/net/tcp); explain gives both.
- TIME-WAIT beyond tcp_max_tw_buckets: counted in TCPTimeWaitOverflow
  (/proc/net/netstat), the socket not made; explain names the counter.
- a reset in TIME-WAIT ends it with tcp_rfc1337 = 0 and not with 1.
- a newer SYN for the ports of a TIME-WAIT socket opens a new connection
  (RFC 6191); explain lists it as a way out of TIME-WAIT.
- CLOSE-WAIT ends by SO_KEEPALIVE when the peer is gone, and by
  TCP_USER_TIMEOUT when data stays unacknowledged; explain says so.
TAP; needs root (77 without).

usage: explain_kernel.py [TULPEN]
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

TULPEN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                         os.environ["TULPEN"])
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ, TCP_SEND_QUEUE = 19, 20, 21, 2
TCP_USER_TIMEOUT = 18


def explain(state, json_out=False):
    argv = [TULPEN, "explain", state, "--no-count"]
    if json_out:
        argv.append("--json")
    out = subprocess.run(argv, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out) if json_out else " ".join(out.split())


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True,
                          check=True, **kw).stdout


def nft(rules):
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)


def ss_count(*filt):
    return len([x for x in sh("ss", "-Htan", *filt).splitlines()
                if x.strip()])


def counter(name):
    lines = open("/proc/net/netstat").read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            d = dict(zip(names.split()[1:], values.split()[1:]))
            return int(d[name])
    raise KeyError(name)


def listener(port=0, backlog=16):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def diag_states(states):
    """sock_diag dump of IPv4 TCP with @states: the idiag_state of each."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0,
                      states) + bytes(48)
    hdr = struct.pack("=IHHII", 16 + len(req), 20, 0x301, 1, 0)
    nl.send(hdr + req)
    got = []
    while True:
        data = nl.recv(65536)
        off = 0
        while off < len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if typ == 3:  # NLMSG_DONE
                return got
            if typ == 2:
                raise OSError("sock_diag error")
            got.append(data[off + 17])  # idiag_state
            off += (ln + 3) & ~3


def check_syn_recv():
    ls = listener(7001)
    nft("table inet x { chain in { type filter hook input priority 0; "
        "tcp dport 7001 tcp flags & (syn | ack) == ack drop; }; }")
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", 7001))
    except BlockingIOError:
        pass
    time.sleep(0.2)
    # bit 12 alone selects it (the kernel adds bit 12 when 3 is asked
    # for, so bit 3 alone does too); both sock_diag and /proc say 3
    by12 = diag_states(1 << 12)
    by3 = diag_states(1 << 3)
    proc = [ln.split()[3] for ln in open("/proc/net/tcp").read()
            .splitlines()[1:] if ln.split()[1].endswith(":1B59") and
            not ln.split()[2].endswith(":0000")]
    e = explain("syn-received", True)
    t = explain("syn-received")
    ok = (by12 == [3] and by3 == [3] and proc == ["03"] and
          e["kernel_state"] == 3 and
          e["kernel_request_state"] == 12 and "kernel: 3; request "
          "sockets: 12" in t and "TCP_NEW_SYN_RECV (12)" in t)
    return ok, f"bit 12 -> {by12}, bit 3 -> {by3}, /proc {proc}; explain " \
        f"{e['kernel_state']}/{e.get('kernel_request_state')}"


def check_tw_overflow():
    sh("sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=2")
    ls = listener(7002)
    before = counter("TCPTimeWaitOverflow")
    for i in range(5):
        c = socket.create_connection(("127.0.0.1", 7002))
        a, _ = ls.accept()
        c.close()  # the client closes first: its side is TIME-WAIT
        time.sleep(0.02)
        a.close()
    time.sleep(0.2)
    rose = counter("TCPTimeWaitOverflow") - before
    tw = ss_count("state", "time-wait")
    t = explain("time-wait")
    ok = (rose == 3 and tw == 2 and "TcpExtTCPTimeWaitOverflow" in t and
          "time wait bucket table overflow" not in t)
    return ok, f"TCPTimeWaitOverflow +{rose}, {tw} TIME-WAIT"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def send_rst(sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x04,
                      0, 0, 0)
    pseudo = socket.inet_aton("127.0.0.1") * 2 + struct.pack(
        "!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.sendto(tcp, ("127.0.0.1", 0))


def rst_in_time_wait(rfc1337, port):
    """Make a TIME-WAIT socket, send it an in-window reset from its
    peer; return how many TIME-WAIT sockets are left (0 or 1)."""
    sh("sysctl", "-qw", f"net.ipv4.tcp_rfc1337={rfc1337}")
    ls = listener(port)
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = ls.accept()
    c.close()  # the client closes first: TIME-WAIT on its side
    time.sleep(0.05)
    # the server's next sequence number: its FIN's, + 1 after the FIN
    a.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    a.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
    seq = a.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ)
    a.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    peer = a.getpeername()[1]
    a.close()
    time.sleep(0.1)
    before = ss_count("state", "time-wait", "sport", f"= :{peer}")
    send_rst(port, peer, (seq + 1) & 0xffffffff)
    time.sleep(0.1)
    return before, ss_count("state", "time-wait", "sport", f"= :{peer}")


def check_rfc1337():
    b0, a0 = rst_in_time_wait(0, 7003)
    b1, a1 = rst_in_time_wait(1, 7004)
    t = explain("time-wait")
    ok = ((b0, a0, b1, a1) == (1, 0, 1, 1) and "tcp_rfc1337 is 0" in t and
          "with tcp_rfc1337 = 1 the reset is ignored" in t)
    return ok, f"rfc1337=0: {b0}->{a0} TIME-WAIT, rfc1337=1: {b1}->{a1}"


def check_syn_in_time_wait():
    ls = listener(7005)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", 7100))
    c.connect(("127.0.0.1", 7005))
    a, _ = ls.accept()
    a.close()  # the server closes first: TIME-WAIT on the server's side
    time.sleep(0.05)
    c.close()
    time.sleep(0.1)
    tw = ss_count("state", "time-wait", "sport", "= :7005")
    c2 = socket.socket()
    c2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c2.bind(("127.0.0.1", 7100))
    c2.settimeout(3)
    c2.connect(("127.0.0.1", 7005))  # the same four-tuple
    a2, _ = ls.accept()
    time.sleep(0.05)
    est = ss_count("state", "established", "sport", "= :7005")
    tw2 = ss_count("state", "time-wait", "sport", "= :7005")
    e = explain("time-wait", True)
    listed = any(w["label"].startswith("rcv newer SYN") and
                 w["to"] == "CLOSED" for w in e["ways_out"])
    ok = tw == 1 and est == 1 and tw2 == 0 and listed
    return ok, f"TIME-WAIT {tw} -> {tw2}, new connection {est}, " \
        f"listed {listed}"


def close_wait_ends(option):
    ls = listener(7006 if option == "keepalive" else 7007)
    port = ls.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = ls.accept()
    if option == "keepalive":
        a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        a.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        a.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        a.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 1)
    else:
        a.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 1000)
    cport = c.getsockname()[1]
    c.close()
    time.sleep(0.1)
    cw = ss_count("state", "close-wait", "sport", f"= :{port}")
    # the peer vanishes: nothing from it reaches the server any more
    nft("table inet y%d { chain in { type filter hook input priority 0; "
        "tcp sport %d drop; }; }" % (port, cport))
    if option == "user-timeout":
        a.send(b"x" * 100)
    end = time.time() + 8
    while time.time() < end and ss_count("state", "close-wait", "sport",
                                          f"= :{port}"):
        time.sleep(0.1)
    left = ss_count("state", "close-wait", "sport", f"= :{port}")
    return cw, left


def check_close_wait():
    k = close_wait_ends("keepalive")
    u = close_wait_ends("user-timeout")
    t = explain("close-wait")
    ok = (k == (1, 0) and u == (1, 0) and "SO_KEEPALIVE" in t and
          "TCP_USER_TIMEOUT" in t and "no timer ends it" not in t)
    return ok, f"keepalive: {k[0]} -> {k[1]}, user timeout: {u[0]} -> {u[1]}"


CHECKS = {
    "syn-recv-request-state": check_syn_recv,
    "time-wait-overflow-counter": check_tw_overflow,
    "time-wait-rst-rfc1337": check_rfc1337,
    "time-wait-newer-syn": check_syn_in_time_wait,
    "close-wait-timers": check_close_wait,
}


def inside(name):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    ok, what = CHECKS[name]()
    print(json.dumps([ok, what]))


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        inside(sys.argv[3])
        return 0
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespaces)")
        return 77
    failed = 0
    for i, name in enumerate(CHECKS, 1):
        r = subprocess.run(["unshare", "-n", sys.executable, __file__,
                            TULPEN, "--inside", name],
                           capture_output=True, text=True, timeout=60)
        try:
            ok, what = json.loads(r.stdout.splitlines()[-1])
        except (ValueError, IndexError):
            ok, what = False, f"crashed: {r.stderr.strip()[-300:]}"
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {i} - {name}: {what}")
    print(f"1..{len(CHECKS)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
