#!/usr/bin/env bash
# The commands around the token, against the real provider with real logins
# through headless Chromium: accounts, config check, status, sasl --raw,
# login --no-browser, logout, revoke, and the exact text and exit code of the
# common failures (never logged in, unknown account, config errors, a denied
# login, invalid_grant, a provider that echoes the refresh token, the provider
# down). Exit codes as mailkey(1) says: 64 usage / unknown account, 66 no
# configuration file, 75 try later, 77 run `mailkey login`, 78 configuration.
. "$(dirname "$0")/lib.sh"
pyenv() { python3 -c "$1" "${@:2}"; }
# Expected text compared whole; on a difference both are shown.
same() { # description expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else
		bad "$1"
		printf '  expected: %s\n  actual:   %s\n' "$2" "$3"
	fi
}
exit_is() { # description expected-code command...
	local d=$1 want=$2 got
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" = "$want" ]; then ok "$d (exit $want)"; else
		bad "$d (exit $got, expected $want)"
		sed 's/^/  stderr: /' "$work/err"
	fi
}
hints() { grep -o 'mailkey login [^`]*`' "$1" | wc -l; }

account lab "$MK_CLIENT_ID" "imap = 127.0.0.1:$MK_IMAPS_PORT
smtp = 127.0.0.1:$MK_SMTP_PORT
smtp_tls = starttls"
account never "$MK_CLIENT_ID"
account nb "$MK_CLIENT_ID" "mech = xoauth2"
cfg=$MAILKEY_CONFIG

# accounts: the exact listing.
exit_is "accounts lists the configured accounts" 0 "$MK" accounts
same "accounts: exact output" "lab: generic, $MK_USER1, OAUTHBEARER  imap 127.0.0.1:$MK_IMAPS_PORT (TLS)  smtp 127.0.0.1:$MK_SMTP_PORT (STARTTLS)
never: generic, $MK_USER1, OAUTHBEARER
nb: generic, $MK_USER1, XOAUTH2" "$(cat "$work/out")"
exit_is "accounts --json" 0 "$MK" accounts --json
same "accounts --json names every account" "lab never nb" \
	"$(pyenv 'import json,sys; print(" ".join(a["account"] for a in json.load(open(sys.argv[1]))))' "$work/out")"
exit_is "accounts with an unexpected argument" 64 "$MK" accounts lab

# config check: the good config, then each kind of bad one.
exit_is "config check of a good config" 0 "$MK" config check
same "config check: exact output" "$cfg: OK, 3 accounts" "$(cat "$work/out")"
exit_is "config without 'check'" 64 "$MK" config
# The message names the installed guide (CMake's DOCDIR), not a source-tree path.
docdir="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")/share/doc/mailkey"
bad_config() { # description file-content expected-first-line-of-stderr
	printf '%s\n' "$2" >"$work/bad.conf"
	exit_is "config check: $1" 78 "$MK" --config "$work/bad.conf" config check
	same "config check: $1: file, line and reason" "$3" "$(head -1 "$work/err" | sed -E "${4:-}")"
	local c verb opt
	for c in accounts status "token a" "sasl a --raw" "revoke a" "logout a" "login a --no-browser"; do
		read -r verb opt <<<"$c"
		# shellcheck disable=SC2086
		exit_is "$c with $1" 78 "$MK" --config "$work/bad.conf" $verb $opt
	done
}
bad_config "a line that is not INI" "garbage line" \
	"$work/bad.conf:1: not an INI line (expected [section], key = value, or a # comment)"
bad_config "an unknown key" "[account a]
provider = generic
issuer = $MK_OP_ISSUER
user = u@example.test
client_id = x
frobnicate = 1" "$work/bad.conf:6: unknown key 'frobnicate' in [account a]"
bad_config "an unknown provider" "[account a]
provider = nope
user = u@example.test
client_id = x" "$work/bad.conf:2: unknown provider 'nope' (known: google, microsoft, yahoo, aol, generic)"
bad_config "a missing client_id" "[account a]
provider = google
user = u@example.test" "$work/bad.conf:2: [account a] has no 'client_id' (register one: $docdir/providers.md)"
bad_config "a bad port" "[account a]
provider = generic
issuer = $MK_OP_ISSUER
user = u@example.test
client_id = x
imap = 127.0.0.1:99999" "$work/bad.conf:6: '127.0.0.1:99999' is not HOST:PORT with a port from 1 to 65535"
bad_config "an account given twice" "[account a]
provider = google
user = u@example.test
client_id = x
[account a]
provider = google
user = v@example.test
client_id = y" "$work/bad.conf:L: [account a] appears twice" 's/:[56]: /:L: /'
# (the line of the second section header or of its first key)

# No configuration file: 66 everywhere, and the pointer an installed user has.
for c in "config check" accounts status "token lab" "sasl lab --raw" "revoke lab" "logout lab" "login lab --no-browser"; do
	# shellcheck disable=SC2086
	exit_is "$c without a configuration file" 66 "$MK" --config "$work/none" $c
done
same "no configuration: exact message" \
	"mailkey login: no configuration file at $work/none: create it with an [account NAME] section (see \`man mailkey\`, section CONFIGURATION)" \
	"$(cat "$work/err")"

# An empty configuration: status says so and exits 78; accounts says so, exit 0.
: >"$work/empty.conf"
exit_is "status with no accounts configured" 78 "$MK" --config "$work/empty.conf" status
same "status with no accounts: exact message" \
	"mailkey status: no accounts configured in $work/empty.conf: add an [account NAME] section (see \`man mailkey\`, section CONFIGURATION)" \
	"$(cat "$work/err")"
check "and prints nothing on standard output" test ! -s "$work/out"
exit_is "accounts with no accounts configured" 0 "$MK" --config "$work/empty.conf" accounts
same "accounts with no accounts: exact message" \
	"mailkey accounts: no accounts configured in $work/empty.conf: add an [account NAME] section (see \`man mailkey\`, section CONFIGURATION)" \
	"$(cat "$work/err")"

# Unknown account: 64 from every command that takes one.
for c in token "sasl --raw" status revoke logout "login --no-browser" refresh; do
	read -r verb opt <<<"$c"
	# shellcheck disable=SC2086
	exit_is "$c of an unknown account" 64 "$MK" $verb nosuch $opt
done
exit_is "token of an unknown account" 64 "$MK" token nosuch
same "unknown account: exact message" \
	"mailkey token: no account 'nosuch' in $cfg (configured: lab, never, nb)" "$(cat "$work/err")"

# Never logged in: 77 and the command that helps, once.
exit_is "token of an account never logged in" 77 "$MK" token never
same "never logged in: exact message" \
	"mailkey token: account never has no tokens yet: run \`mailkey login never\`" "$(cat "$work/err")"
exit_is "sasl --raw of an account never logged in" 77 "$MK" sasl never --raw
same "never logged in, sasl: exact message" \
	"mailkey sasl: account never has no tokens yet: run \`mailkey login never\`" "$(cat "$work/err")"
exit_is "status of an account never logged in" 77 "$MK" status never
exit_is "revoke of an account never logged in: nothing to do" 0 "$MK" revoke never
same "revoke with nothing stored: exact message" \
	"Account never has no stored tokens; nothing to revoke." "$(cat "$work/err")"
exit_is "logout of an account never logged in" 0 "$MK" logout never

# A real login through the browser, then status, sasl --raw.
BROWSER=$(browser approve "$work/page.json") "$MK" login lab --timeout 60 2>"$work/login.err"
check "login lab through the browser" test $? = 0
tok=$("$MK" token lab)
check "the token is active" test "$(printf %s "$tok" | introspect)" = True
exit_is "status of all accounts" 77 "$MK" status
"$MK" status --json >"$work/st.json"
scope=$(json '[0]["scope"]' <"$work/st.json")
left=$(json '[0]["expires_in"]' <"$work/st.json")
check "the provider's tokens live an hour (expires_in $left)" test "$left" -gt 3500 -a "$left" -le 3600
w=$(printf %s "$MK_USER1" | wc -c)
row() { printf "%-7s  %-8s  %-${w}s  %-9s  %s" "$@"; }
same "status: exact table" "$(row ACCOUNT STATE USER EXPIRES SCOPE)
$(row lab valid "$MK_USER1" "in 60 min" "$scope")
$(row never no-token "$MK_USER1" - -)
         -> no tokens yet: run \`mailkey login never\`
$(row nb no-token "$MK_USER1" - -)
         -> no tokens yet: run \`mailkey login nb\`" "$(cat "$work/out")"

exit_is "sasl --raw" 0 "$MK" sasl lab --raw
same "sasl --raw: OAUTHBEARER with ^A shown as \\001" "n,a=$MK_USER1,\\001auth=Bearer $tok\\001\\001" "$(cat "$work/out")"
raw=$(cat "$work/out")
same "sasl (base64) decodes to the --raw string" "$raw" \
	"$("$MK" sasl lab | base64 -d | pyenv 'import sys; print(sys.stdin.read().replace("\x01", "\\001"))')"
exit_is "sasl --raw --mech xoauth2" 0 "$MK" sasl lab --raw --mech xoauth2
same "sasl --raw: XOAUTH2 format" "user=$MK_USER1\\001auth=Bearer $tok\\001\\001" "$(cat "$work/out")"
exit_is "sasl with an unknown mechanism" 64 "$MK" sasl lab --raw --mech plain

# login --no-browser: the address is printed, the person opens it elsewhere.
"$MK" login nb --no-browser --timeout 60 2>"$work/nb.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -oE '^http[^ ]*/auth\?[^ ]*' "$work/nb.err" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
check "login --no-browser prints the address" test -n "$url"
check "and says to open it" grep -qx "Open this address in a browser to sign in to account nb:" "$work/nb.err"
for _ in $(seq 1 50); do grep -q "left" "$work/nb.err" && break; sleep 0.1; done
same "the wait line says what to do, not 'in your browser'" \
	"waiting for you to open the address above in a browser and approve… M:SS left" \
	"$(grep left "$work/nb.err" | head -1 | sed -E 's/[0-9]+:[0-9]{2} left/M:SS left/')"
node "$top/tests/browser/consent.mjs" --url "$url" --user "$MK_USER1" >"$work/nb.json" 2>&1
check "the browser, driven to that address, approves (consent.mjs exit $?)" test $? = 0
wait $pid
rc=$?
check "login --no-browser exits 0 (got $rc)" test $rc = 0
check "the wait line was printed once on a non-terminal" test "$(grep -c left "$work/nb.err")" = 1
tnb=$("$MK" token nb)
check "its token is active" test "$(printf %s "$tnb" | introspect)" = True
exit_is "sasl --raw of the XOAUTH2 account" 0 "$MK" sasl nb --raw
same "sasl --raw uses the account's mechanism" "user=$MK_USER1\\001auth=Bearer $tnb\\001\\001" "$(cat "$work/out")"

# A denied login: 77 and the message names `mailkey login ACCOUNT` once.
account deny "$MK_CLIENT_ID"
BROWSER=$(browser deny "$work/deny.json") "$MK" login deny --timeout 60 2>"$work/deny.err"
rc=$?
check "denied login exits 77 (got $rc)" test $rc = 77
check "the denied login names mailkey login deny" grep -qF 'run `mailkey login deny`' "$work/deny.err"
check "exactly once ($(hints "$work/deny.err"))" test "$(hints "$work/deny.err")" = 1

# logout: the store forgets the account; the token command then exits 77.
exit_is "logout" 0 "$MK" logout nb
same "logout: exact message" "Forgot the tokens of account nb on this machine." "$(cat "$work/err")"
"$MK" status nb --json >"$work/st.json"
check "the store no longer has the account" test "$(json '[0]["state"]' <"$work/st.json")" = no-token
exit_is "token after logout" 77 "$MK" token nb
exit_is "logout without an account" 64 "$MK" logout

# invalid_grant: an old refresh token replayed (the provider revokes the grant).
account ig "$MK_CLIENT_ID"
BROWSER=$(browser approve "$work/page-ig.json") "$MK" login ig --timeout 60 2>/dev/null
check "login ig" test $? = 0
cp "$MAILKEY_STATE_DIR/accounts/ig.tok" "$work/store.old"
exit_is "refresh ig (rotates the refresh token)" 0 "$MK" refresh ig
cp "$work/store.old" "$MAILKEY_STATE_DIR/accounts/ig.tok"
exit_is "refresh with a replayed refresh token" 77 "$MK" refresh ig
same "invalid_grant: exact message" \
	"mailkey refresh: refreshing account ig failed: the provider refused: invalid_grant (grant request is invalid): the grant is no longer valid: run \`mailkey login ig\` again" \
	"$(cat "$work/err")"
exit_is "token afterwards, without asking the provider" 77 "$MK" token ig
same "needs a new login: exact message" \
	"mailkey token: account ig needs a new login (the provider refused: invalid_grant (grant request is invalid): the grant is no longer valid: run \`mailkey login ig\` again)" \
	"$(cat "$work/err")"
exit_is "status ig" 77 "$MK" status ig
same "status ig: the reason and the fix, once" \
	"         -> the last refresh failed: the provider refused: invalid_grant (grant request is invalid): the grant is no longer valid: run \`mailkey login ig\` again" \
	"$(sed -n 3p "$work/out")"

# A token endpoint that echoes the refresh token in error_description (the
# real provider does not, hence this small server): the secret is neither
# shown nor stored.
cat >"$work/echo.py" <<'PY'
import http.server, json, sys, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        body = json.dumps({"error": "invalid_grant",
                           "error_description": "refresh token %s is not valid" % form["refresh_token"][0]}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/echo.py" >"$work/echo.port" &
echo_pid=$!
for _ in $(seq 1 50); do [ -s "$work/echo.port" ] && break; sleep 0.1; done
rt=rt-$(head -c 24 /dev/urandom | base64 | tr -d '+/=')
account echo "$MK_CLIENT_ID"
printf 'expired-access-token\n%s\n' "$rt" | MK_SEED_TOKEN_ENDPOINT="http://127.0.0.1:$(cat "$work/echo.port")/token" \
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" echo -100
exit_is "refresh refused by the echoing server" 77 "$MK" token echo
kill "$echo_pid"
check "the refusal does not show the refresh token" sh -c "! grep -qF -- '$rt' '$work/err'"
check "it shows where it was instead" grep -qF "refresh token <redacted> is not valid" "$work/err"
exit_is "the stored last error, read back" 0 "$build/tests/tools/mk-store-show" "$MAILKEY_STATE_DIR" echo
same "the store keeps it redacted" \
	"the provider refused: invalid_grant (refresh token <redacted> is not valid): the grant is no longer valid: run \`mailkey login\` again" \
	"$(cat "$work/out")"
# A store written before this redaction existed: shown redacted all the same.
account old "$MK_CLIENT_ID"
printf 'an-access-token-1\n%s\nthe provider refused: invalid_grant (refresh token %s is not valid)\n' "$rt" "$rt" |
	MK_SEED_NEEDS_CONSENT=1 "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" old -60
exit_is "status of the seeded account" 77 "$MK" status old
check "status does not show the stored refresh token" sh -c "! grep -qF -- '$rt' '$work/out'"
same "status shows the reason, redacted, and the fix" \
	"         -> the last refresh failed: the provider refused: invalid_grant (refresh token <redacted> is not valid): run \`mailkey login old\`" \
	"$(sed -n 3p "$work/out")"
same "status: the expiry in words" "expired 60 s ago" "$(sed -n 2p "$work/out" | grep -oE 'expired [0-9]+ s ago' | sed -E 's/6[01] s/60 s/')"
exit_is "status --json of the seeded account" 77 "$MK" status old --json
check "status --json does not show it" sh -c "! grep -qF -- '$rt' '$work/out'"
same "status --json: last_error redacted" "the provider refused: invalid_grant (refresh token <redacted> is not valid)" \
	"$(json '[0]["last_error"]' <"$work/out")"

# The mail server refuses the token and there is no refresh token to get a
# new one. The token has not expired, so the refusal may be the server not
# reaching the provider: 75 (the caller keeps the mail), the server's
# reason, and the login hint once, with the name.
account refused "$MK_CLIENT_ID" "smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2"
printf 'not-a-valid-token\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" refused 3600
printf 'Subject: never\n\nx\n' >"$work/msg"
exit_is "send with an unexpired token the server refuses, no refresh token" 75 sh -c '"$0" send --account refused "$1" <"$2"' "$MK" "$MK_USER2" "$work/msg"
same "server refused login: exact message" \
	"mailkey send: SMTP refused the login: 535 5.7.8 Error: authentication failed: (reason unavailable); the server refused the token (status 401, scope mail): it is expired, revoked or for another user; no new token could be had (try again later): account refused has no refresh token to get another, and the current one is valid for N s more (if servers keep refusing it, it was revoked: run \`mailkey login refused\`)" \
	"$(grep '^mailkey send:' "$work/err" | sed 's/valid for [0-9]* s more/valid for N s more/')"
check "the hint is there once ($(hints "$work/err"))" test "$(hints "$work/err")" = 1
# Once it has expired, without a refresh token the grant is gone: 77,
# before any server is contacted.
account refusedx "$MK_CLIENT_ID" "smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2"
printf 'expired-token\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" refusedx -10
# A refresh is due (less than the margin left) but there is no refresh
# token: the token is handed out while it lasts, and the account is not
# marked as needing a login.
account due "$MK_CLIENT_ID"
printf 'still-good-for-a-minute\n' | MK_SEED_AGE=3540 "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" due 60
exit_is "token due for refresh, no refresh token, not expired" 0 "$MK" token due
same "the current token is handed out" "still-good-for-a-minute" "$(cat "$work/out")"
"$MK" status due --json >"$work/st.json"
same "and the account does not need a login" valid "$(json '[0]["state"]' <"$work/st.json" | sed 's/refresh-due/valid/')"
exit_is "send with an expired token and no refresh token" 77 sh -c '"$0" send --account refusedx "$1" <"$2"' "$MK" "$MK_USER2" "$work/msg"
check "names mailkey login refusedx, once ($(hints "$work/err"))" sh -c "test $(hints "$work/err") = 1 && grep -q 'mailkey login refusedx' '$work/err'"

# revoke: the grant ends at the provider; the store forgets it.
BROWSER=$(browser approve "$work/page-rev.json") "$MK" login nb --timeout 60 2>/dev/null
check "login nb again" test $? = 0
tnb=$("$MK" token nb)
exit_is "revoke" 0 "$MK" revoke nb
same "revoke: exact message" "Revoked the grant of account nb at the provider." "$(cat "$work/err")"
check "the token is no longer active at the provider" test "$(printf %s "$tnb" | introspect)" = False
exit_is "token after revoke" 77 "$MK" token nb
exit_is "revoke without an account" 64 "$MK" revoke

# The provider down: 75 (try later), the store untouched.
BROWSER=$(browser approve "$work/page-dn.json") "$MK" login nb --timeout 60 2>/dev/null
check "login nb once more" test $? = 0
# A refresh first writes the record back as it is (proof that the store takes
# a write before the provider rotates anything): compare what it holds.
held() { "$build/tests/tools/mk-store-show" --token "$MAILKEY_STATE_DIR" nb; "$build/tests/tools/mk-store-show" "$MAILKEY_STATE_DIR" nb; }
sum=$(held 2>&1 | sha256sum)
kill -TERM "$(awk '$1=="op"{print $2}' "$work/srv/pids")"
for _ in $(seq 1 50); do curl -s -o /dev/null "$MK_OP_ISSUER" || break; sleep 0.1; done
exit_is "refresh with the provider down" 75 "$MK" refresh nb
same "provider down: exact message" \
	"mailkey refresh: refreshing account nb failed: cannot reach $MK_OP_ISSUER/token: Failed to connect to 127.0.0.1 port $MK_OP_PORT after N ms: Couldn't connect to server: try again later" \
	"$(sed -E 's/after [0-9]+ ms/after N ms/' "$work/err")"
exit_is "revoke with the provider down" 75 "$MK" revoke nb
exit_is "login --no-browser with the provider down" 75 "$MK" login nb --no-browser --timeout 5
check "the store holds the same tokens and no new error" test "$(held 2>&1 | sha256sum)" = "$sum"
exit_is "a still-valid token is handed out" 0 "$MK" token nb
exit_is "and sasl --raw works" 0 "$MK" sasl nb --raw
account dn "$MK_CLIENT_ID"
printf 'an-expired-token\nrt-for-a-provider-that-is-down\n' | MK_SEED_TOKEN_ENDPOINT="$MK_OP_ISSUER/token" \
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" dn -10
exit_is "sasl --raw of an expired token with the provider down" 75 "$MK" sasl dn --raw
exit_is "token of an expired token with the provider down" 75 "$MK" token dn
check "and no token is printed" test ! -s "$work/out"
check "no secret in any error output" sh -c "! grep -qF -e '$tok' -e '$tnb' -e '$rt' '$work'/*.err"
finish
