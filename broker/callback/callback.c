#include "broker/callback/callback.h"

#include <string.h>

#include "common/secret.h"

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

enum mk_cb_outcome mk_cb_judge(const struct mk_cb_expect *x, const struct mk_cb_params *q,
			       struct mk_error *err)
{
	if (q->state == NULL || !mk_secret_streq(x->state, q->state))
		return MK_CB_STALE;
	/* RFC 9207 §2.4: with the server's promise of `iss`, a missing or
	 * different one means the answer may come from another server (mix-up
	 * attack): never use its code. */
	if (x->iss_required && (q->iss == NULL || x->issuer == NULL || strcmp(q->iss, x->issuer) != 0)) {
		mk_error_set(err, MK_ERR_PROTO,
			     "the authorization response names issuer '%s', expected '%s': possible mix-up "
			     "attack, "
			     "the code was not used",
			     q->iss != NULL && printable(q->iss) ? q->iss : "(none)",
			     x->issuer ? x->issuer : "");
		return MK_CB_ERROR;
	}
	if (q->error != NULL) {
		const char *d = q->error_description != NULL && printable(q->error_description)
					? q->error_description
					: "";
		const char *e = printable(q->error) ? q->error : "error";
		if (strcmp(q->error, "access_denied") == 0) {
			mk_error_set(err, MK_ERR_CONSENT, "consent was declined in the browser%s%s%s",
				     *d ? " (" : "", d, *d ? ")" : "");
			return MK_CB_DENIED;
		}
		mk_error_set(err,
			     strcmp(e, "temporarily_unavailable") == 0 || strcmp(e, "server_error") == 0
				     ? MK_ERR_TEMP
				     : MK_ERR_CONFIG,
			     "the provider returned an error: %s%s%s%s", e, *d ? " (" : "", d, *d ? ")" : "");
		return MK_CB_ERROR;
	}
	if (q->code == NULL || q->code[0] == '\0') {
		mk_error_set(err, MK_ERR_PROTO, "the authorization response has neither code nor error");
		return MK_CB_ERROR;
	}
	return MK_CB_CODE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mk_query_get(const char *s, const char *key, struct mk_buf *out)
{
	const char *q = strchr(s, '?');
	size_t klen = strlen(key);

	q = q != NULL ? q + 1 : s;
	while (*q != '\0') {
		const char *end = q + strcspn(q, "&#");
		if ((size_t)(end - q) > klen && strncmp(q, key, klen) == 0 && q[klen] == '=') {
			for (const char *v = q + klen + 1; v < end; v++) {
				char c = *v;
				if (c == '+')
					c = ' ';
				else if (c == '%') {
					int hi, lo;
					if (end - v < 3 || (hi = hexval(v[1])) < 0 || (lo = hexval(v[2])) < 0)
						return -1;
					c = (char)(hi * 16 + lo);
					v += 2;
				}
				if (c == '\0' || mk_buf_addc(out, c) != 0)
					return -1;
			}
			return 0;
		}
		if (*end != '&')
			break;
		q = end + 1;
	}
	return 1;
}
