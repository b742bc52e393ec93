#!/usr/bin/env bash
# clients_postfix: docs/clients/postfix.md with a real Postfix 3.7 relay
# (tests/servers/relay-up: Debian's master.cf, smtp(8) chrooted) given the
# doc's main.cf lines, mailkey's Cyrus plugin (a build without sanitizers,
# on SASL_PATH, where libsasl2-modules-mailkey would be libsasl2's own
# directory) and `mailkey daemon` with the doc's allow_group = postfix. The
# doc's postmap -q check answers user:token; mail sent with the doc's
# sendmail line arrives at bob before and after a token expiry, the daemon
# refreshed, no token in main.cf or the log. Without the plugin: deferred,
# "No worthy mechs found"; the fix (the plugin, reload, postqueue -f)
# delivers it. Lighter than postfix_relay (docs/postfix.md's whole story).
# shellcheck disable=SC1091,SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_plugin.bash"
rl=$work/srv/relay
trap '"$top/tests/servers/relay-down" "$work/srv"; daemon_cleanup; cleanup' EXIT
# (the blocks are taken here, not in $(...): lib.sh records what was asked for)
recipe mailkey-config >"$work/mailkey-config"
recipe main.cf >"$work/main.cf"
recipe check >"$work/check.sh"
recipe send >"$work/send.sh"
# The daemon's socket is the test's, not /run/mailkey/socket.
sed -i "s|/run/mailkey/socket|$SOCK|g" "$work/main.cf" "$work/check.sh"
cat "$work/mailkey-config" >"$MAILKEY_CONFIG"
printf '\n' >>"$MAILKEY_CONFIG"
client_account
client_login || { finish_clients; exit; }
start_daemon
check "mailkey daemon (allow_group = postfix) answers" test $? = 0
check "its socket is 0660 root:postfix" test "$(stat -c '%a %U %G' "$SOCK")" = "660 root postfix"

# relay_up PLUGIN_DIR: a fresh relay Postfix with the doc's main.cf lines.
relay_up() {
	"$top/tests/servers/relay-down" "$work/srv"
	MK_SASL_PLUGIN_PATH=$1 MK_RELAY_POSTCONF=$(grep -v '^#' "$work/main.cf") \
		"$top/tests/servers/relay-up" "$work/srv" gmail "$SOCK" >"$work/relay-up.out" 2>&1
}
relay_up "$plugins"
rc=$?
check "the relay Postfix starts with the doc's main.cf lines (exit $rc $(tail -1 "$work/relay-up.out"))" test "$rc" = 0
while IFS= read -r line; do
	case $line in "" | "#"*) continue ;; esac
	n=${line%% = *}
	check "main.cf has $line" test "$n = $(postconf -c "$rl/etc" -h "$n")" = "$line"
done <"$work/main.cf"
# bob's messages with the doc's Subject, and one that has BODY
at_bob() { grep -l '^Subject: relay test$' "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | wc -l; }
arrived() { [ "$(at_bob)" -ge "$1" ]; }
send() { MAIL_CONFIG=$rl/etc bash "$work/send.sh" 2>>"$work/send.err"; }
not_in() { ! grep -qF -- "$1" "$2"; }

# --- the doc's check: user:token through proxymap
pm=$(MAIL_CONFIG=$rl/etc bash "$work/check.sh" 2>"$work/check.err")
t1=$(mailkey token gmail)
check "the doc's postmap -q prints $MK_USER1:TOKEN ($(head -c 100 "$work/check.err"))" test "$pm" = "$MK_USER1:$t1"

# --- a message, then another after the token expired
send
check "the doc's sendmail line is taken" test $? = 0
check "the message arrives at $MK_USER2" wait_until 300 arrived 1
f=$(grep -l '^Subject: relay test$' "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | head -1)
check "with its body" grep -q "hello from Postfix" "${f:-/dev/null}"
check "the relay authenticated as $MK_USER1" grep -Eq "sasl_method=(XOAUTH2|OAUTHBEARER), sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"
check "over verified TLS" grep -q 'Verified TLS connection established to localhost' "$rl/postfix.log"
r0=$(refreshes)
await_expiry
send
check "after the token expired the next message arrives too" wait_until 300 arrived 2
r1=$(refreshes)
check "the daemon refreshed ($r0 -> $r1 at the provider)" test "$r1" -gt "$r0"
check "its log says so" grep -q 'refreshed account gmail' "$DLOG"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"
check "nothing was deferred, no reload" sh -c "! grep -q 'status=deferred\|reload --' '$rl/postfix.log'"
for t in "$t1" "$t2"; do
	check "no token in main.cf" not_in "$t" "$rl/etc/main.cf"
	check "no token in the mail log" not_in "$t" "$rl/postfix.log"
done

# --- without the plugin: deferred, "No worthy mechs found"; the fix
# libsasl2's directory as on a machine without libsasl2-modules-mailkey:
# its own plugins only; installing the package adds the plugin to it.
saslcopy=$work/sasl2
cp -a "$nosasl" "$saslcopy"
relay_up "$saslcopy"
check "a relay without the plugin starts" test $? = 0
send
qid() { sed -n 's/.* \([0-9A-F]\{6,\}\): from=<'"$MK_USER1"'>.*/\1/p' "$rl/postfix.log" 2>/dev/null | tail -1; }
deferred() { grep -q "$(qid): to=<$MK_USER2>.*status=deferred" "$rl/postfix.log" 2>/dev/null; }
check "the message is deferred" wait_until 300 deferred
check "the log says No worthy mechs found" grep -q 'warning: SASL authentication failure: No worthy mechs found' "$rl/postfix.log"
check "and no mechanism available, 4.7.0" grep -q "$(qid): to=<$MK_USER2>.*dsn=4.7.0, status=deferred (SASL authentication failed; cannot authenticate to server localhost\[127.0.0.1\]: no mechanism available)" "$rl/postfix.log"
grep "$(qid): to=<$MK_USER2>.*status=deferred" "$rl/postfix.log" | cut -c1-300 | sed 's/^/# /'
check "the message waits in the queue" sh -c "postqueue -c '$rl/etc' -p | grep -q '^$(qid)'"
# The fix: the plugin into that directory (what the package does), reload,
# flush.
cp "$plugins/libmailkey-xoauth2.so" "$saslcopy/"
postfix -c "$rl/etc" reload >>"$work/reload.out" 2>&1
check "postfix reload" test $? = 0
postqueue -c "$rl/etc" -f
check "after postqueue -f the message arrives" wait_until 300 arrived 3
finish_clients
