#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tulpen serve against the kernel and a real Prometheus (issue 12).

usage: test_serve.py [TULPEN]   (default $TULPEN)

In a private network namespace with a population of known states:
1. /metrics passes `promtool check metrics`; tulpen_tcp_sockets per state
   equals ss's count (all scrapes over one kept-alive connection, so the
   scraping itself adds one stable ESTABLISHED pair that ss sees too);
   tulpen_sockets{proto="tcp"} adds up to the same total; the listener
   with a waiting accept queue shows its queue and backlog; the CLOSE-WAIT
   sockets this process holds are counted under its pid and command;
   OpenMetrics by content negotiation ends with "# EOF" and has the same
   values; /, /healthz, 404 and 405.
2. --top-k 1 folds the other listeners into address="other" with their
   sums; --no-owners drops the per-process family and says so.
3. As user nobody (setpriv): without capabilities the per-process family
   is dropped and said so, the states still equal ss; with the two
   capabilities the systemd unit grants, root's CLOSE-WAIT owners show.
4. Prometheus (Debian's) scrapes tulpen every second; its API's
   `sum by (state) (tulpen_tcp_sockets)` equals ss's counts.

Needs root (exit 77 without).
"""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import test_serve_common as c

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def scrape(conn, om=False):
    hdr = {"Accept": "application/openmetrics-text;version=1.0.0,"
                     "text/plain;version=0.0.4;q=0.5"} if om else {}
    status, headers, body = c.get(conn, "/metrics", hdr)
    c.check(status == 200, "/metrics answers 200 (%s)" %
            ("OpenMetrics" if om else "text"))
    return headers, body


def check_states(conn):
    _, body = scrape(conn)
    ss = c.ss_states()
    got = c.tulpen_states(c.parse_text(body))
    c.check(got == ss, "tulpen_tcp_sockets per state == ss -tan (%s vs %s)"
            % (got, ss))
    return body


def check_promtool(body):
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                       capture_output=True, text=True)
    c.check(r.returncode == 0, "promtool check metrics: %s%s"
            % (r.stdout, r.stderr))


def check_families(body, pop):
    s = c.parse_text(body)
    tcp = sum(v for n, lab, v in s
              if n == "tulpen_sockets" and lab["proto"] == "tcp")
    c.check(tcp == sum(c.tulpen_states(s).values()),
            "tulpen_sockets{proto=tcp} adds up to tulpen_tcp_sockets")
    q = {lab["port"]: v for n, lab, v in s
         if n == "tulpen_tcp_listen_queue_length"}
    lim = {lab["port"]: v for n, lab, v in s
           if n == "tulpen_tcp_listen_queue_limit"}
    port = str(pop.queue_port)
    c.check(q.get(port) == pop.queued and lim.get(port) == pop.backlog,
            "the listener on %s: queue %s of %s (expected %d of %d)"
            % (port, q.get(port), lim.get(port), pop.queued, pop.backlog))
    cw = [(lab, v) for n, lab, v in s
          if n == "tulpen_tcp_close_wait_sockets_by_process"]
    mine = [v for lab, v in cw if lab["pid"] == str(os.getpid())]
    comm = open("/proc/self/comm").read().strip()
    c.check(mine == [pop.close_wait] and
            any(lab.get("command") == comm for lab, _ in cw),
            "CLOSE-WAIT of pid %d (%s): %s, expected %d"
            % (os.getpid(), comm, mine, pop.close_wait))
    c.check(c.values(s, "tulpen_tcp_listen_overflows_total") and
            c.values(s, "tulpen_tcp_active_opens_total")[None] > 0,
            "the netstat/snmp counters are there")


def check_openmetrics(conn, text_body):
    headers, body = scrape(conn, om=True)
    ctype = headers.get("Content-Type", "")
    c.check(ctype.startswith("application/openmetrics-text"),
            "OpenMetrics by Accept: %s" % ctype)
    c.check(body.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
    c.check("# TYPE tulpen_tcp_listen_overflows counter" in body and
            "tulpen_tcp_listen_overflows_total " in body,
            "OpenMetrics counter family without _total, sample with it")
    a = c.tulpen_states(c.parse_text(body.replace("# EOF\n", "")))
    b = c.tulpen_states(c.parse_text(text_body))
    c.check(a == b, "OpenMetrics and text format agree on the states")


def check_paths(conn):
    st, _, body = c.get(conn, "/")
    c.check(st == 200 and "/metrics" in body, "/ is an index")
    st, _, body = c.get(conn, "/healthz")
    c.check(st == 200 and body == "ok\n", "/healthz")
    st, _, _ = c.get(conn, "/nowhere")
    c.check(st == 404, "unknown path: 404")
    conn.request("DELETE", "/metrics")
    r = conn.getresponse()
    r.read()
    c.check(r.status == 405 and "GET" in (r.getheader("Allow") or ""),
            "DELETE: 405 with Allow")


def check_options(tulpen, pop):
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port, "--top-k",
                           "1", "--no-owners"], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _, body = scrape(conn)
        s = c.parse_text(body)
        q = c.values(s, "tulpen_tcp_listen_queue_length", "port")
        lst = c.values(s, "tulpen_tcp_listeners")[None]
        c.check(len(q) == 2 and "other" in q and
                q.get(str(pop.queue_port)) == pop.queued,
                "--top-k 1: the fullest queue and 'other' (%s)" % q)
        lim = c.values(s, "tulpen_tcp_listen_queue_limit", "port")
        ss = subprocess.run(["ss", "-ltnH"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
        ss_lim = sum(int(line.split()[2]) for line in ss)
        c.check(lst == len(ss) and
                lim["other"] == ss_lim - lim[str(pop.queue_port)],
                "'other' sums the other %d listeners' backlogs (%s, ss %d)"
                % (len(ss) - 1, lim, ss_lim))
        c.check("tulpen_tcp_close_wait_sockets_by_process" not in body,
                "--no-owners: no per-process family")
        c.check("metrics dropped: tulpen_tcp_close_wait_sockets_by_process"
                in srv.stderr(), "--no-owners: says what it dropped")
        conn.close()
    finally:
        srv.stop()


def check_unprivileged(tulpen, pop):
    """As nobody: without capabilities the per-process family is dropped
    (and said so) while the rest is exact; with the two capabilities of
    contrib/systemd/tulpen-serve.service the owners of root's sockets are
    read too."""
    base = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    caps = "+sys_ptrace,+dac_read_search"
    for what, pre in (("no capabilities", base + ["--inh-caps=-all"]),
                      ("CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH",
                       base + ["--inh-caps=" + caps,
                               "--ambient-caps=" + caps])):
        port = c.free_port()
        srv = c.Serve(pre + [tulpen], ["--listen", "127.0.0.1:%d" % port],
                      port)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _, body = scrape(conn)
            ss = c.ss_states()
            s = c.parse_text(body)
            c.check(c.tulpen_states(s) == ss,
                    "as nobody, %s: tulpen_tcp_sockets == ss" % what)
            cw = c.values(s, "tulpen_tcp_close_wait_sockets_by_process",
                          "pid")
            if what == "no capabilities":
                c.check(not cw and "metrics dropped: tulpen_tcp_close_wait_"
                        "sockets_by_process" in srv.stderr(),
                        "as nobody, %s: the per-process family dropped, "
                        "and said so" % what)
            else:
                c.check(cw.get(str(os.getpid())) == pop.close_wait and
                        "dropped: tulpen_tcp_close_wait" not in srv.stderr(),
                        "as nobody, %s: root's CLOSE-WAIT sockets by "
                        "process (%s)" % (what, cw))
            conn.close()
        finally:
            srv.stop()


def prometheus_query(conn, query):
    path = "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    st, _, body = c.get(conn, path)
    if st != 200:
        return None
    return json.loads(body)["data"]["result"]


def check_prometheus(port):
    if not os.access(PROMETHEUS, os.X_OK):
        raise c.Fail("no %s (scripts/deps.sh installs prometheus)"
                     % PROMETHEUS)
    tmp = tempfile.mkdtemp(prefix="tulpen-prom-")
    pport = c.free_port()
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: tulpen\n"
                "    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    log = open(os.path.join(tmp, "log"), "w+")
    prom = subprocess.Popen([
        PROMETHEUS, "--config.file=" + os.path.join(tmp, "prometheus.yml"),
        "--storage.tsdb.path=" + os.path.join(tmp, "data"),
        "--web.listen-address=127.0.0.1:%d" % pport,
        "--web.enable-lifecycle"], stdout=log, stderr=log)
    try:
        conn = None
        deadline = time.time() + 60
        while conn is None:
            if prom.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise c.Fail("prometheus did not start: " + log.read()[-2000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", pport,
                                                  timeout=10)
                conn.connect()
            except OSError:
                conn = None
                time.sleep(0.2)
        # Our own API connection exists from now on: use only samples of
        # scrapes after it (2 s later), then compare.
        time.sleep(2.5)
        q = "sum by (state) (tulpen_tcp_sockets)"
        got = None
        while time.time() < deadline:
            res = prometheus_query(conn, q)
            if res:
                got = {r["metric"]["state"]: int(float(r["value"][1]))
                       for r in res}
                got = {k: v for k, v in got.items() if v}
                ss = c.ss_states()
                if got == ss:
                    break
            time.sleep(1)
        c.check(got == c.ss_states(),
                "Prometheus's %s == ss (%s vs %s)" % (q, got, c.ss_states()))
        res = prometheus_query(conn, 'up{job="tulpen"}')
        c.check(res and res[0]["value"][1] == "1", "Prometheus: up == 1")
        conn.close()
    finally:
        prom.terminate()
        try:
            prom.wait(20)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def body(tulpen):
    c.enter_netns()
    if not os.access(PROMTOOL, os.X_OK):
        raise c.Fail("no promtool (Debian package prometheus)")
    pop = c.Population()
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port,
                           "--timeout", "300s"], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        text = check_states(conn)  # the first connects; the rest keep it
        text = check_states(conn)
        check_promtool(text)
        check_families(text, pop)
        check_openmetrics(conn, text)
        check_paths(conn)
        conn.close()
        check_options(tulpen, pop)
        check_unprivileged(tulpen, pop)
        check_prometheus(port)
    finally:
        rc = srv.stop()
    c.check(rc == 0, "SIGTERM: exit 0 (got %d)" % rc)


if __name__ == "__main__":
    c.main(body)
