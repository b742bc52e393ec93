/* The gateway: bind the [gateway] listeners, one accept thread polling them
 * (and a stop eventfd, and inotify on the app-password file), one thread
 * per connection (session.c). */
#define _GNU_SOURCE /* accept4 */
#include "gateway/gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "gateway/acct_open.h"
#include "gateway/apppass.h"
#include "gateway/gw_private.h"
#include "gateway/limit.h"
#include "gateway/tls.h"

/* A session thread needs little: the deepest path is a TLS handshake
 * (Mbed TLS keeps its state on the heap). Measured with gwcore_e2e (every
 * protocol, TLS and STARTTLS both sides, clang -O2): 36 KiB runs, 24 KiB
 * crashes. 128 KiB leaves room for -O0 and other compilers; only touched
 * pages count towards the resident size. The sanitizers need far more. */
#if defined(__SANITIZE_ADDRESS__)
#define GW_STACK (1024u * 1024u)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_STACK (1024u * 1024u)
#endif
#endif
#ifndef GW_STACK
#define GW_STACK (128u * 1024u)
#endif

/* How long mk_gateway_stop waits for sessions (an upstream login in
 * progress ends at its own timeout). */
#define GW_STOP_WAIT_S 15

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int bind_one(struct mk_gateway *g, struct gw_listener *l, struct mk_error *err)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	socklen_t len;
	int one = 1, e;
	char a[64];
	const struct gw_listener_cfg *c = &l->cfg;

	memset(&sa, 0, sizeof(sa));
	if (c->v6) {
		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_port = htons((uint16_t)c->port);
		inet_pton(AF_INET6, c->addr, &sa.v6.sin6_addr);
		len = sizeof(sa.v6);
	} else {
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_port = htons((uint16_t)c->port);
		inet_pton(AF_INET, c->addr, &sa.v4.sin_addr);
		len = sizeof(sa.v4);
	}
	gw_listener_addr(c, a, sizeof(a));
	l->fd = socket(c->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "gateway: cannot make a socket for %s", a);
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (c->v6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&sa, len) != 0 || listen(l->fd, 128) != 0) {
		e = errno;
		if (e == EADDRINUSE)
			return mk_error_set(
				err, MK_ERR_CONFIG,
				"%s:%u: [gateway] %s = %s: another program already listens on "
				"port %u (another gateway, a mail server?): stop it or choose another port",
				g->config_path, c->line, c->key, a, c->port);
		if (e == EACCES)
			return mk_error_set(
				err, MK_ERR_CONFIG,
				"%s:%u: [gateway] %s = %s: port %u needs privileges: choose a port "
				"above 1023",
				g->config_path, c->line, c->key, a, c->port);
		if (e == EADDRNOTAVAIL)
			return mk_error_set(err, MK_ERR_CONFIG,
					    "%s:%u: [gateway] %s = %s: no interface of this machine has that "
					    "address: give one of its own addresses",
					    g->config_path, c->line, c->key, a);
		return mk_error_errno(err, MK_ERR_IO, e, "gateway: cannot listen on %s", a);
	}
	return 0;
}

/* The protocol's words for "too many connections", then close; only where
 * the client is not about to start TLS (it would read them as garbage). */
static void refuse(const struct gw_listener *l, int fd)
{
	static const char *const msg[] = {
		[GW_IMAP] = "* BYE [UNAVAILABLE] too many connections, try again later\r\n",
		[GW_POP3] = "-ERR [SYS/TEMP] too many connections, try again later\r\n",
		[GW_SMTP] = "421 4.7.0 too many connections, try again later\r\n",
	};

	if (!l->cfg.implicit_tls) {
		ssize_t n =
			send(fd, msg[l->cfg.proto], strlen(msg[l->cfg.proto]), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
	}
	close(fd);
}

static void peer_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)size);
	} else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)size);
}

static void accept_one(struct mk_gateway *g, struct gw_listener *l, bool *pause)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char peer[64] = "?";
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
			mk_log(MK_LOG_WARN, "gateway: cannot accept a connection: %s", strerror(errno));
			*pause = true;
		}
		return;
	}
	peer_text(&ss, peer, sizeof(peer));
	if (!gw_limit_conn_open(g->limit, peer)) {
		mk_log(MK_LOG_INFO, "gateway: %s %s: refused: too many connections",
		       gw_proto_name(l->cfg.proto), peer);
		refuse(l, fd);
		return;
	}
	if (gw_session_start(g, l, fd, peer) != 0) {
		mk_log(MK_LOG_WARN, "gateway: cannot start a session thread: %s", strerror(errno));
		gw_limit_conn_close(g->limit, peer);
		refuse(l, fd);
	}
}

static bool passwords_event(struct mk_gateway *g)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(g->inofd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->len > 0 && strcmp(ev->name, GW_APPPASS_FILE) == 0)
				hit = true;
			p += sizeof(*ev) + ev->len;
		}
	return hit;
}

static void *accept_main(void *arg)
{
	struct mk_gateway *g = arg;
	struct pollfd pfd[GW_LISTENERS_MAX + 2];
	size_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = g->stopfd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = g->inofd, .events = POLLIN };
	for (size_t i = 0; i < g->nl; i++)
		pfd[n++] = (struct pollfd){ .fd = g->ls[i].fd, .events = POLLIN };
	for (;;) {
		bool pause = false;
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			mk_log(MK_LOG_ERROR, "gateway: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents != 0 && passwords_event(g))
			mk_gateway_passwords_changed(g);
		for (size_t i = 0; i < g->nl; i++)
			if (pfd[2 + i].revents != 0)
				accept_one(g, &g->ls[i], &pause);
		if (pause) /* out of descriptors: let sessions end first */
			poll(NULL, 0, 100);
	}
	return NULL;
}

void mk_gateway_passwords_changed(struct mk_gateway *g)
{
	uint64_t one = 1;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	for (struct gw_session *s = g->sessions; s != NULL; s = s->next)
		if (s->logged_in && !gw_apppass_exists(g->state_dir, s->account, s->pwname)) {
			mk_log(MK_LOG_INFO,
			       "gateway: app password %s of %s was revoked: closing its session from %s",
			       s->pwname, s->account, s->peer);
			if (write(s->cancelfd, &one, sizeof(one)) < 0)
				shutdown(s->fd, SHUT_RDWR);
		}
	pthread_mutex_unlock(&g->mu);
}

struct gw_accounts *gw_accounts_hold(struct mk_gateway *g)
{
	struct gw_accounts *a;

	pthread_mutex_lock(&g->mu);
	a = g->accts;
	a->refs++;
	pthread_mutex_unlock(&g->mu);
	return a;
}

void gw_accounts_release(struct mk_gateway *g, struct gw_accounts *a)
{
	unsigned left;

	pthread_mutex_lock(&g->mu);
	left = --a->refs;
	pthread_mutex_unlock(&g->mu);
	if (left > 0)
		return;
	mk_config_free(&a->own);
	free(a);
}

static bool same_listeners(const struct gw_config *a, const struct gw_config *b)
{
	if (a->n != b->n || a->remote != b->remote)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct gw_listener_cfg *x = &a->l[i], *y = &b->l[i];
		/* Not the line: an account added above [gateway] moves it. */
		if (x->proto != y->proto || x->implicit_tls != y->implicit_tls || x->port != y->port ||
		    strcmp(x->addr, y->addr) != 0 || strcmp(x->account, y->account) != 0)
			return false;
	}
	return true;
}

void mk_gateway_reload(struct mk_gateway *g)
{
	struct mk_config *cfg = NULL;
	struct gw_config *gc = NULL;
	struct gw_accounts *a, *old;
	struct mk_error err;

	if (g == NULL)
		return;
	mk_error_init(&err);
	if (mk_config_load(g->config_path, NULL, &cfg, &err) != 0) {
		mk_log(MK_LOG_ERROR, "gateway: reload failed, keeping the configuration in use: %s", err.msg);
		return;
	}
	if (gw_config_parse(cfg, NULL, &gc, &err) != 0)
		mk_log(MK_LOG_WARN, "gateway: %s: the running listeners stay; fix it before a restart",
		       err.msg);
	else if (!same_listeners(g->gc, gc))
		mk_log(MK_LOG_WARN,
		       "gateway: the [gateway] listeners changed in %s: they take a restart "
		       "(the ones running stay)",
		       g->config_path);
	gw_config_free(&gc);
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		mk_log(MK_LOG_ERROR, "gateway: reload failed: out of memory");
		mk_config_free(&cfg);
		return;
	}
	a->cfg = a->own = cfg;
	a->refs = 1;
	pthread_mutex_lock(&g->mu);
	old = g->accts;
	g->accts = a;
	pthread_mutex_unlock(&g->mu);
	gw_accounts_release(g, old);
	mk_log(MK_LOG_INFO, "gateway: reloaded the configuration (%zu accounts)",
	       mk_config_account_count(cfg));
}

static int load_tls(struct mk_gateway *g, struct mk_error *err)
{
	char *dir;
	int rc;

	if (g->gc->cert != NULL)
		return gw_tls_load(g->gc->cert, g->gc->key, &g->tls, err);
	if ((dir = malloc(strlen(g->state_dir) + sizeof("/gateway"))) == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	snprintf(dir, strlen(g->state_dir) + sizeof("/gateway"), "%s/gateway", g->state_dir);
	rc = gw_tls_ensure(dir, (const char *const *)g->gc->names, &g->tls, err);
	free(dir);
	return rc;
}

static void gateway_free(struct mk_gateway *g)
{
	for (size_t i = 0; i < g->nl; i++)
		if (g->ls[i].fd >= 0)
			close(g->ls[i].fd);
	if (g->stopfd >= 0)
		close(g->stopfd);
	if (g->inofd >= 0)
		close(g->inofd);
	gw_tls_free(&g->tls);
	gw_limit_free(&g->limit);
	if (g->accts != NULL)
		gw_accounts_release(g, g->accts);
	free(g->config_path);
	gw_config_free(&g->gc);
	pthread_attr_destroy(&g->attr);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g->state_dir);
	free(g->token_socket);
	free(g->cafile);
	free(g);
}

int mk_gateway_start(const struct mk_gateway_params *p, struct mk_gateway **r, struct mk_error *err)
{
	struct mk_gateway *g;
	struct gw_limit_params lp = { 0 };
	sigset_t all, old;
	int e;

	*r = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	g->stopfd = g->inofd = g->wd = -1;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	pthread_attr_init(&g->attr);
	pthread_attr_setstacksize(&g->attr, GW_STACK);
	pthread_attr_setdetachstate(&g->attr, PTHREAD_CREATE_DETACHED);
	g->accts = calloc(1, sizeof(*g->accts));
	g->config_path = strdup(mk_config_path(p->config));
	if (g->accts == NULL || g->config_path == NULL) {
		free(g->accts);
		g->accts = NULL;
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	g->accts->cfg = p->config;
	g->accts->refs = 1;
	g->state_dir = dup_or_null(p->state_dir);
	g->token_socket = dup_or_null(p->token_socket);
	g->cafile = dup_or_null(p->cafile);
	if (g->state_dir == NULL || (p->token_socket != NULL && g->token_socket == NULL) ||
	    (p->cafile != NULL && g->cafile == NULL)) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	if (gethostname(g->hostname, sizeof(g->hostname) - 1) != 0 || g->hostname[0] == '\0')
		snprintf(g->hostname, sizeof(g->hostname), "localhost");
	if (gw_config_parse(p->config, NULL, &g->gc, err) != 0)
		goto fail;
	if (g->gc->n == 0) {
		gateway_free(g);
		return 1;
	}
	for (size_t i = 0; i < g->gc->n; i++) {
		g->ls[i].fd = -1;
		g->ls[i].cfg = g->gc->l[i];
	}
	g->nl = g->gc->n;
	if (mk_fs_mkdir_p(g->state_dir, 0700, 0, err) != 0 || load_tls(g, err) != 0)
		goto fail;
	for (size_t i = 0; i < g->nl; i++)
		if (bind_one(g, &g->ls[i], err) != 0)
			goto fail;
	lp.max_connections = g->gc->max_connections;
	lp.max_per_source = g->gc->max_per_source;
	lp.max_failures = g->gc->max_failures;
	lp.window_s = 600;
	g->limit = gw_limit_new(&lp);
	g->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (g->limit == NULL || g->stopfd < 0 || g->inofd < 0) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "gateway: cannot set up the accept loop");
		goto fail;
	}
	g->wd = inotify_add_watch(g->inofd, g->state_dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE);
	if (g->wd < 0)
		mk_log(MK_LOG_WARN,
		       "gateway: cannot watch %s (%s): a revoked app password's open sessions stay open",
		       g->state_dir, strerror(errno));
	/* Every gateway thread has every signal blocked (they inherit the
	 * accept thread's mask): the daemon reads its signals from a
	 * signalfd, and SIGTERM must never end a session thread's process. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&g->accept_thr, NULL, accept_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		mk_error_errno(err, MK_ERR_INTERNAL, e, "gateway: cannot start the accept thread");
		goto fail;
	}
	g->accepting = true;
	for (size_t i = 0; i < g->nl; i++) {
		char a[64];
		mk_log(MK_LOG_INFO, "gateway: %s on %s%s%s%s", g->ls[i].cfg.key,
		       gw_listener_addr(&g->ls[i].cfg, a, sizeof(a)),
		       g->ls[i].cfg.account[0] ? " for account " : "", g->ls[i].cfg.account,
		       g->ls[i].cfg.loopback ? "" : " (logins only over TLS)");
	}
	*r = g;
	return 0;
fail:
	gateway_free(g);
	return -1;
}

void mk_gateway_stop(struct mk_gateway **gp)
{
	struct mk_gateway *g = *gp;
	uint64_t one = 1;
	struct timespec until;
	bool left = false;

	if (g == NULL)
		return;
	*gp = NULL;
	if (g->accepting) {
		if (write(g->stopfd, &one, sizeof(one)) < 0)
			mk_log(MK_LOG_WARN, "gateway: cannot stop the accept thread: %s", strerror(errno));
		pthread_join(g->accept_thr, NULL);
	}
	for (size_t i = 0; i < g->nl; i++)
		if (g->ls[i].fd >= 0) {
			close(g->ls[i].fd);
			g->ls[i].fd = -1;
		}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += GW_STOP_WAIT_S;
	pthread_mutex_lock(&g->mu);
	g->stopping = true;
	for (struct gw_session *s = g->sessions; s != NULL; s = s->next) {
		if (write(s->cancelfd, &one, sizeof(one)) < 0)
			mk_log(MK_LOG_WARN, "gateway: cannot cancel a session: %s", strerror(errno));
		/* A front waiting for the client's line; before login only
		 * the reading side, so the session can still say goodbye. */
		if (s->fd >= 0)
			shutdown(s->fd, s->logged_in ? SHUT_RDWR : SHUT_RD);
	}
	while (g->nsess > 0)
		if (pthread_cond_timedwait(&g->cv, &g->mu, &until) == ETIMEDOUT) {
			left = true;
			break;
		}
	pthread_mutex_unlock(&g->mu);
	if (left) {
		/* Their threads still use g: it stays (the process is ending). */
		mk_log(MK_LOG_WARN, "gateway: %u sessions did not end within %d s", g->nsess, GW_STOP_WAIT_S);
		return;
	}
	gateway_free(g);
	mk_log(MK_LOG_INFO, "gateway: stopped");
}
