/* The SASL mechanism interface shared by mail/ (the engine) and the Cyrus
 * plugin: XOAUTH2 and OAUTHBEARER behind one vtable (Dovecot lib-sasl style).
 *
 * Mechanisms are pure: they take bytes and give bytes, do no I/O, keep no
 * globals and log nothing. The protocol driver (mail/sasl.c) does base64 and
 * line framing; a mechanism sees raw (decoded) bytes only. */
#ifndef MK_SASL_MECH_H
#define MK_SASL_MECH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

enum mk_sasl_status {
	MK_SASL_OK = 0,	      /* output produced (or exchange complete) */
	MK_SASL_AUTH_FAILED,  /* the server sent an error challenge: send `out`, expect failure */
	MK_SASL_ERR_PROTOCOL, /* the server sent something the mechanism cannot accept */
	MK_SASL_ERR_INTERNAL, /* bad input from our side (CR/LF/^A in user or token), ENOMEM */
};

/* What a mechanism needs to build its initial response. Borrowed pointers. */
struct mk_sasl_creds {
	const char *user;  /* SASL user (XOAUTH2 user=, OAUTHBEARER a=) */
	const char *token; /* the bearer access token: a secret */
	const char *host;  /* OAUTHBEARER host=, may be NULL */
	unsigned port;	   /* OAUTHBEARER port=, 0 = omit */
};

/* A decoded server error challenge (XOAUTH2 / RFC 7628 §3.2.2 JSON). */
struct mk_sasl_failure {
	char status[64];  /* "401", "invalid_token", ... ("" if absent) */
	char schemes[64]; /* "bearer" ... */
	char scope[512];  /* scope the server wants ("" if absent) */
	char openid_configuration[512];
	char message[512]; /* one readable sentence for a person */
};

struct mk_sasl_mech {
	const char *name; /* "XOAUTH2", "OAUTHBEARER" as on the wire */
	/* Build the initial client response into out (raw bytes, a secret
	 * buffer the caller made). */
	enum mk_sasl_status (*start)(const struct mk_sasl_creds *creds, struct mk_buf *out,
				     struct mk_error *err);
	/* A server challenge arrived (raw, decoded bytes). Produces the
	 * client's answer into out: for an error challenge that is the empty
	 * answer (XOAUTH2) or a single 0x01 (OAUTHBEARER), with *fail filled
	 * and MK_SASL_AUTH_FAILED returned. */
	enum mk_sasl_status (*step)(const unsigned char *challenge, size_t len, struct mk_buf *out,
				    struct mk_sasl_failure *fail, struct mk_error *err);
};

extern const struct mk_sasl_mech mk_sasl_xoauth2;
extern const struct mk_sasl_mech mk_sasl_oauthbearer;

/* Look a mechanism up by name, case-insensitive; NULL if unknown. */
const struct mk_sasl_mech *mk_sasl_mech_find(const char *name);

/* Check a value before it is framed: it must be non-empty and hold no NUL,
 * ^A, CR or LF (each would end or split a field). For callers holding
 * length-delimited bytes (a Cyrus sasl_secret_t, a file), where an embedded
 * NUL would otherwise cut the value silently. what names the field in the
 * message ("user", "token"); the value itself never appears in it.
 * Returns MK_SASL_OK or MK_SASL_ERR_INTERNAL with err (MK_ERR_INTERNAL). */
enum mk_sasl_status mk_sasl_check_value(const char *what, const char *v, size_t len, struct mk_error *err);

/* Whether a decoded failure says the token itself was refused (HTTP 400 or
 * 401, or the OAuth codes invalid_token / invalid_request), so a refresh or a
 * new consent may help; false for scope problems and unknown statuses. */
bool mk_sasl_failure_is_token_problem(const struct mk_sasl_failure *fail);

#endif
