/* Device authorization grant (RFC 8628), for machines without a browser. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/oauth/flow.h"
#include "broker/oauth/http.h"
#include "broker/oauth/idtoken.h"
#include "common/log.h"
#include "common/secret.h"

static const char *str_field(json_t *doc, const char *k)
{
	json_t *v = json_object_get(doc, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int mk_oauth_device(const struct mk_oauth_params *p, const struct mk_endpoints *ep, struct mk_tokens *r,
		    struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_http_req req = { 0 };
	struct mk_http_resp resp;
	struct mk_buf form, poll;
	json_t *doc = NULL;
	const char *device_code, *user_code, *uri, *uri_complete;
	int64_t interval = 5, expires_in, deadline, next;
	FILE *out = mk_oauth_out(p);
	int rc = -1;

	mk_http_resp_init(&resp);
	mk_buf_init_secret(&form, 16384);
	mk_buf_init_secret(&poll, 16384);
	if (mk_http_form_add(&form, "client_id", a->client_id) != 0 ||
	    (a->scope != NULL && mk_http_form_add(&form, "scope", a->scope) != 0)) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	mk_oauth_client_request(p, &req, ep->device, mk_buf_str(&form));
	if (mk_http_do(&req, &resp, err) != 0)
		goto out;
	doc = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
	if (resp.status != 200 || doc == NULL) {
		struct mk_tokens dummy;
		/* An error body has the token endpoint's shape (RFC 8628 §3.2). */
		if (mk_token_resp_parse(resp.status == 200 ? 400 : resp.status,
					resp.body.data ? resp.body.data : "", resp.body.len, 0, &dummy, NULL,
					err) == 0)
			mk_tokens_clear(&dummy);
		mk_error_prefix(err, "the device authorization request failed");
		goto out;
	}
	device_code = str_field(doc, "device_code");
	user_code = str_field(doc, "user_code");
	/* Google says verification_url. */
	uri = str_field(doc, "verification_uri") ? str_field(doc, "verification_uri")
						 : str_field(doc, "verification_url");
	uri_complete = str_field(doc, "verification_uri_complete");
	if (device_code == NULL || user_code == NULL || uri == NULL) {
		mk_error_set(err, MK_ERR_PROTO,
			     "the device authorization answer lacks device_code, user_code or "
			     "verification_uri");
		goto out;
	}
	mk_log_register_secret(device_code);
	if (json_is_integer(json_object_get(doc, "interval")) &&
	    json_integer_value(json_object_get(doc, "interval")) > 0)
		interval = json_integer_value(json_object_get(doc, "interval"));
	expires_in = json_is_integer(json_object_get(doc, "expires_in"))
			     ? json_integer_value(json_object_get(doc, "expires_in"))
			     : 600;
	fprintf(out, "To sign in to account %s, open %s\nand enter the code: %s\n", a->name, uri, user_code);
	if (uri_complete != NULL)
		fprintf(out, "(or open %s directly)\n", uri_complete);
	fflush(out);
	if (mk_http_form_add(&poll, "grant_type", "urn:ietf:params:oauth:grant-type:device_code") != 0 ||
	    mk_http_form_add(&poll, "device_code", device_code) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	deadline = mk_oauth_now() + expires_in;
	if (p->wait_s > 0 && mk_oauth_now() + p->wait_s < deadline)
		deadline = mk_oauth_now() + p->wait_s;
	next = mk_oauth_now() + interval;
	for (;;) {
		struct mk_oauth_error oe;
		struct mk_buf f;
		int64_t now = mk_oauth_now();

		if (mk_oauth_interrupted) {
			mk_oauth_progress_end(p);
			mk_error_set(err, MK_ERR_TEMP, "login interrupted; nothing was stored");
			goto out;
		}
		if (now >= deadline) {
			mk_oauth_progress_end(p);
			mk_error_set(err, MK_ERR_CONSENT,
				     "the code was not approved in time; run the login again");
			goto out;
		}
		mk_oauth_progress(p, "waiting for you to approve the code", deadline - now);
		if (now < next) {
			usleep(200 * 1000);
			continue;
		}
		mk_buf_init_secret(&f, 16384);
		if (mk_buf_addstr(&f, mk_buf_str(&poll)) != 0) {
			mk_buf_free(&f);
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		rc = mk_oauth_token_request(p, ep->token, &f, r, &oe, err);
		mk_buf_free(&f);
		if (rc == 0)
			break;
		/* RFC 8628 §3.5: keep polling while pending; slow down by 5 s
		 * when asked; anything else ends the flow. */
		if (strcmp(oe.error, "authorization_pending") == 0) {
			next = mk_oauth_now() + interval;
			continue;
		}
		if (strcmp(oe.error, "slow_down") == 0) {
			interval += 5;
			next = mk_oauth_now() + interval;
			continue;
		}
		mk_oauth_progress_end(p);
		goto out;
	}
	mk_oauth_progress_end(p);
	if (mk_oauth_check_user(p, ep, r, err) != 0) {
		mk_tokens_clear(r);
		rc = -1;
		goto out;
	}
	if (mk_oauth_stamp(r, ep, a->scope) != 0) {
		mk_tokens_clear(r);
		rc = mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
out:
	json_decref(doc);
	mk_http_resp_free(&resp);
	mk_buf_free(&form);
	mk_buf_free(&poll);
	return rc;
}
