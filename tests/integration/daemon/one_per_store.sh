#!/usr/bin/env bash
# mailkey daemon: one daemon per store. A second daemon on the same state
# directory, even with a socket of its own, would refresh the same grants a
# second time (with rotation and reuse detection that revokes them): it is
# refused with 75 and a message naming the first one's socket, and the
# first keeps serving. Another store gets a daemon of its own. The lock
# dies with its daemon, kill -9 included. No server is needed (ping only).
. "$(dirname "$0")/bare.sh" onestore
printf '[account a]\nprovider = generic\nissuer = http://127.0.0.1:9\nuser = a@example.test\nclient_id = x\n' >"$MAILKEY_CONFIG"
ping() { python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    s.sendall(b"MK1 ping\n")
    print(s.recv(200).decode().split(" ")[0])
except OSError:
    print("none")
PY
}
wait_sock() { for _ in $(seq 1 100); do [ "$(ping "$1")" = OK ] && return 0; sleep 0.1; done; return 1; }

"$MK" daemon --socket "$work/s1" 2>>"$work/d1.log" &
dpid=$!
check "the first daemon answers" wait_sock "$work/s1"
"$MK" daemon --socket "$work/s2" 2>"$work/d2.err"
rc=$?
check "a second daemon on the same store exits 75 ($rc)" test "$rc" = 75
check "and says which socket serves the store ($(head -c 300 "$work/d2.err"))" grep -q "already serves the store.*$work/s1" "$work/d2.err"
check "it left no socket behind" test ! -e "$work/s2"
check "the first daemon still answers" test "$(ping "$work/s1")" = OK

MAILKEY_STATE_DIR=$work/state2 "$MK" daemon --socket "$work/s3" 2>>"$work/d3.log" &
pids=$!
check "a daemon of another store starts beside it" wait_sock "$work/s3"
kill "$pids" && wait "$pids"
pids=

kill -9 "$dpid" && wait "$dpid" 2>/dev/null
dpid=
"$MK" daemon --socket "$work/s2" 2>>"$work/d4.log" &
dpid=$!
check "after kill -9 of the first, a new daemon takes the store" wait_sock "$work/s2"
finish
