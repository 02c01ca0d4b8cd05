# SPDX-License-Identifier: MIT
"""What the tulpen serve tests share: a private network namespace, a
socket population in known states, tulpen serve as a child, HTTP over a
kept-alive connection, ss's counts and a small parser of the text format.

Everything talks only to 127.0.0.1 / ::1 inside the namespace the test
makes (unshare(CLONE_NEWNET): only lo, gone when the process exits).
"""
import ctypes
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000

SS_STATE = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN-SENT", "SYN-RECV": "SYN-RECEIVED",
    "FIN-WAIT-1": "FIN-WAIT-1", "FIN-WAIT-2": "FIN-WAIT-2",
    "TIME-WAIT": "TIME-WAIT", "UNCONN": "CLOSED", "CLOSE-WAIT": "CLOSE-WAIT",
    "LAST-ACK": "LAST-ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
}


class Fail(Exception):
    pass


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok -", what)


def enter_netns(tools=("ss", "ip")):
    """Move this process into a fresh network namespace with lo up."""
    if os.geteuid() != 0:
        skip("needs root for a private network namespace")
    for t in tools:
        if not shutil.which(t):
            raise Fail("'%s' not found (scripts/deps.sh installs it)" % t)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise Fail("unshare(CLONE_NEWNET): %s"
                   % os.strerror(ctypes.get_errno()))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def tulpen_path():
    if len(sys.argv) > 1:
        return sys.argv[1]
    return os.environ["TULPEN"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # never connected: leaves no socket behind
    return port


class Serve:
    """tulpen serve as a child; stderr kept for the checks."""

    def __init__(self, tulpen, args, port):
        self.port = port
        self.err = open(os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                     "tulpen-serve-%d.log" % os.getpid()),
                        "w+")
        argv = tulpen if isinstance(tulpen, list) else [tulpen]
        self.proc = subprocess.Popen(argv + ["serve"] + args,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise Fail("tulpen serve exited %d: %s"
                           % (self.proc.returncode, self.stderr()))
            if "listening on" in self.stderr():
                return
            if time.time() > deadline:
                raise Fail("tulpen serve did not start: " + self.stderr())
            time.sleep(0.05)

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Fail("tulpen serve did not stop on SIGTERM")
        return self.proc.returncode

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Fail("no VmRSS for tulpen serve")


def get(conn, path, headers=None):
    """One request on a kept-alive connection: (status, headers, body)."""
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read().decode()


def ss_states():
    """State -> count of every TCP socket, as ss counts them."""
    out = subprocess.run(["ss", "-tanH"], check=True, capture_output=True,
                         text=True).stdout
    counts = {}
    for line in out.splitlines():
        st = SS_STATE[line.split()[0]]
        counts[st] = counts.get(st, 0) + 1
    return counts


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_text(text):
    """Samples of the text format: [(name, {label: value}, float)]."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise Fail("not a sample line: %r" % line)
        labels = dict(LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def values(samples, name, key=None):
    """{label value of @key (or None): value} of the samples of @name."""
    return {(lab.get(key) if key else None): v
            for n, lab, v in samples if n == name}


def tulpen_states(samples):
    return {k: int(v) for k, v in values(samples, "tulpen_tcp_sockets",
                                          "state").items() if v}


class Population:
    """Sockets in known states, held by this process, on 127.0.0.1/::1:
    listeners (one with a full-ish accept queue), established pairs over
    IPv4 and IPv6, CLOSE-WAIT/FIN-WAIT-2 pairs, client TIME-WAIT."""

    def __init__(self, established=40, close_wait=12, time_wait=15,
                 queued=3, backlog=7):
        self.socks = []
        self.close_wait = close_wait
        self.queued = queued
        self.backlog = backlog
        self.queue_port = self.listen("127.0.0.1", backlog)[1]
        for _ in range(queued):
            self.connect("127.0.0.1", self.queue_port)
        lst, port = self.listen("127.0.0.1", 128)
        lst6, port6 = self.listen("::1", 128, socket.AF_INET6)
        for i in range(established):
            if i % 4 == 3:
                self.pair(lst6, "::1", port6, socket.AF_INET6)
            else:
                self.pair(lst, "127.0.0.1", port)
        for _ in range(close_wait):
            c, _ = self.pair(lst, "127.0.0.1", port)
            c.shutdown(socket.SHUT_WR)  # client FIN-WAIT-2, server CLOSE-WAIT
        for _ in range(time_wait):
            c, s = self.pair(lst, "127.0.0.1", port, keep=False)
            c.close()  # the client closes first: TIME-WAIT
            time.sleep(0.002)
            s.close()
        time.sleep(0.3)  # the FINs and ACKs above on lo

    def listen(self, addr, backlog, fam=socket.AF_INET):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.listen(backlog)
        self.socks.append(s)
        return s, s.getsockname()[1]

    def connect(self, addr, port, fam=socket.AF_INET):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        self.socks.append(c)
        return c

    def pair(self, lst, addr, port, fam=socket.AF_INET, keep=True):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        s, _ = lst.accept()
        if keep:
            self.socks += [c, s]
        return c, s


def main(body):
    """Run @body(tulpen); print the outcome; exit 0 or 1."""
    try:
        body(tulpen_path())
    except Fail as e:
        print("FAIL:", e)
        sys.exit(1)
    print("PASS")
    sys.exit(0)
