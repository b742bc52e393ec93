/* The byte relay after login (relay.h).
 *
 * One loop per session: move whatever either side already has (our line
 * buffers, and records Mbed TLS has decrypted but poll(2) cannot see), then
 * sleep in one poll on both sockets and cancel_fd with at most one timeout
 * (the idle limit), so a quiet session costs no CPU and no wakeups.
 *
 * Each direction holds at most RELAY_CHUNK bytes read from its source and
 * not yet written; writes never wait (a full socket is polled for POLLOUT),
 * so a client and a server sending at the same time cannot deadlock the
 * relay. A direction's buffer exists only while it holds bytes or they
 * flow: an idle session holds no relay buffer, only its two connections. */
#include "gateway/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/secret.h"
#include "gateway/lconn.h"
#include "mail/conn.h"

#define RELAY_CHUNK (16 * 1024)
/* Rounds of moves before polling again even though a side still has
 * buffered bytes, so cancel_fd is looked at during a long transfer. */
#define RELAY_BURST 64

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One direction: bytes read from its source, not yet all written. */
struct dir {
	unsigned char *buf; /* RELAY_CHUNK bytes while data flows, else NULL */
	size_t off, len;    /* buf[off, len) still to write */
};

struct relay {
	struct gw_lconn *client;
	struct mk_conn *up;
	struct dir to_up, to_client;
	struct gw_relay_stats st;
};

static void dir_drop(struct dir *d)
{
	if (d->buf != NULL) {
		/* Relayed bytes are mail and commands, perhaps private: wiped. */
		mk_secret_free(d->buf, RELAY_CHUNK);
		d->buf = NULL;
	}
	d->off = d->len = 0;
}

static int dir_need(struct dir *d, struct mk_error *err)
{
	if (d->buf == NULL && (d->buf = malloc(RELAY_CHUNK)) == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	d->off = d->len = 0;
	return 0;
}

static bool dir_pending(const struct dir *d)
{
	return d->off < d->len;
}

/* Read into an empty direction. 0 read (or nothing yet), 1 EOF, -1 error. */
static int fill_up(struct relay *r, bool *moved, struct mk_error *err)
{
	size_t n;

	if (dir_need(&r->to_up, err) != 0 ||
	    gw_lconn_read_some(r->client, r->to_up.buf, RELAY_CHUNK, &n, err) != 0)
		return -1;
	if (n == 0)
		return 1;
	r->to_up.len = n;
	*moved = true;
	return 0;
}

static int fill_client(struct relay *r, bool *moved, struct mk_error *err)
{
	size_t n;

	if (dir_need(&r->to_client, err) != 0 ||
	    mk_conn_read_some(r->up, r->to_client.buf, RELAY_CHUNK, &n, err) != 0)
		return -1;
	if (n == 0)
		return 1;
	r->to_client.len = n;
	*moved = true;
	return 0;
}

/* Write what a direction holds, as far as the socket takes it now. */
static int flush_up(struct relay *r, bool *moved, struct mk_error *err)
{
	struct dir *d = &r->to_up;
	size_t n;

	if (mk_conn_write_some(r->up, d->buf + d->off, d->len - d->off, &n, err) != 0)
		return -1;
	d->off += n;
	r->st.to_upstream += n;
	*moved |= n > 0;
	return 0;
}

static int flush_client(struct relay *r, bool *moved, struct mk_error *err)
{
	struct dir *d = &r->to_client;
	size_t n;

	if (gw_lconn_write_some(r->client, d->buf + d->off, d->len - d->off, &n, err) != 0)
		return -1;
	d->off += n;
	r->st.to_client += n;
	*moved |= n > 0;
	return 0;
}

/* Result of a step: 0 go on, else the session ends (ended_by set); -1 is
 * an error. */
#define END(who, k)                                                                                          \
	do {                                                                                                 \
		r->st.ended_by = (who);                                                                      \
		return (k) < 0 ? -1 : 1;                                                                     \
	} while (0)

/* Move without waiting: flush what is held, and refill from bytes a side
 * already has where poll cannot see them (our line buffer, records Mbed
 * TLS decrypted). */
static int step_buffered(struct relay *r, bool *moved, struct mk_error *err)
{
	int k;

	for (int i = 0; i < RELAY_BURST; i++) {
		bool any = false;
		if (dir_pending(&r->to_up) && (k = flush_up(r, &any, err)) != 0)
			END(1, k);
		if (dir_pending(&r->to_client) && (k = flush_client(r, &any, err)) != 0)
			END(0, k);
		if (!dir_pending(&r->to_up) && gw_lconn_buffered(r->client) > 0) {
			if ((k = fill_up(r, &any, err)) != 0)
				END(0, k);
		}
		if (!dir_pending(&r->to_client) && mk_conn_pending(r->up) > 0) {
			if ((k = fill_client(r, &any, err)) != 0)
				END(1, k);
		}
		if (!any)
			break;
		*moved = true;
	}
	return 0;
}

/* After poll: each fd serves what it was polled for. */
static int step_ready(struct relay *r, const struct pollfd *pc, const struct pollfd *pu, bool *moved,
		      struct mk_error *err)
{
	const short in = POLLIN | POLLHUP | POLLERR, out = POLLOUT | POLLHUP | POLLERR;
	int k;

	/* Upstream first: its last words (BYE, 421) reach the client before
	 * either close is acted on. */
	if ((pu->events & POLLIN) && (pu->revents & in) && (k = fill_client(r, moved, err)) != 0)
		END(1, k);
	if ((pc->events & POLLOUT) && (pc->revents & out) && (k = flush_client(r, moved, err)) != 0)
		END(0, k);
	if ((pc->events & POLLIN) && (pc->revents & in) && (k = fill_up(r, moved, err)) != 0)
		END(0, k);
	if ((pu->events & POLLOUT) && (pu->revents & out) && (k = flush_up(r, moved, err)) != 0)
		END(1, k);
	return 0;
}

/* A direction that holds bytes waits for its target to take them; one that
 * is empty waits for its source. No interest at all: fd -1, so a hung-up
 * socket we are not reading yet cannot make poll spin. */
static void want(struct pollfd *p, int fd, short events)
{
	p->fd = events != 0 ? fd : -1;
	p->events = events;
	p->revents = 0;
}

static int relay_loop(struct relay *r, unsigned idle_ms, int cancel_fd, struct mk_error *err)
{
	long long last = now_ms();

	for (;;) {
		struct pollfd pfd[3];
		bool moved = false;
		int tmo = -1, n, k;

		if ((k = step_buffered(r, &moved, err)) != 0)
			return k < 0 ? -1 : 0;
		if (moved)
			last = now_ms();
		want(&pfd[0], gw_lconn_fd(r->client),
		     (short)((dir_pending(&r->to_up) ? 0 : POLLIN) |
			     (dir_pending(&r->to_client) ? POLLOUT : 0)));
		want(&pfd[1], mk_conn_fd(r->up),
		     (short)((dir_pending(&r->to_client) ? 0 : POLLIN) |
			     (dir_pending(&r->to_up) ? POLLOUT : 0)));
		want(&pfd[2], cancel_fd, POLLIN); /* -1: ignored by poll */
		if (idle_ms > 0) {
			long long left = last + idle_ms - now_ms();
			if (left <= 0) {
				r->st.ended_by = 2;
				return 0;
			}
			tmo = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		/* Before sleeping, give back the buffers of directions that hold
		 * nothing: an idle session keeps no relay memory. */
		n = poll(pfd, 3, 0);
		if (n == 0) {
			if (!dir_pending(&r->to_up))
				dir_drop(&r->to_up);
			if (!dir_pending(&r->to_client))
				dir_drop(&r->to_client);
			n = poll(pfd, 3, tmo);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mk_error_errno(err, MK_ERR_INTERNAL, errno, "poll in the relay");
		}
		if (n == 0)
			continue; /* the idle check above ends it */
		if (pfd[2].revents != 0) {
			r->st.ended_by = 3;
			return 0;
		}
		moved = false;
		if ((k = step_ready(r, &pfd[0], &pfd[1], &moved, err)) != 0)
			return k < 0 ? -1 : 0;
		if (moved)
			last = now_ms();
	}
}

int gw_relay(struct gw_lconn *client, struct mk_conn *upstream, unsigned idle_ms, int cancel_fd,
	     struct gw_relay_stats *st, struct mk_error *err)
{
	struct relay r = { .client = client, .up = upstream };
	int rc;

	rc = relay_loop(&r, idle_ms, cancel_fd, err);
	dir_drop(&r.to_up);
	dir_drop(&r.to_client);
	if (st != NULL)
		*st = r.st;
	return rc;
}
