# SPDX-License-Identifier: MIT
"""Helpers shared by the `tulpen watch` integration tests.

Every test makes its own network namespace with `unshare -n` (a child
process that runs a scenario inside it), points `tulpen watch --netns` at
it so that only its own sockets are reported (the tracepoints are global),
and talks to the child over pipes.
"""
import collections
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
BTF = "/sys/kernel/btf/vmlinux"


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def need_tools(*tools):
    """As root every tool a test needs is part of the set-up: a missing
    one is a failure, not a skip (scripts/deps.sh installs them)."""
    for tool in tools:
        if not shutil.which(tool):
            fail(tool + " is not installed (scripts/deps.sh)")


def need_root():
    if os.geteuid() != 0:
        skip("needs root (network namespaces, eBPF)")
    need_tools("unshare", "ip")


def have_btf():
    return os.path.exists(BTF)


def need_bpf(tulpen):
    """Skip only without root or kernel BTF. Where eBPF can work, the
    eBPF source must load: a missing binary, a crash or a load failure is
    a failure with its reason."""
    need_root()
    if not have_btf():
        skip("the kernel has no BTF (%s)" % BTF)
    if not tulpen or not os.access(tulpen, os.X_OK):
        fail("no tulpen binary at %r" % tulpen)
    cmd = [tulpen, "watch", "--source=bpf", "--duration", "0.05",
           "--ndjson", "--lifetimes"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        fail("%s hung (no exit in 60 s)" % " ".join(cmd))
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode < 0:
        fail("%s was killed by signal %d: %s" %
             (" ".join(cmd), -p.returncode, err))
    if p.returncode != 0:
        fail("the eBPF source does not load as root with BTF (exit %d): "
             "%s" % (p.returncode, err))
    start = json.loads(p.stdout.decode().splitlines()[0])
    if start.get("source") != "bpf":
        fail("--source=bpf started %r" % start)


def bpf_links(pid):
    """eBPF links process @pid holds (its programs are attached)."""
    n = 0
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                n += "link_id:" in f.read()
        except OSError:
            pass
    return n


def owner_pid(rec):
    """The owner's pid of a record ("processes": [{"pid", ...}]), or
    None."""
    procs = rec.get("processes") or []
    return procs[0]["pid"] if procs else None


class Child:
    """A scenario process in a fresh network namespace."""

    def __init__(self, script, *args):
        self.p = subprocess.Popen(
            ["unshare", "-n", sys.executable, script, "--child"] +
            list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1)
        self.lr = LineReader(self.p.stdout)
        self.hello = self.read()
        self.pid = self.hello["pid"]
        self.netns = "/proc/%d/ns/net" % self.pid

    def read(self, timeout=30):
        line = self.lr.line(timeout)
        if line is None:
            if self.lr.eof:
                raise AssertionError("scenario child died (rc %s)" %
                                     self.p.wait())
            raise AssertionError("scenario child: no answer in %ds" %
                                 timeout)
        return json.loads(line)

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()

    def finish(self, timeout=30):
        self.p.stdin.close()
        return self.p.wait(timeout)


def child_hello():
    """In the child: bring lo up and say who we are."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    print(json.dumps({"pid": os.getpid()}), flush=True)


class LineReader:
    """Lines from a pipe with a timeout (select() cannot see what a
    buffered file object already holds, so read the raw fd). Each chunk
    is split once: a flood of records costs linear time."""

    def __init__(self, f):
        self.fd = f.fileno()
        self.lines = collections.deque()
        self.buf = b""          # an incomplete last line
        self.eof = False

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            self.eof = True
            return True
        parts = (self.buf + chunk).split(b"\n")
        self.buf = parts.pop()
        self.lines.extend(parts)
        return True

    def line(self, timeout):
        end = time.monotonic() + timeout
        while not self.lines and not self.eof:
            left = end - time.monotonic()
            if left <= 0 or not self._read(left):
                return None
        if self.lines:
            return self.lines.popleft().decode()
        rest, self.buf = self.buf, b""
        return rest.decode() if rest else None

    def rest(self):
        while not self.eof:
            self._read(None)
        data = b"".join(l + b"\n" for l in self.lines) + self.buf
        self.lines.clear()
        self.buf = b""
        return data.decode()


class Watch:
    """`tulpen watch --ndjson` on one namespace, read line by line."""

    def __init__(self, tulpen, netns, *extra):
        self.p = subprocess.Popen(
            [tulpen, "watch", "--ndjson", "--netns", netns] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lr = LineReader(self.p.stdout)
        self.objs = []
        start = self.next(30)
        if start is None or start.get("type") != "start":
            self.p.kill()
            raise AssertionError("tulpen watch did not start: %r %s" %
                                 (start, self.p.stderr.read().decode()))
        self.start = start

    def next(self, timeout):
        line = self.lr.line(timeout)
        if not line:
            return None
        obj = json.loads(line)  # every line must be valid JSON
        self.objs.append(obj)
        return obj

    def wait_for(self, pred, timeout):
        """Read until pred(list of objects) is true or time is up."""
        end = time.monotonic() + timeout
        while not pred(self.objs):
            left = end - time.monotonic()
            if left <= 0:
                break
            if self.next(left) is None and self.lr.eof:
                break
        return pred(self.objs)

    def stop(self, sig=signal.SIGINT, timeout=20):
        """Stop tulpen and read everything it still writes: it gives a
        reader that stops reading only 3 s (then a record may be cut), so
        keep reading until the end of its output."""
        self.p.send_signal(sig)
        end = time.monotonic() + timeout
        while not self.lr.eof and time.monotonic() < end:
            line = self.lr.line(end - time.monotonic())
            if line:
                self.objs.append(json.loads(line))
        rc = self.p.wait(max(end - time.monotonic(), 1))
        for line in self.lr.rest().splitlines():
            self.objs.append(json.loads(line))
        self.stderr = self.p.stderr.read().decode()
        return rc


def lifetimes(objs):
    return [o for o in objs if o.get("type") == "lifetime"]


def find_lifetime(objs, lport, pport):
    for o in lifetimes(objs):
        if o["local"]["port"] == lport and o["peer"]["port"] == pport:
            return o
    return None


def path_states(lt):
    return [s["state"] for s in lt["path"]]
