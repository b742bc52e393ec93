#!/usr/bin/env bash
# mailkey daemon: a connection may carry any number of requests
# (docs/protocol.md). A client that pipelines more than the 4 KiB input
# buffer gets every answer, in order; a client that never reads is dropped
# for its 64 KiB of unread answers (not for a "request too long"), and
# other clients are served meanwhile. No server is needed (ping only).
. "$(dirname "$0")/bare.sh" pipe
printf '[account a]\nprovider = generic\nissuer = http://127.0.0.1:9\nuser = a@example.test\nclient_id = x\n' >"$MAILKEY_CONFIG"
sock=$work/run/socket
"$MK" daemon --socket "$sock" 2>"$work/daemon.log" &
dpid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "the daemon listens" test -S "$sock"
n=$(python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"MK1 ping\n" * 1000)  # 9000 bytes in one write
buf = b""
try:
    while buf.count(b"\n") < 1000:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except socket.timeout:
    pass
print(sum(1 for l in buf.split(b"\n") if l.startswith(b"OK mailkey ")))
PY
)
check "1000 pipelined pings (9000 bytes at once): 1000 answers (got $n)" test "$n" = 1000
out=$(python3 - "$sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.setblocking(False)
sent, why, t = 0, "still connected after 10 s", time.time()
while time.time() - t < 10:
    try:
        s.send(b"MK1 ping\n")
        sent += 1
    except BlockingIOError:
        time.sleep(0.005)
    except (BrokenPipeError, ConnectionResetError):
        why = "dropped"
        break
c = socket.socket(socket.AF_UNIX)
c.settimeout(5)
c.connect(sys.argv[1])
c.sendall(b"MK1 ping\n")
print(why, c.recv(100).decode().strip())
PY
)
check "a client that never reads is dropped ($out)" sh -c "printf %s '$out' | grep -q '^dropped OK mailkey'"
check "for its unread answers" grep -q "more than 64 KiB of unread answers" "$work/daemon.log"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
finish
