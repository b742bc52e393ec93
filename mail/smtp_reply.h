/* SMTP replies (RFC 5321 §4.2) and EHLO keywords, parsed purely: lines in,
 * structs out. Fuzzed. */
#ifndef MK_MAIL_SMTP_REPLY_H
#define MK_MAIL_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

struct mk_smtp_reply {
	unsigned code;	    /* 200..599 */
	struct mk_buf text; /* the lines' texts joined by '\n' (code stripped) */
	unsigned lines;
};

struct mk_smtp_caps {
	bool starttls, pipelining, eightbitmime, smtputf8, size_known;
	unsigned long long size_max; /* 0 = no limit announced */
	char auth[256];		     /* " XOAUTH2 OAUTHBEARER " (space-padded, upper case) */
};

void mk_smtp_reply_init(struct mk_smtp_reply *r);
void mk_smtp_reply_free(struct mk_smtp_reply *r);

/* Feed one line (without CRLF). 1 = more lines follow, 0 = reply complete,
 * -1 = MK_ERR_PROTO (bad code, mixed codes, control bytes, too long). */
int mk_smtp_reply_feed(struct mk_smtp_reply *r, const char *line, size_t len, struct mk_error *err);

/* Read the EHLO reply's keywords. */
void mk_smtp_caps_parse(const struct mk_smtp_reply *ehlo, struct mk_smtp_caps *caps);

/* true when mech (e.g. "XOAUTH2") is in the AUTH list. */
bool mk_smtp_caps_has_auth(const struct mk_smtp_caps *caps, const char *mech);

#endif
