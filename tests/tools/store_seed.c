/* Test and benchmark helper: put tokens for one account into a mailkey store
 * without a provider. Secrets come on standard input (never argv):
 *   mk-store-seed STATE_DIR ACCOUNT [-]EXPIRES_IN_SECONDS < lines
 * line 1: the access token; optional line 2: a refresh token (empty: none);
 * optional line 3: a stored last_error text. A leading '-' makes the token
 * expired that long ago. $MK_SEED_TOKEN_ENDPOINT sets the grant's token
 * endpoint (or a fifth argument, TOKEN_ENDPOINT), $MK_SEED_SCOPE its scope,
 * $MK_SEED_NEEDS_CONSENT=1 marks it, $MK_SEED_AGE=S dates it S seconds back.
 * $MK_SEED_COUNT=N stores the same tokens for N accounts: ACCOUNT, then
 * ACCOUNT-1 .. ACCOUNT-(N-1) (benchmarks). $MK_SEED_LEGACY=1 writes them in
 * the old single-file format (tokens.store) instead, as a mailkey before one
 * record per account did, to test the migration. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "broker/store/store.h"
#include "broker/store/store_impl.h"
#include "common/fsutil.h"
#include "common/secret.h"
#include "common/str.h"

/* Next line of stdin without its line end, or NULL at EOF / empty line. */
static char *line_opt(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? buf : NULL;
}

static void name_of(char *buf, size_t size, const char *base, unsigned i)
{
	if (i == 0)
		snprintf(buf, size, "%s", base);
	else
		snprintf(buf, size, "%s-%u", base, i);
}

static char *path_in(const char *dir, const char *file)
{
	struct mk_buf b;

	mk_buf_init(&b, 4096);
	if (mk_buf_addf(&b, "%s/%s", dir, file) != 0) {
		mk_buf_free(&b);
		return NULL;
	}
	return mk_buf_take(&b);
}

/* The old format: one sealed {"version":1,"accounts":{...}} with every
 * account, added to whatever tokens.store holds already. */
static int seed_legacy(const char *dir, const char *base, unsigned count, const struct mk_tokens *t,
		       struct mk_error *err)
{
	unsigned char key[MK_STORE_KEY_LEN], nonce[MK_STORE_NONCE_LEN];
	char *kpath = path_in(dir, "store.key"), *spath = path_in(dir, "tokens.store"), *text = NULL;
	struct mk_buf kb, blob, plain;
	json_t *doc = NULL, *accts;
	char name[256];
	int rc = -1;

	mk_buf_init_secret(&kb, MK_STORE_KEY_LEN + 1);
	mk_buf_init(&blob, 64u << 20);
	mk_buf_init_secret(&plain, 64u << 20);
	if (kpath == NULL || spath == NULL || mk_fs_mkdir_p(dir, 0700, 1, err) != 0)
		goto out;
	if (mk_fs_read_file(kpath, &kb, err) != 0) {
		if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key) ||
		    mk_fs_create_exclusive(kpath, key, sizeof(key), 0600, err) != 0)
			goto out;
	} else if (kb.len != MK_STORE_KEY_LEN) {
		mk_error_set(err, MK_ERR_DATA, "%s is not a key", kpath);
		goto out;
	} else {
		memcpy(key, kb.data, sizeof(key));
	}
	if (mk_fs_read_file(spath, &blob, err) == 0) {
		if (mk_store_unseal(key, (unsigned char *)blob.data, blob.len, &plain, err) != 0)
			goto out;
		doc = json_loadb(plain.data, plain.len, 0, NULL);
	} else {
		doc = json_pack("{s:i, s:{}}", "version", 1, "accounts");
	}
	accts = json_object_get(doc, "accounts");
	for (unsigned i = 0; i < count && accts != NULL; i++) {
		name_of(name, sizeof(name), base, i);
		if (json_object_set_new(accts, name, mk_store_tokens_to_json(t)) != 0)
			accts = NULL;
	}
	text = accts != NULL ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (text == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "cannot build the old store");
		goto out;
	}
	mk_buf_reset(&blob);
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce) ||
	    mk_store_seal(key, nonce, text, strlen(text), &blob, err) != 0 ||
	    mk_fs_write_atomic(spath, blob.data, blob.len, 0600, err) != 0)
		goto out;
	rc = 0;
out:
	mk_secret_wipe(key, sizeof(key));
	mk_secret_free_str(text);
	json_decref(doc);
	mk_buf_free(&kb);
	mk_buf_free(&blob);
	mk_buf_free(&plain);
	free(kpath);
	free(spath);
	return rc;
}

int main(int argc, char **argv)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	static char line[8192], rt[8192], le[8192];
	const char *ttl_s = argc == 4 || argc == 5 ? argv[3] : "", *cnt = getenv("MK_SEED_COUNT");
	bool past = ttl_s[0] == '-';
	unsigned ttl, count = 1;
	char name[256];
	int rc = 1;

	if ((argc != 4 && argc != 5) || mk_str_to_uint(ttl_s + past, 86400 * 365, &ttl) != 0 ||
	    (cnt != NULL && (mk_str_to_uint(cnt, 10000000, &count) != 0 || count == 0)) ||
	    line_opt(line, sizeof(line)) == NULL) {
		fprintf(stderr,
			"usage: mk-store-seed STATE_DIR ACCOUNT [-]EXPIRES_IN [TOKEN_ENDPOINT] < token\n");
		return 64;
	}
	mk_error_init(&err);
	t.access_token = line;
	t.refresh_token = line_opt(rt, sizeof(rt));
	t.last_error = line_opt(le, sizeof(le));
	if (t.last_error != NULL)
		t.last_error_at = (int64_t)time(NULL);
	t.token_type = (char *)(uintptr_t) "Bearer";
	t.token_endpoint = argc == 5 ? argv[4] : getenv("MK_SEED_TOKEN_ENDPOINT");
	t.scope = getenv("MK_SEED_SCOPE");
	t.needs_consent =
		getenv("MK_SEED_NEEDS_CONSENT") != NULL && strcmp(getenv("MK_SEED_NEEDS_CONSENT"), "1") == 0;
	t.obtained_at = (int64_t)time(NULL);
	t.expires_at = past ? t.obtained_at - ttl : t.obtained_at + ttl;
	if (past)
		t.obtained_at = t.expires_at - 3600;
	/* $MK_SEED_AGE: obtained that many seconds ago (a refresh is due once
	 * less than the margin is left of the whole lifetime). */
	if (getenv("MK_SEED_AGE") != NULL && mk_str_to_uint(getenv("MK_SEED_AGE"), 86400 * 365, &ttl) == 0)
		t.obtained_at -= ttl;
	if (getenv("MK_SEED_LEGACY") != NULL && strcmp(getenv("MK_SEED_LEGACY"), "1") == 0) {
		if (seed_legacy(argv[1], argv[2], count, &t, &err) != 0)
			goto fail;
		rc = 0;
		goto out;
	}
	if (mk_store_new(argv[1], NULL, &s, &err) != 0)
		goto fail;
	for (unsigned i = 0; i < count; i++) {
		name_of(name, sizeof(name), argv[2], i);
		if (mk_store_put(s, name, &t, &err) != 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "mk-store-seed: %s\n", err.msg);
out:
	mk_store_free(&s);
	return rc;
}
