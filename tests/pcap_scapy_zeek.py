#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
pcap_scapy_zeek.py - `tulpen pcap --compat zeek` on captures built with
scapy, for the rules of Zeek's TCP analyzer that pcap_scapy.py does not
cover: turning a connection around when the SYN of a SYN-ACK seen first
arrives, the endpoint size of an aborted half-open connection, the
ExpireTimer of a connection none of whose packets Zeek took, the reset and
partial-close timers, and Tunnel::max_depth.

  pcap_scapy_zeek.py TULPEN

Each expectation is worked out by hand from Zeek's source, named in the
comment of each case (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc:
UpdateInactiveState, ConnectionClosed, ExpireTimer, ResetTimer,
PartialCloseTimer; src/Conn.cc: FlipRoles; TCP_Endpoint.cc: Size;
the tunnel analyzers' Tunnel::max_depth test; init-bare.zeek for the
constants), not taken from tulpen's output. Runs under Debian's
/usr/bin/python3 (python3-scapy).
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap_scapy as ps  # noqa: E402
from pcap_scapy import Conv, check, conns, expect, ZEEK  # noqa: E402
from scapy.all import IP, Ether, PcapWriter, Raw  # noqa: E402

# Ports none of Zeek's default analyzers registers (not likely servers).
CLI = ("10.1.0.1", 40000)
SRV = ("10.2.0.2", 5001)


def by_id(cs):
    return sorted(cs, key=lambda c: c["id"])


def t_reversal():
    # The SYN-ACK captured before its SYN (two interfaces): the first
    # packet comes from 5001, not a likely server port, so
    # WantConnection() keeps its sender as originator: 'H', SYN_ACK_SENT,
    # and the ACK initialises the peer's start to ack - 1 (init_peer).
    # The SYN from the responder then is no reuse (IsReuse: the state is
    # consistent with a SYN/SYN-ACK reversal) and UpdateInactiveState()
    # calls FlipRoles(): 's' was written before (update_history runs
    # first), then '^'; both endpoints ESTABLISHED. The letters after it
    # are per direction with the new roles: the client's ACK 'A', data
    # 'D', the server's data 'd', the FINs 'F' 'f': SF "Hs^ADdFf". The
    # ConnSize analyzer counts the SYN after the flip with its old
    # direction: the client's SYN goes to resp_pkts (4 and 4, not 5 and
    # 3).
    v = Conv(cli=CLI, srv=SRV)
    cisn, sisn = v.seq[True], v.seq[False]
    v.seg(False, "SA", seq=sisn, ack=cisn + 1)
    v.seg(True, "S", dt=0.00001, seq=cisn)
    v.seq = {True: cisn + 1, False: sisn + 1}
    v.seg(True, "A")
    v.seg(True, "PA", b"hello")
    v.seg(False, "PA", b"world!")
    v.close()
    p = v.write("reversal")
    got = expect("SYN/SYN-ACK reversal", p, [("SF", "Hs^ADdFf", 4)], ZEEK)
    if got:
        c = got[0]
        check(c["client"]["port"] == CLI[1] and c["server"]["pkts"] == 4 and
              c["roles_guessed"] and c["client"]["seq_bytes"] == 5 and
              c["server"]["seq_bytes"] == 6 and c["syn_rtt_us"] is None and
              c["rtt_us"] == 1000,
              "reversal: client %r server %r" % (c["client"], c["server"]))
    # The default model makes the SYN-ACK's sender the responder at once
    # ('^' first, its SYN-ACK 'h'); Zeek's endpoint model then sees the
    # client's SYN from INACTIVE ('S', SYN_SENT), the ACK leaves it in
    # SYN_SENT (UpdateSYN_SentState), its FIN closes it: SF "^hSADdFf",
    # one connection, every segment counted for its sender.
    got = expect("SYN/SYN-ACK reversal", p, [("SF", "^hSADdFf", 5)])
    if got:
        check(got[0]["client"]["port"] == CLI[1] and
              got[0]["server"]["pkts"] == 3,
              "reversal, default: %r" % got[0]["client"])

    # The same from a likely server port (80): WantConnection() turns it
    # around at once ('^', the SYN-ACK 'h'); the SYN then has the start
    # the SYN-ACK acknowledged (no reuse) and makes the client SYN_SENT
    # ('S'), where the ACK leaves it: SF "^hSADdFf", 5 and 3 packets.
    v = Conv(cli=CLI, srv=("10.2.0.2", 80))
    cisn, sisn = v.seq[True], v.seq[False]
    v.seg(False, "SA", seq=sisn, ack=cisn + 1)
    v.seg(True, "S", dt=0.00001, seq=cisn)
    v.seq = {True: cisn + 1, False: sisn + 1}
    v.seg(True, "A")
    v.seg(True, "PA", b"GET /")
    v.seg(False, "PA", b"200 OK")
    v.close()
    p = v.write("reversal-80")
    got = expect("SYN-ACK first from port 80", p, [("SF", "^hSADdFf", 5)],
                 ZEEK)
    if got:
        check(got[0]["server"]["pkts"] == 3 and
              got[0]["client"]["port"] == CLI[1],
              "SYN-ACK first from 80: %r" % got[0]["server"])


def t_letters():
    # update_history(): 'S' and 'H' share one bit (HIST_SYN_PKT) and are
    # written again only for a SYN at another sequence number relative to
    # the side's start. A SYN-ACK sent again with another ISN moves the
    # responder's start (init_endpoint, ESTABLISHED + SYN), so its
    # relative number is 0 again: no second 'h'. SF "ShAFf".
    v = Conv(cli=CLI, srv=SRV)
    cisn = v.seq[True]
    v.seg(True, "S")
    v.seg(False, "SA", seq=5000, ack=cisn + 1)
    v.seg(False, "SA", seq=7000, ack=cisn + 1)
    v.seq[False] = 7001
    v.seg(True, "A")
    v.close()
    p = v.write("synack-new-isn")
    for o in ((), ZEEK):
        expect("SYN-ACK again, another ISN", p, [("SF", "ShAFf", 4)], o)

    # A simultaneous open: both send a SYN, then a SYN-ACK of the same
    # ISN. In the default model the responder's SYN establishes both (as
    # Zeek's UpdateInactiveState would); each SYN-ACK finds the SYN bit of
    # its direction set at the same relative number: no 'H', no 'h'. SF
    # "SsAaFf".
    v = Conv(cli=CLI, srv=SRV)
    cisn, sisn = v.seq[True], v.seq[False]
    v.seg(True, "S")
    v.seg(False, "S")
    v.seg(True, "SA", seq=cisn)
    v.seg(False, "SA", seq=sisn)
    v.seg(True, "A")
    v.seg(False, "A")
    v.close()
    p = v.write("simultaneous-open")
    expect("simultaneous open", p, [("SF", "SsAaFf", 5)])
    # Zeek's IsReuse() does not look at the direction: the responder's
    # SYN has an ISN other than the originator's start, so it is a reuse
    # ("SYN_seq_jump"): S0 "S", then a connection the second SYN opens:
    # its SYN 'S', the peer's SYN-ACK 'h' (establishing both), the
    # second SYN-ACK no 'H' (its SYN bit, relative 0), the ACKs 'a' 'A',
    # the first side's FIN 'f', the second's 'F': SF "ShaAfF", 4 packets
    # from its originator.
    expect("simultaneous open", p, [("S0", "S", 1), ("SF", "ShaAfF", 4)],
           ZEEK)


def t_size():
    # TCP_Endpoint::Size(): the responder acknowledges 100 bytes with a
    # bare ACK before any SYN-ACK (it stays INACTIVE: "eccentric TCP's"
    # in UpdateInactiveState), the originator aborts with a RST from
    # SYN_SENT. Its size is 0, not the 99 its acknowledged sequence
    # space would give. conn_state: orig RESET, resp INACTIVE, history
    # "SaR" matches /^\^?S[^HAFGIQ]*R/: RSTOS0.
    v = Conv(cli=CLI, srv=SRV)
    cisn = v.seq[True]
    v.seg(True, "S")
    v.seg(False, "A", ack=cisn + 100)
    v.seg(True, "R", seq=cisn + 1)
    p = v.write("half-open-aborted")
    got = expect("aborted half-open size", p, [("RSTOS0", "SaR", 2)], ZEEK)
    if got:
        check(got[0]["client"]["seq_bytes"] == 0,
              "aborted half-open: orig size %r" %
              got[0]["client"]["seq_bytes"])


def t_expire():
    # A 4-tuple of which Zeek takes no packet: every ACK has a bad
    # checksum (checksum offload on the capturing host), so
    # ValidateChecksum() drops each after its 'C' and both endpoints stay
    # INACTIVE; an ACK is never a reuse (IsReuse: SYNs only). The
    # connection was made by the first one (at 0); its ExpireTimer runs at
    # 0 + tcp_SYN_timeout (5 s: not idle more than tcp_connection_linger
    # 5 s yet), then every tcp_session_timer (6 s): at 11 it removes it
    # (both INACTIVE). Timers run before the packet that moves network
    # time past them. ACKs at 0, 1, 3, 7 are one record, 15 starts one
    # removed at 26, 31 one more: three OTH "C" records with no packet
    # counted ('C' at 1, 10, ... errors).
    v = Conv(cli=CLI, srv=SRV)
    last = 0
    for at in (0, 1, 3, 7, 15, 31):
        v.seg(True, "A", dt=at - last, bad_csum=True)
        last = at
    p = v.write("bad-checksum-acks")
    expect("bad-checksum ACKs", p, [("OTH", "C", 0)] * 3, ZEEK)
    # -C: the ACKs count; the originator is PARTIAL from the first, which
    # neither the ExpireTimer nor the 5 min inactivity timeout ends: one
    # OTH "A" record.
    expect("bad-checksum ACKs", p, [("OTH", "A", 6)], ZEEK + ("-C",))
    # The default model keeps them all, marked.
    expect("bad-checksum ACKs", p, [("OTH", "CA", 6)])

    # SYNs instead: on a connection whose originator was never
    # initialised (its StartSeq() is 0) every SYN with another ISN is a
    # reuse (IsReuse), before the checksum is looked at: one OTH "C"
    # record per SYN.
    v = Conv(cli=CLI, srv=SRV)
    last = 0
    for at in (0, 1, 3):
        v.seg(True, "S", dt=at - last, seq=1000, bad_csum=True)
        last = at
    p = v.write("bad-checksum-syns")
    expect("bad-checksum SYNs", p, [("OTH", "C", 0)] * 3, ZEEK)


def t_timers():
    # FIN, then a RST from the same side: UpdateClosedState() resets it
    # (the peer is not CLOSED) with no new close (it did_close already)
    # and starts ResetTimer at the RST + tcp_reset_delay (5 s). A peer's
    # FIN 3 s later lands in it and makes the FIN-RST a normal close
    # (UpdateEstablishedState): SF "ShAFRf".
    def fin_rst(gap):
        v = Conv(cli=CLI, srv=SRV)
        v.handshake()
        v.seg(True, "FA")
        v.seg(True, "R", ack=0)
        v.seg(False, "FA", dt=gap)
        return v.write("fin-rst-%d" % gap)
    expect("FIN RST, peer FIN 3 s later", fin_rst(3),
           [("SF", "ShAFRf", 4)], ZEEK)
    # 6 s later the reset timer has removed it (orig RESET, resp
    # ESTABLISHED: RSTO "ShAFR"); the FIN starts a partial connection
    # from 5001, not a likely server port, so its sender is the
    # originator: a FIN from INACTIVE with the peer INACTIVE is a
    # complete close: SH "F".
    expect("FIN RST, peer FIN 6 s later", fin_rst(6),
           [("RSTO", "ShAFR", 4), ("SH", "F", 1)], ZEEK)

    # A RST from the originator completes the close (ConnectionClosed:
    # the endpoint is RESET), removal tcp_close_delay after its last time
    # (T + 5). The responder's FIN at T + 3 is a second complete close
    # (the peer did_close): CancelTimers() and a new ConnDeleteTimer at
    # its last time + 5 (T + 8). Both sides closed now, its last time
    # stays T + 3; the FIN sent again at T + 6 lands in it (no second
    # 'f': the same sequence number): RSTO "ShARf", 3 packets from the
    # responder, duration T + 3 - start.
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    v.seg(True, "R", ack=0)
    v.seg(False, "FA", dt=3)
    v.seg(False, "FA", dt=3, seq=v.seq[False] - 1)
    p = v.write("rst-then-fin")
    got = expect("RST, FIN 3 s later, FIN again", p, [("RSTO", "ShARf", 3)],
                 ZEEK)
    rc, out, err = ps.tulpen("--compat", "zeek", "--format", "zeek-json", p)
    recs = [json.loads(x) for x in out.splitlines() if x.strip()]
    check(rc == 0 and len(recs) == 1 and recs[0]["resp_pkts"] == 3 and
          abs(ps.Decimal(str(recs[0]["duration"])) -
              (v.pkts[4][0] - v.pkts[0][0])) < ps.Decimal("0.000002"),
          "RST then FIN, conn.log: %d %r" % (rc, recs))

    # The partial-close timer (tcp_partial_close_delay) is only started
    # when a connection_partial_close handler exists, and Zeek's base
    # scripts have none: a side whose first packet is a FIN, the other
    # side PARTIAL, is not a complete close (ConnectionClosed), and data
    # 4 s later stays in the same record: SHR "Df" (resp CLOSED, orig
    # PARTIAL).
    v = Conv(cli=CLI, srv=SRV)
    v.seg(True, "PA", b"abc")
    v.seg(False, "FA")
    v.seg(True, "PA", b"def", dt=4)
    p = v.write("partial-close")
    expect("no partial-close timer", p, [("SHR", "Df", 2)], ZEEK)


def t_long_history():
    # Zeek's history is a string without a limit (Connection::AddHistory
    # appends): 'R' again for every RST at another sequence number
    # relative to the side's start (update_history). A handshake ('S',
    # 'h', 'A'), the client's data ('D'), the server's pure ACK ('a'),
    # then 40 RSTs from the client one sequence number apart: 'R' 40
    # times, 45 letters. Zeek: the originator RESET, the responder still
    # ESTABLISHED, so no close completes and every RST lands in the one
    # connection: RSTO. The default model closes both endpoints at the
    # first RST, and the others are late segments of the lingering
    # connection: the same letters. conn.log writes them all too.
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    v.seg(True, "PA", b"x")
    v.seg(False, "A")
    base = v.seq[True]
    for i in range(40):
        v.seg(True, "R", seq=base + i)
    p = v.write("long-history")
    want = "ShADa" + "R" * 40
    for o in ((), ZEEK):
        expect("45 history letters", p, [("RSTO", want, 43)], o)
    rc, out, err = ps.tulpen("--compat", "zeek", "--format", "zeek", p)
    rows = [ln.split("\t") for ln in out.splitlines()
            if ln and not ln.startswith("#")]
    check(rc == 0 and len(rows) == 1 and want in rows[0],
          "long history in conn.log: %r %r" % (rows, err))
    rc, out, err = ps.tulpen(p)
    check(rc == 0 and out.rstrip("\n").endswith(" " + want),
          "long history in the table: %r" % out[-120:])
    print("ok long history")


def write_snap(v, name, snap):
    """The conversation as captured with snapshot length @snap."""
    path = os.path.join(ps.TMP, name + ".pcap")
    w = PcapWriter(path, linktype=1, snaplen=snap, sync=True)
    for t, p in v.pkts:
        b = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                  p)
        f = Raw(b[:snap])
        f.wirelen = len(b)
        f.time = t
        w.write(f)
    w.close()
    return path


def zeek_json(path):
    rc, out, err = ps.tulpen("--compat", "zeek", "--format", "zeek-json",
                             path)
    check(rc == 0, "%s: exit %d %r" % (path, rc, err))
    return [json.loads(x) for x in out.splitlines()] if rc == 0 else []


def t_gaps():
    # TCP_Endpoint::DataSent() gives the reassembler a payload only when
    # it was captured whole (caplen >= len, else the weird
    # truncated_tcp_payload): with a snapshot length of 200 the server's
    # 2000 and 1000 bytes are not in it, and the client's ACKs of them
    # are content gaps (TCP_Reassembler::Undelivered, Gap: both sides
    # ESTABLISHED). update_history() runs first: the client's pure ACK
    # was seen ('A'), then the gap 'g'; the second gap is the second
    # event of a scaled letter (next at 10). SF "ShADadgFf", missed_bytes
    # 3000, resp_bytes 3000 (from sequence numbers).
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    v.seg(True, "PA", b"q" * 20)
    v.seg(False, "A")
    v.seg(False, "PA", b"r" * 2000)
    v.seg(True, "A")
    v.seg(False, "PA", b"s" * 1000)
    v.seg(True, "A")
    v.close()
    p = write_snap(v, "snaplen-gaps", 200)
    for o in ((), ZEEK):
        got = expect("truncated payloads are gaps", p,
                     [("SF", "ShADadgFf", 7)], o)
        if got:
            check(got[0]["missed_bytes"] == 3000,
                  "truncated payloads: missed_bytes %r" %
                  got[0]["missed_bytes"])
    rows = zeek_json(p)
    check(len(rows) == 1 and rows[0]["missed_bytes"] == 3000 and
          rows[0]["resp_bytes"] == 3000, "snaplen gaps, conn.log %r" % rows)

    # Two holes under one ACK: 100 bytes seen, 100 not captured, 100 seen
    # (held above the hole), 100 not captured, then the server acknowledges
    # all 400. Undelivered(): Gap() for the hole below the held block,
    # the block delivered, Gap() again up to the ACK: 200 bytes missed,
    # one 'G' (events 1 and 2). The server's pure ACK writes 'a' first.
    # SF "ShADaGFf".
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    for i in range(4):
        v.seg(True, "PA", bytes([65 + i]) * 100)
    del v.pkts[-1]
    del v.pkts[-2]
    v.seg(False, "A")
    v.close()
    p = v.write("two-holes")
    for o in ((), ZEEK):
        got = expect("two holes under one ACK", p, [("SF", "ShADaGFf", 6)],
                     o)
        if got:
            check(got[0]["missed_bytes"] == 200,
                  "two holes: missed_bytes %r" % got[0]["missed_bytes"])

    # A close deferred for pending data (ConnectionClosed: DataPending,
    # TCP_Reassembler::DataPending): the client's 100 bytes, 100 not
    # captured, 100 more, its FIN; the server's FIN acknowledges only the
    # first 100 and a pure ACK 2 s later the same. The client's data is
    # never delivered to its last sequence number, so its close stays
    # deferred (did_close unset; CheckEOF never passes): Zeek's LastTime
    # goes on with the packets after both FINs, the duration is 2.007 s
    # (not 0.007 s), and the close is never complete, so the record
    # lasts to the end of the capture. SF "ShADFfa", no gap (nothing
    # acknowledged past the hole).
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    base = v.seq[True]
    for i in range(3):
        v.seg(True, "PA", bytes([97 + i]) * 100)
    del v.pkts[-2]
    v.seg(True, "FA")
    v.seg(False, "FA", ack=base + 100)
    v.seg(False, "A", dt=2.0, ack=base + 100)
    p = v.write("deferred-close")
    for o in ((), ZEEK):
        got = expect("close deferred for pending data", p,
                     [("SF", "ShADFfa", 5)], o)
    rows = zeek_json(p)
    check(len(rows) == 1 and abs(rows[0].get("duration", 0) - 2.007) < 1e-6
          and rows[0]["missed_bytes"] == 0,
          "deferred close, conn.log %r" % rows)

    # The same pending data, answered by the server's RST with an ACK of
    # everything: Process() calls AckReceived() for a RST too, which
    # delivers past the hole (no gap reported: the server is RESET, not
    # clean), so the client's end of stream comes and its deferred close
    # is made: both closed, Zeek's LastTime stops at the RST, and the
    # client's FIN sent again 1 s later does not count: duration 0.007 s.
    # RSTR "ShADFr" (the FIN again at the same sequence number: no
    # letter), no missed bytes.
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    for i in range(3):
        v.seg(True, "PA", bytes([97 + i]) * 100)
    del v.pkts[-2]
    v.seg(True, "FA")
    fin = v.seq[True] - 1
    v.seg(False, "RA", ack=fin + 1)
    v.seg(True, "FA", dt=1.0, seq=fin)
    p = v.write("deferred-close-rst")
    for o in ((), ZEEK):
        expect("deferred close made by a RST's ACK", p,
               [("RSTR", "ShADFr", 6)], o)
    rows = zeek_json(p)
    check(len(rows) == 1 and abs(rows[0].get("duration", 0) - 0.007) < 1e-6
          and rows[0]["missed_bytes"] == 0,
          "deferred close and RST, conn.log %r" % rows)

    # DataPending() also holds while the peer's reassembler has blocks
    # (HasUndeliveredData(): data delivered and not yet acknowledged). The
    # client's FIN goes out before it acknowledged the server's 100 bytes:
    # its close is deferred. The server's FIN closes the server (its end of
    # stream makes the deferred close for the server, which clears the
    # deferral); the client's last ACK trims the server's data, the
    # client's end of stream comes with nothing deferred any more, so the
    # client never counts as closed: Zeek's LastTime goes on to the
    # server's FIN sent again 1 s later, duration 1.006 s (0.005 s if the
    # client's close had been made). SF "ShAdFf".
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    sisn = v.seq[False]
    v.seg(False, "PA", b"x" * 100)
    v.seg(True, "FA", ack=sisn)
    v.seg(False, "FA")
    v.seg(True, "A")
    v.seg(False, "FA", dt=1.0, seq=v.seq[False] - 1)
    p = v.write("deferred-close-peer")
    for o in ((), ZEEK):
        expect("close deferred for the peer's unacknowledged data", p,
               [("SF", "ShAdFf", 4)], o)
    rows = zeek_json(p)
    check(len(rows) == 1 and abs(rows[0].get("duration", 0) - 1.006) < 1e-6,
          "deferred close for the peer's data, conn.log %r" % rows)
    print("ok content gaps and the deferred close")


def nest(p, n):
    for i in range(n):
        p = IP(src="192.0.2.%d" % (10 + i), dst="198.51.100.%d" % (10 + i),
               proto=4 if p.haslayer(IP) and not p.haslayer("IPv6") else 41
               ) / p
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p


def t_depth():
    # Zeek decodes at most Tunnel::max_depth (4) tunnels: an analyzer
    # finding the encapsulation stack already that deep drops the packet
    # ("exceeded_tunnel_max_depth"). Inside four IP-in-IP tunnels the
    # connection is there; inside five Zeek has none, tulpen notes the
    # segments skipped. The default model decodes any depth.
    v = Conv(cli=CLI, srv=SRV)
    v.handshake()
    v.seg(True, "PA", b"deep")
    v.close()
    p4 = v.write("ipip-4", wrap=lambda p: nest(p, 4))
    p5 = v.write("ipip-5", wrap=lambda p: nest(p, 5))
    c4 = conns(p4, *ZEEK)
    check(len(c4) == 1 and c4[0]["tunnel"]["depth"] == 4 and
          c4[0]["conn_state"] == "SF", "4 tunnels: %r" % c4)
    rc, out, err = ps.tulpen("--json", "--compat", "zeek", p5)
    check(rc == 0 and json.loads(out) == [] and
          ("%d TCP segments skipped: inside more than 4 tunnels" %
           len(v.pkts)) in err, "5 tunnels, zeek: %d %r %r" % (rc, out, err))
    c5 = conns(p5)
    check(len(c5) == 1 and c5[0]["tunnel"]["depth"] == 5,
          "5 tunnels, default: %r" % c5)
    print("ok Tunnel::max_depth")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    ps.TULPEN = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        ps.TMP = d
        for t in (t_reversal, t_letters, t_size, t_expire, t_timers, t_depth,
                  t_long_history, t_gaps):
            t()
    if ps.failures:
        print("%d failure(s)" % len(ps.failures))
        sys.exit(1)
    print("PASS")
