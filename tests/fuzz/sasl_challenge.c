// mk-fuzz-libs: mailkey_sasl
/* Error challenges as both mechanisms see them. */
#include <stdint.h>
#include <string.h>

#include "sasl-helper/mech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mk_sasl_mech *mechs[] = { &mk_sasl_xoauth2, &mk_sasl_oauthbearer };

	for (size_t i = 0; i < 2; i++) {
		struct mk_buf out;
		struct mk_sasl_failure f;
		struct mk_error err;
		mk_buf_init(&out, 16);
		mechs[i]->step(data, size, &out, &f, &err);
		if (strnlen(f.message, sizeof(f.message)) == sizeof(f.message))
			__builtin_trap();
		mk_buf_free(&out);
	}
	return 0;
}
