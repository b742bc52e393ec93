/* gateway/lconn.c over real loopback TCP: plaintext, implicit TLS and
 * STARTTLS, against Mbed TLS (mail/conn.c), Python's ssl, openssl s_client
 * and curl, each verifying the generated CA and the host name. */
#include "cmocka_all.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "gateway/lconn.h"
#include "gateway/tls.h"
#include "gwtls_util.h"
#include "mail/conn.h"

static char *g_dir;
static struct gw_tls *g_tls;
static char g_ca[1024];

struct srv;
typedef int (*handler)(struct srv *s, struct gw_lconn *lc);

struct srv {
	int lfd;
	unsigned port;
	bool tls, implicit;
	unsigned tmo;
	handler fn;
	size_t wait_bytes; /* wait until this many bytes are readable first */
	pthread_t th;
	int new_rc, rc;
	struct mk_error err;
	char line[256];
	char peer[64];
	long long took_ms;
	volatile int done;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct gw_lconn *lc = NULL;
	int fd = accept_one(s->lfd);
	long long t0;

	mk_error_init(&s->err);
	if (fd < 0) {
		s->new_rc = -2;
		goto out;
	}
	if (s->wait_bytes > 0) {
		int avail = 0;
		for (int i = 0; i < 1000 && (size_t)avail < s->wait_bytes; i++) {
			ioctl(fd, FIONREAD, &avail);
			if ((size_t)avail < s->wait_bytes)
				poll(NULL, 0, 5);
		}
	}
	t0 = mono_ms();
	s->new_rc = gw_lconn_new(fd, s->tls ? g_tls : NULL, s->implicit, s->tmo, &lc, &s->err);
	if (s->new_rc == 0) {
		snprintf(s->peer, sizeof(s->peer), "%s", gw_lconn_peer(lc));
		s->rc = s->fn(s, lc);
	}
	s->took_ms = mono_ms() - t0;
	gw_lconn_free(&lc);
out:
	s->done = 1;
	return NULL;
}

static void srv_start_on(struct srv *s, bool v6, bool tls, bool implicit, unsigned tmo, handler fn)
{
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->implicit = implicit;
	s->tmo = tmo;
	s->fn = fn;
	s->lfd = v6 ? listen_lo6(&s->port) : listen_lo(&s->port);
	assert_true(s->lfd >= 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_start(struct srv *s, bool tls, bool implicit, unsigned tmo, handler fn)
{
	srv_start_on(s, false, tls, implicit, tmo, fn);
}

static void srv_join(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
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

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void recv_line(int fd, char *out, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		char ch;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 10000), 1);
		if (recv(fd, &ch, 1, 0) != 1)
			break;
		out[n++] = ch;
		if (ch == '\n')
			break;
	}
	out[n] = '\0';
}

/* ---- plaintext ---- */

static int h_plain(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line, lit;
	struct mk_error err;
	int rc = -1;

	mk_buf_init(&line, 1024);
	mk_buf_init(&lit, 1024);
	mk_error_init(&err);
	if (gw_lconn_is_tls(lc) || gw_lconn_can_starttls(lc) || strcmp(gw_lconn_peer(lc), "127.0.0.1") != 0)
		goto out;
	if (gw_lconn_read_line(lc, &line, 100, &err) != 0 || strcmp(mk_buf_str(&line), "A1 LOGIN x y") != 0)
		goto out;
	if (gw_lconn_read_line(lc, &line, 100, &err) != 0 || strcmp(mk_buf_str(&line), "bare") != 0)
		goto out;
	if (gw_lconn_read_exact(lc, 5, &lit, &err) != 0 || strcmp(mk_buf_str(&lit), "12345") != 0)
		goto out;
	if (gw_lconn_read_line(lc, &line, 100, &err) != 0 || strcmp(mk_buf_str(&line), "") != 0)
		goto out;
	if (gw_lconn_printf(lc, &err, "* OK %s\r\n", "done") != 0)
		goto out;
	/* The client closes: EOF is MK_ERR_CONN. */
	if (gw_lconn_read_line(lc, &line, 100, &s->err) != -1 || s->err.cls != MK_ERR_CONN)
		goto out;
	rc = 0;
out:
	mk_buf_free(&line);
	mk_buf_free(&lit);
	return rc;
}

static void test_plain(void **state)
{
	struct srv s;
	char buf[256];
	int fd;

	(void)state;
	srv_start(&s, false, false, 5000, h_plain);
	fd = connect_lo(s.port);
	assert_true(fd >= 0);
	send_str(fd, "A1 LOGIN x y\r\nbare\n12345\r\n");
	recv_line(fd, buf, sizeof(buf));
	assert_string_equal(buf, "* OK done\r\n");
	close(fd);
	srv_join(&s);
	assert_int_equal(s.new_rc, 0);
	assert_int_equal(s.rc, 0);
}

/* ---- the line cap ---- */

static int h_cap(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc = -1;

	mk_buf_init(&line, 1 << 20);
	mk_error_init(&s->err);
	if (gw_lconn_read_line(lc, &line, 100, &s->err) != 0 || line.len != 100)
		goto out;
	s->rc = gw_lconn_read_line(lc, &line, 100, &s->err);
	if (s->rc != -1 || s->err.cls != MK_ERR_PROTO)
		goto out;
	rc = 0;
out:
	mk_buf_free(&line);
	return rc;
}

static void test_line_cap(void **state)
{
	struct srv s;
	char big[300];
	int fd;

	(void)state;
	srv_start(&s, false, false, 5000, h_cap);
	fd = connect_lo(s.port);
	memset(big, 'a', 100);
	memcpy(big + 100, "\r\n", 3);
	send_str(fd, big);
	memset(big, 'b', 101);
	memcpy(big + 101, "\r\n", 3);
	send_str(fd, big);
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, 0);
	assert_non_null(strstr(s.err.msg, "longer than 100 bytes"));
}

static int h_cap_noeol(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc;

	mk_buf_init(&line, 1 << 20);
	rc = gw_lconn_read_line(lc, &line, 8192, &s->err);
	mk_buf_free(&line);
	return rc == -1 && s->err.cls == MK_ERR_PROTO ? 0 : -1;
}

/* A megabyte without a line end is refused at the cap, not read whole. */
static void test_line_cap_no_eol(void **state)
{
	struct srv s;
	char *mb = malloc(1 << 20);
	size_t sent = 0;
	int fd;

	(void)state;
	srv_start(&s, false, false, 5000, h_cap_noeol);
	fd = connect_lo(s.port);
	memset(mb, 'x', 1 << 20);
	while (!s.done && sent < (1u << 20)) {
		ssize_t k = send(fd, mb + sent, (1u << 20) - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0)
			sent += (size_t)k;
		else
			poll(NULL, 0, 5);
	}
	srv_join(&s);
	close(fd);
	free(mb);
	assert_int_equal(s.rc, 0);
}

/* ---- timeouts ---- */

static int h_read_one(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc;

	mk_buf_init(&line, 8192);
	rc = gw_lconn_read_line(lc, &line, 8192, &s->err);
	snprintf(s->line, sizeof(s->line), "%s", mk_buf_str(&line));
	mk_buf_free(&line);
	return rc;
}

static void test_timeout_silent(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, false, false, 300, h_read_one);
	fd = connect_lo(s.port);
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.err.cls, MK_ERR_CONN);
	assert_non_null(strstr(s.err.msg, "in time"));
	assert_true(s.took_ms >= 280);
	assert_true(s.took_ms < 3000);
}

/* A byte every 50 ms never completes a line: the line's deadline holds. */
static void test_timeout_trickle(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, false, false, 400, h_read_one);
	fd = connect_lo(s.port);
	for (int i = 0; i < 200 && !s.done; i++) {
		send(fd, "a", 1, MSG_NOSIGNAL);
		poll(NULL, 0, 50);
	}
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.err.cls, MK_ERR_CONN);
	assert_true(s.took_ms >= 380);
	assert_true(s.took_ms < 3000);
}

/* ---- the absolute deadline (gw_lconn_set_deadline) ---- */

static unsigned g_deadline_ms;

/* STARTTLS at once; the client never says hello. */
static int h_deadline_starttls(struct srv *s, struct gw_lconn *lc)
{
	gw_lconn_set_deadline(lc, g_deadline_ms);
	return gw_lconn_starttls(lc, &s->err);
}

/* Reads lines until one fails; then one reply, which must still go. */
static int h_deadline(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	struct mk_error werr;
	int n = 0;

	mk_buf_init(&line, 8192);
	mk_error_init(&werr);
	gw_lconn_set_deadline(lc, g_deadline_ms);
	while (gw_lconn_read_line(lc, &line, 8192, &s->err) == 0)
		n++;
	s->line[0] = (char)(n > 9 ? 9 : n); /* lines read, capped */
	mk_buf_free(&line);
	return gw_lconn_printf(lc, &werr, "* BYE %s\r\n", s->err.msg);
}

/* Complete lines every 50 ms reset no deadline: the absolute one ends the
 * dialogue, though each read is well within the 5 s per-read timeout. */
static void test_deadline_lines(void **state)
{
	struct srv s;
	char buf[256];
	int fd;

	(void)state;
	g_deadline_ms = 400;
	srv_start(&s, false, false, 5000, h_deadline);
	fd = connect_lo(s.port);
	for (int i = 0; i < 200 && !s.done; i++) {
		send(fd, "NOOP\r\n", 6, MSG_NOSIGNAL);
		poll(NULL, 0, 50);
	}
	srv_join(&s);
	recv_line(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.err.cls, MK_ERR_CONN);
	assert_string_equal(s.err.msg, "login timeout");
	assert_string_equal(buf, "* BYE login timeout\r\n");
	assert_true(s.line[0] >= 3);
	assert_true(s.took_ms >= 380);
	assert_true(s.took_ms < 3000);
}

/* Reads one line, waits past the deadline, then tries the next, which
 * arrived with the first and sits in the line buffer. */
static int h_deadline_buffered(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc = -1;

	mk_buf_init(&line, 8192);
	gw_lconn_set_deadline(lc, 200);
	if (gw_lconn_read_line(lc, &line, 8192, &s->err) != 0 || strcmp(mk_buf_str(&line), "A") != 0)
		goto out;
	poll(NULL, 0, 400);
	rc = gw_lconn_read_line(lc, &line, 8192, &s->err);
	snprintf(s->line, sizeof(s->line), "%s", mk_buf_str(&line));
out:
	mk_buf_free(&line);
	return rc;
}

/* Lines already buffered do not outlive the deadline either. */
static void test_deadline_buffered(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, false, false, 5000, h_deadline_buffered);
	fd = connect_lo(s.port);
	send_str(fd, "A\r\nB\r\nC\r\n");
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_string_equal(s.err.msg, "login timeout");
	assert_string_equal(s.line, "");
}

/* The shorter wins: a per-read timeout before the deadline is the usual
 * "in time" error, not "login timeout". */
static void test_deadline_shorter_timeout(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	g_deadline_ms = 5000;
	srv_start(&s, false, false, 300, h_deadline);
	fd = connect_lo(s.port);
	srv_join(&s);
	close(fd);
	assert_int_equal(s.err.cls, MK_ERR_CONN);
	assert_non_null(strstr(s.err.msg, "in time"));
	assert_true(s.took_ms >= 280);
	assert_true(s.took_ms < 3000);
}

static int h_deadline_cleared(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	int rc;

	mk_buf_init(&line, 8192);
	gw_lconn_set_deadline(lc, 100);
	gw_lconn_set_deadline(lc, 0);
	rc = gw_lconn_read_line(lc, &line, 8192, &s->err);
	snprintf(s->line, sizeof(s->line), "%s", mk_buf_str(&line));
	mk_buf_free(&line);
	return rc;
}

/* 0 removes the deadline: a line after 400 ms is read. */
static void test_deadline_cleared(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, false, false, 5000, h_deadline_cleared);
	fd = connect_lo(s.port);
	poll(NULL, 0, 400);
	send_str(fd, "late\r\n");
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, 0);
	assert_string_equal(s.line, "late");
}

/* The TLS handshake ends at the deadline too. */
static void test_deadline_handshake(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	g_deadline_ms = 300;
	srv_start(&s, true, false, 5000, h_deadline_starttls);
	fd = connect_lo(s.port);
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_string_equal(s.err.msg, "login timeout");
	assert_true(s.took_ms >= 280);
	assert_true(s.took_ms < 3000);
}

static int h_never(struct srv *s, struct gw_lconn *lc)
{
	(void)s;
	(void)lc;
	return 0;
}

static void test_handshake_timeout(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, true, true, 300, h_never);
	fd = connect_lo(s.port);
	srv_join(&s);
	close(fd);
	assert_int_equal(s.new_rc, -1);
	assert_int_equal(s.err.cls, MK_ERR_CONN);
	assert_non_null(strstr(s.err.msg, "timed out"));
	assert_true(s.took_ms < 3000);
}

static void test_handshake_garbage(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, true, true, 3000, h_never);
	fd = connect_lo(s.port);
	send_str(fd, "A1 CAPABILITY\r\n");
	srv_join(&s);
	close(fd);
	assert_int_equal(s.new_rc, -1);
	assert_int_equal(s.err.cls, MK_ERR_PROTO);
	assert_non_null(strstr(s.err.msg, "TLS handshake"));
}

/* ---- TLS ---- */

/* Answers "hi LINE" (or an HTTP response to curl) and waits for EOF. */
static int h_hi(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	struct mk_error err;
	int rc = -1;

	mk_buf_init(&line, 8192);
	mk_error_init(&err);
	if (!gw_lconn_is_tls(lc) || gw_lconn_can_starttls(lc))
		goto out;
	if (gw_lconn_read_line(lc, &line, 8192, &s->err) != 0)
		goto out;
	snprintf(s->line, sizeof(s->line), "%s", mk_buf_str(&line));
	if (strncmp(s->line, "GET ", 4) == 0) {
		do {
			if (gw_lconn_read_line(lc, &line, 8192, &s->err) != 0)
				goto out;
		} while (line.len > 0);
		if (gw_lconn_printf(
			    lc, &err,
			    "HTTP/1.0 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhi curl\n") !=
		    0)
			goto out;
	} else if (gw_lconn_printf(lc, &err, "hi %s\r\n", s->line) != 0) {
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&line);
	return rc;
}

static void mk_client(const char *host, unsigned port, bool implicit, struct mk_conn **c)
{
	struct mk_conn_params p = {
		.host = host, .port = port, .implicit_tls = implicit, .cafile = g_ca, .io_timeout_ms = 10000
	};
	struct mk_error err;

	mk_error_init(&err);
	if (mk_conn_open(&p, c, &err) != 0)
		fail_msg("mk_conn_open %s: %s", host, err.msg);
}

static void test_implicit_mbedtls(void **state)
{
	const char *hosts[] = { "127.0.0.1", "localhost" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct srv s;
		struct mk_conn *c = NULL;
		struct mk_buf line;
		struct mk_error err;

		srv_start(&s, true, true, 5000, h_hi);
		mk_client(hosts[i], s.port, true, &c);
		mk_buf_init(&line, 1024);
		mk_error_init(&err);
		assert_int_equal(mk_conn_write(c, "hello\r\n", 7, false, 0, &err), 0);
		assert_int_equal(mk_conn_read_line(c, &line, &err), 0);
		assert_string_equal(mk_buf_str(&line), "hi hello");
		mk_conn_free(&c);
		mk_buf_free(&line);
		srv_join(&s);
		assert_int_equal(s.new_rc, 0);
		assert_int_equal(s.rc, 0);
	}
}

static int h_starttls(struct srv *s, struct gw_lconn *lc)
{
	struct mk_buf line;
	struct mk_error err;
	int rc = -1;

	mk_buf_init(&line, 1024);
	mk_error_init(&err);
	if (gw_lconn_is_tls(lc) || !gw_lconn_can_starttls(lc))
		goto out;
	if (gw_lconn_read_line(lc, &line, 100, &err) != 0 || strcmp(mk_buf_str(&line), "A1 STARTTLS") != 0)
		goto out;
	if (gw_lconn_printf(lc, &err, "A1 OK begin TLS\r\n") != 0)
		goto out;
	if (gw_lconn_starttls(lc, &s->err) != 0)
		goto out;
	if (!gw_lconn_is_tls(lc) || gw_lconn_can_starttls(lc))
		goto out;
	rc = h_hi(s, lc);
out:
	mk_buf_free(&line);
	return rc;
}

static void test_starttls(void **state)
{
	struct srv s;
	struct mk_conn *c = NULL;
	struct mk_buf line;
	struct mk_error err;

	(void)state;
	srv_start(&s, true, false, 5000, h_starttls);
	mk_client("127.0.0.1", s.port, false, &c);
	mk_buf_init(&line, 1024);
	mk_error_init(&err);
	assert_int_equal(mk_conn_write(c, "A1 STARTTLS\r\n", 13, false, 0, &err), 0);
	assert_int_equal(mk_conn_read_line(c, &line, &err), 0);
	assert_string_equal(mk_buf_str(&line), "A1 OK begin TLS");
	if (mk_conn_starttls(c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(mk_conn_is_tls(c));
	assert_int_equal(mk_conn_write(c, "secret\r\n", 8, false, 0, &err), 0);
	assert_int_equal(mk_conn_read_line(c, &line, &err), 0);
	assert_string_equal(mk_buf_str(&line), "hi secret");
	mk_conn_free(&c);
	mk_buf_free(&line);
	srv_join(&s);
	assert_int_equal(s.rc, 0);
}

/* A command sent behind STARTTLS would be read as if it came over TLS. */
static void test_starttls_injection(void **state)
{
	const char *msg = "A1 STARTTLS\r\nA2 LOGIN evil pass\r\n";
	struct srv s;
	char buf[256];
	int fd;

	(void)state;
	srv_start(&s, true, false, 5000, h_starttls);
	s.wait_bytes = strlen(msg); /* both lines in the first read */
	fd = connect_lo(s.port);
	send_str(fd, msg);
	recv_line(fd, buf, sizeof(buf));
	assert_string_equal(buf, "A1 OK begin TLS\r\n");
	srv_join(&s);
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.err.cls, MK_ERR_PROTO);
	assert_non_null(strstr(s.err.msg, "injection"));
}

/* Python's ssl with its default verification and host name checks. */
static void test_python_ssl(void **state)
{
	const char *ok[] = { "127.0.0.1", "localhost" };
	char *out;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct srv s;
		srv_start(&s, true, true, 5000, h_hi);
		out = run_out(
			"python3 -c 'import ssl,socket,sys\n"
			"ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
			"s = ctx.wrap_socket(socket.create_connection((\"127.0.0.1\", int(sys.argv[2]))), "
			"server_hostname=sys.argv[3])\n"
			"s.sendall(b\"py\\r\\n\")\n"
			"print(s.recv(100).decode().strip(), s.version(), s.cipher()[0])' '%s' %u '%s' 2>&1",
			g_ca, s.port, ok[i]);
		srv_join(&s);
		assert_non_null(out);
		if (strncmp(out, "hi py TLSv1.2 ECDHE-ECDSA-", 26) != 0)
			fail_msg("python ssl to %s: %s", ok[i], out);
		free(out);
		assert_int_equal(s.rc, 0);
	}
	/* Over ::1, checked against the IP:::1 subjectAltName. */
	{
		struct srv s;
		srv_start_on(&s, true, true, true, 5000, h_hi);
		out = run_out("python3 -c 'import ssl,socket,sys\n"
			      "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
			      "s = ctx.wrap_socket(socket.create_connection((\"::1\", int(sys.argv[2]))), "
			      "server_hostname=\"::1\")\n"
			      "s.sendall(b\"v6\\r\\n\")\n"
			      "print(s.recv(100).decode().strip())' '%s' %u 2>&1",
			      g_ca, s.port);
		srv_join(&s);
		assert_non_null(out);
		if (strcmp(out, "hi v6\n") != 0)
			fail_msg("python ssl to ::1: %s", out);
		free(out);
		assert_int_equal(s.rc, 0);
		assert_string_equal(s.peer, "::1");
	}
	/* A name the certificate does not list fails the check. */
	{
		struct srv s;
		srv_start(&s, true, true, 5000, h_hi);
		out = run_out(
			"python3 -c 'import ssl,socket,sys\n"
			"ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
			"try:\n"
			"  ctx.wrap_socket(socket.create_connection((\"127.0.0.1\", int(sys.argv[2]))), "
			"server_hostname=\"mail.example\")\n"
			"  print(\"accepted\")\n"
			"except ssl.SSLCertVerificationError as e:\n"
			"  print(\"refused\", e.verify_message)' '%s' %u 2>&1",
			g_ca, s.port);
		srv_join(&s);
		assert_non_null(out);
		if (strncmp(out, "refused Hostname mismatch", 25) != 0)
			fail_msg("python ssl to mail.example: %s", out);
		free(out);
		assert_int_not_equal(s.new_rc, 0);
	}
}

static void test_openssl_and_curl(void **state)
{
	struct srv s;
	char *out;

	(void)state;
	srv_start(&s, true, true, 5000, h_hi);
	assert_int_equal(run("printf 'ossl\\r\\n' | openssl s_client -connect 127.0.0.1:%u -CAfile '%s' "
			     "-verify_return_error -verify_ip 127.0.0.1 -quiet >/dev/null 2>&1",
			     s.port, g_ca),
			 0);
	srv_join(&s);
	assert_int_equal(s.rc, 0);
	assert_string_equal(s.line, "ossl");

	srv_start(&s, true, true, 5000, h_hi);
	assert_int_equal(run("printf 'ossl\\r\\n' | openssl s_client -connect 127.0.0.1:%u -CAfile '%s' "
			     "-verify_return_error -verify_hostname localhost -quiet >/dev/null 2>&1",
			     s.port, g_ca),
			 0);
	srv_join(&s);
	assert_int_equal(s.rc, 0);

	srv_start(&s, true, true, 5000, h_hi);
	out = run_out("curl -sS --max-time 10 --cacert '%s' https://localhost:%u/ 2>&1", g_ca, s.port);
	srv_join(&s);
	assert_non_null(out);
	assert_string_equal(out, "hi curl\n");
	free(out);

	srv_start(&s, true, true, 5000, h_hi);
	out = run_out("curl -sS --max-time 10 --cacert '%s' https://127.0.0.1:%u/ 2>&1", g_ca, s.port);
	srv_join(&s);
	assert_non_null(out);
	assert_string_equal(out, "hi curl\n");
	free(out);

	/* Without the CA curl refuses: the certificate is not self-evident. */
	srv_start(&s, true, true, 5000, h_hi);
	assert_int_not_equal(run("curl -sS --max-time 10 https://localhost:%u/ >/dev/null 2>&1", s.port), 0);
	srv_join(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_line_cap_no_eol),
		cmocka_unit_test(test_timeout_silent),
		cmocka_unit_test(test_timeout_trickle),
		cmocka_unit_test(test_deadline_lines),
		cmocka_unit_test(test_deadline_buffered),
		cmocka_unit_test(test_deadline_shorter_timeout),
		cmocka_unit_test(test_deadline_cleared),
		cmocka_unit_test(test_deadline_handshake),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_handshake_garbage),
		cmocka_unit_test(test_implicit_mbedtls),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_python_ssl),
		cmocka_unit_test(test_openssl_and_curl),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
