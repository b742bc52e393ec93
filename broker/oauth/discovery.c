/* Endpoint discovery: RFC 8414 authorization server metadata, then OpenID
 * Connect Discovery. The document's `issuer` must equal the configured one
 * (RFC 8414 §3.3), or the endpoints could belong to someone else. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "broker/oauth/flow.h"
#include "broker/oauth/http.h"
#include "common/buf.h"

static int well_known_url(const char *issuer, const char *suffix, bool rfc8414, struct mk_buf *url)
{
	const char *scheme_end = strstr(issuer, "://");
	const char *path = scheme_end != NULL ? strchr(scheme_end + 3, '/') : NULL;
	size_t ilen = strlen(issuer);

	while (ilen > 0 && issuer[ilen - 1] == '/')
		ilen--;
	if (path == NULL || (size_t)(path - issuer) >= ilen) /* no path component */
		return mk_buf_addf(url, "%.*s/.well-known/%s", (int)ilen, issuer, suffix);
	if (rfc8414) /* RFC 8414 §3.1: inserted between host and path */
		return mk_buf_addf(url, "%.*s/.well-known/%s%.*s", (int)(path - issuer), issuer, suffix,
				   (int)(ilen - (size_t)(path - issuer)), path);
	return mk_buf_addf(url, "%.*s/.well-known/%s", (int)ilen, issuer, suffix); /* OIDC: appended */
}

/* RFC 8414 §3.3 wants the document's issuer identical to the configured
 * one. A trailing slash is the one difference tolerated: "https://op/" and
 * "https://op" name the same server (people copy either form, and some
 * providers' issuers end in a slash), while any other difference may point
 * to another server. The document's form is then used everywhere (the RFC
 * 9207 `iss` check compares against it). */
static bool same_issuer(const char *doc, const char *conf)
{
	size_t dl = strlen(doc), cl = strlen(conf);

	if (dl == cl)
		return strcmp(doc, conf) == 0;
	if (dl == cl + 1 && doc[cl] == '/')
		return strncmp(doc, conf, cl) == 0;
	if (cl == dl + 1 && conf[dl] == '/')
		return strncmp(doc, conf, dl) == 0;
	return false;
}

static int set_if_missing(char **dst, json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);

	if (*dst != NULL || !json_is_string(v))
		return 0;
	*dst = strdup(json_string_value(v));
	return *dst == NULL ? -1 : 0;
}

static int fetch_metadata(const struct mk_oauth_params *p, const char *issuer, json_t **doc_r,
			  struct mk_error *err)
{
	static const struct {
		const char *suffix;
		bool rfc8414;
	} tries[] = { { "oauth-authorization-server", true }, { "openid-configuration", false } };
	struct mk_error last;

	mk_error_init(&last);
	*doc_r = NULL;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct mk_buf url;
		struct mk_http_resp resp;
		struct mk_http_req req = { 0 };
		json_t *doc;
		json_t *iss;

		mk_buf_init(&url, 4096);
		mk_http_resp_init(&resp);
		if (well_known_url(issuer, tries[i].suffix, tries[i].rfc8414, &url) != 0) {
			mk_buf_free(&url);
			return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		}
		req.url = mk_buf_str(&url);
		req.cafile = p->acct->cafile;
		req.timeout_s = p->timeout_s;
		if (mk_http_do(&req, &resp, &last) != 0) {
			mk_buf_free(&url);
			mk_http_resp_free(&resp);
			if (last.cls == MK_ERR_TEMP || last.cls == MK_ERR_CONFIG)
				break; /* the server is unreachable: the next URL will not help */
			continue;
		}
		doc = resp.status == 200
			      ? json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL)
			      : NULL;
		iss = json_object_get(doc, "issuer");
		if (doc != NULL && json_is_string(iss) && !same_issuer(json_string_value(iss), issuer)) {
			mk_error_set(&last, MK_ERR_CONFIG,
				     "the metadata at %s names issuer %s, not %s: refusing endpoints of "
				     "another server",
				     req.url, json_string_value(iss), issuer);
			json_decref(doc);
			doc = NULL;
		} else if (doc == NULL && last.cls == MK_ERR_NONE) {
			mk_error_set(&last, MK_ERR_CONFIG, "no usable metadata at %s (HTTP %ld)", req.url,
				     resp.status);
		}
		mk_buf_free(&url);
		mk_http_resp_free(&resp);
		if (doc != NULL) {
			*doc_r = doc;
			return 0;
		}
	}
	*err = last;
	mk_error_prefix(err, "discovery for issuer %s failed", issuer);
	return -1;
}

int mk_endpoints_resolve(const struct mk_oauth_params *p, struct mk_endpoints *ep, struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	json_t *doc = NULL;

	memset(ep, 0, sizeof(*ep));
#define DUP(dst, src) ((src) != NULL && ((dst) = strdup(src)) == NULL)
	if (DUP(ep->issuer, a->issuer) || DUP(ep->authorization, a->authorization_endpoint) ||
	    DUP(ep->token, a->token_endpoint) || DUP(ep->device, a->device_endpoint) ||
	    DUP(ep->revocation, a->revocation_endpoint))
		goto oom;
#undef DUP
	ep->iss_supported = a->iss_param_supported;
	/* Discover when something is missing, or when only the issuer was
	 * configured (generic servers): that also tells whether the server
	 * sends `iss` (RFC 9207). Presets carry their own endpoints. */
	if (a->issuer != NULL &&
	    (ep->authorization == NULL || ep->token == NULL || strcmp(a->provider, "generic") == 0)) {
		if (fetch_metadata(p, a->issuer, &doc, err) != 0) {
			mk_endpoints_free(ep);
			return -1;
		}
		if (set_if_missing(&ep->authorization, doc, "authorization_endpoint") != 0 ||
		    set_if_missing(&ep->token, doc, "token_endpoint") != 0 ||
		    set_if_missing(&ep->device, doc, "device_authorization_endpoint") != 0 ||
		    set_if_missing(&ep->revocation, doc, "revocation_endpoint") != 0 ||
		    set_if_missing(&ep->userinfo, doc, "userinfo_endpoint") != 0)
			goto oom;
		if (json_is_string(json_object_get(doc, "issuer"))) {
			free(ep->issuer);
			ep->issuer = strdup(json_string_value(json_object_get(doc, "issuer")));
			if (ep->issuer == NULL)
				goto oom;
		}
		if (json_is_true(json_object_get(doc, "authorization_response_iss_parameter_supported")))
			ep->iss_supported = true;
		json_decref(doc);
	}
	if (ep->authorization == NULL || ep->token == NULL) {
		mk_endpoints_free(ep);
		return mk_error_set(
			err, MK_ERR_CONFIG,
			"account %s has no authorization or token endpoint: set `issuer` or both endpoints",
			a->name);
	}
	return 0;
oom:
	json_decref(doc);
	mk_endpoints_free(ep);
	return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
}

int mk_oauth_discover(const struct mk_oauth_params *p, struct mk_account *acct, struct mk_error *err)
{
	struct mk_endpoints ep;

	if (mk_endpoints_resolve(p, &ep, err) != 0)
		return -1;
	if (acct->authorization_endpoint == NULL) {
		acct->authorization_endpoint = ep.authorization;
		ep.authorization = NULL;
	}
	if (acct->token_endpoint == NULL) {
		acct->token_endpoint = ep.token;
		ep.token = NULL;
	}
	if (acct->device_endpoint == NULL) {
		acct->device_endpoint = ep.device;
		ep.device = NULL;
	}
	if (acct->revocation_endpoint == NULL) {
		acct->revocation_endpoint = ep.revocation;
		ep.revocation = NULL;
	}
	acct->iss_param_supported = ep.iss_supported;
	mk_endpoints_free(&ep);
	return 0;
}
