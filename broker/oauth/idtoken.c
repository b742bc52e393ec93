#include "broker/oauth/idtoken.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "broker/oauth/http.h"
#include "common/base64.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"

#define MK_IDTOKEN_MAX (64 * 1024)

int mk_idtoken_payload(const char *jwt, struct mk_buf *out, struct mk_error *err)
{
	const char *a = strchr(jwt, '.'), *b;

	/* The signature is not verified: the token came straight from the token
	 * endpoint over TLS (or loopback http to a test server) in answer to our
	 * own request, so its origin is the authenticated server (OIDC Core
	 * §3.1.3.7 allows TLS server validation in place of the signature). It
	 * serves only to tell whether the right person consented. */
	b = a != NULL ? strchr(a + 1, '.') : NULL;
	if (a == NULL || b == NULL || b == a + 1 || strchr(b + 1, '.') != NULL)
		return mk_error_set(err, MK_ERR_PROTO,
				    "the ID token is not a JWT (header.payload.signature)");
	if (mk_base64url_decode(a + 1, (size_t)(b - a - 1), out) != 0)
		return mk_error_set(err, MK_ERR_PROTO, "the ID token's payload is not base64url");
	return 0;
}

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int mk_ident_judge(const char *json, size_t len, const char *user, struct mk_buf *who_r, struct mk_error *err)
{
	static const char *const claims[] = { "email", "preferred_username", "upn" };
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	const char *first = NULL;
	int r = MK_IDENT_UNKNOWN;

	if (!json_is_object(doc)) {
		json_decref(doc);
		return mk_error_set(err, MK_ERR_PROTO, "the identity claims are not a JSON object");
	}
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		json_t *v = json_object_get(doc, claims[i]);
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		if (s == NULL || *s == '\0')
			continue;
		if (user != NULL && strcasecmp(s, user) == 0) {
			r = MK_IDENT_MATCH;
			break;
		}
		if (first == NULL)
			first = s;
		r = MK_IDENT_MISMATCH;
	}
	if (r == MK_IDENT_MISMATCH &&
	    mk_buf_addstr(who_r, printable(first) ? first : "(an unprintable name)") != 0) {
		json_decref(doc);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	json_decref(doc);
	return r;
}

/* The userinfo answer (OIDC Core §5.3), for servers whose ID token (or the
 * lack of one) does not say who consented. An endpoint that fails counts as
 * "not said": the check is there for a person who picked the wrong account
 * at the provider, and a login should not fail because an optional
 * endpoint is down. */
static int userinfo(const struct mk_oauth_params *p, const struct mk_endpoints *ep, const struct mk_tokens *t,
		    struct mk_buf *who)
{
	struct mk_http_req req = { 0 };
	struct mk_http_resp resp;
	struct mk_error e;
	int r = MK_IDENT_UNKNOWN;

	if (ep->userinfo == NULL || t->access_token == NULL)
		return MK_IDENT_UNKNOWN;
	mk_http_resp_init(&resp);
	req.url = ep->userinfo;
	req.cafile = p->acct->cafile;
	req.timeout_s = p->timeout_s;
	req.bearer = t->access_token;
	mk_error_init(&e);
	if (mk_http_do(&req, &resp, &e) != 0)
		mk_log(MK_LOG_DEBUG, "userinfo: %s", e.msg);
	else if (resp.status != 200)
		mk_log(MK_LOG_DEBUG, "userinfo: HTTP %ld", resp.status);
	else
		r = mk_ident_judge(resp.body.data != NULL ? resp.body.data : "", resp.body.len, p->acct->user,
				   who, &e);
	if (r < 0) {
		mk_log(MK_LOG_DEBUG, "userinfo: %s", e.msg);
		r = MK_IDENT_UNKNOWN;
	}
	mk_http_resp_free(&resp);
	return r;
}

int mk_oauth_check_user(const struct mk_oauth_params *p, const struct mk_endpoints *ep,
			const struct mk_tokens *t, struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_buf payload, who;
	int r = MK_IDENT_UNKNOWN;
	int rc = -1;

	if (a->user == NULL)
		return 0;
	mk_buf_init_secret(&payload, MK_IDTOKEN_MAX);
	mk_buf_init(&who, 1024);
	if (t->id_token != NULL) {
		struct mk_error e;
		mk_error_init(&e);
		if (mk_idtoken_payload(t->id_token, &payload, &e) == 0)
			r = mk_ident_judge(payload.data != NULL ? payload.data : "", payload.len, a->user,
					   &who, &e);
		if (r < 0) {
			if (e.cls == MK_ERR_INTERNAL) {
				*err = e;
				goto out;
			}
			mk_log(MK_LOG_DEBUG, "ID token: %s", e.msg);
			r = MK_IDENT_UNKNOWN;
		}
	}
	if (r == MK_IDENT_UNKNOWN)
		r = userinfo(p, ep, t, &who);
	if (r == MK_IDENT_UNKNOWN)
		mk_log(MK_LOG_DEBUG,
		       "the provider did not say who consented (no email, preferred_username or upn): "
		       "user %s not checked",
		       a->user);
	if (r == MK_IDENT_MISMATCH) {
		struct mk_error e;
		/* The grant belongs to someone who did not mean to give it to this
		 * account: hand it back rather than leave it with the provider. */
		mk_error_init(&e);
		if (mk_oauth_revoke(p, t, &e) != 0)
			mk_log(MK_LOG_DEBUG, "revoking the other person's grant: %s", e.msg);
		mk_error_set(err, MK_ERR_CONSENT,
			     "consent was given as %s, but account %s is for %s: nothing was stored. Run "
			     "`%s login %s` again and sign in as %s (or change `user` in the config)",
			     mk_buf_str(&who), a->name, a->user, mk_hint_cmd(), a->name, a->user);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&payload);
	mk_buf_free(&who);
	return rc;
}
