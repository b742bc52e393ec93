#include "broker/oauth/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

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

int mk_http_do(const struct mk_http_req *req, struct mk_http_resp *resp, struct mk_error *err)
{
	CURL *c = NULL;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	long tmo = req->timeout_s ? (long)req->timeout_s : 30;
	int ret = -1;

	/* Plain http only to this machine (test servers): tokens must not
	 * travel in the clear. */
	if (strncmp(req->url, "http://", 7) == 0 && strncmp(req->url + 7, "127.0.0.1", 9) != 0 &&
	    strncmp(req->url + 7, "localhost", 9) != 0 && strncmp(req->url + 7, "[::1]", 5) != 0)
		return mk_error_set(err, MK_ERR_CONFIG, "refusing plain http to %s: use https", req->url);
	pthread_once(&init_once, global_init);
	if (init_rc != CURLE_OK)
		return mk_error_set(err, MK_ERR_INTERNAL, "libcurl initialisation failed");
	c = curl_easy_init();
	if (c == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mailkey/" MK_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
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
	if (req->basic_user != NULL) {
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
	return ret;
}
