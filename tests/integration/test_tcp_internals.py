#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The lister's -i, -m, -e, -o, -K and -E against the kernel and ss, in a
network namespace of its own (root; 77 without):

- for TCP connections with data sent both ways (IPv4, IPv6, two
  congestion controls, the subflows of an MPTCP connection), every field of `--style=ss -tinmO` equals ss's
  (lastsnd, lastrcv, lastack within a tolerance), and the JSON tcp_info
  and skmem carry the same numbers under the kernel's names;
- `-e -o` (timer:, uid:, ino:, sk:, arrows), -m for UDP and UNIX, and -T's
  users:(...) with every thread equal ss's, field by field; and
  `--style=ss -tiH`, `-tmH`, `-teH`, `-toH`, ... byte for byte as ss (but
  for the milliseconds since the last send, receive and ack);
- -K without a filter refuses (exit 2) and closes nothing, without
  CAP_NET_ADMIN it fails saying so (exit 1); --dry-run lists
  exactly what ss selects and closes nothing; -K with a filter among
  several listeners closes exactly the sockets ss selects, each client of
  a closed connection gets a reset, every other socket stays;
- -E and `tulpen watch --source=sampled` (whose snapshots are too rare to
  see them) report the end of every scripted connection, in the right
  state, with the final byte counts.

usage: test_tcp_internals.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "schema"))
from validate import SchemaViolation, validate_text  # noqa: E402

TULPEN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
NS = "internals-%d" % os.getpid()
failures = []
count = 0
procs = []


def check(cond, what):
    global count
    count += 1
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)


def nsrun(*argv, timeout=30, check_rc=False):
    r = subprocess.run(["ip", "netns", "exec", NS] + list(argv),
                       capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode:
        raise SystemExit("%s: exit %d: %s" % (argv, r.returncode, r.stderr))
    return r


def helper(code, *args):
    """A python inside the namespace running @code; it says "ready"."""
    p = subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3",
                          "-c", code] + [str(a) for a in args],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    procs.append(p)
    line = p.stdout.readline()
    if not line.startswith("ready"):
        raise SystemExit("helper did not start: %r" % line)
    return p, json.loads(line[5:].strip() or "{}")


PAIRS = r'''
import json, socket, sys, time
socks, info = [], {"pairs": []}
def pair(fam, addr, cc, keepalive):
    ls = socket.socket(fam)
    ls.bind((addr, 0)); ls.listen(8)
    c = socket.socket(fam)
    if cc:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    if keepalive:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.connect(ls.getsockname()[:2]); a, _ = ls.accept()
    c.sendall(b"x" * 200000)
    got = 0
    while got < 200000:
        got += len(a.recv(65536))
    a.sendall(b"y" * 70000)
    got = 0
    while got < 70000:
        got += len(c.recv(65536))
    socks.extend([ls, c, a])
ccs = open("/proc/sys/net/ipv4/tcp_available_congestion_control").read().split()
pair(socket.AF_INET, "127.0.0.1", None, True)
pair(socket.AF_INET, "127.0.0.1", "reno" if "reno" in ccs else None, False)
pair(socket.AF_INET6, "::1", None, False)
mptcp = True
try:  # an MPTCP connection: its own -i, and its TCP subflows' ULP state
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    ls.bind(("127.0.0.1", 0)); ls.listen(4)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    c.connect(ls.getsockname()); a, _ = ls.accept()
    c.sendall(b"m" * 5000); a.recv(10000)
    socks += [ls, c, a]
except OSError:
    mptcp = False
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
x = socket.socket(socket.AF_UNIX); x.bind("\0tulpen-internals"); x.listen(1)
socks += [u, x]
import threading
for _ in range(2):  # threads that share the fd table, for -T
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
time.sleep(0.5)
print("ready" + json.dumps({"mptcp": mptcp}), flush=True)
sys.stdin.readline()
'''

TIME_MOVING = {"lastsnd", "lastrcv", "lastack"}


def parse_ss(text):
    """ss -O lines: (local, peer) -> (base columns, extra tokens)."""
    out = {}
    lines = []
    for line in text.splitlines():  # "\t..." continues the line before
        if line.startswith("\t") and lines:
            lines[-1] += " " + line
        else:
            lines.append(line)
    for line in lines:
        tok = line.split()
        if len(tok) < 5:
            continue
        # Netid State Recv-Q Send-Q Local Peer ... (Netid with several)
        base = 4 if tok[0] in ("tcp", "udp", "u_str", "u_dgr", "u_seq",
                               "raw", "mptcp") else 3
        if tok[0].startswith("u_"):
            key = (tok[base], tok[base + 1], tok[base + 2], tok[base + 3])
            rest = tok[base + 4:]
        else:
            key = (tok[base], tok[base + 1])
            rest = tok[base + 2:]
        out[key] = (tok[:base], rest)
    return out


def split_tok(t):
    m = re.match(r"^([a-z_]+):(.*)$", t)
    return (m.group(1), m.group(2)) if m else (t, None)


def same_tokens(a, b, what, tol_ms=3000):
    """ss's and tulpen's extra fields: equal but for time-moving ones."""
    if len(a) != len(b):
        return "%s: %d fields vs %d: %s / %s" % (what, len(a), len(b), a, b)
    for x, y in zip(a, b):
        kx, vx = split_tok(x)
        ky, vy = split_tok(y)
        if kx != ky:
            return "%s: field %r vs %r" % (what, x, y)
        if x == y:
            continue
        if kx in TIME_MOVING and abs(int(vx) - int(vy)) <= tol_ms:
            continue
        if kx == "timer":
            mx = re.match(r"\((\w+),(.*),(\d+)\)", vx)
            my = re.match(r"\((\w+),(.*),(\d+)\)", vy)
            if mx and my and mx.group(1) == my.group(1) and \
                    mx.group(3) == my.group(3):
                continue
        if kx == "cgroup" and vx == "unreachable:1" and vy == "/":
            continue  # ss without a cgroup2 mount; id 1 is the root
        return "%s: %r vs %r" % (what, x, y)
    return None


def check_info():
    # the same moment, as near as two commands get
    ss = nsrun("ss", "-tinmOH")
    tu = nsrun(TULPEN, "--style=ss", "-tinmOH")
    check(ss.returncode == 0 and tu.returncode == 0,
          "ss -tinmOH and tulpen --style=ss -tinmOH run: %s" % tu.stderr)
    a, b = parse_ss(ss.stdout), parse_ss(tu.stdout)
    check(len(a) >= 6 and set(a) == set(b),
          "-tinm: the same %d sockets as ss (%d)" % (len(b), len(a)))
    algos = set()
    for key in sorted(set(a) & set(b)):
        check(a[key][0][-3:] == b[key][0][-3:],
              "-tinm %s: state and queues as ss: %s / %s" %
              (key, a[key][0], b[key][0]))
        err = same_tokens(a[key][1], b[key][1], "-tinm %s %s" % key)
        check(err is None, err or "-tinm %s %s: every field as ss" % key)
        algos |= {t for t in a[key][1] if t in ("cubic", "reno", "bbr")}
    check(len(algos) >= 1, "congestion algorithms seen: %s" % algos)
    return a


def ss_fields(tokens):
    f = {}
    for t in tokens:
        k, v = split_tok(t)
        if v is not None:
            f[k] = v
    return f


def ep(e, fam):
    if fam == "inet6":
        return "[%s]:%d" % (e["address"], e["port"])
    return "%s:%d" % (e["address"], e["port"])


def schema_ok(text, what):
    try:
        validate_text("socket", text, what)
        check(True, "%s follows docs/schema/socket.schema.json" % what)
    except (SchemaViolation, ValueError) as e:
        check(False, "%s: schema: %s" % (what, e))


def normalize(text):
    """What may differ between two runs a few ms apart: lastsnd, lastrcv,
    lastack (and so the padding after the last field, which ss sizes to
    the longest); cgroup:unreachable:1 is ss without a cgroup2 mount,
    where tulpen names the root cgroup /."""
    text = re.sub(r"\b(lastsnd|lastrcv|lastack):\d+", r"\1:N", text)
    text = text.replace("cgroup:unreachable:1", "cgroup:/")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def check_bytes():
    """--style=ss byte for byte as ss for the same sockets (the layout's
    widths and the extras' text together)."""
    for opts in ("-tiH", "-tmH", "-teH", "-toH", "-tieomH", "-tinmO",
                 "-xamH", "-uamH", "-xaeH", "-uaemH"):
        ss = nsrun("ss", opts)
        tu = nsrun(TULPEN, "--style=ss", opts)
        a, b = normalize(ss.stdout), normalize(tu.stdout)
        diff = [(x, y) for x, y in zip(a.split("\n"), b.split("\n"))
                if x != y][:1]
        check(a == b and a.strip(),
              "--style=ss %s: byte for byte as ss (%d lines): %s" %
              (opts, a.count("\n"), diff))


def check_json(ss):
    tu = nsrun(TULPEN, "-tinm", "-a", "--json", "-n")
    recs = json.loads(tu.stdout)
    schema_ok(tu.stdout, "-tinm --json")
    r = nsrun(TULPEN, "-tuxa", "-im", "--tos", "--inet-sockopt", "--ndjson")
    schema_ok(r.stdout, "-tuxa -im --tos --inet-sockopt --ndjson")
    seen = 0
    for r in recs:
        if r["state"] == "LISTEN":
            continue
        key = (ep(r["local"], r["family"]), ep(r["peer"], r["family"]))
        if key not in ss or "tcp_info" not in r:
            check(False, "JSON: socket %s %s in ss -tinm with tcp_info" % key)
            continue
        seen += 1
        f = ss_fields(ss[key][1])
        ti, sk = r["tcp_info"], r["skmem"]
        want = {"mss": ti["snd_mss"], "advmss": ti["advmss"],
                "pmtu": ti["pmtu"], "cwnd": ti["snd_cwnd"],
                "rcvmss": ti["rcv_mss"], "bytes_acked": ti["bytes_acked"],
                "bytes_received": ti["bytes_received"],
                "segs_out": ti["segs_out"], "segs_in": ti["segs_in"]}
        for k, v in want.items():
            check(k not in f or int(f[k]) == v,
                  "JSON %s %s: %s %s = ss %s" % (key + (k, v, f.get(k))))
        check(f.get("wscale") == "%d,%d" % (ti["snd_wscale"],
                                           ti["rcv_wscale"]),
              "JSON %s %s: wscale" % key)
        check(ti["congestion"]["algorithm"] in ss[key][1],
              "JSON %s %s: algorithm %s" %
              (key + (ti["congestion"]["algorithm"],)))
        m = re.match(r"\(r(\d+),rb(\d+),t(\d+),tb(\d+),f(\d+),w(\d+),"
                     r"o(\d+),bl(\d+),d(\d+)\)", f.get("skmem", ""))
        check(m and [int(x) for x in m.groups()] ==
              [sk["rmem_alloc"], sk["rcvbuf"], sk["wmem_alloc"],
               sk["sndbuf"], sk["fwd_alloc"], sk["wmem_queued"],
               sk["optmem"], sk["backlog"], sk["drops"]],
              "JSON %s %s: skmem equals ss's %s" % (key + (f.get("skmem"),)))
        check(abs(ti["rtt_us"] / 1000 - float(f["rtt"].split("/")[0]))
              < 0.002 and ti["rto_us"] / 1000 == float(f["rto"]),
              "JSON %s %s: rtt_us and rto_us as ss's rtt and rto" % key)
    check(seen >= 6, "JSON: %d connections compared with ss" % seen)


def check_eo(mptcp):
    check(mptcp, "the kernel makes MPTCP connections (net.mptcp.enabled)")
    for opts in ("-tuxaeomOH", "-tuaeoH", "-xamH", "-tioH", "-tapTH",
                 "-tuaOH --tos --cgroup --inet-sockopt") + \
            (("-MaimOH", "-MaieoOH") if mptcp else ()):
        ss = nsrun("ss", *opts.split())
        tu = nsrun(TULPEN, "--style=ss", *opts.split())
        a, b = parse_ss(ss.stdout), parse_ss(tu.stdout)
        check(set(a) == set(b) and a,
              "%s: the same sockets as ss: %s / %s" % (opts, sorted(a),
                                                      sorted(b)))
        for key in sorted(set(a) & set(b)):
            err = same_tokens(a[key][1], b[key][1], "%s %s" % (opts, key))
            check(err is None, err or "%s %s: as ss" % (opts, key))


KILLER = r'''
import json, socket, sys, threading, time
ports, socks, resets = [], [], []
def reader(c):
    try:
        c.recv(10)
    except ConnectionResetError:
        resets.append(c.getsockname()[1])
        print("reset %d" % c.getsockname()[1], flush=True)
for i in range(3):
    ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
    ports.append(ls.getsockname()[1]); socks.append(ls)
    for j in range(2):
        c = socket.create_connection(ls.getsockname()); a, _ = ls.accept()
        a.sendall(b"z" * 1000); c.recv(1000)
        socks += [c, a]
        threading.Thread(target=reader, args=(c,), daemon=True).start()
print("ready" + json.dumps({"ports": ports}), flush=True)
sys.stdin.readline()
'''


def tcp_set(*filt):
    r = nsrun("ss", "-tanH", *filt)
    return {tuple(line.split()[i] for i in (0, 3, 4))
            for line in r.stdout.splitlines() if line.strip()}


def check_kill():
    p, info = helper(KILLER)
    ports = info["ports"]

    def mine():  # the sockets of this helper (earlier ones linger)
        return {w for w in tcp_set()
                if any(x.endswith(":%d" % q) for x in w[1:] for q in ports)}
    before = mine()
    r = nsrun(TULPEN, "-K")
    check(r.returncode == 2 and "refusing" in r.stderr and not r.stdout,
          "-K without a filter refuses, exit 2: %d %r" % (r.returncode,
                                                         r.stderr))
    check(mine() == before, "-K without a filter closed nothing")
    # without CAP_NET_ADMIN the kernel refuses: said so, nothing closed
    r = nsrun("setpriv", "--bounding-set=-net_admin",
              "--inh-caps=-net_admin", "--", TULPEN, "-K", "-a", "sport",
              "=", ":%d" % ports[0])
    check(r.returncode == 1 and "CAP_NET_ADMIN" in r.stderr,
          "-K without CAP_NET_ADMIN fails and says why: %d %r" %
          (r.returncode, r.stderr))
    check(mine() == before, "-K without CAP_NET_ADMIN closed nothing")
    victim = ports[1]
    want = tcp_set("sport", "=", ":%d" % victim)
    check(len(want) == 3, "ss selects the listener and 2 connections: %s" %
          want)
    r = nsrun(TULPEN, "-K", "--dry-run", "-a", "-n", "--json", "sport", "=",
              ":%d" % victim)
    listed = {(x["local"]["port"], x["peer"]["port"])
              for x in json.loads(r.stdout or "[]")}
    check(r.returncode == 0 and
          listed == {(int(w[1].rsplit(":", 1)[1]),
                      int(w[2].rsplit(":", 1)[1]) if w[2] != "0.0.0.0:*"
                      else 0) for w in want},
          "--dry-run lists what ss selects: %s" % listed)
    check(mine() == before, "--dry-run closed nothing")
    r = nsrun(TULPEN, "-K", "-a", "-n", "--json", "sport", "=",
              ":%d" % victim)
    closed = json.loads(r.stdout or "[]")
    check(r.returncode == 0 and len(closed) == 3,
          "-K closed and listed 3 sockets: exit %d, %s %s" %
          (r.returncode, [(x["local"]["port"], x["peer"]["port"])
                          for x in closed], r.stderr))
    resets = set()
    deadline = time.time() + 3
    while len(resets) < 2 and time.time() < deadline:
        line = p.stdout.readline()
        if line.startswith("reset"):
            resets.add(int(line.split()[1]))
    after = mine()
    check(not tcp_set("sport", "=", ":%d" % victim),
          "ss: no socket of port %d is left" % victim)
    clients = {w for w in before if w[2].endswith(":%d" % victim)}
    check(len(resets) == 2 and
          resets == {int(w[1].rsplit(":", 1)[1]) for w in clients},
          "both clients of the closed connections saw a reset: %s" % resets)
    others = before - want - clients
    check(others <= after and len(others) == 10,
          "every other socket stays: %d, lost %s" %
          (len(others), sorted(others - after)))
    p.stdin.close()


EVENTS = r'''
import json, socket, struct, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0)); ls.listen(8); port = ls.getsockname()[1]
other = socket.socket(); other.bind(("127.0.0.1", 0)); other.listen(1)
conns = []
for how in ("client", "server", "abort"):
    c = socket.create_connection(("127.0.0.1", port)); a, _ = ls.accept()
    conns.append((how, c, a))
o = socket.create_connection(other.getsockname()); oa, _ = other.accept()
print("ready" + json.dumps({"port": port, "other": other.getsockname()[1],
                           "clients": [c.getsockname()[1]
                                       for how, c, a in conns]}),
      flush=True)
sys.stdin.readline()
ends = []
for how, c, a in conns:
    c.sendall(b"c" * 3000); a.recv(65536); a.sendall(b"s" * 2000)
    got = 0
    while got < 2000:
        got += len(c.recv(65536))
    cp, ap = c.getsockname()[1], port
    t = time.time()
    if how == "client":
        c.close(); time.sleep(0.2); a.close()
    elif how == "server":
        a.close(); time.sleep(0.2); c.close()
    else:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c.close(); time.sleep(0.2); a.close()
    ends.append({"how": how, "client": cp, "t": t})
    time.sleep(0.3)
o.close(); oa.close()
print(json.dumps(ends), flush=True)
sys.stdin.readline()
'''


def check_events():
    p, info = helper(EVENTS)
    port, abort = info["port"], info["clients"][2]
    # an aborted socket loses its peer's port (and its own address) before
    # the kernel reports it: select it by its own port
    ev = subprocess.Popen(["ip", "netns", "exec", NS, TULPEN, "-E", "-i",
                           "--ndjson", "-n", "sport", "=", ":%d" % port,
                           "or", "dport", "=", ":%d" % port, "or", "sport",
                           "=", ":%d" % abort],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    procs.append(ev)
    wa = subprocess.Popen([TULPEN, "watch", "--source=sampled", "--netns",
                           "/run/netns/" + NS, "--interval", "30",
                           "--ndjson", "--transitions", "--duration", "6"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    procs.append(wa)
    time.sleep(1.0)
    p.stdin.write("\n")
    p.stdin.flush()
    ends = json.loads(p.stdout.readline())
    time.sleep(0.5)
    # the kernel's view of what is left: time-wait sockets
    tw = {(int(x.split()[2].rsplit(":", 1)[1]),
           int(x.split()[3].rsplit(":", 1)[1]))
          for x in nsrun("ss", "-tanH", "state", "time-wait").stdout
          .splitlines() if x.strip()}
    ev.send_signal(signal.SIGINT)
    out, err = ev.communicate(timeout=10)
    schema_ok(out, "-E -i --ndjson")
    recs = [json.loads(x) for x in out.splitlines() if x.strip()]
    got = {(r["local"]["port"], r["peer"]["port"]): r for r in recs}
    want = set()
    for e in ends:
        want |= {(e["client"], port if e["how"] != "abort" else 0),
                 (port, e["client"])}
    check(set(got) == want | {(port, 0)} or set(got) == want,
          "-E: one event per scripted socket, only those: %s vs %s" %
          (sorted(got), sorted(want)))
    for k in sorted(want & set(got)):
        r = got[k]
        ti = r.get("tcp_info", {})
        check(r["state"] == "CLOSED" and r["proto"] == "tcp",
              "-E %s: ended CLOSED: %s" % (k, r["state"]))
        client = k[0] != port
        sent = 3000 if client else 2000
        rcvd = 2000 if client else 3000
        if k[1] == 0:
            continue  # an abortive close resets the counters first
        # the kernel counts the SYN and the FIN too
        check(sent <= ti.get("bytes_acked", -1) <= sent + 2 and
              rcvd <= ti.get("bytes_received", -1) <= rcvd + 1,
              "-E %s: final bytes acked %s (sent %d), received %s (%d)" %
              (k, ti.get("bytes_acked"), sent, ti.get("bytes_received"),
               rcvd))
    out, err = wa.communicate(timeout=20)
    trans = [json.loads(x) for x in out.splitlines() if x.strip()]
    trans = [t for t in trans if t.get("type") == "transition"]
    check("destroy events" in err, "watch: says it uses destroy events: %r"
          % err)
    # The full socket's end comes when it happens (the snapshots are 30 s
    # apart): an active closer's time-wait socket takes over (FIN-WAIT-2
    # while the peer's FIN is due, else TIME-WAIT), any other ends CLOSED;
    # the last state is the kernel's at the end.
    for e in ends:
        for k in ((e["client"], port), (port, e["client"])):
            mine = [t for t in trans
                    if (t["local"]["port"], t["peer"]["port"]) == k]
            first = mine[0] if mine else {}
            final = "TIME-WAIT" if k in tw else "CLOSED"
            ok_first = ("FIN-WAIT-2", "TIME-WAIT") if k in tw else \
                ("CLOSED",)
            check(first.get("old") == "ESTABLISHED" and
                  first.get("new") in ok_first and
                  abs(first.get("ts", 0) - e["t"]) < 1.0 and
                  mine[-1]["new"] == final,
                  "watch (%s close) %s: ESTABLISHED -> %s within 1 s "
                  "(interval 30 s), last %s: %s" %
                  (e["how"], k, "/".join(ok_first), final,
                   [(t["old"], t["new"], round(t["ts"] - e["t"], 2))
                    for t in mine]))
    p.stdin.close()


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespaces)")
        sys.exit(77)
    if not TULPEN:
        raise SystemExit("no tulpen binary ($TULPEN)")
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"],
                       check=True)
        p, info = helper(PAIRS)
        ss = check_info()
        check_json(ss)
        check_eo(info["mptcp"])
        check_bytes()
        p.stdin.close()
        check_kill()
        check_events()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run(["ip", "netns", "del", NS])
    print("1..%d" % count)
    if failures:
        print("%d of %d checks failed" % (len(failures), count))
        sys.exit(1)


main()
