#!/usr/bin/env python3
"""A tiny fake IMAP server on 127.0.0.1 for faults a real server won't
produce. Usage: fake_imap.py MODE PORTFILE CERT KEY. Serves one client.
Every line received is appended to PORTFILE.rec.
Modes: garbage bye inject longline hang hugeliteral byefetch nostarttls
starttlsno nosaslir."""
import socket
import ssl
import sys
import time

mode, portfile, cert, key = sys.argv[1:5]
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


def readline():
    b = f.readline()
    rec.write(b)
    return b


def tag_of(line):
    return line.split(b" ", 1)[0]


def tls_up():
    global f
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    f = tls.makefile("rwb")


CAPS = b"* OK [CAPABILITY IMAP4rev1 STARTTLS SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] fake ready\r\n"
if mode == "garbage":
    send(b"HELLO I AM NOT IMAP\r\n")
elif mode == "bye":
    send(b"* BYE too many connections, try later\r\n")
elif mode == "longline":
    send(b"* OK " + b"x" * 100000 + b"\r\n")
elif mode == "hang":
    send(CAPS)
    time.sleep(20)
elif mode == "inject":
    send(CAPS)
    t = tag_of(readline())  # STARTTLS
    send(t + b" OK Begin TLS negotiation now.\r\n* OK injected\r\n")
    time.sleep(2)
elif mode in ("nostarttls", "starttlsno"):
    # STARTTLS stripped from the capabilities, or refused when asked.
    if mode == "nostarttls":
        send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] fake ready\r\n")
    else:
        send(CAPS)
    while True:
        b = readline()
        if not b:
            break
        send(tag_of(b) + b" NO [UNAVAILABLE] not now\r\n")
elif mode == "nosaslir":
    # No SASL-IR: the response goes after "+ ", a line of its own.
    send(b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=XOAUTH2] fake ready\r\n")
    t = tag_of(readline())
    send(t + b" OK Begin TLS\r\n")
    tls_up()
    t = tag_of(readline())  # CAPABILITY
    send(b"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n" + t + b" OK done\r\n")
    t = tag_of(readline())  # AUTHENTICATE XOAUTH2
    send(b"+ \r\n")
    readline()  # the response
    send(t + b" OK Logged in\r\n")
    while True:
        b = readline()
        if not b:
            break
        if b" LOGOUT" in b.upper():
            send(b"* BYE bye\r\n" + tag_of(b) + b" OK done\r\n")
            break
        send(tag_of(b) + b" OK done\r\n")
elif mode in ("hugeliteral", "byefetch"):
    send(CAPS)
    t = tag_of(readline())
    send(t + b" OK Begin TLS\r\n")
    tls_up()
    t = tag_of(readline())  # CAPABILITY
    send(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2\r\n" + t + b" OK done\r\n")
    t = tag_of(readline())  # AUTHENTICATE
    send(t + b" OK Logged in\r\n")
    t = tag_of(readline())  # EXAMINE
    send(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n" + t + b" OK [READ-ONLY] done\r\n")
    t = tag_of(readline())  # UID SEARCH
    send(b"* SEARCH 5\r\n" + t + b" OK done\r\n")
    t = tag_of(readline())  # UID FETCH
    if mode == "hugeliteral":
        send(b"* 1 FETCH (UID 5 BODY[] {99999999999}\r\n")
    else:
        send(b"* BYE Session expired, please login again.\r\n")
    time.sleep(1)
conn.close()
