/* Per-source limits (limit.h). One table of sources with a hard size: a
 * flood of addresses (an IPv6 /64 has plenty) must not grow memory, so a
 * new source takes the slot of the least recently seen one that has no
 * open connection, preferring those that are not blocked. Lookups go
 * through a chained hash over slot indexes. */
#include "gateway/limit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SRC_MAX 64     /* longest IPv6 text is 45; longer sources are cut */
#define TABLE_MIN 4096 /* slots, at least; and twice max_connections */
#define NONE ((size_t)-1)
#define EVICT_LOOK 32

struct entry {
	char src[SRC_MAX];
	size_t next;	     /* hash chain */
	size_t newer, older; /* the use list, for eviction */
	time_t fail_start;
	unsigned fails;
	unsigned conns;
	int used;
};

struct gw_limit {
	pthread_mutex_t mu;
	struct gw_limit_params p;
	struct entry *e;
	size_t size; /* slots */
	size_t *head;
	size_t nhead; /* power of two */
	size_t nused;
	size_t newest, oldest; /* ends of the use list */
	unsigned total;
};

struct gw_limit *gw_limit_new(const struct gw_limit_params *p)
{
	struct gw_limit *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->p = *p;
	if (l->p.max_connections == 0)
		l->p.max_connections = 200;
	if (l->p.max_per_source == 0)
		l->p.max_per_source = 50;
	if (l->p.max_failures == 0)
		l->p.max_failures = 10;
	if (l->p.window_s == 0)
		l->p.window_s = 600;
	/* Every open connection pins its source's slot, so there must always
	 * be more slots than connections: eviction then always finds one. */
	l->size = TABLE_MIN;
	while (l->size < 2 * (size_t)l->p.max_connections)
		l->size *= 2;
	l->nhead = l->size * 2;
	l->e = calloc(l->size, sizeof(*l->e));
	l->head = malloc(l->nhead * sizeof(*l->head));
	if (l->e == NULL || l->head == NULL || pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l->e);
		free(l->head);
		free(l);
		return NULL;
	}
	for (size_t i = 0; i < l->nhead; i++)
		l->head[i] = NONE;
	l->newest = l->oldest = NONE;
	return l;
}

void gw_limit_free(struct gw_limit **lp)
{
	struct gw_limit *l = *lp;

	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->e);
	free(l->head);
	free(l);
	*lp = NULL;
}

static size_t hash(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (size_t i = 0; i < SRC_MAX - 1 && s[i] != '\0'; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
	return (size_t)h;
}

static bool same(const struct entry *e, const char *src)
{
	return strncmp(e->src, src, SRC_MAX - 1) == 0;
}

static void list_remove(struct gw_limit *l, size_t i)
{
	struct entry *e = &l->e[i];

	if (e->newer != NONE)
		l->e[e->newer].older = e->older;
	else
		l->newest = e->older;
	if (e->older != NONE)
		l->e[e->older].newer = e->newer;
	else
		l->oldest = e->newer;
	e->newer = e->older = NONE;
}

static void list_push(struct gw_limit *l, size_t i)
{
	struct entry *e = &l->e[i];

	e->newer = NONE;
	e->older = l->newest;
	if (l->newest != NONE)
		l->e[l->newest].newer = i;
	l->newest = i;
	if (l->oldest == NONE)
		l->oldest = i;
}

static struct entry *find(struct gw_limit *l, const char *src)
{
	if (src == NULL)
		src = ""; /* a source we could not name is still one source */
	for (size_t i = l->head[hash(src) & (l->nhead - 1)]; i != NONE; i = l->e[i].next)
		if (same(&l->e[i], src)) {
			list_remove(l, i);
			list_push(l, i);
			return &l->e[i];
		}
	return NULL;
}

static void unlink_slot(struct gw_limit *l, size_t i)
{
	size_t *pp = &l->head[hash(l->e[i].src) & (l->nhead - 1)];

	while (*pp != i)
		pp = &l->e[*pp].next;
	*pp = l->e[i].next;
	list_remove(l, i);
	memset(&l->e[i], 0, sizeof(l->e[i]));
	l->nused--;
}

static bool blocked(const struct gw_limit *l, const struct entry *e, time_t now)
{
	return e->fails >= l->p.max_failures && now - e->fail_start < (time_t)l->p.window_s;
}

/* The slot for src, made (evicting) when new; NULL only if every slot has
 * an open connection, which the table size rules out. */
static struct entry *get(struct gw_limit *l, const char *src, time_t now)
{
	struct entry *e = find(l, src);
	size_t slot = NONE, h;

	if (e != NULL)
		return e;
	if (src == NULL)
		src = "";
	if (l->nused < l->size) {
		/* Slots are only ever freed to be reused at once, so the used
		 * ones are always the first nused. */
		slot = l->nused;
	} else {
		/* The oldest idle source that is not blocked, looking at the
		 * EVICT_LOOK oldest; failing that the oldest idle one, blocked
		 * or not (a flood of blocked sources must not make every new
		 * source scan the whole table). */
		size_t any = NONE, looked = 0;
		for (size_t i = l->oldest; i != NONE && slot == NONE; i = l->e[i].newer) {
			const struct entry *c = &l->e[i];
			if (c->conns > 0)
				continue;
			if (any == NONE)
				any = i;
			if (!blocked(l, c, now))
				slot = i;
			else if (++looked == EVICT_LOOK)
				break;
		}
		if (slot == NONE)
			slot = any;
		if (slot == NONE)
			return NULL;
		unlink_slot(l, slot);
	}
	e = &l->e[slot];
	for (size_t i = 0; i < SRC_MAX - 1 && src[i] != '\0'; i++)
		e->src[i] = src[i];
	e->used = 1;
	list_push(l, slot);
	h = hash(e->src) & (l->nhead - 1);
	e->next = l->head[h];
	l->head[h] = slot;
	l->nused++;
	return e;
}

bool gw_limit_conn_open(struct gw_limit *l, const char *source)
{
	struct entry *e;
	bool ok = false;

	pthread_mutex_lock(&l->mu);
	if (l->total >= l->p.max_connections)
		goto out;
	if ((e = get(l, source, time(NULL))) == NULL || e->conns >= l->p.max_per_source)
		goto out;
	e->conns++;
	l->total++;
	ok = true;
out:
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void gw_limit_conn_close(struct gw_limit *l, const char *source)
{
	struct entry *e;

	pthread_mutex_lock(&l->mu);
	if ((e = find(l, source)) != NULL && e->conns > 0)
		e->conns--;
	if (l->total > 0)
		l->total--;
	pthread_mutex_unlock(&l->mu);
}

unsigned gw_limit_login_wait(struct gw_limit *l, const char *source, time_t now)
{
	struct entry *e;
	unsigned wait = 0;

	pthread_mutex_lock(&l->mu);
	e = find(l, source);
	if (e != NULL && blocked(l, e, now))
		wait = (unsigned)(e->fail_start + (time_t)l->p.window_s - now);
	pthread_mutex_unlock(&l->mu);
	return wait;
}

void gw_limit_login_failed(struct gw_limit *l, const char *source, time_t now)
{
	struct entry *e;

	pthread_mutex_lock(&l->mu);
	if ((e = get(l, source, now)) != NULL) {
		/* A fixed window from the first failure: max_failures within
		 * window_s blocks until that window ends. */
		if (e->fails == 0 || now - e->fail_start >= (time_t)l->p.window_s || now < e->fail_start) {
			e->fail_start = now;
			e->fails = 0;
		}
		if (e->fails < UINT32_MAX)
			e->fails++;
	}
	pthread_mutex_unlock(&l->mu);
}
