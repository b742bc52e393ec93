#!/usr/bin/env bash
# The flows for machines without a browser, end to end: the device flow
# (RFC 8628) and the manual paste-the-URL flow, each approved in headless
# Chromium as a person on another device would.
. "$(dirname "$0")/lib.sh"
account dev "$MK_CLIENT_ID"
account man "$MK_CLIENT_ID"

# Device flow: read the verification address from mailkey's output and
# approve it in the browser while mailkey polls.
"$MK" login dev --device --timeout 60 2>"$work/device.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -oE 'open http[^ ]*user_code=[^ )]*' "$work/device.err" | head -1 | cut -d' ' -f2)
	[ -n "$url" ] && break
	sleep 0.1
done
check "device flow prints the verification address and a code" \
	sh -c "test -n '$url' && grep -q 'enter the code' '$work/device.err'"
node "$top/tests/browser/consent.mjs" --device-url "$url" --user "$MK_USER1" >"$work/device.json" 2>&1
check "the person approves the code in the browser" test $? = 0
wait $pid
rc=$?
check "device login exits 0 (got $rc)" test $rc = 0
check "progress line shown while polling" grep -q "waiting for you to approve the code" "$work/device.err"
tok=$("$MK" token dev)
check "device-flow token is active at the provider" test "$(printf %s "$tok" | introspect)" = True

# Device flow declined in the browser: access_denied ends the polling, exit 77.
account devdeny "$MK_CLIENT_ID"
"$MK" login devdeny --device --timeout 60 2>"$work/devdeny.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(grep -oE 'open http[^ ]*user_code=[^ )]*' "$work/devdeny.err" | head -1 | cut -d' ' -f2)
	[ -n "$url" ] && break
	sleep 0.1
done
node "$top/tests/browser/consent.mjs" --device-url "$url" --user "$MK_USER1" --deny >"$work/devdeny.json" 2>&1
crc=$?
check "the person declines the code in the browser (consent.mjs exit $crc)" test $crc = 0
wait $pid
rc=$?
check "device flow declined in the browser exits 77 (got $rc)" test $rc = 77
check "and says consent was declined" grep -qiE "declined|denied" "$work/devdeny.err"
check "and names the command that helps, once" \
	test "$(grep -o 'mailkey login devdeny`' "$work/devdeny.err" | wc -l)" = 1

# Manual flow: mailkey prints the address; the browser elsewhere ends on an
# address that does not load; the person pastes it back.
mkfifo "$work/paste"
"$MK" login man --manual <"$work/paste" 2>"$work/manual.err" &
pid=$!
exec 3>"$work/paste"
url=
for _ in $(seq 1 100); do
	url=$(grep -oE '^http[^ ]*/auth\?[^ ]*' "$work/manual.err" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
check "manual flow prints the address to open" test -n "$url"

node "$top/tests/browser/consent.mjs" --url "$url" --user "$MK_USER1" >"$work/manual.json" 2>&1
final=$(json '["url"]' <"$work/manual.json")
check "the browser ends on the unloadable redirect with a code" sh -c "echo '$final' | grep -q 'code='"
printf '%s\n' "$final" >&3
exec 3>&-
wait $pid
rc=$?
check "manual login exits 0 (got $rc)" test $rc = 0
tok=$("$MK" token man)
check "manual-flow token is active at the provider" test "$(printf %s "$tok" | introspect)" = True

# Manual flow with a tampered paste (wrong state): refused, nothing stored.
account man2 "$MK_CLIENT_ID"
bad=$(printf %s "$final" | sed -E 's/state=[^&]*/state=forged/')
printf '%s\n' "$bad" | "$MK" login man2 --manual >/dev/null 2>"$work/manual2.err"
rc=$?
check "a pasted address with the wrong state is refused (exit 65, got $rc)" test $rc = 65
check "and the message says why" grep -q "does not belong to this login" "$work/manual2.err"
"$MK" status man2 >/dev/null 2>&1
check "nothing was stored for it" test $? = 77
finish
