/* gateway/pop3_front.c end to end over a socketpair (harness.c). */
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "harness.h"

#define GREET "S:+OK gw.test mailkey gateway ready"
#define PLAIN_OK "AGFsaWNlAHJpZ2h0LXBhc3M=" /* \0alice\0right-pass */
#define PLAIN_WRONG "AGFsaWNlAHdyb25n"	    /* \0alice\0wrong */

static const struct fe_case cases[] = {
	{ "user/pass", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:USER alice", "S:+OK Send PASS", "C:PASS right-pass", "S:+OK Logged in",
		     "EOF" } },
	{ "lower-case verbs, password with spaces", .rc = 1, .logins = 1, .user = "alice",
	  .pass = "right pass ",
	  .steps = { GREET, "C:user alice", "S:+OK Send PASS", "C:pass right pass ",
		     "S:-ERR [AUTH] Invalid credentials", "C:QUIT", "S:+OK Bye", "EOF" } },
	{ "auth plain inline", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:AUTH PLAIN " PLAIN_OK, "S:+OK Logged in", "EOF" } },
	{ "auth plain with authzid", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:AUTH PLAIN YWxpY2UAYWxpY2UAcmlnaHQtcGFzcw==", "S:+OK Logged in", "EOF" } },
	{ "auth plain continued", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:AUTH PLAIN", "S:+ ", "C:" PLAIN_OK, "S:+OK Logged in", "EOF" } },
	{ "auth login", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:AUTH LOGIN", "S:+ VXNlcm5hbWU6", "C:YWxpY2U=", "S:+ UGFzc3dvcmQ6",
		     "C:cmlnaHQtcGFzcw==", "S:+OK Logged in", "EOF" } },
	{ "auth login with the user inline", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:AUTH LOGIN YWxpY2U=", "S:+ UGFzc3dvcmQ6",
		     "C:cmlnaHQtcGFzcw==", "S:+OK Logged in", "EOF" } },
	{ "auth cancelled", .rc = 1, .logins = 0,
	  .steps = { GREET, "C:AUTH PLAIN", "S:+ ", "C:*", "S:-ERR Authentication cancelled", "C:AUTH LOGIN",
		     "S:+ VXNlcm5hbWU6", "C:YWxpY2U=", "S:+ UGFzc3dvcmQ6", "C:*",
		     "S:-ERR Authentication cancelled", "C:QUIT", "S:+OK Bye", "EOF" } },
	{ "bad base64, authzid of someone else", .rc = 1, .logins = 0,
	  .steps = { GREET, "C:AUTH PLAIN AGFsaWNl!!!", "S:-ERR Invalid SASL response", "C:AUTH PLAIN",
		     "S:+ ", "C:Ym9iAGFsaWNlAHJpZ2h0LXBhc3M=", "S:-ERR Invalid SASL response",
		     "C:AUTH PLAIN =", "S:-ERR Invalid SASL response", "C:QUIT", "S:+OK Bye", "EOF" } },
	{ "wrong password then right", .rc = 0, .logins = 3, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:USER alice", "S:+OK Send PASS", "C:PASS wrong",
		     "S:-ERR [AUTH] Invalid credentials", "C:PASS right-pass", "S:-ERR Send USER first",
		     "C:AUTH PLAIN " PLAIN_WRONG, "S:-ERR [AUTH] Invalid credentials", "C:USER alice",
		     "S:+OK Send PASS", "C:PASS right-pass", "S:+OK Logged in", "EOF" } },
	{ "too many failures", .max_failures = 2, .rc = 1, .logins = 2,
	  .steps = { GREET, "C:USER alice", "S:+OK Send PASS", "C:PASS wrong",
		     "S:-ERR [AUTH] Invalid credentials", "C:AUTH PLAIN " PLAIN_WRONG,
		     "S:-ERR [AUTH] Invalid credentials; too many failures, closing", "EOF" } },
	{ "max_failures 0 means 3", .rc = 1, .logins = 3,
	  .steps = { GREET, "C:AUTH PLAIN " PLAIN_WRONG, "S:-ERR [AUTH] Invalid credentials",
		     "C:AUTH PLAIN " PLAIN_WRONG, "S:-ERR [AUTH] Invalid credentials",
		     "C:AUTH PLAIN " PLAIN_WRONG,
		     "S:-ERR [AUTH] Invalid credentials; too many failures, closing", "EOF" } },
	{ "temporary failure", .rc = 0, .logins = 3, .user = "alice",
	  .steps = { GREET, "C:USER temp", "S:+OK Send PASS", "C:PASS x", "S:-ERR [SYS/TEMP] " FE_TEMP_TEXT,
		     "C:AUTH PLAIN AHRlbXAAeA==", "S:-ERR [SYS/TEMP] " FE_TEMP_TEXT, "C:AUTH PLAIN " PLAIN_OK,
		     "S:+OK Logged in", "EOF" } },
	{ "capa, no TLS on the listener", .rc = 1,
	  .steps = { GREET, "C:CAPA", "S:+OK Capability list follows", "S:USER", "S:SASL PLAIN LOGIN",
		     "S:TOP", "S:UIDL", "S:RESP-CODES", "S:AUTH-RESP-CODE", "S:.", "C:STLS",
		     "S:-ERR STLS not available", "C:QUIT", "S:+OK Bye", "EOF" } },
	{ "capa with STLS, then STLS", .tls = true, .rc = 0, .logins = 1,
	  .steps = { GREET,
		     "C:CAPA",
		     "S:+OK Capability list follows",
		     "S:USER",
		     "S:SASL PLAIN LOGIN",
		     "S:STLS",
		     "S:TOP",
		     "S:UIDL",
		     "S:RESP-CODES",
		     "S:AUTH-RESP-CODE",
		     "S:.",
		     "C:USER alice",
		     "S:+OK Send PASS",
		     "C:STLS",
		     "S:+OK Begin TLS negotiation",
		     "TLS",
		     "C:PASS right-pass",
		     "S:-ERR Send USER first",
		     "C:CAPA",
		     "S:+OK Capability list follows",
		     "S:USER",
		     "S:SASL PLAIN LOGIN",
		     "S:TOP",
		     "S:UIDL",
		     "S:RESP-CODES",
		     "S:AUTH-RESP-CODE",
		     "S:.",
		     "C:STLS",
		     "S:-ERR TLS already active",
		     "C:AUTH PLAIN " PLAIN_OK,
		     "S:+OK Logged in",
		     "EOF" } },
	{ "require_tls", .tls = true, .require_tls = true, .rc = 0, .logins = 1, .user = "alice",
	  .steps = { GREET,
		     "C:CAPA",
		     "S:+OK Capability list follows",
		     "S:STLS",
		     "S:TOP",
		     "S:UIDL",
		     "S:RESP-CODES",
		     "S:AUTH-RESP-CODE",
		     "S:.",
		     "C:USER alice",
		     "S:-ERR [AUTH] TLS required first: send STLS",
		     "C:PASS right-pass",
		     "S:-ERR [AUTH] TLS required first: send STLS",
		     "C:AUTH PLAIN " PLAIN_OK,
		     "S:-ERR [AUTH] TLS required first: send STLS",
		     "C:AUTH",
		     "S:-ERR [AUTH] TLS required first: send STLS",
		     "C:STLS",
		     "S:+OK Begin TLS negotiation",
		     "TLS",
		     "C:USER alice",
		     "S:+OK Send PASS",
		     "C:PASS right-pass",
		     "S:+OK Logged in",
		     "EOF" } },
	{ "STLS with bytes after it is dropped", .tls = true, .rc = 1,
	  .steps = { GREET, "R:STLS\r\nCAPA\r\n", "S:+OK Begin TLS negotiation", "EOF" } },
	{ "bare AUTH lists the mechanisms, others refused", .rc = 1,
	  .steps = { GREET, "C:AUTH", "S:+OK", "S:PLAIN", "S:LOGIN", "S:.", "C:AUTH CRAM-MD5",
		     "P:-ERR Unsupported authentication mechanism", "C:AUTH XOAUTH2 abc",
		     "P:-ERR Unsupported authentication mechanism", "C:QUIT", "S:+OK Bye", "EOF" } },
	{ "commands that need a login, unknown, syntax", .rc = 1,
	  .steps = { GREET, "C:STAT", "S:-ERR Log in first (USER and PASS, or AUTH)", "C:NOOP",
		     "S:-ERR Log in first (USER and PASS, or AUTH)", "C:RETR 1",
		     "S:-ERR Log in first (USER and PASS, or AUTH)", "C:XYZZY", "S:-ERR Unknown command",
		     "C:USER", "S:-ERR USER needs a user name", "C:", "S:-ERR empty command line", "C:QUIT",
		     "S:+OK Bye", "EOF" } },
	{ "over-long line", .line_max = 64, .rc = 1,
	  .steps = { GREET, "L:64", "S:-ERR Unknown command", "L:65", "S:-ERR line too long", "EOF" } },
	{ "over-long SASL response", .line_max = 64, .rc = 1,
	  .steps = { GREET, "C:AUTH PLAIN", "S:+ ", "L:200", "S:-ERR line too long", "EOF" } },
	{ "max_commands", .max_commands = 3, .rc = 1,
	  .steps = { GREET, "C:NOOP", "P:-ERR", "C:NOOP", "P:-ERR", "C:NOOP", "P:-ERR", "C:NOOP",
		     "S:-ERR [SYS/PERM] Too many commands before login, closing", "EOF" } },
	{ "client leaves", .rc = 1, .steps = { GREET, "C:USER alice", "S:+OK Send PASS", "CLOSE" } },
	{ "client leaves mid-AUTH", .rc = 1, .steps = { GREET, "C:AUTH PLAIN", "S:+ ", "CLOSE" } },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fe_run(&cases[i], gw_front_pop3, GW_POP3, NULL);
}

/* -vv shows the dialogue but never the password, inline or continued. */
static void test_trace_redacted(void **state)
{
	static const struct fe_case c = {
		"trace",
		.rc = 0,
		.logins = 3,
		.steps = { GREET, "C:USER alice", "S:+OK Send PASS", "C:PASS wrong-pass-1",
			   "S:-ERR [AUTH] Invalid credentials", "C:AUTH PLAIN " PLAIN_WRONG,
			   "S:-ERR [AUTH] Invalid credentials", "C:AUTH LOGIN", "S:+ VXNlcm5hbWU6",
			   "C:YWxpY2U=", "S:+ UGFzc3dvcmQ6", "C:cmlnaHQtcGFzcw==", "S:+OK Logged in", "EOF" },
	};
	char *log = NULL;

	(void)state;
	fe_run(&c, gw_front_pop3, GW_POP3, &log);
	assert_non_null(log);
	assert_non_null(strstr(log, "USER <redacted>"));
	assert_null(strstr(log, "alice"));
	assert_non_null(strstr(log, "S: +OK Logged in\n"));
	assert_non_null(strstr(log, "PASS <redacted>"));
	assert_non_null(strstr(log, "AUTH PLAIN <redacted>"));
	assert_non_null(strstr(log, "+OK Logged in"));
	assert_null(strstr(log, "wrong-pass-1"));
	assert_null(strstr(log, PLAIN_WRONG));
	assert_null(strstr(log, "YWxpY2U="));
	assert_null(strstr(log, "cmlnaHQtcGFzcw=="));
	assert_null(strstr(log, "right-pass"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_trace_redacted),
	};
	return cmocka_run_group_tests(tests, fe_setup, fe_teardown);
}
