#include "broker/callback/loopback.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "web/web.h"

/* Connections at once: far more than a browser opens (it may pre-connect a
 * few), below the usual 1024 descriptors. */
#define MK_LOOPBACK_CONN_LIMIT 512
/* Seconds of silence before a connection is dropped. */
#define MK_LOOPBACK_IDLE_S 3
/* ...except for the one valid callback, while the code is exchanged (the
 * token request's own timeout is at most this) and its page is sent. */
#define MK_LOOPBACK_ANSWER_S 120
/* Per connection: the callback request with cookies of other local
 * servers fits; a slowloris header does not grow beyond it. */
#define MK_LOOPBACK_CONN_MEM (32 * 1024)

struct mk_loopback {
	struct mk_loopback_params p;
	struct MHD_Daemon *d;
	char *redirect_uri;
	pthread_mutex_t mu;
	bool answered; /* the valid request got its answer page */
	bool done;     /* ...and it was sent completely */
	struct MHD_Connection *answered_conn;
	bool browser_opened; /* chooses the texts of the pages */
	int result;
	struct mk_error err;
};

static enum MHD_Result reply(struct mk_loopback *lb, struct MHD_Connection *c, unsigned status,
			     enum mk_web_page page, const char *detail)
{
	struct mk_web_ctx ctx = { lb->p.account, detail, true };
	struct mk_buf html;
	struct MHD_Response *resp;
	enum MHD_Result r;

	pthread_mutex_lock(&lb->mu);
	ctx.browser_opened = lb->browser_opened;
	pthread_mutex_unlock(&lb->mu);
	mk_buf_init(&html, 1 << 16);
	if (mk_web_render_page(page, &ctx, &html) != 0) {
		mk_buf_free(&html);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(html.len, html.data, MHD_RESPMEM_MUST_COPY);
	mk_buf_free(&html);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'");
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct mk_loopback *lb = cls;
	struct mk_cb_params q;
	struct mk_error err;
	enum mk_cb_outcome o;
	enum MHD_Result r;
	int rc;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0)
		return reply(lb, c, MHD_HTTP_METHOD_NOT_ALLOWED, MK_WEB_STALE, NULL);
	if (strcmp(url, lb->p.path) != 0)
		return reply(lb, c, MHD_HTTP_NOT_FOUND, MK_WEB_STALE, NULL);
	q.code = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code");
	q.state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	q.iss = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "iss");
	q.error = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "error");
	q.error_description = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "error_description");
	mk_error_init(&err);
	pthread_mutex_lock(&lb->mu);
	if (lb->answered) {
		/* Served once: a replay or a second tab gets nothing. */
		pthread_mutex_unlock(&lb->mu);
		return reply(lb, c, MHD_HTTP_GONE, MK_WEB_STALE, NULL);
	}
	o = mk_cb_judge(&lb->p.expect, &q, &err);
	if (o == MK_CB_STALE) {
		pthread_mutex_unlock(&lb->mu);
		mk_log(MK_LOG_WARN,
		       "ignored a request to the login listener that does not carry this login's state");
		return reply(lb, c, MHD_HTTP_BAD_REQUEST, MK_WEB_STALE, NULL);
	}
	lb->answered = true;
	lb->answered_conn = c;
	pthread_mutex_unlock(&lb->mu);
	/* This is the browser with the real answer: the exchange below may take
	 * longer than the idle timeout, and its page must still arrive. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)MK_LOOPBACK_ANSWER_S);
	if (o == MK_CB_CODE) {
		rc = lb->p.on_code(lb->p.ctx, q.code, lb->redirect_uri, &err);
		/* The exchange, the check of who consented or the network: ours
		 * to explain (the detail says which). */
		r = rc == 0 ? reply(lb, c, MHD_HTTP_OK, MK_WEB_SUCCESS, NULL)
			    : reply(lb, c, MHD_HTTP_OK, MK_WEB_FAILED, err.msg);
	} else if (o == MK_CB_DENIED) {
		rc = -1;
		r = reply(lb, c, MHD_HTTP_OK, MK_WEB_DENIED, q.error_description);
	} else {
		/* The provider's own error= answer, or a check of ours that failed
		 * (mix-up `iss`, no code: MK_ERR_PROTO). */
		bool provider = q.error != NULL && err.cls != MK_ERR_PROTO;
		rc = -1;
		r = reply(lb, c, MHD_HTTP_OK, provider ? MK_WEB_ERROR : MK_WEB_FAILED, err.msg);
	}
	pthread_mutex_lock(&lb->mu);
	lb->result = rc;
	lb->err = err;
	pthread_mutex_unlock(&lb->mu);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode t)
{
	struct mk_loopback *lb = cls;

	(void)con_cls;
	(void)t;
	pthread_mutex_lock(&lb->mu);
	if (lb->answered && c == lb->answered_conn)
		lb->done = true;
	pthread_mutex_unlock(&lb->mu);
}

int mk_loopback_start(const struct mk_loopback_params *p, struct mk_buf *redirect_uri_r,
		      struct mk_loopback **r, struct mk_error *err)
{
	struct mk_loopback *lb;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct mk_buf uri;

	*r = NULL;
	lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	lb->p = *p;
	pthread_mutex_init(&lb->mu, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;			     /* ephemeral */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never any other interface */
	/* Any local user can connect here. Idle or slow connections (a
	 * slowloris trickling a header) must not keep the browser's callback
	 * out: event-driven polling (no thread or slot blocks on one socket),
	 * room for many connections, and a short idle timeout so abandoned
	 * ones go quickly. A browser sends its request at once after
	 * connecting, so a few seconds of silence is never the real callback. */
	lb->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD |
			(MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
										: MHD_USE_POLL),
		0, NULL, NULL, on_request, lb, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, lb, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)MK_LOOPBACK_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MK_LOOPBACK_IDLE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MK_LOOPBACK_CONN_MEM, MHD_OPTION_END);
	if (lb->d == NULL) {
		mk_loopback_free(&lb);
		return mk_error_set(err, MK_ERR_IO, "cannot listen on 127.0.0.1 for the login callback");
	}
	info = MHD_get_daemon_info(lb->d, MHD_DAEMON_INFO_BIND_PORT);
	mk_buf_init(&uri, 1024);
	if (info == NULL || info->port == 0 ||
	    mk_buf_addf(&uri, "http://%s:%u%s", p->uri_host, (unsigned)info->port, p->path) != 0 ||
	    mk_buf_addstr(redirect_uri_r, mk_buf_str(&uri)) != 0 ||
	    (lb->redirect_uri = mk_buf_take(&uri)) == NULL) {
		mk_buf_free(&uri);
		mk_loopback_free(&lb);
		return mk_error_set(err, MK_ERR_INTERNAL, "cannot determine the listener's port");
	}
	*r = lb;
	return 0;
}

void mk_loopback_set_browser_opened(struct mk_loopback *lb, bool opened)
{
	pthread_mutex_lock(&lb->mu);
	lb->browser_opened = opened;
	pthread_mutex_unlock(&lb->mu);
}

bool mk_loopback_done(struct mk_loopback *lb, int *result_r, struct mk_error *err)
{
	bool done;

	pthread_mutex_lock(&lb->mu);
	done = lb->done;
	if (done) {
		*result_r = lb->result;
		if (lb->result != 0 && err != NULL)
			*err = lb->err;
	}
	pthread_mutex_unlock(&lb->mu);
	return done;
}

void mk_loopback_free(struct mk_loopback **lbp)
{
	struct mk_loopback *lb = *lbp;

	if (lb == NULL)
		return;
	if (lb->d != NULL)
		MHD_stop_daemon(lb->d);
	pthread_mutex_destroy(&lb->mu);
	free(lb->redirect_uri);
	free(lb);
	*lbp = NULL;
}
