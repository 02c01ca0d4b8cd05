#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/ and docs/metrics.md against what tulpen serve exports.

usage: test_serve_contrib.py [TULPEN]   (default $TULPEN; $TULPEN_SRCDIR)

- `promtool check config` on the scrape config, `promtool check rules` and
  `promtool test rules` on the rules and their unit tests;
- in a private network namespace with a population (root, 77 without):
  every tulpen_* name the rules and the Grafana dashboard use is one that
  tulpen serve exports, and every family it exports is in docs/metrics.md
  with its type;
- the dashboard is JSON with a unique id per panel and a Prometheus target
  in each.
"""
import http.client
import json
import os
import re
import subprocess
import time

import test_serve_common as c

SRC = os.environ.get("TULPEN_SRCDIR",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
PROM = os.path.join(SRC, "contrib", "prometheus")
PROMTOOL = "/usr/bin/promtool"


def promtool(*args):
    r = subprocess.run([PROMTOOL] + list(args), capture_output=True,
                       text=True, cwd=PROM)
    c.check(r.returncode == 0, "promtool %s: %s%s" % (" ".join(args),
                                                      r.stdout, r.stderr))


def names_in(text):
    # not the middle of a recording rule's level:metric:operation name
    text = re.sub(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", " ", text)
    return set(re.findall(r"\btulpen_[a-z0-9_]+", text))


def exported():
    """{sample or family name: type} of a real scrape, owners and tulpen
    doctor's findings included (the first scrape starts doctor's run, a
    later one has its findings: the population's six CLOSE-WAIT sockets
    held by this process are one close-wait warning)."""
    pop = c.Population(established=4, close_wait=6, time_wait=2)
    port = c.free_port()
    srv = c.Serve(c.tulpen_path(), ["--listen", "127.0.0.1:%d" % port,
                                    "--doctor-every", "2s"], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.get(conn, "/metrics")
        time.sleep(2.5)
        _, _, body = c.get(conn, "/metrics")
        conn.close()
    finally:
        srv.stop()
    del pop  # held until here: its sockets are what was scraped
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, re.M))
    parsed = c.parse_text(body)
    found = {(lb.get("kind"), lb.get("severity")): v for n, lb, v in parsed
             if n == "tulpen_doctor_findings" and v}
    c.check(found == {("close-wait", "warning"): 1.0},
            "tulpen_doctor_findings: one close-wait warning (%s)" % found)
    samples = {n for n, _, _ in parsed}
    if "metrics dropped: tulpen_tcp_transitions_total" in srv.stderr():
        # no eBPF here (said so): the transition panels cannot be checked
        print("# no eBPF counts: " + srv.stderr().strip())
        samples |= {"tulpen_tcp_transitions_total",
                    "tulpen_tcp_connection_duration_seconds_bucket"}
    return types, samples


def body(tulpen):
    if not os.access(PROMTOOL, os.X_OK):
        raise c.Fail("no promtool (Debian package prometheus)")
    promtool("check", "config", "prometheus.yml")
    promtool("check", "rules", "tulpen_rules.yml")
    promtool("test", "rules", "tulpen_rules.test.yml")
    with open(os.path.join(SRC, "contrib", "grafana",
                           "tulpen-dashboard.json")) as f:
        dash = json.load(f)
    ids = [p["id"] for p in dash["panels"]]
    c.check(len(ids) == len(set(ids)), "dashboard: unique panel ids")
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    c.check(all(p["targets"] for p in dash["panels"]),
            "dashboard: every panel has a target")
    with open(os.path.join(PROM, "tulpen_rules.yml")) as f:
        rules = re.sub(r"#.*", "", f.read())  # not the comments
    with open(os.path.join(SRC, "docs", "metrics.md")) as f:
        doc = f.read()
    c.enter_netns()
    types, samples = exported()
    used = names_in("\n".join(exprs)) | names_in(rules)
    missing = sorted(n for n in used if n not in samples)
    c.check(not missing, "rules and dashboard use only exported names "
            "(missing: %s)" % missing)
    for fam, typ in sorted(types.items()):
        c.check(re.search(r"`%s`[^\n]*\| *%s *\|" % (re.escape(fam), typ),
                          doc) is not None,
                "docs/metrics.md documents %s as a %s" % (fam, typ))


if __name__ == "__main__":
    c.main(body)
