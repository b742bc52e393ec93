/* The client's side of a gateway connection (lconn.h). The socket is
 * non-blocking and every wait is a poll(2) with the operation's deadline, so
 * a client that stops sending (or reading) mid-line, mid-literal or
 * mid-handshake is dropped when its timeout runs out, however it trickles. */
#include "gateway/lconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/secret.h"
#include "gateway/tls.h"

/* Received bytes not yet consumed: a line (capped by the caller), a
 * literal piece, or what the relay has not taken yet. */
#define LCONN_RBUF_MAX (256 * 1024)
/* One read from the socket or TLS: lines are short, and the relay reads
 * into its own buffer through read_some. */
#define LCONN_CHUNK 4096

struct gw_lconn {
	int fd;
	struct gw_tls *tls; /* the listener's, not owned; NULL = no TLS */
	bool is_tls;	    /* handshake done */
	bool ssl_ready;	    /* ssl initialised (free it) */
	unsigned timeout_ms;
	long long until;    /* gw_lconn_set_deadline's moment (now_ms); -1 = none */
	struct mk_buf rbuf; /* secret: passwords pass through it */
	mbedtls_ssl_context ssl;
	char peer[INET6_ADDRSTRLEN];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The deadline of one operation: its own timeout or the connection's
 * absolute deadline, whichever comes first; -1 = none. */
static long long deadline_of(const struct gw_lconn *c)
{
	long long op = c->timeout_ms == 0 ? -1 : now_ms() + c->timeout_ms;

	if (c->until >= 0 && (op < 0 || c->until < op))
		return c->until;
	return op;
}

/* The absolute deadline has passed: the operation's timeout error names
 * it, so the session can say "login timeout" rather than "idle". */
static bool past_until(const struct gw_lconn *c)
{
	return c->until >= 0 && now_ms() >= c->until;
}

static int until_error(struct mk_error *err)
{
	return mk_error_set(err, MK_ERR_CONN, "login timeout");
}

/* Wait until fd is readable (events POLLIN) or writable (POLLOUT), or the
 * deadline passes. 0 ready, 1 timed out, -1 poll error. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int tmo = -1, r;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return 1;
			tmo = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		r = poll(&pfd, 1, tmo);
		if (r > 0)
			return 0; /* readable, writable, or HUP/ERR: the next I/O says which */
		if (r == 0)
			continue; /* re-check the deadline */
		if (errno != EINTR)
			return -1;
	}
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct gw_lconn *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
						     : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct gw_lconn *c = ctx;
	ssize_t n = recv(c->fd, buf, len, 0);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

static void set_peer(struct gw_lconn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	snprintf(c->peer, sizeof(c->peer), "unknown");
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof(c->peer));
	} else if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		/* An IPv4 client on a dual-stack socket counts as its IPv4
		 * address, so per-source limits see one source, not two. */
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], c->peer, sizeof(c->peer));
		else
			inet_ntop(AF_INET6, a, c->peer, sizeof(c->peer));
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(c->peer, sizeof(c->peer), "local");
	}
}

static int handshake(struct gw_lconn *c, struct mk_error *err)
{
	long long deadline = deadline_of(c);
	char why[160];
	int r;

	if (c->tls == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "this listener has no TLS");
	mbedtls_ssl_init(&c->ssl);
	c->ssl_ready = true;
	if (mbedtls_ssl_setup(&c->ssl, gw_tls_ssl_config(c->tls)) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "TLS setup failed (out of memory?)");
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		int w;
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			w = wait_fd(c->fd, r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (w == 1 && past_until(c))
				return until_error(err);
			if (w == 1)
				return mk_error_set(err, MK_ERR_CONN, "TLS handshake with %s timed out",
						    c->peer);
			if (w < 0)
				return mk_error_errno(err, MK_ERR_CONN, errno, "TLS handshake with %s",
						      c->peer);
			continue;
		}
		if (r == MBEDTLS_ERR_NET_CONN_RESET || r == MBEDTLS_ERR_NET_RECV_FAILED ||
		    r == MBEDTLS_ERR_NET_SEND_FAILED || r == MBEDTLS_ERR_SSL_CONN_EOF)
			return mk_error_set(err, MK_ERR_CONN,
					    "%s closed the connection during the TLS handshake", c->peer);
		mbedtls_strerror(r, why, sizeof(why));
		return mk_error_set(err, MK_ERR_PROTO, "TLS handshake with %s failed: %s", c->peer, why);
	}
	c->is_tls = true;
	return 0;
}

int gw_lconn_new(int fd, struct gw_tls *tls, bool implicit, unsigned timeout_ms, struct gw_lconn **r,
		 struct mk_error *err)
{
	struct gw_lconn *c;
	int one = 1, fl;

	*r = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	c->fd = fd;
	c->tls = tls;
	c->timeout_ms = timeout_ms;
	c->until = -1;
	mk_buf_init_secret(&c->rbuf, LCONN_RBUF_MAX);
	set_peer(c);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot make the client socket non-blocking");
		goto fail;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* Replies are small writes answered by the client's next command:
	 * Nagle would hold each behind a delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (implicit && handshake(c, err) != 0)
		goto fail;
	*r = c;
	return 0;
fail:
	gw_lconn_free(&c);
	return -1;
}

void gw_lconn_set_timeout(struct gw_lconn *c, unsigned timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

void gw_lconn_set_deadline(struct gw_lconn *c, unsigned ms_from_now)
{
	c->until = ms_from_now == 0 ? -1 : now_ms() + ms_from_now;
}

/* One read of at most cap bytes into p, waiting until the deadline.
 * Returns bytes read (> 0), 0 at EOF, -1 with err. */
static ssize_t raw_read(struct gw_lconn *c, void *p, size_t cap, long long deadline, struct mk_error *err)
{
	for (;;) {
		ssize_t n;
		short ev = POLLIN;
		int w;

		if (c->is_tls) {
			int k = mbedtls_ssl_read(&c->ssl, p, cap);
			if (k > 0)
				return k;
			if (k == 0 || k == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
			    k == MBEDTLS_ERR_NET_CONN_RESET)
				return 0;
			if (k == MBEDTLS_ERR_SSL_WANT_WRITE)
				ev = POLLOUT;
			else if (k != MBEDTLS_ERR_SSL_WANT_READ) {
				char why[160];
				mbedtls_strerror(k, why, sizeof(why));
				return mk_error_set(err, MK_ERR_CONN, "TLS read from %s failed: %s", c->peer,
						    why);
			}
		} else {
			n = recv(c->fd, p, cap, 0);
			if (n >= 0)
				return n;
			if (errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return mk_error_errno(err, MK_ERR_CONN, errno, "reading from %s", c->peer);
		}
		w = wait_fd(c->fd, ev, deadline);
		if (w == 1 && past_until(c))
			return until_error(err);
		if (w == 1)
			return mk_error_set(err, MK_ERR_CONN, "%s sent nothing in time", c->peer);
		if (w < 0)
			return mk_error_errno(err, MK_ERR_CONN, errno, "waiting for %s", c->peer);
	}
}

/* Append one read's worth to rbuf. 0, or -1 with err (EOF included). */
static int fill(struct gw_lconn *c, long long deadline, struct mk_error *err)
{
	unsigned char chunk[LCONN_CHUNK];
	size_t room = c->rbuf.max - c->rbuf.len;
	ssize_t n;
	int rc = 0;

	if (room == 0)
		return mk_error_set(err, MK_ERR_PROTO, "%s sent too much at once", c->peer);
	n = raw_read(c, chunk, room < sizeof(chunk) ? room : sizeof(chunk), deadline, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return mk_error_set(err, MK_ERR_CONN, "%s closed the connection", c->peer);
	if (mk_buf_add(&c->rbuf, chunk, (size_t)n) != 0)
		rc = mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	mk_secret_wipe(chunk, (size_t)n);
	return rc;
}

int gw_lconn_read_line(struct gw_lconn *c, struct mk_buf *line, size_t max, struct mk_error *err)
{
	long long deadline = deadline_of(c);
	size_t scanned = 0;

	mk_buf_reset(line);
	/* Lines already buffered do not outlive the deadline: a client that
	 * pipelined many commands still has only until then. */
	if (past_until(c))
		return until_error(err);
	for (;;) {
		char *nl = c->rbuf.len > scanned ? memchr(c->rbuf.data + scanned, '\n', c->rbuf.len - scanned)
						 : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->rbuf.data), keep = n;
			if (keep > 0 && c->rbuf.data[keep - 1] == '\r')
				keep--;
			if (keep > max)
				return mk_error_set(err, MK_ERR_PROTO, "%s sent a line longer than %zu bytes",
						    c->peer, max);
			if (mk_buf_add(line, c->rbuf.data, keep) != 0)
				return mk_error_set(err, MK_ERR_PROTO,
						    "%s sent a line longer than the buffer", c->peer);
			mk_buf_consume(&c->rbuf, n + 1);
			return 0;
		}
		scanned = c->rbuf.len;
		/* max bytes plus a CR may still end well; one more cannot. */
		if (c->rbuf.len > max + 1)
			return mk_error_set(err, MK_ERR_PROTO, "%s sent a line longer than %zu bytes",
					    c->peer, max);
		if (fill(c, deadline, err) != 0)
			return -1;
	}
}

int gw_lconn_read_exact(struct gw_lconn *c, size_t n, struct mk_buf *out, struct mk_error *err)
{
	long long deadline = deadline_of(c);

	if (past_until(c))
		return until_error(err);

	for (;;) {
		size_t take = c->rbuf.len < n ? c->rbuf.len : n;
		if (take > 0) {
			if (mk_buf_add(out, c->rbuf.data, take) != 0)
				return mk_error_set(err, MK_ERR_PROTO, "%s sent more data than allowed",
						    c->peer);
			mk_buf_consume(&c->rbuf, take);
			n -= take;
		}
		if (n == 0)
			return 0;
		if (fill(c, deadline, err) != 0)
			return -1;
	}
}

int gw_lconn_write(struct gw_lconn *c, const void *p, size_t n, struct mk_error *err)
{
	const unsigned char *b = p;
	long long deadline = deadline_of(c);

	while (n > 0) {
		short ev = POLLOUT;
		int w;

		if (c->is_tls) {
			int k = mbedtls_ssl_write(&c->ssl, b, n);
			if (k > 0) {
				b += k;
				n -= (size_t)k;
				continue;
			}
			if (k == MBEDTLS_ERR_SSL_WANT_READ)
				ev = POLLIN;
			else if (k != MBEDTLS_ERR_SSL_WANT_WRITE)
				return mk_error_set(err, MK_ERR_CONN,
						    "the connection to %s broke while sending", c->peer);
		} else {
			ssize_t k = send(c->fd, b, n, MSG_NOSIGNAL);
			if (k > 0) {
				b += k;
				n -= (size_t)k;
				continue;
			}
			if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return mk_error_errno(err, MK_ERR_CONN, errno, "sending to %s", c->peer);
		}
		w = wait_fd(c->fd, ev, deadline);
		if (w == 1 && past_until(c))
			return until_error(err);
		if (w == 1)
			return mk_error_set(err, MK_ERR_CONN, "%s did not read in time", c->peer);
		if (w < 0)
			return mk_error_errno(err, MK_ERR_CONN, errno, "waiting to send to %s", c->peer);
	}
	return 0;
}

int gw_lconn_printf(struct gw_lconn *c, struct mk_error *err, const char *fmt, ...)
{
	struct mk_buf b;
	va_list ap;
	int r;

	mk_buf_init_secret(&b, 65536);
	va_start(ap, fmt);
	r = mk_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (r != 0)
		r = mk_error_set(err, MK_ERR_INTERNAL, "reply too long or out of memory");
	else
		r = gw_lconn_write(c, b.data, b.len, err);
	mk_buf_free(&b);
	return r;
}

int gw_lconn_starttls(struct gw_lconn *c, struct mk_error *err)
{
	if (c->tls == NULL || c->is_tls)
		return mk_error_set(err, MK_ERR_INTERNAL, "STARTTLS is not possible on this connection");
	/* Bytes after the STARTTLS command arrived in plaintext; reading them
	 * as if they came over TLS is the CVE-2011-0411 injection. */
	if (c->rbuf.len > 0)
		return mk_error_set(err, MK_ERR_PROTO,
				    "%s sent data after its STARTTLS command (possible injection); "
				    "connection dropped",
				    c->peer);
	return handshake(c, err);
}

bool gw_lconn_is_tls(const struct gw_lconn *c)
{
	return c->is_tls;
}

bool gw_lconn_can_starttls(const struct gw_lconn *c)
{
	return c->tls != NULL && !c->is_tls;
}

const char *gw_lconn_peer(const struct gw_lconn *c)
{
	return c->peer;
}

int gw_lconn_fd(const struct gw_lconn *c)
{
	return c->fd;
}

size_t gw_lconn_buffered(const struct gw_lconn *c)
{
	size_t n = c->rbuf.len;

	/* poll(2) cannot see decrypted bytes waiting inside Mbed TLS. */
	if (c->is_tls)
		n += mbedtls_ssl_get_bytes_avail(&c->ssl);
	return n;
}

int gw_lconn_read_some(struct gw_lconn *c, void *p, size_t cap, size_t *n, struct mk_error *err)
{
	ssize_t k;

	*n = 0;
	if (cap == 0)
		return 0;
	if (past_until(c))
		return until_error(err);
	if (c->rbuf.len > 0) {
		size_t take = c->rbuf.len < cap ? c->rbuf.len : cap;
		memcpy(p, c->rbuf.data, take);
		mk_buf_consume(&c->rbuf, take);
		if (c->rbuf.len == 0)
			mk_buf_free(&c->rbuf); /* the relay needs no line buffer: give it back */
		*n = take;
		return 0;
	}
	k = raw_read(c, p, cap, deadline_of(c), err);
	if (k < 0)
		return -1;
	*n = (size_t)k;
	return 0;
}

int gw_lconn_write_some(struct gw_lconn *c, const void *p, size_t len, size_t *n, struct mk_error *err)
{
	*n = 0;
	if (len > 65536)
		len = 65536;
	if (c->is_tls) {
		int k = mbedtls_ssl_write(&c->ssl, p, len);
		if (k == MBEDTLS_ERR_SSL_WANT_WRITE || k == MBEDTLS_ERR_SSL_WANT_READ)
			return 0;
		if (k <= 0)
			return mk_error_set(err, MK_ERR_CONN, "the connection to %s broke while sending",
					    c->peer);
		*n = (size_t)k;
	} else {
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		if (k < 0)
			return mk_error_errno(err, MK_ERR_CONN, errno, "sending to %s", c->peer);
		*n = (size_t)k;
	}
	return 0;
}

void gw_lconn_free(struct gw_lconn **cp)
{
	struct gw_lconn *c = *cp;

	if (c == NULL)
		return;
	if (c->is_tls)
		(void)mbedtls_ssl_close_notify(&c->ssl); /* best effort: never waits */
	if (c->ssl_ready)
		mbedtls_ssl_free(&c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	mk_buf_free(&c->rbuf);
	free(c);
	*cp = NULL;
}
