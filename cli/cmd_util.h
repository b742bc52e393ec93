/* Small helpers shared by the command files. */
#ifndef MK_CLI_UTIL_H
#define MK_CLI_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* True when argv holds -h or --help; prints help to stdout. */
static inline bool mk_cli_wants_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return true;
		}
	return false;
}

#endif
