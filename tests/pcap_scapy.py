#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
pcap_scapy.py - `tulpen pcap` on captures built here with scapy: Zeek's
connection rules, its conn.log format, tunnels and link types.

  pcap_scapy.py TULPEN rules     each connection rule (record splitting,
                                 timers, history letters) in the default
                                 and the --compat zeek model
  pcap_scapy.py TULPEN zeeklog   --format zeek / zeek-json against the
                                 conn.log layout Zeek writes
  pcap_scapy.py TULPEN tunnels   one TCP conversation inside every tunnel
                                 and link type (nested too): the same inner
                                 connection, with its tunnel parent

The expected conn_state and history of each case are worked out by hand
from Zeek's documented rules (base/protocols/conn/main.zeek for the codes
and letters; the TCP analyzer's timers: tcp_attempt_delay, tcp_close_delay
and tcp_reset_delay 5 s, tcp_inactivity_timeout 5 min, a connection is
reused by a SYN once it is closed or when the SYN's ISN differs), written
down in each case, not taken from tulpen's output. Runs under Debian's
/usr/bin/python3 (python3-scapy).
"""
import json
import os
from decimal import Decimal
import subprocess
import sys
import tempfile

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, UDP, Raw, wrpcap  # noqa: E402
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import GRE, Dot1Q, Dot1AD, CookedLinux
from scapy.layers.ppp import PPPoE, PPP
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS
from scapy.contrib.gtp import GTP_U_Header
from scapy.utils import PcapWriter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "schema"))
from validate import SchemaViolation, validate_text  # noqa: E402

failures = []
TMP = None
CLI = ("10.1.0.1", 40000)
SRV = ("10.2.0.2", 8080)


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


def run1(args, threads):
    env = dict(os.environ)
    env.pop("TULPEN_PCAP_THREADS", None)
    if threads:
        env["TULPEN_PCAP_THREADS"] = threads
    r = subprocess.run([TULPEN, "pcap"] + list(args), capture_output=True,
                       env=env)
    err = r.stderr.decode()
    check("Sanitizer" not in err and "runtime error" not in err,
          "sanitizer report for %r: %s" % (args, err))
    return r.returncode, r.stdout.decode(), err


def tulpen(*args):
    """A run (a reader thread) and the same in one thread: must agree."""
    got = run1(args, None)
    one = run1(args, "1")
    check(got == one, "%r: two threads %r, one thread %r" % (args, got, one))
    return got


class Conv:
    """A TCP conversation: segments with running sequence numbers."""

    def __init__(self, cli=CLI, srv=SRV, cisn=1000, sisn=5000, v6=False):
        self.cli, self.srv, self.v6 = cli, srv, v6
        self.seq = {True: cisn, False: sisn}
        self.pkts = []
        self.t = 1700000000 * 10**6  # microseconds

    def ip(self, from_cli):
        a, b = (self.cli, self.srv) if from_cli else (self.srv, self.cli)
        if self.v6:
            return IPv6(src=a[0], dst=b[0]), a[1], b[1]
        return IP(src=a[0], dst=b[0]), a[1], b[1]

    def seg(self, from_cli, flags, data=b"", dt=0.001, seq=None, ack=None,
            window=8192, advance=True, bad_csum=False):
        ip, sp, dp = self.ip(from_cli)
        s = self.seq[from_cli] if seq is None else seq
        a = self.seq[not from_cli] if ack is None else ack
        tcp = TCP(sport=sp, dport=dp, flags=flags, seq=s,
                  ack=a if "A" in flags else 0, window=window)
        if bad_csum:
            tcp.chksum = 0x1234
        p = ip / tcp
        if data:
            p = p / Raw(data)
        self.t += int(round(dt * 10**6))
        self.pkts.append((Decimal(self.t) / 10**6, p))
        if advance and seq is None:
            self.seq[from_cli] += len(data) + ("S" in flags) + ("F" in flags)
        return p

    def handshake(self):
        self.seg(True, "S")
        self.seg(False, "SA")
        self.seg(True, "A")

    def close(self):
        self.seg(True, "FA")
        self.seg(False, "FA")
        self.seg(True, "A")

    def write(self, name, wrap=None, linktype=None):
        path = os.path.join(TMP, name + ".pcap")
        w = PcapWriter(path, linktype=linktype, sync=True)
        for t, p in self.pkts:
            f = wrap(p) if wrap else Ether(src="02:00:00:00:00:01",
                                          dst="02:00:00:00:00:02") / p
            f.time = t
            w.write(f)
        w.close()
        return path


def conns(path, *opts):
    """The connections of --json, checked against docs/schema."""
    rc, out, err = tulpen("--json", *opts, path)
    check(rc == 0, "%s %r: exit %d %r" % (path, opts, rc, err))
    try:
        return validate_text("pcap-connection", out, path)
    except SchemaViolation as e:
        check(False, "%s %r: not valid JSON for the schema: %s" %
              (path, opts, e))
    except ValueError:
        check(False, "%s: not JSON: %r" % (path, out[:200]))
    return []


def expect(name, path, want, opts=()):
    """want: [(conn_state, history, orig_pkts or None)] in id order."""
    got = sorted(conns(path, *opts), key=lambda c: c["id"])
    g = [(c["conn_state"], c["history"], c["client"]["pkts"]) for c in got]
    ok = len(g) == len(want) and all(
        x[0] == w[0] and x[1] == w[1] and (w[2] is None or x[2] == w[2])
        for x, w in zip(g, want))
    check(ok, "%s %s: got %r, want %r" % (name, " ".join(opts), g, want))
    if ok:
        print("ok %s %s" % (name, " ".join(opts)))
    return got


ZEEK = ("--compat", "zeek")


def t_rules():
    # A client retrying a refused connection with the same ISN: the RST
    # closes each attempt, the next SYN reuses the 4-tuple (Zeek: closed
    # connections are always reused). One REJ "Sr" per attempt.
    v = Conv()
    for dt in (0, 1, 2):
        v.seg(True, "S", dt=dt, seq=1000)
        v.seg(False, "RA", seq=0, ack=1001)
    p = v.write("refused-retry")
    for o in ((), ZEEK):
        expect("refused retry, same ISN", p, [("REJ", "Sr", 1)] * 3, o)

    # A RST answering the SYN-ACK with the sequence number it acked (no
    # ACK bit): the connection ends (RSTO "ShR"); a probe 1 s later from
    # the same port with a new ISN is a connection of its own (S0 "S").
    v = Conv()
    v.seg(True, "S")
    v.seg(False, "SA")
    v.seg(True, "R", ack=0)
    v.seg(True, "S", dt=1, seq=90000)
    p = v.write("rst-synack")
    for o in ((), ZEEK):
        got = expect("RST answering the SYN-ACK", p,
                     [("RSTO", "ShR", 2), ("S0", "S", 1)], o)
        if got and not o:
            check(got[0]["client"]["final_state"] == "CLOSED" and
                  got[0]["end"] == "closed",
                  "RST answering the SYN-ACK: client %s, end %s" %
                  (got[0]["client"]["final_state"], got[0]["end"]))

    # The peer's FIN after a RST lands in the history (the connection
    # lingers): orig RESET, resp CLOSED -> RSTO.
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"x" * 10)
    v.seg(True, "RA")
    v.seg(False, "FA", dt=0.2)
    p = v.write("fin-after-rst")
    for o in ((), ZEEK):
        expect("FIN after RST", p, [("RSTO", "ShADRf", 4)], o)

    # FIN, RST, then the peer's FIN: Zeek turns the RST back into a
    # normal close: SF.
    v = Conv()
    v.handshake()
    v.seg(True, "FA")
    v.seg(True, "R", ack=0)
    v.seg(False, "FA")
    p = v.write("fin-rst-fin")
    for o in ((), ZEEK):
        expect("FIN-RST-FIN", p, [("SF", "ShAFRf", 4)], o)

    # SYN retransmissions 0, 1, 3, 7, 15 s with one ISN. Zeek ends an
    # unanswered attempt 5 s after its first SYN (tcp_attempt_delay): the
    # SYNs at 0, 1, 3 are one S0 record, 7 and 15 one each. The RFC view
    # keeps one connection with the retransmissions.
    v = Conv()
    last = 0
    for at in (0, 1, 3, 7, 15):
        v.seg(True, "S", dt=at - last, seq=1000)
        last = at
    p = v.write("syn-retries")
    expect("SYN retries", p, [("S0", "S", 5)])
    expect("SYN retries", p, [("S0", "S", 3), ("S0", "S", 1),
                              ("S0", "S", 1)], ZEEK)

    # A FIN while the peer was never seen ends the connection for Zeek
    # (SH "SF"); the next SYN, even with the same ISN, starts a new one.
    v = Conv()
    v.seg(True, "S", seq=1000)
    v.seg(True, "F", dt=0.5, seq=1001, ack=0)
    v.seg(True, "S", dt=0.5, seq=1000)
    p = v.write("fin-peer-unseen")
    expect("FIN with the peer unseen", p, [("SH", "SF", 2), ("S0", "S", 1)],
           ZEEK)

    # Zeek keeps a closed connection tcp_close_delay (5 s) after its last
    # time: a late ACK 3 s after the close lands in it (no letter: 'A'
    # once a direction); an ACK 6 s after starts a new (partial) record.
    # With the default 2 s linger the late ACK already starts the partial
    # connection, and the second joins it.
    v = Conv()
    v.handshake()
    v.close()
    v.seg(True, "A", dt=3)
    v.seg(True, "A", dt=3)
    p = v.write("close-delay")
    expect("close delay", p, [("SF", "ShAFf", 5), ("OTH", "A", 1)], ZEEK)
    expect("close delay", p, [("SF", "ShAFf", 4), ("OTH", "A", 2)])

    # Inactivity: idle >= the timeout ends the record.
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"y", dt=10)
    p = v.write("idle-exact")
    for o in ((), ZEEK):
        expect("idle exactly the timeout", p,
               [("S1", "ShA", 2), ("OTH", "D", 1)],
               ("--idle-timeout", "10") + o)

    # History letters: zero window (w, after the ACK's 'a': the window is
    # looked at after the flags), retransmitted payload (T), a content gap
    # (G: 100 bytes acked, never seen), multi-flag (Q) and FIN+RST (I).
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"a" * 100)
    v.seg(False, "A", window=0)
    v.seg(True, "PA", b"a" * 100, seq=v.seq[True] - 100)
    v.seq[True] += 100  # 100 bytes the capture never had
    v.seg(True, "PA", b"b" * 100)
    v.seg(False, "A")
    p = v.write("letters")
    for o in ((), ZEEK):
        got = expect("letters W T G", p, [("S1", "ShADawTG", 5)], o)
        if got:
            check(got[0]["missed_bytes"] == 100,
                  "gap: missed_bytes %r" % got[0]["missed_bytes"])
    v = Conv()
    v.seg(True, "SF")
    v.seg(True, "FR", dt=0.1, seq=1002)
    p = v.write("multi-flag")
    expect("letters Q I", p, [("OTH", "QI", 2)], ZEEK)

    # Checksums: by default counted and marked (C), never dropped; Zeek
    # drops the segment (its D never counts); -C does not check them.
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"z" * 20, bad_csum=True)
    v.seg(False, "A")
    p = v.write("bad-checksum")
    got = expect("bad checksum", p, [("S1", "ShACDa", 3)])
    if got:
        check(got[0]["client"]["bad_checksums"] == 1, "bad_checksums")
    expect("bad checksum", p, [("S1", "ShACa", 2)], ZEEK)
    expect("bad checksum", p, [("S1", "ShADa", 3)], ZEEK + ("-C",))
    expect("bad checksum", p, [("S1", "ShADa", 3)], ("-C",))

    # A bad IPv4 header checksum: Zeek drops the packet before TCP sees
    # it (no connection, no letter); the default model keeps it.
    v = Conv()
    v.handshake()
    v.pkts[1] = (v.pkts[1][0], v.pkts[1][1].copy())
    v.pkts[1][1][IP].chksum = 0x4321
    p = v.write("bad-ip-checksum")
    expect("bad IP checksum", p, [("S0", "SA", 2)], ZEEK)
    expect("bad IP checksum", p, [("S1", "ShA", 2)])
    expect("bad IP checksum", p, [("S1", "ShA", 2)], ZEEK + ("-C",))

    # Roles of a connection picked up mid-stream: Zeek turns it around
    # when the first packet comes from a likely server port (80) to one
    # that is not ('^').
    v = Conv(cli=("10.2.0.2", 80), srv=("10.1.0.1", 40000))
    v.seg(True, "PA", b"HTTP/1.1 200 OK\r\n")
    v.seg(False, "A")
    p = v.write("flip")
    got = expect("flip", p, [("OTH", "^dA", 1)], ZEEK)
    if got:
        check(got[0]["client"]["port"] == 40000 and got[0]["roles_guessed"],
              "flip: client %r" % got[0]["client"])


def parse_log(out):
    head, rows = {}, []
    for line in out.splitlines():
        if line.startswith("#"):
            k, _, v = line.partition("\t") if "\t" in line else \
                line.partition(" ")
            head[k] = v
        else:
            rows.append(line.split("\t"))
    return head, rows


def t_zeeklog():
    fields = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto "
              "service duration orig_bytes resp_bytes conn_state "
              "local_orig local_resp missed_bytes history orig_pkts "
              "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()
    types = ("time string addr port addr port enum string interval count "
             "count string bool bool count string count count count count "
             "set[string]").split()
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"GET / HTTP/1.0\r\n\r\n")
    v.seg(False, "PA", b"x" * 300)
    v.close()
    v2 = Conv(cli=("10.1.0.1", 40001), v6=False)
    v2.t = v.t + 10**6
    v2.seg(True, "S")
    v.pkts += v2.pkts
    p = v.write("zeeklog")
    rc, out, err = tulpen("--compat", "zeek", "--format", "zeek", p)
    check(rc == 0 and not err, "zeek format: exit %d %r" % (rc, err))
    lines = out.splitlines()
    check(lines[:5] == ["#separator \\x09", "#set_separator\t,",
                        "#empty_field\t(empty)", "#unset_field\t-",
                        "#path\tconn"], "zeek header: %r" % lines[:5])
    head, rows = parse_log(out)
    check(head.get("#fields", "").split("\t") == fields, "#fields %r" %
          head.get("#fields"))
    check(head.get("#types", "").split("\t") == types, "#types")
    check(lines[5].startswith("#open\t") and lines[-1].startswith("#close\t")
          and len(lines[-1]) == len("#close\t2023-11-14-22-13-20"),
          "#open/#close: %r %r" % (lines[5], lines[-1]))
    check(len(rows) == 2 and all(len(r) == len(fields) for r in rows),
          "rows: %r" % rows)
    if len(rows) == 2:
        r = dict(zip(fields, rows[0]))
        want = {"id.orig_h": CLI[0], "id.orig_p": str(CLI[1]),
                "id.resp_h": SRV[0], "id.resp_p": str(SRV[1]),
                "proto": "tcp", "service": "-", "orig_bytes": "18",
                "resp_bytes": "300", "conn_state": "SF", "local_orig": "-",
                "local_resp": "-", "missed_bytes": "0",
                "history": "ShADdFf", "orig_pkts": "5", "resp_pkts": "3",
                "orig_ip_bytes": str(5 * 40 + 18),
                "resp_ip_bytes": str(3 * 40 + 300), "tunnel_parents": "-"}
        for k, w in want.items():
            check(r[k] == w, "conn.log %s: %r, want %r" % (k, r[k], w))
        check(r["uid"].startswith("C") and len(r["uid"]) == 18 and
              r["uid"].isalnum(), "uid %r" % r["uid"])
        check(r["ts"] == "%.6f" % (1700000000.001) and
              r["duration"] == "0.006000", "ts %r duration %r" %
              (r["ts"], r["duration"]))
        # A single SYN: no duration, so no duration and byte counts.
        r = dict(zip(fields, rows[1]))
        check(r["duration"] == "-" and r["orig_bytes"] == "-" and
              r["resp_bytes"] == "-" and r["conn_state"] == "S0" and
              r["history"] == "S", "single SYN row %r" % r)
        print("ok zeek ascii")
    rc, out, err = tulpen("--compat", "zeek", "--format", "zeek-json", p)
    objs = [json.loads(x) for x in out.splitlines()]
    check(len(objs) == 2, "zeek-json: %d objects" % len(objs))
    if objs:
        check(list(objs[0]) == [f for f in fields if f not in
                                ("service", "local_orig", "local_resp",
                                 "tunnel_parents")],
              "zeek-json keys %r" % list(objs[0]))
        check(objs[0]["orig_bytes"] == 18 and objs[0]["history"] ==
              "ShADdFf" and isinstance(objs[0]["ts"], float),
              "zeek-json values %r" % objs[0])
        check("duration" not in objs[1] and "orig_bytes" not in objs[1],
              "zeek-json unset fields present: %r" % objs[1])
        check(objs[0]["uid"] == dict(zip(fields, rows[0]))["uid"],
              "the same uid in both forms")
        print("ok zeek json")
    # No connections at all: header and #close only.
    v = Conv()
    v.pkts = [(Decimal(1700000000), IP(src="1.1.1.1", dst="2.2.2.2") / UDP())]
    rc, out, err = tulpen("--format", "zeek", v.write("nothing"))
    check(rc == 0 and len(out.splitlines()) == 9 and
          out.splitlines()[-1].startswith("#close"), "empty log %r" % out)


def inner_conv(v6=False):
    if v6:
        v = Conv(cli=("fd00::1", 40000), srv=("fd00::2", 8080), v6=True)
    else:
        v = Conv()
    v.handshake()
    v.seg(True, "PA", b"ping")
    v.seg(False, "PA", b"pong")
    v.close()
    return v


O4 = ("192.0.2.1", "192.0.2.2")
O6 = ("2001:db8::1", "2001:db8::2")


def outer4(p, proto=None):
    return IP(src=O4[0], dst=O4[1]) / p


def eth(p):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p


def gtp_ext(p):
    # GTP-U with the E flag and a PDU session container extension header
    # (type 0x85, length 1 word), then the inner IP.
    hdr = bytes([0x34, 0xff]) + (len(bytes(p)) + 8).to_bytes(2, "big") + \
        (7).to_bytes(4, "big") + b"\x00\x00\x00\x85" + \
        bytes([1, 0x10, 0x09, 0x00])
    return eth(outer4(UDP(sport=2152, dport=2152) / Raw(hdr + bytes(p))))


def ayiya(p):
    nh = 41 if p.version == 6 else 4
    # idlen 4 (16 bytes of identity), siglen 5 (20 bytes), opcode 1.
    hdr = bytes([0x41, 0x52, 0x11, nh]) + b"\0" * 4 + b"\1" * 16 + \
        b"\2" * 20
    return eth(outer4(UDP(sport=5072, dport=5072) / Raw(hdr + bytes(p))))


def teredo(p):
    origin = b"\x00\x00" + b"\x12\x34" + b"\xc0\x00\x02\x63"
    return eth(outer4(UDP(sport=3544, dport=40001) / Raw(origin + bytes(p))))


def aruba(p):
    wifi = bytes([0x08, 0x01]) + b"\0" * 22  # data frame, to the DS
    snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    return eth(outer4(GRE(proto=0x8210) / Raw(wifi + snap + bytes(p))))


def erspan2(p):
    hdr = b"\x10\x01\x00\x01\x00\x00\x00\x00"
    return eth(outer4(GRE(proto=0x88be, seqnum_present=1, seqence_number=1)
                      / Raw(hdr + bytes(eth(p)))))


def pptp(p):
    gre = bytes([0x30, 0x01, 0x88, 0x0b]) + len(bytes(p)).to_bytes(2, "big") \
        + b"\x00\x01" + (1).to_bytes(4, "big")
    return outer4_proto(Raw(gre + b"\xff\x03\x00\x21" + bytes(p)), 47)


def outer4_proto(p, proto):
    return eth(IP(src=O4[0], dst=O4[1], proto=proto) / Raw(bytes(p)))


def fragmented_gtp(p):
    """The outer IPv4 packet of a GTP-U tunnel cut in two fragments when it
    is long enough: the first holds the UDP and GTP headers and the inner
    IP and TCP headers (56 bytes), the second the rest of the payload."""
    whole = IP(src=O4[0], dst=O4[1], id=7) / UDP(sport=2152, dport=2152) / \
        GTP_U_Header(teid=7, gtp_type=255) / p
    body = bytes(whole)[20:]
    if len(body) <= 64:
        return [eth(whole)]
    first = body[:56]
    f1 = IP(src=O4[0], dst=O4[1], id=7, flags="MF", proto=17) / Raw(first)
    f2 = IP(src=O4[0], dst=O4[1], id=7, frag=7, proto=17) / Raw(body[56:])
    return [eth(f1), eth(f2)]


TUNNELS = [
    # name, wrap, tunnel type (None: not a tunnel), linktype
    ("ipip", lambda p: outer4_proto(p, 4), "IP", None),
    ("6in4", lambda p: outer4_proto(p, 41), "IP", None),
    ("ip6ip6", lambda p: eth(IPv6(src=O6[0], dst=O6[1], nh=41) /
                             Raw(bytes(p))), "IP", None),
    ("gre", lambda p: eth(outer4(GRE(proto=0x0800) / p)), "GRE", None),
    ("gre-key-seq", lambda p: eth(outer4(GRE(proto=0x0800, key_present=1,
                                             key=5, seqnum_present=1,
                                             seqence_number=9) / p)),
     "GRE", None),
    ("gre-teb", lambda p: eth(outer4(GRE(proto=0x6558) / eth(p))), "GRE",
     None),
    ("gre-aruba", aruba, "GRE", None),
    ("erspan2", erspan2, "GRE", None),
    ("pptp", pptp, "GRE", None),
    ("gre-udp", lambda p: eth(outer4(UDP(sport=4754, dport=4754) /
                                     GRE(proto=0x0800) / p)), "GRE", None),
    ("vxlan", lambda p: eth(outer4(UDP(sport=51000, dport=4789) /
                                   VXLAN(vni=42) / eth(p))), "VXLAN", None),
    ("geneve", lambda p: eth(outer4(UDP(sport=51000, dport=6081) /
                                    GENEVE(vni=42, proto=0x6558) / eth(p))),
     "GENEVE", None),
    ("gtpu", lambda p: eth(outer4(UDP(sport=2152, dport=2152) /
                                  GTP_U_Header(teid=7, gtp_type=255) / p)),
     "GTPv1", None),
    ("gtpu-ext", gtp_ext, "GTPv1", None),
    ("teredo", teredo, "TEREDO", None),
    ("ayiya", ayiya, "AYIYA", None),
    ("vxlan-in-gre-in-v6",
     lambda p: eth(IPv6(src=O6[0], dst=O6[1]) / GRE(proto=0x0800) /
                   IP(src=O4[0], dst=O4[1]) /
                   UDP(sport=51000, dport=4789) / VXLAN(vni=1) / eth(p)),
     "VXLAN", None),
    ("mpls", lambda p: eth(MPLS(label=16, s=1) / p), None, None),
    ("mpls-in-vlan", lambda p: Ether() / Dot1Q(vlan=5, type=0x8847) /
     MPLS(label=16, s=0) / MPLS(label=17, s=1) / p, None, None),
    ("pppoe-qinq", lambda p: Ether() / Dot1AD(vlan=10) / Dot1Q(vlan=20) /
     PPPoE(sessionid=3) / PPP(proto=0x0021 if p.version == 4 else 0x0057) /
     p, None, None),
    ("pbb", lambda p: Ether(type=0x88e7) / Raw(b"\0\0\0\1") / eth(p), None,
     None),
    ("vntag", lambda p: Ether(type=0x8926) / Raw(b"\0\0\0\0\x08\x00") / p,
     None, None),
    ("ppp", lambda p: Raw(b"\xff\x03\x00\x21" + bytes(p)), None, 9),
    ("fddi", lambda p: Raw(b"\x50" + b"\1" * 12 +
                           b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + bytes(p)),
     None, 10),
    ("sll", lambda p: CookedLinux(proto=0x0800) / p, None, 113),
    ("c-hdlc", lambda p: Raw(b"\x0f\x00\x08\x00" + bytes(p)), None, 104),
]


def t_tunnels():
    v = inner_conv()
    plain = conns(v.write("plain"))
    check(len(plain) == 1, "plain: %d connections" % len(plain))

    def key(c):
        return (c["client"]["address"], c["client"]["port"],
                c["server"]["address"], c["server"]["port"], c["conn_state"],
                c["history"], c["client"]["pkts"], c["server"]["bytes"])
    for name, wrap, ttype, dlt in TUNNELS:
        v = inner_conv()
        if name in ("6in4", "teredo") or (name == "ayiya"):
            v = inner_conv(v6=name != "ayiya")
            ref = conns(v.write(name + "-ref"))
        else:
            ref = plain
        p = v.write(name, wrap=wrap, linktype=dlt)
        rc, out, err = tulpen("--json", p)
        check(rc == 0 and not err, "%s: exit %d %r" % (name, rc, err))
        got = json.loads(out) if rc == 0 else []
        if not check(len(got) == 1 and key(got[0]) == key(ref[0]),
                     "%s: %r, want %r" % (name, [key(c) for c in got],
                                          key(ref[0]))):
            continue
        t = got[0]["tunnel"]
        if ttype:
            check(t and t["type"] == ttype, "%s: tunnel %r" % (name, t))
            rc, out, err = tulpen("--format", "zeek", p)
            row = [x for x in out.splitlines() if not x.startswith("#")]
            check(len(row) == 1 and row[0].split("\t")[-1].startswith("C"),
                  "%s: tunnel_parents %r" % (name, row))
        else:
            check(t is None, "%s: tunnel %r where there is none" % (name, t))
        print("ok tunnel %s" % name)
    # The outer packets of a GTP-U tunnel fragmented: the first fragments
    # carry the inner headers.
    v = Conv()
    v.handshake()
    v.seg(True, "PA", b"q" * 300)
    v.seg(False, "PA", b"r" * 600)
    v.close()
    frames = []
    for t, p in v.pkts:
        for f in fragmented_gtp(p):
            frames.append((t, f))
    check(len(frames) == len(v.pkts) + 2, "gtp: %d frames for %d packets" %
          (len(frames), len(v.pkts)))
    path = os.path.join(TMP, "gtp-frag.pcap")
    w = PcapWriter(path, sync=True)
    for t, f in frames:
        f.time = t
        w.write(f)
    w.close()
    got = conns(path)
    check(len(got) == 1 and key(got[0])[:5] == key(plain[0])[:5] and
          got[0]["history"] == "ShADdFf" and
          got[0]["client"]["bytes"] == 300 and
          got[0]["server"]["bytes"] == 600,
          "gtp outer fragments: %r" % [key(c) for c in got])
    print("ok tunnel gtpu outer fragments")
    t_tunnel_parents()
    # An unknown GRE payload and an unknown link type: a note with the
    # count, exit 0.
    v = inner_conv()
    p = v.write("gre-unknown", wrap=lambda p: eth(outer4(GRE(proto=0x1234) /
                                                        p)))
    rc, out, err = tulpen(p)
    check(rc == 0 and ("%d frames skipped: GRE payload type not decoded" %
                       len(v.pkts)) in err, "unknown GRE: %d %r" % (rc, err))
    p = v.write("dlt-user0", wrap=lambda p: Raw(bytes(p)), linktype=147)
    rc, out, err = tulpen(p)
    check(rc == 0 and "link type 147" in err and
          ("%d frames skipped" % len(v.pkts)) in err,
          "unknown link type: %d %r" % (rc, err))
    print("ok unknown tunnel and link type noted")


def write_frames(name, frames):
    path = os.path.join(TMP, name + ".pcap")
    w = PcapWriter(path, sync=True)
    for t, f in frames:
        f.time = t
        w.write(f)
    w.close()
    return path


def parents(path):
    """The tunnel_parents of each row of --compat zeek --format zeek."""
    rc, out, err = tulpen("--compat", "zeek", "--format", "zeek", path)
    check(rc == 0, "%s: exit %d %r" % (path, rc, err))
    rows = [x.split("\t") for x in out.splitlines() if not x.startswith("#")]
    return [r[-1].split(",") for r in rows]


def t_tunnel_parents():
    # main.zeek: tunnel_parents is a set, and set_conn() and tunnel_changed
    # add to it the uid of the last (innermost) encapsulating connection
    # of the tunnel stack, for every change of the stack over the
    # connection's life. An inner connection whose segments come through
    # two VXLAN tunnels (other outer addresses, taking turns) has both;
    # the server's segments through the same tunnel the other way round
    # are the same parent; VXLAN inside GRE gives the VXLAN tunnel alone,
    # the same uid as that VXLAN without the GRE around it.
    def vx(p, a, b, sport=51000, dport=4789):
        return eth(IP(src=a, dst=b) / UDP(sport=sport, dport=dport) /
                   VXLAN(vni=42) / eth(p))
    v = inner_conv()
    fr = []
    for i, (t, p) in enumerate(v.pkts):
        cli = p[IP].src == v.cli[0]
        a, b = ("192.0.2.1", "192.0.2.2") if i % 2 else ("192.0.2.7",
                                                          "192.0.2.8")
        fr.append((t, vx(p, a, b) if cli else vx(p, b, a, 4789, 51000)))
    two = parents(write_frames("vxlan-two", fr))
    one = parents(write_frames("vxlan-one", [
        (t, vx(p, "192.0.2.1", "192.0.2.2") if p[IP].src == v.cli[0] else
         vx(p, "192.0.2.2", "192.0.2.1", 4789, 51000)) for t, p in v.pkts]))
    nested = parents(write_frames("vxlan-in-gre", [
        (t, eth(IP(src="198.51.100.1", dst="198.51.100.2") /
                GRE(proto=0x0800) / vx(p, "192.0.2.1", "192.0.2.2")[IP]))
        for t, p in v.pkts]))
    check(len(two) == 1 and len(two[0]) == 2 and len(set(two[0])) == 2,
          "two tunnels: tunnel_parents %r" % two)
    check(len(one) == 1 and len(one[0]) == 1 and one[0][0] in two[0],
          "one tunnel both ways: tunnel_parents %r (of %r)" % (one, two))
    check(len(nested) == 1 and nested == one,
          "VXLAN in GRE: tunnel_parents %r, want %r" % (nested, one))
    got = conns(write_frames("vxlan-two-json", fr))
    check(len(got) == 1 and len(got[0].get("more_tunnels", [])) == 1 and
          got[0]["tunnel"]["type"] == "VXLAN",
          "two tunnels: JSON %r" % got)
    rc, out, err = tulpen("--compat", "zeek", "--format", "zeek-json",
                          write_frames("vxlan-two-zj", fr))
    rows = [json.loads(x) for x in out.splitlines()] if rc == 0 else []
    check(len(rows) == 1 and sorted(rows[0]["tunnel_parents"]) ==
          sorted(two[0]), "two tunnels, zeek-json: %r" % rows)
    print("ok tunnel_parents over the connection's life")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    TULPEN = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        TMP = d
        {"rules": t_rules, "zeeklog": t_zeeklog,
         "tunnels": t_tunnels}[sys.argv[2]]()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("PASS")
