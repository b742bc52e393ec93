#!/usr/bin/env bash
# gateway_kill (heavy): kill -9 of `mailkey gateway` (daemon core in the
# same process) at random moments while clients log in through it (IMAP and
# SMTP, several app passwords, in a loop) and while app passwords are added
# and revoked with the CLI; at least 50 kills must land on a live gateway.
# Afterwards, with a fresh gateway: the app-password file still parses
# (`list --json`), every password that should work logs in (the five made
# before, and the last one added in the churn), the revoked ones do not, and
# the store holds the same token, or a fresher one that the provider says is
# active (a legitimate refresh).
. "$(dirname "$0")/lib.sh"
KILLS=${MK_GW_KILLS:-55}
gw_account alice "$MK_USER1" xoauth2
gw_grant alice "$MK_USER1"
check "alice has a real grant" test $? = 0
gw_section "fail_delay = 0
max_failures = 1000"
start_gateway
check "mailkey gateway listens" test $? = 0
for i in 1 2 3 4 5; do app_pass alice "k$i" || bad "app password k$i"; done
t0=$(stored_token alice)
kill -KILL "$gpid"
wait "$gpid" 2>/dev/null
gpid=
one() { # pwname [port]: OK when IMAP LOGIN with it succeeds
	python3 - "$GW_IMAP" "$work/pw.$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b'a1 LOGIN "alice" "%s"\r\n' % open(sys.argv[2]).read().strip().encode())
    while True:
        l = f.readline()
        if not l or l.startswith(b"a1 "):
            break
    print("OK" if l.startswith(b"a1 OK") else l.decode("latin1").strip()[:100] or "EOF")
except Exception as e:
    print(type(e).__name__)
PY
}

# Clients: IMAP LOGIN + LOGOUT and SMTP AUTH with the five passwords, forever.
python3 - "$GW_IMAP" "$GW_SMTP" "$work" >"$work/clients.log" 2>&1 <<'PY' &
import base64, random, socket, sys, time
imap, smtp, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pws = [open("%s/pw.k%d" % (work, i)).read().strip() for i in range(1, 6)]
ok = tries = 0
while True:
    pw = random.choice(pws)
    tries += 1
    try:
        s = socket.create_connection(("127.0.0.1", imap if tries % 2 else smtp), timeout=5)
        f = s.makefile("rb")
        f.readline()
        if tries % 2:
            s.sendall(b'a1 LOGIN "alice" "%s"\r\na2 LOGOUT\r\n' % pw.encode())
        else:
            s.sendall(b"EHLO k\r\nAUTH PLAIN %s\r\nQUIT\r\n" % base64.b64encode(b"\0alice\0" + pw.encode()))
        r = f.read()
        if b"a1 OK" in r or b"\n235 " in r:
            ok += 1
        s.close()
    except OSError:
        time.sleep(0.02)
    if tries % 50 == 0:
        print(tries, ok, flush=True)
PY
cpid=$!
# Churn: add cN, revoke c(N-1); what each step did is logged.
(
	i=0
	while :; do
		i=$((i + 1))
		if "$MK" app-password add alice "c$i" >"$work/pw.c$i" 2>/dev/null; then echo "added c$i"; fi
		if [ $i -gt 1 ] && "$MK" app-password revoke alice "c$((i - 1))" 2>/dev/null; then echo "revoked c$((i - 1))"; fi
	done
) >"$work/churn.log" 2>&1 &
chpid=$!
landed=0 starts=0
GW_PORTS=$GW_IMAP
while [ "$landed" -lt "$KILLS" ] && [ "$starts" -lt $((KILLS * 2)) ]; do
	starts=$((starts + 1))
	"$MK" gateway --socket "$SOCK" 2>>"$GLOG" &
	gpid=$!
	# Half the kills during start-up (any moment), half once it serves.
	if [ $((starts % 2)) = 0 ]; then wait_until 100 gw_listening; fi
	sleep "$(python3 -c 'import random; print(random.uniform(0.0, 0.4))')"
	if kill -0 "$gpid" 2>/dev/null && kill -KILL "$gpid" 2>/dev/null; then landed=$((landed + 1)); fi
	wait "$gpid" 2>/dev/null
	gpid=
done
kill "$chpid" "$cpid" 2>/dev/null
wait "$chpid" "$cpid" 2>/dev/null
unset GW_PORTS
check "$landed kill -9 landed on a live gateway (of $starts starts; want $KILLS)" test "$landed" -ge "$KILLS"
check "the clients kept trying meanwhile ($(tail -1 "$work/clients.log") tries and logins)" test -s "$work/clients.log"
adds=$(grep -c '^added' "$work/churn.log")
check "app passwords were added and revoked meanwhile ($adds added, $(grep -c '^revoked' "$work/churn.log") revoked)" test "$adds" -ge 5

start_gateway
check "a fresh gateway starts after the kills" test $? = 0
"$MK" app-password list alice --json >"$work/list.json" 2>"$work/list.err"
check "app-password list --json still parses ($(head -c 200 "$work/list.err"))" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/list.json"
for i in 1 2 3 4 5; do
	out=$(one "k$i")
	check "k$i still logs in ($out)" test "$out" = OK
done
last=$(grep '^added' "$work/churn.log" | tail -1 | cut -d' ' -f2)
if grep -qx "revoked $last" "$work/churn.log"; then bad "the churn's last password $last was revoked too"; fi
out=$(one "$last")
check "the last password added in the churn ($last) logs in ($out)" test "$out" = OK
rv=$(grep '^revoked' "$work/churn.log" | tail -1 | cut -d' ' -f2)
out=$(one "$rv")
check "a revoked one ($rv) does not ($out)" sh -c 'case "$1" in "a1 NO [AUTHENTICATIONFAILED]"*) exit 0 ;; esac; exit 1' _ "$out"
t1=$(stored_token alice)
same_or_fresh() { [ -n "$t1" ] && { [ "$t1" = "$t0" ] || [ "$(active "$t1")" = True ]; }; }
check "the store's token is the same, or a fresher active one ($([ "$t1" = "$t0" ] && echo same || echo refreshed))" same_or_fresh
finish
