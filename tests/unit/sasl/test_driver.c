/* Transcript tests of the shared SASL driver (mail/sasl.c): a scripted fake
 * protocol records every line the driver asks it to send and replays canned
 * server replies; each case checks the exact bytes of the whole exchange,
 * the result and the error class (curl test843 style). */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "mail/sasl.h"

/* base64("user=bob@example.test^Aauth=Bearer T0KEN^A^A"), 56 characters */
#define XO "dXNlcj1ib2JAZXhhbXBsZS50ZXN0AWF1dGg9QmVhcmVyIFQwS0VOAQE="
/* base64("n,a=bob@example.test,^Ahost=127.0.0.1^Aport=11143^Aauth=Bearer T0KEN^A^A"), 92 */
#define OB "bixhPWJvYkBleGFtcGxlLnRlc3QsAWhvc3Q9MTI3LjAuMC4xAXBvcnQ9MTExNDMBYXV0aD1CZWFyZXIgVDBLRU4BAQ=="
/* Dovecot's captures (research/test-env.md §6.1) */
#define CH_401 "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="
#define CH_INVALID "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0="
/* {"status":"insufficient_scope","scope":"mail.send"} */
#define CH_SCOPE "eyJzdGF0dXMiOiJpbnN1ZmZpY2llbnRfc2NvcGUiLCJzY29wZSI6Im1haWwuc2VuZCJ9"

/* A reply is "<kind letter> payload": C continue, K ok, F fail, T tempfail,
 * B bad. The transcript lists what the client sent, one "C: " line each, and
 * "S: " for each reply the driver read. */
struct fake {
	const char *const *replies;
	size_t next;
	char log[2048];
};

static void record(struct fake *f, const char *pfx, const char *s, size_t len)
{
	size_t o = strlen(f->log);

	snprintf(f->log + o, sizeof(f->log) - o, "%s%.*s\n", pfx, (int)len, s);
}

static int send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	char line[1024];

	(void)err;
	if (ir != NULL)
		snprintf(line, sizeof(line), "AUTH %s %s", mech, *ir ? ir : "=");
	else
		snprintf(line, sizeof(line), "AUTH %s", mech);
	record(ctx, "C: ", line, strlen(line));
	return 0;
}

static int send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	(void)err;
	record(ctx, "C: ", b64, len);
	return 0;
}

static int read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload, struct mk_error *err)
{
	struct fake *f = ctx;
	const char *r = f->replies[f->next];

	if (r == NULL)
		return mk_error_set(err, MK_ERR_CONN, "the server closed the connection");
	f->next++;
	record(f, "S: ", r, strlen(r));
	switch (r[0]) {
	case 'C':
		*kind = MK_SASL_REPLY_CONTINUE;
		break;
	case 'K':
		*kind = MK_SASL_REPLY_OK;
		break;
	case 'F':
		*kind = MK_SASL_REPLY_FAIL;
		break;
	case 'T':
		*kind = MK_SASL_REPLY_TEMPFAIL;
		break;
	default:
		*kind = MK_SASL_REPLY_BAD;
		break;
	}
	return mk_buf_addstr(payload, r[1] == ' ' ? r + 2 : r + 1);
}

static const struct mk_sasl_creds bob = { "bob@example.test", "T0KEN", "127.0.0.1", 11143 };
static const struct mk_sasl_creds bad_token = { "bob@example.test", "T0\r\nKEN", NULL, 0 };

struct tcase {
	const char *name;
	const struct mk_sasl_mech *mech;
	const struct mk_sasl_creds *creds;
	size_t max_ir;
	bool two_step;
	const char *replies[6];
	const char *transcript;
	enum mk_error_class cls; /* MK_ERR_NONE = success */
	bool had_challenge, token_expired;
	const char *status;	/* decoded challenge status */
	const char *in_message; /* a piece of err.msg */
};

static const struct tcase cases[] = {
	{ "xoauth2 initial response fits",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "K 235 2.7.0 ok" },
	  "C: AUTH XOAUTH2 " XO "\nS: K 235 2.7.0 ok\n",
	  MK_ERR_NONE,
	  false,
	  false,
	  "",
	  NULL },
	{ "initial response exactly at the limit",
	  &mk_sasl_xoauth2,
	  &bob,
	  56,
	  false,
	  { "K ok" },
	  "C: AUTH XOAUTH2 " XO "\nS: K ok\n",
	  MK_ERR_NONE,
	  false,
	  false,
	  "",
	  NULL },
	{ "one over the limit: two steps",
	  &mk_sasl_xoauth2,
	  &bob,
	  55,
	  false,
	  { "C ", "K ok" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: K ok\n",
	  MK_ERR_NONE,
	  false,
	  false,
	  "",
	  NULL },
	{ "no SASL-IR: two steps",
	  &mk_sasl_oauthbearer,
	  &bob,
	  0,
	  false,
	  { "C", "K ok" },
	  "C: AUTH OAUTHBEARER\nS: C\nC: " OB "\nS: K ok\n",
	  MK_ERR_NONE,
	  false,
	  false,
	  "",
	  NULL },
	{ "force_two_step",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  true,
	  { "C ", "K ok" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: K ok\n",
	  MK_ERR_NONE,
	  false,
	  false,
	  "",
	  NULL },
	{ "oauthbearer error challenge answered with AQ==",
	  &mk_sasl_oauthbearer,
	  &bob,
	  497,
	  false,
	  { "C " CH_INVALID, "F NO [AUTHENTICATIONFAILED] Authentication failed." },
	  "C: AUTH OAUTHBEARER " OB "\nS: C " CH_INVALID "\nC: AQ==\nS: F NO [AUTHENTICATIONFAILED] "
	  "Authentication failed.\n",
	  MK_ERR_AUTH,
	  true,
	  true,
	  "invalid_token",
	  "refused the login: NO [AUTHENTICATIONFAILED] Authentication failed.; the server refused the token "
	  "(status invalid_token)" },
	{ "xoauth2 error challenge answered with an empty line",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "C " CH_401, "F 535 5.7.8 Authentication failed." },
	  "C: AUTH XOAUTH2 " XO "\nS: C " CH_401 "\nC: \nS: F 535 5.7.8 Authentication failed.\n",
	  MK_ERR_AUTH,
	  true,
	  true,
	  "401",
	  "(status 401, scope mail)" },
	{ "two steps, then the error challenge (Postfix, test-env.md §6.3)",
	  &mk_sasl_xoauth2,
	  &bob,
	  20,
	  false,
	  { "C ", "C " CH_401, "F 535 5.7.8 Error: authentication failed: (reason unavailable)" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: C " CH_401
	  "\nC: \nS: F 535 5.7.8 Error: authentication failed: (reason unavailable)\n",
	  MK_ERR_AUTH,
	  true,
	  true,
	  "401",
	  "535 5.7.8" },
	{ "scope problem: refresh will not help",
	  &mk_sasl_oauthbearer,
	  &bob,
	  497,
	  false,
	  { "C " CH_SCOPE, "F 535 no" },
	  "C: AUTH OAUTHBEARER " OB "\nS: C " CH_SCOPE "\nC: AQ==\nS: F 535 no\n",
	  MK_ERR_AUTH,
	  true,
	  false,
	  "insufficient_scope",
	  "scope mail.send" },
	{ "the server says OK after all: success, no stale error",
	  &mk_sasl_xoauth2,
	  &bob,
	  0,
	  false,
	  { "C ", "C", "K ok" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: C\nC: \nS: K ok\n",
	  MK_ERR_NONE,
	  true,
	  false,
	  "",
	  NULL },
	{ "tempfail",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "T 454 4.7.0 Temporary authentication failure." },
	  "C: AUTH XOAUTH2 " XO "\nS: T 454 4.7.0 Temporary authentication failure.\n",
	  MK_ERR_TEMP,
	  false,
	  false,
	  "",
	  "454 4.7.0 Temporary" },
	{ "undecodable challenge: cancel with *, read the answer",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "C !!not base64!!", "F 501 5.5.2 cancelled" },
	  "C: AUTH XOAUTH2 " XO "\nS: C !!not base64!!\nC: *\nS: F 501 5.5.2 cancelled\n",
	  MK_ERR_PROTO,
	  false,
	  false,
	  "",
	  "not base64" },
	{ "misplaced padding is not base64 either",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "C eyJ=fQ==", "F 501" },
	  "C: AUTH XOAUTH2 " XO "\nS: C eyJ=fQ==\nC: *\nS: F 501\n",
	  MK_ERR_PROTO,
	  false,
	  false,
	  "",
	  "not base64" },
	{ "second challenge: cancel",
	  &mk_sasl_oauthbearer,
	  &bob,
	  497,
	  false,
	  { "C " CH_INVALID, "C " CH_INVALID, "B t1 BAD cancelled" },
	  "C: AUTH OAUTHBEARER " OB "\nS: C " CH_INVALID "\nC: AQ==\nS: C " CH_INVALID
	  "\nC: *\nS: B t1 BAD cancelled\n",
	  MK_ERR_PROTO,
	  true,
	  true,
	  "invalid_token",
	  "second challenge" },
	{ "Microsoft's expiry text without a challenge",
	  &mk_sasl_xoauth2,
	  &bob,
	  0,
	  false,
	  { "C ", "F 501 5.5.127 Token will expire soon" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: F 501 5.5.127 Token will expire soon\n",
	  MK_ERR_AUTH,
	  false,
	  true,
	  "",
	  "Token will expire soon" },
	{ "AccessTokenExpired",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "F NO AccessTokenExpired" },
	  "C: AUTH XOAUTH2 " XO "\nS: F NO AccessTokenExpired\n",
	  MK_ERR_AUTH,
	  false,
	  true,
	  "",
	  "AccessTokenExpired" },
	{ "plain refusal, no hint of expiry",
	  &mk_sasl_xoauth2,
	  &bob,
	  0,
	  false,
	  { "C ", "F 535 5.7.3 Authentication unsuccessful" },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\nS: F 535 5.7.3 Authentication unsuccessful\n",
	  MK_ERR_AUTH,
	  false,
	  false,
	  "",
	  "535 5.7.3" },
	{ "bad reply kind",
	  &mk_sasl_xoauth2,
	  &bob,
	  497,
	  false,
	  { "B 250 what" },
	  "C: AUTH XOAUTH2 " XO "\nS: B 250 what\n",
	  MK_ERR_PROTO,
	  false,
	  false,
	  "",
	  "250 what" },
	{ "connection lost mid-exchange",
	  &mk_sasl_xoauth2,
	  &bob,
	  0,
	  false,
	  { "C " },
	  "C: AUTH XOAUTH2\nS: C \nC: " XO "\n",
	  MK_ERR_CONN,
	  false,
	  false,
	  "",
	  "closed" },
	{ "CR/LF in the token: nothing is sent",
	  &mk_sasl_xoauth2,
	  &bad_token,
	  497,
	  false,
	  { "K ok" },
	  "",
	  MK_ERR_INTERNAL,
	  false,
	  false,
	  "",
	  "control character" },
};

static void test_transcripts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		struct fake f = { .replies = t->replies };
		struct mk_sasl_proto p = { "SMTP", t->max_ir, true, send_auth, send_line, read_reply, &f };
		struct mk_sasl_result res;
		struct mk_error err;
		int rc;

		print_message("case: %s\n", t->name);
		mk_error_init(&err);
		rc = mk_sasl_authenticate(&p, t->mech, t->creds, t->two_step, &res, &err);
		assert_string_equal(f.log, t->transcript);
		assert_int_equal(rc, t->cls == MK_ERR_NONE ? 0 : -1);
		assert_int_equal(err.cls, t->cls);
		assert_int_equal(res.had_challenge, t->had_challenge);
		assert_int_equal(res.token_expired, t->token_expired);
		assert_string_equal(res.failure.status, t->status);
		if (t->in_message != NULL)
			assert_non_null(strstr(err.msg, t->in_message));
		/* the token never reaches a message */
		assert_null(strstr(err.msg, "T0KEN"));
		assert_null(strstr(err.msg, XO));
	}
}

/* res may be NULL. */
static void test_null_result(void **state)
{
	static const char *const replies[] = { "C " CH_401, "F 535 no", NULL };
	struct fake f = { .replies = replies };
	struct mk_sasl_proto p = { "IMAP", 497, true, send_auth, send_line, read_reply, &f };
	struct mk_error err;

	(void)state;
	mk_error_init(&err);
	assert_int_equal(mk_sasl_authenticate(&p, &mk_sasl_xoauth2, &bob, false, NULL, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_non_null(strstr(err.msg, "IMAP refused the login"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transcripts),
		cmocka_unit_test(test_null_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
