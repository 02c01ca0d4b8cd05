#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tulpen explain` from the outside: the diagram against its golden file
and 80 columns, --ascii, --dot (structure always; `dot` itself when
graphviz is installed), --json for every spelling over a recorded proc
root, and the errors: bad state, bad option, bad sysctl file, closed pipe.

usage: explain_cli.py [TULPEN FIXTURES_DIR]
(default: $TULPEN and $TULPEN_SRCDIR/tests/fixtures, as meson sets them)
"""
import json
import os
import re
import shutil
import subprocess
import sys

if len(sys.argv) > 2:
    TULPEN, FIXTURES = sys.argv[1], sys.argv[2]
else:
    TULPEN = os.environ["TULPEN"]
    FIXTURES = os.path.join(os.environ.get("TULPEN_SRCDIR", "."), "tests",
                            "fixtures")
PROC = os.path.join(FIXTURES, "explain", "proc")
failures = []


def run(*args, stdin=None):
    return subprocess.run([TULPEN, "explain", *args], capture_output=True,
                          text=True, input=stdin, timeout=30)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


# The diagram: golden, width, box drawing.
r = run()
check(r.returncode == 0, f"explain: exit {r.returncode}: {r.stderr}")
with open(os.path.join(FIXTURES, "explain", "diagram.txt"),
          encoding="utf-8") as f:
    check(r.stdout == f.read(), "explain: diagram differs from golden file")
for i, line in enumerate(r.stdout.split("\n"), 1):
    check(len(line) <= 80, f"diagram line {i} has {len(line)} columns")
check("┌" in r.stdout and "▶" in r.stdout, "diagram without box drawing")

r = run("--ascii")
check(r.returncode == 0 and r.stdout.isascii(), "--ascii is not ASCII")
check(max(len(l) for l in r.stdout.split("\n")) <= 80, "--ascii too wide")

# Graphviz.
r = run("--dot")
check(r.returncode == 0, f"--dot: exit {r.returncode}")
dot = r.stdout
check(dot.startswith("digraph tcp_states {\n") and dot.endswith("}\n"),
      "--dot: not one digraph")
states = {"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
          "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",
          "TIME-WAIT"}
nodes = set(re.findall(r'^\t"([A-Z12-]+)";$', dot, re.M))
check(nodes == states, f"--dot: nodes {sorted(nodes)}")
edge_re = re.compile(r'^\t"([A-Z12-]+)" -> "([A-Z12-]+)" '
                     r'\[label="((?:[^"\\]|\\.)*)", (style=[a-z]+[^\]]*)\];$')
solid = set()
for line in dot.split("\n"):
    if " -> " not in line:
        continue
    m = edge_re.match(line)
    check(m is not None, f"--dot: bad edge line {line!r}")
    if not m:
        continue
    check(m.group(1) in states and m.group(2) in states,
          f"--dot: unknown state in {line!r}")
    if m.group(4) == "style=solid":
        solid.add((m.group(1), m.group(2)))
figure5 = {
    ("CLOSED", "LISTEN"), ("CLOSED", "SYN-SENT"), ("LISTEN", "CLOSED"),
    ("LISTEN", "SYN-RECEIVED"), ("LISTEN", "SYN-SENT"),
    ("SYN-RECEIVED", "LISTEN"), ("SYN-SENT", "SYN-RECEIVED"),
    ("SYN-SENT", "CLOSED"), ("SYN-RECEIVED", "ESTABLISHED"),
    ("SYN-SENT", "ESTABLISHED"), ("SYN-RECEIVED", "FIN-WAIT-1"),
    ("ESTABLISHED", "FIN-WAIT-1"), ("ESTABLISHED", "CLOSE-WAIT"),
    ("FIN-WAIT-1", "FIN-WAIT-2"), ("FIN-WAIT-1", "CLOSING"),
    ("CLOSE-WAIT", "LAST-ACK"), ("FIN-WAIT-2", "TIME-WAIT"),
    ("CLOSING", "TIME-WAIT"), ("LAST-ACK", "CLOSED"),
    ("TIME-WAIT", "CLOSED"),
}
check(solid == figure5, f"--dot: solid edges differ from figure 5: "
      f"{sorted(solid ^ figure5)}")
check(dot.count("{") == dot.count("}") == 4, "--dot: braces")
ranks = re.findall(r'^\t\{ rank=same;((?: "[A-Z12-]+";)+) \}$', dot, re.M)
check(len(ranks) == 3 and all(set(re.findall(r'"([A-Z12-]+)"', r)) <= states
                              for r in ranks), "--dot: rank groups")
if shutil.which("dot"):
    g = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True,
                       text=True, timeout=60)
    check(g.returncode == 0 and "<svg" in g.stdout,
          f"dot -Tsvg failed: {g.stderr}")
else:
    print("note: graphviz not installed; --dot checked structurally only")

# The table as JSON: a first-match walk over it in Python gives the RFC's
# answers, so the JSON is the machine itself.
r = run("--json")
check(r.returncode == 0, f"--json: exit {r.returncode}")
table = json.loads(r.stdout)
check(set(table["states"]) == states, "--json: states")
check(sum(t["rfc_figure"] for t in table["transitions"]) == 20,
      "--json: 20 figure arrows")
FLAGS = {"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16}


def step(state, event, flags=(), conds=()):
    for t in table["transitions"]:
        if state not in t["from"] or t["event"] != event:
            continue
        if any((f in flags) != (f in t["flags_set"])
               for f in t["flags_tested"]):
            continue
        if any((c in conds) != (c in t["conditions_set"])
               for c in t["conditions_tested"]):
            continue
        return t["to"] or state, sorted(t["send"]), t["valid"]
    return None


for args, want in [
        (("LISTEN", "RECV", ("SYN",)), ("SYN-RECEIVED", ["ACK", "SYN"], True)),
        (("SYN-SENT", "RECV", ("SYN", "ACK")), ("ESTABLISHED", ["ACK"], True)),
        (("FIN-WAIT-1", "RECV", ("FIN", "ACK"), ("ACK_FIN",)),
         ("TIME-WAIT", ["ACK"], True)),
        (("FIN-WAIT-1", "RECV", ("FIN", "ACK")), ("CLOSING", ["ACK"], True)),
        (("CLOSED", "RECV", ("ACK",)), ("CLOSED", ["RST"], False)),
        (("LISTEN", "RECV", (), ("DATA",)), ("LISTEN", [], False)),
        (("SYN-RECEIVED", "RECV", ("RST",), ("PASSIVE",)),
         ("LISTEN", [], True)),
        (("ESTABLISHED", "SENT", ("FIN", "ACK")), ("FIN-WAIT-1", [], True)),
        (("TIME-WAIT", "TIMEOUT-2MSL"), ("CLOSED", [], True))]:
    got = step(*args)
    check(got == want, f"--json table: {args} -> {got}, want {want}")

# Every spelling, JSON, counts from the recorded proc root.
spellings = {
    "ESTABLISHED": ("ESTABLISHED", 2), "estab": ("ESTABLISHED", 2),
    "SYN-SENT": ("SYN-SENT", 0), "SYN_SEND": ("SYN-SENT", 0),
    "syn-received": ("SYN-RECEIVED", 0), "SYN-RECV": ("SYN-RECEIVED", 0),
    "SYN_RECV": ("SYN-RECEIVED", 0), "FIN-WAIT-1": ("FIN-WAIT-1", 0),
    "FIN_WAIT1": ("FIN-WAIT-1", 0), "fin-wait-2": ("FIN-WAIT-2", 3),
    "FIN_WAIT2": ("FIN-WAIT-2", 3), "TIME-WAIT": ("TIME-WAIT", 3),
    "TIME_WAIT": ("TIME-WAIT", 3), "TIMED_WAIT": ("TIME-WAIT", 3),
    "CLOSED": ("CLOSED", 0), "close": ("CLOSED", 0),
    "UNCONN": ("CLOSED", 0), "close-wait": ("CLOSE-WAIT", 3),
    "CLOSE_WAIT": ("CLOSE-WAIT", 3), "LAST-ACK": ("LAST-ACK", 0),
    "last_ack": ("LAST-ACK", 0), "LISTEN": ("LISTEN", 2),
    "Listening": ("LISTEN", 2), "CLOSING": ("CLOSING", 0),
}
for word, (state, count) in spellings.items():
    r = run("--json", "--proc-root", PROC, word)
    check(r.returncode == 0, f"{word}: exit {r.returncode}: {r.stderr}")
    try:
        d = json.loads(r.stdout)
    except ValueError as e:
        check(False, f"{word}: --json is not JSON: {e}")
        continue
    check(d["state"] == state, f"{word}: state {d['state']} != {state}")
    check(d["count"] == count, f"{word}: count {d['count']} != {count}")
    check(d["host"]["tcp_fin_timeout"] == 30, f"{word}: host values")
    check(isinstance(d["ways_in"], list) and isinstance(d["ways_out"], list),
          f"{word}: ways_in/ways_out")
    t = run("--proc-root", PROC, word)
    check(t.returncode == 0 and t.stdout.startswith(state + "  "),
          f"{word}: text output")
    check(f"Now on this host: {count} TCP socket" in t.stdout,
          f"{word}: count line")
    check(max(len(l) for l in t.stdout.split("\n")) <= 80,
          f"{word}: text wider than 80 columns")

r = run("--proc-root", PROC, "--json", "close-wait")
d = json.loads(r.stdout)
check("close()" in d["pileup"], "close-wait: pile-up text")
check(d["owners_command"] == "tulpen -tanp state close-wait",
      "close-wait: owners command")
r = run("--proc-root", PROC, "time-wait")
check("fixed 60 s" in r.stdout and "2 MSL" in r.stdout, "time-wait: 60 s")

# --no-count: no count at all.
r = run("--proc-root", PROC, "--no-count", "--json", "listen")
check(json.loads(r.stdout)["count"] is None, "--no-count still counted")

# Options may follow the state, as people type them.
r = run("close-wait", "--json", "--proc-root", PROC)
check(r.returncode == 0 and json.loads(r.stdout)["count"] == 3,
      "options after the state")

# Errors.
r = run("bogus-state")
check(r.returncode == 2 and "'bogus-state'" in r.stderr and
      "Try 'tulpen explain --help'." in r.stderr and not r.stdout,
      "bad state: exit 2 + name")
r = run("--frobnicate")
check(r.returncode == 2 and "--frobnicate" in r.stderr, "bad option")
r = run("--dot", "listen")
check(r.returncode == 2, "--dot with a state")
r = run("--dot", "--json")
check(r.returncode == 2 and "exclude" in r.stderr, "--dot with --json")
r = run("listen", "established")
check(r.returncode == 2 and "'established'" in r.stderr, "two states")
r = run("--proc-root", os.path.join(FIXTURES, "explain", "proc-bad"),
        "fin-wait-2")
check(r.returncode == 1 and "tcp_fin_timeout: not a number" in r.stderr
      and not r.stdout, "bad sysctl file: exit 1 naming it")
r = run("--proc-root", "/nonexistent/tulpen-proc", "listen")
check(r.returncode == 1 and "/nonexistent/tulpen-proc" in r.stderr and
      not r.stdout, "--proc-root that does not exist")
r = run("--proc-root", os.path.join(FIXTURES, "explain", "diagram.txt"),
        "listen")
check(r.returncode == 1 and "not a directory" in r.stderr,
      "--proc-root that is a file")
r = run("--proc-root", os.path.join(FIXTURES, "explain", "proc-bad"),
        "--help")
check(r.returncode == 0 and "Usage" in r.stdout, "--help")

# A transition's label is never split: no two lines hold its two halves
# (every label of the table, from the JSON), and no line starts with "/".
table = json.loads(run("--json").stdout)
labels = {t["label"] for t in table["transitions"]}
for st in ["closed", "time-wait", "established", "syn-received", "listen",
           "fin-wait-1", "close-wait"]:
    lines = [ln.strip() for ln in run("--no-count", st).stdout.split("\n")]
    split = [(x, y) for x, y in zip(lines, lines[1:]) for lab in labels
             for k in range(1, len(lab.split(" ")))
             if x.endswith(" ".join(lab.split(" ")[:k])) and
             y.startswith(" ".join(lab.split(" ")[k:]))]
    check(not split, f"explain {st}: no label split across lines {split}")
    check(not [ln for ln in lines if ln.startswith("/ ")],
          f"explain {st}: no line starts with '/ '")

# A closed pipe ends quietly (the reading end is closed before it runs).
rfd, wfd = os.pipe()
os.close(rfd)
p = subprocess.run([TULPEN, "explain"], stdout=wfd, stderr=subprocess.PIPE,
                   text=True, timeout=30)
os.close(wfd)
check(p.returncode == 0 and not p.stderr,
      f"closed pipe: exit {p.returncode} {p.stderr!r}")

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
