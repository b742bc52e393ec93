# shellcheck shell=bash
# Shared by the gwreview tests: the real servers, two accounts with seeded
# grants (alice: XOAUTH2 over IMAPS/POP3S/STARTTLS submission; bobo:
# OAUTHBEARER), one without a grant, a [gateway] section written as
# docs/config.md describes it, and `mailkey gateway -vv` in the foreground
# (log in $GLOG). Tests add lines to $GWEXTRA before calling gw_start.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../daemon/lib.sh"
rv=$top/tests/integration/gwreview
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
seed() { # account user
	"$top/tests/servers/get-token" "$work/srv" --user "$2" | json '["access_token"]' >"$work/tok.$1"
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600 <"$work/tok.$1"
}
acct() { # name user mech [extra]
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nmech = %s\n%s\n\n' \
		"$1" "$MK_OP_ISSUER" "$2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$3" "${4:-}" >>"$MAILKEY_CONFIG"
}
acct alice "$MK_USER1" xoauth2 "imap = localhost:$MK_IMAPS_PORT
pop3 = localhost:$MK_POP3S_PORT
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls"
acct bobo "$MK_USER2" oauthbearer "imap = localhost:$MK_IMAP_PORT
imap_tls = starttls
pop3 = localhost:$MK_POP3_PORT
pop3_tls = starttls
smtp = localhost:$MK_SMTPS_PORT"
acct nogrant nobody@example.test xoauth2 "imap = localhost:$MK_IMAPS_PORT
pop3 = localhost:$MK_POP3S_PORT
smtp = localhost:$MK_SMTPS_PORT"
seed alice "$MK_USER1"
seed bobo "$MK_USER2"
P_IMAP=$(freeport) P_IMAPS=$(freeport) P_POP3=$(freeport) P_POP3S=$(freeport) P_SMTP=$(freeport) P_SMTPS=$(freeport)
GLOG=$work/gateway.log
GWEXTRA=${GWEXTRA:-}
gpid=
gw_config() {
	cat >>"$MAILKEY_CONFIG" <<CFG
[gateway]
imap  = 127.0.0.1:$P_IMAP
imaps = 127.0.0.1:$P_IMAPS
pop3  = 127.0.0.1:$P_POP3
pop3s = 127.0.0.1:$P_POP3S
smtp  = 127.0.0.1:$P_SMTP
smtps = 127.0.0.1:$P_SMTPS
$GWEXTRA
CFG
}
listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; }
# gw_start [ARGS]: `mailkey gateway -vv ARGS` in the background, back once
# every listener answers.
gw_start() {
	"$MK" -vv gateway "$@" 2>>"$GLOG" &
	gpid=$!
	wait_until 150 listening "$P_SMTPS" && wait_until 50 listening "$P_IMAP"
}
gw_stop() {
	local rc
	[ -n "$gpid" ] || return 0
	kill -TERM "$gpid" 2>/dev/null
	wait_until 200 sh -c "! kill -0 $gpid 2>/dev/null" || kill -KILL "$gpid"
	wait "$gpid"
	rc=$?
	gpid=
	return $rc
}
gw_cleanup() {
	if [ -n "$gpid" ]; then
		kill -KILL "$gpid" 2>/dev/null
		wait "$gpid" 2>/dev/null
	fi
	if [ "$failn" -gt 0 ] && [ -s "$GLOG" ]; then
		echo "--- last lines of the gateway's log"
		tail -30 "$GLOG"
	fi
}
trap 'gw_cleanup; daemon_cleanup; cleanup' EXIT
pw() { "$MK" app-password add "$1" "$2" 2>>"$work/pw.err"; }
# raw PORT [--tls] < script: tests/integration/gwreview/raw.py
raw() { /usr/bin/python3 "$rv/raw.py" "$@"; }
