/* The daemon client against a real AF_UNIX listener run by a thread of this
 * test: each case scripts what the "daemon" answers, since a real daemon
 * never sends garbage or stalls on purpose. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/client/client.h"
#include "cmocka_all.h"
#include "common/secret.h"

enum mode { ANSWER, STALL, CLOSE };

struct server {
	char path[108];
	int lfd;
	enum mode mode;
	const char *answer; /* sent in pieces, to exercise the reader */
	char got[1200];	    /* the request line received */
	pthread_t th;
};

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mk-client-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/sock", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/file", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	size_t n = 0;

	if (fd < 0)
		return NULL;
	/* read the request line */
	while (n < sizeof(s->got) - 1) {
		ssize_t r = read(fd, s->got + n, 1);
		if (r <= 0)
			break;
		n++;
		if (s->got[n - 1] == '\n')
			break;
	}
	s->got[n] = '\0';
	if (s->mode == ANSWER) {
		size_t len = strlen(s->answer), half = len / 2;
		/* two writes: the client must join them */
		if (send(fd, s->answer, half, MSG_NOSIGNAL) < 0 ||
		    send(fd, s->answer + half, len - half, MSG_NOSIGNAL) < 0)
			fprintf(stderr, "server write: %s\n", strerror(errno));
	}
	if (s->mode == STALL) {
		char c;
		/* until the client gives up and closes */
		while (read(fd, &c, 1) > 0)
			;
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *s, enum mode mode, const char *answer)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s/sock", dir);
	s->lfd = listen_at(s->path);
	s->mode = mode;
	s->answer = answer;
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
	unlink(s->path);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_ok(void **state)
{
	struct server s;
	struct mk_error err;
	char *tok = NULL;

	(void)state;
	mk_error_init(&err);
	server_start(&s, ANSWER, "OK ya29.a-long-token-value\r\n");
	assert_int_equal(mk_client_request(s.path, "token alice fresh", 5000, &tok, &err), 0);
	server_stop(&s);
	assert_string_equal(s.got, "MK1 token alice fresh\n");
	assert_non_null(tok);
	assert_string_equal(tok, "ya29.a-long-token-value");
	assert_int_equal(err.cls, MK_ERR_NONE);
	mk_secret_free_str(tok);
}

/* A long payload (a Microsoft token is ~2.5 KB) comes in several reads. */
static void test_ok_long(void **state)
{
	static char answer[3 + 20000 + 2];
	struct server s;
	struct mk_error err;
	char *tok = NULL;

	(void)state;
	memcpy(answer, "OK ", 3);
	memset(answer + 3, 'T', 20000);
	memcpy(answer + 3 + 20000, "\n", 2);
	server_start(&s, ANSWER, answer);
	assert_int_equal(mk_client_request(s.path, "sasl bob xoauth2", 5000, &tok, &err), 0);
	server_stop(&s);
	assert_string_equal(s.got, "MK1 sasl bob xoauth2\n");
	assert_int_equal(strlen(tok), 20000);
	mk_secret_free_str(tok);
}

static void test_err(void **state)
{
	static const struct {
		const char *answer;
		int rc;
		enum mk_error_class cls;
		const char *msg;
	} t[] = {
		{ "ERR 77 alice needs a new login: run `mailkey login alice`\n", -1, MK_ERR_CONSENT,
		  "alice needs a new login: run `mailkey login alice`" },
		{ "ERR 75 the token endpoint is down: try again later\n", -1, MK_ERR_TEMP,
		  "the token endpoint is down: try again later" },
		{ "ERR 78 no account alice in the config\n", -1, MK_ERR_CONFIG,
		  "no account alice in the config" },
		{ "ERR 64\n", -1, MK_ERR_USAGE, "without saying why" },
		/* garbage: the exchange broke, try later */
		{ "HTTP/1.1 400 Bad Request\r\n\r\n", -1, MK_ERR_TEMP, "does not understand" },
		{ "OK tok\x01en\n", -1, MK_ERR_TEMP, "does not understand" },
		/* closed before the end of the line */
		{ "OK partial", -1, MK_ERR_TEMP, "closed the connection" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct server s;
		struct mk_error err;
		char *tok = NULL;
		int rc;

		mk_error_init(&err);
		server_start(&s, ANSWER, t[i].answer);
		rc = mk_client_request(s.path, "token alice", 5000, &tok, &err);
		server_stop(&s);
		if (rc != t[i].rc || err.cls != t[i].cls)
			fail_msg("case %zu: rc %d class %d (%s)", i, rc, err.cls, err.msg);
		assert_null(tok);
		if (strstr(err.msg, t[i].msg) == NULL)
			fail_msg("case %zu: message %s", i, err.msg);
	}
}

static void test_closed_silently(void **state)
{
	struct server s;
	struct mk_error err;
	char *tok = NULL;

	(void)state;
	server_start(&s, CLOSE, NULL);
	assert_int_equal(mk_client_request(s.path, "ping", 5000, &tok, &err), -1);
	server_stop(&s);
	assert_int_equal(err.cls, MK_ERR_TEMP);
	assert_null(tok);
}

/* No daemon: the caller refreshes itself (1, nothing in err). */
static void test_no_daemon(void **state)
{
	char p[128];
	struct mk_error err;
	char *tok = NULL;
	int fd;

	(void)state;
	mk_error_init(&err);
	/* no socket file */
	snprintf(p, sizeof(p), "%s/sock", dir);
	unlink(p);
	assert_int_equal(mk_client_request(p, "token alice", 1000, &tok, &err), 1);
	assert_int_equal(err.cls, MK_ERR_NONE);
	/* no directory */
	snprintf(p, sizeof(p), "%s/nodir/sock", dir);
	assert_int_equal(mk_client_request(p, "token alice", 1000, &tok, &err), 1);
	/* a stale socket file: bound, then its listener gone (ECONNREFUSED) */
	snprintf(p, sizeof(p), "%s/sock", dir);
	fd = listen_at(p);
	close(fd);
	assert_int_equal(mk_client_request(p, "token alice", 1000, &tok, &err), 1);
	assert_int_equal(err.cls, MK_ERR_NONE);
	unlink(p);
	/* a regular file where the socket should be */
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mk_client_request(p, "token alice", 1000, &tok, &err), 1);
	assert_null(tok);
	assert_int_equal(err.cls, MK_ERR_NONE);
}

/* A daemon that accepts and never answers costs the timeout, no more. */
static void test_stall(void **state)
{
	struct server s;
	struct mk_error err;
	char *tok = NULL;
	long long t0;

	(void)state;
	server_start(&s, STALL, NULL);
	t0 = now_ms();
	assert_int_equal(mk_client_request(s.path, "token alice", 300, &tok, &err), -1);
	t0 = now_ms() - t0;
	server_stop(&s);
	assert_int_equal(err.cls, MK_ERR_TEMP);
	assert_non_null(strstr(err.msg, "did not answer within 300 ms"));
	assert_null(tok);
	if (t0 < 290 || t0 > 3000)
		fail_msg("took %lld ms for a 300 ms timeout", t0);
}

/* A daemon that never accepts (stopped with a full backlog): connect(2)
 * itself must not block past the timeout. */
static void test_stall_backlog(void **state)
{
	char p[128];
	int lfd, fds[16];
	size_t nf = 0;
	struct mk_error err;
	char *tok = NULL;
	long long t0;
	struct sockaddr_un sa;

	(void)state;
	snprintf(p, sizeof(p), "%s/sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	unlink(p);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	/* fill the backlog with non-blocking connects until one would block */
	for (nf = 0; nf < 16; nf++) {
		fds[nf] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (connect(fds[nf], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			assert_int_equal(errno, EAGAIN);
			close(fds[nf]);
			break;
		}
	}
	assert_true(nf < 16);
	t0 = now_ms();
	assert_int_equal(mk_client_request(p, "token alice", 300, &tok, &err), -1);
	t0 = now_ms() - t0;
	assert_int_equal(err.cls, MK_ERR_TEMP);
	if (t0 < 250 || t0 > 3000)
		fail_msg("took %lld ms for a 300 ms timeout", t0);
	for (size_t i = 0; i < nf; i++)
		close(fds[i]);
	close(lfd);
	unlink(p);
}

static void test_bad_request(void **state)
{
	struct mk_error err;
	char *tok = NULL;

	(void)state;
	assert_int_equal(mk_client_request("/nonexistent", "token alice\nMK1 token bob", 1000, &tok, &err),
			 -1);
	assert_int_equal(err.cls, MK_ERR_INTERNAL);
	assert_int_equal(mk_client_request("/nonexistent", "", 1000, &tok, &err), -1);
}

static void test_default_socket(void **state)
{
	char *p, want[64];

	(void)state;
	setenv("MAILKEY_SOCKET", "/x/y.sock", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	p = mk_client_default_socket();
	assert_string_equal(p, "/x/y.sock");
	free(p);
	setenv("MAILKEY_SOCKET", "", 1);
	p = mk_client_default_socket();
	assert_string_equal(p, "/run/user/4242/mailkey/socket");
	free(p);
	unsetenv("MAILKEY_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	p = mk_client_default_socket();
	snprintf(want, sizeof(want), "/run/user/%lu/mailkey/socket", (unsigned long)getuid());
	assert_string_equal(p, want);
	free(p);

	/* NULL path = the default, here MAILKEY_SOCKET */
	{
		struct server s;
		struct mk_error err;
		char *tok = NULL;

		server_start(&s, ANSWER, "OK mailkey 0 protocol 1\n");
		setenv("MAILKEY_SOCKET", s.path, 1);
		assert_int_equal(mk_client_request(NULL, "ping", 5000, &tok, &err), 0);
		server_stop(&s);
		unsetenv("MAILKEY_SOCKET");
		assert_string_equal(s.got, "MK1 ping\n");
		assert_string_equal(tok, "mailkey 0 protocol 1");
		mk_secret_free_str(tok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_ok_long),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_closed_silently),
		cmocka_unit_test(test_no_daemon),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_stall_backlog),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_default_socket),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
