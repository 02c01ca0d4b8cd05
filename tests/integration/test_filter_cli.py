#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
test_filter_cli.py TULPEN - the command line of the filter language: errors
point (message, column, the expression echoed, a caret under the column),
exit 2 with nothing on standard output; -F FILE and -F - read the
expression; an unreadable file is a clear error. Needs no root (the
listings are of recorded /proc files). TAP output.
"""

import os
import subprocess
import sys
import tempfile

N = 0
FAILS = 0


def check(ok, what, detail=""):
    global N, FAILS
    N += 1
    FAILS += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", N, what))
    if not ok:
        for line in str(detail).splitlines():
            print("# " + line)


def run(tulpen, args, stdin=None):
    return subprocess.run([tulpen] + args, input=stdin, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def main():
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ["TULPEN"]
    src = os.environ.get("TULPEN_SRCDIR",
                         os.path.join(os.path.dirname(__file__), "../.."))
    proc = os.path.join(src, "tests", "fixtures", "proc", "allstates")
    base = ["--proc-root", proc, "-tan"]

    r = run(tulpen, base + ["sport", "="])
    want = ("tulpen: filter: expected a port after 'sport =', column 9\n"
            "  sport =\n"
            "          ^\n")
    check(r.returncode == 2 and r.stdout == "" and r.stderr == want,
          "a missing port: message, column, echo, caret, exit 2, no output",
          "exit %d\nstdout %r\nstderr %r" % (r.returncode, r.stdout,
                                             r.stderr))
    r = run(tulpen, base + ["( dport = :22 or", "sport = :foo )"])
    want = ("tulpen: filter: 'foo' is not a port (a number or a service "
            "name), column 26\n"
            "  ( dport = :22 or sport = :foo )\n"
            "                           ^\n")
    check(r.returncode == 2 and r.stdout == "" and r.stderr == want,
          "columns count across the words as the user typed them",
          r.stderr)
    r = run(tulpen, base + ["state", "established", "dport", "=", ":22",
                            "state", "listening"])
    check(r.returncode == 2 and "unexpected 'state', column 13" in r.stderr
          and r.stdout == "", "state words after the expression", r.stderr)

    whole = run(tulpen, base)
    sel = run(tulpen, base + ["sport", "=", ":22", "or", "dport", "=",
                              ":22"])
    check(whole.returncode == 0 and sel.returncode == 0 and
          0 < len(sel.stdout.splitlines()) < len(whole.stdout.splitlines()),
          "an expression selects some of the recorded sockets",
          sel.stdout + sel.stderr)
    with tempfile.NamedTemporaryFile("w", suffix=".filter",
                                     delete=False) as f:
        f.write("# the same, from a file\nsport = :22\nor dport = :22\n")
        path = f.name
    fromfile = run(tulpen, base + ["-F", path])
    check(fromfile.returncode == 0 and fromfile.stdout == sel.stdout,
          "-F FILE selects what the words select", fromfile.stderr)
    fromstdin = run(tulpen, base + ["-F", "-"],
                    stdin="sport = :22\nor dport = :22\n")
    check(fromstdin.returncode == 0 and fromstdin.stdout == sel.stdout,
          "-F - reads standard input", fromstdin.stderr)
    with open(path, "w") as f:
        f.write("# comment\nsport = :22\nor dport\n")
    bad = run(tulpen, base + ["-F", path])
    check(bad.returncode == 2 and bad.stdout == "" and
          "expected a port after 'dport', line 3, column 10" in bad.stderr
          and "  or dport\n" in bad.stderr,
          "an error in the file names its line and column", bad.stderr)
    os.unlink(path)
    gone = run(tulpen, base + ["-F", path])
    check(gone.returncode == 1 and "filter file '%s'" % path in gone.stderr
          and gone.stdout == "", "a missing filter file", gone.stderr)
    r = run(tulpen, base + ["sport", "=", ":22", "and"])
    check(r.returncode == 2 and
          "expected an expression after 'and'" in r.stderr,
          "a dangling operator", r.stderr)
    print("1..%d" % N)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
