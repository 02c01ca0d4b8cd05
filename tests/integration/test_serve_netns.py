#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tulpen serve --all-netns: TCP states per network namespace, bounded.

usage: test_serve_netns.py [TULPEN]   (default $TULPEN)

Two named namespaces made here (ip netns add) get sockets in known states
(this process enters each with setns() to make them, then comes back);
tulpen serve --all-netns runs in a third, private one.
1. With a large --top-k, tulpen_tcp_sockets_by_netns of each named
   namespace equals what `ip netns exec NAME ss -tanH` counts there, per
   state; its container label is "-" (no container).
2. In every scrape, the by-namespace series add up, per state, to
   tulpen_tcp_sockets (the host's total from the same collection), and
   tulpen_netns_walked counts at least the three namespaces.
3. The other per-socket families carry the netns and container labels
   too: tulpen_sockets_by_netns per protocol and family equals ss -4 / -6
   (TCP, UDP) in each named namespace and adds up to tulpen_sockets; each
   named namespace's listener has its own listen queue and limit series
   (its address and port, the namespace's labels) equal to ss's Recv-Q
   and Send-Q there (two connections wait in each accept queue); with
   owners on, tulpen_tcp_close_wait_sockets_by_process has one series per
   namespace for this process (the same pid in both), equal to ss's
   CLOSE-WAIT count there.
4. --top-k 1: one namespace of its own plus netns="other", still adding
   up; at most one listener series of its own, the rest as
   address="other" with netns="other"; promtool check metrics passes.
Other sessions' namespaces may come and go meanwhile: only the two made
here are compared with ss.

Needs root (exit 77 without).
"""
import ctypes
import http.client
import os
import socket
import subprocess
import sys
import time

import test_serve_common as c

PROMTOOL = "/usr/bin/promtool"
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise c.Fail("setns %s: %s"
                         % (path, os.strerror(ctypes.get_errno())))
    finally:
        os.close(fd)


QUEUED = 2  # connections left in each namespace's accept queue


def populate(pairs, close_wait, keep):
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    port = lst.getsockname()[1]
    keep.append(lst)
    for i in range(pairs + close_wait):
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        if i >= pairs:
            cl.shutdown(socket.SHUT_WR)  # client FIN-WAIT-2, server CW
        keep += [cl, sv]
    for _ in range(QUEUED):
        keep.append(socket.create_connection(("127.0.0.1", port)))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    keep.append(u)
    time.sleep(0.2)


def ss_lines(name, *args):
    return subprocess.run(["ip", "netns", "exec", name, "ss", "-nH"] +
                          list(args), check=True, capture_output=True,
                          text=True).stdout.splitlines()


def check_labels(samples, names, owners):
    """The per-socket families' netns labels against ss in each name."""
    for name in names:
        fams = {(lab["proto"], lab["family"]): int(v)
                for n, lab, v in samples
                if n == "tulpen_sockets_by_netns" and lab["netns"] == name}
        want = {("tcp", "inet"): len(ss_lines(name, "-ta4")),
                ("tcp", "inet6"): len(ss_lines(name, "-ta6")),
                ("udp", "inet"): len(ss_lines(name, "-ua4")),
                ("udp", "inet6"): len(ss_lines(name, "-ua6"))}
        c.check(all(fams.get(k) == v for k, v in want.items()),
                "%s: tulpen_sockets_by_netns equals ss -4/-6 (%s)"
                % (name, want))
        for metric, col in (("tulpen_tcp_listen_queue_length", 1),
                            ("tulpen_tcp_listen_queue_limit", 2)):
            got = {(lab["address"], lab["port"]): (int(v), lab["container"])
                   for n, lab, v in samples
                   if n == metric and lab.get("netns") == name}
            want = {}
            for line in ss_lines(name, "-tl"):
                f = line.split()
                addr, port = f[3].rsplit(":", 1)
                want[(addr, port)] = (int(f[col]), "-")
            c.check(got == want, "%s: %s{netns=%s} equals ss there (%s)"
                    % (name, metric, name, want))
        if owners:
            got = {lab["pid"]: int(v) for n, lab, v in samples
                   if n == "tulpen_tcp_close_wait_sockets_by_process" and
                   lab.get("netns") == name}
            cw = len(ss_lines(name, "-t", "state", "close-wait"))
            c.check(got == {str(os.getpid()): cw},
                    "%s: CLOSE-WAIT by process in that namespace: this "
                    "process, %d (%s)" % (name, cw, got))
    total = {}
    for n, lab, v in samples:
        if n == "tulpen_sockets_by_netns":
            k = (lab["proto"], lab["family"])
            total[k] = total.get(k, 0) + int(v)
    host = {(lab["proto"], lab["family"]): int(v) for n, lab, v in samples
            if n == "tulpen_sockets"}
    c.check(all(host.get(k) == v for k, v in total.items()),
            "tulpen_sockets_by_netns adds up to tulpen_sockets")


def ss_in(name):
    out = subprocess.run(["ip", "netns", "exec", name, "ss", "-tanH"],
                         check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        st = c.SS_STATE[line.split()[0]]
        counts[st] = counts.get(st, 0) + 1
    return counts


def by_netns(samples):
    """{netns: ({state: n}, container)} of tulpen_tcp_sockets_by_netns."""
    out = {}
    for n, lab, v in samples:
        if n != "tulpen_tcp_sockets_by_netns":
            continue
        st, cont = out.setdefault(lab["netns"], ({}, lab["container"]))
        if v:
            st[lab["state"]] = int(v)
    return out


def adds_up(samples, what):
    total = {}
    for n, lab, v in samples:
        if n == "tulpen_tcp_sockets_by_netns":
            total[lab["state"]] = total.get(lab["state"], 0) + int(v)
    host = {k: int(v) for k, v in c.values(samples, "tulpen_tcp_sockets",
                                             "state").items()}
    c.check(all(total.get(k, 0) == v for k, v in host.items()) and
            set(total) <= set(host),
            "%s: the namespaces add up to tulpen_tcp_sockets per state"
            % what)


def scrape(tulpen, args, owners=False):
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port, "--all-netns",
                           "--no-transitions"] +
                  ([] if owners else ["--no-owners"]) + args, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        st, _, body = c.get(conn, "/metrics")
        conn.close()
    finally:
        srv.stop()
    c.check(st == 200, "scrape with %s: 200" % " ".join(args))
    return body


def main():
    tulpen = c.tulpen_path()
    if os.geteuid() != 0:
        c.skip("needs root (network namespaces)")
    names = ["kcount_nsA_%d" % os.getpid(), "kcount_nsB_%d" % os.getpid()]
    home = "/proc/self/ns/net"
    keep = []
    try:
        home_fd = os.open(home, os.O_RDONLY)
        for i, name in enumerate(names):
            subprocess.run(["ip", "netns", "add", name], check=True)
            subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set",
                            "lo", "up"], check=True)
            setns("/run/netns/" + name)
            populate(5 + 4 * i, 2 * i + 1, keep)
            if libc.setns(home_fd, CLONE_NEWNET) != 0:
                raise c.Fail("setns back home")
        c.enter_netns()  # serve runs in a private namespace of its own
        want = {name: ss_in(name) for name in names}

        body = scrape(tulpen, ["--top-k", "1000"])
        samples = c.parse_text(body)
        got = by_netns(samples)
        for name in names:
            c.check(name in got and got[name][0] == want[name],
                    "%s: states equal ss there (%s)" % (name, want[name]))
            c.check(got[name][1] == "-", "%s: container label '-'" % name)
        adds_up(samples, "--top-k 1000")
        walked = c.values(samples, "tulpen_netns_walked")[None]
        c.check(walked >= 3, "tulpen_netns_walked >= 3 (%d)" % walked)
        check_labels(samples, names, False)
        check_labels(c.parse_text(scrape(tulpen, ["--top-k", "1000"],
                                         owners=True)), names, True)

        body = scrape(tulpen, ["--top-k", "1"])
        samples = c.parse_text(body)
        got = by_netns(samples)
        c.check(len(got) <= 2 and (len(got) < 2 or "other" in got),
                "--top-k 1: one namespace and other (%s)" % sorted(got))
        adds_up(samples, "--top-k 1")
        lq = [lab for n, lab, v in samples
              if n == "tulpen_tcp_listen_queue_length"]
        c.check(len(lq) <= 2 and all("netns" in lab for lab in lq) and
                (len(lq) < 2 or {"address": "other", "port": "other",
                                 "netns": "other", "container": "other"}
                 in lq), "--top-k 1: one listener series and other, with "
                "netns labels (%s)" % lq)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, text=True)
        c.check(r.returncode == 0, "promtool check metrics: "
                + (r.stdout + r.stderr).strip())
    finally:
        for s in keep:
            s.close()
        for name in names:
            subprocess.run(["ip", "netns", "del", name],
                           stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    try:
        main()
    except c.Fail as e:
        print("not ok -", e)
        sys.exit(1)
