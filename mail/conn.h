/* The engine's only network I/O: a TCP connection with timeouts, optionally
 * wrapped in TLS (implicit, or upgraded by STARTTLS), read line by line.
 *
 * TLS is Mbed TLS with MBEDTLS_SSL_VERIFY_REQUIRED, the host name checked
 * (an IPv4 or IPv6 literal against the certificate's iPAddress SANs, exactly,
 * never the CN), TLS 1.2 minimum, CAs from params.cafile or the system
 * bundle. There is no "insecure" switch. */
#ifndef MK_MAIL_CONN_H
#define MK_MAIL_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

struct mk_conn;

struct mk_conn_params {
	const char *host; /* name or address to connect to and verify */
	unsigned port;
	bool implicit_tls;	     /* TLS from the first byte (465, 993, 995) */
	const char *cafile;	     /* PEM bundle; NULL = system CAs */
	const char *source_address;  /* bind the local end to this address; NULL = any */
	unsigned connect_timeout_ms; /* 0 = 30000 */
	unsigned io_timeout_ms;	     /* per read/write; 0 = 300000 (RFC 5321 §4.5.3.2) */
	size_t line_max;	     /* longest line accepted from the server; 0 = 65536 */
};

/* Connect (and handshake when implicit_tls). Errors: MK_ERR_CONN (resolve,
 * connect, timeout), MK_ERR_PROTO (TLS handshake failure). A certificate that
 * fails verification is MK_ERR_CONN with a message naming the reason
 * ("certificate not trusted", "host name mismatch"). */
int mk_conn_open(const struct mk_conn_params *params, struct mk_conn **r, struct mk_error *err);

/* Upgrade a plaintext connection to TLS (after the server's go-ahead).
 * Fails with MK_ERR_PROTO if the server had already sent bytes beyond its
 * reply (they would be injected plaintext, CVE-2011-0411 style). */
int mk_conn_starttls(struct mk_conn *c, struct mk_error *err);

/* Read one line, CRLF (or bare LF) stripped, into line (reset first).
 * MK_ERR_PROTO for a line over line_max, MK_ERR_CONN for EOF/timeout. */
int mk_conn_read_line(struct mk_conn *c, struct mk_buf *line, struct mk_error *err);

/* Read exactly n bytes (IMAP literals) appending to out. */
int mk_conn_read_exact(struct mk_conn *c, size_t n, struct mk_buf *out, struct mk_error *err);

/* Write all bytes. sensitive = the bytes carry a secret: traced as
 * "<redacted>" after the first `keep` bytes. */
int mk_conn_write(struct mk_conn *c, const void *p, size_t n, bool sensitive, size_t keep,
		  struct mk_error *err);

/* True when the connection is TLS-protected. */
bool mk_conn_is_tls(const struct mk_conn *c);

/* Bytes received and not yet consumed by a read: in the line buffer, and
 * decrypted inside Mbed TLS (which poll(2) cannot see). */
size_t mk_conn_pending(const struct mk_conn *c);

/* For the gateway's relay (gateway/relay.c): the socket, to poll(2) on, and
 * one raw read of at most cap bytes: buffered bytes first, else one socket
 * or TLS read, which waits (up to io_timeout_ms) for at least one byte.
 * 0 with *n = 0 is EOF (or the peer's close_notify); -1 with MK_ERR_CONN for
 * a timeout or a broken connection. Bytes read this way are not traced. */
int mk_conn_fd(const struct mk_conn *c);
int mk_conn_read_some(struct mk_conn *c, void *p, size_t cap, size_t *n, struct mk_error *err);
/* One write that never waits: *n bytes taken, 0 when the socket is full
 * (poll for POLLOUT, then call again with the same bytes: Mbed TLS wants a
 * retried record repeated exactly). -1 with MK_ERR_CONN when it broke. */
int mk_conn_write_some(struct mk_conn *c, const void *p, size_t len, size_t *n, struct mk_error *err);

/* Close (TLS close_notify best effort) and free; NULLs *c. */
void mk_conn_free(struct mk_conn **c);

#endif
