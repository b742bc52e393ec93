/* mk-apppass-tool: the app-password library as the gateway calls it, for
 * the integration, kill and benchmark scripts (the gateway itself is not
 * needed to check what `mailkey app-password` wrote).
 *
 *   check DIR                 parse STATE/app-passwords: prints the count; 65 if damaged
 *   verify DIR [--touch]      stdin lines "ACCOUNT PASSWORD": prints "ACCOUNT NAME" or
 *                             "ACCOUNT -" per line (--touch: record the use, as a login does)
 *   touch DIR ACCOUNT NAME NOW
 *   bench DIR ACCOUNT N       stdin: one right password of ACCOUNT; N verifies of it and
 *                             N of a wrong one; prints microseconds per verify
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "common/secret.h"
#include "common/str.h"
#include "gateway/apppass.h"

static int fail(const struct mk_error *err)
{
	fprintf(stderr, "mk-apppass-tool: %s\n", err->msg);
	return mk_error_to_sysexit(err->cls);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int verify_lines(const char *dir, int touch)
{
	char line[512], name[GW_APPPASS_NAME_MAX + 1];
	struct mk_error err;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (sp == NULL)
			continue;
		*sp = '\0';
		mk_error_init(&err);
		if (gw_apppass_verify(dir, line, sp + 1, name, sizeof(name), &err) == 0) {
			printf("%s %s\n", line, name);
			if (touch && gw_apppass_touch(dir, line, name, time(NULL), &err) != 0)
				return fail(&err);
		} else if (err.cls == MK_ERR_AUTH) {
			printf("%s -\n", line);
		} else {
			return fail(&err);
		}
	}
	mk_secret_wipe(line, sizeof(line));
	return 0;
}

static int bench(const char *dir, const char *account, unsigned n)
{
	char pw[128], wrong[128], name[GW_APPPASS_NAME_MAX + 1];
	struct mk_error err;
	double t0, t1, t2;

	if (fgets(pw, sizeof(pw), stdin) == NULL)
		return EX_USAGE;
	pw[strcspn(pw, "\n")] = '\0';
	memcpy(wrong, pw, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	mk_error_init(&err);
	if (gw_apppass_verify(dir, account, pw, name, sizeof(name), &err) != 0)
		return fail(&err);
	t0 = now_us();
	for (unsigned i = 0; i < n; i++)
		if (gw_apppass_verify(dir, account, pw, name, sizeof(name), &err) != 0)
			return fail(&err);
	t1 = now_us();
	for (unsigned i = 0; i < n; i++)
		if (gw_apppass_verify(dir, account, wrong, name, sizeof(name), &err) == 0)
			return EX_SOFTWARE;
	t2 = now_us();
	printf("{\"right_us\": %.2f, \"wrong_us\": %.2f, \"n\": %u}\n", (t1 - t0) / n, (t2 - t1) / n, n);
	mk_secret_wipe(pw, sizeof(pw));
	return 0;
}

int main(int argc, char **argv)
{
	struct gw_apppass_info *v = NULL;
	struct mk_error err;
	unsigned n;
	size_t count;

	mk_error_init(&err);
	if (argc >= 3 && strcmp(argv[1], "check") == 0) {
		if (gw_apppass_list(argv[2], NULL, &v, &count, &err) != 0)
			return fail(&err);
		free(v);
		printf("%zu\n", count);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "verify") == 0)
		return verify_lines(argv[2], argc > 3 && strcmp(argv[3], "--touch") == 0);
	if (argc == 6 && strcmp(argv[1], "touch") == 0 && mk_str_to_uint(argv[5], 4000000000u, &n) == 0)
		return gw_apppass_touch(argv[2], argv[3], argv[4], (time_t)n, &err) == 0 ? 0 : fail(&err);
	if (argc == 5 && strcmp(argv[1], "bench") == 0 && mk_str_to_uint(argv[4], 100000000u, &n) == 0 &&
	    n > 0)
		return bench(argv[2], argv[3], n);
	fprintf(stderr, "usage: mk-apppass-tool check|verify|touch|bench ... (see tool.c)\n");
	return EX_USAGE;
}
