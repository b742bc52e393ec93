// mk-fuzz-libs: mailkey_gwconfig mailkey_broker_core
/* The [gateway] section: any bytes give a configuration whose listeners and
 * limits are in range, or problems that each name the file and a line;
 * never a crash. Covers the config file reader's [gateway] storage and the
 * gateway's own checks (listeners, addresses, names, numbers). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker/config/config.h"
#include "gateway/gwconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_config *cfg = NULL;
	struct gw_config *gw = NULL;
	struct mk_error err;
	struct mk_buf problems;
	char addr[128];
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
	if (rc != 0)
		goto out;
	mk_error_init(&err);
	rc = gw_config_parse(cfg, &problems, &gw, &err);
	if (rc == 0) {
		if (gw == NULL || gw->n > GW_LISTENERS_MAX || gw->names == NULL)
			__builtin_trap();
		for (size_t i = 0; i < gw->n; i++)
			if (gw_listener_addr(&gw->l[i], addr, sizeof(addr)) == NULL)
				__builtin_trap();
	} else if (problems.len > 0 && strncmp(problems.data, "fuzz.ini:", 9) != 0) {
		/* Every problem line starts with the file name. */
		__builtin_trap();
	}
out:
	gw_config_free(&gw);
	mk_config_free(&cfg);
	mk_buf_free(&problems);
	return 0;
}
