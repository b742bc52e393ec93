/* The one SASL driver shared by SMTP, IMAP and POP3 (curl's SASLproto idea).
 *
 * A protocol describes itself with a table (command-line budget for the
 * initial response) and three callbacks; the driver runs the exchange:
 * initial response on the command line when it fits, otherwise an empty
 * AUTH and the response after the first continuation; an error challenge is
 * decoded, answered (empty line for XOAUTH2, 0x01 for OAUTHBEARER) and
 * reported; a final failure becomes MK_ERR_AUTH (or MK_ERR_TEMP for a
 * temporary one) with the server's reason in the message. */
#ifndef MK_MAIL_SASL_H
#define MK_MAIL_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "sasl-helper/mech.h"

enum mk_sasl_reply_kind {
	MK_SASL_REPLY_CONTINUE = 0, /* 334 / "+": payload = the base64 text after it */
	MK_SASL_REPLY_OK,	    /* 235 / tagged OK / +OK */
	MK_SASL_REPLY_FAIL,	    /* 535 / NO / -ERR: permanent */
	MK_SASL_REPLY_TEMPFAIL,	    /* 454 / NO [UNAVAILABLE] / -ERR [SYS/TEMP] */
	MK_SASL_REPLY_BAD,	    /* anything else: protocol error */
};

struct mk_sasl_proto {
	const char *name;    /* "SMTP", "IMAP", "POP3", for messages */
	size_t max_ir_len;   /* longest base64 initial response that may go on the
				 AUTH command line; 0 = never send one (no SASL-IR) */
	bool ir_empty_as_eq; /* an empty initial response is sent as "=" (RFC 4954/4959) */
	/* Send the AUTH command: ir_b64 NULL = no initial response. The
	 * callback marks the line sensitive for the trace. */
	int (*send_auth)(void *ctx, const char *mech, const char *ir_b64, struct mk_error *err);
	/* Send one continuation line (base64 or empty), sensitive. */
	int (*send_line)(void *ctx, const char *b64, size_t len, struct mk_error *err);
	/* Read the next reply and classify it; for CONTINUE put the text after
	 * "334 " / "+ " into payload; for failures put the server's text there. */
	int (*read_reply)(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload,
			  struct mk_error *err);
	void *ctx;
};

struct mk_sasl_result {
	bool had_challenge;		/* the server sent an error challenge */
	struct mk_sasl_failure failure; /* filled when had_challenge */
	bool token_expired;		/* the server's reason suggests refresh helps */
};

/* Authenticate with mech using creds. force_two_step sends no initial
 * response even when it would fit (Office 365 POP3, per-account override).
 * 0 on success. Errors: MK_ERR_AUTH (refused: message has the server's text
 * and the decoded challenge status), MK_ERR_TEMP, MK_ERR_PROTO,
 * MK_ERR_INTERNAL. res may be NULL. */
int mk_sasl_authenticate(const struct mk_sasl_proto *proto, const struct mk_sasl_mech *mech,
			 const struct mk_sasl_creds *creds, bool force_two_step, struct mk_sasl_result *res,
			 struct mk_error *err);

struct mk_conn;

/* The two lines every protocol sends, written the same way: the AUTH
 * command ("<verb> MECH [IR]", an empty IR as "=") and a response line. Both
 * are secret: traced as "<redacted>" after the verb, buffers wiped. verb is
 * "AUTH" (SMTP, POP3) or "<tag> AUTHENTICATE" (IMAP). */
int mk_sasl_write_auth(struct mk_conn *c, const char *verb, const char *mech, const char *ir,
		       struct mk_error *err);
int mk_sasl_write_response(struct mk_conn *c, const char *b64, size_t len, struct mk_error *err);

#endif
