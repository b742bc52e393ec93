/* XOAUTH2 (Google, Microsoft): "user=" U ^A "auth=Bearer " T ^A ^A. After an
 * error challenge the client must answer with an empty response. */
#include "sasl-helper/mech-private.h"

static enum mk_sasl_status start(const struct mk_sasl_creds *c, struct mk_buf *out, struct mk_error *err)
{
	size_t base = out->len;

	if (mk_sasl_check_field("user", c->user, err) != MK_SASL_OK ||
	    mk_sasl_check_field("token", c->token, err) != MK_SASL_OK)
		return MK_SASL_ERR_INTERNAL;
	if (mk_buf_addf(out,
			"user=%s\x01"
			"auth=Bearer %s\x01\x01",
			c->user, c->token) != 0) {
		mk_buf_truncate(out, base); /* mk_buf_addf leaves it unchanged; be explicit */
		mk_error_set(err, MK_ERR_INTERNAL, "the XOAUTH2 string does not fit");
		return MK_SASL_ERR_INTERNAL;
	}
	return MK_SASL_OK;
}

static enum mk_sasl_status step(const unsigned char *challenge, size_t len, struct mk_buf *out,
				struct mk_sasl_failure *fail, struct mk_error *err)
{
	(void)out; /* the answer is the empty response */
	mk_sasl_parse_failure(challenge, len, fail);
	mk_error_set(err, MK_ERR_AUTH, "%s", fail->message);
	return MK_SASL_AUTH_FAILED;
}

const struct mk_sasl_mech mk_sasl_xoauth2 = { "XOAUTH2", start, step };
