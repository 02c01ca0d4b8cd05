#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The schemas catch drift: samples in the vocabulary pass, and each kind of
drift the vocabulary forbids (old names, brackets, other family words,
state spellings, unknown fields, missing fields, wrong types) fails.

TAP, one subtest per case; no tulpen binary needed.
"""
import copy
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from validate import errors, validate_text  # noqa: E402

EP = {'address': '127.0.0.1', 'port': 8080}
SOCKET = {
    'proto': 'tcp', 'family': 'inet', 'state': 'ESTABLISHED',
    'recv_q': 0, 'send_q': 0, 'local': EP,
    'peer': {'address': '127.0.0.1', 'port': 59026, 'service': 'x'},
    'uid': 0, 'user': 'root', 'inode': 4854688, 'cookie': 13623169,
    'timer': {'name': 'on', 'expires_ms': 200, 'retransmits': 0},
    'source': 'netlink',
    'processes': [{'pid': 10, 'command': 'nginx', 'fd': 3}],
}
SOCKET6 = dict(SOCKET, family='inet6', v6only=True,
               local={'address': 'fe80::1', 'port': 22, 'interface': 'eth0'},
               peer={'address': '::ffff:10.0.0.1', 'port': 4000},
               netns={'inode': 4026531840, 'name': None}, container=None)
UNIX = {
    'proto': 'unix', 'family': 'unix', 'state': 'UNCONN', 'recv_q': None,
    'send_q': None, 'type': 'dgram', 'path': '@/org/x', 'peer_inode': None,
    'uid': None, 'inode': 77, 'timer': None, 'source': 'proc',
}
SUMMARY = {
    'total': 1, 'protocols': {'tcp': {'inet': 1, 'inet6': 0, 'unix': 0}},
    'tcp_states': {s: 0 for s in [
        'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1',
        'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
        'CLOSED']},
    'tcp_requests': 0,
}
SOCKFIELDS = {
    'ts': 1796158347.155110, 'monotonic_ns': 2157251748542,
    'cookie': 12924173261103970317, 'proto': 'tcp', 'family': 'inet',
    'local': EP, 'peer': {'address': '127.0.0.1', 'port': 19829},
    'processes': [{'pid': 9386, 'command': 'python3', 'tid': 9386}],
}
TRANSITION = dict(SOCKFIELDS, type='transition', source='bpf',
                  old='SYN-SENT', new='ESTABLISHED', in_old_ns=180000,
                  timewait_sock=False, late=False,
                  netns={'inode': 4026531840, 'name': 'blue'})
LIFETIME = dict(SOCKFIELDS, type='lifetime', source='bpf',
                path=[{'state': 'SYN-SENT', 'duration_ns': 180000,
                       'exact': True},
                      {'state': 'CLOSED', 'duration_ns': None}],
                duration_ns=180000, start_known=True, bytes_acked=20,
                bytes_received=None, path_truncated=False)
WATCH = [
    {'type': 'start', 'source': 'sampled', 'pid': 1, 'ts': 1796158347.1,
     'existing': 1, 'interval_s': 1},
    dict(SOCKFIELDS, type='existing', state='LISTEN',
         age_at_least_since='start', owner_of_listener=True),
    TRANSITION,
    dict(TRANSITION, type='accept'),
    LIFETIME,
    {'type': 'summary', 'ts': 1.5, 'monotonic_ns': 5,
     'states': {'ESTABLISHED': 2}, 'tracked': 2, 'lost_total': 0},
    {'type': 'lost', 'ts': 1.5, 'monotonic_ns': 5, 'lost': 3,
     'lost_total': 3},
]
STEP = {'state': 'SYN-SENT', 'ts': 1795306382.585015, 'offset_us': 0,
        'packet': 1, 'file': 0, 'inferred': False}
SIDE = {'address': '10.0.0.1', 'port': 51294, 'pkts': 6, 'bytes': 18,
        'ip_bytes': 338, 'syns': 1, 'fins': 1, 'rsts': 0, 'syn_rexmits': 0,
        'fin_rexmits': 0, 'data_rexmits': 0, 'final_state': 'TIME-WAIT',
        'transitions_lost': 0, 'states': [STEP]}
CONN = {
    'id': 1, 'family': 'inet', 'proto': 'tcp', 'client': SIDE,
    'server': dict(SIDE, address='10.0.0.2', port=80, final_state='CLOSED'),
    'opener': 'client', 'midstream': False, 'roles_guessed': False,
    'ts': 1795306382.585015, 'duration_us': 150364, 'rtt_us': 28,
    'syn_rtt_us': None, 'active_closer': 'client',
    'passive_closer': 'server', 'first_reset_by': None, 'close': 'client',
    'simultaneous_open': False, 'simultaneous_close': False,
    'conn_state': 'SF', 'history': 'ShADadFf', 'end': 'closed',
}
PSUM = {
    'frames': 11, 'tcp_segments': 11, 'other_frames': 0, 'malformed': 0,
    'late_segments': 0, 'out_of_order_segments': 0, 'connections': 1, 'packets': 11, 'bytes': 3037,
    'midstream': 0, 'reset': 0,
    'final_states': [{'client': 'TIME-WAIT', 'server': 'CLOSED',
                      'count': 1}],
    'conn_states': {'SF': 1},
    'top_talkers': [{'address': '::1', 'bytes_sent': 18,
                     'bytes_received': 3019, 'connections': 1}],
}


def mutate(doc, path, value=None, delete=False):
    """A copy of @doc with the field at @path (a tuple) set or removed."""
    d = copy.deepcopy(doc)
    at = d
    for p in path[:-1]:
        at = at[p]
    if delete:
        del at[path[-1]]
    else:
        at[path[-1]] = value
    return d


def renamed(doc, path, new):
    d = copy.deepcopy(doc)
    at = d
    for p in path[:-1]:
        at = at[p]
    at[new] = at.pop(path[-1])
    return d


FINDING = {
    'kind': 'close-wait', 'severity': 'warning',
    'summary': '8 connections on port 8080 stay in CLOSE-WAIT',
    'subject': '812 port 8080',
    'netns': {'inode': 4026532290, 'name': 'blue'},
    'local': {'address': '10.0.0.1', 'port': 8080}, 'sockets': 8,
    'evidence': {'close_wait': 8, 'threshold': 5, 'listener_command': 'x'},
    'processes': [{'pid': 812, 'command': 'server'}],
    'containers': [{'pid': 812, 'container': {
        'runtime': 'docker', 'id': 'ab', 'pod_uid': None, 'name': None,
        'unit': None}}],
    'state': 'CLOSE-WAIT',
    'explain': {'meaning': 'The peer has closed', 'pileup': 'A leak'},
    'advice': 'Close them.',
}
DOCTOR = {'ts': 1795306382.585015, 'interval_s': 1.0, 'namespaces': 1,
          'namespaces_failed': 0, 'worst': 'warning',
          'findings': [FINDING,
                       dict(FINDING, kind='tcp-memory', state=None,
                            explain=None, local=None, processes=[],
                            containers=[])]}
del DOCTOR['findings'][1]['local']

GOOD = [
    ('doctor', 'a report', DOCTOR),
    ('doctor', 'a healthy report',
     dict(DOCTOR, worst='ok', findings=[])),
    ('doctor', 'a --watch change',
     {'type': 'resolved', 'ts': 1795306382.5, 'finding': FINDING}),
    ('socket', 'an inet socket', SOCKET),
    ('socket', 'an inet6 socket with scope, netns and container', SOCKET6),
    ('socket', 'a unix socket from /proc', UNIX),
    ('socket', 'an array of them (--json)', [SOCKET, SOCKET6, UNIX]),
    ('socket', 'an empty listing', []),
    ('summary', 'a summary', SUMMARY),
    ('summary', 'summaries by namespace',
     {'namespaces': [{'netns': {'inode': 5, 'name': None},
                      'container': {'runtime': 'docker', 'id': 'ab',
                                    'pod_uid': None, 'name': None,
                                    'unit': None},
                      'summary': SUMMARY}]}),
    ('watch-event', 'every watch record type', WATCH),
    ('pcap-connection', 'a connection', CONN),
    ('pcap-connection', 'a tunnelled connection',
     dict(CONN, missed_bytes=0,
          tunnel={'type': 'VXLAN', 'family': 'inet', 'depth': 1,
                  'outer_src': {'address': '192.0.2.1', 'port': 4789},
                  'outer_dst': {'address': '192.0.2.2', 'port': 4789}})),
    ('pcap-summary', 'a capture summary', PSUM),
]

BAD = [
    ('doctor', 'a finding whose state is in ss spelling',
     mutate(DOCTOR, ('findings', 0, 'state'), 'CLOSE_WAIT')),
    ('doctor', 'a kind that is no rule',
     mutate(DOCTOR, ('findings', 0, 'kind'), 'bad-karma')),
    ('doctor', 'process "comm"',
     renamed(DOCTOR, ('findings', 0, 'processes', 0, 'command'), 'comm')),
    ('doctor', 'interval without its unit',
     renamed(DOCTOR, ('interval_s',), 'interval')),
    ('doctor', 'a severity "error"',
     mutate(DOCTOR, ('findings', 0, 'severity'), 'error')),
    # the old names the vocabulary replaced
    ('socket', 'endpoint "addr" (old watch/pcap name)',
     renamed(SOCKET, ('local', 'address'), 'addr')),
    ('watch-event', 'watch "owner" object instead of "processes"',
     [renamed(TRANSITION, ('processes',), 'owner')]),
    ('watch-event', 'watch "comm" instead of "command"',
     [renamed(TRANSITION, ('processes', 0, 'command'), 'comm')]),
    ('watch-event', 'watch "time" string instead of "ts"',
     [renamed(TRANSITION, ('ts',), 'time')]),
    ('watch-event', 'watch netns as a bare number',
     [mutate(TRANSITION, ('netns',), 4026531840)]),
    ('pcap-connection', 'pcap family "ipv4"',
     mutate(CONN, ('family',), 'ipv4')),
    ('pcap-connection', 'pcap side "addr"',
     renamed(CONN, ('client', 'address'), 'addr')),
    # values outside the vocabulary
    ('socket', 'IPv6 address in brackets',
     mutate(SOCKET6, ('local', 'address'), '[fe80::1]')),
    ('socket', 'address with its %scope (belongs in "interface")',
     mutate(SOCKET6, ('local', 'address'), 'fe80::1%eth0')),
    ('socket', 'port as a string', mutate(SOCKET, ('local', 'port'), '80')),
    ('socket', 'port out of range', mutate(SOCKET, ('local', 'port'), 70000)),
    ('socket', 'ss state spelling "ESTAB"',
     mutate(SOCKET, ('state',), 'ESTAB')),
    ('socket', 'netstat state spelling "TIME_WAIT"',
     mutate(SOCKET, ('state',), 'TIME_WAIT')),
    ('socket', 'state "UNKNOWN"', mutate(SOCKET, ('state',), 'UNKNOWN')),
    ('socket', 'family "ipv6"', mutate(SOCKET, ('family',), 'ipv6')),
    ('socket', 'proto "TCP"', mutate(SOCKET, ('proto',), 'TCP')),
    ('socket', 'an unknown field', mutate(SOCKET, ('colour',), 'red')),
    ('socket', 'an unknown endpoint field',
     mutate(SOCKET, ('local', 'scope'), 2)),
    ('socket', 'a missing "inode"', mutate(SOCKET, ('inode',), delete=True)),
    ('socket', 'an inet socket without "peer"',
     mutate(SOCKET, ('peer',), delete=True)),
    ('socket', 'a unix socket with "local"', mutate(UNIX, ('local',), EP)),
    ('socket', 'process "comm"',
     renamed(SOCKET, ('processes', 0, 'command'), 'comm')),
    ('socket', 'process pid as a string',
     mutate(SOCKET, ('processes', 0, 'pid'), '10')),
    ('socket', 'timer with "expires" (no unit)',
     renamed(SOCKET, ('timer', 'expires_ms'), 'expires')),
    ('socket', 'negative inode', mutate(SOCKET, ('inode',), -1)),
    ('socket', 'netns without "name"',
     mutate(SOCKET6, ('netns',), {'inode': 5})),
    ('summary', 'a missing TCP state count',
     mutate(SUMMARY, ('tcp_states', 'CLOSING'), delete=True)),
    ('summary', 'a state count under an ss name',
     mutate(SUMMARY, ('tcp_states', 'ESTAB'), 1)),
    ('watch-event', 'an unknown record type',
     [mutate(TRANSITION, ('type',), 'hello')]),
    ('watch-event', 'a transition without "new"',
     [mutate(TRANSITION, ('new',), delete=True)]),
    ('watch-event', 'duration without its unit ("in_old")',
     [renamed(TRANSITION, ('in_old_ns',), 'in_old')]),
    ('watch-event', 'source "ebpf"',
     [mutate(TRANSITION, ('source',), 'ebpf')]),
    ('watch-event', 'a lifetime step with an unknown state',
     [mutate(LIFETIME, ('path', 0, 'state'), 'SYN_SENT')]),
    ('watch-event', 'family "unix" on a TCP event',
     [mutate(TRANSITION, ('family',), 'unix')]),
    ('pcap-connection', 'a Zeek conn_state that does not exist',
     mutate(CONN, ('conn_state',), 'XX')),
    ('pcap-connection', 'rtt without its unit',
     renamed(CONN, ('rtt_us',), 'rtt')),
    ('pcap-connection', 'an unknown side field',
     mutate(CONN, ('client', 'colour'), 1)),
    ('pcap-connection', 'a state step without "ts"',
     mutate(CONN, ('client', 'states', 0, 'ts'), delete=True)),
    ('pcap-summary', 'a talker address in brackets',
     mutate(PSUM, ('top_talkers', 0, 'address'), '[::1]')),
    ('pcap-summary', 'a missing "frames"',
     mutate(PSUM, ('frames',), delete=True)),
]


def main():
    cases = len(GOOD) + len(BAD) + 3
    print(f'1..{cases}')
    n = 0
    failed = 0

    def result(ok, name, detail=''):
        nonlocal n, failed
        n += 1
        print(f'{"ok" if ok else "not ok"} {n} - {name}')
        if not ok:
            failed += 1
            for line in detail.splitlines():
                print(f'# {line}')

    for kind, name, doc in GOOD:
        errs = errors(kind, doc)
        result(not errs, f'{kind}: valid: {name}', '\n'.join(errs))
    for kind, name, doc in BAD:
        errs = errors(kind, doc)
        result(bool(errs), f'{kind}: rejected: {name}',
               'the schema accepted it:\n' + json.dumps(doc)[:500])
    # the text entry point: --ndjson lines, one document, empty output
    nd = '\n'.join(json.dumps(d) for d in WATCH) + '\n'
    try:
        validate_text('watch-event', nd)
        result(True, 'validate_text: NDJSON lines')
    except Exception as e:  # noqa: BLE001 - reported as the failure
        result(False, 'validate_text: NDJSON lines', str(e))
    try:
        validate_text('summary', json.dumps(SUMMARY) + '\n')
        result(True, 'validate_text: one document')
    except Exception as e:  # noqa: BLE001
        result(False, 'validate_text: one document', str(e))
    try:
        validate_text('socket', '')
        result(False, 'validate_text: empty output is rejected',
               'accepted')
    except AssertionError:
        result(True, 'validate_text: empty output is rejected')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
