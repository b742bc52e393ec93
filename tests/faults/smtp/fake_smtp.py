#!/usr/bin/env python3
"""A tiny fake SMTP server on 127.0.0.1 for faults a real server won't
produce. Usage: fake_smtp.py MODE PORTFILE [CERT KEY]. Serves one client, then
exits. Every line received is appended to PORTFILE.rec (so a test can check,
say, that no AUTH was ever sent). Modes: greet4xx greet5xx garbage hang
dropdata inject longline nostarttls starttls454."""
import socket
import ssl
import sys
import time

mode, portfile = sys.argv[1], sys.argv[2]
cert = sys.argv[3] if len(sys.argv) > 3 else None
key = sys.argv[4] if len(sys.argv) > 4 else None
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(portfile, "w") as f:
    f.write(str(srv.getsockname()[1]))
srv.settimeout(30)
conn, _ = srv.accept()
f = conn.makefile("rwb")


def send(b):
    f.write(b)
    f.flush()


rec = open(portfile + ".rec", "ab", buffering=0)


def line():
    b = f.readline()
    rec.write(b)
    return b


EHLO = (b"250-fake.example\r\n250-STARTTLS\r\n250-AUTH XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n")
if mode == "greet4xx":
    send(b"421 4.3.2 too busy, try later\r\n")
elif mode == "greet5xx":
    send(b"554 5.7.1 go away\r\n")
elif mode == "garbage":
    send(b"HELLO THERE I AM NOT SMTP\r\n")
elif mode == "longline":
    send(b"220 " + b"x" * 100000 + b"\r\n")
elif mode == "hang":
    send(b"220 fake ESMTP\r\n")
    time.sleep(20)
elif mode == "nostarttls":
    # A server (or a man in the middle) that strips STARTTLS from EHLO.
    send(b"220 fake ESMTP\r\n")
    line()
    send(b"250-fake.example\r\n250-AUTH XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n")
    while line():  # whatever comes next is recorded; answer nothing useful
        send(b"502 5.5.1 no\r\n")
elif mode == "starttls454":
    send(b"220 fake ESMTP\r\n")
    line()
    send(EHLO)
    line()  # STARTTLS
    send(b"454 4.7.0 TLS not available due to temporary reason\r\n")
    while line():
        send(b"502 5.5.1 no\r\n")
elif mode in ("inject", "dropdata"):
    send(b"220 fake ESMTP\r\n")
    line()
    send(EHLO)
    line()  # STARTTLS
    if mode == "inject":
        # The go-ahead and, in the same packet, a reply the client must not
        # treat as coming over TLS.
        send(b"220 2.0.0 go ahead\r\n250-injected\r\n")
        time.sleep(2)
    else:
        send(b"220 2.0.0 go ahead\r\n")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls = ctx.wrap_socket(conn, server_side=True)
        f = tls.makefile("rwb")
        line()
        send(EHLO)
        line()  # AUTH ...
        send(b"235 2.7.0 ok\r\n")
        line()
        send(b"250 ok\r\n")  # MAIL
        line()
        send(b"250 ok\r\n")  # RCPT
        line()
        send(b"354 go\r\n")  # DATA
        f.read(10)  # some of the message, then the link drops
        tls.close()
conn.close()
