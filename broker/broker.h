/* The broker as the CLI sees it: configuration, the encrypted store and the
 * refresh policy (ARCHITECTURE.md "Refresh policy") behind one handle. */
#ifndef MK_BROKER_BROKER_H
#define MK_BROKER_BROKER_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/account.h"
#include "broker/tokens.h"
#include "common/error.h"

struct mk_broker;

struct mk_broker_params {
	const char *config_path; /* NULL = $MAILKEY_CONFIG, then $XDG_CONFIG_HOME/mailkey/config */
	const char *state_dir;	 /* NULL = $MAILKEY_STATE_DIR, then $XDG_STATE_HOME/mailkey */
	const char *cafile;	 /* overrides every account's cafile (tests); NULL = none */
	/* Set by `mailkey daemon` for its own handle: refresh here, never ask
	 * a daemon (that would be itself), and leave notify_command to the
	 * caller (the daemon repeats it at the account's notify_interval). */
	bool daemon_mode;
};

/* Read the configuration and locate the store (created lazily on first
 * write). Errors: MK_ERR_CONFIG (with file:line), MK_ERR_NOINPUT (no config
 * file: the message says how to create one), MK_ERR_IO. */
int mk_broker_open(const struct mk_broker_params *p, struct mk_broker **r, struct mk_error *err);
void mk_broker_free(struct mk_broker **b);

/* The account called name. MK_ERR_USAGE naming the known accounts if none. */
int mk_broker_account(struct mk_broker *b, const char *name, const struct mk_account **r,
		      struct mk_error *err);
size_t mk_broker_account_count(const struct mk_broker *b);
const struct mk_account *mk_broker_account_at(const struct mk_broker *b, size_t i);
/* The configuration's default_account (sendmail mode's choice), or NULL. */
const char *mk_broker_default_account(const struct mk_broker *b);

/* Stored tokens of an account: 0 found, 1 nothing stored (r cleared), -1 error
 * (MK_ERR_DATA corrupt/wrong key naming the file, MK_ERR_IO). */
int mk_broker_load_tokens(struct mk_broker *b, const char *name, struct mk_tokens *r, struct mk_error *err);

/* Store (replace) or forget an account's tokens, under that account's lock,
 * by atomic replace of its record alone. */
int mk_broker_save_tokens(struct mk_broker *b, const char *name, const struct mk_tokens *t,
			  struct mk_error *err);
int mk_broker_forget_tokens(struct mk_broker *b, const char *name, struct mk_error *err);

/* Fail now if tokens could not be stored later (undecryptable store, damaged
 * key, key_command failing, state directory not writable): a login checks this
 * before anyone is asked for consent. Errors as mk_broker_load_tokens,
 * MK_ERR_CONFIG. */
int mk_broker_check_store(struct mk_broker *b, struct mk_error *err);

/* A valid access token for account name, refreshed first if the policy says
 * so or force_refresh is set (a server just rejected the old one). One
 * refresh per account at a time across processes; a rotated refresh token is
 * stored before the access token is returned. *token_r is a heap secret
 * (mk_secret_free_str). Errors: MK_ERR_CONSENT (run `mailkey login NAME`),
 * MK_ERR_TEMP, MK_ERR_CONFIG, MK_ERR_DATA, MK_ERR_IO. */
int mk_broker_token(struct mk_broker *b, const char *name, bool force_refresh, char **token_r,
		    struct mk_error *err);

/* Same as mk_broker_token, also returning the account (for user name, hosts). */
int mk_broker_token_for(struct mk_broker *b, const char *name, bool force_refresh,
			const struct mk_account **acct_r, char **token_r, struct mk_error *err);

#endif
