#!/usr/bin/env bash
# gwreview_tls_files: the gateway's generated TLS material.
# 1. Its private keys must stay 0600: the store refuses a world-readable
#    store.key ("readable by other users: chmod 600 it", exit 65), but a
#    world-readable STATE/gateway/ca.key or key.pem was used silently.
# 2. Users import the gateway's CA into their clients (docs: "give it to
#    clients"; Outlook only knows the system store). A CA without name
#    constraints whose key sits in a user's state directory can sign a
#    certificate for any site; it must be limited to the gateway's own
#    names (localhost, 127.0.0.1, ::1 and [gateway] names).
. "$(dirname "$0")/lib.sh"
gw_config
"$MK" gateway ca >"$work/ca.pem" 2>"$work/ca.err"
check "mailkey gateway ca makes the CA ($(head -c 200 "$work/ca.err"))" grep -q "BEGIN CERTIFICATE" "$work/ca.pem"
G=$MAILKEY_STATE_DIR/gateway
mode() { stat -c %a "$1"; }
check "ca.key is 0600 ($(mode "$G/ca.key"))" test "$(mode "$G/ca.key")" = 600
check "key.pem is 0600 ($(mode "$G/key.pem"))" test "$(mode "$G/key.pem")" = 600
check "STATE/gateway is 0700 ($(mode "$G"))" test "$(mode "$G")" = 700

# 1. Loosened modes (a restore from a backup, a careless chmod).
chmod 644 "$G/ca.key" "$G/key.pem"
"$MK" gateway ca >"$work/ca2.pem" 2>"$work/ca2.err"
rc=$?
ok_modes() { [ "$(mode "$G/ca.key")" = 600 ] && [ "$(mode "$G/key.pem")" = 600 ]; }
check "gateway ca with world-readable keys: refused with a message, or the modes repaired (rc $rc, $(mode "$G/ca.key")/$(mode "$G/key.pem"): $(head -c 200 "$work/ca2.err"))" \
	sh -c "[ $rc -ne 0 ] && grep -q 'other users' '$work/ca2.err' || { [ $rc -eq 0 ] && [ \"\$(stat -c %a '$G/ca.key')\" = 600 ] && [ \"\$(stat -c %a '$G/key.pem')\" = 600 ]; }"
chmod 644 "$G/ca.key" "$G/key.pem"
gw_start
started=$?
check "gateway with world-readable keys: refused, or the modes repaired (started $started, $(mode "$G/ca.key")/$(mode "$G/key.pem"))" \
	sh -c "[ $started -ne 0 ] || { [ \"\$(stat -c %a '$G/ca.key')\" = 600 ] && [ \"\$(stat -c %a '$G/key.pem')\" = 600 ]; }"
gw_stop
chmod 600 "$G/ca.key" "$G/key.pem"

# 2. A certificate for another site signed with the gateway CA's key must
#    not verify against that CA.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/evil.key" \
	-subj "/CN=www.example.com" -addext "subjectAltName=DNS:www.example.com" -out "$work/evil.csr" 2>/dev/null
printf 'subjectAltName=DNS:www.example.com\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >"$work/evil.ext"
openssl x509 -req -in "$work/evil.csr" -CA "$work/ca.pem" -CAkey "$G/ca.key" -CAcreateserial -days 30 \
	-extfile "$work/evil.ext" -out "$work/evil.pem" 2>"$work/sign.err"
check "openssl can sign with ca.key (the key is usable: $(head -c 200 "$work/sign.err"))" test -s "$work/evil.pem"
openssl verify -CAfile "$work/ca.pem" -verify_hostname www.example.com "$work/evil.pem" >"$work/verify.out" 2>&1
rc=$?
check "a www.example.com certificate signed by the gateway CA does not verify (rc $rc: $(tr '\n' ' ' <"$work/verify.out" | head -c 200))" test "$rc" != 0
# The gateway's own certificate still verifies for its names.
openssl verify -CAfile "$work/ca.pem" -verify_ip 127.0.0.1 "$G/cert.pem" >"$work/own.out" 2>&1
check "the gateway's own certificate verifies for 127.0.0.1 ($(tr '\n' ' ' <"$work/own.out"))" grep -q ": OK" "$work/own.out"
finish
