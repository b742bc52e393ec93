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
 * reported by nobody). Returns 0, or 1 when it failed. */
static int try_put_one(struct mk_store *s, const char *name, const char *tok)
{
	struct mk_tokens t = { 0 };
	struct mk_error err;

	t.access_token = (char *)(uintptr_t)tok;
	return mk_store_put(s, name, &t, &err) != 0;
}

static void put_one(struct mk_store *s, const char *name, const char *tok)
{
	assert_int_equal(try_put_one(s, name, tok), 0);
}

/* A record sealed for one account does not open as another's. */
static void test_record_bound_to_name(void **state)
{
	struct mk_buf blob, out;
	struct mk_error err;

	(void)state;
	mk_buf_init(&blob, 1 << 16);
	mk_buf_init_secret(&out, 1 << 16);
	assert_int_equal(mk_store_seal_record(key, nonce, "alice", plain, strlen(plain), &blob, &err), 0);
	assert_memory_equal(blob.data, "MKST\x02", 5);
	assert_int_equal(
		mk_store_unseal_record(key, "alice", (unsigned char *)blob.data, blob.len, &out, &err), 0);
	assert_memory_equal(out.data, plain, strlen(plain));
	mk_buf_reset(&out);
	assert_int_equal(
		mk_store_unseal_record(key, "alicf", (unsigned char *)blob.data, blob.len, &out, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_int_equal(
		mk_store_unseal_record(key, "alic", (unsigned char *)blob.data, blob.len, &out, &err), -1);
	/* Nor is a record taken for the old single-file store, or back. */
	assert_int_equal(mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &out, &err), -1);
	assert_int_equal(out.len, 0);
	mk_buf_free(&blob);
	mk_buf_free(&out);
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

static char *record_of(const char *dir, const char *name)
{
	static char p[2][256];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/accounts/%s.tok", dir, name);
	return p[i];
}

static void test_file_store_and_corruption(void **state)
{
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	struct stat st;
	char path[256], before[4096];
	uint64_t gen;
	FILE *fp;
	size_t n;

	const char *base = *state;
	char dir[64];

	snprintf(dir, sizeof(dir), "%s/state", base);
	assert_int_equal(mk_store_new(dir, NULL, &s, &err), 0);
	put_one(s, "alice", "token-a");
	put_one(s, "bob", "token-b");
	assert_int_equal(mk_store_read(s, "alice", &t, &gen, &err), 0);
	assert_string_equal(t.access_token, "token-a");
	assert_int_equal(gen, 1);
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_read(s, "carol", &t, &gen, &err), 1);
	assert_int_equal(gen, 0);
	assert_null(t.access_token);
	assert_int_equal(stat(record_of(dir, "alice"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/accounts", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/accounts/alice.lock", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/store.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* corrupt alice's record: a clear error naming it, the record
	 * untouched (a write refuses too), and bob unaffected */
	fp = fopen(record_of(dir, "alice"), "r+b");
	n = fread(before, 1, sizeof(before), fp);
	fseek(fp, 30, SEEK_SET);
	fputc(before[30] ^ 0x40, fp);
	fclose(fp);
	assert_int_equal(mk_store_read(s, "alice", &t, &gen, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, record_of(dir, "alice")));
	assert_non_null(strstr(err.msg, "left untouched"));
	assert_int_equal(try_put_one(s, "alice", "token-new"), 1);
	assert_int_equal(mk_store_read(s, "bob", &t, &gen, &err), 0);
	assert_string_equal(t.access_token, "token-b");
	mk_tokens_clear(&t);
	fp = fopen(record_of(dir, "alice"), "rb");
	assert_int_equal(fread(path, 1, 31, fp), 31);
	fclose(fp);
	assert_int_equal(path[30], (char)(before[30] ^ 0x40));
	assert_true(n > 31);
	mk_store_free(&s);
}

/* One account's record copied over another's is detected (the name is
 * bound in), named, and not overwritten. */
static void test_record_swap_detected(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	struct mk_buf b, after;
	uint64_t gen;

	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	put_one(s, "alice", "token-a");
	put_one(s, "mallory", "token-m");
	mk_buf_init(&b, 1 << 16);
	mk_buf_init(&after, 1 << 16);
	assert_int_equal(mk_fs_read_file(record_of(d, "mallory"), &b, &err), 0);
	assert_int_equal(mk_fs_write_atomic(record_of(d, "alice"), b.data, b.len, 0600, &err), 0);
	assert_int_equal(mk_store_read(s, "alice", &t, &gen, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, record_of(d, "alice")));
	assert_null(t.access_token);
	assert_int_equal(try_put_one(s, "alice", "token-x"), 1);
	assert_int_equal(mk_fs_read_file(record_of(d, "alice"), &after, &err), 0);
	assert_int_equal(after.len, b.len);
	assert_memory_equal(after.data, b.data, b.len);
	mk_buf_free(&b);
	mk_buf_free(&after);
	mk_store_free(&s);
}

/* The generation grows with each write; a write with a stale one is
 * refused and changes nothing (compare-and-swap). */
static void test_generation_checked(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_store_lock *l = NULL;
	struct mk_tokens t = { 0 }, cur;
	struct mk_error err;
	uint64_t gen;

	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	put_one(s, "a", "one");
	put_one(s, "a", "two");
	assert_int_equal(mk_store_read(s, "a", &cur, &gen, &err), 0);
	assert_int_equal(gen, 2);
	mk_tokens_clear(&cur);
	t.access_token = (char *)(uintptr_t) "stale";
	assert_int_equal(mk_store_lock(s, "a", &l, &err), 0);
	assert_int_equal(mk_store_write(s, l, &t, 1, &err), -1);
	assert_int_equal(err.cls, MK_ERR_TEMP);
	assert_int_equal(mk_store_write(s, l, &t, 0, &err), -1);
	assert_int_equal(mk_store_remove(s, l, 1, &err), -1);
	assert_int_equal(mk_store_write(s, l, &t, 2, &err), 0);
	mk_store_unlock(s, &l);
	assert_null(l);
	assert_int_equal(mk_store_read(s, "a", &cur, &gen, &err), 0);
	assert_int_equal(gen, 3);
	assert_string_equal(cur.access_token, "stale");
	mk_tokens_clear(&cur);
	/* remove, then nothing stored */
	assert_int_equal(mk_store_put(s, "a", NULL, &err), 0);
	assert_int_equal(mk_store_read(s, "a", &cur, &gen, &err), 1);
	assert_int_equal(gen, 0);
	assert_int_equal(mk_store_put(s, "a", NULL, &err), 0);
	mk_store_free(&s);
}

static int collect(const char *account, void *arg)
{
	char *list = arg;
	size_t n = strlen(list);

	snprintf(list + n, 256 - n, "%s|", account);
	return 0;
}

/* Names outside the plain characters cannot reach out of the directory
 * and come back from list as they went in. */
static void test_names_escaped_and_listed(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	char list[256] = "|", path[256];
	struct stat st;

	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	put_one(s, "../x", "t1");
	put_one(s, ".hidden", "t2");
	put_one(s, "a%b c", "t3");
	put_one(s, "me@example.org", "t4");
	snprintf(path, sizeof(path), "%s/x.tok", d);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/accounts/me@example.org.tok", d);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(mk_store_list(s, collect, list, &err), 0);
	assert_non_null(strstr(list, "|../x|"));
	assert_non_null(strstr(list, "|.hidden|"));
	assert_non_null(strstr(list, "|a%b c|"));
	assert_non_null(strstr(list, "|me@example.org|"));
	assert_int_equal(strlen(list), strlen("|../x|.hidden|a%b c|me@example.org|"));
	assert_int_equal(mk_store_read(s, "a%b c", &t, NULL, &err), 0);
	assert_string_equal(t.access_token, "t3");
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_read(s, "", &t, NULL, &err), -1);
	mk_store_free(&s);
}

/* A lock held on one account does not hold up another account's
 * read-modify-write. The child holds "a" until the parent has written "b";
 * with one lock for all the parent would wait forever (the alarm fails it). */
static void test_locks_per_account(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	int locked[2], go[2], st;
	char c;
	pid_t kid;

	assert_int_equal(pipe(locked), 0);
	assert_int_equal(pipe(go), 0);
	kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		struct mk_store *cs = NULL;
		struct mk_store_lock *l = NULL;
		if (mk_store_new(d, NULL, &cs, &err) != 0 || mk_store_lock(cs, "a", &l, &err) != 0)
			_exit(1);
		if (write(locked[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		mk_store_unlock(cs, &l);
		mk_store_free(&cs);
		_exit(0);
	}
	assert_int_equal(read(locked[0], &c, 1), 1);
	alarm(20);
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	put_one(s, "b", "token-b");
	alarm(0);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(kid, &st, 0), kid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	put_one(s, "a", "token-a");
	mk_store_free(&s);
	close(locked[0]);
	close(locked[1]);
	close(go[0]);
	close(go[1]);
}

/* An old single-file store, as mailkeys before records wrote it. */
static void write_legacy(const char *dir, const char *doc)
{
	unsigned char k[32];
	struct mk_buf blob;
	struct mk_error err;
	char path[256];

	memset(k, 'K', sizeof(k));
	assert_int_equal(mk_fs_mkdir_p(dir, 0700, 1, &err), 0);
	snprintf(path, sizeof(path), "%s/store.key", dir);
	assert_int_equal(mk_fs_write_atomic(path, k, sizeof(k), 0600, &err), 0);
	mk_buf_init(&blob, 1 << 16);
	assert_int_equal(mk_store_seal(k, nonce, doc, strlen(doc), &blob, &err), 0);
	snprintf(path, sizeof(path), "%s/tokens.store", dir);
	assert_int_equal(mk_fs_write_atomic(path, blob.data, blob.len, 0600, &err), 0);
	mk_buf_free(&blob);
}

static void test_migration(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	char path[256], list[256] = "";
	struct stat st;
	uint64_t gen;

	write_legacy(d, "{\"version\":1,\"accounts\":{"
			"\"alice\":{\"access_token\":\"tok-a\",\"refresh_token\":\"rt-a\",\"expires_at\":99,"
			"\"obtained_at\":9,\"scope\":\"mail\"},"
			"\"bob\":{\"access_token\":\"tok-b\",\"needs_consent\":true}}}");
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	assert_int_equal(mk_store_read(s, "alice", &t, &gen, &err), 0);
	assert_string_equal(t.access_token, "tok-a");
	assert_string_equal(t.refresh_token, "rt-a");
	assert_string_equal(t.scope, "mail");
	assert_int_equal(t.expires_at, 99);
	assert_int_equal(gen, 1);
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_read(s, "bob", &t, &gen, &err), 0);
	assert_string_equal(t.access_token, "tok-b");
	assert_true(t.needs_consent);
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_list(s, collect, list, &err), 0);
	assert_int_equal(strlen(list), strlen("alice|bob|"));
	snprintf(path, sizeof(path), "%s/tokens.store", d);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/tokens.store.migrated", d);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(record_of(d, "bob"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	mk_store_free(&s);

	/* A migration cut short (the old file back, alice's record already
	 * written and since refreshed) finishes without undoing the refresh. */
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	put_one(s, "alice", "tok-a2");
	mk_store_free(&s);
	snprintf(list, sizeof(list), "%s/tokens.store", d);
	assert_int_equal(rename(path, list), 0);
	assert_int_equal(unlink(record_of(d, "bob")), 0);
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	assert_int_equal(mk_store_read(s, "bob", &t, NULL, &err), 0);
	assert_string_equal(t.access_token, "tok-b");
	mk_tokens_clear(&t);
	assert_int_equal(mk_store_read(s, "alice", &t, &gen, &err), 0);
	assert_string_equal(t.access_token, "tok-a2");
	assert_int_equal(gen, 2);
	mk_tokens_clear(&t);
	mk_store_free(&s);
}

/* An old store that does not open: an error naming it, nothing migrated,
 * the file left as it was. */
static void test_migration_of_corrupt_store(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	struct mk_tokens t;
	struct mk_buf before, after;
	char path[256];
	struct stat st;

	write_legacy(d, "{\"version\":1,\"accounts\":{\"alice\":{\"access_token\":\"tok-a\"}}}");
	snprintf(path, sizeof(path), "%s/tokens.store", d);
	mk_buf_init(&before, 1 << 16);
	mk_buf_init(&after, 1 << 16);
	assert_int_equal(mk_fs_read_file(path, &before, &err), 0);
	before.data[20] ^= 1;
	assert_int_equal(mk_fs_write_atomic(path, before.data, before.len, 0600, &err), 0);
	assert_int_equal(mk_store_new(d, NULL, &s, &err), 0);
	assert_int_equal(mk_store_read(s, "alice", &t, NULL, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(try_put_one(s, "alice", "x"), 1);
	assert_int_equal(mk_fs_read_file(path, &after, &err), 0);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.data, before.data, before.len);
	assert_int_equal(stat(record_of(d, "alice"), &st), -1);
	mk_buf_free(&before);
	mk_buf_free(&after);
	mk_store_free(&s);
}

static int count_one(const char *account, void *arg)
{
	(void)account;
	++*(int *)arg;
	return 0;
}

/* Two processes adding different accounts at once lose neither update.
 * The children only report through their exit status; the parent asserts. */
static void test_concurrent_writers(void **state)
{
	const char *d = *state;
	struct mk_store *s = NULL;
	struct mk_error err;
	pid_t kids[2];
	int n = 0;

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
	assert_int_equal(mk_store_list(s, count_one, &n, &err), 0);
	assert_int_equal(n, 40);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 20; i++) {
			char name[32];
			struct mk_tokens t;
			snprintf(name, sizeof(name), "p%d-%d", k, i);
			assert_int_equal(mk_store_read(s, name, &t, NULL, &err), 0);
			assert_string_equal(t.access_token, name);
			mk_tokens_clear(&t);
		}
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
		cmocka_unit_test(test_record_bound_to_name),
		cmocka_unit_test_setup_teardown(test_file_store_and_corruption, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_record_swap_detected, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_generation_checked, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_names_escaped_and_listed, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_locks_per_account, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_migration, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_migration_of_corrupt_store, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
