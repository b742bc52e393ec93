#!/usr/bin/env python3
"""Occupy a local HTTP listener the way another local user could: N idle TCP
connections plus S slowloris connections (a request line sent, then one
header byte a second, never finished). Every connection the listener closes
is opened again at once, so freed slots are taken back. Writes READY_FILE
once all are connected, and runs until killed.
Usage: hog.py PORT READY_FILE [N [S]]"""
import select
import socket
import sys
import time

port, ready = int(sys.argv[1]), sys.argv[2]
n_idle = int(sys.argv[3]) if len(sys.argv) > 3 else 24
n_slow = int(sys.argv[4]) if len(sys.argv) > 4 else 4
conns = {}  # socket -> "idle" | "slow"


def connect(kind):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    s.setblocking(False)
    if kind == "slow":
        s.send(b"GET /callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
    conns[s] = kind


for _ in range(n_idle):
    connect("idle")
for _ in range(n_slow):
    connect("slow")
with open(ready, "w") as f:
    f.write("%d\n" % len(conns))
last = time.monotonic()
while True:
    r, _, _ = select.select(list(conns), [], [], 0.2)
    for s in r:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:  # closed by the listener: take the slot back
            kind = conns.pop(s)
            s.close()
            connect(kind)
    if time.monotonic() - last >= 1:
        last = time.monotonic()
        for s, kind in list(conns.items()):
            if kind == "slow":
                try:
                    s.send(b"a")
                except OSError:
                    pass
    while len(conns) < n_idle + n_slow:
        before = len(conns)
        connect("idle")
        if len(conns) == before:
            time.sleep(0.1)
            break
