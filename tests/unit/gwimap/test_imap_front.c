/* gateway/imap_front.c end to end over a socketpair, with the real
 * gw_lconn and a fake login callback (the decision is not under test here:
 * "alice"/"right" logs in, "temp" is a missing grant, "internal" an
 * internal error, anything else a wrong password). Each case is a
 * transcript: what the client sends and the exact lines it must get back. */
#include "cmocka_all.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "gateway/front.h"
#include "gateway/lconn.h"

#define MAXSTEPS 24
#define GREETING                                                                                             \
	"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN AUTH=LOGIN] test.host mailkey gateway "   \
	"ready"
#define GREETING_TLS_FIRST                                                                                   \
	"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID LOGINDISABLED] test.host mailkey gateway ready"

/* The gateway's own gw_upstream_free closes the connection too; this
 * one is for a fake upstream without one. Weak, so a real one wins. */
__attribute__((weak)) void gw_upstream_free(struct gw_upstream **up)
{
	if (up == NULL || *up == NULL)
		return;
	free((*up)->imap_caps);
	free(*up);
	*up = NULL;
}

struct fake {
	const char *caps; /* the upstream's capabilities, or NULL */
	unsigned calls;
	char user[128];
	char pass[128];
};

static int fake_login(void *ctx, enum gw_proto proto, const char *user, const char *pass,
		      struct gw_upstream **up_r, struct mk_error *err)
{
	struct fake *f = ctx;

	assert_int_equal(proto, GW_IMAP);
	f->calls++;
	snprintf(f->user, sizeof(f->user), "%s", user);
	snprintf(f->pass, sizeof(f->pass), "%s", pass);
	if (strcmp(pass, "temp") == 0)
		return mk_error_set(err, MK_ERR_CONSENT, "no grant for %s:\r\nrun `mailkey login %s`", user,
				    user);
	if (strcmp(pass, "internal") == 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (strcmp(user, "alice") != 0 || strcmp(pass, "right") != 0)
		return mk_error_set(err, MK_ERR_AUTH, "wrong app password");
	*up_r = calloc(1, sizeof(**up_r));
	assert_non_null(*up_r);
	if (f->caps != NULL)
		(*up_r)->imap_caps = strdup(f->caps);
	return 0;
}

/* C: send the text and CRLF; R: send raw bytes; S: expect this line;
 * P: expect a line starting so; E: expect the server to close. */
struct step {
	char op;
	const char *s;
	size_t len; /* R: 0 = strlen */
};

struct tcase {
	const char *name;
	bool require_tls;
	size_t line_max, literal_max;
	unsigned max_failures, max_commands;
	const char *caps;
	struct step steps[MAXSTEPS];
	int rc;		  /* gw_front_imap's */
	unsigned calls;	  /* of the login callback */
	const char *user; /* what it was given last (NULL: not checked) */
	const char *pass;
};

static const struct tcase cases[] = {
	{ .name = "login quoted",
	  .caps = "IMAP4rev1 IDLE",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a1 LOGIN \"alice\" \"right\"", 0 },
		     { 'S', "a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "login atoms, no upstream caps",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a1 login alice right", 0 },
		     { 'S', "a1 OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1 },
	{ .name = "login sync literal and continuation",
	  .caps = "IMAP4rev1",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN {5}", 0 },
		     { 'S', "+ Ready for literal data", 0 },
		     { 'R', "alice", 0 },
		     { 'C', " {5}", 0 },
		     { 'S', "+ Ready for literal data", 0 },
		     { 'R', "right", 0 },
		     { 'C', "", 0 },
		     { 'S', "a OK [CAPABILITY IMAP4rev1] Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "login LITERAL+",
	  .steps = { { 'S', GREETING, 0 },
		     { 'R', "a LOGIN alice {5+}\r\nright\r\n", 0 },
		     { 'S', "a OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "authenticate plain with SASL-IR",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE PLAIN AGFsaWNlAHJpZ2h0", 0 },
		     { 'S', "a OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "authenticate plain continued",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a authenticate plain", 0 },
		     { 'S', "+ ", 0 },
		     { 'C', "AGFsaWNlAHJpZ2h0", 0 },
		     { 'S', "a OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "authenticate plain authzid",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE PLAIN Ym9iAGFsaWNlAHJpZ2h0", 0 },
		     { 'P', "a BAD Invalid PLAIN response", 0 },
		     { 'C', "b AUTHENTICATE PLAIN =", 0 },
		     { 'P', "b BAD Invalid PLAIN response", 0 },
		     { 'C', "c AUTHENTICATE PLAIN", 0 },
		     { 'S', "+ ", 0 },
		     { 'C', "not base64!", 0 },
		     { 'P', "c BAD Invalid PLAIN response", 0 },
		     { 'C', "d LOGOUT", 0 },
		     { 'S', "* BYE Logging out", 0 },
		     { 'S', "d OK Logout completed", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "authenticate cancelled",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE PLAIN", 0 },
		     { 'S', "+ ", 0 },
		     { 'C', "*", 0 },
		     { 'S', "a BAD Authentication cancelled", 0 },
		     { 'C', "b AUTHENTICATE LOGIN", 0 },
		     { 'S', "+ VXNlcm5hbWU6", 0 },
		     { 'C', "YWxpY2U=", 0 },
		     { 'S', "+ UGFzc3dvcmQ6", 0 },
		     { 'C', "*", 0 },
		     { 'S', "b BAD Authentication cancelled", 0 },
		     { 'C', "c AUTHENTICATE CRAM-MD5", 0 },
		     { 'P', "c NO Unsupported authentication mechanism", 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "authenticate login",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE LOGIN", 0 },
		     { 'S', "+ VXNlcm5hbWU6", 0 },
		     { 'C', "YWxpY2U=", 0 },
		     { 'S', "+ UGFzc3dvcmQ6", 0 },
		     { 'C', "cmlnaHQ=", 0 },
		     { 'S', "a OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "authenticate login with initial user",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE LOGIN YWxpY2U=", 0 },
		     { 'S', "+ UGFzc3dvcmQ6", 0 },
		     { 'C', "cmlnaHQ=", 0 },
		     { 'S', "a OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1,
	  .user = "alice",
	  .pass = "right" },
	{ .name = "authenticate login, bad base64",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a AUTHENTICATE LOGIN", 0 },
		     { 'S', "+ VXNlcm5hbWU6", 0 },
		     { 'C', "YWxp!2U=", 0 },
		     { 'S', "a BAD Invalid LOGIN response: expected one line of base64", 0 },
		     { 'C', "b AUTHENTICATE LOGIN YWxpY2U=", 0 },
		     { 'S', "+ UGFzc3dvcmQ6", 0 },
		     { 'C', "cmlna", 0 },
		     { 'S', "b BAD Invalid LOGIN response: expected one line of base64", 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "wrong password, then closed after max_failures",
	  .max_failures = 2,
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN alice wrong", 0 },
		     { 'S', "a NO [AUTHENTICATIONFAILED] Invalid credentials", 0 },
		     { 'C', "b AUTHENTICATE PLAIN AGFsaWNlAHdyb25n", 0 },
		     { 'S', "b NO [AUTHENTICATIONFAILED] Invalid credentials", 0 },
		     { 'S', "* BYE Too many failed logins", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 2,
	  .user = "alice",
	  .pass = "wrong" },
	{ .name = "wrong password, then the right one",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN alice wrong", 0 },
		     { 'S', "a NO [AUTHENTICATIONFAILED] Invalid credentials", 0 },
		     { 'C', "b LOGIN alice right", 0 },
		     { 'S', "b OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 2 },
	{ .name = "temporary failure names mailkey login, on one line",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN alice temp", 0 },
		     { 'S', "a NO [UNAVAILABLE] no grant for alice:  run `mailkey login alice`", 0 },
		     { 'C', "b LOGIN alice internal", 0 },
		     { 'S', "b NO [UNAVAILABLE] out of memory", 0 },
		     { 'C', "c LOGIN alice right", 0 },
		     { 'S', "c OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 3 },
	{ .name = "require_tls without TLS on the listener",
	  .require_tls = true,
	  .steps = { { 'S', GREETING_TLS_FIRST, 0 },
		     { 'C', "a CAPABILITY", 0 },
		     { 'S', "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID LOGINDISABLED", 0 },
		     { 'S', "a OK Capability completed", 0 },
		     { 'C', "b LOGIN alice right", 0 },
		     { 'S', "b NO [PRIVACYREQUIRED] Use STARTTLS first", 0 },
		     { 'C', "c LOGIN {5}", 0 }, /* no "+": the password must not come */
		     { 'S', "c NO [PRIVACYREQUIRED] Use STARTTLS first", 0 },
		     { 'C', "d AUTHENTICATE PLAIN", 0 },
		     { 'S', "d NO [PRIVACYREQUIRED] Use STARTTLS first", 0 },
		     { 'C', "e AUTHENTICATE PLAIN AGFsaWNlAHJpZ2h0", 0 },
		     { 'S', "e NO [PRIVACYREQUIRED] Use STARTTLS first", 0 },
		     { 'C', "f STARTTLS", 0 },
		     { 'S', "f BAD STARTTLS is not available here", 0 },
		     { 'C', "g LOGOUT", 0 },
		     { 'S', "* BYE Logging out", 0 },
		     { 'S', "g OK Logout completed", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "capability, noop, id, starttls without TLS, logout",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a CAPABILITY", 0 },
		     { 'S', "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN AUTH=LOGIN", 0 },
		     { 'S', "a OK Capability completed", 0 },
		     { 'C', "b NOOP", 0 },
		     { 'S', "b OK NOOP completed", 0 },
		     { 'C', "c ID (\"name\" \"imaplib\" \"version\" {3}", 0 },
		     { 'S', "+ Ready for literal data", 0 },
		     { 'R', "3.1", 0 },
		     { 'C', ")", 0 },
		     { 'S', "* ID NIL", 0 },
		     { 'S', "c OK ID completed", 0 },
		     { 'C', "d STARTTLS", 0 },
		     { 'S', "d BAD STARTTLS is not available here", 0 },
		     { 'C', "e LOGOUT", 0 },
		     { 'S', "* BYE Logging out", 0 },
		     { 'S', "e OK Logout completed", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "over-long line",
	  .line_max = 100,
	  .steps = { { 'S', GREETING, 0 },
		     { 'C',
		       "a LOGIN alice "
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaa"
		       "aaaaaaaa",
		       0 },
		     { 'S', "* BAD line too long", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "line at the cap",
	  .line_max = 20,
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a1 LOGIN alice right", 0 },
		     { 'S', "a1 OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1 },
	{ .name = "literal too big: sync refused without +, LITERAL+ closes",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN {102400}", 0 },
		     { 'S', "a NO [TOOBIG] Literal too big (at most 1024 bytes before login)", 0 },
		     { 'C', "b LOGIN alice {1025+}", 0 },
		     { 'S', "b BAD Literal too big (at most 1024 bytes before login)", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "literal at a small cap",
	  .literal_max = 5,
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN alice {6}", 0 },
		     { 'S', "a NO [TOOBIG] Literal too big (at most 5 bytes before login)", 0 },
		     { 'C', "b LOGIN alice {5}", 0 },
		     { 'S', "+ Ready for literal data", 0 },
		     { 'R', "right\r\n", 0 },
		     { 'S', "b OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1 },
	{ .name = "garbage",
	  .steps = { { 'S', GREETING, 0 },
		     { 'R', "\x16\x03\x01\x02\x00\x01\r\n", 8 },
		     { 'S', "* BAD Invalid tag", 0 },
		     { 'C', "", 0 },
		     { 'S', "* BAD Empty command line", 0 },
		     { 'C', "a SELECT INBOX", 0 },
		     { 'S', "a BAD Command not allowed before login", 0 },
		     { 'R', "b APPEND INBOX {3+}\r\nabc\r\n", 0 }, /* dropped, not taken for commands */
		     { 'S', "b BAD Command not allowed before login", 0 },
		     { 'C', "c LOGIN \"alice", 0 },
		     { 'S', "c BAD Unterminated quoted string", 0 },
		     { 'C', "d LOGIN alice", 0 },
		     { 'S', "d BAD LOGIN needs a user name and a password", 0 },
		     { 'C', "e NOOP", 0 },
		     { 'S', "e OK NOOP completed", 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "max_commands",
	  .max_commands = 3,
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a NOOP", 0 },
		     { 'S', "a OK NOOP completed", 0 },
		     { 'C', "b FOO", 0 },
		     { 'S', "b BAD Command not allowed before login", 0 },
		     { 'C', "c LOGIN alice wrong", 0 },
		     { 'S', "c NO [AUTHENTICATIONFAILED] Invalid credentials", 0 },
		     { 'C', "d LOGIN alice right", 0 },
		     { 'S', "* BYE Too many commands before login", 0 },
		     { 'E', NULL, 0 } },
	  .rc = 1,
	  .calls = 1 },
	{ .name = "client leaves", .steps = { { 'S', GREETING, 0 } }, .rc = 1, .calls = 0 },
	{ .name = "client leaves inside a literal",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN {5}", 0 },
		     { 'S', "+ Ready for literal data", 0 },
		     { 'R', "ali", 0 } },
	  .rc = 1,
	  .calls = 0 },
	{ .name = "bare LF line ends",
	  .steps = { { 'S', GREETING, 0 },
		     { 'R', "a NOOP\nb LOGIN alice right\n", 0 },
		     { 'S', "a OK NOOP completed", 0 },
		     { 'S', "b OK Logged in", 0 } },
	  .rc = 0,
	  .calls = 1 },
	{ .name = "upstream caps with a line end are kept on one line",
	  .caps = "IMAP4rev1\r\n* BYE",
	  .steps = { { 'S', GREETING, 0 },
		     { 'C', "a LOGIN alice right", 0 },
		     { 'S', "a OK [CAPABILITY IMAP4rev1  * BYE] Logged in", 0 } },
	  .rc = 0,
	  .calls = 1 },
};

struct server {
	struct gw_front_params p;
	struct gw_upstream *up;
	int rc;
	struct mk_error err;
};

static void *serve(void *arg)
{
	struct server *s = arg;

	s->rc = gw_front_imap(&s->p, &s->up, &s->err);
	gw_lconn_free(&s->p.lc); /* closes: the client sees EOF */
	return NULL;
}

static const char *current; /* the case running, for messages */

struct client {
	int fd;
	char buf[4096];
	size_t len;
};

/* One line from the server without its CRLF; 1 at EOF; fails the test
 * after 5 s without one. */
static int client_line(struct client *c, char *out, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		ssize_t n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - c->buf);
			assert_true(l > 0 && c->buf[l - 1] == '\r'); /* replies end in CRLF */
			assert_true(l - 1 < size);
			memcpy(out, c->buf, l - 1);
			out[l - 1] = '\0';
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		assert_true(c->len < sizeof(c->buf));
		if (poll(&pfd, 1, 5000) != 1)
			fail_msg("%s: no reply from the server within 5 s", current);
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		assert_true(n > 0);
		c->len += (size_t)n;
	}
}

static void client_send(struct client *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
		assert_true(k > 0);
		s += k;
		n -= (size_t)k;
	}
}

static void run_case(const struct tcase *t)
{
	struct fake fake = { .caps = t->caps };
	struct server srv;
	struct client cl = { .fd = -1 };
	struct mk_error err;
	pthread_t th;
	int sv[2];
	char line[4096];

	current = t->name;
	memset(&srv, 0, sizeof(srv));
	mk_error_init(&err);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (gw_lconn_new(sv[0], NULL, false, 5000, &srv.p.lc, &err) != 0)
		fail_msg("gw_lconn_new: %s", err.msg);
	srv.p.hostname = "test.host";
	srv.p.require_tls = t->require_tls;
	srv.p.line_max = t->line_max;
	srv.p.literal_max = t->literal_max;
	srv.p.max_failures = t->max_failures;
	srv.p.max_commands = t->max_commands;
	srv.p.ops.login = fake_login;
	srv.p.ops.ctx = &fake;
	mk_error_init(&srv.err);
	cl.fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, serve, &srv), 0);
	for (size_t i = 0; i < MAXSTEPS && t->steps[i].op != 0; i++) {
		const struct step *st = &t->steps[i];

		switch (st->op) {
		case 'C':
			client_send(&cl, st->s, strlen(st->s));
			client_send(&cl, "\r\n", 2);
			break;
		case 'R':
			client_send(&cl, st->s, st->len != 0 ? st->len : strlen(st->s));
			break;
		case 'S':
		case 'P':
			if (client_line(&cl, line, sizeof(line)) != 0)
				fail_msg("%s: step %zu: EOF, want \"%s\"", t->name, i, st->s);
			if (st->op == 'S' ? strcmp(line, st->s) != 0
					  : strncmp(line, st->s, strlen(st->s)) != 0)
				fail_msg("%s: step %zu: got \"%s\", want \"%s\"", t->name, i, line, st->s);
			break;
		case 'E':
			if (client_line(&cl, line, sizeof(line)) != 1)
				fail_msg("%s: step %zu: got \"%s\", want EOF", t->name, i, line);
			break;
		default:
			fail_msg("bad step");
		}
	}
	/* Our side is done: closing makes a front still waiting see EOF. */
	shutdown(cl.fd, SHUT_WR);
	assert_int_equal(pthread_join(th, NULL), 0);
	if (srv.rc != t->rc)
		fail_msg("%s: gw_front_imap returned %d, want %d (%s)", t->name, srv.rc, t->rc, srv.err.msg);
	if (t->rc == 0) {
		assert_non_null(srv.up);
		if (t->caps != NULL)
			assert_string_equal(srv.up->imap_caps, t->caps);
	} else {
		assert_null(srv.up);
	}
	/* nothing more came after the last expected line */
	if (t->rc == 0 && client_line(&cl, line, sizeof(line)) != 1)
		fail_msg("%s: unexpected \"%s\" after login", t->name, line);
	gw_upstream_free(&srv.up);
	if (fake.calls != t->calls)
		fail_msg("%s: %u login calls, want %u", t->name, fake.calls, t->calls);
	if (t->user != NULL)
		assert_string_equal(fake.user, t->user);
	if (t->pass != NULL)
		assert_string_equal(fake.pass, t->pass);
	close(cl.fd);
}

static void test_transcripts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* At trace level the client's LOGIN and AUTHENTICATE lines, literals and
 * SASL responses show as <redacted>; the password never appears. */
static void test_trace_redacted(void **state)
{
	static const char *const secret_cases[] = { "login quoted", "login sync literal and continuation",
						    "login LITERAL+", "authenticate plain continued",
						    "authenticate login" };
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);

	(void)state;
	assert_non_null(fp);
	mk_log_set_stream(fp);
	mk_log_set_level(MK_LOG_TRACE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t j = 0; j < sizeof(secret_cases) / sizeof(secret_cases[0]); j++)
			if (strcmp(cases[i].name, secret_cases[j]) == 0)
				run_case(&cases[i]);
	mk_log_set_level(MK_LOG_WARN);
	mk_log_set_stream(stderr);
	fclose(fp);
	assert_non_null(strstr(text, "C: a1 LOGIN <redacted>"));
	assert_non_null(strstr(text, "C: a LOGIN <redacted>"));
	assert_non_null(strstr(text, "C: a authenticate <redacted>"));
	assert_non_null(strstr(text, "S: a OK Logged in"));
	assert_null(strstr(text, "right"));
	assert_null(strstr(text, "cmlnaHQ"));	       /* base64 "right" */
	assert_null(strstr(text, "AGFsaWNlAHJpZ2h0")); /* base64 PLAIN */
	assert_null(strstr(text, "alice"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transcripts),
		cmocka_unit_test(test_trace_redacted),
	};
	mk_log_set_level(MK_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
