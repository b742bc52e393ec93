#!/usr/bin/env python3
"""Talk to `mailkey daemon` (docs/protocol.md) with the standard library only.

  mkd.py SOCKET 'MK1 token short' ...   one connection, one line per request;
                                        prints each answer line
  mkd.py SOCKET --sockmap 'short key'   one socketmap netstring request;
                                        prints the answer's payload
  mkd.py SOCKET --events N              subscribes, prints N EVENT lines
Exit 0, or 1 when the daemon closed or did not answer within 10 s."""
import socket
import sys


def recv_until(s, done):
    buf = b""
    while not done(buf):
        c = s.recv(65536)
        if not c:
            return None
        buf += c
    return buf


def netstring_done(buf):
    if b":" not in buf:
        return False
    n = buf.split(b":", 1)[0]
    return n.isdigit() and len(buf) >= len(n) + 1 + int(n) + 1


def main():
    path, args = sys.argv[1], sys.argv[2:]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    if args and args[0] == "--sockmap":
        d = args[1].encode()
        s.sendall(str(len(d)).encode() + b":" + d + b",")
        buf = recv_until(s, netstring_done)
        if buf is None:
            return 1
        n = buf.split(b":", 1)[0]
        print(buf[len(n) + 1:len(n) + 1 + int(n)].decode())
        return 0
    if args and args[0] == "--events":
        s.settimeout(120)
        s.sendall(b"MK1 events\n")
        buf = b""
        lines = 0
        want = int(args[1])
        while lines <= want:
            c = s.recv(65536)
            if not c:
                return 1
            buf += c
            while b"\n" in buf and lines <= want:
                line, buf = buf.split(b"\n", 1)
                print(line.decode(), flush=True)
                lines += 1
        return 0
    for req in args:
        s.sendall(req.encode() + b"\n")
        buf = recv_until(s, lambda b: b.endswith(b"\n"))
        if buf is None:
            return 1
        print(buf.decode().rstrip("\n"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, socket.timeout) as e:
        print("mkd.py: %s" % e, file=sys.stderr)
        sys.exit(1)
