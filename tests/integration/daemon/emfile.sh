#!/usr/bin/env bash
# mailkey daemon out of file descriptors: connections it cannot accept stay
# in the backlog, so the listening socket stays readable. The daemon must
# pause accepting (not spin at 100% CPU writing a log line per epoll_wait)
# and serve again once descriptors are free. No server is needed: no
# account has tokens, so nothing is refreshed.
. "$(dirname "$0")/bare.sh" emfile
printf '[account a]\nprovider = generic\nissuer = http://127.0.0.1:9\nuser = a@example.test\nclient_id = x\n' >"$MAILKEY_CONFIG"
sock=$work/run/socket
# 40 descriptors, hard limit too (the daemon raises its soft limit to the hard one).
prlimit --nofile=40:40 "$MK" daemon --socket "$sock" 2>"$work/daemon.log" &
dpid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "the daemon listens" test -S "$sock"
# 60 idle connections: more than the daemon can hold; held 4 s.
python3 - "$sock" >"$work/hold.out" 2>&1 <<'PY' &
import socket, sys, time
ss = []
for _ in range(60):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    ss.append(s)
print("opened", flush=True)
time.sleep(4)
PY
hpid=$!
for _ in $(seq 1 50); do grep -q opened "$work/hold.out" && break; sleep 0.1; done
check "60 connections are open" grep -q opened "$work/hold.out"
sleep 0.5
t0=$(awk '{print $14 + $15}' "/proc/$dpid/stat")
sleep 2
t1=$(awk '{print $14 + $15}' "/proc/$dpid/stat")
hz=$(getconf CLK_TCK)
check "the daemon used under 20% of a CPU while out of descriptors ($((t1 - t0)) ticks of $((2 * hz)))" \
	test $((t1 - t0)) -lt $((2 * hz / 5))
n=$(grep -c 'accept:' "$work/daemon.log")
check "a few accept warnings, not a flood ($n)" test "$n" -lt 100
check "the warning says what to do" grep -q 'LimitNOFILE' "$work/daemon.log"
wait "$hpid"
got=
for _ in $(seq 1 50); do
	got=$(python3 "$top/tests/integration/daemon/mkd.py" "$sock" 'MK1 ping' 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.1
done
check "once the connections are gone it answers again" sh -c "printf %s '$got' | grep -q '^OK mailkey'"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
finish
