#!/usr/bin/env bash
# gwreview_sighup_accounts: docs/config.md: "`[gateway]` is read at start:
# restart to change it (SIGHUP reloads the accounts only)". So after an
# account is added to the config and the process gets SIGHUP, the gateway
# must serve it; after an account is removed and SIGHUP, its app passwords
# must no longer open sessions. Checked for `mailkey gateway` and for
# `mailkey daemon` with [gateway].
. "$(dirname "$0")/lib.sh"
cp "$MAILKEY_CONFIG" "$work/config.base"
gw_config
cl() { /usr/bin/python3 "$top/tests/integration/gwcore/client.py" "$@"; }
PB=$(pw bobo review)
# The config with bobo's section taken out (it stays in the store).
without_bobo() {
	python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r"\[account bobo\]\n(?:[^\[].*\n|\n)*", "", t)
open(sys.argv[1], "w").write(t)
PY
}
run() { # how: gateway|daemon
	local how=$1 out
	if [ "$how" = gateway ]; then
		gw_start
	else
		"$MK" -vv daemon --socket "$SOCK" 2>>"$GLOG" &
		gpid=$!
		wait_until 150 listening "$P_SMTPS" && wait_until 50 listening "$P_IMAP"
	fi
	check "$how: listening" test $? = 0
	out=$(cl imap plain "$P_IMAP" bobo "$PB")
	check "$how: bobo logs in before the change: $out" test "${out%% *}" = OK
	# Remove bobo, SIGHUP.
	without_bobo "$MAILKEY_CONFIG"
	n0=$(grep -c "reloaded the configuration" "$GLOG")
	kill -HUP "$gpid"
	wait_until 50 sh -c "[ \$(grep -c 'reloaded the configuration' '$GLOG') -gt $n0 ]"
	check "$how: SIGHUP reloaded the configuration" test $? = 0
	out=$(cl imap plain "$P_IMAP" bobo "$PB")
	check "$how: after bobo's section is removed and SIGHUP, its app password opens no session: $out" \
		test "${out%% *}" != OK
	# Add a new account (carol, bob's mailbox, another name) and SIGHUP.
	# acct appends to $MAILKEY_CONFIG: build the new file by hand instead.
	sed '/^\[gateway\]/,$d' "$MAILKEY_CONFIG" >"$work/config.new"
	printf '[account carol]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nmech = oauthbearer\nimap = localhost:%s\nimap_tls = starttls\n\n' \
		"$MK_OP_ISSUER" "$MK_USER2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAP_PORT" >>"$work/config.new"
	sed -n '/^\[gateway\]/,$p' "$MAILKEY_CONFIG" >>"$work/config.new"
	cp "$work/config.new" "$MAILKEY_CONFIG"
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" carol 3600 <"$work/tok.bobo"
	PC=$(pw carol review)
	n0=$(grep -c "reloaded the configuration" "$GLOG")
	kill -HUP "$gpid"
	wait_until 50 sh -c "[ \$(grep -c 'reloaded the configuration' '$GLOG') -gt $n0 ]"
	out=$(cl imap plain "$P_IMAP" carol "$PC")
	check "$how: an account added and SIGHUP'd is served by the gateway: $out" test "${out%% *}" = OK
	gw_stop
	check "$how: SIGTERM exits 0" test $? = 0
	# Back to the start for the next round.
	cp "$work/config.base" "$MAILKEY_CONFIG"
	gw_config
	"$MK" app-password revoke carol review 2>/dev/null
}
run gateway
run daemon
finish
