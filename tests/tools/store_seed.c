/* Test and benchmark helper: put tokens for one account into a mailkey store
 * without a provider. The access token comes on standard input (never argv),
 * optionally followed by a refresh token on a second line; a refresh token
 * needs the token endpoint it belongs to.
 *   mk-store-seed STATE_DIR ACCOUNT EXPIRES_IN_SECONDS [TOKEN_ENDPOINT] < token */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/store/store.h"
#include "common/str.h"

int main(int argc, char **argv)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	json_t *doc = NULL;
	char line[8192], refresh[8192];
	unsigned ttl;
	int rc = 1;

	if (argc < 4 || argc > 5 || mk_str_to_uint(argv[3], 86400 * 365, &ttl) != 0 ||
	    fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "usage: mk-store-seed STATE_DIR ACCOUNT EXPIRES_IN [TOKEN_ENDPOINT] < token [refresh]\n");
		return 64;
	}
	line[strcspn(line, "\r\n")] = '\0';
	t.access_token = line;
	if (fgets(refresh, sizeof(refresh), stdin) != NULL) {
		refresh[strcspn(refresh, "\r\n")] = '\0';
		if (refresh[0] != '\0')
			t.refresh_token = refresh;
	}
	if (argc == 5)
		t.token_endpoint = argv[4];
	t.token_type = (char *)(uintptr_t) "Bearer";
	t.obtained_at = (int64_t)time(NULL);
	t.expires_at = t.obtained_at + ttl;
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
