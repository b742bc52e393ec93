/* One request to a running `mailkey daemon` over its Unix socket
 * (docs/protocol.md). The only I/O file of the client: the answer is parsed
 * by proto.c. Every wait (connect, write, read) is bounded by one deadline,
 * so a stopped or stalled daemon costs the caller timeout_ms and no more. */
#include "broker/client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/daemon/proto.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/secret.h"
#include "common/str.h"

/* An answer line: a token, a SASL string or the status JSON of many
 * accounts; far above any of them, low enough to bound a broken daemon. */
#define ANSWER_MAX (1024 * 1024)

char *mk_client_default_socket(void)
{
	const char *env = getenv("MAILKEY_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct mk_buf b;

	if (env != NULL && *env != '\0')
		return mk_secret_strdup(env);
	mk_buf_init(&b, 4096);
	if (xdg != NULL && *xdg != '\0') {
		if (mk_buf_addf(&b, "%s/mailkey/socket", xdg) != 0)
			goto fail;
	} else if (mk_buf_addf(&b, "/run/user/%lu/mailkey/socket", (unsigned long)getuid()) != 0) {
		goto fail;
	}
	return mk_buf_take(&b);
fail:
	mk_buf_free(&b);
	return NULL;
}

char *mk_client_socket_for_state(const char *state_dir)
{
	const char *env = getenv("MAILKEY_SOCKET");
	char path[PATH_MAX], buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
	ssize_t n;
	int fd, len;

	if (env != NULL && *env != '\0')
		return mk_secret_strdup(env);
	if (state_dir == NULL)
		return NULL;
	len = snprintf(path, sizeof(path), "%s/%s", state_dir, MK_CLIENT_SOCKET_FILE);
	if (len < 0 || (size_t)len >= sizeof(path))
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* One absolute path and a newline; anything else is not ours. */
	if (buf[n - 1] != '\n' || buf[0] != '/')
		return NULL;
	buf[n - 1] = '\0';
	if (strchr(buf, '\n') != NULL)
		return NULL;
	return strdup(buf);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, 0 when it has passed. */
static int left_ms(long long deadline)
{
	long long d = deadline - now_ms();

	return d <= 0 ? 0 : d > 0x7fffffff ? 0x7fffffff : (int)d;
}

/* Wait for ev on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev, .revents = 0 };
		int ms = left_ms(deadline);
		int rc;

		if (ms == 0)
			return 0;
		rc = poll(&p, 1, ms);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc < 0 ? -1 : rc > 0 ? 1 : 0;
	}
}

/* Connect within the deadline. A stopped daemon with a full backlog would
 * block connect(2) for ever: SO_SNDTIMEO bounds the wait of an AF_UNIX
 * connect (it fails with EAGAIN). 0 connected, 1 no daemon, -1 err. */
static int connect_to(int fd, const char *path, long long deadline, struct mk_error *err)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);

	/* A path that does not fit sun_path cannot be bound by a daemon either. */
	if (n == 0 || n >= sizeof(sa.sun_path))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	for (;;) {
		int ms = left_ms(deadline);
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

		if (ms == 0)
			break;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
			return mk_error_errno(err, MK_ERR_INTERNAL, errno,
					      "cannot set a timeout on a socket");
		if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		switch (errno) {
		case EINTR:
		case EAGAIN:
			continue;
		case EISCONN: /* an interrupted connect completed meanwhile */
			return 0;
		case ENOENT:
		case ENOTDIR:
		case ECONNREFUSED:
		case ENOTSOCK:
			return 1;
		case EACCES:
		case EPERM:
			return mk_error_errno(
				err, MK_ERR_CONFIG, errno,
				"cannot connect to the mailkey daemon at %s: ask its admin to add you "
				"to its allow_group, or unset MAILKEY_SOCKET",
				path);
		default:
			return mk_error_errno(err, MK_ERR_TEMP, errno,
					      "cannot connect to the mailkey daemon at %s", path);
		}
	}
	return mk_error_set(err, MK_ERR_TEMP,
			    "the mailkey daemon at %s did not accept the connection in time: check it with "
			    "`%s status`, or try again later",
			    path, mk_hint_cmd());
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_fd(fd, POLLOUT, deadline);
			if (rc <= 0)
				return rc == 0 ? 1 : -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* Read until the first '\n': its length (with the '\n') in *n_r. 0 ok, 1
 * timed out, -1 broken (closed, read error, over the cap). */
static int recv_line(int fd, struct mk_buf *in, long long deadline, size_t *n_r)
{
	char chunk[4096];
	int rc = -1;

	for (;;) {
		size_t old = in->len;
		ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
		const char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(fd, POLLIN, deadline);
			if (w <= 0) {
				rc = w == 0 ? 1 : -1;
				goto out;
			}
			continue;
		}
		if (r <= 0 || mk_buf_add(in, chunk, (size_t)r) != 0)
			goto out;
		nl = memchr(in->data + old, '\n', (size_t)r);
		if (nl != NULL) {
			*n_r = (size_t)(nl - in->data) + 1;
			rc = 0;
			goto out;
		}
	}
out:
	mk_secret_wipe(chunk, sizeof(chunk));
	return rc;
}

int mk_client_request(const char *socket_path, const char *request, unsigned timeout_ms, char **payload_r,
		      struct mk_error *err)
{
	long long deadline = now_ms() + timeout_ms;
	char *dflt = NULL;
	const char *path = socket_path;
	struct mk_buf req, in;
	const char *p;
	size_t rn = strlen(request), line_n = 0, pn = 0;
	int fd = -1, rc = -1, code = 0, r;

	*payload_r = NULL;
	mk_buf_init(&req, MK_PROTO_LINE_MAX);
	mk_buf_init_secret(&in, ANSWER_MAX);
	if (rn == 0 || mk_str_has_crlfnul(request, rn)) {
		mk_error_set(err, MK_ERR_INTERNAL, "bad request for the mailkey daemon (a bug in mailkey)");
		goto out;
	}
	if (path == NULL) {
		dflt = mk_client_default_socket();
		if (dflt == NULL) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		path = dflt;
	}
	if (mk_buf_addf(&req, "MK%d %s\n", MK_PROTO_VERSION, request) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL,
			     "request for the mailkey daemon too long (a bug in mailkey)");
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_TEMP, errno, "cannot create a socket to reach the mailkey daemon");
		goto out;
	}
	r = connect_to(fd, path, deadline, err);
	if (r != 0) {
		rc = r;
		goto out;
	}
	/* Connected: from here on every wait is a poll on a non-blocking fd. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot make the daemon socket non-blocking");
		goto out;
	}
	r = send_all(fd, req.data, req.len, deadline);
	if (r == 0)
		r = recv_line(fd, &in, deadline, &line_n);
	if (r == 1) {
		mk_error_set(err, MK_ERR_TEMP,
			     "the mailkey daemon at %s did not answer within %u ms: check it with `%s "
			     "status`, or try again later",
			     path, timeout_ms, mk_hint_cmd());
		goto out;
	}
	if (r != 0) {
		mk_error_set(err, MK_ERR_TEMP,
			     "the mailkey daemon at %s closed the connection without an answer: check the "
			     "daemon's log, or try again later",
			     path);
		goto out;
	}
	switch (mk_proto_parse_answer(in.data, line_n - 1, &p, &pn, &code)) {
	case 0:
		*payload_r = mk_str_ndup(p, pn);
		if (*payload_r == NULL) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		rc = 0;
		break;
	case 1:
		if (pn == 0)
			mk_error_set(
				err, mk_proto_code_class(code),
				"the mailkey daemon refused the request (code %d) without saying why: check "
				"the daemon's log",
				code);
		else
			mk_error_set(err, mk_proto_code_class(code), "%.*s", (int)pn, p);
		break;
	default:
		mk_error_set(
			err, MK_ERR_TEMP,
			"the mailkey daemon at %s sent an answer this mailkey does not understand: is it "
			"another version? Restart it, or try again later",
			path);
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	mk_buf_free(&in);
	mk_buf_free(&req);
	free(dflt);
	return rc;
}
