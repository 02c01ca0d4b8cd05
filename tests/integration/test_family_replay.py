#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_family_replay.py - the families this kernel does not have (vsock_diag,
xsk_diag, sctp_diag and TIPC are not built in here), through the netlink
replay seam: each recording is built by this test from the UAPI layouts
(linux/vm_sockets_diag.h, xdp_diag.h, inet_diag.h, tipc_netlink.h with
tipc_sockets_diag.h) in the replay transport's format (a 4-byte
little-endian length, then the datagram), and tulpen --nl-replay must show
exactly the sockets the test encoded: in JSON (checked against the schema
too), and in --style=ss as ss's printing code writes them (netids, state
names, "cid:port" with * for any, "ifname:qN", TIPC's "node:port" and "-",
-e's uid/ino/sk, --tipcinfo), and a packet socket's -e details and -b
filter (which this kernel has, tested against ss in test_families.py).
The expectations come from the values
encoded here, never from tulpen's output.

usage: test_family_replay.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "schema"))
from validate import SchemaViolation, validate  # noqa: E402

SOCK_DIAG_BY_FAMILY, NLMSG_DONE, NLM_F_MULTI = 20, 3, 2
NLA_F_NESTED = 0x8000
AF_VSOCK, AF_XDP, AF_TIPC = 40, 44, 30
ANY = 0xffffffff
T = None
TMP = None
results = []

# ss's names of the TCP states these families use
SS_STATE = {1: "ESTAB", 2: "SYN-SENT", 7: "UNCONN", 8: "CLOSE-WAIT",
            10: "LISTEN"}
JSON_STATE = {1: "ESTABLISHED", 2: "SYN-SENT", 7: "UNCONN",
              8: "CLOSE-WAIT", 10: "LISTEN"}


# --- netlink messages, as the kernel lays them out -------------------------

def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def nla(typ, payload=b""):
    return pad4(struct.pack("HH", 4 + len(payload), typ) + payload)


def nest(typ, *attrs):
    return nla(typ | NLA_F_NESTED, b"".join(attrs))


def u32(typ, v):
    return nla(typ, struct.pack("I", v))


def nlmsg(seq, payload, typ=SOCK_DIAG_BY_FAMILY):
    return pad4(struct.pack("IHHII", 16 + len(payload), typ, NLM_F_MULTI,
                            seq, 0) + payload)


def recording(name, dumps):
    """@dumps: one list of payloads per request, in request order; each
    answered by one datagram and a DONE."""
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        for seq, payloads in enumerate(dumps, 1):
            for dg in (b"".join(nlmsg(seq, p) for p in payloads),
                       nlmsg(seq, struct.pack("i", 0), NLMSG_DONE)):
                if dg:
                    f.write(struct.pack("<I", len(dg)) + dg)
    return path


def run(args):
    p = subprocess.run([T] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    if p.returncode:
        raise AssertionError("%s: exit %d: %s" % (" ".join(args),
                                                 p.returncode, p.stderr))
    return p.stdout


def replay_json(rec, args):
    socks = json.loads(run(["--nl-replay", rec, "--source=netlink",
                            "--json", "-n"] + args))
    for s in socks:
        validate("socket", s)
    return socks


def replay_ss(rec, args):
    out = run(["--nl-replay", rec, "--source=netlink", "--style=ss",
               "-n"] + args)
    return out.splitlines()


def tap(name, fn):
    try:
        detail = fn()
        ok = True
    except (AssertionError, SchemaViolation, KeyError, ValueError) as e:
        ok, detail = False, str(e)
    results.append(ok)
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            " (%s)" % detail if ok and detail else ""))
    if not ok:
        for ln in str(detail).splitlines():
            print("# " + ln)
    sys.stdout.flush()


def same(got, want, what):
    if got != want:
        raise AssertionError("%s:\n  got  %r\n  want %r" % (what, got, want))


# --- vsock -----------------------------------------------------------------

VSOCKS = [  # type, state, src cid, src port, dst cid, dst port, ino
    (socket.SOCK_STREAM, 10, ANY, 1024, ANY, ANY, 9001),
    (socket.SOCK_STREAM, 1, 3, 1024, 2, 5000, 9002),
    (socket.SOCK_DGRAM, 7, 3, 2000, ANY, ANY, 9003),
]


def vsock_rec():
    return recording("vsock.nlrec", [[
        struct.pack("BBBBIIIIIII", AF_VSOCK, t, st, 0, sc, sp, dc, dp, ino,
                    ino, 0)
        for t, st, sc, sp, dc, dp, ino in VSOCKS]])


def vsock_json():
    socks = replay_json(vsock_rec(), ["--vsock", "-a"])
    got = [(s["state"], s["vsock"]["type"], s["vsock"]["local"],
            s["vsock"]["peer"], s["inode"], s["family"]) for s in socks]

    def ep(cid, port):
        return {"cid": None if cid == ANY else cid,
                "port": None if port == ANY else port}
    want = [(JSON_STATE[st], "stream" if t == 1 else "dgram", ep(sc, sp),
             ep(dc, dp), ino, "vsock")
            for t, st, sc, sp, dc, dp, ino in VSOCKS]
    same(got, want, "--vsock --json")
    return "%d sockets" % len(got)


def vsock_ss():
    rows = [ln.split() for ln in replay_ss(vsock_rec(),
                                           ["--vsock", "-a", "-H"])]

    def ep(cid, port):
        return "%s:%s" % ("*" if cid == ANY else cid,
                          "*" if port == ANY else port)
    want = [["v_str" if t == 1 else "v_dgr", SS_STATE[st], "0", "0",
             ep(sc, sp), ep(dc, dp)]
            for t, st, sc, sp, dc, dp, ino in VSOCKS]
    same(rows, want, "--vsock --style=ss")
    return "%d rows" % len(rows)


# --- XDP -------------------------------------------------------------------

(XDP_DIAG_INFO, XDP_DIAG_UID, XDP_DIAG_RX_RING, XDP_DIAG_TX_RING,
 XDP_DIAG_UMEM, XDP_DIAG_FILL, XDP_DIAG_COMPL, XDP_DIAG_MEMINFO,
 XDP_DIAG_STATS) = range(1, 10)
XDP_RINGS = dict(rx=2048, tx=1024, fill=4096, completion=512)
# struct xdp_diag_umem: size, then id .. refs (flags bit 0: zero-copy)
XDP_UMEM = dict(size=4194304, id=7, num_pages=1024, chunk_size=4096,
                headroom=256, ifindex=1, queue_id=3, flags=1, refs=2)
XDP_STATS = dict(rx_dropped=11, rx_invalid=12, rx_full=13,
                 fill_ring_empty=14, tx_invalid=15, tx_ring_empty=16)
XDP_MEM = [256, 212992, 0, 212992, 0, 0, 320, 0, 9]  # sk_meminfo


def xdp_rec():
    u = XDP_UMEM
    bound = (struct.pack("BBHII", AF_XDP, socket.SOCK_RAW, 0, 9101, 1) +
             struct.pack("I", 0) +
             nla(XDP_DIAG_INFO, struct.pack("II", 1, 3)) +
             u32(XDP_DIAG_UID, 1000) +
             u32(XDP_DIAG_RX_RING, XDP_RINGS["rx"]) +
             u32(XDP_DIAG_TX_RING, XDP_RINGS["tx"]) +
             nla(XDP_DIAG_UMEM, struct.pack(
                 "Q8I", u["size"], u["id"], u["num_pages"],
                 u["chunk_size"], u["headroom"], u["ifindex"],
                 u["queue_id"], u["flags"], u["refs"])) +
             u32(XDP_DIAG_FILL, XDP_RINGS["fill"]) +
             u32(XDP_DIAG_COMPL, XDP_RINGS["completion"]) +
             nla(XDP_DIAG_MEMINFO, struct.pack("9I", *XDP_MEM)) +
             nla(XDP_DIAG_STATS, struct.pack(
                 "6Q", *[XDP_STATS[k] for k in (
                     "rx_dropped", "rx_invalid", "rx_full",
                     "fill_ring_empty", "tx_invalid", "tx_ring_empty")])))
    unbound = (struct.pack("BBHIII", AF_XDP, socket.SOCK_RAW, 0, 9102, 2,
                           0) + u32(XDP_DIAG_UID, 0))
    return recording("xdp.nlrec", [[bound, unbound]])


def xdp_json():
    socks = replay_json(xdp_rec(), ["--xdp", "-a", "-e"])
    got = [(s["state"], s["xdp"], s["uid"], s["inode"], s["recv_q"])
           for s in socks]
    lo = socket.if_indextoname(1)
    umem = {k: v for k, v in XDP_UMEM.items() if k != "flags"}
    umem["zerocopy"] = bool(XDP_UMEM["flags"] & 1)
    none = dict.fromkeys(XDP_RINGS)
    want = [("UNCONN", {"type": "raw", "interface": lo, "queue": 3,
                        "rings": XDP_RINGS, "umem": umem,
                        "stats": XDP_STATS}, 1000, 9101, 256),
            ("UNCONN", {"type": "raw", "interface": None, "queue": 0,
                        "rings": none, "umem": None, "stats": None}, 0,
             9102, 0)]
    same(got, want, "--xdp --json")
    return "%d sockets" % len(got)


def xdp_want_details(sep, umem_word):
    """ss's xdp_show_sock() with -e -m: the rings, umem (with its fill
    and completion rings), statistics, then skmem with no separator."""
    u, r, st = XDP_UMEM, XDP_RINGS, XDP_STATS
    parts = ["rx(entries:%d)" % r["rx"], "tx(entries:%d)" % r["tx"],
             "%s(id:%d,size:%d,num_pages:%d,chunk_size:%d,headroom:%d,"
             "ifindex:%d,qid:%d,zc:%d,refs:%d)" % (
                 umem_word, u["id"], u["size"], u["num_pages"],
                 u["chunk_size"], u["headroom"], u["ifindex"],
                 u["queue_id"], u["flags"] & 1, u["refs"]),
             "fr(entries:%d)" % r["fill"],
             "cr(entries:%d)" % r["completion"],
             "stats(rx dropped:%d,rx invalid:%d,rx queue full:%d,"
             "rx fill ring empty:%d,tx invalid:%d,tx ring empty:%d)" % (
                 st["rx_dropped"], st["rx_invalid"], st["rx_full"],
                 st["fill_ring_empty"], st["tx_invalid"],
                 st["tx_ring_empty"])]
    parts[-1] += " skmem:(r%d,rb%d,t%d,tb%d,f%d,w%d,o%d,bl%d,d%d)" % tuple(
        XDP_MEM)
    return sep.join(parts)


def xdp_ss_details():
    lo = socket.if_indextoname(1)
    lines = replay_ss(xdp_rec(), ["-f", "xdp", "-H", "-e", "-m"])
    rows = [ln for ln in lines if not ln.startswith("\t")]
    same([ln.split() for ln in rows],
         [["256", "0", "%s:q3" % lo, "*", "uid:1000", "ino:9101", "sk:1"],
          ["0", "0", "*", "*", "ino:9102", "sk:2"]], "-e rows")
    same("\n".join(ln.rstrip() for ln in lines[1:-1]),
         "\t" + xdp_want_details("\n\t", "umem"), "-e -m lines")
    one = replay_ss(xdp_rec(), ["-f", "xdp", "-H", "-e", "-m", "-O"])
    same(len(one), 2, "-O lines")
    same(one[0].rstrip().split(" sk:1 ", 1)[1],
         xdp_want_details(" ", "tumem"), "-O line")
    return "%d lines, %d with -O" % (len(lines), len(one))


def xdp_ss():
    # one table and (with -f xdp) one state: neither Netid nor State
    rows = [ln.split() for ln in replay_ss(xdp_rec(), ["-f", "xdp", "-H"])]
    lo = socket.if_indextoname(1)
    same(rows, [["256", "0", "%s:q3" % lo, "*"], ["0", "0", "*", "*"]],
         "-f xdp --style=ss")
    return "%d rows" % len(rows)


# --- packet: -e's details and -b's filter, as ss prints them ---------------

FILTER = [(0x28, 0, 0, 12), (0x15, 0, 1, 0x800), (0x06, 0, 0, 65535),
          (0x06, 0, 0, 0)]
P_INFO, P_RX_RING, P_FANOUT, P_UID, P_MEMINFO, P_FILTER = 0, 2, 4, 5, 6, 7


def packet_rec():
    msg = (struct.pack("BBHIII", socket.AF_PACKET, socket.SOCK_RAW, 3,
                       9401, 0x77, 0) +
           # ifindex, version, reserve, copy_thresh, tstamp, flags
           nla(P_INFO, struct.pack("IIIIII", 0, 1, 0, 0, 0, 1 | 2)) +
           nla(P_RX_RING, struct.pack("7I", 4096, 2, 2048, 4, 0, 0, 0)) +
           u32(P_FANOUT, 4242 | 1 << 16) + u32(P_UID, 0) +
           nla(P_MEMINFO, struct.pack("9I", 0, 212992, 0, 212992, 0, 0,
                                      304, 0, 0)) +
           nla(P_FILTER, b"".join(struct.pack("HBBI", *i)
                                  for i in FILTER)))
    return recording("packet.nlrec", [[msg]])


def packet_ss():
    lines = replay_ss(packet_rec(), ["-0", "-e", "-b", "-m", "-H"])
    row = lines[0].split()
    same(row, ["p_raw", "0", "0", "*:*", "*", "ino:9401", "sk:77"], "row")
    want = ["\tver:1 cpy_thresh:0 flags( running auxdata )",
            "\tring_rx(blk_size:4096,blk_nr:2,frm_size:2048,frm_nr:4,"
            "tmo:0,features:0x0)",
            "\tfanout(id:4242,type:lb)",
            "\tbpf filter (%d): %s skmem:(r0,rb212992,t0,tb212992,f0,w0,"
            "o304,bl0,d0)" % (len(FILTER), "".join(
                " 0x%02x %d %d %d," % i for i in FILTER))]
    same([ln.rstrip() for ln in lines[1:]], want, "-e -b -m lines")
    return "%d lines" % len(lines)


def packet_json():
    s = replay_json(packet_rec(), ["-0", "-e", "-b"])[0]["packet"]
    same([(i["code"], i["jt"], i["jf"], i["k"]) for i in s["bpf_filter"]],
         FILTER, "bpf_filter")
    same((s["version"], s["flags"], s["fanout"], s["rx_ring"]["frame_nr"]),
         (1, ["running", "auxdata"],
          {"id": 4242, "type": 1, "type_name": "lb"}, 4), "-e details")
    return "%d instructions" % len(FILTER)


# --- SCTP (inet_diag with IPPROTO_SCTP) -------------------------------------

def inet_msg(family, state, sport, dport, src, dst, ino, rq=0, wq=0):
    def addr(a):
        return socket.inet_pton(family, a).ljust(16, b"\0")
    return (struct.pack("BBBB", family, state, 0, 0) +
            struct.pack(">HH", sport, dport) + addr(src) + addr(dst) +
            struct.pack("III", 0, ino, 0) +
            struct.pack("IIIII", 0, rq, wq, 0, ino))


SCTPS = [(socket.AF_INET, 10, 5000, "127.0.0.1", 9201, 128),
         (socket.AF_INET6, 10, 5001, "::1", 9202, 64)]


def sctp_rec():
    # one dump per family: IPv4, then IPv6
    return recording("sctp.nlrec", [
        [inet_msg(f, st, port, 0, a, "0.0.0.0" if f == socket.AF_INET
                  else "::", ino, 0, wq)]
        for f, st, port, a, ino, wq in SCTPS])


def sctp_json():
    socks = replay_json(sctp_rec(), ["-S", "-a"])
    got = [(s["proto"], s["family"], s["state"], s["local"]["address"],
            s["local"]["port"], s["inode"], s["send_q"]) for s in socks]
    want = [("sctp", "inet" if f == socket.AF_INET else "inet6",
             JSON_STATE[st], a, port, ino, wq)
            for f, st, port, a, ino, wq in SCTPS]
    same(got, want, "-S --json")
    return "%d endpoints" % len(got)


# --- SCTP associations: sctp_diag's endpoint and association records -------
# inet_diag.h: INET_DIAG_INFO (struct sctp_info), SKMEMINFO, LOCALS and
# PEERS (struct sockaddr_storage lists; PEERS only with associations)
D_INFO, D_SKMEMINFO, D_LOCALS, D_PEERS = 2, 7, 12, 13
# the kernel's enum sctp_state, and ss's names of it (sctp_sstate_name)
SCTP_STATES = ["CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
               "SHUTDOWN_PENDING", "SHUTDOWN_SENT", "SHUTDOWN_RECEIVED",
               "SHUTDOWN_ACK_SENT"]
SS_SCTP = dict(enumerate(SCTP_STATES))
SS_SCTP.update({3: "ESTAB", 7: "ACK_SENT"})
# struct sctp_info (linux/sctp.h, 368 bytes): the fields ss prints, in
# its order, with ss's names; then the rest set to known values
SCTP_INFO_HEAD = "IIIHHHHIIIIIIIIBBH"  # tag .. peer_sack, reserved
SS_INFO = [("tag", "x"), ("state", "s"), ("rwnd", "d"),
           ("unackdata", "d"), ("penddata", "d"), ("instrms", "d"),
           ("outstrms", "d"), (None, None), ("inqueue", "d"),
           ("outqueue", "d"), ("overerr", "d"), ("maxburst", "d"),
           ("maxseg", "d"), ("prwnd", "d"), ("ptag", "x"),
           ("pcapable", "d"), ("psack", "d")]
SS_SOCK_INFO = ["autoclose", "adapind", "pdpoint", "nodelay", "nofrag",
                "v4mapped", "fraginl"]


def sockaddr(a):
    if ":" in a:
        sa = struct.pack("=HHI", socket.AF_INET6, 0, 0) + \
            socket.inet_pton(socket.AF_INET6, a) + struct.pack("I", 0)
    else:
        sa = struct.pack("=HH", socket.AF_INET, 0) + \
            socket.inet_pton(socket.AF_INET, a)
    return sa.ljust(128, b"\0")


def sctp_info(head, sock):
    """@head: the 17 values tag .. peer_sack; @sock: autoclose,
    adaptation_ind, pd_point, nodelay, nofrag, v4mapped, frag_interleave"""
    b = struct.pack(SCTP_INFO_HEAD, *head, 0)
    b += struct.pack("14Q", *range(1, 15))            # assoc status counters
    b += sockaddr("0.0.0.0") + struct.pack("i10IHH", 2, *range(20, 30),
                                            0, 0)
    b += struct.pack("IIIBBBBII", *sock, 1, 0)
    assert len(b) == 368
    return b


ASSOC_INFO = [0x1234abcd, 3, 106496, 0, 2, 10, 9, 1452, 0, 7, 0, 4, 1452,
              98304, 0xdeadbeef, 1, 0]
EP_SOCK = [0, 0, 0, 1, 0, 0, 0]

# family, state, sport, dport, src, dst, ino, rq, wq, timer (ms), retrans,
# locals, peers (None: an endpoint), sctp_info
SCTP_RECS = [
    [  # the IPv4 dump
        (socket.AF_INET, 10, 5000, 0, "127.0.0.1", "0.0.0.0", 9211, 0, 128,
         None, 0, ["127.0.0.1", "10.0.0.1"], None, ([0] * 17, EP_SOCK)),
        (socket.AF_INET, 1, 5000, 40000, "127.0.0.1", "127.0.0.2", 9213,
         0, 0, None, 0, ["127.0.0.1", "10.0.0.1"], None,
         ([0] * 17, EP_SOCK)),
        (socket.AF_INET, 3, 5000, 40000, "127.0.0.1", "127.0.0.2", 9213,
         0, 300, 1200, 1, ["127.0.0.1", "10.0.0.1"],
         ["127.0.0.2", "10.0.0.2"], (ASSOC_INFO, EP_SOCK)),
    ],
    [  # the IPv6 dump
        (socket.AF_INET6, 1, 5001, 40001, "2001:db8::1", "2001:db8::2",
         9214, 0, 0, None, 0, ["2001:db8::1", "2001:db8::10",
                               "2001:db8::11"], None, ([0] * 17, EP_SOCK)),
        (socket.AF_INET6, 7, 5001, 40001, "2001:db8::1", "2001:db8::2",
         9214, 5, 0, None, 0, ["2001:db8::1", "2001:db8::10",
                               "2001:db8::11"],
         ["2001:db8::2", "2001:db8::20"],
         ([7, 7, 0, 1, 0, 2, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 1], EP_SOCK)),
    ],
]


def sctp_msg(r):
    (fam, st, sp, dp, src, dst, ino, rq, wq, tmr, rtx, loc, peers,
     info) = r
    m = bytearray(inet_msg(fam, st, sp, dp, src, dst, ino, rq, wq))
    if tmr is not None:  # idiag_timer (SCTP_EVENT_TIMEOUT_T3_RTX = 4),
        m[2], m[3] = 4, rtx  # idiag_retrans, idiag_expires
        m[4 + 48:4 + 52] = struct.pack("I", tmr)
    m = bytes(m) + nla(D_LOCALS, b"".join(sockaddr(a) for a in loc))
    if peers:
        m += nla(D_PEERS, b"".join(sockaddr(a) for a in peers))
    m += nla(D_INFO, sctp_info(*info))
    return m + nla(D_SKMEMINFO, struct.pack("9I", rq, 212992, wq, 212992,
                                            0, 0, 0, 0, 0))


def sctp_assoc_rec():
    return recording("sctp-assoc.nlrec",
                     [[sctp_msg(r) for r in dump] for dump in SCTP_RECS])


SCTP_ALL = [r for dump in SCTP_RECS for r in dump]


def sctp_ep_text(fam, a, port):
    if port == 0 and a in ("0.0.0.0", "::"):
        return ("%s:*" % a) if fam == socket.AF_INET else "*:*"
    return ("[%s]:%d" if fam == socket.AF_INET6 else "%s:%d") % (a, port)


def sctp_assoc_ss():
    """ss -Sa: no Netid (one table); an association's row under its
    endpoint's, "`- " and SCTP's state name in the State column."""
    lines = replay_ss(sctp_assoc_rec(), ["-S", "-a", "-H"])
    want = []
    for (fam, st, sp, dp, src, dst, ino, rq, wq, tmr, rtx, loc, peers,
         info) in SCTP_ALL:
        row = (["`-", SS_SCTP[st]] if peers else [SS_STATE[st]])
        want.append(row + [str(rq), str(wq), sctp_ep_text(fam, src, sp),
                           sctp_ep_text(fam, dst, dp)])
    same([ln.split() for ln in lines], want, "-Sa --style=ss rows")
    marks = [ln.startswith("`- ") for ln in lines]
    same(marks, [bool(r[12]) for r in SCTP_ALL], "rows starting `- ")
    # with a Netid column (-x too, an empty UNIX dump after SCTP's two):
    # an association's Netid cell is empty, padded to the column's width
    # (its longest cell, the header "Netid") and ss's one-space delimiter
    rec = recording("sctp-unix.nlrec", [[sctp_msg(r) for r in d]
                                        for d in SCTP_RECS] + [[]])
    lines = replay_ss(rec, ["-S", "-x", "-a"])
    same(lines[0].split()[:2], ["Netid", "State"], "header")
    got = [(ln[:6], ln[6:].split()[0]) for ln in lines[1:]]
    want = [(" " * 6, "`-") if r[12] else ("sctp  ", SS_STATE[r[1]])
            for r in SCTP_ALL]
    same(got, want, "-S -x: Netid cells")
    return "%d rows, %d associations" % (len(want), sum(marks))


def ss_sctp_info(r):
    head, sock = r[13]
    out = ""
    for (name, f), v in zip(SS_INFO, head):
        if name and v:
            out += " %s:%s" % (name, SS_SCTP[v] if f == "s" else
                               ("%x" % v if f == "x" else "%d" % v))
    for name, v in zip(SS_SOCK_INFO, sock):
        if v:
            out += " %s:%d" % (name, v)
    return out


def sctp_assoc_ss_info():
    """-e -o -i -m: ss's timer:(T3_RTX,...), ino/sk, then a tab, skmem,
    locals:, peers: and sctp_stats_print()'s fields."""
    lines = replay_ss(sctp_assoc_rec(), ["-S", "-a", "-H", "-e", "-o",
                                         "-i", "-m"])
    rows, info = lines[0::2], lines[1::2]
    same(len(rows), len(SCTP_ALL), "rows")
    for ln, r in zip(rows, SCTP_ALL):
        (fam, st, sp, dp, src, dst, ino, rq, wq, tmr, rtx, loc, peers,
         _) = r
        tail = ln.split(sctp_ep_text(fam, dst, dp), 1)[1].split()
        want = []
        if tmr is not None:
            want.append("timer:(T3_RTX,%d.%03dms,%d)" % (tmr // 1000,
                                                        tmr % 1000, rtx))
        want += ["ino:%d" % ino, "sk:%x" % ino]
        same(tail, want, "row extras of ino %d" % ino)
    want = []
    for r in SCTP_ALL:
        rq, wq, loc, peers = r[7], r[8], r[11], r[12]
        text = "\t skmem:(r%d,rb212992,t%d,tb212992,f0,w0,o0,bl0,d0)" % (
            rq, wq)
        text += " locals:" + ",".join(loc)
        if peers:
            text += " peers:" + ",".join(peers)
        want.append(text + ss_sctp_info(r))
    same([ln.rstrip() for ln in info], want, "-i -m lines")
    return "%d rows with their info lines" % len(rows)


def sctp_assoc_json():
    socks = replay_json(sctp_assoc_rec(), ["-S", "-a", "-i"])
    tcp_of = {0: "CLOSE", 1: "SYN-SENT", 2: "SYN-SENT", 3: "ESTABLISHED",
              4: "FIN-WAIT-1", 5: "FIN-WAIT-1", 6: "CLOSE-WAIT",
              7: "LAST-ACK"}
    got, want = [], []
    for s, r in zip(socks, SCTP_ALL):
        (fam, st, sp, dp, src, dst, ino, rq, wq, tmr, rtx, loc, peers,
         (head, sock)) = r
        sc = s["sctp"]
        got.append((s["inode"], s["state"], sc["association"], sc["state"],
                    sc["locals"], sc["peers"], sc["info"]["tag"],
                    sc["info"]["state"], sc["info"]["peer_rwnd"],
                    sc["info"]["isacks"], sc["info"]["p_cwnd"],
                    sc["info"]["s_nodelay"], s["local"]["port"]))
        want.append((ino, tcp_of[st] if peers else JSON_STATE[st],
                     bool(peers), SCTP_STATES[st] if peers else None, loc,
                     peers or [], head[0],
                     SCTP_STATES[head[1]] if head[1] else "CLOSED",
                     head[13], 1, 20, sock[3], sp))
    same(len(socks), len(SCTP_ALL), "records")
    same(got, want, "-S -a -i --json")
    same([s["timer"] for s in socks],
         [r[9] is not None and {"name": "t3_rtx", "expires_ms": r[9],
                                "retransmits": r[10]} or None
          for r in SCTP_ALL], "timers")
    return "%d records" % len(got)


def sctp_assoc_table():
    """The default table: an association's state as "`- " and SCTP's
    name, "(+N)" after an address with N more."""
    out = run(["--nl-replay", sctp_assoc_rec(), "--source=netlink", "-S",
               "-a", "-n"]).splitlines()
    body = [ln for ln in out if "9211" in ln or ":500" in ln]
    want = 0
    for r in SCTP_ALL:
        st, loc, peers = r[1], r[11], r[12]
        needle = ("`- %s" % SCTP_STATES[st]) if peers else None
        lines = [ln for ln in out if needle and needle in ln]
        if peers:
            if not lines or "(+%d)" % (len(loc) - 1) not in lines[0] or \
                    "(+%d)" % (len(peers) - 1) not in lines[0]:
                raise AssertionError("no association row %r in:\n%s" %
                                     (needle, "\n".join(out)))
            want += 1
    return "%d association rows (%d lines)" % (want, len(body))


# --- TIPC (tipc_diag: the TIPC_NLA_SOCK nest, no fixed header) -------------

(NLA_SOCK, S_ADDR, S_REF, S_CON, S_PUBL, S_STAT, S_TYPE, S_INO, S_UID,
 S_STATE, S_COOKIE) = (2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
C_FLAG, C_NODE, C_SOCK, C_TYPE, C_INST = 1, 2, 3, 4, 5
# the statistics nest has no UNSPEC: RCVQ is attribute 0
ST_RCVQ, ST_SENDQ, ST_LINK_CONG, ST_CONN_CONG, ST_DROP = 0, 1, 2, 3, 4
NODE, PEER = 0x01001001, 0x01001002

TIPCS = [  # type, state, ref, uid, ino, cookie, peer, via, publ, stat
    dict(type=4, state=7, ref=1234, uid=0, ino=9301, cookie=0x1a2b,
         peer=None, via=None, publ=True, rq=0, wq=0, cong=None, drop=0),
    dict(type=1, state=10, ref=2000, uid=0, ino=9302, cookie=0x1a2c,
         peer=None, via=None, publ=True, rq=0, wq=0, cong=None, drop=0),
    dict(type=1, state=1, ref=2001, uid=1000, ino=9303, cookie=0x1a2d,
         peer=(PEER, 3000), via=(1000, 1), publ=False, rq=5, wq=2,
         cong="link", drop=7),
]


def tipc_msg(t):
    con = b""
    if t["peer"]:
        parts = [u32(C_NODE, t["peer"][0]), u32(C_SOCK, t["peer"][1])]
        if t["via"]:
            parts = [nla(C_FLAG)] + parts + [u32(C_TYPE, t["via"][0]),
                                             u32(C_INST, t["via"][1])]
        con = nest(S_CON, *parts)
    stat = [u32(ST_RCVQ, t["rq"]), u32(ST_SENDQ, t["wq"]),
            u32(ST_DROP, t["drop"])]
    if t["cong"] == "link":
        stat.append(nla(ST_LINK_CONG))
    return nest(NLA_SOCK, u32(S_ADDR, NODE), u32(S_REF, t["ref"]), con,
                nla(S_PUBL) if t["publ"] else b"",
                u32(S_TYPE, t["type"]), u32(S_STATE, t["state"]),
                u32(S_INO, t["ino"]), u32(S_UID, t["uid"]),
                nla(S_COOKIE, struct.pack("Q", t["cookie"])),
                nest(S_STAT, *stat))


def tipc_rec():
    # a message without the TIPC_NLA_SOCK nest: skipped, as ss skips it
    return recording("tipc.nlrec", [[tipc_msg(TIPCS[0]), u32(1, 0)] +
                                    [tipc_msg(t) for t in TIPCS[1:]]])


def tipc_json():
    socks = replay_json(tipc_rec(), ["--tipc", "-e"])
    names = {1: "stream", 2: "dgram", 4: "rdm", 5: "seqpacket"}
    want = []
    for t in TIPCS:
        want.append({
            "proto": "tipc", "family": "tipc",
            "state": JSON_STATE[t["state"]], "inode": t["ino"],
            "cookie": t["cookie"], "uid": t["uid"],
            "recv_q": t["rq"], "send_q": t["wq"],
            "tipc": {"type": names[t["type"]],
                     "local": {"node": NODE, "port": t["ref"]},
                     "peer": t["peer"] and {"node": t["peer"][0],
                                            "port": t["peer"][1]},
                     "published": t["publ"],
                     "via": t["via"] and {"type": t["via"][0],
                                          "instance": t["via"][1]},
                     "congestion": t["cong"], "drops": t["drop"]}})
    got = [{k: s[k] for k in want[0]} for s in socks]
    same(got, want, "--tipc --json")
    return "%d sockets (one message without a socket skipped)" % len(got)


def tipc_ss():
    lines = replay_ss(tipc_rec(), ["--tipc", "-e", "--tipcinfo"])
    # ss: one table (no Netid), ESTAB, LISTEN and UNCONN (a State column)
    want_head = "State Recv-Q Send-Q Local Address:Port Peer Address:Port" \
                "Process".split()
    same(lines[0].split(), want_head, "header")
    rows = [ln.split() for ln in lines[1:] if not ln.startswith(" ")]
    info = [ln for ln in lines[1:] if ln.startswith(" ")]
    want, want_info = [], []
    types = {1: "STREAM", 2: "DGRAM", 4: "RDM", 5: "SEQPACKET"}
    for t in TIPCS:
        peer = "%d:%d" % t["peer"] if t["peer"] else "-"
        row = [SS_STATE[t["state"]], str(t["rq"]), str(t["wq"]),
               "%d:%d" % (NODE, t["ref"]), peer]
        if t["uid"]:
            row.append("uid:%d" % t["uid"])
        row += ["ino:%d" % t["ino"], "sk:%x" % t["cookie"]]
        want.append(row)
        text = " type:%s cong:%s  drop:%d " % (
            types[t["type"]], t["cong"] or "none", t["drop"])
        if t["publ"]:
            text += " publ"
        if t["via"]:
            text += " via {%d,%d} " % t["via"]
        want_info.append(text)
    same(rows, want, "--tipc -e --style=ss rows")
    same([ln.rstrip() for ln in info], [w.rstrip() for w in want_info],
         "--tipcinfo lines")
    return "%d rows" % len(rows)


def tipc_query_states():
    """-A tipc keeps ss's connected states (the established one here);
    --tipc adds LISTEN and UNCONN (ss's TIPC_SS_CONN)."""
    est = replay_json(tipc_rec(), ["-A", "tipc"])
    same([s["inode"] for s in est],
         [t["ino"] for t in TIPCS if t["state"] == 1], "-A tipc")
    every = replay_json(tipc_rec(), ["-A", "tipc", "-a"])
    same(len(every), len(TIPCS), "-A tipc -a")
    return "-A tipc: %d, -a: %d" % (len(est), len(every))


def main(argv):
    global T, TMP
    args = [a for a in argv[1:] if a != "--tap"]
    T = os.path.abspath(args[-1] if args else os.environ["TULPEN"])
    cases = [
        ("vsock: --json from a vsock_diag recording", vsock_json),
        ("vsock: --style=ss rows", vsock_ss),
        ("xdp: --json from an xsk_diag recording", xdp_json),
        ("xdp: --style=ss rows", xdp_ss),
        ("xdp: -e -m (-O) in --style=ss", xdp_ss_details),
        ("packet: -e -b -m in --style=ss", packet_ss),
        ("packet: -e -b in JSON", packet_json),
        ("sctp: --json from an inet_diag IPPROTO_SCTP recording",
         sctp_json),
        ("sctp: associations under their endpoints in --style=ss",
         sctp_assoc_ss),
        ("sctp: -e -o -i -m in --style=ss", sctp_assoc_ss_info),
        ("sctp: endpoints and associations in JSON", sctp_assoc_json),
        ("sctp: associations in the default table", sctp_assoc_table),
        ("tipc: --json from a tipc_diag recording", tipc_json),
        ("tipc: --style=ss -e --tipcinfo", tipc_ss),
        ("tipc: default states of --tipc and -A tipc", tipc_query_states),
    ]
    print("1..%d" % len(cases))
    with tempfile.TemporaryDirectory(prefix="famrec-") as TMP:
        for name, fn in cases:
            tap(name, fn)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
