#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_layout_ss.py - `tulpen --style=ss` is what ss prints, byte for byte,
for the same sockets: every TCP state, UDP, RAW and UNIX sockets in a
private network namespace (layout_common.Population). Each case runs ss
and tulpen with the same options (layout_common.compare()).

usage: test_layout_ss.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import layout_common as L

T = None


def case(args, timers=None, drop=None, attempts=1, pause=0):
    def fn(pop):
        n = L.compare(["ss"] + args, [T, "--style=ss"] + args, timers=timers,
                      drop=drop, attempts=attempts, pause=pause)
        return "%d lines" % n
    return ("ss %s" % " ".join(args), fn)


HOLD = r"""
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, n = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", port))
ls.listen(4096)
keep = []
for i in range(n):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    keep += [c, ls.accept()[0]]
print("ready", flush=True)
time.sleep(300)
"""


def large(pop):
    """72,000 sockets (7 MB of -tanp): ss renders what it holds each time
    five 1 MiB chunks are in use, and so its column widths restart; tulpen
    must break where ss does."""
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write("10000 65000")
    procs = [subprocess.Popen([sys.executable, "-c", HOLD, str(9100 + i),
                               "9000"], stdout=subprocess.PIPE)
             for i in range(4)]
    try:
        for p in procs:
            if p.stdout.readline() != b"ready\n":
                raise L.Failed("a holder of 9000 connections did not start")
        # two triples: on a loaded host a holder may still be settling
        n = L.compare(["ss", "-tanp"], [T, "--style=ss", "-tanp"],
                      attempts=2)
        if n < 72000:
            raise L.Failed("only %d lines" % n)
        return "%d lines" % n
    finally:
        for p in procs:
            p.kill()
            p.wait()


def on_tty(cmd, cols):
    """@cmd's output on a pseudo-terminal @cols columns wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols,
                                                       0, 0))
    p = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait()
    return out


def terminal(pop):
    """On a terminal ss spreads the columns over its width (and starts a
    new line for a column that does not fit): tulpen too, at 80, 132 and
    250 columns."""
    for cols in (80, 132, 250):
        for args in (["-tuan"], ["-xa"]):
            want = [on_tty(["ss"] + args, cols) for _ in range(2)]
            got = on_tty([T, "--style=ss"] + args, cols)
            if got not in want:
                raise L.Failed("%d columns, %s: %s" % (
                    cols, " ".join(args), L.first_diff(want[0], got)))
    return "80, 132, 250 columns"


def main(argv):
    global T
    T = L.tulpen_bin(argv)
    cases = [
        case(["-tuanp"]),
        case(["-tuan"]),
        case(["-tuap"]),  # service names and RAW-less: names as ss has them
        case(["-xa"]),
        case(["-xap"]),
        case(["-tuwxan"]),
        case(["-wa"]),  # RAW ports by protocol name (icmp)
        case(["-tln"]),  # one state table: no Netid
        case(["-tan", "state", "established"]),  # one state: no State
        case(["-4tuan"]),
        case(["-6tuan"]),
        case(["-tuanpH"]),
        case(["-tuanpo"], timers="ss", attempts=3),
        # see compare(): counters that move, sockets freed after a grace
        case(["-s"], attempts=10, pause=0.2),
        ("ss -tanp, 72,000 sockets: rendered in parts where ss does",
         large),
        ("on a terminal: columns spread over its width", terminal),
    ]
    return L.tap_main(cases, setup=L.Population)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
