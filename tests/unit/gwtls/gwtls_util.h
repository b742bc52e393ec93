/* Shared by the gwtls tests: temp dirs, loopback sockets, commands, and a
 * duplex pump over either end type (gw_lconn or mk_conn). */
#ifndef MK_TEST_GWTLS_UTIL_H
#define MK_TEST_GWTLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_lconn;
struct mk_conn;

/* A fresh directory under $TMPDIR (heap path); rm -rf with tmpdir_free. */
char *tmpdir_new(void);
void tmpdir_free(char **dir);

/* A listening TCP socket on 127.0.0.1 (port 0 = any); *port set. */
int listen_lo(unsigned *port);
/* The same on ::1. */
int listen_lo6(unsigned *port);
/* Accept one connection (waits at most 10 s); -1 on failure. */
int accept_one(int lfd);
/* A plain connected socket to 127.0.0.1:port. */
int connect_lo(unsigned port);

/* system() of a printf-formatted command; its exit status (or -1). */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The output of a shell command (heap, NUL-terminated), or NULL. */
char *run_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whole file (heap) or NULL; *len set when len is not NULL. */
char *slurp(const char *path, size_t *len);

long long mono_ms(void);

/* The byte at offset i of test stream `seed`. */
static inline unsigned char stream_byte(unsigned seed, uint64_t i)
{
	uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32);
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (unsigned char)(x >> ((i % 8) * 8));
}

/* One end of a duplex transfer: an lconn or an mk_conn (exactly one set). */
struct end {
	struct gw_lconn *lc;
	struct mk_conn *mc;
	int fd; /* plain socket when both are NULL */
};

/* Send `send` bytes of stream send_seed while receiving `recv` bytes and
 * checking them against stream recv_seed, both at once (poll). 0 when all
 * went and all came byte-exact; -1 otherwise (message on stderr). */
int pump(struct end *e, uint64_t send, unsigned send_seed, uint64_t recv, unsigned recv_seed);

#endif
