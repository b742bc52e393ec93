/* Logging in to an account's mail servers from the CLI: connection
 * parameters from the account, the token from the broker, and one refresh
 * and second try when the server refuses the token. */
#ifndef MK_CLI_MAIL_LOGIN_H
#define MK_CLI_MAIL_LOGIN_H

#include "cli/cli.h"
#include "mail/imap.h"
#include "mail/pop3.h"
#include "mail/smtp.h"

int mk_cli_imap_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_imap **r, struct mk_error *err);
int mk_cli_pop3_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_pop3 **r, struct mk_error *err);
int mk_cli_smtp_login(struct mk_cli *cli, struct mk_broker *b, const char *name, const struct mk_account **ap,
		      struct mk_smtp **r, struct mk_error *err);

#endif
