/* gateway/tls.c: the generated CA and server certificate, checked by
 * openssl (not by the code that made them), and the admin's files. */
#include "cmocka_all.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "gateway/tls.h"
#include "gwtls_util.h"

struct fx {
	char *dir;
	char sub[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tmpdir_new();
	assert_non_null(f->dir);
	snprintf(f->sub, sizeof(f->sub), "%s/state/gateway", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tmpdir_free(&f->dir);
	free(f);
	return 0;
}

static char *file_of(const struct fx *f, const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", f->sub, name);
	return p;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void ensure_ok(const struct fx *f, const char *const *names)
{
	struct gw_tls *t = NULL;
	struct mk_error err;

	mk_error_init(&err);
	if (gw_tls_ensure(f->sub, names, &t, &err) != 0)
		fail_msg("gw_tls_ensure: %s", err.msg);
	assert_non_null(t);
	assert_non_null(gw_tls_ca_file(t));
	assert_string_equal(gw_tls_ca_file(t), file_of(f, "ca.pem"));
	gw_tls_free(&t);
	assert_null(t);
}

/* openssl's verdict on the chain, and the SANs as openssl prints them. */
static void check_chain(const struct fx *f)
{
	assert_int_equal(run("openssl verify -CAfile '%s/ca.pem' '%s/cert.pem' >/dev/null", f->sub, f->sub),
			 0);
	/* The key matches the certificate, compared by openssl. */
	assert_int_equal(run("test \"$(openssl pkey -in '%s/key.pem' -pubout)\" = "
			     "\"$(openssl x509 -in '%s/cert.pem' -noout -pubkey)\"",
			     f->sub, f->sub),
			 0);
	assert_int_equal(run("test \"$(openssl pkey -in '%s/ca.key' -pubout)\" = "
			     "\"$(openssl x509 -in '%s/ca.pem' -noout -pubkey)\"",
			     f->sub, f->sub),
			 0);
}

static char *x509_text(const struct fx *f, const char *name)
{
	char *t = run_out("openssl x509 -in '%s/%s' -noout -text", f->sub, name);
	assert_non_null(t);
	return t;
}

static void test_first_use(void **state)
{
	struct fx *f = *state;
	char *txt;

	ensure_ok(f, NULL);
	assert_int_equal(mode_of(f->sub), 0700);
	assert_int_equal(mode_of(file_of(f, "ca.key")), 0600);
	assert_int_equal(mode_of(file_of(f, "key.pem")), 0600);
	assert_int_equal(mode_of(file_of(f, "ca.pem")) & 077, 044);
	check_chain(f);

	txt = x509_text(f, "cert.pem");
	assert_non_null(strstr(txt, "DNS:localhost"));
	assert_non_null(strstr(txt, "IP Address:127.0.0.1"));
	assert_non_null(strstr(txt, "IP Address:0:0:0:0:0:0:0:1"));
	assert_non_null(strstr(txt, "TLS Web Server Authentication"));
	assert_non_null(strstr(txt, "CA:FALSE"));
	assert_non_null(strstr(txt, "ASN1 OID: prime256v1"));
	assert_non_null(strstr(txt, "ecdsa-with-SHA256"));
	/* Two years, give or take the hour of slack at the start. */
	assert_int_equal(
		run("openssl x509 -in '%s/cert.pem' -noout -checkend %d >/dev/null", f->sub, 729 * 86400), 0);
	assert_int_not_equal(
		run("openssl x509 -in '%s/cert.pem' -noout -checkend %d >/dev/null", f->sub, 731 * 86400), 0);
	free(txt);

	txt = x509_text(f, "ca.pem");
	assert_non_null(strstr(txt, "CA:TRUE"));
	assert_non_null(strstr(txt, "Subject: CN = mailkey gateway CA "));
	assert_non_null(strstr(txt, "Certificate Sign"));
	assert_int_equal(
		run("openssl x509 -in '%s/ca.pem' -noout -checkend %d >/dev/null", f->sub, 3649 * 86400), 0);
	free(txt);
	/* No temp files or other leftovers besides the lock. */
	assert_int_equal(
		run("test \"$(ls -A '%s' | tr '\\n' ' ')\" = 'ca.key ca.pem cert.pem key.pem tls.lock '",
		    f->sub),
		0);
}

static void test_idempotent(void **state)
{
	struct fx *f = *state;
	char *a[4], *b[4];
	const char *names[] = { "ca.key", "ca.pem", "key.pem", "cert.pem" };

	ensure_ok(f, NULL);
	for (int i = 0; i < 4; i++)
		assert_non_null(a[i] = slurp(file_of(f, names[i]), NULL));
	ensure_ok(f, NULL);
	for (int i = 0; i < 4; i++) {
		assert_non_null(b[i] = slurp(file_of(f, names[i]), NULL));
		assert_string_equal(a[i], b[i]);
		free(a[i]);
		free(b[i]);
	}
}

static void test_reissue_on_new_name(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "Mail.LAN", "192.168.1.5", "fd00::5", NULL };
	char *ca0, *key0, *crt0, *ca1, *key1, *crt1, *txt;

	ensure_ok(f, NULL);
	ca0 = slurp(file_of(f, "ca.pem"), NULL);
	key0 = slurp(file_of(f, "key.pem"), NULL);
	crt0 = slurp(file_of(f, "cert.pem"), NULL);
	ensure_ok(f, names);
	ca1 = slurp(file_of(f, "ca.pem"), NULL);
	key1 = slurp(file_of(f, "key.pem"), NULL);
	crt1 = slurp(file_of(f, "cert.pem"), NULL);
	/* The old CA's name constraints do not cover the new names: a new CA
	 * (clients import it again), the server key stays. */
	assert_string_not_equal(ca0, ca1);
	assert_string_equal(key0, key1);
	assert_string_not_equal(crt0, crt1); /* new certificate */
	check_chain(f);
	txt = x509_text(f, "cert.pem");
	assert_non_null(strstr(txt, "DNS:mail.lan"));
	assert_non_null(strstr(txt, "IP Address:192.168.1.5"));
	assert_non_null(strstr(txt, "IP Address:FD00:0:0:0:0:0:0:5"));
	assert_non_null(strstr(txt, "DNS:localhost"));
	free(txt);
	/* The same names again (other case): nothing re-issued. */
	{
		const char *again[] = { "mail.lan", "192.168.1.5", NULL };
		char *crt2;
		ensure_ok(f, again);
		crt2 = slurp(file_of(f, "cert.pem"), NULL);
		assert_string_equal(crt1, crt2);
		free(crt2);
		/* Fewer names: the CA still covers them, nothing re-issued. */
		ensure_ok(f, NULL);
		crt2 = slurp(file_of(f, "ca.pem"), NULL);
		assert_string_equal(ca1, crt2);
		free(crt2);
	}
	free(ca0);
	free(key0);
	free(crt0);
	free(ca1);
	free(key1);
	free(crt1);
}

/* Sign a certificate for san (openssl's form, "DNS:x" or "IP:x") with the
 * gateway CA's key, as anyone who reads ca.key could. */
static void sign_foreign(const struct fx *f, const char *san)
{
	assert_int_equal(
		run("cd '%s/..' && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		    "-keyout evil.key -subj /CN=evil -out evil.csr 2>/dev/null && "
		    "printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "
		    ">evil.ext && openssl x509 -req -in evil.csr -CA '%s/ca.pem' -CAkey '%s/ca.key' "
		    "-set_serial 7 -days 30 -extfile evil.ext -out evil.pem 2>/dev/null",
		    f->sub, san, f->sub, f->sub),
		0);
}

/* A TLS handshake in Python (OpenSSL underneath) to a server presenting
 * cert/key, verifying against the gateway CA for host; 0 = verified. */
static int python_verifies(const struct fx *f, const char *cert, const char *key, const char *host)
{
	return run("python3 - '%s/ca.pem' '%s' '%s' '%s' <<'EOF'\n"
		   "import socket, ssl, sys, threading\n"
		   "ca, cert, key, host = sys.argv[1:]\n"
		   "a, b = socket.socketpair()\n"
		   "sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); sc.load_cert_chain(cert, key)\n"
		   "def serve():\n"
		   "    try: sc.wrap_socket(a, server_side=True).recv(1)\n"
		   "    except Exception: pass\n"
		   "threading.Thread(target=serve, daemon=True).start()\n"
		   "cc = ssl.create_default_context(cafile=ca)\n"
		   "try:\n"
		   "    cc.wrap_socket(b, server_hostname=host).close()\n"
		   "except ssl.SSLCertVerificationError as e:\n"
		   "    print(e.verify_message, file=sys.stderr); sys.exit(3)\n"
		   "EOF",
		   f->sub, cert, key, host);
}

/* The CA signs for the gateway's names only: a certificate for another
 * site made with ca.key fails in OpenSSL (openssl verify, Python's ssl),
 * though the constraint is not marked critical (Mbed TLS 2.28 would refuse
 * the CA if it were: tls.c). */
static void test_name_constraints(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "mail.lan", "192.168.1.5", "fd00::5", NULL };
	char *txt, evil_crt[4096], evil_key[4096], crt[4096], key[4096];

	ensure_ok(f, names);
	snprintf(crt, sizeof(crt), "%s", file_of(f, "cert.pem")); /* file_of's buffer is static */
	snprintf(key, sizeof(key), "%s", file_of(f, "key.pem"));
	txt = x509_text(f, "ca.pem");
	assert_non_null(strstr(txt, "X509v3 Name Constraints: \n"));
	assert_null(strstr(txt, "X509v3 Name Constraints: critical"));
	assert_non_null(strstr(txt, "DNS:localhost"));
	assert_non_null(strstr(txt, "DNS:127.0.0.1"));
	assert_non_null(strstr(txt, "DNS:mail.lan"));
	assert_non_null(strstr(txt, "IP:127.0.0.0/255.0.0.0"));
	assert_non_null(strstr(txt, "IP:192.168.1.5/255.255.255.255"));
	free(txt);
	txt = x509_text(f, "cert.pem");
	assert_non_null(strstr(txt, "DNS:127.0.0.1")); /* for fetchmail and mbsync */
	free(txt);
	/* The gateway's own names verify. */
	assert_int_equal(
		run("openssl verify -CAfile '%s/ca.pem' -verify_hostname localhost '%s/cert.pem' >/dev/null",
		    f->sub, f->sub),
		0);
	assert_int_equal(
		run("openssl verify -CAfile '%s/ca.pem' -verify_hostname 127.0.0.1 '%s/cert.pem' >/dev/null",
		    f->sub, f->sub),
		0);
	assert_int_equal(run("openssl verify -CAfile '%s/ca.pem' -verify_ip ::1 '%s/cert.pem' >/dev/null",
			     f->sub, f->sub),
			 0);
	assert_int_equal(
		run("openssl verify -CAfile '%s/ca.pem' -verify_ip 192.168.1.5 '%s/cert.pem' >/dev/null",
		    f->sub, f->sub),
		0);
	assert_int_equal(
		run("openssl verify -CAfile '%s/ca.pem' -verify_hostname mail.lan '%s/cert.pem' >/dev/null",
		    f->sub, f->sub),
		0);
	assert_int_equal(python_verifies(f, crt, key, "127.0.0.1"), 0);
	assert_int_equal(python_verifies(f, crt, key, "localhost"), 0);

	/* Foreign names signed by the CA's key do not. */
	snprintf(evil_crt, sizeof(evil_crt), "%s/../evil.pem", f->sub);
	snprintf(evil_key, sizeof(evil_key), "%s/../evil.key", f->sub);
	sign_foreign(f, "DNS:www.example.com");
	assert_int_equal(
		run("openssl verify -CAfile '%s/ca.pem' '%s' 2>&1 | grep -q 'permitted subtree violation'",
		    f->sub, evil_crt),
		0);
	assert_int_not_equal(run("openssl verify -CAfile '%s/ca.pem' '%s' >/dev/null 2>&1", f->sub, evil_crt),
			     0);
	assert_int_equal(python_verifies(f, evil_crt, evil_key, "www.example.com"), 3);
	sign_foreign(f, "DNS:mail.lan.example.com");
	assert_int_not_equal(run("openssl verify -CAfile '%s/ca.pem' '%s' >/dev/null 2>&1", f->sub, evil_crt),
			     0);
	sign_foreign(f, "IP:192.168.1.6");
	assert_int_not_equal(run("openssl verify -CAfile '%s/ca.pem' '%s' >/dev/null 2>&1", f->sub, evil_crt),
			     0);
	assert_int_equal(python_verifies(f, evil_crt, evil_key, "192.168.1.6"), 3);
	/* The control: a name inside the constraints, signed the same way,
	 * verifies (the failures above are the constraints, not the signing). */
	sign_foreign(f, "DNS:imap.mail.lan");
	assert_int_equal(run("openssl verify -CAfile '%s/ca.pem' '%s' >/dev/null 2>&1", f->sub, evil_crt), 0);
}

/* A CA made before name constraints existed is replaced (with its key). */
static void test_unconstrained_ca_replaced(void **state)
{
	struct fx *f = *state;
	char *ca0, *cakey0, *ca1, *cakey1, *txt;

	ensure_ok(f, NULL);
	/* An old-style CA: same key, no nameConstraints. */
	assert_int_equal(
		run("cd '%s' && openssl req -x509 -new -key ca.key -subj '/CN=mailkey gateway CA old' "
		    "-days 3650 -addext basicConstraints=critical,CA:TRUE "
		    "-addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem 2>/dev/null",
		    f->sub),
		0);
	ca0 = slurp(file_of(f, "ca.pem"), NULL);
	cakey0 = slurp(file_of(f, "ca.key"), NULL);
	ensure_ok(f, NULL);
	ca1 = slurp(file_of(f, "ca.pem"), NULL);
	cakey1 = slurp(file_of(f, "ca.key"), NULL);
	assert_string_not_equal(ca0, ca1);
	assert_string_not_equal(cakey0, cakey1);
	check_chain(f);
	txt = x509_text(f, "ca.pem");
	assert_non_null(strstr(txt, "X509v3 Name Constraints"));
	free(txt);
	free(ca0);
	free(cakey0);
	free(ca1);
	free(cakey1);
}

static void test_reissue_near_expiry(void **state)
{
	struct fx *f = *state;
	char *key0, *key1;

	ensure_ok(f, NULL);
	key0 = slurp(file_of(f, "key.pem"), NULL);
	/* The same CA signs a 10-day certificate for the same key and names. */
	assert_int_equal(
		run("cd '%s' && openssl req -new -key key.pem -subj /CN=localhost "
		    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 -out r.csr 2>/dev/null && "
		    "openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 "
		    "-copy_extensions copyall -out cert.pem 2>/dev/null && rm -f r.csr ca.srl",
		    f->sub),
		0);
	assert_int_not_equal(
		run("openssl x509 -in '%s/cert.pem' -noout -checkend %d >/dev/null", f->sub, 30 * 86400), 0);
	ensure_ok(f, NULL);
	assert_int_equal(
		run("openssl x509 -in '%s/cert.pem' -noout -checkend %d >/dev/null", f->sub, 700 * 86400), 0);
	key1 = slurp(file_of(f, "key.pem"), NULL);
	assert_string_equal(key0, key1);
	check_chain(f);
	free(key0);
	free(key1);
}

static void test_repair(void **state)
{
	struct fx *f = *state;
	char *ca0, *ca1;

	ensure_ok(f, NULL);
	/* A lost server certificate: a new one from the same CA. */
	assert_int_equal(unlink(file_of(f, "cert.pem")), 0);
	ensure_ok(f, NULL);
	check_chain(f);
	/* A damaged server key: a new key and certificate. */
	assert_int_equal(run("echo garbage > '%s/key.pem'", f->sub), 0);
	ensure_ok(f, NULL);
	check_chain(f);
	assert_int_equal(mode_of(file_of(f, "key.pem")), 0600);
	/* The CA certificate gone: re-made from the CA key; the server
	 * certificate re-issued and still verifying. */
	ca0 = slurp(file_of(f, "ca.key"), NULL);
	assert_int_equal(unlink(file_of(f, "ca.pem")), 0);
	ensure_ok(f, NULL);
	check_chain(f);
	ca1 = slurp(file_of(f, "ca.key"), NULL);
	assert_string_equal(ca0, ca1);
	free(ca0);
	free(ca1);
	/* The CA key gone: a whole new CA, and a certificate it signs. */
	assert_int_equal(unlink(file_of(f, "ca.key")), 0);
	ensure_ok(f, NULL);
	check_chain(f);
	/* A loose directory and loose keys are tightened. */
	assert_int_equal(chmod(f->sub, 0755), 0);
	assert_int_equal(chmod(file_of(f, "key.pem"), 0644), 0);
	assert_int_equal(chmod(file_of(f, "ca.key"), 0640), 0);
	ensure_ok(f, NULL);
	assert_int_equal(mode_of(f->sub), 0700);
	assert_int_equal(mode_of(file_of(f, "key.pem")), 0600);
	assert_int_equal(mode_of(file_of(f, "ca.key")), 0600);
}

static void test_bad_name(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "mail.lan", "not a name!", NULL };
	struct gw_tls *t = NULL;
	struct mk_error err;

	mk_error_init(&err);
	assert_int_equal(gw_tls_ensure(f->sub, names, &t, &err), -1);
	assert_null(t);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "\"not a name!\""));
	assert_non_null(strstr(err.msg, "[gateway] names"));
}

struct race {
	const char *dir;
	int rc;
	char msg[1024];
};

static void *race_one(void *arg)
{
	struct race *r = arg;
	struct gw_tls *t = NULL;
	struct mk_error err;

	mk_error_init(&err);
	r->rc = gw_tls_ensure(r->dir, NULL, &t, &err);
	snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
	gw_tls_free(&t);
	return NULL;
}

/* Threads (and, in tests/integration/gwtls.cmake, processes) making the
 * material at the same moment end with one consistent set. */
static void test_concurrent_first_use(void **state)
{
	struct fx *f = *state;
	pthread_t th[4];
	struct race r[4];

	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){ .dir = f->sub };
		assert_int_equal(pthread_create(&th[i], NULL, race_one, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc != 0)
			fail_msg("thread %d: %s", i, r[i].msg);
	}
	check_chain(f);
}

static void test_load(void **state)
{
	struct fx *f = *state;
	struct gw_tls *t = NULL;
	struct mk_error err;
	char cert[2048], key[2048], other[2048];

	ensure_ok(f, NULL);
	snprintf(cert, sizeof(cert), "%s/cert.pem", f->sub);
	snprintf(key, sizeof(key), "%s/key.pem", f->sub);

	mk_error_init(&err);
	assert_int_equal(gw_tls_load(cert, key, &t, &err), 0);
	assert_null(gw_tls_ca_file(t)); /* the admin's: no CA of ours to export */
	gw_tls_free(&t);

	/* Missing certificate. */
	snprintf(other, sizeof(other), "%s/nope.pem", f->dir);
	mk_error_init(&err);
	assert_int_equal(gw_tls_load(other, key, &t, &err), -1);
	assert_null(t);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, other));
	assert_non_null(strstr(err.msg, "[gateway] cert"));

	/* Missing key. */
	mk_error_init(&err);
	assert_int_equal(gw_tls_load(cert, other, &t, &err), -1);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, other));
	assert_non_null(strstr(err.msg, "key"));

	/* Not a certificate. */
	assert_int_equal(run("echo 'hello' > '%s/junk.pem'", f->dir), 0);
	snprintf(other, sizeof(other), "%s/junk.pem", f->dir);
	mk_error_init(&err);
	assert_int_equal(gw_tls_load(other, key, &t, &err), -1);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "is not a PEM certificate"));
	assert_non_null(strstr(err.msg, other));

	/* A key that is not the certificate's (the CA's). */
	snprintf(other, sizeof(other), "%s/ca.key", f->sub);
	mk_error_init(&err);
	assert_int_equal(gw_tls_load(cert, other, &t, &err), -1);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "does not belong"));
	assert_non_null(strstr(err.msg, other));

	/* An encrypted key. */
	assert_int_equal(
		run("openssl pkey -in '%s' -aes256 -passout pass:secret -out '%s/enc.pem'", key, f->dir), 0);
	snprintf(other, sizeof(other), "%s/enc.pem", f->dir);
	mk_error_init(&err);
	assert_int_equal(gw_tls_load(cert, other, &t, &err), -1);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "encrypted"));
	assert_null(strstr(err.msg, "secret"));

	/* An RSA certificate and key made by openssl load too. */
	assert_int_equal(
		run("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem "
		    "-days 2 -subj /CN=localhost 2>/dev/null",
		    f->dir),
		0);
	snprintf(cert, sizeof(cert), "%s/rsa.pem", f->dir);
	snprintf(key, sizeof(key), "%s/rsa.key", f->dir);
	mk_error_init(&err);
	if (gw_tls_load(cert, key, &t, &err) != 0)
		fail_msg("rsa: %s", err.msg);
	gw_tls_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reissue_on_new_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconstrained_ca_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reissue_near_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
