#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "broker/config/config.h"
#include "broker/policy.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/log.h"

static const char help[] =
	"usage: mailkey status [ACCOUNT] [--json]\n\n"
	"Show each account's token state: valid, refresh-due, expired, needs-consent or\n"
	"no-token, with expiry and scopes. Exit 0 when every shown account can hand out a\n"
	"token (possibly after a refresh), 77 when one needs `mailkey login`, 78 when the\n"
	"configuration has no accounts.\n";

/* One line of the table, gathered first so the columns fit every value. */
struct row {
	const struct mk_account *a;
	const char *state;
	char expires[48];
	char *scope;
	char *last_error; /* redacted */
	int64_t expires_at, expires_in;
	bool has_refresh, found;
};

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

static bool needs_login(const char *state)
{
	return strcmp(state, "needs-consent") == 0 || strcmp(state, "no-token") == 0;
}

/* "45 s", "12 min", "5 h", "3 d": rounded to the unit, which is chosen so
 * that the number stays below about 120. */
static void duration(char *buf, size_t size, int64_t s)
{
	if (s < 120)
		snprintf(buf, size, "%lld s", (long long)s);
	else if (s < 120 * 60)
		snprintf(buf, size, "%lld min", (long long)((s + 30) / 60));
	else if (s < 48 * 3600)
		snprintf(buf, size, "%lld h", (long long)((s + 1800) / 3600));
	else
		snprintf(buf, size, "%lld d", (long long)((s + 43200) / 86400));
}

static void expiry_text(char *buf, size_t size, bool found, int64_t expires_at, int64_t now)
{
	char d[32];

	if (!found || expires_at <= 0) {
		snprintf(buf, size, "%s", found ? "never" : "-");
		return;
	}
	duration(d, sizeof(d), expires_at > now ? expires_at - now : now - expires_at);
	snprintf(buf, size, expires_at > now ? "in %s" : "expired %s ago", d);
}

/* The stored text of the last refresh failure, without any secret: the
 * store may hold one written by an older mailkey, and a server may have
 * echoed what it was sent. */
static char *clean_last_error(const struct mk_account *a, const struct mk_tokens *t)
{
	const char *sec[] = { t->access_token, t->refresh_token, t->id_token, a->client_secret };
	char buf[MK_ERROR_MSG_SIZE], out[MK_ERROR_MSG_SIZE];

	if (t->last_error == NULL)
		return NULL;
	mk_error_fit(buf, sizeof(buf), t->last_error);
	mk_error_redact(buf, sizeof(buf), sec, sizeof(sec) / sizeof(sec[0]));
	mk_log_redact(buf, out, sizeof(out));
	return strdup(out);
}

static int load_row(struct mk_broker *b, const struct mk_account *a, int64_t now, struct row *r,
		    struct mk_error *err)
{
	struct mk_tokens t = { 0 };
	int found = mk_broker_load_tokens(b, a->name, &t, err);

	if (found < 0)
		return -1;
	r->a = a;
	r->found = found == 0;
	r->state = state_of(a, &t, found, now);
	r->expires_at = t.expires_at;
	r->expires_in = t.expires_at ? t.expires_at - now : 0;
	r->has_refresh = t.refresh_token != NULL;
	expiry_text(r->expires, sizeof(r->expires), r->found, t.expires_at, now);
	r->scope = t.scope != NULL ? strdup(t.scope) : NULL;
	r->last_error = clean_last_error(a, &t);
	mk_tokens_clear(&t);
	return 0;
}

static void print_json(const struct row *rows, size_t n)
{
	json_t *arr = json_array();
	char *s;

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "account", r->a->name, "provider",
				      r->a->provider, "user", r->a->user ? r->a->user : "", "state", r->state,
				      "needs_consent", needs_login(r->state), "has_refresh_token",
				      r->has_refresh);
		if (o != NULL && r->found) {
			json_object_set_new(o, "expires_at", json_integer(r->expires_at));
			json_object_set_new(o, "expires_in", json_integer(r->expires_in));
			json_object_set_new(o, "scope", r->scope ? json_string(r->scope) : json_null());
			if (r->last_error != NULL)
				json_object_set_new(o, "last_error", json_string(r->last_error));
		}
		json_array_append_new(arr, o);
	}
	s = json_dumps(arr, JSON_INDENT(2));
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(arr);
}

static size_t width(size_t w, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > w ? n : w;
}

static void print_table(const struct row *rows, size_t n)
{
	size_t wa = strlen("ACCOUNT"), ws = strlen("STATE"), wu = strlen("USER"), we = strlen("EXPIRES");

	for (size_t i = 0; i < n; i++) {
		wa = width(wa, rows[i].a->name);
		ws = width(ws, rows[i].state);
		wu = width(wu, rows[i].a->user);
		we = width(we, rows[i].expires);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)wa, "ACCOUNT", (int)ws, "STATE", (int)wu, "USER", (int)we,
	       "EXPIRES", "SCOPE");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)wa, r->a->name, (int)ws, r->state, (int)wu,
		       r->a->user ? r->a->user : "", (int)we, r->expires, r->scope ? r->scope : "-");
		if (needs_login(r->state)) {
			struct mk_error what;
			if (r->last_error != NULL)
				mk_error_set(&what, MK_ERR_CONSENT, "the last refresh failed: %s",
					     r->last_error);
			else
				mk_error_set(&what, MK_ERR_CONSENT, "%s",
					     r->found ? "the grant is gone" : "no tokens yet");
			mk_error_login_hint(&what, r->a->name);
			printf("%-*s  -> %s\n", (int)wa, "", what.msg);
		}
	}
}

int mk_cmd_status(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	struct mk_error err;
	const char *only = NULL;
	struct row *rows = NULL;
	size_t n = 0, count;
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
	count = mk_broker_account_count(b);
	if (count == 0) {
		/* Nothing can hand out a token: a configuration problem, not
		 * "all well" (a script checking the exit would be misled). */
		char *path = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
		mk_error_set(
			&err, MK_ERR_CONFIG,
			"no accounts configured in %s: add an [account NAME] section (see `man mailkey`, "
			"section CONFIGURATION)",
			path != NULL ? path : "the configuration file");
		free(path);
		return mk_cli_fail(cli, "status", &err);
	}
	if ((rows = calloc(count, sizeof(*rows))) == NULL) {
		mk_error_set(&err, MK_ERR_INTERNAL, "out of memory");
		return mk_cli_fail(cli, "status", &err);
	}
	for (size_t i = 0; i < count; i++) {
		const struct mk_account *a = mk_broker_account_at(b, i);
		if (only != NULL && strcmp(a->name, only) != 0)
			continue;
		if (load_row(b, a, now, &rows[n], &err) != 0) {
			rc = mk_cli_fail(cli, "status", &err);
			goto out;
		}
		if (needs_login(rows[n].state))
			rc = EX_NOPERM;
		n++;
	}
	if (cli->json)
		print_json(rows, n);
	else
		print_table(rows, n);
out:
	for (size_t i = 0; i < n; i++) {
		free(rows[i].scope);
		free(rows[i].last_error);
	}
	free(rows);
	return rc;
}
