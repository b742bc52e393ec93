// mk-fuzz-libs: mailkey_broker_core
/* Configuration files: any bytes give either a configuration or problems
 * that each name the file and a line, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_config *cfg = NULL;
	struct mk_error err;
	struct mk_buf problems;
	FILE *fp;
	int rc;

	if (size == 0)
		return 0;
	/* fmemopen takes a non-const buffer but "r" never writes to it. */
	fp = fmemopen((void *)(uintptr_t)data, size, "r");
	if (fp == NULL)
		return 0;
	mk_buf_init(&problems, 1 << 20);
	rc = mk_config_load_stream("fuzz.ini", fp, &problems, &cfg, &err);
	fclose(fp);
	if (rc == 0 && cfg == NULL)
		__builtin_trap();
	/* Every problem line starts with the file name. */
	if (rc != 0 && problems.len > 0 && strncmp(problems.data, "fuzz.ini:", 9) != 0)
		__builtin_trap();
	mk_config_free(&cfg);
	mk_buf_free(&problems);
	return 0;
}
