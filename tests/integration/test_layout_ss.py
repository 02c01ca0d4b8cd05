#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_layout_ss.py - `tulpen --style=ss` is what ss prints, byte for byte,
for the same sockets: every TCP state, UDP, RAW and UNIX sockets in a
private network namespace (layout_common.Population). Each case runs ss
and tulpen with the same options (layout_common.compare()).

usage: test_layout_ss.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import sys

import layout_common as L

T = None


def case(args, timers=None, drop=None, attempts=1):
    def fn(pop):
        n = L.compare(["ss"] + args, [T, "--style=ss"] + args, timers=timers,
                      drop=drop, attempts=attempts)
        return "%d lines" % n
    return ("ss %s" % " ".join(args), fn)


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
        case(["-tuanpo"], timers="ss"),
        case(["-s"], attempts=10),  # see compare(): counters that move
    ]
    return L.tap_main(cases, setup=L.Population)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
