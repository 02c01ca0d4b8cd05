#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_families.py - the families without ports, as ss lists them: netlink
(netlink_diag) and packet (packet_diag) sockets held in a private network
namespace named lay<pid>, compared byte for byte with ss (--style=ss), in
JSON against the schema and ss's view, in the table, through -A and -f,
and through the netlink record/replay seam. vsock, XDP and SCTP: where the
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
        return self

    def __exit__(self, *exc):
        for s in KEEP:
            if isinstance(s, socket.socket):
                s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return super().__exit__(*exc)


def ss_case(args):
    def fn(pop):
        n = L.compare([SS] + args, [TOOL_T, "--style=ss"] + args,
                      drop=drop_self)
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
    ]
    return L.tap_main(cases, setup=Families)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
