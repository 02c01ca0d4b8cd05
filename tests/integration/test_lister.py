#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_lister.py - the socket lister against the kernel's truth.

Builds every TCP state (and UDP/UNIX sockets) with sockstates.py in a
private network namespace, then compares what tulpen prints with what `ss`,
`netstat` and /proc/net report for the same sockets. Output is TAP: one
test case per check, each failure with a message saying what differs.

usage: test_lister.py [--tap] [TULPEN_BINARY]   (default: $TULPEN)

Needs root (a private netns, nftables); without it prints a TAP skip plan
and exits 77 (exit 0 with --tap, as meson's TAP protocol wants).
Python stdlib only.
"""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lister_common as C  # noqa: E402
# the cases, in the order they run
import lister_cases_records  # noqa: E402,F401
import lister_cases_layouts  # noqa: E402,F401


# ------------------------------------------------------------------- main

def main(argv):
    tap = False
    if argv and argv[0] == "--tap":
        tap = True
        argv = argv[1:]
    skip_rc = 0 if tap else C.S.SKIP
    if not argv and os.environ.get("TULPEN"):
        argv = [os.environ["TULPEN"]]
    if len(argv) != 1:
        print("usage: test_lister.py [--tap] TULPEN_BINARY (or $TULPEN)",
              file=sys.stderr)
        return 2
    C.TULPEN = os.path.abspath(argv[0])
    if not os.access(C.TULPEN, os.X_OK):
        print("1..0 # SKIP tulpen binary %s not found" % C.TULPEN)
        return skip_rc
    t0 = time.monotonic()
    try:
        C.S.need_tools("setpriv")
        C.SC = C.S.build()
    except C.S.SkipTest as e:
        print("1..0 # SKIP %s" % e)
        return skip_rc
    except C.S.HarnessError as e:
        print("1..1\nnot ok 1 - harness: every TCP state is held")
        for line in str(e).splitlines():
            print("# " + line)
        return 1
    failed = 0
    try:
        C.SC.nobody = C.SC.add_foreign_owner()
        C.SC.verify()
        print("# harness ready in %.2f s (%d sockets)" %
              (time.monotonic() - t0, len(C.SC.expect)))
        for n, (name, fn) in enumerate(C.TESTS, 1):
            t1 = time.monotonic()
            try:
                fn()
                print("ok %d - %s" % (n, name))
            except C.Skip as e:
                print("ok %d - %s # SKIP %s" % (n, name, e))
            except C.Fail as e:
                failed += 1
                print("not ok %d - %s" % (n, name))
                for line in str(e).splitlines():
                    print("#   " + line)
            except Exception as e:  # a bug in the test itself
                failed += 1
                print("not ok %d - %s" % (n, name))
                print("#   test error: %s: %s" % (type(e).__name__, e))
            dt = time.monotonic() - t1
            if dt > float(os.environ.get("TULPEN_IT_SLOW", "5")):
                print("# (took %.1f s)" % dt)
            sys.stdout.flush()
        print("1..%d" % len(C.TESTS))
        print("# %d passed, %d failed in %.1f s" %
              (len(C.TESTS) - failed, failed, time.monotonic() - t0))
    finally:
        C.SC.teardown()
        d = C._cache.get("nobody-bin")
        if d and d[0]:
            shutil.rmtree(os.path.dirname(d[1]), ignore_errors=True)
    # Under TAP the "not ok" lines carry the verdict.
    return 0 if tap or not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
