# SPDX-License-Identifier: MIT
"""
layout_common.py - what the layout and family tests share: the population
of sockets (sockstates.py: every TCP state, UDP, RAW, UNIX) in a private
network namespace that the test creates and names "lay<pid>" (ip netns
attach, so it can be told apart and is removed at the end), a TAP runner,
and the byte-for-byte comparison of tulpen's --style output with the tool
it stands in for.

A comparison runs the tool, then tulpen, then the tool again: tulpen's
bytes must equal one of the two runs (the population is pinned, but the
kernel may move a queue or a timer between two invocations; a socket
cannot be in two runs' output without being in tulpen's). Columns that
move by themselves (timers) are compared with the tolerance documented at
normalise_timers() before the bytes are compared.

Python stdlib only; runs under /usr/bin/python3.
"""

import os
import re
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockstates as S  # noqa: E402

# Timers may move this much between the tool's run and tulpen's (ms).
TIMER_TOLERANCE_MS = 3000


class Failed(Exception):
    pass


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    if check and p.returncode != 0:
        raise Failed("%s exited %d: %s" % (" ".join(cmd), p.returncode,
                                           p.stderr.decode(errors="replace")))
    return p


def first_diff(a, b):
    al, bl = a.split(b"\n"), b.split(b"\n")
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else b"<none>"
        y = bl[i] if i < len(bl) else b"<none>"
        if x != y:
            return "line %d:\n  expected %r\n  tulpen   %r" % (i + 1, x, y)
    return "no difference"


# ss: timer:(keepalive,119min,0) - "119min", "1min59sec", "59sec",
# "1.200ms"... netstat: keepalive (7199.87/0/0).
SS_TIMER = re.compile(rb"timer:\(([a-z]+),([0-9a-z.]+),(\d+)\)")
NS_TIMER = re.compile(rb"\b(off|on|keepalive|timewait|probe) "
                      rb"\((\d+)\.(\d\d)/(\d+)/(\d+)\)")


def ss_ms(text):
    t = text.decode()
    ms = 0
    m = re.match(r"^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?$", t)
    if not m:
        raise Failed("ss timer %r not understood" % t)
    mins, secs, msecs = (int(x) if x else 0 for x in m.groups())
    ms = mins * 60000 + secs * 1000 + msecs
    return ms


def normalise_timers(expected, got, pattern, to_ms):
    """Timers of the same row must name the same timer and be within
    TIMER_TOLERANCE_MS of each other (ss rounds to the minute above 10
    minutes: there the tolerance is 60 s) with the same counts, or, when
    the timer fired between the two runs, other retransmit or probe
    counts (the time is then the next, backed-off period: not compared);
    then both are replaced by a placeholder and trailing blanks dropped
    (the Process column's width follows the timer text's length)."""
    el, gl = expected.split(b"\n"), got.split(b"\n")
    if len(el) != len(gl):
        raise Failed("%d lines, tulpen %d" % (len(el), len(gl)))
    out_e, out_g = [], []
    for i, (a, b) in enumerate(zip(el, gl)):
        ta, tb = pattern.findall(a), pattern.findall(b)
        if len(ta) != len(tb):
            raise Failed("line %d: timers %r, tulpen %r" % (i + 1, ta, tb))
        for x, y in zip(ta, tb):
            keep = 3 if pattern is NS_TIMER else 2  # after the time
            if x[0] != y[0]:
                raise Failed("line %d: timer %r, tulpen %r" % (i + 1, x, y))
            if x[keep:] != y[keep:]:
                continue  # fired in between: re-armed, backed off
            ma, mb = to_ms(x), to_ms(y)
            tol = 61000 if max(ma, mb) >= 600000 else TIMER_TOLERANCE_MS
            if abs(ma - mb) > tol:
                raise Failed("line %d: timer %d ms, tulpen %d ms" %
                             (i + 1, ma, mb))
        out_e.append(pattern.sub(b"TIMER", a).rstrip())
        out_g.append(pattern.sub(b"TIMER", b).rstrip())
    return b"\n".join(out_e), b"\n".join(out_g)


def ns_ms(x):
    return int(x[1]) * 1000 + int(x[2]) * 10


def ss_timer_ms(x):
    return ss_ms(x[1])


def compare(tool_cmd, tulpen_cmd, timers=None, drop=None, attempts=1,
            pause=0):
    """Tool, tulpen, tool again: tulpen's bytes equal one of the runs.
    @timers: None, "ss" or "netstat" (tolerance, see normalise_timers);
    @drop: a function removing lines that are not the population's (the
    tools' own netlink sockets); @attempts: how many such triples may be
    tried, for counters that move by themselves (sockstat's sockets in
    use follow the population's helpers; TCP alloc and orphans are the
    host's, moved by every namespace); @pause: seconds to wait before
    each run (sockstat's sockets in use drop a closed socket only after an
    RCU grace period: the last command's netlink socket may still count)."""
    for n in range(attempts):
        try:
            return compare_once(tool_cmd, tulpen_cmd, timers, drop, pause)
        except Failed:
            if n + 1 == attempts:
                raise
    return 0


def compare_once(tool_cmd, tulpen_cmd, timers, drop, pause=0):
    outs = []
    got = None
    for i, cmd in enumerate((tool_cmd, tulpen_cmd, tool_cmd)):
        if pause:
            time.sleep(pause)
        out = run(cmd).stdout
        if drop:
            out = drop(out)
        if i == 1:
            got = out
        else:
            outs.append(out)
    why = None
    for exp in outs:
        e, g = exp, got
        try:
            if timers == "ss":
                e, g = normalise_timers(exp, got, SS_TIMER, ss_timer_ms)
            elif timers == "netstat":
                e, g = normalise_timers(exp, got, NS_TIMER, ns_ms)
        except Failed as err:
            why = str(err)
            continue
        if e == g:
            return len(exp.split(b"\n")) - 1
        why = first_diff(e, g)
    raise Failed("%s differs from %s: %s" % (" ".join(tulpen_cmd),
                                              " ".join(tool_cmd), why))


class Population:
    """sockstates' scenario in a private netns named lay<pid>."""

    def __init__(self):
        self.sc = None
        self.name = "lay%d" % os.getpid()
        self.attached = False

    def __enter__(self):
        self.sc = S.build()
        os.makedirs("/run/netns", exist_ok=True)
        p = run(["ip", "netns", "attach", self.name, str(os.getpid())],
                check=False)
        self.attached = p.returncode == 0
        return self

    def __exit__(self, *exc):
        if self.sc:
            self.sc.teardown()
        if self.attached:
            run(["ip", "netns", "delete", self.name], check=False)
        return False


def tap_main(cases, setup=None):
    """Run @cases ([(name, fn)]) as TAP; @setup() builds what they share
    and is a context manager. Exit 0 (failures are "not ok" lines), 1 if
    the population cannot be built."""
    try:
        ctx = setup() if setup else None
        env = ctx.__enter__() if ctx else None
    except S.SkipTest as e:
        # As root a skip is a failure: say it as one.
        print("1..1\nnot ok 1 - population: %s" % e)
        return 0 if os.geteuid() != 0 else 1
    except Exception as e:  # noqa: BLE001
        print("1..1\nnot ok 1 - population: %s" % e)
        return 1
    try:
        print("1..%d" % len(cases))
        for n, (name, fn) in enumerate(cases, 1):
            try:
                detail = fn(env)
                print("ok %d - %s%s" % (n, name,
                                       " (%s)" % detail if detail else ""))
            except Failed as e:
                print("not ok %d - %s" % (n, name))
                for line in str(e).splitlines():
                    print("# " + line)
            except Exception:  # noqa: BLE001
                print("not ok %d - %s" % (n, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        if ctx:
            ctx.__exit__(None, None, None)
    return 0


def tulpen_bin(argv):
    for a in argv[1:]:
        if not a.startswith("-"):
            return os.path.abspath(a)
    return os.environ.get("TULPEN", "tulpen")
