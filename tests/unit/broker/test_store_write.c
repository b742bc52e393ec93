/* How the store creates its key and replaces its file: what a killed write
 * leaves behind, damaged key files, and the check a login makes first. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/store/store.h"
#include "cmocka_all.h"
#include "common/fsutil.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mk-storew-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static void empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) != 0 && strcmp(de->d_name, "accounts") == 0) {
			char sub[128];
			snprintf(sub, sizeof(sub), "%s/accounts", path);
			empty_dir(sub);
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
	closedir(d);
}

/* Leave nothing in /tmp (the directory holds key files). */
static int teardown(void **state)
{
	(void)state;
	empty_dir(dir);
	return rmdir(dir);
}

static char *path_of(const char *name)
{
	static char p[2][128];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void put_file(const char *name, const char *data, size_t len)
{
	int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static off_t size_of(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) == 0 ? st.st_size : -1;
}

/* Store one token for account "a" in a fresh handle. */
static int save(const char *tok, struct mk_error *err)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	char buf[64];
	int rc = -1;

	snprintf(buf, sizeof(buf), "%s", tok);
	t.access_token = buf;
	if (mk_store_new(dir, NULL, &s, err) == 0 && mk_store_put(s, "a", &t, err) == 0)
		rc = 0;
	mk_store_free(&s);
	return rc;
}

/* The stored token of "a" (heap), or NULL with err set. */
static char *load(struct mk_error *err)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	char *r = NULL;

	if (mk_store_new(dir, NULL, &s, err) == 0 && mk_store_read(s, "a", &t, NULL, err) == 0 &&
	    t.access_token != NULL)
		r = strdup(t.access_token);
	mk_tokens_clear(&t);
	mk_store_free(&s);
	return r;
}

static void test_stale_temps_removed_on_write(void **state)
{
	struct mk_error err;
	char *tok;

	(void)state;
	assert_int_equal(save("one", &err), 0);
	/* What killed writes leave: temp files of the store and of the key. */
	put_file("accounts/a.tok.tmp.AbC123", "half", 4);
	put_file("accounts/a.tok.tmp.zzzzzz", "", 0);
	put_file("store.key.tmp.Q1w2e3", "", 0);
	put_file("accounts/a.tok.tmpfile", "x", 1); /* not ours: stays */
	put_file("other.tmp.abcdef", "x", 1);
	assert_int_equal(save("two", &err), 0);
	assert_int_equal(size_of("accounts/a.tok.tmp.AbC123"), -1);
	assert_int_equal(size_of("accounts/a.tok.tmp.zzzzzz"), -1);
	assert_int_equal(size_of("store.key.tmp.Q1w2e3"), -1);
	assert_int_equal(size_of("accounts/a.tok.tmpfile"), 1);
	assert_int_equal(size_of("other.tmp.abcdef"), 1);
	tok = load(&err);
	assert_non_null(tok);
	assert_string_equal(tok, "two");
	free(tok);
}

static void test_empty_key_without_store_is_replaced(void **state)
{
	struct mk_error err;
	char *tok;

	(void)state;
	/* What an older mailkey killed between creating and writing the key
	 * left: nothing was encrypted with it, so a new key loses nothing. */
	put_file("store.key", "", 0);
	assert_int_equal(save("fresh", &err), 0);
	assert_int_equal(size_of("store.key"), 32);
	tok = load(&err);
	assert_non_null(tok);
	assert_string_equal(tok, "fresh");
	free(tok);
}

static void test_damaged_key_with_store_is_an_error(void **state)
{
	struct mk_error err;
	struct stat before, after;
	char *tok;

	(void)state;
	assert_int_equal(save("kept", &err), 0);
	assert_int_equal(stat(path_of("accounts/a.tok"), &before), 0);
	put_file("store.key", "12345", 5);
	tok = load(&err);
	assert_null(tok);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, path_of("store.key")));
	assert_non_null(strstr(err.msg, "5 bytes"));
	assert_non_null(strstr(err.msg, "restore"));
	/* A write must not replace a key the store depends on. */
	assert_int_equal(save("other", &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_int_equal(size_of("store.key"), 5);
	assert_int_equal(stat(path_of("accounts/a.tok"), &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
}

static void test_check_before_login(void **state)
{
	struct mk_store *s = NULL;
	struct mk_error err;
	char other[32];

	(void)state;
	/* Nothing there yet: fine, and nothing is made but the directory. */
	assert_int_equal(mk_store_new(dir, NULL, &s, &err), 0);
	assert_int_equal(mk_store_check(s, &err), 0);
	mk_store_free(&s);
	assert_int_equal(size_of("store.key"), -1);
	assert_int_equal(size_of("accounts/a.tok"), -1);
	/* A store under another key: the check fails the way a read would. */
	assert_int_equal(save("x", &err), 0);
	memset(other, 'k', sizeof(other));
	put_file("store.key", other, sizeof(other));
	assert_int_equal(mk_store_new(dir, NULL, &s, &err), 0);
	assert_int_equal(mk_store_check(s, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, path_of("accounts/a.tok")));
	mk_store_free(&s);
	/* A failing key_command is found before any flow starts. */
	assert_int_equal(mk_store_new(dir, "exit 3", &s, &err), 0);
	unlink(path_of("accounts/a.tok"));
	assert_int_equal(mk_store_check(s, &err), -1);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	mk_store_free(&s);
}

static void test_create_exclusive_one_winner(void **state)
{
	enum { N = 8 };
	pid_t pids[N];
	int won = 0, lost = 0, winner = -1;
	struct mk_error err;
	struct mk_buf b;
	char data[N][33];

	(void)state;
	for (int i = 0; i < N; i++)
		snprintf(data[i], sizeof(data[i]), "key-of-creator-%d-padding-......", i);
	/* Racing creators: exactly one wins, the file is whole. Children only
	 * report through their exit status (no cmocka in a child). */
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct mk_error e;
			_exit(mk_fs_create_exclusive(path_of("k"), data[i], 32, 0600, &e) + 10);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 10) {
			won++;
			winner = i;
		} else if (WEXITSTATUS(st) == 11) {
			lost++;
		}
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, N - 1);
	mk_buf_init(&b, 64);
	assert_int_equal(mk_fs_read_file(path_of("k"), &b, &err), 0);
	assert_int_equal(b.len, 32);
	assert_memory_equal(b.data, data[winner], 32);
	mk_buf_free(&b);
	/* Losers leave no temp file. */
	assert_int_equal(mk_fs_remove_temps(path_of("k")), 0);
	/* An existing file is never touched. */
	assert_int_equal(mk_fs_create_exclusive(path_of("k"), "other", 5, 0600, &err), 1);
	assert_int_equal(size_of("k"), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_temps_removed_on_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_key_without_store_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_key_with_store_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_before_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_exclusive_one_winner, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
