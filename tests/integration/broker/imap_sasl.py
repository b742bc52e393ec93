#!/usr/bin/env python3
"""Log in to IMAPS with a ready SASL string read from stdin (what
`mailkey sasl` prints): AUTHENTICATE MECH <string>. Prints the tagged reply,
exits 0 only on OK. Usage: imap_sasl.py PORT CAFILE MECH [SOURCE_ADDRESS]"""
import socket
import ssl
import sys

port, cafile, mech = int(sys.argv[1]), sys.argv[2], sys.argv[3]
src = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
ctx = ssl.create_default_context(cafile=cafile)
raw = socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(src, 0))
with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
    f = s.makefile("rwb")
    f.readline()  # greeting
    f.write(b"a1 AUTHENTICATE " + mech.encode() + b" " + sys.stdin.readline().strip().encode() + b"\r\n")
    f.flush()
    while True:
        line = f.readline()
        if line.startswith(b"+"):  # error challenge: answer, then read the final reply
            f.write(b"\r\n" if mech == "XOAUTH2" else b"AQ==\r\n")
            f.flush()
            continue
        if line.startswith(b"a1 "):
            print(line.decode().strip())
            sys.exit(0 if line.startswith(b"a1 OK") else 1)
        if not line:
            sys.exit(2)
