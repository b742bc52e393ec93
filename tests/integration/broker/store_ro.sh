#!/usr/bin/env bash
# A store that stopped taking writes must not cost the grant: the provider
# rotates the refresh token when it answers, so a refresh whose answer
# cannot be stored throws the grant away. mailkey proves the store takes a
# write first; while it does not, no refresh request is sent, the current
# token is handed out (with a warning) while it is valid, an expired one
# gets 75 naming the problem, and once the store is writable again the same
# grant refreshes.
# The directory is made immutable with chattr +i (root ignores modes).
. "$(dirname "$0")/lib.sh"
account ro "$MK_SHORT_CLIENT_ID"
export MK_SEED_TOKEN_ENDPOINT=$MK_OP_ISSUER/token
"$top/tests/servers/get-token" "$work/srv" --client "$MK_SHORT_CLIENT_ID" >"$work/grant.json"
json '["access_token"]' <"$work/grant.json" >"$work/seed"
json '["refresh_token"]' <"$work/grant.json" >>"$work/seed"
"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" ro 300 <"$work/seed"
check "a real grant is stored" "$MK" status ro
if ! chattr +i "$MAILKEY_STATE_DIR/accounts" 2>"$work/chattr.err"; then
	bad "chattr +i works on this file system ($(cat "$work/chattr.err"))"
	finish
	exit 1
fi
undo() { chattr -i "$MAILKEY_STATE_DIR/accounts" 2>/dev/null; }
trap 'undo; cleanup' EXIT
tok=$(json '["access_token"]' <"$work/grant.json")
before=$(counts | json '["token"]')
out=$("$MK" token --refresh ro 2>"$work/err")
rc=$?
check "a forced refresh prints the current, still valid token ($rc)" \
	sh -c "test $rc = 0 && test '$out' = '$tok'"
check "with a warning that the grant is kept and the store cannot be written" \
	grep -q "so that its grant is kept: the store cannot be written" "$work/err"
after=$(counts | json '["token"]')
check "no request reached the token endpoint ($before -> $after)" test "$before" = "$after"
# A token due for refresh (8 s left) is still handed out while it is valid.
undo
MK_SEED_AGE=100 "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" ro 8 <"$work/seed" # due, still valid
chattr +i "$MAILKEY_STATE_DIR/accounts"
before=$(counts | json '["token"]')
out=$("$MK" token ro 2>"$work/err2")
rc=$?
check "a due token is still handed out while the store is read-only ($rc)" \
	sh -c "test $rc = 0 && test '$out' = '$tok'"
check "with a warning naming the problem" grep -q "the store cannot be written" "$work/err2"
check "and no request reached the token endpoint" test "$before" = "$(counts | json '["token"]')"
# An expired token: nothing to hand out, so 75 (try later: a sendmail
# caller keeps the mail), never 77 (the grant is whole).
undo
"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" ro -5 <"$work/seed"
chattr +i "$MAILKEY_STATE_DIR/accounts"
before=$(counts | json '["token"]')
"$MK" token ro >"$work/out4" 2>"$work/err4"
rc=$?
check "an expired token with the store read-only: exit 75 ($rc)" test "$rc" = 75
check "the message says what to fix" grep -q "the store cannot be written (fix that, then try again)" "$work/err4"
check "no token was printed" test ! -s "$work/out4"
check "and no request reached the token endpoint" test "$before" = "$(counts | json '["token"]')"
undo
new=$("$MK" token --refresh ro 2>"$work/err3")
rc=$?
check "writable again: the same grant refreshes ($rc: $(head -c 300 "$work/err3"))" test "$rc" = 0
check "to a new token" test -n "$new" -a "$new" != "$tok"
check "which is active" test "$(printf %s "$new" | introspect)" = True
finish
