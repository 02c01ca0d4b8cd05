#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tulpen explain STATE` counts live sockets like `ss` does.

Runs in a private network namespace of its own (`unshare -n`), brings TCP
sockets on loopback into LISTEN, ESTABLISHED, CLOSE-WAIT, FIN-WAIT-2,
TIME-WAIT, SYN-SENT (SYNs dropped by nftables) and SYN-RECEIVED (the
client's final ACK dropped), then checks, for every state, that tulpen's
count over netlink and over /proc equals what `ss` counts and what the test
made. Needs root; exits 77 (skip) without it or without unshare/ss/ip.

usage: explain_live.py [TULPEN]   (default: $TULPEN, as meson sets it)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

TULPEN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                         os.environ["TULPEN"])


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


if os.environ.get("TULPEN_EXPLAIN_NETNS") != "1":
    if os.geteuid() != 0:
        skip("needs root (network namespace, nftables)")
    for tool in ("unshare", "ss", "ip"):
        if not shutil.which(tool):
            skip(f"{tool} not installed")
    env = dict(os.environ, TULPEN_EXPLAIN_NETNS="1")
    r = subprocess.run(["unshare", "-n", sys.executable, __file__, TULPEN],
                       env=env, timeout=120)
    sys.exit(r.returncode)

# From here on: inside the private namespace.
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
have_nft = shutil.which("nft") is not None
keep = []
want = {}


def listener(port, family=socket.AF_INET, addr="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    keep.append(s)
    return s


def pair(ls, addr):
    c = socket.create_connection(addr)
    a, _ = ls.accept()
    return c, a


l4 = listener(8080)
l6 = listener(8443, socket.AF_INET6, "::1")
# ESTABLISHED: 3 pairs (6 sockets)
for i in range(3):
    keep.extend(pair(l4, ("127.0.0.1", 8080)))
# CLOSE-WAIT on the client, FIN-WAIT-2 on the server: 4 over IPv4, 1 v6
for ls, addr in ((l4, ("127.0.0.1", 8080)),) * 4 + ((l6, ("::1", 8443)),):
    c, a = pair(ls, addr)
    a.close()
    keep.append(c)
# TIME-WAIT: the client closes first, then the server: 5
for i in range(5):
    c, a = pair(l4, ("127.0.0.1", 8080))
    c.close()
    time.sleep(0.02)
    a.close()
want.update({"listening": 2, "established": 6, "close-wait": 5,
             "fin-wait-2": 5, "time-wait": 5})

if have_nft:
    subprocess.run(["nft", "-f", "-"], check=True, text=True, input="""
table inet explain_test {
	chain in {
		type filter hook input priority 0;
		tcp dport 9 drop
		tcp dport 8081 tcp flags & (syn | ack | fin | rst) == ack drop
	}
}
""")
    # SYN-SENT: 3 connects whose SYNs are dropped
    for i in range(3):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", 9))
        keep.append(s)
    # SYN-RECEIVED: 2 handshakes whose final ACK is dropped; the clients
    # are ESTABLISHED, the server holds request sockets.
    l2 = listener(8081)
    for i in range(2):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", 8081))
        keep.append(s)
    want.update({"syn-sent": 3, "syn-recv": 2, "established": 8,
                 "listening": 3})
else:
    print("note: nft not installed; SYN-SENT/SYN-RECEIVED not made")

time.sleep(0.3)
failures = []


def ss_count(state):
    r = subprocess.run(["ss", "-Htan", "state", state], capture_output=True,
                       text=True, check=True)
    return len([l for l in r.stdout.split("\n") if l.strip()])


def tulpen_count(state, *extra):
    r = subprocess.run([TULPEN, "explain", "--json", *extra, state],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        failures.append(f"{state}: exit {r.returncode}: {r.stderr}")
        return None
    return json.loads(r.stdout)["count"]


for state, n in sorted(want.items()):
    ss_n = ss_count(state)
    nl_n = tulpen_count(state)
    proc_n = tulpen_count(state, "--proc-root", "/proc")
    print(f"{state:12} made {n}  ss {ss_n}  tulpen netlink {nl_n}  "
          f"tulpen /proc {proc_n}")
    if not (ss_n == nl_n == proc_n == n):
        failures.append(f"{state}: made {n}, ss {ss_n}, tulpen {nl_n}/"
                        f"{proc_n}")

# The text form says the same.
r = subprocess.run([TULPEN, "explain", "close-wait"], capture_output=True,
                   text=True, timeout=30)
if "Now on this host: 5 TCP sockets in CLOSE-WAIT" not in r.stdout:
    failures.append("text form: count line missing or wrong")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
