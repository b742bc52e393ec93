// mk-fuzz-libs: mailkey_gwparse
/* The gateway's local SASL decoding: PLAIN and LOGIN on the same bytes.
 * What comes out must satisfy the documented form: non-empty for PLAIN,
 * no CR, LF or NUL, within GW_SASL_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/secret.h"
#include "gateway/sasl_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, int allow_empty)
{
	size_t n = strlen(s);

	if (n > GW_SASL_MAX || (n == 0 && !allow_empty) || strpbrk(s, "\r\n") != NULL)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy with no terminator, so that ASan sees any read past size. */
	char *in = malloc(size > 0 ? size : 1);
	struct mk_error err;
	char *user = NULL, *pass = NULL, *out = NULL;

	if (in == NULL)
		return 0;
	if (size > 0)
		memcpy(in, data, size);
	mk_error_init(&err);
	if (gw_sasl_plain_decode(in, size, &user, &pass, &err) == 0) {
		check(user, 0);
		check(pass, 0);
	} else if (user != NULL || pass != NULL || err.cls == MK_ERR_NONE) {
		__builtin_trap();
	}
	if (gw_sasl_login_decode(in, size, &out, &err) == 0)
		check(out, 1);
	else if (out != NULL)
		__builtin_trap();
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	mk_secret_free_str(out);
	free(in);
	return 0;
}
