#define _GNU_SOURCE
/* gateway/relay.c between a real client, a gw_lconn and an upstream
 * mk_conn, over loopback TCP, plaintext and TLS on either side. The
 * "upstream server" is a gw_lconn too (a real TLS server end). */
#include "cmocka_all.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "gateway/lconn.h"
#include "gateway/relay.h"
#include "gateway/tls.h"
#include "gwtls_util.h"
#include "mail/conn.h"

#define TEN_MB (10u * 1024 * 1024)

static char *g_dir;
static struct gw_tls *g_tls;
static char g_ca[1024];

struct rig;
typedef int (*up_fn)(struct rig *r, struct gw_lconn *lc);

struct rig {
	bool front_tls, up_tls;
	unsigned idle_ms;
	int cancel_fd;
	/* before the relay: read one line from the client (the rest of what
	 * it sent stays buffered) and one from the upstream */
	bool preread;
	size_t wait_bytes;
	up_fn up;
	int flfd, ulfd;
	unsigned fport, uport;
	pthread_t relay_th, up_th;
	/* results */
	int relay_rc, up_rc;
	struct gw_relay_stats st;
	struct mk_error err, up_err;
	long long relay_cpu_ms;
	volatile int relay_done;
};

static long long cpu_ms(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000LL +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;
}

static void *relay_main(void *arg)
{
	struct rig *r = arg;
	struct gw_lconn *lc = NULL;
	struct mk_conn *mc = NULL;
	struct mk_conn_params p = { .host = "127.0.0.1",
				    .port = r->uport,
				    .implicit_tls = r->up_tls,
				    .cafile = g_ca,
				    .io_timeout_ms = 30000 };
	struct mk_buf line;
	struct rusage ru;
	int fd;

	mk_buf_init(&line, 1024);
	mk_error_init(&r->err);
	r->relay_rc = -2;
	fd = accept_one(r->flfd);
	if (fd < 0)
		goto out;
	if (r->wait_bytes > 0) {
		int avail = 0;
		for (int i = 0; i < 1000 && (size_t)avail < r->wait_bytes; i++) {
			ioctl(fd, FIONREAD, &avail);
			if ((size_t)avail < r->wait_bytes)
				poll(NULL, 0, 5);
		}
	}
	if (gw_lconn_new(fd, r->front_tls ? g_tls : NULL, r->front_tls, 30000, &lc, &r->err) != 0)
		goto out;
	if (r->preread && gw_lconn_read_line(lc, &line, 1000, &r->err) != 0)
		goto out;
	if (mk_conn_open(&p, &mc, &r->err) != 0)
		goto out;
	if (r->preread && mk_conn_read_line(mc, &line, &r->err) != 0)
		goto out;
	getrusage(RUSAGE_THREAD, &ru);
	r->relay_cpu_ms = -cpu_ms(&ru);
	r->relay_rc = gw_relay(lc, mc, r->idle_ms, r->cancel_fd, &r->st, &r->err);
	getrusage(RUSAGE_THREAD, &ru);
	r->relay_cpu_ms += cpu_ms(&ru);
out:
	mk_buf_free(&line);
	gw_lconn_free(&lc);
	mk_conn_free(&mc);
	r->relay_done = 1;
	return NULL;
}

static void *up_main(void *arg)
{
	struct rig *r = arg;
	struct gw_lconn *lc = NULL;
	int fd = accept_one(r->ulfd);

	mk_error_init(&r->up_err);
	r->up_rc = -2;
	if (fd < 0)
		return NULL;
	if (gw_lconn_new(fd, r->up_tls ? g_tls : NULL, r->up_tls, 30000, &lc, &r->up_err) != 0)
		return NULL;
	r->up_rc = r->up(r, lc);
	gw_lconn_free(&lc);
	return NULL;
}

static void rig_start(struct rig *r)
{
	r->flfd = listen_lo(&r->fport);
	r->ulfd = listen_lo(&r->uport);
	assert_true(r->flfd >= 0 && r->ulfd >= 0);
	assert_int_equal(pthread_create(&r->up_th, NULL, up_main, r), 0);
	assert_int_equal(pthread_create(&r->relay_th, NULL, relay_main, r), 0);
}

static void rig_join(struct rig *r)
{
	pthread_join(r->relay_th, NULL);
	pthread_join(r->up_th, NULL);
	close(r->flfd);
	close(r->ulfd);
}

/* The client's end: TLS through mail/conn.c (verifying the CA) or a socket. */
static void client_open(struct rig *r, struct end *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (r->front_tls) {
		struct mk_conn_params p = { .host = "127.0.0.1",
					    .port = r->fport,
					    .implicit_tls = true,
					    .cafile = g_ca,
					    .io_timeout_ms = 30000 };
		struct mk_error err;
		mk_error_init(&err);
		if (mk_conn_open(&p, &e->mc, &err) != 0)
			fail_msg("client: %s", err.msg);
	} else {
		e->fd = connect_lo(r->fport);
		assert_true(e->fd >= 0);
	}
}

static void client_close(struct end *e)
{
	mk_conn_free(&e->mc);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

static void client_write(struct end *e, const char *s)
{
	struct mk_error err;

	mk_error_init(&err);
	if (e->mc != NULL)
		assert_int_equal(mk_conn_write(e->mc, s, strlen(s), false, 0, &err), 0);
	else
		assert_int_equal(send(e->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Everything until EOF (at most cap bytes, 10 s). */
static size_t client_read_all(struct end *e, char *out, size_t cap)
{
	size_t got = 0;
	long long deadline = mono_ms() + 10000;

	while (got + 1 < cap && mono_ms() < deadline) {
		size_t n = 0;
		if (e->mc != NULL) {
			struct mk_error err;
			mk_error_init(&err);
			if (mk_conn_read_some(e->mc, out + got, cap - 1 - got, &n, &err) != 0)
				break;
		} else {
			struct pollfd p = { .fd = e->fd, .events = POLLIN };
			ssize_t k;
			if (poll(&p, 1, 10000) != 1)
				break;
			k = recv(e->fd, out + got, cap - 1 - got, 0);
			if (k < 0)
				break;
			n = (size_t)k;
		}
		if (n == 0)
			break;
		got += n;
	}
	out[got] = '\0';
	return got;
}

static int group_setup(void **state)
{
	struct mk_error err;
	char sub[1024];

	(void)state;
	g_dir = tmpdir_new();
	assert_non_null(g_dir);
	snprintf(sub, sizeof(sub), "%s/gw", g_dir);
	mk_error_init(&err);
	if (gw_tls_ensure(sub, NULL, &g_tls, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(g_ca, sizeof(g_ca), "%s", gw_tls_ca_file(g_tls));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	gw_tls_free(&g_tls);
	tmpdir_free(&g_dir);
	return 0;
}

/* Wait for EOF from the relay (it closed the upstream). 0 on EOF. */
static int up_wait_eof(struct gw_lconn *lc, struct mk_error *err)
{
	char b[256];
	size_t n;

	do {
		if (gw_lconn_read_some(lc, b, sizeof(b), &n, err) != 0)
			return -1;
	} while (n > 0);
	return 0;
}

/* ---- 10 MB each way at once, byte-exact ---- */

static int up_pump(struct rig *r, struct gw_lconn *lc)
{
	struct end e = { .lc = lc, .fd = -1 };

	if (pump(&e, TEN_MB, 2, TEN_MB, 1) != 0)
		return -1;
	return up_wait_eof(lc, &r->up_err);
}

static void run_pump(bool front_tls, bool up_tls)
{
	struct rig r = { .front_tls = front_tls, .up_tls = up_tls, .cancel_fd = -1, .up = up_pump };
	struct end e;
	long long t0;

	rig_start(&r);
	client_open(&r, &e);
	t0 = mono_ms();
	assert_int_equal(pump(&e, TEN_MB, 1, TEN_MB, 2), 0);
	t0 = mono_ms() - t0;
	client_close(&e);
	rig_join(&r);
	if (r.relay_rc != 0)
		fail_msg("relay: %s", r.err.msg);
	assert_int_equal(r.up_rc, 0);
	assert_int_equal(r.st.ended_by, 0);
	assert_int_equal(r.st.to_upstream, TEN_MB);
	assert_int_equal(r.st.to_client, TEN_MB);
	printf("# relay %s client, %s upstream: 10 MB each way at once in %lld ms (%.1f MB/s total)\n",
	       front_tls ? "TLS" : "plain", up_tls ? "TLS" : "plain", t0,
	       t0 > 0 ? 20000.0 / (double)t0 : 0.0);
}

static void test_pump_plain(void **state)
{
	(void)state;
	run_pump(false, false);
}

static void test_pump_tls(void **state)
{
	(void)state;
	run_pump(true, true);
}

static void test_pump_mixed(void **state)
{
	(void)state;
	run_pump(false, true);
	run_pump(true, false);
}

/* ---- bytes buffered before the relay starts go first ---- */

static int up_buffered(struct rig *r, struct gw_lconn *lc)
{
	struct mk_buf line, body;
	int rc = -1;

	mk_buf_init(&line, 1024);
	mk_buf_init(&body, 65536);
	/* Two lines at once: the relay's side reads the first. */
	if (gw_lconn_printf(lc, &r->up_err, "* OK greeting\r\n* EXTRA\r\n") != 0)
		goto out;
	if (gw_lconn_read_line(lc, &line, 1000, &r->up_err) != 0 || strcmp(mk_buf_str(&line), "NEXT") != 0)
		goto out;
	if (gw_lconn_read_exact(lc, 9000, &body, &r->up_err) != 0)
		goto out;
	for (size_t i = 0; i < 9000; i++)
		if ((unsigned char)body.data[i] != stream_byte(7, i))
			goto out;
	if (gw_lconn_printf(lc, &r->up_err, "GOT 9000\r\n") != 0)
		goto out;
	rc = up_wait_eof(lc, &r->up_err);
out:
	mk_buf_free(&line);
	mk_buf_free(&body);
	return rc;
}

static void run_buffered(bool tls)
{
	struct rig r = {
		.front_tls = tls, .up_tls = tls, .cancel_fd = -1, .up = up_buffered, .preread = true
	};
	char first[9100], got[256];
	size_t n = 0;
	struct end e;

	/* One write (one TLS record): LOGIN, NEXT and a 9000-byte body. The
	 * relay side reads LOGIN; NEXT and the body stay in its line buffer
	 * and, over TLS, inside Mbed TLS, where poll cannot see them. */
	n += (size_t)snprintf(first, sizeof(first), "LOGIN a b\r\nNEXT\r\n");
	for (size_t i = 0; i < 9000; i++)
		first[n + i] = (char)stream_byte(7, i);
	n += 9000;
	first[n] = '\0';
	r.wait_bytes = tls ? 0 : n;
	rig_start(&r);
	client_open(&r, &e);
	if (e.mc != NULL) {
		struct mk_error err;
		mk_error_init(&err);
		assert_int_equal(mk_conn_write(e.mc, first, n, false, 0, &err), 0);
	} else {
		assert_int_equal(send(e.fd, first, n, MSG_NOSIGNAL), (ssize_t)n);
	}
	/* No more client bytes: only the buffered ones can make GOT come. */
	{
		long long t0 = mono_ms();
		size_t k = 0;
		while (strstr(got, "GOT 9000\r\n") == NULL && mono_ms() - t0 < 10000) {
			size_t m = 0;
			if (e.mc != NULL) {
				struct mk_error err;
				mk_error_init(&err);
				assert_int_equal(
					mk_conn_read_some(e.mc, got + k, sizeof(got) - 1 - k, &m, &err), 0);
			} else {
				ssize_t x = recv(e.fd, got + k, sizeof(got) - 1 - k, 0);
				assert_true(x > 0);
				m = (size_t)x;
			}
			k += m;
			got[k] = '\0';
		}
		assert_string_equal(got, "* EXTRA\r\nGOT 9000\r\n");
	}
	client_close(&e);
	rig_join(&r);
	assert_int_equal(r.relay_rc, 0);
	assert_int_equal(r.up_rc, 0);
	assert_int_equal(r.st.ended_by, 0);
}

static void test_buffered_first(void **state)
{
	(void)state;
	run_buffered(false);
	run_buffered(true);
}

/* ---- the upstream ends the session: its last words, then the client closed ---- */

static int up_bye(struct rig *r, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc;

	mk_buf_init(&line, 1024);
	rc = gw_lconn_read_line(lc, &line, 1000, &r->up_err);
	if (rc == 0 && strcmp(mk_buf_str(&line), "a1 NOOP") == 0)
		rc = gw_lconn_printf(lc, &r->up_err, "* BYE token expired\r\n");
	else
		rc = -1;
	mk_buf_free(&line);
	return rc; /* and close */
}

static void run_bye(bool tls)
{
	struct rig r = { .front_tls = tls, .up_tls = tls, .cancel_fd = -1, .up = up_bye };
	char got[256];
	struct end e;

	rig_start(&r);
	client_open(&r, &e);
	client_write(&e, "a1 NOOP\r\n");
	client_read_all(&e, got, sizeof(got)); /* returns at EOF */
	assert_string_equal(got, "* BYE token expired\r\n");
	rig_join(&r);
	client_close(&e);
	assert_int_equal(r.relay_rc, 0);
	assert_int_equal(r.st.ended_by, 1);
	assert_int_equal(r.up_rc, 0);
}

static void test_upstream_close(void **state)
{
	(void)state;
	run_bye(false);
	run_bye(true);
}

/* ---- the client leaves: the upstream is closed ---- */

static int up_until_eof(struct rig *r, struct gw_lconn *lc)
{
	return up_wait_eof(lc, &r->up_err);
}

static void test_client_close(void **state)
{
	struct rig r = { .front_tls = true, .up_tls = true, .cancel_fd = -1, .up = up_until_eof };
	struct end e;

	(void)state;
	rig_start(&r);
	client_open(&r, &e);
	client_write(&e, "x");
	client_close(&e);
	rig_join(&r);
	assert_int_equal(r.relay_rc, 0);
	assert_int_equal(r.st.ended_by, 0);
	assert_int_equal(r.st.to_upstream, 1);
	assert_int_equal(r.up_rc, 0);
}

/* ---- cancel_fd: the relay ends; and an idle session used no CPU ---- */

static void test_cancel(void **state)
{
	struct rig r = { .front_tls = true, .up_tls = true, .up = up_until_eof };
	char got[64];
	struct end e;
	uint64_t one = 1;

	(void)state;
	r.cancel_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(r.cancel_fd >= 0);
	rig_start(&r);
	client_open(&r, &e);
	poll(NULL, 0, 1000); /* an idle session, no timer */
	assert_false(r.relay_done);
	assert_int_equal(write(r.cancel_fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(client_read_all(&e, got, sizeof(got)), 0); /* EOF */
	rig_join(&r);
	client_close(&e);
	close(r.cancel_fd);
	assert_int_equal(r.relay_rc, 0);
	assert_int_equal(r.st.ended_by, 3);
	assert_int_equal(r.up_rc, 0);
	/* Rusage ticks are coarse: a busy loop or a periodic timer would
	 * show hundreds of ms in the idle second. */
	printf("# relay CPU over a 1 s idle session: %lld ms\n", r.relay_cpu_ms);
	assert_true(r.relay_cpu_ms < 20);
}

/* ---- the idle limit ---- */

static int up_echo(struct rig *r, struct gw_lconn *lc)
{
	char b[256];
	size_t n;

	for (;;) {
		if (gw_lconn_read_some(lc, b, sizeof(b), &n, &r->up_err) != 0)
			return -1;
		if (n == 0)
			return 0;
		if (gw_lconn_write(lc, b, n, &r->up_err) != 0)
			return -1;
	}
}

static void test_idle_timeout(void **state)
{
	struct rig r = { .front_tls = false, .up_tls = true, .cancel_fd = -1, .up = up_echo, .idle_ms = 300 };
	char got[64];
	struct end e;
	long long t0;

	(void)state;
	rig_start(&r);
	client_open(&r, &e);
	/* Traffic every 100 ms keeps it open past the limit... */
	for (int i = 0; i < 8; i++) {
		char b;
		client_write(&e, "p");
		assert_int_equal(recv(e.fd, &b, 1, 0), 1);
		assert_int_equal(b, 'p');
		poll(NULL, 0, 100);
	}
	assert_false(r.relay_done);
	/* ...silence ends it. */
	t0 = mono_ms();
	assert_int_equal(client_read_all(&e, got, sizeof(got)), 0);
	t0 = mono_ms() - t0;
	rig_join(&r);
	client_close(&e);
	assert_int_equal(r.relay_rc, 0);
	assert_int_equal(r.st.ended_by, 2);
	assert_int_equal(r.st.to_upstream, 8);
	assert_int_equal(r.st.to_client, 8);
	assert_true(t0 >= 150 && t0 < 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pump_plain),     cmocka_unit_test(test_pump_tls),
		cmocka_unit_test(test_pump_mixed),     cmocka_unit_test(test_buffered_first),
		cmocka_unit_test(test_upstream_close), cmocka_unit_test(test_client_close),
		cmocka_unit_test(test_cancel),	       cmocka_unit_test(test_idle_timeout),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
