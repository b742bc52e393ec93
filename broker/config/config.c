/* Configuration parsing with libinih. inih's handler gets no line number in
 * Debian's build, so the stream reader counts lines itself: when the handler
 * runs, the counter holds the line of the key being handled. The reader hands
 * inih one physical line per call (a line too long for inih's buffer, or one
 * holding a NUL, is reported and given to inih as a blank line), so inih's
 * own error line numbers agree with ours. */
#include "broker/config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/secret.h"
#include "common/str.h"

#define MK_SECRET_FILE_MAX 4096
/* A configuration is a few KiB, a few MiB with tens of thousands of
 * accounts; more is a wrong file (or /dev/zero). */
#define MK_CONFIG_MAX_BYTES (16u << 20)

/* broker/oauth/http.c: the URL policy of every HTTP request, with libcurl's
 * URL parser. Weak because the fast front end links this file without
 * libcurl (ARCHITECTURE.md "The fast path"): there the check is skipped,
 * and mailkey-core (which runs `config check`, login and refresh) has it. */
int mk_http_url_check(const char *url, struct mk_error *err) __attribute__((weak));

enum { EP_IMAP, EP_SMTP, EP_POP3, EP_N };
enum { URL_ISSUER, URL_AUTH, URL_TOKEN, URL_DEVICE, URL_REVOKE, URL_N };

struct acct_state {
	struct mk_account *a;
	bool mech_set;
	char *client_secret_file;
	unsigned secret_file_line;
	unsigned secret_line; /* an inline client_secret */
	unsigned url_line[URL_N];
	bool tls_set[EP_N]; /* *_tls given: the port does not choose the mode */
};

struct mk_config {
	char *path;
	char *key_command;
	char *default_account; /* top-level default_account, or NULL */
	unsigned default_account_line;
	char *socket;	   /* top-level socket (the daemon's), or NULL */
	char *allow_group; /* top-level allow_group (the daemon's), or NULL */
	/* Any number of accounts: pointers, so a section being read keeps
	 * its place when the array grows; an index by name (open addressing,
	 * at most half full) keeps duplicate checks and lookups O(1), and so
	 * the whole parse linear. */
	struct acct_state **accts;
	size_t n, cap;
	size_t *index; /* slot: account number + 1, 0 = empty */
	size_t index_size;
	/* [gateway]: kept as written, validated by gateway/ (broker/ does
	 * not know the gateway); gw_line 0 = no such section. */
	struct mk_config_kv *gw;
	size_t gw_n, gw_cap;
	unsigned gw_line;
};

struct parse {
	struct mk_config *cfg;
	FILE *fp;
	unsigned line;
	char *section;		/* name of the section being read */
	bool new_header;	/* the reader just passed a [section] line */
	struct acct_state *cur; /* NULL outside an account section */
	bool in_store;
	bool in_gateway;
	bool bad_section;
	struct mk_buf *problems;
	struct mk_error *err;
	int nerr;
	size_t bytes;	 /* read so far, capped at MK_CONFIG_MAX_BYTES */
	bool stop;	 /* the cap was hit: read no more */
	bool mode_known; /* mode is the file's (not known for a stream) */
	mode_t mode;
	bool names_only; /* mk_config_load_names: no file the config names is read */
};

static void problem(struct parse *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct parse *p, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->nerr++ == 0)
		mk_error_set(p->err, MK_ERR_CONFIG, "%s:%u: %s", p->cfg->path, line, msg);
	if (p->problems != NULL)
		mk_buf_addf(p->problems, "%s:%u: %s\n", p->cfg->path, line, msg);
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t n = 0, len = 0;
	bool nul = false;
	int c;

	if (p->stop || num < 2 || (c = getc(p->fp)) == EOF)
		return NULL;
	p->line++;
	/* One whole physical line, however long: only what fits goes to inih. */
	for (; c != EOF; c = getc(p->fp)) {
		if (++p->bytes > MK_CONFIG_MAX_BYTES) {
			problem(p, p->line,
				"the file is larger than %u bytes: is this the configuration file?",
				MK_CONFIG_MAX_BYTES);
			p->stop = true;
			return NULL;
		}
		if (c == '\n')
			break;
		len++;
		if (c == '\0')
			nul = true;
		else if (n + 1 < (size_t)num)
			str[n++] = (char)c;
	}
	str[n] = '\0';
	if (nul || len + 1 > (size_t)num - 1) {
		if (nul)
			problem(p, p->line,
				"this line contains a NUL byte: remove it (is this a text file?)");
		else
			problem(p, p->line, "this line is %zu characters long; the limit is %d", len,
				num - 2);
		str[0] = '\0'; /* nothing of it is used */
		return str;
	}
	if (n + 1 < (size_t)num) {
		str[n++] = '\n';
		str[n] = '\0';
	}
	{
		const char *t = str;
		while (*t == ' ' || *t == '\t')
			t++;
		/* A header, even one repeating the last name, starts a section. */
		if (*t == '[')
			p->new_header = true;
	}
	return str;
}

static char *expand_home(const char *v)
{
	struct mk_buf b;
	const char *home = getenv("HOME");

	if (v[0] != '~' || v[1] != '/' || home == NULL)
		return strdup(v);
	mk_buf_init(&b, 4096);
	if (mk_buf_addstr(&b, home) != 0 || mk_buf_addstr(&b, v + 1) != 0) {
		mk_buf_free(&b);
		return NULL;
	}
	return mk_buf_take(&b);
}

static int set_str(struct parse *p, char **dst, const char *v)
{
	if (*dst != NULL) {
		problem(p, p->line, "this key is set twice in the section");
		return 1;
	}
	*dst = expand_home(v);
	return 1;
}

static int set_url(struct parse *p, struct acct_state *st, int which, char **dst, const char *v)
{
	st->url_line[which] = p->line;
	return set_str(p, dst, v);
}

/* "host:port" or "[v6]:port" or "host" (port from the preset). */
static int set_server(struct parse *p, struct mk_mail_endpoint *e, const char *v, bool *tls_set)
{
	const char *colon = strrchr(v, ':');
	unsigned port = 0;

	if (e->host != NULL) {
		problem(p, p->line, "this key is set twice in the section");
		return 1;
	}
	if (colon != NULL && v[0] != '[' && strchr(v, ':') != colon)
		colon = NULL; /* bare IPv6 address */
	if (v[0] == '[') {    /* "[v6]" or "[v6]:port": only a colon after ']' */
		const char *rb = strchr(v, ']');
		colon = rb != NULL && rb[1] == ':' ? rb + 1 : NULL;
	}
	if (colon != NULL && (mk_str_to_uint(colon + 1, 65535, &port) != 0 || port == 0)) {
		problem(p, p->line, "'%s' is not HOST:PORT with a port from 1 to 65535", v);
		return 1;
	}
	e->host = colon != NULL ? mk_str_ndup(v, (size_t)(colon - v)) : strdup(v);
	if (e->host != NULL && e->host[0] == '[') {
		size_t n = strlen(e->host);
		if (n >= 2 && e->host[n - 1] == ']') {
			memmove(e->host, e->host + 1, n - 2);
			e->host[n - 2] = '\0';
		}
	}
	e->port = port;
	/* The well-known submission and STARTTLS ports; anything else is
	 * implicit TLS unless `*_tls = starttls` says otherwise (before or
	 * after this key). No port: chosen from the mode in finish_account. */
	if (!*tls_set)
		e->tls = (port == 587 || port == 143 || port == 110 || port == 25) ? MK_TLS_STARTTLS
										   : MK_TLS_IMPLICIT;
	return 1;
}

static int set_tls(struct parse *p, struct mk_mail_endpoint *e, const char *v, bool *tls_set)
{
	*tls_set = true;
	if (strcmp(v, "implicit") == 0 || strcmp(v, "tls") == 0)
		e->tls = MK_TLS_IMPLICIT;
	else if (strcmp(v, "starttls") == 0)
		e->tls = MK_TLS_STARTTLS;
	else
		problem(p, p->line, "'%s' is not a TLS mode (implicit or starttls); plaintext is not offered",
			v);
	return 1;
}

static int account_key(struct parse *p, const char *name, const char *v)
{
	struct mk_account *a = p->cur->a;
	struct acct_state *st = p->cur;

	if (strcmp(name, "provider") == 0)
		return set_str(p, &a->provider, v);
	if (strcmp(name, "user") == 0)
		return set_str(p, &a->user, v);
	if (strcmp(name, "client_id") == 0)
		return set_str(p, &a->client_id, v);
	if (strcmp(name, "client_secret") == 0) {
		st->secret_line = p->line;
		return set_str(p, &a->client_secret, v);
	}
	if (strcmp(name, "client_secret_file") == 0) {
		p->cur->secret_file_line = p->line;
		return set_str(p, &p->cur->client_secret_file, v);
	}
	if (strcmp(name, "issuer") == 0)
		return set_url(p, st, URL_ISSUER, &a->issuer, v);
	if (strcmp(name, "authorization_endpoint") == 0)
		return set_url(p, st, URL_AUTH, &a->authorization_endpoint, v);
	if (strcmp(name, "token_endpoint") == 0)
		return set_url(p, st, URL_TOKEN, &a->token_endpoint, v);
	if (strcmp(name, "device_endpoint") == 0 || strcmp(name, "device_authorization_endpoint") == 0)
		return set_url(p, st, URL_DEVICE, &a->device_endpoint, v);
	if (strcmp(name, "revocation_endpoint") == 0)
		return set_url(p, st, URL_REVOKE, &a->revocation_endpoint, v);
	if (strcmp(name, "scope") == 0)
		return set_str(p, &a->scope, v);
	if (strcmp(name, "auth_params") == 0)
		return set_str(p, &a->auth_params, v);
	if (strcmp(name, "tenant") == 0)
		return set_str(p, &a->tenant, v);
	if (strcmp(name, "redirect_host") == 0) {
		if (strcmp(v, "127.0.0.1") != 0 && strcmp(v, "localhost") != 0)
			problem(p, p->line,
				"redirect_host must be 127.0.0.1 or localhost (RFC 8252 loopback)");
		return set_str(p, &a->redirect_host, v);
	}
	if (strcmp(name, "imap") == 0)
		return set_server(p, &a->imap, v, &st->tls_set[EP_IMAP]);
	if (strcmp(name, "smtp") == 0)
		return set_server(p, &a->smtp, v, &st->tls_set[EP_SMTP]);
	if (strcmp(name, "pop3") == 0)
		return set_server(p, &a->pop3, v, &st->tls_set[EP_POP3]);
	if (strcmp(name, "imap_tls") == 0)
		return set_tls(p, &a->imap, v, &st->tls_set[EP_IMAP]);
	if (strcmp(name, "smtp_tls") == 0)
		return set_tls(p, &a->smtp, v, &st->tls_set[EP_SMTP]);
	if (strcmp(name, "pop3_tls") == 0)
		return set_tls(p, &a->pop3, v, &st->tls_set[EP_POP3]);
	if (strcmp(name, "mech") == 0) {
		if (strcasecmp(v, "xoauth2") == 0)
			a->mech = MK_MECH_XOAUTH2;
		else if (strcasecmp(v, "oauthbearer") == 0)
			a->mech = MK_MECH_OAUTHBEARER;
		else
			problem(p, p->line, "mech must be xoauth2 or oauthbearer, not '%s'", v);
		p->cur->mech_set = true;
		return 1;
	}
	if (strcmp(name, "refresh_margin") == 0) {
		if (mk_str_to_uint(v, 86400, &a->refresh_margin) != 0)
			problem(p, p->line, "refresh_margin must be a number of seconds from 0 to 86400");
		return 1;
	}
	if (strcmp(name, "timeout") == 0) {
		if (mk_str_to_uint(v, 3600, &a->timeout) != 0 || a->timeout == 0)
			problem(p, p->line, "timeout must be a number of seconds from 1 to 3600");
		return 1;
	}
	if (strcmp(name, "cafile") == 0)
		return set_str(p, &a->cafile, v);
	if (strcmp(name, "notify_command") == 0)
		return set_str(p, &a->notify_command, v);
	if (strcmp(name, "source_address") == 0)
		return set_str(p, &a->source_address, v);
	if (strcmp(name, "notify_interval") == 0) {
		if (mk_str_to_uint(v, 604800, &a->notify_interval) != 0 || a->notify_interval < 10)
			problem(p, p->line, "notify_interval must be a number of seconds from 10 to 604800");
		return 1;
	}
	if (strcmp(name, "relay_key") == 0)
		return set_str(p, &a->relay_key, v);
	if (strcmp(name, "queue") == 0) {
		a->queue = strcmp(v, "yes") == 0 || strcmp(v, "true") == 0;
		if (!a->queue && strcmp(v, "no") != 0 && strcmp(v, "false") != 0)
			problem(p, p->line, "queue must be yes or no, not '%s'", v);
		return 1;
	}
	problem(p, p->line, "unknown key '%s' in [account %s]", name, a->name);
	return 1;
}

static bool valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.' || *s == '@'))
			return false;
	return true;
}

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void index_put(size_t *index, size_t size, const char *name, size_t i)
{
	size_t j = name_hash(name) & (size - 1);

	while (index[j] != 0)
		j = (j + 1) & (size - 1);
	index[j] = i + 1;
}

/* Index account i (its name is set), doubling the table as needed. */
static int index_add(struct mk_config *c, size_t i)
{
	if (2 * c->n > c->index_size) {
		size_t size = c->index_size ? 2 * c->index_size : 64;
		size_t *index = calloc(size, sizeof(*index));
		if (index == NULL)
			return -1;
		for (size_t k = 0; k < i; k++)
			index_put(index, size, c->accts[k]->a->name, k);
		free(c->index);
		c->index = index;
		c->index_size = size;
	}
	index_put(c->index, c->index_size, c->accts[i]->a->name, i);
	return 0;
}

/* A new, zeroed account slot at the end. */
static struct acct_state *add_account(struct mk_config *c)
{
	struct acct_state *st;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct acct_state **a = realloc(c->accts, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		c->accts = a;
		c->cap = cap;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	c->accts[c->n++] = st;
	return st;
}

/* Kept for gateway/, which knows what the keys mean. */
static int gateway_key(struct parse *p, const char *name, const char *value)
{
	struct mk_config *c = p->cfg;
	struct mk_config_kv *kv;

	if (c->gw_n == c->gw_cap) {
		size_t cap = c->gw_cap ? 2 * c->gw_cap : 16;
		struct mk_config_kv *a = realloc(c->gw, cap * sizeof(*a));
		if (a == NULL)
			return 0;
		c->gw = a;
		c->gw_cap = cap;
	}
	kv = &c->gw[c->gw_n];
	kv->key = strdup(name);
	kv->value = expand_home(value);
	kv->line = p->line;
	if (kv->key == NULL || kv->value == NULL) {
		free(kv->key);
		free(kv->value);
		return 0;
	}
	c->gw_n++;
	return 1;
}

static int begin_section(struct parse *p, const char *section)
{
	struct acct_state *st;

	p->cur = NULL;
	p->in_store = false;
	p->in_gateway = false;
	p->bad_section = false;
	if (*section == '\0') {
		p->bad_section = false;
		return 0;
	}
	if (strcmp(section, "store") == 0) {
		p->in_store = true;
		return 0;
	}
	if (strcmp(section, "gateway") == 0) {
		if (p->cfg->gw_line != 0) {
			problem(p, p->line, "[gateway] appears twice (first on line %u): merge them",
				p->cfg->gw_line);
			p->bad_section = true;
			return 0;
		}
		p->cfg->gw_line = p->line;
		p->in_gateway = true;
		return 0;
	}
	if (strncmp(section, "account ", 8) != 0) {
		problem(p, p->line, "unknown section [%s] (expected [account NAME], [store] or [gateway])",
			section);
		p->bad_section = true;
		return 0;
	}
	section += 8;
	while (*section == ' ')
		section++;
	if (!valid_name(section)) {
		problem(p, p->line, "account name '%s' may use only letters, digits and - _ . @", section);
		p->bad_section = true;
		return 0;
	}
	if (mk_config_find(p->cfg, section) != NULL) {
		problem(p, p->line, "[account %s] appears twice", section);
		p->bad_section = true;
		return 0;
	}
	if ((st = add_account(p->cfg)) == NULL)
		return -1;
	st->a = calloc(1, sizeof(*st->a));
	if (st->a == NULL || (st->a->name = strdup(section)) == NULL ||
	    (st->a->config_file = strdup(p->cfg->path)) == NULL || index_add(p->cfg, p->cfg->n - 1) != 0)
		return -1;
	st->a->config_line = p->line;
	st->a->refresh_margin = 600;
	st->a->notify_interval = 900; /* pizauth's 15 minutes */
	p->cur = st;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	/* Debian's inih calls no handler for a section header, so a new section
	 * is noticed at its first key. */
	if (p->new_header || p->section == NULL || strcmp(section, p->section) != 0) {
		p->new_header = false;
		free(p->section);
		p->section = strdup(section);
		if (p->section == NULL || begin_section(p, section) != 0)
			return 0;
	}
	if (p->bad_section)
		return 1;
	if (p->in_store) {
		if (strcmp(name, "key_command") == 0)
			return set_str(p, &p->cfg->key_command, value);
		problem(p, p->line, "unknown key '%s' in [store]", name);
		return 1;
	}
	if (p->in_gateway)
		return gateway_key(p, name, value);
	/* Top-level keys come before the first section. */
	if (p->cur == NULL && *section == '\0' && strcmp(name, "default_account") == 0) {
		p->cfg->default_account_line = p->line;
		return set_str(p, &p->cfg->default_account, value);
	}
	/* The daemon's: where it listens and who besides its own user may ask. */
	if (p->cur == NULL && *section == '\0' && strcmp(name, "socket") == 0)
		return set_str(p, &p->cfg->socket, value);
	if (p->cur == NULL && *section == '\0' && strcmp(name, "allow_group") == 0)
		return set_str(p, &p->cfg->allow_group, value);
	if (p->cur == NULL) {
		problem(p, p->line, "'%s' is outside any section", name);
		return 1;
	}
	return account_key(p, name, value);
}

/* A server given without a port gets the protocol's standard port for its
 * TLS mode (RFC 8314 §3.3, RFC 6409): implicit TLS unless *_tls = starttls. */
static void default_port(struct mk_mail_endpoint *e, unsigned implicit, unsigned starttls)
{
	if (e->host != NULL && e->port == 0)
		e->port = e->tls == MK_TLS_STARTTLS ? starttls : implicit;
}

/* Every configured or preset OAuth URL passes the same policy as the
 * requests (https, or http to this machine only). */
static void check_urls(struct parse *p, const struct acct_state *st)
{
	const struct mk_account *a = st->a;
	const struct {
		const char *key, *url;
	} urls[URL_N] = {
		[URL_ISSUER] = { "issuer", a->issuer },
		[URL_AUTH] = { "authorization_endpoint", a->authorization_endpoint },
		[URL_TOKEN] = { "token_endpoint", a->token_endpoint },
		[URL_DEVICE] = { "device_endpoint", a->device_endpoint },
		[URL_REVOKE] = { "revocation_endpoint", a->revocation_endpoint },
	};

	if (mk_http_url_check == NULL)
		return;
	for (size_t i = 0; i < URL_N; i++) {
		struct mk_error e;
		if (urls[i].url == NULL || mk_http_url_check(urls[i].url, &e) == 0)
			continue;
		problem(p, st->url_line[i] != 0 ? st->url_line[i] : a->config_line, "%s: %s", urls[i].key,
			e.msg);
	}
}

static void finish_account(struct parse *p, struct acct_state *st)
{
	struct mk_account *a = st->a;
	struct mk_error e;
	unsigned line = a->config_line;

	if (a->provider == NULL) {
		problem(p, line, "[account %s] has no 'provider' (one of: %s)", a->name, mk_provider_names());
		return;
	}
	if (mk_provider_apply(a, st->mech_set, &e) != 0) {
		problem(p, line, "%s", e.msg);
		return;
	}
	if (a->user == NULL)
		problem(p, line, "[account %s] has no 'user' (the mail address to log in as)", a->name);
	if (a->client_id == NULL)
		problem(p, line, "[account %s] has no 'client_id' (register one: " MK_DOCDIR "/providers.md)",
			a->name);
	if (strcmp(a->provider, "generic") == 0 && a->issuer == NULL &&
	    (a->authorization_endpoint == NULL || a->token_endpoint == NULL))
		problem(p, line,
			"[account %s] needs 'issuer' (for discovery) or both 'authorization_endpoint' and "
			"'token_endpoint'",
			a->name);
	check_urls(p, st);
	default_port(&a->imap, 993, 143);
	default_port(&a->pop3, 995, 110);
	default_port(&a->smtp, 465, 587);
	/* Only the sections and keys matter to mk_config_load_names (shell
	 * completion): the secrets are neither read nor checked. */
	if (p->names_only)
		return;
	/* An inline secret is as exposed as a secret file with the same mode. */
	if (a->client_secret != NULL && st->secret_line != 0 && p->mode_known && (p->mode & 077) != 0)
		problem(p, st->secret_line,
			"client_secret is in %s, which its group or other users can read: chmod 600 it (or "
			"move the secret to a client_secret_file with mode 600)",
			p->cfg->path);
	if (a->client_secret != NULL && st->client_secret_file != NULL)
		problem(p, st->secret_file_line, "set either client_secret or client_secret_file, not both");
	if (st->client_secret_file != NULL && a->client_secret == NULL) {
		struct mk_buf b;
		struct stat sb;
		int rd = 0;
		mk_buf_init_secret(&b, MK_SECRET_FILE_MAX);
		if (stat(st->client_secret_file, &sb) == 0 && (sb.st_mode & 077) != 0)
			problem(p, st->secret_file_line,
				"%s is readable by its group or other users: chmod 600 it",
				st->client_secret_file);
		else if ((rd = mk_fs_read_file(st->client_secret_file, &b, &e)) != 0 &&
			 e.cls == MK_ERR_NOINPUT)
			problem(p, st->secret_file_line,
				"client_secret_file: %s: put the OAuth client's secret in that file and "
				"chmod "
				"600 it, or remove the client_secret_file line if the client is public",
				e.msg);
		else if (rd != 0)
			problem(p, st->secret_file_line, "client_secret_file: %s", e.msg);
		else {
			while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
				mk_buf_truncate(&b, b.len - 1);
			a->client_secret = mk_buf_take(&b);
		}
		mk_buf_free(&b);
	}
}

static int load_stream(const char *path, FILE *fp, const struct stat *sb, bool names_only,
		       struct mk_buf *problems_r, struct mk_config **r, struct mk_error *err);

/* The file cannot be opened or read (e, an errno): for EACCES, say how. */
static int read_failed(struct mk_error *err, int e, const char *path)
{
	if (e == EACCES)
		return mk_error_set(err, MK_ERR_IO,
				    "cannot read %s: %s: run the command with sudo, or as a user in the "
				    "file's group (ls -l %s)",
				    path, strerror(e), path);
	return mk_error_errno(err, MK_ERR_IO, e, "cannot read %s", path);
}

static int load_file(const char *path, bool names_only, struct mk_buf *problems_r, struct mk_config **r,
		     struct mk_error *err)
{
	FILE *fp;
	struct stat sb;
	int fd, rc;

	*r = NULL;
	/* O_NONBLOCK: a FIFO given as the config must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return mk_error_set(
				err, MK_ERR_NOINPUT,
				"no configuration file at %s: create it with an [account NAME] section "
				"(see `man mailkey`, section CONFIGURATION)",
				path);
		if (e == EISDIR)
			return mk_error_set(err, MK_ERR_CONFIG,
					    "%s is a directory: give the configuration file (e.g. %s/config)",
					    path, path);
		return read_failed(err, e, path);
	}
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return read_failed(err, e, path);
	}
	if (S_ISDIR(sb.st_mode)) {
		close(fd);
		return mk_error_set(err, MK_ERR_CONFIG,
				    "%s is a directory: give the configuration file (e.g. %s/config)", path,
				    path);
	}
	/* A device or FIFO never ends (/dev/zero) or blocks; a huge file is a
	 * mistake. */
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return mk_error_set(err, MK_ERR_CONFIG,
				    "%s is not a regular file: give the configuration file", path);
	}
	if (sb.st_size > (off_t)MK_CONFIG_MAX_BYTES) {
		close(fd);
		return mk_error_set(
			err, MK_ERR_CONFIG,
			"%s is %lld bytes, more than a configuration can be (%u): is it the right file?",
			path, (long long)sb.st_size, MK_CONFIG_MAX_BYTES);
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		int e = errno;
		close(fd);
		return read_failed(err, e, path);
	}
	rc = load_stream(path, fp, &sb, names_only, problems_r, r, err);
	fclose(fp);
	return rc;
}

int mk_config_load(const char *path, struct mk_buf *problems_r, struct mk_config **r, struct mk_error *err)
{
	return load_file(path, false, problems_r, r, err);
}

int mk_config_load_names(const char *path, struct mk_buf *problems_r, struct mk_config **r,
			 struct mk_error *err)
{
	return load_file(path, true, problems_r, r, err);
}

int mk_config_load_stream(const char *path, FILE *fp, struct mk_buf *problems_r, struct mk_config **r,
			  struct mk_error *err)
{
	return load_stream(path, fp, NULL, false, problems_r, r, err);
}

static int load_stream(const char *path, FILE *fp, const struct stat *sb, bool names_only,
		       struct mk_buf *problems_r, struct mk_config **r, struct mk_error *err)
{
	struct parse p = { 0 };
	struct mk_config *cfg = NULL;
	int rc;

	*r = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
		free(cfg);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	p.cfg = cfg;
	p.problems = problems_r;
	p.err = err;
	p.fp = fp;
	p.names_only = names_only;
	if (sb != NULL) {
		p.mode_known = true;
		p.mode = sb->st_mode;
	}
	rc = ini_parse_stream(reader, &p, handler, &p);
	free(p.section);
	if (rc > 0 && !p.stop)
		problem(&p, (unsigned)rc,
			"not an INI line (expected [section], key = value, or a # comment)");
	else if (rc < 0)
		problem(&p, p.line, "cannot parse (out of memory)");
	if (ferror(fp))
		problem(&p, p.line, "read error");
	for (size_t i = 0; i < cfg->n; i++)
		finish_account(&p, cfg->accts[i]);
	if (cfg->default_account != NULL && mk_config_find(cfg, cfg->default_account) == NULL)
		problem(&p, cfg->default_account_line, "default_account = %s names no [account %s] section",
			cfg->default_account, cfg->default_account);
	if (p.nerr > 0) {
		mk_config_free(&cfg);
		return -1;
	}
	*r = cfg;
	return 0;
}

void mk_config_free(struct mk_config **cp)
{
	struct mk_config *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		mk_account_free(&c->accts[i]->a);
		free(c->accts[i]->client_secret_file);
		free(c->accts[i]);
	}
	free(c->accts);
	free(c->index);
	for (size_t i = 0; i < c->gw_n; i++) {
		free(c->gw[i].key);
		free(c->gw[i].value);
	}
	free(c->gw);
	free(c->path);
	free(c->key_command);
	free(c->default_account);
	free(c->socket);
	free(c->allow_group);
	free(c);
	*cp = NULL;
}

size_t mk_config_account_count(const struct mk_config *c)
{
	return c->n;
}

struct mk_account *mk_config_account_at(const struct mk_config *c, size_t i)
{
	return i < c->n ? c->accts[i]->a : NULL;
}

struct mk_account *mk_config_find(const struct mk_config *c, const char *name)
{
	if (c->index_size == 0)
		return NULL;
	for (size_t j = name_hash(name) & (c->index_size - 1); c->index[j] != 0;
	     j = (j + 1) & (c->index_size - 1)) {
		struct mk_account *a = c->accts[c->index[j] - 1]->a;
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

const char *mk_config_path(const struct mk_config *c)
{
	return c->path;
}

const char *mk_config_key_command(const struct mk_config *c)
{
	return c->key_command;
}

const char *mk_config_default_account(const struct mk_config *c)
{
	return c->default_account;
}

const struct mk_config_kv *mk_config_gateway(const struct mk_config *c, size_t *n_r, unsigned *line_r)
{
	*n_r = c->gw_n;
	if (line_r != NULL)
		*line_r = c->gw_line;
	return c->gw;
}

const char *mk_config_socket(const struct mk_config *c)
{
	return c->socket;
}

const char *mk_config_allow_group(const struct mk_config *c)
{
	return c->allow_group;
}

char *mk_config_default_path(void)
{
	return mk_fs_xdg_path("MAILKEY_CONFIG", "XDG_CONFIG_HOME", ".config", "mailkey/config");
}
