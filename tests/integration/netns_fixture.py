#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The namespaces of test_netns.py: their holders (processes with sockets
in them), their containers (cgroup v2 directories as container runtimes
lay them out) and what ss sees in each."""
import collections
import ctypes
import os
import re
import secrets
import signal
import socket
import subprocess
import time

PREFIX = "tnt%d-" % os.getpid()
CLONE_NEWNET = 0x40000000
SS_STATE = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN-SENT", "SYN-RECV": "SYN-RECEIVED",
    "FIN-WAIT-1": "FIN-WAIT-1", "FIN-WAIT-2": "FIN-WAIT-2",
    "TIME-WAIT": "TIME-WAIT", "UNCONN": "CLOSED", "CLOSE-WAIT": "CLOSE-WAIT",
    "LAST-ACK": "LAST-ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
}
libc = ctypes.CDLL(None, use_errno=True)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# --- the namespaces and their holders --------------------------------------

HOLDER_SCRIPT = r"""
import socket, sys, time
port, nconn, tw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
exec(sys.argv[4])
keep = make_sockets(port, nconn, tw)
sys.stdout.write("r"); sys.stdout.flush()
while True:
    time.sleep(3600)
"""

MAKE_SOCKETS = r"""
def make_sockets(port, nconn, tw):
    keep = []
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    keep.append(ls)
    for _ in range(nconn):
        c = socket.create_connection(("127.0.0.1", port))
        a, _ = ls.accept()
        keep += [c, a]
    l6 = socket.socket(socket.AF_INET6)
    l6.bind(("::1", port + 1))
    l6.listen(8)
    c6 = socket.create_connection(("::1", port + 1))
    a6, _ = l6.accept()
    keep += [l6, c6, a6]
    # CLOSE-WAIT held by us (the peer becomes an orphan in FIN-WAIT-2)
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = ls.accept()
    c.close()
    keep.append(a)
    if tw:  # TIME-WAIT: we close first, then the peer
        c = socket.create_connection(("127.0.0.1", port))
        a, _ = ls.accept()
        c.close()
        time.sleep(0.02)
        a.close()
    return keep
"""
exec(MAKE_SOCKETS)


class NS:
    """One namespace of ours: a name or a holder pid, and its inode."""

    def __init__(self, idx, name=None):
        self.idx = idx
        self.name = name
        self.pids = []
        self.port = 20000 + 10 * idx
        self.nconn = 1 + idx % 5
        self.tw = idx % 2 == 1
        self.inode = None
        self.container = None  # expected label (dict) or None
        self.cgroup_rel = None  # the container's cgroup, if in one

    @property
    def pid(self):
        return min(self.pids)

    def ss_cmd(self, opts):
        if self.name:
            return ["ip", "netns", "exec", self.name, "ss", opts]
        return ["nsenter", "-t", str(self.pid), "-n", "ss", opts]

    def spec(self):
        return self.name if self.name else str(self.pid)


def fork_holder(ns, netns_name=None, port=None, nconn=None, tw=None):
    """A forked process with sockets in @netns_name, or in a new namespace."""
    port = ns.port if port is None else port
    nconn = ns.nconn if nconn is None else nconn
    tw = ns.tw if tw is None else tw
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            if netns_name:
                fd = os.open("/run/netns/" + netns_name, os.O_RDONLY)
                if libc.setns(fd, CLONE_NEWNET):
                    raise OSError(ctypes.get_errno(), "setns")
                os.close(fd)
            else:
                if libc.unshare(CLONE_NEWNET):
                    raise OSError(ctypes.get_errno(), "unshare")
                subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            keep = make_sockets(port, nconn, tw)
            os.write(wr, b"r")
            os.close(wr)
            while True:
                signal.pause()
        except BaseException as e:  # noqa: B902 - report, never return
            os.write(2, ("holder: %r\n" % e).encode())
        os._exit(1)
    os.close(wr)
    got = os.read(rd, 1)
    os.close(rd)
    check(got == b"r", "holder for namespace %d did not start" % ns.idx)
    ns.pids.append(pid)
    return pid


def unshare_holder(ns):
    """A holder made with the unshare -n command (no name anywhere)."""
    p = subprocess.Popen(
        ["unshare", "-n", "/bin/sh", "-c",
         "ip link set lo up && exec /usr/bin/python3 -c \"$0\" \"$@\"",
         HOLDER_SCRIPT, str(ns.port), str(ns.nconn), "1" if ns.tw else "0",
         MAKE_SOCKETS],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    check(p.stdout.read(1) == b"r", "unshare -n holder did not start")
    ns.pids.append(p.pid)
    return p


def ns_inode_of_pid(pid):
    return os.stat("/proc/%d/ns/net" % pid).st_ino


# --- reading ss and tulpen ---------------------------------------------------

def endpoint(s):
    addr, port = s.rsplit(":", 1)
    addr = addr.strip("[]")
    if "%" in addr:
        addr = addr.split("%", 1)[0]
    return addr, 0 if port == "*" else int(port)


def ss_rows(ns, opts="-tan"):
    """{key: Counter} where key = state, queues, endpoints; owners aside."""
    p = run(ns.ss_cmd(opts), timeout=60)
    check(p.returncode == 0, "%s: %s" % (" ".join(ns.ss_cmd(opts)), p.stderr))
    rows = collections.Counter()
    owners = collections.defaultdict(list)
    for line in p.stdout.splitlines()[1:]:
        f = line.split()
        if len(f) < 5:
            continue
        key = (SS_STATE[f[0]], int(f[1]), int(f[2])) + endpoint(f[3]) + \
            endpoint(f[4])
        rows[key] += 1
        if "users:" in line:
            owners[key].append(sorted(
                (int(a), int(b)) for a, b in
                re.findall(r"pid=(\d+),fd=(\d+)", line)))
    return rows, owners


def tulpen_key(r):
    return (r["state"], r["recv_q"], r["send_q"], r["local"]["address"],
            r["local"]["port"], r["peer"]["address"], r["peer"]["port"])


def by_netns(doc):
    out = collections.defaultdict(list)
    for r in doc:
        check("netns" in r, "a row without netns: %r" % r)
        out[r["netns"]["inode"]].append(r)
    return out


# --- cgroups -------------------------------------------------------------

def cgroup2_mount():
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt.replace("\\040", " ")
    raise Fail("no cgroup2 mount in /proc/mounts")


class Cgroups:
    def __init__(self):
        self.mnt = cgroup2_mount()
        self.made = []

    def make(self, rel):
        path = self.mnt
        for part in rel.strip("/").split("/"):
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return path

    def move(self, pid, rel):
        with open(os.path.join(self.make(rel), "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def cleanup(self):
        for path in reversed(self.made):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)  # a killed holder still leaving


def label(runtime=None, cid=None, pod=None, name=None, unit=None):
    return {"runtime": runtime, "id": cid, "pod_uid": pod, "name": name,
            "unit": unit}


def setup_containers(cg, nss):
    """Move the holders of a few namespaces into container cgroups."""
    ids = [secrets.token_hex(32) for _ in range(8)]
    uids = ["%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])
            for u in (secrets.token_hex(16) for _ in range(4))]
    unit = PREFIX + "web.service"
    layouts = [
        ("system.slice/docker-%s.scope" % ids[0], label("docker", ids[0])),
        ("docker/%s" % ids[1], label("docker", ids[1])),
        ("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s"
         ".slice/cri-containerd-%s.scope" % (uids[0].replace("-", "_"),
                                            ids[2]),
         label("containerd", ids[2], uids[0])),
        ("kubepods/besteffort/pod%s/%s" % (uids[1], ids[3]),
         label("containerd", ids[3], uids[1])),
        ("kubepods.slice/kubepods-pod%s.slice/crio-%s.scope" %
         (uids[2].replace("-", "_"), ids[4]), label("cri-o", ids[4], uids[2])),
        ("system.slice/%s" % unit, label(unit=unit)),
    ]
    # the first named ones and the first unnamed ones get containers
    named = [ns for ns in nss if ns.name]
    unnamed = [ns for ns in nss if not ns.name]
    targets = named[:3] + unnamed[:3]
    for ns, (rel, want) in zip(targets, layouts):
        for pid in ns.pids:
            cg.move(pid, rel)
        ns.container = want
        ns.cgroup_rel = rel
    # a pod: two containers (two holders) sharing one named namespace
    pod = named[3]
    pod_rel = "kubepods.slice/kubepods-pod%s.slice" % uids[3].replace("-",
                                                                      "_")
    second = fork_holder(pod, pod.name, port=pod.port + 5, nconn=2, tw=False)
    first_rel = "%s/cri-containerd-%s.scope" % (pod_rel, ids[5])
    second_rel = "%s/cri-containerd-%s.scope" % (pod_rel, ids[6])
    cg.move(pod.pids[0], first_rel)
    cg.move(second, second_rel)
    by_pid = {pod.pids[0]: label("containerd", ids[5], uids[3]),
              second: label("containerd", ids[6], uids[3])}
    pod.container = None  # checked by holder below
    return pod, by_pid


def connect_in(ns, cg):
    """A process that enters @ns (and its container's cgroup), connects to
    the holder's listener and closes: the local port it had."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            fd = os.open("/proc/%d/ns/net" % ns.pid, os.O_RDONLY)
            if libc.setns(fd, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns")
            if ns.cgroup_rel:
                cg.move(os.getpid(), ns.cgroup_rel)
            c = socket.create_connection(("127.0.0.1", ns.port))
            os.write(wr, b"%d" % c.getsockname()[1])
            c.close()
            os._exit(0)
        except BaseException as e:  # noqa: B902 - report, never return
            os.write(2, ("connect_in: %r\n" % e).encode())
        os._exit(1)
    os.close(wr)
    got = os.read(rd, 16)
    os.close(rd)
    os.waitpid(pid, 0)
    check(got.isdigit(), "could not connect in namespace %s" % ns.spec())
    return int(got)


