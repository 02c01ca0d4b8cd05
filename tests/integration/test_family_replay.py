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

XDP_DIAG_INFO, XDP_DIAG_UID, XDP_DIAG_MEMINFO = 1, 2, 8


def xdp_rec():
    bound = (struct.pack("BBHII", AF_XDP, socket.SOCK_RAW, 0, 9101, 1) +
             struct.pack("I", 0) +
             nla(XDP_DIAG_INFO, struct.pack("II", 1, 3)) +
             u32(XDP_DIAG_UID, 1000) +
             nla(XDP_DIAG_MEMINFO, struct.pack("9I", 256, *[0] * 8)))
    unbound = (struct.pack("BBHIII", AF_XDP, socket.SOCK_RAW, 0, 9102, 2,
                           0) + u32(XDP_DIAG_UID, 0))
    return recording("xdp.nlrec", [[bound, unbound]])


def xdp_json():
    socks = replay_json(xdp_rec(), ["--xdp", "-a", "-e"])
    got = [(s["state"], s["xdp"], s["uid"], s["inode"], s["recv_q"])
           for s in socks]
    lo = socket.if_indextoname(1)
    want = [("UNCONN", {"type": "raw", "interface": lo, "queue": 3}, 1000,
             9101, 256),
            ("UNCONN", {"type": "raw", "interface": None, "queue": 0}, 0,
             9102, 0)]
    same(got, want, "--xdp --json")
    return "%d sockets" % len(got)


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
    return "%d endpoints (associations' SCTP states: not covered)" % len(got)


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
        ("packet: -e -b -m in --style=ss", packet_ss),
        ("packet: -e -b in JSON", packet_json),
        ("sctp: --json from an inet_diag IPPROTO_SCTP recording",
         sctp_json),
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
