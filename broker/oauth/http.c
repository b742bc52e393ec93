#include "broker/oauth/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/secret.h"

#define MK_HTTP_BODY_MAX (1u << 20)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;

static void global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void mk_http_resp_init(struct mk_http_resp *r)
{
	r->status = 0;
	mk_buf_init_secret(&r->body, MK_HTTP_BODY_MAX);
}

void mk_http_resp_free(struct mk_http_resp *r)
{
	mk_buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	struct mk_buf *b = user;

	/* Returning less than given makes curl fail with CURLE_WRITE_ERROR. */
	return mk_buf_add(b, p, size * n) == 0 ? size * n : 0;
}

int mk_http_form_add(struct mk_buf *form, const char *key, const char *value)
{
	char *k, *v;
	int rc;

	k = curl_easy_escape(NULL, key, 0);
	v = curl_easy_escape(NULL, value, 0);
	rc = (k == NULL || v == NULL) ? -1 : mk_buf_addf(form, "%s%s=%s", form->len > 0 ? "&" : "", k, v);
	curl_free(k);
	if (v != NULL) {
		mk_secret_wipe(v, strlen(v));
		curl_free(v);
	}
	return rc;
}

/* Only scheme, host and path go to the debug log: queries can hold codes. */
static void log_request(const char *method, const char *url)
{
	const char *q = strchr(url, '?');
	int n = q != NULL ? (int)(q - url) : (int)strlen(url);

	mk_log(MK_LOG_DEBUG, "%s %.*s", method, n, url);
}

/* Hosts that are this machine by definition, never by DNS: plain http to
 * them stays on the machine (the test servers). Compared exactly, so
 * "localhost.example.com", "127.0.0.1.nip.io", "localhost." and userinfo
 * tricks ("http://127.0.0.1@evil/") do not pass. */
static bool loopback_host(const char *h)
{
	return strcmp(h, "127.0.0.1") == 0 || strcmp(h, "[::1]") == 0 || strcasecmp(h, "localhost") == 0;
}

/* Parse url with libcurl's own parser (the same one that will fetch it, so
 * what is checked is what is used) and apply the policy. *uh_r gets the
 * parsed handle when not NULL. */
static int url_check(const char *url, CURLU **uh_r, bool *plain_r, struct mk_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	CURLUcode uc;
	int rc = -1;

	if (uh_r != NULL)
		*uh_r = NULL;
	if (u == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "'%s' is not a valid URL (%s): write it as https://HOST/PATH", url,
			     curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		mk_error_set(err, MK_ERR_CONFIG, "'%s' has no scheme or host: write it as https://HOST/PATH",
			     url);
		goto out;
	}
	/* Credentials in a URL would be sent as HTTP Basic, and "a@b" is the
	 * classic way to make a URL look like it goes to a. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "'%s' carries a user name or password before the host: remove the part up to "
			     "'@'",
			     url);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		rc = 0;
	} else if (strcasecmp(scheme, "http") == 0 && loopback_host(host)) {
		if (plain_r != NULL)
			*plain_r = true;
		rc = 0;
	} else if (strcasecmp(scheme, "http") == 0)
		mk_error_set(err, MK_ERR_CONFIG,
			     "refusing plain http to %s (%s): codes and tokens must not travel in the clear; "
			     "use https (plain http is only for 127.0.0.1, [::1] and localhost)",
			     host, url);
	else
		mk_error_set(err, MK_ERR_CONFIG, "'%s' uses scheme '%s': only https is allowed", url, scheme);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	if (rc == 0 && uh_r != NULL)
		*uh_r = u;
	else
		curl_url_cleanup(u);
	return rc;
}

int mk_http_url_check(const char *url, struct mk_error *err)
{
	if (url == NULL)
		return mk_error_set(err, MK_ERR_CONFIG, "no URL");
	return url_check(url, NULL, NULL, err);
}

int mk_http_do(const struct mk_http_req *req, struct mk_http_resp *resp, struct mk_error *err)
{
	CURL *c = NULL;
	CURLU *uh = NULL;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	long tmo = req->timeout_s ? (long)req->timeout_s : 30;
	bool plain = false;
	int ret = -1;

	pthread_once(&init_once, global_init);
	if (init_rc != CURLE_OK)
		return mk_error_set(err, MK_ERR_INTERNAL, "libcurl initialisation failed");
	/* Plain http only to this machine (test servers): tokens must not
	 * travel in the clear. */
	if (url_check(req->url, &uh, &plain, err) != 0)
		return -1;
	c = curl_easy_init();
	if (c == NULL) {
		curl_url_cleanup(uh);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	/* The handle that was checked is the one fetched: no second parse. */
	curl_easy_setopt(c, CURLOPT_CURLU, uh);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mailkey/" MK_VERSION);
	/* Only the scheme that was checked: http only for a URL that passed
	 * url_check as loopback. Redirects are not followed, and were one ever
	 * followed it could only go to https. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, tmo < 10 ? tmo : 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, tmo);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->cafile);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	if (req->form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req->form));
	}
	if (req->bearer != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, req->bearer);
	} else if (req->basic_user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->basic_pass != NULL ? req->basic_pass : "");
	}
	log_request(req->form != NULL ? "POST" : "GET", req->url);
	rc = curl_easy_perform(c);
	switch (rc) {
	case CURLE_OK:
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		mk_log(MK_LOG_DEBUG, "HTTP %ld, %zu bytes", resp->status, resp->body.len);
		ret = 0;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		mk_error_set(err, MK_ERR_CONFIG,
			     "TLS verification failed for %s: %s (for a private CA set cafile in the config)",
			     req->url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		mk_error_set(err, MK_ERR_CONFIG, "bad endpoint URL %s: %s", req->url, curl_easy_strerror(rc));
		break;
	case CURLE_WRITE_ERROR:
		mk_error_set(err, MK_ERR_PROTO, "the answer from %s is larger than %u bytes", req->url,
			     MK_HTTP_BODY_MAX);
		break;
	default:
		/* DNS, refused, reset, timeout: all worth trying again later. */
		mk_error_set(err, MK_ERR_TEMP, "cannot reach %s: %s", req->url,
			     errbuf[0] ? errbuf : curl_easy_strerror(rc));
		break;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	curl_url_cleanup(uh);
	return ret;
}
