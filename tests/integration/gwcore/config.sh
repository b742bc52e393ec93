#!/usr/bin/env bash
# gwcore_config: [gateway] problems exit 78 with the file, the line and what
# to change (config check, mailkey gateway, mailkey daemon); a port in use
# is 78 too. `mailkey gateway` runs the daemon core itself when no daemon
# serves the store, and only the gateway (asking that daemon) when one does;
# either way a client logs in with an app password; SIGTERM exits 0.
. "$(dirname "$0")/../daemon/lib.sh"
gw=$top/tests/integration/gwcore
cl() { /usr/bin/python3 "$gw/client.py" "$@"; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
printf '[account alice]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = localhost:%s\n\n' \
	"$MK_OP_ISSUER" "$MK_USER1" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAPS_PORT" >"$work/accounts"
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" | json '["access_token"]' >"$work/tok"
"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" alice 3600 <"$work/tok"
with() { { cat "$work/accounts"; printf '[gateway]\n%s\n' "$1"; } >"$MAILKEY_CONFIG"; }
expect78() { # description gateway-lines needle [command...]
	local d=$1 lines=$2 needle=$3 rc
	shift 3
	with "$lines"
	timeout 60 "$MK" "$@" >"$work/out" 2>&1
	rc=$?
	check "$d: exit 78 ($rc), says '$needle' ($(head -c 300 "$work/out" | tr '\n' ' '))" \
		sh -c "test $rc = 78 && grep -qF -- \"\$1\" '$work/out'" _ "$needle"
}
P=$(freeport)
expect78 "config check: a non-loopback listener" "imap = 0.0.0.0:$P" "remote = yes" config check
check "... naming the file and line" grep -q "config:10: imap = 0.0.0.0" "$work/out"
expect78 "mailkey gateway: a non-loopback listener" "imap = 0.0.0.0:$P" "remote = yes" gateway
expect78 "mailkey daemon: a bad [gateway]" "smtp = 127.0.0.1:99999" "from 1 to 65535" daemon --socket "$SOCK"
expect78 "config check: an unknown account" "imap = 127.0.0.1:$P nobody" "no [account nobody]" config check
expect78 "config check: an unknown key" "imapx = 127.0.0.1:$P" "unknown key 'imapx'" config check
expect78 "mailkey gateway: no listener" "fail_delay = 2" "no [gateway] listener" gateway
# A port in use: another program holds it (a port it chose, so that no
# test running at the same time can take it in between).
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen()
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1]); time.sleep(60)' "$work/held" &
holder=$!
wait_until 100 test -s "$work/held"
H=$(cat "$work/held")
expect78 "mailkey gateway: the port is in use" "imap = 127.0.0.1:$H" "already listens on port $H" gateway --socket "$SOCK"
kill "$holder"
wait "$holder" 2>/dev/null
check "a failed start left no daemon socket record" test ! -e "$MAILKEY_STATE_DIR/daemon.socket"

# No daemon: `mailkey gateway` runs the daemon core too.
with "imap = 127.0.0.1:$P"
PA=$("$MK" app-password add alice cfgtest)
"$MK" gateway --socket "$SOCK" 2>>"$DLOG" &
dpid=$!
wait_until 150 pinged
check "mailkey gateway without a daemon answers on the daemon socket" pinged
out=$(cl imap plain "$P" alice "$PA")
check "a client logs in through it: $out" test "${out%% *}" = OK
stop_daemon
check "SIGTERM: mailkey gateway exits 0" test $? = 0

# A daemon serves the store (without [gateway]): `mailkey gateway` asks it.
cp "$work/accounts" "$work/daemon.config"
"$MK" --config "$work/daemon.config" daemon --socket "$SOCK" 2>>"$DLOG" &
dpid=$!
wait_until 150 pinged
"$MK" gateway 2>"$work/gw.log" &
gpid=$!
listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; }
wait_until 100 listening "$P"
check "mailkey gateway beside a daemon says it asks it" grep -q "tokens from the daemon at $SOCK" "$work/gw.log"
out=$(cl imap plain "$P" alice "$PA")
check "a client logs in through it: $out" test "${out%% *}" = OK
kill -TERM "$gpid"
wait "$gpid"
check "SIGTERM: exit 0" test $? = 0
stop_daemon
finish
