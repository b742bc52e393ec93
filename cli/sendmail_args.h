/* The command line of `mailkey send` and of mailkey called as `sendmail`,
 * and the few header facts sendmail mode needs. Pure: no I/O, no globals.
 *
 * Options follow sendmail(8) as mail programs use it: letters may be
 * bundled (-ti) and option arguments attached (-fADDR) or separate
 * (-f ADDR). What cannot change how mailkey sends (-i, -oX…, -B, -N…) is
 * accepted and ignored, as msmtp does; the modes that are not "send one
 * message" (-bs, -bd, -bp, -q…) are usage errors, so a caller never
 * believes mailkey did something it cannot do. */
#ifndef MK_CLI_SENDMAIL_ARGS_H
#define MK_CLI_SENDMAIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

#define MK_SENDMAIL_RCPT_MAX 1000
/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets. */
#define MK_SENDMAIL_ADDR_MAX 256
#define MK_SENDMAIL_NAME_MAX 256

struct mk_sendmail_args {
	bool help;	      /* --help, or -h outside sendmail mode */
	bool read_rcpts;      /* -t: recipients from To, Cc, Bcc as well */
	int verbose;	      /* -v count */
	const char *account;  /* --account A, or NULL */
	const char *from;     /* -f/-r, brackets removed; "" = null sender <>; NULL = none */
	const char *fullname; /* -F NAME, or NULL */
	bool queue;	      /* --queue or -odq: put it in the outgoing queue */
	bool no_queue;	      /* --no-queue or -odi/-odb: send now, whatever the config says */
	const char *rcpts[MK_SENDMAIL_RCPT_MAX]; /* the arguments naming recipients, as given */
	size_t nrcpt;
};

/* Parse argv[1..argc) (argv[0] is the verb or the program name) into r, whose
 * pointers then point into argv. sendmail_mode: called as `sendmail`, where
 * -h takes an argument (hop count) instead of asking for help. 0, or -1 with
 * MK_ERR_USAGE naming the option and what to do. */
int mk_sendmail_parse(int argc, char **argv, bool sendmail_mode, struct mk_sendmail_args *r,
		      struct mk_error *err);

/* Append the addresses in a recipient argument ("a@b", "a@b, c@d",
 * "Name <a@b>") to out, one per line. -1 with MK_ERR_USAGE when it holds a
 * control character or no address. */
int mk_sendmail_rcpt_addresses(const char *arg, struct mk_buf *out, struct mk_error *err);

/* The address of msg's first From: field, appended to out (nothing appended
 * when there is no From or no address in it). 0, or -1 when out is full. */
int mk_sendmail_header_from(const char *msg, size_t len, struct mk_buf *out);

/* true when msg's header section has a From: field. */
bool mk_sendmail_has_from(const char *msg, size_t len);

/* true when msg starts with a header field ("Name:"); a message that starts
 * with its body needs an empty line after an added header. */
bool mk_sendmail_starts_with_header(const char *msg, size_t len);

/* Append a From: field for addr, with fullname (may be NULL) as the display
 * name: quoted, or as RFC 2047 encoded words when it is not ASCII. Ends in
 * "\n". 0, or -1 when out is full. */
int mk_sendmail_from_field(const char *fullname, const char *addr, struct mk_buf *out);

#endif
