/* The one SASL driver, shared by the protocols (curl's SASLproto idea). */
#include "mail/sasl.h"

#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/secret.h"
#include "mail/conn.h"

/* RFC 4954 §4 asks for 12288 octets; Microsoft tokens have passed 4096
 * characters (MailKit #1948), so leave ample room. */
#define MK_SASL_LINE_MAX (64 * 1024)

/* Case-insensitive substring test, for the servers' free-text reasons. */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (; *text != '\0'; text++)
		if (strncasecmp(text, word, n) == 0)
			return true;
	return false;
}

/* Whether a final reply's text says the token ran out: Microsoft's "501
 * 5.5.127 ... Token will expire soon" and "AccessTokenExpired", anyone's
 * "expired". */
static bool text_says_expired(const char *text)
{
	return has_word(text, "expire") || has_word(text, "invalid_token");
}

/* Abort the exchange (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4: a line
 * "*"), then read the server's answer to it so the session stays in step.
 * err keeps the caller's message; the reply's content does not matter. */
static void cancel(const struct mk_sasl_proto *proto, struct mk_buf *payload)
{
	struct mk_error ignored;
	enum mk_sasl_reply_kind kind;

	mk_error_init(&ignored);
	if (proto->send_line(proto->ctx, "*", 1, &ignored) != 0)
		return;
	mk_buf_reset(payload);
	(void)proto->read_reply(proto->ctx, &kind, payload, &ignored);
}

int mk_sasl_authenticate(const struct mk_sasl_proto *proto, const struct mk_sasl_mech *mech,
			 const struct mk_sasl_creds *creds, bool force_two_step, struct mk_sasl_result *res,
			 struct mk_error *err)
{
	struct mk_sasl_result local;
	struct mk_buf raw, b64, payload, dec, answer, ab64;
	enum mk_sasl_reply_kind kind;
	enum mk_sasl_status st;
	struct mk_error step_err;
	bool sent_response = false;
	int rc = -1;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	mk_buf_init_secret(&raw, MK_SASL_LINE_MAX);
	mk_buf_init_secret(&b64, MK_SASL_LINE_MAX);
	mk_buf_init(&payload, MK_SASL_LINE_MAX);
	mk_buf_init(&dec, MK_SASL_LINE_MAX);
	mk_buf_init(&answer, 16);
	mk_buf_init(&ab64, 64);
	if (mech->start(creds, &raw, err) != MK_SASL_OK)
		goto out;
	if (mk_base64_encode(raw.data, raw.len, &b64) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "the SASL response is too long");
		goto out;
	}
	mk_buf_free(&raw);
	/* The initial response rides on the command only when it fits the
	 * protocol's line limit (RFC 4954 §4, RFC 5034 §4, RFC 4959). */
	if (!force_two_step && proto->max_ir_len > 0 && b64.len <= proto->max_ir_len) {
		if (proto->send_auth(proto->ctx, mech->name, mk_buf_str(&b64), err) != 0)
			goto out;
		sent_response = true;
	} else if (proto->send_auth(proto->ctx, mech->name, NULL, err) != 0) {
		goto out;
	}
	for (;;) {
		mk_buf_reset(&payload);
		if (proto->read_reply(proto->ctx, &kind, &payload, err) != 0)
			goto out;
		switch (kind) {
		case MK_SASL_REPLY_OK:
			rc = 0;
			goto out;
		case MK_SASL_REPLY_FAIL:
		case MK_SASL_REPLY_TEMPFAIL:
			res->token_expired = res->token_expired || text_says_expired(mk_buf_str(&payload));
			mk_error_set(err, kind == MK_SASL_REPLY_FAIL ? MK_ERR_AUTH : MK_ERR_TEMP,
				     "%s refused the login: %s%s%s", proto->name, mk_buf_str(&payload),
				     res->had_challenge ? "; " : "",
				     res->had_challenge ? res->failure.message : "");
			goto out;
		case MK_SASL_REPLY_BAD:
			mk_error_set(err, MK_ERR_PROTO, "%s answered AUTH with: %s", proto->name,
				     mk_buf_str(&payload));
			goto out;
		case MK_SASL_REPLY_CONTINUE:
			break;
		}
		if (!sent_response) {
			/* The continuation after AUTH without an initial response
			 * (RFC 4954 "334 ", RFC 9051 "+ "): send the response. */
			if (proto->send_line(proto->ctx, mk_buf_str(&b64), b64.len, err) != 0)
				goto out;
			sent_response = true;
			continue;
		}
		if (res->had_challenge) {
			/* Both mechanisms take one error challenge at most. */
			mk_error_set(err, MK_ERR_PROTO,
				     "%s sent a second challenge after the error challenge", proto->name);
			cancel(proto, &payload);
			goto out;
		}
		/* An error challenge: decode strictly; what cannot be decoded is
		 * cancelled (RFC 4954 §4: "the client MUST cancel"). */
		if (mk_base64_decode(mk_buf_str(&payload), payload.len, &dec) != 0) {
			mk_error_set(err, MK_ERR_PROTO, "%s sent a challenge that is not base64",
				     proto->name);
			cancel(proto, &payload);
			goto out;
		}
		res->had_challenge = true;
		/* step's own error (the refusal) is not ours yet: the final
		 * reply decides, and res->failure keeps the reason. */
		mk_error_init(&step_err);
		st = mech->step((const unsigned char *)dec.data, dec.len, &answer, &res->failure, &step_err);
		if (st != MK_SASL_OK && st != MK_SASL_AUTH_FAILED) {
			mk_error_set(err, step_err.cls, "%s", step_err.msg);
			cancel(proto, &payload);
			goto out;
		}
		res->token_expired = mk_sasl_failure_is_token_problem(&res->failure);
		/* Answer it as the mechanism says (empty for XOAUTH2, ^A for
		 * OAUTHBEARER, RFC 7628 §3.2.3); the final failure comes next. */
		if (mk_base64_encode(answer.data, answer.len, &ab64) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		if (proto->send_line(proto->ctx, mk_buf_str(&ab64), ab64.len, err) != 0)
			goto out;
	}
out:
	mk_buf_free(&raw);
	mk_buf_free(&b64);
	mk_buf_free(&payload);
	mk_buf_free(&dec);
	mk_buf_free(&answer);
	mk_buf_free(&ab64);
	return rc;
}

int mk_sasl_write_auth(struct mk_conn *c, const char *verb, const char *mech, const char *ir,
		       struct mk_error *err)
{
	struct mk_buf b;
	int rc;

	mk_buf_init_secret(&b, 128 * 1024);
	rc = ir != NULL ? mk_buf_addf(&b, "%s %s %s\r\n", verb, mech, *ir ? ir : "=")
			: mk_buf_addf(&b, "%s %s\r\n", verb, mech);
	rc = rc == 0 ? mk_conn_write(c, b.data, b.len, true, strlen(verb) + 1 + strlen(mech), err)
		     : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	mk_buf_free(&b);
	return rc;
}

int mk_sasl_write_response(struct mk_conn *c, const char *b64, size_t len, struct mk_error *err)
{
	struct mk_buf b;
	int rc;

	mk_buf_init_secret(&b, 128 * 1024);
	/* An empty line or "*" carries no secret; anything else does. */
	rc = mk_buf_add(&b, b64, len) == 0 && mk_buf_add(&b, "\r\n", 2) == 0
		     ? mk_conn_write(c, b.data, b.len, len > 1, 0, err)
		     : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	mk_buf_free(&b);
	return rc;
}
