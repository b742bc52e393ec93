/* The `relay` socketmap's key matching: Postfix's next-hop forms and the
 * sender address (smtp_sender_dependent_authentication). */
#include <string.h>

#include "broker/daemon/relay.h"
#include "cmocka_all.h"

static const struct {
	const char *key;
	bool match;
} cases[] = {
	{ "[smtp.gmail.com]:587", true },
	{ "smtp.gmail.com:587", true },
	{ "smtp.gmail.com", true },
	{ "[smtp.gmail.com]", true },
	{ "SMTP.Gmail.COM:587", true },	   /* host names are case-insensitive */
	{ "[smtp.gmail.com]:465", false }, /* another port is another server */
	{ "smtp.gmail.com:25", false },
	{ "smtp.gmail.co", false },
	{ "mtp.gmail.com", false },
	{ "smtp.gmail.com.evil", false },
	{ "me@gmail.com", true }, /* the sender address: the account's user */
	{ "ME@GMAIL.COM", true },
	{ "you@gmail.com", false },
	{ "office-relay", true },     /* relay_key */
	{ "[smtp.gmail.com", false }, /* broken forms match nothing */
	{ "[smtp.gmail.com]x", false },
	{ "smtp.gmail.com:", false },
	{ "smtp.gmail.com:0", false },
	{ "smtp.gmail.com:99999", false },
	{ "smtp.gmail.com:5x7", false },
	{ "", false },
	{ "[]:587", false },
};

static void test_table(void **state)
{
	struct mk_account a;
	char host[] = "smtp.gmail.com", user[] = "me@gmail.com", key[] = "office-relay";

	(void)state;
	memset(&a, 0, sizeof(a));
	a.smtp.host = host;
	a.smtp.port = 587;
	a.user = user;
	a.relay_key = key;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mk_relay_match(cases[i].key, &a) != cases[i].match)
			fail_msg("'%s': want %s", cases[i].key, cases[i].match ? "match" : "no match");
}

static void test_ipv6_and_no_smtp(void **state)
{
	struct mk_account a;
	char host[] = "::1", user[] = "u@x";

	(void)state;
	memset(&a, 0, sizeof(a));
	a.smtp.host = host;
	a.smtp.port = 465;
	a.user = user;
	assert_true(mk_relay_match("[::1]:465", &a));
	assert_true(mk_relay_match("::1", &a)); /* bare v6: no port */
	assert_false(mk_relay_match("[::1]:587", &a));
	assert_false(mk_relay_match("relay", &a));
	/* No smtp server and no relay_key: only the user matches. */
	a.smtp.host = NULL;
	assert_false(mk_relay_match("[::1]:465", &a));
	assert_true(mk_relay_match("u@x", &a));
	assert_false(mk_relay_match(NULL, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ipv6_and_no_smtp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
