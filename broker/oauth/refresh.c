/* Refresh (RFC 6749 §6), revocation (RFC 7009) and the login dispatcher. */
#include <stdlib.h>
#include <string.h>

#include "broker/oauth/flow.h"
#include "broker/oauth/http.h"
#include "common/error.h"
#include "common/secret.h"

int mk_oauth_refresh(const struct mk_oauth_params *p, const struct mk_tokens *cur, struct mk_tokens *r,
		     struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_buf form;
	const char *endpoint = cur->token_endpoint != NULL ? cur->token_endpoint : a->token_endpoint;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (cur->refresh_token == NULL)
		return mk_error_set(err, MK_ERR_CONSENT,
				    "no refresh token is stored for account %s: run `%s login %s`", a->name,
				    mk_hint_cmd(), a->name);
	if (endpoint == NULL)
		return mk_error_set(err, MK_ERR_CONFIG, "account %s has no token endpoint", a->name);
	mk_buf_init_secret(&form, 64 * 1024);
	/* Refresh where the grant came from, and name the scope: Microsoft
	 * issues a token for the first scope's resource otherwise. */
	if (mk_http_form_add(&form, "grant_type", "refresh_token") != 0 ||
	    mk_http_form_add(&form, "refresh_token", cur->refresh_token) != 0 ||
	    ((cur->scope != NULL || a->scope != NULL) &&
	     mk_http_form_add(&form, "scope", a->scope != NULL ? a->scope : cur->scope) != 0)) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (mk_oauth_token_request(p, endpoint, &form, r, NULL, err) != 0)
		goto out;
	/* No refresh token in the answer: the old one stays valid (§6). */
	if (r->refresh_token == NULL && (r->refresh_token = strdup(cur->refresh_token)) == NULL)
		goto oom;
	if (r->scope == NULL && cur->scope != NULL && (r->scope = strdup(cur->scope)) == NULL)
		goto oom;
	if (r->token_type == NULL && (r->token_type = strdup("Bearer")) == NULL)
		goto oom;
	if ((r->token_endpoint = strdup(endpoint)) == NULL ||
	    (cur->issuer != NULL && (r->issuer = strdup(cur->issuer)) == NULL))
		goto oom;
	rc = 0;
	goto out;
oom:
	mk_tokens_clear(r);
	mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
out:
	mk_buf_free(&form);
	return rc;
}

int mk_oauth_revoke(const struct mk_oauth_params *p, const struct mk_tokens *cur, struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_endpoints ep;
	struct mk_http_req req = { 0 };
	struct mk_http_resp resp;
	struct mk_buf form;
	const char *tok = cur->refresh_token != NULL ? cur->refresh_token : cur->access_token;
	int rc = -1;

	if (tok == NULL)
		return mk_error_set(err, MK_ERR_CONSENT, "no token is stored for account %s", a->name);
	if (mk_endpoints_resolve(p, &ep, err) != 0)
		return -1;
	mk_http_resp_init(&resp);
	mk_buf_init_secret(&form, 64 * 1024);
	if (ep.revocation == NULL) {
		mk_error_set(err, MK_ERR_IMPL, "%s has no revocation endpoint", a->provider);
		goto out;
	}
	if (mk_http_form_add(&form, "token", tok) != 0 ||
	    mk_http_form_add(&form, "token_type_hint",
			     cur->refresh_token != NULL ? "refresh_token" : "access_token") != 0 ||
	    (a->client_secret == NULL && mk_http_form_add(&form, "client_id", a->client_id) != 0)) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	mk_oauth_client_request(p, &req, ep.revocation, mk_buf_str(&form));
	if (mk_http_do(&req, &resp, err) != 0)
		goto out;
	/* RFC 7009 §2.2: 200 also for tokens already invalid. */
	if (resp.status != 200) {
		mk_error_set(err, resp.status >= 500 || resp.status == 429 ? MK_ERR_TEMP : MK_ERR_RESP,
			     "the revocation endpoint answered HTTP %ld", resp.status);
		goto out;
	}
	rc = 0;
out:
	mk_endpoints_free(&ep);
	mk_http_resp_free(&resp);
	mk_buf_free(&form);
	return rc;
}

int mk_oauth_login(const struct mk_oauth_params *p, enum mk_login_mode mode, struct mk_tokens *r,
		   struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_endpoints ep;
	int rc;

	memset(r, 0, sizeof(*r));
	if (mode == MK_LOGIN_DEVICE && a->device_scopes_refused)
		return mk_error_set(
			err, MK_ERR_USAGE,
			"%s does not allow the device flow for mail scopes; use `%s login %s --manual` "
			"instead",
			a->provider, mk_hint_cmd(), a->name);
	if (mk_endpoints_resolve(p, &ep, err) != 0)
		return -1;
	mk_oauth_catch_signals();
	if (mode == MK_LOGIN_DEVICE) {
		if (ep.device == NULL) {
			mk_endpoints_free(&ep);
			return mk_error_set(
				err, MK_ERR_USAGE,
				"the provider of account %s offers no device flow; use `%s login %s "
				"--manual`",
				a->name, mk_hint_cmd(), a->name);
		}
		rc = mk_oauth_device(p, &ep, r, err);
	} else {
		rc = mk_oauth_authcode(p, &ep, mode, r, err);
	}
	mk_endpoints_free(&ep);
	return rc;
}
