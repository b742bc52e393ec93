#include "cli/mail_login.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"
#include "gateway/acct_open.h"

/* The shared part (connection parameters, mechanism) is the gateway's too. */
enum proto { IMAP = GW_IMAP, POP3 = GW_POP3, SMTP = GW_SMTP };

static const struct mk_mail_endpoint *endpoint(const struct mk_account *a, enum proto p)
{
	return gw_acct_endpoint(a, (enum gw_proto)p);
}

static int open_session(const struct mk_cli *cli, const struct mk_account *a, enum proto p, const char *token,
			void **r, bool *expired, struct mk_error *err)
{
	return gw_acct_open(a, (enum gw_proto)p, cli->cafile, false, token, r, expired, err);
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
					    gw_proto_name((enum gw_proto)p), gw_proto_name((enum gw_proto)p));
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
		       gw_proto_name((enum gw_proto)p), expired ? " (it says the token expired)" : "");
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
