#!/usr/bin/env bash
# gateway_docs: every block of docs/gateway.md marked `<!-- test: NAME -->`
# is run as written, with only its ports (1143 1993 1110 1995 1587 1465),
# /home/you, office@example.com and PASTE-THE-APP-PASSWORD replaced: the
# app-password commands; the scanner's [gateway] with msmtp as the scanner
# (a fixed listener, any user name, plaintext and STARTTLS); the fetchmail
# [gateway], CA export, .fetchmailrc and MDA script; the Outlook profile's
# [gateway] with mutt using the doc's .muttrc (send over SMTPS, read over
# IMAPS). A marked block that no check uses, or a check whose block is
# missing, fails.
. "$(dirname "$0")/lib.sh"
doc=$top/docs/gateway.md
d=$(cdir docs)
mkdir -p "$d/bin" "$d/Maildir/new" "$d/Maildir/cur" "$d/Maildir/tmp"
used=" "
# block NAME [PWNAME]: the block's text, with the test's ports, paths, address and password.
block() {
	used="$used$1 "
	python3 - "$doc" "$1" "$d" "$MK_USER1" "$([ -n "${2:-}" ] && pw "$2")" \
		"1143=$GW_IMAP" "1993=$GW_IMAPS" "1110=$GW_POP3" "1995=$GW_POP3S" "1587=$GW_SMTP" "1465=$GW_SMTPS" <<'PY'
import re, sys
doc, name, home, addr, pw = sys.argv[1:6]
ports = dict(a.split("=") for a in sys.argv[6:])
t = open(doc).read()
m = re.search(r"<!-- test: %s -->\n```[a-z]*\n(.*?)\n```\n" % re.escape(name), t, re.S)
if not m:
    sys.exit("docs/gateway.md has no block marked test: %s" % name)
b = m.group(1)
b = re.sub(r"\b(%s)\b" % "|".join(ports), lambda x: ports[x.group(1)], b)
b = b.replace("/home/you", home).replace("office@example.com", addr)
if pw:
    b = b.replace("PASTE-THE-APP-PASSWORD", pw)
print(b)
PY
}
# run_cmds NAME: each "$ mailkey ..." line of a sh block, run with this build's mailkey.
run_cmds() {
	block "$1" >"$d/$1.cmds" || return 1
	local line rc=0
	while read -r line; do
		case $line in '$ mailkey '*) ;; *) echo "not a command: $line"; return 1 ;; esac
		line=${line#\$ mailkey }
		# shellcheck disable=SC2086
		eval "\"\$MK\" $line" || rc=1
	done <"$d/$1.cmds"
	return $rc
}
gw_account office "$MK_USER1" xoauth2
gw_grant office "$MK_USER1"
check "office has a real grant" test $? = 0
base_config=$(cat "$MAILKEY_CONFIG")
with_gateway() { # block name: the accounts and the doc's [gateway]
	{ printf '%s\n\n' "$base_config"; block "$1"; } >"$MAILKEY_CONFIG"
}
up() { # ports...
	GW_PORTS="$*" start_gateway
}
down() { stop_gateway; }

# --- app passwords (the add block prints the password once, alone on a line)
run_cmds app-password-add >"$work/pw.scanner" 2>"$d/add.err"
check "the doc's app-password add prints one line ($(head -c 200 "$d/add.err"))" \
	sh -c "test \$(wc -l <'$work/pw.scanner') = 1 && test -s '$work/pw.scanner'"

# --- the scanner
with_gateway gateway-scanner
up "$GW_SMTP"
check "the scanner's [gateway] starts" test $? = 0
for tls in off on; do
	cat >"$d/scanner-$tls.rc" <<RC
account scanner
host 127.0.0.1
port $GW_SMTP
from $MK_USER1
auth plain
user Scanner-MFC-7360
passwordeval cat $work/pw.scanner
tls $tls
tls_starttls on
tls_trust_file $GWCA
RC
	printf 'From: %s\nTo: %s\nSubject: scan %s\n\n%%PDF-1.4 pretend\n' "$MK_USER1" "$MK_USER1" "$tls" |
		timeout 60 msmtp -C "$d/scanner-$tls.rc" -a scanner "$MK_USER1" 2>"$d/err"
	rc=$?
	check "a scanner (msmtp, user 'Scanner-MFC-7360', tls $tls) sends through the fixed listener (exit $rc $(head -c 200 "$d/err"))" test $rc = 0
done
wait_mail "$MK_USER1" 2
check "both scans delivered ($(nmail "$MK_USER1"))" test "$(nmail "$MK_USER1")" = 2
down

# --- fetchmail
with_gateway gateway-fetchmail
up "$GW_IMAP"
check "the fetchmail [gateway] starts" test $? = 0
run_cmds export-ca 2>"$d/ca.err"
check "the doc's CA export writes the CA ($(head -c 100 "$d/ca.err"))" cmp -s "$d/mailkey-gateway-ca.pem" "$GWCA"
block to-maildir >"$d/bin/to-maildir" && chmod 700 "$d/bin/to-maildir"
block fetchmailrc scanner >"$d/fetchmailrc" && chmod 600 "$d/fetchmailrc"
mkdir -p "$d/fmhome"
FETCHMAILHOME=$d/fmhome timeout 60 fetchmail -f "$d/fetchmailrc" --nosyslog -v >"$d/fm.out" 2>&1
rc=$?
n=$(find "$d/Maildir/new" -type f | wc -l)
check "fetchmail with the doc's .fetchmailrc and MDA fetches the 2 scans (exit $rc, $n in the Maildir)" test $rc = 0 -a "$n" = 2
check "over STARTTLS with the LOGIN command" sh -c "grep -q 'IMAP> A0*[0-9]* STARTTLS' '$d/fm.out' && grep -q 'IMAP> A0*[0-9]* LOGIN \"office\"' '$d/fm.out'"
down

# --- the Outlook/Thunderbird profile, as mutt
with_gateway gateway-profile
up "$GW_SMTP"
check "the profile's [gateway] starts" test $? = 0
block muttrc scanner >"$d/muttrc"
: >"$d/certs"
cat >"$d/muttrc.test" <<RC
source $d/muttrc
set certificate_file = "$d/certs"
set header_cache = ""
set message_cachedir = ""
set record = ""
set confirmcreate = no
set quit = yes
set mbox_type = mbox
set wait_key = no
RC
echo "from the profile" | timeout 60 mutt -n -F "$d/muttrc.test" -s "profile send" "$MK_USER1" >"$d/mutt.out" 2>&1
rc=$?
check "mutt with the doc's .muttrc sends over SMTPS (exit $rc $(head -c 200 "$d/mutt.out"))" test $rc = 0
wait_mail "$MK_USER1" 3
TERM=xterm timeout 60 script -qec "mutt -n -F $d/muttrc.test -R -e \"push '<tag-pattern>~A<enter><tag-prefix><copy-message>$d/read.mbox<enter><quit>'\"" /dev/null </dev/null >"$d/read.log" 2>&1
check "and reads the 3 messages over IMAPS ($(grep -c '^From ' "$d/read.mbox" 2>/dev/null))" test "$(grep -c '^From ' "$d/read.mbox" 2>/dev/null)" = 3

# --- list and revoke, as the doc shows them
run_cmds app-password-manage >"$d/manage.out" 2>&1
check "the doc's list and revoke run ($(tr '\n' ' ' <"$d/manage.out" | head -c 200))" test $? = 0
check "list showed the scanner's password" grep -q scanner "$d/manage.out"
out=$(printf 'user = "office:%s"\n' "$(pw scanner)" | curl -sS --max-time 30 --cacert "$GWCA" -K - "smtps://127.0.0.1:$GW_SMTPS" -X NOOP 2>&1)
check "after the revoke the password no longer logs in ($out)" sh -c 'echo "$1" | grep -q "Login denied"' _ "$out"
down

# Every marked block is used by a check above.
for b in $(sed -n 's/^<!-- test: \([a-z0-9-]*\) -->$/\1/p' "$doc"); do
	case $used in *" $b "*) ;; *) bad "docs/gateway.md block '$b' is not run by this test" ;; esac
done
check "the doc has the 9 marked blocks ($(grep -c '^<!-- test: ' "$doc"))" test "$(grep -c '^<!-- test: ' "$doc")" = 9
finish
