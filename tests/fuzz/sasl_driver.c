// mk-fuzz-libs: mailkey_mail
/* The SASL driver against a fuzzed server. Input: byte 0 picks mechanism,
 * initial-response budget and force_two_step; the rest is replies, one per
 * line, the first byte of each its kind (C continue, K ok, F fail, T
 * tempfail, else bad) and the rest its payload. Checks that the exchange
 * ends after a bounded number of lines, that success means the server said
 * OK (the reply to a cancel does not count), and that a cancel ("*") always
 * ends in MK_ERR_PROTO. */
#include <stdint.h>
#include <string.h>

#include "mail/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
	const uint8_t *p, *end;
	size_t sent;
	bool cancelled, last_ok;
};

static int send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	struct fake *f = ctx;

	(void)mech;
	(void)ir;
	(void)err;
	f->sent++;
	return 0;
}

static int send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	struct fake *f = ctx;

	(void)err;
	f->sent++;
	if (len == 1 && b64[0] == '*')
		f->cancelled = true;
	return 0;
}

static int read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload, struct mk_error *err)
{
	struct fake *f = ctx;
	const uint8_t *e = f->p;

	if (f->p >= f->end)
		return mk_error_set(err, MK_ERR_CONN, "eof");
	while (e < f->end && *e != '\n')
		e++;
	*kind = *f->p == 'C'   ? MK_SASL_REPLY_CONTINUE
		: *f->p == 'K' ? MK_SASL_REPLY_OK
		: *f->p == 'F' ? MK_SASL_REPLY_FAIL
		: *f->p == 'T' ? MK_SASL_REPLY_TEMPFAIL
			       : MK_SASL_REPLY_BAD;
	f->last_ok = *kind == MK_SASL_REPLY_OK;
	if (mk_buf_add(payload, f->p + 1, (size_t)(e - f->p) - (e > f->p ? 1 : 0)) != 0)
		return mk_error_set(err, MK_ERR_PROTO, "too long");
	f->p = e < f->end ? e + 1 : e;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mk_sasl_creds creds = { "bob@example.test", "T0KEN", "127.0.0.1", 143 };
	struct fake f = { 0 };
	struct mk_sasl_proto p = { "IMAP", 0, true, send_auth, send_line, read_reply, &f };
	struct mk_sasl_result res;
	struct mk_error err;
	int rc;

	if (size < 1)
		return 0;
	f.p = data + 1;
	f.end = data + size;
	p.max_ir_len = (data[0] & 2) ? 497 : 0;
	mk_error_init(&err);
	rc = mk_sasl_authenticate(&p, (data[0] & 1) ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2, &creds,
				  (data[0] & 4) != 0, &res, &err);
	/* AUTH, the response, the challenge's answer, a cancel: four at most. */
	if (f.sent > 4 || (!f.cancelled && (rc == 0) != f.last_ok) || (rc == 0 && err.cls != MK_ERR_NONE) ||
	    (rc != 0 && err.cls == MK_ERR_NONE) || (f.cancelled && err.cls != MK_ERR_PROTO))
		__builtin_trap();
	return 0;
}
