/* Token files of other OAuth tools, pure: bytes in, a token set out, so that
 * `mailkey import` moves a grant over without a new consent. Fuzzed
 * (tests/fuzz/import.c).
 *
 * The formats (fields as their own programs write them; docs/mailkey.1
 * IMPORT has the same table):
 *   json          a token-endpoint answer (RFC 6749 §5.1) as any script
 *                 keeps it: access_token, refresh_token, token_type, scope,
 *                 id_token, expires_in (seconds) or expires_at (unix
 *                 seconds or RFC 3339 with an offset); client_id and
 *                 token_endpoint if the script keeps them.
 *   mutt_oauth2   mutt's contrib mutt_oauth2.py, its token file once
 *                 decrypted: access_token, access_token_expiration (Python
 *                 datetime.isoformat() of local time, "" = none),
 *                 refresh_token ("" = none), registration ("google" or
 *                 "microsoft"), email, authflow; newer versions also
 *                 client_id and client_secret.
 *   sasl-xoauth2  the Cyrus SASL plugin's token file: access_token,
 *                 refresh_token, expiry (unix seconds, as a string or a
 *                 number; "0" or absent = expired), and its per-file
 *                 overrides user, client_id, client_secret, token_endpoint,
 *                 scope, proxy, ca_bundle_file, ca_certs_dir, refresh_window.
 * Keys not named are ignored; a named key of the wrong type is an error. */
#ifndef MK_CLI_IMPORT_FMT_H
#define MK_CLI_IMPORT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "broker/tokens.h"
#include "common/error.h"

/* The most bytes an import reads: token files are a few KB. */
#define MK_IMPORT_MAX_INPUT (1024 * 1024)

enum mk_import_format {
	MK_IMPORT_JSON = 0,
	MK_IMPORT_MUTT_OAUTH2,
	MK_IMPORT_SASL_XOAUTH2,
};

/* "json", "mutt_oauth2", "sasl-xoauth2" (also "mutt-oauth2", "sasl_xoauth2"):
 * 0, or -1 for anything else. */
int mk_import_format_parse(const char *name, enum mk_import_format *r);

struct mk_import {
	/* access_token, refresh_token (NULL = none), token_type "Bearer",
	 * scope and id_token (NULL = none), obtained_at = now, expires_at:
	 * the token's expiry, or now when it has passed (refreshed on first
	 * use), or now + MK_TOKENS_ASSUMED_LIFETIME when the input gives none. */
	struct mk_tokens tokens;
	bool expired; /* the input's access token is past its expiry */
	/* What the input says about where the grant belongs, for the
	 * caller to compare with the account (NULL = not said). */
	char *client_id;
	char *token_endpoint; /* mutt_oauth2: its registration's endpoint */
	char *user;	      /* sasl-xoauth2 user, mutt_oauth2 email */
	char *registration;   /* mutt_oauth2: google, microsoft */
};

/* Local time to unix seconds (mktime), for mutt_oauth2's zone-less times;
 * NULL takes them as UTC. */
typedef int64_t (*mk_import_local_fn)(struct tm *tm);

/* Parse buf[0..len) as format f at time now. 0 with *r filled (release with
 * mk_import_clear), or -1 with MK_ERR_DATA and a message naming the field
 * and the fix, never a value. Refused: not a JSON object, over
 * MK_IMPORT_MAX_INPUT, duplicate keys, an empty access token, a token or
 * text with a control byte, a token_type other than Bearer, a lifetime of 0
 * or over ten years, an expired access token without a refresh token, and
 * (json) another tool's file, with the --format to use. */
int mk_import_parse(enum mk_import_format f, const char *buf, size_t len, int64_t now,
		    mk_import_local_fn local, struct mk_import *r, struct mk_error *err);

/* Wipe and free everything; idempotent. */
void mk_import_clear(struct mk_import *r);

#endif
