#include "cli/mail_login.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"

enum proto { IMAP, POP3, SMTP };

static const char *const proto_names[] = { "imap", "pop3", "smtp" };

static const struct mk_mail_endpoint *endpoint(const struct mk_account *a, enum proto p)
{
	return p == IMAP ? &a->imap : p == POP3 ? &a->pop3 : &a->smtp;
}

static void conn_params(const struct mk_cli *cli, const struct mk_account *a, enum proto p,
			struct mk_conn_params *cp)
{
	const struct mk_mail_endpoint *e = endpoint(a, p);

	memset(cp, 0, sizeof(*cp));
	cp->host = e->host;
	cp->port = e->port;
	cp->implicit_tls = e->tls == MK_TLS_IMPLICIT;
	cp->cafile = cli->cafile != NULL ? cli->cafile : a->cafile;
	cp->source_address = a->source_address;
	cp->connect_timeout_ms = cp->io_timeout_ms = a->timeout * 1000;
}

/* One login attempt with token; *expired says whether a refresh may help. */
static int open_session(const struct mk_cli *cli, const struct mk_account *a, enum proto p, const char *token,
			void **r, bool *expired, struct mk_error *err)
{
	const struct mk_sasl_mech *mech =
		a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer;

	switch (p) {
	case IMAP: {
		struct mk_imap_params ip = { .mech = mech, .user = a->user, .token = token };
		conn_params(cli, a, p, &ip.conn);
		return mk_imap_open(&ip, (struct mk_imap **)r, expired, err);
	}
	case POP3: {
		/* Office 365 POP3 takes the response only after "+ " (protocols.md §1.6). */
		struct mk_pop3_params pp = { .mech = mech,
					     .user = a->user,
					     .token = token,
					     .force_two_step = strcmp(a->provider, "microsoft") == 0 };
		conn_params(cli, a, p, &pp.conn);
		return mk_pop3_open(&pp, (struct mk_pop3 **)r, expired, err);
	}
	case SMTP: {
		struct mk_smtp_params sp = { .mech = mech, .user = a->user, .token = token };
		conn_params(cli, a, p, &sp.conn);
		return mk_smtp_open(&sp, (struct mk_smtp **)r, expired, err);
	}
	}
	return mk_error_set(err, MK_ERR_INTERNAL, "unknown protocol");
}

/* The refused login and the failed refresh, in one message that is never
 * cut in the middle: the server's reason first, then why no new token came
 * and what to do. The class is the refresh's: a provider that cannot be
 * reached is "try later" (75) even though the server said 535, because the
 * refusal may be nothing but the server failing to reach the same provider
 * (Dovecot's introspection); only a grant that is gone asks for a login. */
static void both_failed(const struct mk_error *refused, struct mk_error *err)
{
	bool transient = err->cls == MK_ERR_TEMP || err->cls == MK_ERR_CONN;

	/* mk_error_prefix fits the whole at word boundaries (start and end
	 * kept), where fixed %.Ns cuts garbled words. */
	mk_error_prefix(err, "%s; no new token could be had%s", refused->msg,
			transient ? " (try again later)" : "");
}

static int login(struct mk_cli *cli, struct mk_broker *b, const char *name, enum proto p,
		 const struct mk_account **ap, void **r, struct mk_error *err)
{
	struct mk_error first;
	char *tok = NULL;
	bool expired = false;

	mk_error_init(&first);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mk_broker_token_for(b, name, attempt > 0, ap, &tok, err) != 0) {
			if (attempt > 0)
				both_failed(&first, err);
			return -1;
		}
		if (endpoint(*ap, p)->host == NULL) {
			mk_secret_free_str(tok);
			return mk_error_set(err, MK_ERR_CONFIG,
					    "account %s has no %s server (set %s = HOST:PORT)", name,
					    proto_names[p], proto_names[p]);
		}
		if (open_session(cli, *ap, p, tok, r, &expired, err) == 0) {
			mk_secret_free_str(tok);
			return 0;
		}
		mk_secret_clear_str(&tok);
		/* Any refusal gets one refresh, not only those that say the token
		 * expired: servers rarely say why (Postfix's "535 5.7.8 (reason
		 * unavailable)"), and only the refresh tells a dead grant (77)
		 * from a provider that is down (75). */
		if (!(err->cls == MK_ERR_AUTH && attempt == 0))
			return -1;
		first = *err;
		mk_log(MK_LOG_INFO, "the %s server refused the token%s; refreshing it and trying once more",
		       proto_names[p], expired ? " (it says the token expired)" : "");
	}
	return -1;
}

int mk_cli_imap_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_imap **r, struct mk_error *err)
{
	return login(cli, b, name, IMAP, ap, (void **)r, err);
}

int mk_cli_pop3_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_pop3 **r, struct mk_error *err)
{
	return login(cli, b, name, POP3, ap, (void **)r, err);
}

int mk_cli_smtp_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_smtp **r, struct mk_error *err)
{
	return login(cli, b, name, SMTP, ap, (void **)r, err);
}
