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
#include "common/log.h"
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
static const int suites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			      MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			      MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			      MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			      MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			      MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
			      0 };

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
		return mk_error_set(
			err, MK_ERR_CONFIG,
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
			     cert_file,
			     r < 0 ? mbed_why(r, why, sizeof(why)) : "some certificates are invalid");
		goto out;
	}
	r = mbedtls_pk_parse_key(&t->key, (const unsigned char *)mk_buf_str(&kb), kb.len + 1, NULL, 0);
	if (r != 0) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "the gateway's key file %s is not a usable private key (%s); give [gateway] key "
			     "an unencrypted PEM key (openssl pkey -in KEY -out key.pem)",
			     key_file,
			     r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ? "it is encrypted"
								   : mbed_why(r, why, sizeof(why)));
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
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
	r = mbedtls_ssl_conf_own_cert(&t->conf, &t->chain, &t->key);
	if (r != 0) {
		mk_error_set(err, MK_ERR_CONFIG, "the gateway cannot use the certificate in %s (%s)",
			     cert_file, mbed_why(r, why, sizeof(why)));
		goto out;
	}
	/* One signature now, before any connection thread: an EC key's group
	 * may build its fixed-point table on first use and keep it, and that
	 * must not happen in two threads at once. Afterwards it is read-only. */
	{
		unsigned char hash[32] = { 0 }, sig[MBEDTLS_MPI_MAX_SIZE];
		size_t sig_len = 0;
		r = mbedtls_pk_sign(&t->key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &sig_len,
				    mbedtls_ctr_drbg_random, &t->drbg);
		if (r != 0) {
			mk_error_set(err, MK_ERR_CONFIG, "the gateway's key in %s cannot sign (%s)", key_file,
				     mbed_why(r, why, sizeof(why)));
			goto out;
		}
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

/* ---- The generated material ------------------------------------------ */

#define DAY_S (24 * 60 * 60)
#define CA_DAYS (10 * 365 + 2)
/* Two years: under the 825 days Apple's clients accept for any TLS server
 * certificate, even one from a CA the user added. */
#define CERT_DAYS 730
#define RENEW_DAYS 30
#define MAX_NAMES 64

/* One subjectAltName: a dNSName (tag [2]) or an iPAddress ([7]). */
struct san {
	unsigned char tag;
	unsigned char data[256];
	size_t len;
};

struct names {
	struct san v[MAX_NAMES];
	size_t n;
};

static bool valid_dns(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '.' || (ch == '*' && i == 0 && n > 2 && s[1] == '.')))
			return false;
	}
	return true;
}

static int san_push(struct names *ns, const struct san *s, struct mk_error *err)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].tag == s->tag && ns->v[i].len == s->len &&
		    memcmp(ns->v[i].data, s->data, s->len) == 0)
			return 0;
	if (ns->n == MAX_NAMES)
		return mk_error_set(err, MK_ERR_CONFIG, "[gateway] names: more than %d names", MAX_NAMES - 4);
	ns->v[ns->n++] = *s;
	return 0;
}

static int add_name(struct names *ns, const char *name, struct mk_error *err)
{
	struct san s = { 0 };

	if (inet_pton(AF_INET, name, s.data) == 1) {
		s.tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
		s.len = 4;
	} else if (inet_pton(AF_INET6, name, s.data) == 1) {
		s.tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
		s.len = 16;
	} else if (valid_dns(name)) {
		s.tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
		s.len = strlen(name);
		for (size_t i = 0; i < s.len; i++)
			s.data[i] =
				(unsigned char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	} else {
		return mk_error_set(err, MK_ERR_CONFIG,
				    "[gateway] names: \"%s\" is neither a host name nor an IP address; list "
				    "names like mail.lan or 192.168.1.5, separated by spaces",
				    name);
	}
	return san_push(ns, &s, err);
}

/* A dNSName as written, though it reads as an IP address: fetchmail 6.4
 * and mbsync compare the host they were given with the certificate's DNS
 * names only (never its iPAddress entries), and say "hostname mismatch"
 * at 127.0.0.1 without it. curl, OpenSSL, Python and Mbed TLS use the
 * iPAddress entry. */
static int add_dns_literal(struct names *ns, const char *name, struct mk_error *err)
{
	struct san s = { .tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2, .len = strlen(name) };

	memcpy(s.data, name, s.len);
	return san_push(ns, &s, err);
}

/* The CA's permitted subtrees (RFC 5280 §4.2.1.10) for the server names
 * ns: a DNS name covers itself and its subdomains (a wildcard's base
 * stands for it), 127.0.0.0/8 all of IPv4 loopback, any other address
 * itself alone (/32, /128). */
static int constraints_of(const struct names *ns, struct names *nc, struct mk_error *err)
{
	for (size_t i = 0; i < ns->n; i++) {
		struct san c = ns->v[i];
		if (c.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)) {
			if (c.len > 2 && c.data[0] == '*') {
				memmove(c.data, c.data + 2, c.len - 2);
				c.len -= 2;
			}
		} else {
			if (c.len == 4 && c.data[0] == 127)
				memset(c.data + 1, 0, 3);
			memset(c.data + c.len, 0xff, c.len);
			if (c.len == 4 && c.data[0] == 127)
				memset(c.data + 5, 0, 3);
			c.len *= 2;
		}
		if (san_push(nc, &c, err) != 0)
			return -1;
	}
	return 0;
}

/* The value (inside the OCTET STRING) of crt's extension oid: *p and
 * *len; false when absent or malformed. Mbed TLS 2.28 keeps only some
 * extensions parsed, so v3_ext is walked here (RFC 5280 §4.1). */
static bool crt_ext(const mbedtls_x509_crt *crt, const char *oid_want, size_t oid_want_len,
		    unsigned char **vp, size_t *vlen)
{
	unsigned char *p = crt->v3_ext.p;
	const unsigned char *end = p + crt->v3_ext.len;
	size_t len;

	if (p == NULL ||
	    mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return false;
	end = p + len;
	while (p < end) {
		unsigned char *ext_end;
		mbedtls_x509_buf oid;
		int critical;

		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
		    0)
			return false;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len, MBEDTLS_ASN1_OID) != 0)
			return false;
		oid.p = p;
		p += oid.len;
		(void)mbedtls_asn1_get_bool(&p, ext_end, &critical);
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
			return false;
		if (oid.len == oid_want_len && memcmp(oid.p, oid_want, oid_want_len) == 0) {
			*vp = p;
			*vlen = len;
			return true;
		}
		p = ext_end;
	}
	return false;
}

/* Whether the GeneralNames at p[0..len) (RFC 5280 §4.2.1.6) hold s, DNS
 * names compared without case. Anything malformed is no match. */
static bool names_have(unsigned char *p, size_t len, const struct san *s)
{
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned char tag = *p++;
		size_t l;
		if (mbedtls_asn1_get_len(&p, end, &l) != 0)
			return false;
		if (tag == s->tag && l == s->len) {
			bool same = true;
			for (size_t i = 0; i < l && same; i++) {
				unsigned char a = p[i];
				if (a >= 'A' && a <= 'Z' && tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
					a = (unsigned char)(a + 32);
				same = a == s->data[i];
			}
			if (same)
				return true;
		}
		p += l;
	}
	return false;
}

/* Whether crt's subjectAltName extension lists s. Anything malformed is no
 * match: the certificate is then re-issued. */
static bool crt_has_san(const mbedtls_x509_crt *crt, const struct san *s)
{
	unsigned char *p;
	size_t len;

	if (!crt_ext(crt, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), &p,
		     &len) ||
	    mbedtls_asn1_get_tag(&p, p + len, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return false;
	return names_have(p, len, s);
}

/* Whether the CA's nameConstraints permit the subtree base s, listed as
 * such (we only ever compare with constraints we wrote). A CA without
 * the extension (made before it existed) permits nothing here: it is
 * replaced. */
static bool ca_permits(const mbedtls_x509_crt *ca, const struct san *s)
{
	unsigned char *p, *end;
	size_t len;

	if (!crt_ext(ca, MBEDTLS_OID_NAME_CONSTRAINTS, MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS), &p,
		     &len))
		return false;
	end = p + len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
	    mbedtls_asn1_get_tag(&p, p + len, &len,
				 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) != 0)
		return false;
	end = p + len;
	while (p < end) {
		unsigned char *sub_end;
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
		    0)
			return false;
		sub_end = p + len;
		/* A GeneralSubtree: its base, then minimum [0] and maximum [1]
		 * (never from us), tagged apart from dNSName [2] and iPAddress [7]. */
		if (names_have(p, (size_t)(sub_end - p), s))
			return true;
		p = sub_end;
	}
	return false;
}

static time_t x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = { 0 };

	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return timegm(&tm);
}

/* Valid now and for at least RENEW_DAYS more. */
static bool crt_fresh(const mbedtls_x509_crt *crt)
{
	time_t now = time(NULL);

	return x509_time(&crt->valid_from) <= now + 3600 &&
	       x509_time(&crt->valid_to) > now + RENEW_DAYS * DAY_S;
}

/* 0 loaded, -1 missing or unusable (the caller makes a new one). */
static int load_key(const char *path, mbedtls_pk_context *pk)
{
	struct mk_buf b;
	struct mk_error e;
	int r = -1;

	mk_buf_init_secret(&b, 64 * 1024);
	mk_error_init(&e);
	if (mk_fs_read_file(path, &b, &e) == 0 &&
	    mbedtls_pk_parse_key(pk, (const unsigned char *)mk_buf_str(&b), b.len + 1, NULL, 0) == 0 &&
	    mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
		r = 0;
	mk_buf_free(&b);
	if (r != 0) {
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
	}
	return r;
}

static int load_crt(const char *path, mbedtls_x509_crt *crt)
{
	struct mk_buf b;
	struct mk_error e;
	int r = -1;

	mk_buf_init(&b, 1 << 20);
	mk_error_init(&e);
	if (mk_fs_read_file(path, &b, &e) == 0 &&
	    mbedtls_x509_crt_parse(crt, (const unsigned char *)mk_buf_str(&b), b.len + 1) == 0)
		r = 0;
	mk_buf_free(&b);
	if (r != 0) {
		mbedtls_x509_crt_free(crt);
		mbedtls_x509_crt_init(crt);
	}
	return r;
}

static int gen_key(struct gw_tls *t, mbedtls_pk_context *pk, struct mk_error *err)
{
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random,
				&t->drbg) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "cannot generate a P-256 key");
	return 0;
}

static int write_key(const char *path, mbedtls_pk_context *pk, struct mk_error *err)
{
	unsigned char pem[2048];
	int r;

	if (mbedtls_pk_write_key_pem(pk, pem, sizeof(pem)) != 0) {
		mk_secret_wipe(pem, sizeof(pem));
		return mk_error_set(err, MK_ERR_INTERNAL, "cannot encode a key");
	}
	r = mk_fs_write_atomic(path, pem, strlen((char *)pem), 0600, err);
	mk_secret_wipe(pem, sizeof(pem));
	return r;
}

static void fmt_time(time_t when, char out[16])
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* An extension value SEQUENCE { ... } built backwards into buf; *der_r and
 * *len_r say where it is. */
static int san_der(const struct names *ns, unsigned char *buf, size_t size, unsigned char **der_r,
		   size_t *len_r)
{
	unsigned char *p = buf + size;
	size_t len = 0;
	int r;

	for (size_t i = ns->n; i-- > 0;) {
		size_t l = 0;
		if ((r = mbedtls_asn1_write_raw_buffer(&p, buf, ns->v[i].data, ns->v[i].len)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_len(&p, buf, l)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_tag(&p, buf, ns->v[i].tag)) < 0)
			return r;
		len += l + (size_t)r;
	}
	if ((r = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return r;
	len += (size_t)r;
	*der_r = p;
	*len_r = len;
	return 0;
}

static int eku_der(unsigned char *buf, size_t size, unsigned char **der_r, size_t *len_r)
{
	unsigned char *p = buf + size;
	size_t len = 0;
	int r;

	if ((r = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
					MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return r;
	len += (size_t)r;
	*der_r = p;
	*len_r = len;
	return 0;
}

/* NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees }
 * (RFC 5280 §4.2.1.10), each GeneralSubtree a SEQUENCE of its base alone. */
static int nc_der(const struct names *nc, unsigned char *buf, size_t size, unsigned char **der_r,
		  size_t *len_r)
{
	unsigned char *p = buf + size;
	size_t len = 0;
	int r;

	for (size_t i = nc->n; i-- > 0;) {
		size_t l = 0;
		if ((r = mbedtls_asn1_write_raw_buffer(&p, buf, nc->v[i].data, nc->v[i].len)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_len(&p, buf, l)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_tag(&p, buf, nc->v[i].tag)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_len(&p, buf, l)) < 0)
			return r;
		l += (size_t)r;
		if ((r = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) <
		    0)
			return r;
		len += l + (size_t)r;
	}
	if ((r = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_tag(&p, buf,
					MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return r;
	len += (size_t)r;
	if ((r = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return r;
	len += (size_t)r;
	*der_r = p;
	*len_r = len;
	return 0;
}

#define SERVER_SUBJECT "CN=localhost,O=mailkey gateway"

/* Issue a certificate for subject_key signed by issuer_key (whose name is
 * issuer_dn) and write it to path (PEM, atomically). ns NULL = the CA
 * itself (subject = issuer_dn), limited to the subtrees nc. */
static int issue(struct gw_tls *t, const char *path, mbedtls_pk_context *subject_key,
		 mbedtls_pk_context *issuer_key, const char *issuer_dn, const struct names *ns,
		 const struct names *nc, struct mk_error *err)
{
	mbedtls_x509write_cert w;
	mbedtls_mpi serial;
	unsigned char rnd[16], ext[4096], *der;
	unsigned char *pem = NULL;
	size_t der_len, pem_size = 16384;
	char from[16], to[16];
	time_t now = time(NULL);
	int rc = -1;

	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&serial);
	if ((pem = malloc(pem_size)) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* A random positive 127-bit serial (RFC 5280 §4.1.2.2: at most 20 octets). */
	if (mbedtls_ctr_drbg_random(&t->drbg, rnd, sizeof(rnd)) != 0)
		goto fail;
	rnd[0] &= 0x7f;
	rnd[0] |= 0x01;
	/* An hour back: a client whose clock is slightly behind still accepts it. */
	fmt_time(now - 3600, from);
	fmt_time(now + (time_t)(ns == NULL ? CA_DAYS : CERT_DAYS) * DAY_S, to);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
	if (mbedtls_mpi_read_binary(&serial, rnd, sizeof(rnd)) != 0 ||
	    mbedtls_x509write_crt_set_serial(&w, &serial) != 0 ||
	    mbedtls_x509write_crt_set_validity(&w, from, to) != 0 ||
	    mbedtls_x509write_crt_set_subject_name(&w, ns == NULL ? issuer_dn : SERVER_SUBJECT) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&w, issuer_dn) != 0 ||
	    mbedtls_x509write_crt_set_subject_key_identifier(&w) != 0)
		goto fail;
	if (ns == NULL) {
		if (mbedtls_x509write_crt_set_basic_constraints(&w, 1, 0) != 0 ||
		    mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_KEY_CERT_SIGN |
								    MBEDTLS_X509_KU_CRL_SIGN) != 0)
			goto fail;
		/* The CA signs for the gateway's names only, so its key (in the
		 * user's state directory) cannot make a certificate for another
		 * site that a client which imported the CA would accept.
		 * Non-critical, though RFC 5280 §4.2.1.10 asks for critical:
		 * Mbed TLS 2.28 (our own mail/conn.c, and this file reading the
		 * CA back) refuses a certificate with a critical extension it
		 * does not know, and it knows no name constraints (2.28.3: "X509
		 * - The extension tag or value is invalid"). OpenSSL 3.0, under
		 * curl, fetchmail, msmtp and mutt built with it, and Python's
		 * ssl, enforces them whatever the flag (tests/unit/gwtls/
		 * test_tls.c: a foreign name signed by the CA fails). */
		if (nc_der(nc, ext, sizeof(ext), &der, &der_len) != 0 ||
		    mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_NAME_CONSTRAINTS,
							MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS), 0,
							der, der_len) != 0)
			goto fail;
	} else {
		if (mbedtls_x509write_crt_set_authority_key_identifier(&w) != 0 ||
		    mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1) != 0 ||
		    mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
			goto fail;
		if (san_der(ns, ext, sizeof(ext), &der, &der_len) != 0 ||
		    mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
							MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
							der, der_len) != 0)
			goto fail;
		if (eku_der(ext, sizeof(ext), &der, &der_len) != 0 ||
		    mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
							MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
							der, der_len) != 0)
			goto fail;
	}
	if (mbedtls_x509write_crt_pem(&w, pem, pem_size, mbedtls_ctr_drbg_random, &t->drbg) != 0)
		goto fail;
	rc = mk_fs_write_atomic(path, pem, strlen((char *)pem), 0644, err);
	goto out;
fail:
	mk_error_set(err, MK_ERR_INTERNAL, "cannot build the gateway's %s certificate",
		     ns == NULL ? "CA" : "server");
out:
	mbedtls_x509write_crt_free(&w);
	mbedtls_mpi_free(&serial);
	free(pem);
	return rc;
}

/* Remove path (if there) durably: a server certificate must be gone before
 * the key or CA it belongs to is replaced, so no kill leaves a pair on disk
 * that does not match. */
static int drop(const char *dir, const char *path, struct mk_error *err)
{
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot remove %s", path);
	}
	return mk_fs_sync_dir(dir, err);
}

static void tighten_key(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		(void)chmod(path, 0600);
}

struct paths {
	char lock[4096], ca_key[4096], ca_crt[4096], key[4096], crt[4096];
};

static int make_paths(const char *dir, struct paths *p, struct mk_error *err)
{
	if ((size_t)snprintf(p->lock, sizeof(p->lock), "%s/tls.lock", dir) >= sizeof(p->lock))
		return mk_error_set(err, MK_ERR_CONFIG, "the gateway's directory path %s is too long", dir);
	snprintf(p->ca_key, sizeof(p->ca_key), "%s/ca.key", dir);
	snprintf(p->ca_crt, sizeof(p->ca_crt), "%s/ca.pem", dir);
	snprintf(p->key, sizeof(p->key), "%s/key.pem", dir);
	snprintf(p->crt, sizeof(p->crt), "%s/cert.pem", dir);
	return 0;
}

/* Under the lock: make whatever is missing, stale or inconsistent. The
 * order keeps the files consistent at every moment a kill may strike: the
 * server certificate is removed before its CA or key changes, and the CA
 * certificate before its key; then CA key, CA certificate, server key and
 * server certificate are written, each atomically. */
static int ensure_locked(struct gw_tls *t, const char *dir, const struct paths *p, const struct names *ns,
			 const struct names *nc, struct mk_error *err)
{
	mbedtls_pk_context ca_key, key;
	mbedtls_x509_crt ca, crt;
	bool ca_ok, crt_ok;
	uint32_t flags = 0;
	int rc = -1;

	mbedtls_pk_init(&ca_key);
	mbedtls_pk_init(&key);
	mbedtls_x509_crt_init(&ca);
	mbedtls_x509_crt_init(&crt);
	mk_fs_remove_temps(p->ca_key);
	mk_fs_remove_temps(p->ca_crt);
	mk_fs_remove_temps(p->key);
	mk_fs_remove_temps(p->crt);
	/* Keys someone loosened are tightened again (only the owner may read). */
	tighten_key(p->ca_key);
	tighten_key(p->key);

	ca_ok = load_key(p->ca_key, &ca_key) == 0 && load_crt(p->ca_crt, &ca) == 0 && ca.ca_istrue &&
		crt_fresh(&ca) && mbedtls_pk_check_pair(&ca.pk, &ca_key) == 0;
	for (size_t i = 0; ca_ok && i < nc->n; i++) {
		if (ca_permits(&ca, &nc->v[i]))
			continue;
		/* [gateway] names grew past the CA's constraints, or the CA
		 * predates them. Its key goes too (first, so that no kill
		 * leaves it for the new CA): clients that trust the old CA
		 * certificate must not trust what the old key signs next. */
		mk_log(MK_LOG_WARN,
		       "gateway: the CA in %s does not cover all the gateway's names ([gateway] names); "
		       "making a new CA: give it to clients again (mailkey gateway ca) and remove the old "
		       "one from them",
		       p->ca_crt);
		ca_ok = false;
		if (drop(dir, p->crt, err) != 0 || drop(dir, p->ca_key, err) != 0)
			goto out;
		mbedtls_pk_free(&ca_key);
		mbedtls_pk_init(&ca_key);
	}
	if (!ca_ok) {
		if (drop(dir, p->crt, err) != 0)
			goto out;
		/* A new CA key: its old certificate goes first, so ca.pem never
		 * names another key than ca.key. */
		if (mbedtls_pk_get_type(&ca_key) == MBEDTLS_PK_NONE) {
			if (drop(dir, p->ca_crt, err) != 0 || gen_key(t, &ca_key, err) != 0 ||
			    write_key(p->ca_key, &ca_key, err) != 0)
				goto out;
		}
		/* A name of its own, so that a person who trusts the CAs of two
		 * machines (or of two installations) can tell them apart. */
		{
			unsigned char id[4];
			char dn[96];
			if (mbedtls_ctr_drbg_random(&t->drbg, id, sizeof(id)) != 0) {
				mk_error_set(err, MK_ERR_INTERNAL, "the TLS random generator failed");
				goto out;
			}
			snprintf(dn, sizeof(dn), "CN=mailkey gateway CA %02x%02x%02x%02x,O=mailkey", id[0],
				 id[1], id[2], id[3]);
			if (issue(t, p->ca_crt, &ca_key, &ca_key, dn, NULL, nc, err) != 0)
				goto out;
		}
		mbedtls_x509_crt_free(&ca);
		mbedtls_x509_crt_init(&ca);
		if (load_crt(p->ca_crt, &ca) != 0) {
			mk_error_set(err, MK_ERR_IO, "cannot read back %s", p->ca_crt);
			goto out;
		}
	}

	crt_ok = load_key(p->key, &key) == 0 && load_crt(p->crt, &crt) == 0 && crt_fresh(&crt) &&
		 mbedtls_pk_check_pair(&crt.pk, &key) == 0 &&
		 mbedtls_x509_crt_verify(&crt, &ca, NULL, NULL, &flags, NULL, NULL) == 0;
	for (size_t i = 0; crt_ok && i < ns->n; i++)
		crt_ok = crt_has_san(&crt, &ns->v[i]);
	if (!crt_ok) {
		if (mbedtls_pk_get_type(&key) == MBEDTLS_PK_NONE) {
			if (drop(dir, p->crt, err) != 0 || gen_key(t, &key, err) != 0 ||
			    write_key(p->key, &key, err) != 0)
				goto out;
		}
		/* The issuer is the CA certificate's own subject, as written
		 * (an older CA may carry another name than new ones get). */
		char ca_dn[512];
		if (mbedtls_x509_dn_gets(ca_dn, sizeof(ca_dn), &ca.subject) < 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "cannot read the name of %s", p->ca_crt);
			goto out;
		}
		if (issue(t, p->crt, &key, &ca_key, ca_dn, ns, NULL, err) != 0)
			goto out;
	}
	rc = 0;
out:
	mbedtls_pk_free(&ca_key);
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int gw_tls_ensure(const char *dir, const char *const *extra_names, struct gw_tls **r, struct mk_error *err)
{
	struct gw_tls *t = NULL;
	struct paths *p = NULL;
	struct names *ns = NULL, *nc = NULL;
	int lock = -1, rc = -1;

	*r = NULL;
	p = calloc(1, sizeof(*p));
	ns = calloc(1, sizeof(*ns));
	nc = calloc(1, sizeof(*nc));
	if (p == NULL || ns == NULL || nc == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (make_paths(dir, p, err) != 0 || add_name(ns, "localhost", err) != 0 ||
	    add_name(ns, "127.0.0.1", err) != 0 || add_name(ns, "::1", err) != 0 ||
	    add_dns_literal(ns, "127.0.0.1", err) != 0)
		goto out;
	for (size_t i = 0; extra_names != NULL && extra_names[i] != NULL; i++)
		if (add_name(ns, extra_names[i], err) != 0)
			goto out;
	if (constraints_of(ns, nc, err) != 0)
		goto out;
	if ((t = tls_alloc(err)) == NULL)
		goto out;
	if (mk_fs_mkdir_p(dir, 0700, 1, err) != 0) {
		mk_error_prefix(err, "the gateway's TLS directory");
		goto out;
	}
	/* Two processes (a daemon and `mailkey gateway ca`) starting at once
	 * must not each make half of the set: one makes it, the other finds
	 * it. flock also excludes two threads (separate open files). */
	lock = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", p->lock);
		goto out;
	}
	while (flock(lock, LOCK_EX) != 0) {
		if (errno != EINTR) {
			mk_error_errno(err, MK_ERR_IO, errno, "cannot lock %s", p->lock);
			goto out;
		}
	}
	if (ensure_locked(t, dir, p, ns, nc, err) != 0 || load_into(t, p->crt, p->key, err) != 0)
		goto out;
	if ((t->ca_file = strdup(p->ca_crt)) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*r = t;
	t = NULL;
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	gw_tls_free(&t);
	free(p);
	free(ns);
	free(nc);
	return rc;
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
