/* [gateway] validation: listeners `ADDR:PORT [ACCOUNT]`, remote, cert/key,
 * names, and the numeric limits. Addresses are numeric (or localhost): a
 * name that resolves to several addresses would bind somewhere the admin
 * did not see. */
#include "gateway/gwconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/str.h"

struct gwp {
	const struct mk_config *cfg;
	struct gw_config *g;
	struct mk_buf *problems;
	struct mk_error *err;
	int nerr;
	unsigned cert_line, key_line, remote_line;
};

static void problem(struct gwp *p, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct gwp *p, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->nerr++ == 0)
		mk_error_set(p->err, MK_ERR_CONFIG, "%s:%u: %s", mk_config_path(p->cfg), line, msg);
	if (p->problems != NULL)
		mk_buf_addf(p->problems, "%s:%u: %s\n", mk_config_path(p->cfg), line, msg);
}

static const struct {
	const char *key;
	enum gw_proto proto;
	bool implicit;
} kinds[] = {
	{ "imap", GW_IMAP, false }, { "imaps", GW_IMAP, true }, { "pop3", GW_POP3, false },
	{ "pop3s", GW_POP3, true }, { "smtp", GW_SMTP, false }, { "smtps", GW_SMTP, true },
};

static bool is_loopback(const char *addr, bool v6)
{
	if (v6) {
		struct in6_addr a;
		return inet_pton(AF_INET6, addr, &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
	}
	return strncmp(addr, "127.", 4) == 0;
}

/* One "ADDR:PORT [ACCOUNT]" item (trimmed, non-empty). */
static void listener(struct gwp *p, unsigned kind, const char *item, unsigned line)
{
	struct gw_listener_cfg *l;
	char hostport[128], account[256] = "", host[64];
	const char *colon;
	unsigned port;
	int nf;

	nf = sscanf(item, "%127s %255s", hostport, account);
	if (nf < 1 || strlen(item) > 200) {
		problem(p, line, "'%s' is not ADDR:PORT [ACCOUNT]", item);
		return;
	}
	{
		char extra[8];
		if (sscanf(item, "%*s %*s %7s", extra) == 1) {
			problem(p, line,
				"'%s': one ADDR:PORT and at most one account per item; separate listeners "
				"with commas",
				item);
			return;
		}
	}
	if (hostport[0] == '[') {
		const char *rb = strchr(hostport, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - hostport - 1) >= sizeof(host)) {
			problem(p, line, "'%s' is not [IPv6]:PORT", hostport);
			return;
		}
		memcpy(host, hostport + 1, (size_t)(rb - hostport - 1));
		host[rb - hostport - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (colon == NULL || strchr(hostport, ':') != colon ||
		    (size_t)(colon - hostport) >= sizeof(host)) {
			problem(p, line,
				"'%s' is not ADDR:PORT (an IPv6 address goes in brackets: [::1]:PORT)",
				hostport);
			return;
		}
		memcpy(host, hostport, (size_t)(colon - hostport));
		host[colon - hostport] = '\0';
	}
	if (mk_str_to_uint(colon + 1, 65535, &port) != 0 || port == 0) {
		problem(p, line, "'%s': the port must be a number from 1 to 65535", hostport);
		return;
	}
	if (p->g->n == GW_LISTENERS_MAX) {
		problem(p, line, "more than %d listeners", GW_LISTENERS_MAX);
		return;
	}
	l = &p->g->l[p->g->n];
	memset(l, 0, sizeof(*l));
	if (strcasecmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	{
		struct in_addr a4;
		struct in6_addr a6;
		if (inet_pton(AF_INET, host, &a4) == 1)
			l->v6 = false;
		else if (inet_pton(AF_INET6, host, &a6) == 1)
			l->v6 = true;
		else {
			problem(p, line,
				"'%s' is not a numeric address: give an IPv4 address, [IPv6] in brackets, "
				"or localhost",
				host);
			return;
		}
	}
	if (strlen(host) >= sizeof(l->addr)) {
		problem(p, line, "'%s' is not a numeric address", host);
		return;
	}
	memcpy(l->addr, host, strlen(host) + 1);
	snprintf(l->key, sizeof(l->key), "%s", kinds[kind].key);
	l->proto = kinds[kind].proto;
	l->implicit_tls = kinds[kind].implicit;
	l->port = port;
	l->loopback = is_loopback(l->addr, l->v6);
	l->line = line;
	if (account[0] != '\0') {
		if (mk_config_find(p->cfg, account) == NULL) {
			problem(p, line, "%s = %s: there is no [account %s] section", kinds[kind].key, item,
				account);
			return;
		}
		if (strlen(account) >= sizeof(l->account)) {
			problem(p, line, "account name '%s' is too long", account);
			return;
		}
		memcpy(l->account, account, strlen(account) + 1);
	}
	for (size_t i = 0; i < p->g->n; i++)
		if (p->g->l[i].port == port && p->g->l[i].v6 == l->v6 &&
		    (strcmp(p->g->l[i].addr, l->addr) == 0 || strcmp(p->g->l[i].addr, "0.0.0.0") == 0 ||
		     strcmp(p->g->l[i].addr, "::") == 0 || strcmp(l->addr, "0.0.0.0") == 0 ||
		     strcmp(l->addr, "::") == 0)) {
			problem(p, line, "%s:%u is also used on line %u: give each listener its own port",
				l->addr, port, p->g->l[i].line);
			return;
		}
	p->g->n++;
}

static void listeners(struct gwp *p, unsigned kind, const char *v, unsigned line)
{
	const char *s = v;

	for (;;) {
		const char *e = strchr(s, ',');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
		char item[256];
		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(item))
			problem(p, line, "%s: an empty or over-long item in '%s' (ADDR:PORT [ACCOUNT], ...)",
				kinds[kind].key, v);
		else {
			memcpy(item, s, n);
			item[n] = '\0';
			listener(p, kind, item, line);
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

static void number(struct gwp *p, const struct mk_config_kv *kv, unsigned lo, unsigned hi, unsigned *dst)
{
	if (mk_str_to_uint(kv->value, hi, dst) != 0 || *dst < lo)
		problem(p, kv->line, "%s must be a number from %u to %u, not '%s'", kv->key, lo, hi,
			kv->value);
}

/* An IP literal, or a DNS name: labels of 1 to 63 letters, digits and
 * inner hyphens (a SAN a client would never match is a typo to report). */
static bool valid_name(const char *t)
{
	unsigned char buf[16];
	size_t len = 0;

	if (inet_pton(AF_INET, t, buf) == 1 || inet_pton(AF_INET6, t, buf) == 1)
		return true;
	if (strlen(t) > 253)
		return false;
	for (const char *c = t;; c++) {
		if (*c == '.' || *c == '\0') {
			if (len == 0 || len > 63 || c[-1] == '-')
				return false;
			if (*c == '\0')
				return true;
			len = 0;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      (*c == '-' && len > 0)))
			return false;
		len++;
	}
}

static int add_names(struct gwp *p, const struct mk_config_kv *kv)
{
	size_t n = 0;
	char *dup = strdup(kv->value), *save = NULL;

	if (dup == NULL)
		return -1;
	while (p->g->names[n] != NULL)
		n++;
	for (char *t = strtok_r(dup, " \t,", &save); t != NULL; t = strtok_r(NULL, " \t,", &save)) {
		char **a;
		if (!valid_name(t)) {
			problem(p, kv->line, "names: '%s' is not a host name or IP address", t);
			continue;
		}
		a = realloc(p->g->names, (n + 2) * sizeof(*a));
		if (a == NULL) {
			free(dup);
			return -1;
		}
		p->g->names = a;
		if ((a[n] = strdup(t)) == NULL) {
			free(dup);
			return -1;
		}
		a[++n] = NULL;
	}
	free(dup);
	return 0;
}

static int one_key(struct gwp *p, const struct mk_config_kv *kv)
{
	struct gw_config *g = p->g;

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kv->key, kinds[k].key) == 0) {
			listeners(p, k, kv->value, kv->line);
			return 0;
		}
	if (strcmp(kv->key, "remote") == 0) {
		p->remote_line = kv->line;
		if (strcmp(kv->value, "yes") == 0 || strcmp(kv->value, "true") == 0)
			g->remote = true;
		else if (strcmp(kv->value, "no") == 0 || strcmp(kv->value, "false") == 0)
			g->remote = false;
		else
			problem(p, kv->line, "remote must be yes or no, not '%s'", kv->value);
	} else if (strcmp(kv->key, "cert") == 0 || strcmp(kv->key, "key") == 0) {
		bool cert = kv->key[0] == 'c';
		char **dst = cert ? &g->cert : &g->key;
		if (*dst != NULL) {
			problem(p, kv->line, "%s is set twice in [gateway]", kv->key);
			return 0;
		}
		if ((*dst = strdup(kv->value)) == NULL)
			return -1;
		*(cert ? &p->cert_line : &p->key_line) = kv->line;
		if (access(kv->value, R_OK) != 0)
			problem(p, kv->line, "%s = %s: cannot read that file (give the PEM %s's path)",
				kv->key, kv->value, cert ? "certificate" : "private key");
	} else if (strcmp(kv->key, "names") == 0) {
		return add_names(p, kv);
	} else if (strcmp(kv->key, "max_connections") == 0) {
		number(p, kv, 1, 100000, &g->max_connections);
	} else if (strcmp(kv->key, "max_per_source") == 0) {
		number(p, kv, 1, 100000, &g->max_per_source);
	} else if (strcmp(kv->key, "max_failures") == 0) {
		number(p, kv, 1, 100000, &g->max_failures);
	} else if (strcmp(kv->key, "fail_delay") == 0) {
		number(p, kv, 0, 60, &g->fail_delay);
	} else if (strcmp(kv->key, "login_timeout") == 0) {
		number(p, kv, 1, 3600, &g->login_timeout);
	} else if (strcmp(kv->key, "idle_timeout") == 0) {
		number(p, kv, 1, 604800, &g->idle_timeout);
	} else {
		problem(p, kv->line,
			"unknown key '%s' in [gateway] (imap imaps pop3 pop3s smtp smtps remote cert key "
			"names "
			"max_connections max_per_source max_failures fail_delay login_timeout idle_timeout)",
			kv->key);
	}
	return 0;
}

int gw_config_parse(const struct mk_config *cfg, struct mk_buf *problems, struct gw_config **r,
		    struct mk_error *err)
{
	struct gwp p = { .cfg = cfg, .problems = problems, .err = err };
	const struct mk_config_kv *kv;
	size_t n;
	unsigned gw_line;

	*r = NULL;
	p.g = calloc(1, sizeof(*p.g));
	if (p.g == NULL || (p.g->names = calloc(1, sizeof(char *))) == NULL)
		goto oom;
	p.g->max_connections = 200;
	p.g->max_per_source = 50;
	p.g->max_failures = 10;
	p.g->fail_delay = 1;
	p.g->login_timeout = 60;
	p.g->idle_timeout = 3600;
	kv = mk_config_gateway(cfg, &n, &gw_line);
	for (size_t i = 0; i < n; i++)
		if (one_key(&p, &kv[i]) != 0)
			goto oom;
	if ((p.g->cert == NULL) != (p.g->key == NULL))
		problem(&p, p.g->cert != NULL ? p.cert_line : p.key_line,
			"[gateway] has %s but no %s: give both (the certificate chain and its private key) "
			"or "
			"neither (then mailkey makes its own)",
			p.g->cert != NULL ? "cert" : "key", p.g->cert != NULL ? "key" : "cert");
	if (!p.g->remote)
		for (size_t i = 0; i < p.g->n; i++) {
			char a[64];
			if (p.g->l[i].loopback)
				continue;
			problem(&p, p.g->l[i].line,
				"%s = %s is not a loopback address: other machines could connect. Use "
				"127.0.0.1 or [::1], or set `remote = yes` in [gateway] (those listeners "
				"then accept logins only over TLS)",
				p.g->l[i].key, gw_listener_addr(&p.g->l[i], a, sizeof(a)));
		}
	if (p.nerr > 0) {
		gw_config_free(&p.g);
		return -1;
	}
	*r = p.g;
	return 0;
oom:
	gw_config_free(&p.g);
	return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
}

void gw_config_free(struct gw_config **cp)
{
	struct gw_config *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; c->names != NULL && c->names[i] != NULL; i++)
		free(c->names[i]);
	free(c->names);
	free(c->cert);
	free(c->key);
	free(c);
	*cp = NULL;
}

const char *gw_listener_addr(const struct gw_listener_cfg *l, char *buf, size_t size)
{
	snprintf(buf, size, l->v6 ? "[%s]:%u" : "%s:%u", l->addr, l->port);
	return buf;
}
