/* Opening a session on one of an account's mail servers with a token: the
 * connection parameters from the account (servers, TLS mode, cafile,
 * source_address, timeout) and the SASL mechanism from the preset. Shared
 * by the CLI (`mailkey fetch/send/check`, cli/mail_login.c) and the
 * gateway's upstream login, so both log in exactly alike. */
#ifndef MK_GATEWAY_ACCT_OPEN_H
#define MK_GATEWAY_ACCT_OPEN_H

#include <stdbool.h>

#include "broker/account.h"
#include "common/error.h"
#include "gateway/front.h"

/* The account's endpoint for proto, and its name ("imap", "pop3", "smtp"). */
const struct mk_mail_endpoint *gw_acct_endpoint(const struct mk_account *a, enum gw_proto p);
const char *gw_proto_name(enum gw_proto p);

/* One login attempt with token: *r becomes a struct mk_imap, mk_pop3 or
 * mk_smtp (by p). cafile overrides the account's (NULL = the account's).
 * any_mech: when the server does not offer the preset's mechanism, use the
 * other one if it does (the gateway; the CLI says what is missing instead).
 * Errors as mk_imap_open; *expired says whether a refresh may help. */
int gw_acct_open(const struct mk_account *a, enum gw_proto p, const char *cafile, bool any_mech,
		 const char *token, void **r, bool *expired, struct mk_error *err);

#endif
