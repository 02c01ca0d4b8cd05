#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tulpen serve with a web config file: TLS and basic auth (issue 12).

usage: test_serve_tls.py [TULPEN]   (default $TULPEN)

In a private network namespace: a self-signed certificate made now with
openssl, a web config in the exporter toolkit's format (relative file
names, a bcrypt hash made now with crypt(3)); over HTTPS the right password
gets 200, a wrong one, an unknown user and no credentials 401 with a
WWW-Authenticate challenge; plain HTTP to the TLS port gets no HTTP answer.
Basic auth without TLS works too. Bad web configs are refused with a
message naming what is wrong; listening beyond loopback without TLS or
auth warns. Needs root (exit 77 without).
"""
import base64
import http.client
import os
import ssl
import subprocess
import tempfile
import warnings

import test_serve_common as c

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

USER, PASSWORD = "prometheus", "s3cret:with colon"


def auth(user, password):
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + tok}


def make_cert(d):
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", os.path.join(d, "server.key"),
         "-out", os.path.join(d, "server.crt"), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, text=True)
    if r.returncode:
        raise c.Fail("openssl: " + r.stderr)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def check_https(tulpen, d, cfg):
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port,
                           "--web-config", cfg], port)
    try:
        c.check("https://127.0.0.1:%d/metrics" % port in srv.stderr(),
                "says it serves https")
        ctx = ssl.create_default_context(cafile=os.path.join(d, "server.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=20)
        st, _, body = c.get(conn, "/metrics", auth(USER, PASSWORD))
        c.check(st == 200 and "tulpen_tcp_sockets{" in body,
                "TLS, right password: 200 with metrics")
        st, _, _ = c.get(conn, "/metrics", auth(USER, PASSWORD))
        c.check(st == 200, "TLS, right password again (remembered): 200")
        st, _, _ = c.get(conn, "/metrics", auth("other", "x"))
        c.check(st == 200, "TLS, a $2y$ hash (htpasswd's): 200")
        for what, hdr in (("wrong password", auth(USER, "nope")),
                          ("unknown user", auth("mallory", PASSWORD)),
                          ("no credentials", {})):
            conn.request("GET", "/metrics", headers=hdr)
            r = conn.getresponse()
            r.read()
            c.check(r.status == 401 and
                    "Basic" in (r.getheader("WWW-Authenticate") or ""),
                    "TLS, %s: 401 with a challenge (%d)" % (what, r.status))
        conn.close()
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            plain.request("GET", "/metrics", headers=auth(USER, PASSWORD))
            r = plain.getresponse()
            answer = r.status
        except (OSError, http.client.HTTPException) as e:
            answer = type(e).__name__
        plain.close()
        c.check(not isinstance(answer, int),
                "plain HTTP to the TLS port refused (%s)" % answer)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=20)
        st, _, _ = c.get(conn, "/healthz", auth(USER, PASSWORD))
        c.check(st == 200, "still serves TLS after the plain request")
        conn.close()
    finally:
        rc = srv.stop()
    c.check(rc == 0, "SIGTERM: exit 0")


def check_auth_only(tulpen, d, hashed):
    cfg = os.path.join(d, "auth.yml")
    write(cfg, "basic_auth_users:\n  %s: '%s'\n" % (USER, hashed))
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port,
                           "--web-config", cfg], port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        st, _, _ = c.get(conn, "/metrics", auth(USER, PASSWORD))
        c.check(st == 200, "plain HTTP with basic auth: right password 200")
        st, _, _ = c.get(conn, "/", auth(USER, PASSWORD + "x"))
        c.check(st == 401, "plain HTTP with basic auth: wrong password 401")
        conn.close()
    finally:
        srv.stop()


def check_bad_configs(tulpen, d, hashed):
    cases = [
        ("unknown key", "http_server_config:\n  http2: true\n",
         "http_server_config: not supported"),
        ("client certificates", "tls_server_config:\n  cert_file: a\n"
         "  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
         "tls_server_config.client_auth_type: not supported"),
        ("not bcrypt", "basic_auth_users:\n  u: plaintext\n",
         "basic_auth_users.u: not a bcrypt hash"),
        ("not YAML", "tls_server_config: [\n", "line "),
        ("missing key file", "tls_server_config:\n  cert_file: server.crt\n",
         "needs both cert_file and key_file"),
        ("missing certificate", "tls_server_config:\n  cert_file: nope.crt\n"
         "  key_file: server.key\n", "nope.crt: No such file"),
    ]
    for what, text, msg in cases:
        cfg = os.path.join(d, "bad.yml")
        write(cfg, text)
        r = subprocess.run([tulpen, "serve", "--listen", "127.0.0.1:0",
                            "--web-config", cfg], capture_output=True,
                           text=True, timeout=20)
        c.check(r.returncode == 1 and msg in r.stderr and
                r.stderr.startswith("tulpen serve: --web-config"),
                "bad web config, %s: exit 1, '%s' (%d: %s)"
                % (what, msg, r.returncode, r.stderr.strip()))


def check_warning(tulpen):
    port = c.free_port()
    srv = c.Serve(tulpen, ["--listen", "0.0.0.0:%d" % port], port)
    try:
        c.check("warning: listening on 0.0.0.0:%d without TLS or basic auth"
                % port in srv.stderr(), "0.0.0.0 without TLS or auth warns")
    finally:
        srv.stop()
    srv = c.Serve(tulpen, ["--listen", "127.0.0.1:%d" % port], port)
    try:
        c.check("warning" not in srv.stderr(), "loopback: no warning")
    finally:
        srv.stop()


def body(tulpen):
    c.enter_netns(("ss", "ip", "openssl"))
    with tempfile.TemporaryDirectory(prefix="tulpen-tls-") as d:
        make_cert(d)
        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH,
                                                    rounds=1 << 6))
        c.check(hashed.startswith("$2b$"), "a bcrypt hash: " + hashed[:7])
        cfg = os.path.join(d, "web.yml")
        write(cfg, "# the exporter toolkit's format\n"
              "tls_server_config:\n  cert_file: server.crt\n"
              "  key_file: server.key\n"
              "basic_auth_users:\n  %s: %s\n  other: %s\n"
              % (USER, hashed, "$2y$" + crypt.crypt("x", hashed[:29])[4:]))
        check_https(tulpen, d, cfg)
        check_auth_only(tulpen, d, hashed)
        check_bad_configs(tulpen, d, hashed)
        check_warning(tulpen)


if __name__ == "__main__":
    c.main(body)
