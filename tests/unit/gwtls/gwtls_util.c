#define _GNU_SOURCE
#include "gwtls_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "gateway/lconn.h"
#include "mail/conn.h"

long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *tmpdir_new(void)
{
	const char *t = getenv("TMPDIR");
	char *p = NULL;

	if (asprintf(&p, "%s/mk-gwtls-XXXXXX", t != NULL && *t ? t : "/tmp") < 0)
		return NULL;
	if (mkdtemp(p) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void tmpdir_free(char **dir)
{
	if (*dir != NULL)
		run("rm -rf '%s'", *dir);
	free(*dir);
	*dir = NULL;
}

int listen_lo(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int listen_lo6(unsigned *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)*port) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin6_port);
	return fd;
}

int accept_one(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, 10000) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

int connect_lo(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int run(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = system(cmd);
	free(cmd);
	if (r == -1 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

char *run_out(const char *fmt, ...)
{
	char *cmd = NULL, *out = NULL;
	size_t len = 0, size = 0;
	va_list ap;
	FILE *f;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > size) {
			char *n = realloc(out, size = size * 2 + 8192);
			if (n == NULL)
				break;
			out = n;
		}
		size_t k = fread(out + len, 1, 4096, f);
		if (k == 0)
			break;
		len += k;
	}
	pclose(f);
	if (out != NULL)
		out[len] = '\0';
	return out;
}

char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL) {
		if (fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		} else {
			b[n] = '\0';
			if (lenp != NULL)
				*lenp = (size_t)n;
		}
	}
	fclose(f);
	return b;
}

static int end_fd(const struct end *e)
{
	return e->lc != NULL ? gw_lconn_fd(e->lc) : e->mc != NULL ? mk_conn_fd(e->mc) : e->fd;
}

static size_t end_buffered(const struct end *e)
{
	return e->lc != NULL ? gw_lconn_buffered(e->lc) : e->mc != NULL ? mk_conn_pending(e->mc) : 0;
}

static int end_read(struct end *e, void *p, size_t cap, size_t *n, struct mk_error *err)
{
	ssize_t k;

	if (e->lc != NULL)
		return gw_lconn_read_some(e->lc, p, cap, n, err);
	if (e->mc != NULL)
		return mk_conn_read_some(e->mc, p, cap, n, err);
	k = recv(e->fd, p, cap, MSG_DONTWAIT);
	if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
		*n = 0;
		errno = EAGAIN;
		return 0;
	}
	if (k < 0)
		return mk_error_errno(err, MK_ERR_CONN, errno, "recv");
	*n = (size_t)k;
	errno = 0;
	return 0;
}

static int end_write(struct end *e, const void *p, size_t len, size_t *n, struct mk_error *err)
{
	ssize_t k;

	if (e->lc != NULL)
		return gw_lconn_write_some(e->lc, p, len, n, err);
	if (e->mc != NULL)
		return mk_conn_write_some(e->mc, p, len, n, err);
	k = send(e->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		k = 0;
	if (k < 0)
		return mk_error_errno(err, MK_ERR_CONN, errno, "send");
	*n = (size_t)k;
	return 0;
}

int pump(struct end *e, uint64_t send_n, unsigned send_seed, uint64_t recv_n, unsigned recv_seed)
{
	static const size_t chunk = 32768;
	unsigned char *out = malloc(chunk), *in = malloc(chunk);
	uint64_t sent = 0, got = 0;
	size_t out_off = 0, out_len = 0;
	long long deadline = mono_ms() + 120000;
	struct mk_error err;
	int rc = -1;

	mk_error_init(&err);
	if (out == NULL || in == NULL)
		goto out;
	while (sent < send_n || got < recv_n) {
		struct pollfd p = { .fd = end_fd(e) };
		size_t n;

		if (mono_ms() > deadline) {
			fprintf(stderr, "pump: timed out (sent %llu got %llu)\n", (unsigned long long)sent,
				(unsigned long long)got);
			goto out;
		}
		if (out_off == out_len && sent < send_n) {
			out_len = send_n - sent < chunk ? (size_t)(send_n - sent) : chunk;
			for (size_t i = 0; i < out_len; i++)
				out[i] = stream_byte(send_seed, sent + i);
			out_off = 0;
		}
		if (out_off < out_len) {
			if (end_write(e, out + out_off, out_len - out_off, &n, &err) != 0) {
				fprintf(stderr, "pump: write: %s\n", err.msg);
				goto out;
			}
			out_off += n;
			sent += n;
		}
		if (got < recv_n && (end_buffered(e) > 0 ||
				     (poll(&(struct pollfd){ .fd = p.fd, .events = POLLIN }, 1, 0) == 1))) {
			size_t cap = recv_n - got < chunk ? (size_t)(recv_n - got) : chunk;
			errno = 0;
			if (end_read(e, in, cap, &n, &err) != 0) {
				fprintf(stderr, "pump: read: %s\n", err.msg);
				goto out;
			}
			if (n == 0 && errno != EAGAIN) {
				fprintf(stderr, "pump: EOF after %llu of %llu bytes\n",
					(unsigned long long)got, (unsigned long long)recv_n);
				goto out;
			}
			for (size_t i = 0; i < n; i++)
				if (in[i] != stream_byte(recv_seed, got + i)) {
					fprintf(stderr, "pump: byte %llu differs\n",
						(unsigned long long)(got + i));
					goto out;
				}
			got += n;
			continue;
		}
		p.events = (short)((got < recv_n ? POLLIN : 0) | (out_off < out_len ? POLLOUT : 0));
		if (p.events != 0)
			poll(&p, 1, 1000);
	}
	rc = 0;
out:
	free(out);
	free(in);
	return rc;
}
