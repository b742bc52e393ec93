/* IMAP response lines (RFC 9051 §7, RFC 3501), parsed purely. The I/O layer
 * reads a line, asks whether it ends in a literal {N} / {N+}, reads N bytes
 * and continues; this file only looks at bytes. Fuzzed. */
#ifndef MK_MAIL_IMAP_RESP_H
#define MK_MAIL_IMAP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mk_imap_kind {
	MK_IMAP_UNTAGGED = 0, /* "* ..." */
	MK_IMAP_TAGGED,	      /* "TAG OK|NO|BAD ..." */
	MK_IMAP_CONTINUE,     /* "+ ..." */
	MK_IMAP_MALFORMED,
};

enum mk_imap_status {
	MK_IMAP_NONE = 0, /* untagged data such as "* 3 EXISTS" */
	MK_IMAP_OK,
	MK_IMAP_NO,
	MK_IMAP_BAD,
	MK_IMAP_BYE,
	MK_IMAP_PREAUTH,
};

struct mk_imap_line {
	enum mk_imap_kind kind;
	enum mk_imap_status status;
	char tag[32];
	char code[64];	   /* response code atom inside [...], e.g. "AUTHENTICATIONFAILED" */
	const char *text;  /* the rest after status and code (points into the line) */
	const char *after; /* for untagged: after "* " */
};

/* Classify one line (no CRLF). */
void mk_imap_parse_line(const char *line, struct mk_imap_line *r);

/* If line ends with a literal announcement {N} or {N+}, return 1 with *n set
 * (N must be <= max, else -1); 0 when there is none. */
int mk_imap_literal_at_end(const char *line, size_t len, uint64_t max, uint64_t *n);

/* Find "[CAPABILITY ...]" or "* CAPABILITY ..." data and check for an atom
 * (case-insensitive, whole word), e.g. "SASL-IR", "AUTH=XOAUTH2". */
bool mk_imap_has_capability(const char *caps, const char *atom);

/* Parse a "* SEARCH 1 2 3" payload (after "SEARCH"): calls fn per number. */
int mk_imap_parse_search(const char *s, int (*fn)(void *ctx, uint64_t uid), void *ctx);

/* How to send a literal of size n (RFC 7888): non-synchronizing "{n+}"
 * always with LITERAL+, up to 4096 octets with LITERAL-, otherwise the
 * synchronizing "{n}" that waits for the server's "+". */
bool mk_imap_literal_nonsync(const char *caps, size_t n);

/* The mailbox name of a "* LIST (flags) delim name" payload (after "LIST"),
 * unquoted, into out (size bytes). 0, or -1 when malformed. */
int mk_imap_parse_list(const char *s, char *out, size_t size);

#endif
