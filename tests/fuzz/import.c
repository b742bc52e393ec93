// mk-fuzz-libs: mailkey_import mailkey_broker_core
/* `mailkey import`'s token-file parser: any bytes, in each format. Checks
 * what the store and the protocols rely on: a success has a non-empty access
 * token and (if any) refresh token of printable bytes, token_type Bearer, an
 * expiry not before the import and at most ten years after; a failure is
 * MK_ERR_DATA (or INTERNAL) with a printable, terminated, non-empty message. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cli/import_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1764583200

static void check_line(const char *s, int allow_null)
{
	if (s == NULL) {
		if (!allow_null)
			__builtin_trap();
		return;
	}
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			__builtin_trap();
}

static void check_token(const char *t, int allow_null)
{
	if (t != NULL && t[0] == '\0')
		__builtin_trap();
	check_line(t, allow_null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mk_import_format fmts[] = { MK_IMPORT_JSON, MK_IMPORT_MUTT_OAUTH2,
						      MK_IMPORT_SASL_XOAUTH2 };
	struct mk_import r;
	struct mk_error err;

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		mk_error_init(&err);
		if (mk_import_parse(fmts[i], (const char *)data, size, NOW, NULL, &r, &err) == 0) {
			check_token(r.tokens.access_token, 0);
			check_token(r.tokens.refresh_token, 1);
			if (r.tokens.token_type == NULL || strcmp(r.tokens.token_type, "Bearer") != 0)
				__builtin_trap();
			check_line(r.tokens.scope, 1);
			check_line(r.client_id, 1);
			check_line(r.token_endpoint, 1);
			check_line(r.user, 1);
			if (r.tokens.obtained_at != NOW || r.tokens.expires_at < NOW ||
			    r.tokens.expires_at > NOW + 10LL * 365 * 86400)
				__builtin_trap();
			if (r.expired != (r.tokens.expires_at == NOW) ||
			    (r.expired && r.tokens.refresh_token == NULL))
				__builtin_trap();
			mk_import_clear(&r);
		} else {
			const char *nul = memchr(err.msg, '\0', sizeof(err.msg));
			if ((err.cls != MK_ERR_DATA && err.cls != MK_ERR_INTERNAL) || nul == NULL ||
			    nul == err.msg)
				__builtin_trap();
			check_line(err.msg, 0);
			if (r.tokens.access_token != NULL)
				__builtin_trap();
		}
	}
	return 0;
}
