# Shared by the client-recipe tests (tests/integration/clients/NAME.sh, one
# per docs/clients/NAME.md). Each test runs the real client with the
# configuration its recipe shows, against the loopback servers, with a grant
# from a real `mailkey login` (headless Chromium consents) of the provider's
# `shortlived` client, whose access tokens live 20 s: so a test can prove a
# login, a send, a read, and the same again after the token has expired.
#
# The recipes are written for Gmail; `recipe BLOCK` returns a block of the
# doc with the test's servers put in:
#   imap.gmail.com smtp.gmail.com pop.gmail.com  -> localhost (the test
#                                                   certificate's DNS name)
#   993 143 465 587 995 110 (whole words, not after . or -)        -> the servers' ports
#   you@gmail.com -> $MK_USER1 (alice), friend@example.org -> $MK_USER2 (bob)
#   /home/you -> $HOME (a fresh directory of the test's)
#   /etc/ssl/certs/ca-certificates.crt -> the test CA ($MK_CA_FILE)
# and `mailkey` on PATH is this build's. A block the doc marks
# `<!-- recipe: BLOCK -->` that the test never asked for fails the test
# (finish_clients), as does a block the test asks for that the doc lacks.
# shellcheck disable=SC1091,SC2034
export MK_SHORT_TTL=${MK_SHORT_TTL:-20}
. "$(dirname "${BASH_SOURCE[0]}")/../daemon/lib.sh"
cname=$(basename "$0" .sh)
DOC=$top/docs/clients/$cname.md
export HOME=$work/home
mkdir -p "$HOME" "$work/bin"
chmod 700 "$HOME"
ln -sf "$MK" "$work/bin/mailkey"
export PATH=$work/bin:$PATH
recipes_used=" "

# client_account [NAME [EXTRA]]: account NAME (default gmail) of the test
# provider's shortlived client, alice, with the test servers (IMAPS, POP3S,
# submission with STARTTLS) and the test CA.
client_account() {
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = localhost:%s\npop3 = localhost:%s\nsmtp = localhost:%s\nsmtp_tls = starttls\n%s\n\n' \
		"${1:-gmail}" "$MK_OP_ISSUER" "$MK_USER1" "$MK_SHORT_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAPS_PORT" \
		"$MK_POP3S_PORT" "$MK_SMTP_PORT" "${2:-}" >>"$MAILKEY_CONFIG"
}
# client_login [NAME]: `mailkey login NAME` through headless Chromium (the
# person approves); checked, and the grant is stored.
client_login() {
	local n=${1:-gmail} rc
	BROWSER=$(browser approve "$work/consent.$n.json") mailkey login "$n" --timeout 90 >"$work/login.$n.out" 2>"$work/login.$n.err"
	rc=$?
	check "mailkey login $n through the browser (exit $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || sed 's/^/  login: /' "$work/login.$n.err"
	return "$rc"
}
# recipe BLOCK: the doc's block BLOCK with the test's servers, on stdout.
recipe() {
	recipes_used="$recipes_used$1 "
	python3 - "$DOC" "$1" "$HOME" "$MK_USER1" "$MK_USER2" "$MK_CA_FILE" \
		"993=$MK_IMAPS_PORT" "143=$MK_IMAP_PORT" "465=$MK_SMTPS_PORT" "587=$MK_SMTP_PORT" \
		"995=$MK_POP3S_PORT" "110=$MK_POP3_PORT" <<'PY'
import re, sys
doc, name, home, u1, u2, ca = sys.argv[1:7]
ports = dict(a.split("=") for a in sys.argv[7:])
try:
    t = open(doc).read()
except OSError as e:
    sys.exit("recipe %s: %s" % (name, e))
m = re.search(r"<!-- recipe: %s -->\n```[a-z0-9-]*\n(.*?\n)```\n" % re.escape(name), t, re.S)
if not m:
    sys.exit("%s has no block marked <!-- recipe: %s -->" % (doc, name))
b = m.group(1)
b = re.sub(r"\b(imap|smtp|pop)\.gmail\.com\b", "localhost", b)
b = re.sub(r"(?<![\w.-])(%s)\b" % "|".join(ports), lambda x: ports[x.group(1)], b)
b = b.replace("you@gmail.com", u1).replace("friend@example.org", u2)
b = b.replace("/home/you", home).replace("/etc/ssl/certs/ca-certificates.crt", ca)
sys.stdout.write(b)
PY
}
# recipe_to BLOCK FILE: the block into FILE (0600; directories made).
recipe_to() {
	local um rc
	mkdir -p "$(dirname "$2")"
	um=$(umask)
	umask 077 # not a subshell: recipe records the block as used
	recipe "$1" >"$2"
	rc=$?
	umask "$um"
	return $rc
}
# expires_at [NAME]: the stored access token's expiry (Unix time).
expires_at() {
	mailkey status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for a in d if isinstance(d, list) else d.get("accounts", []):
    if a.get("account") == sys.argv[1]:
        print(a.get("expires_at", 0))' "${1:-gmail}"
}
# await_expiry [NAME]: sleep until the token the store holds now has expired
# (at most 40 s), so the client's next login needs a refresh.
await_expiry() {
	local e n
	e=$(expires_at "${1:-gmail}")
	[ -n "$e" ] && [ "$e" -gt 0 ] || { bad "no expiry known for ${1:-gmail}"; return 1; }
	n=$(date +%s)
	[ $((e - n)) -le 40 ] || { bad "token of ${1:-gmail} lives $((e - n)) s, not ~20 s"; return 1; }
	[ "$e" -ge "$n" ] && sleep $((e - n + 1))
	return 0
}
# run_ok DESCRIPTION SCRIPT [STDOUT]: sh SCRIPT (a recipe block) exits 0;
# its stdout in STDOUT (default $work/out), its stderr shown when it fails.
run_ok() {
	local rc
	sh "$2" >"${3:-$work/out}" 2>"$work/err"
	rc=$?
	check "$1 (exit $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || sed 's/^/  stderr: /' "$work/err"
}
# across_expiry FN [NAME]: FN 1, then the stored token's expiry, then FN 2;
# the provider must have counted a refresh between the two.
across_expiry() {
	local r0 r1
	"$1" 1
	r0=$(refreshes)
	await_expiry "${2:-gmail}" || return 1
	"$1" 2
	r1=$(refreshes)
	check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
}
# deliver SUBJECT [USER]: a message into USER's INBOX (default alice) over
# Dovecot's LMTP, without any token; From bob.
deliver() {
	python3 - "$MK_LMTP_PORT" "${2:-$MK_USER1}" "$1" "$MK_USER2" <<'PY'
import smtplib, sys
port, rcpt, subj, frm = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.LMTP("127.0.0.1", port)
s.sendmail(frm, [rcpt], "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nbody of %s\r\n" % (frm, rcpt, subj, subj))
s.quit()
PY
}
# delivered SUBJECT [USER]: the path of the message with that Subject in
# USER's Maildir (default bob), waiting at most 10 s.
delivered() {
	local f i
	for ((i = 0; i < 100; i++)); do
		f=$(grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/${2:-$MK_USER2}/Maildir/new/"* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}
# finish_clients: fail for each block of the doc the test never asked for,
# then the usual summary and exit status.
finish_clients() {
	local b
	for b in $(sed -n 's/^<!-- recipe: \([A-Za-z0-9_.-]*\) -->$/\1/p' "$DOC" 2>/dev/null); do
		case $recipes_used in *" $b "*) ;; *) bad "docs/clients/$cname.md block '$b' is run by no check" ;; esac
	done
	[ -f "$DOC" ] || bad "docs/clients/$cname.md is missing"
	finish
}
