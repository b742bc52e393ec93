/* The upstream login: connect to the account's IMAP, POP3 or SMTP server
 * through mail/ (TLS verified as everywhere else), choose XOAUTH2 or
 * OAUTHBEARER from the server's real capabilities and the account's preset,
 * and authenticate with a token from the daemon (token ACCOUNT). When the
 * server refuses the token, one fresh token (token ACCOUNT fresh) and one
 * more try; if that fails too it is a temporary failure for the client. */
#ifndef MK_GATEWAY_UPSTREAM_H
#define MK_GATEWAY_UPSTREAM_H

#include "broker/account.h"
#include "common/error.h"
#include "gateway/front.h"

/* 0 and *up_r, or -1: MK_ERR_CONSENT (no grant: the message names
 * `mailkey login ACCOUNT`), MK_ERR_TEMP/MK_ERR_CONN (server or token
 * endpoint unreachable, token refused twice), MK_ERR_CONFIG (the account
 * has no server for this protocol). */
/* cafile (NULL = the account's) is `mailkey --cafile`, for every account. */
int gw_upstream_login(const struct mk_account *a, enum gw_proto proto, const char *token_socket,
		      const char *cafile, struct gw_upstream **up_r, struct mk_error *err);

#endif
