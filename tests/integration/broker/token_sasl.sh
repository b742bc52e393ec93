#!/usr/bin/env bash
# `mailkey token --refresh` against the real oidc-provider: a forced refresh
# with the provider up (a new token), with it down while the current token is
# valid (that token, a warning, exit 0) and after it expired (exit 75), and a
# revoked grant (77). `mailkey sasl --host` without --port (and the reverse)
# is a usage error (64). Logins use the real code flow; the "browser" is curl
# walking the provider's login and consent forms (no Chromium needed).
export MK_SHORT_TTL=${MK_SHORT_TTL:-8}
. "$(dirname "$0")/lib.sh"

# BROWSER for mailkey login: follow the provider's pages as a person would
# (sign in, approve), then load the loopback callback mailkey listens on.
cat >"$work/curl-browser" <<'SH'
#!/usr/bin/env bash
set -u
url=$1 jar=$(mktemp) iss=$MK_OP_ISSUER
enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
for _ in $(seq 1 12); do
	case $url in
	"$iss"/interaction/*)
		page=$(curl -sS -b "$jar" -c "$jar" "$url")
		if grep -q 'name="prompt" value="login"' <<<"$page"; then
			form="prompt=login&login=$(enc "$MK_USER1")&password=x"
		else
			form="prompt=consent"
		fi
		url=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" --data "$form" "$url") ;;
	"$iss"/*)
		url=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" "$url") ;;
	http://127.0.0.1:*/callback* | http://localhost:*/callback*)
		curl -sS -o /dev/null "$url"; rm -f "$jar"; exit 0 ;;
	*)
		echo "curl-browser: unexpected address $url" >&2; rm -f "$jar"; exit 1 ;;
	esac
done
rm -f "$jar"
exit 1
SH
chmod +x "$work/curl-browser"
export MK_OP_ISSUER MK_USER1
login() { # account
	BROWSER=$work/curl-browser "$MK" login "$1" --timeout 60 >/dev/null 2>"$work/login-$1.err"
}
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
account alice "$MK_CLIENT_ID"
account gone "$MK_CLIENT_ID"
account short "$MK_SHORT_CLIENT_ID"
login alice
check "login alice through the code flow ($?)" test $? = 0
login gone
check "login gone ($?)" test $? = 0
login short
check "login short (tokens of $MK_SHORT_TTL s) ($?)" test $? = 0

# sasl: --host and --port go together; XOAUTH2 has neither field.
"$MK" sasl alice --host 127.0.0.1 >"$work/s1" 2>"$work/s1.err"
rc=$?
check "sasl --host without --port: exit 64 ($rc)" test $rc = 64
check "the message says to give both" grep -q -- '--host without --port: give both' "$work/s1.err"
check "and no string is printed" test ! -s "$work/s1"
"$MK" sasl alice --port 993 >"$work/s2" 2>"$work/s2.err"
check "sasl --port without --host: exit 64 ($?)" test $? = 64
"$MK" sasl alice --mech xoauth2 --host 127.0.0.1 --port 993 >"$work/s3" 2>"$work/s3.err"
check "sasl --mech xoauth2 --host --port: exit 64 ($?), OAUTHBEARER only" \
	grep -q 'OAUTHBEARER only' "$work/s3.err"
"$MK" sasl alice --host 127.0.0.1 --port 993 --raw >"$work/s4" 2>/dev/null
check "sasl --host --port (OAUTHBEARER) carries both fields ($?)" \
	grep -q '\\001host=127.0.0.1\\001port=993\\001auth=Bearer ' "$work/s4"

# token --refresh with the provider up: a new token, one refresh request.
t1=$("$MK" token alice)
before=$(refreshes)
t2=$("$MK" token alice --refresh)
rc=$?
check "token --refresh exits 0 ($rc) and prints a new token" test $rc = 0 -a -n "$t2" -a "$t2" != "$t1"
after=$(refreshes)
check "with exactly one refresh request ($((after - before)))" test $((after - before)) = 1
check "and the new token is active" test "$(printf %s "$t2" | introspect)" = True

# A revoked grant: invalid_grant, exit 77 naming `mailkey login gone`.
tg=$("$MK" token gone)
check "the provider revokes gone's grant" test "$(printf %s "$tg" | curl -sS -o /dev/null -w '%{http_code}' \
	"$MK_OP_ISSUER/token/revocation" --data-urlencode "client_id=$MK_CLIENT_ID" --data-urlencode "token@-")" = 200
"$MK" token gone --refresh >"$work/g.out" 2>"$work/g.err"
rc=$?
check "token --refresh of a revoked grant: exit 77 ($rc)" test $rc = 77
check "naming mailkey login gone, printing nothing" sh -c "grep -q 'mailkey login gone' '$work/g.err' && test ! -s '$work/g.out'"

# Wait until short's token has expired (status says so; no fixed sleep).
for _ in $(seq 1 200); do
	[ "$("$MK" status short --json | json '[0]["state"]')" = expired ] && break
	sleep 0.1
done
check "short's token has expired" test "$("$MK" status short --json | json '[0]["state"]')" = expired

# The provider down.
kill -TERM "$(awk '$1=="op"{print $2}' "$work/srv/pids")"
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$MK_OP_PORT") 2>/dev/null || break
	sleep 0.1
done
check "the provider is down" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$MK_OP_PORT) 2>/dev/null"
"$MK" token alice --refresh >"$work/d.out" 2>"$work/d.err"
rc=$?
check "provider down, token still valid: token --refresh exits 0 ($rc)" test $rc = 0
check "and prints the current token" test "$(cat "$work/d.out")" = "$t2"
check "with a warning on stderr saying the refresh failed ($(head -c 300 "$work/d.err"))" \
	sh -c "grep -q 'refreshing account alice failed' '$work/d.err' && grep -q 'printing the current token, which is valid for' '$work/d.err'"
"$MK" token short --refresh >"$work/e.out" 2>"$work/e.err"
rc=$?
check "provider down, token expired: token --refresh exits 75 ($rc)" test $rc = 75
check "printing no token, saying what failed" sh -c "test ! -s '$work/e.out' && grep -q 'refreshing account short failed' '$work/e.err'"
"$MK" token short >/dev/null 2>&1
check "and plain token too: 75 ($?)" test $? = 75
check "no token in any error output" sh -c "! grep -qF -e '$t1' -e '$t2' -e '$tg' '$work'/*.err"
finish
