#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/store/store.h"
#include "broker/store/store_format.h"
#include "cmocka_all.h"
#include "common/fsutil.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char nonce[12] = "nonce-nonce!";
static const char plain[] = "{\"version\":1,\"accounts\":{\"a\":{\"access_token\":\"secret\"}}}";

static void test_seal_unseal_roundtrip(void **state)
{
	struct mk_buf blob, out;
	struct mk_error err;

	(void)state;
	mk_buf_init(&blob, 1 << 16);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_seal(key, nonce, plain, strlen(plain), &blob, &err), 0);
	assert_int_equal(blob.len, 17 + strlen(plain) + 16);
	assert_memory_equal(blob.data, "MKST\x01", 5);
	assert_null(memmem(blob.data, blob.len, "secret", 6));
	assert_int_equal(mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &out, &err), 0);
	assert_string_equal(mk_buf_str(&out), plain);
	mk_buf_free(&blob);
	mk_buf_free(&out);
}

static void test_every_flipped_byte_detected(void **state)
{
	struct mk_buf blob, out;
	struct mk_error err;

	(void)state;
	mk_buf_init(&blob, 1 << 16);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_seal(key, nonce, plain, strlen(plain), &blob, &err), 0);
	for (size_t i = 0; i < blob.len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			blob.data[i] ^= (char)(1u << bit);
			assert_int_equal(
				mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &out, &err), -1);
			assert_int_equal(err.cls, MK_ERR_DATA);
			assert_int_equal(out.len, 0);
			blob.data[i] ^= (char)(1u << bit);
		}
	}
	mk_buf_free(&blob);
	mk_buf_free(&out);
}

static void test_every_truncation_detected(void **state)
{
	struct mk_buf blob, out;
	struct mk_error err;

	(void)state;
	mk_buf_init(&blob, 1 << 16);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_seal(key, nonce, plain, strlen(plain), &blob, &err), 0);
	for (size_t n = 0; n < blob.len; n++) {
		assert_int_equal(mk_store_unseal(key, (unsigned char *)blob.data, n, &out, &err), -1);
		assert_int_equal(err.cls, MK_ERR_DATA);
		assert_int_equal(out.len, 0);
	}
	mk_buf_free(&blob);
	mk_buf_free(&out);
}

static void test_wrong_key_and_version(void **state)
{
	struct mk_buf blob, out;
	struct mk_error err;
	unsigned char other[32];

	(void)state;
	memcpy(other, key, 32);
	other[31] ^= 1;
	mk_buf_init(&blob, 1 << 16);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_seal(key, nonce, plain, strlen(plain), &blob, &err), 0);
	assert_int_equal(mk_store_unseal(other, (unsigned char *)blob.data, blob.len, &out, &err), -1);
	assert_non_null(strstr(err.msg, "wrong key"));
	blob.data[4] = 2;
	assert_int_equal(mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &out, &err), -1);
	assert_non_null(strstr(err.msg, "version 2"));
	mk_buf_free(&blob);
	mk_buf_free(&out);
}

/* Add one account; no cmocka asserts, so a forked child can use it too
 * (cmocka's state lives in the parent: a failed assert in a child would be
 * reported by nobody). Returns 0, or the number of the step that failed. */
static int try_put_one(struct mk_store *s, const char *name, const char *tok)
{
	struct mk_tokens t = { 0 };
	struct mk_error err;
	json_t *doc = NULL;
	int rc = 0;

	t.access_token = (char *)(uintptr_t)tok;
	if (mk_store_lock(s, &err) != 0)
		return 1;
	if (mk_store_read(s, &doc, &err) != 0)
		rc = 2;
	else if (mk_store_put(doc, name, &t, &err) != 0)
		rc = 3;
	else if (mk_store_write(s, doc, &err) != 0)
		rc = 4;
	mk_store_unlock(s);
	json_decref(doc);
	return rc;
}

static void put_one(struct mk_store *s, const char *name, const char *tok)
{
	assert_int_equal(try_put_one(s, name, tok), 0);
}

/* Each file-system test gets its own /tmp/mk-store-* directory, removed
 * with everything in it (the key file too) by the teardown, which cmocka
 * runs also when the test fails. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tmpdir_setup(void **state)
{
	char *d = strdup("/tmp/mk-store-test.XXXXXX");

	if (d == NULL || mkdtemp(d) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	char *d = *state;
	int rc = nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(d);
	return rc;
}

/* An empty ciphertext (a file of header and tag only) computed NULL + 0 on
 * the unallocated output buffer: undefined, and clang's UBSan aborts. The
 * outside review's input must fail the tag; an empty plaintext sealed for
 * real must round-trip. */
static void test_empty_ciphertext(void **state)
{
	static const unsigned char review[] = "MKST\x01"
					      "abcdefghi6789adef"
					      "0\xc6"
					      "234"
					      "3\xcc\xc1"
					      "679";
	struct mk_buf blob, out;
	struct mk_error err;

	(void)state;
	assert_int_equal(sizeof(review) - 1, MK_STORE_HEADER_LEN + MK_STORE_TAG_LEN);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_unseal(key, review, sizeof(review) - 1, &out, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_string_equal(err.msg, "wrong key or corrupted (authentication tag mismatch)");
	assert_int_equal(out.len, 0);

	mk_buf_init(&blob, 1 << 16);
	assert_int_equal(mk_store_seal(key, nonce, "", 0, &blob, &err), 0);
	assert_int_equal(blob.len, MK_STORE_HEADER_LEN + MK_STORE_TAG_LEN);
	assert_int_equal(mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &out, &err), 0);
	assert_int_equal(out.len, 0);
	mk_buf_free(&blob);
	mk_buf_free(&out);
}

static void test_file_store_and_corruption(void **state)
{
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	json_t *doc = NULL;
	struct stat st;
	char path[256], before[4096];
	FILE *fp;
	size_t n;

	const char *base = *state;
	char dir[64];

	snprintf(dir, sizeof(dir), "%s/state", base);
	assert_int_equal(mk_store_new(dir, NULL, &s, &err), 0);
	put_one(s, "alice", "token-a");
	put_one(s, "bob", "token-b");
	assert_int_equal(mk_store_read(s, &doc, &err), 0);
	assert_int_equal(mk_store_get(doc, "alice", &t, &err), 0);
	assert_string_equal(t.access_token, "token-a");
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_get(doc, "carol", &t, &err), 1);
	json_decref(doc);
	assert_int_equal(stat(mk_store_path(s), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/store.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* corrupt the file: a clear error naming it, and the file untouched */
	fp = fopen(mk_store_path(s), "r+b");
	n = fread(before, 1, sizeof(before), fp);
	fseek(fp, 30, SEEK_SET);
	fputc(before[30] ^ 0x40, fp);
	fclose(fp);
	assert_int_equal(mk_store_read(s, &doc, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, mk_store_path(s)));
	fp = fopen(mk_store_path(s), "rb");
	assert_int_equal(fread(path, 1, 31, fp), 31);
	fclose(fp);
	assert_int_equal(path[30], (char)(before[30] ^ 0x40));
	assert_true(n > 31);
	mk_store_free(&s);
}

/* Two processes adding different accounts at once lose neither update.
 * The children only report through their exit status; the parent asserts. */
static void test_concurrent_writers(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	json_t *doc = NULL;
	pid_t kids[2];

	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct mk_store *cs = NULL;
			char name[32];
			int rc = 0;
			if (mk_store_new(d, NULL, &cs, &err) != 0)
				_exit(10);
			for (int i = 0; i < 20 && rc == 0; i++) {
				snprintf(name, sizeof(name), "p%d-%d", k, i);
				rc = try_put_one(cs, name, name);
			}
			mk_store_free(&cs);
			_exit(rc);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("writer %d failed (%s %d)", k, WIFEXITED(st) ? "step" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	assert_int_equal(mk_store_read(s, &doc, &err), 0);
	assert_int_equal(json_object_size(json_object_get(doc, "accounts")), 40);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 20; i++) {
			char name[32];
			struct mk_tokens t;
			snprintf(name, sizeof(name), "p%d-%d", k, i);
			assert_int_equal(mk_store_get(doc, name, &t, &err), 0);
			assert_string_equal(t.access_token, name);
			mk_tokens_clear(&t);
		}
	json_decref(doc);
	mk_store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_unseal_roundtrip),
		cmocka_unit_test(test_every_flipped_byte_detected),
		cmocka_unit_test(test_every_truncation_detected),
		cmocka_unit_test(test_wrong_key_and_version),
		cmocka_unit_test(test_empty_ciphertext),
		cmocka_unit_test_setup_teardown(test_file_store_and_corruption, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
