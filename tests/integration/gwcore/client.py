#!/usr/bin/python3
"""One login through the gateway with Python's own clients, then a command
that only the upstream can answer (through the relay).

client.py PROTO MODE PORT USER PASSWORD [CAFILE] [extra...]
  PROTO imap|pop3|smtp, MODE plain|starttls|tls
  imap: SELECT INBOX, prints "OK exists=N" (with "search=SUBJECT" extra: the
        number of messages with that subject; with "hold": NOOP until the
        gateway closes the session, prints "CLOSED ...")
  pop3: STAT, prints "OK count=N"
  smtp: extra FROM TO SUBJECT: sends one message, prints "OK sent"
Exit 0 ok, 2 the login was refused (the server's reply on stdout), 1 other.
"""
import imaplib
import os
import poplib
import smtplib
import ssl
import sys

proto, mode, port, user, password = sys.argv[1:6]
cafile = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
extra = sys.argv[7:]
port = int(port)
host = os.environ.get("GW_HOST", "127.0.0.1")
ctx = None
if mode != "plain":
    ctx = ssl.create_default_context(cafile=cafile)  # verified, host name checked


def refused(text):
    print("REFUSED", text)
    sys.exit(2)


try:
    if proto == "imap":
        if mode == "tls":
            c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=30)
        else:
            c = imaplib.IMAP4(host, port, timeout=30)
            if mode == "starttls":
                c.starttls(ssl_context=ctx)
        try:
            c.login(user, password)
        except imaplib.IMAP4.error as e:
            refused(str(e))
        if extra and extra[0] == "hold":
            # Logged in: NOOP until the gateway closes the session (a
            # revoked app password), at most 30 s.
            print("LOGGED IN", flush=True)
            import time
            t0 = time.monotonic()
            while time.monotonic() - t0 < 30:
                try:
                    c.noop()
                except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error) as e:
                    print("CLOSED after %.1f s: %s" % (time.monotonic() - t0, e), flush=True)
                    sys.exit(0)
                time.sleep(0.1)
            print("STILL OPEN", flush=True)
            sys.exit(1)
        typ, data = c.select("INBOX", readonly=True)
        out = "OK exists=%s" % data[0].decode()
        if extra and extra[0].startswith("search="):
            typ, data = c.search(None, "SUBJECT", '"%s"' % extra[0][7:])
            out += " found=%d" % len(data[0].split())
        c.logout()
        print(out)
    elif proto == "pop3":
        if mode == "tls":
            c = poplib.POP3_SSL(host, port, context=ctx, timeout=30)
        else:
            c = poplib.POP3(host, port, timeout=30)
            if mode == "starttls":
                c.stls(context=ctx)
        try:
            c.user(user)
            c.pass_(password)
        except poplib.error_proto as e:
            refused(e.args[0].decode(errors="replace"))
        n, _ = c.stat()
        c.quit()
        print("OK count=%d" % n)
    elif proto == "smtp":
        if mode == "tls":
            c = smtplib.SMTP_SSL(host, port, context=ctx, timeout=30)
        else:
            c = smtplib.SMTP(host, port, timeout=30)
            c.ehlo()
            if mode == "starttls":
                c.starttls(context=ctx)
                c.ehlo()
        try:
            c.login(user, password)
        except smtplib.SMTPAuthenticationError as e:
            refused("%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace")))
        except smtplib.SMTPException as e:
            refused(str(e))
        frm, to, subject = extra[0], extra[1], extra[2]
        msg = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nthrough the gateway\r\n.dot line\r\n" % (frm, to, subject)
        c.sendmail(frm, [to], msg)
        c.quit()
        print("OK sent")
except (OSError, imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPException) as e:
    print("ERROR", type(e).__name__, e)
    sys.exit(1)
