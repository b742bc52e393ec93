/* mailkey check: log in over each configured protocol and report. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "cli/mail_login.h"
#include "common/secret.h"
#include "mail/smtp.h"

static const char help[] =
	"usage: mailkey check ACCOUNT [--json]\n\n"
	"Log in to the account's IMAP, SMTP and POP3 servers with its OAuth token and report each\n"
	"(latency, or the failure and what to do). Exit 0 only when every login worked.\n";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int mk_cmd_check(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	const struct mk_account *a;
	struct mk_broker *b;
	struct mk_error err;
	int worst = 0, checked = 0;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey check: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, name, &a, &err) != 0)
		return mk_cli_fail(cli, "check", &err);
	if (cli->json)
		fputs("[", stdout);
	for (int proto = 0; proto < 3; proto++) {
		const struct mk_mail_endpoint *e = proto == 0 ? &a->imap : proto == 1 ? &a->smtp : &a->pop3;
		const char *pname = proto == 0 ? "imap" : proto == 1 ? "smtp" : "pop3";
		double t0 = now_ms(), ms;
		char server[300];
		int rc;

		if (e->host == NULL)
			continue;
		/* host:port, an IPv6 literal in brackets (RFC 3986 §3.2.2). */
		snprintf(server, sizeof(server), strchr(e->host, ':') != NULL ? "[%.256s]:%u" : "%.256s:%u",
			 e->host, e->port);
		mk_error_init(&err);
		if (proto == 0) {
			struct mk_imap *im = NULL;
			rc = mk_cli_imap_login(cli, b, name, &a, &im, &err);
			mk_imap_close(&im);
		} else if (proto == 1) {
			struct mk_smtp *sm = NULL;
			rc = mk_cli_smtp_login(cli, b, name, &a, &sm, &err);
			mk_smtp_close(&sm);
		} else {
			struct mk_pop3 *pop = NULL;
			rc = mk_cli_pop3_login(cli, b, name, &a, &pop, &err);
			mk_pop3_close(&pop);
		}
		if (rc != 0 && mk_error_to_sysexit(err.cls) > worst)
			worst = mk_error_to_sysexit(err.cls);
		ms = now_ms() - t0;
		if (cli->json) {
			/* Whole milliseconds: sub-millisecond digits are noise. */
			json_t *o = json_pack("{s:s, s:s, s:b, s:I}", "protocol", pname, "server", server,
					      "ok", rc == 0, "ms", (json_int_t)(ms + 0.5));
			char *txt;
			if (rc != 0) {
				json_object_set_new(o, "error", json_string(mk_error_class_name(err.cls)));
				json_object_set_new(o, "exit", json_integer(mk_error_to_sysexit(err.cls)));
				json_object_set_new(o, "message", json_string(err.msg));
			}
			txt = json_dumps(o, JSON_COMPACT);
			printf("%s%s", checked ? "," : "", txt != NULL ? txt : "{}");
			free(txt);
			json_decref(o);
		} else if (rc == 0) {
			printf("%-5s %s  OK  logged in as %s in %.0f ms\n", pname, server, a->user, ms);
		} else {
			printf("%-5s %s  FAILED (%s, exit %d): %s\n", pname, server,
			       mk_error_class_name(err.cls), mk_error_to_sysexit(err.cls), err.msg);
		}
		checked++;
	}
	if (cli->json)
		puts("]");
	if (checked == 0) {
		fprintf(stderr, "mailkey check: account %s has no mail servers configured (imap, smtp)\n",
			name);
		return EX_CONFIG;
	}
	return worst;
}
