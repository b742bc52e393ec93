/* POP3 command lines a client sends before login (RFC 1939 §4, RFC 2449
 * CAPA, RFC 2595 STLS, RFC 5034 AUTH), parsed purely: no I/O, no logging,
 * no copies. Fuzzed (tests/fuzz/gw_pop3_cmd.c).
 *
 * The result points into the line the caller passed, which may hold a
 * password (PASS, AUTH's initial response): the caller keeps that line in
 * a wiped buffer. */
#ifndef MK_GATEWAY_POP3_CMD_H
#define MK_GATEWAY_POP3_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "gateway/sasl_local.h"

enum gw_pop3_verb {
	GW_POP3_USER = 0,
	GW_POP3_PASS,
	GW_POP3_AUTH, /* mech_len 0: a bare AUTH, asking for the mechanism list */
	GW_POP3_CAPA,
	GW_POP3_STLS,
	GW_POP3_QUIT,
	/* a TRANSACTION-state command (RFC 1939 §5: NOOP STAT LIST RETR DELE
	 * RSET TOP UIDL) or APOP, which the gateway does not offer: refused */
	GW_POP3_REFUSED,
	GW_POP3_UNKNOWN, /* any other keyword */
	GW_POP3_VERB_LAST
};

struct gw_pop3_cmd {
	enum gw_pop3_verb verb;
	/* USER: the name; PASS: the password (the rest of the line after one
	 * space, inner spaces kept: RFC 1939 §7 allows them). Never empty. */
	const char *arg;
	size_t arg_len;
	/* AUTH: the mechanism (mech_name[0..mech_len)) and, when given, the
	 * initial response (RFC 5034 §4: "=" stands for an empty one, given
	 * here as has_ir with ir_len 0). */
	enum gw_sasl_mech mech;
	const char *mech_name;
	size_t mech_len;
	bool has_ir;
	const char *ir;
	size_t ir_len;
};

/* Parse line[0..len) (line end already stripped; never read past len).
 * Keywords are case-insensitive (RFC 1939 §3); arguments are separated by
 * one space. Returns 0 with *cmd filled (GW_POP3_UNKNOWN included), or -1
 * with MK_ERR_PROTO for an empty line, a NUL, CR or LF in it, a missing or
 * extra argument, or a malformed mechanism name. err's message names the
 * problem, never an argument. */
int gw_pop3_cmd_parse(const char *line, size_t len, struct gw_pop3_cmd *cmd, struct mk_error *err);

/* "USER", "PASS", ... for traces; "?" outside the enum. */
const char *gw_pop3_verb_name(enum gw_pop3_verb v);

#endif
