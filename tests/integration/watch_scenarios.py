#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tulpen watch (eBPF source) against connections whose kernel transitions
are known exactly, in a private network namespace.

The scenario child runs as the server (it accepts) and forks one client
process per scenario (it connects), so the owners differ and are known.
Checked for each connection: the whole state path of its lifetime record,
its owner pid, and that every time in state is present, non-negative and
plausible. TIME-WAIT ends when the namespace goes away (the kernel purges
its time-wait sockets), which must be reported as TIME-WAIT -> CLOSED.

usage: watch_scenarios.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

CLIENT_CLOSE = ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
                "TIME-WAIT", "CLOSED"]
SERVER_PASSIVE = ["SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK",
                  "CLOSED"]
SERVER_CLOSE = ["SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
                "TIME-WAIT", "CLOSED"]
CLIENT_PASSIVE = ["SYN-SENT", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK",
                  "CLOSED"]


# ---- in the namespace ----------------------------------------------------

def listener(host="127.0.0.1"):
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.bind((host, 0))
    ls.listen(8)
    return ls, ls.getsockname()[1]


def fork_client(fn):
    """Run fn() in a child process; returns (pid, pipe to read its port)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            fn(w)
        except BaseException as e:  # report, never fall through
            os.write(2, ("client: %r\n" % e).encode())
            code = 1
        os._exit(code)
    os.close(w)
    return pid, r


def tell_port(w, c):
    os.write(w, b"%d\n" % c.getsockname()[1])
    os.close(w)


def read_port(r):
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(r, 16)
        if not chunk:
            raise RuntimeError("client died before telling its port")
        data += chunk
    os.close(r)
    return int(data)


def reap(pid):
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("client failed: status %d" % status)


def sc_client_close(host="127.0.0.1"):
    ls, port = listener(host)

    def client(w):
        c = socket.create_connection((host, port))
        tell_port(w, c)
        c.sendall(b"x")
        assert c.recv(1) == b"y"
        c.close()
        time.sleep(0.5)

    pid, r = fork_client(client)
    s, _ = ls.accept()
    cport = read_port(r)
    assert s.recv(1) == b"x"
    s.sendall(b"y")
    assert s.recv(1) == b""      # client's FIN: we are in CLOSE-WAIT
    time.sleep(0.2)              # client sits in FIN-WAIT-2
    s.close()
    reap(pid)
    ls.close()
    return {"client_pid": pid, "client_port": cport, "server_port": port}


def sc_server_close():
    ls, port = listener()

    def client(w):
        c = socket.create_connection(("127.0.0.1", port))
        tell_port(w, c)
        assert c.recv(1) == b""  # server's FIN
        time.sleep(0.2)          # server sits in FIN-WAIT-2
        c.close()
        time.sleep(0.3)

    pid, r = fork_client(client)
    s, _ = ls.accept()
    cport = read_port(r)
    time.sleep(0.05)
    s.close()
    reap(pid)
    ls.close()
    return {"client_pid": pid, "client_port": cport, "server_port": port}


def sc_refused():
    ls, port = listener()
    ls.close()                   # nobody listens there any more

    def client(w):
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            os.write(w, b"0\n")
            os.close(w)
            return
        raise AssertionError("connect was not refused")

    pid, r = fork_client(client)
    read_port(r)
    reap(pid)
    return {"client_pid": pid, "server_port": port}


def sc_reset():
    ls, port = listener()

    def client(w):
        c = socket.create_connection(("127.0.0.1", port))
        tell_port(w, c)
        time.sleep(0.1)
        # linger 0: close() aborts with a RST
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()

    pid, r = fork_client(client)
    s, _ = ls.accept()
    cport = read_port(r)
    try:
        data = s.recv(1)
        assert data == b"", data
    except ConnectionResetError:
        pass
    s.close()
    reap(pid)
    ls.close()
    return {"client_pid": pid, "client_port": cport, "server_port": port}


def nft(*args):
    subprocess.run(["nft"] + list(args), check=True)


def sc_simultaneous():
    """Both sides close while FINs are dropped; the client closes first,
    so its FIN is retransmitted first: the server (in FIN-WAIT-1) gets a
    FIN that does not ack its own: CLOSING."""
    ls, port = listener()
    nft("add", "table", "inet", "tulpen_sim")
    nft("add", "chain", "inet", "tulpen_sim", "out",
        "{ type filter hook output priority 0 ; }")

    rd, wr = os.pipe()
    done_r, done_w = os.pipe()

    def client(w):
        c = socket.create_connection(("127.0.0.1", port))
        tell_port(w, c)
        assert os.read(rd, 1) == b"c"   # FINs are dropped now
        c.close()
        os.write(done_w, b"d")

    pid, r = fork_client(client)
    s, _ = ls.accept()
    cport = read_port(r)
    nft("add", "rule", "inet", "tulpen_sim", "out", "tcp", "flags", "&",
        "fin", "==", "fin", "drop")
    os.write(wr, b"c")
    # The client must close first, however slow the machine is to run it.
    assert os.read(done_r, 1) == b"d"
    time.sleep(0.05)
    s.close()                    # server FIN dropped too: both FIN-WAIT-1
    time.sleep(0.05)
    nft("delete", "table", "inet", "tulpen_sim")
    # the retransmitted FINs (after an RTO) finish the close: wait for it
    end = time.monotonic() + 20
    while time.monotonic() < end:
        out = subprocess.run(["ss", "-Htan", "state", "fin-wait-1",
                              "state", "closing"], stdout=subprocess.PIPE,
                             text=True).stdout
        if not out.strip():
            break
        time.sleep(0.1)
    reap(pid)
    ls.close()
    return {"client_pid": pid, "client_port": cport, "server_port": port}


SCENARIOS = [
    ("client_close", sc_client_close),
    ("client_close6", lambda: sc_client_close("::1")),
    ("server_close", sc_server_close),
    ("refused", sc_refused),
    ("reset", sc_reset),
    ("simultaneous", sc_simultaneous),
]


def child_main():
    wc.child_hello()
    json.loads(sys.stdin.readline())   # go
    results = {}
    for name, fn in SCENARIOS:
        results[name] = fn()
    print(json.dumps({"server_pid": os.getpid(), "results": results}),
          flush=True)
    sys.stdin.readline()         # wait for EOF, then leave the namespace


# ---- outside: run tulpen and check --------------------------------------

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def check_times(name, lt):
    steps = lt["path"]
    for st in steps[:-1]:
        ns = st.get("duration_ns")
        check(ns is not None and 0 <= ns < 60e9,
              "%s: implausible time in %s: %r" % (name, st["state"], ns))
    check(lt["duration_ns"] >= 0 and lt["duration_ns"] < 120e9,
          "%s: implausible duration %r" % (name, lt["duration_ns"]))
    total = sum(st["duration_ns"] for st in steps[:-1]
                if st.get("duration_ns") is not None)
    # the parts add up to the whole (clock reads differ by microseconds)
    check(abs(total - lt["duration_ns"]) < 5e6,
          "%s: times in states add up to %d, duration is %d" %
          (name, total, lt["duration_ns"]))


def state_ns(lt, state):
    for st in lt["path"]:
        if st["state"] == state:
            return st.get("duration_ns")
    return None


def expect(objs, name, lport, pport, path, pid):
    lt = wc.find_lifetime(objs, lport, pport)
    check(lt is not None, "%s: no lifetime for %d -> %d" %
          (name, lport, pport))
    if lt is None:
        return None
    got = wc.path_states(lt)
    check(got == path, "%s: path %s, expected %s" % (name, got, path))
    check(wc.owner_pid(lt) == pid, "%s: owner %r, expected pid %d" %
          (name, lt["processes"], pid))
    check(lt["start_known"] is True, "%s: start not known" % name)
    check_times(name, lt)
    return lt


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    wc.need_root()
    wc.need_bpf(tulpen)
    wc.need_tools("nft")
    rc = run(tulpen)
    if rc:
        # Seen rarely on the loaded development machine: a client's
        # FIN-WAIT-2 and time-wait take-over never reached any tracer
        # (another eBPF tracer run alongside missed the same transitions).
        # One full rerun; a systematic fault fails both.
        print("first run failed; running all scenarios once more")
        failures.clear()
        rc = run(tulpen)
    return rc


def run(tulpen):

    child = wc.Child(os.path.abspath(__file__))
    w = wc.Watch(tulpen, child.netns)
    check(w.start["source"] == "bpf", "source is %r" % w.start["source"])
    # every part of the eBPF source attached (no tracefs needed)
    check(w.start.get("missing") == [], "eBPF parts missing: %r" %
          w.start.get("missing"))
    child.send({"go": 1})
    res = child.read(60)
    spid = res["server_pid"]
    r = res["results"]
    child.finish()               # namespace goes: TIME-WAIT sockets purged

    cc, scl = r["client_close"], r["server_close"]
    c6 = r["client_close6"]
    want = [(cc["client_port"], cc["server_port"]),
            (cc["server_port"], cc["client_port"]),
            (c6["client_port"], c6["server_port"]),
            (c6["server_port"], c6["client_port"]),
            (scl["server_port"], scl["client_port"]),
            (scl["client_port"], scl["server_port"])]
    sm = r["simultaneous"]
    want += [(sm["client_port"], sm["server_port"]),
             (sm["server_port"], sm["client_port"])]

    def done(objs):
        return all(wc.find_lifetime(objs, a, b) for a, b in want)

    wc_ok = w.wait_for(done, 30)
    check(wc_ok, "lifetimes of TIME-WAIT connections never ended")
    rc = w.stop()
    check(rc == 0, "tulpen watch exit status %d: %s" % (rc, w.stderr))
    objs = w.objs

    # client closes first
    lt = expect(objs, "client_close/client", cc["client_port"],
                cc["server_port"], CLIENT_CLOSE, cc["client_pid"])
    if lt:
        fw2 = state_ns(lt, "FIN-WAIT-2")
        check(fw2 is not None and fw2 >= 0.15e9,
              "client_close: FIN-WAIT-2 lasted %r ns, the server waited "
              "0.2 s before closing" % fw2)
        # the kernel's counters are in sequence space: SYN and FIN
        # may count one each
        check(lt.get("bytes_acked") in (1, 2, 3) and
              lt.get("bytes_received") in (1, 2, 3),
              "client_close: bytes %r/%r, expected 1 each (+SYN/FIN)"
              % (lt.get("bytes_acked"), lt.get("bytes_received")))
    lt = expect(objs, "client_close/server", cc["server_port"],
                cc["client_port"], SERVER_PASSIVE, spid)
    # before the accept, the server side shows its listener's owner
    first = [o for o in objs if o.get("type") == "transition" and
             o["local"]["port"] == cc["server_port"] and
             o["peer"]["port"] == cc["client_port"]]
    if first:
        check(first[0]["new"] == "SYN-RECEIVED" and
              wc.owner_pid(first[0]) == spid and
              first[0].get("owner_of_listener") is True,
              "client_close/server: first transition %r" % first[0])
    if lt:
        cw = state_ns(lt, "CLOSE-WAIT")
        check(cw is not None and cw >= 0.15e9,
              "client_close: CLOSE-WAIT lasted %r ns, expected >= 0.2 s" %
              cw)

    # the same over IPv6
    lt = expect(objs, "client_close6/client", c6["client_port"],
                c6["server_port"], CLIENT_CLOSE, c6["client_pid"])
    if lt:
        check(lt["family"] == "inet6" and lt["local"]["address"] == "::1",
              "client_close6: not IPv6 ::1: %r" % lt["local"])
        fw2 = state_ns(lt, "FIN-WAIT-2")
        check(fw2 is not None and fw2 >= 0.15e9,
              "client_close6: FIN-WAIT-2 lasted %r ns" % fw2)
    expect(objs, "client_close6/server", c6["server_port"],
           c6["client_port"], SERVER_PASSIVE, spid)

    # the listener: owned by the process that called listen()
    expect(objs, "client_close/listener", cc["server_port"], 0,
           ["LISTEN", "CLOSED"], spid)

    # server closes first
    expect(objs, "server_close/server", scl["server_port"],
           scl["client_port"], SERVER_CLOSE, spid)
    expect(objs, "server_close/client", scl["client_port"],
           scl["server_port"], CLIENT_PASSIVE, scl["client_pid"])

    # refused: the client's socket; its port is the kernel's choice
    rf = r["refused"]
    cands = [o for o in wc.lifetimes(objs)
             if o["peer"]["port"] == rf["server_port"]]
    check(len(cands) == 1, "refused: %d lifetimes to port %d" %
          (len(cands), rf["server_port"]))
    if cands:
        lt = cands[0]
        check(wc.path_states(lt) == ["SYN-SENT", "CLOSED"],
              "refused: path %s" % wc.path_states(lt))
        check(wc.owner_pid(lt) == rf["client_pid"],
              "refused: owner %r" % lt["processes"])
        check(lt["local"]["port"] != 0, "refused: local port 0")
        check_times("refused", lt)

    rs = r["reset"]
    expect(objs, "reset/client", rs["client_port"], rs["server_port"],
           ["SYN-SENT", "ESTABLISHED", "CLOSED"], rs["client_pid"])
    expect(objs, "reset/server", rs["server_port"], rs["client_port"],
           ["SYN-RECEIVED", "ESTABLISHED", "CLOSED"], spid)

    # The client closes first, so its FIN is usually retransmitted
    # first and the server goes through CLOSING; but both FINs wait for
    # a timer of about 200 ms, and on a loaded machine the server's may
    # fire first. Either way exactly one side passes CLOSING and the
    # other FIN-WAIT-2, and tulpen must show the pair the kernel made.
    sm = r["simultaneous"]
    fw2 = ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]
    closing = ["FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"]
    lt = wc.find_lifetime(objs, sm["client_port"], sm["server_port"])
    swapped = lt is not None and "CLOSING" in wc.path_states(lt)
    if swapped:
        print("note: simultaneous close: the server's FIN came first")
    expect(objs, "simultaneous/client", sm["client_port"],
           sm["server_port"], ["SYN-SENT", "ESTABLISHED"] +
           (closing if swapped else fw2), sm["client_pid"])
    expect(objs, "simultaneous/server", sm["server_port"],
           sm["client_port"], ["SYN-RECEIVED", "ESTABLISHED"] +
           (fw2 if swapped else closing), spid)

    # every transition record is about our namespace and has sane times
    ns = w.start.get("netns")
    for o in objs:
        if o.get("type") in ("transition", "lifetime", "accept"):
            check(o.get("netns") == ns, "record from another namespace: "
                  "%r" % o)
        if o.get("type") == "transition" and o["in_old_ns"] is not None:
            check(o["in_old_ns"] >= 0, "negative time in state: %r" % o)
        if o.get("type") == "lost":
            check(False, "events lost: %r" % o)

    if failures:
        print("%d checks failed" % len(failures))
        for o in objs:
            if o.get("type") == "lifetime":
                print(json.dumps(o))
            elif o.get("type") == "transition":
                print("transition %s:%d -> %s:%d %s -> %s" % (
                    o["local"]["address"], o["local"]["port"],
                    o["peer"]["address"], o["peer"]["port"], o["old"],
                    o["new"]))
        return 1
    print("ok: %d records checked" % len(objs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
