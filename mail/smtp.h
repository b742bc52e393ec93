/* SMTP submission client (RFC 5321, 3207, 4954, 6152, 1870, 6531): one
 * authenticated session that can carry several messages. */
#ifndef MK_MAIL_SMTP_H
#define MK_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "mail/conn.h"
#include "sasl-helper/mech.h"

struct mk_smtp;

struct mk_smtp_params {
	struct mk_conn_params conn; /* implicit_tls: 465; else STARTTLS is required */
	const char *helo;	    /* EHLO name; NULL = "localhost" */
	const struct mk_sasl_mech *mech;
	/* Used instead when the server does not offer mech but offers this
	 * one (the gateway: the preset's choice, else what the server has);
	 * NULL = mech or nothing. */
	const struct mk_sasl_mech *mech_alt;
	const char *user;
	const char *token;   /* borrowed secret */
	bool force_two_step; /* never send the initial response on the AUTH line */
};

struct mk_smtp_rcpt_result {
	unsigned code; /* reply code to RCPT TO */
	char text[256];
};

/* Connect, greet, secure, authenticate. Errors: MK_ERR_CONN, MK_ERR_TEMP
 * (4xx), MK_ERR_RESP (5xx), MK_ERR_PROTO, MK_ERR_IMPL (no STARTTLS, no
 * such AUTH mechanism), MK_ERR_AUTH (refused; *token_expired says whether
 * a refresh may help). */
int mk_smtp_open(const struct mk_smtp_params *p, struct mk_smtp **r, bool *token_expired,
		 struct mk_error *err);

/* Send one message (raw RFC 5322 bytes) to rcpts. The DATA is sent only when
 * every recipient was accepted; otherwise RSET, and err says which failed
 * (MK_ERR_TEMP if any refusal was 4xx, else MK_ERR_RESP). 0 only after the
 * server's final 250 for the data. results (may be NULL) gets each RCPT
 * reply. */
int mk_smtp_send(struct mk_smtp *s, const char *from, const char *const *rcpts, size_t n, const char *msg,
		 size_t len, struct mk_smtp_rcpt_result *results, struct mk_error *err);

/* Between messages of one session after a failed transaction (RFC 5321
 * §4.1.1.5): RSET, so the next MAIL starts clean. 0 on 250. */
int mk_smtp_rset(struct mk_smtp *s, struct mk_error *err);

/* false once the conversation is out of step or the connection is gone (a
 * write or read failed, a 421): the session must be closed, not reused. */
bool mk_smtp_usable(const struct mk_smtp *s);

/* QUIT (best effort) and free; NULLs *s. */
void mk_smtp_close(struct mk_smtp **s);

/* For the gateway's relay: free the session, keep and return its connection
 * (authenticated, ready for MAIL FROM); NULLs *s. NULL (closed) when the
 * session is broken. */
struct mk_conn *mk_smtp_detach(struct mk_smtp **s);

#endif
