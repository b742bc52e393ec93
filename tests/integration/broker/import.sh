#!/usr/bin/env bash
# `mailkey import` against the real provider and Dovecot: a grant obtained
# elsewhere (tests/servers/get-token), written as mutt_oauth2.py,
# sasl-xoauth2 and a plain token-endpoint JSON would keep it, is imported;
# then its refresh token works (`mailkey refresh`: one rotation at the
# provider), the handed-out token is active (introspection), and `mailkey
# check` logs in over IMAP, SMTP and POP3. Malformed input: exit 65 and the
# store's bytes unchanged; tokens already stored: exit 73 without --force;
# an account not configured: 64.
. "$(dirname "$0")/lib.sh"
grant() { "$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1"; }
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
store_sum() { find "$MAILKEY_STATE_DIR" -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum | sha256sum; }
acct() { # name source_address [client_id]
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nsmtp = localhost:%s\nsmtp_tls = starttls\nimap = localhost:%s\npop3 = localhost:%s\ntimeout = 20\nsource_address = %s\n\n' \
		"$1" "$MK_OP_ISSUER" "$MK_USER1" "${3:-$MK_CLIENT_ID}" "$MK_CA_FILE" "$MK_SMTP_PORT" "$MK_IMAPS_PORT" \
		"$MK_POP3S_PORT" "$2" >>"$MAILKEY_CONFIG"
}
# Each peer's token file, from a token-endpoint answer on stdin, with the
# fields its own program writes (mailkey(1), IMPORT).
to_format() { # format [expired]
	python3 -c '
import json, sys, time, datetime
fmt, expired = sys.argv[1], len(sys.argv) > 2
t = json.load(sys.stdin)
exp = time.time() + (-60 if expired else int(t["expires_in"]))
if fmt == "mutt_oauth2":
    # mutt_oauth2.py: datetime.now() + timedelta, isoformat(), local time
    d = {"registration": "google", "authflow": "localhostauthcode", "email": sys.argv[3] if len(sys.argv) > 3 else "",
         "access_token": t["access_token"], "refresh_token": t["refresh_token"],
         "access_token_expiration": datetime.datetime.fromtimestamp(exp).isoformat()}
elif fmt == "sasl-xoauth2":
    # sasl-xoauth2 TokenStore::Write: expiry as a decimal string
    d = {"access_token": t["access_token"], "refresh_token": t["refresh_token"], "expiry": str(int(exp))}
else:
    d = t
print(json.dumps(d))' "$@"
}
status_field() { "$MK" status "$1" --json 2>/dev/null | json "[0].get(\"$2\")"; }

u=20
for f in json mutt_oauth2 sasl-xoauth2; do
	u=$((u + 1))
	a=${f//[-_]/}
	acct "$a" "127.0.0.$u"
	grant >"$work/$a.answer" || bad "$f: get-token"
	# mutt_oauth2 keeps local time without a zone: run in a zone that is not UTC.
	TZ=Europe/Berlin to_format "$f" <"$work/$a.answer" >"$work/$a.in"
	TZ=Europe/Berlin "$MK" import "$a" --format "$f" <"$work/$a.in" 2>"$work/$a.err"
	rc=$?
	check "$f: import exits 0 ($rc: $(tr "\n" " " <"$work/$a.err" | head -c 300))" test $rc = 0
	check "$f: it says what it stored" grep -q "Imported the tokens of account $a" "$work/$a.err"
	# -e: a token may begin with '-'
	check "$f: the tokens stay off stderr" test "$(grep -cF -e "$(json '["refresh_token"]' <"$work/$a.answer")" \
		-e "$(json '["access_token"]' <"$work/$a.answer")" "$work/$a.err")" = 0
	left=$(status_field "$a" expires_in)
	check "$f: the stored expiry is the file's ($left s left, want ~3600; mutt_oauth2 read as local time)" \
		test "${left:-0}" -gt 3300 -a "${left:-0}" -le 3600
	check "$f: status says valid with a refresh token" test "$(status_field "$a" state) $(status_field "$a" has_refresh_token)" = "valid True"
	imported=$(json '["access_token"]' <"$work/$a.answer")
	check "$f: mailkey token hands out the imported token" test "$("$MK" token "$a")" = "$imported"
	r0=$(refreshes)
	"$MK" refresh "$a" 2>"$work/$a.rerr"
	rc=$?
	check "$f: mailkey refresh with the imported refresh token exits 0 ($rc: $(head -c 300 "$work/$a.rerr"))" test $rc = 0
	check "$f: one refresh_token grant at the provider" test "$(refreshes)" = $((r0 + 1))
	new=$("$MK" token "$a")
	check "$f: the token changed (rotation)" test -n "$new" -a "$new" != "$imported"
	check "$f: the new token is active at the provider" test "$(printf %s "$new" | introspect)" = True
	"$MK" check "$a" >"$work/$a.check" 2>&1
	rc=$?
	check "$f: mailkey check logs in over IMAP, SMTP, POP3 ($rc: $(tr '\n' ' ' <"$work/$a.check" | head -c 300))" test $rc = 0
done

# An expired access token (sasl-xoauth2's own starting file has expiry "0"):
# the first `mailkey token` refreshes.
acct exp 127.0.0.31
grant | to_format sasl-xoauth2 expired >"$work/exp.in"
"$MK" import exp --format sasl-xoauth2 <"$work/exp.in" 2>"$work/exp.err"
check "expired sasl-xoauth2 file: import exits 0" test $? = 0
check "it says the token is refreshed on first use" grep -q "refreshed on first use" "$work/exp.err"
r0=$(refreshes)
tok=$("$MK" token exp)
check "mailkey token refreshed once" test "$(refreshes)" = $((r0 + 1))
check "and hands out an active token" test "$(printf %s "$tok" | introspect)" = True

# Refused inputs: 65, nothing written. The store holds the accounts above.
acct fresh 127.0.0.32
before=$(store_sum)
bad_input() { # description format input
	printf '%s' "$3" | "$MK" import fresh --format "$2" >"$work/bad.out" 2>"$work/bad.err"
	local rc=$?
	check "$1: exit 65 ($rc: $(head -c 200 "$work/bad.err"))" test $rc = 65
	check "$1: the store is untouched" test "$(store_sum)" = "$before"
	check "$1: the message names what is wrong" grep -q "mailkey import: account fresh: nothing was stored" "$work/bad.err"
	check "$1: no value is echoed" test "$(grep -c SECRETVALUE "$work/bad.err")" = 0
}
bad_input "not JSON" json 'access_token=SECRETVALUE'
bad_input "truncated JSON" json '{"access_token":"SECRETVALUE'
bad_input "empty access token" json '{"access_token":"","refresh_token":"SECRETVALUE"}'
bad_input "CR LF in a token" json '{"access_token":"SECRETVALUE\r\nA1 LOGOUT"}'
bad_input "not Bearer" json '{"access_token":"SECRETVALUE","token_type":"mac"}'
bad_input "lifetime 0" json '{"access_token":"SECRETVALUE","expires_in":0}'
bad_input "lifetime over ten years" json '{"access_token":"SECRETVALUE","expires_in":999999999}'
bad_input "expired, no refresh token" json '{"access_token":"SECRETVALUE","expires_at":1000}'
bad_input "mutt file read as json" json '{"access_token":"SECRETVALUE","access_token_expiration":"","refresh_token":"x"}'
bad_input "mutt file never authorized" mutt_oauth2 '{"registration":"google","email":"a@b","access_token":"","access_token_expiration":"","refresh_token":""}'
bad_input "mutt bad time" mutt_oauth2 '{"access_token":"SECRETVALUE","access_token_expiration":"tomorrow","refresh_token":"x"}'
bad_input "sasl-xoauth2 without refresh token" sasl-xoauth2 '{"access_token":"SECRETVALUE","expiry":"0"}'
bad_input "sasl-xoauth2 bad expiry" sasl-xoauth2 '{"access_token":"SECRETVALUE","refresh_token":"x","expiry":"soon"}'
check "the message says which --format to use" grep -q -- "--format sasl-xoauth2\|expiry" "$work/bad.err"
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$work/big"
"$MK" import fresh <"$work/big" 2>"$work/big.err"
check "over 1 MiB on stdin: exit 65" test $? = 65
check "over 1 MiB: the store is untouched" test "$(store_sum)" = "$before"
check "over 1 MiB: says so" grep -q "over 1048576 bytes" "$work/big.err"
"$MK" status fresh --json >"$work/fresh.json" 2>/dev/null
check "status still shows no token for the account" test "$(json '[0]["state"]' <"$work/fresh.json")" = no-token

# Tokens already stored: 73 without --force, the store untouched; --force replaces.
grant >"$work/again.answer"
"$MK" import json <"$work/again.answer" 2>"$work/exists.err"
check "already stored: exit 73" test $? = 73
check "already stored: the store is untouched" test "$(store_sum)" = "$before"
check "already stored: it names --force" grep -q -- "--force" "$work/exists.err"
"$MK" import json --force <"$work/again.answer" 2>/dev/null
check "--force replaces: exit 0" test $? = 0
check "--force: the new token is handed out" test "$("$MK" token json)" = "$(json '["access_token"]' <"$work/again.answer")"

# Not configured: 64, before stdin is read. Usage errors: 64.
printf '{}' | "$MK" import nosuch 2>"$work/nosuch.err"
check "an account not configured: exit 64" test $? = 64
printf '{}' | "$MK" import fresh --format yaml 2>/dev/null
check "an unknown --format: exit 64" test $? = 64
printf '{}' | "$MK" import fresh SECRETVALUE 2>"$work/argv.err"
check "a token on the command line is refused: exit 64" test $? = 64

# The input says another client or endpoint: a warning, the tokens stored.
acct other 127.0.0.33
grant | python3 -c 'import json,sys; t=json.load(sys.stdin); print(json.dumps({"access_token":t["access_token"],"refresh_token":t["refresh_token"],"expiry":str(int(__import__("time").time())+600),"client_id":"someoneelse","token_endpoint":"https://login.example/token","user":"carol@example.test"}))' >"$work/other.in"
"$MK" import other --format sasl-xoauth2 <"$work/other.in" 2>"$work/other.err"
check "other client: import exits 0" test $? = 0
check "it warns about the client_id" grep -q "issued to client_id someoneelse" "$work/other.err"
check "it warns about the token endpoint" grep -q "refreshes at https://login.example/token" "$work/other.err"
check "it warns about the user" grep -q "the tokens are for carol@example.test" "$work/other.err"
finish
