#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
test_filter_property.py TULPEN - seeded random filter expressions against
ss, in a private network namespace with several IPv4 and IPv6 addresses
and sockets in several TCP states (plus UDP).

For every expression the sockets selected by
  ss -tuan EXPR,
  tulpen -tuan EXPR (netlink: the kernel runs the compiled bytecode),
  tulpen --source=proc -tuan EXPR (the user-space evaluator), and
  tulpen --nl-replay REC -tuan EXPR (the evaluator over a recorded,
                                     unfiltered dump)
must be the same set; when ss refuses an expression, tulpen must refuse it
too (exit 2). Terms /proc cannot know (dev, fwmark, cgroup) are left out
of the /proc comparison only. The seed is new each run and printed;
TULPEN_FILTER_SEED=N replays a run. TAP output.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import filter_common as fc  # noqa: E402

MIN_EXPRS = 200
BUDGET_S = 50.0

PORTS = [22, 80, 443, 8080, 5432, 1024, 3000, 2222, 53, 123, 5353, 9, 0,
         1, 1023, 1025, 32768, 40000, 60999, 65535]
# no UDP-only names: with TCP and UDP listed, ss 6.1 reads them from a
# getservbyname() buffer its TCP lookup has overwritten (docs/filters.md)
SERVICES = ["ssh", "http", "https", "domain", "postgresql"]
OPS = ["=", "==", "eq", "!=", "ne", "neq", "<", "lt", ">", "gt", "<=", "le",
       "leq", ">=", "ge", "geq", None]
STATES = ["established", "listening", "time-wait", "connected", "bucket",
          "big", "synchronized", "syn-sent", "fin-wait-2", "close-wait",
          "all", "closed"]


class Gen:
    def __init__(self, rnd, cgroup):
        self.r = rnd
        self.cgroup = cgroup
        self.proc_ok = True  # no term /proc cannot know

    def port(self):
        r = self.r.random()
        if r < 0.1:
            return self.r.choice(SERVICES)
        if r < 0.15:
            return hex(self.r.choice(PORTS))
        return str(self.r.choice(PORTS))

    def v4(self):
        a = self.r.choice(fc.V4 + ["10.1.0.0", "192.168.0.0", "0.0.0.0",
                                   "10.0.0.0", "253.0.0.0"])
        if self.r.random() < 0.5:
            a += "/%d" % self.r.choice([0, 1, 8, 16, 24, 28, 32])
        return a

    def v6(self):
        a = self.r.choice(fc.V6 + ["fd00::", "::", "::ffff:127.0.0.1",
                                   "::ffff:10.1.2.3", "fd12::", "fe80::"])
        plen = None
        if self.r.random() < 0.5:
            plen = self.r.choice([0, 8, 16, 32, 64, 96, 104, 128])
        r = self.r.random()
        if plen is not None and r < 0.5:
            return a + "/%d" % plen  # unbracketed prefix, as ss takes it
        if plen is not None:
            return "[%s/%d]" % (a, plen)
        return "[%s]" % a

    def host(self):
        r = self.r.random()
        if r < 0.4:
            a = self.v4()
        elif r < 0.8:
            a = self.v6()
        elif r < 0.87:
            a = "*"
        elif r < 0.92:
            a = "localhost"
        else:
            a = self.r.choice(["inet:", "inet6:"]) + (
                self.v4() if self.r.random() < 0.5 else self.v6())
        if self.r.random() < 0.3:
            a += ":" + self.port()
        return a

    def term(self):
        r = self.r.random()
        if r < 0.4:
            kw = self.r.choice(["sport", "dport"])
            op = self.r.choice(OPS)
            p = self.port()
            if op in ("=", "==", "eq", None) and self.r.random() < 0.05:
                p = "*"
            p = (":" + p) if self.r.random() < 0.7 else p
            return [kw] + ([op] if op else []) + [p]
        if r < 0.75:
            kw = self.r.choice(["src", "dst"])
            eq = self.r.choice(["=", "==", "eq", None, None])
            return [kw] + ([eq] if eq else []) + [self.host()]
        if r < 0.82:
            return ["autobound"]
        if r < 0.88:
            self.proc_ok = False
            return ["dev", self.r.choice(["=", "!=", None]),
                    self.r.choice(["lo", "tfd0", "1"])]
        if r < 0.95:
            self.proc_ok = False
            m = self.r.choice(["5", "0x14", "0", "0x4/0x4", "0x10/0xf0",
                               "5/0xffffffff"])
            return ["fwmark", self.r.choice(["=", "!=", None]), m]
        if self.cgroup:
            self.proc_ok = False
            return ["cgroup", self.r.choice(["=", "!="]),
                    self.r.choice([self.cgroup, ".", "/"])]
        return ["autobound"]

    def expr(self, depth=0):
        r = self.r.random()
        if depth > 3 or r < 0.35:
            t = self.term()
            return [w for w in t if w]
        if r < 0.45:
            return [self.r.choice(["not", "!"])] + self.expr(depth + 1)
        if r < 0.6:
            return ["("] + self.expr(depth + 1) + [")"]
        op = self.r.choice(["and", "&&", "&", "or", "||", "|", None])
        return (self.expr(depth + 1) + ([op] if op else []) +
                self.expr(depth + 1))

    def states(self):
        out = []
        for _ in range(self.r.choice([0, 0, 0, 1, 1, 2])):
            out += [self.r.choice(["state", "exclude"]),
                    self.r.choice(STATES)]
        return out

    def argv(self):
        words = self.states() + self.expr()
        if self.r.random() < 0.5:
            # one shell word for the expression part, as scripts quote it
            n = len(words)
            k = self.r.randrange(n + 1)
            return words[:k] + ([" ".join(words[k:])] if k < n else [])
        return words


def one_family(argv):
    """The family prefix of the last "inet:"/"inet6:" term, or None."""
    last = None
    for w in " ".join(argv).split():
        for pfx in ("inet6:", "inet:"):
            if w.startswith(pfx):
                last = pfx
                break
    return last


def main():
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ["TULPEN"]
    seed = int(os.environ.get("TULPEN_FILTER_SEED",
                              str(int.from_bytes(os.urandom(4), "big"))))
    print("# seed %d (TULPEN_FILTER_SEED=%d replays this run)"
          % (seed, seed))
    fc.enter_netns()
    pop = fc.build_population()
    opts = ["-tua"]
    # an "inet:"/"inet6:" term lists one family: a recording of that one
    recs = {None: fc.record(tulpen, opts),
            "inet:": fc.record(tulpen, opts + ["-4"]),
            "inet6:": fc.record(tulpen, opts + ["-6"])}
    # what each recording holds, to tell sockets gone since (TIME-WAIT
    # ends after 60 s) from sockets the evaluator got wrong
    fam_opt = {None: [], "inet:": ["-4"], "inet6:": ["-6"]}
    held = {k: set(fc.tulpen_set(tulpen, opts + fam_opt[k], [],
                                 ["--nl-replay", v])[0])
            for k, v in recs.items()}

    def renew():
        """TIME-WAIT sockets end after 60 s, all at once: wait for that
        outside any comparison, make new ones, record again."""
        time.sleep(max(0.0, pop.tw_since + 61.5 - time.time()))
        fc.time_wait(pop)
        for k in recs:
            os.unlink(recs[k])
            recs[k] = fc.record(tulpen, opts + fam_opt[k])
            held[k] = set(fc.tulpen_set(tulpen, opts + fam_opt[k], [],
                                        ["--nl-replay", recs[k]])[0])
    base = fc.ss_set(opts, [])
    n = 0
    fails = 0
    n += 1
    whole, _ = fc.tulpen_set(tulpen, opts, [])
    fc.tap(fc.same(base, whole) and len(base) > 40, n,
           "the population (%d sockets) is the same in ss and tulpen"
           % len(base), "ss:     %s\ntulpen: %s" % (base, whole))
    rnd = random.Random(seed)
    g = Gen(rnd, fc.own_cgroup())
    start = time.time()
    checked = selected = refused = 0
    while checked < MIN_EXPRS or time.time() - start < 5:
        if checked >= MIN_EXPRS and time.time() - start > BUDGET_S:
            break
        if time.time() - start > 2 * BUDGET_S:
            break
        if time.time() - pop.tw_since > 56:
            renew()
        g.proc_ok = True
        argv = g.argv()
        # the four listings at once: the population is the same for all
        jobs = [fc.start(["ss", "-H", "-n"] + opts + argv),
                fc.start_tulpen(tulpen, opts, argv),
                fc.start_tulpen(tulpen, opts, argv,
                                ["--nl-replay", recs[one_family(argv)]]),
                fc.start_tulpen(tulpen, opts, argv, ["--source=proc"])
                if g.proc_ok else None]
        jobs = [fc.finish(j) if j else None for j in jobs]
        want = fc.ss_parse(jobs[0])
        got, r = fc.tulpen_parse(jobs[1])
        checked += 1
        problems = []
        if want is None:
            refused += 1
            if got is not None or r.returncode != 2 or r.stdout:
                problems.append("ss refuses it, tulpen (exit %d) does not"
                                % r.returncode)
        else:
            selected += len(want) > 0
            if not fc.same(want, got):
                problems.append("netlink: %s\n  stderr %s"
                                % (fc.diff(want, got), r.stderr.strip()))
            rep, r2 = fc.tulpen_parse(jobs[2])
            if rep is not None and not fc.same(want, rep):
                # sockets gone since the recording cannot be in ss's
                gone = held[one_family(argv)] - set(fc.ss_set(opts, []))
                rep = [k for k in rep if k not in gone]
            if not fc.same(want, rep):
                problems.append("replay: %s %s"
                                % (fc.diff(want, rep), r2.stderr.strip()))
            if g.proc_ok:
                prc, r3 = fc.tulpen_parse(jobs[3])
                if not fc.same(want, prc):
                    problems.append("proc: %s %s"
                                    % (fc.diff(want, prc), r3.stderr.strip()))
        if problems:
            fails += 1
            n += 1
            fc.tap(False, n, "expression %r" % argv, "\n".join(problems))
            if fails >= 10:
                break
    n += 1
    fc.tap(fails == 0, n, "%d expressions (seed %d): ss, tulpen netlink, "
           "/proc and replay agree (%d select something, %d refused by "
           "both)" % (checked, seed, selected, refused))
    n += 1
    fc.tap(selected > checked // 4, n,
           "the expressions select something often enough to mean "
           "something (%d of %d)" % (selected, checked))
    n += 1
    fc.tap(checked >= MIN_EXPRS, n, "at least %d expressions (%d in %.0f s)"
           % (MIN_EXPRS, checked, time.time() - start))
    print("1..%d" % n)
    for rec in recs.values():
        os.unlink(rec)
    del pop
    return 0 if fails == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
