/* mail/conn.c shares one random generator per process (gwtls made it so,
 * for the gateway's memory). A forked child must not repeat its parent's
 * stream: the random of each ClientHello is compared, as a server sees it. */
#include "cmocka_all.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "gwtls_util.h"
#include "mail/conn.h"

#define HELLOS 3

struct rec {
	int lfd;
	unsigned char random[HELLOS][28];
	int got;
};

/* Read each ClientHello up to its random (record header 5, handshake
 * header 4, version 2, gmt_unix_time 4, then 28 random bytes), then hang
 * up: the handshake is not needed. */
static void *recorder(void *arg)
{
	struct rec *r = arg;

	for (int i = 0; i < HELLOS; i++) {
		unsigned char b[43];
		size_t n = 0;
		int fd = accept_one(r->lfd);
		if (fd < 0)
			return NULL;
		while (n < sizeof(b)) {
			ssize_t k = recv(fd, b + n, sizeof(b) - n, 0);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		close(fd);
		if (n == sizeof(b) && b[0] == 0x16 && b[5] == 0x01) {
			memcpy(r->random[i], b + 15, 28);
			r->got++;
		}
	}
	return NULL;
}

static void hello(unsigned port)
{
	struct mk_conn_params p = { .host = "127.0.0.1",
				    .port = port,
				    .implicit_tls = true,
				    .cafile = "/etc/ssl/certs/ca-certificates.crt",
				    .io_timeout_ms = 5000 };
	struct mk_conn *c = NULL;
	struct mk_error err;

	mk_error_init(&err);
	(void)mk_conn_open(&p, &c, &err); /* fails when the recorder hangs up */
	mk_conn_free(&c);
}

static void test_fork_reseeds(void **state)
{
	struct rec r = { 0 };
	unsigned port = 0;
	pthread_t th;
	pid_t pid;
	int st;

	(void)state;
	r.lfd = listen_lo(&port);
	assert_true(r.lfd >= 0);
	assert_int_equal(pthread_create(&th, NULL, recorder, &r), 0);
	hello(port); /* seeds the process's generator */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hello(port);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hello(port);
	pthread_join(th, NULL);
	close(r.lfd);
	assert_int_equal(r.got, HELLOS);
	assert_memory_not_equal(r.random[0], r.random[1], 28);
	/* child's first use after the fork vs the parent's: equal without the reseed */
	assert_memory_not_equal(r.random[1], r.random[2], 28);
	assert_memory_not_equal(r.random[0], r.random[2], 28);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_reseeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
