/* POP3 responses (RFC 1939, 2449, 3206, 5034), parsed purely. Fuzzed. */
#ifndef MK_MAIL_POP3_RESP_H
#define MK_MAIL_POP3_RESP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

enum mk_pop3_kind {
	MK_POP3_OK = 0,	  /* +OK */
	MK_POP3_ERR,	  /* -ERR */
	MK_POP3_CONTINUE, /* "+ " (SASL) */
	MK_POP3_MALFORMED,
};

struct mk_pop3_resp {
	enum mk_pop3_kind kind;
	char code[32];	  /* RFC 2449/3206 response code: "AUTH", "SYS/TEMP", "IN-USE" ... */
	const char *text; /* after the status and code */
};

void mk_pop3_parse(const char *line, struct mk_pop3_resp *r);

/* Multi-line body: feed each line after the +OK; returns 1 for the final
 * ".", else 0 after appending the dot-unstuffed line and CRLF to out
 * (-1 when out is full). */
int mk_pop3_multiline_feed(const char *line, size_t len, struct mk_buf *out);

/* CAPA lines: STLS present? SASL mechanism present? */
bool mk_pop3_capa_has(const char *capa_lines, const char *word);

#endif
