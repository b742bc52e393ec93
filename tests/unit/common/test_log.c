#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/log.h"

struct capture {
	char *text;
	size_t len;
	FILE *fp;
};

static int setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	c->fp = open_memstream(&c->text, &c->len);
	mk_log_set_stream(c->fp);
	mk_log_set_level(MK_LOG_INFO);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct capture *c = *state;

	mk_log_set_stream(NULL);
	mk_log_forget_secrets();
	fclose(c->fp);
	free(c->text);
	free(c);
	return 0;
}

/* No piece of secret of 2 bytes or more, from its start or its end, is in
 * s (one byte is too common to mean anything: "a" is in "<redacted>"). */
static void assert_no_fragment(const char *s, const char *secret)
{
	size_t n = strlen(secret);
	char piece[128];

	assert_true(n < sizeof(piece));
	for (size_t k = 2; k <= n; k++) {
		memcpy(piece, secret, k);
		piece[k] = '\0';
		if (strstr(s, piece) != NULL)
			fail_msg("'%s' shows the secret's first %zu bytes", s, k);
		memcpy(piece, secret + n - k, k + 1);
		if (strstr(s, piece) != NULL)
			fail_msg("'%s' shows the secret's last %zu bytes", s, k);
	}
}

static const char *captured(struct capture *c)
{
	fflush(c->fp);
	return c->text;
}

static void test_levels(void **state)
{
	struct capture *c = *state;

	mk_log(MK_LOG_DEBUG, "hidden %d", 1);
	mk_log(MK_LOG_INFO, "shown %d", 2);
	mk_log(MK_LOG_WARN, "careful");
	assert_null(strstr(captured(c), "hidden"));
	assert_non_null(strstr(captured(c), "mailkey: shown 2\n"));
	assert_non_null(strstr(captured(c), "mailkey: warning: careful\n"));
	mk_log_set_level(MK_LOG_DEBUG);
	mk_log(MK_LOG_DEBUG, "now visible");
	assert_non_null(strstr(captured(c), "mailkey: debug: now visible"));
}

static void test_registered_secret_never_printed(void **state)
{
	struct capture *c = *state;
	const char *tok = "ya29.a0AfB_byC-secret-token-value";

	assert_int_equal(mk_log_register_secret(tok), 0);
	mk_log(MK_LOG_ERROR, "server rejected %s (twice: %s)", tok, tok);
	assert_null(strstr(captured(c), "secret-token"));
	assert_non_null(strstr(captured(c), "server rejected <redacted> (twice: <redacted>)"));
}

static void test_redact_to_buffer(void **state)
{
	char out[64];

	(void)state;
	mk_log_register_secret("abcd1234");
	mk_log_register_secret("xy"); /* too short to register */
	mk_log_redact("token=abcd1234&x=xy", out, sizeof(out));
	assert_string_equal(out, "token=<redacted>&x=xy");
	/* Two secrets and room for 11 bytes: the first mark whole, the second
	 * cut; not one byte of either secret. */
	mk_log_redact("abcd1234abcd1234", out, 12);
	assert_string_equal(out, "<redacted><");
	assert_no_fragment(out, "abcd1234");
	mk_log_forget_secrets();
	mk_log_redact("abcd1234", out, sizeof(out));
	assert_string_equal(out, "abcd1234");
}

/* A secret straddling the end of dst, at every cut: the output is exactly
 * the redacted text cut to dst_size - 1 bytes, so a half secret (which the
 * old "strlen(out) <= 11" check let through) cannot appear. */
static void test_redact_every_cut(void **state)
{
	const char *in = "xx 5ecretT0ken yy";
	const char *redacted = "xx <redacted> yy";
	char out[64];

	(void)state;
	assert_int_equal(mk_log_register_secret("5ecretT0ken"), 0);
	for (size_t size = 1; size <= strlen(redacted) + 2; size++) {
		size_t want = size - 1 < strlen(redacted) ? size - 1 : strlen(redacted);
		memset(out, 'Z', sizeof(out));
		mk_log_redact(in, out, size);
		if (strlen(out) != want || strncmp(out, redacted, want) != 0)
			fail_msg("size %zu: got '%s'", size, out);
		assert_no_fragment(out, "5ecretT0ken");
		assert_int_equal(out[size], 'Z'); /* nothing written past dst_size */
	}
	/* dst_size 0 writes nothing at all */
	memset(out, 'Z', sizeof(out));
	mk_log_redact(in, out, 0);
	assert_int_equal(out[0], 'Z');
}

static void test_proto_trace(void **state)
{
	struct capture *c = *state;
	const char auth[] = "AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciBzZWNyZXQBAQ==\r\n";

	mk_log_proto("C", "EHLO x\r\n", 8, false, 0);
	assert_null(strstr(captured(c), "EHLO")); /* trace level is off */
	mk_log_set_level(MK_LOG_TRACE);
	mk_log_proto("C", "EHLO x\r\n", 8, false, 0);
	mk_log_proto("C", auth, strlen(auth), true, 12);
	mk_log_proto("S", "bad\x01line", 8, false, 0);
	assert_non_null(strstr(captured(c), "C: EHLO x\n"));
	assert_non_null(strstr(captured(c), "C: AUTH XOAUTH2 <redacted>\n"));
	assert_null(strstr(captured(c), "dXNlcj1"));
	assert_non_null(strstr(captured(c), "S: bad\\x01line"));
}

static void test_secret_at_length_limit(void **state)
{
	struct capture *c = *state;
	const char *tok = "1//0gSECRETrefreshTOKEN";
	char *pad = malloc(9000);

	assert_non_null(pad);
	assert_int_equal(mk_log_register_secret(tok), 0);
	/* Put the secret across the point where a line is cut, at every offset
	 * around it: not one of its bytes may appear. */
	for (size_t n = 8150; n < 8200; n++) {
		memset(pad, '.', n);
		pad[n] = '\0';
		mk_log(MK_LOG_ERROR, "%s%s", pad, tok);
	}
	assert_null(strstr(captured(c), "1//"));
	assert_null(strstr(captured(c), "SECRET"));
	assert_no_fragment(captured(c), tok);
	assert_non_null(strstr(captured(c), "<redacted>"));
	/* the same across a protocol trace line */
	mk_log_set_level(MK_LOG_TRACE);
	for (size_t n = 8100; n < 8200; n++) {
		memset(pad, 'x', n);
		memcpy(pad + n, tok, strlen(tok));
		mk_log_proto("S", pad, n + strlen(tok), false, 0);
	}
	assert_null(strstr(captured(c), "1//"));
	assert_no_fragment(captured(c), tok);
	free(pad);
}

static void test_many_secrets_all_redacted(void **state)
{
	struct capture *c = *state;
	char tok[32];

	/* Every registered secret stays covered, however many there are. */
	for (int i = 0; i < 200; i++) {
		snprintf(tok, sizeof(tok), "tok-%03d-secret", i);
		assert_int_equal(mk_log_register_secret(tok), 0);
	}
	for (int i = 0; i < 200; i += 37) {
		snprintf(tok, sizeof(tok), "tok-%03d-secret", i);
		mk_log(MK_LOG_ERROR, "got %s", tok);
	}
	assert_null(strstr(captured(c), "-secret"));
	assert_non_null(strstr(captured(c), "got <redacted>"));
	/* Registering the same value again changes nothing. */
	assert_int_equal(mk_log_register_secret("tok-000-secret"), 0);
}

static void test_longest_secret_wins(void **state)
{
	char out[64];

	(void)state;
	/* One secret a prefix of another: the longer one is redacted whole. */
	mk_log_register_secret("abcd");
	mk_log_register_secret("abcdefgh");
	mk_log_redact("x abcdefgh y abcd z", out, sizeof(out));
	assert_string_equal(out, "x <redacted> y <redacted> z");
	mk_log_redact("anything", out, 1);
	assert_string_equal(out, "");
}

static void test_level_out_of_range(void **state)
{
	struct capture *c = *state;

	mk_log_set_level((enum mk_log_level)(MK_LOG_TRACE + 3));
	mk_log((enum mk_log_level)(MK_LOG_TRACE + 2), "very verbose");
	assert_non_null(strstr(captured(c), "mailkey: trace: very verbose"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registered_secret_never_printed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redact_to_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redact_every_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proto_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_at_length_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_secrets_all_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_secret_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_out_of_range, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
