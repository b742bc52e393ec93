/* SMTP submission command lines a client sends before AUTH (RFC 5321 §4.1,
 * RFC 3207 STARTTLS, RFC 4954 AUTH), parsed purely: no I/O, no logging, no
 * copies. Fuzzed (tests/fuzz/gw_smtp_cmd.c).
 *
 * The result points into the line the caller passed, which may hold a
 * password (AUTH's initial response): the caller keeps that line in a
 * wiped buffer. */
#ifndef MK_GATEWAY_SMTP_CMD_H
#define MK_GATEWAY_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "gateway/sasl_local.h"

enum gw_smtp_verb {
	GW_SMTP_EHLO = 0,
	GW_SMTP_HELO,
	GW_SMTP_AUTH,
	GW_SMTP_STARTTLS,
	GW_SMTP_RSET,
	GW_SMTP_NOOP,
	GW_SMTP_QUIT,
	GW_SMTP_HELP,
	/* a mail transaction or address query (MAIL RCPT DATA BDAT VRFY EXPN
	 * ETRN): "530 5.7.0 Authentication required" before AUTH (RFC 4954 §6) */
	GW_SMTP_NEEDAUTH,
	GW_SMTP_UNKNOWN, /* any other keyword: 500 5.5.1 */
	GW_SMTP_VERB_LAST
};

struct gw_smtp_cmd {
	enum gw_smtp_verb verb;
	/* EHLO/HELO: the client's domain or address literal (one word of
	 * printable ASCII). */
	const char *domain;
	size_t domain_len;
	/* AUTH: the mechanism and, when given, the initial response (RFC 4954
	 * §4: "=" stands for an empty one, given as has_ir with ir_len 0). */
	enum gw_sasl_mech mech;
	const char *mech_name;
	size_t mech_len;
	bool has_ir;
	const char *ir;
	size_t ir_len;
};

/* Parse line[0..len) (line end already stripped; never read past len).
 * Verbs are case-insensitive (RFC 5321 §2.4). Returns 0 with *cmd filled
 * (GW_SMTP_UNKNOWN included), or -1 with MK_ERR_PROTO for a syntax error,
 * answered "501 5.5.4": an empty line, NUL, CR or LF in it, EHLO/HELO
 * without a domain, AUTH without or with a malformed mechanism, or
 * arguments on STARTTLS, RSET or QUIT. err's message never quotes an
 * argument. */
int gw_smtp_cmd_parse(const char *line, size_t len, struct gw_smtp_cmd *cmd, struct mk_error *err);

/* "EHLO", "AUTH", ... for traces; "?" outside the enum. */
const char *gw_smtp_verb_name(enum gw_smtp_verb v);

#endif
