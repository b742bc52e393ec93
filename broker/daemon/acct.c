/* The accounts as the daemon keeps them: the in-memory cache of each
 * record, the refresh decisions (background, on demand, single flight), the
 * parked callers, and needs-consent with its notify repeats. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "broker/daemon/daemon-private.h"
#include "broker/daemon/sched.h"
#include "broker/policy.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"

static const char *const state_names[MK_DSTATE_LAST] = {
	[MK_DSTATE_OK] = "ok",
	[MK_DSTATE_REFRESHING] = "refreshing",
	[MK_DSTATE_BACKOFF] = "backoff",
	[MK_DSTATE_NEEDS_CONSENT] = "needs-consent",
	[MK_DSTATE_NO_TOKENS] = "no-tokens",
};

const char *mk_d_state_name(enum mk_dstate s)
{
	return s < MK_DSTATE_LAST ? state_names[s] : "unknown";
}

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* (Re)build the name index over d->accts. */
static int index_build(struct mk_daemon *d)
{
	size_t size = 64;

	while (size < 2 * d->n + 2)
		size *= 2;
	free(d->index);
	d->index = calloc(size, sizeof(*d->index));
	d->index_size = d->index != NULL ? size : 0;
	if (d->index == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		size_t j = name_hash(d->accts[i]->name) & (size - 1);
		while (d->index[j] != 0)
			j = (j + 1) & (size - 1);
		d->index[j] = i + 1;
	}
	return 0;
}

struct dacct *mk_d_acct_find(struct mk_daemon *d, const char *name)
{
	if (d->index_size == 0)
		return NULL;
	for (size_t j = name_hash(name) & (d->index_size - 1); d->index[j] != 0;
	     j = (j + 1) & (d->index_size - 1)) {
		struct dacct *ac = d->accts[d->index[j] - 1];
		if (strcmp(ac->name, name) == 0)
			return ac;
	}
	return NULL;
}

static void set_error(struct dacct *ac, const char *msg)
{
	mk_error_fit(ac->last_error, sizeof(ac->last_error), msg != NULL ? msg : "");
	ac->last_error_at = mk_d_now();
}

/* Take the record t (found: 0 record, 1 none, -1 unreadable with msg) into
 * the cache. Returns true when the access token changed. */
static bool cache_set(struct dacct *ac, int found, const struct mk_tokens *t, const char *msg)
{
	bool changed;

	if (found != 0 || t->access_token == NULL) {
		changed = ac->token != NULL;
		mk_secret_clear_str(&ac->token);
		ac->found = found == 0;
		ac->expires_at = ac->obtained_at = 0;
		ac->has_refresh = false;
		ac->needs_consent = found == 0 && t->needs_consent;
		if (found < 0)
			set_error(ac, msg);
		if (changed)
			ac->serial++;
		return changed;
	}
	changed = ac->token == NULL || strcmp(ac->token, t->access_token) != 0;
	if (changed) {
		char *n = strdup(t->access_token);
		if (n == NULL)
			return false; /* keep the old one; the next change retries */
		mk_log_register_secret(n);
		mk_secret_free_str(ac->token);
		ac->token = n;
		ac->serial++;
	}
	ac->found = true;
	ac->obtained_at = t->obtained_at;
	ac->expires_at = t->expires_at > 0 ? t->expires_at : t->obtained_at + MK_TOKENS_ASSUMED_LIFETIME;
	ac->has_refresh = t->refresh_token != NULL;
	ac->needs_consent = t->needs_consent;
	if (t->last_error != NULL && t->needs_consent) {
		mk_error_fit(ac->last_error, sizeof(ac->last_error), t->last_error);
		ac->last_error_at = t->last_error_at;
	}
	return changed;
}

/* Read the account's record from the store into the cache. */
static bool cache_read(struct mk_daemon *d, struct dacct *ac)
{
	struct mk_tokens t = { 0 };
	struct mk_error err;
	int found;
	bool changed;

	mk_error_init(&err);
	found = mk_store_read(d->store, ac->name, &t, NULL, &err);
	if (found < 0)
		mk_log(MK_LOG_ERROR, "daemon: account %s: %s", ac->name, err.msg);
	changed = cache_set(ac, found, &t, err.msg);
	mk_tokens_clear(&t);
	return changed;
}

static struct dacct *acct_new(const struct mk_account *a)
{
	struct dacct *ac = calloc(1, sizeof(*ac));

	if (ac == NULL || (ac->name = strdup(a->name)) == NULL) {
		free(ac);
		return NULL;
	}
	ac->a = a;
	return ac;
}

static void waiters_fail(struct mk_daemon *d, struct dacct *ac, int code, const char *msg);
static void consent_msg(const struct dacct *ac, char *buf, size_t size);

static void acct_free(struct mk_daemon *d, struct dacct *ac)
{
	waiters_fail(d, ac, 64, "the account was removed from the configuration");
	/* Nobody would reap its notify_command any more. */
	if (ac->notify_pid > 0) {
		kill(-ac->notify_pid, SIGKILL);
		waitpid(ac->notify_pid, NULL, 0);
	}
	mk_secret_free_str(ac->token);
	free(ac->name);
	free(ac);
}

void mk_d_acct_free_all(struct mk_daemon *d)
{
	for (size_t i = 0; i < d->n; i++)
		acct_free(d, d->accts[i]);
	free(d->accts);
	free(d->index);
	d->accts = NULL;
	d->index = NULL;
	d->n = d->index_size = 0;
}

/* An account found needing a new login: tell the person now, then every
 * notify_interval. */
static void consent_began(struct mk_daemon *d, struct dacct *ac)
{
	char msg[1024];

	consent_msg(ac, msg, sizeof(msg));
	mk_log(MK_LOG_WARN, "daemon: %s", msg);
	mk_d_event(d, "needs-consent", ac, ac->last_error);
	ac->notify_next = mk_d_now();
}

static int build(struct mk_daemon *d, struct mk_config *cfg, bool keep)
{
	size_t n = mk_config_account_count(cfg), oldn;
	struct dacct **accts = calloc(n + 1, sizeof(*accts)), **old;
	int rc;

	if (accts == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		d->accts[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct mk_account *a = mk_config_account_at(cfg, i);
		struct dacct *ac = keep ? mk_d_acct_find(d, a->name) : NULL;
		if (ac != NULL) {
			ac->a = a; /* cached tokens stay */
			ac->seen = true;
		} else if ((ac = acct_new(a)) == NULL) {
			for (size_t k = 0; k < i; k++)
				if (!accts[k]->seen)
					acct_free(d, accts[k]);
			free(accts);
			return -1;
		} else {
			cache_read(d, ac);
			if (ac->needs_consent)
				consent_began(d, ac);
		}
		accts[i] = ac;
	}
	/* The new table and index first: answering a removed account's
	 * waiters resumes their connections, whose next requests look accounts
	 * up and must not find one already freed. */
	old = d->accts;
	oldn = d->n;
	d->accts = accts;
	d->n = n;
	rc = index_build(d);
	for (size_t i = 0; i < oldn; i++)
		if (!old[i]->seen) {
			mk_log(MK_LOG_INFO, "daemon: account %s is no longer configured", old[i]->name);
			acct_free(d, old[i]);
		}
	for (size_t i = 0; i < n; i++)
		accts[i]->seen = false;
	free(old);
	return rc;
}

int mk_d_accts_load(struct mk_daemon *d, struct mk_error *err)
{
	if (build(d, d->cfg, false) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return 0;
}

int mk_d_reload(struct mk_daemon *d)
{
	struct mk_config *cfg = NULL;
	struct mk_error err;

	mk_error_init(&err);
	if (mk_config_load(d->config_path, NULL, &cfg, &err) != 0) {
		mk_log(MK_LOG_ERROR, "daemon: reload failed, keeping the configuration in use: %s", err.msg);
		return -1;
	}
	if (d->cafile != NULL)
		for (size_t i = 0; i < mk_config_account_count(cfg); i++) {
			struct mk_account *a = mk_config_account_at(cfg, i);
			free(a->cafile);
			a->cafile = strdup(d->cafile);
		}
	for (size_t i = 0; i < mk_config_account_count(cfg); i++)
		mk_log_register_secret(mk_config_account_at(cfg, i)->client_secret);
	if (build(d, cfg, true) != 0) {
		mk_log(MK_LOG_ERROR, "daemon: reload failed: out of memory");
		mk_config_free(&cfg);
		return -1;
	}
	if (d->socket_from_config &&
	    (mk_config_socket(cfg) == NULL || strcmp(mk_config_socket(cfg), d->socket_path) != 0))
		mk_log(MK_LOG_WARN,
		       "daemon: the configuration names another socket: still listening on %s until "
		       "a restart",
		       d->socket_path);
	{
		const char *og = mk_config_allow_group(d->cfg), *ng = mk_config_allow_group(cfg);
		if ((og == NULL) != (ng == NULL) || (og != NULL && strcmp(og, ng) != 0))
			mk_log(MK_LOG_WARN, "daemon: allow_group changed in the configuration: it takes a "
					    "restart");
	}
	mk_config_free(&d->cfg);
	d->cfg = cfg;
	mk_pool_reload(d->pool);
	/* Before the line below: who waits for it finds the gateway's
	 * accounts in step. */
	if (d->on_reload != NULL)
		d->on_reload(d->hook_ctx);
	mk_log(MK_LOG_INFO, "daemon: reloaded the configuration (%zu accounts)", d->n);
	mk_d_event(d, "reloaded", NULL, NULL);
	return 0;
}

enum mk_dstate mk_d_acct_state(const struct dacct *ac, int64_t now)
{
	if (ac->needs_consent)
		return MK_DSTATE_NEEDS_CONSENT;
	if (!ac->found || ac->token == NULL)
		return MK_DSTATE_NO_TOKENS;
	if (ac->in_flight)
		return MK_DSTATE_REFRESHING;
	if (ac->failures > 0 && ac->retry_at > now)
		return MK_DSTATE_BACKOFF;
	return MK_DSTATE_OK;
}

/* When a background refresh is due: at the policy's moment (a token
 * without a refresh token: when it expires, to find out), not before the
 * backoff ends. */
int64_t mk_d_acct_next_refresh(const struct dacct *ac)
{
	int64_t due;

	if (ac->needs_consent || !ac->found || ac->token == NULL)
		return MK_SCHED_NEVER;
	due = ac->has_refresh ? mk_sched_due(ac->obtained_at, ac->expires_at, ac->a->refresh_margin)
			      : (ac->expires_at > 0 ? ac->expires_at : MK_SCHED_NEVER);
	if (ac->failures > 0 && ac->retry_at > due)
		due = ac->retry_at;
	return due;
}

static void submit(struct mk_daemon *d, struct dacct *ac, bool force)
{
	struct mk_job *j;

	if (ac->in_flight || d->stopping)
		return;
	if ((j = mk_job_new(ac->name, force)) == NULL) {
		mk_log(MK_LOG_ERROR, "daemon: cannot refresh account %s: out of memory", ac->name);
		return;
	}
	ac->in_flight = true;
	ac->in_flight_force = force;
	ac->last_attempt = mk_d_now();
	mk_log(MK_LOG_DEBUG, "daemon: refreshing account %s%s", ac->name, force ? " (forced)" : "");
	mk_pool_submit(d->pool, j);
}

/* --- parked callers --- */

static void park(struct dacct *ac, struct dconn *c, enum mk_dwait kind, bool fresh, enum mk_proto_mech mech)
{
	c->parked = ac;
	c->wkind = kind;
	c->wfresh = fresh;
	c->wmech = mech;
	c->wserial = ac->serial;
	c->wprev = NULL;
	c->wnext = ac->waiters;
	if (ac->waiters != NULL)
		ac->waiters->wprev = c;
	ac->waiters = c;
	ac->nwaiters++;
}

void mk_d_unpark(struct dconn *c)
{
	struct dacct *ac = c->parked;

	if (ac == NULL)
		return;
	if (c->wprev != NULL)
		c->wprev->wnext = c->wnext;
	else
		ac->waiters = c->wnext;
	if (c->wnext != NULL)
		c->wnext->wprev = c->wprev;
	c->wprev = c->wnext = NULL;
	c->parked = NULL;
	ac->nwaiters--;
}

/* The messages are built in a struct mk_error, which fits a long provider
 * text by eliding its middle (never cutting the "what to do" at its end). */
static void consent_msg(const struct dacct *ac, char *buf, size_t size)
{
	struct mk_error e;

	if (!ac->found)
		mk_error_set(&e, MK_ERR_CONSENT, "account %s has no tokens yet: run `%s login %s`", ac->name,
			     mk_hint_cmd(), ac->name);
	else
		mk_error_set(&e, MK_ERR_CONSENT, "account %s needs a new login (%s): run `%s login %s`",
			     ac->name,
			     ac->last_error[0] ? ac->last_error : "the grant was revoked or has expired",
			     mk_hint_cmd(), ac->name);
	mk_error_hint_once(e.msg); /* the provider's text may say it too */
	mk_error_fit(buf, size, e.msg);
}

/* Answer c and let it go on with its next requests. */
static void finish(struct mk_daemon *d, struct dconn *c, struct dacct *ac, int code, const char *msg)
{
	mk_d_unpark(c);
	if (code == 0)
		mk_d_answer_ok(d, c, ac);
	else
		mk_d_answer_err(d, c, ac, code, msg);
	mk_d_conn_resume(d, c);
}

static void waiters_fail(struct mk_daemon *d, struct dacct *ac, int code, const char *msg)
{
	while (ac->waiters != NULL)
		finish(d, ac->waiters, ac, code, msg);
}

/* Can a plain `token` be answered from the cache now? */
static bool servable(const struct dacct *ac, int64_t now)
{
	if (ac->token == NULL || ac->needs_consent || mk_policy_is_expired(now, ac->expires_at))
		return false;
	/* During a refresh, a token about to expire waits for the new one. */
	return !ac->in_flight || ac->expires_at <= 0 || ac->expires_at - now >= MK_D_SHORT_LEFT;
}

static void temp_msg(const struct dacct *ac, char *buf, size_t size)
{
	struct mk_error e;

	mk_error_set(&e, MK_ERR_TEMP, "account %s: no valid token now, try again later (%s)", ac->name,
		     ac->last_error[0] ? ac->last_error : "the refresh failed");
	mk_error_fit(buf, size, e.msg);
}

void mk_d_acct_ask(struct mk_daemon *d, struct dacct *ac, struct dconn *c, enum mk_dwait kind, bool fresh,
		   enum mk_proto_mech mech)
{
	int64_t now = mk_d_now();
	char msg[1024];

	if (ac->needs_consent || !ac->found) {
		consent_msg(ac, msg, sizeof(msg));
		mk_d_answer_err(d, c, ac, 77, msg);
		/* An account never logged in: someone wants its token now (a
		 * gateway client waiting on a consent), so the person is told,
		 * then every notify_interval until the login (mk_d_tick). */
		if (!ac->found && !ac->needs_consent && ac->a->notify_command != NULL &&
		    ac->notify_next == 0 && ac->notify_pid == 0 && !d->stopping) {
			mk_d_notify_start(d, ac);
			ac->notify_next = now + (int64_t)ac->a->notify_interval;
		}
		return;
	}
	if (d->stopping) {
		mk_d_answer_err(d, c, ac, 75, "the daemon is stopping: try again in a moment");
		return;
	}
	if (kind == MK_DWAIT_REFRESH || fresh) {
		park(ac, c, kind, true, mech);
		if (!ac->in_flight)
			submit(d, ac, true);
		return;
	}
	if (servable(ac, now)) {
		mk_d_answer_ok(d, c, ac);
		/* Due and nobody on it yet (the timer may be a little late). */
		if (!ac->in_flight && now >= mk_d_acct_next_refresh(ac))
			submit(d, ac, false);
		return;
	}
	/* No usable token: wait for the refresh, or, right after one failed,
	 * say "later" at once instead of asking the provider for every caller. */
	if (!ac->in_flight && ac->failures > 0 && now - ac->last_attempt < MK_D_RETRY_MIN) {
		temp_msg(ac, msg, sizeof(msg));
		mk_d_answer_err(d, c, ac, 75, msg);
		return;
	}
	park(ac, c, kind, false, mech);
	if (!ac->in_flight)
		submit(d, ac, false);
}

/* After a job or a store change: answer whoever the account's state now
 * satisfies. ok: the last refresh did not fail. */
static void serve_waiters(struct mk_daemon *d, struct dacct *ac, bool job_done, bool job_ok, bool job_forced)
{
	int64_t now = mk_d_now();
	char msg[1024];
	struct dconn *c, *next;
	bool again = false;

	if (ac->needs_consent || !ac->found) {
		consent_msg(ac, msg, sizeof(msg));
		waiters_fail(d, ac, 77, msg);
		return;
	}
	for (c = ac->waiters; c != NULL; c = next) {
		next = c->wnext;
		if (c->wfresh) {
			if (ac->serial != c->wserial && ac->token != NULL)
				finish(d, c, ac, 0, NULL);
			else if (job_done && !job_ok) {
				temp_msg(ac, msg, sizeof(msg));
				finish(d, c, ac, 75, msg);
			} else if (job_done && job_forced) {
				/* A forced refresh that gave the same token back: it is
				 * what the provider says is current. */
				finish(d, c, ac, 0, NULL);
			} else
				again = true;
			continue;
		}
		if (servable(ac, now))
			finish(d, c, ac, 0, NULL);
		else if (job_done) {
			temp_msg(ac, msg, sizeof(msg));
			finish(d, c, ac, 75, msg);
		}
	}
	if (again && !ac->in_flight)
		submit(d, ac, true);
}

static void job_done(struct mk_daemon *d, struct mk_job *j)
{
	struct dacct *ac = mk_d_acct_find(d, j->account);
	int64_t now = mk_d_now();
	bool was_consent, forced;

	if (ac == NULL)
		return; /* removed by a reload meanwhile */
	forced = ac->in_flight_force;
	ac->in_flight = ac->in_flight_force = false;
	was_consent = ac->needs_consent;
	if (j->found >= 0 || j->rc == 0)
		cache_set(ac, j->found, &j->t, j->err.msg);
	if (j->rc == 0) {
		if (j->changed) {
			ac->refreshes++;
			ac->last_refresh_at = now;
			mk_log(MK_LOG_INFO, "daemon: refreshed account %s (valid for %lld s)", ac->name,
			       (long long)(ac->expires_at - now));
			mk_d_event(d, "refreshed", ac, NULL);
		}
		if (ac->failures > 0 && j->changed)
			mk_log(MK_LOG_INFO, "daemon: account %s recovered after %u failed refreshes",
			       ac->name, ac->failures);
		if (j->changed ||
		    !mk_policy_should_refresh(now, ac->obtained_at, ac->expires_at, ac->a->refresh_margin)) {
			ac->failures = 0;
			ac->retry_at = 0;
			ac->last_error[0] = '\0';
		}
	} else if (j->err.cls == MK_ERR_CONSENT) {
		ac->needs_consent = true;
		/* The record's last_error (the provider's words) is kept: the
		 * broker's message adds only "refreshing ... failed". */
		if (ac->last_error[0] == '\0')
			set_error(ac, j->err.msg);
		if (!was_consent)
			consent_began(d, ac);
	} else {
		bool expired = mk_policy_is_expired(now, ac->expires_at) || ac->token == NULL;
		uint32_t rnd = 0;
		unsigned wait;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = (uint32_t)now;
		ac->failures++;
		wait = mk_sched_backoff(ac->failures,
					expired ? MK_SCHED_BACKOFF_EXPIRED : MK_SCHED_BACKOFF_MAX, rnd);
		ac->retry_at = now + wait;
		set_error(ac, j->err.msg);
		mk_log(MK_LOG_WARN,
		       "daemon: refreshing account %s failed (attempt %u, next in %u s, token %s): %s",
		       ac->name, ac->failures, wait, expired ? "expired" : "still valid", j->err.msg);
		mk_d_event(d, "refresh-failed", ac, j->err.msg);
	}
	serve_waiters(d, ac, true, j->rc == 0, forced);
}

void mk_d_jobs_done(struct mk_daemon *d)
{
	struct mk_job *j = mk_pool_take(d->pool);

	while (j != NULL) {
		struct mk_job *next = j->next;
		job_done(d, j);
		mk_job_free(j);
		j = next;
	}
}

void mk_d_store_changed(struct mk_daemon *d, const char *name)
{
	struct dacct *ac = mk_d_acct_find(d, name);
	bool was_consent, was_empty, changed;

	if (ac == NULL)
		return;
	was_consent = ac->needs_consent || !ac->found;
	was_empty = !ac->found;
	changed = cache_read(d, ac);
	if (changed)
		mk_log(MK_LOG_DEBUG, "daemon: account %s: new tokens in the store", ac->name);
	if (was_consent && !ac->needs_consent && ac->found && ac->token != NULL) {
		mk_log(MK_LOG_INFO, "daemon: account %s logged in%s", ac->name, was_empty ? "" : " again");
		ac->failures = 0;
		ac->retry_at = 0;
		ac->last_error[0] = '\0';
		ac->notify_next = 0;
		mk_d_event(d, "logged-in", ac, NULL);
	} else if (!was_consent && ac->needs_consent) {
		consent_began(d, ac);
	}
	if (changed && ac->failures > 0 && !ac->in_flight &&
	    !mk_policy_should_refresh(mk_d_now(), ac->obtained_at, ac->expires_at, ac->a->refresh_margin)) {
		ac->failures = 0; /* someone else refreshed it */
		ac->retry_at = 0;
	}
	if (ac->waiters != NULL && (!ac->in_flight || ac->needs_consent))
		serve_waiters(d, ac, false, true, false);
}

void mk_d_store_changed_all(struct mk_daemon *d)
{
	for (size_t i = 0; i < d->n; i++)
		mk_d_store_changed(d, d->accts[i]->name);
}

/* The log's table of secrets only grows (common/log.h), and every token a
 * worker loads is added: a daemon refreshing many accounts for months would
 * fill it, and make every log line slower to redact. So now and then it is
 * made again from what is current: the cached tokens and client secrets. */
static void secrets_trim(struct mk_daemon *d, int64_t now)
{
	if (now < d->secrets_next)
		return;
	d->secrets_next = now + MK_D_SECRETS_TRIM;
	mk_log_forget_secrets();
	for (size_t i = 0; i < d->n; i++) {
		mk_log_register_secret(d->accts[i]->token);
		mk_log_register_secret(d->accts[i]->a->client_secret);
	}
}

int64_t mk_d_tick(struct mk_daemon *d, int64_t now)
{
	int64_t next = MK_SCHED_NEVER;

	if (d->secrets_next == 0)
		d->secrets_next = now + MK_D_SECRETS_TRIM;
	secrets_trim(d, now);
	for (size_t i = 0; i < d->n; i++) {
		struct dacct *ac = d->accts[i];
		int64_t due;

		if (!ac->in_flight && !d->stopping) {
			due = mk_d_acct_next_refresh(ac);
			if (now >= due) {
				submit(d, ac, false);
			} else
				next = mk_sched_earliest(next, due);
		}
		if ((ac->needs_consent || !ac->found) && ac->a->notify_command != NULL &&
		    ac->notify_next > 0) {
			if (ac->notify_pid == 0 && now >= ac->notify_next) {
				mk_d_notify_start(d, ac);
				ac->notify_next = now + (int64_t)ac->a->notify_interval;
			}
			next = mk_sched_earliest(next, ac->notify_next);
		}
	}
	return next;
}
