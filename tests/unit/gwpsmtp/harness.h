/* A front run end to end over a socketpair: the real lconn (plaintext, or
 * a listener with TLS from a throw-away self-signed certificate), the
 * front in a thread, a scripted client in the test, and a fake login
 * callback (the gateway's decision is not what these tests are about). */
#ifndef MK_TEST_GWPSMTP_HARNESS_H
#define MK_TEST_GWPSMTP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/front.h"

/* One step of a dialogue, by its first characters:
 *   "C:text"  the client sends text CRLF
 *   "R:text"  the client sends text as is (for pipelined bytes)
 *   "S:text"  the next server line is exactly text
 *   "P:text"  the next server line starts with text
 *   "L:n"     the client sends a line of n 'x' bytes
 *   "TLS"     the client does its TLS handshake (verifying the certificate)
 *   "EOF"     the server closes the connection (no more bytes)
 *   "CLOSE"   the client closes its side */
struct fe_case {
	const char *name;
	bool tls;	  /* the listener has TLS (STARTTLS offered) */
	bool require_tls; /* gw_front_params.require_tls */
	size_t line_max;
	unsigned max_failures;
	unsigned max_commands;
	int rc; /* what the front returns */
	unsigned logins;
	const char *user; /* of the last login call, NULL: not checked */
	const char *pass;
	const char *steps[40];
};

/* The fake login: alice/right-pass logs in; user "temp" gets MK_ERR_TEMP
 * naming `mailkey login temp`; anything else is MK_ERR_AUTH. */
#define FE_TEMP_TEXT "consent for temp is missing: run `mailkey login temp`"

typedef int (*fe_front_fn)(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err);

/* Run one case; fails the cmocka test on any difference. log_r (may be
 * NULL): everything logged at trace level, heap, free(). */
void fe_run(const struct fe_case *c, fe_front_fn front, enum gw_proto proto, char **log_r);

int fe_setup(void **state);    /* makes the certificate */
int fe_teardown(void **state); /* removes it */

#endif
