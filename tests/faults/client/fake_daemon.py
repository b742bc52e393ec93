#!/usr/bin/env python3
"""A stand-in for `mailkey daemon` on its Unix socket (docs/protocol.md), for
the faults a real daemon does not produce on demand: a refresh failing with
75 or 77 while the provider is fine, a garbage answer.

    fake_daemon.py SOCKET ANSWERS LOG

Each connection: read one request line, append it to LOG, answer with the
line of the file ANSWERS whose first word is the request's verb ("token ...",
"sasl ...") with that word removed, or with the file's "* ..." line; the
answer is read at each request, so the test changes it between runs."""
import os
import socket
import sys

path, answers, log = sys.argv[1:4]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o600)
srv.listen(16)
with open(path + ".ready", "w") as f:
    f.write("ready\n")
while True:
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(10)
        data = b""
        try:
            while not data.endswith(b"\n") and len(data) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            continue
        line = data.decode("utf-8", "replace").rstrip("\r\n")
        with open(log, "a") as f:
            f.write(line + "\n")
        words = line.split(" ")
        verb = words[1] if len(words) > 1 else ""
        reply = None
        with open(answers) as f:
            for a in f.read().splitlines():
                key, _, rest = a.partition(" ")
                if key == verb or (key == "*" and reply is None):
                    reply = rest
                    if key == verb:
                        break
        if reply is None:
            reply = "ERR 70 the fake daemon has no answer"
        try:
            conn.sendall(reply.encode().decode("unicode_escape").encode("latin-1") + b"\n")
        except OSError:
            pass
