# SPDX-License-Identifier: MIT
"""
lister_cases_layouts.py - the cases of test_lister.py:
names, ss and netstat layouts, -s, filters, permissions,
errors. Registered with lister_common.case() in the order they run;
the harness (sockstates.py) and the binary are lister_common.SC and
lister_common.TULPEN, set by test_lister.py's main().
"""

import lister_common as C
from lister_common import *  # noqa: F401,F403 (the shared helpers)


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
        p, dt = _blackhole_run(d, [C.TULPEN, "-tar"], 60)
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
        g, _ = _blackhole_run(d, [C.TULPEN, "--style=ss", "-tar"], 60,
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
        shutil.copy2(C.TULPEN, dst)
        os.chmod(dst, 0o755)
        return dst
    return cached("nobody-bin", mk)


def _as_nobody(*args):
    saved = C.TULPEN
    try:
        C.TULPEN = _nobody_copy()
        return tulpen(*args, user="nobody")
    finally:
        C.TULPEN = saved


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
              not any(pid == C.SC.nobody.pid for _, pid, _ in g.owners)]
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
    pids = [os.getpid(), C.SC.listen_shared[1].pid]
    for pid in pids:
        if re.search(r"pid=%d\b|\b%d/\S" % (pid, pid), p.out):
            raise Fail("root's process %d shown to nobody:\n%s" %
                       (pid, "\n".join(x for x in p.out.splitlines()
                                       if str(pid) in x)[:600]))
    if "pid=%d," % C.SC.nobody.pid not in p.out:
        raise Fail("nobody's own process %d not shown as an owner" %
                   C.SC.nobody.pid)


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
        p = subprocess.run([C.TULPEN, "-tuwxaen"] + fmt, stdout=w,
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
         C.TULPEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
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
