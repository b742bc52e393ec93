/* `status` (docs/protocol.md: a JSON array, one object per account) and the
 * EVENT lines of `events` subscribers. No secret goes into either. */
#include <jansson.h>
#include <string.h>

#include "broker/daemon/daemon-private.h"
#include "broker/daemon/sched.h"
#include "common/log.h"

static json_t *acct_json(const struct dacct *ac, int64_t now)
{
	json_t *o = json_object();
	int64_t next = mk_d_acct_next_refresh(ac);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "account", json_string(ac->name));
	json_object_set_new(o, "state", json_string(mk_d_state_name(mk_d_acct_state(ac, now))));
	json_object_set_new(o, "expires_at", json_integer(ac->token != NULL ? ac->expires_at : 0));
	json_object_set_new(o, "next_refresh_at",
			    ac->in_flight	     ? json_integer(now)
			    : next == MK_SCHED_NEVER ? json_null()
						     : json_integer(next));
	json_object_set_new(o, "last_error", ac->last_error[0] ? json_string(ac->last_error) : json_null());
	/* Beyond the protocol's fields: what tests and dashboards look at. */
	json_object_set_new(o, "last_error_at", json_integer(ac->last_error[0] ? ac->last_error_at : 0));
	json_object_set_new(o, "refreshes", json_integer((json_int_t)ac->refreshes));
	json_object_set_new(o, "last_refresh_at", json_integer(ac->last_refresh_at));
	json_object_set_new(o, "failures", json_integer(ac->failures));
	json_object_set_new(o, "retry_at", json_integer(ac->failures > 0 ? ac->retry_at : 0));
	json_object_set_new(o, "has_refresh_token", json_boolean(ac->has_refresh));
	json_object_set_new(o, "waiting", json_integer(ac->nwaiters));
	json_object_set_new(o, "notifies", json_integer((json_int_t)ac->notifies));
	json_object_set_new(o, "notify_next_at", json_integer(ac->needs_consent ? ac->notify_next : 0));
	return o;
}

int mk_d_status_json(struct mk_daemon *d, struct mk_buf *out)
{
	json_t *a = json_array();
	char *s = NULL;
	int64_t now = mk_d_now();
	int rc = -1;

	if (a == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		if (json_array_append_new(a, acct_json(d->accts[i], now)) != 0)
			goto out;
	if ((s = json_dumps(a, JSON_COMPACT)) == NULL)
		goto out;
	rc = mk_buf_addstr(out, s);
out:
	free(s);
	json_decref(a);
	return rc;
}

void mk_d_event(struct mk_daemon *d, const char *event, const struct dacct *ac, const char *detail)
{
	json_t *o;
	char *s;
	struct dconn *c, *next;
	bool any = false;

	for (c = d->conns; c != NULL && !any; c = c->cnext)
		any = c->events;
	if (!any)
		return;
	if ((o = json_object()) == NULL)
		return;
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "time", json_integer(mk_d_now()));
	if (ac != NULL) {
		json_object_set_new(o, "account", json_string(ac->name));
		json_object_set_new(o, "state",
				    json_string(mk_d_state_name(mk_d_acct_state(ac, mk_d_now()))));
		json_object_set_new(o, "expires_at", json_integer(ac->token != NULL ? ac->expires_at : 0));
	}
	if (detail != NULL && *detail != '\0')
		json_object_set_new(o, "detail", json_string(detail));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return;
	{
		struct mk_buf line;
		mk_buf_init(&line, 64 * 1024);
		if (mk_buf_addf(&line, "EVENT %s", s) == 0)
			for (c = d->conns; c != NULL; c = next) {
				next = c->cnext;
				if (c->events)
					mk_d_conn_event(d, c, mk_buf_str(&line));
			}
		mk_buf_free(&line);
	}
	free(s);
}
