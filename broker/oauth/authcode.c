/* Authorization code + PKCE (RFC 6749 §4.1, RFC 7636) with a loopback
 * redirect (RFC 8252), or with the redirected URL pasted back (manual). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/callback/loopback.h"
#include "broker/oauth/flow.h"
#include "broker/oauth/http.h"
#include "broker/oauth/idtoken.h"
#include "broker/oauth/pkce.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"

#define MK_REDIRECT_PATH "/callback"
#define MK_PASTE_MAX 8192

struct exchange_ctx {
	const struct mk_oauth_params *p;
	const struct mk_endpoints *ep;
	const char *verifier;
	struct mk_tokens *out;
};

static int exchange(void *vctx, const char *code, const char *redirect_uri, struct mk_error *err)
{
	struct exchange_ctx *x = vctx;
	struct mk_buf form;
	int rc = -1;

	mk_buf_init_secret(&form, 64 * 1024);
	if (mk_http_form_add(&form, "grant_type", "authorization_code") != 0 ||
	    mk_http_form_add(&form, "code", code) != 0 ||
	    mk_http_form_add(&form, "redirect_uri", redirect_uri) != 0 ||
	    mk_http_form_add(&form, "code_verifier", x->verifier) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (mk_oauth_token_request(x->p, x->ep->token, &form, x->out, NULL, err) != 0)
		goto out;
	/* Here, before the answer page: the person sees there that the wrong
	 * account was used. */
	if (mk_oauth_check_user(x->p, x->ep, x->out, err) != 0) {
		mk_tokens_clear(x->out);
		goto out;
	}
	if (mk_oauth_stamp(x->out, x->ep, x->p->acct->scope) != 0) {
		mk_tokens_clear(x->out);
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&form);
	return rc;
}

static int build_auth_url(const struct mk_oauth_params *p, const struct mk_endpoints *ep,
			  const char *redirect_uri, const char *state, const char *challenge,
			  struct mk_buf *url)
{
	const struct mk_account *a = p->acct;
	struct mk_buf q;
	int rc = -1;

	mk_buf_init(&q, 16384);
	if (mk_http_form_add(&q, "response_type", "code") != 0 ||
	    mk_http_form_add(&q, "client_id", a->client_id) != 0 ||
	    mk_http_form_add(&q, "redirect_uri", redirect_uri) != 0 ||
	    (a->scope != NULL && mk_http_form_add(&q, "scope", a->scope) != 0) ||
	    mk_http_form_add(&q, "state", state) != 0 ||
	    mk_http_form_add(&q, "code_challenge", challenge) != 0 ||
	    mk_http_form_add(&q, "code_challenge_method", "S256") != 0)
		goto out;
	/* login_hint saves the person picking the account (Google, Microsoft). */
	if (a->user != NULL && mk_http_form_add(&q, "login_hint", a->user) != 0)
		goto out;
	if (mk_buf_addf(url, "%s%c%s", ep->authorization, strchr(ep->authorization, '?') ? '&' : '?',
			mk_buf_str(&q)) != 0)
		goto out;
	if (a->auth_params != NULL && *a->auth_params != '\0' && mk_buf_addf(url, "&%s", a->auth_params) != 0)
		goto out;
	rc = 0;
out:
	mk_buf_free(&q);
	return rc;
}

static int wait_loopback(const struct mk_oauth_params *p, struct mk_loopback *lb, const char *what,
			 struct mk_error *err)
{
	unsigned wait_s = p->wait_s ? p->wait_s : 300;
	int64_t deadline = mk_oauth_now() + wait_s, last = -1;
	int result = -1;

	for (;;) {
		int64_t now = mk_oauth_now();
		if (mk_loopback_done(lb, &result, err))
			break;
		if (mk_oauth_interrupted) {
			mk_oauth_progress_end(p);
			return mk_error_set(err, MK_ERR_TEMP, "login interrupted; nothing was stored");
		}
		if (now >= deadline) {
			mk_oauth_progress_end(p);
			return mk_error_set(
				err, MK_ERR_TEMP,
				"no answer from the browser within %u s; run the login again (--timeout "
				"SECONDS waits longer)",
				wait_s);
		}
		if (now != last) {
			mk_oauth_progress(p, what, deadline - now);
			last = now;
		}
		usleep(100 * 1000);
	}
	mk_oauth_progress_end(p);
	return result;
}

static int read_pasted_url(const struct mk_oauth_params *p, struct mk_buf *line, struct mk_error *err)
{
	FILE *out = mk_oauth_out(p);
	int c;

	fputs("After approving, your browser is sent to an address that does not load. Copy that whole "
	      "address\n"
	      "from the address bar and paste it here, then press Enter:\n> ",
	      out);
	fflush(out);
	/* White space around the address comes with copying (a trailing
	 * space, CR LF, an indent): it is not part of the URL, and left in it
	 * would end up in `iss` or `code` and spoil the login. */
	while ((c = getchar()) != EOF && (c != '\n' || line->len == 0)) {
		if (line->len == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue; /* leading blanks, and an Enter before the paste */
		if (mk_buf_addc(line, (char)c) != 0)
			return mk_error_set(err, MK_ERR_DATA, "the pasted text is longer than %d characters",
					    MK_PASTE_MAX);
	}
	while (line->len > 0 && (line->data[line->len - 1] == ' ' || line->data[line->len - 1] == '\t' ||
				 line->data[line->len - 1] == '\r'))
		mk_buf_truncate(line, line->len - 1);
	if (line->len == 0)
		return mk_error_set(err, MK_ERR_NOINPUT,
				    "nothing was pasted; run `%s login %s --manual` again", mk_hint_cmd(),
				    p->acct->name);
	return 0;
}

static int manual_finish(const struct mk_oauth_params *p, const struct mk_endpoints *ep, const char *state,
			 const char *redirect_uri, struct exchange_ctx *x, struct mk_error *err)
{
	struct mk_buf line, code, st, iss, error, desc;
	struct mk_cb_expect expect = { state, ep->issuer, ep->iss_supported };
	struct mk_cb_params q = { 0 };
	int rc = -1;

	mk_buf_init_secret(&line, MK_PASTE_MAX);
	mk_buf_init_secret(&code, MK_PASTE_MAX);
	mk_buf_init(&st, MK_PASTE_MAX);
	mk_buf_init(&iss, MK_PASTE_MAX);
	mk_buf_init(&error, MK_PASTE_MAX);
	mk_buf_init(&desc, MK_PASTE_MAX);
	if (read_pasted_url(p, &line, err) != 0)
		goto out;
	if (mk_query_get(line.data, "code", &code) < 0 || mk_query_get(line.data, "state", &st) < 0 ||
	    mk_query_get(line.data, "iss", &iss) < 0 || mk_query_get(line.data, "error", &error) < 0 ||
	    mk_query_get(line.data, "error_description", &desc) < 0) {
		mk_error_set(err, MK_ERR_DATA, "the pasted address is malformed");
		goto out;
	}
#define OPT(b) ((b).data != NULL ? (b).data : NULL)
	q.code = OPT(code);
	q.state = OPT(st);
	q.iss = OPT(iss);
	q.error = OPT(error);
	q.error_description = OPT(desc);
#undef OPT
	switch (mk_cb_judge(&expect, &q, err)) {
	case MK_CB_STALE:
		mk_error_set(err, MK_ERR_DATA,
			     "the pasted address does not belong to this login (its state does not match); "
			     "paste the "
			     "address from the login just started");
		goto out;
	case MK_CB_DENIED:
	case MK_CB_ERROR:
		goto out;
	case MK_CB_CODE:
		break;
	}
	rc = exchange(x, q.code, redirect_uri, err);
out:
	mk_buf_free(&line);
	mk_buf_free(&code);
	mk_buf_free(&st);
	mk_buf_free(&iss);
	mk_buf_free(&error);
	mk_buf_free(&desc);
	return rc;
}

int mk_oauth_authcode(const struct mk_oauth_params *p, const struct mk_endpoints *ep, enum mk_login_mode mode,
		      struct mk_tokens *r, struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_buf verifier, challenge, state, redirect, url;
	struct mk_loopback *lb = NULL;
	struct exchange_ctx x = { p, ep, NULL, r };
	FILE *out = mk_oauth_out(p);
	bool opened = false;
	int rc = -1;

	mk_buf_init_secret(&verifier, 256);
	mk_buf_init(&challenge, 256);
	mk_buf_init_secret(&state, 256);
	mk_buf_init(&redirect, 1024);
	mk_buf_init(&url, 32768);
	if (mk_pkce_new(&verifier, &challenge, err) != 0 || mk_random_b64url(24, &state, err) != 0)
		goto out;
	x.verifier = mk_buf_str(&verifier);
	if (mode == MK_LOGIN_MANUAL) {
		/* Nothing listens: the browser's last hop fails to load and the
		 * person copies its address. Port 1 is never a listener here. */
		if (mk_buf_addf(&redirect, "http://%s:1%s", a->redirect_host ? a->redirect_host : "127.0.0.1",
				MK_REDIRECT_PATH) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
	} else {
		struct mk_loopback_params lp = {
			.uri_host = a->redirect_host ? a->redirect_host : "127.0.0.1",
			.path = MK_REDIRECT_PATH,
			.expect = { mk_buf_str(&state), ep->issuer, ep->iss_supported },
			.account = a->name,
			.on_code = exchange,
			.ctx = &x,
		};
		if (mk_loopback_start(&lp, &redirect, &lb, err) != 0)
			goto out;
	}
	if (build_auth_url(p, ep, mk_buf_str(&redirect), mk_buf_str(&state), mk_buf_str(&challenge), &url) !=
	    0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Set before the browser starts: its first request may come at once. */
	if (lb != NULL)
		mk_loopback_set_browser_opened(lb, mode == MK_LOGIN_BROWSER);
	if (mode == MK_LOGIN_BROWSER && mk_oauth_open_browser(p, mk_buf_str(&url)) == 0) {
		opened = true;
		fprintf(out, "Opened your browser to sign in to account %s. If it did not open, visit:\n%s\n",
			a->name, mk_buf_str(&url));
	} else {
		if (lb != NULL)
			mk_loopback_set_browser_opened(lb, false);
		fprintf(out, "Open this address in a browser to sign in to account %s:\n%s\n", a->name,
			mk_buf_str(&url));
	}
	fflush(out);
	if (mode == MK_LOGIN_MANUAL)
		rc = manual_finish(p, ep, mk_buf_str(&state), mk_buf_str(&redirect), &x, err);
	else
		rc = wait_loopback(
			p, lb,
			opened ? "waiting for consent in your browser"
			       : "waiting for you to open the address above in a browser and approve",
			err);
out:
	mk_loopback_free(&lb);
	mk_buf_free(&verifier);
	mk_buf_free(&challenge);
	mk_buf_free(&state);
	mk_buf_free(&redirect);
	mk_buf_free(&url);
	return rc;
}
