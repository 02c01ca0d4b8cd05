#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_lister.py - the socket lister against the kernel's truth.

Builds every TCP state (and UDP/UNIX sockets) with sockstates.py in a
private network namespace, then compares what tulpen prints with what `ss`,
`netstat` and /proc/net report for the same sockets. Output is TAP: one
test case per check, each failure with a message saying what differs.

usage: test_lister.py [--tap] [TULPEN_BINARY]   (default: $TULPEN)

Needs root (a private netns, nftables); without it prints a TAP skip plan
and exits 77 (exit 0 with --tap, as meson's TAP protocol wants).
Python stdlib only.
"""

import collections
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockstates as S  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "schema"))
from validate import SchemaViolation, validate  # noqa: E402

TULPEN = None
SC = None

# Every spelling of a state a tool may print -> RFC name.
CANON = {}
for rfc, spellings in {
        "ESTABLISHED": ["ESTAB", "ESTABLISHED"],
        "SYN-SENT": ["SYN-SENT", "SYN_SENT", "SYN-SEND", "SYN_SEND"],
        "SYN-RECEIVED": ["SYN-RECV", "SYN_RECV", "SYN-RECEIVED",
                         "SYN_RECEIVED", "NEW-SYN-RECV", "NEW_SYN_RECV"],
        "FIN-WAIT-1": ["FIN-WAIT-1", "FIN_WAIT1", "FIN-WAIT1",
                       "FIN_WAIT_1"],
        "FIN-WAIT-2": ["FIN-WAIT-2", "FIN_WAIT2", "FIN-WAIT2",
                       "FIN_WAIT_2"],
        "TIME-WAIT": ["TIME-WAIT", "TIME_WAIT", "TIMED_WAIT"],
        "CLOSED": ["CLOSE", "CLOSED", "UNCONN", "UNCONNECTED"],
        "CLOSE-WAIT": ["CLOSE-WAIT", "CLOSE_WAIT"],
        "LAST-ACK": ["LAST-ACK", "LAST_ACK"],
        "LISTEN": ["LISTEN", "LISTENING"],
        "CLOSING": ["CLOSING"],
}.items():
    for sp in spellings:
        CANON[sp] = rfc


def canon_state(s):
    if s is None:
        return None
    if isinstance(s, int):
        return S.KSTATE.get(s, "UNKNOWN")
    return CANON.get(str(s).upper(), str(s).upper())


def canon_host(h, family):
    """A printable address in one canonical form; '*' and '' become the
    unspecified address of @family."""
    if h is None:
        return None
    h = str(h)
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    h = h.split("%")[0]
    if h in ("*", ""):
        return "::" if family == "inet6" else "0.0.0.0"
    for af in (socket.AF_INET6, socket.AF_INET):
        try:
            return socket.inet_ntop(af, socket.inet_pton(af, h))
        except OSError:
            pass
    return h


def canon_port(p):
    if p in (None, "*", "", 0, "0"):
        return 0
    return int(p)


def canon_family(f):
    f = str(f).lower()
    return {"inet": "inet", "ipv4": "inet", "4": "inet", "2": "inet",
            "af_inet": "inet", "inet6": "inet6", "ipv6": "inet6",
            "6": "inet6", "10": "inet6", "af_inet6": "inet6",
            "unix": "unix", "local": "unix", "af_unix": "unix",
            "1": "unix"}.get(f, f)


def canon_utype(t):
    t = str(t).lower()
    return {"stream": "stream", "str": "stream", "u_str": "stream",
            "1": "stream", "dgram": "dgram", "dgr": "dgram",
            "u_dgr": "dgram", "2": "dgram", "seqpacket": "seqpacket",
            "seq": "seqpacket", "u_seq": "seqpacket",
            "5": "seqpacket"}.get(t, t)


TIMER_KIND = {"off": "off", "on": "on", "retransmit": "on", "retrans": "on",
              "keepalive": "keepalive", "timewait": "timewait",
              "time-wait": "timewait", "time_wait": "timewait",
              "persist": "persist", "probe": "persist",
              "zero-window-probe": "persist", "probe0": "persist",
              "zero_window_probe": "persist", "zwp": "persist"}


TIMER_SLACK_MS = [1500]


class Timer(tuple):
    """(kind, ms): equal when the kinds are and the remaining times are
    within TIMER_SLACK_MS: ss drops the milliseconds above 9 s, and the
    two tools read the timers moments apart (the test measures how far
    apart and widens the slack by that)."""
    def __eq__(self, o):
        if not isinstance(o, tuple) or len(o) != 2:
            return False
        if self[0] != o[0]:
            return False
        if self[1] is None or o[1] is None:
            return True
        if self[1] <= TIMER_SLACK_MS[0]:
            # Read first (tulpen), due within the window: it may have
            # fired and been re-armed with any time before the second read.
            return True
        return abs(self[1] - o[1]) <= TIMER_SLACK_MS[0]

    def __ne__(self, o):
        return not self == o

    __hash__ = tuple.__hash__


def canon_timer(t):
    """ss/proc (kind, ms, retrans), or tulpen's JSON timer -> Timer or
    None (no timer running)."""
    if t is None:
        return None
    if isinstance(t, (tuple, list)):
        kind, ms = t[0], t[1]
    elif isinstance(t, dict):
        kind = _pick(t, "kind", "name", "type", "timer")
        ms = _pick(t, "ms", "remaining_ms", "expires_ms", "left_ms",
                   "timeout_ms")
    else:
        kind, ms = t, None
    kind = TIMER_KIND.get(str(kind).lower(), str(kind).lower())
    if kind == "off":
        return None
    return Timer((kind, ms))


class Rec:
    """One socket in a tool-independent form."""
    FIELDS = ("state", "rq", "sq", "uid", "inode", "owners", "utype",
              "path", "peer_inode", "cookie", "timer", "iface")

    def __init__(self, **kw):
        for f in ("proto", "family", "local", "peer") + self.FIELDS:
            setattr(self, f, kw.get(f))
        self.raw = kw.get("raw")

    @property
    def key(self):
        if self.proto == "unix":
            return ("unix", self.inode)
        return (self.proto, self.family, self.local, self.peer)

    def show(self):
        if self.proto == "unix":
            return "unix %s ino %s (%s)" % (self.utype, self.inode,
                                             self.path or "unnamed")
        return "%s %s %s:%s -> %s:%s" % (self.proto, self.family,
                                         self.local[0], self.local[1],
                                         self.peer[0], self.peer[1])


def rec_from_ss(d):
    if d["proto"] == "unix":
        return Rec(proto="unix", family="unix", state=d["state"],
                   rq=d["rq"], sq=d["sq"], inode=d["inode"],
                   utype=d["unix_type"], path=d["path"],
                   peer_inode=d["peer_inode"],
                   owners=frozenset((u["comm"], u["pid"], u["fd"])
                                    for u in d["users"]), raw=d["line"])
    fam = d["family"]
    return Rec(proto=d["proto"], family=fam, state=d["state"],
               local=(canon_host(d["local"][0], fam),
                      canon_port(d["local"][1])),
               peer=(canon_host(d["peer"][0], fam), canon_port(d["peer"][1])),
               rq=d["rq"], sq=d["sq"], uid=d["uid"], inode=d["inode"],
               cookie=d["cookie"], timer=canon_timer(d.get("timer")),
               iface=d.get("iface"),
               owners=frozenset((u["comm"], u["pid"], u["fd"])
                                for u in d["users"]), raw=d["line"])


def rec_from_proc(d):
    if d["proto"] == "unix":
        if d["flags"] & 0x10000:
            st = "LISTEN"
        elif d["ustate"] == 3:
            st = "ESTABLISHED"
        else:
            st = "CLOSED"
        return Rec(proto="unix", family="unix", state=st, inode=d["inode"],
                   utype=d["unix_type"], path=d["path"], raw=d)
    fam = d["family"]
    return Rec(proto=d["proto"], family=fam, state=d["state"],
               local=(canon_host(d["local"][0], fam),
                      canon_port(d["local"][1])),
               peer=(canon_host(d["peer"][0], fam), canon_port(d["peer"][1])),
               rq=d["rq"], sq=d["sq"], uid=d["uid"], inode=d["inode"],
               timer=canon_timer(d.get("timer")), raw=d)


def _pick(o, *names, default=None):
    for n in names:
        if isinstance(o, dict) and n in o and o[n] is not None:
            return o[n]
    return default


def _iface(o):
    v = _pick(o, "local")
    if isinstance(v, dict):
        return _pick(v, "interface", "iface", "device", "dev")
    return _pick(o, "interface", "iface", "device", "dev")


def _endpoint(o, side):
    """tulpen's JSON endpoint: {"local": {"addr": .., "port": ..}} or
    "local_addr"/"local_port" or "local": "1.2.3.4:5"."""
    v = _pick(o, side, side + "_address")
    if isinstance(v, dict):
        return (_pick(v, "addr", "address", "host", "ip"),
                _pick(v, "port"))
    if isinstance(v, str):
        h, p = S._split_hostport(v)
        return h, p
    return (_pick(o, side + "_addr", side + "_ip", side + "_host"),
            _pick(o, side + "_port"))


def rec_from_tulpen(o):
    """Map one object of tulpen's --json output to a Rec. The field names
    are those documented in docs/json.md."""
    proto = str(_pick(o, "proto", "protocol", "netid")).lower()
    fam = canon_family(_pick(o, "family", default=""))
    owners = _pick(o, "owners", "users", "processes", default=[]) or []
    own = frozenset((_pick(u, "comm", "name", "command"), _pick(u, "pid"),
                     _pick(u, "fd")) for u in owners)
    st = canon_state(_pick(o, "state"))
    rq = _pick(o, "recv_q", "rqueue", "recvq", "rx_queue")
    sq = _pick(o, "send_q", "wqueue", "sendq", "tx_queue")
    if proto == "unix" or fam == "unix":
        un = o.get("unix", {}) if isinstance(o.get("unix"), dict) else {}
        path = _pick(o, "path", default=_pick(un, "path"))
        if path == "":
            path = None
        return Rec(proto="unix", family="unix", state=st, rq=rq, sq=sq,
                   inode=_pick(o, "inode"), owners=own,
                   utype=canon_utype(_pick(o, "unix_type", "type",
                                           default=_pick(un, "type"))),
                   path=path,
                   peer_inode=_pick(o, "peer_inode", "unix_peer",
                                    default=_pick(un, "peer_inode", "peer",
                                                  default=0)),
                   uid=_pick(o, "uid"), raw=o)
    lh, lp = _endpoint(o, "local")
    ph, pp = _endpoint(o, "peer")
    return Rec(proto=proto, family=fam, state=st,
               local=(canon_host(lh, fam), canon_port(lp)),
               peer=(canon_host(ph, fam), canon_port(pp)), rq=rq, sq=sq,
               uid=_pick(o, "uid"), inode=_pick(o, "inode"), owners=own,
               cookie=_pick(o, "cookie", "sk"), iface=_iface(o),
               timer=canon_timer(_pick(o, "timer", "timers")), raw=o)


# ------------------------------------------------------------------ running

class Fail(Exception):
    pass


class Skip(Exception):
    """This check does not apply here (e.g. the kernel has no MPTCP)."""


def tulpen(*args, user=None, check=True, timeout=30):
    cmd = [TULPEN] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups"] + cmd
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail("`%s` did not finish in %d s" % (" ".join(cmd), timeout))
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise Fail("`%s` exited %d: %s" % (" ".join(cmd), p.returncode,
                                          p.err.strip()[:500]))
    return p


def tulpen_json(*args, **kw):
    p = tulpen(*(list(args) + ["--json"]), **kw)
    try:
        doc = json.loads(p.out)
    except ValueError as e:
        raise Fail("--json output does not parse: %s; output starts %r" %
                   (e, p.out[:200]))
    if isinstance(doc, dict):
        doc = _pick(doc, "sockets", "data", default=doc)
    if not isinstance(doc, list):
        raise Fail("--json: expected an array of sockets, got %s" %
                   type(doc).__name__)
    schema_check("socket", doc, "tulpen " + " ".join(args) + " --json")
    return doc


def schema_check(kind, doc, what):
    """Every live JSON document follows docs/schema/ (tests/schema)."""
    try:
        validate(kind, doc)
    except SchemaViolation as e:
        raise Fail("%s: %s" % (what, e))


def tulpen_recs(*args, **kw):
    recs = [rec_from_tulpen(o) for o in tulpen_json(*args, **kw)]
    return recs


def ss_recs(args="-tuwxaepnoOH", filt=()):
    return [rec_from_ss(d) for d in S.ss_snapshot(args, filt)]


def proc_recs():
    return [rec_from_proc(d) for d in S.proc_snapshot()]


def by_key(recs, what):
    m = {}
    dups = []
    for r in recs:
        if r.key in m:
            dups.append(r.show())
        m[r.key] = r
    if dups:
        raise Fail("%s lists %d socket(s) twice: %s" %
                   (what, len(dups), "; ".join(dups[:5])))
    return m


def set_diff(got, want, gname, wname):
    g, w = by_key(got, gname), by_key(want, wname)
    msg = []
    miss = [w[k].show() for k in w if k not in g]
    extra = [g[k].show() for k in g if k not in w]
    if miss:
        msg.append("%d socket(s) %s shows are missing from %s: %s" %
                   (len(miss), wname, gname, "; ".join(sorted(miss)[:8])))
    if extra:
        msg.append("%d socket(s) in %s that %s does not show: %s" %
                   (len(extra), gname, wname, "; ".join(sorted(extra)[:8])))
    if msg:
        raise Fail("\n".join(msg))
    return g, w


def field_diff(got, want, fields, gname, wname, only=None, skip=None):
    """For every socket in both maps (and accepted by @only), compare
    @fields; @skip(rec, field) may exempt a field."""
    bad = []
    n = 0
    for k, w in sorted(want.items(), key=lambda kv: str(kv[0])):
        g = got.get(k)
        if g is None or (only and not only(w)):
            continue
        n += 1
        for f in fields:
            if skip and skip(w, f):
                continue
            gv, wv = getattr(g, f), getattr(w, f)
            if gv != wv:
                bad.append("%s: %s %s=%r, %s says %r" %
                           (w.show(), gname, f, gv, wname, wv))
    if bad:
        raise Fail("%d difference(s):\n%s" % (len(bad), "\n".join(bad[:12])))
    return n


# ------------------------------------------------------------------ tests

TESTS = []


def case(name):
    def reg(fn):
        TESTS.append((name, fn))
        return fn
    return reg


_cache = {}


def cached(key, fn):
    """Run @fn once per key (a failure is cached too)."""
    if key not in _cache:
        try:
            _cache[key] = (True, fn())
        except Fail as e:
            _cache[key] = (False, e)
    ok, v = _cache[key]
    if not ok:
        raise Fail(str(v))
    return v


def truth(args="-tuwxaenoOH", filt=()):
    """ss's view right now (fresh for every comparison). This kernel has
    no raw_diag, so ss reads RAW sockets from /proc/net/raw* and prints
    neither uid nor inode for them: take those from /proc/net."""
    recs = ss_recs(args, filt)
    proc = None
    for r in recs:
        if r.proto == "raw" and not r.inode:
            if proc is None:
                proc = {p.key: p for p in proc_recs()}
            p = proc.get(r.key)
            if p is not None:
                r.uid, r.inode = p.uid, p.inode
    return recs


def snap(src):
    """tulpen's listing from source @src, ss's and /proc/net's view, read
    back to back (and once per source): every comparison of a source with
    the truth uses one snapshot, so sockets that come and go (TIME-WAIT
    ends after 60 s) cannot make tulpen and ss disagree."""
    def take():
        # Without raw_diag, --source=netlink cannot list RAW sockets: ask
        # it for the others (t_netlink_raw checks what it does with -w).
        opts = "-tuxaepno" if src == "netlink" and not have_raw_diag() \
            else "-tuwxaepno"
        args = [opts] + ([] if src == "auto" else ["--source=" + src])
        t = tulpen_recs(*args)
        return {"t": t, "ss": truth("-tuwxaepnoOH"), "proc": proc_recs()}
    return cached("snap-" + src, take)


def source_recs(src):
    return snap(src)["t"]


def have_raw_diag():
    """Whether the kernel answers sock_diag for RAW sockets: ss prints
    ino: for them only when it got them over netlink (it falls back to
    /proc/net/raw otherwise, as tulpen's default source must)."""
    def probe():
        for d in S.ss_snapshot("-waenOH"):
            if d["proto"] == "raw":
                return " ino:" in d["line"]
        return False
    return cached("raw-diag", probe)


def want_for(src, recs):
    """The sockets a source can list: --source=netlink cannot list RAW
    sockets on a kernel without raw_diag (the default source must, from
    /proc/net/raw)."""
    if src == "netlink" and not have_raw_diag():
        return [r for r in recs if r.proto != "raw"]
    return recs


@case("harness: every TCP state is held and verified with ss")
def t_harness():
    bad = SC.check(S.ss_snapshot())
    if bad:
        raise Fail("\n".join(bad))


@case("harness: /proc/net and ss list the same TCP/UDP/UNIX sockets")
def t_proc_vs_ss():
    ss = [r for r in truth() if r.proto in ("tcp", "udp", "raw", "unix")]
    pr = [r for r in proc_recs() if r.proto in ("tcp", "udp", "raw",
                                                "unix")]
    set_diff(pr, ss, "/proc/net", "ss")


@case("--json parses with python's json module")
def t_json_parses():
    doc = tulpen_json("-tuwxaepn")
    if len(doc) < len(SC.expect):
        raise Fail("only %d objects, the namespace has at least %d sockets"
                   % (len(doc), len(SC.expect)))


@case("--ndjson parses line by line and matches --json")
def t_ndjson():
    p = tulpen("-tuwxaepn", "--ndjson")
    objs = []
    for n, line in enumerate(p.out.splitlines(), 1):
        if not line.strip():
            raise Fail("--ndjson line %d is empty" % n)
        try:
            objs.append(json.loads(line))
        except ValueError as e:
            raise Fail("--ndjson line %d does not parse: %s: %r" %
                       (n, e, line[:200]))
    schema_check("socket", objs, "tulpen -tuwxaepn --ndjson")
    doc = tulpen_json("-tuwxaepn")
    # Values that move between two runs (timers) may differ; compare the
    # socket sets and the stable fields.
    a = by_key([rec_from_tulpen(o) for o in objs], "--ndjson")
    b = by_key([rec_from_tulpen(o) for o in doc], "--json")
    if set(a) != set(b):
        raise Fail("--ndjson and --json list different sockets: only in "
                   "ndjson %s, only in json %s" %
                   ([a[k].show() for k in set(a) - set(b)],
                    [b[k].show() for k in set(b) - set(a)]))
    field_diff(a, b, [f for f in Rec.FIELDS if f != "timer"], "--ndjson",
               "--json")
    keys_a = {tuple(sorted(o)) for o in objs}
    keys_b = {tuple(sorted(o)) for o in doc}
    if keys_a != keys_b:
        raise Fail("--ndjson and --json objects use different field "
                   "names: %s vs %s" % (sorted(keys_a - keys_b),
                                        sorted(keys_b - keys_a)))


def _src_cases(src):
    tname = "/proc/net" if src == "proc" else "ss"

    def want():
        return want_for(src, snap(src)["ss"])

    @case("--source=%s: same set of sockets as ss" % src)
    def t_set():
        set_diff(source_recs(src), want(), "tulpen --source=" + src,
                 "ss" + ("" if src != "netlink" or have_raw_diag() else
                         " (RAW left out: this kernel has no raw_diag)"))

    for st in S.TCP_STATES:
        def t_state(st=st):
            got = by_key(source_recs(src), "tulpen")
            w = {k: r for k, r in by_key(want(), "ss").items()
                 if r.proto == "tcp" and r.state == st}
            if not w:
                raise Fail("ss shows no %s socket (harness broken?)" % st)
            bad = []
            for k, r in w.items():
                g = got.get(k)
                if g is None:
                    bad.append("%s: missing" % r.show())
                elif g.state != st:
                    bad.append("%s: state %s, ss says %s" %
                               (r.show(), g.state, st))
            extra = [g.show() for k, g in got.items()
                     if g.proto == "tcp" and g.state == st and k not in w]
            if extra:
                bad.append("shown as %s but not by ss: %s" %
                           (st, "; ".join(extra)))
            if bad:
                raise Fail("\n".join(bad))
        case("--source=%s: TCP %s sockets match ss" % (src, st))(t_state)

    @case("--source=%s: UDP and UNIX states match ss" % src)
    def t_other_states():
        g, w = set_diff(source_recs(src), want(), "tulpen", "ss")
        field_diff(g, w, ("state",), "tulpen", "ss",
                   only=lambda r: r.proto != "tcp")

    def queue_truth():
        if src != "proc":
            return by_key(want(), "ss")
        # The proc source can only know what /proc/net says: e.g. a
        # listener's Send-Q (the backlog) is not in /proc/net/tcp, and
        # /proc/net/unix has no queues at all.
        return by_key(snap(src)["proc"], "/proc/net")

    @case("--source=%s: Recv-Q and Send-Q match %s" % (src, tname))
    def t_queues():
        g = by_key(source_recs(src), "tulpen")
        w = queue_truth()
        n = field_diff(g, w, ("rq", "sq"), "tulpen", tname,
                       skip=lambda r, f: r.proto == "unix" and
                       src == "proc")
        nz = [r for r in g.values() if (r.rq or 0) > 0 and r.proto == "tcp"]
        if not nz:
            raise Fail("no TCP socket with a non-zero Recv-Q in tulpen's "
                       "output (the harness holds several)")
        if n < len(SC.expect) // 2:
            raise Fail("only %d sockets compared" % n)

    @case("--source=%s: uid and inode match %s" % (src, tname))
    def t_uid_inode():
        g = by_key(source_recs(src), "tulpen")
        w = queue_truth()
        field_diff(g, w, ("uid", "inode"), "tulpen", tname,
                   skip=lambda r, f: r.proto == "unix" and f == "uid" and
                   r.uid is None)

    @case("--source=%s: -o timers (kind, time left) match %s" %
          (src, tname))
    def t_timers():
        # Timers move: read tulpen and the truth back to back, and retry
        # when a timer fired (and was re-armed) between the two reads.
        for attempt in range(4):
            args = ["-tano"] + ([] if src == "auto" else
                                ["--source=" + src])
            t0 = time.monotonic()
            g = by_key(tulpen_recs(*args), "tulpen")
            w = by_key(want_for(src, truth()), "ss") if src != "proc" \
                else by_key(proc_recs(), "/proc/net")
            TIMER_SLACK_MS[0] = 1000 + 200 + int(
                (time.monotonic() - t0) * 1000)
            try:
                n = field_diff(g, w, ("timer",), "tulpen", tname,
                               only=lambda r: r.proto == "tcp")
                break
            except Fail:
                if attempt == 3:
                    raise
        if not any(r.timer for r in g.values()):
            raise Fail("no timers at all in tulpen's output (%d TCP "
                       "sockets compared)" % n)

    if src == "netlink":
        @case("--source=netlink: socket cookies (-e) match ss's sk:")
        def t_cookie():
            g = by_key(source_recs(src), "tulpen")
            w = by_key(snap(src)["ss"], "ss")
            field_diff(g, w, ("cookie",), "tulpen", "ss",
                       only=lambda r: r.cookie is not None)

    if src != "proc":
        @case("--source=%s: interface (scope, bound device) matches ss" %
              src)
        def t_iface():
            g = by_key(source_recs(src), "tulpen")
            w = by_key(want(), "ss")
            n = field_diff(g, w, ("iface",), "tulpen", "ss",
                           only=lambda r: r.proto != "unix")
            if not any(r.iface for r in w.values()):
                raise Fail("ss shows no scoped or bound socket (harness?)")
            del n

    @case("--source=%s: UNIX type, path and peer match ss" % src)
    def t_unix():
        g = by_key(source_recs(src), "tulpen")
        w = by_key(snap(src)["ss"], "ss")
        fields = ("utype", "path") if src == "proc" else \
            ("utype", "path", "peer_inode")
        n = field_diff(g, w, fields, "tulpen", "ss",
                       only=lambda r: r.proto == "unix")
        if n < 8:
            raise Fail("only %d UNIX sockets compared" % n)

    @case("--source=%s: owners (-p: command, pid, fd) match ss" % src)
    def t_owners():
        g = by_key(source_recs(src), "tulpen")
        w = by_key(snap(src)["ss"], "ss")
        field_diff(g, w, ("owners",), "tulpen", "ss")
        shared = [r for r in g.values() if len(r.owners or ()) >= 2]
        if not shared:
            raise Fail("no socket with two owners (the listener on 7001 "
                       "is held by python3 and sleep)")


_src_cases("netlink")
_src_cases("proc")
_src_cases("auto")


@case("--source=netlink -w without raw_diag: lists the rest, or says RAW "
      "is unavailable")
def t_netlink_raw():
    if have_raw_diag():
        return
    p = tulpen("-tuwxan", "--source=netlink", check=False)
    if p.returncode == 0:
        return
    if p.returncode != 1 or not re.search(r"raw", p.err, re.I):
        raise Fail("`tulpen -tuwxan --source=netlink` exited %d with %r: "
                   "this kernel has no raw_diag; either list the other "
                   "sockets or name RAW (netlink) as what is unavailable"
                   % (p.returncode, p.err.strip()[:300]))


@case("UNIX socket of user nobody: uid 65534 from netlink, never a "
      "made-up 0 from /proc")
def t_unix_uid():
    ino = SC.nobody_unix
    bad = []
    for src in ("netlink", "proc"):
        g = [r for r in source_recs(src) if r.proto == "unix" and
             r.inode == ino]
        if len(g) != 1:
            bad.append("--source=%s: nobody's UNIX socket (inode %d) "
                       "listed %d times" % (src, ino, len(g)))
            continue
        uid = g[0].uid
        if src == "netlink" and uid != 65534:
            bad.append("--source=netlink: uid %r, the socket was made by "
                       "uid 65534 (UNIX_DIAG_UID)" % uid)
        if src == "proc" and uid not in (None, 65534):
            bad.append("--source=proc: uid %r for a socket of uid 65534; "
                       "/proc/net/unix has no uid column, so it is unknown "
                       "(null), not %r" % (uid, uid))
    if bad:
        raise Fail("\n".join(bad))


@case("--source=netlink and --source=proc agree where the kernel does")
def t_sources_agree():
    nl = by_key(source_recs("netlink"), "netlink")
    pr = by_key(want_for("netlink", source_recs("proc")), "proc")
    if set(nl) != set(pr):
        raise Fail("different sockets: only netlink %s; only proc %s" %
                   ([nl[k].show() for k in set(nl) - set(pr)][:6],
                    [pr[k].show() for k in set(pr) - set(nl)][:6]))
    ss = by_key(snap("netlink")["ss"], "ss")
    proc = by_key(snap("netlink")["proc"], "/proc/net")
    bad = []
    for k in nl:
        a, b = nl[k], pr[k]
        for f in ("state", "rq", "sq", "uid", "inode", "owners", "utype",
                  "path"):
            # Compare where ss and /proc/net both know the value and
            # agree on it (neither knows the uid of a UNIX socket from
            # /proc/net/unix, for instance).
            if k in ss and k in proc and f not in ("owners",):
                a_t, b_t = getattr(ss[k], f), getattr(proc[k], f)
                if a_t is None or b_t is None or a_t != b_t:
                    continue
            if getattr(a, f) != getattr(b, f):
                bad.append("%s: netlink %s=%r, proc %s=%r" %
                           (a.show(), f, getattr(a, f), f, getattr(b, f)))
    if bad:
        raise Fail("\n".join(bad[:12]))


DOCS_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "..", "..", "docs", "json.md")


def documented_fields():
    """The socket object's fields from the table in docs/json.md:
    name -> (set of JSON types, optional, scope) where scope is 'inet',
    'unix', 'raw', 'inet6', '-p' or None."""
    with open(DOCS_JSON) as f:
        text = f.read()
    sect = text.split("## Socket object", 1)[1].split("\n## ", 1)[0]
    fields = {}
    for line in sect.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([a-z_0-9]+)`", cells[0])
        types = set()
        for t in ("number", "string", "object", "boolean", "array",
                  "null"):
            if re.search(r"\b%s\b" % t, cells[1]):
                types.add(t)
        meaning = cells[2]
        optional = "*optional*" in meaning
        scope = None
        if meaning.startswith("inet sockets only"):
            scope = "inet"
        elif meaning.startswith("unix sockets only"):
            scope = "unix"
        elif "RAW sockets" in meaning:
            scope = "raw"
        elif "inet6 sockets" in meaning:
            scope = "inet6"
        elif "with `-p` only" in meaning:
            scope = "-p"
        for n in names:
            fields[n] = (types, optional, scope)
    return fields


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def check_schema(doc, with_p):
    fields = documented_fields()
    if len(fields) < 10:
        raise Fail("docs/json.md: could not read the field table")
    bad = set()
    for o in doc:
        fam = o.get("family")
        proto = o.get("proto")
        for k, v in o.items():
            if k not in fields:
                bad.add("field %r is not documented in docs/json.md" % k)
            elif json_type(v) not in fields[k][0]:
                bad.add("field %r is %s, docs/json.md says %s" %
                        (k, json_type(v), "/".join(sorted(fields[k][0]))))
        for k, (types, optional, scope) in fields.items():
            applies = {None: True, "inet": fam in ("inet", "inet6"),
                       "inet6": fam == "inet6", "unix": fam == "unix",
                       "raw": proto == "raw", "-p": with_p}[scope]
            if applies and not optional and k not in o:
                bad.add("%s %s object without the documented field %r" %
                        (proto, fam, k))
            if not applies and k in o and scope in ("inet", "unix", "-p"):
                bad.add("%s %s object has %r, documented for %s only" %
                        (proto, fam, k, scope))
    if bad:
        raise Fail("\n".join(sorted(bad)[:15]))


@case("--json: every field documented in docs/json.md, with its type")
def t_json_schema():
    check_schema(tulpen_json("-tuwxaepno"), True)
    check_schema(tulpen_json("-tuwxaeno", "--source=proc"), False)


@case("-s --json: tcp_states, tcp_requests, protocols equal ss's counts")
def t_summary_json():
    p = tulpen("-s", "--json")
    try:
        doc = json.loads(p.out)
    except ValueError as e:
        raise Fail("-s --json does not parse: %s" % e)
    schema_check("summary", doc, "tulpen -s --json")
    recs = truth(SUMMARY_SS)
    bad = []
    # docs/json.md: tcp_states counts TCP and MPTCP sockets.
    tcp = [r for r in recs if r.proto in ("tcp", "mptcp")]
    # Every SYN-RECV socket the harness makes is a request socket.
    req = sum(1 for r in tcp if r.state == "SYN-RECEIVED")
    states = doc.get("tcp_states", {})
    for st in S.TCP_STATES + ["CLOSED"]:
        want = sum(1 for r in tcp if r.state == st)
        if st == "SYN-RECEIVED":
            want -= req  # full sockets only, as docs/json.md says
        if states.get(st) != want:
            bad.append("tcp_states[%s] = %r, ss shows %d%s" %
                       (st, states.get(st), want,
                        " full sockets (+%d request sockets)" % req
                        if st == "SYN-RECEIVED" else ""))
    if doc.get("tcp_requests") != req:
        bad.append("tcp_requests = %r, the namespace holds %d request "
                   "sockets" % (doc.get("tcp_requests"), req))
    for proto in ("tcp", "udp", "raw", "unix", "mptcp"):
        got = doc.get("protocols", {}).get(proto, {})
        for fam in ("inet", "inet6", "unix"):
            want = sum(1 for r in recs if r.proto == proto and
                       r.family == fam)
            if got.get(fam, 0) != want:
                bad.append("protocols.%s.%s = %r, ss shows %d" %
                           (proto, fam, got.get(fam), want))
    if doc.get("total") != len(recs):
        bad.append("total = %r, ss shows %d sockets" %
                   (doc.get("total"), len(recs)))
    if bad:
        raise Fail("\n".join(bad))


@case("-M: MPTCP sockets (state, queues, uid, inode, cookie, owners) "
      "match ss -M")
def t_mptcp():
    if not SC.have_mptcp:
        raise Skip("the kernel has no MPTCP")
    got = tulpen_recs("-Maepno")
    want = truth("-MaepnoOH")
    if not any(r.proto == "mptcp" for r in want):
        raise Fail("ss -M shows no MPTCP socket (harness?)")
    g, w = set_diff(got, want, "tulpen -M", "ss -M")
    field_diff(g, w, ("state", "rq", "sq", "uid", "inode", "cookie",
                      "owners"), "tulpen -M", "ss -M")


# ---------------------------------------------------------- table output

@case("table: IPv6 addresses in full, as [addr]:port, [fe80::1%dev]:port")
def t_table_ipv6():
    p = tulpen("-tuan")
    need = ["[%s]:7003" % S.LONG6, "[::1]:7002", "127.0.0.1%lo:7051"]
    if SC.have_veth:
        need.append("[fe80::1%%%s]:7050" % S.VETH)
    for n in need:
        if n not in p.out:
            raise Fail("%r not in `tulpen -tuan` output:\n%s" %
                       (n, p.out[:1500]))
    for line in p.out.splitlines():
        if re.search(r"(^|\s)::1:\d", line):
            raise Fail("unbracketed IPv6 address in table: %r" % line)


@case("table: header and one line per socket, columns aligned")
def t_table_lines():
    p = tulpen("-tan")
    lines = p.out.splitlines()
    ss = [r for r in truth() if r.proto == "tcp"]
    if len(lines) != len(ss) + 1:
        raise Fail("%d lines for %d TCP sockets (+1 header)" %
                   (len(lines), len(ss)))
    h = tulpen("-tanH").out.splitlines()
    if len(h) != len(ss):
        raise Fail("-H: %d lines for %d sockets" % (len(h), len(ss)))
    # Aligned: the state column starts at the same offset on every line.
    states = set(CANON)
    offs = set()
    for line in lines[1:]:
        for m in re.finditer(r"\S+", line):
            if m.group(0).upper() in states:
                offs.add(m.start())
                break
    if len(offs) != 1:
        raise Fail("the state column starts at offsets %s" % sorted(offs))


def parse_duration_ms(text):
    """tulpen's human-readable durations: '320ms', '1.5s', '59.7s',
    '2min3s', '1h2min'."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|min|ms|s)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ValueError(text)
    return int(sum(float(n) * {"h": 3600000, "min": 60000, "s": 1000,
                               "ms": 1}[u] for n, u in parts))


@case("table -o: timers as name(human duration,retransmits), matching ss")
def t_table_timers():
    for attempt in range(4):
        t0 = time.monotonic()
        out = tulpen("-tano").out
        w = by_key(truth("-tanoOH"), "ss")
        TIMER_SLACK_MS[0] = 1200 + int((time.monotonic() - t0) * 1000)
        bad = []
        n = 0
        for line in out.splitlines()[1:]:
            tok = line.split()
            if len(tok) != 7:
                bad.append("not 7 columns: %r" % line)
                continue
            fam = "inet6" if tok[0].endswith("6") else "inet"
            lh, lp = S._split_hostport(tok[4])
            ph, pp = S._split_hostport(tok[5])
            key = ("tcp", fam, (canon_host(lh, fam), canon_port(lp)),
                   (canon_host(ph, fam), canon_port(pp)))
            m = re.fullmatch(r"([a-z]+)\(([^,]+),(\d+)\)", tok[6])
            if tok[6] == "-":
                got = None
            elif not m:
                bad.append("timer %r is not name(duration,retransmits)" %
                           tok[6])
                continue
            else:
                try:
                    got = canon_timer((m.group(1),
                                       parse_duration_ms(m.group(2))))
                except ValueError:
                    bad.append("duration %r not human-readable" %
                               m.group(2))
                    continue
            r = w.get(key)
            if r is None:
                continue
            n += 1
            if got != r.timer:
                bad.append("%s: table %s, ss %s" % (r.show(), tok[6],
                                                    r.timer))
        if not bad:
            break
    if bad:
        raise Fail("\n".join(bad[:12]))
    if n < 10:
        raise Fail("only %d table rows matched ss's sockets" % n)


@case("table: -O with -e -o -p still one line per socket")
def t_table_oneline():
    p = tulpen("-taneopO")
    lines = p.out.splitlines()
    ss = [r for r in truth() if r.proto == "tcp"]
    if len(lines) != len(ss) + 1:
        raise Fail("%d lines for %d TCP sockets (+1 header):\n%s" %
                   (len(lines), len(ss), p.out[:1500]))


@case("-e: user names (JSON 'user') are the names of the uids")
def t_user_names():
    import pwd
    doc = tulpen_json("-tuae")
    bad = []
    seen = set()
    for o in doc:
        uid = o.get("uid")
        if uid is None:
            continue
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        if o.get("user") != name:
            bad.append("uid %s: user %r, expected %r" %
                       (uid, o.get("user"), name))
        seen.add(name)
    if "nobody" not in seen:
        bad.append("the listener of user nobody (port 7040) has no user "
                   "'nobody'")
    if bad:
        raise Fail("\n".join(sorted(set(bad))[:10]))


def _blackhole_run(conf_dir, cmd, timeout, ns="127.0.0.1"):
    """Run @cmd in a private mount namespace whose /etc/resolv.conf names
    the harness's DNS black hole (127.0.0.1:53, never answers), or @ns
    (127.0.0.2: nothing listens, every query is refused at once)."""
    conf = os.path.join(conf_dir, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver %s\noptions timeout:5 attempts:2\n" % ns)
    sh = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    t0 = time.monotonic()
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", sh, conf] + cmd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0
    return p, time.monotonic() - t0


@case("-r: bounded in time when the DNS server never answers; numeric "
      "fallback")
def t_resolve_bounded():
    if not shutil.which("unshare"):
        raise Fail("unshare (util-linux) not installed")
    d = tempfile.mkdtemp(prefix="tulpen-it-dns-")
    try:
        # Prove the black hole stalls an ordinary lookup (else this test
        # would show nothing): glibc waits 5 s per try, twice.
        p, dt = _blackhole_run(d, ["getent", "hosts", S.LONG6], 2)
        if p is not None:
            raise Fail("the DNS black hole does not stall getent (done in "
                       "%.1f s, exit %d): test setup broken" %
                       (dt, p.returncode))
        p, dt = _blackhole_run(d, [TULPEN, "-tar"], 60)
        if p is None:
            raise Fail("`tulpen -tar` still running after 60 s")
        out = p.stdout.decode("utf-8", "replace")
        bad = []
        if dt > 8:
            bad.append("`tulpen -tar` took %.1f s with a DNS server that "
                       "never answers (an unbounded resolver takes 10 s per "
                       "address)" % dt)
        if p.returncode != 0:
            bad.append("exit %d: %r" % (p.returncode, p.stderr[:300]))
        if "[%s]:" % S.LONG6 not in out and S.LONG6 not in out:
            bad.append("the unresolvable %s is not shown numerically:\n%s"
                       % (S.LONG6, out[:1000]))
        if "localhost" not in out:
            bad.append("127.0.0.1 not resolved to localhost (/etc/hosts) "
                       "with -r")
        if bad:
            raise Fail("\n".join(bad))
    finally:
        shutil.rmtree(d, ignore_errors=True)


@case("-r: --style=ss -tar names hosts like ss -tar (from /etc/hosts)")
def t_resolve_like_ss():
    d = tempfile.mkdtemp(prefix="tulpen-it-dns-")
    try:
        w, _ = _blackhole_run(d, ["ss", "-tar"], 60, ns="127.0.0.2")
        g, _ = _blackhole_run(d, [TULPEN, "--style=ss", "-tar"], 60,
                              ns="127.0.0.2")
        if w is None or g is None:
            raise Fail("ss or tulpen did not finish with a refusing DNS")
        want = w.stdout.decode().splitlines()[1:]
        got = g.stdout.decode().splitlines()[1:]
        _multiset_diff([_ss_norm(x, False) for x in got],
                       [_ss_norm(x, False) for x in want],
                       "tulpen --style=ss -tar", "ss -tar")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------- --style=ss/netstat

def _ws(line):
    # ss pads its "Peer Address:Port" heading to the column's width, so
    # "Process" is glued to it or not depending on the data: one form.
    return " ".join(line.split()).replace("Address:PortProcess",
                                          "Address:Port Process")


def _multiset_diff(got, want, gname, wname):
    cg, cw = collections.Counter(got), collections.Counter(want)
    miss = list((cw - cg).elements())
    extra = list((cg - cw).elements())
    if miss or extra:
        raise Fail("%s differs from %s:\n  only in %s:\n    %s\n"
                   "  only in %s:\n    %s" %
                   (gname, wname, wname, "\n    ".join(miss[:10]) or "-",
                    gname, "\n    ".join(extra[:10]) or "-"))


SS_EXTRA_KEEP = ("uid:", "ino:", "sk:", "users:")


def _ss_norm(line, full):
    """Normalise one line of `ss -tulpen` output. Not @full: the six
    columns plus users:, uid:, ino:, sk: (the extras ss adds with -e that
    differ by kernel: cgroup:, v6only:, <-> are left out)."""
    tok = line.split()
    if full or len(tok) < 6:
        return " ".join(tok)
    keep = tok[:6] + [t for t in tok[6:] if t.startswith(SS_EXTRA_KEEP)]
    # The order of the owners is ss's /proc scan order: not compared here
    # (the whole-line test does).
    keep = [("users:((" + "),(".join(sorted(
        t[len("users:(("):-2].split("),("))) + "))")
        if t.startswith("users:((") else t for t in keep]
    return " ".join(keep)


@case("--style=ss -tulpen: same lines as ss -tulpen (columns, owners, "
      "uid/ino/sk)")
def t_style_ss():
    want = S.run(["ss", "-tulpen"]).stdout.splitlines()
    got = tulpen("--style=ss", "-tulpen").out.splitlines()
    if not got or _ws(got[0]).split()[:4] != _ws(want[0]).split()[:4]:
        raise Fail("header %r, ss prints %r" % (got[:1], want[0]))
    _multiset_diff([_ss_norm(x, False) for x in got[1:]],
                   [_ss_norm(x, False) for x in want[1:]],
                   "tulpen --style=ss -tulpen", "ss -tulpen")


@case("--style=ss -tulpen: whole lines as ss prints them")
def t_style_ss_full():
    _same_lines_as_ss("-tulpen")


@case("--style=ss -tan: same lines as ss -tan")
def t_style_ss_tan():
    _same_lines_as_ss("-tan")


def _same_lines_as_ss(opts):
    """Whole lines of tulpen --style=ss OPTS against ss OPTS."""
    want = S.run(["ss", opts]).stdout.splitlines()
    got = tulpen("--style=ss", opts).out.splitlines()
    _multiset_diff([_ws(x) for x in got], [_ws(x) for x in want],
                   "tulpen --style=ss " + opts, "ss " + opts)


@case("--style=ss -tua (no -n): service names as ss prints them")
def t_style_ss_names():
    want = S.run(["ss", "-tua"]).stdout.splitlines()
    got = tulpen("--style=ss", "-tua").out.splitlines()
    _multiset_diff([_ss_norm(x, False) for x in got[1:]],
                   [_ss_norm(x, False) for x in want[1:]],
                   "tulpen --style=ss -tua", "ss -tua")


def _netstat_match(g, w):
    """netstat truncates an address (host part) to fit 23 columns;
    tulpen must not: accept a tulpen address whose host the netstat one is
    a truncation of, with the same port."""
    if g == w:
        return True
    gh, _, gp = g.rpartition(":")
    wh, _, wp = w.rpartition(":")
    return gp == wp and len(wh) < len(gh) and gh.startswith(wh) and \
        len(w) >= 20


def _netstat_rows(text):
    """Split netstat output into header lines and rows (token lists);
    UNIX rows are kept as one normalised string."""
    rows = []
    head = []
    for line in text.splitlines():
        t = line.split()
        if t and t[0] in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
            rows.append(t)
        elif t and t[0] == "unix":
            rows.append([_ws(line)])
        elif line.strip():
            head.append(_ws(line))
    return head, rows


def _netstat_compare(args, need_long6):
    if not shutil.which("netstat"):
        raise Fail("netstat not installed (package net-tools)")
    wtext = S.run(["netstat"] + args).stdout
    gtext = tulpen(*(["--style=netstat"] + args)).out
    whead, wrows = _netstat_rows(wtext)
    ghead, grows = _netstat_rows(gtext)
    if ghead != whead:
        raise Fail("headers differ: tulpen %r, netstat %r" % (ghead, whead))
    # netstat names one owner of a shared socket (the one it found first);
    # accept any of the real owners there.
    def owner_map():
        m = {}
        for r in truth("-tuwxaepnoOH"):
            if r.inode:
                m[str(r.inode)] = {"%d/%s" % (p, c) for c, p, _ in r.owners}
        return m
    owners = cached("owner-map", owner_map) if "p" in args[0] else {}
    unmatched = list(grows)
    missing = []
    trunc_seen = False
    for w in wrows:
        hit = None
        for g in unmatched:
            if len(g) != len(w):
                continue
            ok = True
            for i, (a, b) in enumerate(zip(g, w)):
                if a == b:
                    continue
                if i in (3, 4) and _netstat_match(a, b):
                    continue
                if len(w) > 1 and i == len(w) - 1 and "/" in a and \
                        "/" in b:
                    inode = w[-2]
                    if a in owners.get(inode, ()):
                        continue
                ok = False
                break
            if ok:
                hit = g
                break
        if hit is None:
            missing.append(" ".join(w))
        else:
            if len(w) > 4 and (hit[3] != w[3] or hit[4] != w[4]):
                trunc_seen = True
            unmatched.remove(hit)
    if missing or unmatched:
        raise Fail("netstat %s lines without a tulpen line:\n    %s\n"
                   "tulpen lines without a netstat line:\n    %s" %
                   (" ".join(args), "\n    ".join(missing[:10]) or "-",
                    "\n    ".join(" ".join(g) for g in unmatched[:10])
                    or "-"))
    if need_long6 and not trunc_seen:
        if not any(S.LONG6 in " ".join(g) for g in grows):
            raise Fail("the long IPv6 listener is not shown in full")


def _netstat_case(args, need_long6=False):
    a = " ".join(args)
    case("--style=netstat %s: same lines as netstat %s%s" %
         (a, a, " (addresses untruncated)" if need_long6 else ""))(
        lambda: _netstat_compare(args, need_long6))


# netstat -p reads every /proc/PID/fd/N: seconds on a busy host (and a
# process with 200k files), so -p only where owners are the point.
_netstat_case(["-tulpen"], True)
_netstat_case(["-tane"], True)      # every TCP state, netstat spellings
_netstat_case(["-uane"])
_netstat_case(["-tan6"], True)
_netstat_case(["-xa"])              # UNIX sockets


# --------------------------------------------------------------- summary

# What -s counts: every protocol, MPTCP included.
SUMMARY_SS = "-tuwxMaenoOH"


def parse_summary(text):
    """`tulpen -s`: rows 'tcp 55 30 25 -' (protocol: total, IPv4, IPv6,
    ...) and 'LISTEN 19 9 10' (TCP state: total, IPv4, IPv6), and a
    'requests N ...' row for SYN-RECEIVED request sockets."""
    protos, states = {}, {}
    for line in text.splitlines():
        tok = line.split()
        if len(tok) < 2 or not re.fullmatch(r"\d+", tok[1]):
            continue
        nums = [int(t) if t.isdigit() else None for t in tok[1:]]
        w = tok[0].rstrip(":")
        if w.lower() in ("tcp", "udp", "raw", "unix", "mptcp"):
            protos[w.lower()] = nums
        elif w.lower() in ("requests", "request"):
            states["requests"] = nums
        elif w.upper() in CANON:
            states[CANON[w.upper()]] = nums
    return protos, states


@case("-s: TCP count per state (total, IPv4, IPv6) equals ss's counts")
def t_summary():
    p = tulpen("-s")
    _, got = parse_summary(p.out)
    # As -s --json: TCP and MPTCP sockets.
    ss = [r for r in truth(SUMMARY_SS) if r.proto in ("tcp", "mptcp")]
    bad = []
    for st in S.TCP_STATES + ["CLOSED"]:
        want = [sum(1 for r in ss if r.state == st and
                    (fam is None or r.family == fam))
                for fam in (None, "inet", "inet6")]
        g = got.get(st)
        if g is None:
            bad.append("%s: no row in the summary" % st)
            continue
        g = g[:3]
        if st == "SYN-RECEIVED" and g != want:
            # Request sockets may be counted on their own row only.
            req = got.get("requests", [0, 0, 0])[:3]
            if [a + b for a, b in zip(g, req)] == want:
                continue
        if g != want:
            bad.append("%s: total/IPv4/IPv6 %s, ss counts %s" %
                       (st, g, want))
    if bad:
        raise Fail("\n".join(bad) + "\n--- tulpen -s:\n" + p.out[:2000])


@case("-s: SYN-RECEIVED request sockets counted (the harness holds 2)")
def t_summary_requests():
    p = tulpen("-s")
    _, got = parse_summary(p.out)
    # Every SYN-RECV socket the harness makes is a request socket (no
    # TCP Fast Open): the client's final ACK never arrives.
    want = sum(1 for r in truth(SUMMARY_SS) if r.proto == "tcp" and
               r.state == "SYN-RECEIVED")
    req = got.get("requests")
    if req is None:
        raise Fail("no 'requests' row in tulpen -s:\n" + p.out[:1500])
    if req[0] != want:
        raise Fail("requests: %d, the namespace holds %d request sockets "
                   "(ss shows them as SYN-RECV, ino:0)" % (req[0], want))


@case("-s: sockets per protocol (total, IPv4, IPv6) equal ss's counts")
def t_summary_protos():
    p = tulpen("-s")
    got, _ = parse_summary(p.out)
    recs = truth(SUMMARY_SS)
    bad = []
    for proto in ("tcp", "udp", "raw", "unix", "mptcp"):
        rs = [r for r in recs if r.proto == proto]
        g = got.get(proto)
        if g is None:
            bad.append("%s: no row" % proto)
            continue
        if proto == "unix":
            want, g = [len(rs)], g[:1]
        else:
            want = [len(rs), sum(1 for r in rs if r.family == "inet"),
                    sum(1 for r in rs if r.family == "inet6")]
            g = g[:3]
        if g != want:
            bad.append("%s: %s, ss counts %s" % (proto, g, want))
    if bad:
        raise Fail("\n".join(bad) + "\n--- tulpen -s:\n" + p.out[:1500])


# --------------------------------------------------------- state filters

FILTERS = [
    # tulpen filter words, the same filter for ss
    (["state", "established"], ["state", "established"]),
    (["state", "close-wait", "state", "time-wait"],
     ["state", "close-wait", "state", "time-wait"]),
    (["exclude", "listening"], ["exclude", "listening"]),
    (["state", "connected"], ["state", "connected"]),
    (["state", "synchronized"], ["state", "synchronized"]),
    (["state", "bucket"], ["state", "bucket"]),
    (["state", "big"], ["state", "big"]),
    (["state", "all"], ["state", "all"]),
    (["state", "SYN_RECV"], ["state", "syn-recv"]),
    (["state", "SYN-RECEIVED"], ["state", "syn-recv"]),
    (["state", "TIMED_WAIT"], ["state", "time-wait"]),
    (["state", "syn-send"], ["state", "syn-sent"]),
    (["state", "SYN_SEND"], ["state", "syn-sent"]),
    (["state", "FIN_WAIT1"], ["state", "fin-wait-1"]),
    (["state", "fin_wait2"], ["state", "fin-wait-2"]),
    (["state", "ESTAB"], ["state", "established"]),
    (["state", "Last_Ack"], ["state", "last-ack"]),
    (["state", "closing"], ["state", "closing"]),
    (["state", "LISTEN"], ["state", "listening"]),
    (["exclude", "TIME_WAIT", "exclude", "syn-recv"],
     ["exclude", "time-wait", "exclude", "syn-recv"]),
]


def _filter_case(tf, sf, opts="-tan"):
    name = "filter `%s %s` gives the same sockets as `ss %s %s`" % (
        opts, " ".join(tf), opts, " ".join(sf))

    def t():
        want = truth(opts + "eOH", sf)
        got = tulpen_recs(*([opts] + tf))
        g, w = set_diff(got, want, "tulpen %s" % " ".join(tf),
                        "ss %s" % " ".join(sf))
        # ss has no State column when one state is asked for.
        field_diff(g, w, ("state",), "tulpen", "ss",
                   only=lambda r: r.state != "UNKNOWN")
    case(name)(t)


for _tf, _sf in FILTERS:
    _filter_case(_tf, _sf)
_filter_case(["state", "established"], ["state", "established"], "-tuan")
_filter_case(["state", "connected"], ["state", "connected"], "-tuan")


@case("filters: -l shows LISTEN and unconnected UDP only, like ss -l")
def t_listening():
    got = tulpen_recs("-tuln")
    want = truth("-tulneOH")
    set_diff(got, want, "tulpen -tuln", "ss -tuln")


@case("filters: default (no -a/-l) hides listeners like ss")
def t_default():
    got = tulpen_recs("-tun")
    want = truth("-tuneOH")
    try:
        set_diff(got, want, "tulpen -tun", "ss -tun")
    except Fail as e:
        raise Fail(str(e) + "\n(ss's default state set is 'connected' "
                   "minus SYN-RECV: no LISTEN, CLOSED, TIME-WAIT, SYN-RECV)")


@case("filters: -4 / -6 select the family like ss")
def t_family():
    for fam in ("-4", "-6"):
        got = tulpen_recs("-tuan", fam)
        want = truth("-tuaneOH", [fam])
        set_diff(got, want, "tulpen -tuan " + fam, "ss -tuan " + fam)


@case("filters: -x lists only UNIX sockets, like ss -xa")
def t_unix_only():
    got = tulpen_recs("-xan")
    want = truth("-xaneOH")
    set_diff(got, want, "tulpen -xan", "ss -xan")


# -------------------------------------------------------- unprivileged

def _nobody_copy():
    """A copy of the binary that user nobody can execute."""
    def mk():
        d = tempfile.mkdtemp(prefix="tulpen-it-bin-")
        os.chmod(d, 0o755)
        dst = os.path.join(d, "tulpen")
        shutil.copy2(TULPEN, dst)
        os.chmod(dst, 0o755)
        return dst
    return cached("nobody-bin", mk)


def _as_nobody(*args):
    global TULPEN
    saved = TULPEN
    try:
        TULPEN = _nobody_copy()
        return tulpen(*args, user="nobody")
    finally:
        TULPEN = saved


@case("unprivileged (nobody): lists every socket, owners it may see, "
      "permissions note once")
def t_unprivileged():
    p = _as_nobody("-tuwxaepn", "--json")
    try:
        doc = json.loads(p.out)
    except ValueError as e:
        raise Fail("--json as nobody does not parse: %s" % e)
    got = by_key([rec_from_tulpen(o) for o in doc], "tulpen (nobody)")
    want = by_key(truth("-tuwxaepnoOH"), "ss (root)")
    bad = []
    miss = [want[k].show() for k in want if k not in got]
    if miss:
        bad.append("missing as nobody: %s" % "; ".join(miss[:8]))
    if not miss:
        try:
            # ss prints no uid for UNIX sockets: nothing to compare.
            field_diff(got, want, ("state", "uid", "inode"),
                       "tulpen (nobody)", "ss (root)",
                       skip=lambda r, f: r.proto == "unix" and f == "uid")
        except Fail as e:
            bad.append(str(e))
    mine = [r for r in want.values()
            if r.proto == "tcp" and r.local == ("127.0.0.1", 7040)
            and r.state == "LISTEN"]
    if len(mine) != 1:
        bad.append("ss shows no listener of user nobody on 7040")
    else:
        g = got.get(mine[0].key)
        if g is None or g.owners != mine[0].owners:
            bad.append("nobody's own listener on 7040: owners %s, ss says "
                       "%s" % (g and sorted(g.owners), sorted(
                           mine[0].owners)))
        if g is not None and g.uid != 65534:
            bad.append("nobody's own listener: uid %r, expected 65534" %
                       g.uid)
    leaked = [g.show() for k, g in got.items()
              if g.owners and k in want and
              not any(pid == SC.nobody.pid for _, pid, _ in g.owners)]
    if leaked:
        bad.append("owners shown that nobody may not see: %s" %
                   "; ".join(leaked[:5]))
    lines = [x for x in p.err.splitlines() if x.strip()]
    if len(lines) != 1:
        bad.append("stderr should hold exactly one note, has %d lines: %r"
                   % (len(lines), p.err[:500]))
    elif not re.search(r"permi|privileg|root", lines[0], re.I):
        bad.append("the stderr line does not read like a permissions note:"
                   " %r" % lines[0])
    if bad:
        raise Fail("\n".join(bad))


@case("unprivileged (nobody): table output, note once, no owner leak")
def t_unprivileged_table():
    p = _as_nobody("-tuwxaepn")
    lines = [x for x in p.err.splitlines() if x.strip()]
    if len(lines) != 1:
        raise Fail("stderr should hold exactly one note, has %d lines: %r"
                   % (len(lines), p.err[:500]))
    # (The harness's abstract UNIX names contain its pid: look for the
    # pid in owner form only.)
    pids = [os.getpid(), SC.listen_shared[1].pid]
    for pid in pids:
        if re.search(r"pid=%d\b|\b%d/\S" % (pid, pid), p.out):
            raise Fail("root's process %d shown to nobody:\n%s" %
                       (pid, "\n".join(x for x in p.out.splitlines()
                                       if str(pid) in x)[:600]))
    if "pid=%d," % SC.nobody.pid not in p.out:
        raise Fail("nobody's own process %d not shown as an owner" %
                   SC.nobody.pid)


@case("-a without -p prints no permissions note as nobody")
def t_unprivileged_no_p():
    p = _as_nobody("-tuan")
    if p.err.strip():
        raise Fail("stderr without -p: %r" % p.err[:300])


CHURN = r"""
import os, socket, sys, time
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    kids = []
    for i in range(8):
        pid = os.fork()
        if pid == 0:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            u = socket.socket(socket.AF_UNIX)
            time.sleep(0.002 * i)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
"""


@case("-p while processes holding sockets come and go: no error, no "
      "message")
def t_churn():
    churn = subprocess.Popen([sys.executable, "-c", CHURN, "4"])
    try:
        bad = []
        for i in range(3):
            p = tulpen("-tuwxaepn", check=False)
            if p.returncode != 0 or p.err.strip():
                bad.append("run %d: exit %d, stderr %r" %
                           (i, p.returncode, p.err.strip()[:300]))
            pj = tulpen("-tuxaepn", "--json", check=False)
            try:
                json.loads(pj.out)
            except ValueError as e:
                bad.append("run %d: --json does not parse: %s" % (i, e))
            if pj.returncode != 0 or pj.err.strip():
                bad.append("run %d --json: exit %d, stderr %r" %
                           (i, pj.returncode, pj.err.strip()[:300]))
        if bad:
            raise Fail("\n".join(bad))
    finally:
        churn.kill()
        churn.wait()


# ----------------------------------------------------------------- errors

def _usage_error(args, word):
    p = tulpen(*args, check=False)
    bad = []
    if p.returncode != 2:
        bad.append("exit status %d, expected 2" % p.returncode)
    if word not in p.err:
        bad.append("stderr does not name %r: %r" % (word, p.err[:300]))
    if "Try 'tulpen --help'." not in p.err:
        bad.append("no usage hint on stderr: %r" % p.err[:300])
    if p.out:
        bad.append("stdout not empty: %r" % p.out[:200])
    if bad:
        raise Fail("`tulpen %s`: %s" % (" ".join(args), "; ".join(bad)))


@case("error: unknown long option -> names it, usage, exit 2")
def t_err_long():
    _usage_error(["--no-such-option"], "--no-such-option")


@case("error: unknown short option -> names it, usage, exit 2")
def t_err_short():
    _usage_error(["-tK"], "K")


@case("error: bad state name -> names it, usage, exit 2")
def t_err_state():
    _usage_error(["-t", "state", "establishd"], "establishd")


@case("error: bad exclude name -> names it, usage, exit 2")
def t_err_exclude():
    _usage_error(["-t", "exclude", "FIN_WAIT_3"], "FIN_WAIT_3")


@case("broken /proc/net/tcp line: skipped with a note naming file and "
      "line, the rest listed, exit 0")
def t_err_proc():
    d = tempfile.mkdtemp(prefix="tulpen-it-proc-")
    try:
        os.makedirs(os.path.join(d, "net"))
        for n in S.PROC_NET_FILES:
            src = "/proc/net/" + n
            if os.path.exists(src):
                with open(src) as f, open(os.path.join(d, "net", n),
                                          "w") as o:
                    o.write(f.read())
        path = os.path.join(d, "net", "tcp")
        with open(path) as f:
            lines = f.read().splitlines(True)
        if len(lines) < 4:
            raise Fail("too few lines in /proc/net/tcp to break")
        lines[2] = "   1: 0100007F:ZZZZ 00000000:0000 0A garbage\n"
        with open(path, "w") as f:
            f.writelines(lines)
        # the other rows of the file, by inode (column 10)
        want = sorted(int(ln.split()[9]) for i, ln in enumerate(lines)
                      if i and i != 2 and ln.strip())
        p = tulpen("--proc-root", d, "--source=proc", "-ta", "-4", "--json",
                   check=False)
        bad = []
        if p.returncode != 0:
            bad.append("exit status %d, expected 0" % p.returncode)
        if "net/tcp" not in p.err:
            bad.append("stderr does not name the file: %r" % p.err[:300])
        if not re.search(r"(line\s*3|:3\b)", p.err):
            bad.append("stderr does not name line 3: %r" % p.err[:300])
        try:
            got = sorted(o["inode"] for o in json.loads(p.out))
        except ValueError as e:
            got = None
            bad.append("--json does not parse: %s" % e)
        if got is not None and got != want:
            bad.append("inodes listed %r, the file's other rows %r" %
                       (got[:10], want[:10]))
        if bad:
            raise Fail("; ".join(bad))
    finally:
        shutil.rmtree(d, ignore_errors=True)


@case("closed pipe: no message, exit 0, not killed by SIGPIPE")
def t_epipe():
    for fmt in ([], ["--json"], ["--ndjson"], ["--style=netstat"]):
        r, w = os.pipe()
        os.close(r)
        p = subprocess.run([TULPEN, "-tuwxaen"] + fmt, stdout=w,
                           stderr=subprocess.PIPE, timeout=30)
        os.close(w)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode != 0 or err:
            raise Fail("`tulpen -tuwxaen %s` into a closed pipe: exit %d "
                       "(%s), stderr %r" %
                       (" ".join(fmt), p.returncode,
                        "killed by signal %d" % -p.returncode
                        if p.returncode < 0 else "status", err[:300]))


@case("closed pipe: `tulpen -a | head -1` exits quietly")
def t_head():
    p = subprocess.run(
        ["bash", "-c", 'for i in 1 2 3; do "$0" -tuwxaen; '
         'echo "rc=$?" >&2; done | head -1',
         TULPEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=60)
    err = p.stderr.decode()
    lines = [x for x in err.splitlines() if not x.startswith("rc=")]
    if lines:
        raise Fail("messages on stderr: %r" % lines[:5])
    rcs = [x for x in err.splitlines() if x.startswith("rc=")]
    if any(x != "rc=0" for x in rcs):
        raise Fail("exit statuses of the runs into the closed pipe: %s "
                   "(141 = killed by SIGPIPE)" % ", ".join(rcs))
    if len(p.stdout.decode().splitlines()) != 1:
        raise Fail("head -1 printed %r" % p.stdout[:200])


# ------------------------------------------------------------------- main

def main(argv):
    global TULPEN, SC
    tap = False
    if argv and argv[0] == "--tap":
        tap = True
        argv = argv[1:]
    skip_rc = 0 if tap else S.SKIP
    if not argv and os.environ.get("TULPEN"):
        argv = [os.environ["TULPEN"]]
    if len(argv) != 1:
        print("usage: test_lister.py [--tap] TULPEN_BINARY (or $TULPEN)",
              file=sys.stderr)
        return 2
    TULPEN = os.path.abspath(argv[0])
    if not os.access(TULPEN, os.X_OK):
        print("1..0 # SKIP tulpen binary %s not found" % TULPEN)
        return skip_rc
    t0 = time.monotonic()
    try:
        S.need_tools("setpriv")
        SC = S.build()
    except S.SkipTest as e:
        print("1..0 # SKIP %s" % e)
        return skip_rc
    except S.HarnessError as e:
        print("1..1\nnot ok 1 - harness: every TCP state is held")
        for line in str(e).splitlines():
            print("# " + line)
        return 1
    failed = 0
    try:
        SC.nobody = SC.add_foreign_owner()
        SC.verify()
        print("# harness ready in %.2f s (%d sockets)" %
              (time.monotonic() - t0, len(SC.expect)))
        for n, (name, fn) in enumerate(TESTS, 1):
            t1 = time.monotonic()
            try:
                fn()
                print("ok %d - %s" % (n, name))
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (n, name, e))
            except Fail as e:
                failed += 1
                print("not ok %d - %s" % (n, name))
                for line in str(e).splitlines():
                    print("#   " + line)
            except Exception as e:  # a bug in the test itself
                failed += 1
                print("not ok %d - %s" % (n, name))
                print("#   test error: %s: %s" % (type(e).__name__, e))
            dt = time.monotonic() - t1
            if dt > float(os.environ.get("TULPEN_IT_SLOW", "5")):
                print("# (took %.1f s)" % dt)
            sys.stdout.flush()
        print("1..%d" % len(TESTS))
        print("# %d passed, %d failed in %.1f s" %
              (len(TESTS) - failed, failed, time.monotonic() - t0))
    finally:
        SC.teardown()
        d = _cache.get("nobody-bin")
        if d and d[0]:
            shutil.rmtree(os.path.dirname(d[1]), ignore_errors=True)
    # Under TAP the "not ok" lines carry the verdict.
    return 0 if tap or not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
