#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "common/fsutil.h"

static int setup(void **state)
{
	char *d = strdup("/tmp/mk-fsutil.XXXXXX");

	if (mkdtemp(d) == NULL)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_atomic_write_replace(void **state)
{
	const char *dir = *state;
	char path[512];
	struct mk_error err;
	struct mk_buf b;
	struct stat st;

	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(mk_fs_write_atomic(path, "first", 5, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mk_fs_write_atomic(path, "second!", 7, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 7);
	mk_buf_init(&b, 100);
	assert_int_equal(mk_fs_read_file(path, &b, &err), 0);
	assert_string_equal(mk_buf_str(&b), "second!");
	/* no temp file left behind */
	assert_int_equal(count_entries(dir), 1);
	mk_buf_free(&b);
}

static void test_atomic_write_failure_keeps_old(void **state)
{
	const char *dir = *state;
	char path[512], blocker[512], bad[600];
	struct mk_error err;
	struct mk_buf b;

	snprintf(path, sizeof(path), "%s/keep", dir);
	assert_int_equal(mk_fs_write_atomic(path, "old", 3, 0600, &err), 0);
	/* Renaming a file over a non-empty directory fails even for root. */
	snprintf(blocker, sizeof(blocker), "%s/blocker", dir);
	assert_int_equal(mkdir(blocker, 0700), 0);
	snprintf(bad, sizeof(bad), "%s/inner", blocker);
	assert_int_equal(mk_fs_write_atomic(bad, "x", 1, 0600, &err), 0);
	assert_int_equal(mk_fs_write_atomic(blocker, "new", 3, 0600, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	assert_non_null(strstr(err.msg, blocker));
	/* a missing directory: no temp file can be made */
	snprintf(bad, sizeof(bad), "%s/missing/file", dir);
	assert_int_equal(mk_fs_write_atomic(bad, "new", 3, 0600, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	/* a file where the directory should be */
	snprintf(bad, sizeof(bad), "%s/keep/file", dir);
	assert_int_equal(mk_fs_write_atomic(bad, "new", 3, 0600, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	mk_buf_init(&b, 100);
	assert_int_equal(mk_fs_read_file(path, &b, &err), 0);
	assert_string_equal(mk_buf_str(&b), "old");
	assert_int_equal(count_entries(dir), 2); /* keep + blocker, no temp files */
	assert_int_equal(count_entries(blocker), 1);
	mk_buf_free(&b);
}

static void test_read_file_errors(void **state)
{
	const char *dir = *state;
	char path[512];
	struct mk_error err;
	struct mk_buf b;

	snprintf(path, sizeof(path), "%s/nope", dir);
	mk_buf_init(&b, 4);
	assert_int_equal(mk_fs_read_file(path, &b, &err), -1);
	assert_int_equal(err.cls, MK_ERR_NOINPUT);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(mk_fs_write_atomic(path, "12345", 5, 0600, &err), 0);
	assert_int_equal(mk_fs_read_file(path, &b, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	mk_buf_free(&b);
	/* exactly the cap is fine; one byte over fails and leaves what the
	 * buffer held before */
	mk_buf_init(&b, 7);
	assert_int_equal(mk_buf_addstr(&b, "ab"), 0);
	assert_int_equal(mk_fs_read_file(path, &b, &err), 0);
	assert_string_equal(mk_buf_str(&b), "ab12345");
	mk_buf_truncate(&b, 3);
	assert_int_equal(mk_fs_read_file(path, &b, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_string_equal(mk_buf_str(&b), "ab1");
	/* a directory is not a file to read */
	assert_int_equal(mk_fs_read_file(dir, &b, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	assert_string_equal(mk_buf_str(&b), "ab1");
	mk_buf_free(&b);
}

static void test_mkdir_p(void **state)
{
	const char *dir = *state;
	char path[512];
	struct mk_error err;
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* directories made on the way get the mode too */
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* without tighten an existing mode is left alone */
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 0, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	/* trailing slash */
	snprintf(path, sizeof(path), "%s/d/e/", dir);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 1, &err), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(mk_fs_write_atomic(path, "x", 1, 0600, &err), 0);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 1, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	assert_int_equal(mk_fs_mkdir_p(path, 0700, 1, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	assert_int_equal(mk_fs_mkdir_p("", 0700, 1, &err), -1);
}

static void test_dirname(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = { { "a/b", "a" }, { "/x", "/" }, { "x", "." }, { "/a/b/c", "/a/b" } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = mk_fs_dirname(cases[i].in);
		assert_string_equal(d, cases[i].out);
		free(d);
	}
}

static void test_xdg_path(void **state)
{
	char *p;

	(void)state;
	setenv("HOME", "/home/u", 1);
	unsetenv("MK_TEST_OVERRIDE");
	unsetenv("MK_TEST_XDG");
	p = mk_fs_xdg_path("MK_TEST_OVERRIDE", "MK_TEST_XDG", ".config", "mailkey/config");
	assert_string_equal(p, "/home/u/.config/mailkey/config");
	free(p);
	setenv("MK_TEST_XDG", "relative/ignored", 1); /* XDG: relative paths are invalid */
	p = mk_fs_xdg_path("MK_TEST_OVERRIDE", "MK_TEST_XDG", ".config", "mailkey/config");
	assert_string_equal(p, "/home/u/.config/mailkey/config");
	free(p);
	setenv("MK_TEST_XDG", "/xdg", 1);
	p = mk_fs_xdg_path("MK_TEST_OVERRIDE", "MK_TEST_XDG", ".config", "mailkey/config");
	assert_string_equal(p, "/xdg/mailkey/config");
	free(p);
	setenv("MK_TEST_OVERRIDE", "/explicit", 1);
	p = mk_fs_xdg_path("MK_TEST_OVERRIDE", "MK_TEST_XDG", ".config", "mailkey/config");
	assert_string_equal(p, "/explicit");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_write_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_failure_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
		cmocka_unit_test(test_dirname),
		cmocka_unit_test(test_xdg_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
