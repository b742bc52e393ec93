/* mailkey queue: list the outgoing queue; mailkey queue run: send it, one
 * authenticated session per account.
 *
 * Crash safety (spool.h): a message leaves new/ only by unlink after the
 * server's 250 for its DATA, or by rename into failed/. The run sends one
 * message at a time, so a kill can catch at most one message between the end
 * of its DATA and its unlink: that message is sent again by the next run,
 * and that is the only way a duplicate arises (at most one per kill). The
 * directory is fsync'd after every MK_QUEUE_SYNC_EVERY removals and at the
 * end: unlinks survive a kill without it (the kernel has them), and after a
 * power loss at most that many sent messages come back and are resent. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "broker/queue/spool.h"
#include "broker/store/store.h"
#include "cli/cli.h"
#include "cli/cmd_queue.h"
#include "cli/mail_login.h"
#include "common/log.h"

#define MK_QUEUE_SYNC_EVERY 64
/* Open a new session this long before the token expires. */
#define MK_QUEUE_TOKEN_MARGIN 30

static const char help[] =
	"usage: mailkey queue [--json] [--failed]\n"
	"       mailkey queue run [ACCOUNT] [--now] [-v]\n\n"
	"The outgoing queue (messages given to `mailkey send --queue`, or to mailkey as sendmail for an\n"
	"account with queue = yes), kept under the state directory in queue/.\n\n"
	"  (no command)    list what waits: id, account, age, size, attempts, recipients, last error\n"
	"  --json          the list as a JSON array\n"
	"  --failed        also list the messages moved aside (queue/failed/) with the server's reply\n"
	"  run [ACCOUNT]   send what is due, every account (or only ACCOUNT), one session per account;\n"
	"                  a message leaves the queue only after the server's 250 for it. A temporary\n"
	"                  failure is retried later (backoff 1, 2, 4 ... min, at most 4 h); a permanent\n"
	"                  refusal (5xx) moves it to queue/failed/ with the reply and runs the\n"
	"                  account's notify_command\n"
	"  --now           run: also send messages whose next attempt is not yet due\n"
	"  -v              run: show the SMTP dialogue (tokens are redacted)\n\n"
	"Exit status of run: 0 everything sent (nothing waits); 75 something still waits (try later);\n"
	"69 something was refused for good and moved aside; 65 a queued file was malformed (moved\n"
	"aside); 77 an account needs `mailkey login` (its messages stay queued).\n";

static int open_spool(struct mk_cli *cli, bool create, struct mk_spool **sp, struct mk_error *err)
{
	char *dir = cli->state_dir != NULL && *cli->state_dir != '\0' ? strdup(cli->state_dir)
								      : mk_store_default_dir();
	int rc;

	if (dir == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	rc = mk_spool_open(dir, create, sp, err);
	free(dir);
	return rc;
}

int mk_cli_queue_add(struct mk_cli *cli, const char *account, const char *from, const char *const *rcpts,
		     size_t nrcpt, const char *msg, size_t len, struct mk_error *err)
{
	struct mk_spool_env_in env = { account, from, rcpts, nrcpt, (int64_t)time(NULL) };
	struct mk_spool *sp = NULL;
	char id[MK_SPOOL_ID_MAX];
	int rc = -1;

	if (open_spool(cli, true, &sp, err) != 0 || mk_spool_add(sp, &env, msg, len, id, err) != 0) {
		mk_error_prefix(err, "the message was not queued");
		goto out;
	}
	mk_log(MK_LOG_DEBUG, "queued as %s (%zu bytes, %zu recipients)", id, len, nrcpt);
	rc = 0;
out:
	mk_spool_free(&sp);
	return rc;
}

static void human_age(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, n, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(out, n, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, n, "%lldd", (long long)(s / 86400));
}

static json_t *item_json(const struct mk_spool_item *it, int64_t now)
{
	json_t *o = json_object(), *r = json_array();

	for (size_t k = 0; k < it->env.nrcpt; k++)
		json_array_append_new(r, json_string(it->env.rcpts[k]));
	json_object_set_new(o, "id", json_string(it->id));
	json_object_set_new(o, "state", json_string(it->failed ? "failed" : "queued"));
	json_object_set_new(o, "account",
			    it->env.account != NULL ? json_string(it->env.account) : json_null());
	json_object_set_new(o, "from", it->env.from != NULL ? json_string(it->env.from) : json_null());
	json_object_set_new(o, "recipients", r);
	json_object_set_new(o, "queued_at", json_integer(it->env.queued));
	json_object_set_new(o, "age", json_integer(it->env.queued > 0 ? now - it->env.queued : 0));
	json_object_set_new(o, "size", json_integer((json_int_t)it->size));
	json_object_set_new(o, "attempts", json_integer(it->st.attempts));
	json_object_set_new(o, "next_attempt", json_integer(it->st.next));
	json_object_set_new(o, "last_error",
			    it->st.error[0] != '\0' ? json_string(it->st.error) : json_null());
	return o;
}

static int list(struct mk_cli *cli, bool json, bool failed)
{
	struct mk_spool *sp = NULL;
	struct mk_spool_item *items = NULL;
	struct mk_error err;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	int rc;

	mk_error_init(&err);
	if (open_spool(cli, false, &sp, &err) != 0 || mk_spool_list(sp, failed, &items, &n, &err) != 0) {
		rc = mk_cli_fail(cli, "queue", &err);
		goto out;
	}
	if (json) {
		json_t *a = json_array();
		char *s;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, item_json(&items[i], now));
		s = json_dumps(a, JSON_COMPACT);
		printf("%s\n", s != NULL ? s : "[]");
		free(s);
		json_decref(a);
	} else if (n == 0) {
		printf("the queue is empty\n");
	} else {
		printf("%-36s %-12s %5s %9s %3s  %s\n", "ID", "ACCOUNT", "AGE", "SIZE", "TRY", "RECIPIENTS");
		for (size_t i = 0; i < n; i++) {
			const struct mk_spool_item *it = &items[i];
			char age[24];
			human_age(now - it->env.queued, age, sizeof(age));
			printf("%-36s %-12s %5s %9zu %3u  ", it->id, it->env.account ? it->env.account : "?",
			       it->env.queued > 0 ? age : "?", it->size, it->st.attempts);
			for (size_t k = 0; k < it->env.nrcpt; k++)
				printf("%s%s", k > 0 ? ", " : "", it->env.rcpts[k]);
			printf("%s\n", it->failed ? "  (failed: moved aside)" : "");
			if (it->st.error[0] != '\0') {
				char next[32] = "now";
				if (!it->failed && it->st.next > now) {
					human_age(it->st.next - now, age, sizeof(age));
					snprintf(next, sizeof(next), "in %s", age);
				}
				printf("    %s: %s%s%s\n", it->failed ? "refused" : "last error",
				       it->st.error, it->failed ? "" : "; next attempt ",
				       it->failed ? "" : next);
			}
		}
	}
	rc = fflush(stdout) == 0 ? 0 : EX_IOERR;
out:
	mk_spool_items_free(items, n);
	mk_spool_free(&sp);
	return rc;
}

/* Tell the person (notify_command) that a message was refused for good. */
static void notify_failed(const struct mk_account *a, const char *path, const char *reply)
{
	pid_t pid;
	int st;

	if (a == NULL || a->notify_command == NULL)
		return;
	pid = fork();
	if (pid == 0) {
		setenv("MAILKEY_ACCOUNT", a->name, 1);
		setenv("MAILKEY_EVENT", "queue-failed", 1);
		setenv("MAILKEY_QUEUE_FILE", path, 1);
		setenv("MAILKEY_QUEUE_REPLY", reply, 1);
		execl("/bin/sh", "sh", "-c", a->notify_command, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

struct run {
	struct mk_cli *cli;
	struct mk_broker *b;
	struct mk_spool *sp;
	bool now;
	size_t sent, waiting, refused, malformed, unsynced;
	bool consent; /* an account needs a login */
};

/* A failed attempt: count it, schedule the next. */
static void retry_later(struct run *r, struct mk_spool_item *it, const char *why)
{
	struct mk_error e;
	int64_t now = (int64_t)time(NULL);

	it->st.attempts++;
	it->st.next = now + mk_spool_backoff(it->st.attempts);
	snprintf(it->st.error, sizeof(it->st.error), "%s", why);
	if (mk_spool_set_state(r->sp, it->id, &it->st, &e) != 0)
		mk_log(MK_LOG_WARN, "%s", e.msg);
	r->waiting++;
}

static void move_aside(struct run *r, struct mk_spool_item *it, const struct mk_account *a, const char *why,
		       bool malformed)
{
	char path[PATH_MAX];
	struct mk_error e;

	if (mk_spool_fail(r->sp, it->id, why, path, &e) != 0) {
		/* It stays queued: failing to move it never loses it. */
		mk_log(MK_LOG_WARN, "%s", e.msg);
		r->waiting++;
		return;
	}
	fprintf(stderr, "mailkey queue: %s refused for good, moved to %s: %s\n", it->id, path, why);
	if (malformed)
		r->malformed++;
	else
		r->refused++;
	notify_failed(a, path, why);
}

/* Secrets never reach the queue's files or the terminal. */
static void redact(struct mk_error *e)
{
	char tmp[MK_ERROR_MSG_SIZE];

	mk_log_redact(e->msg, tmp, sizeof(tmp));
	memcpy(e->msg, tmp, sizeof(tmp));
}

static bool permanent(enum mk_error_class c)
{
	return c == MK_ERR_RESP || c == MK_ERR_DATA || c == MK_ERR_IMPL;
}

static void sent_one(struct run *r, struct mk_spool_item *it)
{
	struct mk_error e;

	if (mk_spool_done(r->sp, it->id, &e) != 0) {
		/* Left in new/, it would be sent again: say so loudly. */
		fprintf(stderr,
			"mailkey queue: %s was sent but cannot be removed (%s); it will be sent again\n",
			it->id, e.msg);
		return;
	}
	r->sent++;
	if (++r->unsynced >= MK_QUEUE_SYNC_EVERY) {
		if (mk_spool_sync(r->sp, &e) != 0)
			mk_log(MK_LOG_WARN, "%s", e.msg);
		r->unsynced = 0;
	}
}

/* The server's own words for each refused recipient, after the summary. */
static void add_replies(struct mk_error *err, const struct mk_spool_item *it,
			const struct mk_smtp_rcpt_result *res)
{
	char all[MK_ERROR_MSG_SIZE];
	size_t used = 0;

	all[0] = '\0';
	for (size_t k = 0; k < it->env.nrcpt; k++) {
		int n;
		if (res[k].code == 0 || res[k].code == 250 || res[k].code == 251)
			continue;
		n = snprintf(all + used, sizeof(all) - used, "; <%s>: %u %s", it->env.rcpts[k], res[k].code,
			     res[k].text);
		if (n < 0 || (size_t)n >= sizeof(all) - used)
			break;
		used += (size_t)n;
	}
	if (used > 0) {
		struct mk_error t = *err;
		mk_error_set(err, t.cls, "%s%s", t.msg, all);
	}
}

/* When the session's token expires (0: unknown). */
static int64_t token_expiry(struct mk_broker *b, const char *name)
{
	struct mk_tokens t = { 0 };
	struct mk_error e;
	int64_t x = 0;

	if (mk_broker_load_tokens(b, name, &t, &e) == 0)
		x = t.expires_at != 0 ? t.expires_at : t.obtained_at + 3600;
	mk_tokens_clear(&t);
	return x;
}

/* Send the due messages of one account: items[0..n) are all of it. */
static void run_account(struct run *r, const struct mk_account *a, struct mk_spool_item *items, size_t n)
{
	const char *name = a->name;
	struct mk_smtp *smtp = NULL;
	struct mk_buf msg;
	struct mk_error err;
	struct mk_smtp_rcpt_result *res = NULL;
	int64_t expires = 0;

	mk_buf_init(&msg, (size_t)80 << 20);
	for (size_t i = 0; i < n; i++) {
		struct mk_spool_item *it = &items[i];
		int64_t now = (int64_t)time(NULL);

		if (!r->now && it->st.next > now) {
			r->waiting++;
			continue;
		}
		mk_buf_reset(&msg);
		if (mk_spool_load(r->sp, it->id, &msg, &err) != 0) {
			if (err.cls == MK_ERR_NOINPUT)
				continue; /* gone meanwhile (removed by hand) */
			if (err.cls == MK_ERR_DATA)
				move_aside(r, it, a, err.msg, true);
			else
				retry_later(r, it, err.msg);
			continue;
		}
		/* A new session when there is none (first message, or the
		 * last one ended it), or its token is about to expire. */
		if (smtp != NULL &&
		    (!mk_smtp_usable(smtp) || (expires > 0 && now + MK_QUEUE_TOKEN_MARGIN >= expires)))
			mk_smtp_close(&smtp);
		if (smtp == NULL) {
			if (mk_cli_smtp_login(r->cli, r->b, name, &a, &smtp, &err) != 0) {
				/* Nothing of this account can go now: all of it
				 * waits, with this reason. */
				redact(&err);
				fprintf(stderr, "mailkey queue: account %s: %s\n", name, err.msg);
				r->consent = r->consent || err.cls == MK_ERR_CONSENT;
				for (; i < n; i++)
					if (r->now || items[i].st.next <= now)
						retry_later(r, &items[i], err.msg);
					else
						r->waiting++;
				break;
			}
			expires = token_expiry(r->b, name);
		}
		free(res);
		res = calloc(it->env.nrcpt, sizeof(*res));
		if (res == NULL) {
			retry_later(r, it, "out of memory");
			continue;
		}
		if (mk_smtp_send(smtp, it->env.from, (const char *const *)it->env.rcpts, it->env.nrcpt,
				 msg.data != NULL ? msg.data : "", msg.len, res, &err) == 0) {
			sent_one(r, it);
			continue;
		}
		add_replies(&err, it, res);
		redact(&err);
		if (permanent(err.cls)) {
			move_aside(r, it, a, err.msg, err.cls == MK_ERR_DATA);
			/* A clean slate for the next message (RFC 5321 §4.1.1.5). */
			if (mk_smtp_usable(smtp) && mk_smtp_rset(smtp, &err) != 0)
				mk_smtp_close(&smtp);
		} else {
			fprintf(stderr, "mailkey queue: %s: %s (it stays queued)\n", it->id, err.msg);
			retry_later(r, it, err.msg);
			/* A 4xx or a lost connection: the next message gets a
			 * new session (a 421 has ended this one). */
			mk_smtp_close(&smtp);
		}
	}
	mk_smtp_close(&smtp);
	mk_buf_free(&msg);
	free(res);
}

static int run(struct mk_cli *cli, const char *only, bool now)
{
	struct run r = { 0 };
	struct mk_spool_item *items = NULL;
	struct mk_error err;
	size_t n = 0;
	int rc, locked;

	mk_error_init(&err);
	r.cli = cli;
	r.now = now;
	if (mk_cli_broker(cli, &r.b, &err) != 0 || open_spool(cli, true, &r.sp, &err) != 0) {
		rc = mk_cli_fail(cli, "queue run", &err);
		goto out;
	}
	if (only != NULL && mk_broker_account(r.b, only, &(const struct mk_account *){ NULL }, &err) != 0) {
		rc = mk_cli_fail(cli, "queue run", &err);
		goto out;
	}
	locked = mk_spool_lock(r.sp, &err);
	if (locked != 0) {
		if (locked == 1)
			mk_error_set(&err, MK_ERR_TEMP, "another `mailkey queue run` is sending this queue");
		rc = mk_cli_fail(cli, "queue run", &err);
		goto out;
	}
	/* What killed `send --queue` processes left half-written: never
	 * queued (they did not exit 0), so nobody waits for them. */
	mk_spool_clean_tmp(r.sp, 86400);
	if (mk_spool_list(r.sp, false, &items, &n, &err) != 0) {
		rc = mk_cli_fail(cli, "queue run", &err);
		goto out;
	}
	/* Group by account, keeping the age order within each (stable: the
	 * list is sorted by id, and each group is gathered in one pass). */
	for (size_t i = 0; i < n; i++) {
		const char *acct = items[i].env.account;
		size_t end = i + 1;
		if (acct == NULL) {
			move_aside(&r, &items[i], NULL, items[i].st.error, true);
			continue;
		}
		for (size_t j = i + 1; j < n; j++)
			if (items[j].env.account != NULL && strcmp(items[j].env.account, acct) == 0) {
				struct mk_spool_item t = items[j];
				memmove(&items[end + 1], &items[end], (j - end) * sizeof(t));
				items[end++] = t;
			}
		if (only == NULL || strcmp(only, acct) == 0) {
			const struct mk_account *a;
			if (mk_broker_account(r.b, acct, &a, &err) != 0) {
				fprintf(stderr,
					"mailkey queue: %zu message(s) for account %s, which is not "
					"configured; "
					"they stay queued\n",
					end - i, acct);
				r.waiting += end - i;
			} else {
				run_account(&r, a, &items[i], end - i);
			}
		}
		i = end - 1;
	}
	if (r.unsynced > 0 && mk_spool_sync(r.sp, &err) != 0)
		mk_log(MK_LOG_WARN, "%s", err.msg);
	if (cli->verbose > 0 || r.waiting > 0 || r.refused > 0 || r.malformed > 0)
		fprintf(stderr, "mailkey queue run: %zu sent, %zu waiting, %zu moved aside\n", r.sent,
			r.waiting, r.refused + r.malformed);
	rc = r.refused > 0     ? EX_UNAVAILABLE
	     : r.malformed > 0 ? EX_DATAERR
	     : r.consent       ? EX_NOPERM
	     : r.waiting > 0   ? EX_TEMPFAIL
			       : 0;
out:
	mk_spool_items_free(items, n);
	mk_spool_free(&r.sp);
	return rc;
}

int mk_cmd_queue(struct mk_cli *cli, int argc, char **argv)
{
	const char *only = NULL;
	bool is_run = false, now = false, json = cli->json, failed = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		} else if (strcmp(argv[i], "--now") == 0) {
			now = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--failed") == 0) {
			failed = true;
		} else if (strcmp(argv[i], "-v") == 0) {
			cli->verbose++;
			mk_log_set_level(MK_LOG_TRACE);
		} else if (argv[i][0] == '-') {
			fprintf(stderr,
				"mailkey queue: unknown option '%s'; `mailkey queue --help` lists them\n",
				argv[i]);
			return EX_USAGE;
		} else if (i == 1 && strcmp(argv[i], "run") == 0) {
			is_run = true;
		} else if (is_run && only == NULL) {
			only = argv[i];
		} else if (i == 1) {
			fprintf(stderr,
				"mailkey queue: unknown subcommand '%s' (the one there is: run); `mailkey "
				"queue "
				"--help` shows the usage\n",
				argv[i]);
			return EX_USAGE;
		} else {
			fprintf(stderr,
				"mailkey queue: unexpected '%s'; `mailkey queue --help` shows the usage\n",
				argv[i]);
			return EX_USAGE;
		}
	}
	if (!is_run && now) {
		fprintf(stderr, "mailkey queue: --now belongs to `mailkey queue run`\n");
		return EX_USAGE;
	}
	return is_run ? run(cli, only, now) : list(cli, json, failed);
}
