/* Configuration + store + refresh policy behind one handle. */
#include "broker/broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/client/client.h"
#include "broker/config/config.h"
#include "broker/daemon/proto.h"
#include "broker/oauth/oauth.h"
#include "broker/policy.h"
#include "broker/store/store.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sighold.h"

struct mk_broker {
	struct mk_config *cfg;
	struct mk_store *store;
	char *state_dir; /* where a daemon serving this store records its socket */
	bool daemon_mode;
};

int mk_broker_open(const struct mk_broker_params *p, struct mk_broker **r, struct mk_error *err)
{
	struct mk_broker *b = calloc(1, sizeof(*b));
	char *cpath = NULL, *sdir = NULL;
	int rc = -1;

	*r = NULL;
	if (b == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	cpath = p->config_path != NULL ? strdup(p->config_path) : mk_config_default_path();
	sdir = p->state_dir != NULL ? strdup(p->state_dir) : mk_store_default_dir();
	if (cpath == NULL || sdir == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (mk_config_load(cpath, NULL, &b->cfg, err) != 0)
		goto out;
	if (p->cafile != NULL) {
		for (size_t i = 0; i < mk_config_account_count(b->cfg); i++) {
			struct mk_account *a = mk_config_account_at(b->cfg, i);
			free(a->cafile);
			if ((a->cafile = strdup(p->cafile)) == NULL) {
				mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
				goto out;
			}
		}
	}
	for (size_t i = 0; i < mk_config_account_count(b->cfg); i++)
		mk_log_register_secret(mk_config_account_at(b->cfg, i)->client_secret);
	if (mk_store_new(sdir, mk_config_key_command(b->cfg), &b->store, err) != 0)
		goto out;
	b->daemon_mode = p->daemon_mode;
	b->state_dir = sdir;
	sdir = NULL;
	*r = b;
	b = NULL;
	rc = 0;
out:
	free(cpath);
	free(sdir);
	mk_broker_free(&b);
	return rc;
}

void mk_broker_free(struct mk_broker **bp)
{
	struct mk_broker *b = *bp;

	if (b == NULL)
		return;
	mk_config_free(&b->cfg);
	mk_store_free(&b->store);
	free(b->state_dir);
	free(b);
	*bp = NULL;
}

int mk_broker_account(struct mk_broker *b, const char *name, const struct mk_account **r,
		      struct mk_error *err)
{
	struct mk_buf names;

	*r = mk_config_find(b->cfg, name);
	if (*r != NULL)
		return 0;
	mk_buf_init(&names, 2048);
	for (size_t i = 0; i < mk_config_account_count(b->cfg); i++)
		mk_buf_addf(&names, "%s%s", i ? ", " : "", mk_config_account_at(b->cfg, i)->name);
	mk_error_set(err, MK_ERR_USAGE, "no account '%s' in %s (configured: %s)", name,
		     mk_config_path(b->cfg), names.len ? mk_buf_str(&names) : "none");
	mk_buf_free(&names);
	return -1;
}

size_t mk_broker_account_count(const struct mk_broker *b)
{
	return mk_config_account_count(b->cfg);
}

const struct mk_account *mk_broker_account_at(const struct mk_broker *b, size_t i)
{
	return mk_config_account_at(b->cfg, i);
}

const char *mk_broker_default_account(const struct mk_broker *b)
{
	return mk_config_default_account(b->cfg);
}

int mk_broker_load_tokens(struct mk_broker *b, const char *name, struct mk_tokens *r, struct mk_error *err)
{
	int rc = mk_store_read(b->store, name, r, NULL, err);

	if (rc == 0) {
		mk_log_register_secret(r->access_token);
		mk_log_register_secret(r->refresh_token);
	}
	return rc;
}

int mk_broker_save_tokens(struct mk_broker *b, const char *name, const struct mk_tokens *t,
			  struct mk_error *err)
{
	return mk_store_put(b->store, name, t, err);
}

int mk_broker_forget_tokens(struct mk_broker *b, const char *name, struct mk_error *err)
{
	return mk_store_put(b->store, name, NULL, err);
}

int mk_broker_check_store(struct mk_broker *b, struct mk_error *err)
{
	return mk_store_check(b->store, err);
}

/* Tell the person (notify_command) that only a new login will help. The
 * command gets the account in its environment, never a secret. */
static void notify_consent(const struct mk_account *a)
{
	pid_t pid;

	/* Set before fork: only exec may follow fork in a process that may
	 * have threads (libcurl's resolver). */
	if (a->notify_command == NULL || setenv("MAILKEY_ACCOUNT", a->name, 1) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", a->notify_command, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int usable(const struct mk_tokens *t, const struct mk_account *a, bool force, const char *seen)
{
	if (t->access_token == NULL || t->needs_consent)
		return 0;
	if (force)
		return seen != NULL && strcmp(seen, t->access_token) != 0; /* someone else refreshed */
	return !mk_policy_should_refresh((int64_t)time(NULL), t->obtained_at, t->expires_at,
					 a->refresh_margin);
}

/* When `mailkey daemon` runs it owns every refresh (a process killed
 * mid-refresh could lose a rotated refresh token; the daemon finishes its
 * write before it exits): ask it. 0 with *token_r, 1 no daemon (refresh
 * here), -1 with err as the daemon said (its class kept: 75 stays 75). */
static int ask_daemon(const struct mk_broker *b, const char *name, bool force_refresh, unsigned timeout_ms,
		      char **token_r, struct mk_error *err)
{
	char req[32 + MK_PROTO_ACCOUNT_MAX];
	char *sock;
	int n, rc;

	/* A name the protocol cannot carry is one no daemon serves. */
	if (strlen(name) > MK_PROTO_ACCOUNT_MAX)
		return 1;
	n = snprintf(req, sizeof(req), "token %s%s", name, force_refresh ? " fresh" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return 1;
	/* Only the daemon of this very store (another --state-dir's daemon
	 * would hand out its own account of that name). */
	if ((sock = mk_client_socket_for_state(b->state_dir)) == NULL)
		return 1;
	rc = mk_client_request(sock, req, timeout_ms, token_r, err);
	free(sock);
	if (rc == 0 && **token_r == '\0') {
		mk_secret_clear_str(token_r);
		return mk_error_set(err, MK_ERR_TEMP,
				    "the mailkey daemon sent an empty token for account %s: check `%s "
				    "status`, or try again later",
				    name, mk_hint_cmd());
	}
	if (rc == 0)
		mk_log_register_secret(*token_r);
	return rc;
}

int mk_broker_token_for(struct mk_broker *b, const char *name, bool force_refresh,
			const struct mk_account **acct_r, char **token_r, struct mk_error *err)
{
	const struct mk_account *a;
	struct mk_tokens cur = { 0 }, fresh = { 0 };
	struct mk_oauth_params op = { 0 };
	struct mk_error rerr;
	struct mk_store_lock *lock = NULL;
	uint64_t gen = 0;
	char *seen = NULL;
	int rc = -1, found;

	*token_r = NULL;
	if (mk_broker_account(b, name, &a, err) != 0)
		return -1;
	if (acct_r != NULL)
		*acct_r = a;
	found = mk_broker_load_tokens(b, name, &cur, err);
	if (found < 0)
		return -1;
	if (found == 1)
		return mk_error_set(err, MK_ERR_CONSENT, "account %s has no tokens yet: run `%s login %s`",
				    name, mk_hint_cmd(), name);
	if (cur.needs_consent) {
		mk_error_set(err, MK_ERR_CONSENT, "account %s needs a new login (%s)", name,
			     cur.last_error ? cur.last_error : "the grant was revoked or expired");
		mk_error_login_hint(err, name);
		goto out;
	}
	if (usable(&cur, a, force_refresh, NULL))
		goto hand_out;
	if (!b->daemon_mode) {
		struct mk_error derr;
		int d;

		/* While the current token is valid the daemon answers at once
		 * (it hands that token out during its refresh): a daemon that
		 * does not (stopped, hung) costs a few seconds, not 90. */
		bool valid = !force_refresh && cur.access_token != NULL &&
			     !mk_policy_is_expired((int64_t)time(NULL), cur.expires_at);

		mk_error_init(&derr);
		d = ask_daemon(b, name, force_refresh,
			       valid ? MK_CLIENT_QUICK_WAIT_MS : MK_CLIENT_REFRESH_WAIT_MS, token_r, &derr);
		if (d == 0) {
			rc = 0;
			goto out;
		}
		/* The daemon did not answer in time, or has no new token yet:
		 * like a refresh of our own that failed for now, the current
		 * token serves until it expires. */
		if (d < 0 && derr.cls == MK_ERR_TEMP && !force_refresh && cur.access_token != NULL &&
		    !mk_policy_is_expired((int64_t)time(NULL), cur.expires_at)) {
			mk_log(MK_LOG_WARN, "using the current token of account %s until it expires: %s",
			       name, derr.msg);
			goto hand_out;
		}
		if (d < 0) {
			if (err != NULL)
				*err = derr;
			goto out;
		}
	}
	seen = cur.access_token != NULL ? strdup(cur.access_token) : NULL;
	/* Single flight: whoever holds the lock refreshes; the others find
	 * the new token when they get the lock. */
	if (mk_store_lock(b->store, name, &lock, err) != 0)
		goto out;
	mk_tokens_clear(&cur);
	if ((found = mk_store_read(b->store, name, &cur, &gen, err)) < 0)
		goto unlock;
	if (found == 1) {
		mk_error_set(err, MK_ERR_CONSENT, "account %s has no tokens: run `%s login %s`", name,
			     mk_hint_cmd(), name);
		goto unlock;
	}
	if (cur.needs_consent) {
		mk_error_set(err, MK_ERR_CONSENT, "account %s needs a new login: run `%s login %s`", name,
			     mk_hint_cmd(), name);
		goto unlock;
	}
	if (usable(&cur, a, force_refresh, seen) || (!force_refresh && usable(&cur, a, false, NULL))) {
		mk_store_unlock(b->store, &lock);
		goto hand_out;
	}
	/* Without a refresh token there is nothing to ask the provider for.
	 * While the access token has not expired, that is no proof the grant
	 * is gone: a mail server's refusal looks the same when it merely could
	 * not reach the provider (Postfix's "535 5.7.8 (reason unavailable)").
	 * So hand it out until it expires, and answer a forced refresh with
	 * "try later" (75, the caller keeps the mail), never 77 while it may
	 * still work; once it has expired the refresh below says 77. */
	if (cur.refresh_token == NULL && cur.access_token != NULL &&
	    !mk_policy_is_expired((int64_t)time(NULL), cur.expires_at)) {
		mk_store_unlock(b->store, &lock);
		if (!force_refresh)
			goto hand_out;
		mk_error_set(err, MK_ERR_TEMP,
			     "account %s has no refresh token to get another, and the current one is valid "
			     "for %lld s more (if servers keep refusing it, it was revoked: run `%s login "
			     "%s`)",
			     name, (long long)(cur.expires_at - (int64_t)time(NULL)), mk_hint_cmd(), name);
		goto out;
	}
	op.acct = a;
	/* Prove that the store takes a write before the provider retires the
	 * old refresh token: a state directory that became read-only, a full
	 * disk or a failing key_command is found now, while the grant is still
	 * whole, and the refresh waits (75) instead of throwing a rotated
	 * refresh token away. The record is written back as it is (one more
	 * write per refresh, about an hour apart). */
	if (mk_store_write(b->store, lock, &cur, gen, err) != 0) {
		mk_error_prefix(err,
				"account %s was not refreshed, so that its grant is kept: the store cannot "
				"be written (fix that, then try again)",
				name);
		if (err->cls != MK_ERR_CONSENT)
			err->cls = MK_ERR_TEMP;
		mk_store_unlock(b->store, &lock);
		if (!force_refresh && cur.access_token != NULL &&
		    !mk_policy_is_expired((int64_t)time(NULL), cur.expires_at)) {
			mk_log(MK_LOG_WARN, "%s; using the current token until it expires", err->msg);
			mk_error_init(err);
			goto hand_out;
		}
		goto out;
	}
	gen++;
	mk_error_init(&rerr);
	/* From the moment the request goes out until the answer is on disk
	 * (or known to carry nothing), SIGINT/SIGTERM/SIGHUP wait: the provider
	 * retires the old refresh token when it answers. Released at out. */
	if (mk_oauth_refresh(&op, &cur, &fresh, &rerr) == 0) {
		/* The rotated refresh token is on disk before anyone sees the
		 * new access token. */
		if (mk_store_write(b->store, lock, &fresh, gen, err) != 0) {
			mk_log(MK_LOG_ERROR,
			       "account %s: the provider rotated its refresh token but the store refused "
			       "the write just after accepting one; the grant may need a new login",
			       name);
			goto unlock;
		}
		mk_tokens_clear(&cur);
		cur = fresh;
		memset(&fresh, 0, sizeof(fresh));
		mk_store_unlock(b->store, &lock);
		goto hand_out;
	}
	/* A server may echo what it was sent: no secret goes into the store,
	 * the log or the message. */
	{
		const char *sec[] = { cur.refresh_token, cur.access_token, cur.id_token, a->client_secret };
		mk_error_redact(rerr.msg, sizeof(rerr.msg), sec, sizeof(sec) / sizeof(sec[0]));
	}
	free(cur.last_error);
	cur.last_error = strdup(rerr.msg);
	cur.last_error_at = (int64_t)time(NULL);
	if (rerr.cls == MK_ERR_CONSENT) {
		cur.needs_consent = true;
		mk_store_write(b->store, lock, &cur, gen, NULL);
		mk_store_unlock(b->store, &lock);
		mk_sig_release(); /* the notify command must not inherit the mask */
		if (!b->daemon_mode)
			notify_consent(a);
		*err = rerr;
		mk_error_prefix(err, "refreshing account %s failed", name);
		mk_error_login_hint(err, name);
		goto out;
	}
	/* Transient: the grant is fine and the store stays as it was. Keep
	 * using the old token while it is still valid (a refresh ahead of
	 * expiry can wait). */
	mk_store_unlock(b->store, &lock);
	if (!force_refresh && cur.access_token != NULL &&
	    !mk_policy_is_expired((int64_t)time(NULL), cur.expires_at)) {
		mk_log(MK_LOG_WARN,
		       "refreshing account %s failed, using the current token until it expires: %s", name,
		       rerr.msg);
		goto hand_out;
	}
	*err = rerr;
	mk_error_prefix(err, "refreshing account %s failed", name);
	goto out;
unlock:
	mk_store_unlock(b->store, &lock);
	goto out;
hand_out:
	*token_r = strdup(cur.access_token);
	rc = *token_r != NULL ? 0 : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
out:
	mk_store_unlock(b->store, &lock);
	mk_secret_free_str(seen);
	mk_tokens_clear(&cur);
	mk_tokens_clear(&fresh);
	/* A signal that came during the refresh acts now, with the store
	 * written. */
	mk_sig_release();
	return rc;
}

int mk_broker_token(struct mk_broker *b, const char *name, bool force_refresh, char **token_r,
		    struct mk_error *err)
{
	return mk_broker_token_for(b, name, force_refresh, NULL, token_r, err);
}
