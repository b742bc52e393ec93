/* mk-gwtls-ensure DIR [NAME...]: gw_tls_ensure(DIR, NAMEs) once, for
 * tests/integration/gwtls/kill.sh (kill -9 during first-use generation).
 * Exit 0 when the material is ready and loads, 1 with the message. */
#include <stdio.h>

#include "common/error.h"
#include "gateway/tls.h"

int main(int argc, char **argv)
{
	struct gw_tls *t = NULL;
	struct mk_error err;

	if (argc < 2) {
		fprintf(stderr, "usage: mk-gwtls-ensure DIR [NAME...]\n");
		return 64;
	}
	mk_error_init(&err);
	if (gw_tls_ensure(argv[1], (const char *const *)(argv + 2), &t, &err) != 0) {
		fprintf(stderr, "mk-gwtls-ensure: %s\n", err.msg);
		return 1;
	}
	gw_tls_free(&t);
	return 0;
}
