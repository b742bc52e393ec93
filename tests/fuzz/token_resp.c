// mk-fuzz-libs: mailkey_oauth
/* Token-endpoint responses: any bytes, with a few HTTP statuses. */
#include <stdint.h>
#include <string.h>

#include "broker/oauth/token_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 429, 503 };
	struct mk_tokens t;
	struct mk_error err;
	struct mk_oauth_error oe;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if (mk_token_resp_parse(statuses[i], (const char *)data, size, 1000, &t, &oe, &err) == 0)
			mk_tokens_clear(&t);
		else if (strlen(err.msg) >= sizeof(err.msg))
			__builtin_trap();
	}
	return 0;
}
