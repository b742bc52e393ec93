/* gateway/smtp_front.c end to end over a socketpair (harness.c). */
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "harness.h"

#define GREET "S:220 gw.test ESMTP mailkey gateway"
#define PLAIN_OK "AGFsaWNlAHJpZ2h0LXBhc3M=" /* \0alice\0right-pass */
#define PLAIN_WRONG "AGFsaWNlAHdyb25n"	    /* \0alice\0wrong */
/* The EHLO reply of a listener without TLS, or after STARTTLS. */
#define EHLO_PLAIN                                                                                           \
	"S:250-gw.test", "S:250-PIPELINING", "S:250-8BITMIME", "S:250-ENHANCEDSTATUSCODES",                  \
		"S:250 AUTH PLAIN LOGIN"
#define OK235 "S:235 2.7.0 Authentication successful"
#define E535 "S:535 5.7.8 Authentication credentials invalid"

static const struct fe_case cases[] = {
	{ "ehlo without TLS, auth plain inline", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:EHLO client.example", EHLO_PLAIN, "C:AUTH PLAIN " PLAIN_OK, OK235, "EOF" } },
	{ "auth plain continued", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:ehlo client", EHLO_PLAIN, "C:AUTH PLAIN", "S:334 ", "C:" PLAIN_OK, OK235,
		     "EOF" } },
	{ "auth login", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH LOGIN", "S:334 VXNlcm5hbWU6",
		     "C:YWxpY2U=", "S:334 UGFzc3dvcmQ6", "C:cmlnaHQtcGFzcw==", OK235, "EOF" } },
	{ "auth login with the user inline", .rc = 0, .logins = 1, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH LOGIN YWxpY2U=", "S:334 UGFzc3dvcmQ6",
		     "C:cmlnaHQtcGFzcw==", OK235, "EOF" } },
	{ "HELO is enough for AUTH", .rc = 0, .logins = 1,
	  .steps = { GREET, "C:HELO client", "S:250 gw.test", "C:AUTH PLAIN " PLAIN_OK, OK235, "EOF" } },
	{ "cancel", .rc = 1, .logins = 0,
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN", "S:334 ", "C:*",
		     "S:501 5.7.0 Authentication cancelled", "C:AUTH LOGIN", "S:334 VXNlcm5hbWU6", "C:*",
		     "S:501 5.7.0 Authentication cancelled", "C:AUTH LOGIN YWxpY2U=", "S:334 UGFzc3dvcmQ6",
		     "C:*", "S:501 5.7.0 Authentication cancelled", "C:QUIT", "S:221 2.0.0 Bye", "EOF" } },
	{ "wrong password then right", .rc = 0, .logins = 3, .user = "alice", .pass = "right-pass",
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN " PLAIN_WRONG, E535, "C:AUTH LOGIN",
		     "S:334 VXNlcm5hbWU6", "C:YWxpY2U=", "S:334 UGFzc3dvcmQ6", "C:d3Jvbmc=", E535,
		     "C:AUTH PLAIN " PLAIN_OK, OK235, "EOF" } },
	{ "too many failures", .max_failures = 2, .rc = 1, .logins = 2,
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN " PLAIN_WRONG, E535,
		     "C:AUTH PLAIN " PLAIN_WRONG, E535,
		     "S:421 4.7.0 Too many failed authentications, closing", "EOF" } },
	{ "max_failures 0 means 3", .rc = 1, .logins = 3,
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN " PLAIN_WRONG, E535,
		     "C:AUTH PLAIN " PLAIN_WRONG, E535, "C:AUTH PLAIN " PLAIN_WRONG, E535,
		     "S:421 4.7.0 Too many failed authentications, closing", "EOF" } },
	{ "temporary failure is 454", .rc = 1, .logins = 1, .user = "temp", .pass = "x",
	  .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN AHRlbXAAeA==",
		     "S:454 4.7.0 " FE_TEMP_TEXT, "C:QUIT", "S:221 2.0.0 Bye", "EOF" } },
	{ "mail before auth", .rc = 1,
	  .steps = { GREET, "C:MAIL FROM:<a@b.example>", "S:530 5.7.0 Authentication required",
		     "C:EHLO client", EHLO_PLAIN, "C:MAIL FROM:<a@b.example>",
		     "S:530 5.7.0 Authentication required", "C:RCPT TO:<c@d.example>",
		     "S:530 5.7.0 Authentication required", "C:DATA", "S:530 5.7.0 Authentication required",
		     "C:QUIT", "S:221 2.0.0 Bye", "EOF" } },
	{ "auth before ehlo, bad mechanism, bad base64, syntax", .rc = 1,
	  .steps = { GREET,
		     "C:AUTH PLAIN " PLAIN_OK,
		     "S:503 5.5.1 Send EHLO first",
		     "C:EHLO client",
		     EHLO_PLAIN,
		     "C:AUTH CRAM-MD5",
		     "P:504 5.5.4 ",
		     "C:AUTH PLAIN !!!!",
		     "S:501 5.5.2 Cannot decode the SASL response",
		     "C:AUTH PLAIN =",
		     "S:501 5.5.2 Cannot decode the SASL response",
		     "C:AUTH",
		     "S:501 5.5.4 Syntax error: AUTH needs a SASL mechanism name",
		     "C:EHLO",
		     "S:501 5.5.4 Syntax error: EHLO needs a domain",
		     "C:FOO",
		     "S:500 5.5.1 Unrecognized command",
		     "C:RSET",
		     "S:250 2.0.0 Ok",
		     "C:NOOP",
		     "S:250 2.0.0 Ok",
		     "C:HELP",
		     "P:214 2.0.0 ",
		     "C:STARTTLS",
		     "S:502 5.5.1 STARTTLS not available",
		     "C:QUIT",
		     "S:221 2.0.0 Bye",
		     "EOF" } },
	{ "ehlo with STARTTLS; STARTTLS resets the state", .tls = true, .rc = 0, .logins = 1,
	  .steps = { GREET,
		     "C:EHLO client",
		     "S:250-gw.test",
		     "S:250-PIPELINING",
		     "S:250-8BITMIME",
		     "S:250-ENHANCEDSTATUSCODES",
		     "S:250-STARTTLS",
		     "S:250 AUTH PLAIN LOGIN",
		     "C:STARTTLS",
		     "S:220 2.0.0 Ready to start TLS",
		     "TLS",
		     "C:AUTH PLAIN " PLAIN_OK,
		     "S:503 5.5.1 Send EHLO first",
		     "C:EHLO client",
		     EHLO_PLAIN,
		     "C:STARTTLS",
		     "S:503 5.5.1 TLS already active",
		     "C:AUTH PLAIN " PLAIN_OK,
		     OK235,
		     "EOF" } },
	{ "require_tls: no AUTH before STARTTLS", .tls = true, .require_tls = true, .rc = 0, .logins = 1,
	  .steps = { GREET,
		     "C:EHLO client",
		     "S:250-gw.test",
		     "S:250-PIPELINING",
		     "S:250-8BITMIME",
		     "S:250-ENHANCEDSTATUSCODES",
		     "S:250 STARTTLS",
		     "C:AUTH PLAIN " PLAIN_OK,
		     "S:530 5.7.0 Must issue a STARTTLS command first",
		     "C:AUTH LOGIN",
		     "S:530 5.7.0 Must issue a STARTTLS command first",
		     "C:STARTTLS",
		     "S:220 2.0.0 Ready to start TLS",
		     "TLS",
		     "C:EHLO client",
		     EHLO_PLAIN,
		     "C:AUTH LOGIN YWxpY2U=",
		     "S:334 UGFzc3dvcmQ6",
		     "C:cmlnaHQtcGFzcw==",
		     OK235,
		     "EOF" } },
	{ "STARTTLS with bytes after it is dropped", .tls = true, .rc = 1,
	  .steps = { GREET, "C:EHLO client", "P:250-", "P:250-", "P:250-", "P:250-", "P:250-", "P:250 ",
		     "R:STARTTLS\r\nEHLO client\r\n", "S:220 2.0.0 Ready to start TLS", "EOF" } },
	{ "over-long line", .line_max = 64, .rc = 1,
	  .steps = { GREET, "L:64", "S:500 5.5.1 Unrecognized command", "L:65", "S:500 5.5.2 Line too long",
		     "EOF" } },
	{ "over-long SASL response", .line_max = 64, .rc = 1,
	  .steps = { GREET, "C:EHLO c", EHLO_PLAIN, "C:AUTH LOGIN", "S:334 VXNlcm5hbWU6", "L:65",
		     "S:500 5.5.2 Line too long", "EOF" } },
	{ "max_commands", .max_commands = 2, .rc = 1,
	  .steps = { GREET, "C:NOOP", "S:250 2.0.0 Ok", "C:NOOP", "S:250 2.0.0 Ok", "C:NOOP",
		     "S:421 4.7.0 Too many commands before authentication, closing", "EOF" } },
	{ "pipelined commands before AUTH", .rc = 0, .logins = 1,
	  .steps = { GREET, "R:EHLO client\r\nAUTH PLAIN " PLAIN_OK "\r\n", EHLO_PLAIN, OK235, "EOF" } },
	{ "client leaves", .rc = 1, .steps = { GREET, "C:EHLO client", EHLO_PLAIN, "CLOSE" } },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fe_run(&cases[i], gw_front_smtp, GW_SMTP, NULL);
}

static void test_trace_redacted(void **state)
{
	static const struct fe_case c = {
		"trace",
		.rc = 0,
		.logins = 2,
		.steps = { GREET, "C:EHLO client", EHLO_PLAIN, "C:AUTH PLAIN " PLAIN_WRONG, E535,
			   "C:AUTH LOGIN", "S:334 VXNlcm5hbWU6", "C:YWxpY2U=", "S:334 UGFzc3dvcmQ6",
			   "C:cmlnaHQtcGFzcw==", OK235, "EOF" },
	};
	char *log = NULL;

	(void)state;
	fe_run(&c, gw_front_smtp, GW_SMTP, &log);
	assert_non_null(log);
	assert_non_null(strstr(log, "EHLO client"));
	assert_non_null(strstr(log, "S: 250-PIPELINING\n")); /* one trace line per reply line */
	assert_non_null(strstr(log, "AUTH PLAIN <redacted>"));
	assert_non_null(strstr(log, "235 2.7.0"));
	assert_null(strstr(log, PLAIN_WRONG));
	assert_null(strstr(log, "YWxpY2U="));
	assert_null(strstr(log, "cmlnaHQtcGFzcw=="));
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
