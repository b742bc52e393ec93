/* The only libcurl user: HTTPS requests to OAuth endpoints. Verification
 * is always on; a test CA comes in through cafile, never an "insecure"
 * switch. Bodies may carry secrets (codes, refresh tokens): they are never
 * logged, and the buffers are wiped. */
#ifndef MK_OAUTH_HTTP_H
#define MK_OAUTH_HTTP_H

#include "common/buf.h"
#include "common/error.h"

struct mk_http_resp {
	long status;
	struct mk_buf body; /* secret buffer, capped at 1 MiB */
};

struct mk_http_req {
	const char *url;
	const char *form;	/* POST body (application/x-www-form-urlencoded); NULL = GET */
	const char *basic_user; /* HTTP Basic client authentication (RFC 6749 §2.3.1) */
	const char *basic_pass;
	const char *bearer; /* RFC 6750 Authorization: Bearer (userinfo) */
	const char *cafile; /* NULL = system CAs */
	unsigned timeout_s; /* 0 = 30 */
};

void mk_http_resp_init(struct mk_http_resp *r);
void mk_http_resp_free(struct mk_http_resp *r);

/* Perform the request. Any HTTP status is success here (callers interpret
 * it). Errors: MK_ERR_TEMP (cannot connect, timeout, connection dropped),
 * MK_ERR_CONFIG (TLS verification failed, bad URL), MK_ERR_INTERNAL. */
int mk_http_do(const struct mk_http_req *req, struct mk_http_resp *resp, struct mk_error *err);

/* 0 if url may be fetched: https to any host, or plain http to exactly
 * 127.0.0.1, [::1] or localhost; no user:password@. Else -1 with
 * MK_ERR_CONFIG naming the URL and the fix. mk_http_do applies it to every
 * request; the config check calls it for configured URLs. */
int mk_http_url_check(const char *url, struct mk_error *err);

/* Append "&key=value" (without the & for the first pair), escaped. */
int mk_http_form_add(struct mk_buf *form, const char *key, const char *value);

#endif
