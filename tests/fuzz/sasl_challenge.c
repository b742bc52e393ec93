// mk-fuzz-libs: mailkey_sasl
/* Error challenges (the decoded JSON) as both mechanisms see them. Checks
 * the contract of step(): always AUTH_FAILED, the answer is empty for
 * XOAUTH2 and a single ^A for OAUTHBEARER (RFC 7628 §3.2.3), and every
 * fixed field comes back NUL-terminated inside its array. */
#include <stdint.h>
#include <string.h>

#include "sasl-helper/mech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mk_sasl_mech *mechs[] = { &mk_sasl_xoauth2, &mk_sasl_oauthbearer };

	for (size_t i = 0; i < 2; i++) {
		struct mk_buf out;
		struct mk_sasl_failure f;
		struct mk_error err;
		mk_buf_init(&out, 16);
		mk_error_init(&err);
		if (mechs[i]->step(data, size, &out, &f, &err) != MK_SASL_AUTH_FAILED ||
		    err.cls != MK_ERR_AUTH)
			__builtin_trap();
		if (out.len != i || (i == 1 && out.data[0] != '\x01'))
			__builtin_trap();
		if (!TERMINATED(f.status) || !TERMINATED(f.schemes) || !TERMINATED(f.scope) ||
		    !TERMINATED(f.openid_configuration) || !TERMINATED(f.message) || f.message[0] == '\0')
			__builtin_trap();
		(void)mk_sasl_failure_is_token_problem(&f);
		mk_buf_free(&out);
	}
	return 0;
}
