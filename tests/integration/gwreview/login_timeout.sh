#!/usr/bin/env bash
# gwreview_login_timeout: docs/config.md says login_timeout is the "seconds a
# client may take to log in". A client that never logs in but sends a
# harmless command (NOOP) just inside the limit each time must still be cut
# off once login_timeout has passed since it connected, on every protocol;
# otherwise a few such clients hold max_per_source connections for
# max_commands × login_timeout (50 minutes with the defaults).
export GWEXTRA="login_timeout = 3" # read by lib.sh
. "$(dirname "$0")/lib.sh"
gw_config
gw_start
check "the gateway listens" test $? = 0
# held PORT CMD: connects, sends CMD every 2 s for 9 s; prints how long the
# connection stayed open (seconds).
held() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
t0 = time.monotonic()
f.readline()
try:
    while time.monotonic() - t0 < 9:
        time.sleep(2)
        s.sendall(sys.argv[2].encode() + b"\r\n")
        line = f.readline()
        if not line or line.startswith((b"* BYE", b"421")):
            break
except OSError:
    pass
print("%.1f" % (time.monotonic() - t0))
PY
}
for p in "imap $P_IMAP a NOOP" "pop3 $P_POP3 NOOP" "smtp $P_SMTP NOOP"; do
	set -- $p
	proto=$1 port=$2
	shift 2
	t=$(held "$port" "$*")
	check "$proto: a client that only sends $* is closed within login_timeout (3 s) + 1.5 s (open $t s)" le "$t" 4.5
done
# A client that logs in in time is not affected.
PA=$(pw alice review)
out=$(/usr/bin/python3 "$top/tests/integration/gwcore/client.py" imap plain "$P_IMAP" alice "$PA")
check "a prompt login still works: $out" test "${out%% *}" = OK
finish
