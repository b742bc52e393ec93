#!/usr/bin/env bash
# Run by scripts/package once both packages are installed: the installed
# files used by real programs against the loopback servers, with nothing
# from a build tree. /usr/bin/mailkey holds a real grant of the provider;
# mbsync (isync) loads the plugin from libsasl2's own directory, with no
# SASL_PATH, as any libsasl2 program on the machine would; mailkey sends
# and fetches with the installed programs. Prints ok/FAIL lines and
# "N passed, N failed" like the other test scripts.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/mk-pkg-e2e.XXXXXX)
chmod 755 "$work" # the mail servers' users must reach $work/srv
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
cleanup() { "$top/tests/servers/down" "$work/srv" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
MK=/usr/bin/mailkey
check "/usr/bin/mailkey belongs to the mailkey package" sh -c 'dpkg -S /usr/bin/mailkey | grep -q "^mailkey:"'
plugin=$(dpkg -L libsasl2-modules-mailkey 2>/dev/null | grep '/sasl2/libmailkey-xoauth2\.so$')
check "the plugin is in libsasl2's directory ($plugin)" test "$plugin" = "$(pkg-config --variable=libdir libsasl2)/sasl2/libmailkey-xoauth2.so"
"$top/tests/servers/up" "$work/srv" >"$work/up.log" 2>&1 || { cat "$work/up.log"; bad "the test servers start"; echo "$(basename "$0"): $pass passed, $failn failed"; exit 1; }
# shellcheck disable=SC1091
. "$work/srv/env"
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state HOME=$work/home
unset SASL_PATH
mkdir -m 700 -p "$HOME" "$HOME/Mail"
printf '[account t]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = localhost:%s\npop3 = localhost:%s\nsmtp = localhost:%s\nsmtp_tls = starttls\n' \
	"$MK_OP_ISSUER" "$MK_USER1" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAPS_PORT" "$MK_POP3S_PORT" "$MK_SMTP_PORT" >"$MAILKEY_CONFIG"
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" --client "$MK_CLIENT_ID" >"$work/grant.json" 2>"$work/grant.err"
check "the installed mailkey imports a real grant" "$MK" import t --force <"$work/grant.json"
check "and hands out its token" sh -c "'$MK' token t | grep -q ."

# mbsync with the plugin from the package.
python3 - "$MK_LMTP_PORT" "$MK_USER1" "$MK_USER2" <<'PY'
import smtplib, sys
s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail(sys.argv[3], [sys.argv[2]], "From: %s\r\nTo: %s\r\nSubject: installed plugin\r\n\r\nread by mbsync\r\n" % (sys.argv[3], sys.argv[2]))
s.quit()
PY
cat >"$HOME/.mbsyncrc" <<RC
IMAPAccount t
Host localhost
Port $MK_IMAPS_PORT
User $MK_USER1
PassCmd "$MK token t"
AuthMechs XOAUTH2
SSLType IMAPS
CertificateFile $MK_CA_FILE

IMAPStore t-remote
Account t

MaildirStore t-local
Path $HOME/Mail/
Inbox $HOME/Mail/INBOX

Channel t
Far :t-remote:
Near :t-local:
Patterns INBOX
Create Near
SyncState *
RC
timeout 60 mbsync -c "$HOME/.mbsyncrc" t >"$work/mbsync.out" 2>&1
rc=$?
check "mbsync logs in with XOAUTH2 through the installed plugin, no SASL_PATH (exit $rc: $(head -c 160 "$work/mbsync.out"))" test "$rc" = 0
check "and the message is synced" sh -c "grep -rqs 'read by mbsync' '$HOME/Mail/INBOX'"

# The installed programs send and fetch.
printf 'From: %s\nTo: %s\nSubject: installed send\n\nsent by /usr/bin/mailkey\n' "$MK_USER1" "$MK_USER2" >"$work/msg"
check "mailkey send (installed) delivers through Postfix" "$MK" send --account t -t <"$work/msg"
delivered=
for _ in $(seq 1 100); do
	grep -qs "sent by /usr/bin/mailkey" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* && { delivered=yes; break; }
	sleep 0.1
done
check "and bob has it" test -n "$delivered"
mkdir -p "$work/md"
check "mailkey fetch (installed, mailkey-core from /usr/libexec) reads alice's INBOX" "$MK" fetch t --maildir "$work/md"
check "the fetched message is there" sh -c "grep -rqs 'read by mbsync' '$work/md'"
echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
