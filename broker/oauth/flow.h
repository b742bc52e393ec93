/* Internals shared by the OAuth flows (not part of the public API). */
#ifndef MK_OAUTH_FLOW_H
#define MK_OAUTH_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "broker/oauth/http.h"
#include "broker/oauth/oauth.h"
#include "broker/oauth/token_resp.h"
#include "common/buf.h"

/* The endpoints a flow will use: the account's, completed by discovery. */
struct mk_endpoints {
	char *issuer;
	char *authorization;
	char *token;
	char *device;
	char *revocation;
	char *userinfo; /* OIDC userinfo, from discovery only */
	bool iss_supported;
};

int mk_endpoints_resolve(const struct mk_oauth_params *p, struct mk_endpoints *ep, struct mk_error *err);
void mk_endpoints_free(struct mk_endpoints *ep);

/* Fill req for a POST of form to url as this client: the account's CA
 * file, the timeout, and HTTP Basic client authentication when the client
 * has a secret (RFC 6749 §2.3.1; every provider here accepts it). */
void mk_oauth_client_request(const struct mk_oauth_params *p, struct mk_http_req *req, const char *url,
			     const char *form);

/* Add client_id (and send the secret by HTTP Basic when there is one), POST
 * form to the token endpoint and parse the answer. From the moment the request
 * goes out, SIGINT/SIGTERM/SIGHUP/SIGQUIT are deferred (common/sighold.h): on
 * success they stay deferred until the caller has stored the tokens and calls
 * mk_sig_release(); on failure they are released before returning. */
int mk_oauth_token_request(const struct mk_oauth_params *p, const char *token_endpoint, struct mk_buf *form,
			   struct mk_tokens *r, struct mk_oauth_error *oe, struct mk_error *err);

/* Where progress goes. */
FILE *mk_oauth_out(const struct mk_oauth_params *p);

/* A live "… 1:42 left" line: rewritten in place on a TTY, one line every
 * 30 s otherwise. */
void mk_oauth_progress(const struct mk_oauth_params *p, const char *what, int64_t left_s);
void mk_oauth_progress_end(const struct mk_oauth_params *p);

/* Set by SIGINT/SIGTERM while a flow waits; the flow then stops cleanly. */
extern volatile int mk_oauth_interrupted;
void mk_oauth_catch_signals(void);

/* Start the browser on url ($BROWSER, else xdg-open with a display). 0 if a
 * browser was started. The URL is passed as an argument, never through a
 * shell string. */
int mk_oauth_open_browser(const struct mk_oauth_params *p, const char *url);

int64_t mk_oauth_now(void);

/* Record where the grant came from (refreshes go back there). */
int mk_oauth_stamp(struct mk_tokens *t, const struct mk_endpoints *ep, const char *requested_scope);

/* The flows (authcode.c, device.c). */
int mk_oauth_authcode(const struct mk_oauth_params *p, const struct mk_endpoints *ep, enum mk_login_mode mode,
		      struct mk_tokens *r, struct mk_error *err);
int mk_oauth_device(const struct mk_oauth_params *p, const struct mk_endpoints *ep, struct mk_tokens *r,
		    struct mk_error *err);

#endif
