#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every JSON output tulpen can make without a live network, validated.

usage: run.py TULPEN [SRCDIR]

TAP, one subtest per command: the lister (--json, --ndjson, -s --json, with
and without -e -o -p) over every recorded /proc tree and netlink dump in
tests/fixtures, `tulpen explain --json` for every state and the table,
`tulpen pcap` (--json, --ndjson, -v --json, -s --json) over every capture
in tests/fixtures/pcap, and, as root only (the watch CLI cannot replay a
recording), `tulpen watch --ndjson` in a network namespace of its own while
connections open, close, reset and are refused there (every record type
must appear), and short `--source=sampled` runs.

Checks of outputs whose room is still moving to the vocabulary are listed
in PENDING: they run, but report as TAP TODO (an expected failure) until the
lead removes them from the list after merging that room. Set
TULPEN_SCHEMA_STRICT=1 to count them as ordinary checks.
"""
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from validate import SchemaViolation, validate_text  # noqa: E402

# Rooms whose JSON is not in the vocabulary on this branch yet, with the
# reason: their checks are TAP TODO (a passing TODO fails the test, as a
# reminder to take the room out of here once its JSON has landed). Empty:
# every room's JSON is checked. e.g. 'watch': 'watch JSON moves to ...'.
PENDING = {}

# Lister fixtures that are bad input on purpose (they must fail, with no
# JSON to check).
BAD_FIXTURES = {'broken-tcp', 'broken-unix'}

# Root only: `tulpen watch` in a network namespace of its own (unshare -n)
# while this makes connections there, so that every kind of record comes
# out (transitions, accepts, lifetimes of a closed, a reset and a refused
# connection), from the eBPF source where it can be used.
TRAFFIC = r"""
import socket, struct, subprocess, sys, time
subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
w = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
first = w.stdout.readline()  # the start record: attached and seeded
for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    srv = socket.socket(fam)
    srv.bind((host, 0))
    srv.listen()
    port = srv.getsockname()[1]
    for rst in (False, True):
        c = socket.socket(fam)
        c.connect((host, port))
        a, _ = srv.accept()
        c.send(b'hello')
        a.recv(5)
        if rst:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack('ii', 1, 0))
        c.close()
        time.sleep(0.1)
        a.close()
    srv.close()
    c = socket.socket(fam)
    try:
        c.connect((host, port))
    except OSError:
        pass
    c.close()
time.sleep(2)  # the events reach tulpen, a summary goes out
w.terminate()  # SIGTERM: a normal end (status 0)
out, err = w.communicate(timeout=60)
sys.stdout.write(first + out)
sys.stderr.write(err)
sys.exit(w.returncode)
"""


def checks(tulpen, src):
    fx = src / 'tests' / 'fixtures'
    out = []

    def add(name, kind, argv, room=None, root=False, need=None, status=0):
        out.append((name, kind, [tulpen] + argv, room, root, need, status))

    for d in sorted((fx / 'proc').iterdir()):
        if not d.is_dir() or d.name in BAD_FIXTURES:
            continue
        base = ['--proc-root', str(d)]
        add(f'proc/{d.name} -an --json', 'socket', base + ['-an', '--json'])
        add(f'proc/{d.name} -an --ndjson', 'socket',
            base + ['-an', '--ndjson'])
        add(f'proc/{d.name} -aneop --json', 'socket',
            base + ['-aneop', '--json'])
        add(f'proc/{d.name} -s --json', 'summary', base + ['-s', '--json'])
    # A recording answers the requests it was made with: -tux (see
    # NL_RECORD_ARGS in tests/integration/sockstates.py).
    for f in sorted((fx / 'netlink').glob('*.nlrec')):
        base = ['--source=netlink', '--nl-replay', str(f)]
        add(f'netlink/{f.name} -tuxaen --json', 'socket',
            base + ['-tuxaen', '--json'])
        add(f'netlink/{f.name} -tuxaeno --ndjson', 'socket',
            base + ['-tuxaeno', '--ndjson'])
        add(f'netlink/{f.name} -tuxan --json', 'socket',
            base + ['-tuxan', '--json'])
        add(f'netlink/{f.name} -tuxaenp --json (owners from this host)',
            'socket', base + ['-tuxaenp', '--json'])
        add(f'netlink/{f.name} -s -tux --json', 'summary',
            base + ['-s', '-tux', '--json'])
    host = ['--proc-root', str(fx / 'proc' / 'allstates')]
    add('explain --json (table)', 'explain', ['explain', '--json'])
    for st in ['LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED',
               'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING',
               'LAST-ACK', 'TIME-WAIT', 'CLOSED']:
        add(f'explain --json {st}', 'explain',
            ['explain'] + host + ['--json', st])
    add('explain --json --no-count time-wait', 'explain',
        ['explain', '--json', '--no-count', 'time-wait'])
    # tulpen doctor over recorded trees: a healthy one (exit 0) and one
    # under TCP memory pressure (critical: exit 5).
    for name, status in (('healthy', 0), ('memory', 5)):
        add(f'doctor --json (doctor/{name})', 'doctor',
            ['doctor', '--interval', '10ms', '--json', '--proc-root',
             str(fx / 'doctor' / name)], status=status)
    caps = sorted(p for p in (fx / 'pcap').iterdir()
                  if p.suffix in ('.pcap', '.pcapng', '.cap'))
    for p in caps:
        add(f'pcap {p.name} --json', 'pcap-connection',
            ['pcap', '--json', str(p)], room='pcap')
        add(f'pcap {p.name} --ndjson', 'pcap-connection',
            ['pcap', '--ndjson', str(p)], room='pcap')
        add(f'pcap {p.name} -v --json', 'pcap-connection',
            ['pcap', '-v', '--json', str(p)], room='pcap')
        add(f'pcap {p.name} -s --json', 'pcap-summary',
            ['pcap', '-s', '--json', str(p)], room='pcap')
    if caps:
        add('pcap (all captures) -s --json', 'pcap-summary',
            ['pcap', '-s', '--json'] + [str(p) for p in caps], room='pcap')
    add('watch --ndjson with connections (own netns)', 'watch-event',
        ['-'] + ['watch', '--ndjson', '--duration', '60', '--summary-every',
                 '1', '--netns', '/proc/self/ns/net'], room='watch',
        root=True, need={'start', 'transition', 'accept', 'lifetime',
                         'summary'})
    add('watch --summary --json (1 s)', 'watch-counts',
        ['watch', '--summary', '--json', '--duration', '1'], room='watch',
        root=True)
    add('watch --summary --ndjson (1 s)', 'watch-counts',
        ['watch', '--summary', '--ndjson', '--duration', '1'], room='watch',
        root=True)
    add('watch --json --source=sampled (1 s)', 'watch-event',
        ['watch', '--json', '--source=sampled', '--duration', '1'],
        room='watch', root=True)
    add('watch --ndjson --source=sampled --summary-every 1 (1 s)',
        'watch-event',
        ['watch', '--ndjson', '--source=sampled', '--duration', '1',
         '--summary-every', '1'], room='watch', root=True)
    return out


def main(argv):
    if len(argv) < 2:
        print('usage: run.py TULPEN [SRCDIR]', file=sys.stderr)
        return 2
    tulpen = argv[1]
    src = pathlib.Path(argv[2] if len(argv) > 2 else
                       os.environ.get('TULPEN_SRCDIR', HERE.parents[1]))
    strict = os.environ.get('TULPEN_SCHEMA_STRICT') == '1'
    todo = checks(tulpen, src)
    print(f'1..{len(todo)}')
    failed = 0
    for i, (name, kind, cmd, room, root, need, status) in enumerate(todo,
                                                                    1):
        pending = room in PENDING and not strict
        mark = f' # TODO {PENDING[room]}' if pending else ''
        if root and os.geteuid() != 0:
            print(f'ok {i} - {name} # SKIP needs root')
            continue
        shown = ' '.join(cmd)
        if cmd[1] == '-':  # the traffic helper runs tulpen
            shown = 'unshare -n TRAFFIC ' + ' '.join([cmd[0]] + cmd[2:])
            cmd = ['unshare', '-n', '/usr/bin/python3', '-c', TRAFFIC,
                   cmd[0]] + cmd[2:]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=90)
        except subprocess.TimeoutExpired:
            print(f'not ok {i} - {name}{mark}\n# timed out: {shown}')
            failed += not pending
            continue
        problem = None
        if r.returncode != status:
            problem = (f'exit {r.returncode}: ' +
                       r.stderr.strip().replace('\n', '\n# '))
        else:
            try:
                doc = validate_text(kind, r.stdout, '')
                recs = doc if isinstance(doc, list) else [doc]
                got = {d.get('type') for d in recs} if need else set()
                if need and not need <= got:
                    problem = ('no %s records (got %s)' %
                               (', '.join(sorted(need - got)),
                                ', '.join(sorted(got)) or 'none'))
            except SchemaViolation as e:
                problem = str(e).replace('\n', '\n# ')
            except ValueError as e:
                problem = f'not JSON: {e}'
        if problem:
            print(f'not ok {i} - {name} ({kind}){mark}')
            print(f'# {shown}\n# {problem}')
            failed += not pending
        else:
            print(f'ok {i} - {name} ({kind}){mark}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
