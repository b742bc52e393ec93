/* The connections: accept with a peer check, the two dialects, capped
 * buffers, answers in order, and dropping whoever stalls or sends garbage
 * without slowing anyone else (docs/protocol.md). */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/daemon/daemon-private.h"
#include "broker/daemon/relay.h"
#include "common/base64.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"
#include "sasl-helper/mech.h"

/* --- the idle list: connections by the time of their last request byte --- */

static void idle_remove(struct mk_daemon *d, struct dconn *c)
{
	if (!c->in_idle)
		return;
	if (c->iprev != NULL)
		c->iprev->inext = c->inext;
	else
		d->idle_head = c->inext;
	if (c->inext != NULL)
		c->inext->iprev = c->iprev;
	else
		d->idle_tail = c->iprev;
	c->iprev = c->inext = NULL;
	c->in_idle = false;
}

static void idle_touch(struct mk_daemon *d, struct dconn *c)
{
	idle_remove(d, c);
	c->last_ms = mk_d_mono_ms();
	/* Parked and subscribed connections wait on the daemon, not the
	 * other way round. */
	if (c->events || c->parked != NULL)
		return;
	c->iprev = d->idle_tail;
	if (d->idle_tail != NULL)
		d->idle_tail->inext = c;
	else
		d->idle_head = c;
	d->idle_tail = c;
	c->in_idle = true;
}

int mk_d_idle_timeout_ms(struct mk_daemon *d)
{
	int64_t left, now = mk_d_mono_ms();

	if (d->idle_head == NULL && d->accept_resume_ms == 0)
		return -1;
	left = d->idle_head != NULL ? d->idle_head->last_ms + MK_D_IDLE_MS - now : 60000;
	if (d->accept_resume_ms != 0 && d->accept_resume_ms - now < left)
		left = d->accept_resume_ms - now;
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left + 1;
}

void mk_d_idle_sweep(struct mk_daemon *d)
{
	int64_t now = mk_d_mono_ms();

	while (d->idle_head != NULL && d->idle_head->last_ms + MK_D_IDLE_MS <= now)
		mk_d_conn_drop(d, d->idle_head, "idle for 10 s");
}

/* --- peers --- */

/* Is uid's user a member of gid (primary or supplementary)? */
static bool user_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	gid_t groups[256];
	int ng = (int)(sizeof(groups) / sizeof(groups[0]));

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return false;
	if (pw.pw_gid == gid)
		return true;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) < 0)
		return false; /* more than 256 groups: not worth guessing */
	for (int i = 0; i < ng; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool mk_d_peer_allowed(struct mk_daemon *d, int fd, uid_t *uid_r, pid_t *pid_r)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	*uid_r = (uid_t)-1;
	*pid_r = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return false;
	*uid_r = cr.uid;
	*pid_r = cr.pid;
	/* Root can read the store anyway. */
	if (cr.uid == getuid() || cr.uid == 0)
		return true;
	return d->has_group && (cr.gid == d->allow_gid || user_in_group(cr.uid, d->allow_gid));
}

void mk_d_accept(struct mk_daemon *d)
{
	for (int k = 0; k < 64; k++) {
		struct epoll_event ev = { 0 };
		struct dconn *c;
		uid_t uid;
		pid_t pid;
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			int e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
				return;
			/* The connection stays in the backlog, so the listening
			 * socket stays readable: without a pause every epoll_wait
			 * returns at once (100% CPU, a log line each time). */
			if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
				epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->lfd, NULL);
				d->accept_resume_ms = mk_d_mono_ms() + MK_D_ACCEPT_PAUSE_MS;
				mk_log(MK_LOG_WARN,
				       "daemon: accept: %s (%zu connections): new ones wait %d ms; raise "
				       "LimitNOFILE if this is not an attack",
				       strerror(e), d->nconns, MK_D_ACCEPT_PAUSE_MS);
				return;
			}
			mk_log(MK_LOG_WARN, "daemon: accept: %s", strerror(e));
			return;
		}
		if (!mk_d_peer_allowed(d, fd, &uid, &pid)) {
			mk_log(MK_LOG_WARN,
			       "daemon: refused a connection from uid %ld (pid %ld): not this user%s%s",
			       (long)(int)uid, (long)pid, d->has_group ? " nor in group " : "",
			       d->has_group ? d->group_name : "");
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = ++d->next_id;
		c->uid = uid;
		c->dialect = -1;
		mk_buf_init(&c->in, MK_D_IN_MAX);
		mk_buf_init_secret(&c->out, MK_D_OUT_MAX);
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			mk_buf_free(&c->in);
			mk_buf_free(&c->out);
			free(c);
			close(fd);
			continue;
		}
		c->cnext = d->conns;
		if (d->conns != NULL)
			d->conns->cprev = c;
		d->conns = c;
		d->nconns++;
		idle_touch(d, c);
		mk_log(MK_LOG_DEBUG, "daemon: connection %llu from uid %ld (pid %ld)",
		       (unsigned long long)c->id, (long)uid, (long)pid);
	}
}

void mk_d_conn_drop(struct mk_daemon *d, struct dconn *c, const char *why)
{
	if (c->dead)
		return;
	if (why != NULL)
		mk_log(MK_LOG_INFO, "daemon: dropped connection %llu (uid %ld): %s",
		       (unsigned long long)c->id, (long)c->uid, why);
	mk_d_unpark(c);
	idle_remove(d, c);
	if (c->cprev != NULL)
		c->cprev->cnext = c->cnext;
	else
		d->conns = c->cnext;
	if (c->cnext != NULL)
		c->cnext->cprev = c->cprev;
	d->nconns--;
	close(c->fd); /* also leaves the epoll set */
	mk_buf_free(&c->in);
	mk_buf_free(&c->out);
	/* Freed after the current batch of epoll events, which may still
	 * name it. */
	c->dead = true;
	c->cnext = d->dead;
	d->dead = c;
}

void mk_d_conn_reap(struct mk_daemon *d)
{
	while (d->dead != NULL) {
		struct dconn *c = d->dead;
		d->dead = c->cnext;
		free(c);
	}
}

/* --- answers --- */

/* Room for one more answer? A client that does not read its answers is not
 * given more (and is dropped at the next flush). */
static bool backlog_ok(struct dconn *c)
{
	if (c->out.len > MK_D_BACKLOG_MAX) {
		c->overflow = true;
		return false;
	}
	return true;
}

static void line_ok(struct dconn *c, const char *payload)
{
	if (backlog_ok(c) && mk_proto_format_ok(&c->out, payload) != 0)
		c->closing = true;
}

static void line_err(struct dconn *c, int code, const char *msg)
{
	if (backlog_ok(c) && mk_proto_format_err(&c->out, code, msg) != 0)
		c->closing = true;
}

static void sockmap(struct dconn *c, const char *status, const char *data)
{
	if (backlog_ok(c) && mk_sockmap_format(&c->out, status, data) != 0)
		c->closing = true;
}

static int sasl_string(const struct dacct *ac, enum mk_proto_mech mech, struct mk_buf *b64)
{
	const struct mk_sasl_mech *m;
	struct mk_sasl_creds creds = { 0 };
	struct mk_buf raw;
	struct mk_error err;
	int rc = -1;

	if (mech == MK_PROTO_MECH_DEFAULT)
		m = ac->a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer;
	else
		m = mech == MK_PROTO_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer;
	creds.user = ac->a->user;
	creds.token = ac->token;
	mk_buf_init_secret(&raw, 64 * 1024);
	if (m->start(&creds, &raw, &err) == MK_SASL_OK && mk_base64_encode(raw.data, raw.len, b64) == 0)
		rc = 0;
	mk_buf_free(&raw);
	return rc;
}

void mk_d_answer_ok(struct mk_daemon *d, struct dconn *c, struct dacct *ac)
{
	struct mk_buf b;
	char num[32];

	(void)d;
	switch (c->wkind) {
	case MK_DWAIT_TOKEN:
		line_ok(c, ac->token);
		return;
	case MK_DWAIT_REFRESH:
		snprintf(num, sizeof(num), "%lld", (long long)ac->expires_at);
		line_ok(c, num);
		return;
	case MK_DWAIT_SASL:
		mk_buf_init_secret(&b, 96 * 1024);
		if (sasl_string(ac, c->wmech, &b) == 0)
			line_ok(c, mk_buf_str(&b));
		else
			line_err(c, 70,
				 "cannot build the SASL string (a control byte in the user or token?)");
		mk_buf_free(&b);
		return;
	case MK_DWAIT_SOCKMAP:
		mk_buf_init_secret(&b, 64 * 1024);
		if (mk_buf_addf(&b, "%s:%s", ac->a->user, ac->token) == 0)
			sockmap(c, "OK", mk_buf_str(&b));
		else
			sockmap(c, "TEMP", "mailkey: the token does not fit an answer");
		mk_buf_free(&b);
		return;
	}
}

void mk_d_answer_err(struct mk_daemon *d, struct dconn *c, struct dacct *ac, int code, const char *msg)
{
	char buf[1200];

	(void)d;
	if (c->wkind != MK_DWAIT_SOCKMAP) {
		line_err(c, code, msg);
		return;
	}
	/* Postfix defers (4.x) on TEMP and logs the reason for its admin:
	 * which account, and that `mailkey status` tells more. The mail
	 * waits in Postfix's queue meanwhile. */
	if (ac == NULL)
		snprintf(buf, sizeof(buf), "mailkey: %.1000s", msg);
	else if (code == 77)
		snprintf(buf, sizeof(buf),
			 "mailkey: account %s needs a new login: run `%s login %s` (`%s status %s` "
			 "says why; mail is deferred until then)",
			 ac->name, mk_hint_cmd(), ac->name, mk_hint_cmd(), ac->name);
	else if (code == 75)
		snprintf(buf, sizeof(buf),
			 "mailkey: account %s has no valid token now; the daemon keeps retrying (`%s "
			 "status %s` says why)",
			 ac->name, mk_hint_cmd(), ac->name);
	else
		snprintf(buf, sizeof(buf), "mailkey: account %s: %.700s (see `%s status %s`)", ac->name, msg,
			 mk_hint_cmd(), ac->name);
	sockmap(c, "TEMP", buf);
}

/* What the loop waits for on c: input unless the client has shut its
 * side, output while answers wait to be written. */
static void set_events(struct mk_daemon *d, struct dconn *c)
{
	struct epoll_event ev = { 0 };

	ev.events = (c->rdhup ? 0 : EPOLLIN | EPOLLRDHUP) | (c->want_out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

int mk_d_conn_flush(struct mk_daemon *d, struct dconn *c)
{
	if (c->dead)
		return -1;
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			mk_buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		mk_d_conn_drop(d, c, NULL); /* the client went away */
		return -1;
	}
	if (c->overflow) {
		mk_d_conn_drop(d, c, "more than 64 KiB of unread answers");
		return -1;
	}
	if (c->closing && c->out.len == 0 && c->parked == NULL) {
		mk_d_conn_drop(d, c, NULL);
		return -1;
	}
	if ((c->out.len > 0) != c->want_out) {
		c->want_out = c->out.len > 0;
		set_events(d, c);
	}
	return 0;
}

/* --- requests --- */

static void line_request(struct mk_daemon *d, struct dconn *c, const char *line, size_t len)
{
	struct mk_proto_req r;
	struct mk_error err;
	struct dacct *ac;
	struct mk_buf b;

	mk_error_init(&err);
	if (mk_proto_parse_request(line, len, &r, &err) != 0) {
		line_err(c, err.cls == MK_ERR_IMPL ? 69 : 64, err.msg);
		c->closing = true;
		return;
	}
	switch (r.verb) {
	case MK_PROTO_PING:
		line_ok(c, "mailkey " MK_VERSION " protocol 1");
		return;
	case MK_PROTO_STATUS:
		mk_buf_init(&b, MK_D_OUT_MAX / 2);
		if (mk_d_status_json(d, &b) == 0)
			line_ok(c, mk_buf_str(&b));
		else
			line_err(c, 70, "cannot build the status (out of memory)");
		mk_buf_free(&b);
		return;
	case MK_PROTO_EVENTS:
		line_ok(c, "events");
		c->events = true;
		idle_remove(d, c);
		return;
	case MK_PROTO_TOKEN:
	case MK_PROTO_SASL:
	case MK_PROTO_REFRESH:
		break;
	}
	if ((ac = mk_d_acct_find(d, r.account)) == NULL) {
		char msg[512];
		snprintf(msg, sizeof(msg), "no account '%s' in %s: check the name (`mailkey accounts`)",
			 r.account, d->config_path);
		line_err(c, 64, msg);
		return;
	}
	c->wkind = r.verb == MK_PROTO_TOKEN  ? MK_DWAIT_TOKEN
		   : r.verb == MK_PROTO_SASL ? MK_DWAIT_SASL
					     : MK_DWAIT_REFRESH;
	c->wmech = r.mech;
	mk_d_acct_ask(d, ac, c, c->wkind, r.fresh, r.mech);
}

static struct dacct *relay_find(struct mk_daemon *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (mk_relay_match(key, d->accts[i]->a))
			return d->accts[i];
	return NULL;
}

static void sockmap_request(struct mk_daemon *d, struct dconn *c, const char *data, size_t len)
{
	struct mk_sockmap_req r;
	struct mk_error err;
	struct dacct *ac;

	mk_error_init(&err);
	c->wkind = MK_DWAIT_SOCKMAP;
	if (mk_sockmap_parse_request(data, len, &r, &err) != 0) {
		sockmap(c, "PERM", "malformed socketmap request");
		c->closing = true;
		return;
	}
	if ((ac = mk_d_acct_find(d, r.name)) == NULL) {
		if (strcmp(r.name, "relay") != 0) {
			char msg[300];
			snprintf(msg, sizeof(msg),
				 "mailkey has no account %s (socketmap:unix:PATH:NAME names one)", r.name);
			sockmap(c, "PERM", msg);
			return;
		}
		if ((ac = relay_find(d, r.key)) == NULL) {
			sockmap(c, "NOTFOUND", "");
			return;
		}
	}
	mk_d_acct_ask(d, ac, c, MK_DWAIT_SOCKMAP, false, MK_PROTO_MECH_DEFAULT);
}

/* Handle complete requests until one is parked or the input runs out. */
static void process(struct mk_daemon *d, struct dconn *c)
{
	while (c->in.len > 0 && c->parked == NULL && !c->closing) {
		ssize_t n;

		if (c->events) { /* nothing more is expected from a subscriber */
			mk_buf_reset(&c->in);
			return;
		}
		if (c->dialect < 0)
			c->dialect = mk_proto_is_sockmap((unsigned char)c->in.data[0]) ? 1 : 0;
		if (c->dialect == 0) {
			n = mk_proto_frame_line(c->in.data, c->in.len);
			if (n == 0)
				return;
			if (n < 0) {
				line_err(c, 64, "request line longer than 1024 bytes");
				c->closing = true;
				return;
			}
			line_request(d, c, c->in.data, (size_t)n - 1);
		} else {
			const char *data;
			size_t dlen;
			n = mk_sockmap_frame(c->in.data, c->in.len, &data, &dlen);
			if (n == 0)
				return;
			if (n < 0) {
				c->wkind = MK_DWAIT_SOCKMAP;
				sockmap(c, "PERM",
					"malformed socketmap request (not a netstring, or over 1024 bytes)");
				c->closing = true;
				return;
			}
			sockmap_request(d, c, data, dlen);
		}
		mk_buf_consume(&c->in, (size_t)n);
		/* Parked: it waits on the daemon now (a refresh may take the
		 * provider's timeout), not the other way round. */
		if (c->parked != NULL)
			idle_remove(d, c);
	}
}

void mk_d_conn_resume(struct mk_daemon *d, struct dconn *c)
{
	idle_touch(d, c);
	process(d, c);
	mk_d_conn_flush(d, c);
}

void mk_d_conn_io(struct mk_daemon *d, struct dconn *c, uint32_t events)
{
	char buf[4096];
	bool eof = false;

	if (c->dead)
		return;
	if (events & EPOLLIN) {
		/* Requests are handled after each read, so that a client that
		 * pipelines more than MK_D_IN_MAX bytes of them is answered, not
		 * taken for one long request; a bounded number of reads, so that
		 * one fast writer cannot hold the loop (level-triggered: the rest
		 * comes at the next epoll_wait). */
		for (int k = 0; k < 16; k++) {
			size_t room = c->in.max - c->in.len, want = room < sizeof(buf) ? room : sizeof(buf);
			ssize_t n;

			if (want == 0) {
				/* Only a parked request leaves the buffer full:
				 * more than that queued behind it is not a client of
				 * ours. */
				mk_d_conn_drop(d, c, "more than 4 KiB of requests behind an unanswered one");
				return;
			}
			n = recv(c->fd, buf, want, MSG_DONTWAIT);
			if (n > 0) {
				if (mk_buf_add(&c->in, buf, (size_t)n) != 0) { /* n <= room: memory */
					mk_d_conn_drop(d, c, "out of memory");
					return;
				}
				if (!c->closing) {
					if (!c->events && c->parked == NULL)
						idle_touch(d, c);
					process(d, c);
				}
				if (c->closing)
					mk_buf_reset(&c->in); /* only its answers are still written */
				if ((size_t)n < want)
					break;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			eof = true;
			break;
		}
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		mk_d_conn_drop(d, c, NULL); /* gone both ways: nobody reads answers */
		return;
	}
	if (eof) {
		/* Half-closed (`printf 'MK1 token a\n' | socat ...`): what it
		 * asked is still answered, even after a refresh, then closed. */
		c->rdhup = true;
		c->closing = true;
		mk_buf_reset(&c->in);
		set_events(d, c);
		if (c->parked == NULL)
			mk_d_conn_flush(d, c);
		return;
	}
	mk_d_conn_flush(d, c);
}

void mk_d_conn_event(struct mk_daemon *d, struct dconn *c, const char *line)
{
	if (backlog_ok(c) && (mk_buf_addstr(&c->out, line) != 0 || mk_buf_addc(&c->out, '\n') != 0))
		c->overflow = true;
	mk_d_conn_flush(d, c);
}
