# SPDX-License-Identifier: MIT
"""
lister_cases_records.py - the cases of test_lister.py:
records against ss and /proc, JSON, the
table. Registered with lister_common.case() in the order they run;
the harness (sockstates.py) and the binary are lister_common.SC and
lister_common.TULPEN, set by test_lister.py's main().
"""

import lister_common as C
from lister_common import *  # noqa: F401,F403 (the shared helpers)


@case("harness: every TCP state is held and verified with ss")
def t_harness():
    bad = C.SC.check(S.ss_snapshot())
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
    if len(doc) < len(C.SC.expect):
        raise Fail("only %d objects, the namespace has at least %d sockets"
                   % (len(doc), len(C.SC.expect)))


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
        if n < len(C.SC.expect) // 2:
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
    ino = C.SC.nobody_unix
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
    if not C.SC.have_mptcp:
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
    if C.SC.have_veth:
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
