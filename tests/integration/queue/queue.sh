#!/usr/bin/env bash
# mailkey send --queue and mailkey queue run against the real Postfix: 50
# queued messages sent over one session, counted at bob's Maildir; the spool's
# permissions; a recipient Postfix refuses for good (moved aside with its
# reply, notify_command run); the token endpoint down with an expired token
# (75, everything still queued, retried only when due).
. "$(dirname "$0")/../broker/lib.sh"
. "$(dirname "$0")/lib.sh"
u=$(date +%s%N)

# 1. 50 messages queued, then one run.
for i in $(seq 1 50); do
	printf 'From: %s\nTo: %s\nSubject: q %s %s\n\nqueued message %s\n' "$MK_USER1" "$MK_USER2" "$u" "$i" "$i" |
		"$MK" send --queue --account xo "$MK_USER2" || bad "send --queue $i exits 0"
done
q=$MAILKEY_STATE_DIR/queue
check "50 files in queue/new" test "$(ls "$q/new" | wc -l)" = 50
check "the queue's directories are 0700" sh -c "test \"\$(stat -c %a '$q' '$q/new' '$q/tmp' '$q/failed' '$q/state' | sort -u)\" = 700"
check "its files are 0600" sh -c "test \"\$(stat -c %a '$q'/new/* | sort -u)\" = 600"
check "nothing is left in tmp/" test -z "$(ls "$q/tmp")"
"$MK" queue --json >"$work/l1"
check "queue --json lists the 50 with recipients and size" python3 -c "
import json,sys; d=json.load(open('$work/l1'))
sys.exit(0 if len(d)==50 and all(x['recipients']==['$MK_USER2'] and x['size']>40 and x['state']=='queued' for x in d) else 1)"
check "queue (text) names bob" grep -q "$MK_USER2" <("$MK" queue)
"$MK" queue run -v 2>"$work/r1"
rc=$?
check "queue run exits 0 ($rc: $(grep -v trace "$work/r1" | tail -3))" test $rc = 0
check "over one session: one AUTH, 50 DATA" sh -c "test \$(grep -c 'C: AUTH ' '$work/r1') = 1 && test \$(grep -c 'C: DATA' '$work/r1') = 50"
check "the queue is empty afterwards" test -z "$(ls "$q/new")"
check "each of the 50 is delivered exactly once" wait_delivered "q $u" 50
check "queue says it is empty" grep -q empty <("$MK" queue)

# 2. A refused recipient: moved aside with the reply, notify_command run;
# the good message beside it is sent.
sed -i "/^\[account xo\]/a notify_command = env | grep ^MAILKEY_ >'$work/notified'" "$MAILKEY_CONFIG"
printf 'From: %s\nSubject: r %s 1\n\nto nobody\n' "$MK_USER1" "$u" | "$MK" send --queue --account xo refused@example.test
printf 'From: %s\nSubject: g %s 1\n\nto bob\n' "$MK_USER1" "$u" | "$MK" send --queue --account xo "$MK_USER2"
"$MK" queue run 2>"$work/r2"
rc=$?
check "a permanently refused recipient: queue run exits 69 ($rc: $(cat "$work/r2"))" test $rc = 69
check "the good message was still sent" wait_delivered "g $u" 1
check "the refused one is in queue/failed with the server's reply" \
	sh -c "ls '$q'/failed/*.reply >/dev/null && grep -q '554.*refused@example.test' '$q'/failed/*.reply"
check "and its message kept beside it" sh -c "grep -l 'Subject: r $u' '$q'/failed/* | grep -qv reply"
check "the queue itself is empty" test -z "$(ls "$q/new")"
check "notify_command ran with MAILKEY_EVENT=queue-failed and the reply" \
	sh -c "grep -q '^MAILKEY_EVENT=queue-failed' '$work/notified' && grep -q '^MAILKEY_QUEUE_REPLY=.*554' '$work/notified' && grep -q '^MAILKEY_ACCOUNT=xo' '$work/notified'"
"$MK" queue --json --failed >"$work/l2"
check "queue --failed lists it with the reply" python3 -c "
import json,sys; d=json.load(open('$work/l2'))
sys.exit(0 if len(d)==1 and d[0]['state']=='failed' and '554' in d[0]['last_error'] else 1)"
"$MK" queue run
check "a run after that has nothing to do: 0 ($?)" test $? = 0

# 3. The token endpoint down and the token expired: 75, all still queued,
# the error recorded, not retried before it is due.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >>"$MAILKEY_CONFIG" <<CFG
[account td]
provider = generic
issuer = $MK_OP_ISSUER
token_endpoint = http://127.0.0.1:$dead/token
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2

CFG
printf 'expired-token\nsome-refresh-token\n' |
	MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$dead/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" td -60
for i in 1 2 3; do
	printf 'From: %s\nSubject: td %s %s\n\nx\n' "$MK_USER1" "$u" "$i" | "$MK" send --queue --account td "$MK_USER2"
done
"$MK" queue run td 2>"$work/r3"
rc=$?
check "token endpoint down, token expired: queue run exits 75 ($rc: $(cat "$work/r3"))" test $rc = 75
check "all 3 still queued" test "$(ls "$q/new" | wc -l)" = 3
"$MK" queue --json >"$work/l3"
check "each with 1 attempt, a next attempt and the reason" python3 -c "
import json,sys,time; d=json.load(open('$work/l3'))
sys.exit(0 if len(d)==3 and all(x['attempts']==1 and x['next_attempt']>time.time() and x['last_error'] for x in d) else 1)"
"$MK" queue run td 2>"$work/r4"
rc=$?
"$MK" queue --json >"$work/l4"
check "a second run skips them (not due): 75, still 1 attempt ($rc)" python3 -c "
import json,sys; d=json.load(open('$work/l4'))
sys.exit(0 if $rc==75 and len(d)==3 and all(x['attempts']==1 for x in d) else 1)"
"$MK" queue run td --now 2>/dev/null
rc=$?
check "--now tries them anyway: 75, 2 attempts ($rc)" sh -c "test $rc = 75 && \"$MK\" queue --json | grep -q '\"attempts\":2'"
check "none of them was delivered" sh -c "! grep -qs '^Subject: td $u' '$MK_MAIL_ROOT/$MK_USER2/Maildir/new/'*"

# 4. queue = yes makes mailkey-as-sendmail queue; -odi sends at once;
# `mailkey send` without --queue is not affected.
sed -i "/^\[account xo\]/a queue = yes" "$MAILKEY_CONFIG"
ln -s "$MK" "$work/sendmail"
before=$(ls "$q/new" | wc -l)
printf 'From: %s\nSubject: sm %s 1\n\nvia sendmail\n' "$MK_USER1" "$u" | "$work/sendmail" -oi "$MK_USER2"
check "as sendmail with queue = yes: exit 0 and queued, not sent ($?)" \
	sh -c "test $? = 0 && test \$(ls '$q/new' | wc -l) = $((before + 1)) && ! grep -qs '^Subject: sm $u' '$MK_MAIL_ROOT/$MK_USER2/Maildir/new/'*"
printf 'From: %s\nSubject: sm %s 2\n\nright away\n' "$MK_USER1" "$u" | "$work/sendmail" -odi "$MK_USER2"
check "-odi sends at once (exit $?)" wait_delivered "sm $u" 1
printf 'From: %s\nSubject: sm %s 3\n\nsend\n' "$MK_USER1" "$u" | "$MK" send --account xo "$MK_USER2"
check "mailkey send (not as sendmail) sends at once ($?)" wait_delivered "sm $u" 2
check "the queue holds only the sendmail one (and td's)" test "$(ls "$q/new" | wc -l)" = $((before + 1))
"$MK" queue run xo
check "queue run xo sends it: 0 ($?)" test $? = 0
check "and it arrives once" wait_delivered "sm $u" 3
finish
