#!/usr/bin/env bash
# mailkey daemon: the socket's directory is tightened (0700) only when it is
# the socket's own: one the daemon made, or one holding nothing else. A
# --socket in a directory with other files ($HOME, a work directory) leaves
# that directory's mode alone; the socket itself is still 0600 and answers.
# No server is needed (ping only).
. "$(dirname "$0")/bare.sh" sockdir
printf '[account a]\nprovider = generic\nissuer = http://127.0.0.1:9\nuser = a@example.test\nclient_id = x\n' >"$MAILKEY_CONFIG"
ping() { python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"MK1 ping\n")
print(s.recv(200).decode().split(" ")[0])
PY
}
# run DIR: start a daemon on DIR/socket, wait for it, leave $dpid.
run() {
	"$MK" daemon --socket "$1/socket" 2>>"$work/daemon.log" &
	dpid=$!
	for _ in $(seq 1 100); do [ -S "$1/socket" ] && break; sleep 0.1; done
}
stop() { kill "$dpid" && wait "$dpid"; dpid=; }

# 1. A shared directory: another file in it, mode 0755.
mkdir -m 0755 "$work/shared" && echo keep >"$work/shared/notes.txt"
run "$work/shared"
check "the daemon answers on a socket in a shared directory" test "$(ping "$work/shared/socket")" = OK
check "the socket is 0600" test "$(stat -c %a "$work/shared/socket")" = 600
check "the shared directory keeps its mode 0755 ($(stat -c %a "$work/shared"))" \
	test "$(stat -c %a "$work/shared")" = 755
stop
# 2. A directory of its own, made beforehand with a loose mode (as a
# RuntimeDirectory may be): tightened.
mkdir -m 0755 "$work/own"
run "$work/own"
check "the daemon answers in a directory of its own" test "$(ping "$work/own/socket")" = OK
check "that directory is tightened to 0700 ($(stat -c %a "$work/own"))" test "$(stat -c %a "$work/own")" = 700
stop
# 3. A directory the daemon makes.
run "$work/new/sub"
check "a directory the daemon makes is 0700 ($(stat -c %a "$work/new/sub" 2>/dev/null))" \
	test "$(stat -c %a "$work/new/sub")" = 700
stop
# 4. A directory everyone may write, without the sticky bit: refused (78).
mkdir -m 0777 "$work/open" && chmod 0777 "$work/open"
"$MK" daemon --socket "$work/open/socket" 2>"$work/open.err"
rc=$?
check "a world-writable, non-sticky directory is refused with 78 ($rc)" test "$rc" = 78
check "saying why" grep -q "writable by everyone" "$work/open.err"
finish
