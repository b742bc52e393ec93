/* OAuth 2.0 client flows for one account: the only part of mailkey that
 * talks HTTP (libcurl) or listens (libmicrohttpd). The CLI calls these; the
 * store and refresh policy live elsewhere (broker/broker.h). */
#ifndef MK_BROKER_OAUTH_H
#define MK_BROKER_OAUTH_H

#include <stdbool.h>
#include <stdio.h>

#include "broker/account.h"
#include "broker/tokens.h"
#include "common/error.h"

enum mk_login_mode {
	MK_LOGIN_BROWSER = 0, /* open a browser ($BROWSER, xdg-open) and wait on loopback */
	MK_LOGIN_NO_BROWSER,  /* print the URL, wait on loopback */
	MK_LOGIN_DEVICE,      /* RFC 8628 */
	MK_LOGIN_MANUAL,      /* print the URL, read the pasted redirect URL from stdin */
};

struct mk_oauth_params {
	const struct mk_account *acct;
	unsigned timeout_s;	 /* per HTTP request; 0 = 30 */
	unsigned wait_s;	 /* how long to wait for consent; 0 = 300 */
	FILE *progress;		 /* where URL, user code and the live wait line go; NULL = stderr */
	bool progress_is_tty;	 /* rewrite the wait line in place */
	const char *browser_cmd; /* NULL = $BROWSER, then xdg-open when a display exists */
};

/* Run a login flow. On success *r holds the new tokens (with issuer and
 * token_endpoint set). Errors: MK_ERR_USAGE (mode not possible for this
 * provider, message says which to use), MK_ERR_CONSENT (denied, expired),
 * MK_ERR_TEMP / MK_ERR_CONN (network, 5xx), MK_ERR_CONFIG (invalid_client,
 * redirect mismatch: the message names the provider's code and the fix),
 * MK_ERR_PROTO (unparseable response). */
int mk_oauth_login(const struct mk_oauth_params *p, enum mk_login_mode mode, struct mk_tokens *r,
		   struct mk_error *err);

/* Refresh cur. *r receives the new set; it keeps cur's refresh token when the
 * response carries none, and the issuer/token_endpoint of the grant.
 * Errors: MK_ERR_CONSENT (invalid_grant and other permanent refusals),
 * MK_ERR_TEMP (network, timeout, 408, 429, 5xx: never a lost grant),
 * MK_ERR_CONFIG (invalid_client), MK_ERR_PROTO. */
int mk_oauth_refresh(const struct mk_oauth_params *p, const struct mk_tokens *cur, struct mk_tokens *r,
		     struct mk_error *err);

/* RFC 7009 revocation of the refresh token (else the access token) at the
 * account's revocation endpoint. Errors: MK_ERR_IMPL (no endpoint, e.g.
 * Microsoft), MK_ERR_TEMP, MK_ERR_RESP. */
int mk_oauth_revoke(const struct mk_oauth_params *p, const struct mk_tokens *cur, struct mk_error *err);

/* Fill the account's missing endpoints from its issuer: RFC 8414
 * /.well-known/oauth-authorization-server, then OpenID configuration. */
int mk_oauth_discover(const struct mk_oauth_params *p, struct mk_account *acct, struct mk_error *err);

#endif
