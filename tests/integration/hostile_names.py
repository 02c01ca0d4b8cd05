#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
hostile_names.py - names that try to forge output, in every layout.

In a private network namespace a process with a hostile argv[0] renames
itself (a command name holding a newline and a terminal escape) and binds
UNIX sockets whose
paths hold a newline that prints a fake "unix LISTEN" row, ESC sequences,
invalid UTF-8, a backslash, a right-to-left override, and an abstract name
with a NUL in it. Then, for the table, --style=ss and --style=netstat (with
and without -p) and the summary of namespaces:

- no byte of the output is a control character (but the newline ending
  each line) or DEL, and it is valid UTF-8;
- there is one row per socket bound (the names are what we bound, so the
  expectation comes from the kernel's side, not from tulpen);
- each path and the command name appear escaped as docs/escape.md says
  (reimplemented here from the document), and unescaping gives the bytes
  back;
- --json and --ndjson carry the raw bytes (JSON's escapes only).

usage: hostile_names.py [--tap] [TULPEN_BINARY]   (default: $TULPEN)
Needs root; without it a TAP skip. Python stdlib only.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

TULPEN = None
NS = "tulpen-hostile-%d" % os.getpid()

# The names: bytes, as bound.
DIR = tempfile.mkdtemp(prefix="tulpen-hn-")
PATHS = [
    (DIR + "/a\nunix  LISTEN      -      - @forged (stream) *").encode(),
    (DIR + "/\x1b[31mred\x1b[0m\x1b]0;title\x07").encode(),
    DIR.encode() + b"/bad\xff\xfe\xc3utf8",
    DIR.encode() + b"/back\\slash\"q",
    DIR.encode() + "/\u202egnp.exe".encode(),
    DIR.encode() + "/caf\u00e9".encode(),
]
ABSTRACT = b"\0tulpen-hn\x1b[2J\nx"  # shown as "@...": NULs become '@'
COMM = b"ev\nil\x1b[2J"              # 15 bytes at most

CHILD = r"""
import ctypes, os, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p(%r), 0, 0, 0)   # PR_SET_NAME
keep = []
for p in %r:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    s.listen()
    keep.append(s)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(%r)
s.listen()
keep.append(s)
print("ready", flush=True)
sys.stdin.read()
""" % (COMM, PATHS, ABSTRACT)


def escape(b):
    """docs/escape.md, independently of lib/fmt/escape.c."""
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        if 0x20 <= c < 0x7f and c not in (0x5c, 0x22):
            out.append(chr(c))
            i += 1
            continue
        n = 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef else \
            4 if 0xf0 <= c <= 0xf4 else 0
        if n:
            try:
                cp = ord(b[i:i + n].decode("utf-8"))
            except (UnicodeDecodeError, TypeError):
                cp = 0
            if cp >= 0xa0 and not (cp in (0x61c, 0x200e, 0x200f) or
                                   0x2028 <= cp <= 0x202e or
                                   0x2066 <= cp <= 0x2069):
                out.append(chr(cp))
                i += n
                continue
        out.append("\\\\" if c == 0x5c else "\\%03o" % c)
        i += 1
    return "".join(out)


def unescape(s):
    return re.sub(rb"\\(\\|[0-3][0-7][0-7])",
                  lambda m: b"\\" if m.group(1) == b"\\"
                  else bytes([int(m.group(1), 8)]), s.encode())


def shown(p):
    """The name as the listing shows it (abstract: '@', NULs as '@')."""
    return p.replace(b"\0", b"@")


class Fail(Exception):
    pass


def run(*args):
    p = subprocess.run(["ip", "netns", "exec", NS, TULPEN] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    if p.returncode != 0:
        raise Fail("`tulpen %s` exited %d: %r" % (" ".join(args),
                                                  p.returncode, p.stderr))
    return p.stdout


def clean(out, what):
    for i, c in enumerate(out):
        if (c < 0x20 and c != 0x0a) or c == 0x7f:
            raise Fail("%s: byte 0x%02x at %d: %r" %
                       (what, c, i, out[max(0, i - 40):i + 40]))
    try:
        out.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("%s: not UTF-8: %s" % (what, e))


def check_text(args, want_comm):
    out = run(*args)
    what = "tulpen " + " ".join(args)
    clean(out, what)
    text = out.decode()
    lines = [ln for ln in text.split("\n") if ln.strip()]
    names = PATHS + [shown(ABSTRACT)]
    rows = [ln for ln in lines if ln.startswith("u_str") or
            ln.startswith("unix")]
    if len(rows) != len(names):
        raise Fail("%s: %d rows, %d sockets bound:\n%s" %
                   (what, len(rows), len(names), text))
    for p in names:
        e = escape(p)
        hit = [r for r in rows if e in r]
        if len(hit) != 1:
            raise Fail("%s: %r (escaped %r) in %d rows:\n%s" %
                       (what, p, e, len(hit), text))
        if unescape(e) != p:
            raise Fail("escape of %r does not reverse" % p)
    if want_comm:
        e = escape(COMM)
        if sum(e in r for r in rows) != len(names):
            raise Fail("%s: command name not shown escaped (%r) in every "
                       "row:\n%s" % (what, e, text))


def check_json(fmt):
    out = run("-xa", "-p", fmt)
    text = out.decode("utf-8", "surrogateescape")
    docs = json.loads(text) if fmt == "--json" else \
        [json.loads(ln) for ln in text.splitlines()]
    got = sorted(d["path"].encode("utf-8", "surrogateescape") for d in docs)
    want = sorted(shown(p) for p in PATHS + [ABSTRACT])
    if got != want:
        raise Fail("%s paths %r, bound %r" % (fmt, got, want))
    comms = {p["command"].encode("utf-8", "surrogateescape")
             for d in docs for p in d.get("processes") or []}
    if comms != {COMM}:
        raise Fail("%s commands %r, want %r" % (fmt, comms, COMM))


def main(argv):
    global TULPEN
    tap = argv[:1] == ["--tap"]
    argv = argv[1:] if tap else argv
    TULPEN = os.path.abspath(argv[0] if argv else os.environ["TULPEN"])
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (a private network namespace)")
        return 0 if tap else 77
    tests = [
        ("table", lambda: check_text(["-xa"], False)),
        ("table -p", lambda: check_text(["-xap"], True)),
        ("--style=ss", lambda: check_text(["-xa", "--style=ss"], False)),
        ("--style=ss -p", lambda: check_text(["-xap", "--style=ss"], True)),
        ("--style=netstat", lambda: check_text(["-xa", "--style=netstat"],
                                               False)),
        ("--style=netstat -p",
         lambda: check_text(["-xap", "--style=netstat"], True)),
        ("--style=netstat, /proc/net/unix source",
         lambda: check_text(["-xa", "--style=netstat", "--source=proc"],
                            False)),
        ("--json raw", lambda: check_json("--json")),
        ("--ndjson raw", lambda: check_json("--ndjson")),
    ]
    subprocess.run(["ip", "netns", "add", NS], check=True)
    child = None
    try:
        # argv[0] is hostile too: netstat names the program by it
        child = subprocess.Popen(["ip", "netns", "exec", NS, "/bin/bash",
                                  "-c", 'exec -a "$0" /usr/bin/python3 '
                                  '-c "$1"', COMM, CHILD],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        if child.stdout.readline().strip() != b"ready":
            raise SystemExit("the socket holder did not start")
        print("1..%d" % len(tests))
        failed = 0
        for i, (name, fn) in enumerate(tests, 1):
            try:
                fn()
                print("ok %d - %s" % (i, name))
            except (Fail, subprocess.TimeoutExpired, ValueError,
                    KeyError) as e:
                failed += 1
                print("not ok %d - %s" % (i, name))
                for ln in str(e).splitlines()[:30]:
                    print("# " + ln)
        return 1 if failed and not tap else 0
    finally:
        if child:
            child.stdin.close()
            child.wait(10)
        subprocess.run(["ip", "netns", "del", NS])
        for p in PATHS:
            try:
                os.unlink(p)
            except OSError:
                pass
        os.rmdir(DIR)
        time.sleep(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
