#!/usr/bin/env bash
# gwreview_revoke_during_login: a revoke closes the sessions of that
# password, but only those already marked logged in. A revoke that lands
# while a login with that password is between the password check and the
# end of the upstream login (a token wait, a slow server: seconds with a
# refresh) is missed, and the session then runs on with a revoked password
# until the client leaves. Made deterministic here: the gateway asks a
# separate `mailkey daemon` for tokens, and that daemon is stopped
# (SIGSTOP) while the password is revoked.
. "$(dirname "$0")/lib.sh"
cp "$MAILKEY_CONFIG" "$work/config.daemon" # the daemon: accounts only
gw_config
MAILKEY_CONFIG=$work/config.daemon start_daemon
check "the daemon answers" test $? = 0
gw_start
check "the gateway listens (asking the daemon for tokens)" test $? = 0
grep -q "tokens from the daemon" "$GLOG"
check "the gateway runs beside the daemon" test $? = 0
P=$(pw alice doomed)
# The client: logs in, then a NOOP every 0.5 s for 8 s; prints LOGGED-IN,
# then how long the session lasted after login.
/usr/bin/python3 - "$P_IMAP" "$P" >"$work/client.out" 2>&1 <<'PY' &
import imaplib, sys, time
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=30)
try:
    c.login("alice", sys.argv[2])
except Exception as e:
    print("REFUSED", e); sys.exit(0)
print("LOGGED-IN"); sys.stdout.flush()
t0 = time.monotonic()
try:
    while time.monotonic() - t0 < 8:
        c.noop(); time.sleep(0.5)
    print("OPEN %.1f" % (time.monotonic() - t0))
except Exception as e:
    print("CLOSED %.1f" % (time.monotonic() - t0))
PY
# The client runs on by itself; its output file says when it is done.
kill -STOP "$dpid"
# Wait until the gateway has checked the password and waits for a token.
wait_until 100 grep -q "daemon: connection\|C: [A-Z0-9]* LOGIN" "$GLOG"
sleep 0.5
"$MK" app-password revoke alice doomed 2>>"$work/revoke.err"
check "revoked ($(cat "$work/revoke.err"))" test $? = 0
sleep 0.5 # the gateway's inotify event comes and goes
kill -CONT "$dpid"
# Bounded by the clock (a wait, and the 0.1 s polls, can end early when the
# stopped daemon is continued).
end=$((SECONDS + 25))
while [ $SECONDS -lt $end ] && ! grep -q "OPEN\|CLOSED\|REFUSED" "$work/client.out"; do sleep 0.2; done
out=$(tr "\n" " " <"$work/client.out")
case $out in
REFUSED*) ok "the login with the revoked password was refused: $out" ;;
*CLOSED*) ok "the session of the revoked password was closed: $out" ;;
*) bad "a session whose password was revoked during its login stays open: $out" ;;
esac
finish
