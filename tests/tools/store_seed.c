/* Test and benchmark helper: put tokens for one account into a mailkey store
 * without a provider. Secrets come on standard input (never argv):
 *   mk-store-seed STATE_DIR ACCOUNT [-]EXPIRES_IN_SECONDS < lines
 * line 1: the access token; optional line 2: a refresh token (empty: none);
 * optional line 3: a stored last_error text. A leading '-' makes the token
 * expired that long ago. $MK_SEED_TOKEN_ENDPOINT sets the grant's token
 * endpoint (or a fifth argument, TOKEN_ENDPOINT), $MK_SEED_SCOPE its scope,
 * $MK_SEED_NEEDS_CONSENT=1 marks it, $MK_SEED_AGE=S dates it S seconds back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/store/store.h"
#include "common/str.h"

/* Next line of stdin without its line end, or NULL at EOF / empty line. */
static char *line_opt(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? buf : NULL;
}

int main(int argc, char **argv)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	json_t *doc = NULL;
	static char line[8192], rt[8192], le[8192];
	const char *ttl_s = argc == 4 || argc == 5 ? argv[3] : "";
	bool past = ttl_s[0] == '-';
	unsigned ttl;
	int rc = 1;

	if ((argc != 4 && argc != 5) || mk_str_to_uint(ttl_s + past, 86400 * 365, &ttl) != 0 ||
	    line_opt(line, sizeof(line)) == NULL) {
		fprintf(stderr,
			"usage: mk-store-seed STATE_DIR ACCOUNT [-]EXPIRES_IN [TOKEN_ENDPOINT] < token\n");
		return 64;
	}
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
	if (mk_store_new(argv[1], NULL, &s, &err) != 0 || mk_store_lock(s, &err) != 0 ||
	    mk_store_read(s, &doc, &err) != 0 || mk_store_put(doc, argv[2], &t, &err) != 0 ||
	    mk_store_write(s, doc, &err) != 0) {
		fprintf(stderr, "mk-store-seed: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	mk_store_free(&s);
	return rc;
}
