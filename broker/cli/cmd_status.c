#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "broker/cli/cli.h"
#include "broker/cli/cmd_util.h"
#include "broker/policy.h"

static const char help[] =
	"usage: mailkey status [ACCOUNT] [--json]\n\n"
	"Show each account's token state: valid, refresh-due, expired, needs-consent or\n"
	"no-token, with expiry and scopes. Exit 0 when every shown account can hand out a\n"
	"token (possibly after a refresh), 77 when one needs `mailkey login`.\n";

static const char *state_of(const struct mk_account *a, const struct mk_tokens *t, int found, int64_t now)
{
	if (found != 0)
		return "no-token";
	if (t->needs_consent)
		return "needs-consent";
	if (mk_policy_is_expired(now, t->expires_at))
		return t->refresh_token != NULL ? "expired" : "needs-consent";
	if (mk_policy_should_refresh(now, t->obtained_at, t->expires_at, a->refresh_margin))
		return "refresh-due";
	return "valid";
}

int mk_cmd_status(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	struct mk_error err;
	const char *only = NULL;
	json_t *arr = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = 0;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (argv[i][0] != '-' && only == NULL)
			only = argv[i];
		else {
			fprintf(stderr, "mailkey status: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0)
		return mk_cli_fail(cli, "status", &err);
	if (only != NULL) {
		const struct mk_account *a;
		if (mk_broker_account(b, only, &a, &err) != 0)
			return mk_cli_fail(cli, "status", &err);
	}
	if (cli->json)
		arr = json_array();
	for (size_t i = 0; i < mk_broker_account_count(b); i++) {
		const struct mk_account *a = mk_broker_account_at(b, i);
		struct mk_tokens t = { 0 };
		const char *st;
		int found;

		if (only != NULL && strcmp(a->name, only) != 0)
			continue;
		found = mk_broker_load_tokens(b, a->name, &t, &err);
		if (found < 0) {
			json_decref(arr);
			return mk_cli_fail(cli, "status", &err);
		}
		st = state_of(a, &t, found, now);
		if (strcmp(st, "needs-consent") == 0 || strcmp(st, "no-token") == 0)
			rc = EX_NOPERM;
		if (arr != NULL) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "account", a->name,
					      "provider", a->provider, "user", a->user ? a->user : "",
					      "state", st, "needs_consent",
					      strcmp(st, "needs-consent") == 0 || strcmp(st, "no-token") == 0,
					      "has_refresh_token", t.refresh_token != NULL);
			if (o != NULL && found == 0) {
				json_object_set_new(o, "expires_at", json_integer(t.expires_at));
				json_object_set_new(o, "expires_in",
						    json_integer(t.expires_at ? t.expires_at - now : 0));
				json_object_set_new(o, "scope", t.scope ? json_string(t.scope) : json_null());
				if (t.last_error != NULL)
					json_object_set_new(o, "last_error", json_string(t.last_error));
			}
			json_array_append_new(arr, o);
		} else {
			printf("%-16s %-14s %s", a->name, st, a->user ? a->user : "");
			if (found == 0 && t.expires_at > 0)
				printf("  expires in %lld s", (long long)(t.expires_at - now));
			if (found == 0 && t.scope != NULL)
				printf("  scope: %s", t.scope);
			putchar('\n');
			if (strcmp(st, "needs-consent") == 0 || strcmp(st, "no-token") == 0)
				printf("%-16s -> run `mailkey login %s`%s%s\n", "", a->name,
				       t.last_error ? ": " : "", t.last_error ? t.last_error : "");
		}
		mk_tokens_clear(&t);
	}
	if (arr != NULL) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(arr);
	}
	return rc;
}
