#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_families.py - the families without ports, as ss lists them: netlink
(netlink_diag) and packet (packet_diag) sockets held in a private network
namespace named lay<pid>, compared byte for byte with ss (--style=ss), in
JSON against the schema and ss's view, in the table, through -A and -f,
and through the netlink record/replay seam; -e, -m and -b (socket
filters, rings, fanout, flags) of those rows likewise. vsock, XDP and SCTP: where the
kernel has no diag handler (or no SCTP) the test holds a socket where it
can, shows that ss lists none, and checks that tulpen says which handler is
missing instead of listing nothing silently.

ss and tulpen run as copies named "tool", so that the one netlink socket
each opens for its own dump is a row of the same width in both outputs;
that row (and only it) is left out of the comparison.

usage: test_families.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import ctypes
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import layout_common as L

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "schema"))
from validate import SchemaViolation, validate  # noqa: E402

AF_VSOCK, AF_XDP = 40, 44
SO_ATTACH_FILTER = 26
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD

T = None       # tulpen, as given
SS = None      # the copies named "tool"
TOOL_T = None
KEEP = []

# The tools' own sock_diag socket: "tcpdiag:tool/PID" or "4:PID".
SELF_ROW = re.compile(rb"^.*\b(tcpdiag:(tool/)?\d+|4:[1-9]\d*) .*\n?",
                      re.M)


def drop_self(out):
    return SELF_ROW.sub(b"", out)


class Families(L.Population):
    """The population plus netlink and packet sockets of this process."""

    def __enter__(self):
        super().__enter__()
        global SS, TOOL_T
        self.tmp = tempfile.mkdtemp(prefix="lay-tools-")
        for sub, src in (("a", shutil.which("ss")), ("b", T)):
            os.mkdir(os.path.join(self.tmp, sub))
            shutil.copy(src, os.path.join(self.tmp, sub, "tool"))
        SS = os.path.join(self.tmp, "a", "tool")
        TOOL_T = os.path.join(self.tmp, "b", "tool")
        for proto in (0, 15, 16):  # route, uevent, generic
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
            s.bind((0, 0))
            KEEP.append(s)
        c = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
        c.bind((0, 0))
        c.connect((0, 1))  # connected: the peer's group and port id
        KEEP.append(c)
        for typ, proto, dev in ((socket.SOCK_RAW, ETH_P_ALL, None),
                                (socket.SOCK_DGRAM, ETH_P_IP, None),
                                (socket.SOCK_RAW, ETH_P_IPV6, "lo"),
                                (socket.SOCK_RAW, 0x1234, None)):
            p = socket.socket(socket.AF_PACKET, typ, socket.htons(proto))
            drop_all(p)
            if dev:
                p.bind((dev, proto))
            KEEP.append(p)
        packet_details()
        wide_netlink()
        return self

    def __exit__(self, *exc):
        for s in KEEP:
            if isinstance(s, socket.socket):
                s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return super().__exit__(*exc)


def ss_case(args, timers=None):
    def fn(pop):
        n = L.compare([SS] + args, [TOOL_T, "--style=ss"] + args,
                      drop=drop_self, timers=timers,
                      attempts=3 if timers else 1)
        return "%d lines" % n
    return ("ss %s" % " ".join(args), fn)


def ss_rows(args):
    out = drop_self(L.run([SS] + args).stdout).decode()
    rows = out.splitlines()
    if not any(a.startswith("-") and "H" in a for a in args):
        rows = rows[1:]  # the header
    return [ln.split() for ln in rows]


def drop_all(sock):
    """A filter that takes no packet: the queue of a packet socket on a
    busy lo stays 0, as it must between ss's run and tulpen's."""
    code = struct.pack("HBBI", 0x06, 0, 0, 0)  # BPF_RET | BPF_K, 0
    buf = ctypes.create_string_buffer(code)
    prog = struct.pack("HxxxxxxQ", 1, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)
    KEEP.append(buf)


SOL_PACKET = 263
PACKET_RX_RING, PACKET_AUXDATA, PACKET_ORIGDEV = 5, 8, 9
PACKET_VERSION, PACKET_TX_RING, PACKET_LOSS = 10, 13, 14
PACKET_VNET_HDR, PACKET_FANOUT = 15, 18
SO_RCVBUFFORCE, SO_SNDBUFFORCE = 33, 32
# ldh [12]; jeq #0x800 jt 2 jf 3; ret #0; ret #0: takes no packet either
FOUR = [(0x28, 0, 0, 12), (0x15, 0, 1, 0x800), (0x06, 0, 0, 0),
        (0x06, 0, 0, 0)]


def attach(sock, insns):
    code = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(code)
    prog = struct.pack("HxxxxxxQ", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)
    KEEP.append(buf)


def packet_details():
    """What ss -e and -b show of packet sockets: a four-instruction
    filter, TPACKET_V2 with a receive ring, every flag, a fanout group;
    a datagram socket with a transmit ring."""
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    attach(p, FOUR)
    p.setsockopt(SOL_PACKET, PACKET_VERSION, 1)  # TPACKET_V2
    p.setsockopt(SOL_PACKET, PACKET_RX_RING,
                 struct.pack("IIII", 4096, 2, 2048, 4))
    for opt in (PACKET_AUXDATA, PACKET_ORIGDEV):
        p.setsockopt(SOL_PACKET, opt, 1)
    p.setsockopt(SOL_PACKET, PACKET_FANOUT, 4242 | 1 << 16)  # lb
    KEEP.append(p)
    q = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_IP))
    drop_all(q)
    q.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    q.setsockopt(SOL_PACKET, PACKET_LOSS, 1)
    q.setsockopt(SOL_PACKET, PACKET_TX_RING,
                 struct.pack("IIII", 8192, 1, 4096, 2))
    KEEP.append(q)


def wide_netlink():
    """A netlink socket whose skmem:(...) is wider than the tools' own
    dump socket's (their buffers differ): the -m columns then have the
    same width in both outputs."""
    a = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)  # usersock
    a.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    a.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 32 << 20)
    a.bind((0, 0))
    b = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
    b.bind((0, 0))
    for _ in range(40):  # queued, never read: r in the hundreds of kB
        b.sendto(b"x" * 4000, (a.getsockname()[0], 0))
    KEEP.extend((a, b))


SS_BPF = re.compile(r"bpf filter \((\d+)\): ((?: 0x[0-9a-f]+ \d+ \d+ \d+,)*)")


def ss_filters():
    """Each packet socket's filter as ss -0a -b -e prints it, by inode."""
    out = L.run([SS, "-0a", "-b", "-e", "-O", "-H"]).stdout.decode()
    got = {}
    for ln in out.splitlines():
        ino = int(re.search(r" ino:(\d+)", ln).group(1))
        m = SS_BPF.search(ln)
        if not m:
            got[ino] = None
            continue
        ins = [tuple(int(x, 0) for x in i.split())
               for i in m.group(2).strip(" ,").split(",")]
        if len(ins) != int(m.group(1)):
            raise L.Failed("ss: %r: count and instructions differ" % ln)
        got[ino] = ins
    return got


def json_bpf(pop):
    """-b --json: every packet socket's bpf_filter is what ss -b prints
    for it (none where ss prints none), -e's details are there, and the
    schema holds."""
    want = ss_filters()
    socks = json.loads(L.run([TOOL_T, "--json", "-0a", "-b",
                              "-e"]).stdout)
    got = {}
    for s in socks:
        validate("socket", s)
        f = s["packet"].get("bpf_filter")
        got[s["inode"]] = None if f is None else [
            (i["code"], i["jt"], i["jf"], i["k"]) for i in f]
        if "flags" not in s["packet"]:
            raise L.Failed("-e: no flags in %r" % s["packet"])
    if got != want:
        raise L.Failed("bpf_filter %r, ss -b %r" % (got, want))
    if [tuple(i) for i in FOUR] not in want.values():
        raise L.Failed("ss -b does not show the four-instruction filter")
    plain = json.loads(L.run([TOOL_T, "--json", "-0a"]).stdout)
    if any("bpf_filter" in s["packet"] or "flags" in s["packet"]
           for s in plain):
        raise L.Failed("bpf_filter or flags without -b, -e")
    return "%d packet sockets, %d with filters" % (
        len(got), sum(1 for v in want.values() if v))


def table_bpf(pop):
    """-b in the table: a Filter column, each packet socket's cBPF(N) with
    N from ss -b, and the four-instruction filter in tcpdump -d's words."""
    want = ss_filters()
    out = L.run([TOOL_T, "-0a", "-b", "-e", "-n"]).stdout.decode()
    lines = out.splitlines()
    if not lines[0].rstrip().endswith("Filter"):
        raise L.Failed("no Filter column: %r" % lines[0])
    n = 0
    for ln in lines[1:]:
        m = re.search(r"cBPF\((\d+)\): (.*)$", ln)
        # ... User Inode Cookie Filter
        ino = int((ln[:m.start()] if m else ln[:-1]).split()[-2])
        if want.get(ino) is None:
            if m or not ln.endswith(" -"):
                raise L.Failed("no filter, yet %r" % ln)
            continue
        if not m or int(m.group(1)) != len(want[ino]):
            raise L.Failed("ss -b: %d instructions, table %r" %
                           (len(want[ino]), ln))
        if want[ino] == [tuple(i) for i in FOUR] and m.group(2) != (
                "ldh [12]; jeq #0x800 jt 2 jf 3; ret #0; ret #0"):
            raise L.Failed("the four instructions read %r" % m.group(2))
        n += 1
    return "%d filters" % n


TCPDUMP_EXPR = "tcp port 80 and host 10.1.2.3"


def tcpdump_listing(pop):
    """A filter as tcpdump attaches it: the table's listing of it reads as
    tcpdump -d prints the same expression, instruction by instruction."""
    tcpdump = shutil.which("tcpdump") or "/usr/bin/tcpdump"
    want = []
    for ln in L.run([tcpdump, "-i", "lo", "-d", TCPDUMP_EXPR]).stdout \
            .decode().splitlines():
        want.append(" ".join(ln.split()[1:]))  # "(003) ldb [23]"
    p = subprocess.Popen([tcpdump, "-i", "lo", "-n", "-w", "/dev/null",
                          TCPDUMP_EXPR], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        got = None
        for _ in range(50):
            out = L.run([TOOL_T, "-0a", "-b", "-n", "-H"]).stdout.decode()
            for ln in out.splitlines():
                m = re.search(r"cBPF\((\d+)\): (.*)$", ln)
                if m and int(m.group(1)) == len(want):
                    got = m.group(2).split("; ")
            if got:
                break
            time.sleep(0.1)
        if got != want:
            raise L.Failed("listing %r, tcpdump -d %r" % (got, want))
        return "%d instructions as tcpdump -d" % len(want)
    finally:
        p.terminate()
        p.wait(timeout=10)


def json_netlink(pop):
    """--json: every netlink socket ss lists (protocol, port id), and the
    socket schema holds."""
    out = L.run([TOOL_T, "--json", "-a", "-A", "netlink,packet"]).stdout
    socks = json.loads(out)
    for s in socks:
        try:
            validate("socket", s)
        except SchemaViolation as e:
            raise L.Failed("schema: %s in %r" % (e, s))
    got = sorted((s["netlink"]["protocol"], s["netlink"]["portid"])
                 for s in socks if s["proto"] == "netlink" and
                 s["netlink"]["portid"] != os.getpid() and
                 not (s["netlink"]["protocol"] == 4 and
                      s["netlink"]["portid"] > 0))
    want = []
    for r in ss_rows(["-a", "-A", "netlink", "-n", "-H"]):
        proto, pid = r[3].split(":")
        if proto == "4" and int(pid) > 0:
            continue
        want.append((int(proto), int(pid) & 0xffffffff))
    want = sorted(w for w in want if w[1] != os.getpid())
    if got != want:
        raise L.Failed("netlink sockets %r, ss %r" % (got, want))
    packets = [s for s in socks if s["proto"] == "packet"]
    wantp = ss_rows(["-0a", "-n", "-H"])
    if len(packets) != len(wantp):
        raise L.Failed("%d packet sockets, ss %d" % (len(packets),
                                                    len(wantp)))
    return "%d netlink, %d packet" % (len(got), len(packets))


def packet_types(pop):
    """ss lists every packet socket for -A packet_raw (its packet_diag
    path does not look at the type); tulpen lists the type asked for:
    the rows of ss -0a with that Netid."""
    rows = ss_rows(["-0a", "-n"])
    for word, netid, typ in (("packet_raw", "p_raw", "raw"),
                             ("p_dgr", "p_dgr", "dgram")):
        want = sorted(r[4] for r in rows if r[0] == netid)
        out = L.run([TOOL_T, "--json", "-a", "-n", "-A", word]).stdout
        socks = json.loads(out)
        got = sorted("%s:%s" % ("*" if s["packet"]["protocol"] == 3 else
                                "[%d]" % s["packet"]["protocol"],
                                s["packet"]["interface"] or "*")
                     for s in socks)
        if any(s["packet"]["type"] != typ for s in socks) or got != want:
            raise L.Failed("-A %s: %r, ss -0a %s rows %r" %
                           (word, got, netid, want))
    return "%d packet sockets" % len(rows)


def table(pop):
    """The default table lists them with -a, as ss -a does, and not
    without it (they are all UNCONN)."""
    n_ss = len(ss_rows(["-a", "-A", "netlink,packet", "-H"]))
    out = drop_self(L.run([TOOL_T, "-a", "-H"]).stdout).decode()
    rows = [ln for ln in out.splitlines()
            if ln.split()[0] in ("netlink", "packet")]
    if len(rows) != n_ss:
        raise L.Failed("table -a: %d netlink/packet rows, ss %d" %
                       (len(rows), n_ss))
    out = L.run([TOOL_T, "-H"]).stdout.decode()
    if any(ln.split()[0] in ("netlink", "packet")
           for ln in out.splitlines()):
        raise L.Failed("table without -a lists UNCONN netlink sockets")
    return "%d rows" % len(rows)


def replay(pop):
    """--nl-record, then --nl-replay: the same bytes."""
    d = tempfile.mkdtemp(prefix="lay-rec-")
    try:
        rec = os.path.join(d, "nl.rec")
        a = L.run([TOOL_T, "--style=ss", "-a", "-A", "netlink,packet",
                   "--nl-record=" + rec]).stdout
        b = L.run([TOOL_T, "--style=ss", "-a", "-A", "netlink,packet",
                   "--nl-replay=" + rec]).stdout
        # the recording tulpen's own socket names a process now gone
        a, b = drop_self(a), drop_self(b)
        if a != b:
            raise L.Failed("replay differs: %s" % L.first_diff(a, b))
        return "%d lines" % (len(a.split(b"\n")) - 1)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def absent_family(opt, family, typ, handler, proto=0):
    """The kernel lacks @handler: ss lists none of the socket we hold,
    and tulpen --source=netlink names the missing handler (exit 1).
    Where the kernel has it, tulpen's rows are ss's."""
    def fn(pop):
        held = None
        if family is not None:
            try:
                held = socket.socket(family, typ, proto)
            except OSError as e:
                held = None
                why = str(e)
        try:
            p = L.run([TOOL_T, "--source=netlink", opt, "-a"], check=False)
            if p.returncode == 0:
                n = L.compare([SS, opt, "-a"],
                              [TOOL_T, "--style=ss", opt, "-a"],
                              drop=drop_self)
                return "kernel has %s: %d lines as ss" % (handler, n)
            err = p.stderr.decode()
            if handler not in err and "no handler" not in err:
                raise L.Failed("%s --source=netlink: exit %d, %r does not "
                               "say which handler is missing" %
                               (opt, p.returncode, err))
            if len(ss_rows([opt, "-a"])):
                raise L.Failed("ss lists %s sockets but tulpen says the "
                               "kernel has no handler" % opt)
            p = L.run([TOOL_T, "--style=ss", opt, "-a"])
            return ("kernel lacks %s (not loadable: no modules on this "
                    "kernel); held socket: %s" %
                    (handler, "yes" if held else "no (%s)" % why))
        finally:
            if held:
                held.close()
    return ("%s where the kernel lacks %s" % (opt, handler), fn)


def main(argv):
    global T
    T = L.tulpen_bin(argv)
    cases = [
        ss_case(["-a", "-A", "netlink"]),
        ss_case(["-a", "-A", "netlink", "-n"]),
        ss_case(["-0a"]),
        ss_case(["-0an"]),
        ss_case(["-0ap"]),
        ss_case(["-a", "-f", "link"]),
        ss_case(["-a", "-f", "netlink"]),
        ss_case(["-0"]),
        ss_case(["-f", "link"]),
        ss_case(["-f", "netlink"]),
        ss_case(["-0", "-A", "netlink"]),
        ss_case(["-0", "-b"]),
        ss_case(["-0a", "-b", "-n"]),
        ss_case(["-0a", "-e"]),
        ss_case(["-0a", "-e", "-b", "-m"]),
        ss_case(["-0a", "-e", "-b", "-m", "-O"]),
        ss_case(["-0a", "-e", "-b", "-p"]),
        ss_case(["-a", "-A", "netlink", "-e"]),
        ss_case(["-a", "-A", "netlink", "-m"]),
        ss_case(["-a", "-A", "netlink", "-e", "-m", "-O"]),
        ss_case(["-a", "-b"], timers="ss"),  # ss -b shows the timers
        ("-b --json: bpf_filter as ss -b prints it, schema", json_bpf),
        ("-b table: the Filter column", table_bpf),
        ("-b table: tcpdump's filter in tcpdump -d's words", tcpdump_listing),
        ("-A packet_raw, p_dgr: the types of ss -0a's Netid", packet_types),
        ss_case(["-a", "-A", "netlink,unix_stream"]),
        ss_case(["-a", "-A", "all,!netlink,!tcp"]),
        ss_case(["-an"]),
        ss_case(["-a"]),
        ss_case(["-ln"]),
        ("json: netlink and packet sockets, schema", json_netlink),
        ("table: netlink and packet with -a only", table),
        ("nl-record / nl-replay", replay),
        absent_family("--vsock", AF_VSOCK, socket.SOCK_STREAM, "vsock_diag"),
        absent_family("--xdp", AF_XDP, socket.SOCK_RAW, "xsk_diag"),
        absent_family("-S", socket.AF_INET, socket.SOCK_STREAM,
                      "sctp_diag", proto=132),
        absent_family("--tipc", socket.AF_TIPC, socket.SOCK_RDM,
                      "tipc_diag"),
    ]
    return L.tap_main(cases, setup=Families)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
