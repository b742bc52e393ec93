#!/usr/bin/env python3
"""Python's imaplib, a real IMAP client, against gw_front_imap (gwimap-serve:
the real gw_lconn and gw_tls, a fake login decision): LOGIN with quoting
and with a literal, AUTHENTICATE PLAIN, wrong password, missing grant,
STARTTLS on a listener that requires TLS, implicit TLS.

usage: imaplib_check.py PATH/TO/gwimap-serve
"""
import base64
import imaplib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

SERVE = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def expect_error(fn, needle, what):
    try:
        fn()
    except imaplib.IMAP4.error as e:
        check(needle in str(e), "%s (%s)" % (what, e))
        return
    check(False, what + ": no error")


def make_certs(d):
    """A CA and a server certificate for IP:127.0.0.1 it signs (EC P-256)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=d, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=gwimap test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "key.pem", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "cert.pem", "-days", "2", "-extfile", "ext")


class Server:
    def __init__(self, *args):
        self.p = subprocess.Popen([SERVE, *args], stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit("gwimap-serve did not start")
        self.port = int(line)

    def close(self):
        self.p.kill()
        self.p.wait()


def main():
    d = tempfile.mkdtemp(prefix="gwimap-")
    servers = []
    try:
        make_certs(d)
        cert, key, ca = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "ca.pem"))
        ctx = ssl.create_default_context(cafile=ca)

        # plaintext on loopback, STARTTLS offered
        s = Server("--cert", cert, "--key", key)
        servers.append(s)
        m = imaplib.IMAP4("127.0.0.1", s.port, timeout=10)
        for c in ("IMAP4REV1", "LITERAL+", "SASL-IR", "ID", "AUTH=PLAIN", "AUTH=LOGIN", "STARTTLS"):
            check(c in m.capabilities, "capability " + c)
        check("LOGINDISABLED" not in m.capabilities, "no LOGINDISABLED on loopback")
        typ, dat = m.noop()
        check(typ == "OK", "NOOP")
        expect_error(lambda: m.login("alice", "wrong"), "AUTHENTICATIONFAILED", "wrong password")
        expect_error(lambda: m.login("alice", "temp"), "UNAVAILABLE", "missing grant: UNAVAILABLE")
        expect_error(lambda: m.login("alice", "temp"), "mailkey login alice", "missing grant names mailkey login")
        typ, dat = m.login("alice", 'p"a\\s w')  # imaplib quotes with \" and \\
        check(typ == "OK", "LOGIN with a quoted password needing escapes")
        typ, dat = m.select("INBOX")  # the fake upstream answers now
        check(typ == "OK", "after login the session goes on (fake upstream)")
        m.logout()

        # LOGIN with a synchronising literal, as imaplib sends one
        m = imaplib.IMAP4("127.0.0.1", s.port, timeout=10)
        m.literal = b"right"
        typ, dat = m._simple_command("LOGIN", "alice")
        check(typ == "OK" and b"FAKEUPSTREAM" in dat[0], "LOGIN alice {5} literal: %r" % dat)
        m.logout()

        # AUTHENTICATE PLAIN (imaplib waits for "+", then sends the response)
        m = imaplib.IMAP4("127.0.0.1", s.port, timeout=10)
        typ, dat = m.authenticate("PLAIN", lambda _: b"\0alice\0right")
        check(typ == "OK", "AUTHENTICATE PLAIN")
        m.logout()

        # AUTHENTICATE LOGIN: two prompts
        m = imaplib.IMAP4("127.0.0.1", s.port, timeout=10)
        answers = iter([b"alice", b"right"])
        prompts = []

        def login_step(challenge):
            prompts.append(challenge)
            return next(answers)
        typ, dat = m.authenticate("LOGIN", login_step)
        check(typ == "OK" and prompts == [b"Username:", b"Password:"], "AUTHENTICATE LOGIN %r" % prompts)
        m.logout()

        # STARTTLS then LOGIN, on a listener that must not take passwords in clear
        s2 = Server("--cert", cert, "--key", key, "--require-tls")
        servers.append(s2)
        m = imaplib.IMAP4("127.0.0.1", s2.port, timeout=10)
        check("LOGINDISABLED" in m.capabilities and "STARTTLS" in m.capabilities,
              "require_tls: STARTTLS LOGINDISABLED")
        check(not any(c.startswith("AUTH=") for c in m.capabilities), "require_tls: no AUTH=")
        expect_error(lambda: m.login("alice", "right"), "PRIVACYREQUIRED", "require_tls: LOGIN before TLS")
        typ, dat = m.starttls(ssl_context=ctx)
        check(typ == "OK", "STARTTLS")
        check("AUTH=PLAIN" in m.capabilities and "LOGINDISABLED" not in m.capabilities
              and "STARTTLS" not in m.capabilities, "after STARTTLS: %s" % (m.capabilities,))
        typ, dat = m.login("alice", "right")
        check(typ == "OK", "LOGIN over STARTTLS")
        m.logout()

        # implicit TLS
        s3 = Server("--cert", cert, "--key", key, "--implicit")
        servers.append(s3)
        m = imaplib.IMAP4_SSL("127.0.0.1", s3.port, ssl_context=ctx, timeout=10)
        check("STARTTLS" not in m.capabilities and "AUTH=PLAIN" in m.capabilities, "imaps capabilities")
        typ, dat = m.authenticate("PLAIN", lambda _: b"\0alice\0right")
        check(typ == "OK", "AUTHENTICATE PLAIN over implicit TLS")
        m.logout()
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(d, ignore_errors=True)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)


main()
