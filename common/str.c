#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mk_str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *r)
{
	uint64_t v = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		/* d > max first: max - d would wrap and let "7" pass a max of 5. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*r = v;
	return 0;
}

int mk_str_to_uint(const char *s, unsigned max, unsigned *r)
{
	uint64_t v;

	if (mk_str_to_u64(s, strlen(s), max, &v) != 0)
		return -1;
	*r = (unsigned)v;
	return 0;
}

bool mk_str_has_crlfnul(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return true;
	return false;
}

bool mk_str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *mk_str_ndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
