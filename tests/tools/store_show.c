/* Test helper: print what the store keeps as an account's last refresh
 * failure, to check that it holds no secret.
 *   mk-store-show STATE_DIR ACCOUNT
 * Exit 0 with the text, 1 when there is none or the store cannot be read. */
#include <stdio.h>

#include "broker/store/store.h"

int main(int argc, char **argv)
{
	struct mk_store *s = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	json_t *doc = NULL;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: mk-store-show STATE_DIR ACCOUNT\n");
		return 64;
	}
	mk_error_init(&err);
	if (mk_store_new(argv[1], NULL, &s, &err) != 0 || mk_store_read(s, &doc, &err) != 0 ||
	    mk_store_get(doc, argv[2], &t, &err) != 0) {
		fprintf(stderr, "mk-store-show: %s\n", err.msg[0] ? err.msg : "no such account in the store");
		goto out;
	}
	if (t.last_error != NULL) {
		puts(t.last_error);
		rc = 0;
	}
out:
	mk_tokens_clear(&t);
	json_decref(doc);
	mk_store_free(&s);
	return rc;
}
