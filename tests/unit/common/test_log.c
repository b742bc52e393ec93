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
	mk_log_redact("abcd1234abcd1234", out, 12);
	assert_true(strlen(out) <= 11);
	mk_log_forget_secrets();
	mk_log_redact("abcd1234", out, sizeof(out));
	assert_string_equal(out, "abcd1234");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registered_secret_never_printed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redact_to_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proto_trace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
