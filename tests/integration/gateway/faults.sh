#!/usr/bin/env bash
# gateway_faults: what goes wrong, with real servers (raw.py for the
# sessions no library would make):
# - upstream refuses the token: the gateway refreshes once and logs in; when
#   the refresh fails too (grant revoked), the client gets the temporary
#   failure naming `mailkey login`, after one refresh try, not a loop;
# - the upstream drops a logged-in session (doveadm kick): the client's side
#   is closed at once, and the next login works;
# - the token endpoint is down: a cached valid token still logs in; an
#   expired one gives the temporary failure (IMAP, POP3, SMTP) in bounded time;
# - a client sends garbage, an over-long line, a 100 KB LOGIN literal
#   (synchronizing, and LITERAL+ with the bytes sent at once), or
#   nothing (login_timeout = 3): refused or closed, nothing reaches Dovecot;
# - an app password revoked while its sessions are open (IMAP, POP3, SMTP):
#   they are closed within 5 s, and that password no longer logs in;
# - no grant at all: IMAP NO [UNAVAILABLE], SMTP 454 4.7.0, POP3
#   -ERR [SYS/TEMP], each naming `mailkey login ACCOUNT`; notify_command ran.
. "$(dirname "$0")/lib.sh"
raw() { timeout 90 /usr/bin/python3 "$gwdir/raw.py" "$@"; }
closed=$(free_ports 1)
mkdir -p "$work/notes"
printf '#!/bin/sh\nenv | grep ^MAILKEY_ >"%s/notes/$(date +%%s%%N)"\n' "$work" >"$work/notify.sh"
chmod 700 "$work/notify.sh"
gw_account alice "$MK_USER1" xoauth2
gw_account bob "$MK_USER2" oauthbearer
gw_account stale "$MK_USER2" xoauth2 "token_endpoint = http://127.0.0.1:$closed/token"
gw_account nog "$MK_USER1" xoauth2 "notify_command = $work/notify.sh"
gw_grant bob "$MK_USER2"
check "bob has a real grant" test $? = 0
# alice: a refused access token (valid for an hour by the store's clock)
# beside a real refresh token: the first login must refresh.
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" >"$work/grant.alice.json"
printf 'refused-token-%s\n%s\n' "$RANDOM" "$(json '["refresh_token"]' <"$work/grant.alice.json")" |
	MK_SEED_TOKEN_ENDPOINT=$MK_OP_ISSUER/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" alice 3600
check "alice: a refused token and a real refresh token seeded" test $? = 0
# stale: a valid token, its token endpoint closed.
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER2" | json '["access_token"]' >"$work/stale.tok"
printf '%s\nsome-refresh-token\n' "$(cat "$work/stale.tok")" |
	MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$closed/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" stale 3600
gw_section "fail_delay = 0
login_timeout = 3"
start_gateway
check "mailkey gateway listens" test $? = 0
for a in alice bob stale nog; do app_pass "$a" "f-$a" || bad "app password for $a"; done
imap_login() { # user pwname [port]: the tagged answer to LOGIN (one line, at most 400 characters)
	python3 - "${3:-$GW_IMAP}" "$1" "$work/pw.$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
f = s.makefile("rb")
f.readline()
s.sendall(b'a1 LOGIN "%s" "%s"\r\n' % (sys.argv[2].encode(), open(sys.argv[3]).read().strip().encode()))
while True:
    l = f.readline()
    if not l or l.startswith(b"a1 "):
        break
print(l.decode("latin1").strip()[:400])
if l.startswith(b"a1 OK"):
    s.sendall(b"a2 LOGOUT\r\n")
PY
}

# --- the upstream refuses the token
reset_counts >/dev/null
out=$(imap_login alice f-alice)
check "a refused token: one refresh, then the login succeeds ($out)" test "${out:0:5}" = "a1 OK"
check "the provider counted exactly one refresh ($(refreshes))" test "$(refreshes)" = 1
new=$(stored_token alice)
check "the store now holds the fresh token (active: $(active "$new"))" test "$(active "$new")" = True
out=$(imap_login alice f-alice)
check "the next login needs no refresh ($out, $(refreshes) refreshes)" test "${out:0:5}" = "a1 OK" -a "$(refreshes)" = 1
# Revoke the grant: the stored token and its refresh token die.
curl -sS "$MK_OP_ISSUER/token/revocation" --data-urlencode "client_id=$MK_CLIENT_ID" --data-urlencode "token=$new" >/dev/null
check "the token is revoked at the provider" test "$(active "$new")" = False
reset_counts >/dev/null
out=$(imap_login alice f-alice)
check "refused, refresh refused too: NO [UNAVAILABLE] naming mailkey login alice ($out)" \
	sh -c 'case "$1" in "a1 NO [UNAVAILABLE]"*"mailkey login alice"*) exit 0 ;; esac; exit 1' _ "$out"
check "after one refresh attempt ($(counts | json '["token"]') token requests)" test "$(counts | json '["token"]')" -le 1
check "the gateway is still running" gw_alive

# --- the upstream drops a logged-in session
for proto in imap pop3; do
	port=$GW_IMAP
	[ $proto = pop3 ] && port=$GW_POP3
	coproc HOLD { raw hold "$proto" "$port" bob "$work/pw.f-bob"; }
	read -r -t 30 st <&"${HOLD[0]}"
	check "$proto: bob logged in through the gateway ($st)" test "$st" = in
	# Dovecot registers a session with anvil a moment after its login
	# reply: kick only once `doveadm who` lists it (else kick finds nothing).
	for _ in $(seq 1 50); do
		doveadm -c "$work/srv/dovecot/dovecot.conf" who -1 "$MK_USER2" 2>/dev/null | grep -w "$proto" >/dev/null && break
		sleep 0.1
	done
	doveadm -c "$work/srv/dovecot/dovecot.conf" kick "$MK_USER2" >"$work/kick.out" 2>&1
	check "$proto: doveadm kick ($(head -c 100 "$work/kick.out"))" test $? = 0
	echo go >&"${HOLD[1]}"
	read -r -t 40 secs <&"${HOLD[0]}"
	wait "$HOLD_PID" 2>/dev/null
	check "$proto: the gateway closed the client's side (${secs:-nothing} s after the kick)" le "${secs:-x}" 3
done
out=$(imap_login bob f-bob)
check "the next login after the drop works ($out)" test "${out:0:5}" = "a1 OK"

# --- the token endpoint is down
# (stale shares bob's address: it is named by its account name)
out=$(imap_login stale f-stale)
check "endpoint down, cached token valid: the login works ($out)" test "${out:0:5}" = "a1 OK"
printf '%s\nsome-refresh-token\n' "expired-$RANDOM" |
	MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$closed/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" stale -60
t0=$(now)
out=$(imap_login stale f-stale)
el=$(python3 -c "print(round($(now) - $t0, 1))")
check "endpoint down, token expired: IMAP NO [UNAVAILABLE] in ${el} s ($out)" \
	sh -c 'case "$1" in "a1 NO [UNAVAILABLE]"*) exit 0 ;; esac; exit 1' _ "$out"
check "in bounded time (${el} s <= 30)" le "$el" 30
printf 'user = "stale:%s"\n' "$(pw f-stale)" >"$work/stale.cfg"
curl -sS -v --max-time 60 -K "$work/stale.cfg" "smtp://127.0.0.1:$GW_SMTP" -X NOOP >/dev/null 2>"$work/err"
check "and SMTP 454 4.7.0 ($(grep '^< 4' "$work/err" | head -1))" grep -q '^< 454 4.7.0' "$work/err"
curl -sS -v --max-time 60 -K "$work/stale.cfg" "pop3://127.0.0.1:$GW_POP3/" >/dev/null 2>"$work/err"
check "and POP3 -ERR [SYS/TEMP] ($(grep '^< -ERR' "$work/err" | head -1))" grep -q '^< -ERR \[SYS/TEMP\]' "$work/err"

# --- hostile or silent clients; nothing of it may reach Dovecot
dv0=$(grep -c -e 'imap-login' -e 'pop3-login' "$MK_DOVECOT_LOG")
for proto in imap pop3 smtp; do
	case $proto in imap) port=$GW_IMAP ;; pop3) port=$GW_POP3 ;; smtp) port=$GW_SMTP ;; esac
	out=$(raw garbage $proto "$port")
	check "$proto: 100 lines of random bytes: answered, then closed ($out)" test "${out%% *}" = closed
	out=$(raw longline $proto "$port")
	check "$proto: a 100 KB line: closed ($out)" test "${out%% *}" = closed
	out=$(raw silent $proto "$port")
	check "$proto: a silent client is closed after login_timeout = 3 ($out s)" \
		python3 -c 'import sys; sys.exit(0 if 2.5 <= float(sys.argv[1]) <= 8 else 1)' "${out%% *}"
done
out=$(raw literal "$GW_IMAP")
check "imap: LOGIN {102400}: refused without \"+\" ($out)" test "${out%% *}" = refused
out=$(raw literalplus "$GW_IMAP")
check "imap: LOGIN {102400+} with the 100 KB sent at once: refused and closed ($out)" \
	sh -c 'case "$1" in "closed refused "*) exit 0 ;; esac; exit 1' _ "$out"
check "none of it reached Dovecot" test "$(grep -c -e 'imap-login' -e 'pop3-login' "$MK_DOVECOT_LOG")" = "$dv0"
check "the gateway is still running" gw_alive

# --- an app password revoked while its sessions are open
app_pass bob rv
for proto in imap pop3 smtp; do
	case $proto in imap) port=$GW_IMAP ;; pop3) port=$GW_POP3 ;; smtp) port=$GW_SMTP ;; esac
	coproc H { raw hold "$proto" "$port" bob "$work/pw.rv"; }
	# Three sessions at once: each coprocess's pipes are copied to fds of
	# their own before the next coproc replaces H.
	exec {x}<&"${H[0]}" {y}>&"${H[1]}"
	eval "in_$proto=$x out_$proto=$y"
	read -r -t 30 st <&"$x"
	check "$proto: a session open with the app password rv ($st)" test "$st" = in
done 2>/dev/null
"$MK" app-password revoke bob rv 2>"$work/rv.err"
check "mailkey app-password revoke bob rv ($(head -c 200 "$work/rv.err"))" test $? = 0
for proto in imap pop3 smtp; do
	eval "x=\$in_$proto y=\$out_$proto"
	echo go >&"$y"
	read -r -t 40 secs <&"$x"
	check "$proto: the session is closed within 5 s of the revoke (${secs:-nothing} s)" le "${secs:-x}" 5
done
out=$(imap_login bob rv)
check "the revoked password no longer logs in ($out)" sh -c 'case "$1" in "a1 NO [AUTHENTICATIONFAILED]"*) exit 0 ;; esac; exit 1' _ "$out"
out=$(imap_login bob f-bob)
check "bob's other app password still does ($out)" test "${out:0:5}" = "a1 OK"

# --- no grant
out=$(imap_login nog f-nog)
check "no grant: IMAP NO [UNAVAILABLE] naming mailkey login nog ($out)" \
	sh -c 'case "$1" in "a1 NO [UNAVAILABLE]"*"mailkey login nog"*) exit 0 ;; esac; exit 1' _ "$out"
printf 'user = "nog:%s"\n' "$(pw f-nog)" >"$work/nog.cfg"
curl -sS -v --max-time 60 -K "$work/nog.cfg" "smtp://127.0.0.1:$GW_SMTP" -X NOOP >/dev/null 2>"$work/err"
check "SMTP: 454 4.7.0 naming mailkey login nog ($(grep '^< 454' "$work/err" | head -1))" grep -q '^< 454 4.7.0 .*mailkey login nog' "$work/err"
curl -sS -v --max-time 60 -K "$work/nog.cfg" "pop3://127.0.0.1:$GW_POP3/" >/dev/null 2>"$work/err"
check "POP3: -ERR [SYS/TEMP] naming mailkey login nog ($(grep '^< -ERR' "$work/err" | head -1))" grep -q '^< -ERR \[SYS/TEMP\] .*mailkey login nog' "$work/err"
wait_until 100 sh -c "ls '$work/notes' | grep -q ."
note=$(ls "$work/notes" | head -1)
check "notify_command ran ($(cat "$work/notes/$note" 2>/dev/null | tr '\n' ' '))" grep -qx 'MAILKEY_ACCOUNT=nog' "$work/notes/$note"
check "no password or token in the gateway's log" sh -c "! grep -qF -e '$(pw f-alice)' -e '$(pw f-bob)' -e '$(pw rv)' -e '$new' -e '$(cat "$work/stale.tok")' '$GLOG'"
check "the gateway is still running" gw_alive
finish
