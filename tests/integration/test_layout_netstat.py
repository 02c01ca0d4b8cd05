#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_layout_netstat.py - `tulpen --style=netstat` is what netstat
(net-tools) prints, byte for byte, for the same sockets: every TCP state,
UDP, RAW and UNIX sockets in a private network namespace
(layout_common.Population). netstat runs with -W where the population has
an address longer than its 23 columns: tulpen never truncates, and accepts
-W. netstat -c is checked to repeat the listing.

usage: test_layout_netstat.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import subprocess
import sys
import time

import layout_common as L

T = None


def case(args, timers=None, tulpen_args=None):
    def fn(pop):
        n = L.compare(["netstat"] + args,
                      [T, "--style=netstat"] + (tulpen_args or args),
                      timers=timers, attempts=3 if timers else 1)
        return "%d lines" % n
    name = "netstat %s" % " ".join(args)
    if tulpen_args:
        name += " (tulpen %s)" % " ".join(tulpen_args)
    return (name, fn)


def continuous(pop):
    """-c: the same listing again every second, until stopped."""
    want = L.run(["netstat", "-tlnW"]).stdout
    p = subprocess.Popen([T, "--style=netstat", "-tln", "-c"],
                         stdout=subprocess.PIPE)
    time.sleep(2.5)
    p.terminate()
    out, _ = p.communicate(timeout=10)
    reps = out.count(b"Active Internet connections")
    if reps < 2:
        raise L.Failed("-c printed the listing %d times in 2.5 s" % reps)
    if not out.startswith(want):
        raise L.Failed("-c's first listing differs from netstat -tlnW: %s" %
                       L.first_diff(want, out[:len(want)]))
    return "%d listings" % reps


def main(argv):
    global T
    T = L.tulpen_bin(argv)
    cases = [
        case(["-tulpenW"]),
        case(["-tulpenW"], tulpen_args=["-tulpen"]),  # no -W needed
        case(["-tanpoW"], timers="netstat"),
        case(["-xap"]),
        case(["-xa"]),
        case(["-tuwanW"]),
        case(["-tulnW", "--numeric-ports"]),
        case(["-tulpeW", "--numeric-hosts", "--numeric-ports"]),
        ("netstat -c", continuous),
    ]
    return L.tap_main(cases, setup=L.Population)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
