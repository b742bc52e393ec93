/* mk-gwtls-bench [SESSIONS]: the figures for gateway/relay.c (reported in
 * the gwtls report and docs): relay throughput between two local TLS ends,
 * and the memory of an idle relayed session (its gw_lconn with TLS, the
 * upstream mk_conn with TLS, the relay), with the far ends in a child
 * process so that only the gateway's side is counted. Not a ctest. */
#define _GNU_SOURCE
#include <malloc.h>
#include <mbedtls/x509_crt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "gateway/lconn.h"
#include "gateway/relay.h"
#include "gateway/tls.h"
#include "gwtls_util.h"
#include "mail/conn.h"

static struct gw_tls *g_tls;
static char g_ca[1024];
static unsigned g_uport;
static int g_cancel = -1;
static atomic_int g_ready;

static size_t heap_used(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

static size_t rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

struct sess {
	int fd;
	pthread_t th;
	uint64_t send_n;
	struct gw_relay_stats st;
	int rc;
	long long cpu_ms; /* the relay thread's CPU inside gw_relay */
	bool report;	  /* print this session's heap figures (sessions made one at a time) */
};

static long long cpu_ms(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000LL +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;
}

static void *session(void *arg)
{
	struct sess *s = arg;
	struct gw_lconn *lc = NULL;
	struct mk_conn *mc = NULL;
	struct mk_conn_params p = { .host = "127.0.0.1",
				    .port = g_uport,
				    .implicit_tls = true,
				    .cafile = g_ca,
				    .io_timeout_ms = 60000 };
	struct mk_error err;

	size_t h0 = heap_used(), h1, h2;
	struct rusage ru0, ru1;

	mk_error_init(&err);
	s->rc = -1;
	if (gw_lconn_new(s->fd, g_tls, true, 60000, &lc, &err) != 0) {
		fprintf(stderr, "session: %s\n", err.msg);
		goto out;
	}
	h1 = heap_used();
	if (mk_conn_open(&p, &mc, &err) != 0) {
		fprintf(stderr, "session: %s\n", err.msg);
		goto out;
	}
	h2 = heap_used();
	if (s->report)
		printf("one session, heap: gw_lconn with TLS %.1f KB, upstream mk_conn with TLS %.1f KB\n",
		       (double)(h1 - h0) / 1024, (double)(h2 - h1) / 1024);
	atomic_fetch_add(&g_ready, 1);
	getrusage(RUSAGE_THREAD, &ru0);
	s->rc = gw_relay(lc, mc, 0, g_cancel, &s->st, &err);
	getrusage(RUSAGE_THREAD, &ru1);
	s->cpu_ms = cpu_ms(&ru1) - cpu_ms(&ru0);
out:
	gw_lconn_free(&lc);
	mk_conn_free(&mc);
	return NULL;
}

static void *accept_session(void *arg)
{
	struct sess *s = arg;

	s->fd = accept_one(s->fd);
	return session(s);
}

/* ---- throughput: client -> relay -> upstream, all TLS, in threads ---- */

struct far {
	int lfd;
	uint64_t up_n, down_n;
	int rc;
};

static void *far_upstream(void *arg)
{
	struct far *f = arg;
	struct gw_lconn *lc = NULL;
	struct mk_error err;
	struct end e = { .fd = -1 };
	int fd = accept_one(f->lfd);

	mk_error_init(&err);
	f->rc = -1;
	if (fd < 0 || gw_lconn_new(fd, g_tls, true, 60000, &lc, &err) != 0)
		return NULL;
	e.lc = lc;
	f->rc = pump(&e, f->down_n, 2, f->up_n, 1);
	gw_lconn_free(&lc);
	return NULL;
}

static void throughput(uint64_t up_n, uint64_t down_n)
{
	unsigned fport = 0;
	int flfd = listen_lo(&fport);
	struct far f = { .up_n = up_n, .down_n = down_n };
	struct sess s = { 0 };
	pthread_t ft;
	struct mk_conn_params p = { .host = "127.0.0.1",
				    .port = fport,
				    .implicit_tls = true,
				    .cafile = g_ca,
				    .io_timeout_ms = 60000 };
	struct end e = { .fd = -1 };
	struct mk_error err;
	long long t0;

	g_uport = 0;
	f.lfd = listen_lo(&g_uport);
	pthread_create(&ft, NULL, far_upstream, &f);
	mk_error_init(&err);
	s.fd = flfd;
	pthread_create(&s.th, NULL, accept_session, &s); /* the client's handshake needs it running */
	if (mk_conn_open(&p, &e.mc, &err) != 0) {
		fprintf(stderr, "client: %s\n", err.msg);
		exit(1);
	}
	while (atomic_load(&g_ready) == 0)
		poll(NULL, 0, 1);
	t0 = mono_ms();
	if (pump(&e, up_n, 1, down_n, 2) != 0)
		exit(1);
	t0 = mono_ms() - t0;
	mk_conn_free(&e.mc);
	pthread_join(ft, NULL);
	pthread_join(s.th, NULL);
	atomic_store(&g_ready, 0);
	close(flfd);
	close(f.lfd);
	printf("throughput TLS->relay->TLS: %.0f MB up, %.0f MB down in %lld ms: %.1f MB/s; the relay thread "
	       "used %lld ms CPU (%.1f MB per CPU second)\n",
	       (double)up_n / 1048576, (double)down_n / 1048576, t0,
	       (double)(up_n + down_n) / 1048576 / ((double)t0 / 1000), s.cpu_ms,
	       s.cpu_ms > 0 ? (double)(up_n + down_n) / 1048576 / ((double)s.cpu_ms / 1000) : 0.0);
}

/* ---- memory: N idle sessions, far ends in a child ---- */

static void child_ends(int n, unsigned fport, int ulfd, int ready_w, int done_r)
{
	struct gw_lconn **up = calloc((size_t)n, sizeof(*up));
	struct mk_conn **cl = calloc((size_t)n, sizeof(*cl));
	struct mk_error err;
	char b;

	mk_error_init(&err);
	for (int i = 0; i < n; i++) {
		struct mk_conn_params p = { .host = "127.0.0.1",
					    .port = fport,
					    .implicit_tls = true,
					    .cafile = g_ca,
					    .io_timeout_ms = 60000 };
		int fd;
		if (mk_conn_open(&p, &cl[i], &err) != 0)
			goto fail;
		fd = accept_one(ulfd);
		if (fd < 0 || gw_lconn_new(fd, g_tls, true, 60000, &up[i], &err) != 0)
			goto fail;
	}
	(void)!write(ready_w, "r", 1);
	(void)!read(done_r, &b, 1);
	_exit(0);
fail:
	fprintf(stderr, "child: %s\n", err.msg);
	_exit(1);
}

static void memory(int n)
{
	unsigned fport = 0;
	int flfd = listen_lo(&fport), ulfd, rp[2], dp[2];
	struct sess *s = calloc((size_t)n, sizeof(*s));
	size_t heap0, rss0, heap1, rss1, ca0, ca1;
	uint64_t one = 1;
	pid_t pid;
	char b;

	g_uport = 0;
	ulfd = listen_lo(&g_uport);
	if (pipe(rp) != 0 || pipe(dp) != 0)
		exit(1);
	pid = fork();
	if (pid == 0)
		child_ends(n, fport, ulfd, rp[1], dp[0]);
	g_cancel = eventfd(0, EFD_CLOEXEC);
	heap0 = heap_used();
	rss0 = rss_bytes();
	for (int i = 0; i < n; i++) {
		s[i].fd = accept_one(flfd);
		s[i].report = i == n - 1;
		pthread_create(&s[i].th, NULL, session, &s[i]);
		while (atomic_load(&g_ready) <= i)
			poll(NULL, 0, 1);
	}
	if (read(rp[0], &b, 1) != 1)
		exit(1);
	poll(NULL, 0, 500); /* every relay asleep in poll */
	heap1 = heap_used();
	rss1 = rss_bytes();
	printf("idle sessions: %d; heap per session %.1f KB; RSS per session %.1f KB (with its thread's "
	       "stack)\n",
	       n, (double)(heap1 - heap0) / n / 1024, (double)(rss1 - rss0) / n / 1024);
	(void)!write(g_cancel, &one, sizeof(one));
	for (int i = 0; i < n; i++)
		pthread_join(s[i].th, NULL);
	(void)!write(dp[1], "d", 1);
	waitpid(pid, NULL, 0);
	close(g_cancel);
	g_cancel = -1;
	atomic_store(&g_ready, 0);
	/* What an upstream with the system CA bundle adds per mk_conn. */
	{
		mbedtls_x509_crt ca;
		long long t0;
		ca0 = heap_used();
		mbedtls_x509_crt_init(&ca);
		t0 = mono_ms();
		mbedtls_x509_crt_parse_file(&ca, "/etc/ssl/certs/ca-certificates.crt");
		t0 = mono_ms() - t0;
		ca1 = heap_used();
		printf("the system CA bundle parsed (as mail/conn.c does per upstream handshake): %.1f KB, "
		       "%lld ms\n",
		       (double)(ca1 - ca0) / 1024, t0);
		mbedtls_x509_crt_free(&ca);
	}
	free(s);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 100;
	char *dir = tmpdir_new(), sub[1024];
	struct mk_error err;

	snprintf(sub, sizeof(sub), "%s/gw", dir);
	mk_error_init(&err);
	if (gw_tls_ensure(sub, NULL, &g_tls, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	snprintf(g_ca, sizeof(g_ca), "%s", gw_tls_ca_file(g_tls));
	memory(n);
	throughput(10u << 20, 0);
	throughput(0, 10u << 20);
	throughput(10u << 20, 10u << 20);
	gw_tls_free(&g_tls);
	tmpdir_free(&dir);
	return 0;
}
