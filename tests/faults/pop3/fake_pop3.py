#!/usr/bin/env python3
"""A tiny fake POP3 server on 127.0.0.1 for faults a real server won't
produce. Usage: fake_pop3.py MODE PORTFILE CERT KEY. Serves one client.
Every line received is appended to PORTFILE.rec.
Modes: nostls (CAPA without STLS), stlserr (STLS answered -ERR)."""
import socket
import sys

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
rec = open(portfile + ".rec", "ab", buffering=0)


def send(b):
    f.write(b)
    f.flush()


def readline():
    b = f.readline()
    rec.write(b)
    return b


send(b"+OK fake POP3 ready\r\n")
capa = b"+OK\r\nUSER\r\nSASL XOAUTH2 OAUTHBEARER\r\n"
if mode == "stlserr":
    capa += b"STLS\r\n"
while True:
    b = readline()
    if not b:
        break
    verb = b.split(b" ", 1)[0].strip().upper()
    if verb == b"CAPA":
        send(capa + b".\r\n")
    elif verb == b"QUIT":
        send(b"+OK bye\r\n")
        break
    else:
        send(b"-ERR not now\r\n")
conn.close()
