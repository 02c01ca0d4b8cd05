#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
snmp_traffic.py - traffic that moves the kernel's counters of
/proc/net/snmp, netstat and snmp6, made inside a private network namespace
(sockstates.enter_private_netns): TCP over IPv4 and IPv6 with data both
ways and TIME-WAIT, connections refused and reset, retransmissions (an nft
rule dropping a port's packets for a while), a listen queue overflowing,
SYN cookies, UDP to a closed port (ICMP port unreachable), ICMP echo and
raw IP.

    snmp_traffic.py --record DIR   make the traffic, then record
        DIR/net/{snmp,netstat,snmp6} and netstat -s's output for each of
        CASES into DIR/expected/, all at one moment (the files are read
        before and after netstat runs and must be equal).

    snmp_traffic.py --netstat-over DIR [CASE...]   netstat -s (and each
        CASE, e.g. "-6 -t") over made-up DIR/net/{snmp,netstat,snmp6}:
        run in a private mount namespace with a tmpfs over /proc holding
        only those files; the output goes to DIR/expected/ (how the
        netstat_snmp_unique and netstat_snmp_quirks fixtures were made).

Python stdlib only; runs under /usr/bin/python3 as root.
"""

import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockstates as S  # noqa: E402

# netstat -s's variants the tests compare (arguments after -s).
CASES = [[], ["-6"], ["-t"], ["-u"], ["-w"], ["-6", "-t"], ["-6", "-u"],
         ["-t", "-u", "-w"]]

FILES = ("snmp", "netstat", "snmp6")


def case_name(args):
    return "s" + "".join(a.replace("-", "_") for a in args) + ".out"


def sysctl(name, val):
    with open("/proc/sys/net/" + name, "w") as f:
        f.write(val)


def nft(*rule):
    subprocess.run(["nft"] + list(rule), check=True)


def tcp_talk(fam, addr, port, n=3):
    """@n connections with data both ways, closed by the client (so they
    end in TIME-WAIT), then one reset by SO_LINGER 0 and one closed with
    data unread (the peer's abort on close)."""
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    for i in range(n + 2):
        c = socket.create_connection((addr, port))
        a, _ = ls.accept()
        c.sendall(b"x" * 20000)
        got = 0
        while got < 20000:
            got += len(a.recv(65536))
        a.sendall(b"y" * 3000)
        c.recv(65536)
        if i == n:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
            a.close()
        elif i == n + 1:
            a.sendall(b"z" * 100)
            time.sleep(0.05)
            c.close()  # data unread: RST
            a.close()
        else:
            c.close()
            a.recv(10)
            a.close()
    ls.close()


def refused(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.connect((addr, port))
    except ConnectionRefusedError:
        pass
    s.close()


def retransmits(addr, port):
    """An established connection whose data is dropped for a while, and a
    SYN dropped once."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((addr, port))
    ls.listen(8)
    c = socket.create_connection((addr, port))
    a, _ = ls.accept()
    nft("add", "table", "inet", "snmpt")
    nft("add", "chain", "inet", "snmpt", "in",
        "{ type filter hook input priority 0; }")
    nft("add", "rule", "inet", "snmpt", "in", "tcp", "dport", str(port),
        "drop")
    c.sendall(b"r" * 5000)
    time.sleep(0.8)
    c2 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c2.setblocking(False)
    try:
        c2.connect((addr, port))
    except BlockingIOError:
        pass
    time.sleep(1.3)  # the first SYN retransmission comes after 1 s
    nft("delete", "table", "inet", "snmpt")
    got = 0
    while got < 5000:
        got += len(a.recv(65536))
    time.sleep(0.3)
    for s in (c, c2, a, ls):
        s.close()


def overflow(addr, port):
    """A listener with backlog 0 that never accepts: the accept queue
    overflows; with syncookies=2 every SYN gets a cookie."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((addr, port))
    ls.listen(0)
    cs = []
    for _ in range(4):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        cs.append(c)
    time.sleep(0.3)
    sysctl("ipv4/tcp_syncookies", "2")
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(2)
    try:
        c.connect((addr, port))
    except OSError:
        pass
    cs.append(c)
    time.sleep(0.2)
    sysctl("ipv4/tcp_syncookies", "1")
    for c in cs:
        c.close()
    ls.close()


def cookies(addr, port):
    """tcp_syncookies=2: a cookie for every SYN, checked by the ACK."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((addr, port))
    ls.listen(8)
    sysctl("ipv4/tcp_syncookies", "2")
    try:
        c = socket.create_connection((addr, port))
        a, _ = ls.accept()
        c.sendall(b"c")
        a.recv(1)
        for x in (c, a):
            x.close()
    finally:
        sysctl("ipv4/tcp_syncookies", "1")
    ls.close()


def udp(fam, addr, port):
    r = socket.socket(fam, socket.SOCK_DGRAM)
    r.bind((addr, port))
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(5):
        s.sendto(b"u" * 100, (addr, port))
        r.recv(200)
    s.sendto(b"closed", (addr, port + 1))  # ICMP port unreachable
    time.sleep(0.05)
    s.close()
    r.close()


def ping(fam, addr, n=3):
    """ICMP echo through a raw socket; the kernel answers."""
    if fam == socket.AF_INET:
        s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        typ = 8
    else:
        s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        typ = 128
    for i in range(n):
        body = struct.pack("!BBHHH", typ, 0, 0, 0x5a5a, i) + b"p" * 32
        if fam == socket.AF_INET:
            cs = sum(struct.unpack("!%dH" % (len(body) // 2), body))
            cs = (cs >> 16) + (cs & 0xffff)
            cs = ~(cs + (cs >> 16)) & 0xffff
            body = body[:2] + struct.pack("!H", cs) + body[4:]
        s.sendto(body, (addr, 0))
    time.sleep(0.1)
    s.close()


def raw_ip():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
    s.sendto(b"raw", ("127.0.0.1", 0))
    s.close()


def make():
    """All of the traffic (in the current, private namespace)."""
    socket.setdefaulttimeout(10)
    tcp_talk(socket.AF_INET, "127.0.0.1", 5001)
    tcp_talk(socket.AF_INET6, "::1", 5002)
    refused(socket.AF_INET, "127.0.0.1", 5003)
    refused(socket.AF_INET6, "::1", 5003)
    udp(socket.AF_INET, "127.0.0.1", 5010)
    udp(socket.AF_INET6, "::1", 5010)
    ping(socket.AF_INET, "127.0.0.1")
    ping(socket.AF_INET6, "::1")
    raw_ip()
    overflow("127.0.0.1", 5020)
    cookies("127.0.0.1", 5025)
    retransmits("127.0.0.1", 5030)
    time.sleep(0.3)


def read_files():
    out = {}
    for f in FILES:
        with open("/proc/net/" + f, "rb") as fh:
            out[f] = fh.read()
    return out


def record(d):
    S.enter_private_netns()
    make()
    for _ in range(20):
        before = read_files()
        outs = {}
        for args in CASES:
            outs[case_name(args)] = subprocess.run(
                ["netstat", "-s"] + args, stdout=subprocess.PIPE,
                check=True).stdout
        if read_files() == before:
            break
        time.sleep(0.5)
    else:
        sys.exit("the counters kept moving")
    os.makedirs(d + "/net", exist_ok=True)
    os.makedirs(d + "/expected", exist_ok=True)
    for f, text in before.items():
        with open(d + "/net/" + f, "wb") as fh:
            fh.write(text)
    for name, text in outs.items():
        with open(d + "/expected/" + name, "wb") as fh:
            fh.write(text)


def netstat_over(d, cases):
    d = os.path.abspath(d)
    os.makedirs(d + "/expected", exist_ok=True)
    for args in cases:
        sh = ("mount -t tmpfs snmp /proc && mkdir /proc/net && "
              "for f in %s; do [ ! -e '%s/net/'$f ] || "
              "cp '%s/net/'$f /proc/net/; done && exec netstat -s %s" %
              (" ".join(FILES), d, d, " ".join(args)))
        out = subprocess.run(["unshare", "-m", "sh", "-c", sh],
                             stdout=subprocess.PIPE).stdout
        with open(d + "/expected/" + case_name(args), "wb") as fh:
            fh.write(out)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--record":
        record(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "--netstat-over":
        netstat_over(sys.argv[2], [a.split() for a in sys.argv[3:]] or
                     CASES)
    else:
        sys.exit(__doc__)
