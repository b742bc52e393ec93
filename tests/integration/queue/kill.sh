#!/usr/bin/env bash
# mailkey queue run under kill -9 at random moments: rounds of 50 queued
# messages, each round's `queue run` killed and re-run until the queue is
# empty, at least 100 kills in all that land while a run is sending. Then
# counted at bob's Maildir: every message exactly once, except the duplicates
# a kill between the server's 250 and the removal may cause: at most one per
# kill (the run has one message in flight at a time).
. "$(dirname "$0")/../broker/lib.sh"
. "$(dirname "$0")/lib.sh"
u=$(date +%s%N)
q=$MAILKEY_STATE_DIR/queue
kills=0 rounds=0 total=0 t0=$(date +%s)
# Rounds until 100 kills have landed: how many land per round depends on the
# machine's speed (a fast run empties the queue before the next kill), so the
# count of rounds adapts, bounded in rounds and time.
while [ $kills -lt 100 ] && [ $rounds -lt 40 ] && [ $(($(date +%s) - t0)) -lt 240 ]; do
	rounds=$((rounds + 1))
	for i in $(seq 1 50); do
		printf 'From: %s\nSubject: k %s %s-%s\n\nround %s message %s\n' "$MK_USER1" "$u" "$rounds" "$i" "$rounds" "$i" |
			"$MK" send --queue --account xo "$MK_USER2" || bad "send --queue $rounds-$i"
	done
	total=$((total + 50))
	while [ -n "$(ls "$q/new")" ] && [ $kills -lt 400 ]; do
		"$MK" queue run --now 2>>"$work/runs.err" &
		pid=$!
		# Random moments: anywhere from before the login to mid-batch.
		sleep "0.$(printf '%03d' $((RANDOM % 150)))"
		if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
		wait $pid 2>/dev/null
	done
done
echo "# $rounds rounds of 50, $kills kills landed during queue run"
"$MK" queue run --now 2>>"$work/runs.err"
rc=$?
check "the last run (no kill) exits 0 ($rc)" test $rc = 0
check "at least 100 kills landed during a run ($kills)" test $kills -ge 100
check "the queue is empty" test -z "$(ls "$q/new")"
check "nothing moved aside" test -z "$(ls "$q/failed")"
for i in $(seq 1 300); do
	[ "$(subject_counts "k $u" | wc -l)" -ge $total ] && break
	sleep 0.1
done
postfix_idle
subject_counts "k $u" >"$work/counts"
distinct=$(wc -l <"$work/counts")
dups=$(awk '$2 > 1 {d += $2 - 1} END {print d + 0}' "$work/counts")
echo "# $distinct of $total distinct messages delivered, $dups duplicate(s) for $kills kills"
check "every one of the $total messages delivered ($distinct)" test "$distinct" = $total
check "duplicates ($dups) at most one per kill ($kills)" test "$dups" -le $kills
# One message may come more than twice: kills in a row that each land in its
# window (the run starts with the oldest) each add one copy; the bound is per
# kill, not per message.
finish
