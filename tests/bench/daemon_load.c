/* Benchmark and test client for `mailkey daemon` (docs/protocol.md).
 *
 *   mk-daemon-load load SOCKET REQUEST CLIENTS SECONDS
 *       CLIENTS threads, each connects once and then loops: send REQUEST
 *       (a whole line without '\n', e.g. "MK1 token bench"), read one answer
 *       line, which must start with "OK ". Prints one JSON line: requests
 *       answered, errors, the rate.
 *   mk-daemon-load serve SOCKET TOKEN_BYTES
 *       The floor: a minimal single-threaded epoll server that answers every
 *       line with "OK " and TOKEN_BYTES bytes of token. Prints "ready" once
 *       it listens; runs until SIGTERM/SIGINT.
 *   mk-daemon-load storm SOCKET REQUEST N
 *       N threads connect, meet at a barrier, each send REQUEST once and
 *       wait for its answer. Prints "sent" (stdout, flushed) once every
 *       request is written, then one JSON line: how many got OK, ERR or
 *       nothing, and the wall-clock times (unix seconds) of the first and
 *       last answer, to compare with the provider's log.
 *
 * Exit 0 when every exchange got an OK answer, 1 when some did not (the JSON
 * line says how many), 64 usage, 71 setup (socket, threads). No secret is
 * printed: answers are counted, never echoed. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 65536 /* a token answer is about 1.2 KB; status can be more */
#define THREAD_STACK (256u * 1024u)

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *r)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max)
		return -1;
	*r = v;
	return 0;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "mk-daemon-load: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, path) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A reader for one connection: answers arrive as whole lines. */
struct reader {
	int fd;
	char buf[LINE_MAX_BYTES];
	size_t len; /* bytes in buf */
};

/* One line into the reader: 1 "OK ...", 0 another line ("ERR ..."), -1 the
 * connection closed or broke, or a line over the cap. */
static int read_answer(struct reader *rd)
{
	for (;;) {
		char *nl = memchr(rd->buf, '\n', rd->len);

		if (nl != NULL) {
			size_t used = (size_t)(nl - rd->buf) + 1;
			int ok = used >= 3 && memcmp(rd->buf, "OK ", 3) == 0;

			memmove(rd->buf, rd->buf + used, rd->len - used);
			rd->len -= used;
			return ok;
		}
		if (rd->len == sizeof(rd->buf))
			return -1;
		ssize_t n = read(rd->fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		rd->len += (size_t)n;
	}
}

struct run {
	const char *path;
	char *line; /* REQUEST + '\n' */
	size_t line_len;
	pthread_barrier_t start;
	atomic_bool stop;
	atomic_ulong ok, err, broken, connect_failed;
	/* storm */
	atomic_ulong sent;
	pthread_mutex_t mu;
	double first, last; /* wall-clock of the first/last answer (under mu) */
};

static void *load_thread(void *arg)
{
	struct run *r = arg;
	struct reader *rd = calloc(1, sizeof(*rd));
	unsigned long ok = 0, err = 0;

	if (rd == NULL || (rd->fd = connect_to(r->path)) < 0) {
		atomic_fetch_add(&r->connect_failed, 1);
		pthread_barrier_wait(&r->start);
		free(rd);
		return NULL;
	}
	pthread_barrier_wait(&r->start);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int a;

		if (write_all(rd->fd, r->line, r->line_len) != 0 || (a = read_answer(rd)) < 0) {
			atomic_fetch_add(&r->broken, 1);
			break;
		}
		if (a == 1)
			ok++;
		else
			err++;
	}
	atomic_fetch_add(&r->ok, ok);
	atomic_fetch_add(&r->err, err);
	close(rd->fd);
	free(rd);
	return NULL;
}

static void *storm_thread(void *arg)
{
	struct run *r = arg;
	struct reader *rd = calloc(1, sizeof(*rd));
	int a;
	double t;

	if (rd == NULL || (rd->fd = connect_to(r->path)) < 0) {
		atomic_fetch_add(&r->connect_failed, 1);
		pthread_barrier_wait(&r->start);
		free(rd);
		return NULL;
	}
	pthread_barrier_wait(&r->start);
	if (write_all(rd->fd, r->line, r->line_len) != 0) {
		atomic_fetch_add(&r->broken, 1);
		goto out;
	}
	atomic_fetch_add(&r->sent, 1);
	a = read_answer(rd);
	t = now_wall();
	if (a < 0) {
		atomic_fetch_add(&r->broken, 1);
		goto out;
	}
	atomic_fetch_add(a == 1 ? &r->ok : &r->err, 1);
	pthread_mutex_lock(&r->mu);
	if (r->first == 0 || t < r->first)
		r->first = t;
	if (t > r->last)
		r->last = t;
	pthread_mutex_unlock(&r->mu);
out:
	close(rd->fd);
	free(rd);
	return NULL;
}

/* Start n threads of fn, all released together at r->start. */
static int spawn(struct run *r, pthread_t *tids, unsigned long n, void *(*fn)(void *))
{
	pthread_attr_t at;
	unsigned long i;

	if (pthread_attr_init(&at) != 0 || pthread_attr_setstacksize(&at, THREAD_STACK) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (pthread_create(&tids[i], &at, fn, r) != 0) {
			fprintf(stderr, "mk-daemon-load: cannot start thread %lu of %lu\n", i + 1, n);
			exit(71); /* the barrier would wait forever for the missing ones */
		}
	}
	pthread_attr_destroy(&at);
	return 0;
}

static int run_clients(const char *path, const char *request, unsigned long n, unsigned long seconds,
		       bool storm)
{
	struct run r;
	pthread_t *tids = calloc(n, sizeof(*tids));
	double t0, t1;
	unsigned long i, total;
	int rc = 71;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.line_len = strlen(request) + 1;
	r.line = malloc(r.line_len + 1);
	if (tids == NULL || r.line == NULL)
		goto out;
	snprintf(r.line, r.line_len + 1, "%s\n", request);
	pthread_mutex_init(&r.mu, NULL);
	if (pthread_barrier_init(&r.start, NULL, (unsigned)n + 1) != 0 ||
	    spawn(&r, tids, n, storm ? storm_thread : load_thread) != 0)
		goto out;
	pthread_barrier_wait(&r.start);
	t0 = now_mono();
	if (storm) {
		/* Tell the driver once every request is on its way (or failed). */
		while (atomic_load(&r.sent) + atomic_load(&r.broken) + atomic_load(&r.connect_failed) < n)
			usleep(1000);
		printf("sent\n");
		fflush(stdout);
	} else {
		struct timespec ts = { .tv_sec = (time_t)seconds, .tv_nsec = 0 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		atomic_store(&r.stop, true);
	}
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	t1 = now_mono();
	total = atomic_load(&r.ok) + atomic_load(&r.err);
	if (storm)
		printf("{\"mode\":\"storm\",\"clients\":%lu,\"ok\":%lu,\"err\":%lu,\"no_answer\":%lu,"
		       "\"connect_failed\":%lu,\"first\":%.6f,\"last\":%.6f,\"seconds\":%.6f}\n",
		       n, atomic_load(&r.ok), atomic_load(&r.err), atomic_load(&r.broken),
		       atomic_load(&r.connect_failed), r.first, r.last, t1 - t0);
	else
		printf("{\"mode\":\"load\",\"clients\":%lu,\"requests\":%lu,\"ok\":%lu,\"err\":%lu,"
		       "\"broken\":%lu,"
		       "\"connect_failed\":%lu,\"seconds\":%.6f,\"per_second\":%.0f}\n",
		       n, total, atomic_load(&r.ok), atomic_load(&r.err), atomic_load(&r.broken),
		       atomic_load(&r.connect_failed), t1 - t0, (double)total / (t1 - t0));
	rc = atomic_load(&r.err) + atomic_load(&r.broken) + atomic_load(&r.connect_failed) == 0 &&
			     atomic_load(&r.ok) > 0
		     ? 0
		     : 1;
	pthread_barrier_destroy(&r.start);
	pthread_mutex_destroy(&r.mu);
out:
	free(tids);
	free(r.line);
	return rc;
}

/* --- the floor server --- */

static volatile sig_atomic_t stop_serving;

static void on_stop(int sig)
{
	(void)sig;
	stop_serving = 1;
}

struct conn {
	int fd;
	size_t len; /* bytes of an unfinished request line in buf */
	char buf[1024];
};

/* Answer every complete line in c (the floor does no parsing: one line in,
 * one token out). -1 to close the connection. */
static int serve_conn(struct conn *c, const char *answer, size_t alen)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		char *p, *nl;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		p = c->buf;
		while ((nl = memchr(p, '\n', c->len - (size_t)(p - c->buf))) != NULL) {
			/* A client that does not read its answers gets closed
			 * instead of blocking everyone (the socket is non-blocking). */
			if (write(c->fd, answer, alen) != (ssize_t)alen)
				return -1;
			p = nl + 1;
		}
		c->len -= (size_t)(p - c->buf);
		memmove(c->buf, p, c->len);
		if (c->len == sizeof(c->buf))
			return -1;
	}
}

static int serve(const char *path, unsigned long token_bytes)
{
	struct sockaddr_un sa;
	struct epoll_event ev, evs[64];
	struct sigaction act;
	char *answer = malloc(token_bytes + 4);
	int lfd = -1, ep = -1, rc = 71;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (answer == NULL || fill_addr(&sa, path) != 0)
		goto out;
	memcpy(answer, "OK ", 3);
	memset(answer + 3, 'a', token_bytes);
	answer[token_bytes + 3] = '\n';
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0) {
		perror("mk-daemon-load: listen");
		goto out;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* NULL = the listener */
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
		goto out;
	printf("ready\n");
	fflush(stdout);
	while (!stop_serving) {
		int n = epoll_wait(ep, evs, 64, 200), i;

		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (c == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
						close(fd);
						free(c);
					}
				}
				continue;
			}
			if (serve_conn(c, answer, token_bytes + 4) != 0) {
				close(c->fd); /* leaves the epoll set with its last descriptor */
				free(c);
			}
		}
	}
	rc = 0;
out:
	if (lfd >= 0) {
		close(lfd);
		unlink(path);
	}
	if (ep >= 0)
		close(ep);
	free(answer);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: mk-daemon-load load SOCKET REQUEST CLIENTS SECONDS\n"
			"       mk-daemon-load storm SOCKET REQUEST N\n"
			"       mk-daemon-load serve SOCKET TOKEN_BYTES\n");
	return 64;
}

int main(int argc, char **argv)
{
	unsigned long n, secs;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && strcmp(argv[1], "load") == 0) {
		if (parse_uint(argv[4], 4096, &n) != 0 || parse_uint(argv[5], 3600, &secs) != 0)
			return usage();
		return run_clients(argv[2], argv[3], n, secs, false);
	}
	if (argc == 5 && strcmp(argv[1], "storm") == 0) {
		if (parse_uint(argv[4], 20000, &n) != 0)
			return usage();
		return run_clients(argv[2], argv[3], n, 0, true);
	}
	if (argc == 4 && strcmp(argv[1], "serve") == 0) {
		if (parse_uint(argv[3], 60000, &n) != 0)
			return usage();
		return serve(argv[2], n);
	}
	return usage();
}
