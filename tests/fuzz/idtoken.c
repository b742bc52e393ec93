// mk-fuzz-libs: mailkey_oauth
/* Who consented: the ID token's payload decoder and the claims judge, fed
 * attacker-controlled bytes (an ID token or a userinfo body comes from the
 * provider, but a mix-up or a hostile provider controls it). Checks: a
 * verdict is one of the enum values, a mismatch names someone, a failure has
 * a message, and the decoded payload never exceeds what the input can hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/oauth/idtoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(const char *json, size_t len, const char *user)
{
	struct mk_buf who;
	struct mk_error err;
	int v;

	mk_buf_init(&who, 4096);
	mk_error_init(&err);
	v = mk_ident_judge(json, len, user, &who, &err);
	if (v == -1) {
		if (err.msg[0] == '\0')
			__builtin_trap();
	} else if (v != MK_IDENT_MATCH && v != MK_IDENT_MISMATCH && v != MK_IDENT_UNKNOWN) {
		__builtin_trap();
	} else if (v == MK_IDENT_MISMATCH && mk_buf_str(&who)[0] == '\0') {
		__builtin_trap();
	}
	mk_buf_free(&who);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mk_buf payload;
	struct mk_error err;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* As a userinfo body, judged against a fixed user and against itself. */
	judge(s, size, "alice@example.test");
	mk_buf_init(&payload, 65536);
	mk_error_init(&err);
	/* As a compact JWT: the payload is base64url, so it is shorter. */
	if (mk_idtoken_payload(s, &payload, &err) == 0) {
		if (payload.len > size)
			__builtin_trap();
		judge(mk_buf_str(&payload), payload.len, "ALICE@example.test");
	} else if (err.msg[0] == '\0') {
		__builtin_trap();
	}
	mk_buf_free(&payload);
	free(s);
	return 0;
}
