# Raw client sessions for the gateway's fault tests, each printing one line
# that the shell script checks:
#   raw.py garbage PROTO PORT        100 lines of random bytes, then EOF?
#   raw.py longline PROTO PORT       100 KB without a line end
#   raw.py literal PORT              IMAP LOGIN {102400}: no "+" may come
#   raw.py silent PROTO PORT         send nothing: seconds until closed
#   raw.py hold PROTO PORT USER PWFILE  log in, then NOOP every 0.1 s until
#                                    the gateway closes; seconds after "go"
#                                    (a line on stdin) until then
import os, socket, sys, time, base64

GREET = {"imap": b"* OK", "pop3": b"+OK", "smtp": b"220"}


def conn(proto, port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
    f = s.makefile("rb")
    g = f.readline()
    assert g.startswith(GREET[proto]), g
    return s, f


def until_closed(s, f, limit=30):
    """Read until EOF (or reset); return (seconds, what was read)."""
    t0 = time.monotonic()
    s.settimeout(limit)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return None, got
    return time.monotonic() - t0, got


mode = sys.argv[1]
if mode == "garbage":
    proto, port = sys.argv[2:4]
    s, f = conn(proto, port)
    sent = 0
    try:
        for i in range(100):
            s.sendall(os.urandom(200).replace(b"\n", b"") + b"\r\n")
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    t, got = until_closed(s, f, 20)
    print("closed" if t is not None else "open", sent, got.count(b"\n"))
elif mode == "longline":
    proto, port = sys.argv[2:4]
    s, f = conn(proto, port)
    try:
        s.sendall(b"a" * 102400)
    except (BrokenPipeError, ConnectionResetError):
        pass
    t, got = until_closed(s, f, 20)
    print("closed" if t is not None else "open", repr(got[:80].decode("latin1")))
elif mode == "literal":
    port = sys.argv[2]
    s, f = conn("imap", port)
    s.sendall(b"a1 LOGIN {102400}\r\n")
    s.settimeout(10)
    l = f.readline()
    print("plus" if l.startswith(b"+") else "refused", repr(l[:80].decode("latin1")))
elif mode == "silent":
    proto, port = sys.argv[2:4]
    s, f = conn(proto, port)
    t, got = until_closed(s, f, 60)
    print("%.1f" % t if t is not None else "open", repr(got[:80].decode("latin1")))
elif mode == "hold":
    proto, port, user, pwfile = sys.argv[2:6]
    pw = open(pwfile).read().strip()
    s, f = conn(proto, port)
    if proto == "imap":
        s.sendall(b'a1 LOGIN "%s" "%s"\r\n' % (user.encode(), pw.encode()))
        while True:
            l = f.readline()
            if not l or l.startswith(b"a1 "):
                break
        ok = l.startswith(b"a1 OK")
        noop = b"n NOOP\r\n"
    elif proto == "pop3":
        s.sendall(b"USER %s\r\n" % user.encode())
        f.readline()
        s.sendall(b"PASS %s\r\n" % pw.encode())
        l = f.readline()
        ok = l.startswith(b"+OK")
        noop = b"NOOP\r\n"
    else:
        s.sendall(b"EHLO x\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        s.sendall(b"AUTH PLAIN %s\r\n" % base64.b64encode(b"\0%s\0%s" % (user.encode(), pw.encode())))
        l = f.readline()
        ok = l.startswith(b"235")
        noop = b"NOOP\r\n"
    if not ok:
        print("nologin", repr(l[:100].decode("latin1")))
        sys.exit(0)
    print("in", flush=True)
    sys.stdin.readline()
    t0 = time.monotonic()
    s.settimeout(1)
    while time.monotonic() - t0 < 30:
        try:
            s.sendall(noop)
            l = f.readline()
            if not l:
                break
        except (OSError, socket.timeout):
            break
        time.sleep(0.1)
    else:
        print("open")
        sys.exit(0)
    print("%.2f" % (time.monotonic() - t0))
