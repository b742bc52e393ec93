/* The gateway's local TLS (tls.h): one server configuration shared by every
 * connection thread, and the certificates mailkey makes for itself.
 *
 * Sharing is safe: the configuration, certificate and key are read-only once
 * built, and Debian's Mbed TLS is built with MBEDTLS_THREADING_PTHREAD, so
 * mbedtls_ctr_drbg_random locks the generator's own mutex on every call. */
#include "gateway/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/secret.h"

#if !defined(MBEDTLS_THREADING_C)
#error "the gateway shares one TLS random generator between threads: Mbed TLS needs MBEDTLS_THREADING_C"
#endif

struct gw_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char *ca_file; /* generated material only */
};

/* ECDHE only (forward secrecy), AEAD only; ECDSA for the generated P-256
 * certificate, RSA for an admin's RSA one. TLS 1.2 suites: Mbed TLS 2.28
 * has no TLS 1.3 server. */
static const int suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,   MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,	   MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/* P-256 first: Mbed TLS's fastest key exchange (see mail/conn.c). */
static const mbedtls_ecp_group_id curves[] = { MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519,
					       MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE };

static struct gw_tls *tls_alloc(struct mk_error *err)
{
	struct gw_tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->chain);
	mbedtls_pk_init(&t->key);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				  (const unsigned char *)"mailkey gateway", 15) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "cannot seed the TLS random generator");
		gw_tls_free(&t);
	}
	return t;
}

static const char *mbed_why(int r, char *buf, size_t size)
{
	mbedtls_strerror(r, buf, size);
	return buf;
}

/* Read a PEM file whole (NUL-terminated, as Mbed TLS's PEM parser wants).
 * MK_ERR_CONFIG naming the file and what to do. */
static int read_pem(const char *path, const char *what, struct mk_buf *out, struct mk_error *err)
{
	struct mk_error e;

	mk_error_init(&e);
	if (mk_fs_read_file(path, out, &e) != 0)
		return mk_error_set(err, MK_ERR_CONFIG,
				    "cannot read the gateway's %s file %s (%s); set [gateway] cert and key to "
				    "readable PEM files, or remove both to use the certificate mailkey generates",
				    what, path, e.msg);
	return 0;
}

static int load_into(struct gw_tls *t, const char *cert_file, const char *key_file, struct mk_error *err)
{
	struct mk_buf cb, kb;
	char why[160];
	int r, rc = -1;

	mk_buf_init(&cb, 1 << 20);
	mk_buf_init_secret(&kb, 1 << 20);
	if (read_pem(cert_file, "certificate", &cb, err) != 0 || read_pem(key_file, "key", &kb, err) != 0)
		goto out;
	r = mbedtls_x509_crt_parse(&t->chain, (const unsigned char *)mk_buf_str(&cb), cb.len + 1);
	if (r != 0) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "the gateway's certificate file %s is not a PEM certificate chain (%s); "
			     "give [gateway] cert a file with -----BEGIN CERTIFICATE----- blocks",
			     cert_file, r < 0 ? mbed_why(r, why, sizeof(why)) : "some certificates are invalid");
		goto out;
	}
	r = mbedtls_pk_parse_key(&t->key, (const unsigned char *)mk_buf_str(&kb), kb.len + 1, NULL, 0);
	if (r != 0) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "the gateway's key file %s is not a usable private key (%s); give [gateway] key "
			     "an unencrypted PEM key (openssl pkey -in KEY -out key.pem)",
			     key_file,
			     r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ? "it is encrypted" : mbed_why(r, why, sizeof(why)));
		goto out;
	}
	if (mbedtls_pk_check_pair(&t->chain.pk, &t->key) != 0) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "the gateway's key file %s does not belong to the certificate in %s (the first "
			     "certificate of the file must be the server's own); give [gateway] key the "
			     "matching key",
			     key_file, cert_file);
		goto out;
	}
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "TLS configuration failed");
		goto out;
	}
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&t->conf, suites);
	mbedtls_ssl_conf_curves(&t->conf, curves);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	/* Clients never renegotiate with us (the default, said for the
	 * reader) and present no certificate. */
	mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
	r = mbedtls_ssl_conf_own_cert(&t->conf, &t->chain, &t->key);
	if (r != 0) {
		mk_error_set(err, MK_ERR_CONFIG, "the gateway cannot use the certificate in %s (%s)", cert_file,
			     mbed_why(r, why, sizeof(why)));
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&cb);
	mk_buf_free(&kb);
	return rc;
}

int gw_tls_load(const char *cert_file, const char *key_file, struct gw_tls **r, struct mk_error *err)
{
	struct gw_tls *t;

	*r = NULL;
	if ((t = tls_alloc(err)) == NULL)
		return -1;
	if (load_into(t, cert_file, key_file, err) != 0) {
		gw_tls_free(&t);
		return -1;
	}
	*r = t;
	return 0;
}

int gw_tls_ensure(const char *dir, const char *const *extra_names, struct gw_tls **r, struct mk_error *err)
{
	(void)dir;
	(void)extra_names;
	*r = NULL;
	return mk_error_set(err, MK_ERR_INTERNAL, "not yet");
}

const char *gw_tls_ca_file(const struct gw_tls *t)
{
	return t->ca_file;
}

const struct mbedtls_ssl_config *gw_tls_ssl_config(const struct gw_tls *t)
{
	return &t->conf;
}

void gw_tls_free(struct gw_tls **tp)
{
	struct gw_tls *t = *tp;

	if (t == NULL)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->chain);
	mbedtls_pk_free(&t->key);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	free(t->ca_file);
	free(t);
	*tp = NULL;
}
