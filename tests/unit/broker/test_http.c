/* The plain-http guard (broker/oauth/http.c) with the inputs of the outside
 * review and their relatives, and `config check` applying it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/config/config.h"
#include "broker/oauth/http.h"
#include "cmocka_all.h"

static const char *const allowed[] = {
	"https://example.com/token",
	"HTTPS://EXAMPLE.COM/",
	"https://login.microsoftonline.com/common/v2.0",
	"https://[2001:db8::1]:8443/x",
	"http://127.0.0.1:9/",
	"http://127.0.0.1/token",
	"http://localhost:8080/x",
	"http://LOCALHOST/", /* host names are case-insensitive; curl resolves it locally */
	"HTTP://127.0.0.1:9",
	"http://[::1]:9/",
	"http://[0:0:0:0:0:0:0:1]/", /* curl normalises it to [::1] */
	"http://127.1/",	     /* curl normalises it to 127.0.0.1 */
};

static const char *const refused[] = {
	"HTTP://127.0.0.2:9",		/* uppercase scheme, other host */
	"http://127.0.0.1@127.0.0.2:9", /* userinfo that looks like the host */
	"http://127.0.0.1:9@127.0.0.2/",
	"http://localhost.example.com/", /* prefix of an allowed name */
	"http://localhost./",		 /* trailing dot: a DNS name, not the local one */
	"http://127.0.0.1./",
	"http://127.0.0.1.nip.io/",
	"http://localhost@evil.example/",
	"http://u:p@localhost/", /* credentials in the URL, even to loopback */
	"https://user@example.com/",
	"http://evil.example\\@127.0.0.1/",
	"http://evil.example#@127.0.0.1/",
	"http://[::2]/",
	"http://[::ffff:127.0.0.1]/",
	"http://127.0.0.2/",
	"http://0.0.0.0/",
	"http://example.com/",
	"ftp://127.0.0.1/",
	"file:///etc/passwd",
	"127.0.0.1:9/token", /* no scheme */
	"//127.0.0.1/",
	"",
	"http://127.0.0.1 /",
	"http://127.0.0.1:99999/",
};

static void test_guard(void **state)
{
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (mk_http_url_check(allowed[i], &err) != 0)
			fail_msg("%s refused: %s", allowed[i], err.msg);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		mk_error_init(&err);
		if (mk_http_url_check(refused[i], &err) == 0)
			fail_msg("%s allowed", refused[i]);
		assert_int_equal(err.cls, MK_ERR_CONFIG);
	}
}

/* mk_http_do refuses before anything is sent: nothing listens on
 * 127.0.0.2:9, so a request that went out would fail as MK_ERR_TEMP. */
static void test_do_refuses(void **state)
{
	struct mk_http_req req = { 0 };
	struct mk_http_resp resp;
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		req.url = refused[i];
		mk_http_resp_init(&resp);
		assert_int_equal(mk_http_do(&req, &resp, &err), -1);
		assert_int_equal(err.cls, MK_ERR_CONFIG);
		assert_non_null(strstr(err.msg, "refusing plain http") != NULL
					? err.msg
					: strstr(err.msg, "user name"));
		mk_http_resp_free(&resp);
	}
}

/* A hand-written server: no real one here redirects elsewhere. It answers
 * one request with a redirect to plain http on another host. */
struct redirector {
	int fd;
	const char *location;
};

static void *redirect_once(void *arg)
{
	struct redirector *r = arg;
	char buf[4096], resp[512];
	int c = accept(r->fd, NULL, NULL);

	if (c >= 0) {
		ssize_t n = recv(c, buf, sizeof(buf), 0);
		int len = snprintf(resp, sizeof(resp),
				   "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n",
				   r->location);
		if (n > 0 && send(c, resp, (size_t)len, 0) < 0)
			perror("send");
		close(c);
	}
	return NULL;
}

/* Redirects are never followed (and could only go to https): the caller
 * sees the 302. Were it followed to 127.0.0.2:9, where nothing listens, the
 * request would fail with MK_ERR_TEMP instead. */
static void test_no_redirect_to_plain_http(void **state)
{
	static const char *const targets[] = { "http://127.0.0.2:9/x", "HTTP://localhost.example.com:9/",
					       "https://127.0.0.2:9/" };
	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct sockaddr_in sa = { 0 };
		socklen_t sl = sizeof(sa);
		struct redirector r = { socket(AF_INET, SOCK_STREAM, 0), targets[i] };
		struct mk_http_req req = { 0 };
		struct mk_http_resp resp;
		struct mk_error err;
		pthread_t th;
		char url[64];

		assert_true(r.fd >= 0);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(r.fd, 1), 0);
		assert_int_equal(getsockname(r.fd, (struct sockaddr *)&sa, &sl), 0);
		assert_int_equal(pthread_create(&th, NULL, redirect_once, &r), 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/.well-known/x", (unsigned)ntohs(sa.sin_port));
		req.url = url;
		req.timeout_s = 10;
		mk_http_resp_init(&resp);
		if (mk_http_do(&req, &resp, &err) != 0)
			fail_msg("%s: %s", targets[i], err.msg);
		assert_int_equal(resp.status, 302);
		mk_http_resp_free(&resp);
		pthread_join(th, NULL);
		close(r.fd);
	}
}

/* `config check` (mk_config_load) flags each URL key at its line. */
static void test_config_flags_urls(void **state)
{
	static const struct {
		const char *key, *url, *line;
	} cases[] = {
		{ "issuer", "HTTP://127.0.0.2:9", ":3:" },
		{ "issuer", "http://127.0.0.1@127.0.0.2:9", ":3:" },
		{ "token_endpoint", "http://localhost.example.com/token", ":3:" },
		{ "authorization_endpoint", "http://127.0.0.1.nip.io/auth", ":3:" },
		{ "revocation_endpoint", "ftp://127.0.0.1/r", ":3:" },
	};
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mk-http-test.%d", (int)getpid());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_config *c = NULL;
		struct mk_buf problems;
		struct mk_error err;
		FILE *fp = fopen(path, "w");
		char needle[64];

		assert_non_null(fp);
		fprintf(fp, "[account a]\nprovider = generic\n%s = %s\nuser = u@x\nclient_id = c\n%s\n",
			cases[i].key, cases[i].url,
			strcmp(cases[i].key, "issuer") != 0 ? "issuer = https://x.example" : "");
		fclose(fp);
		mk_buf_init(&problems, 1 << 16);
		assert_int_equal(mk_config_load(path, &problems, &c, &err) == 0 ? 0 : -1, -1);
		snprintf(needle, sizeof(needle), "%s %s: ", cases[i].line, cases[i].key);
		if (strstr(mk_buf_str(&problems), needle) == NULL)
			fail_msg("case %zu: got '%s'", i, mk_buf_str(&problems));
		mk_buf_free(&problems);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_do_refuses),
		cmocka_unit_test(test_no_redirect_to_plain_http),
		cmocka_unit_test(test_config_flags_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
