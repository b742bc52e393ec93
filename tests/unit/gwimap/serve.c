/* A test server for real IMAP clients (imaplib_check.py): gw_front_imap on
 * 127.0.0.1 with the real gw_lconn and gw_tls, a fake login decision
 * (alice with "right" or "p\"a\\s w"; "temp" = no grant) and, after login,
 * a stand-in for the upstream that answers every command OK and LOGOUT with
 * BYE. The relay and the real upstream are other tests'.
 *
 *   gwimap-serve [--cert PEM --key PEM] [--implicit] [--require-tls]
 * prints "PORT\n" on stdout once listening, serves until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "gateway/front.h"
#include "gateway/lconn.h"
#include "gateway/tls.h"

__attribute__((weak)) void gw_upstream_free(struct gw_upstream **up)
{
	if (up == NULL || *up == NULL)
		return;
	free((*up)->imap_caps);
	free(*up);
	*up = NULL;
}

static struct gw_tls *tls;
static bool implicit;
static bool require_tls;

static int fake_login(void *ctx, enum gw_proto proto, const char *user, const char *pass,
		      struct gw_upstream **up_r, struct mk_error *err)
{
	(void)ctx;
	(void)proto;
	if (strcmp(pass, "temp") == 0)
		return mk_error_set(err, MK_ERR_CONSENT, "no grant for %s: run `mailkey login %s`", user,
				    user);
	if (strcmp(user, "alice") != 0 || (strcmp(pass, "right") != 0 && strcmp(pass, "p\"a\\s w") != 0))
		return mk_error_set(err, MK_ERR_AUTH, "wrong app password");
	*up_r = calloc(1, sizeof(**up_r));
	if (*up_r == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	(*up_r)->imap_caps = strdup("IMAP4rev1 IDLE FAKEUPSTREAM");
	return 0;
}

/* After login: every command OK, LOGOUT ends. */
static void fake_upstream(struct gw_lconn *lc)
{
	struct mk_buf line;
	struct mk_error err;

	mk_buf_init(&line, 65536);
	mk_error_init(&err);
	while (gw_lconn_read_line(lc, &line, 65536, &err) == 0) {
		const char *s = mk_buf_str(&line);
		const char *sp = strchr(s, ' ');
		int tl = sp != NULL ? (int)(sp - s) : (int)strlen(s);

		if (sp != NULL && strncasecmp(sp + 1, "LOGOUT", 6) == 0) {
			(void)gw_lconn_printf(lc, &err, "* BYE fake upstream\r\n%.*s OK LOGOUT done\r\n", tl,
					      s);
			break;
		}
		if (gw_lconn_printf(lc, &err, "%.*s OK fake upstream\r\n", tl, s) != 0)
			break;
	}
	mk_buf_free(&line);
}

static void *session(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct gw_front_params p;
	struct gw_upstream *up = NULL;
	struct mk_error err;

	memset(&p, 0, sizeof(p));
	mk_error_init(&err);
	if (gw_lconn_new(fd, tls, implicit, 10000, &p.lc, &err) != 0) {
		fprintf(stderr, "gwimap-serve: %s\n", err.msg);
		return NULL;
	}
	p.hostname = "127.0.0.1";
	p.require_tls = require_tls;
	p.ops.login = fake_login;
	if (gw_front_imap(&p, &up, &err) == 0)
		fake_upstream(p.lc);
	gw_upstream_free(&up);
	gw_lconn_free(&p.lc);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct mk_error err;
	int one = 1;
	int ls;

	mk_error_init(&err);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			cert = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--implicit") == 0)
			implicit = true;
		else if (strcmp(argv[i], "--require-tls") == 0)
			require_tls = true;
		else if (strcmp(argv[i], "-v") == 0)
			mk_log_set_level(MK_LOG_TRACE);
		else {
			fprintf(stderr, "usage: gwimap-serve [--cert PEM --key PEM] [--implicit] "
					"[--require-tls] [-v]\n");
			return 64;
		}
	}
	if (cert != NULL && gw_tls_load(cert, key, &tls, &err) != 0) {
		fprintf(stderr, "gwimap-serve: %s\n", err.msg);
		return 78;
	}
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
		perror("gwimap-serve: listen");
		return 71;
	}
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		pthread_t th;
		int fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		if (pthread_create(&th, NULL, session, (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
}
