#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Read meson's testlog.json and say honestly how the run went.

usage: testlog.py [--strict] BUILDDIR/meson-logs/testlog.json

Prints every test that did not pass, by name, with its result and the tail
of its output (the reason), and every skipped TAP subtest ("ok N # SKIP
..."): a test that passes with skipped subtests counts as skipped. With
--strict (root on a machine with BTF, where every capability is there) a
skip counts as a failure and is printed as FAILURE. The last line is
"COUNTS passed failed skipped" for scripts/check.sh.
"""
import json
import re
import sys

PASS = {'OK', 'EXPECTEDFAIL'}
SKIP = {'SKIP'}
TAP_SKIP = re.compile(r'^ok\b.*#\s*skip\b(.*)$', re.I | re.M)


def tail(text, lines=6):
    text = (text or '').rstrip('\n')
    out = [ln for ln in text.split('\n') if ln.strip()]
    return out[-lines:]


def main(argv):
    strict = '--strict' in argv
    paths = [a for a in argv[1:] if not a.startswith('--')]
    if len(paths) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(paths[0], encoding='utf-8', errors='replace') as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print(f'{paths[0]}: {e}')
        print('COUNTS 0 1 0')
        return 1
    passed = failed = skipped = 0
    for t in records:
        name = t.get('name', '?')
        result = t.get('result', '?')
        out = (t.get('stdout') or '') + (t.get('stderr') or '')
        subskips = TAP_SKIP.findall(t.get('stdout') or '')
        if result in PASS and subskips:
            result = 'SKIP'
            reason = [f'{len(subskips)} TAP subtest(s) skipped:'] + [
                '#' + s for s in subskips[:6]]
        else:
            reason = tail(out)
        if result in PASS:
            passed += 1
            continue
        if result in SKIP and not strict:
            skipped += 1
            label = 'SKIPPED'
        else:
            failed += 1
            label = 'FAILURE'
            if result in SKIP:
                label += ' (a skip, as root on a machine with BTF)'
            else:
                rc = t.get('returncode')
                label += f' ({result}, exit status {rc})'
                if isinstance(rc, int) and rc < 0:
                    label += f' killed by signal {-rc}'
        print(f'  {label}: {name}')
        for ln in reason or ['(no output)']:
            print(f'      {ln[:200]}')
    print(f'COUNTS {passed} {failed} {skipped}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
