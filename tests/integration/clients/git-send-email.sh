#!/usr/bin/env bash
# clients_git_send_email: docs/clients/git-send-email.md with Debian's git 2.39
# (git-email): sendemail.sendmailCmd = mailkey send; a real `git send-email`
# of a commit of a scratch repository, delivered to bob (Subject and diff
# checked), again after the token expired (a refresh counted); the grant gone
# (git exits 77 with mailkey's message); sendemail.smtpAuth = XOAUTH2 failing
# on Debian's Authen::SASL as the doc shows; -v redacts the token.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
umask 077
recipe config >"$work/config.sh"
recipe send >"$work/send.sh"
umask 022
sh "$work/config.sh"
check "the recipe's git config ran" test "$(git config --global sendemail.sendmailCmd)" = "mailkey send --account gmail"
repo=$HOME/src/project
mkdir -p "$repo" && cd "$repo" || exit 1
git init -q . && git config user.name You && git config user.email "$MK_USER1"

# got SUBJECT LINE: a message for bob with SUBJECT that has the line LINE.
got() {
	local i f
	for ((i = 0; i < 100; i++)); do
		f=$(grep -lF -- "Subject: $1" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | head -1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	[ -n "$f" ] && grep -qxF -- "$2" "$f"
}
round() {
	local rc
	echo "line $1" >"file$1.txt"
	git add "file$1.txt" && git commit -qm "add file$1"
	sh "$work/send.sh" </dev/null >"$work/send.out" 2>"$work/send.err"
	rc=$?
	check "round $1: git send-email --to=... -1 (exit $rc)" test "$rc" = 0
	check "round $1: git says Result: OK" grep -q '^Result: OK' "$work/send.out"
	check "round $1: delivered to bob: Subject [PATCH] add file$1, with the diff" got "[PATCH] add file$1" "+line $1"
	check "round $1: and alice got no copy (suppressCc self)" test -z "$(ls "$MK_MAIL_ROOT/$MK_USER1/Maildir/new/" 2>/dev/null)"
	[ "$rc" = 0 ] || sed 's/^/  stderr: /' "$work/send.err"
}
across_expiry round

# -v in the command: the dialogue, with the token redacted.
tok=$(mailkey token gmail)
echo "line v" >filev.txt && git add filev.txt && git commit -qm "add filev"
git -c sendemail.sendmailCmd="mailkey send --account gmail -v" send-email --to="$MK_USER2" -1 </dev/null >/dev/null 2>"$work/v.err"
check "with -v: sent (exit $?), and delivered" got "[PATCH] add filev" "+line v"
check "with -v: the AUTH line is redacted" grep -q 'C: AUTH OAUTHBEARER <redacted>' "$work/v.err"
check "with -v: the token is not in the output" sh -c "! grep -qF '$tok' '$work/v.err'"

# smtpAuth = XOAUTH2 with Debian's Authen::SASL (the doc's not-run output).
check "Debian's Authen::SASL has no XOAUTH2 module" sh -c "! perl -MAuthen::SASL::Perl::XOAUTH2 -e1 2>/dev/null"
check "git send-email asks Authen::SASL for its pure-Perl implementation" grep -qF 'Authen::SASL->import(qw(Perl));' /usr/lib/git-core/git-send-email
HOME=$work/nohome git -c user.name=You -c user.email="$MK_USER1" -c sendemail.smtpServer=localhost \
	-c sendemail.smtpServerPort="$MK_SMTP_PORT" -c sendemail.smtpEncryption=tls -c sendemail.smtpSSLCertPath="$MK_CA_FILE" \
	-c sendemail.smtpUser="$MK_USER1" -c sendemail.smtpAuth=XOAUTH2 -c sendemail.smtpPass=unused -c sendemail.confirm=never \
	send-email --to="$MK_USER2" -1 </dev/null >/dev/null 2>"$work/sasl.err"
rc=$?
check "smtpAuth = XOAUTH2 fails (exit $rc)" test "$rc" != 0
check "with 'No SASL mechanism found'" grep -q '^No SASL mechanism found' "$work/sasl.err"

# The grant gone: git send-email stops with mailkey's 77 and its message.
mailkey logout gmail >/dev/null 2>&1
echo "line 3" >file3.txt && git add file3.txt && git commit -qm "add file3"
sh "$work/send.sh" </dev/null >"$work/gone.out" 2>"$work/gone.err"
rc=$?
check "grant gone: git send-email exits 77 (got $rc)" test "$rc" = 77
check "grant gone: mailkey's message names mailkey login gmail" grep -q 'run `mailkey login gmail`' "$work/gone.err"
check "grant gone: git says it died" grep -q '^Died at .*git-send-email' "$work/gone.err"
check "grant gone: nothing delivered" sh -c "! grep -qF 'add file3' '$MK_MAIL_ROOT/$MK_USER2/Maildir/new/'*"
finish_clients
