#!/usr/bin/python3
# A raw client of the daemon's socket (docs/protocol.md) for the tests:
#   ask.py SOCKET LINE...        send each line ("MK1 token a"), print each
#                                answer line; exit 0 when all were answered
#   ask.py --raw SOCKET HEX      send these bytes, print what comes back
#                                until the daemon closes (exit 0) or the
#                                timeout (exit 3)
#   ask.py --stall SOCKET BYTES  send BYTES (no '\n') and wait: exit 0 with
#                                the seconds until the daemon closed, 3 if
#                                it did not within the timeout
# Exit 2 when the daemon closed the connection without an answer, 4 when
# connecting failed (the errno name on stderr), 3 on timeout.
# --timeout S (first option) bounds every wait (default 10 s). Runs under
# /usr/bin/python3 so that it also runs as nobody.
import errno, os, socket, sys, time

args = sys.argv[1:]
timeout = 10.0
if args[:1] == ["--timeout"]:
    timeout = float(args[1])
    args = args[2:]
mode = "lines"
if args and args[0] in ("--raw", "--stall"):
    mode, args = args[0][2:], args[1:]
if len(args) < 2:
    sys.exit("usage: ask.py [--timeout S] [--raw|--stall] SOCKET ...")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(timeout)
try:
    s.connect(args[0])
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)), file=sys.stderr)
    sys.exit(4)


def read_all():
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not b:
            return data, True
        data += b




def send(data):
    """A daemon that closes at once (a refused peer) may beat our write."""
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


if mode == "raw":
    send(bytes.fromhex(args[1]))
    data, closed = read_all()
    sys.stdout.write(data.decode("utf-8", "replace"))
    sys.exit(0 if closed else 3)
if mode == "stall":
    t0 = time.monotonic()
    send(args[1].encode())
    data, closed = read_all()
    if data:
        sys.stdout.write(data.decode("utf-8", "replace"))
    print("%.2f" % (time.monotonic() - t0))
    sys.exit(0 if closed else 3)
f = s.makefile("rb")
for line in args[1:]:
    if not send(line.encode() + b"\n"):
        sys.exit(2)
    try:
        ans = f.readline()
    except socket.timeout:
        sys.exit(3)
    except ConnectionResetError:
        sys.exit(2)
    if not ans:
        sys.exit(2)
    sys.stdout.write(ans.decode("utf-8", "replace"))
    sys.stdout.flush()
