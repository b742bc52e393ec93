#include "broker/oauth/flow.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/oauth/http.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sighold.h"

volatile int mk_oauth_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	mk_oauth_interrupted = 1;
}

void mk_oauth_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int64_t mk_oauth_now(void)
{
	return (int64_t)time(NULL);
}

FILE *mk_oauth_out(const struct mk_oauth_params *p)
{
	return p->progress != NULL ? p->progress : stderr;
}

void mk_oauth_progress(const struct mk_oauth_params *p, const char *what, int64_t left_s)
{
	/* Not a TTY (a log, a pipe): a new line only when the text changes or
	 * a minute has passed since the last one, so a log is not filled with
	 * the same line. One login per process, so one state is enough. */
	static char shown[160];
	static int64_t shown_left = -1;
	FILE *fp = mk_oauth_out(p);

	if (left_s < 0)
		left_s = 0;
	if (p->progress_is_tty) {
		fprintf(fp, "\r\033[K%s… %lld:%02lld left", what, (long long)(left_s / 60),
			(long long)(left_s % 60));
	} else if (strncmp(shown, what, sizeof(shown)) != 0 || shown_left < 0 || shown_left - left_s >= 60 ||
		   left_s > shown_left) {
		fprintf(fp, "%s… %lld:%02lld left\n", what, (long long)(left_s / 60),
			(long long)(left_s % 60));
		snprintf(shown, sizeof(shown), "%s", what);
		shown_left = left_s;
	}
	fflush(fp);
}

void mk_oauth_progress_end(const struct mk_oauth_params *p)
{
	if (p->progress_is_tty) {
		fputs("\r\033[K", mk_oauth_out(p));
		fflush(mk_oauth_out(p));
	}
}

int mk_oauth_open_browser(const struct mk_oauth_params *p, const char *url)
{
	const char *cmd = p->browser_cmd != NULL ? p->browser_cmd : getenv("BROWSER");
	pid_t pid;
	bool display = getenv("DISPLAY") != NULL || getenv("WAYLAND_DISPLAY") != NULL;

	if ((cmd == NULL || *cmd == '\0') && !display)
		return -1;
	/* The environment is set before fork: the listener's thread runs, so
	 * the child may only call async-signal-safe functions before exec. */
	if (cmd != NULL && *cmd != '\0' && setenv("MK_BROWSER_CMD", cmd, 1) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		if (cmd != NULL && *cmd != '\0')
			/* $BROWSER may hold arguments; the URL stays "$1". */
			execl("/bin/sh", "sh", "-c", "exec $MK_BROWSER_CMD \"$1\"", "sh", url, (char *)NULL);
		else
			execlp("xdg-open", "xdg-open", url, (char *)NULL);
		_exit(127);
	}
	return 0;
}

void mk_endpoints_free(struct mk_endpoints *ep)
{
	free(ep->issuer);
	free(ep->authorization);
	free(ep->token);
	free(ep->device);
	free(ep->revocation);
	free(ep->userinfo);
	memset(ep, 0, sizeof(*ep));
}

void mk_oauth_client_request(const struct mk_oauth_params *p, struct mk_http_req *req, const char *url,
			     const char *form)
{
	const struct mk_account *a = p->acct;

	memset(req, 0, sizeof(*req));
	req->url = url;
	req->form = form;
	req->cafile = a->cafile;
	req->timeout_s = p->timeout_s;
	if (a->client_secret != NULL) {
		req->basic_user = a->client_id;
		req->basic_pass = a->client_secret;
	}
}

int mk_oauth_token_request(const struct mk_oauth_params *p, const char *token_endpoint, struct mk_buf *form,
			   struct mk_tokens *r, struct mk_oauth_error *oe, struct mk_error *err)
{
	const struct mk_account *a = p->acct;
	struct mk_http_req req = { 0 };
	struct mk_http_resp resp;
	int rc = -1;

	mk_http_resp_init(&resp);
	/* A public client identifies itself in the body; a confidential one
	 * with HTTP Basic (RFC 6749 §2.3.1), which every provider accepts. */
	if (a->client_secret == NULL && mk_http_form_add(form, "client_id", a->client_id) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	mk_oauth_client_request(p, &req, token_endpoint, mk_buf_str(form));
	/* Once the request may have reached the server, the code or the old
	 * refresh token may be spent: signals wait until the caller has stored
	 * the answer (mk_sig_release), or until we know there is none. */
	mk_sig_hold();
	if (mk_http_do(&req, &resp, err) != 0)
		goto out;
	rc = mk_token_resp_parse(resp.status, resp.body.data != NULL ? resp.body.data : "", resp.body.len,
				 mk_oauth_now(), r, oe, err);
	if (rc == 0) {
		mk_log_register_secret(r->access_token);
		mk_log_register_secret(r->refresh_token);
	}
out:
	mk_http_resp_free(&resp);
	if (rc != 0)
		mk_sig_release();
	return rc;
}

int mk_oauth_stamp(struct mk_tokens *t, const struct mk_endpoints *ep, const char *requested_scope)
{
	free(t->issuer);
	free(t->token_endpoint);
	t->issuer = ep->issuer != NULL ? strdup(ep->issuer) : NULL;
	t->token_endpoint = strdup(ep->token);
	if (t->scope == NULL && requested_scope != NULL)
		t->scope = strdup(requested_scope);
	if (t->token_type == NULL)
		t->token_type = strdup("Bearer");
	return t->token_endpoint == NULL ? -1 : 0;
}
