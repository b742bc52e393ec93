#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/queue/spool.h"
#include "cmocka_all.h"

static const char *const rc2[] = { "bob@example.test", "carol@example.test" };

static void test_env_round_trip(void **state)
{
	struct mk_spool_env_in in = { "acct", "", rc2, 2, 1700000000 };
	struct mk_spool_env env;
	struct mk_buf b;
	struct mk_error err;

	(void)state;
	mk_buf_init(&b, 1 << 20);
	assert_int_equal(mk_spool_env_format(&in, &b, &err), 0);
	assert_int_equal(mk_buf_addstr(&b, "Subject: x\n\nbody\n"), 0);
	assert_int_equal(mk_spool_env_parse(b.data, b.len, &env, &err), 0);
	assert_string_equal(env.account, "acct");
	assert_string_equal(env.from, ""); /* the null sender survives */
	assert_int_equal(env.nrcpt, 2);
	assert_string_equal(env.rcpts[1], "carol@example.test");
	assert_int_equal(env.queued, 1700000000);
	assert_string_equal(b.data + env.body_off, "Subject: x\n\nbody\n");
	mk_spool_env_free(&env);
	mk_buf_free(&b);
}

static void test_env_refused(void **state)
{
	static const char *const bad_rcpt[] = { "a@b\r\nRCPT TO:<x@y>" };
	static const char *const empty[] = { "" };
	struct mk_spool_env_in in = { "acct", "a@b", bad_rcpt, 1, 1 };
	struct mk_buf b;
	struct mk_error err;

	(void)state;
	mk_buf_init(&b, 1 << 20);
	assert_int_equal(mk_spool_env_format(&in, &b, &err), -1);
	in.rcpts = empty;
	assert_int_equal(mk_spool_env_format(&in, &b, &err), -1);
	in.nrcpt = 0;
	assert_int_equal(mk_spool_env_format(&in, &b, &err), -1);
	in.rcpts = rc2;
	in.nrcpt = 1;
	in.from = "x\ny";
	assert_int_equal(mk_spool_env_format(&in, &b, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	mk_buf_free(&b);
}

static void test_env_malformed(void **state)
{
	static const char *const cases[] = {
		"",
		"mailkey-queue 2\naccount a\nfrom \nrcpt b\nqueued 1\n\n",
		"mailkey-queue 1\naccount a\nfrom \nrcpt b\nqueued 1\n", /* no end */
		"mailkey-queue 1\naccount a\nfrom \nqueued 1\n\n",	 /* no rcpt */
		"mailkey-queue 1\nfrom \nrcpt b\nqueued 1\n\n",		 /* no account */
		"mailkey-queue 1\naccount a\nrcpt b\nqueued 1\n\n",	 /* no from */
		"mailkey-queue 1\naccount a\nfrom \nrcpt b\n\n",	 /* no queued */
		"mailkey-queue 1\naccount a\nfrom \nrcpt b\nqueued x\n\n",
		"mailkey-queue 1\naccount a\nfrom \nrcpt \nqueued 1\n\n",    /* empty rcpt */
		"mailkey-queue 1\naccount a\nfrom \nrcpt b\r\nqueued 1\n\n", /* CR */
		"mailkey-queue 1\naccount a\nfrom \nrcpt b\nnotify x\nqueued 1\n\n",
	};
	struct mk_spool_env env;
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mk_spool_env_parse(cases[i], strlen(cases[i]), &env, &err), -1);
		assert_int_equal(err.cls, MK_ERR_DATA);
		assert_null(env.account);
	}
}

static void test_state(void **state)
{
	struct mk_spool_state st = { 3, 1700000123, "451 4.3.0 try\nlater" }, got;
	struct mk_buf b;
	struct mk_error err;

	(void)state;
	mk_buf_init(&b, 4096);
	assert_int_equal(mk_spool_state_format(&st, &b), 0);
	assert_int_equal(mk_spool_state_parse(b.data, b.len, &got, &err), 0);
	assert_int_equal(got.attempts, 3);
	assert_int_equal(got.next, 1700000123);
	assert_string_equal(got.error, "451 4.3.0 try later"); /* one line */
	assert_int_equal(mk_spool_state_parse("attempts -1\n", 12, &got, &err), -1);
	assert_int_equal(got.attempts, 0);
	assert_int_equal(mk_spool_state_parse("future 1\nnext 5", 15, &got, &err), 0);
	assert_int_equal(got.next, 5);
	assert_int_equal(mk_spool_backoff(1), 60);
	assert_int_equal(mk_spool_backoff(2), 120);
	assert_int_equal(mk_spool_backoff(40), 4 * 3600);
	mk_buf_free(&b);
}

static void test_spool_files(void **state)
{
	char dir[] = "/tmp/mk-spool-test.XXXXXX", p[512], id[MK_SPOOL_ID_MAX], id2[MK_SPOOL_ID_MAX];
	struct mk_spool_env_in in = { "acct", "a@example.test", rc2, 1, 1700000000 };
	struct mk_spool_state st = { 1, 99, "421 bye" };
	struct mk_spool *sp = NULL;
	struct mk_spool_item *items = NULL;
	struct mk_buf b;
	struct mk_error err;
	struct stat s;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	mk_buf_init(&b, 1 << 20);
	assert_int_equal(mk_spool_open(dir, true, &sp, &err), 0);
	assert_int_equal(mk_spool_add(sp, &in, "M1\n", 3, id, &err), 0);
	assert_int_equal(mk_spool_add(sp, &in, "M2\n", 3, id2, &err), 0);
	assert_true(strcmp(id, id2) < 0); /* oldest first */
	snprintf(p, sizeof(p), "%s/queue/new/%s", dir, id);
	assert_int_equal(stat(p, &s), 0);
	assert_int_equal(s.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/queue/new", dir);
	assert_int_equal(stat(p, &s), 0);
	assert_int_equal(s.st_mode & 0777, 0700);
	assert_int_equal(mk_spool_set_state(sp, id, &st, &err), 0);
	assert_int_equal(mk_spool_list(sp, false, &items, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].id, id);
	assert_int_equal(items[0].size, 3);
	assert_int_equal(items[0].st.attempts, 1);
	assert_string_equal(items[0].st.error, "421 bye");
	assert_int_equal(items[1].st.attempts, 0);
	mk_spool_items_free(items, n);
	assert_int_equal(mk_spool_load(sp, id2, &b, &err), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "M2\n", 3);
	/* Sent: gone with its state; refused: in failed/ with the reply. */
	assert_int_equal(mk_spool_done(sp, id, &err), 0);
	assert_int_equal(mk_spool_fail(sp, id2, "554 no", NULL, &err), 0);
	assert_int_equal(mk_spool_list(sp, false, &items, &n, &err), 0);
	assert_int_equal(n, 0);
	free(items);
	assert_int_equal(mk_spool_list(sp, true, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(items[0].failed);
	assert_string_equal(items[0].st.error, "554 no");
	mk_spool_items_free(items, n);
	snprintf(p, sizeof(p), "%s/queue/state/%s", dir, id);
	assert_int_not_equal(stat(p, &s), 0);
	/* One run at a time. */
	{
		struct mk_spool *other = NULL;
		assert_int_equal(mk_spool_lock(sp, &err), 0);
		assert_int_equal(mk_spool_open(dir, false, &other, &err), 0);
		assert_int_equal(mk_spool_lock(other, &err), 1);
		mk_spool_free(&other);
	}
	mk_spool_free(&sp);
	mk_buf_free(&b);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_round_trip), cmocka_unit_test(test_env_refused),
		cmocka_unit_test(test_env_malformed),  cmocka_unit_test(test_state),
		cmocka_unit_test(test_spool_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
