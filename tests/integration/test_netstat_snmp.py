#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_netstat_snmp.py - `tulpen -s --style=netstat` is what `netstat -s`
(net-tools) prints, byte for byte, in a private network namespace with
traffic (snmp_traffic.py: TCP and UDP over IPv4 and IPv6, resets,
retransmissions, a listen queue overflowing, SYN cookies, ICMP). Each
variant runs netstat, tulpen, netstat: tulpen must equal one of the two
(a counter may move in between: a TIME-WAIT ending, a delayed ACK), with
up to five such tries. The namespace is attached as snmp<pid>.

usage: test_netstat_snmp.py [--tap] TULPEN_BINARY   (TAP on stdout)
"""

import os
import re
import sys

import layout_common as L
import snmp_traffic as ST
import sockstates as S

T = None


class Traffic:
    """A private netns (snmp<pid>) with snmp_traffic's traffic done."""

    def __init__(self):
        self.name = "snmp%d" % os.getpid()
        self.attached = False

    def __enter__(self):
        S.enter_private_netns()
        os.makedirs("/run/netns", exist_ok=True)
        p = L.run(["ip", "netns", "attach", self.name, str(os.getpid())],
                  check=False)
        self.attached = p.returncode == 0
        ST.make()
        return self

    def __exit__(self, *exc):
        if self.attached:
            L.run(["ip", "netns", "delete", self.name], check=False)
        return False


def case(args):
    def fn(env):
        n = L.compare(["netstat", "-s"] + args,
                      [T, "-s", "--style=netstat"] + args, attempts=5)
        return "%d lines" % n
    return ("netstat -s %s" % " ".join(args), fn)


def nonzero(env):
    """The traffic moved what it is for: the test is not over zeros."""
    out = L.run(["netstat", "-s"]).stdout.decode()
    for want in ("active connection openings", "segments retransmitted",
                 "times the listen queue of a socket overflowed",
                 "packets to unknown port received", "echo requests",
                 "SYN cookies sent", "TCPReqQFullDoCookies"):
        nums = [int(re.search(r"\d+", x).group()) for x in out.splitlines()
                if want in x]
        if not nums or max(nums) == 0:
            raise L.Failed("netstat -s shows no %r" % want)
    return None


def main(argv):
    global T
    T = L.tulpen_bin(argv)
    cases = [("traffic counted", nonzero)] + [case(a) for a in ST.CASES]
    cases.append(case(["-S"]))  # no section netstat knows: the others
    return L.tap_main(cases, setup=Traffic)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
