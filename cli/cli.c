#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "common/log.h"

int mk_cli_broker(struct mk_cli *cli, struct mk_broker **r, struct mk_error *err)
{
	struct mk_broker_params p = { .config_path = cli->config_path,
				      .state_dir = cli->state_dir,
				      .cafile = cli->cafile };

	if (cli->broker == NULL && mk_broker_open(&p, &cli->broker, err) != 0)
		return -1;
	*r = cli->broker;
	return 0;
}

int mk_cli_fail(struct mk_cli *cli, const char *verb, const struct mk_error *err)
{
	char msg[MK_ERROR_MSG_SIZE];
	int code = mk_error_to_sysexit(err->cls);

	/* Last line of defence: a registered secret never reaches the terminal,
	 * and where layers each added "run `mailkey login ...`" it is said once. */
	mk_log_redact(err->msg, msg, sizeof(msg));
	mk_error_hint_once(msg);
	/* 75 means the same thing whatever failed underneath: say it. */
	if (code == EX_TEMPFAIL && strstr(msg, "again") == NULL && strstr(msg, "later") == NULL) {
		struct mk_error t;
		mk_error_set(&t, err->cls, "%s: try again later", msg);
		memcpy(msg, t.msg, sizeof(msg));
	}
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "command", verb, "error",
				      mk_error_class_name(err->cls), "message", msg, "exit", code);
		char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s != NULL)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(o);
	} else {
		fprintf(stderr, "mailkey %s: %s\n", verb, msg);
	}
	return code;
}
