#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
pcap_replay.py - `tulpen pcap` on recorded captures, without root.

  pcap_replay.py TULPEN golden     every tests/fixtures/pcap/X.pcap against
                                   X.txt (`-v` table) and X.json (--json)
  pcap_replay.py TULPEN linktypes  the fixtures rewritten to every supported
                                   link type (Ethernet, VLAN, QinQ, Linux
                                   cooked v1/v2, BSD loopback both byte
                                   orders, DLT_LOOP, raw IP) and to pcapng
                                   must give the same connections
  pcap_replay.py TULPEN bad        broken captures: truncated files, snaplen
                                   cuts, garbage, unknown link types, bogus
                                   header lengths; a clear message naming
                                   the packet, the right exit code, no crash
  pcap_replay.py TULPEN cli        options, filters, stdin, several files
  pcap_replay.py TULPEN readers    classic pcap files read by tulpen's own
                                   reader (a regular file) must give what
                                   libpcap gives (the same bytes on stdin):
                                   both byte orders, ns, link types, cut
                                   files, records past the snaplen, bogus
                                   lengths and times
  pcap_replay.py TULPEN robust     the regression captures of
                                   fixtures/pcap/robust/TESTLIST: time going
                                   backwards, past 2038, 2106 and 2262, a
                                   200-day handshake, cut and compressed
                                   files, pcapng sections and interfaces

The fixtures were captured by tests/integration/pcap_kernel.py (--keep) in
runs where tulpen's states matched the kernel's tracepoint. To refresh a
golden after a deliberate output change: tulpen pcap -v X.pcap > X.txt.
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "pcap")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def run1(args, stdin, threads):
    env = dict(os.environ)
    env.pop("TULPEN_PCAP_THREADS", None)
    if threads:
        env["TULPEN_PCAP_THREADS"] = threads
    r = subprocess.run([TULPEN, "pcap"] + list(args), input=stdin,
                       capture_output=True, env=env)
    err = r.stderr.decode()
    # Under ASan/UBSan a memory error must not pass for an error exit.
    check("Sanitizer" not in err and "runtime error" not in err,
          "sanitizer report for %r: %s" % (args, err))
    return r.returncode, r.stdout.decode(), err


def tulpen(*args, stdin=None):
    """A run (with its reader thread) and the same in one thread: the two
    must agree byte for byte, exit status and messages included."""
    got = run1(args, stdin, None)
    one = run1(args, stdin, "1")
    check(got == one, "%r: two threads %r, one thread %r" % (args, got, one))
    return got


def fixtures():
    return sorted(f[:-5] for f in os.listdir(FIX) if f.endswith(".pcap"))


# --- pcap reading and writing (enough for the fixtures) --------------------

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic == 0xa1b23c4d or magic == 0x4d3cb2a1
    _, _, _, _, _, snap, dlt = struct.unpack(e + "IHHiIII", data[:24])
    off, pkts = 24, []
    while off + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack(e + "IIII", data[off:off + 16])
        pkts.append((sec, frac, wire, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return dlt, nano, snap, pkts


def write_pcap(path, dlt, pkts, nano=False, snap=65535, le=True):
    e = "<" if le else ">"
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, dlt)]
    for sec, frac, wire, frame in pkts:
        out.append(struct.pack(e + "IIII", sec, frac, len(frame), wire))
        out.append(frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def write_pcapng(path, dlt, pkts, nano=False):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol option: 6 (us) or 9 (ns)
    opt = struct.pack("<HHB", 9, 1, 9 if nano else 6) + b"\0\0\0"
    opt += struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", dlt, 0, 65535) + opt)
    out = [shb, idb]
    for sec, frac, wire, frame in pkts:
        ts = sec * (10**9 if nano else 10**6) + frac
        out.append(block(6, struct.pack("<IIIII", 0, ts >> 32,
                                        ts & 0xffffffff, len(frame),
                                        wire) + frame))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def variants(dlt, pkts):
    """(name, dlt, frames) of the same IP packets under each link type."""
    assert dlt == 1, "fixtures are Ethernet (Linux lo)"
    ip = [(s, fr, w - 14, f[14:], f[12:14]) for s, fr, w, f in pkts]

    def mk(hdr_fn, hlen):
        return [(s, fr, w + hlen, hdr_fn(et) + p) for s, fr, w, p, et in ip]
    mac = b"\x02\0\0\0\0\1\x02\0\0\0\0\2"
    out = [
        ("vlan", 1, mk(lambda et: mac + b"\x81\x00\x00\x2a" + et, 18)),
        ("qinq", 1, mk(lambda et: mac + b"\x88\xa8\x00\x64\x81\x00\x00\x2a"
                       + et, 22)),
        ("sll", 113, mk(lambda et: struct.pack(">HHH", 0, 772, 6)
                        + b"\0" * 8 + et, 16)),
        ("sll2", 276, mk(lambda et: et + b"\0\0" + struct.pack(">I", 1)
                         + struct.pack(">HBB", 772, 0, 6) + b"\0" * 8, 20)),
        ("null-le", 0, mk(lambda et: struct.pack(
            "<I", 2 if et == b"\x08\x00" else 10), 4)),
        ("null-be", 0, mk(lambda et: struct.pack(
            ">I", 2 if et == b"\x08\x00" else 30), 4)),
        ("loop", 108, mk(lambda et: struct.pack(
            ">I", 2 if et == b"\x08\x00" else 24), 4)),
        ("raw", 101, mk(lambda et: b"", 0)),
    ]
    return out


# --- tests -----------------------------------------------------------------

def t_golden():
    for name in fixtures():
        pcap = os.path.join(FIX, name + ".pcap")
        rc, out, err = tulpen("-v", pcap)
        check(rc == 0 and not err, "%s: exit %d, stderr %r" % (name, rc, err))
        with open(os.path.join(FIX, name + ".txt")) as f:
            check(out == f.read(), "%s: -v output differs from %s.txt:\n%s"
                  % (name, name, out))
        rc, out, err = tulpen("--json", pcap)
        got = json.loads(out)
        with open(os.path.join(FIX, name + ".json")) as f:
            check(got == json.load(f), "%s: --json differs from %s.json"
                  % (name, name))
        rc, out, err = tulpen("--ndjson", pcap)
        lines = [json.loads(line) for line in out.splitlines()]
        check(lines == got, "%s: --ndjson differs from --json" % name)
        print("ok golden %s" % name)


def t_linktypes():
    with tempfile.TemporaryDirectory() as tmp:
        for name in fixtures():
            pcap = os.path.join(FIX, name + ".pcap")
            dlt, nano, snap, pkts = read_pcap(pcap)
            _, want, _ = tulpen("--json", pcap)
            want = json.loads(want)
            vs = variants(dlt, pkts)
            vs.append(("pcapng", 1, pkts))
            for vname, vdlt, frames in vs:
                path = os.path.join(tmp, "%s-%s.pcap" % (name, vname))
                if vname == "pcapng":
                    write_pcapng(path, vdlt, frames, nano)
                else:
                    write_pcap(path, vdlt, frames, nano,
                               le=(vname != "null-be"))
                rc, out, err = tulpen("--json", path)
                check(rc == 0 and not err,
                      "%s/%s: exit %d %r" % (name, vname, rc, err))
                check(rc == 0 and json.loads(out) == want,
                      "%s/%s: connections differ from Ethernet" %
                      (name, vname))
            # IPv6 on the same connections (addresses mapped)
            print("ok linktypes %s" % name)
        # An IPv6 conversation with extension headers: hop-by-hop and
        # destination options before TCP must not change anything.
        v6 = os.path.join(FIX, "ipv6.pcap")
        if os.path.exists(v6):
            dlt, nano, snap, pkts = read_pcap(v6)
            _, want, _ = tulpen("--json", v6)
            ext = []
            for s, fr, w, f in pkts:
                ipv6 = bytearray(f[14:54])
                nh = ipv6[6]
                ipv6[6] = 0   # hop-by-hop
                plen = struct.unpack(">H", ipv6[4:6])[0] + 16
                ipv6[4:6] = struct.pack(">H", plen)
                hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])   # -> dest opts
                dst = bytes([nh, 0, 1, 4, 0, 0, 0, 0])
                frame = f[:14] + bytes(ipv6) + hbh + dst + f[54:]
                ext.append((s, fr, w + 16, frame))
            path = os.path.join(tmp, "ipv6-ext.pcap")
            write_pcap(path, 1, ext, nano)
            rc, out, err = tulpen("--json", path)
            got = json.loads(out)
            want = json.loads(want)
            for c in got + want:
                for side in ("client", "server"):
                    c[side]["ip_bytes"] = 0
            check(rc == 0 and got == want,
                  "IPv6 extension headers change the result: %r" % err)
            print("ok linktypes ipv6 extension headers")


def t_bad():
    src = os.path.join(FIX, "client-close.pcap")
    with open(src, "rb") as f:
        good = f.read()
    dlt, nano, snap, pkts = read_pcap(src)
    with tempfile.TemporaryDirectory() as tmp:
        def path(n):
            return os.path.join(tmp, n)

        def run_bad(name, want_rc, want_msgs):
            rc, out, err = tulpen(path(name))
            check(rc >= 0, "%s: killed by signal %d" % (name, -rc))
            check(rc == want_rc, "%s: exit %d, want %d (%r)" %
                  (name, rc, want_rc, err))
            for m in want_msgs:
                check(m in err, "%s: %r not in stderr %r" % (name, m, err))
            print("ok bad %s: %s" % (name, err.strip().splitlines()[0]
                                     if err.strip() else "(no message)"))
            return out

        # Truncated in the middle of packet 5's data and of a record header.
        rec = 24
        for i in range(4):
            rec += 16 + len(pkts[i][3])
        with open(path("trunc-data"), "wb") as f:
            f.write(good[:rec + 16 + 10])
        out = run_bad("trunc-data", 1, ["packet 5", "truncated"])
        check("127." in out, "trunc-data: connections read so far not shown")
        with open(path("trunc-hdr"), "wb") as f:
            f.write(good[:rec + 7])
        run_bad("trunc-hdr", 1, ["packet 5", "truncated"])
        with open(path("trunc-filehdr"), "wb") as f:
            f.write(good[:20])
        run_bad("trunc-filehdr", 1, ["trunc-filehdr"])
        # Garbage.
        rnd = random.Random(3)
        with open(path("garbage"), "wb") as f:
            f.write(bytes(rnd.randrange(256) for _ in range(3000)))
        run_bad("garbage", 1, ["garbage", "format"])
        with open(path("garbage-body"), "wb") as f:
            f.write(good[:24] + bytes(rnd.randrange(256) for _ in range(3000)))
        rc, out, err = tulpen(path("garbage-body"))
        check(rc in (0, 1) and "packet" in err,
              "garbage-body: exit %d %r" % (rc, err))
        print("ok bad garbage-body: %s" % err.strip().splitlines()[0])
        # Unknown link type.
        # An unknown link type is no error: a note with the count.
        write_pcap(path("dlt147"), 147, pkts)
        run_bad("dlt147", 0, ["%d frames skipped: link type 147" %
                              len(pkts), "is not decoded"])
        # Snaplen cuts: inside the TCP header (packet 3), inside the IP
        # header (packet 4), in the payload only (packet 5: fine).
        cut = list(pkts)
        cut[2] = cut[2][:3] + (cut[2][3][:14 + 20 + 10],)
        cut[3] = cut[3][:3] + (cut[3][3][:14 + 12],)
        cut[4] = cut[4][:3] + (cut[4][3][:14 + 20 + 32 + 2],)
        write_pcap(path("snaplen"), 1, cut, nano, snap=60)
        out = run_bad("snaplen", 0, ["packet 3: TCP header cut",
                                     "packet 4: IPv4 header cut"])
        check("packet 5" not in tulpen(path("snaplen"))[2],
              "a payload cut by the snapshot length is not an error")
        # Bogus header lengths, one per packet.
        bog = list(pkts)

        def edit(i, off, val):
            f = bytearray(bog[i][3])
            f[off] = val
            bog[i] = bog[i][:3] + (bytes(f),)
        edit(1, 14, 0x43)            # IHL 3
        edit(2, 14 + 2, 0xff)        # total length beyond the frame
        edit(3, 14 + 20 + 12, 0x20)  # TCP data offset 2
        edit(4, 14 + 20 + 12, 0xf0)  # TCP data offset beyond the segment
        edit(5, 14, 0x54)            # IP version 5
        write_pcap(path("bogus"), 1, bog, nano)
        run_bad("bogus", 0, ["packet 2: IPv4 header length",
                             "packet 3: IPv4 total length",
                             "packet 4: TCP data offset below 5",
                             "packet 5: TCP data offset beyond",
                             "packet 6: IP version"])
        # A file that does not exist, and an empty one.
        run_bad("missing", 1, ["missing"])
        open(path("empty"), "wb").close()
        run_bad("empty", 1, ["empty"])


def t_cli():
    src = os.path.join(FIX, "client-close.pcap")
    rst = os.path.join(FIX, "rst-server.pcap")
    with open(src, "rb") as f:
        data = f.read()
    rc, out, err = tulpen("-", stdin=data)
    rc2, out2, _ = tulpen(src)
    check(rc == 0 and out == out2, "stdin differs from the file")
    rc, out, err = tulpen("--json", src, rst)
    got = json.loads(out)
    check(len(got) == 2 and got[1]["conn_state"] == "RSTR",
          "two files: %r" % [c["conn_state"] for c in got])
    check(got[1]["client"]["states"][0]["file"] == 1, "file index")
    for expr, n in (("conn-state RSTR", 1), ("conn-state SF,RSTR", 2),
                    ("not reset", 1), ("client state TIME-WAIT", 1),
                    ("server state time_wait", 0), ("state closed", 2),
                    ("host 127.0.0.1", 0), ("port 1-65535", 2),
                    ("( reset or conn-state S0 ) and closed", 1)):
        rc, out, err = tulpen("--ndjson", "-f", expr, src, rst)
        check(rc == 0 and len(out.splitlines()) == n,
              "filter %r: %d lines, want %d (%r)" %
              (expr, len(out.splitlines()), n, err))
    c = json.loads(tulpen("--json", src)[1])[0]
    for expr in ("client host %s" % c["client"]["address"],
                 "server port %d" % c["server"]["port"],
                 "net %s/8" % c["server"]["address"],
                 # ss's words, on either end's socket
                 "sport = :%d" % c["server"]["port"],
                 "dport = :%d and src %s" % (c["server"]["port"],
                                              c["client"]["address"]),
                 "( sport = :%d or sport = :1 ) and closed"
                 % c["client"]["port"]):
        rc, out, err = tulpen("--ndjson", "-f", expr, src)
        check(len(out.splitlines()) == 1, "filter %r matched nothing" % expr)
    for expr in ("client port %d" % c["server"]["port"],
                 "sport = :%d and dport = :%d" % (c["server"]["port"],
                                                  c["server"]["port"])):
        rc, out, err = tulpen("--ndjson", "-f", expr, src)
        check(rc == 0 and not out, "filter %r matched %r" % (expr, out))
    for bad in ("port", "port 70000", "host 300.1.1.1", "conn-state XX",
                "state SLEEPING", "(port 80", "port 80)", "frobnicate",
                "net 10.0.0.0/40", ""):
        rc, out, err = tulpen("-f", bad, src)
        check(rc == 2 and "filter" in err, "bad filter %r: exit %d %r" %
              (bad, rc, err))
    for args in (["--idle-timeout", "x", src], ["--top", "-1", src],
                 ["--bogus", src], []):
        rc, out, err = tulpen(*args)
        check(rc == 2 and "Try 'tulpen pcap --help'" in err,
              "%r: exit %d %r" % (args, rc, err))
    rc, out, err = tulpen("-s", src, rst)
    check(rc == 0 and "TIME-WAIT" in out and "RSTR" in out and
          "Top talkers" in out, "summary: %r" % out)
    rc, out, err = tulpen(src, "-s", rst, "--json")  # options anywhere
    s = json.loads(out)
    check(s["connections"] == 2 and s["conn_states"] == {"SF": 1, "RSTR": 1},
          "summary json %r" % s)
    n = len(read_pcap(src)[3]) + len(read_pcap(rst)[3])
    check(s["frames"] == n and s["tcp_segments"] == n and
          s["packets"] == n and s["malformed"] == 0 and
          s["late_segments"] == 0, "summary counts %r (%d frames)" % (s, n))
    t_conventions(src, rst)
    print("ok cli")


def t_conventions(src, rst):
    """--help, --version, error wording, files checked before output."""
    import re
    rc, out, err = tulpen("--help")
    check(rc == 0 and not err and out.startswith("Usage: tulpen pcap"),
          "--help: exit %d, stderr %r" % (rc, err))
    groups = re.findall(r"^(\w[\w ]*):$", out, re.M)
    check(groups[:4] == ["Output", "Connections", "Zeek compatibility", "General"],
          "--help groups %r" % groups)
    # Every long option the command accepts is in --help.
    with open(os.path.join(HERE, "..", "cli", "cmd_pcap.c")) as f:
        names = re.findall(r'^\s*\{ "([a-z-]+)", \w+_argument',
                           f.read(), re.M)
    check(len(names) >= 12, "option table not found: %r" % names)
    for n in names:
        check(("--" + n) in out, "--help does not list --%s" % n)
    for v in ("--version", "-V"):
        rc, out, err = tulpen(v)
        check(rc == 0 and re.fullmatch(r"tulpen \d+\.\d+\S*\n", out),
              "%s: exit %d %r" % (v, rc, out))
    # A missing file after a good one: nothing written, exit 1, and the
    # message is "tulpen pcap: FILE: WHAT".
    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "nope.pcap")
        # A capture that cannot be read is named; the others are read and
        # reported; the exit status says it was partial.
        want_one = tulpen(src)[1]
        rc, out, err = tulpen(src, missing)
        check(rc == 1 and out == want_one and
              err.startswith("tulpen pcap: %s: No such file or directory"
                             % missing) and "1 of 2 captures" in err,
              "good then missing: exit %d out %r err %r" % (rc, out, err))
        rc, out, err = tulpen(missing, src)
        check(rc == 1 and out == want_one,
              "missing then good: exit %d out %r err %r" % (rc, out, err))
        notcap = os.path.join(tmp, "text.pcap")
        with open(notcap, "w") as f:
            f.write("not a capture at all, just text\n" * 4)
        for fmt in ("--json", "--ndjson", "-s"):
            rc, out, err = tulpen(fmt, src, notcap, rst)
            want = tulpen(fmt, src, rst)[1]
            check(rc == 1 and out == want and
                  err.startswith("tulpen pcap: %s: " % notcap),
                  "%s good, not a capture, good: exit %d out %r err %r" %
                  (fmt, rc, out, err))
        # Cut in the middle of a record: named with its packet, the next
        # file still read.
        cut = os.path.join(tmp, "cut.pcap")
        with open(src, "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) - 30])
        rc, out, err = tulpen("--ndjson", cut, rst)
        ids = [json.loads(ln)["id"] for ln in out.splitlines()]
        check(rc == 1 and len(ids) == 2 and
              ("%s: packet " % cut) in err and "not read" in err,
              "cut, good: exit %d %d rows err %r" % (rc, len(ids), err))
        rc, out, err = tulpen(missing, missing + "2")
        check(rc == 1 and out == "" and "none of the 2" in err,
              "two missing: exit %d out %r err %r" % (rc, out, err))
    for args in (["--format", "xml", src], ["--top", "0", src],
                 ["--linger", "-1", src], ["-f"]):
        rc, out, err = tulpen(*args)
        check(rc == 2 and out == "" and err.startswith("tulpen pcap: ")
              and "Try 'tulpen pcap --help'" in err,
              "%r: exit %d %r" % (args, rc, err))
    rc, out, err = tulpen("--format", "ndjson", src)
    check(rc == 0 and out == tulpen("--ndjson", src)[1],
          "--format ndjson differs from --ndjson")


ROBUST = os.path.join(FIX, "robust")


def testlist():
    cases = []
    with open(os.path.join(ROBUST, "TESTLIST")) as f:
        for ln in f:
            if not ln.strip() or ln.startswith("#"):
                continue
            cols = [c for c in ln.rstrip("\n").split("  ") if c.strip()]
            name, fname, opts, code = [c.strip() for c in cols[:4]]
            msg = "  ".join(cols[4:]).strip()
            cases.append((name, fname, opts.split(), int(code),
                          None if msg == "-" else msg))
    return cases


def robust_checks():
    """What each case must give, from the source capture and make.py."""
    sys.path.insert(0, ROBUST)
    import make as M
    src = os.path.join(FIX, "client-close.pcap")
    _, _, _, pkts = read_pcap(src)
    with open(os.path.join(FIX, "client-close.json")) as f:
        orig = json.load(f)[0]

    def conns(out):
        return json.loads(out)

    def backwards(out):
        _, _, _, bp = read_pcap(os.path.join(ROBUST, "backwards.pcap"))
        latest, ooo = None, 0
        for sec, frac, _, _ in bp:
            t = sec * 10**6 + frac
            if latest is not None and t < latest:
                ooo += 1
            latest = t if latest is None else max(latest, t)
        d = json.loads(out)
        return d["out_of_order_segments"] == ooo and ooo > 0, \
            "out_of_order_segments %s, the file has %d" % (
                d["out_of_order_segments"], ooo)

    def no_negative(out):
        bad = []
        for c in conns(out):
            if c["duration_us"] < 0:
                bad.append("duration %s" % c["duration_us"])
            for side in ("client", "server"):
                bad += ["offset %s" % st["offset_us"]
                        for st in c[side]["states"] if st["offset_us"] < 0]
        return not bad, "negative times: %s" % bad

    def at(base):
        def t(out):
            c = conns(out)[0]
            want = base + pkts[0][1] / 1e6
            ok = abs(c["ts"] - want) < 1e-3 and all(
                st["ts"] is not None for st in c["client"]["states"])
            return ok, "ts %r, the file says %r" % (c["ts"], want)
        return t

    def future(out):
        c = conns(out)[0]
        return c["ts"] is not None and c["ts"] >= 9223372035, \
            "ts %r: not clamped to 2262" % c["ts"]

    rtt_us = M.RTT_DAYS * 86400 * 10**6 + orig["rtt_us"]

    def rtt(out):
        c = conns(out)[0]
        return c["rtt_us"] == rtt_us, "rtt_us %s, want %s" % (
            c["rtt_us"], rtt_us)

    def rtt_table(out):
        ms = "%d." % (rtt_us // 1000)
        return ms in out, "RTT %s ms not in the table:\n%s" % (ms, out)

    def same_as_source(out):
        want = tulpen("--json", src)[1]
        return out == want, "differs from %s" % src

    def some_rows(out):
        return len(conns(out)) == 1, "%d connections" % len(conns(out))

    def empty(out):
        return json.loads(out)["connections"] == 0, out

    def same_conns(out):
        got = [(c["client"]["address"], c["client"]["port"],
                c["conn_state"]) for c in conns(out)]
        want = [(orig["client"]["address"], orig["client"]["port"],
                 orig["conn_state"])]
        return got == want, "connections %r, want %r" % (got, want)

    return {
        "backwards": backwards, "backwards-rows": no_negative,
        "y2038": at(M.Y2038_BASE), "y2106": at(M.Y2106_BASE),
        "future-pcapng": future, "rtt-200d": rtt,
        "rtt-200d-table": rtt_table, "cut-record": some_rows,
        "gzip": same_as_source, "zstd": same_as_source,
        "gzip-cut": some_rows, "empty": empty,
        "two-byte-orders": same_conns, "two-linktypes": same_conns,
    }


def t_robust():
    checks = robust_checks()
    for name, fname, opts, code, msg in testlist():
        rc, out, err = tulpen(*(opts + [os.path.join(ROBUST, fname)]))
        check(rc == code, "%s: exit %d, TESTLIST says %d: %r" %
              (name, rc, code, err))
        if msg:
            check(msg in err, "%s: stderr lacks %r: %r" % (name, msg, err))
        elif code == 0:
            check(err == "" or "earlier than" in err or
                  "clamped" in err, "%s: said %r" % (name, err))
        fn = checks.get(name)
        check(fn is not None, "%s: no check for it" % name)
        if fn and out:
            try:
                ok, why = fn(out)
            except (ValueError, KeyError, IndexError) as e:
                ok, why = False, "%s: %s" % (type(e).__name__, e)
            check(ok, "%s: %s" % (name, why))


def reader_variants():
    """(name, bytes) of classic pcap files, from the fixtures."""
    out = []
    for fx in fixtures():
        dlt, nano, snap, pkts = read_pcap(os.path.join(FIX, fx + ".pcap"))
        for le in (True, False):
            for ns in (False, True):
                ps = [(s, fr * 1000 + 7 if ns else fr, w, f)
                      for s, fr, w, f in pkts]
                out.append(("%s-%s%s" % (fx, "le" if le else "be",
                                         "-ns" if ns else ""),
                            dlt, ps, ns, snap, le))
        for vn, vdlt, vp in variants(dlt, pkts):
            out.append(("%s-%s" % (fx, vn), vdlt, vp, False, snap, True))
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, dlt, ps, ns, snap, le in out:
            p = os.path.join(tmp, "f")
            write_pcap(p, dlt, ps, nano=ns, snap=snap, le=le)
            with open(p, "rb") as f:
                files.append((name, f.read()))
    return files


def broken_records(data):
    """The first file with one record made odd in each way libpcap minds."""
    e = "<"
    recs, off = [], 24
    while off + 16 <= len(data):
        cap = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        recs.append(off)
        off += 16 + cap
    at = recs[len(recs) // 2]
    sec, frac, cap, wire = struct.unpack(e + "IIII", data[at:at + 16])

    def rec(s, fr, c, w):
        return data[:at] + struct.pack(e + "IIII", s, fr, c, w)

    body = data[at + 16:at + 16 + cap]
    rest = data[at + 16 + cap:]
    snap = struct.unpack(e + "I", data[16:20])[0]
    big = snap + 100
    return [
        ("cut-data", data[:at + 16 + cap // 2]),
        ("cut-header", data[:at + 9]),
        ("past-snaplen", rec(sec, frac, big, big) + body +
         b"\0" * (big - cap) + rest),
        ("cap-over-len", rec(sec, frac, cap, cap - 1) + body + rest),
        ("usec-too-big", rec(sec, 1000005, cap, wire) + body + rest),
        ("usec-negative", rec(sec, 0xfffffff0, cap, wire) + body + rest),
        ("sec-past-2038", rec(0x90000000, frac, cap, wire) + body + rest),
        ("huge-caplen", rec(sec, frac, 0x7fffffff, wire) + body + rest),
    ]


def t_readers():
    files = reader_variants()
    files += broken_records(files[0][1])
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "x.pcap")
        for name, data in files:
            with open(p, "wb") as f:
                f.write(data)
            for opts in (["-v"], ["--json"]):
                a = tulpen(*(opts + [p]))
                b = tulpen(*(opts + ["-"]), stdin=data)
                b = (b[0], b[1], b[2].replace("<stdin>", p))
                check(a == b, "%s %s: file %r, stdin %r" %
                      (name, opts, a, b))
        print("ok readers: %d files, file and stdin agree" % len(files))


# --- two threads against one, on a capture longer than the reader's ring ---

def inet_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """Ethernet, IPv4, TCP, with both checksums right."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    c = inet_sum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", inet_sum(ip)) + ip[12:]
    return b"\0\1\2\3\4\5\0\1\2\3\4\6\x08\x00" + ip + tcp


def churn_packets(n):
    """n short connections from few client ports (reused: some 4-tuples
    still linger), each 20th reset, each 50th refused, a malformed frame
    every 997 and a SYN with a bad checksum every 1013."""
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    pkts, t = [], 1700000000 * 10**6
    for i in range(n):
        sp, dp = 20000 + i % 700, 80 + i % 3
        ci, si = (i * 7919) & 0xffffffff, (i * 104729) & 0xffffffff
        segs = []
        if i % 50 == 0:
            segs = [(1, 0x02, ci, 0), (0, 0x14, 0, ci + 1)]
        else:
            segs = [(1, 0x02, ci, 0), (0, 0x12, si, ci + 1),
                    (1, 0x10, ci + 1, si + 1),
                    (1, 0x18, ci + 1, si + 1, b"GET / HTTP/1.0\r\n\r\n")]
            if i % 20 == 0:
                segs.append((1, 0x04, ci + 19, 0))
            else:
                segs += [(0, 0x19, si + 1, ci + 19, b"HTTP/1.0 200 OK\r\n"),
                         (1, 0x11, ci + 19, si + 19),
                         (0, 0x10, si + 19, ci + 20)]
        for sg in segs:
            c2s, flags, seq, ack = sg[:4]
            pl = sg[4] if len(sg) > 4 else b""
            if c2s:
                fr = tcp_frame(cli, srv, sp, dp, seq, ack, flags, pl)
            else:
                fr = tcp_frame(srv, cli, dp, sp, seq, ack, flags, pl)
            t += 137
            pkts.append([t // 10**6, t % 10**6, len(fr), fr])
    for k in range(0, len(pkts), 997):
        fr = pkts[k][3]
        bad = fr[:14] + b"\x43" + fr[15:]  # IPv4 header length 12
        pkts.insert(k, [pkts[k][0], pkts[k][1], len(bad), bad])
    for k in range(5, len(pkts), 1013):
        fr = pkts[k][3]
        pkts[k][3] = fr[:50] + bytes([fr[50] ^ 1]) + fr[51:]
    return [tuple(p) for p in pkts]


def t_threads():
    """The reader thread changes nothing: a capture of many rounds of the
    reader's ring (a full ring, batches cut by the end of a file, a file
    cut short, several files, warnings), each output form, against
    TULPEN_PCAP_THREADS=1 (tulpen() compares the two runs)."""
    pkts = churn_packets(6000)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "churn.pcap")
        write_pcap(big, 1, pkts)
        cut = os.path.join(tmp, "cut.pcap")
        with open(big, "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 2 // 3 + 5])
        small = os.path.join(FIX, "client-close.pcap")
        n = 0
        for files in ([big], [cut, big], [small, big, small]):
            for opts in ([], ["-v"], ["--json"], ["--ndjson"], ["-s"],
                         ["--compat", "zeek", "--format", "zeek"],
                         ["--max-memory", "1M"], ["--linger", "0"]):
                rc, out, err = tulpen(*(opts + files))
                n += 1
                check(rc in (0, 1, 4) and out,
                      "%r %r: exit %d, %d bytes, %r" %
                      (opts, files, rc, len(out), err[-300:]))
        rc, out, err = tulpen(big)
        rows = len(out.splitlines()) - 1
        check(rc == 0 and rows == 6000 and "packet 1:" in err,
              "churn: exit %d, %d rows of 6000, warnings %r" %
              (rc, rows, err[:200]))
        print("ok threads: %d runs, %d packets, two threads and one agree" %
              (n, len(pkts)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    TULPEN = os.path.abspath(sys.argv[1])
    {"golden": t_golden, "linktypes": t_linktypes, "bad": t_bad,
     "cli": t_cli, "robust": t_robust, "readers": t_readers,
     "threads": t_threads}[sys.argv[2]]()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("PASS")
