#include <errno.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/error.h"

/* Written from sysexits(3), independently of the code's table. */
static const struct {
	enum mk_error_class cls;
	int code;
} map[] = {
	{ MK_ERR_NONE, 0 },	{ MK_ERR_INTERNAL, 70 }, { MK_ERR_CONN, 75 },	 { MK_ERR_PROTO, 76 },
	{ MK_ERR_IMPL, 69 },	{ MK_ERR_RESP, 69 },	 { MK_ERR_TEMP, 75 },	 { MK_ERR_CONFIG, 78 },
	{ MK_ERR_USAGE, 64 },	{ MK_ERR_AUTH, 77 },	 { MK_ERR_CONSENT, 77 }, { MK_ERR_DATA, 65 },
	{ MK_ERR_NOINPUT, 66 }, { MK_ERR_IO, 74 },
};

static void test_sysexit_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(map) / sizeof(map[0]), MK_ERR_CLASS_LAST);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		assert_int_equal(mk_error_to_sysexit(map[i].cls), map[i].code);
		assert_non_null(mk_error_class_name(map[i].cls));
	}
	assert_int_equal(mk_error_to_sysexit(MK_ERR_CLASS_LAST), 70);
	assert_int_equal(mk_error_to_sysexit((enum mk_error_class) - 1), 70);
}

static void test_set_and_prefix(void **state)
{
	struct mk_error err;

	(void)state;
	mk_error_init(&err);
	assert_int_equal(err.cls, MK_ERR_NONE);
	assert_int_equal(mk_error_set(&err, MK_ERR_TEMP, "server said %d", 421), -1);
	assert_int_equal(err.cls, MK_ERR_TEMP);
	assert_string_equal(err.msg, "server said 421");
	mk_error_prefix(&err, "smtp %s", "127.0.0.1");
	assert_string_equal(err.msg, "smtp 127.0.0.1: server said 421");
	assert_int_equal(err.cls, MK_ERR_TEMP);
	assert_int_equal(mk_error_set(NULL, MK_ERR_IO, "ignored"), -1);
	mk_error_errno(&err, MK_ERR_IO, ENOENT, "cannot open %s", "x");
	assert_string_equal(err.msg, "cannot open x: No such file or directory");
}

/* Overlong messages keep their start (outer context) and their last
 * quarter (hints, innermost reason), joined by " … " (mk_error_fit); with no
 * spaces to cut at, the cut points are exact. Exact texts, not "it fits". */
#define ELISION " \xe2\x80\xa6 "
#define TAIL ((MK_ERROR_MSG_SIZE - 1) / 4)
#define HEAD (MK_ERROR_MSG_SIZE - 1 - (sizeof(ELISION) - 1) - TAIL)

static void expect_fitted(const char *msg, const char *head, size_t head_len, char tail_ch)
{
	char want[MK_ERROR_MSG_SIZE];

	assert_int_equal(strlen(msg), MK_ERROR_MSG_SIZE - 1);
	memcpy(want, head, head_len);
	memset(want + head_len, 'a', HEAD - head_len);
	memcpy(want + HEAD, ELISION, sizeof(ELISION) - 1);
	memset(want + HEAD + sizeof(ELISION) - 1, tail_ch, TAIL);
	want[MK_ERROR_MSG_SIZE - 1] = '\0';
	assert_string_equal(msg, want);
}

static void test_long_messages_stay_terminated(void **state)
{
	struct mk_error err;
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk_error_set(&err, MK_ERR_PROTO, "%s", big);
	expect_fitted(err.msg, "", 0, 'a');

	/* A prefix goes in front; the end (the old message's last quarter) stays. */
	mk_error_prefix(&err, "context");
	expect_fitted(err.msg, "context: ", 9, 'a');
	assert_int_equal(err.cls, MK_ERR_PROTO);

	/* errno text appended to a full message keeps its place at the end. */
	mk_error_errno(&err, MK_ERR_IO, ENOENT, "%s", big);
	assert_int_equal(strlen(err.msg), MK_ERROR_MSG_SIZE - 1);
	assert_non_null(strstr(err.msg, ELISION));
	assert_string_equal(err.msg + strlen(err.msg) - strlen(": No such file or directory"),
			    ": No such file or directory");
	assert_int_equal(err.cls, MK_ERR_IO);
	/* a message that fits exactly is not cut at all */
	big[MK_ERROR_MSG_SIZE - 1] = '\0';
	mk_error_set(&err, MK_ERR_PROTO, "%s", big);
	assert_string_equal(err.msg, big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysexit_table),
		cmocka_unit_test(test_set_and_prefix),
		cmocka_unit_test(test_long_messages_stay_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
