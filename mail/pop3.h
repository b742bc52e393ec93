/* POP3 client (RFC 1939, STLS RFC 2595, AUTH RFC 5034): log in with XOAUTH2
 * or OAUTHBEARER over TLS, list messages by UIDL, retrieve them. */
#ifndef MK_MAIL_POP3_H
#define MK_MAIL_POP3_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "mail/conn.h"
#include "sasl-helper/mech.h"

struct mk_pop3;

struct mk_pop3_params {
	struct mk_conn_params conn; /* implicit_tls: 995; else STLS is required */
	const struct mk_sasl_mech *mech;
	/* Used instead when the server does not offer mech but offers this
	 * one (the gateway: the preset's choice, else what the server has);
	 * NULL = mech or nothing. */
	const struct mk_sasl_mech *mech_alt;
	const char *user;
	const char *token;
	bool force_two_step; /* Office 365 POP3 wants the response after "+ " */
	size_t message_max;  /* 0 = 64 MiB */
};

struct mk_pop3_msg {
	unsigned num;
	char uidl[72]; /* RFC 1939: 1..70 printable characters */
};

int mk_pop3_open(const struct mk_pop3_params *p, struct mk_pop3 **r, bool *token_expired,
		 struct mk_error *err);

/* STAT: message count and total size. */
int mk_pop3_stat(struct mk_pop3 *s, unsigned *count_r, unsigned long long *octets_r, struct mk_error *err);

/* LIST n: the size of message n in octets. */
int mk_pop3_size(struct mk_pop3 *s, unsigned num, unsigned long long *octets_r, struct mk_error *err);

/* UIDL of every message (heap array, free()). */
int mk_pop3_uidl(struct mk_pop3 *s, struct mk_pop3_msg **msgs_r, size_t *n_r, struct mk_error *err);

/* RETR: the message, dot-unstuffed, CRLF line ends. */
int mk_pop3_retr(struct mk_pop3 *s, unsigned num, struct mk_buf *msg, struct mk_error *err);

/* QUIT (best effort: nothing is deleted) and free; NULLs *s. */
void mk_pop3_close(struct mk_pop3 **s);

/* For the gateway's relay: free the session, keep and return its connection
 * (in the TRANSACTION state); NULLs *s. NULL (closed) when broken. */
struct mk_conn *mk_pop3_detach(struct mk_pop3 **s);

#endif
