/* The pages a person sees (web/web.c): texts per mode and page, backticks
 * as <code>, everything escaped. */
#include <string.h>

#include "cmocka_all.h"
#include "web/web.h"

static const char *render(enum mk_web_page page, bool opened, const char *detail, struct mk_buf *b)
{
	const struct mk_web_ctx ctx = { "lab", detail, opened };

	mk_buf_reset(b);
	assert_int_equal(mk_web_render_page(page, &ctx, b), 0);
	return mk_buf_str(b);
}

static void test_stale_per_mode(void **state)
{
	struct mk_buf b;
	const char *h;

	(void)state;
	mk_buf_init(&b, 1 << 16);
	h = render(MK_WEB_STALE, true, NULL, &b);
	assert_null(strchr(h, '`'));
	assert_non_null(strstr(h, "start <code>mailkey login</code> again"));
	assert_non_null(strstr(h, "the browser tab that mailkey opened"));
	h = render(MK_WEB_STALE, false, NULL, &b);
	assert_null(strchr(h, '`'));
	assert_null(strstr(h, "mailkey opened"));
	assert_non_null(strstr(h, "the address that mailkey printed"));
	assert_non_null(strstr(h, "<code>mailkey login</code>"));
	mk_buf_free(&b);
}

static void test_provider_error_or_ours(void **state)
{
	struct mk_buf b;
	const char *h;

	(void)state;
	mk_buf_init(&b, 1 << 16);
	h = render(MK_WEB_ERROR, true, "invalid_scope", &b);
	assert_non_null(strstr(h, "The provider reported an error"));
	h = render(MK_WEB_FAILED, true, "run `mailkey login lab` again", &b);
	assert_null(strstr(h, "provider"));
	assert_non_null(strstr(h, "mailkey could not finish the login"));
	assert_non_null(strstr(h, "run <code>mailkey login lab</code> again"));
	assert_null(strchr(h, '`'));
	mk_buf_free(&b);
}

/* A detail from the provider stays text: escaped inside and outside <code>;
 * an unpaired backtick is left alone. */
static void test_detail_escaped(void **state)
{
	struct mk_buf b;
	const char *h;

	(void)state;
	mk_buf_init(&b, 1 << 16);
	h = render(MK_WEB_DENIED, true, "`<img src=x>` & <b>`", &b);
	assert_non_null(strstr(h, "<code>&lt;img src=x&gt;</code> &amp; &lt;b&gt;`"));
	assert_null(strstr(h, "<img"));
	mk_buf_free(&b);
}

/* Both colour schemes are defined (the headings had light values only). */
static void test_dark_scheme(void **state)
{
	struct mk_buf b;
	const char *h;

	(void)state;
	mk_buf_init(&b, 1 << 16);
	h = render(MK_WEB_SUCCESS, true, NULL, &b);
	assert_non_null(strstr(h, "@media (prefers-color-scheme: dark)"));
	assert_non_null(strstr(strstr(h, "prefers-color-scheme: dark"), "--ok:"));
	assert_non_null(strstr(strstr(h, "prefers-color-scheme: dark"), "--bad:"));
	mk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_per_mode),
		cmocka_unit_test(test_provider_error_or_ours),
		cmocka_unit_test(test_detail_escaped),
		cmocka_unit_test(test_dark_scheme),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
