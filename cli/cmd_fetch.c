#define _GNU_SOURCE
/* mailkey fetch: new messages over IMAP into a Maildir, each exactly once. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "cli/mail_login.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/secret.h"
#include "mail/imap.h"
#include "mail/maildir.h"
#include "mail/pop3.h"

static const char help[] =
	"usage: mailkey fetch ACCOUNT [--mailbox M | --pop3] [--maildir DIR] [--json]\n"
	"       mailkey fetch ACCOUNT --list\n\n"
	"Fetch the messages of mailbox M (default INBOX) that were not fetched before into the\n"
	"Maildir DIR (default ~/Maildir), over IMAP with the account's OAuth token. Messages\n"
	"stay on the server, unread. Running it again fetches only what is new.\n\n"
	"  --mailbox M   the IMAP mailbox to fetch (default INBOX)\n"
	"  --pop3        fetch the account's POP3 mailbox instead (remembered by UIDL; the\n"
	"                messages stay on the server)\n"
	"  --maildir DIR where to deliver (default ~/Maildir; created if missing)\n"
	"  --list        print the account's IMAP mailboxes, one a line, and fetch nothing\n"
	"  --json        one JSON line: account, mailbox or protocol, fetched, exists\n";

/* POP3 has no UIDVALIDITY: the UIDLs already fetched are remembered, one a
 * line, and the file is replaced after every message. */
static int fetch_pop3(struct mk_cli *cli, struct mk_broker *b, const char *name, const char *maildir,
		      size_t *got, unsigned *total, struct mk_error *err)
{
	unsigned long long octets;
	const struct mk_account *a;
	struct mk_pop3 *pop = NULL;
	struct mk_pop3_msg *m = NULL;
	struct mk_buf seen;
	struct mk_error e;
	char state[4096];
	size_t n = 0;
	int rc = -1;

	mk_buf_init(&seen, (size_t)16 << 20);
	snprintf(state, sizeof(state), "%s/.mailkey-%s-pop3.uidl", maildir, name);
	if (mk_fs_read_file(state, &seen, &e) != 0 && e.cls != MK_ERR_NOINPUT) {
		*err = e;
		goto out;
	}
	if (mk_cli_pop3_login(cli, b, name, &a, &pop, err) != 0 ||
	    mk_pop3_stat(pop, total, &octets, err) != 0 || mk_pop3_uidl(pop, &m, &n, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct mk_buf msg, key;
		bool known;
		mk_buf_init(&key, 128);
		mk_buf_addf(&key, "\n%s\n", m[i].uidl);
		known = seen.len > 0 && (strncmp(seen.data, key.data + 1, key.len - 1) == 0 ||
					 strstr(seen.data, key.data) != NULL);
		mk_buf_free(&key);
		if (known)
			continue;
		mk_buf_init(&msg, (size_t)64 << 20);
		if (mk_pop3_retr(pop, m[i].num, &msg, err) != 0 ||
		    mk_maildir_deliver(maildir, msg.data ? msg.data : "", msg.len, err) != 0) {
			mk_buf_free(&msg);
			goto out;
		}
		mk_buf_free(&msg);
		if (mk_buf_addf(&seen, "%s\n", m[i].uidl) != 0 ||
		    mk_fs_write_atomic(state, seen.data, seen.len, 0600, err) != 0)
			goto out;
		(*got)++;
	}
	rc = 0;
out:
	mk_pop3_close(&pop);
	free(m);
	mk_buf_free(&seen);
	return rc;
}

/* Messages per UID FETCH, and per write of the state file. */
#define MK_FETCH_BATCH 100

struct batch {
	const char *maildir;
	struct mk_maildir_entry *e;
	size_t n;
	const char **written; /* names in tmp/, to commit */
	size_t n_written;
};

static int deliver_one(void *ctx, uint64_t uid, const char *msg, size_t len, struct mk_error *err)
{
	struct batch *x = ctx;

	for (size_t i = 0; i < x->n; i++) {
		if (x->e[i].uid != uid)
			continue;
		if (mk_maildir_write_tmp(x->maildir, x->e[i].name, msg, len, err) != 0)
			return -1;
		x->written[x->n_written++] = x->e[i].name;
		return 0;
	}
	return 0; /* not asked for, or already delivered */
}

/* One batch, exactly once across kills: the state file first names every
 * message of the batch with its Maildir name (one write, which also records
 * the previous batch as done), then the messages are fetched with one
 * command, each written to tmp/ under its name; one syncfs makes them all
 * durable, they are renamed into new/, new/ is synced, and only then does
 * the state claim the batch. A re-run after a kill finds the announced
 * names: those in new/ (or moved to cur/) are whole and are not fetched
 * again; the others are removed from tmp/ and fetched again. pend is the
 * batch a killed run announced, or NULL. */
static int fetch_batch(struct mk_imap *imap, const char *maildir, const char *state, uint64_t uv,
		       uint64_t *last, const uint64_t *uids, size_t n, const struct mk_maildir_entry *pend,
		       size_t n_pend, size_t *got, struct mk_error *err)
{
	struct mk_maildir_entry *e = calloc(n, sizeof(*e));
	uint64_t *want = calloc(n, sizeof(*want));
	const char **written = calloc(n, sizeof(*written));
	struct batch x = { maildir, e, n, written, 0 };
	size_t n_want = 0;
	int rc = -1;

	if (e == NULL || want == NULL || written == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mk_maildir_entry *old = NULL;
		e[i].uid = uids[i];
		for (size_t j = 0; j < n_pend && old == NULL; j++)
			if (pend[j].uid == uids[i])
				old = &pend[j];
		if (old != NULL && mk_maildir_has(maildir, old->name)) {
			/* Delivered by the run that was killed: keep its name in the
			 * new announcement so that a second kill still knows. */
			memcpy(e[i].name, old->name, sizeof(e[i].name));
			continue;
		}
		if (old != NULL) /* written but not committed: fetched again */
			mk_maildir_drop_tmp(maildir, old->name);
		if (mk_maildir_new_name(e[i].name, sizeof(e[i].name), err) != 0)
			goto out;
		want[n_want++] = uids[i];
	}
	if (mk_maildir_state_save_batch(state, uv, *last, e, n, err) != 0 ||
	    mk_imap_fetch_batch(imap, want, n_want, deliver_one, &x, err) != 0 ||
	    mk_maildir_commit(maildir, written, x.n_written, err) != 0)
		goto out;
	*got += x.n_written;
	*last = uids[n - 1];
	/* The last batch's claim is written here; an earlier one's goes with
	 * the next announcement. */
	rc = 0;
out:
	/* A failed batch leaves nothing in tmp/: the next run fetches it. */
	for (size_t i = 0; rc != 0 && i < x.n_written; i++)
		mk_maildir_drop_tmp(maildir, written[i]);
	free(written);
	free(e);
	free(want);
	return rc;
}

static int print_mailbox(void *ctx, const char *mailbox)
{
	(void)ctx;
	return puts(mailbox) < 0 ? -1 : 0;
}

int mk_cmd_fetch(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL, *mailbox = "INBOX", *maildir = NULL;
	char *home_maildir = NULL, state[4096];
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_imap *imap = NULL;
	struct mk_error err;
	uint64_t uv, exists, old_uv, last, *uids = NULL;
	struct mk_maildir_entry *pend = NULL;
	size_t n = 0, got = 0, n_pend = 0;
	int rc = EX_USAGE;
	bool use_pop3 = false, reconnected = false, list = false;
	unsigned total = 0;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pop3") == 0)
			use_pop3 = true;
		else if (strcmp(argv[i], "--list") == 0)
			list = true;
		else if (strcmp(argv[i], "--mailbox") == 0 && i + 1 < argc)
			mailbox = argv[++i];
		else if (strcmp(argv[i], "--maildir") == 0 && i + 1 < argc)
			maildir = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey fetch: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	if (maildir == NULL) {
		const char *home = getenv("HOME");
		if (home == NULL || asprintf(&home_maildir, "%s/Maildir", home) < 0)
			return EX_OSERR;
		maildir = home_maildir;
	}
	mk_error_init(&err);
	if (use_pop3) {
		if (mk_cli_broker(cli, &b, &err) != 0 || mk_maildir_init(maildir, &err) != 0 ||
		    fetch_pop3(cli, b, name, maildir, &got, &total, &err) != 0)
			goto fail;
		if (cli->json)
			printf("{\"account\":\"%s\",\"protocol\":\"pop3\",\"fetched\":%zu,\"exists\":%u}\n",
			       name, got, total);
		else
			printf("%s POP3: %zu new message%s fetched into %s (%u in the mailbox)\n", name, got,
			       got == 1 ? "" : "s", maildir, total);
		rc = 0;
		goto out;
	}
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_maildir_init(maildir, &err) != 0)
		goto fail;
	if (list) {
		if (mk_cli_imap_login(cli, b, name, &a, &imap, &err) != 0 ||
		    mk_imap_list(imap, print_mailbox, NULL, &err) != 0)
			goto fail;
		rc = 0;
		goto out;
	}
again:
	if (mk_cli_imap_login(cli, b, name, &a, &imap, &err) != 0 ||
	    mk_imap_examine(imap, mailbox, &uv, &exists, &err) != 0)
		goto fail;
	snprintf(state, sizeof(state), "%s/.mailkey-%s-%s.state", maildir, name, mailbox);
	for (char *p = state + strlen(maildir) + 1; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
	if (mk_maildir_state_load_batch(state, &old_uv, &last, &pend, &n_pend, &err) != 0)
		goto fail;
	if (old_uv != uv) {
		/* RFC 9051 §2.3.1.1: a new UIDVALIDITY means old UIDs mean nothing. */
		if (old_uv != 0)
			mk_log(MK_LOG_WARN,
			       "%s was reset on the server (UIDVALIDITY changed): fetching it all again",
			       mailbox);
		last = 0;
		n_pend = 0;
	}
	if (mk_imap_uids_after(imap, last, &uids, &n, &err) != 0)
		goto fail;
	for (size_t i = 0; i < n; i += MK_FETCH_BATCH) {
		if (fetch_batch(imap, maildir, state, uv, &last, uids + i,
				n - i < MK_FETCH_BATCH ? n - i : MK_FETCH_BATCH, pend, n_pend, &got,
				&err) != 0)
			goto fail;
		n_pend = 0; /* settled by the first batch */
	}
	if (mk_maildir_state_save(state, uv, last, &err) != 0)
		goto fail;
	if (cli->json)
		printf("{\"account\":\"%s\",\"mailbox\":\"%s\",\"fetched\":%zu,\"exists\":%llu}\n", name,
		       mailbox, got, (unsigned long long)exists);
	else
		printf("%s %s: %zu new message%s fetched into %s (%llu in the mailbox)\n", name, mailbox, got,
		       got == 1 ? "" : "s", maildir, (unsigned long long)exists);
	rc = 0;
	goto out;
fail:
	/* The server ended the session (token expired mid-way): refresh the
	 * token and carry on once; the state file knows what is done. */
	if (mk_imap_ended_by_server(imap) && !reconnected) {
		char *tok = NULL;
		struct mk_error e2;
		reconnected = true;
		mk_imap_close(&imap);
		free(uids);
		uids = NULL;
		free(pend);
		pend = NULL;
		n_pend = 0;
		mk_log(MK_LOG_INFO, "%s; refreshing the token and reconnecting once", err.msg);
		if (mk_broker_token(b, name, true, &tok, &e2) == 0) {
			mk_secret_free_str(tok);
			goto again;
		}
		mk_error_prefix(&e2, "%s; a new token could not be had", err.msg);
		err = e2;
	}
	if (got > 0)
		fprintf(stderr, "mailkey fetch: %zu message%s fetched before the error\n", got,
			got == 1 ? "" : "s");
	rc = mk_cli_fail(cli, "fetch", &err);
out:
	mk_imap_close(&imap);
	free(uids);
	free(pend);
	free(home_maildir);
	return rc;
}
