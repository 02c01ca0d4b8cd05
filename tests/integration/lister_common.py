# SPDX-License-Identifier: MIT
"""
lister_common.py - what test_lister.py's cases share: the canonical forms
of states, hosts, ports and timers, socket records from ss, /proc and
tulpen, tulpen runs, set comparisons, the case registry (case(), TESTS)
and the cached truths. TULPEN (the binary) and SC (the sockstates.py
scenario) are set by test_lister.py's main(); the cases read them as
lister_common.TULPEN and lister_common.SC.
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


# The ss options whose sockets -s is compared with.
SUMMARY_SS = "-tuwxMaenoOH"
