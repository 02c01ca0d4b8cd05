#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tulpen watch detaches cleanly: Ctrl-C (SIGINT), SIGTERM and a closed
output pipe each end it with status 0 (SIGTERM also when the reader has
stopped reading and a write blocks), and afterwards none of the eBPF
programs (or links) it had loaded is left in the kernel (`bpftool prog
show`). The programs are found through the process's own descriptors
(/proc/PID/fdinfo: prog_id), so tests running in parallel do not matter.

usage: watch_detach.py [TULPEN]   (or $TULPEN)
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import watch_common as wc  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def bpftool(*args):
    # bpftool walks the kernel's list of links or programs; one that goes
    # away during the walk (another test's, tests run in parallel) makes it
    # fail now and then: ask again before giving up.
    for attempt in range(5):
        r = subprocess.run(["bpftool", "--json"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode == 0:
            return json.loads(r.stdout or b"[]") or []
        time.sleep(0.2)
    raise RuntimeError("bpftool %s failed: %s" %
                       (" ".join(args), r.stderr.decode(errors="replace")))


def prog_ids_of(pid):
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def start(tulpen, extra=()):
    p = subprocess.Popen([tulpen, "watch", "--source=bpf", "--ndjson"] +
                         list(extra), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    lr = wc.LineReader(p.stdout)
    line = lr.line(60)
    if not line or json.loads(line).get("type") != "start":
        p.kill()
        raise AssertionError("no start record: %r %s" %
                             (line, p.stderr.read()))
    return p, lr


def loaded_ids():
    return {p["id"] for p in bpftool("prog", "show")}


def linked_ids():
    return {l.get("prog_id") for l in bpftool("link", "show")}


def case(name, tulpen, stop):
    p, lr = start(tulpen, ["--summary-every", "0.05"])
    ids = prog_ids_of(p.pid)
    check(len(ids) >= 5, "%s: only %d programs found in fdinfo" %
          (name, len(ids)))
    check(ids <= loaded_ids(), "%s: programs not in bpftool" % name)
    check(ids & linked_ids(), "%s: programs not attached" % name)
    rc = stop(p, lr)
    check(rc == 0, "%s: exit status %r: %s" % (name, rc,
                                               p.stderr.read().decode()))
    # the kernel frees programs after an RCU grace period: allow 10 s
    end = time.monotonic() + 10
    while True:
        left = ids & loaded_ids()
        attached = ids & linked_ids()
        if not (left or attached) or time.monotonic() > end:
            break
        time.sleep(0.1)
    check(not attached, "%s: programs left attached: %s" %
          (name, sorted(attached)))
    check(not left, "%s: programs left loaded: %s" % (name, sorted(left)))


def by_signal(sig):
    def stop(p, lr):
        time.sleep(0.3)
        p.send_signal(sig)
        try:
            return p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            return "hung"
    return stop


def by_closed_pipe(p, lr):
    time.sleep(0.3)
    os.close(lr.fd)              # the reader goes away (like `| head`)
    p.stdout = None
    try:
        return p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        return "hung"


def child_main():
    """In a namespace: make connections until told to stop."""
    import socket
    wc.child_hello()
    sys.stdin.readline()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    for _ in range(2000):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = ls.accept()
        c.close()
        s.close()
    print(json.dumps({"done": 1}), flush=True)
    sys.stdin.readline()


def stuck_reader(tulpen):
    """The reader stops reading; SIGTERM must still end tulpen."""
    child = wc.Child(os.path.abspath(__file__))
    p, lr = start(tulpen, ["--netns", child.netns])
    child.send({"go": 1})
    child.read(120)              # ~2 MB of records: the pipe is full
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    child.finish()
    check(rc == 0, "stuck reader: exit status %r" % (rc,))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main()
        return 0
    tulpen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
    wc.need_root()
    wc.need_tools("bpftool")
    wc.need_bpf(tulpen)
    case("SIGINT", tulpen, by_signal(signal.SIGINT))
    case("SIGTERM", tulpen, by_signal(signal.SIGTERM))
    case("closed pipe", tulpen, by_closed_pipe)
    stuck_reader(tulpen)
    # --json: one document, a real JSON array, also when stopped
    p = subprocess.Popen([tulpen, "watch", "--source=bpf", "--json",
                          "--summary-every", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lr = wc.LineReader(p.stdout)
    got = []
    end = time.monotonic() + 60
    while time.monotonic() < end:   # until the start record is out
        line = lr.line(end - time.monotonic())
        if line is None:
            break
        got.append(line)
        if '"type":"start"' in line:
            break
    while time.monotonic() < end:   # until a summary is out (under a
        line = lr.line(end - time.monotonic())   # sanitizer on a loaded
        if line is None:                          # host it can take more
            break                                 # than a second)
        got.append(line)
        if '"type":"summary"' in line:
            break
    p.send_signal(signal.SIGINT)
    out = "\n".join(got) + "\n" + lr.rest()   # read to the end
    p.wait(30)
    check(p.returncode == 0, "--json: exit status %d" % p.returncode)
    try:
        doc = json.loads(out)
        check(isinstance(doc, list) and doc and doc[0]["type"] == "start",
              "--json: not an array starting with the start record")
        check(any(o["type"] == "summary" for o in doc),
              "--json: no summary record")
    except ValueError as e:
        check(False, "--json output does not parse: %s" % e)
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("ok: SIGINT, SIGTERM, a closed pipe and a stuck reader: detached, "
          "exit 0; --json parses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
