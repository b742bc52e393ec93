#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "common/log.h"
#include "gateway/lconn.h"
#include "gateway/tls.h"

static char tmpdir[] = "/tmp/mk-gwpsmtp-XXXXXX";
static char cert_file[256], key_file[256];

int fe_setup(void **state)
{
	char cmd[1024];
	pid_t pid;
	int st;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cert_file, sizeof(cert_file), "%s/cert.pem", tmpdir);
	snprintf(key_file, sizeof(key_file), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
		 "/CN=localhost "
		 "-addext subjectAltName=DNS:localhost -keyout %s -out %s",
		 key_file, cert_file);
	/* A certificate made for the test run: the gateway's own generator
	 * (gw_tls_ensure) is another helper's and tested there. */
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "cannot make a test certificate with openssl\n");
		return -1;
	}
	return 0;
}

int fe_teardown(void **state)
{
	(void)state;
	unlink(cert_file);
	unlink(key_file);
	rmdir(tmpdir);
	return 0;
}

/* The fake login callback. */
struct fake {
	unsigned calls;
	char user[256];
	char pass[256];
	enum gw_proto proto;
};

static int fake_login(void *ctx, enum gw_proto proto, const char *user, const char *pass,
		      struct gw_upstream **up_r, struct mk_error *err)
{
	struct fake *f = ctx;

	f->calls++;
	f->proto = proto;
	snprintf(f->user, sizeof(f->user), "%s", user);
	snprintf(f->pass, sizeof(f->pass), "%s", pass);
	if (strcmp(user, "temp") == 0)
		return mk_error_set(err, MK_ERR_TEMP, "%s", FE_TEMP_TEXT);
	if (strcmp(user, "alice") != 0 || strcmp(pass, "right-pass") != 0)
		return mk_error_set(err, MK_ERR_AUTH, "wrong app password");
	*up_r = calloc(1, sizeof(**up_r));
	if (*up_r == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return 0;
}

struct server {
	struct gw_front_params p;
	fe_front_fn front;
	struct gw_upstream *up;
	struct mk_error err;
	int rc;
};

static void *server_main(void *arg)
{
	struct server *s = arg;

	mk_error_init(&s->err);
	s->rc = s->front(&s->p, &s->up, &s->err);
	/* What the gateway does after the front: close the client side. */
	gw_lconn_free(&s->p.lc);
	return NULL;
}

/* The scripted client: a socket, optionally TLS on it. */
struct client {
	int fd;
	bool tls;
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char buf[65536];
	size_t len;
};

static void cli_write(struct client *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k;
		if (c->tls) {
			int r = mbedtls_ssl_write(&c->ssl, (const unsigned char *)p, n);
			if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ)
				continue;
			k = r;
		} else {
			k = send(c->fd, p, n, MSG_NOSIGNAL);
		}
		if (k <= 0)
			fail_msg("client write failed (%zd)", k);
		p += k;
		n -= (size_t)k;
	}
}

/* One read: > 0 bytes, 0 EOF, -1 error (a timeout fails the test). */
static ssize_t cli_read(struct client *c, char *p, size_t cap)
{
	if (c->tls) {
		int r;
		do
			r = mbedtls_ssl_read(&c->ssl, (unsigned char *)p, cap);
		while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == 0 || r == MBEDTLS_ERR_NET_CONN_RESET)
			return 0;
		if (r == MBEDTLS_ERR_SSL_TIMEOUT || r == MBEDTLS_ERR_NET_RECV_FAILED)
			fail_msg("client: no answer from the front in time (TLS %d)", r);
		return r < 0 ? -1 : r;
	} else {
		ssize_t k = recv(c->fd, p, cap, 0);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fail_msg("client: no answer from the front in time");
		if (k < 0 && errno == ECONNRESET)
			return 0;
		return k;
	}
}

/* The next line without CRLF into line; false at EOF. */
static bool cli_line(struct client *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			if (n == 0 || c->buf[n - 1] != '\r')
				fail_msg("server line without CRLF: %.*s", (int)n, c->buf);
			if (n - 1 >= size)
				fail_msg("server line too long for the test");
			memcpy(line, c->buf, n - 1);
			line[n - 1] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return true;
		}
		if (c->len == sizeof(c->buf))
			fail_msg("server sent an endless line");
		ssize_t k = cli_read(c, c->buf + c->len, sizeof(c->buf) - c->len);
		if (k <= 0) {
			if (c->len > 0)
				fail_msg("server closed after a partial line: %.*s", (int)c->len, c->buf);
			return false;
		}
		c->len += (size_t)k;
	}
}

static void cli_tls(struct client *c)
{
	int r;

	mbedtls_ssl_init(&c->ssl);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
	assert_int_equal(mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy, NULL, 0), 0);
	assert_int_equal(mbedtls_x509_crt_parse_file(&c->ca, cert_file), 0);
	assert_int_equal(mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_read_timeout(&c->conf, 10000);
	assert_int_equal(mbedtls_ssl_setup(&c->ssl, &c->conf), 0);
	assert_int_equal(mbedtls_ssl_set_hostname(&c->ssl, "localhost"), 0);
	c->net.fd = c->fd;
	mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
	if (c->len != 0)
		fail_msg("server sent bytes before the TLS handshake");
	while ((r = mbedtls_ssl_handshake(&c->ssl)) != 0)
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			fail_msg("client TLS handshake failed: -0x%04x", (unsigned)-r);
	c->tls = true;
}

static void cli_free(struct client *c)
{
	if (c->tls) {
		mbedtls_ssl_free(&c->ssl);
		mbedtls_ssl_config_free(&c->conf);
		mbedtls_x509_crt_free(&c->ca);
		mbedtls_ctr_drbg_free(&c->drbg);
		mbedtls_entropy_free(&c->entropy);
	}
	if (c->fd >= 0)
		close(c->fd);
}

void fe_run(const struct fe_case *tc, fe_front_fn front, enum gw_proto proto, char **log_r)
{
	struct server s = { 0 };
	struct client *c = calloc(1, sizeof(*c));
	struct gw_tls *tls = NULL;
	struct fake fk = { 0 };
	struct mk_error err;
	struct timeval tv = { .tv_sec = 10 };
	pthread_t th;
	int sv[2];
	char line[8192];
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf = NULL;

	assert_non_null(c);
	if (log_r != NULL) {
		logf = open_memstream(&logbuf, &loglen);
		assert_non_null(logf);
		mk_log_set_stream(logf);
		mk_log_set_level(MK_LOG_TRACE);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	c->fd = sv[1];
	if (tc->tls && gw_tls_load(cert_file, key_file, &tls, &err) != 0)
		fail_msg("gw_tls_load: %s", err.msg);
	if (gw_lconn_new(sv[0], tls, false, 10000, &s.p.lc, &err) != 0)
		fail_msg("gw_lconn_new: %s", err.msg);
	s.p.hostname = "gw.test";
	s.p.require_tls = tc->require_tls;
	s.p.line_max = tc->line_max;
	s.p.max_failures = tc->max_failures;
	s.p.max_commands = tc->max_commands;
	s.p.ops.login = fake_login;
	s.p.ops.ctx = &fk;
	s.front = front;
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	for (size_t i = 0; i < sizeof(tc->steps) / sizeof(tc->steps[0]) && tc->steps[i] != NULL; i++) {
		const char *st = tc->steps[i];
		if (strncmp(st, "C:", 2) == 0) {
			cli_write(c, st + 2, strlen(st + 2));
			cli_write(c, "\r\n", 2);
		} else if (strncmp(st, "R:", 2) == 0) {
			cli_write(c, st + 2, strlen(st + 2));
		} else if (strncmp(st, "L:", 2) == 0) {
			size_t n = (size_t)strtoul(st + 2, NULL, 10);
			char *l = malloc(n + 2);
			assert_non_null(l);
			memset(l, 'x', n);
			memcpy(l + n, "\r\n", 2);
			cli_write(c, l, n + 2);
			free(l);
		} else if (strncmp(st, "S:", 2) == 0 || strncmp(st, "P:", 2) == 0) {
			if (!cli_line(c, line, sizeof(line)))
				fail_msg("%s step %zu: EOF, expected \"%s\"", tc->name, i, st + 2);
			if (st[0] == 'S' ? strcmp(line, st + 2) != 0
					 : strncmp(line, st + 2, strlen(st + 2)) != 0)
				fail_msg("%s step %zu: got \"%s\", expected \"%s\"", tc->name, i, line,
					 st + 2);
		} else if (strcmp(st, "TLS") == 0) {
			cli_tls(c);
		} else if (strcmp(st, "EOF") == 0) {
			if (cli_line(c, line, sizeof(line)))
				fail_msg("%s step %zu: got \"%s\", expected EOF", tc->name, i, line);
		} else if (strcmp(st, "CLOSE") == 0) {
			close(c->fd);
			c->fd = -1;
		} else {
			fail_msg("bad step %s", st);
		}
	}
	pthread_join(th, NULL);
	if (s.rc != tc->rc)
		fail_msg("%s: front returned %d, expected %d (%s)", tc->name, s.rc, tc->rc, s.err.msg);
	assert_int_equal(s.up != NULL, tc->rc == 0);
	if (fk.calls != tc->logins)
		fail_msg("%s: %u login calls, expected %u", tc->name, fk.calls, tc->logins);
	if (tc->logins > 0)
		assert_int_equal(fk.proto, proto);
	if (tc->user != NULL)
		assert_string_equal(fk.user, tc->user);
	if (tc->pass != NULL)
		assert_string_equal(fk.pass, tc->pass);
	free(s.up);
	cli_free(c);
	free(c);
	gw_tls_free(&tls);
	if (logf != NULL) {
		mk_log_set_level(MK_LOG_WARN);
		mk_log_set_stream(stderr);
		fclose(logf);
		*log_r = logbuf;
	}
}
