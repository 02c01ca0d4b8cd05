#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
sockstates.py - bring real sockets into every TCP state and hold them.

Inside a private network namespace (made with unshare(CLONE_NEWNET), so the
host's network is never touched and everything disappears with the process)
this builds, on the loopback device only:

  TCP   LISTEN, SYN-SENT, SYN-RECEIVED (request socket), ESTABLISHED,
        FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT,
        over IPv4 and IPv6, a dual-stack listener with a v4-mapped peer, a
        long IPv6 address, a listener with a non-empty accept queue, a
        connection with a non-zero Recv-Q and one with a non-zero Send-Q, a
        listener held by two processes;
  UDP   bound (UNCONN), connected, IPv4/IPv6, wildcard, non-empty Recv-Q;
  UNIX  stream and dgram, bound to a path, abstract, unnamed, connected.

The states that TCP only passes through are pinned with nftables rules in
the namespace that drop exactly the packets which would move them on, and
the retry sysctls of the namespace are raised so nothing times out while a
test runs (TIME-WAIT lasts 60 s; the LAST-ACK peer's FIN retransmissions
keep re-arming one TIME-WAIT socket beyond that). Every state is verified
with `ss` before the harness reports itself ready.

Use as a library (tests/integration/test_lister.py) or standalone:

  sockstates.py                 build, verify, print the ss view, exit 0/1
  sockstates.py -- CMD ARGS...  build, verify, run CMD inside the namespace
                                with the sockets held, exit with its status
  sockstates.py --record tests/fixtures [--tulpen build/cli/tulpen]
                                also record fixtures (see record_fixtures)

Needs root, nft, ip and ss; exits 77 (skip) without them. Python stdlib only.
"""

import ctypes
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockstates_ss import (  # noqa: E402,F401 (re-exported)
    HarnessError, KSTATE, NETIDS, PROC_TIMER, SS_STATE, SkipTest, TCP_STATES,
    _extra_field, _hex_addr, _parse_ms, _parse_timer, _parse_users,
    _split_hostport, need_tools, parse_proc_inet, parse_proc_unix, parse_ss,
    proc_snapshot, run, split_iface, ss_snapshot)

CLONE_NEWNET = 0x40000000
IPPROTO_MPTCP = 262
SKIP = 77

# The long IPv6 address: longer than netstat's 23-column address field.
LONG6 = "fd00:1234:5678:9abc:def0:1234:5678:9abc"
# A veth pair made inside the namespace, for a link-local address.
VETH = "tulpenv0"

def enter_private_netns():
    """Move this process (and its future children) into a new, private
    network namespace with only lo, and bring lo up. Must be called before
    any thread is started."""
    if os.geteuid() != 0:
        raise SkipTest("not root: the integration tests need a private "
                       "network namespace")
    need_tools("ip", "nft", "ss")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise SkipTest("unshare(CLONE_NEWNET): %s" % os.strerror(e))
    run(["ip", "link", "set", "lo", "up"])
    # Retries long enough that nothing we pin gives up during a run.
    for name, val in (("ipv4/tcp_syn_retries", "12"),
                      ("ipv4/tcp_synack_retries", "12"),
                      ("ipv4/tcp_retries2", "15"),
                      ("ipv6/conf/lo/disable_ipv6", "0")):
        try:
            with open("/proc/sys/net/" + name, "w") as f:
                f.write(val)
        except OSError:
            pass
    run(["ip", "-6", "addr", "add", LONG6 + "/128", "dev", "lo", "nodad"])
    # Wait until ::1 and the long address are usable.
    deadline = time.monotonic() + 5
    while True:
        ok = True
        for a in ("::1", LONG6):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                s.bind((a, 0))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return
        if time.monotonic() > deadline:
            raise HarnessError("IPv6 addresses never became usable on lo")
        time.sleep(0.05)


# ----------------------------------------------------------------- sockets

def _wait(cond, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = cond()
        if r:
            return r
        if time.monotonic() > deadline:
            raise HarnessError("timed out waiting for " + what)
        time.sleep(0.02)


class Scenario:
    """All the sockets, held open. Build with setup(); each expected socket
    is described in self.expect as a dict: name, proto, family, state,
    local (host, port) and/or peer, and optional rq/sq/users checks."""

    def __init__(self):
        self.keep = []        # Python socket objects we hold
        self.children = []    # Popen objects of helper processes
        self.expect = []      # descriptions of expected sockets
        self.tmpdir = tempfile.mkdtemp(prefix="tulpen-it-")
        self.tag = "tulpen-it-%d" % os.getpid()
        self.nft_table = "tulpen_it"

    # -- nftables ---------------------------------------------------------
    def nft(self, rule):
        run(["nft", "add", "rule", "inet", self.nft_table, "out"] +
            rule.split())

    def _nft_init(self):
        try:
            run(["nft", "add", "table", "inet", self.nft_table])
            run(["nft", "add", "chain", "inet", self.nft_table, "out",
                 "{ type filter hook output priority 0 ; policy accept ; }"])
        except HarnessError as e:
            raise SkipTest("nftables not usable here (%s): the transient "
                           "TCP states cannot be held" % e)

    # -- helpers ----------------------------------------------------------
    def _sock(self, fam, typ=socket.SOCK_STREAM):
        s = socket.socket(fam, typ)
        self.keep.append(s)
        return s

    def _sock_raw(self, fam, proto):
        s = socket.socket(fam, socket.SOCK_RAW, proto)
        self.keep.append(s)
        return s

    def _listener(self, fam, addr, port, backlog=16):
        s = self._sock(fam)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6 and addr == "::":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, port))
        s.listen(backlog)
        return s

    def _pair(self, fam, addr, port, connect_to=None):
        """A listener on addr:port, one accepted connection. Returns
        (listener, client, server)."""
        ls = self._listener(fam, addr, port)
        cfam = fam
        if connect_to is not None and ":" not in connect_to:
            cfam = socket.AF_INET
        c = self._sock(cfam)
        c.connect((connect_to or addr, port))
        srv, _ = ls.accept()
        self.keep.append(srv)
        return ls, c, srv

    def _add(self, name, proto, family, state, local=None, peer=None,
             **extra):
        d = {"name": name, "proto": proto, "family": family,
             "state": state, "local": local, "peer": peer}
        d.update(extra)
        self.expect.append(d)

    @staticmethod
    def _hp(sockname):
        return (sockname[0].split("%")[0], str(sockname[1]))

    # -- the cases --------------------------------------------------------
    def setup(self):
        self._nft_init()
        A4, A6 = socket.AF_INET, socket.AF_INET6
        L4, L6 = "127.0.0.1", "::1"

        # LISTEN with two pending connections in the accept queue, and the
        # same listening socket held by a second process (fd inherited).
        ls = self._listener(A4, L4, 7001, backlog=7)
        for _ in range(2):
            c = self._sock(A4)
            c.connect((L4, 7001))
            self._add("accept-queue-client", "tcp", "inet", "ESTABLISHED",
                      local=self._hp(c.getsockname()), peer=(L4, "7001"))
            self._add("accept-queue-child", "tcp", "inet", "ESTABLISHED",
                      local=(L4, "7001"), peer=self._hp(c.getsockname()))
        holder = subprocess.Popen(
            ["sleep", "3600"], pass_fds=[ls.fileno()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.children.append(holder)
        self._add("listen4-shared", "tcp", "inet", "LISTEN",
                  local=(L4, "7001"), peer=("0.0.0.0", "*"), rq=2, sq=7,
                  users=[("python3?", os.getpid(), ls.fileno()),
                         ("sleep", holder.pid, ls.fileno())])
        self.listen_shared = (ls, holder)

        self._listener(A6, L6, 7002)
        self._add("listen6", "tcp", "inet6", "LISTEN",
                  local=(L6, "7002"), peer=("::", "*"))
        self._listener(A6, LONG6, 7003)
        self._add("listen6-long", "tcp", "inet6", "LISTEN",
                  local=(LONG6, "7003"), peer=("::", "*"))

        # Dual-stack listener with an IPv4 client: v4-mapped addresses.
        ls, c, srv = self._pair(A6, "::", 7004, connect_to=L4)
        self._add("listen6-any", "tcp", "inet6", "LISTEN",
                  local=("*", "7004"), peer=("*", "*"))
        self._add("estab-v4mapped", "tcp", "inet6", "ESTABLISHED",
                  local=("::ffff:127.0.0.1", "7004"),
                  peer=("::ffff:" + L4, str(c.getsockname()[1])))
        self._add("estab-v4mapped-client", "tcp", "inet", "ESTABLISHED",
                  local=self._hp(c.getsockname()), peer=(L4, "7004"))

        # SYN-SENT: the SYN is dropped, nobody listens anyway.
        for fam, host, port in ((A4, L4, 7005), (A6, L6, 7006)):
            self.nft("tcp dport %d drop" % port)
            c = self._sock(fam)
            c.setblocking(False)
            err = c.connect_ex((host, port))
            if err not in (errno.EINPROGRESS, 0):
                raise HarnessError("SYN-SENT connect: %s" %
                                   os.strerror(err))
            self._add("syn-sent%d" % (4 if fam == A4 else 6), "tcp",
                      "inet" if fam == A4 else "inet6", "SYN-SENT",
                      local=self._hp(c.getsockname()), peer=(host, str(port)))

        # SYN-RECEIVED: only SYNs reach the listener; the client's final
        # ACK (and anything else it sends) is dropped, so the server keeps
        # a request socket and retransmits SYN-ACKs while the client is
        # ESTABLISHED and sends no data.
        for fam, host, port in ((A4, L4, 7007), (A6, L6, 7008)):
            self.nft("tcp dport %d tcp flags != syn drop" % port)
            self._listener(fam, host, port)
            c = self._sock(fam)
            c.connect((host, port))
            f = "inet" if fam == A4 else "inet6"
            self._add("syn-recv%s" % f[-1], "tcp", f, "SYN-RECEIVED",
                      local=(host, str(port)),
                      peer=self._hp(c.getsockname()))
            self._add("syn-recv-client%s" % f[-1], "tcp", f, "ESTABLISHED",
                      local=self._hp(c.getsockname()),
                      peer=(host, str(port)))

        # ESTABLISHED with a non-zero Recv-Q on the server side.
        ls, c, srv = self._pair(A4, L4, 7010)
        c.sendall(b"x" * 1000)
        self._add("listen4", "tcp", "inet", "LISTEN", local=(L4, "7010"))
        self._add("estab4-recvq", "tcp", "inet", "ESTABLISHED",
                  local=(L4, "7010"), peer=self._hp(c.getsockname()),
                  rq=1000, sq=0)
        self._add("estab4-client", "tcp", "inet", "ESTABLISHED",
                  local=self._hp(c.getsockname()), peer=(L4, "7010"),
                  rq=0, sq=0)

        # ESTABLISHED with a non-zero Send-Q: data to the server dropped.
        ls, c, srv = self._pair(A4, L4, 7011)
        self.nft("tcp dport 7011 drop")
        c.send(b"y" * 1500)
        self._add("estab4-sendq", "tcp", "inet", "ESTABLISHED",
                  local=self._hp(c.getsockname()), peer=(L4, "7011"),
                  sq=1500)

        ls, c, srv = self._pair(A6, L6, 7012)
        self._add("estab6", "tcp", "inet6", "ESTABLISHED",
                  local=(L6, "7012"), peer=self._hp(c.getsockname()))

        # FIN-WAIT-1 (client) / CLOSE-WAIT (server): the server's ACK of
        # the client's FIN is dropped. shutdown(), not close(): the socket
        # is not orphaned, so it retries for minutes and keeps its owner.
        for fam, host, port in ((A4, L4, 7020), (A6, L6, 7021)):
            f = "inet" if fam == A4 else "inet6"
            ls, c, srv = self._pair(fam, host, port)
            self.nft("tcp sport %d drop" % port)
            c.shutdown(socket.SHUT_WR)
            self._add("fin-wait-1-" + f, "tcp", f, "FIN-WAIT-1",
                      local=self._hp(c.getsockname()),
                      peer=(host, str(port)))
            self._add("close-wait-unacked-" + f, "tcp", f, "CLOSE-WAIT",
                      local=(host, str(port)),
                      peer=self._hp(c.getsockname()))

        # FIN-WAIT-2 (client) / CLOSE-WAIT (server): FIN acked, the server
        # does not close.
        for fam, host, port in ((A4, L4, 7022), (A6, L6, 7023)):
            f = "inet" if fam == A4 else "inet6"
            ls, c, srv = self._pair(fam, host, port)
            c.shutdown(socket.SHUT_WR)
            self._add("fin-wait-2-" + f, "tcp", f, "FIN-WAIT-2",
                      local=self._hp(c.getsockname()),
                      peer=(host, str(port)))
            self._add("close-wait-" + f, "tcp", f, "CLOSE-WAIT",
                      local=(host, str(port)),
                      peer=self._hp(c.getsockname()))

        # LAST-ACK (server) / TIME-WAIT (client): the client's ACK of the
        # server's FIN is dropped; each FIN retransmission re-arms the
        # client's TIME-WAIT, so it outlives 60 s.
        for fam, host, port in ((A4, L4, 7024), (A6, L6, 7025)):
            f = "inet" if fam == A4 else "inet6"
            ls, c, srv = self._pair(fam, host, port)
            c.shutdown(socket.SHUT_WR)
            cl = self._hp(c.getsockname())
            self.wait_state(cl, (host, str(port)), "FIN-WAIT-2")
            self.nft("tcp dport %d drop" % port)
            srv.shutdown(socket.SHUT_WR)
            self._add("last-ack-" + f, "tcp", f, "LAST-ACK",
                      local=(host, str(port)), peer=cl)
            self._add("time-wait-rearmed-" + f, "tcp", f, "TIME-WAIT",
                      local=cl, peer=(host, str(port)))

        # CLOSING (server): the server's packets are dropped; the server
        # sends its FIN first (lost), then receives the client's FIN, which
        # does not acknowledge the server's FIN. The client stays in
        # FIN-WAIT-1, as nothing from the server ever arrives.
        for fam, host, port in ((A4, L4, 7026), (A6, L6, 7027)):
            f = "inet" if fam == A4 else "inet6"
            ls, c, srv = self._pair(fam, host, port)
            self.nft("tcp sport %d drop" % port)
            srv.shutdown(socket.SHUT_WR)
            c.shutdown(socket.SHUT_WR)
            cl = self._hp(c.getsockname())
            self._add("closing-" + f, "tcp", f, "CLOSING",
                      local=(host, str(port)), peer=cl)
            self._add("closing-peer-fin-wait-1-" + f, "tcp", f,
                      "FIN-WAIT-1", local=cl, peer=(host, str(port)))

        # (No TIME-WAIT "the ordinary way", client closing first: it would
        # end after 60 s, within a slow run. The re-armed ones above stay.)

        # UDP: bound (with two queued datagrams), connected, IPv6, wildcard.
        u = self._sock(A4, socket.SOCK_DGRAM)
        u.bind((L4, 7030))
        uc = self._sock(A4, socket.SOCK_DGRAM)
        uc.connect((L4, 7030))
        uc.send(b"a" * 100)
        uc.send(b"b" * 100)
        self._add("udp4-bound", "udp", "inet", "CLOSED",
                  local=(L4, "7030"), peer=("0.0.0.0", "*"), rq_nonzero=True)
        self._add("udp4-connected", "udp", "inet", "ESTABLISHED",
                  local=self._hp(uc.getsockname()), peer=(L4, "7030"))
        u6 = self._sock(A6, socket.SOCK_DGRAM)
        u6.bind((L6, 7031))
        u6c = self._sock(A6, socket.SOCK_DGRAM)
        u6c.connect((L6, 7031))
        self._add("udp6-bound", "udp", "inet6", "CLOSED",
                  local=(L6, "7031"))
        self._add("udp6-connected", "udp", "inet6", "ESTABLISHED",
                  local=self._hp(u6c.getsockname()), peer=(L6, "7031"))
        uw = self._sock(A4, socket.SOCK_DGRAM)
        uw.bind(("0.0.0.0", 7032))
        self._add("udp4-any", "udp", "inet", "CLOSED",
                  local=("0.0.0.0", "7032"))
        uw6 = self._sock(A6, socket.SOCK_DGRAM)
        uw6.bind(("::", 7033))
        self._add("udp6-any", "udp", "inet6", "CLOSED", local=("*", "7033"))

        # Well-known ports, for service names (without -n): a web
        # listener, and a DNS "server" that never answers (a black hole
        # for tests of bounded name resolution, -r).
        self._listener(A4, L4, 80)
        self._add("listen4-http", "tcp", "inet", "LISTEN",
                  local=(L4, "80"))
        self.dns = self._sock(A4, socket.SOCK_DGRAM)
        self.dns.bind((L4, 53))
        self._add("udp4-dns-blackhole", "udp", "inet", "CLOSED",
                  local=(L4, "53"))

        # Scoped and device-bound sockets: a link-local listener on a veth
        # pair made inside the namespace, a UDP socket bound to lo.
        self.have_veth = self._veth()
        if self.have_veth:
            ll = self._sock(A6)
            ll.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ll.bind(("fe80::1", 7050, 0, socket.if_nametoindex(VETH)))
            ll.listen(4)
            self._add("listen6-linklocal", "tcp", "inet6", "LISTEN",
                      local=("fe80::1", "7050"), iface=VETH)
        ub = self._sock(A4, socket.SOCK_DGRAM)
        ub.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        ub.bind((L4, 7051))
        self._add("udp4-bound-to-lo", "udp", "inet", "CLOSED",
                  local=(L4, "7051"), iface="lo")

        # MPTCP, where the kernel offers it: a listener and a connection.
        self.have_mptcp = True
        try:
            ml = socket.socket(A4, socket.SOCK_STREAM, IPPROTO_MPTCP)
        except OSError:
            self.have_mptcp = False
        if self.have_mptcp:
            self.keep.append(ml)
            ml.bind((L4, 7060))
            ml.listen(4)
            mc = socket.socket(A4, socket.SOCK_STREAM, IPPROTO_MPTCP)
            self.keep.append(mc)
            mc.connect((L4, 7060))
            ms, _ = ml.accept()
            self.keep.append(ms)
            cl = self._hp(mc.getsockname())
            self._add("mptcp-listen", "mptcp", "inet", "LISTEN",
                      local=(L4, "7060"))
            self._add("mptcp-server", "mptcp", "inet", "ESTABLISHED",
                      local=(L4, "7060"), peer=cl)
            self._add("mptcp-client", "mptcp", "inet", "ESTABLISHED",
                      local=cl, peer=(L4, "7060"))

        # RAW: ICMP (IPv4, IPv6) and a bound one with a private protocol
        # number. ss and tulpen read these from /proc/net/raw* when the
        # kernel has no raw_diag.
        self._sock_raw(A4, socket.IPPROTO_ICMP)
        self._add("raw4-icmp", "raw", "inet", "CLOSED",
                  local=("0.0.0.0", "1"))
        rb = self._sock_raw(A4, 253)
        rb.bind((L4, 0))
        self._add("raw4-bound", "raw", "inet", "CLOSED",
                  local=(L4, "253"))
        self._sock_raw(A6, socket.IPPROTO_ICMPV6)
        self._add("raw6-icmp", "raw", "inet6", "CLOSED", local=("*", "58"))

        # UNIX: stream listener on a path with one accepted connection,
        # abstract stream listener, dgram on a path and abstract, an
        # unnamed connected pair.
        AU = socket.AF_UNIX
        spath = os.path.join(self.tmpdir, "stream.sock")
        us = self._sock(AU)
        us.bind(spath)
        us.listen(4)
        ucl = self._sock(AU)
        ucl.connect(spath)
        usrv, _ = us.accept()
        self.keep.append(usrv)
        ucl.send(b"z" * 10)
        self._add("unix-stream-listen", "unix", "unix", "LISTEN",
                  path=spath, unix_type="stream", inode=self._ino(us))
        self._add("unix-stream-accepted", "unix", "unix", "ESTABLISHED",
                  path=spath, unix_type="stream", inode=self._ino(usrv),
                  peer_inode=self._ino(ucl))
        self._add("unix-stream-client", "unix", "unix", "ESTABLISHED",
                  path=None, unix_type="stream", inode=self._ino(ucl),
                  peer_inode=self._ino(usrv))
        ua = self._sock(AU)
        ua.bind("\0" + self.tag + "-stream")
        ua.listen(4)
        self._add("unix-stream-abstract", "unix", "unix", "LISTEN",
                  path="@" + self.tag + "-stream", unix_type="stream",
                  inode=self._ino(ua))
        dpath = os.path.join(self.tmpdir, "dgram.sock")
        ud = self._sock(AU, socket.SOCK_DGRAM)
        ud.bind(dpath)
        self._add("unix-dgram-path", "unix", "unix", "CLOSED", path=dpath,
                  unix_type="dgram", inode=self._ino(ud))
        uda = self._sock(AU, socket.SOCK_DGRAM)
        uda.bind("\0" + self.tag + "-dgram")
        self._add("unix-dgram-abstract", "unix", "unix", "CLOSED",
                  path="@" + self.tag + "-dgram", unix_type="dgram",
                  inode=self._ino(uda))
        p1, p2 = socket.socketpair(AU, socket.SOCK_STREAM)
        self.keep += [p1, p2]
        self._add("unix-pair", "unix", "unix", "ESTABLISHED", path=None,
                  unix_type="stream", inode=self._ino(p1),
                  peer_inode=self._ino(p2))

        self.verify()
        return self

    def _veth(self):
        """A veth pair in the namespace with fe80::1 on one end; False
        (and no link-local case) where the kernel has no veth."""
        p = run(["ip", "link", "add", VETH, "type", "veth", "peer", "name",
                 VETH + "p"], check=False)
        if p.returncode != 0:
            print("# no veth (%s): no link-local socket" %
                  p.stderr.strip(), file=sys.stderr)
            return False
        run(["ip", "link", "set", VETH, "up"])
        run(["ip", "link", "set", VETH + "p", "up"])
        run(["ip", "-6", "addr", "add", "fe80::1/64", "dev", VETH, "nodad"])

        def usable():
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                s.bind(("fe80::1", 0, 0, socket.if_nametoindex(VETH)))
                return True
            except OSError:
                return False
            finally:
                s.close()
        _wait(usable, "fe80::1 on " + VETH)
        return True

    @staticmethod
    def _ino(s):
        return os.fstat(s.fileno()).st_ino

    def add_foreign_owner(self, user="nobody", group="nogroup", port=7040):
        """A listener held by a process running as @user (for the
        unprivileged test: the owner it may see)."""
        need_tools("setpriv")
        uname = "@%s-nobody" % self.tag
        code = ("import socket,sys,time\n"
                "s=socket.socket()\n"
                "s.bind(('127.0.0.1',%d))\n"
                "s.listen()\n"
                "u=socket.socket(socket.AF_UNIX)\n"
                "u.bind('\\0%s')\n"
                "u.listen()\n"
                "print(s.fileno(),flush=True)\n"
                "time.sleep(3600)\n" % (port, uname[1:]))
        # The system python: the one running us may live under /root.
        py = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) \
            else sys.executable
        p = subprocess.Popen(
            ["setpriv", "--reuid=" + user, "--regid=" + group,
             "--clear-groups", py, "-c", code],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
            universal_newlines=True)
        self.children.append(p)
        fd = int(p.stdout.readline())
        self._add("listen4-nobody", "tcp", "inet", "LISTEN",
                  local=("127.0.0.1", str(port)),
                  users=[("python3", p.pid, fd)])
        self.wait_state(("127.0.0.1", str(port)), None, "LISTEN")
        for d in ss_snapshot("-xaenOH"):
            if d["path"] == uname:
                self._add("unix-nobody", "unix", "unix", "LISTEN",
                          path=uname, unix_type="stream", inode=d["inode"],
                          uid=65534)
                self.nobody_unix = d["inode"]
                break
        else:
            raise HarnessError("nobody's UNIX socket %s not seen" % uname)
        return p

    # -- verification -----------------------------------------------------
    def wait_state(self, local, peer, state, timeout=5.0):
        def look():
            for s in ss_snapshot("-taunOH"):
                if s["local"] == local and (peer is None or
                                            s["peer"] == peer):
                    if s["state"] == state:
                        return s
            return None
        return _wait(look, "%s %s -> %s" % (state, local, peer), timeout)

    def find(self, socks, e):
        """The sockets in @socks matching expectation @e."""
        out = []
        for s in socks:
            if s["proto"] != e["proto"]:
                continue
            if e["proto"] == "unix":
                if s["inode"] == e["inode"]:
                    out.append(s)
                continue
            if s["family"] != e["family"]:
                continue
            if e.get("local") and s["local"] != e["local"]:
                continue
            if e.get("peer") and e["peer"][1] != "*" and \
                    s["peer"] != e["peer"]:
                continue
            if e.get("peer") and e["peer"][1] == "*" and \
                    s["peer"][1] != "*":
                continue
            out.append(s)
        return out

    def check(self, socks):
        """Problems with @socks (parsed ss output) against the
        expectations; an empty list when every socket is as expected."""
        bad = []
        for e in self.expect:
            m = [s for s in self.find(socks, e) if s["state"] == e["state"]]
            if len(m) != 1:
                seen = [s["state"] for s in self.find(socks, e)]
                bad.append("%s: expected one %s socket, ss shows %s" %
                           (e["name"], e["state"], seen or "none"))
                continue
            s = m[0]
            for k in ("rq", "sq"):
                if k in e and s[k] != e[k]:
                    bad.append("%s: %s is %d, expected %d" %
                               (e["name"], k, s[k], e[k]))
            if "iface" in e and s.get("iface") != e["iface"]:
                bad.append("%s: device %s, expected %s" %
                           (e["name"], s.get("iface"), e["iface"]))
            if e.get("rq_nonzero") and s["rq"] == 0:
                bad.append("%s: Recv-Q is 0" % e["name"])
            if "peer_inode" in e and s.get("peer_inode") != e["peer_inode"]:
                bad.append("%s: peer inode %s, expected %s" %
                           (e["name"], s.get("peer_inode"), e["peer_inode"]))
            if e.get("path") and s.get("path") != e["path"]:
                bad.append("%s: path %s, expected %s" %
                           (e["name"], s.get("path"), e["path"]))
            if "users" in e:
                want = sorted((p, fd) for _, p, fd in e["users"])
                got = sorted((u["pid"], u["fd"]) for u in s["users"])
                if want != got:
                    bad.append("%s: owners %s, expected %s" %
                               (e["name"], got, want))
        states = {s["state"] for s in socks if s["proto"] == "tcp"}
        for st in TCP_STATES:
            if st not in states:
                bad.append("no TCP socket in %s" % st)
        return bad

    def verify(self, timeout=5.0):
        """Wait until ss shows every expected socket as expected."""
        deadline = time.monotonic() + timeout
        while True:
            socks = ss_snapshot()
            bad = self.check(socks)
            if not bad:
                self.verified = socks
                return socks
            if time.monotonic() > deadline:
                raise HarnessError("states not reached:\n  " +
                                   "\n  ".join(bad))
            time.sleep(0.05)

    def teardown(self):
        for p in self.children:
            try:
                p.kill()
                p.wait(timeout=5)
            except Exception:
                pass
        for s in self.keep:
            try:
                s.close()
            except Exception:
                pass
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        run(["nft", "delete", "table", "inet", self.nft_table], check=False)


# ------------------------------------------------------------ fixtures

PROC_NET_FILES = ("tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix")


def normalise_ss(socks, proc=None):
    """The fields of ss's view that a recorded fixture can be checked
    against, in a stable order (owners and cookies are not recorded: a
    fixture has no /proc/PID directories and /proc/net has no cookies).
    This kernel has no raw_diag: ss reads RAW sockets from /proc/net/raw*
    and prints no uid/inode for them; @proc (proc_snapshot()) fills those
    in."""
    raw = {}
    for p in proc or ():
        if p["proto"] == "raw":
            raw[(p["family"], p["local"][1])] = p
    out = []
    for s in socks:
        if s["proto"] == "mptcp":
            continue  # not in /proc/net; no fixture can hold it
        d = {"proto": s["proto"], "family": s["family"], "state": s["state"],
             "recv_q": s["rq"], "send_q": s["sq"], "uid": s["uid"],
             "inode": s["inode"]}
        if s["proto"] == "unix":
            d["unix_type"] = s["unix_type"]
            d["path"] = s["path"]
            d["peer_inode"] = s["peer_inode"]
            del d["uid"]  # ss does not print it for UNIX sockets
        else:
            d["local"] = list(s["local"])
            d["peer"] = list(s["peer"])
            if s.get("iface"):
                d["interface"] = s["iface"]
        if s["proto"] == "raw" and not s["inode"]:
            p = raw.get((s["family"], s["local"][1]))
            if p is not None:
                d["uid"], d["inode"] = p["uid"], p["inode"]
        out.append(d)
    out.sort(key=lambda d: json.dumps(d, sort_keys=True))
    return out


# No -w: this kernel has no raw_diag, RAW sockets come from /proc only.
NL_RECORD_ARGS = ["--source=netlink", "-tuxaen", "--json"]


def record_fixtures(dest, case="allstates", tulpen=None):
    """Copy /proc/net/{tcp,...,unix} of this namespace into
    DEST/proc/CASE/net/ and write DEST/proc/CASE/expected.json from ss's
    view. With @tulpen (a binary that has --nl-record), also record its
    netlink dump (NL_RECORD_ARGS) into DEST/netlink/CASE.nlrec."""
    d = os.path.join(dest, "proc", case, "net")
    os.makedirs(d, exist_ok=True)
    nlrec = os.path.join(dest, "netlink", case + ".nlrec")
    # Read ss, /proc (and the netlink dump), ss again until both ss views
    # agree, so the fixture is one consistent snapshot.
    for _ in range(20):
        socks = ss_snapshot()
        texts = {}
        for n in PROC_NET_FILES:
            try:
                with open("/proc/net/" + n) as f:
                    texts[n] = f.read()
            except FileNotFoundError:
                texts[n] = None
        if tulpen:
            os.makedirs(os.path.dirname(nlrec), exist_ok=True)
            run([tulpen, "--nl-record", nlrec] + NL_RECORD_ARGS)
        if normalise_ss(ss_snapshot()) == normalise_ss(socks):
            break
    else:
        raise HarnessError("the sockets keep changing; nothing recorded")
    for n, t in texts.items():
        if t is not None:
            with open(os.path.join(d, n), "w") as f:
                f.write(t)
    proc = proc_snapshot(os.path.join(dest, "proc", case))
    with open(os.path.join(dest, "proc", case, "expected.json"), "w") as f:
        # One socket per line: readable, and diffs stay small.
        f.write("[\n" + ",\n".join(json.dumps(x, sort_keys=True)
                                    for x in normalise_ss(socks, proc)) +
                "\n]\n")
    return socks


# ------------------------------------------------------------------ main

def build():
    """Enter a private netns and build the scenario. Caller tears down."""
    enter_private_netns()
    sc = Scenario()
    try:
        sc.setup()
    except BaseException:
        sc.teardown()
        raise
    return sc


def main(argv):
    record = None
    cmd = None
    if "--" in argv:
        i = argv.index("--")
        cmd = argv[i + 1:]
        argv = argv[:i]
    tulpen = None
    if len(argv) >= 4 and argv[2] == "--tulpen":
        tulpen = os.path.abspath(argv[3])
        argv = argv[:2] + argv[4:]
    if len(argv) == 2 and argv[0] == "--record":
        record = argv[1]
    elif argv:
        print("usage: sockstates.py [--record FIXTURE_DIR [--tulpen BIN]] "
              "[-- CMD ARGS...]", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    try:
        sc = build()
    except SkipTest as e:
        print("SKIP: %s" % e, file=sys.stderr)
        return SKIP
    except HarnessError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    try:
        print("# all %d expected sockets verified with ss in %.2f s" %
              (len(sc.expect), time.monotonic() - t0), file=sys.stderr)
        if record:
            # A socket of another user, so the fixture has a uid != 0.
            sc.add_foreign_owner()
            record_fixtures(record, tulpen=tulpen)
        if cmd:
            return subprocess.call(cmd)
        sys.stdout.write(run(["ss", "-tuwxaepn"]).stdout)
        return 0
    finally:
        sc.teardown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
