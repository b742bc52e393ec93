/* How error messages are put together: context in front, the whole never cut
 * inside a word, the login hint once and naming the account, secrets
 * redacted. Expected texts are written out in full. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/error.h"

static const char ellipsis[] = " \xe2\x80\xa6 ";

/* The reported case: a server's refusal of about 250 bytes as context in
 * front of the refresh failure came out as "...could not be ha: refreshing". */
static void test_long_prefix_is_kept_whole(void **state)
{
	char first[400], want[MK_ERROR_MSG_SIZE];
	struct mk_error err;

	(void)state;
	snprintf(first, sizeof(first),
		 "smtp 127.0.0.1:587 refused the token: 535 5.7.8 Error: authentication failed: %s",
		 "(reason unavailable) and the rest of a long reply that a real server can send back "
		 "when it explains in some detail what it did not like about the login it was offered "
		 "by this client");
	mk_error_set(&err, MK_ERR_TEMP, "cannot reach the token endpoint of account lab");
	mk_error_prefix(&err, "%.400s; a new token could not be had", first);
	snprintf(want, sizeof(want),
		 "%s; a new token could not be had: cannot reach the token endpoint of account lab", first);
	assert_true(strlen(first) > 256);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.cls, MK_ERR_TEMP);
}

static void test_prefix_and_errno_exact(void **state)
{
	struct mk_error err;

	(void)state;
	mk_error_set(&err, MK_ERR_CONN, "connection refused");
	mk_error_prefix(&err, "refreshing account %s failed", "lab");
	mk_error_prefix(&err, "cannot send");
	assert_string_equal(err.msg, "cannot send: refreshing account lab failed: connection refused");
	mk_error_errno(&err, MK_ERR_IO, ENOENT, "cannot read %s", "/nonexistent/config");
	assert_string_equal(err.msg, "cannot read /nonexistent/config: No such file or directory");
	assert_int_equal(err.cls, MK_ERR_IO);
}

/* Words "w0000 w0001 ..." so every cut can be checked against a word edge. */
static void words(char *dst, size_t n_words, const char *end)
{
	size_t o = 0;

	for (size_t i = 0; i < n_words; i++)
		o += (size_t)snprintf(dst + o, 16, "%sw%04zu", i ? " " : "", i);
	memcpy(dst + o, end, strlen(end) + 1);
}

static void assert_elided_at_words(const char *got, const char *full)
{
	const char *e = strstr(got, ellipsis), *tail;
	size_t h;

	assert_non_null(e);
	assert_null(strstr(e + 1, ellipsis));
	assert_true(strlen(got) < MK_ERROR_MSG_SIZE);
	assert_true(strlen(got) > MK_ERROR_MSG_SIZE - 64); /* not cut needlessly short */
	h = (size_t)(e - got);
	/* The start is the original's start, ending at the end of a word. */
	assert_memory_equal(got, full, h);
	assert_true(full[h] == ' ' || full[h] == ':' || full[h] == ';');
	/* The end is the original's end, starting at the start of a word. */
	tail = e + strlen(ellipsis);
	assert_string_equal(full + strlen(full) - strlen(tail), tail);
	assert_int_equal(full[strlen(full) - strlen(tail) - 1], ' ');
}

static void test_overlong_keeps_start_and_hint(void **state)
{
	static char inner[3000], full[3200];
	struct mk_error err;

	(void)state;
	words(inner, 400, ": run `mailkey login lab`");
	mk_error_set(&err, MK_ERR_CONSENT, "%s", inner);
	assert_elided_at_words(err.msg, inner);
	assert_non_null(strstr(err.msg, "w0000 w0001"));
	assert_non_null(strstr(err.msg, "w0399: run `mailkey login lab`"));

	mk_error_set(&err, MK_ERR_CONSENT, "%s", "the grant is gone: run `mailkey login lab`");
	words(full, 300, "");
	mk_error_prefix(&err, "%s", full);
	snprintf(full + strlen(full), sizeof(full) - strlen(full), ": %s",
		 "the grant is gone: run `mailkey login lab`");
	assert_elided_at_words(err.msg, full);
	assert_string_equal(err.msg + strlen(err.msg) - strlen("the grant is gone: run `mailkey login lab`"),
			    "the grant is gone: run `mailkey login lab`");
	assert_int_equal(err.cls, MK_ERR_CONSENT);

	/* errno text stays at the end of an over-long message. */
	words(full, 400, "");
	mk_error_errno(&err, MK_ERR_IO, ENOSPC, "%s", full);
	assert_string_equal(err.msg + strlen(err.msg) - strlen(": No space left on device"),
			    ": No space left on device");
}

/* Text without spaces is cut between characters, never inside one. */
static void test_fit_keeps_utf8_whole(void **state)
{
	static char src[3000];
	char dst[100];
	size_t n = 0;

	(void)state;
	while (n + 2 < sizeof(src) - 1) {
		memcpy(src + n, "\xc3\xa9", 2); /* é */
		n += 2;
	}
	src[n] = '\0';
	mk_error_fit(dst, sizeof(dst), src);
	assert_true(strlen(dst) < sizeof(dst));
	for (const char *p = dst; *p != '\0';) {
		if (strncmp(p, ellipsis, strlen(ellipsis)) == 0) {
			p += strlen(ellipsis);
			continue;
		}
		assert_memory_equal(p, "\xc3\xa9", 2);
		p += 2;
	}
	assert_int_equal(mk_error_fit(dst, sizeof(dst), "short"), 5);
	assert_string_equal(dst, "short");
}

static void test_login_hint_table(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		/* invalid_grant on refresh: the provider's generic hint gets the name */
		{ "refreshing account lab failed: the provider refused: invalid_grant (grant request is "
		  "invalid): the grant is no longer valid: run `mailkey login` again",
		  "refreshing account lab failed: the provider refused: invalid_grant (grant request is "
		  "invalid): the grant is no longer valid: run `mailkey login lab` again" },
		/* the old "... (run `mailkey login lab`)" double */
		{ "refreshing account lab failed: the provider refused: invalid_grant: the grant is no "
		  "longer valid: run `mailkey login` again (run `mailkey login lab`)",
		  "refreshing account lab failed: the provider refused: invalid_grant: the grant is no "
		  "longer valid (run `mailkey login lab`)" },
		/* a stored last error inside parentheses */
		{ "account lab needs a new login (the provider refused: invalid_grant: the grant is no "
		  "longer valid: run `mailkey login` again): run `mailkey login lab`",
		  "account lab needs a new login (the provider refused: invalid_grant: the grant is no "
		  "longer valid): run `mailkey login lab`" },
		/* a server's refusal, then the refresh that failed too */
		{ "smtp 127.0.0.1:587 refused the token: it is expired, revoked or for another user; run "
		  "`mailkey refresh ACCOUNT` or `mailkey login ACCOUNT`; a new token could not be had: "
		  "refreshing account lab failed: the provider refused: invalid_grant: the grant is no "
		  "longer valid: run `mailkey login` again",
		  "smtp 127.0.0.1:587 refused the token: it is expired, revoked or for another user; a new "
		  "token could not be had: refreshing account lab failed: the provider refused: "
		  "invalid_grant: the grant is no longer valid: run `mailkey login lab` again" },
		/* none yet: added */
		{ "account lab has no tokens yet", "account lab has no tokens yet: run `mailkey login lab`" },
		{ "", "run `mailkey login lab`" },
		/* already right: unchanged */
		{ "account lab has no tokens yet: run `mailkey login lab`",
		  "account lab has no tokens yet: run `mailkey login lab`" },
		/* an option is a different instruction, not the hint */
		{ "nothing was pasted; run `mailkey login --manual` again",
		  "nothing was pasted; run `mailkey login --manual` again: run `mailkey login lab`" },
	};
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mk_error_set(&err, MK_ERR_CONSENT, "%s", t[i].in);
		mk_error_login_hint(&err, "lab");
		assert_string_equal(err.msg, t[i].want);
		assert_int_equal(err.cls, MK_ERR_CONSENT);
	}
}

static void test_hint_once_keeps_the_last(void **state)
{
	char s[256];

	(void)state;
	snprintf(s, sizeof(s), "%s",
		 "the server refused; run `mailkey login a`; a new token could not be had: no tokens: run "
		 "`mailkey login b`");
	mk_error_hint_once(s);
	assert_string_equal(
		s, "the server refused; a new token could not be had: no tokens: run `mailkey login b`");
	snprintf(s, sizeof(s), "%s", "plain text without any hint");
	mk_error_hint_once(s);
	assert_string_equal(s, "plain text without any hint");
	/* nothing to cut it at: left as it is rather than garbled */
	snprintf(s, sizeof(s), "%s", "`mailkey login a` `mailkey login b`");
	mk_error_hint_once(s);
	assert_string_equal(s, "`mailkey login a` `mailkey login b`");
}

static void test_redact_table(void **state)
{
	const char *secrets[] = { "RT-5ecret-refresh", NULL, "ab", "AT-access-token", "AT-access" };
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "the provider refused: invalid_grant (refresh token RT-5ecret-refresh is invalid)",
		  "the provider refused: invalid_grant (refresh token <redacted> is invalid)" },
		{ "RT-5ecret-refreshRT-5ecret-refresh", "<redacted><redacted>" },
		/* the longest secret wins where two start at the same byte */
		{ "token=AT-access-token;", "token=<redacted>;" },
		{ "token=AT-access-tok", "token=<redacted>-tok" },
		/* too short to redact: would eat ordinary text */
		{ "about ab", "about ab" },
		{ "", "" },
	};
	char s[128];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(s, sizeof(s), "%s", t[i].in);
		mk_error_redact(s, sizeof(s), secrets, sizeof(secrets) / sizeof(secrets[0]));
		assert_string_equal(s, t[i].want);
	}
	/* Grows past the buffer: the end is elided, no part of a secret stays. */
	char small[40];
	const char *one[] = { "sec1" };
	snprintf(small, sizeof(small), "%s", "sec1 sec1 sec1 sec1 sec1 sec1 sec1");
	mk_error_redact(small, sizeof(small), one, 1);
	assert_null(strstr(small, "sec"));
	assert_true(strlen(small) < sizeof(small));
}

/* The hints name the command that works where the message is read: the
 * system service's admin is told `sudo mailkey --system ...`. */
static void test_hint_cmd_both_modes(void **state)
{
	struct mk_error err;
	char buf[256];

	(void)state;
	mk_hint_set_system(false);
	assert_string_equal(mk_hint_cmd(), "mailkey");
	assert_string_equal(mk_hint_subst(buf, sizeof(buf), "expired: run `mailkey login` again"),
			    "expired: run `mailkey login` again");
	mk_error_set(&err, MK_ERR_CONSENT, "account lab has no tokens yet");
	mk_error_login_hint(&err, "lab");
	assert_string_equal(err.msg, "account lab has no tokens yet: run `mailkey login lab`");

	mk_hint_set_system(true);
	assert_string_equal(mk_hint_cmd(), "sudo mailkey --system");
	assert_string_equal(mk_hint_subst(buf, sizeof(buf), "expired: run `mailkey login` again"),
			    "expired: run `sudo mailkey --system login` again");
	/* too small: cut, never past the end */
	assert_string_equal(mk_hint_subst(buf, 12, "x `mailkey login`"), "x `sudo mai");
	/* added, generic forms named, in the system form */
	mk_error_set(&err, MK_ERR_CONSENT, "account lab has no tokens yet");
	mk_error_login_hint(&err, "lab");
	assert_string_equal(err.msg, "account lab has no tokens yet: run `sudo mailkey --system login lab`");
	mk_error_set(&err, MK_ERR_CONSENT, "the grant is no longer valid: run `mailkey login` again");
	mk_error_login_hint(&err, "lab");
	assert_string_equal(err.msg,
			    "the grant is no longer valid: run `sudo mailkey --system login lab` again");
	mk_error_set(&err, MK_ERR_CONSENT, "revoked: run `sudo mailkey --system login ACCOUNT` again");
	mk_error_login_hint(&err, "lab");
	assert_string_equal(err.msg, "revoked: run `sudo mailkey --system login lab` again");
	/* a system-form hint counts as the hint: not added twice */
	mk_error_set(&err, MK_ERR_CONSENT,
		     "account lab needs a new login: run `sudo mailkey --system login lab`");
	mk_error_login_hint(&err, "lab");
	assert_string_equal(err.msg, "account lab needs a new login: run `sudo mailkey --system login lab`");
	/* said once, the last kept */
	snprintf(buf, sizeof(buf),
		 "refresh failed (run `sudo mailkey --system login lab`): run `sudo mailkey --system login "
		 "lab`");
	mk_error_hint_once(buf);
	assert_string_equal(buf, "refresh failed: run `sudo mailkey --system login lab`");
	mk_hint_set_system(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_prefix_is_kept_whole),
		cmocka_unit_test(test_prefix_and_errno_exact),
		cmocka_unit_test(test_overlong_keeps_start_and_hint),
		cmocka_unit_test(test_fit_keeps_utf8_whole),
		cmocka_unit_test(test_login_hint_table),
		cmocka_unit_test(test_hint_cmd_both_modes),
		cmocka_unit_test(test_hint_once_keeps_the_last),
		cmocka_unit_test(test_redact_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
