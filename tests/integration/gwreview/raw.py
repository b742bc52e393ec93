#!/usr/bin/python3
"""Raw-socket probes of the gateway for the gwreview tests.

raw.py PORT [--tls CAFILE] [--timeout S] STEP...
Each STEP: "s:TEXT" sends TEXT (Python escapes: \\r \\n \\x00), "r" reads
one line and prints it, "R" reads until the peer closes (or the timeout) and
prints what came, "w:S" sleeps S seconds, "starttls" upgrades verified
against CAFILE. Lines printed as repr() without the quotes' b prefix.
Exit 0; 3 when the peer closed before an "r" got a line.
"""
import socket
import ssl
import sys
import time

args = sys.argv[1:]
port = int(args.pop(0))
cafile = None
timeout = 10.0
while args and args[0].startswith("--"):
    o = args.pop(0)
    if o == "--tls":
        cafile = args.pop(0)
    elif o == "--timeout":
        timeout = float(args.pop(0))
s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
ctx = ssl.create_default_context(cafile=cafile) if cafile else None
tls_now = cafile is not None and not (args and args[0] == "plain")
if args and args[0] == "plain":
    args.pop(0)
if tls_now:
    s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
f = s.makefile("rb")


def show(b):
    print(repr(b)[2:-1])
    sys.stdout.flush()


for st in args:
    if st.startswith("s:"):
        s.sendall(st[2:].encode("latin-1").decode("unicode_escape").encode("latin-1"))
    elif st == "r":
        try:
            line = f.readline()
        except (socket.timeout, OSError) as e:
            print("TIMEOUT" if isinstance(e, socket.timeout) else "ERROR %s" % e)
            sys.exit(3)
        if not line:
            print("CLOSED")
            sys.exit(3)
        show(line.rstrip(b"\r\n"))
    elif st == "R":
        try:
            while True:
                line = f.readline()
                if not line:
                    print("CLOSED")
                    break
                show(line.rstrip(b"\r\n"))
        except socket.timeout:
            print("TIMEOUT")
        except OSError as e:
            print("ERROR %s" % e)
    elif st.startswith("w:"):
        time.sleep(float(st[2:]))
    elif st == "starttls":
        f.close()
        s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        f = s.makefile("rb")
