#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The conventions every tulpen subcommand keeps, checked from the outside:

- --help lists every long and short option the parser accepts (read from
  the option tables in the source, so a new option without help fails),
  fits 80 columns and goes to standard output with exit 0;
  `tulpen help [COMMAND]` prints the same as `tulpen [COMMAND] --help`;
  `tulpen --help` names every subcommand of cli/main.c;
- --version prints "tulpen VERSION" (meson.build's) and exits 0;
- errors read "tulpen[ COMMAND]: WHAT: DETAIL"; usage errors end with
  "Try 'tulpen[ COMMAND] --help'." and exit 2, runtime errors exit 1
  without the hint; nothing goes to standard output;
- --proc-root reads recorded sockets only: it implies --source=proc, and
  a netlink source with it is a usage error.

usage: conventions.py [TULPEN SRCDIR]
(default: $TULPEN and $TULPEN_SRCDIR, as meson sets them)
"""
import json
import os
import re
import subprocess
import sys

if len(sys.argv) > 2:
    TULPEN, SRC = sys.argv[1], sys.argv[2]
else:
    TULPEN = os.environ["TULPEN"]
    SRC = os.environ.get("TULPEN_SRCDIR",
                         os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(SRC, "tests", "fixtures")

# Subcommand -> the source file holding its option table. The lister is "".
OPTION_SOURCES = {
    "": "cli/list_opts.c",
    "explain": "cli/cmd_explain.c",
    "pcap": "cli/cmd_pcap.c",
    "watch": "cli/cmd_watch.c",
    "serve": "cli/cmd_serve.c",
    "doctor": "cli/cmd_doctor.c",
}
# Every subcommand: `tulpen help X` is `tulpen X --help`.
ALL_COMMANDS = ["", "explain", "pcap", "watch", "serve", "doctor"]

failures = []
count = 0


def check(cond, what):
    global count
    count += 1
    if cond:
        print("ok -", what)
    else:
        failures.append(what)
        print("not ok -", what)


def run(*args, cmd=""):
    argv = [TULPEN] + ([cmd] if cmd else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def read(path):
    with open(os.path.join(SRC, path), encoding="utf-8") as f:
        return f.read()


def options_in(path):
    """Long options of every `struct option` table in @path, and the short
    ones of its getopt_long() option string."""
    text = read(path)
    longs = re.findall(r'\{\s*"([a-z0-9-]+)",\s*(?:no|required|optional)'
                       r'_argument', text)
    shorts = set()
    for s in re.findall(r'getopt_long\(\s*argc,\s*argv,\s*"([^"]*)"', text):
        shorts |= {c for c in s if c.isalnum()}
    if not longs:
        raise SystemExit("no option table found in " + path)
    return sorted(set(longs)), sorted(shorts)


def version():
    m = re.search(r"version\s*:\s*'([^']+)'", read("meson.build"))
    return m.group(1)


# --help lists every option, in 80 columns, on stdout.
for cmd, path in OPTION_SOURCES.items():
    name = ("tulpen " + cmd).strip()
    longs, shorts = options_in(path)
    r = run("--help", cmd=cmd)
    check(r.returncode == 0 and not r.stderr,
          f"{name} --help: exit {r.returncode}, stderr {r.stderr!r}")
    missing = [o for o in longs
               if not re.search(r"--%s(?![a-z0-9-])" % re.escape(o),
                                r.stdout)]
    check(not missing and len(longs) > 3,
          f"{name} --help lists all {len(longs)} long options"
          + (f"; missing: {', '.join(missing)}" if missing else ""))
    missing = [o for o in shorts
               if not re.search(r"(?<![a-z0-9-])-%s\b" % re.escape(o),
                                r.stdout)]
    check(not missing,
          f"{name} --help lists the short options {''.join(shorts)}"
          + (f"; missing: {' '.join(missing)}" if missing else ""))
    wide = [l for l in r.stdout.splitlines() if len(l) > 80]
    check(not wide, f"{name} --help fits 80 columns: {wide[:1]}")
    h = run("-h", cmd=cmd)
    check(h.returncode == 0 and h.stdout == r.stdout, f"{name} -h")

# The man page documents every option too.
man = read("docs/tulpen.1").replace("\\-", "-")
for cmd, path in OPTION_SOURCES.items():
    longs, _ = options_in(path)
    missing = [o for o in longs
               if not re.search(r"--%s(?![a-z0-9-])" % re.escape(o), man)]
    check(not missing, f"docs/tulpen.1 documents every option of {path}"
          + (f"; missing: {', '.join(missing)}" if missing else ""))

# The lister's help: grouped, with the filters and every subcommand.
r = run("--help")
commands = re.findall(r'\{\s*"([a-z]+)",\s*cmd_', read("cli/main.c"))
check(len(commands) >= 4, f"subcommands read from cli/main.c: {commands}")
for c in commands:
    check(re.search(r"^   %s\b" % c, r.stdout, re.M),
          f"tulpen --help names the subcommand '{c}'")
check("\n\n" in r.stdout and "FILTER :=" in r.stdout and
      "Commands:" in r.stdout, "tulpen --help: groups, FILTER, Commands")

# tulpen help [COMMAND] is tulpen [COMMAND] --help.
for cmd in ALL_COMMANDS:
    want = run("--help", cmd=cmd)
    got = run(*([cmd] if cmd else []), cmd="help")
    check(got.returncode == want.returncode == 0 and
          got.stdout == want.stdout and got.stdout,
          f"tulpen help {cmd}: the same as tulpen {cmd} --help".replace(
              "  ", " "))
r = run("help", cmd="help")
check(r.returncode == 0 and r.stdout == run("--help").stdout,
      "tulpen help help")

# --version everywhere it is owned.
want = "tulpen %s\n" % version()
for cmd in list(OPTION_SOURCES) + ["help"]:
    for opt in ("--version", "-V"):
        r = run(opt, cmd=cmd)
        check(r.returncode == 0 and r.stdout == want and not r.stderr,
              f"tulpen {cmd} {opt}: {r.stdout!r}, exit {r.returncode}"
              .replace("  ", " "))

# Usage errors: the message, the hint, exit 2, nothing on stdout.
USAGE = [
    # (command, args, the message after "tulpen[ COMMAND]: ")
    ("", ["lisen"], "unknown command or filter word 'lisen'"),
    ("", ["-tz"], "unknown option '-z'"),
    ("", ["--frobnicate"], "unknown option '--frobnicate'"),
    ("", ["--tcp=1"], "--tcp: takes no argument"),
    ("", ["--style"], "--style: needs an argument"),
    ("", ["--style=xml"], "--style: 'xml' is not table, ss or netstat"),
    ("", ["--source=bpf"], "--source: 'bpf' is not auto, netlink or proc"),
    ("", ["--color=pink"], "--color: 'pink' is not auto, always or never"),
    ("", ["-r", "--resolve-timeout=soon"],
     "--resolve-timeout: 'soon' is not a duration (milliseconds, or "
     "500ms, 2s, 1.5m)"),
    ("", ["-r", "--resolve-timeout=0"],
     "--resolve-timeout: '0' is out of range (1ms to 1d)"),
    ("", ["--proc-root="], "--proc-root: the directory name is empty"),
    ("", ["--proc-root", os.path.join(FIXTURES, "proc", "basic"),
          "--source=netlink"],
     "--proc-root and --source=netlink exclude each other (--proc-root "
     "reads recorded sockets)"),
    ("", ["--source=auto", "--proc-root",
          os.path.join(FIXTURES, "proc", "basic")],
     "--proc-root and --source=auto exclude each other (--proc-root "
     "reads recorded sockets)"),
    ("", ["--proc-root", os.path.join(FIXTURES, "proc", "basic"),
          "--nl-replay", os.path.join(FIXTURES, "netlink", "basic.nlrec")],
     "--proc-root and --nl-replay exclude each other (--proc-root reads "
     "recorded sockets)"),
    ("explain", ["--frobnicate"], "unknown option '--frobnicate'"),
    ("explain", ["-z"], "unknown option '-z'"),
    ("explain", ["--dot=yes"], "--dot: takes no argument"),
    ("explain", ["--proc-root"], "--proc-root: needs an argument"),
    ("explain", ["--proc-root=", "listen"],
     "--proc-root: the directory name is empty"),
    ("explain", ["bogus-state"], "unknown TCP state 'bogus-state'"),
    ("explain", ["listen", "established"],
     "one state at a time, not 'established'"),
    ("watch", ["--frobnicate"], "unknown option '--frobnicate'"),
    ("watch", ["--json=1"], "--json: takes no argument"),
    ("watch", ["--interval"], "--interval: needs an argument"),
    ("watch", ["--ringbuf-mb", "0"],
     "--ringbuf-mb: '0' is out of range (1 to 1024)"),
    # the filter language's errors point (docs/filters.md)
    ("watch", ["port"], "filter: expected a port after 'port', column 6\n"
     "  port\n       ^"),
    ("watch", ["--bogus"], "unknown option '--bogus'"),
    ("watch", ["-x"], "unknown option '-x'"),
    ("watch", ["--netns"], "--netns: needs an argument"),
    ("watch", ["state", "nosuch"], "state: unknown state 'nosuch'"),
    ("serve", ["--bogus"], "unknown option '--bogus'"),
    ("serve", ["--top-k=x"], "--top-k: 'x' is not a whole number"),
    ("help", ["nosuch"], "unknown command 'nosuch'"),
    ("help", ["--frobnicate"], "unknown option '--frobnicate'"),
]
for cmd, args, msg in USAGE:
    prefix = ("tulpen " + cmd).strip()
    hint = "Try 'tulpen%s --help'." % (
        " " + cmd if cmd and cmd != "help" else "")
    r = run(*args, cmd=cmd)
    what = f"{prefix} {' '.join(args)}"
    check(r.returncode == 2, f"{what}: exit {r.returncode}, wanted 2")
    check(r.stderr == f"{prefix}: {msg}\n{hint}\n",
          f"{what}: says {r.stderr!r}")
    check(not r.stdout, f"{what}: nothing on stdout")

# Runtime errors: the message, exit 1, no hint.
RUNTIME = [
    ("", ["--proc-root", "/nonexistent/tulpen", "-t"],
     "--proc-root /nonexistent/tulpen: No such file or directory"),
    ("", ["--proc-root", os.path.join(SRC, "meson.build"), "-t"],
     "--proc-root %s: not a directory" % os.path.join(SRC, "meson.build")),
    # a directory that is no proc file system (no net/ in it)
    ("", ["--proc-root", os.path.join(FIXTURES, "proc"), "-tan"], None),
    ("explain", ["--proc-root", "/nonexistent/tulpen", "listen"],
     "--proc-root /nonexistent/tulpen: No such file or directory"),
    ("watch", ["--netns", "/nonexistent/tulpen", "--duration", "0.1"],
     "--netns /nonexistent/tulpen: No such file or directory"),
]
for cmd, args, msg in RUNTIME:
    prefix = ("tulpen " + cmd).strip()
    r = run(*args, cmd=cmd)
    what = f"{prefix} {' '.join(args)}"
    check(r.returncode == 1, f"{what}: exit {r.returncode}, wanted 1")
    if msg:
        check(r.stderr == f"{prefix}: {msg}\n", f"{what}: says {r.stderr!r}")
    else:
        check(r.stderr.startswith(prefix + ": ") and
              r.stderr.count("\n") == 1 and "Try" not in r.stderr,
              f"{what}: one line naming the failure: {r.stderr!r}")
    check(not r.stdout, f"{what}: nothing on stdout")

# Standard output that cannot be written is a runtime error, said once.
for cmd, opt, what in (("", "--help", "help"), ("", "--version", "version"),
                       ("explain", "--help", "help"),
                       ("explain", "--version", "version"),
                       ("help", "explain", "help")):
    prefix = ("tulpen " + cmd).strip()
    if cmd == "help":
        prefix = "tulpen explain"
    argv = [TULPEN] + ([cmd] if cmd else []) + [opt]
    with open("/dev/full", "w") as full:
        r = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    check(r.returncode == 1 and r.stderr ==
          f"{prefix}: writing the {what}: No space left on device\n",
          f"{' '.join(argv[1:])} >/dev/full: exit {r.returncode}, "
          f"{r.stderr!r}")

# --proc-root implies --source=proc: every socket of the recorded files,
# each from /proc, none from the live kernel's netlink.
case = os.path.join(FIXTURES, "proc", "allstates")
lines = 0
for f in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix"):
    with open(os.path.join(case, "net", f)) as fh:
        lines += len(fh.readlines()) - 1
implied = run("--proc-root", case, "-tuwxan", "--json")
explicit = run("--proc-root", case, "--source=proc", "-tuwxan", "--json")
check(implied.returncode == 0 and explicit.returncode == 0,
      f"--proc-root listing: exit {implied.returncode}: {implied.stderr}")
try:
    rows = json.loads(implied.stdout)
except ValueError as e:
    rows = []
    check(False, f"--proc-root --json: not JSON: {e}")
check(len(rows) == lines,
      f"--proc-root: {len(rows)} sockets, the files hold {lines}")
check(rows and all(r.get("source") == "proc" for r in rows),
      "--proc-root: every socket from /proc: %s" %
      sorted({r.get("source") for r in rows}))
check(implied.stdout == explicit.stdout,
      "--proc-root alone lists the same as with --source=proc")
t = run("--proc-root", case, "-tan")
check(t.returncode == 0 and t.stdout ==
      run("--proc-root", case, "--source=proc", "-tan").stdout,
      "--proc-root table: the same as with --source=proc")

print(f"{count - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
