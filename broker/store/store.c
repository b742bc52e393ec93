/* What every backend shares: dispatch through the ops table, and the plain
 * text of a record. */
#include "broker/store/store.h"

#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "broker/store/store_impl.h"
#include "common/fsutil.h"
#include "common/secret.h"

static void wipe_free(void *p)
{
	if (p != NULL)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void mk_store_json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}

char *mk_store_default_dir(void)
{
	return mk_fs_xdg_path("MAILKEY_STATE_DIR", "XDG_STATE_HOME", ".local/state", "mailkey");
}

void mk_store_free(struct mk_store **sp)
{
	if (*sp == NULL)
		return;
	(*sp)->ops->free(*sp);
	*sp = NULL;
}

int mk_store_read(struct mk_store *s, const char *account, struct mk_tokens *r, uint64_t *gen_r,
		  struct mk_error *err)
{
	uint64_t g = 0;
	int rc = s->ops->read(s, account, r, &g, err);

	if (gen_r != NULL)
		*gen_r = g;
	return rc;
}

int mk_store_lock(struct mk_store *s, const char *account, struct mk_store_lock **r, struct mk_error *err)
{
	return s->ops->lock(s, account, r, err);
}

void mk_store_unlock(struct mk_store *s, struct mk_store_lock **l)
{
	if (*l != NULL)
		s->ops->unlock(s, l);
}

int mk_store_write(struct mk_store *s, struct mk_store_lock *l, const struct mk_tokens *t, uint64_t expected,
		   struct mk_error *err)
{
	return s->ops->write(s, l, t, expected, err);
}

int mk_store_remove(struct mk_store *s, struct mk_store_lock *l, uint64_t expected, struct mk_error *err)
{
	return s->ops->remove(s, l, expected, err);
}

int mk_store_list(struct mk_store *s, mk_store_each_fn each, void *arg, struct mk_error *err)
{
	return s->ops->list(s, each, arg, err);
}

int mk_store_check(struct mk_store *s, struct mk_error *err)
{
	return s->ops->check(s, err);
}

int mk_store_put(struct mk_store *s, const char *account, const struct mk_tokens *t, struct mk_error *err)
{
	struct mk_store_lock *l = NULL;
	struct mk_tokens cur = { 0 };
	uint64_t gen = 0;
	int rc = -1;

	if (mk_store_lock(s, account, &l, err) != 0)
		return -1;
	if (mk_store_read(s, account, &cur, &gen, err) < 0)
		goto out;
	rc = t != NULL ? mk_store_write(s, l, t, gen, err) : mk_store_remove(s, l, gen, err);
out:
	mk_tokens_clear(&cur);
	mk_store_unlock(s, &l);
	return rc;
}

static int get_str(json_t *o, const char *k, char **dst)
{
	json_t *v = json_object_get(o, k);

	*dst = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*dst = strdup(json_string_value(v));
	return *dst == NULL ? -1 : 0;
}

int mk_store_tokens_from_json(json_t *a, struct mk_tokens *r)
{
	memset(r, 0, sizeof(*r));
	if (!json_is_object(a) || get_str(a, "access_token", &r->access_token) != 0 ||
	    get_str(a, "refresh_token", &r->refresh_token) != 0 ||
	    get_str(a, "id_token", &r->id_token) != 0 || get_str(a, "token_type", &r->token_type) != 0 ||
	    get_str(a, "scope", &r->scope) != 0 || get_str(a, "issuer", &r->issuer) != 0 ||
	    get_str(a, "token_endpoint", &r->token_endpoint) != 0 ||
	    get_str(a, "last_error", &r->last_error) != 0) {
		mk_tokens_clear(r);
		return -1;
	}
	r->obtained_at = json_integer_value(json_object_get(a, "obtained_at"));
	r->expires_at = json_integer_value(json_object_get(a, "expires_at"));
	/* Older mailkeys stored 0 for "no expires_in": such a token would
	 * never be refreshed ahead of time. */
	if (r->expires_at <= 0)
		r->expires_at = r->obtained_at + MK_TOKENS_ASSUMED_LIFETIME;
	r->last_error_at = json_integer_value(json_object_get(a, "last_error_at"));
	r->needs_consent = json_is_true(json_object_get(a, "needs_consent"));
	return 0;
}

static int put_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, k, json_string(v));
}

json_t *mk_store_tokens_to_json(const struct mk_tokens *t)
{
	json_t *a = json_object();

	if (a == NULL || put_str(a, "access_token", t->access_token) != 0 ||
	    put_str(a, "refresh_token", t->refresh_token) != 0 || put_str(a, "id_token", t->id_token) != 0 ||
	    put_str(a, "token_type", t->token_type) != 0 || put_str(a, "scope", t->scope) != 0 ||
	    put_str(a, "issuer", t->issuer) != 0 || put_str(a, "token_endpoint", t->token_endpoint) != 0 ||
	    put_str(a, "last_error", t->last_error) != 0 ||
	    json_object_set_new(a, "obtained_at", json_integer(t->obtained_at)) != 0 ||
	    json_object_set_new(a, "expires_at", json_integer(t->expires_at)) != 0 ||
	    json_object_set_new(a, "last_error_at", json_integer(t->last_error_at)) != 0 ||
	    json_object_set_new(a, "needs_consent", json_boolean(t->needs_consent)) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

char *mk_store_encode(const char *account, uint64_t generation, const struct mk_tokens *t)
{
	json_t *doc = json_object(), *a = mk_store_tokens_to_json(t);
	char *text = NULL;

	if (doc == NULL || a == NULL || json_object_set_new(doc, "account", json_string(account)) != 0 ||
	    json_object_set_new(doc, "generation", json_integer((json_int_t)generation)) != 0 ||
	    json_object_set(doc, "tokens", a) != 0)
		goto out;
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(a);
	json_decref(doc);
	return text;
}

int mk_store_decode(const char *account, const char *text, size_t len, struct mk_tokens *r, uint64_t *gen_r,
		    struct mk_error *err)
{
	json_t *doc = json_loadb(text, len, 0, NULL), *name, *gen;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	*gen_r = 0;
	name = json_object_get(doc, "account");
	gen = json_object_get(doc, "generation");
	/* The name is bound in as associated data already; checked again so
	 * that a backend without it (a database row) cannot mix accounts. */
	if (!json_is_string(name) || strcmp(json_string_value(name), account) != 0 || !json_is_integer(gen) ||
	    json_integer_value(gen) < 1 ||
	    mk_store_tokens_from_json(json_object_get(doc, "tokens"), r) != 0) {
		mk_error_set(err, MK_ERR_DATA, "the record decrypts but its contents are malformed");
		goto out;
	}
	*gen_r = (uint64_t)json_integer_value(gen);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}
