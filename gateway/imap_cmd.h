/* The IMAP commands a client may send before login, parsed without I/O.
 *
 * A command can span several lines: a literal ("{n}" or LITERAL+ "{n+}")
 * ends its line, n bytes follow, then the command goes on in the next
 * line. So the parser is a small stack context fed piece by piece:
 *
 *   gw_imap_cmd_init(&c, &params);
 *   step = gw_imap_cmd_line(&c, line, len);
 *   while (step == GW_IMAP_STEP_LITERAL) {
 *           if (c.literal_sync) send "+ ..." ;
 *           read c.literal_len bytes;  step = gw_imap_cmd_literal(&c, bytes, n);
 *           if (step == GW_IMAP_STEP_MORE) { read a line; step = gw_imap_cmd_line(&c, line, len); }
 *   }
 *   act on GW_IMAP_STEP_DONE / BAD / TOOBIG, then gw_imap_cmd_reset(&c);
 *   ...
 *   gw_imap_cmd_free(&c);
 *
 * The LOGIN arguments and the AUTHENTICATE initial response are secrets: they
 * live in wiped buffers (mk_buf_init_secret) that reset and free wipe. Every
 * read is bounded by the length given; nothing is read past it and no input
 * needs a NUL terminator. */
#ifndef MK_GATEWAY_IMAP_CMD_H
#define MK_GATEWAY_IMAP_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

#define GW_IMAP_TAG_MAX 64 /* longer tags are refused ("* BAD") */
#define GW_IMAP_MECH_MAX 32

enum gw_imap_kind {
	GW_IMAP_CMD_NONE = 0, /* not known yet (bad tag, empty line) */
	GW_IMAP_CMD_CAPABILITY,
	GW_IMAP_CMD_NOOP,
	GW_IMAP_CMD_LOGOUT,
	GW_IMAP_CMD_STARTTLS,
	GW_IMAP_CMD_ID,
	GW_IMAP_CMD_LOGIN,
	GW_IMAP_CMD_AUTHENTICATE,
	GW_IMAP_CMD_OTHER, /* any other command: not before login */
	GW_IMAP_CMD_LAST
};

enum gw_imap_step {
	GW_IMAP_STEP_DONE,    /* a whole command: kind and its arguments */
	GW_IMAP_STEP_LITERAL, /* read literal_len bytes, give them to gw_imap_cmd_literal */
	GW_IMAP_STEP_MORE,    /* (from gw_imap_cmd_literal) read the next line */
	GW_IMAP_STEP_BAD,     /* syntax error or a cap: reply "tag BAD msg" */
	/* A literal over literal_max or the command cap. literal_sync: nothing
	 * was asked for yet, reply "tag NO [TOOBIG]" and go on; otherwise the
	 * bytes are already on the way and cannot be told from commands: reply
	 * BAD and close. */
	GW_IMAP_STEP_TOOBIG,
};

struct gw_imap_cmd_params {
	size_t literal_max; /* one literal (0 = 1024) */
	size_t command_max; /* all lines and literals of one command (0 = 16384) */
};

enum gw_imap_phase { GW_IMAP_PHASE_START = 0, GW_IMAP_PHASE_LITERAL, GW_IMAP_PHASE_CONT, GW_IMAP_PHASE_END };

/* Read the fields documented here; the rest is the parser's. */
struct gw_imap_cmd {
	/* results */
	enum gw_imap_kind kind;
	char tag[GW_IMAP_TAG_MAX + 1]; /* "" when the line had no valid tag: use "*" */
	const char *msg;	       /* why, for BAD and TOOBIG (static text) */
	size_t name_end; /* bytes of the first line up to the end of the command name (for redacted traces) */
	size_t literal_len; /* LITERAL, TOOBIG: announced size */
	bool literal_sync;  /* LITERAL, TOOBIG: a synchronising literal (send "+" first) */
	/* LOGIN: arg[0] user, arg[1] password. AUTHENTICATE: mech (upper case,
	 * in mech) and arg[0] the initial response, when has_ir ("=" gives an
	 * empty arg[0]). Secret buffers, NUL-terminated, no NUL inside. */
	struct mk_buf arg[2];
	char mech[GW_IMAP_MECH_MAX + 1];
	bool has_ir;

	/* private */
	struct gw_imap_cmd_params params;
	enum gw_imap_phase phase;
	unsigned nargs;	   /* LOGIN arguments complete */
	bool discard;	   /* the pending literal is read and dropped (ID, others) */
	size_t total;	   /* bytes of this command so far, against command_max */
	unsigned id_depth; /* ID: open parentheses */
};

/* Cannot fail; allocates nothing. params NULL = defaults. */
void gw_imap_cmd_init(struct gw_imap_cmd *c, const struct gw_imap_cmd_params *params);

/* Forget the current command (wiping its arguments), ready for the next. */
void gw_imap_cmd_reset(struct gw_imap_cmd *c);

/* One line without its CRLF: the start of a command, or (after MORE) its
 * continuation after a literal. Returns DONE, LITERAL, BAD or TOOBIG; BAD
 * for allocation failure too (msg says so). */
enum gw_imap_step gw_imap_cmd_line(struct gw_imap_cmd *c, const char *line, size_t len);

/* The literal_len bytes announced. Returns MORE, or BAD (a NUL in a LOGIN
 * argument, or called out of turn). */
enum gw_imap_step gw_imap_cmd_literal(struct gw_imap_cmd *c, const char *data, size_t len);

/* Wipe and free. Idempotent. */
void gw_imap_cmd_free(struct gw_imap_cmd *c);

/* Name for traces and tests ("LOGIN"). */
const char *gw_imap_kind_name(enum gw_imap_kind k);

#endif
