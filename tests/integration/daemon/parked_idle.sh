#!/usr/bin/env bash
# mailkey daemon: a client waiting for a refresh (parked) is not "idle": the
# 10 s idle drop is for clients that send nothing. With a token endpoint
# that takes longer than 10 s (here: never answers; a fault no real server
# makes on purpose), the waiter must still be connected and counted as
# waiting after 12 s (it used to be dropped without an answer at 10 s).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
work=$(mktemp -d /tmp/mk-dparked.XXXXXX)
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
dpid= hpid=
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(16)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(600)' "$work/port" &
hpid=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state
printf '[account one]\nprovider = generic\nissuer = http://127.0.0.1:%s\nuser = one@example.test\nclient_id = x\n' "$port" >"$MAILKEY_CONFIG"
printf 'access-one-0123456789\nrefresh-one-0123456789\n' |
	MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$port/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" one 3600
sock=$work/run/socket
"$MK" daemon --socket "$sock" 2>"$work/daemon.log" &
dpid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "the daemon listens" test -S "$sock"
out=$(python3 - "$sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"MK1 token one fresh\n")
time.sleep(12)
s.setblocking(False)
try:
    state = "closed" if s.recv(4096) == b"" else "answered"
except BlockingIOError:
    state = "waiting"
c = socket.socket(socket.AF_UNIX)
c.settimeout(5)
c.connect(sys.argv[1])
c.sendall(b"MK1 status\n")
st = c.recv(65536).decode()
print(state, '"waiting":1' in st)
PY
)
check "after 12 s the waiter is still connected and waiting ($out)" test "$out" = "waiting True"
check "no idle drop in the log" sh -c "! grep -q 'idle for 10 s' '$work/daemon.log'"
echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
