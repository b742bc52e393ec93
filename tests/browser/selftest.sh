#!/usr/bin/env bash
# Proves tests/browser/consent.mjs against the test provider, with a
# throwaway node HTTP listener on 127.0.0.1:<ephemeral> as the RFC 8252
# loopback redirect receiver: code flow approved and denied, device flow
# approved, denied at consent and at code confirmation, the code typed in,
# an unknown user and a bad redirect refused. "N passed, M failed" at the end.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/mk-browser.XXXXXX)
chmod 755 "$work"
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
lpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	"$top/tests/servers/down" "$work/srv"
	if [ "$failn" -eq 0 ]; then rm -rf "$work"; else echo "# kept $work"; fi
}
trap cleanup EXIT
"$top/tests/servers/up" "$work/srv" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$work/srv/env"
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }
consent() { node "$top/tests/browser/consent.mjs" "$@"; }

# The loopback listener: answers /callback with a small page naming what it
# got, and appends the query to hits.jsonl.
cat >"$work/listener.mjs" <<'JS'
import { createServer } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';
const [hits, portFile] = process.argv.slice(2);
const srv = createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  const q = Object.fromEntries(u.searchParams);
  appendFileSync(hits, `${JSON.stringify({ path: u.pathname, ...q })}\n`);
  const what = q.code ? 'code received' : `error ${q.error}`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><title>test callback</title><body><p>${what}</p></body>`);
});
srv.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(srv.address().port)));
JS
node "$work/listener.mjs" "$work/hits.jsonl" "$work/port" &
lpid=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
redirect="http://127.0.0.1:$port/callback"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
verifier=$(head -c 32 /dev/urandom | b64url)
challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | b64url)
auth_url() { # state
	printf '%s/auth?client_id=%s&response_type=code&redirect_uri=%s&scope=openid%%20email%%20offline_access&prompt=consent&code_challenge=%s&code_challenge_method=S256&state=%s' \
		"$MK_OP_ISSUER" "$MK_CLIENT_ID" "$(printf %s "$redirect" | sed 's/:/%3A/g; s|/|%2F|g')" "$challenge" "$1"
}

# --- code flow, approved
t0=$(date +%s%N)
out=$(consent --url "$(auth_url s1)" --user "$MK_USER1" --screenshot "$work/approve.png")
rc=$?
echo "# approve took $((($(date +%s%N) - t0) / 1000000)) ms"
check "approve: exit 0 (got $rc)" test $rc = 0
check "approve: final page is the listener's" test "$(json '["text"]' <<<"$out")" = "code received"
check "approve: final URL is the redirect URI" sh -c "case '$(json '["url"]' <<<"$out")' in '$redirect?'*) exit 0;; *) exit 1;; esac"
hit=$(tail -n 1 "$work/hits.jsonl")
check "approve: listener got state and iss (RFC 9207)" \
	test "$(json '["state"]' <<<"$hit") $(json '["iss"]' <<<"$hit")" = "s1 $MK_OP_ISSUER"
tok=$(curl -sS "$MK_OP_ISSUER/token" --data-urlencode grant_type=authorization_code \
	--data-urlencode "client_id=$MK_CLIENT_ID" --data-urlencode "code=$(json '["code"]' <<<"$hit")" \
	--data-urlencode "redirect_uri=$redirect" --data-urlencode "code_verifier=$verifier")
check "approve: the code redeems for tokens" test -n "$(json '.get("refresh_token","")' <<<"$tok")"
check "approve: screenshot written" sh -c "head -c 8 '$work/approve.png' | grep -q PNG"

# --- code flow, denied
out=$(consent --url "$(auth_url s2)" --user "$MK_USER2" --deny)
rc=$?
check "deny: exit 0 (got $rc)" test $rc = 0
hit=$(tail -n 1 "$work/hits.jsonl")
check "deny: listener got error=access_denied with state s2" \
	test "$(json '["error"]' <<<"$hit") $(json '["state"]' <<<"$hit")" = "access_denied s2"
check "deny: final page is the listener's error page" test "$(json '["text"]' <<<"$out")" = "error access_denied"

# --- refusals
consent --url "$(auth_url s3)" --user nobody@example.test >/dev/null 2>"$work/err"
rc=$?
check "unknown user: exit 1 (got $rc)" test $rc = 1
consent --url "$(auth_url s4 | sed 's/%2Fcallback/%2Fcb/')" >/dev/null 2>"$work/err"
rc=$?
check "unregistered redirect path: exit 1 with the provider's error (got $rc)" \
	sh -c "test $rc = 1 && grep -q invalid_redirect_uri '$work/err'"

# --- device flow
device() { # -> device authorization JSON
	curl -sS "$MK_OP_ISSUER/device/auth" --data-urlencode "client_id=$MK_CLIENT_ID" \
		--data-urlencode "scope=openid email offline_access"
}
poll() { # device_code -> token response (or error)
	curl -sS "$MK_OP_ISSUER/token" --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:device_code \
		--data-urlencode "client_id=$MK_CLIENT_ID" --data-urlencode "device_code=$1"
}
da=$(device)
check "device authorization carries interval=$MK_DEVICE_INTERVAL" test "$(json '["interval"]' <<<"$da")" = "$MK_DEVICE_INTERVAL"
dc=$(json '["device_code"]' <<<"$da")
check "device: pending before approval" grep -q authorization_pending <<<"$(poll "$dc")"
out=$(consent --device-url "$(json '["verification_uri_complete"]' <<<"$da")" --user "$MK_USER1")
rc=$?
check "device approve: exit 0, success page (rc $rc)" sh -c "test $rc = 0 && echo '$out' | grep -q 'Sign-in Success'"
check "device approve: the device code redeems for tokens" test -n "$(poll "$dc" | json '.get("access_token","")')"

da=$(device)
out=$(consent --device-url "$(json '["verification_uri"]' <<<"$da")" --user-code "$(json '["user_code"]' <<<"$da")" --user "$MK_USER2")
check "device, code typed in: success" sh -c "echo '$out' | grep -q 'Sign-in Success'"
check "device, code typed in: token for bob" test "$(poll "$(json '["device_code"]' <<<"$da")" | json '.get("access_token","")' | wc -c)" -gt 1

for at in consent confirm; do
	da=$(device)
	out=$(consent --device-url "$(json '["verification_uri_complete"]' <<<"$da")" --user "$MK_USER1" --deny --deny-at $at)
	rc=$?
	check "device deny at $at: exit 0, interrupted page (rc $rc)" sh -c "test $rc = 0 && echo '$out' | grep -q interrupted"
	check "device deny at $at: polling gets access_denied" grep -q access_denied <<<"$(poll "$(json '["device_code"]' <<<"$da")")"
done

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
