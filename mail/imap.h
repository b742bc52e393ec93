/* IMAP client (RFC 9051 / RFC 3501): log in with XOAUTH2 or OAUTHBEARER
 * over TLS, select a mailbox, find and fetch messages by UID. */
#ifndef MK_MAIL_IMAP_H
#define MK_MAIL_IMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "mail/conn.h"
#include "sasl-helper/mech.h"

struct mk_imap;

struct mk_imap_params {
	struct mk_conn_params conn; /* implicit_tls: 993; else STARTTLS is required */
	const struct mk_sasl_mech *mech;
	/* Used instead when the server does not offer mech but offers this
	 * one (the gateway: the preset's choice, else what the server has);
	 * NULL = mech or nothing. */
	const struct mk_sasl_mech *mech_alt;
	const char *user;
	const char *token; /* borrowed secret */
	bool force_two_step;
	size_t literal_max; /* largest message fetched; 0 = 64 MiB */
};

/* Connect, secure, authenticate. Errors as mk_smtp_open; *token_expired
 * tells whether a refresh may help. */
int mk_imap_open(const struct mk_imap_params *p, struct mk_imap **r, bool *token_expired,
		 struct mk_error *err);

/* EXAMINE (read-only) a mailbox: its UIDVALIDITY and message count. */
int mk_imap_examine(struct mk_imap *s, const char *mailbox, uint64_t *uidvalidity_r, uint64_t *exists_r,
		    struct mk_error *err);

/* UIDs greater than after_uid, ascending, into a heap array (free()). */
int mk_imap_uids_after(struct mk_imap *s, uint64_t after_uid, uint64_t **uids_r, size_t *n_r,
		       struct mk_error *err);

/* The whole message with this UID (BODY.PEEK[]: \Seen is not set). */
int mk_imap_fetch(struct mk_imap *s, uint64_t uid, struct mk_buf *msg, struct mk_error *err);

/* Fetch the messages uids[0..n) (ascending) with one UID FETCH; fn gets
 * each as it arrives (in the server's order), and a non-zero return from it
 * stops the fetch with that error in err. UIDs the server no longer has are
 * not passed to fn. At most one message is held in memory. */
int mk_imap_fetch_batch(struct mk_imap *s, const uint64_t *uids, size_t n,
			int (*fn)(void *ctx, uint64_t uid, const char *msg, size_t len, struct mk_error *err),
			void *ctx, struct mk_error *err);

/* LIST "" "*": calls fn with each mailbox name. */
int mk_imap_list(struct mk_imap *s, int (*fn)(void *ctx, const char *mailbox), void *ctx,
		 struct mk_error *err);

/* APPEND msg to mailbox (line ends made CRLF). The literal is sent without
 * waiting for "+" only as far as LITERAL+ / LITERAL- allow (RFC 7888). */
int mk_imap_append(struct mk_imap *s, const char *mailbox, const char *msg, size_t len, struct mk_error *err);

/* true when the server said BYE on its own (an expired token ends Gmail and
 * Exchange sessions this way): a refresh and a new session may help. */
bool mk_imap_ended_by_server(const struct mk_imap *s);

/* LOGOUT (best effort) and free; NULLs *s. */
void mk_imap_close(struct mk_imap **s);

/* For the gateway's relay: free the session but keep its connection, as it
 * is (logged in, nothing pending), and return it; NULLs *s. caps_r (may be
 * NULL) gets the capabilities the server announced after login, without
 * the CAPABILITY keyword (heap), asking with CAPABILITY when the login's
 * answer carried none; NULL when they cannot be had. NULL (and the
 * connection closed) when the session is broken. */
struct mk_conn *mk_imap_detach(struct mk_imap **s, char **caps_r);

#endif
