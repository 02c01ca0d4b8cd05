#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn bench/run.sh's raw.tsv into tables and check the scale targets.

usage: report.py [--timeout S] RAW.tsv

For each population size: median wall time of the timed runs (run >= 1;
a command that was too slow to repeat has only its first run, run 0), max
RSS, output lines, ratio to the ss command of the same kind and to the floor.
Then every scale target with PASS/FAIL and the numbers. The
targets apply at 100,000 connections and must hold at 500,000; with other
sizes (the small preset) they are checked at the largest size and marked as
indicative.
"""
import argparse
import csv
import statistics
import sys

ORDER = [
    "floor", "floor -1 (one walk)",
    "tulpen -tan", "ss -tan", "netstat -tan", "lsof -nP -iTCP",
    "tulpen -tanp", "ss -tanp", "netstat -tanp",
    "fdscan (-p floor)", "fdscan -j 2",
    "tulpen -tan --json", "tulpen -tan --ndjson",
    "tulpen -s", "ss -s",
]
# the ss command each row is compared with
SS_OF = {
    "floor": "ss -tan", "floor -1 (one walk)": "ss -tan",
    "tulpen -tan": "ss -tan", "ss -tan": "ss -tan",
    "netstat -tan": "ss -tan", "lsof -nP -iTCP": "ss -tan",
    "tulpen -tanp": "ss -tanp", "ss -tanp": "ss -tanp",
    "netstat -tanp": "ss -tanp",
    "fdscan (-p floor)": "ss -tanp", "fdscan -j 2": "ss -tanp",
    "tulpen -tan --json": "ss -tan", "tulpen -tan --ndjson": "ss -tan",
    "tulpen -s": "ss -s", "ss -s": "ss -s",
}


def ss_of(cmd):
    """The ss command a row is compared with (extra rows: by their flags)."""
    if cmd in SS_OF:
        return SS_OF[cmd]
    if "-tanp" in cmd or " -p" in cmd:
        return "ss -tanp"
    if cmd.endswith(" -s") or " -s " in cmd:
        return "ss -s"
    return "ss -tan"


class Row:
    def __init__(self, cmd):
        self.cmd = cmd
        self.walls = []      # timed runs
        self.warm = None     # run 0
        self.rss = 0
        self.lines = None
        self.status = set()
        self.timeout = False

    def add(self, rec):
        wall = float(rec["wall_s"])
        self.rss = max(self.rss, int(rec["maxrss_kib"]))
        st = rec["status"]
        if st == "timeout":
            self.timeout = True
        elif st != "exit=0":
            self.status.add(st)
        if rec["lines"] not in ("-", ""):
            self.lines = int(rec["lines"])
        if int(rec["run"]) == 0:
            self.warm = wall
        elif st != "timeout":
            self.walls.append(wall)

    @property
    def runs(self):
        return len(self.walls) if self.walls else 1

    @property
    def time(self):
        """Median wall time; None when it timed out."""
        if self.timeout and not self.walls:
            return None
        if self.walls:
            return statistics.median(self.walls)
        return self.warm

    @property
    def ok(self):
        return not self.status


def load(path):
    sizes = {}
    meta = {}
    with open(path, newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t"):
            n = int(rec["size"])
            sizes.setdefault(n, {})
            meta[n] = (int(rec["tcp_sockets"]), int(rec["socket_fds"]))
            rows = sizes[n]
            rows.setdefault(rec["command"], Row(rec["command"])).add(rec)
    return sizes, meta


def fmt_t(row, timeout):
    t = row.time
    if t is None:
        return "> %g s (timeout)" % timeout
    return "%.3f s" % t


def ratio(a, b, timeout):
    """a / b as text; either may be None (timed out)."""
    if a is None and b is None:
        return "-"
    if a is None:
        return "> %.1f x" % (timeout / b)
    if b is None:
        return "< %.3f x" % (a / timeout)
    return "%.2f x" % (a / b)


def table(n, rows, meta, timeout):
    tcp, fds = meta[n]
    out = []
    out.append("### N = %s connections (%s TCP sockets, %s socket fds)"
               % (f"{n:,}", f"{tcp:,}", f"{fds:,}"))
    out.append("")
    out.append("| command | median wall | runs | max RSS | lines"
               " | vs ss | vs floor |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    floor = rows.get("floor")
    cmds = [c for c in ORDER if c in rows] + \
        [c for c in rows if c not in ORDER]
    for c in cmds:
        r = rows[c]
        ss = rows.get(ss_of(c))
        vs_ss = ratio(r.time, ss.time, timeout) if ss else "-"
        vs_floor = ratio(r.time, floor.time, timeout) if floor else "-"
        note = "" if r.ok else " (%s)" % ",".join(sorted(r.status))
        out.append("| `%s`%s | %s | %d | %.1f MiB | %s | %s | %s |" % (
            c, note, fmt_t(r, timeout), r.runs, r.rss / 1024.0,
            "-" if r.lines is None else f"{r.lines:,}", vs_ss, vs_floor))
    out.append("")
    return out


class Checker:
    def __init__(self):
        self.lines = []
        self.failed = 0
        self.passed = 0
        self.missing = 0

    def check(self, name, ok, detail):
        if ok is None:
            self.missing += 1
            self.lines.append("- n/a  %s: %s" % (name, detail))
            return
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self.lines.append("- %s %s: %s" % ("PASS" if ok else "FAIL", name,
                                          detail))


def time_targets(ck, n, rows, timeout, tag):
    def t(c):
        r = rows.get(c)
        if r is None or not r.ok:
            return "missing"
        return r.time

    floor, tan, ss_tan = t("floor"), t("tulpen -tan"), t("ss -tan")
    tanp, ss_tanp, lsof = t("tulpen -tanp"), t("ss -tanp"), \
        t("lsof -nP -iTCP")
    js, nd, s, = t("tulpen -tan --json"), t("tulpen -tan --ndjson"), \
        t("tulpen -s")

    def avail(*vals):
        return all(v != "missing" for v in vals)

    def bound(a, limit_factor, b, name, b_name, faster=False):
        """a <= limit_factor * b (faster=False) or a * f <= b."""
        if not avail(a, b):
            ck.check(name + tag, None, "missing or failed command")
            return
        if a is None:
            ck.check(name + tag, False, "%s timed out (> %g s)"
                     % (name.split(":")[0], timeout))
            return
        if b is None:
            # b timed out: b > timeout
            ok = (a * limit_factor <= timeout) if faster else False
            ck.check(name + tag, ok, "%.3f s vs %s > %g s (timeout)"
                     % (a, b_name, timeout))
            return
        if faster:
            ok = a * limit_factor <= b
            ck.check(name + tag, ok, "%.3f s vs %s %.3f s: %.1f x faster"
                     % (a, b_name, b, b / a if a else float("inf")))
        else:
            ok = a <= limit_factor * b
            ck.check(name + tag, ok, "%.3f s vs %s %.3f s: %.2f x"
                     % (a, b_name, b, a / b if b else float("inf")))

    bound(tan, 1.3, floor, "tulpen -tan <= 1.3 x floor", "floor")
    bound(tan, 2, ss_tan, "tulpen -tan >= 2 x faster than ss -tan",
          "ss -tan", faster=True)
    bound(tanp, 10, ss_tanp, "tulpen -tanp >= 10 x faster than ss -tanp",
          "ss -tanp", faster=True)
    bound(tanp, 2, lsof, "tulpen -tanp >= 2 x faster than lsof -nP -iTCP",
          "lsof", faster=True)
    bound(js, 1.5, tan, "tulpen -tan --json <= 1.5 x tulpen -tan",
          "tulpen -tan")
    bound(nd, 1.5, tan, "tulpen -tan --ndjson <= 1.5 x tulpen -tan",
          "tulpen -tan")
    bound(s, 1.1, floor, "tulpen -s <= 1.1 x floor", "floor")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=0)
    ap.add_argument("raw")
    a = ap.parse_args()
    sizes, meta = load(a.raw)
    ns = sorted(sizes)
    out = ["## Results", ""]
    for n in ns:
        out += table(n, sizes[n], meta, a.timeout)

    ck = Checker()
    official = 100000 in sizes
    main_n = 100000 if official else ns[-1]
    note = "" if official else \
        " (indicative: the targets apply at N = 100,000)"
    out.append("## Targets%s" % note)
    out.append("")
    time_targets(ck, main_n, sizes[main_n], a.timeout,
                 " [N=%s]" % f"{main_n:,}")
    for n in ns:
        if n > main_n:
            time_targets(ck, n, sizes[n], a.timeout,
                         " [holding at N=%s]" % f"{n:,}")

    # memory: flat without -p, <= ~64 bytes per socket fd with -p
    if len(ns) >= 2:
        n1, n2 = ns[0], ns[-1]
        for c in ("tulpen -tan", "tulpen -tan --json",
                  "tulpen -tan --ndjson", "tulpen -s"):
            r1, r2 = sizes[n1].get(c), sizes[n2].get(c)
            if not (r1 and r2):
                ck.check("%s peak memory flat in N" % c, None,
                         "no tulpen rows")
                continue
            growth = (r2.rss - r1.rss) / 1024.0
            ck.check("%s peak memory flat in N" % c, growth <= 1.0,
                     "%.1f MiB at N=%s, %.1f MiB at N=%s (%+.2f MiB; "
                     "allowed +1 MiB)" % (r1.rss / 1024.0, f"{n1:,}",
                                          r2.rss / 1024.0, f"{n2:,}",
                                          growth))
            tcp2 = meta[n2][0]
            name = "%s peak memory < 16 MiB at ~1M sockets" % c
            if tcp2 >= 900000:
                ck.check(name, r2.rss < 16 * 1024,
                         "%.1f MiB at %s TCP sockets" % (r2.rss / 1024.0,
                                                         f"{tcp2:,}"))
            else:
                ck.check(name, None, "largest size has only %s TCP "
                         "sockets (%.1f MiB there)"
                         % (f"{tcp2:,}", r2.rss / 1024.0))
        p1 = sizes[n1].get("tulpen -tanp")
        p2 = sizes[n2].get("tulpen -tanp")
        t1 = sizes[n1].get("tulpen -tan")
        t2 = sizes[n2].get("tulpen -tan")
        if p1 and p2 and p1.ok and p2.ok and t1 and t2:
            # what -p adds: the RSS over tulpen -tan's at the same size
            # (the table's row buffer fills up to its cap on both), per
            # extra socket fd; the raw growth is shown as well
            dfd = meta[n2][1] - meta[n1][1]
            raw = (p2.rss - p1.rss) * 1024.0 / dfd
            net = ((p2.rss - t2.rss) - (p1.rss - t1.rss)) * 1024.0 / dfd
            ck.check("tulpen -tanp <= ~64 bytes per socket fd", net <= 64,
                     "-p adds %.1f MiB at %s socket fds, %.1f MiB at %s: "
                     "%.1f bytes per socket fd (RSS of -tanp alone: "
                     "%.1f -> %.1f MiB, %.1f bytes per socket fd)" % (
                         (p1.rss - t1.rss) / 1024.0, f"{meta[n1][1]:,}",
                         (p2.rss - t2.rss) / 1024.0, f"{meta[n2][1]:,}",
                         net, p1.rss / 1024.0, p2.rss / 1024.0, raw))
        else:
            ck.check("tulpen -tanp <= ~64 bytes per socket fd", None,
                     "no tulpen -tanp rows")
        # linear time; the floor's own growth tells what the kernel (and
        # the machine's load) did between the two sizes
        if main_n < n2:
            n1 = main_n  # the growth: 100,000 -> 500,000
        factor = n2 / n1
        f1, f2 = sizes[n1].get("floor"), sizes[n2].get("floor")
        fgrow = ""
        if f1 and f2 and f1.time and f2.time:
            fgrow = f2.time / f1.time
        for c in ("tulpen -tan", "tulpen -tanp", "tulpen -tan --json",
                  "tulpen -tan --ndjson", "tulpen -s"):
            a1, a2 = sizes[n1].get(c), sizes[n2].get(c)
            name = "%s time linear (N=%s vs %s within %.1f x)" % (
                c, f"{n2:,}", f"{n1:,}", 1.1 * factor)
            if not (a1 and a2 and a1.ok and a2.ok) or a1.time is None \
                    or a2.time is None:
                ck.check(name, None, "missing, failed or timed out")
                continue
            g = a2.time / a1.time
            ck.check(name, g <= 1.1 * factor, "%.3f s -> %.3f s: %.2f x%s"
                     % (a1.time, a2.time, g,
                        " (the floor grew %.2f x)" % fgrow if fgrow else ""))
    out += ck.lines
    out.append("")
    out.append("%d passed, %d failed, %d not measurable" % (
        ck.passed, ck.failed, ck.missing))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
