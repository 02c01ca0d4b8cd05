#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tulpen serve's split TCP walk (two halves at once, cut at a port)
against ss, at rest and under churn.

usage: test_serve_split.py [TULPEN]   (default $TULPEN)

In a private network namespace, a population of more than 8,192 TCP
sockets (the split's threshold): established pairs over IPv4 and IPv6,
CLOSE-WAIT / FIN-WAIT-2 pairs, client TIME-WAIT, a listener with a
waiting accept queue. The first scrape walks once (no histogram to cut
by yet), the next in two halves (tulpen_collect_split_walks_total grows
by one); after a split whose halves did not run at once (a busy host)
serve walks once for the next 8 collections, so at least one scrape in 9
is split. At rest, for two split scrapes: tulpen_tcp_sockets per state
equals ss -tan; tulpen_sockets{proto="tcp"} per family equals ss -4 and
ss -6; the listeners' queue and limit series add up to ss's Recv-Q and
Send-Q of the listening sockets; the CLOSE-WAIT per process series add up
to ss's CLOSE-WAIT count. Under churn (connections made and reset on a
listener of their own), each of 18 scrapes (two split at least) counts
every socket of the population once: every state the churn never enters
exactly as ss counted it before the churn (TIME-WAIT aside), and
SYN-SENT, SYN-RECEIVED and ESTABLISHED together at least the
population's and at most CHURN_MAX more (see there).

Needs root (exit 77 without).
"""
import http.client
import resource
import socket
import struct
import subprocess
import threading

import test_serve_common as c

PAIRS = 4400  # 8,800 established sockets and more


def ss_count(*args):
    out = subprocess.run(["ss", "-tanH"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def ss_listen_queues():
    """Sum of Recv-Q and of Send-Q of the listening TCP sockets."""
    out = subprocess.run(["ss", "-tlnH"], check=True, capture_output=True,
                         text=True).stdout
    q = lim = 0
    for line in out.splitlines():
        f = line.split()
        q += int(f[1])
        lim += int(f[2])
    return q, lim


def scrape(conn):
    st, _, body = c.get(conn, "/metrics")
    c.check(st == 200, "/metrics answers 200")
    return c.parse_text(body)


def one(samples, name):
    v = c.values(samples, name)
    if None not in v:
        raise c.Fail("no %s in the scrape" % name)
    return int(v[None])


def total(samples, name):
    return int(sum(v for n, _, v in samples if n == name))


def populate():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4 * PAIRS
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return c.Population(established=PAIRS)


def check_rest(conn, splits0):
    for _ in range(9):
        s = scrape(conn)
        if one(s, "tulpen_collect_split_walks_total") > splits0:
            break
    c.check(one(s, "tulpen_collect_split_walks_total") == splits0 + 1,
            "a scrape's TCP walk was split")
    ss = c.ss_states()
    got = c.tulpen_states(s)
    c.check(got == ss, "tulpen_tcp_sockets per state == ss -tan (%s vs %s)"
            % (got, ss))
    fam = c.values([x for x in s if x[1].get("proto") == "tcp"],
                   "tulpen_sockets", "family")
    v4, v6 = ss_count("-4"), ss_count("-6")
    c.check(int(fam["inet"]) == v4 and int(fam["inet6"]) == v6,
            "tulpen_sockets{proto=tcp} per family == ss -4 / -6 (%d %d, "
            "%d %d)" % (fam["inet"], fam["inet6"], v4, v6))
    q, lim = ss_listen_queues()
    c.check(total(s, "tulpen_tcp_listen_queue_length") == q and
            total(s, "tulpen_tcp_listen_queue_limit") == lim,
            "listen queue and limit series add up to ss's Recv-Q %d and "
            "Send-Q %d" % (q, lim))
    cw = ss_count("state", "close-wait")
    c.check(total(s, "tulpen_tcp_close_wait_sockets_by_process") == cw,
            "CLOSE-WAIT per process adds up to ss's %d" % cw)
    return one(s, "tulpen_collect_split_walks_total")


def churn(lst, stop, made):
    port = lst.getsockname()[1]
    linger0 = struct.pack("ii", 1, 0)
    while not stop.is_set():
        cl = socket.create_connection(("127.0.0.1", port))
        sv, _ = lst.accept()
        cl.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger0)
        cl.close()  # RST: both ends gone
        # once the RST has reached the server end (a loaded host defers
        # loopback's softirq): else its close sends a FIN and leaves an
        # orphan in FIN-WAIT-1 until the RST lands, a fourth socket
        sv.settimeout(10)
        try:
            sv.recv(1)
        except OSError:
            pass
        sv.close()
        made[0] += 1


# The states the churn's sockets pass through while the kernel hashes them
# (a reset ends both ends in CLOSED, which no dump shows).
CHURN_STATES = ("SYN-SENT", "SYN-RECEIVED", "ESTABLISHED")
# How many of the churn's sockets one walk may meet. Only two or three
# live at any instant, but a walk passes the kernel's buckets one after
# another while the churn goes on, so it can meet sockets that never lived
# at the same time: their number varies around the mean alive (Poisson),
# and 4 or 5 happen. A socket counted in both halves, or in neither, of a
# wrong cut would be off by the thousands of sockets on that port.
CHURN_MAX = 12


def check_churn(conn, splits):
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    # the population, the scrape's pair, this listener; TIME-WAIT left
    # out (the population's end after 60 s, on a slow run)
    base = c.ss_states()
    base.pop("TIME-WAIT", None)
    stop, made = threading.Event(), [0]
    t = threading.Thread(target=churn, args=(lst, stop, made))
    t.start()
    try:
        for _ in range(18):
            s = scrape(conn)
            got = c.tulpen_states(s)
            got.pop("TIME-WAIT", None)
            # every state the churn never enters: exactly the population
            fixed = {k: v for k, v in got.items()
                     if k not in CHURN_STATES and v}
            want = {k: v for k, v in base.items()
                    if k not in CHURN_STATES and v}
            n = sum(got.get(k, 0) for k in CHURN_STATES)
            n0 = sum(base.get(k, 0) for k in CHURN_STATES)
            if fixed != want or not n0 <= n <= n0 + CHURN_MAX:
                raise c.Fail("under churn every socket once: tulpen %s, "
                             "ss before the churn %s (after this scrape "
                             "%s)" % (got, base, c.ss_states()))
        got = one(s, "tulpen_collect_split_walks_total") - splits
        c.check(got >= 2, "%d of the 18 scrapes under churn split" % got)
    finally:
        stop.set()
        t.join()
        lst.close()
    c.check(made[0] > 0, "the churn made %d connections" % made[0])


def body(tulpen):
    c.enter_netns()
    pop = populate()
    c.check(ss_count() > 8192, "more than 8,192 TCP sockets (%d)"
            % ss_count())
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port,
                           "--timeout", "300s"], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        s = scrape(conn)  # one walk: the first histogram
        splits = one(s, "tulpen_collect_split_walks_total")
        c.check(splits == 0, "the first scrape walks once")
        splits = check_rest(conn, splits)
        splits = check_rest(conn, splits)
        check_churn(conn, splits)
        conn.close()
    finally:
        rc = srv.stop()
    c.check(rc == 0, "SIGTERM: exit 0 (got %d)" % rc)
    del pop


if __name__ == "__main__":
    c.main(body)
