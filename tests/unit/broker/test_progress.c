/* The waiting line when standard error is not a terminal: printed when its
 * text changes or once a minute, not every 30 s unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/oauth/flow.h"
#include "cmocka_all.h"

static void test_log_gets_a_line_per_minute_or_change(void **state)
{
	struct mk_oauth_params p = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	(void)state;
	assert_non_null(fp);
	p.progress = fp;
	p.progress_is_tty = false;
	/* The flows call it once a second. */
	for (int left = 300; left >= 0; left--)
		mk_oauth_progress(&p, "waiting for consent in your browser", left);
	mk_oauth_progress(&p, "exchanging the code", 0);
	mk_oauth_progress(&p, "exchanging the code", 0);
	fclose(fp);
	assert_string_equal(out, "waiting for consent in your browser… 5:00 left\n"
				 "waiting for consent in your browser… 4:00 left\n"
				 "waiting for consent in your browser… 3:00 left\n"
				 "waiting for consent in your browser… 2:00 left\n"
				 "waiting for consent in your browser… 1:00 left\n"
				 "waiting for consent in your browser… 0:00 left\n"
				 "exchanging the code… 0:00 left\n");
	free(out);
}

static void test_tty_rewrites_in_place(void **state)
{
	struct mk_oauth_params p = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	(void)state;
	assert_non_null(fp);
	p.progress = fp;
	p.progress_is_tty = true;
	mk_oauth_progress(&p, "waiting", 61);
	mk_oauth_progress(&p, "waiting", 60);
	mk_oauth_progress_end(&p);
	fclose(fp);
	assert_string_equal(out, "\r\033[Kwaiting… 1:01 left\r\033[Kwaiting… 1:00 left\r\033[K");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_gets_a_line_per_minute_or_change),
		cmocka_unit_test(test_tty_rewrites_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
