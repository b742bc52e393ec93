#!/usr/bin/env bash
# mailkey fetch under kill -9 at random moments: a few hundred messages
# delivered to the real Dovecot over LMTP (more whenever the backlog runs
# low), fetches killed at least 20 times while messages are still coming,
# then a last run to the end. Every
# Message-ID must be in the Maildir exactly once: the batched fetch never
# loses one and never delivers one twice.
. "$(dirname "$0")/../broker/lib.sh"
N=${MK_FETCH_KILL_MESSAGES:-300}
KILLS=${MK_FETCH_KILL_KILLS:-20}
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER2" | json '["access_token"]' |
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" bob 3600
printf '[account bob]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = localhost:%s\nmech = xoauth2\n\n' \
	"$MK_OP_ISSUER" "$MK_USER2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAPS_PORT" >"$MAILKEY_CONFIG"

# One LMTP session to Dovecot delivers a range of them (Postfix would queue).
deliver() { # first count
	python3 - "$MK_LMTP_PORT" "$MK_USER2" "$1" "$2" <<'PY'
import smtplib, sys
port, rcpt, first, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
body = "".join(f"line {i} of a message that takes up a few hundred bytes more\n" for i in range(30))
s = smtplib.LMTP("127.0.0.1", port)
for i in range(first, first + n):
    m = f"From: a@example.test\nTo: {rcpt}\nSubject: kill {i}\nMessage-ID: <kill{i}@mailkey.test>\n\n{body}"
    s.sendmail("a@example.test", [rcpt], m.encode())
s.quit()
PY
}
deliver 0 "$N"
check "$N messages delivered over LMTP" test "$(ls "$MK_MAIL_ROOT/$MK_USER2/Maildir/new" | wc -l)" -eq "$N"

md=$work/md
have() { find "$md/new" "$md/cur" -type f 2>/dev/null | wc -l; }
kills=0 runs=0 early=0 done_=0 lo=10 hi=400 t0=$(date +%s)
# A kill counts when it lands mid-fetch: after some messages of the run were
# written and before the last. The moment is drawn between lo (a kill that
# came before the first message) and hi (a fetch that finished first), and
# each outcome narrows the range, so that it settles on this machine's
# window whatever its speed (a sanitizer build on a busy machine logs in
# slowly; a quiet one fetches a hundred messages in well under 100 ms). When
# noise makes the bounds cross, the range opens up again. Bounded in runs
# and time.
while [ "$kills" -lt "$KILLS" ] && [ "$runs" -lt 1000 ] && [ $(($(date +%s) - t0)) -lt 300 ]; do
	runs=$((runs + 1))
	# Keep a backlog, so that every kill can land in the middle of a fetch.
	if [ $((N - $(have))) -lt 200 ]; then
		deliver "$N" 300
		N=$((N + 300))
	fi
	before=$(have)
	"$MK" fetch bob --maildir "$md" >/dev/null 2>&1 &
	pid=$!
	ms=$((lo + RANDOM % (hi - lo + 1)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		after=$(have)
		if [ "$after" -gt "$before" ] && [ "$after" -lt "$N" ]; then
			kills=$((kills + 1))
		elif [ "$after" -eq "$before" ]; then
			early=$((early + 1)) lo=$ms
		fi
	else
		wait "$pid"
		done_=$((done_ + 1)) hi=$ms
	fi
	if [ $((hi - lo)) -lt 10 ]; then
		lo=$((lo * 2 / 3)) hi=$((hi * 3 / 2 + 20))
	fi
done
echo "# $kills kills mid-fetch ($early before the first message, $done_ fetches finished first; last range $lo-$hi ms) in $runs runs; $(have) messages in the Maildir before the last run"
check "at least $KILLS kills landed while messages were still coming ($kills)" test "$kills" -ge "$KILLS"
"$MK" fetch bob --maildir "$md" >"$work/last" 2>&1
rc=$?
check "the run after the kills completes (exit $rc: $(cat "$work/last"))" test $rc = 0
grep -h '^Message-ID:' "$md"/new/* "$md"/cur/* 2>/dev/null | sort | uniq -c | sort -rn >"$work/ids"
check "$N distinct Message-IDs in the Maildir" test "$(wc -l <"$work/ids")" -eq "$N"
check "each exactly once ($(head -1 "$work/ids" | tr -s ' '))" sh -c "! awk '\$1 != 1' '$work/ids' | grep -q ."
check "and no other files: $N in new/ ($(have))" test "$(have)" -eq "$N"
"$MK" fetch bob --maildir "$md" >"$work/again" 2>&1
check "a further run fetches nothing" grep -q ' 0 new messages' "$work/again"
finish
