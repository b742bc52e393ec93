#include <stdio.h>
#include <string.h>

#include "broker/daemon/proto.h"
#include "cmocka_all.h"

/* len 0 = strlen(in): the few inputs with a NUL give their length. */
static const struct {
	const char *in;
	size_t len;
	int rc;
	enum mk_error_class cls;
	enum mk_proto_verb verb;
	const char *account;
	bool fresh;
	enum mk_proto_mech mech;
} req_cases[] = {
	{ "MK1 token alice", 0, 0, 0, MK_PROTO_TOKEN, "alice", false, 0 },
	{ "MK1 token alice\r", 0, 0, 0, MK_PROTO_TOKEN, "alice", false, 0 },
	{ "MK1 token alice fresh", 0, 0, 0, MK_PROTO_TOKEN, "alice", true, 0 },
	{ "MK1 token alice fresh\r", 0, 0, 0, MK_PROTO_TOKEN, "alice", true, 0 },
	{ "MK1 token a.b_c@d+e-f.example", 0, 0, 0, MK_PROTO_TOKEN, "a.b_c@d+e-f.example", false, 0 },
	{ "MK1 sasl bob", 0, 0, 0, MK_PROTO_SASL, "bob", false, MK_PROTO_MECH_DEFAULT },
	{ "MK1 sasl bob xoauth2", 0, 0, 0, MK_PROTO_SASL, "bob", false, MK_PROTO_MECH_XOAUTH2 },
	{ "MK1 sasl bob oauthbearer", 0, 0, 0, MK_PROTO_SASL, "bob", false, MK_PROTO_MECH_OAUTHBEARER },
	{ "MK1 refresh carol", 0, 0, 0, MK_PROTO_REFRESH, "carol", false, 0 },
	{ "MK1 status", 0, 0, 0, MK_PROTO_STATUS, "", false, 0 },
	{ "MK1 status\r", 0, 0, 0, MK_PROTO_STATUS, "", false, 0 },
	{ "MK1 ping", 0, 0, 0, MK_PROTO_PING, "", false, 0 },
	{ "MK1 events", 0, 0, 0, MK_PROTO_EVENTS, "", false, 0 },
	/* other versions: their own class, whatever follows */
	{ "MK2 token alice", 0, -1, MK_ERR_IMPL, 0, NULL, false, 0 },
	{ "MK0 ping", 0, -1, MK_ERR_IMPL, 0, NULL, false, 0 },
	{ "MK10 ping", 0, -1, MK_ERR_IMPL, 0, NULL, false, 0 },
	{ "MK2  anything\tgoes", 0, -1, MK_ERR_IMPL, 0, NULL, false, 0 },
	{ "MK2", 0, -1, MK_ERR_IMPL, 0, NULL, false, 0 },
	/* not a version at all */
	{ "MK01 ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "mk1 ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1x ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK-1 ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK99999999999999999999999 ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "token alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "\r", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ " MK1 ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	/* framing of words */
	{ "MK1", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 ", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1  ping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 ping ", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token  alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token alice fresh extra", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1\tping", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 ping\r\r", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 }, /* only one CR goes */
	{ "MK1 token al\rice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token alice\n", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token ali\0ce", 15, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 ping\0", 9, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	/* verbs and their arguments */
	{ "MK1 TOKEN alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 tokens alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 tok", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 login alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 sasl", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 refresh", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token alice stale", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token alice FRESH", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token alice xoauth2", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 sasl alice fresh", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 sasl alice plain", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 sasl alice XOAUTH2", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 refresh alice fresh", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 status alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 ping alice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 events all", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	/* account names */
	{ "MK1 token al/ice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token ../etc", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token al:ice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token al\x01ice", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 token al\xc3\xa9", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 sasl al*ce xoauth2", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
	{ "MK1 refresh $HOME", 0, -1, MK_ERR_USAGE, 0, NULL, false, 0 },
};

static void test_request_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		struct mk_proto_req r;
		struct mk_error err;
		size_t len = req_cases[i].len ? req_cases[i].len : strlen(req_cases[i].in);
		int rc;

		mk_error_init(&err);
		rc = mk_proto_parse_request(req_cases[i].in, len, &r, &err);
		if (rc != req_cases[i].rc)
			fail_msg("case %zu (%s): rc %d (%s)", i, req_cases[i].in, rc, err.msg);
		if (rc == 0) {
			assert_int_equal(r.verb, req_cases[i].verb);
			assert_string_equal(r.account, req_cases[i].account);
			assert_int_equal(r.fresh, req_cases[i].fresh);
			assert_int_equal(r.mech, req_cases[i].mech);
			continue;
		}
		if (err.cls != req_cases[i].cls)
			fail_msg("case %zu (%s): class %d, want %d", i, req_cases[i].in, err.cls,
				 req_cases[i].cls);
		assert_true(err.msg[0] != '\0');
	}
}

/* The message quotes no input beyond a recognised verb: a bad account name
 * (it might be a pasted token) is not echoed. */
static void test_request_no_echo(void **state)
{
	static const char *const in[] = { "MK1 token eyJsecret/x", "MK1 eyJsecret",
					  "MK1 token alice eyJsecret", "MKeyJsecret ping",
					  "MK1 sasl bob eyJsecret" };
	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct mk_proto_req r;
		struct mk_error err;

		assert_int_equal(mk_proto_parse_request(in[i], strlen(in[i]), &r, &err), -1);
		if (strstr(err.msg, "eyJ") != NULL)
			fail_msg("case %zu echoes its input: %s", i, err.msg);
	}
}

static void test_request_account_lengths(void **state)
{
	char line[MK_PROTO_LINE_MAX + 8];
	struct mk_proto_req r;
	struct mk_error err;

	(void)state;
	memcpy(line, "MK1 token ", 10);
	memset(line + 10, 'a', MK_PROTO_ACCOUNT_MAX);
	assert_int_equal(mk_proto_parse_request(line, 10 + MK_PROTO_ACCOUNT_MAX, &r, &err), 0);
	assert_int_equal(strlen(r.account), MK_PROTO_ACCOUNT_MAX);
	memcpy(line + 10 + MK_PROTO_ACCOUNT_MAX, " fresh", 6);
	assert_int_equal(mk_proto_parse_request(line, 16 + MK_PROTO_ACCOUNT_MAX, &r, &err), 0);
	assert_true(r.fresh);
	line[10 + MK_PROTO_ACCOUNT_MAX] = 'a';
	assert_int_equal(mk_proto_parse_request(line, 11 + MK_PROTO_ACCOUNT_MAX, &r, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);

	/* the line cap: MK_PROTO_LINE_MAX bytes with '\n', so 1023 without */
	memset(line, 'x', sizeof(line));
	memcpy(line, "MK1 ping", 8);
	assert_int_equal(mk_proto_parse_request(line, MK_PROTO_LINE_MAX, &r, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);
	assert_non_null(strstr(err.msg, "too long"));
}

static void test_frame_line(void **state)
{
	char big[MK_PROTO_LINE_MAX + 10];

	(void)state;
	assert_int_equal(mk_proto_frame_line("", 0), 0);
	assert_int_equal(mk_proto_frame_line(NULL, 0), 0);
	assert_int_equal(mk_proto_frame_line("MK1 ping", 8), 0);
	assert_int_equal(mk_proto_frame_line("MK1 ping\n", 9), 9);
	assert_int_equal(mk_proto_frame_line("MK1 ping\r\n", 10), 10);
	assert_int_equal(mk_proto_frame_line("MK1 ping\nMK1 status\n", 20), 9);
	assert_int_equal(mk_proto_frame_line("\n", 1), 1);
	assert_int_equal(mk_proto_frame_line("a\0b\n", 4), 4);

	memset(big, 'x', sizeof(big));
	assert_int_equal(mk_proto_frame_line(big, MK_PROTO_LINE_MAX - 1), 0);
	big[MK_PROTO_LINE_MAX - 1] = '\n'; /* exactly at the cap */
	assert_int_equal(mk_proto_frame_line(big, sizeof(big)), MK_PROTO_LINE_MAX);
	big[MK_PROTO_LINE_MAX - 1] = 'x';
	assert_int_equal(mk_proto_frame_line(big, MK_PROTO_LINE_MAX), -1);
	big[MK_PROTO_LINE_MAX] = '\n'; /* one past the cap */
	assert_int_equal(mk_proto_frame_line(big, sizeof(big)), -1);
}

static void test_sockmap_dialect(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++)
		assert_int_equal(mk_proto_is_sockmap((unsigned char)c), c >= '0' && c <= '9');
}

static const struct {
	const char *in;
	size_t len; /* 0 = strlen */
	ssize_t rc;
	const char *data; /* when rc > 0 */
} ns_cases[] = {
	{ "5:hello,", 0, 8, "hello" },
	{ "5:hello,5:world,", 0, 8, "hello" },
	{ "0:,", 0, 3, "" },
	{ "11:alice x@y z,", 0, 15, "alice x@y z" },
	{ "3:a\0b,", 6, 6, "a" }, /* NUL is payload; the parser below refuses it */
	/* incomplete */
	{ "", 0, 0, NULL },
	{ "5", 0, 0, NULL },
	{ "0", 0, 0, NULL },
	{ "5:", 0, 0, NULL },
	{ "5:hell", 0, 0, NULL },
	{ "5:hello", 0, 0, NULL },
	{ "102", 0, 0, NULL },
	{ "1024", 0, 0, NULL },
	/* malformed */
	{ ":hello,", 0, -1, NULL },
	{ "x:hello,", 0, -1, NULL },
	{ "05:hello,", 0, -1, NULL },
	{ "00:,", 0, -1, NULL },
	{ "00", 0, -1, NULL },
	{ "5:hello;", 0, -1, NULL },
	{ "5:hellox,", 0, -1, NULL }, /* missing comma at its place */
	{ "4:hello,", 0, -1, NULL },
	{ "5hello,", 0, -1, NULL },
	{ "5 :hello,", 0, -1, NULL },
	{ "-5:hello,", 0, -1, NULL },
	{ "+5:hello,", 0, -1, NULL },
	{ "1025", 0, -1, NULL }, /* over the cap, known before the ':' */
	{ "1025:", 0, -1, NULL },
	{ "10240", 0, -1, NULL },
	{ "99999999999999999999999:", 0, -1, NULL },
	{ "18446744073709551617:x,", 0, -1, NULL }, /* 2^64 + 1 would wrap */
};

static void test_sockmap_frame_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ns_cases) / sizeof(ns_cases[0]); i++) {
		const char *d = NULL;
		size_t dl = 99;
		size_t len = ns_cases[i].len ? ns_cases[i].len : strlen(ns_cases[i].in);
		ssize_t rc = mk_sockmap_frame(ns_cases[i].in, len, &d, &dl);

		if (rc != ns_cases[i].rc)
			fail_msg("case %zu (%s): rc %zd, want %zd", i, ns_cases[i].in, rc, ns_cases[i].rc);
		if (rc > 0) {
			assert_int_equal(dl, ns_cases[i].len ? 3 : strlen(ns_cases[i].data));
			assert_memory_equal(d, ns_cases[i].len ? "a\0b" : ns_cases[i].data, dl);
			assert_ptr_equal(d, ns_cases[i].in + (rc - (ssize_t)dl - 1));
		}
	}
}

static void test_sockmap_frame_cap(void **state)
{
	static char buf[8 + MK_SOCKMAP_REQUEST_MAX + 2];
	const char *d;
	size_t dl;
	int hn;

	(void)state;
	hn = snprintf(buf, sizeof(buf), "%d:", MK_SOCKMAP_REQUEST_MAX);
	memset(buf + hn, 'k', MK_SOCKMAP_REQUEST_MAX);
	buf[hn + MK_SOCKMAP_REQUEST_MAX] = ',';
	assert_int_equal(mk_sockmap_frame(buf, (size_t)hn + MK_SOCKMAP_REQUEST_MAX + 1, &d, &dl),
			 hn + MK_SOCKMAP_REQUEST_MAX + 1);
	assert_int_equal(dl, MK_SOCKMAP_REQUEST_MAX);
	/* every proper prefix is incomplete, never malformed */
	for (size_t n = 0; n < (size_t)hn + MK_SOCKMAP_REQUEST_MAX + 1; n++)
		assert_int_equal(mk_sockmap_frame(buf, n, &d, &dl), 0);
}

static const struct {
	const char *in;
	size_t len;
	int rc;
	const char *name, *key;
} smreq_cases[] = {
	{ "alice x", 0, 0, "alice", "x" },
	{ "relay [smtp.example.test]:587", 0, 0, "relay", "[smtp.example.test]:587" },
	{ "relay a b  c ", 0, 0, "relay", "a b  c " }, /* the key keeps its spaces */
	{ "bob@example.test bob@example.test", 0, 0, "bob@example.test", "bob@example.test" },
	{ "alice ", 0, -1, NULL, NULL },
	{ "alice", 0, -1, NULL, NULL },
	{ "", 0, -1, NULL, NULL },
	{ " x", 0, -1, NULL, NULL },
	{ "al/ice x", 0, -1, NULL, NULL },
	{ "alice x\ty", 0, -1, NULL, NULL },
	{ "alice x\r", 0, -1, NULL, NULL },
	{ "alice x\0y", 9, -1, NULL, NULL },
};

static void test_sockmap_request_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(smreq_cases) / sizeof(smreq_cases[0]); i++) {
		struct mk_sockmap_req r;
		struct mk_error err;
		size_t len = smreq_cases[i].len ? smreq_cases[i].len : strlen(smreq_cases[i].in);
		int rc = mk_sockmap_parse_request(smreq_cases[i].in, len, &r, &err);

		if (rc != smreq_cases[i].rc)
			fail_msg("case %zu (%s): rc %d", i, smreq_cases[i].in, rc);
		if (rc == 0) {
			assert_string_equal(r.name, smreq_cases[i].name);
			assert_string_equal(r.key, smreq_cases[i].key);
		} else {
			assert_int_equal(err.cls, MK_ERR_USAGE);
		}
	}
}

static void test_sockmap_request_lengths(void **state)
{
	static char in[MK_PROTO_ACCOUNT_MAX + 2 + MK_SOCKMAP_KEY_MAX + 2];
	struct mk_sockmap_req r;
	struct mk_error err;

	(void)state;
	memset(in, 'n', MK_PROTO_ACCOUNT_MAX);
	in[MK_PROTO_ACCOUNT_MAX] = ' ';
	memset(in + MK_PROTO_ACCOUNT_MAX + 1, 'k', MK_SOCKMAP_KEY_MAX + 1);
	assert_int_equal(
		mk_sockmap_parse_request(in, MK_PROTO_ACCOUNT_MAX + 1 + MK_SOCKMAP_KEY_MAX, &r, &err), 0);
	assert_int_equal(strlen(r.name), MK_PROTO_ACCOUNT_MAX);
	assert_int_equal(strlen(r.key), MK_SOCKMAP_KEY_MAX);
	assert_int_equal(
		mk_sockmap_parse_request(in, MK_PROTO_ACCOUNT_MAX + 2 + MK_SOCKMAP_KEY_MAX, &r, &err), -1);
	/* a name one byte too long */
	memset(in, 'n', MK_PROTO_ACCOUNT_MAX + 1);
	in[MK_PROTO_ACCOUNT_MAX + 1] = ' ';
	assert_int_equal(mk_sockmap_parse_request(in, MK_PROTO_ACCOUNT_MAX + 3, &r, &err), -1);
}

static void test_format_ok(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 64);
	assert_int_equal(mk_proto_format_ok(&b, "ya29.token"), 0);
	assert_int_equal(mk_proto_format_ok(&b, ""), 0);
	assert_string_equal(mk_buf_str(&b), "OK ya29.token\nOK \n");
	/* control bytes in a payload: refused, nothing appended */
	assert_int_equal(mk_proto_format_ok(&b, "a\nOK forged"), -1);
	assert_int_equal(mk_proto_format_ok(&b, "a\rb"), -1);
	assert_int_equal(mk_proto_format_ok(&b, "a\x7f"), -1);
	assert_string_equal(mk_buf_str(&b), "OK ya29.token\nOK \n");
	mk_buf_free(&b);

	/* exactly full, then one byte over: all or nothing */
	mk_buf_init(&b, 8);
	assert_int_equal(mk_proto_format_ok(&b, "abcd"), 0);
	assert_int_equal(b.len, 8);
	mk_buf_reset(&b);
	assert_int_equal(mk_buf_addstr(&b, "x"), 0);
	assert_int_equal(mk_proto_format_ok(&b, "abcd"), -1);
	assert_string_equal(mk_buf_str(&b), "x");
	mk_buf_free(&b);
}

static void test_format_err(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 256);
	assert_int_equal(mk_proto_format_err(&b, 75, "the token endpoint is down: try later"), 0);
	assert_string_equal(mk_buf_str(&b), "ERR 75 the token endpoint is down: try later\n");
	mk_buf_reset(&b);
	/* every control byte becomes a space: one answer, one line */
	assert_int_equal(mk_proto_format_err(&b, 77, "line1\nOK forged\r\x01\x1f\x7fz\ttab"), 0);
	assert_string_equal(mk_buf_str(&b), "ERR 77 line1 OK forged    z tab\n");
	mk_buf_reset(&b);
	/* UTF-8 is text, not control */
	assert_int_equal(mk_proto_format_err(&b, 64, "caf\xc3\xa9 \xe2\x80\xa6"), 0);
	assert_string_equal(mk_buf_str(&b), "ERR 64 caf\xc3\xa9 \xe2\x80\xa6\n");
	mk_buf_reset(&b);
	/* not a sysexits code: 70, so the answer still parses */
	assert_int_equal(mk_proto_format_err(&b, -1, "x"), 0);
	assert_int_equal(mk_proto_format_err(&b, 0, "y"), 0);
	assert_int_equal(mk_proto_format_err(&b, 1000000, ""), 0);
	assert_int_equal(mk_proto_format_err(&b, 69, NULL), 0);
	assert_string_equal(mk_buf_str(&b), "ERR 70 x\nERR 70 y\nERR 70 \nERR 69 \n");
	mk_buf_free(&b);

	mk_buf_init(&b, 10);
	assert_int_equal(mk_proto_format_err(&b, 75, "ab"), 0); /* "ERR 75 ab\n" = 10 */
	assert_int_equal(mk_proto_format_err(&b, 75, ""), -1);
	assert_int_equal(b.len, 10);
	mk_buf_free(&b);
}

static const struct {
	const char *in;
	int rc;
	const char *payload;
	int code;
} ans_cases[] = {
	{ "OK ya29.abc", 0, "ya29.abc", 0 },
	{ "OK ya29.abc\r", 0, "ya29.abc", 0 },
	{ "OK ", 0, "", 0 },
	{ "OK", 0, "", 0 },
	{ "OK [{\"account\":\"a b\"}]", 0, "[{\"account\":\"a b\"}]", 0 },
	{ "ERR 75 try later", 1, "try later", 75 },
	{ "ERR 77 run `mailkey login alice`\r", 1, "run `mailkey login alice`", 77 },
	{ "ERR 64 ", 1, "", 64 },
	{ "ERR 64", 1, "", 64 },
	{ "ERR 78 x", 1, "x", 78 },
	{ "ERR 1 odd", 1, "odd", 70 },
	{ "ERR 0 zero", 1, "zero", 70 },
	{ "ERR 79 x", 1, "x", 70 },
	{ "ERR 999 x", 1, "x", 70 },
	{ "ERR 1000 x", -1, NULL, 0 },
	{ "ERR 075 x", -1, NULL, 0 },
	{ "ERR -75 x", -1, NULL, 0 },
	{ "ERR x75 x", -1, NULL, 0 },
	{ "ERR  75 x", -1, NULL, 0 },
	{ "ERR", -1, NULL, 0 },
	{ "ERR ", -1, NULL, 0 },
	{ "ERR 75 a\x01", -1, NULL, 0 },
	{ "OKAY", -1, NULL, 0 },
	{ "OK\ttab", -1, NULL, 0 },
	{ "OK a\rb", -1, NULL, 0 },
	{ "OK a\x7f", -1, NULL, 0 },
	{ "ok x", -1, NULL, 0 },
	{ "EVENT {}", -1, NULL, 0 },
	{ "", -1, NULL, 0 },
	{ "HTTP/1.1 200 OK", -1, NULL, 0 },
};

static void test_answer_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ans_cases) / sizeof(ans_cases[0]); i++) {
		const char *p = NULL;
		size_t pl = 0;
		int code = -5;
		int rc = mk_proto_parse_answer(ans_cases[i].in, strlen(ans_cases[i].in), &p, &pl, &code);

		if (rc != ans_cases[i].rc)
			fail_msg("case %zu (%s): rc %d", i, ans_cases[i].in, rc);
		if (rc < 0)
			continue;
		assert_int_equal(pl, strlen(ans_cases[i].payload));
		assert_memory_equal(p, ans_cases[i].payload, pl);
		assert_int_equal(code, ans_cases[i].code);
	}
	/* a NUL in the payload would cut the client's string copy */
	{
		const char *p;
		size_t pl;
		int code;
		assert_int_equal(mk_proto_parse_answer("OK a\0b", 6, &p, &pl, &code), -1);
		assert_int_equal(mk_proto_parse_answer("ERR 75 a\0b", 10, &p, &pl, &code), -1);
	}
}

/* What the daemon formats, the client parses back to the same thing. */
static void test_answer_round_trip(void **state)
{
	static const int codes[] = { 64, 65, 69, 70, 74, 75, 77, 78 };
	struct mk_buf b;
	const char *p;
	size_t pl;
	int code;

	(void)state;
	mk_buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		mk_buf_reset(&b);
		assert_int_equal(mk_proto_format_err(&b, codes[i], "bad\nthing"), 0);
		assert_int_equal(mk_proto_frame_line(b.data, b.len), (ssize_t)b.len);
		assert_int_equal(mk_proto_parse_answer(b.data, b.len - 1, &p, &pl, &code), 1);
		assert_int_equal(code, codes[i]);
		assert_memory_equal(p, "bad thing", pl);
	}
	mk_buf_reset(&b);
	assert_int_equal(mk_proto_format_ok(&b, "dG9rZW4="), 0);
	assert_int_equal(mk_proto_parse_answer(b.data, b.len - 1, &p, &pl, &code), 0);
	assert_int_equal(pl, 8);
	assert_memory_equal(p, "dG9rZW4=", 8);
	mk_buf_free(&b);
}

static void test_code_class(void **state)
{
	static const struct {
		int code;
		enum mk_error_class cls;
	} t[] = { { 75, MK_ERR_TEMP },	   { 77, MK_ERR_CONSENT },  { 64, MK_ERR_USAGE },
		  { 78, MK_ERR_CONFIG },   { 65, MK_ERR_DATA },	    { 69, MK_ERR_IMPL },
		  { 74, MK_ERR_IO },	   { 70, MK_ERR_INTERNAL }, { 0, MK_ERR_INTERNAL },
		  { 76, MK_ERR_INTERNAL }, { -1, MK_ERR_INTERNAL } };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(mk_proto_code_class(t[i].code), t[i].cls);
		/* and the CLI exits with the daemon's code for the classes it sends */
		if (t[i].cls != MK_ERR_INTERNAL)
			assert_int_equal(mk_error_to_sysexit(t[i].cls), t[i].code);
	}
}

static void test_sockmap_format(void **state)
{
	struct mk_buf b;
	const char *d;
	size_t dl;

	(void)state;
	mk_buf_init(&b, 256);
	assert_int_equal(mk_sockmap_format(&b, "OK", "alice@example.test:ya29.x"), 0);
	assert_string_equal(mk_buf_str(&b), "28:OK alice@example.test:ya29.x,");
	mk_buf_reset(&b);
	assert_int_equal(mk_sockmap_format(&b, "NOTFOUND", ""), 0);
	assert_string_equal(mk_buf_str(&b), "9:NOTFOUND ,");
	mk_buf_reset(&b);
	assert_int_equal(mk_sockmap_format(&b, "NOTFOUND", NULL), 0);
	assert_string_equal(mk_buf_str(&b), "9:NOTFOUND ,");
	mk_buf_reset(&b);
	assert_int_equal(mk_sockmap_format(&b, "TEMP", "alice: needs\na new login\r; see `mailkey status`"),
			 0);
	assert_string_equal(mk_buf_str(&b), "52:TEMP alice: needs a new login ; see `mailkey status`,");
	/* and it frames back */
	assert_int_equal(mk_sockmap_frame(b.data, b.len, &d, &dl), (ssize_t)b.len);
	assert_memory_equal(d, "TEMP alice", 10);
	mk_buf_reset(&b);
	assert_int_equal(mk_sockmap_format(&b, "PERM", "\x01"), 0);
	assert_string_equal(mk_buf_str(&b), "6:PERM  ,");
	mk_buf_reset(&b);
	/* not a status of socketmap_table(5), or a value with control bytes */
	assert_int_equal(mk_sockmap_format(&b, "MAYBE", "x"), -1);
	assert_int_equal(mk_sockmap_format(&b, "ok", "x"), -1);
	assert_int_equal(mk_sockmap_format(&b, "OK", "user:tok\nen"), -1);
	assert_int_equal(b.len, 0);
	mk_buf_free(&b);

	/* no room: nothing appended */
	mk_buf_init(&b, 8);
	assert_int_equal(mk_sockmap_format(&b, "OK", "abc"), -1); /* "6:OK abc," is 9 bytes */
	assert_int_equal(b.len, 0);
	assert_int_equal(mk_sockmap_format(&b, "OK", "ab"), 0);
	assert_string_equal(mk_buf_str(&b), "5:OK ab,");
	mk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_request_no_echo),
		cmocka_unit_test(test_request_account_lengths),
		cmocka_unit_test(test_frame_line),
		cmocka_unit_test(test_sockmap_dialect),
		cmocka_unit_test(test_sockmap_frame_table),
		cmocka_unit_test(test_sockmap_frame_cap),
		cmocka_unit_test(test_sockmap_request_table),
		cmocka_unit_test(test_sockmap_request_lengths),
		cmocka_unit_test(test_format_ok),
		cmocka_unit_test(test_format_err),
		cmocka_unit_test(test_answer_table),
		cmocka_unit_test(test_answer_round_trip),
		cmocka_unit_test(test_code_class),
		cmocka_unit_test(test_sockmap_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
