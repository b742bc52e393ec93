#include "sasl_local.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/secret.h"
#include "common/str.h"

/* Decode b64 into the secret buffer out (cap GW_SASL_MAX). RFC 4954 §4 and
 * RFC 5034 §4 want strict base64: common/base64 refuses whitespace and
 * misplaced padding. */
static int decode(const char *b64, size_t len, struct mk_buf *out, struct mk_error *err)
{
	/* Reject an over-long line before decoding any of it. */
	if (len > mk_base64_encoded_len(GW_SASL_MAX))
		return mk_error_set(err, MK_ERR_DATA, "SASL response longer than %u bytes", GW_SASL_MAX);
	if (mk_base64_decode(b64, len, out) != 0) {
		if (errno == E2BIG)
			return mk_error_set(err, MK_ERR_DATA, "SASL response longer than %u bytes",
					    GW_SASL_MAX);
		if (errno == ENOMEM)
			return mk_error_set(err, MK_ERR_INTERNAL, "out of memory decoding a SASL response");
		return mk_error_set(err, MK_ERR_DATA, "SASL response is not valid base64");
	}
	return 0;
}

enum gw_sasl_mech gw_sasl_mech_parse(const char *s, size_t len)
{
	if (len == 5 && strncasecmp(s, "PLAIN", 5) == 0)
		return GW_SASL_MECH_PLAIN;
	if (len == 5 && strncasecmp(s, "LOGIN", 5) == 0)
		return GW_SASL_MECH_LOGIN;
	return GW_SASL_MECH_OTHER;
}

static char *dup_secret(const char *p, size_t n)
{
	return mk_str_ndup(p, n); /* freed by the caller with mk_secret_free_str */
}

/* RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. */
int gw_sasl_plain_decode(const char *b64, size_t len, char **user_r, char **pass_r, struct mk_error *err)
{
	struct mk_buf msg;
	const char *p, *nul1, *nul2, *end;
	size_t zlen, ulen, plen;
	char *user = NULL, *pass = NULL;
	int rc = -1;

	*user_r = NULL;
	*pass_r = NULL;
	mk_buf_init_secret(&msg, GW_SASL_MAX);
	if (decode(b64, len, &msg, err) != 0)
		goto out;
	p = msg.data;
	end = p + msg.len;
	nul1 = msg.len > 0 ? memchr(p, '\0', msg.len) : NULL;
	if (nul1 == NULL) {
		mk_error_set(err, MK_ERR_DATA, "SASL PLAIN response lacks the NUL separators (RFC 4616)");
		goto out;
	}
	nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));
	if (nul2 == NULL) {
		mk_error_set(err, MK_ERR_DATA,
			     "SASL PLAIN response has one NUL separator, not two (RFC 4616)");
		goto out;
	}
	zlen = (size_t)(nul1 - p);
	ulen = (size_t)(nul2 - nul1 - 1);
	plen = (size_t)(end - nul2 - 1);
	if (memchr(nul2 + 1, '\0', plen) != NULL) {
		mk_error_set(err, MK_ERR_DATA, "SASL PLAIN response has more than two NULs");
		goto out;
	}
	if (ulen == 0 || plen == 0) {
		mk_error_set(err, MK_ERR_DATA, "SASL PLAIN response has an empty %s",
			     ulen == 0 ? "user name" : "password");
		goto out;
	}
	/* Acting as another user is not something an app password grants;
	 * naming oneself as authzid is what some clients do. */
	if (zlen > 0 && (zlen != ulen || memcmp(p, nul1 + 1, ulen) != 0)) {
		mk_error_set(err, MK_ERR_DATA,
			     "SASL PLAIN authorization identity differs from the user name");
		goto out;
	}
	if (mk_str_has_crlfnul(nul1 + 1, ulen) || mk_str_has_crlfnul(nul2 + 1, plen)) {
		mk_error_set(err, MK_ERR_DATA, "SASL PLAIN user name or password contains CR or LF");
		goto out;
	}
	user = dup_secret(nul1 + 1, ulen);
	pass = dup_secret(nul2 + 1, plen);
	if (user == NULL || pass == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory decoding a SASL response");
		goto out;
	}
	*user_r = user;
	*pass_r = pass;
	user = pass = NULL;
	rc = 0;
out:
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	mk_buf_free(&msg);
	return rc;
}

int gw_sasl_login_decode(const char *b64, size_t len, char **out_r, struct mk_error *err)
{
	struct mk_buf msg;
	int rc = -1;

	*out_r = NULL;
	mk_buf_init_secret(&msg, GW_SASL_MAX);
	if (decode(b64, len, &msg, err) != 0)
		goto out;
	if (mk_str_has_crlfnul(mk_buf_str(&msg), msg.len)) {
		mk_error_set(err, MK_ERR_DATA, "SASL LOGIN response contains CR, LF or NUL");
		goto out;
	}
	*out_r = dup_secret(mk_buf_str(&msg), msg.len);
	if (*out_r == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory decoding a SASL response");
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&msg);
	return rc;
}
