// mk-fuzz-libs: mailkey_oauth
/* Token-endpoint responses: any bytes, with a few HTTP statuses. Checks what
 * callers rely on: a failure has a class and a printable, terminated,
 * non-empty message; a success has a non-empty access token without CR or
 * LF (it goes into protocol lines), and so has the refresh token when there
 * is one (it goes into the next request). */
#include <stdint.h>
#include <string.h>

#include "broker/oauth/token_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A terminated string of printable bytes (tab allowed), within size. */
static void check_text(const char *s, size_t size, int allow_empty)
{
	const char *nul = memchr(s, '\0', size);

	if (nul == NULL || (!allow_empty && nul == s))
		__builtin_trap();
	for (const char *p = s; p < nul; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			__builtin_trap();
}

static void check_token(const char *t)
{
	if (t == NULL || t[0] == '\0')
		__builtin_trap();
	if (strpbrk(t, "\r\n") != NULL)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 429, 503 };
	struct mk_tokens t;
	struct mk_error err;
	struct mk_oauth_error oe;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		/* Fresh each time: a message left from the previous status
		 * must not hide a failure that sets none. */
		mk_error_init(&err);
		memset(&t, 0, sizeof(t));
		memset(&oe, 0, sizeof(oe));
		if (mk_token_resp_parse(statuses[i], (const char *)data, size, 1000, &t, &oe, &err) == 0) {
			check_token(t.access_token);
			if (t.refresh_token != NULL)
				check_token(t.refresh_token);
			mk_tokens_clear(&t);
		} else {
			if (err.cls == MK_ERR_NONE || (unsigned)err.cls >= MK_ERR_CLASS_LAST)
				__builtin_trap();
			check_text(err.msg, sizeof(err.msg), 0);
			check_text(oe.error, sizeof(oe.error), 1);
			check_text(oe.description, sizeof(oe.description), 1);
		}
	}
	return 0;
}
