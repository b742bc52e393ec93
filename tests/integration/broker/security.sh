#!/usr/bin/env bash
# The holes of the outside review (issue 7), each against the real provider
# and a real browser: the plain-http guard in `config check`, a login
# listener held by idle and slowloris connections, consent given as the
# wrong person, white space around a pasted address, an issuer with a
# trailing slash, and what the browser pages say.
. "$(dirname "$0")/lib.sh"

# A BROWSER that first starts hog.py against the listener (from the
# redirect_uri of the authorization URL), waits until its connections are
# in, then lets Chromium consent as $2.
hog_browser() { # outfile user
	cat >"$work/browser-hog" <<SH
#!/bin/sh
cb=\$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0]).port)' "\$1")
python3 "$top/tests/integration/broker/hog.py" "\$cb" "$work/hog.ready" 24 4 &
echo \$! >"$work/hog.pid"
i=0; while [ ! -s "$work/hog.ready" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
exec node "$top/tests/browser/consent.mjs" --user "$2" --url "\$1" >"$1" 2>&1
SH
	chmod +x "$work/browser-hog"
	echo "$work/browser-hog"
}
stop_hog() {
	[ -s "$work/hog.pid" ] && kill "$(cat "$work/hog.pid")" 2>/dev/null
	rm -f "$work/hog.pid" "$work/hog.ready"
}
trap 'stop_hog; cleanup' EXIT

# --- The login listener: 24 idle connections and 4 slowloris ones (every
# closed one reopened at once) must not keep the real callback out.
account hogged "$MK_CLIENT_ID"
t0=$(date +%s)
BROWSER=$(hog_browser "$work/hog.json" "$MK_USER1") "$MK" login hogged --timeout 45 2>"$work/hog.err"
rc=$?
t1=$(date +%s)
check "the hog held its connections while the browser logged in" test "$(cat "$work/hog.ready" 2>/dev/null)" = 28
stop_hog
check "login through a listener held by 28 other connections exits 0 (got $rc)" test $rc = 0
check "and within 30 s (took $((t1 - t0)) s)" test $((t1 - t0)) -lt 30
wait_file "$work/hog.json"
check "the browser got the success page" grep -q "mailkey is connected" "$work/hog.json"

# The same hog and nobody consenting: --timeout 6 still ends the login.
cat >"$work/browser-nobody" <<SH
#!/bin/sh
cb=\$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0]).port)' "\$1")
python3 "$top/tests/integration/broker/hog.py" "\$cb" "$work/hog.ready" 24 4 >/dev/null 2>&1 &
echo \$! >"$work/hog.pid"
SH
chmod +x "$work/browser-nobody"
account nobody "$MK_CLIENT_ID"
t0=$(date +%s)
BROWSER=$work/browser-nobody "$MK" login nobody --timeout 6 2>"$work/nobody.err"
rc=$?
t1=$(date +%s)
stop_hog
check "a hogged login nobody answers ends with 75 (got $rc)" test $rc = 75
check "after its --timeout of 6 s (took $((t1 - t0)) s)" test $((t1 - t0)) -le 12
check "and says so" grep -q "no answer from the browser within 6 s" "$work/nobody.err"

# --- config check applies the plain-http guard to every configured URL.
for url in "HTTP://127.0.0.2:9" "http://127.0.0.1@127.0.0.2:9" "http://localhost.example.com/" \
	"http://127.0.0.1.nip.io/" "http://localhost./"; do
	printf '[account x]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = c\n' "$url" "$MK_USER1" >"$work/badurl.conf"
	"$MK" --config "$work/badurl.conf" config check >/dev/null 2>"$work/badurl.err"
	rc=$?
	check "config check refuses issuer $url (exit 78, got $rc)" \
		sh -c "test $rc = 78 && grep -q 'badurl.conf:3: issuer: ' '$work/badurl.err'"
done
printf '[account x]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = c\ntoken_endpoint = http://[::1]:9/t\n' \
	"$MK_OP_ISSUER" "$MK_USER1" >"$work/goodurl.conf"
"$MK" --config "$work/goodurl.conf" config check >"$work/goodurl.out" 2>&1
check "config check accepts http to 127.0.0.1 and [::1] (got $?)" grep -q "OK, 1 account" "$work/goodurl.out"
for f in /dev/zero "$work"; do
	timeout 10 "$MK" --config "$f" config check >/dev/null 2>"$work/notfile.err"
	rc=$?
	check "config check refuses $f at once (exit 78, got $rc)" test $rc = 78
done
# Bad input in the file itself: each named at its line, exit 78.
base="[account x]\nprovider = generic\nissuer = $MK_OP_ISSUER\nuser = $MK_USER1\n"
cfgcase() { # description expected-line-text printf-tail [mode]
	printf "$base$3" >"$work/case.conf"
	chmod "${4:-600}" "$work/case.conf"
	"$MK" --config "$work/case.conf" config check >/dev/null 2>"$work/case.err"
	local rc=$?
	check "config check: $1 (exit 78, got $rc)" sh -c "test $rc = 78 && grep -qF '$2' '$work/case.err'"
}
cfgcase "a NUL in a value" "case.conf:5: this line contains a NUL byte" 'client_id = c\000d\n'
cfgcase "a 50 KB key at its line" "case.conf:5: this line is 50004 characters long" \
	"$(head -c 50000 /dev/zero | tr '\0' k) = 1\nclient_id = c\n"
cfgcase "and the next line keeps its number" "case.conf:6: unknown key" \
	"$(head -c 50000 /dev/zero | tr '\0' k) = 1\nbogus = 2\nclient_id = c\n"
cfgcase "an inline client_secret in a file others can read" "case.conf:6: client_secret is in" \
	'client_id = c\nclient_secret = s\n' 644
printf "${base}client_id = c\nimap = localhost\nsmtp = localhost\n" >"$work/case.conf"
chmod 600 "$work/case.conf"
"$MK" --config "$work/case.conf" config check >"$work/case.out" 2>&1
check "config check accepts servers without a port (got $?)" grep -q "OK, 1 account" "$work/case.out"

# --- Consent given as the wrong person: refused, both named, nothing stored.
account wronguser "$MK_CLIENT_ID"
cat >"$work/browser-bob" <<SH
#!/bin/sh
exec node "$top/tests/browser/consent.mjs" --user "$MK_USER2" --url "\$1" >"$work/bob.json" 2>&1
SH
chmod +x "$work/browser-bob"
rev0=$(counts | json '["revocation"]')
BROWSER=$work/browser-bob "$MK" login wronguser --timeout 60 2>"$work/bob.err"
rc=$?
rev1=$(counts | json '["revocation"]')
check "consent as $MK_USER2 for an account of $MK_USER1 exits 77 (got $rc)" test $rc = 77
check "the message names both" sh -c "grep -qF '$MK_USER2' '$work/bob.err' && grep -qF '$MK_USER1' '$work/bob.err'"
check "and says nothing was stored" grep -q "nothing was stored" "$work/bob.err"
check "the other person's grant was revoked at the provider ($rev0 -> $rev1 revocations)" test "$rev1" -gt "$rev0"
wait_file "$work/bob.json"
check "the browser page names both too" \
	sh -c "grep -qF '$MK_USER2' '$work/bob.json' && grep -qF '$MK_USER1' '$work/bob.json'"
"$MK" token wronguser >/dev/null 2>&1
check "no token was stored for it (token exits 77, got $?)" test $? = 77
# The device flow checks it too.
account wrongdev "$MK_CLIENT_ID"
"$MK" login wrongdev --device --timeout 60 2>"$work/wrongdev.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -oE 'open http[^ ]*user_code=[^ )]*' "$work/wrongdev.err" | head -1 | cut -d' ' -f2)
	[ -n "$url" ] && break
	sleep 0.1
done
node "$top/tests/browser/consent.mjs" --device-url "$url" --user "$MK_USER2" >"$work/wrongdev.json" 2>&1
check "the device code approved as $MK_USER2 in the browser" test $? = 0
wait $pid
rc=$?
check "device login as the wrong person exits 77 (got $rc)" \
	sh -c "test $rc = 77 && grep -qF '$MK_USER2' '$work/wrongdev.err' && grep -qF '$MK_USER1' '$work/wrongdev.err'"
"$MK" token wrongdev >/dev/null 2>&1
check "and stores nothing (token exits 77, got $?)" test $? = 77
# A provider whose ID token names nobody: the userinfo answer says who it
# was (the test provider's client "userinfoclient", see server.mjs).
account wrongui userinfoclient
cat >"$work/browser-bob2" <<SH
#!/bin/sh
exec node "$top/tests/browser/consent.mjs" --user "$MK_USER2" --url "\$1" >"$work/bob2.json" 2>&1
SH
chmod +x "$work/browser-bob2"
me0=$(grep -c ' GET /me 200 ' "$work/srv/op.log")
BROWSER=$work/browser-bob2 "$MK" login wrongui --timeout 60 2>"$work/bob2.err"
rc=$?
me1=$(grep -c ' GET /me 200 ' "$work/srv/op.log")
check "mailkey asked the userinfo endpoint ($me0 -> $me1 answers)" test "$me1" -gt "$me0"
check "consent as $MK_USER2, known from userinfo only, exits 77 (got $rc)" \
	sh -c "test $rc = 77 && grep -qF '$MK_USER2' '$work/bob2.err'"
account rightui userinfoclient
BROWSER=$(browser approve "$work/rightui.json") "$MK" login rightui --timeout 60 2>"$work/rightui.err"
check "and as $MK_USER1 it succeeds (got $?)" test $? = 0
# The right person still gets in (the check can pass).
# It goes through a browser that first sends a forged callback (wrong
# state): that page's text for a tab mailkey opened, with no literal backticks.
account rightuser "$MK_CLIENT_ID"
cat >"$work/browser-forge" <<SH
#!/bin/sh
cb=\$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0])' "\$1")
curl -s -o "$work/forged-b.html" "\$cb?code=stolen&state=forged"
exec node "$top/tests/browser/consent.mjs" --user "$MK_USER1" --url "\$1" >"$work/right.json" 2>&1
SH
chmod +x "$work/browser-forge"
BROWSER=$work/browser-forge "$MK" login rightuser --timeout 60 2>"$work/right.err"
check "consent as $MK_USER1 for that account exits 0 (got $?)" test $? = 0
check "the forged-state page (browser opened) has no literal backticks" \
	sh -c "grep -q 'does not belong' '$work/forged-b.html' && ! grep -q '\`' '$work/forged-b.html'"
check "it renders the command as <code>" grep -q "<code>mailkey login</code>" "$work/forged-b.html"
check "and speaks of the tab mailkey opened" grep -q "browser tab that mailkey opened" "$work/forged-b.html"
check "the terminal waited 'in your browser'" grep -q "waiting for consent in your browser" "$work/right.err"

# --- --no-browser: the person opens the printed address; the pages and the
# progress line say so, not "the tab that mailkey opened".
account nobrowser "$MK_CLIENT_ID"
"$MK" login nobrowser --no-browser --timeout 60 2>"$work/nb.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -oE '^http[^ ]*/auth\?[^ ]*' "$work/nb.err" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
check "--no-browser prints the address" test -n "$url"
cb=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0])' "$url")
curl -s -o "$work/forged-nb.html" "$cb?code=stolen&state=forged"
check "the forged-state page (--no-browser) speaks of the printed address" \
	grep -q "the address that mailkey printed" "$work/forged-nb.html"
check "not of a tab mailkey opened, and has no backticks" \
	sh -c "! grep -q 'mailkey opened' '$work/forged-nb.html' && ! grep -q '\`' '$work/forged-nb.html'"
node "$top/tests/browser/consent.mjs" --url "$url" --user "$MK_USER1" >"$work/nb.json" 2>&1
wait $pid
rc=$?
check "--no-browser login exits 0 (got $rc)" test $rc = 0
check "its progress line does not say 'in your browser'" \
	sh -c "grep -q 'waiting for you to open the address above in a browser and approve' '$work/nb.err' && ! grep -q 'in your browser' '$work/nb.err'"
check "the wrong-user page said mailkey failed, not the provider" \
	sh -c "grep -q 'mailkey could not finish the login' '$work/bob.json' && ! grep -q 'provider reported' '$work/bob.json'"

# A real error from the provider (prompt=none without a session:
# login_required) is the provider's page, not "mailkey could not finish".
account provfail "$MK_CLIENT_ID" "auth_params = prompt=none"
BROWSER=$(browser approve "$work/provfail.json") "$MK" login provfail --timeout 60 2>"$work/provfail.err"
rc=$?
check "a provider error (login_required) fails the login (got $rc)" sh -c "test $rc != 0 && grep -q login_required '$work/provfail.err'"
wait_file "$work/provfail.json"
check "and the page says the provider reported it" grep -q "The provider reported an error" "$work/provfail.json"

# --- The manual flow with white space around the pasted address (a
# trailing space, CR LF, leading blanks): still the right address.
account manws "$MK_CLIENT_ID"
mkfifo "$work/paste"
"$MK" login manws --manual <"$work/paste" 2>"$work/manws.err" &
pid=$!
exec 3>"$work/paste"
url=
for _ in $(seq 1 100); do
	url=$(grep -oE '^http[^ ]*/auth\?[^ ]*' "$work/manws.err" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
node "$top/tests/browser/consent.mjs" --url "$url" --user "$MK_USER1" >"$work/manws.json" 2>&1
final=$(json '["url"]' <"$work/manws.json")
check "the final address carries iss last (so a trailing space would land in it)" \
	sh -c "echo '$final' | grep -qE '[?&]iss=[^&]*$'"
printf '  \t%s \r\n' "$final" >&3
exec 3>&-
wait $pid
rc=$?
check "manual login with a padded paste exits 0 (got $rc)" test $rc = 0
check "without a mix-up alarm" sh -c "! grep -q 'mix-up' '$work/manws.err'"
"$MK" token manws >/dev/null 2>&1
check "and stored a token (got $?)" test $? = 0

# --- An issuer written with a trailing slash (the test provider's has none):
# discovery tolerates the slash and the login works.
printf '[account slash]\nprovider = generic\nissuer = %s/\nuser = %s\nclient_id = %s\ncafile = %s\n\n' \
	"$MK_OP_ISSUER" "$MK_USER1" "$MK_CLIENT_ID" "$MK_CA_FILE" >>"$MAILKEY_CONFIG"
"$MK" config check >"$work/slash.check" 2>&1
check "config check accepts the issuer with a slash (got $?)" grep -q "OK" "$work/slash.check"
BROWSER=$(browser approve "$work/slash.json") "$MK" login slash --timeout 60 2>"$work/slash.err"
rc=$?
check "login with issuer '$MK_OP_ISSUER/' exits 0 (got $rc)" test $rc = 0

finish
