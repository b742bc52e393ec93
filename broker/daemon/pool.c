#include "broker/daemon/pool.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "broker/policy.h"
#include "common/log.h"
#include "common/secret.h"

struct worker {
	struct mk_pool *pool;
	pthread_t th;
	bool started;
	struct mk_broker *b;
	uint64_t gen; /* of b */
};

struct mk_pool {
	struct mk_broker_params bp;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mk_job *head, *tail;   /* queued */
	struct mk_job *dhead, *dtail; /* done */
	bool stop;
	bool keep_handles; /* a key_command: do not run it for every refresh */
	uint64_t gen;	   /* configuration generation */
	int efd;
	unsigned n;
	struct worker *w;
};

struct mk_job *mk_job_new(const char *account, bool force)
{
	struct mk_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	snprintf(j->account, sizeof(j->account), "%s", account);
	j->force = force;
	mk_error_init(&j->err);
	return j;
}

void mk_job_free(struct mk_job *j)
{
	if (j == NULL)
		return;
	mk_tokens_clear(&j->t);
	free(j);
}

/* One refresh, as a CLI process would do it (the same lock, the same
 * rotation rules), then the record as it is now. */
static void run_job(struct worker *w, struct mk_job *j)
{
	const struct mk_account *a = NULL;
	struct mk_tokens before = { 0 };
	char *tok = NULL;
	int had;

	if (mk_broker_account(w->b, j->account, &a, &j->err) != 0) {
		j->rc = -1;
		goto record;
	}
	had = mk_broker_load_tokens(w->b, j->account, &before, NULL);
	/* A background refresh that is no longer due (a CLI process or a
	 * login got there first) is not made. */
	if (!j->force && had == 0 && before.access_token != NULL && !before.needs_consent &&
	    !mk_policy_should_refresh((int64_t)time(NULL), before.obtained_at, before.expires_at,
				      a->refresh_margin)) {
		j->rc = 0;
		goto record;
	}
	/* force: the daemon decided; a token someone else refreshed meanwhile
	 * is taken as it is (broker's single flight). */
	j->rc = mk_broker_token(w->b, j->account, true, &tok, &j->err);
record:
	j->found = mk_broker_load_tokens(w->b, j->account, &j->t, NULL);
	j->changed = j->found == 0 && j->t.access_token != NULL &&
		     (before.access_token == NULL || strcmp(before.access_token, j->t.access_token) != 0);
	mk_secret_free_str(tok);
	mk_tokens_clear(&before);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mk_pool *p = w->pool;

	for (;;) {
		struct mk_job *j;
		uint64_t gen, one = 1;
		bool idle;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->head == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		j->next = NULL;
		gen = p->gen;
		pthread_mutex_unlock(&p->mu);

		if (w->b != NULL && w->gen != gen)
			mk_broker_free(&w->b);
		if (w->b == NULL && mk_broker_open(&p->bp, &w->b, &j->err) != 0) {
			j->rc = -1;
			j->found = -1;
		} else {
			w->gen = gen;
			run_job(w, j);
		}

		pthread_mutex_lock(&p->mu);
		if (p->dtail != NULL)
			p->dtail->next = j;
		else
			p->dhead = j;
		p->dtail = j;
		idle = p->head == NULL;
		pthread_mutex_unlock(&p->mu);
		/* An idle worker keeps no copy of the configuration (with many
		 * accounts, each copy is as big as the loop's cache): the next
		 * refresh opens one again, cheap unless a key_command must run. */
		if (idle && !p->keep_handles) {
			mk_broker_free(&w->b);
			malloc_trim(0);
		}
		if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			mk_log(MK_LOG_ERROR, "daemon: cannot wake the loop: %s", strerror(errno));
	}
	mk_broker_free(&w->b);
	return NULL;
}

int mk_pool_new(const struct mk_broker_params *bp, unsigned n, bool keep_handles, struct mk_pool **r,
		struct mk_error *err)
{
	struct mk_pool *p = calloc(1, sizeof(*p));

	*r = NULL;
	if (p == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	p->bp = *bp;
	p->bp.daemon_mode = true;
	p->keep_handles = keep_handles;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->w = calloc(n, sizeof(*p->w));
	if (p->efd < 0 || p->w == NULL) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot start the refresh workers");
		mk_pool_free(&p);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		int e;
		p->w[i].pool = p;
		if ((e = pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i])) != 0) {
			mk_error_errno(err, MK_ERR_INTERNAL, e, "cannot start a refresh worker");
			mk_pool_free(&p);
			return -1;
		}
		p->w[i].started = true;
		p->n = i + 1;
	}
	*r = p;
	return 0;
}

void mk_pool_stop(struct mk_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; p->w != NULL && i < p->n; i++)
		if (p->w[i].started) {
			pthread_join(p->w[i].th, NULL);
			p->w[i].started = false;
		}
}

void mk_pool_free(struct mk_pool **pp)
{
	struct mk_pool *p = *pp;

	if (p == NULL)
		return;
	mk_pool_stop(p);
	while (p->head != NULL) {
		struct mk_job *j = p->head;
		p->head = j->next;
		mk_job_free(j);
	}
	while (p->dhead != NULL) {
		struct mk_job *j = p->dhead;
		p->dhead = j->next;
		mk_job_free(j);
	}
	if (p->efd >= 0)
		close(p->efd);
	free(p->w);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	*pp = NULL;
}

int mk_pool_fd(const struct mk_pool *p)
{
	return p->efd;
}

void mk_pool_submit(struct mk_pool *p, struct mk_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct mk_job *mk_pool_take(struct mk_pool *p)
{
	struct mk_job *j;
	uint64_t v;

	if (read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		mk_log(MK_LOG_DEBUG, "daemon: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&p->mu);
	j = p->dhead;
	p->dhead = p->dtail = NULL;
	pthread_mutex_unlock(&p->mu);
	return j;
}

void mk_pool_reload(struct mk_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->gen++;
	pthread_mutex_unlock(&p->mu);
}
