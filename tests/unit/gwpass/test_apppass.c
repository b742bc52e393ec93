/* App passwords on disk: add, verify (normalisation, wrong passwords, two
 * per account, another account's), revoke, touch, exists, and what a
 * damaged or unwritable state gives. */
#define _GNU_SOURCE /* mkdtemp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "common/secret.h"
#include "gateway/apppass.h"

static char top[64];
static char dir[128];

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/mk-gwpass.XXXXXX");
	if (mkdtemp(top) == NULL)
		return -1;
	/* Not there yet: add must create it, 0700. */
	snprintf(dir, sizeof(dir), "%s/state/sub", top);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static char *add(const char *account, const char *name)
{
	struct mk_error err;
	char *pw = NULL;

	mk_error_init(&err);
	if (gw_apppass_add(dir, account, name, &pw, &err) != 0)
		fail_msg("add %s %s: %s", account, name, err.msg);
	return pw;
}

static int verify(const char *account, const char *pw, char *name, struct mk_error *err)
{
	mk_error_init(err);
	return gw_apppass_verify(dir, account, pw, name, GW_APPPASS_NAME_MAX + 1, err);
}

static void test_add_verify(void **state)
{
	char name[GW_APPPASS_NAME_MAX + 1], path[256], typed[64];
	struct mk_error err;
	struct stat st;
	char *pw, *pw2;
	size_t j = 0;

	(void)state;
	pw = add("work", "scanner");
	/* 26 base32 letters in groups of four: 32 characters, 6 dashes. */
	assert_int_equal(strlen(pw), 32);
	for (size_t i = 0; i < 32; i++) {
		if (i % 5 == 4)
			assert_int_equal(pw[i], '-');
		else
			assert_true((pw[i] >= 'a' && pw[i] <= 'z') || (pw[i] >= '2' && pw[i] <= '7'));
	}
	snprintf(path, sizeof(path), "%s/app-passwords", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/app-passwords.lock", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(verify("work", pw, name, &err), 0);
	assert_string_equal(name, "scanner");
	/* As people type it: upper case, spaces for dashes, or none at all. */
	for (size_t i = 0; pw[i] != '\0'; i++)
		typed[j++] = pw[i] == '-' ? ' ' : (char)toupper((unsigned char)pw[i]);
	typed[j] = '\0';
	assert_int_equal(verify("work", typed, name, &err), 0);
	j = 0;
	for (size_t i = 0; pw[i] != '\0'; i++)
		if (pw[i] != '-')
			typed[j++] = pw[i];
	typed[j] = '\0';
	assert_int_equal(verify("work", typed, name, &err), 0);
	assert_int_equal(strlen(typed), 26);

	/* Wrong: one letter changed, one missing, one more, empty, junk. */
	typed[5] = typed[5] == 'a' ? 'b' : 'a';
	assert_int_equal(verify("work", typed, name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_string_equal(name, "");
	assert_null(strstr(err.msg, pw));
	typed[5] = pw[6];
	typed[25] = '\0';
	assert_int_equal(verify("work", typed, name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	typed[25] = pw[31];
	typed[26] = 'a';
	typed[27] = '\0';
	assert_int_equal(verify("work", typed, name, &err), -1);
	assert_int_equal(verify("work", "", name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_int_equal(verify("work", "----", name, &err), -1);
	assert_int_equal(verify("work",
				"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaaaa",
				name, &err),
			 -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);

	/* A second password for the same account; both work, each its own. */
	pw2 = add("work", "fetchmail");
	assert_string_not_equal(pw, pw2);
	assert_int_equal(verify("work", pw, name, &err), 0);
	assert_string_equal(name, "scanner");
	assert_int_equal(verify("work", pw2, name, &err), 0);
	assert_string_equal(name, "fetchmail");

	/* Account A's password is refused for account B, even when B has a
	 * password of the same name. */
	mk_secret_free_str(add("home", "scanner"));
	assert_int_equal(verify("home", pw, name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_int_equal(verify("nobody", pw, name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_true(gw_apppass_exists(dir, "work", "scanner"));
	assert_false(gw_apppass_exists(dir, "home", "fetchmail"));
	mk_secret_free_str(pw);
	mk_secret_free_str(pw2);
}

static void test_add_refuses(void **state)
{
	static char sentinel[] = "x";
	struct mk_error err;
	char *pw = sentinel;

	(void)state;
	mk_error_init(&err);
	assert_int_equal(gw_apppass_add(dir, "work", "scanner", &pw, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);
	assert_null(pw);
	assert_non_null(strstr(err.msg, "already has an app password named scanner"));
	assert_non_null(strstr(err.msg, "mailkey app-password revoke work scanner"));
	assert_int_equal(gw_apppass_add(dir, "work", "bad name", &pw, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);
	assert_int_equal(gw_apppass_add(dir, "work", "", &pw, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);
	assert_int_equal(gw_apppass_add(dir, "bad account", "x", &pw, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);
}

static void test_list(void **state)
{
	struct gw_apppass_info *v = NULL;
	struct mk_error err;
	size_t n = 0;

	(void)state;
	assert_int_equal(gw_apppass_list(dir, NULL, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "scanner");
	assert_string_equal(v[0].account, "work");
	assert_string_equal(v[1].name, "fetchmail");
	assert_string_equal(v[2].account, "home");
	assert_true(v[0].created > 1700000000);
	assert_int_equal(v[0].last_used, 0);
	free(v);
	assert_int_equal(gw_apppass_list(dir, "work", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	free(v);
	assert_int_equal(gw_apppass_list(dir, "nobody", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	free(v);
}

static time_t last_used(const char *account, const char *name)
{
	struct gw_apppass_info *v = NULL;
	struct mk_error err;
	time_t t = -1;
	size_t n = 0;

	assert_int_equal(gw_apppass_list(dir, account, &v, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			t = v[i].last_used;
	free(v);
	return t;
}

static ino_t inode(void)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/app-passwords", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void test_touch(void **state)
{
	struct mk_error err;
	ino_t ino;

	(void)state;
	mk_error_init(&err);
	assert_int_equal(gw_apppass_touch(dir, "work", "fetchmail", 100000, &err), 0);
	assert_int_equal(last_used("work", "fetchmail"), 100000);
	assert_int_equal(last_used("work", "scanner"), 0);
	/* Within 60 s of the stored use: nothing is written (the file is the
	 * same inode, as every write replaces it). */
	ino = inode();
	assert_int_equal(gw_apppass_touch(dir, "work", "fetchmail", 100059, &err), 0);
	assert_int_equal(inode(), ino);
	assert_int_equal(last_used("work", "fetchmail"), 100000);
	assert_int_equal(gw_apppass_touch(dir, "work", "fetchmail", 100060, &err), 0);
	assert_int_not_equal(inode(), ino);
	assert_int_equal(last_used("work", "fetchmail"), 100060);
	assert_int_equal(gw_apppass_touch(dir, "work", "nothere", 100060, &err), -1);
	assert_int_equal(err.cls, MK_ERR_NOINPUT);
}

static void test_revoke(void **state)
{
	char name[GW_APPPASS_NAME_MAX + 1];
	struct mk_error err;
	char *pw;

	(void)state;
	pw = add("work", "temp");
	assert_int_equal(verify("work", pw, name, &err), 0);
	assert_true(gw_apppass_exists(dir, "work", "temp"));
	mk_error_init(&err);
	assert_int_equal(gw_apppass_revoke(dir, "work", "temp", &err), 0);
	assert_false(gw_apppass_exists(dir, "work", "temp"));
	assert_int_equal(verify("work", pw, name, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_int_equal(gw_apppass_revoke(dir, "work", "temp", &err), -1);
	assert_int_equal(err.cls, MK_ERR_NOINPUT);
	assert_non_null(strstr(err.msg, "mailkey app-password list work"));
	assert_int_equal(gw_apppass_touch(dir, "work", "temp", 200000, &err), -1);
	assert_int_equal(err.cls, MK_ERR_NOINPUT);
	/* The others are untouched. */
	assert_true(gw_apppass_exists(dir, "work", "scanner"));
	assert_int_equal(last_used("work", "fetchmail"), 100060);
	/* The name is free again. */
	mk_secret_free_str(pw);
	pw = add("work", "temp");
	mk_secret_free_str(pw);
	assert_int_equal(gw_apppass_revoke(dir, "work", "temp", &err), 0);
}

static void test_damaged(void **state)
{
	char path[256], name[GW_APPPASS_NAME_MAX + 1];
	struct gw_apppass_info *v = NULL;
	struct mk_error err;
	size_t n;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/app-passwords", dir);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("v1 work cut 0011", fp);
	fclose(fp);
	mk_error_init(&err);
	assert_int_equal(gw_apppass_verify(dir, "work", "abcd", name, sizeof(name), &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "line 5: no newline"));
	assert_int_equal(gw_apppass_list(dir, NULL, &v, &n, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_false(gw_apppass_exists(dir, "work", "scanner"));
	/* Writers refuse to build on a damaged file rather than drop lines. */
	assert_int_equal(gw_apppass_revoke(dir, "work", "scanner", &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_int_equal(unlink(path), 0);
	/* No file at all is no passwords. */
	assert_int_equal(gw_apppass_verify(dir, "work", "abcd", name, sizeof(name), &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_false(gw_apppass_exists(dir, "work", "scanner"));
}

static void test_unwritable(void **state)
{
	char file[128], bad[160];
	struct mk_error err;
	char *pw = NULL;
	FILE *fp;

	(void)state;
	/* A state "directory" under a regular file cannot be made (works as
	 * root too, unlike a chmod). */
	snprintf(file, sizeof(file), "%s/plainfile", top);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(bad, sizeof(bad), "%s/state", file);
	mk_error_init(&err);
	assert_int_equal(gw_apppass_add(bad, "work", "x", &pw, &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
	assert_null(pw);
	assert_int_equal(gw_apppass_revoke(bad, "work", "x", &err), -1);
	assert_int_equal(err.cls, MK_ERR_IO);
}

int main(void)
{
	/* In order: each builds on the file the one before left. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_verify), cmocka_unit_test(test_add_refuses),
		cmocka_unit_test(test_list),	   cmocka_unit_test(test_touch),
		cmocka_unit_test(test_revoke),	   cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_unwritable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
