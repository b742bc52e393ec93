#!/usr/bin/env bash
# gateway_bytes: a message sent through the gateway (smtplib, SMTP with
# STARTTLS) and read back through it (imaplib FETCH over IMAPS, poplib RETR
# over POP3S) is what was sent, byte for byte: dot lines, 8-bit text, a
# 10 MB attachment (bytes.py). Upstream XOAUTH2.
. "$(dirname "$0")/lib.sh"
gw_account alice "$MK_USER1" xoauth2
gw_grant alice "$MK_USER1"
check "alice has a real grant" test $? = 0
gw_section
start_gateway
check "mailkey gateway listens" test $? = 0
app_pass alice bytes
check "an app password" test $? = 0
/usr/bin/python3 "$gwdir/bytes.py" "$GWCA" "$MK_USER1" "$work/pw.bytes" "$GW_IMAPS" "$GW_POP3S" "$GW_SMTP" "$(date +%s%N)" >"$work/b.out" 2>&1
rc=$?
cat "$work/b.out"
pass=$((pass + $(grep -c '^ok ' "$work/b.out")))
failn=$((failn + $(grep -c '^FAIL ' "$work/b.out")))
check "bytes.py ran all 7 checks (exit $rc)" test "$(grep -c -e '^ok ' -e '^FAIL ' "$work/b.out")" = 7 -a $rc = 0
# The copy Dovecot stored is the one that was read: nothing was lost on the way in.
f=$(grep -l "^Subject: bytes big" "$(maildir "$MK_USER1")"/new/* "$(maildir "$MK_USER1")"/cur/* 2>/dev/null | head -1)
check "Dovecot stored the big message (over 10 MB: $(stat -c %s "$f" 2>/dev/null))" test "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 10000000
check "the gateway is still running" gw_alive
finish
