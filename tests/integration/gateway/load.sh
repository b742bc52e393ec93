#!/usr/bin/env bash
# gateway_load (heavy): 200 sessions at once through the gateway (80 IMAP,
# 80 POP3, 40 SMTP), all logged in upstream, then all NOOP and quit
# (load.py, threads); the gateway's threads and RSS are reported. Dovecot
# allows 10 connections per user and address (mail_max_userip_connections)
# and 100 TLS sessions per login service (its default process_limit), so
# the 200 are spread over the three services and 20 accounts (alice and bob
# alternately), each with a source_address of its own. Then 100 wrong passwords from 127.0.0.20: the per-source limit holds
# (later attempts refused even with the right password from there), the
# right password still works from 127.0.0.21, and the store's tokens are
# untouched (mk-store-show) with no request to the token endpoint.
. "$(dirname "$0")/lib.sh"
lp() { timeout 200 /usr/bin/python3 "$gwdir/load.py" "$@"; }
for u in "$MK_USER1" "$MK_USER2"; do
	"$top/tests/servers/get-token" "$work/srv" --user "$u" | json '["access_token"]' >"$work/tok.$u"
done
accts=
for i in $(seq 1 20); do
	u=$MK_USER1
	[ $((i % 2)) = 0 ] && u=$MK_USER2
	gw_account "ld$i" "$u" xoauth2 "source_address = 127.0.1.$i"
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "ld$i" 3600 <"$work/tok.$u"
	accts=$accts${accts:+,}ld$i
done
gw_section "max_connections = 300
max_per_source = 60"
start_gateway
check "mailkey gateway listens" test $? = 0
for i in $(seq 1 20); do app_pass "ld$i" "ld-ld$i" || bad "app password ld$i"; done
th0=$(gw_threads) rss0=$(gw_rss)
coproc L { lp sessions "$GW_IMAP" 200 "$accts" "$work" 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 "$GW_POP3" "$GW_SMTP"; }
read -r -t 200 st <&"${L[0]}"
th=$(gw_threads) rss=$(gw_rss)
check "200 sessions at once (80 IMAP, 80 POP3, 40 SMTP), all logged in upstream ($st)" test "${st%% *}" = "ready" -a "$(echo "$st" | cut -d' ' -f2)" = 200/200
echo "# gateway: $th0 threads / $rss0 KiB before, $th threads / $rss KiB with 200 sessions open ($(((rss - rss0) / 200)) KiB per session, sanitizer build)"
echo go >&"${L[1]}"
read -r -t 200 st <&"${L[0]}"
wait "$L_PID" 2>/dev/null
check "and all 200 NOOP and quit through the relay ($st)" test "$(echo "$st" | cut -d' ' -f2)" = 200/200
wait_until 100 sh -c "[ \$(awk '/^Threads/ {print \$2}' /proc/$gpid/status) -le $((th0 + 2)) ]"
check "the session threads are gone afterwards ($(gw_threads) threads, $th0 before)" test "$(gw_threads)" -le $((th0 + 2))

# --- 100 wrong passwords from one source
t1=$(stored_token ld1)
reset_counts >/dev/null
out=$(lp wrong "$GW_IMAP" 100 ld1 127.0.0.20)
check "100 wrong passwords from 127.0.0.20 are all refused ($out)" sh -c "echo '$out' | grep -q '^answers 100 ' && ! echo '$out' | grep -q \"'a1 OK\""
out=$(lp one "$GW_IMAP" ld1 "$work/pw.ld-ld1" 127.0.0.20)
check "then the right password from 127.0.0.20 is refused too ($out)" sh -c 'case "$1" in "a1 OK"*) exit 1 ;; esac; exit 0' _ "$out"
out=$(lp one "$GW_IMAP" ld1 "$work/pw.ld-ld1" 127.0.0.21)
check "and still works from 127.0.0.21 ($out)" test "${out:0:5}" = "a1 OK"
check "the store's token is untouched" test -n "$t1" -a "$(stored_token ld1)" = "$t1"
check "no request reached the token endpoint ($(counts | json '["token"]'))" test "$(counts | json '["token"]')" = 0
check "the gateway is still running" gw_alive
finish
