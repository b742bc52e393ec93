/* Per-source limits: the connection caps, the failure window, and a flood
 * of sources that must neither grow the table nor let a blocked source in
 * while it is under attack from one address. */
#include <pthread.h>
#include <stdio.h>

#include "cmocka_all.h"
#include "gateway/limit.h"

static void test_conn_caps(void **state)
{
	struct gw_limit_params p = { .max_connections = 5, .max_per_source = 2 };
	struct gw_limit *l = gw_limit_new(&p);

	(void)state;
	assert_non_null(l);
	assert_true(gw_limit_conn_open(l, "10.0.0.1"));
	assert_true(gw_limit_conn_open(l, "10.0.0.1"));
	assert_false(gw_limit_conn_open(l, "10.0.0.1")); /* per source */
	assert_true(gw_limit_conn_open(l, "10.0.0.2"));
	assert_true(gw_limit_conn_open(l, "::1"));
	assert_true(gw_limit_conn_open(l, "::1"));
	assert_false(gw_limit_conn_open(l, "10.0.0.3")); /* all sources */
	gw_limit_conn_close(l, "10.0.0.1");
	assert_true(gw_limit_conn_open(l, "10.0.0.3"));
	assert_false(gw_limit_conn_open(l, "10.0.0.1"));
	gw_limit_conn_close(l, "::1");
	assert_true(gw_limit_conn_open(l, "10.0.0.1"));
	assert_false(gw_limit_conn_open(l, "10.0.0.1"));
	gw_limit_free(&l);
	assert_null(l);
	gw_limit_free(&l);
}

static void test_defaults(void **state)
{
	struct gw_limit_params p = { 0 };
	struct gw_limit *l = gw_limit_new(&p);
	int opened = 0;

	(void)state;
	for (int i = 0; i < 60; i++)
		opened += gw_limit_conn_open(l, "1.2.3.4");
	assert_int_equal(opened, 50);
	for (int i = 0; i < 300; i++) {
		char src[32];
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		opened += gw_limit_conn_open(l, src);
	}
	assert_int_equal(opened, 200);
	for (int i = 0; i < 9; i++)
		gw_limit_login_failed(l, "5.5.5.5", 1000);
	assert_int_equal(gw_limit_login_wait(l, "5.5.5.5", 1000), 0);
	gw_limit_login_failed(l, "5.5.5.5", 1000);
	assert_int_equal(gw_limit_login_wait(l, "5.5.5.5", 1000), 600);
	gw_limit_free(&l);
}

static void test_window(void **state)
{
	struct gw_limit_params p = { .max_failures = 3, .window_s = 100 };
	struct gw_limit *l = gw_limit_new(&p);

	(void)state;
	assert_int_equal(gw_limit_login_wait(l, "a", 1000), 0);
	gw_limit_login_failed(l, "a", 1000);
	gw_limit_login_failed(l, "a", 1010);
	assert_int_equal(gw_limit_login_wait(l, "a", 1010), 0);
	gw_limit_login_failed(l, "a", 1020);
	/* Blocked until the window that began at the first failure ends. */
	assert_int_equal(gw_limit_login_wait(l, "a", 1020), 80);
	assert_int_equal(gw_limit_login_wait(l, "a", 1099), 1);
	assert_int_equal(gw_limit_login_wait(l, "b", 1020), 0); /* others unaffected */
	assert_int_equal(gw_limit_login_wait(l, "a", 1100), 0);
	/* A new window: old failures no longer count. */
	gw_limit_login_failed(l, "a", 1100);
	gw_limit_login_failed(l, "a", 1150);
	assert_int_equal(gw_limit_login_wait(l, "a", 1150), 0);
	/* Failures spread wider than the window never block. */
	gw_limit_login_failed(l, "c", 0);
	gw_limit_login_failed(l, "c", 60);
	gw_limit_login_failed(l, "c", 120);
	gw_limit_login_failed(l, "c", 180);
	assert_int_equal(gw_limit_login_wait(l, "c", 180), 0);
	gw_limit_free(&l);
}

/* A flood of one-shot sources: the table stays bounded (what the test can
 * see: old idle sources are forgotten), a source with open connections is
 * never forgotten, and a blocked source outlives the flood. */
static void test_eviction(void **state)
{
	struct gw_limit_params p = {
		.max_connections = 10, .max_per_source = 1, .max_failures = 1, .window_s = 1000
	};
	struct gw_limit *l = gw_limit_new(&p);
	char src[48];
	time_t now;

	(void)state;
	assert_true(gw_limit_conn_open(l, "keep"));
	gw_limit_login_failed(l, "blocked", 10);
	gw_limit_login_failed(l, "old", 10); /* blocked too, but older than the flood */
	assert_true(gw_limit_login_wait(l, "blocked", 10) > 0);
	for (int i = 0; i < 200000; i++) {
		snprintf(src, sizeof(src), "2001:db8::%x", i);
		gw_limit_login_failed(l, src, 10); /* each blocked, then never seen again */
		if (i % 1000 == 0)
			assert_true(gw_limit_login_wait(l, "blocked", 10) > 0);
	}
	/* "keep" was not evicted: its open connection still counts. */
	assert_false(gw_limit_conn_open(l, "keep"));
	gw_limit_conn_close(l, "keep");
	assert_true(gw_limit_conn_open(l, "keep"));
	/* The flood's early sources were forgotten (the table is bounded),
	 * the latest remembered. */
	assert_int_equal(gw_limit_login_wait(l, "2001:db8::0", 10), 0);
	snprintf(src, sizeof(src), "2001:db8::%x", 199999);
	assert_true(gw_limit_login_wait(l, src, 10) > 0);
	gw_limit_free(&l);

	/* With idle, unblocked sources to evict, blocked ones stay (real
	 * time here: conn_open judges "blocked" by the clock). */
	l = gw_limit_new(&p);
	now = time(NULL);
	gw_limit_login_failed(l, "blocked", now);
	for (int i = 0; i < 100000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_true(gw_limit_conn_open(l, src));
		gw_limit_conn_close(l, src);
	}
	assert_true(gw_limit_login_wait(l, "blocked", now) > 990);
	gw_limit_free(&l);
}

static struct gw_limit *shared;

static void *worker(void *arg)
{
	char src[32];

	snprintf(src, sizeof(src), "10.9.9.%d", (int)(long)arg);
	for (int i = 0; i < 20000; i++) {
		if (gw_limit_conn_open(shared, src))
			gw_limit_conn_close(shared, src);
		gw_limit_login_failed(shared, src, i);
		(void)gw_limit_login_wait(shared, src, i);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct gw_limit_params p = { .max_connections = 3, .max_per_source = 1 };
	pthread_t t[4];
	int n = 0;

	(void)state;
	shared = gw_limit_new(&p);
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* Every open was closed: the whole cap is free again. */
	for (int i = 0; i < 5; i++) {
		char src[16];
		snprintf(src, sizeof(src), "s%d", i);
		n += gw_limit_conn_open(shared, src);
	}
	assert_int_equal(n, 3);
	gw_limit_free(&shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_caps), cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_window),	  cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
