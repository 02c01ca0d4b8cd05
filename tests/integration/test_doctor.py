#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tulpen doctor against the kernel: every pathology made for real.

Each scenario gets its own pair of network namespaces (docN-s, the
server's, and docN-c, the client's, joined by a veth pair), made and
removed here. Helper processes in them (ip netns exec, Debian's python3)
make the pathology and print their own pid and ports; tulpen doctor -N
then looks at one namespace and must report exactly the expected kinds,
naming the helper's pid, port or destination, which the test knows from
the helpers, not from tulpen. Healthy populations (busy, with TIME-WAIT
and short queues under the thresholds) must give no finding and exit 0.
TCP memory pressure cannot be made inside a namespace (tcp_mem is
host-wide), so it is checked over a recorded /proc tree
(tests/fixtures/doctor/). Every JSON report is validated against
docs/schema/doctor.schema.json. TAP output; needs root (77 without).

usage: test_doctor.py [TULPEN]   (default: $TULPEN, as meson sets it)
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

TULPEN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                         os.environ["TULPEN"])
SRC = os.environ.get("TULPEN_SRCDIR",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "schema"))
from validate import validate  # noqa: E402

PY = "/usr/bin/python3"
INTERVAL = "500ms"
EXIT = {"ok": 0, "notice": 3, "warning": 4, "critical": 5}

count = 0
failures = []


def check(cond, what):
    global count
    count += 1
    print(("ok %d - " if cond else "not ok %d - ") % count + what)
    if not cond:
        failures.append(what)
    return cond


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if check_rc and r.returncode:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r


class Pair:
    """Two namespaces, docN-s (10.77.N.1) and docN-c (10.77.N.2)."""

    def __init__(self, n):
        self.n = n
        self.s, self.c = f"doc{n}-s", f"doc{n}-c"
        self.saddr, self.caddr = f"10.77.{n}.1", f"10.77.{n}.2"
        self.procs = []
        for ns in (self.s, self.c):
            sh("ip", "netns", "del", ns, check_rc=False)
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", f"doc{n}s", "netns", self.s, "type", "veth",
           "peer", "name", f"doc{n}c", "netns", self.c)
        for ns, dev, addr in ((self.s, f"doc{n}s", self.saddr),
                              (self.c, f"doc{n}c", self.caddr)):
            sh("ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def run(self, ns, code, **args):
        """Start @code in @ns; it prints one JSON line when ready."""
        p = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + ns, PY, "-c", HELPERS + code,
             json.dumps(args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        self.procs.append(p)
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"helper in {ns} died")
        return json.loads(line)

    def close(self):
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            try:  # the helper and what it forked
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.procs:
            p.wait(timeout=10)
        for ns in (self.s, self.c):
            sh("ip", "netns", "del", ns, check_rc=False)


# Shared by every helper: ready() prints what the test needs, hold()
# keeps the sockets until the test closes our stdin.
HELPERS = r"""
import json, os, socket, sys, time
ARGS = json.loads(sys.argv[1])
def ready(**kw):
    kw['pid'] = os.getpid()
    print(json.dumps(kw), flush=True)
def hold():
    sys.stdin.read()
def listener(port, backlog=128):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ARGS['addr'], port))
    s.listen(backlog)
    return s
def wait_for(path_check, timeout=5):
    end = time.time() + timeout
    while time.time() < end and not path_check():
        time.sleep(0.02)
"""

# A server that never closes after EOF.
NO_CLOSE = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
keep = []
for i in range(ARGS['n']):
    a, _ = ls.accept()
    keep.append(a)
for a in keep:
    a.recv(10)  # end of file: the client closed; we never do
ready(eof=True)
hold()
"""

# Clients: connect @n times to addr:port, then close (or keep).
CLIENTS = r"""
import select
keep = []
for i in range(ARGS['n']):
    c = socket.create_connection((ARGS['to'], ARGS['port']))
    if ARGS.get('send'):
        c.sendall(b'x' * ARGS['send'])
    keep.append(c)
if ARGS.get('close'):
    for c in keep:
        c.close()
    keep = []
ready()
hold()
"""

# Accept, hand each connection to a child and close the parent's copy:
# even ones fork and keep it (closing the listener), odd ones exec
# another program with every descriptor inherited (no SOCK_CLOEXEC).
FORK = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
kids = []
for i in range(ARGS['n']):
    a, _ = ls.accept()
    pid = os.fork()
    if pid == 0:
        if i % 2:
            ls.set_inheritable(True)
            a.set_inheritable(True)
            os.execv('/bin/sleep', ['sleep', '1000'])
        ls.close()
        sys.stdin.close()
        while True:
            time.sleep(60)
    kids.append(pid)
    a.close()
ready(kids=kids)
try:
    hold()
finally:
    for k in kids:
        os.kill(k, 9)
"""

# Accept and close each connection after the client closed (the client's
# side then holds the TIME-WAIT).
ACCEPT_CLOSE = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
while True:
    a, _ = ls.accept()
    a.recv(10)
    a.close()
"""

# Connect and close first, @n times (TIME-WAIT here).
SHORT_CONNS = r"""
for i in range(ARGS['n']):
    c = socket.create_connection((ARGS['to'], ARGS['port']))
    c.close()
    time.sleep(0.005)
time.sleep(0.3)
ready()
hold()
"""

# Listen with a tiny backlog and never accept.
NO_ACCEPT = r"""
ls = listener(ARGS['port'], ARGS['backlog'])
ready(port=ARGS['port'])
hold()
"""

# Non-blocking connects that nobody answers.
SYN = r"""
keep = []
for i in range(ARGS['n']):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect((ARGS['to'], ARGS['port']))
    except BlockingIOError:
        pass
    keep.append(c)
ready()
hold()
"""

# Accept, fill the peer's window, close: FIN-WAIT-1 behind a zero window.
FILL_CLOSE = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
a, _ = ls.accept()
a.setblocking(False)
try:
    while True:
        a.send(b'y' * 65536)
except BlockingIOError:
    pass
time.sleep(0.5)
try:
    while True:
        a.send(b'y' * 65536)
except BlockingIOError:
    pass
a.close()
ready(closed=True)
hold()
"""

# Accept and close first (FIN-WAIT-2 here once the peer acknowledges).
ACTIVE_CLOSE = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
for i in range(ARGS['n']):
    a, _ = ls.accept()
    a.close()
time.sleep(0.3)
ready(closed=True)
hold()
"""

# Accept and never read.
NO_READ = r"""
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
keep = []
for i in range(ARGS['n']):
    a, _ = ls.accept()
    keep.append(a)
ready(accepted=True)
hold()
"""

# Read everything, echo nothing.
SINK = r"""
import threading
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
def drain(a):
    while a.recv(65536):
        pass
while True:
    a, _ = ls.accept()
    threading.Thread(target=drain, args=(a,), daemon=True).start()
"""

# Send steadily (paced) for the whole test.
PACED = r"""
import threading
c = socket.create_connection((ARGS['to'], ARGS['port']))
def pump():
    while True:
        c.sendall(b'z' * 4000)
        time.sleep(0.002)
threading.Thread(target=pump, daemon=True).start()
time.sleep(1)
ready(port=c.getsockname()[1])
hold()
"""

# A busy healthy server: accepts, answers, closes; a pool of idle
# connections with a few bytes unread.
HEALTHY_SERVER = r"""
import threading
ls = listener(ARGS['port'])
ready(port=ARGS['port'])
keep = []
def serve(a):
    data = a.recv(100)
    if data == b'short':
        a.sendall(b'ok')
        a.close()
    else:
        keep.append(a)  # idle pool member: 3 bytes left unread
while True:
    a, _ = ls.accept()
    threading.Thread(target=serve, args=(a,), daemon=True).start()
"""

HEALTHY_CLIENT = r"""
pool = []
for i in range(20):
    c = socket.create_connection((ARGS['to'], ARGS['port']))
    c.sendall(b'pool')
    pool.append(c)
for i in range(ARGS['n']):
    c = socket.create_connection((ARGS['to'], ARGS['port']))
    c.sendall(b'short')
    c.recv(10)
    c.close()
ready()
hold()
"""


def doctor(*args, json_out=True):
    argv = [TULPEN, "doctor", "--interval", INTERVAL] + list(args)
    if json_out:
        argv.append("--json")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if not json_out:
        return r, None
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        check(False, f"{' '.join(args)}: JSON ({r.stdout[:200]!r}, "
              f"stderr {r.stderr!r})")
        return r, None
    try:
        validate("doctor", doc)
        check(True, f"{' '.join(args)}: report validates")
    except Exception as e:  # noqa: BLE001
        check(False, f"{' '.join(args)}: schema: {e}")
    return r, doc


def expect(name, ns, kinds, extra=(), doc=None, **want):
    """Run doctor -N @ns (or take @doc, a run's (result, JSON)); exactly
    @kinds; the first finding of @kinds[0] names what @want says."""
    if doc is not None:
        r, doc = doc
        try:
            validate("doctor", doc)
            check(True, f"{name}: report validates")
        except Exception as e:  # noqa: BLE001
            check(False, f"{name}: schema: {e}")
    else:
        r, doc = doctor("-N", ns, *extra)
    if doc is None:
        return None
    got = sorted(f["kind"] for f in doc["findings"])
    check(got == sorted(kinds),
          f"{name}: findings {got}, expected {sorted(kinds)}")
    worst = doc["worst"]
    check(r.returncode == EXIT[worst],
          f"{name}: exit {r.returncode} for worst {worst}")
    f = next((f for f in doc["findings"] if kinds and
              f["kind"] == kinds[0]), None)
    if kinds and not check(f is not None, f"{name}: {kinds[0]} reported"):
        return None
    if "pids" in want:
        pids = sorted(p["pid"] for p in f["processes"])
        check(pids == sorted(want["pids"]),
              f"{name}: processes {pids}, expected {sorted(want['pids'])}")
    if "local_port" in want:
        check(f.get("local", {}).get("port") == want["local_port"],
              f"{name}: local port {f.get('local')}, "
              f"expected {want['local_port']}")
    if "peer" in want:
        peer = f.get("peer", {})
        check((peer.get("address"), peer.get("port")) == want["peer"],
              f"{name}: peer {peer}, expected {want['peer']}")
    if "sockets" in want:
        check(f["sockets"] == want["sockets"],
              f"{name}: {f['sockets']} sockets, expected {want['sockets']}")
    if f is not None:
        check(f["netns"]["name"] == ns, f"{name}: labelled netns {ns}")
        check(bool(f["advice"]) and bool(f["summary"]),
              f"{name}: summary and advice")
    return f


def ss_count(ns, *filt):
    r = sh("ip", "netns", "exec", ns, "ss", "-Htan", *filt)
    return len([x for x in r.stdout.splitlines() if x.strip()])


def scenario_close_wait(p):
    srv = p.run(p.s, NO_CLOSE, addr=p.saddr, port=8080, n=8)
    p.run(p.c, CLIENTS, to=p.saddr, port=8080, n=8, close=True)
    p.procs[0].stdout.readline()  # eof seen
    n = ss_count(p.s, "state", "close-wait")
    check(n == 8, f"close-wait: ss sees {n} CLOSE-WAIT sockets")
    f = expect("close-wait", p.s, ["close-wait"], pids=[srv["pid"]],
               local_port=8080, sockets=n)
    if f:
        check(f["state"] == "CLOSE-WAIT" and
              "FIN" in f["explain"]["meaning"],
              "close-wait: the state machine's explanation is quoted")
    # the text report: the summary, the fix and the process first
    r, _ = doctor("-N", p.s, json_out=False)
    head = r.stdout.splitlines()[:8]
    text = " ".join(head)
    check("CLOSE-WAIT" in text and f"pid {srv['pid']}" in text and
          "Do:" in text, "close-wait: text names state, pid and fix first")
    # --all-netns finds it in its namespace (others may have their own)
    r, doc = doctor("--all-netns")
    if doc:
        mine = [f for f in doc["findings"]
                if f.get("netns", {}).get("name") == p.s]
        check([f["kind"] for f in mine] == ["close-wait"] and
              [x["pid"] for x in mine[0]["processes"]] == [srv["pid"]] and
              doc["namespaces"] >= 2,
              f"--all-netns: close-wait in {p.s} ({len(mine)} findings)")
    r, _ = doctor("-N", "docnosuch", json_out=False)
    check(r.returncode == 1 and "docnosuch" in r.stderr and not r.stdout,
          f"-N of no namespace: exit {r.returncode}, {r.stderr.strip()!r}")
    # --watch prints the finding once, not every round
    w = subprocess.Popen([TULPEN, "doctor", "-N", p.s, "--interval",
                          "100ms", "--watch", "200ms"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    w.send_signal(signal.SIGINT)
    out = w.communicate(timeout=10)[0]
    lines = [x for x in out.splitlines() if x.strip()]
    check(len(lines) == 1 and " new WARNING close-wait:" in lines[0],
          f"watch: one 'new' line over several rounds ({lines})")
    w = subprocess.Popen([TULPEN, "doctor", "-N", p.s, "--interval",
                          "100ms", "--watch", "200ms", "--json"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1.2)
    w.send_signal(signal.SIGINT)
    out, _ = w.communicate(timeout=10)
    recs = [json.loads(x) for x in out.splitlines() if x.strip()]
    try:
        for rec in recs:
            validate("doctor", rec)
        ok = True
    except Exception:  # noqa: BLE001
        ok = False
    check(ok and [(x["type"], x["finding"]["kind"]) for x in recs] ==
          [("new", "close-wait")] and w.returncode == 4,
          f"watch --json: one 'new' record, exit {w.returncode} ({recs})")


def scenario_copy(p):
    srv = p.run(p.s, FORK, addr=p.saddr, port=8081, n=4)
    p.run(p.c, CLIENTS, to=p.saddr, port=8081, n=4, close=True)
    kids = json.loads(p.procs[0].stdout.readline())["kids"]
    time.sleep(0.3)
    f = expect("copy", p.s, ["close-wait-copy"], pids=kids,
               local_port=8081, sockets=4)
    if f:
        check(f["evidence"].get("listener_pid") == srv["pid"],
              "copy: the accepting process is named as the listener")


def scenario_ephemeral(p):
    sh("ip", "netns", "exec", p.c, "sysctl", "-qw",
       "net.ipv4.ip_local_port_range=40000 40019")
    p.run(p.s, ACCEPT_CLOSE, addr=p.saddr, port=8082)
    p.run(p.c, SHORT_CONNS, to=p.saddr, port=8082, n=15)
    tw = ss_count(p.c, "state", "time-wait")
    check(tw == 15, f"ephemeral: ss sees {tw} TIME-WAIT sockets")
    f = expect("ephemeral", p.c, ["ephemeral-ports"],
               peer=(p.saddr, 8082), sockets=tw)
    if f:
        check(f["evidence"]["port_range"] == 20 and
              f["evidence"]["share_pct"] == tw * 100 // 20,
              f"ephemeral: share of the range ({f['evidence']})")


def scenario_accept(p):
    srv = p.run(p.s, NO_ACCEPT, addr=p.saddr, port=8083, backlog=2)
    p.run(p.c, SYN, to=p.saddr, port=8083, n=10)
    time.sleep(0.3)
    expect("accept-queue", p.s, ["accept-queue"], pids=[srv["pid"]],
           local_port=8083)


def scenario_syn_sent(p):
    # the server namespace does not forward: SYNs to 198.51.100.7 vanish
    sh("ip", "-n", p.c, "route", "add", "198.51.100.0/24", "via", p.saddr)
    cli = p.run(p.c, SYN, to="198.51.100.7", port=9, n=6)
    expect("syn-sent", p.c, ["syn-sent"], pids=[cli["pid"]],
           peer=("198.51.100.7", 9), sockets=6)


def scenario_fin_wait1(p):
    p.run(p.s, FILL_CLOSE, addr=p.saddr, port=8085)
    p.run(p.c, CLIENTS, to=p.saddr, port=8085, n=1)
    p.procs[0].stdout.readline()  # closed
    time.sleep(0.3)
    n = ss_count(p.s, "state", "fin-wait-1")
    check(n == 1, f"fin-wait-1: ss sees {n} FIN-WAIT-1 socket")
    expect("fin-wait-1", p.s, ["fin-wait-1-stuck"], peer=(p.caddr, 0),
           sockets=1)


def scenario_fin_wait2(p):
    p.run(p.s, ACTIVE_CLOSE, addr=p.saddr, port=8086, n=5)
    p.run(p.c, CLIENTS, to=p.saddr, port=8086, n=5)
    p.procs[0].stdout.readline()
    n = ss_count(p.s, "state", "fin-wait-2")
    check(n == 5, f"fin-wait-2: ss sees {n} FIN-WAIT-2 sockets")
    # under the default threshold: nothing; with --fin-wait2 3: found
    expect("fin-wait-2 default", p.s, [])
    expect("fin-wait-2 threshold", p.s, ["fin-wait-2-orphans"],
           extra=("--fin-wait2", "3"), peer=(p.caddr, 0), sockets=n)


def scenario_stuck(p):
    srv = p.run(p.s, NO_READ, addr=p.saddr, port=8087, n=2)
    p.run(p.c, CLIENTS, to=p.saddr, port=8087, n=2, send=200000)
    time.sleep(0.3)
    expect("stuck", p.s, ["recv-queue-stuck"], pids=[srv["pid"]],
           sockets=2)


def scenario_retrans(p):
    p.run(p.s, SINK, addr=p.saddr, port=8088)
    # lost on the way: the server's side drops a tenth of what arrives
    rules = ("table inet doc { chain in { type filter hook input "
             "priority 0; ip saddr %s tcp dport 8088 numgen random mod "
             "100 < 10 drop; }; }" % p.caddr)
    r = subprocess.run(["ip", "netns", "exec", p.s, "nft", "-f", "-"],
                       input=rules, text=True, capture_output=True)
    if not check(r.returncode == 0, f"retrans: nft rule ({r.stderr})"):
        return
    # a short minimum RTO: losses are repaired quickly instead of the
    # connection backing off for seconds
    sh("ip", "-n", p.c, "route", "replace", f"10.77.{p.n}.0/24", "dev",
       f"doc{p.n}c", "rto_min", "5ms")
    cli = p.run(p.c, PACED, to=p.saddr, port=8088)
    # Random loss can still stall the connection in backoff for a whole
    # interval: a run that finds nothing is repeated (three at most).
    # What doctor counts must be what the kernel counted: its window lies
    # within the one ss -ti is read around.
    for attempt in range(3):
        before = tcp_counts(p.c, p.saddr, 8088)
        res = expect_quiet(p.c)
        after = tcp_counts(p.c, p.saddr, 8088)
        found = [f for f in (res[1] or {}).get("findings", [])
                 if f["kind"] == "retransmissions"]
        if found:
            break
    else:
        check(False, "retrans: not found in 3 runs")
        return
    ev = found[0]["evidence"]
    retr, segs = after[0] - before[0], after[1] - before[1]
    check(0 < ev["retransmitted"] <= retr and 0 < ev["segments_sent"] <= segs,
          f"retrans: doctor's {ev['retransmitted']} of {ev['segments_sent']}"
          f" within the kernel's {retr} of {segs} (run {attempt + 1})")
    expect("retrans", p.c, ["retransmissions"], pids=[cli["pid"]],
           peer=(p.saddr, 8088), doc=res)


def tcp_counts(ns, addr, port):
    """(total retransmissions, segments sent) of the connections to
    addr:port, as ss -ti shows them."""
    out = sh("ip", "netns", "exec", ns, "ss", "-Htin", "dst",
             f"{addr}:{port}").stdout
    retr = sum(int(x) for x in re.findall(r"retrans:\d+/(\d+)", out))
    segs = sum(int(x) for x in re.findall(r"segs_out:(\d+)", out))
    return retr, segs


def expect_quiet(ns):
    """One doctor -N @ns run, its JSON kept for expect() (no checks)."""
    r = subprocess.run([TULPEN, "doctor", "--interval", INTERVAL, "-N", ns,
                        "--json"], capture_output=True, text=True,
                       timeout=60)
    return (r, json.loads(r.stdout)) if r.stdout else (r, None)


def scenario_healthy(p):
    p.run(p.s, HEALTHY_SERVER, addr=p.saddr, port=8090)
    p.run(p.c, HEALTHY_CLIENT, to=p.saddr, port=8090, n=60)
    # each short connection leaves a TIME-WAIT on the side that closed
    # first (the server, mostly)
    tw = ss_count(p.s, "state", "time-wait") + ss_count(p.c, "state",
                                                         "time-wait")
    est = ss_count(p.s, "state", "established")
    check(tw >= 60 and est >= 20,
          f"healthy: busy ({tw} TIME-WAIT, {est} ESTABLISHED)")
    expect("healthy server", p.s, [])
    expect("healthy client", p.c, [])


def replay():
    base = os.path.join(SRC, "tests", "fixtures", "doctor")
    r, doc = doctor("--proc-root", os.path.join(base, "memory"))
    if doc:
        kinds = [f["kind"] for f in doc["findings"]]
        check(kinds == ["tcp-memory"] and r.returncode == 5,
              f"replay memory: {kinds}, exit {r.returncode}")
    r, doc = doctor("--proc-root", os.path.join(base, "healthy"))
    if doc:
        check(doc["findings"] == [] and r.returncode == 0,
              f"replay healthy: {doc['findings']}, exit {r.returncode}")


SCENARIOS = [scenario_close_wait, scenario_copy, scenario_ephemeral,
             scenario_accept, scenario_syn_sent, scenario_fin_wait1,
             scenario_fin_wait2, scenario_stuck, scenario_retrans,
             scenario_healthy]


def main():
    sys.stdout.reconfigure(line_buffering=True)
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespaces)")
        return 77
    start = time.time()
    replay()
    for i, fn in enumerate(SCENARIOS, 1):
        p = Pair(i)
        try:
            fn(p)
        except Exception as e:  # noqa: BLE001
            check(False, f"{fn.__name__}: {e!r}")
        finally:
            p.close()
    print(f"1..{count}")
    print(f"# {time.time() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
