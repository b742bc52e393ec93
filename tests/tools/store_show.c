/* Test helper: print what the store keeps as an account's last refresh
 * failure, to check that it holds no secret.
 *   mk-store-show STATE_DIR ACCOUNT
 *   mk-store-show --token STATE_DIR ACCOUNT
 * prints the access token instead (the migration tests compare them).
 * Exit 0 with the text, 1 when there is none or the store cannot be read. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/store/store.h"

int main(int argc, char **argv)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	bool token = argc == 4 && strcmp(argv[1], "--token") == 0;
	int rc = 1;

	if (token) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: mk-store-show [--token] STATE_DIR ACCOUNT\n");
		return 64;
	}
	mk_error_init(&err);
	if (mk_store_new(argv[1], NULL, &s, &err) != 0 || mk_store_read(s, argv[2], &t, NULL, &err) != 0) {
		fprintf(stderr, "mk-store-show: %s\n", err.msg[0] ? err.msg : "no such account in the store");
		goto out;
	}
	if (token ? t.access_token != NULL : t.last_error != NULL) {
		puts(token ? t.access_token : t.last_error);
		rc = 0;
	}
out:
	mk_tokens_clear(&t);
	mk_store_free(&s);
	return rc;
}
