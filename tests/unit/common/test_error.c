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

/* Overlong messages are cut to MK_ERROR_MSG_SIZE - 1 bytes, the end going
 * first; a prefix goes in front (itself cut to 253 bytes plus ": ") and the
 * old message loses its end to make room. Exact texts, not just "it fits". */
static void test_long_messages_stay_terminated(void **state)
{
	struct mk_error err;
	char big[3000], want[MK_ERROR_MSG_SIZE];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk_error_set(&err, MK_ERR_PROTO, "%s", big);
	memset(want, 'a', MK_ERROR_MSG_SIZE - 1);
	want[MK_ERROR_MSG_SIZE - 1] = '\0';
	assert_string_equal(err.msg, want);

	mk_error_prefix(&err, "context");
	memcpy(want, "context: ", 9);
	memset(want + 9, 'a', MK_ERROR_MSG_SIZE - 1 - 9);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.cls, MK_ERR_PROTO);

	/* A 2999-byte prefix: 253 of its bytes, ": ", then the old message's
	 * first 768 bytes ("context: aaa..."). */
	big[0] = 'P';
	mk_error_prefix(&err, "%s", big);
	memset(want, 'a', sizeof(want));
	want[0] = 'P';
	memcpy(want + 253, ": context: ", 11);
	want[MK_ERROR_MSG_SIZE - 1] = '\0';
	assert_string_equal(err.msg, want);

	/* errno text appended to a full message is cut, not overflowed */
	mk_error_errno(&err, MK_ERR_IO, ENOENT, "%s", big);
	memset(want, 'a', sizeof(want));
	want[0] = 'P';
	want[MK_ERROR_MSG_SIZE - 1] = '\0';
	assert_string_equal(err.msg, want);
	/* and to a message one byte short of full: ":" fits, nothing more */
	big[MK_ERROR_MSG_SIZE - 2] = '\0';
	mk_error_errno(&err, MK_ERR_IO, ENOENT, "%s", big);
	memcpy(want, big, MK_ERROR_MSG_SIZE - 2);
	want[MK_ERROR_MSG_SIZE - 2] = ':';
	want[MK_ERROR_MSG_SIZE - 1] = '\0';
	assert_string_equal(err.msg, want);
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
