#include "secret.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

void mk_secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void mk_secret_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}

void mk_secret_free_str(char *s)
{
	if (s == NULL)
		return;
	mk_secret_free(s, strlen(s));
}

void mk_secret_clear_str(char **sp)
{
	mk_secret_free_str(*sp);
	*sp = NULL;
}

char *mk_secret_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

bool mk_secret_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a;
	const volatile unsigned char *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	return diff == 0;
}

bool mk_secret_streq(const char *known, const char *given)
{
	size_t klen, glen;
	unsigned char diff;

	if (known == NULL || given == NULL)
		return false;
	klen = strlen(known);
	glen = strnlen(given, klen + 1);
	/* Walk `known` only; read `given` up to its own end so a short guess
	 * cannot make us read past it. */
	diff = (unsigned char)(klen != glen);
	for (size_t i = 0; i < klen; i++) {
		unsigned char g = i < glen ? (unsigned char)given[i] : 0;
		diff |= (unsigned char)((unsigned char)known[i] ^ g);
	}
	return diff == 0;
}

int mk_secret_harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	umask(077);
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	return 0;
}
