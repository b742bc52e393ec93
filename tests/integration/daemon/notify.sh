#!/usr/bin/env bash
# daemon_notify: a grant revoked at the provider. At its next refresh the
# daemon gets invalid_grant, marks the account needs-consent, and runs
# notify_command with MAILKEY_ACCOUNT, MAILKEY_REASON and the command to run
# (`mailkey login ACCOUNT`) in its environment, and no secret. It repeats at
# notify_interval, no more often, while `mailkey token` exits 77. After a new
# login (a fresh grant imported) the daemon picks it up without a restart and
# the repeats stop.
export MK_SHORT_TTL=${MK_SHORT_TTL:-6}
. "$(dirname "$0")/lib.sh"
ni=${MK_NOTIFY_INTERVAL:-10}
mkdir -p "$work/notes"
cat >"$work/notify.sh" <<SH
#!/bin/sh
env >"$work/notes/\$(date +%s.%N).env"
SH
chmod +x "$work/notify.sh"
account n "$MK_SHORT_CLIENT_ID" "notify_command = $work/notify.sh
notify_interval = $ni"
grant n
check "a real grant is imported" test $? = 0
cp "$work/grant.json" "$work/grant1.json"
start_daemon
check "the daemon answers ping" test $? = 0
check "the daemon hands out a token" test -n "$(ask_ok "MK1 token n")"

# Revoke the grant at the provider (RFC 7009): its refresh token dies with it.
json '["refresh_token"]' <"$work/grant1.json" | tr -d '\n' >"$work/rt"
curl -sS "$MK_OP_ISSUER/token/revocation" --data-urlencode "client_id=$MK_SHORT_CLIENT_ID" \
	--data-urlencode "token_type_hint=refresh_token" --data-urlencode "token@$work/rt" >/dev/null
check "the grant is revoked at the provider" test "$(active "$(json '["access_token"]' <"$work/grant1.json")")" = False
notes() { find "$work/notes" -name '*.env' | wc -l; }
wait_until $(((MK_SHORT_TTL + 15) * 10)) sh -c "[ \$(find '$work/notes' -name '*.env' | wc -l) -ge 1 ]"
check "notify_command ran after the next refresh (within $((MK_SHORT_TTL + 15)) s)" test "$(notes)" -ge 1
t_first=$(now)
first=$(find "$work/notes" -name '*.env' | sort | head -1)
if [ -n "$first" ]; then
	check "MAILKEY_ACCOUNT=n" grep -qx 'MAILKEY_ACCOUNT=n' "$first"
	check "MAILKEY_REASON is set ($(grep '^MAILKEY_REASON=' "$first" | head -c 200))" grep -q '^MAILKEY_REASON=.' "$first"
	check "the command to run is in the environment ($(grep -h "^MAILKEY_[A-Z_]*=.*login" "$first" | grep -v -e ACCOUNT= -e REASON= | tr "\n" " " | head -c 200))" \
		sh -c "grep -v -e '^MAILKEY_REASON=' -e '^MAILKEY_ACCOUNT=' '$first' | grep -q '^MAILKEY_[A-Z_]*=mailkey login n$'"
	leaks=$(grep -cF -e "$(json '["access_token"]' <"$work/grant1.json")" -e "$(cat "$work/rt")" \
		-e "$(cat "$MK_INTROSPECT_SECRET_FILE")" -e "$(cat "$MK_CONF_CLIENT_SECRET_FILE")" "$first")
	check "no secret in its environment ($leaks lines)" test "$leaks" = 0
fi
check "the daemon's status says needs-consent ($(dstatus n state))" test "$(dstatus n state)" = needs-consent
"$MK" token n >/dev/null 2>"$work/token77.err"
rc=$?
check "mailkey token exits 77 meanwhile ($rc: $(head -c 200 "$work/token77.err"))" test $rc = 77
check "its message says to log in again" grep -q 'mailkey login n' "$work/token77.err"
out=$(ask "MK1 token n")
check "the socket answers ERR 77 ($out)" test "${out:0:7}" = "ERR 77 "

# The repeats: 2.5 intervals after the first note there must be 3 of them
# (at 0, 1 and 2 intervals), give or take one for scheduling.
sleep "$(python3 -c "print($ni * 2.5)")"
n=$(notes)
check "notify repeated at its interval ($n notes in $(python3 -c "print(round($(now) - $t_first, 1))") s, interval $ni s; want 2..4)" \
	test "$n" -ge 2 -a "$n" -le 4
python3 - "$work/notes" "$ni" >"$work/gaps" <<'PY'
import os, sys
t = sorted(float(f[:-4]) for f in os.listdir(sys.argv[1]))
print(" ".join("%.1f" % (b - a) for a, b in zip(t, t[1:])))
PY
check "no two notes closer than the interval minus 1 s (gaps: $(cat "$work/gaps"))" \
	python3 -c "import sys; g=[float(x) for x in open('$work/gaps').read().split()]; sys.exit(0 if all(x >= $ni - 1 for x in g) else 1)"

# A new login: a fresh grant imported while the daemon runs.
grant n
check "a new grant is imported with the daemon running" test $? = 0
t_login=$(now)
picked() { [ "$(dstatus n state)" = ok ] && tok=$(ask_ok "MK1 token n") && [ "$(active "$tok")" = True ]; }
wait_until $(((ni + 5) * 10)) picked
check "the daemon picked up the new grant without a restart ($(python3 -c "print(round($(now) - $t_login, 1))") s)" picked
tok=$("$MK" token n 2>"$work/token-after.err")
check "mailkey token works again ($(head -c 200 "$work/token-after.err"))" test $? = 0 -a "$(active "$tok")" = True
n0=$(notes)
sleep $((ni * 2 + 2))
check "the repeats stopped ($(($(notes) - n0)) more in $((ni * 2 + 2)) s)" test "$(notes)" = "$n0"
r0=$(refreshes)
secs=$(wait_refreshes "$r0" $((MK_SHORT_TTL + 5)))
check "and the daemon refreshes the new grant (${secs}s)" test "$(refreshes)" -gt "$r0"
check "the daemon is the same process" daemon_alive
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
