#!/usr/bin/env bash
# A second Postfix relaying through the test submission server with
# mailkey's Cyrus plugin and the daemon's socketmap, as docs/postfix.md says
# (tests/servers/relay-up: Debian's master.cf with smtp(8) chrooted,
# proxy:socketmap, the default proxy_read_maps, allow_group postfix,
# smtp_sasl_tls_security_options = noanonymous). 20-second tokens:
#   1. mail injected with the relay's sendmail before and after several
#      token expiries all arrives (by Message-ID), with no postfix reload;
#   2. the token endpoint down: mail is deferred (4.x, in the log and the
#      queue) and arrives once it is back (postqueue -f);
#   3. the grant revoked: mail is deferred, not bounced, and the daemon's
#      notify_command fires.
# Also: the plain socketmap (no proxy:) cannot work from the chroot.
export MK_SHORT_TTL=20
. "$(dirname "$0")/../broker/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
sock=$work/run/socket
rl=$work/srv/relay
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
wait_for() { # seconds command...: poll (0.2 s) until command succeeds
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
cleanup_relay() {
	[ -n "${fwd_pid:-}" ] && kill "$fwd_pid" 2>/dev/null
	if [ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null; then
		wait_for 10 not kill -0 "$dpid" 2>/dev/null || kill -KILL "$dpid" 2>/dev/null
	fi
	"$top/tests/servers/relay-down" "$work/srv"
	cleanup
}
trap cleanup_relay EXIT

# --- the plugin Postfix loads: Postfix is no ASan program, so a sanitizer
# build's plugin cannot be loaded into it; build a plain one from the same
# source then (a few seconds, the plugin only).
plugins=$build/sasl-helper/cyrus/plugins
if ldd "$plugins/libmailkey-xoauth2.so" 2>/dev/null | grep 'libasan\|libubsan' >/dev/null; then
	if cmake -S "$top" -B "$work/plain" -DMK_TESTS=OFF -DMK_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$work/plain.log" 2>&1 &&
		cmake --build "$work/plain" -j2 --target mailkey_cyrus >>"$work/plain.log" 2>&1; then
		plugins=$work/plain/sasl-helper/cyrus/plugins
	else
		tail -20 "$work/plain.log"
	fi
fi
check "a plugin without sanitizers for Postfix ($plugins)" \
	sh -c "test -f '$plugins/libmailkey-xoauth2.so' && ! ldd '$plugins/libmailkey-xoauth2.so' | grep -q libasan"
export MK_SASL_PLUGIN_PATH=$plugins

# --- the account: its token endpoint goes through a forwarder we can stop.
read -r P_FWD < <(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fwd_up() {
	python3 "$here/tcpfwd.py" "$P_FWD" "$MK_OP_PORT" >"$work/fwd.out" 2>&1 &
	fwd_pid=$!
	wait_for 10 grep -q listening "$work/fwd.out"
}
fwd_down() { kill "$fwd_pid" && wait "$fwd_pid" 2>/dev/null; fwd_pid=; : >"$work/fwd.out"; }
check "the token endpoint forwarder listens" fwd_up
# The daemon runs as in system mode: an unprivileged user of its own
# (nobody here, `mailkey` under the unit) that is a member of Postfix's group
# (the unit's SupplementaryGroups=postfix drop-in), so it can hand the socket
# to that group. Its files are its own.
duser=nobody dgroup=$(id -gn nobody)
as_daemon() { setpriv --reuid="$duser" --regid="$dgroup" --groups=postfix "$@"; }
install -d -o "$duser" -g "$dgroup" -m 0700 "$work/run" "$work/notify"
cat >"$work/notify.sh" <<SH
#!/bin/sh
printf '%s|%s\n' "\$MAILKEY_ACCOUNT" "\$MAILKEY_REASON" >>"$work/notify/notified"
SH
chmod 755 "$work/notify.sh"
# The socket and the group come from the config, as in /etc/mailkey/config.
printf 'socket = %s\nallow_group = postfix\n\n' "$sock" >"$MAILKEY_CONFIG"
account relay1 "$MK_SHORT_CLIENT_ID" "smtp = 127.0.0.1:$MK_SMTP_PORT
notify_command = $work/notify.sh
notify_interval = 600"
"$top/tests/servers/get-token" "$work/srv" --client "$MK_SHORT_CLIENT_ID" >"$work/grant.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["access_token"]); print(d["refresh_token"])' \
	"$work/grant.json" | MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$P_FWD/token \
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" relay1 "$MK_SHORT_TTL"
chown -R "$duser:$dgroup" "$MAILKEY_STATE_DIR"
stored() { as_daemon "$MK" status relay1 >/dev/null; }
check "a grant of the 20-second client is stored" stored

# --- the daemon, with Postfix's group allowed (proxymap runs as postfix).
# Not a member of the group, it cannot hand the socket over, and says so.
setpriv --reuid="$duser" --regid="$dgroup" --clear-groups "$MK" daemon 2>"$work/nogroup.err"
rc=$?
check "without the group the daemon refuses to start ($rc) and says why" \
	sh -c "test $rc != 0 && grep -q 'to group postfix: Operation not permitted' '$work/nogroup.err'"
# setpriv itself, not the function: $! must be the daemon's PID.
setpriv --reuid="$duser" --regid="$dgroup" --groups=postfix "$MK" daemon 2>"$work/daemon.log" &
dpid=$!
check "the daemon listens (as $duser, socket and group from the config)" wait_for 10 grep -q "listening on $sock" "$work/daemon.log"
check "the socket is 0660 $duser:postfix in a 0750 directory" \
	test "$(stat -c '%a %U %G' "$sock") $(stat -c %a "$work/run")" = "660 $duser postfix 750"

# --- the relay Postfix.
"$top/tests/servers/relay-up" "$work/srv" relay1 "$sock" >"$work/relay-up.out" 2>&1
check "the relay Postfix starts (Debian's master.cf, smtp chrooted)" test $? = 0
check "its smtp(8) is chrooted" grep -Eq '^smtp +unix +- +- +y ' "$rl/etc/master.cf"
check "its proxymap(8) is not" grep -Eq '^proxymap +unix +- +- +n ' "$rl/etc/master.cf"
check "proxy_read_maps is Postfix's default, which lists \$smtp_sasl_password_maps" \
	sh -c "! postconf -c '$rl/etc' -n | grep -q '^proxy_read_maps' && postconf -c '$rl/etc' -h proxy_read_maps | grep -qF '\$smtp_sasl_password_maps'"
check "smtp_sasl_security_options is Postfix's default (noplaintext, noanonymous)" \
	test "$(postconf -c "$rl/etc" -h smtp_sasl_security_options)" = "noplaintext, noanonymous"
master_pid=$(tr -d ' ' <"$rl/spool/pid/master.pid")
# postmap -q through proxymap, as root would check it: user:token, the token
# the daemon holds.
pm=$(postmap -c "$rl/etc" -q "[127.0.0.1]:$MK_SMTP_PORT" "proxy:socketmap:unix:$sock:relay1" 2>"$work/postmap.err")
check "postmap -q through proxymap answers user:token" test "${pm%%:*}" = "$MK_USER1" -a -n "${pm#*:}"
check "it is the daemon's current token" test "${pm#*:}" = "$(as_daemon "$MK" token relay1)"

# --- sending and checking.
n=0
send() { # -> prints the Message-ID
	n=$((n + 1))
	local id="relay-$n.$$.$RANDOM@relay.example.test"
	printf 'From: sender@example.test\nTo: %s\nSubject: relay %s\nMessage-ID: <%s>\n\nmessage %s\n' \
		"$MK_USER1" "$n" "$id" "$n" | sendmail -C "$rl/etc" -f sender@example.test "$MK_USER1" || return 1
	echo "$id"
}
arrived() { grep -qslF "Message-ID: <$1>" "$MK_MAIL_ROOT/$MK_USER1/Maildir/new/"* "$MK_MAIL_ROOT/$MK_USER1/Maildir/cur/"* 2>/dev/null; }
qid_of() { sed -n "s/.* \([0-9A-F]\{6,\}\): message-id=<$1>.*/\1/p" "$rl/postfix.log" 2>/dev/null | head -1; }
# the 4.x deferral of a message, from the relay's log
deferred() { local q; q=$(qid_of "$1"); [ -n "$q" ] && grep -E " $q: to=.* dsn=4\.[0-9.]+, status=deferred" "$rl/postfix.log"; }
in_queue() { local q; q=$(qid_of "$1"); [ -n "$q" ] && postqueue -c "$rl/etc" -p | grep -q "^${q}[*!]* "; }
not() { ! "$@"; }

# 1. Before and after several expiries (one message every 5 s for 3.5
# token lifetimes), no reload.
before=$(refreshes)
ids=()
end=$((SECONDS + 7 * MK_SHORT_TTL / 2))
while [ $SECONDS -lt $end ]; do
	ids+=("$(send)")
	sleep 5
done
ids+=("$(send)")
after=$(refreshes)
check "3.5 token lifetimes passed, with at least 3 refreshes ($before -> $after)" test $((after - before)) -ge 3
all_arrived() { local i; for i in "${ids[@]}"; do arrived "$i" || return 1; done; }
check "all ${#ids[@]} messages arrived in $MK_USER1's Maildir" wait_for 60 all_arrived
check "none was deferred" not grep -q 'status=deferred' "$rl/postfix.log"
check "each went out authenticated over verified TLS" \
	test "$(grep -c 'Verified TLS connection established to 127.0.0.1' "$rl/postfix.log")" -ge 1
check "no postfix reload: the same master ($master_pid), no reload in the log" \
	sh -c "test \"\$(tr -d ' ' <'$rl/spool/pid/master.pid')\" = '$master_pid' && ! grep -q 'reload --' '$rl/postfix.log'"

# 2. The token endpoint down: once the token has expired the daemon has none
# to give (TEMP), Postfix defers; back up, the mail goes out.
fwd_down
no_token() { ! postmap -c "$rl/etc" -q x "proxy:socketmap:unix:$sock:relay1" >/dev/null 2>&1; }
check "with the token endpoint down the map fails once the token expires" wait_for $((2 * MK_SHORT_TTL)) no_token
postmap -c "$rl/etc" -q x "proxy:socketmap:unix:$sock:relay1" >/dev/null 2>"$work/postmap-temp.err"
check "postmap says the lookup failed (a temporary error), naming no token" \
	sh -c "grep -qi 'error\|fail' '$work/postmap-temp.err'"
down_id=$(send)
check "a message sent meanwhile is deferred with a 4.x status" wait_for 30 deferred "$down_id"
deferred "$down_id" | sed 's/^/# /'
check "it waits in the relay's queue (mailq)" in_queue "$down_id"
check "and has not arrived" not arrived "$down_id"
check "the token endpoint is back" fwd_up
has_token() { postmap -c "$rl/etc" -q x "proxy:socketmap:unix:$sock:relay1" >/dev/null 2>&1; }
check "the daemon has a token again" wait_for 90 has_token
postqueue -c "$rl/etc" -f
check "after postqueue -f the deferred message arrives" wait_for 60 arrived "$down_id"
check "nothing bounced" not grep -q 'status=bounced' "$rl/postfix.log"

# 2b. What docs/postfix.md says the admin sees when Postfix's default
# noplaintext is kept for TLS sessions, or the plugin is not found: no
# mechanism, deferred.
relay_again() { # [VAR=value...]: a fresh relay with these settings
	"$top/tests/servers/relay-down" "$work/srv"
	env "$@" "$top/tests/servers/relay-up" "$work/srv" relay1 "$sock" >"$work/relay-up.out" 2>&1
}
no_mech() { # label VAR=value...
	local label=$1 id
	shift
	if ! relay_again "$@"; then
		bad "$label: the relay starts ($(tail -1 "$work/relay-up.out"))"
		return
	fi
	id=$(send)
	check "$label: the message is deferred" wait_for 30 deferred "$id"
	check "$label: the log says No worthy mechs found" grep -q "SASL authentication failure: No worthy mechs found" "$rl/postfix.log"
}
no_mech "noplaintext for TLS sessions" "MK_RELAY_POSTCONF=smtp_sasl_tls_security_options = noplaintext, noanonymous"
no_mech "only libsasl2's own plugins on SASL_PATH" "MK_SASL_PLUGIN_PATH=$(pkg-config --variable=libdir libsasl2)/sasl2"
# The map name `relay` (docs/postfix.md, several relays): the daemon picks
# the account by the key Postfix looks up (the server's host first, then
# [host]:port), here the account's smtp = 127.0.0.1:PORT.
# (postmap -q through proxymap works for the tables of proxy_read_maps
# only, so after the relay uses it.)
relay_map=proxy:socketmap:unix:$sock:relay
relay_again "MK_RELAY_MAPS=$relay_map"
check "a relay with the map name relay starts" test $? = 0
pm=$(postmap -c "$rl/etc" -q "[127.0.0.1]:$MK_SMTP_PORT" "$relay_map")
check "postmap -q with the map name relay: user:token for [127.0.0.1]:PORT" test "${pm%%:*}" = "$MK_USER1"
pm=$(postmap -c "$rl/etc" -q "[smtp.example.org]:587" "$relay_map" 2>"$work/notfound.err")
rc=$?
check "and for another server not found: exit 1, no output, no error ($rc)" \
	test "$rc/$pm/$(cat "$work/notfound.err")" = "1//"
relay_id=$(send)
check "with the map name relay the message arrives" wait_for 30 arrived "$relay_id"
# A proxy_read_maps set by hand without $smtp_sasl_password_maps: proxymap
# refuses the table, as docs/postfix.md warns.
relay_again 'MK_RELAY_POSTCONF=proxy_read_maps = $mydestination'
check "with proxy_read_maps set by hand the relay starts" test $? = 0
check "postmap -q through proxymap then fails" not postmap -c "$rl/etc" -q x "proxy:socketmap:unix:$sock:relay1"
check "proxymap logs the unapproved table" wait_for 10 grep -q "unapproved table" "$rl/postfix.log"
relay_again
check "the relay of the recipe starts again" test $? = 0

# 3. The grant revoked at the provider (revoking its access token revokes
# the grant): deferred, never bounced; notify_command fires.
t=$(as_daemon "$MK" token relay1)
code=$(printf %s "$t" | curl -sS -o /dev/null -w '%{http_code}' "$MK_OP_ISSUER/token/revocation" \
	--data-urlencode "client_id=$MK_SHORT_CLIENT_ID" --data-urlencode "token@-")
check "the provider revoked the grant ($code)" test "$code" = 200
rev_id=$(send)
check "a message sent after the revocation is deferred with a 4.x status" wait_for 60 deferred "$rev_id"
deferred "$rev_id" | sed 's/^/# /'
check "notify_command fired for the account" wait_for $((3 * MK_SHORT_TTL)) grep -qs '^relay1|' "$work/notify/notified"
sed 's/^/# notified: /' "$work/notify/notified" 2>/dev/null
check "its reason says a new login is needed" grep -q "needs a new login" "$work/notify/notified"
needs_consent() { # status exits 77 then: only its JSON counts here
	local st
	st=$(as_daemon "$MK" status relay1 --json)
	python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1])[0]["state"] != "needs-consent")' "$st"
}
check "mailkey status shows needs-consent" needs_consent
postqueue -c "$rl/etc" -f
rev_q=$(qid_of "$rev_id")
tried_again() { [ "$(grep -cE " $rev_q: to=.*status=deferred" "$rl/postfix.log")" -ge 2 ]; }
check "tried again after needs-consent: deferred again" wait_for 30 tried_again
check "the message is still queued" in_queue "$rev_id"
check "nothing bounced" not grep -q 'status=bounced' "$rl/postfix.log"
check "no bounce notice went to the sender" not grep -q 'sender non-delivery notification' "$rl/postfix.log"
# Postfix logs the plugin's text (SASL_CB_LOG), not the map's TEMP reason.
check "the admin reads why in the log: the user, mailkey status, no mailkey refresh" \
	sh -c "grep 'SASL authentication problem: mailkey ' '$rl/postfix.log' | grep -F '$MK_USER1' | grep -F '\`mailkey status\`' | grep -vq 'mailkey refresh'"
grep -E "SASL authentication (problem|failed)|lookup error|TEMP" "$rl/postfix.log" | tail -4 | cut -c1-400 | sed 's/^/# /'

# 4. Why proxy: the same map without it, from chrooted smtp(8): the socket's
# path does not exist inside the chroot, the lookup fails, the mail waits.
relay_again "MK_RELAY_MAPS=socketmap:unix:$sock:relay1"
check "a relay with the plain socketmap starts" test $? = 0
plain_id=$(send)
check "its chrooted smtp(8) cannot reach the socket: deferred" wait_for 30 deferred "$plain_id"
check "the log says the lookup failed: No such file or directory" \
	grep -q "socketmap:unix:$sock:relay1 lookup error: No such file or directory" "$rl/postfix.log"

finish
