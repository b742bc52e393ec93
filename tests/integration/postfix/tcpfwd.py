#!/usr/bin/env python3
"""tcpfwd.py LISTEN_PORT TARGET_PORT: forward 127.0.0.1:LISTEN_PORT to
127.0.0.1:TARGET_PORT, byte for byte, one thread pair per connection.

The postfix relay test points the grant's token endpoint through it, so that
"the token endpoint is down" can be made by killing it: connections are then
refused at once, and no request half sent is answered later (a SIGSTOPped
provider would still process a refresh whose caller gave up, rotating a
refresh token nobody receives). The provider itself stays up, for Dovecot's
introspection. Prints "listening" once bound."""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    lport, tport = int(sys.argv[1]), int(sys.argv[2])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(64)
    print("listening", flush=True)
    while True:
        c, _ = ls.accept()
        try:
            u = socket.create_connection(("127.0.0.1", tport), timeout=5)
            u.settimeout(None)
        except OSError:
            c.close()
            continue
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()


main()
