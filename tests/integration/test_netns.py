#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every network namespace at once, against ss in each.

usage: test_netns.py [TULPEN]   (default: $TULPEN; $NETNS_LIB for the
                                 library-level checks)

The test makes 50 network namespaces of its own: 25 named (ip netns add),
25 held only by a process (22 made with unshare(2) by forked holders, 3 by
the `unshare -n` command), each with its own sockets (LISTEN, ESTABLISHED
pairs over IPv4 and IPv6, CLOSE-WAIT, and in some TIME-WAIT) on ports of
its own. Then:

1. `tulpen --all-netns -tan --json` lists, for each of them, exactly what
   `ip netns exec NS ss -tan` / `nsenter -t PID -n ss -tan` lists (state,
   queues, addresses, ports), labelled with the namespace's inode and name
   (null for the unnamed ones). ss runs before and after and must agree.
2. `-N NAME`, `-N PID`, `-N PATH` for each equal ss too; bad -N fails.
3. `--all-netns -tanp --json`: each socket's processes (pid, fd) are the
   ones `ss -tanp` in its namespace shows.
4. Containers: cgroup v2 directories laid out as docker (systemd and
   cgroupfs drivers), containerd and cri-o under kubepods (both drivers), a
   pod of two containers sharing one namespace, and a systemd unit, under
   the cgroup2 mount found in /proc/mounts; the holders are moved into
   them after making their sockets; the JSON and table labels are checked.
5. `-s --all-netns -t --json` counts per namespace equal ss's, sorted by
   total; the text form is sorted too.
6. Without CAP_SYS_ADMIN (capsh --drop) each of our namespaces is reported
   exactly once, the exit status is 1, the caller's namespace is listed.
7. Namespaces deleted between the scan and the walk (named, re-created
   under the same name, holder killed) give no row and no error
   ($NETNS_LIB, which also checks that the caller's thread never changed
   namespace);
   and tulpen runs while namespaces are being deleted exit 0 with nothing
   on stderr and every stable namespace intact.

Everything it creates is removed at the end. Exit 77 when not root.
"""
import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

TULPEN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TULPEN")
SRCDIR = os.environ.get("TULPEN_SRCDIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "schema"))
from validate import SchemaViolation, validate  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_fixture import (  # noqa: E402
    Cgroups, Fail, NS, PREFIX, by_netns, check, connect_in, fork_holder,
    ns_inode_of_pid, run, setup_containers, ss_rows, tulpen_key,
    unshare_holder)
LIB = os.environ.get("NETNS_LIB")
NAMED = 25
FORKED = 22
UNSHARE_CMD = 3
def tulpen(*args, ok=True):
    p = run([TULPEN] + list(args), timeout=120)
    if ok:
        check(p.returncode == 0, "tulpen %s: exit %d: %s" %
              (" ".join(args), p.returncode, p.stderr.strip()))
        check(p.stderr == "", "tulpen %s: stderr: %s" %
              (" ".join(args), p.stderr.strip()))
    if ok and "--json" in args:
        check_schema(args, json.loads(p.stdout))
    return p


OURS = set()  # the inodes of our namespaces


def check_schema(args, doc):
    """
    The document against its schema: a summary whole; of a listing, the
    rows of our namespaces and the first 50 (other helpers' populations on
    a shared host would make whole documents slow to validate).
    """
    try:
        if "-s" in args:
            validate("summary", doc, " ".join(args))
        else:
            rows = doc[:50] + [r for r in doc[50:]
                               if r.get("netns", {}).get("inode") in OURS]
            validate("socket", rows, " ".join(args))
    except SchemaViolation as e:
        raise Fail("schema: %s" % e)


def compare(nss, doc, what):
    """Every namespace of ours: tulpen's rows == ss's, labels right."""
    rows = by_netns(doc)
    for ns in nss:
        got = collections.Counter(tulpen_key(r) for r in rows[ns.inode])
        check(got == ns.expect,
              "%s: namespace %s (%d): tulpen %s, ss %s" %
              (what, ns.spec(), ns.inode,
               sorted(got - ns.expect), sorted(ns.expect - got)))
        for r in rows[ns.inode]:
            check(r["netns"]["name"] == ns.name,
                  "%s: namespace %d labelled %r, not %r" %
                  (what, ns.inode, r["netns"]["name"], ns.name))
            if ns.container is not None:
                check(r["container"] == ns.container,
                      "%s: namespace %s: container %r, want %r" %
                      (what, ns.spec(), r["container"], ns.container))


def snapshot(nss, opts="-tan"):
    for ns in nss:
        ns.expect, ns.owners = ss_rows(ns, opts)


def quiet_rounds(nss, args, what, opts="-tan", rounds=10):
    """
    ss, tulpen, ss again: yields (tulpen's document, the namespaces whose
    ss agreed with itself) until every namespace was quiet once (TIME-WAIT
    and orphaned FIN-WAIT-2 sockets expire while the test runs).
    """
    pending = list(nss)
    for _ in range(rounds):
        snapshot(pending, opts)
        before = {ns.inode: (ns.expect, ns.owners) for ns in pending}
        doc = json.loads(tulpen(*args).stdout)
        snapshot(pending)
        quiet = [ns for ns in pending if ns.expect == before[ns.inode][0]]
        for ns in quiet:
            ns.expect, ns.owners = before[ns.inode]
        yield doc, quiet
        pending = [ns for ns in pending if ns not in quiet]
        if not pending:
            return
    raise Fail("%s: namespaces never quiet: %r" %
               (what, [ns.spec() for ns in pending]))


def quiet_compare(nss, args, what):
    """tulpen == ss for every namespace of @nss, each at a quiet moment."""
    doc = None
    for doc, quiet in quiet_rounds(nss, args, what):
        compare(quiet, doc, what)
    return doc


# --- the checks ------------------------------------------------------------

def check_listing(nss):
    doc = quiet_compare(nss, ["--all-netns", "-tan", "--json"],
                        "--all-netns -tan")
    # the caller's own namespace is there too, first
    own = os.stat("/proc/self/ns/net").st_ino
    check(doc and doc[0]["netns"]["inode"] == own,
          "the caller's namespace does not come first")
    print("ok 1 --all-netns -tan --json == ss -tan in each of %d namespaces"
          % len(nss))


def check_each(nss):
    for ns in nss:
        specs = [ns.spec()]
        if ns.idx % 7 == 0:  # paths too, now and then
            specs.append("/run/netns/" + ns.name if ns.name
                         else "/proc/%d/ns/net" % ns.pid)
        if ns.name and ns.idx % 5 == 0:
            specs.append(str(ns.pid))
        for spec in specs:
            quiet_compare([ns], ["-N", spec, "-tan", "--json"],
                          "-N " + spec)
            quiet_compare([ns], ["--net=" + spec, "-tan", "--json"],
                          "--net=" + spec)
    print("ok 2 -N NAME|PID|PATH == ss -tan for each namespace")
    bad = [("tnt-no-such-namespace", "no-such"), ("/etc/passwd", "not a"),
           ("999999999", "999999999"), ("", "needs")]
    for spec, word in bad:
        p = tulpen("-N", spec, "-tan", ok=False)
        check(p.returncode != 0 and p.stdout == "" and word in p.stderr,
              "-N %r: exit %d, stderr %r" % (spec, p.returncode, p.stderr))
    p = tulpen("-N", nss[0].spec(), "--all-netns", ok=False)
    check(p.returncode == 2 and "exclude" in p.stderr, "-N with --all-netns")
    print("ok 3 bad -N values fail with a message naming them")


def owners_of(r):
    return sorted((p["pid"], p["fd"]) for p in r.get("processes", []))


def check_owners(nss, pod, pod_pids):
    for doc, quiet in quiet_rounds(nss, ["--all-netns", "-tanp", "--json"],
                                   "-p", "-tanp"):
        owners_match(quiet, doc, pod, pod_pids)
    print("ok 4 --all-netns -tanp: processes == ss -tanp; containers by "
          "holder")


def owners_match(nss, doc, pod, pod_pids):
    rows = by_netns(doc)
    for ns in nss:
        got = collections.defaultdict(list)
        for r in rows[ns.inode]:
            got[tulpen_key(r)].append(owners_of(r))
        keys = set(got) | set(ns.expect)
        for k in keys:
            want = sorted(ns.owners.get(k, []) +
                          [[]] * (ns.expect[k] - len(ns.owners.get(k, []))))
            check(sorted(got[k]) == want,
                  "-p: namespace %s, %r: tulpen %r, ss %r" %
                  (ns.spec(), k, sorted(got[k]), want))
        for r in rows[ns.inode]:
            procs = owners_of(r)
            if ns is pod:
                # each socket: its own holder's container; else the pod's
                holder = procs[0][0] if procs else min(pod_pids)
                want = pod_pids[holder]
            else:
                want = ns.container
            if want is not None:
                check(r["container"] == want,
                      "-p: namespace %s socket %r: container %r, want %r"
                      % (ns.spec(), tulpen_key(r), r["container"], want))


def check_containers(nss, pod, pod_pids):
    doc = json.loads(tulpen("--all-netns", "-tan", "--json").stdout)
    rows = by_netns(doc)
    labelled = [ns for ns in nss if ns.container is not None]
    check(len(labelled) == 6, "six namespaces in containers")
    for ns in labelled:
        check(rows[ns.inode], "no rows for %s" % ns.spec())
        for r in rows[ns.inode]:
            check(r["container"] == ns.container,
                  "namespace %s: container %r, want %r" %
                  (ns.spec(), r["container"], ns.container))
    # without -p the pod's namespace is labelled by its lowest pid
    for r in rows[pod.inode]:
        check(r["container"] == pod_pids[min(pod_pids)],
              "pod namespace: %r" % r["container"])
    # the table: Netns and Container columns, short ids
    out = tulpen("--all-netns", "-tan").stdout.splitlines()
    check(out[0].split()[:2] == ["Netns", "Container"], "table header")
    for ns in labelled:
        c = ns.container
        short = (c["unit"] if c["runtime"] is None else
                 "%s:%s" % (c["runtime"], c["id"][:12]) +
                 (",pod=" + c["pod_uid"] if c["pod_uid"] else ""))
        mine = [ln for ln in out[1:]
                if ln.split()[0] == (ns.name or str(ns.inode))]
        check(mine and all(ln.split()[1] == short for ln in mine),
              "table: namespace %s: want %s in %r" % (ns.spec(), short,
                                                       mine[:2]))
    # --netns/--container alone label the caller's own namespace
    out = tulpen("-tan", "--netns", "--container").stdout.splitlines()
    own = str(os.stat("/proc/self/ns/net").st_ino)
    check(out[0].split()[:2] == ["Netns", "Container"] and
          all(ln.split()[0] == own for ln in out[1:]),
          "--netns alone: %r" % out[:3])
    check_label_filters(doc, labelled)
    print("ok 5 container labels (docker x2, containerd x2, cri-o, pod of "
          "two, systemd unit) in JSON and table; netns and container "
          "filter terms")


def check_label_filters(doc, labelled):
    """`container X` and `netns X` select the rows of the unfiltered
    listing (checked against ss above) that have that label, and only
    those. Orphans and TIME-WAIT sockets expire meanwhile: the unfiltered
    listing is taken before and after, and must not have changed."""
    def rows(args):
        return [r for r in json.loads(tulpen(
            "--all-netns", "-tan", "--json", *args).stdout)
            if r["netns"]["inode"] in OURS]

    def key(r):
        return (r["netns"]["inode"], tulpen_key(r))

    def same(args, pred, what):
        for _ in range(10):
            before = sorted(key(r) for r in rows([]))
            got = rows(args)
            after = rows([])
            if before != sorted(key(r) for r in after):
                continue
            want = sorted(key(r) for r in after if pred(r))
            check(want and sorted(key(r) for r in got) == want,
                  "%s: %d rows, want %d" % (what, len(got), len(want)))
            return
        raise Fail("%s: our namespaces never quiet" % what)

    for ns in labelled[:3]:
        c = ns.container
        word = c["unit"] if c["runtime"] is None else c["id"][:8]
        same(["container", word], lambda r, w=word: r["container"] and (
            (r["container"].get("id") or "").startswith(w) or
            r["container"].get("unit") == w), "container " + word)
    ns = ([ns for ns in labelled if ns.name] or labelled)[0]
    word = ns.name or str(ns.inode)
    same(["netns", word], lambda r: r["netns"]["inode"] == ns.inode,
         "netns " + word)
    same(["not", "netns", word], lambda r: r["netns"]["inode"] != ns.inode,
         "not netns " + word)

def watch_events(args, nss, cg):
    """Start tulpen watch @args, connect in each of @nss: the events of
    those connections, {ns: [events]}."""
    w = subprocess.Popen([TULPEN, "watch", "--ndjson", "--source=bpf",
                          "--duration", "4"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    first = w.stdout.readline()
    check(first.startswith('{"type":"start"'), "watch start: %r" % first)
    ports = {ns.idx: connect_in(ns, cg) for ns in nss}
    out, err = w.communicate(timeout=60)
    check(w.returncode == 0, "watch %r: exit %d %s" % (args, w.returncode,
                                                       err))
    events = [json.loads(ln.rstrip(",")) for ln in out.splitlines()
              if ln.startswith("{") and '"transition"' in ln]
    return {ns.idx: [e for e in events
                     if e["local"]["port"] == ports[ns.idx] and
                     e["netns"]["inode"] == ns.inode] for ns in nss}


def check_watch(nss, cg):
    """tulpen watch sees every namespace and labels each event with its
    namespace and the container of the process behind it; -N narrows it
    to one namespace, given by name."""
    boxed = [ns for ns in nss if ns.container is not None and
             ns.cgroup_rel and ns.name][0]
    plain = [ns for ns in nss if ns.name and ns.container is None and
             not ns.cgroup_rel][0]
    got = watch_events([], [boxed, plain], cg)
    for ns in (boxed, plain):
        evs = got[ns.idx]
        check(len(evs) >= 2, "watch: %d events of the connection in %s"
              % (len(evs), ns.spec()))
        for e in evs:
            check(e["netns"]["name"] == ns.name, "watch: event in %s "
                  "labelled %r" % (ns.spec(), e["netns"]))
        if ns is boxed:
            check(all(e.get("container") == ns.container for e in evs),
                  "watch: container of %s: %r, want %r"
                  % (ns.spec(), evs[0].get("container"), ns.container))
    got = watch_events(["-N", plain.name], [boxed, plain], cg)
    check(got[plain.idx] and not got[boxed.idx],
          "watch -N %s: %d events there, %d elsewhere" %
          (plain.name, len(got[plain.idx]), len(got[boxed.idx])))
    print("ok 11 watch: every namespace's events labelled with namespace "
          "and container; -N NAME narrows to one")


def check_summary(nss):
    for doc, quiet in quiet_rounds(nss, ["-s", "--all-netns", "-t",
                                         "--json"], "-s"):
        summary_match(quiet, doc)
    text = tulpen("-s", "--all-netns", "-t").stdout.splitlines()
    check(text[0].split()[:4] == ["Netns", "Inode", "Container", "Total"],
          "-s text header: %r" % text[0])
    col = text[0].split().index("Total")
    tot = [int(ln.split()[col]) for ln in text[1:]]
    check(tot == sorted(tot, reverse=True) and len(tot) >= len(nss),
          "-s text: %r" % tot)
    # -s -N: one namespace's counts
    ns = nss[1]
    for doc, quiet in quiet_rounds([ns], ["-s", "-N", ns.spec(), "-t",
                                          "--json"], "-s -N"):
        check(not quiet or doc["total"] == sum(ns.expect.values()),
              "-s -N %s" % ns.spec())
    print("ok 6 -s --all-netns: per-namespace counts == ss, sorted by total")


def summary_match(nss, doc):
    entries = doc["namespaces"]
    totals = [e["summary"]["total"] for e in entries]
    check(totals == sorted(totals, reverse=True), "-s not sorted: %r" %
          totals)
    got = {e["netns"]["inode"]: e for e in entries}
    for ns in nss:
        check(ns.inode in got, "-s: namespace %s missing" % ns.spec())
        e = got[ns.inode]
        check(e["netns"]["name"] == ns.name, "-s: name of %s" % ns.spec())
        want = collections.Counter()
        for k, n in ns.expect.items():
            want[k[0]] += n
        states = {s: n for s, n in e["summary"]["tcp_states"].items() if n}
        check(states == dict(want) and
              e["summary"]["total"] == sum(want.values()),
              "-s: namespace %s: %r, ss %r" % (ns.spec(), states,
                                              dict(want)))


def check_unenterable(nss):
    p = run(["capsh", "--drop=cap_sys_admin", "--", "-c",
             'exec "$0" --all-netns -tan --json', TULPEN], timeout=120)
    check(p.returncode == 1, "without CAP_SYS_ADMIN: exit %d (%s)" %
          (p.returncode, p.stderr[-300:]))
    lines = p.stderr.splitlines()
    for ns in nss:
        n = sum(1 for ln in lines if re.search(r"\b%d\b" % ns.inode, ln))
        check(n == 1, "namespace %s reported %d times: %r" %
              (ns.spec(), n, lines[:3]))
    doc = json.loads(p.stdout)
    own = os.stat("/proc/self/ns/net").st_ino
    check({r["netns"]["inode"] for r in doc} <= {own},
          "rows from namespaces that could not be entered")
    print("ok 7 without CAP_SYS_ADMIN: each namespace reported once, exit 1")


def check_seam(nss):
    """The context's seam from the calling thread: netlink and /proc/net."""
    for ns in nss[::10]:
        path = "/run/netns/" + ns.name if ns.name else \
            "/proc/%d/ns/net" % ns.pid
        for _ in range(10):
            want = sum(ss_rows(ns)[0].values())
            p = run([LIB, "seam", path], timeout=60)
            again = sum(ss_rows(ns)[0].values())
            if want == again:
                break
        check(p.returncode == 0, "seam %s: %s" % (path, p.stderr))
        r = json.loads(p.stdout)
        check(r == {"netlink": want, "proc": want, "moved": 0},
              "seam %s: %r, ss %d" % (path, r, want))
    print("ok 10 the context's seam: netlink and /proc/net of a namespace "
          "from a helper thread, the caller's thread unmoved")


def check_vanish(cg):
    """Deleted between the scan and the walk: no row, no error."""
    doomed = [NS(90 + i, PREFIX + "gone%d" % i if i < 2 else None)
              for i in range(4)]
    ALL.extend(doomed)
    for ns in doomed:
        if ns.name:
            check(run(["ip", "netns", "add", ns.name]).returncode == 0,
                  "ip netns add")
            run(["ip", "-n", ns.name, "link", "set", "lo", "up"])
            fork_holder(ns, ns.name)
            ns.inode = os.stat("/run/netns/" + ns.name).st_ino
        else:
            fork_holder(ns)
            ns.inode = ns_inode_of_pid(ns.pid)
    p = subprocess.Popen([LIB, "vanish"] + [str(ns.inode) for ns in doomed],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    check(p.stdout.readline() == "scanned\n", "netns_lib did not scan")
    run(["ip", "netns", "del", doomed[0].name])
    run(["ip", "netns", "del", doomed[1].name])
    for ns in doomed:
        kill(ns)
    # a new namespace under the same name, with sockets: not the one scanned
    run(["ip", "netns", "add", doomed[1].name])
    run(["ip", "-n", doomed[1].name, "link", "set", "lo", "up"])
    fork_holder(doomed[1], doomed[1].name)
    out, err = p.communicate("go\n", timeout=120)
    kill(doomed[1])
    run(["ip", "netns", "del", doomed[1].name])
    check(p.returncode == 0, "netns_lib: exit %d: %s" % (p.returncode, err))
    r = json.loads(out)
    check(r["rows_gone"] == 0 and r["failed"] == 0 and r["rows"] > 0 and
          r["moved"] == 0 and r["threads_moved"] == 0 and err == "",
          "deleted namespaces: %r %s" % (r, err))
    print("ok 8 namespaces deleted before their turn: no row, no error; no "
          "thread changed namespace")


def check_churn(nss):
    """tulpen while namespaces come and go: exit 0, quiet, stable ones intact."""
    doomed = []
    for i in range(20):
        ns = NS(100 + i, PREFIX + "churn%d" % i if i % 2 else None)
        ALL.append(ns)
        if ns.name:
            run(["ip", "netns", "add", ns.name])
            run(["ip", "-n", ns.name, "link", "set", "lo", "up"])
            fork_holder(ns, ns.name)
        else:
            fork_holder(ns)
        doomed.append(ns)
    held = {ns.inode: {k for k in ns.expect if k[0] != "TIME-WAIT" and
                       k[0] != "FIN-WAIT-2"} for ns in nss}

    def delete():
        for ns in doomed:
            time.sleep(0.05)
            kill(ns)
            if ns.name:
                run(["ip", "netns", "del", ns.name])

    t = threading.Thread(target=delete)
    t.start()
    runs = 0
    while t.is_alive() or runs < 3:
        doc = json.loads(tulpen("--all-netns", "-tan", "--json").stdout)
        rows = by_netns(doc)
        for ns in nss:
            keys = {tulpen_key(r) for r in rows[ns.inode]}
            check(held[ns.inode] <= keys, "churn: namespace %s lost %r" %
                  (ns.spec(), sorted(held[ns.inode] - keys)[:3]))
        runs += 1
    t.join()
    print("ok 9 %d runs while 20 namespaces were deleted: exit 0, quiet, "
          "stable namespaces intact" % runs)


# --- set up, run, clean up ---------------------------------------------------

ALL = []
PROCS = []


def kill(ns):
    for pid in ns.pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    ns.pids = []


def cleanup(cg):
    for ns in ALL:
        kill(ns)
    for p in PROCS:
        p.kill()
        p.wait()
    for name in os.listdir("/run/netns") if os.path.isdir("/run/netns") \
            else []:
        if name.startswith(PREFIX):
            run(["ip", "netns", "del", name])
    cg.cleanup()


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 77
    if not TULPEN or not LIB:
        print("usage: test_netns.py TULPEN (and $NETNS_LIB)")
        return 2
    cg = Cgroups()
    nss = []

    def stop(signum, frame):  # meson's timeout: clean up all the same
        raise Fail("stopped by signal %d" % signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        for i in range(NAMED + FORKED + UNSHARE_CMD):
            if i < NAMED:
                ns = NS(i, PREFIX + "n%d" % i)
                check(run(["ip", "netns", "add", ns.name]).returncode == 0,
                      "ip netns add " + ns.name)
                run(["ip", "-n", ns.name, "link", "set", "lo", "up"])
                ALL.append(ns)
                fork_holder(ns, ns.name)
                ns.inode = os.stat("/run/netns/" + ns.name).st_ino
            else:
                ns = NS(i)
                ALL.append(ns)
                if i < NAMED + FORKED:
                    fork_holder(ns)
                else:
                    PROCS.append(unshare_holder(ns))
                ns.inode = ns_inode_of_pid(ns.pid)
            nss.append(ns)
        check(len({ns.inode for ns in nss}) == len(nss), "50 namespaces")
        OURS.update(ns.inode for ns in nss)
        pod, pod_pids = setup_containers(cg, nss)
        check_listing(nss)
        check_each(nss)
        check_owners(nss, pod, pod_pids)
        check_containers(nss, pod, pod_pids)
        check_watch(nss, cg)
        check_summary(nss)
        check_unenterable(nss)
        snapshot(nss)
        check_churn(nss)
        check_vanish(cg)
        check_seam(nss)
    except Fail as e:
        print("not ok - %s" % e)
        return 1
    finally:
        cleanup(cg)
    print("all netns checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
