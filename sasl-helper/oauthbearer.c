/* OAUTHBEARER (RFC 7628): gs2 header "n,a=USER," then ^A-separated
 * host=, port=, auth=Bearer T, ending ^A^A. After an error challenge the
 * client answers with a single ^A (§3.2.3). */
#include <string.h>

#include "sasl-helper/mech-private.h"

/* RFC 5801 §4 saslname: ',' -> "=2C", '=' -> "=3D". */
static int add_saslname(struct mk_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		int rc = *s == ','   ? mk_buf_addstr(out, "=2C")
			 : *s == '=' ? mk_buf_addstr(out, "=3D")
				     : mk_buf_addc(out, *s);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static enum mk_sasl_status start(const struct mk_sasl_creds *c, struct mk_buf *out, struct mk_error *err)
{
	size_t base = out->len;

	if (mk_sasl_check_field("user", c->user, err) != MK_SASL_OK ||
	    mk_sasl_check_field("token", c->token, err) != MK_SASL_OK ||
	    (c->host != NULL && mk_sasl_check_field("host", c->host, err) != MK_SASL_OK))
		return MK_SASL_ERR_INTERNAL;
	if (c->port > 65535) {
		mk_error_set(err, MK_ERR_INTERNAL, "the OAUTHBEARER port %u is out of range", c->port);
		return MK_SASL_ERR_INTERNAL;
	}
	/* RFC 7628 §3.1: gs2-header (RFC 5801 §4, no channel binding: "n"),
	 * kvsep, then key=value pairs each ended by kvsep, then a final kvsep.
	 * host and port are optional for bearer tokens. */
	if (mk_buf_addstr(out, "n,a=") != 0 || add_saslname(out, c->user) != 0 ||
	    mk_buf_addstr(out, ",\x01") != 0 ||
	    (c->host != NULL && mk_buf_addf(out, "host=%s\x01", c->host) != 0) ||
	    (c->port != 0 && mk_buf_addf(out, "port=%u\x01", c->port) != 0) ||
	    mk_buf_addf(out, "auth=Bearer %s\x01\x01", c->token) != 0) {
		/* Leave no half-built (secret) string behind. */
		mk_buf_truncate(out, base);
		mk_error_set(err, MK_ERR_INTERNAL, "the OAUTHBEARER string does not fit");
		return MK_SASL_ERR_INTERNAL;
	}
	return MK_SASL_OK;
}

static enum mk_sasl_status step(const unsigned char *challenge, size_t len, struct mk_buf *out,
				struct mk_sasl_failure *fail, struct mk_error *err)
{
	mk_sasl_parse_failure(challenge, len, fail);
	if (mk_buf_addc(out, '\x01') != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		return MK_SASL_ERR_INTERNAL;
	}
	mk_error_set(err, MK_ERR_AUTH, "%s", fail->message);
	return MK_SASL_AUTH_FAILED;
}

const struct mk_sasl_mech mk_sasl_oauthbearer = { "OAUTHBEARER", start, step };
