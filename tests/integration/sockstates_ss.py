#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
sockstates_ss.py - what the kernel says about sockets, read as the tests
read it: ss's text (parse_ss, ss_snapshot) and /proc/net's tables
(parse_proc_inet, parse_proc_unix, proc_snapshot), in the names the
harness speaks (RFC 9293 states). Used by sockstates.py and the tests
that import it. Python stdlib only.
"""
import os
import re
import shutil
import socket
import subprocess

# ss state names -> RFC names (the names the harness speaks).
SS_STATE = {
    "LISTEN": "LISTEN",
    "SYN-SENT": "SYN-SENT",
    "SYN-RECV": "SYN-RECEIVED",
    "ESTAB": "ESTABLISHED",
    "FIN-WAIT-1": "FIN-WAIT-1",
    "FIN-WAIT-2": "FIN-WAIT-2",
    "CLOSE-WAIT": "CLOSE-WAIT",
    "CLOSING": "CLOSING",
    "LAST-ACK": "LAST-ACK",
    "TIME-WAIT": "TIME-WAIT",
    "UNCONN": "CLOSED",
    "CLOSE": "CLOSED",
    "UNKNOWN": "UNKNOWN",
}

# Kernel state numbers (include/net/tcp_states.h) -> RFC names.
KSTATE = {
    1: "ESTABLISHED", 2: "SYN-SENT", 3: "SYN-RECEIVED", 4: "FIN-WAIT-1",
    5: "FIN-WAIT-2", 6: "TIME-WAIT", 7: "CLOSED", 8: "CLOSE-WAIT",
    9: "LAST-ACK", 10: "LISTEN", 11: "CLOSING", 12: "SYN-RECEIVED",
}

# /proc/net/tcp "tr" values -> the names ss prints in timer:(...).
PROC_TIMER = {0: "off", 1: "on", 2: "keepalive", 3: "timewait",
              4: "persist"}

TCP_STATES = ["LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
              "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",
              "LAST-ACK", "TIME-WAIT"]


class SkipTest(Exception):
    """The environment cannot run this (not root, tool missing)."""


class HarnessError(Exception):
    """A state could not be produced or verified."""


def need_tools(*tools):
    for t in tools:
        if not shutil.which(t):
            raise SkipTest("%s not found (install it: scripts/deps.sh)" % t)


def run(cmd, check=True, timeout=60, **kw):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise HarnessError("%s did not finish in %d s" % (" ".join(cmd),
                                                          timeout))
    if check and p.returncode != 0:
        raise HarnessError("%s failed (%d): %s" % (" ".join(cmd),
                                                  p.returncode,
                                                  p.stderr.strip()))
    return p


# ---------------------------------------------------------------- ss parsing

def _split_hostport(s):
    """'127.0.0.1:80' -> ('127.0.0.1', '80'); '[::1]:80' -> ('::1', '80');
    '*:*' -> ('*', '*'); '[::ffff:127.0.0.1]:80' -> ('::ffff:127.0.0.1', ..).
    A device (ss: '127.0.0.1%lo:80', '[fe80::1]%veth0:80'; tulpen:
    '[fe80::1%veth0]:80') stays on the host as 'host%dev': see
    split_iface()."""
    host, _, port = s.rpartition(":")
    dev = ""
    if "%" in host and not host.endswith("]"):
        host, dev = host.rsplit("%", 1)
        dev = "%" + dev
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host + dev, port


def split_iface(host):
    """'fe80::1%veth0' -> ('fe80::1', 'veth0'); '::1' -> ('::1', None)."""
    if "%" in host:
        h, dev = host.split("%", 1)
        return h, dev
    return host, None


def _parse_users(text):
    """users:(("python3",pid=12,fd=3),("sleep",pid=13,fd=3)) -> list."""
    out = []
    i = text.find("users:((")
    if i < 0:
        return out
    body = text[i + len("users:(("):]
    depth = 2
    j = 0
    while j < len(body) and depth > 0:
        if body[j] == "(":
            depth += 1
        elif body[j] == ")":
            depth -= 1
        j += 1
    body = body[:j - 2]
    for part in body.split("),("):
        fields = part.split(",")
        comm = fields[0].strip('"')
        pid = fd = None
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k == "pid":
                pid = int(v)
            elif k == "fd":
                fd = int(v)
        out.append({"comm": comm, "pid": pid, "fd": fd})
    return sorted(out, key=lambda u: (u["pid"], u["fd"]))


def _parse_ms(text):
    """ss's durations (iproute2 print_ms_timer): '968ms', '1.340ms' (1 s
    340 ms), '54sec' (ms dropped above 9 s), '2min5sec', '' (0)."""
    m = re.fullmatch(r"(?:(\d+)min)?(?:(\d+)sec|(\d+)\.(\d+)ms|(\d+)ms)?",
                     text.strip())
    if not m:
        raise ValueError("cannot read ss duration %r" % text)
    mins, secs, s2, ms2, ms = (int(x) if x else 0 for x in m.groups())
    return mins * 60000 + secs * 1000 + s2 * 1000 + ms2 + ms


def _parse_timer(text):
    """timer:(on,968ms,0) -> ("on", 968, 0); None when absent."""
    if not text:
        return None
    parts = text.strip("()").split(",")
    if len(parts) < 2:
        return None
    retrans = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return (parts[0], _parse_ms(parts[1]), retrans)


def _extra_field(tokens, key):
    for t in tokens:
        if t.startswith(key + ":"):
            return t[len(key) + 1:]
    return None


NETIDS = ("tcp", "udp", "raw", "mptcp", "u_str", "u_dgr", "u_seq", "p_raw",
          "p_dgr", "sctp", "tipc", "v_str", "v_dgr", "xdp", "nl")


def parse_ss(text, netid=None):
    """Parse `ss -tuwxaepnOH` output into normalised socket dicts:
    proto, family, state (RFC), rq, sq, local (host, port), peer, uid,
    inode, cookie, users, and for UNIX: unix_type, path, peer_inode.
    ss leaves out the Netid column when one protocol is asked for: pass
    it as @netid then."""
    socks = []
    for line in text.splitlines():
        tok = line.split()
        if tok and tok[0] not in NETIDS and netid:
            tok.insert(0, netid)
        if len(tok) > 2 and tok[1].isdigit():
            # ...and the State column when one state is asked for.
            tok.insert(1, "UNKNOWN")
        if len(tok) < 6:
            continue
        netid, state = tok[0], tok[1]
        d = {"state": SS_STATE.get(state, state), "rq": int(tok[2]),
             "sq": int(tok[3])}
        if netid.startswith("u_"):
            d["proto"] = "unix"
            d["family"] = "unix"
            d["unix_type"] = {"u_str": "stream", "u_dgr": "dgram",
                              "u_seq": "seqpacket"}.get(netid, netid)
            path, ino, ppath, pino = tok[4], tok[5], tok[6], tok[7]
            d["path"] = None if path == "*" else path
            d["inode"] = int(ino)
            d["peer_inode"] = 0 if pino in ("*", "0") else int(pino)
            rest = tok[8:]
            d["uid"] = int(_extra_field(rest, "uid") or 0)
        else:
            d["proto"] = {"tcp": "tcp", "udp": "udp", "raw": "raw",
                          "mptcp": "mptcp", "p_raw": "packet",
                          "p_dgr": "packet"}.get(netid, netid)
            lh, lp = _split_hostport(tok[4])
            ph, pp = _split_hostport(tok[5])
            lh, d["iface"] = split_iface(lh)
            ph, _ = split_iface(ph)
            d["local"] = (lh, lp)
            d["peer"] = (ph, pp)
            rest = tok[6:]
            d["uid"] = int(_extra_field(rest, "uid") or 0)
            ino = _extra_field(rest, "ino")
            d["inode"] = int(ino) if ino is not None else 0
            ck = _extra_field(rest, "sk")
            d["cookie"] = int(ck, 16) if ck is not None else None
            d["timer"] = _parse_timer(_extra_field(rest, "timer"))
        d["users"] = _parse_users(line)
        d["line"] = line
        socks.append(d)
    for d in socks:
        if d["proto"] != "unix":
            # ss prints the IPv4 wildcard as 0.0.0.0, an IPv6 one as [::]
            # (v6only) or "*" (dual-stack, or unknown as for RAW).
            hosts = (d["local"][0], d["peer"][0])
            v6 = any(":" in h or h == "*" for h in hosts)
            d["family"] = "inet6" if v6 else "inet"
    return socks


def ss_snapshot(args="-tuwxMaepnoOH", filt=()):
    p = run(["ss", args] + list(filt))
    letters = set(args.lstrip("-")) & set("tuwxM")
    netid = {"t": "tcp", "u": "udp", "w": "raw", "M": "mptcp"}.get(
        letters.pop()) if len(letters) == 1 else None
    return parse_ss(p.stdout, netid)


# --------------------------------------------------------------- /proc truth

def _hex_addr(h, family):
    """/proc/net hex address -> printable host."""
    raw = bytes.fromhex(h)
    if family == "inet":
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # Four host-order 32-bit words.
    b = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, b)


def parse_proc_inet(text, proto, family):
    out = []
    lines = text.splitlines()
    for n, line in enumerate(lines[1:], 2):
        tok = line.split()
        if len(tok) < 10:
            raise ValueError("line %d: %r" % (n, line))
        lh, lp = tok[1].split(":")
        ph, pp = tok[2].split(":")
        st = int(tok[3], 16)
        tx, rx = tok[4].split(":")
        d = {"proto": proto, "family": family,
             "local": (_hex_addr(lh, family), str(int(lp, 16))),
             "peer": (_hex_addr(ph, family), str(int(pp, 16))),
             "kstate": st, "state": KSTATE.get(st, "UNKNOWN"),
             "rq": int(rx, 16), "sq": int(tx, 16), "uid": int(tok[7]),
             "inode": int(tok[9])}
        tr, when = tok[5].split(":")
        # "when" is in clock ticks (USER_HZ, 100 on Linux).
        kind = PROC_TIMER.get(int(tr, 16), "unknown")
        d["timer"] = None if kind == "off" else \
            (kind, int(when, 16) * 10, int(tok[6], 16))
        out.append(d)
    return out


def parse_proc_unix(text):
    out = []
    for line in text.splitlines()[1:]:
        tok = line.split()
        if len(tok) < 7:
            continue
        typ = int(tok[4], 16)
        st = int(tok[5], 16)
        path = tok[7] if len(tok) > 7 else None
        out.append({"proto": "unix", "family": "unix",
                    "unix_type": {1: "stream", 2: "dgram",
                                  5: "seqpacket"}.get(typ, str(typ)),
                    "ustate": st, "flags": int(tok[3], 16),
                    "inode": int(tok[6]), "path": path})
    return out


def proc_snapshot(root="/proc"):
    socks = []
    for name, proto, fam in (("tcp", "tcp", "inet"), ("tcp6", "tcp", "inet6"),
                             ("udp", "udp", "inet"), ("udp6", "udp", "inet6"),
                             ("raw", "raw", "inet"), ("raw6", "raw", "inet6")):
        try:
            with open(os.path.join(root, "net", name)) as f:
                socks += parse_proc_inet(f.read(), proto, fam)
        except FileNotFoundError:
            pass
    with open(os.path.join(root, "net", "unix")) as f:
        socks += parse_proc_unix(f.read())
    return socks


