/* One client connection: the front's pre-login dialogue with the login
 * decision below, then the relay, then one log line. Runs in its own
 * thread, so a slow client, a token wait or a wrong password's delay stops
 * nobody else. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "gateway/acct_open.h"
#include "gateway/apppass.h"
#include "gateway/front.h"
#include "gateway/gw_private.h"
#include "gateway/lconn.h"
#include "gateway/limit.h"
#include "gateway/relay.h"
#include "gateway/upstream.h"

/* Is account a a candidate for user name user (round 0: its name, round 1:
 * its `user`; case-insensitive: mail addresses are typed either way)? */
static bool candidate(const struct mk_account *a, const char *user, int round)
{
	if (round == 0)
		return strcasecmp(a->name, user) == 0;
	return strcasecmp(a->name, user) != 0 && a->user != NULL && strcasecmp(a->user, user) == 0;
}

/* The account the password opens: the listener's own, else one whose name
 * or `user` is the user name (two accounts may share a mailbox: the
 * password picks). Every candidate is verified, so the time taken does not
 * say which one matched. 0 with *a_r set, -1 with MK_ERR_AUTH (*a_r NULL
 * for an unknown user) or another class for a damaged file. */
static int check_password(const struct gw_session *s, const struct mk_config *c, const char *user,
			  const char *pass, const struct mk_account **a_r, char *name, size_t size,
			  struct mk_error *err)
{
	size_t n = mk_config_account_count(c);
	const struct mk_account *found = NULL, *any = NULL;
	struct mk_error e, damaged;

	mk_error_init(&damaged);
	*a_r = NULL;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			const struct mk_account *a = mk_config_account_at(c, i);
			char nm[GW_APPPASS_NAME_MAX + 1];

			if (s->l->cfg.account[0] != '\0') {
				if (round > 0 || strcmp(a->name, s->l->cfg.account) != 0)
					continue;
			} else if (!candidate(a, user, round))
				continue;
			any = a;
			mk_error_init(&e);
			if (gw_apppass_verify(s->g->state_dir, a->name, pass, nm, sizeof(nm), &e) == 0) {
				if (found == NULL) {
					found = a;
					snprintf(name, size, "%s", nm);
				}
			} else if (e.cls != MK_ERR_AUTH && damaged.cls == MK_ERR_NONE)
				damaged = e;
		}
	if (found != NULL) {
		*a_r = found;
		return 0;
	}
	*a_r = any;
	if (damaged.cls != MK_ERR_NONE) {
		*err = damaged;
		return -1;
	}
	return mk_error_set(err, MK_ERR_AUTH, "wrong user name or app password");
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A right password: the upstream login's own timeouts bound the rest,
 * and the client must still get its answer. A failed one puts the
 * deadline back for what is left of it. */
static void login_deadline(struct gw_session *s, bool on)
{
	long long left = s->login_until_ms - mono_ms();

	gw_lconn_set_deadline(s->lc, !on ? 0 : left > 0 ? (unsigned)left : 1);
}

/* The wrong password's delay, in this thread only; a stop cuts it short. */
static void fail_delay(struct gw_session *s)
{
	struct pollfd p = { .fd = s->cancelfd, .events = POLLIN };

	if (s->g->gc->fail_delay > 0)
		poll(&p, 1, (int)s->g->gc->fail_delay * 1000);
}

static int login_with(struct gw_session *s, const struct mk_config *c, enum gw_proto proto, const char *user,
		      const char *pass, struct gw_upstream **up_r, struct mk_error *err)
{
	struct mk_gateway *g = s->g;
	const struct mk_account *a;
	char name[GW_APPPASS_NAME_MAX + 1] = "";
	unsigned wait;
	time_t now = time(NULL);

	*up_r = NULL;
	wait = gw_limit_login_wait(g->limit, s->peer, now);
	if (wait > 0)
		return mk_error_set(err, MK_ERR_TEMP,
				    "too many failed logins from %s: try again in %u seconds", s->peer, wait);
	if (check_password(s, c, user, pass, &a, name, sizeof(name), err) != 0) {
		if (a != NULL && err->cls != MK_ERR_AUTH) {
			mk_log(MK_LOG_WARN, "gateway: %s: cannot check app passwords: %s", s->peer, err->msg);
			/* A damaged file: temporary for the client, the path for the log. */
			return mk_error_set(err, MK_ERR_TEMP,
					    "the login cannot be checked now: try again later");
		}
		mk_log(MK_LOG_INFO, "gateway: %s %s: %s", gw_proto_name(proto), s->peer,
		       a == NULL ? "login for an unknown user" : "wrong app password");
		gw_limit_login_failed(g->limit, s->peer, now);
		fail_delay(s);
		return mk_error_set(err, MK_ERR_AUTH, "wrong user name or app password");
	}
	login_deadline(s, false);
	if (gw_apppass_touch(g->state_dir, a->name, name, now, err) != 0)
		mk_log(MK_LOG_WARN, "gateway: cannot record the use of app password %s of %s: %s", name,
		       a->name, err->msg);
	pthread_mutex_lock(&g->mu);
	snprintf(s->account, sizeof(s->account), "%s", a->name);
	snprintf(s->pwname, sizeof(s->pwname), "%s", name);
	pthread_mutex_unlock(&g->mu);
	if (gw_upstream_login(a, proto, g->token_socket, g->cafile, up_r, err) != 0) {
		mk_log(MK_LOG_WARN, "gateway: %s %s account %s password %s: upstream login failed: %s",
		       gw_proto_name(proto), s->peer, a->name, name, err->msg);
		login_deadline(s, true);
		/* The client gets a short text (the detail names local paths
		 * and settings: it went to the log), except the documented
		 * `mailkey login ACCOUNT` hint. */
		if (err->cls != MK_ERR_CONSENT)
			mk_error_set(err, err->cls == MK_ERR_AUTH ? MK_ERR_TEMP : err->cls,
				     "the %s server cannot be used now: try again later (the gateway's log "
				     "says why)",
				     gw_proto_name(proto));
		return -1;
	}
	/* A revoke that came while the upstream login ran found this session
	 * not yet logged in and passed it by: look again, under the mutex
	 * mk_gateway_passwords_changed holds, so one of the two sees it. */
	pthread_mutex_lock(&g->mu);
	s->logged_in = gw_apppass_exists(g->state_dir, a->name, name);
	pthread_mutex_unlock(&g->mu);
	if (!s->logged_in) {
		gw_upstream_free(up_r);
		login_deadline(s, true);
		mk_log(MK_LOG_INFO, "gateway: %s %s account %s: app password %s was revoked during the login",
		       gw_proto_name(proto), s->peer, a->name, name);
		return mk_error_set(err, MK_ERR_AUTH, "wrong user name or app password");
	}
	return 0;
}

/* The accounts are held for the login (a SIGHUP may swap them meanwhile);
 * the relay after it needs none of them. */
static int login(void *ctx, enum gw_proto proto, const char *user, const char *pass,
		 struct gw_upstream **up_r, struct mk_error *err)
{
	struct gw_session *s = ctx;
	struct gw_accounts *a = gw_accounts_hold(s->g);
	int rc = login_with(s, a->cfg, proto, user, pass, up_r, err);

	gw_accounts_release(s->g, a);
	return rc;
}

/* A client still in the pre-login dialogue is told why it is dropped, in
 * its protocol's words (after login the bytes are the server's: nothing
 * can be said into them). Bounded: a client that does not read is left. */
static void goodbye(struct gw_session *s, struct gw_lconn *lc, int rc, const struct mk_error *err)
{
	static const char *const stop[] = {
		[GW_IMAP] = "* BYE [UNAVAILABLE] the gateway is stopping, try again later\r\n",
		[GW_POP3] = "-ERR [SYS/TEMP] the gateway is stopping, try again later\r\n",
		[GW_SMTP] = "421 4.3.2 the gateway is stopping, try again later\r\n",
	};
	static const char *const slow[] = {
		[GW_IMAP] = "* BYE no login in time, closing\r\n",
		[GW_POP3] = "-ERR no login in time, closing\r\n",
		[GW_SMTP] = "421 4.4.2 no authentication in time, closing\r\n",
	};
	enum gw_proto proto = s->l->cfg.proto;
	const char *msg = NULL;
	struct mk_error e;
	bool stopping;

	pthread_mutex_lock(&s->g->mu);
	stopping = s->g->stopping;
	pthread_mutex_unlock(&s->g->mu);
	if (stopping)
		msg = stop[proto];
	else if (rc < 0 &&
		 (strstr(err->msg, "login timeout") != NULL || strstr(err->msg, " in time") != NULL))
		msg = slow[proto];
	if (msg == NULL)
		return;
	mk_error_init(&e);
	gw_lconn_set_deadline(lc, 0); /* passed: it would end this write at once */
	gw_lconn_set_timeout(lc, 1000);
	(void)gw_lconn_write(lc, msg, strlen(msg), &e);
}

static const char *const endings[] = { "client closed", "upstream closed", "idle timeout",
				       "closed (password revoked or gateway stopping)" };

static void run(struct gw_session *s)
{
	struct mk_gateway *g = s->g;
	struct gw_lconn *lc = NULL;
	struct gw_upstream *up = NULL;
	struct gw_relay_stats st = { 0 };
	struct mk_error err;
	struct gw_front_params fp = { 0 };
	enum gw_proto proto = s->l->cfg.proto;
	int rc;

	mk_error_init(&err);
	if (gw_lconn_new(s->fd, g->tls, s->l->cfg.implicit_tls, g->gc->login_timeout * 1000u, &lc, &err) !=
	    0) {
		mk_log(MK_LOG_INFO, "gateway: %s %s: ended before login: %s", gw_proto_name(proto), s->peer,
		       err.msg);
		goto out;
	}
	/* login_timeout bounds the whole dialogue before login, not each
	 * line: a NOOP every few seconds does not hold a connection. */
	gw_lconn_set_deadline(lc, g->gc->login_timeout * 1000u);
	s->lc = lc;
	s->login_until_ms = mono_ms() + g->gc->login_timeout * 1000ll;
	fp.lc = lc;
	fp.hostname = g->hostname;
	fp.require_tls = !s->l->cfg.loopback;
	fp.ops.login = login;
	fp.ops.ctx = s;
	rc = proto == GW_IMAP	? gw_front_imap(&fp, &up, &err)
	     : proto == GW_POP3 ? gw_front_pop3(&fp, &up, &err)
				: gw_front_smtp(&fp, &up, &err);
	if (rc != 0) {
		mk_log(MK_LOG_INFO, "gateway: %s %s%s%s: ended before login%s%s", gw_proto_name(proto),
		       s->peer, s->account[0] ? " account " : "", s->account, rc < 0 ? ": " : "",
		       rc < 0 ? err.msg : "");
		goodbye(s, lc, rc, &err);
		goto out;
	}
	gw_lconn_set_deadline(lc, 0);
	gw_lconn_set_timeout(lc, g->gc->idle_timeout * 1000u);
	rc = gw_relay(lc, up->conn, g->gc->idle_timeout * 1000u, s->cancelfd, &st, &err);
	mk_log(MK_LOG_INFO,
	       "gateway: %s %s account %s password %s: %llu bytes to the server, %llu to the client; %s%s%s",
	       gw_proto_name(proto), s->peer, s->account, s->pwname, (unsigned long long)st.to_upstream,
	       (unsigned long long)st.to_client,
	       rc != 0				     ? "relay error"
	       : st.ended_by >= 0 && st.ended_by < 4 ? endings[st.ended_by]
						     : "ended",
	       rc != 0 ? ": " : "", rc != 0 ? err.msg : "");
out:
	gw_upstream_free(&up);
	/* Out of the list first: after that nobody shuts the fd down, so
	 * closing it cannot hit a reused descriptor. */
	pthread_mutex_lock(&g->mu);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		g->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->fd = -1;
	pthread_mutex_unlock(&g->mu);
	gw_lconn_free(&lc);
}

static void *thread_main(void *arg)
{
	struct gw_session *s = arg;
	struct mk_gateway *g = s->g;

	run(s);
	gw_limit_conn_close(g->limit, s->peer);
	close(s->cancelfd);
	free(s);
	/* The last touch of g: mk_gateway_stop frees it once nsess is 0. */
	pthread_mutex_lock(&g->mu);
	g->nsess--;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int gw_session_start(struct mk_gateway *g, const struct gw_listener *l, int fd, const char *peer)
{
	struct gw_session *s = calloc(1, sizeof(*s));
	pthread_t t;
	int e;

	if (s == NULL || (s->cancelfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(s);
		return -1;
	}
	s->g = g;
	s->l = l;
	s->fd = fd;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	pthread_mutex_lock(&g->mu);
	s->next = g->sessions;
	if (s->next != NULL)
		s->next->prev = s;
	g->sessions = s;
	g->nsess++;
	pthread_mutex_unlock(&g->mu);
	e = pthread_create(&t, &g->attr, thread_main, s);
	if (e != 0) {
		pthread_mutex_lock(&g->mu);
		if (s->next != NULL)
			s->next->prev = s->prev;
		if (s->prev != NULL)
			s->prev->next = s->next;
		else
			g->sessions = s->next;
		g->nsess--;
		pthread_mutex_unlock(&g->mu);
		close(s->cancelfd);
		free(s);
		errno = e;
		return -1;
	}
	return 0;
}
