#include "cli/sendmail_args.h"

#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "mail/message.h"

/* What a -b mode would do, for the refusal. */
static const char *mode_name(char m)
{
	switch (m) {
	case 's':
		return "SMTP on standard input";
	case 'd':
	case 'D':
		return "running as a mail daemon";
	case 'p':
		return "printing the mail queue";
	case 'P':
		return "counting the mail queue";
	case 'i':
		return "building the alias database";
	case 't':
		return "address test mode";
	case 'v':
		return "verifying addresses";
	case 'h':
	case 'H':
		return "the host status database";
	case 'a':
		return "ARPANET mode";
	default:
		return "an unknown mode";
	}
}

/* An envelope address from -f/-r: "<a@b>" loses its brackets, "<>" is the
 * null sender. It goes into MAIL FROM:<…>, so nothing that could end the
 * path or the command gets through. */
static int take_sender(char *v, const char *opt, struct mk_sendmail_args *r, struct mk_error *err)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v[n - 1] = '\0';
		v++;
		n -= 2;
	}
	if (n > MK_SENDMAIL_ADDR_MAX)
		return mk_error_set(err, MK_ERR_USAGE, "the address after -%s is longer than %d bytes", opt,
				    MK_SENDMAIL_ADDR_MAX);
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return mk_error_set(err, MK_ERR_USAGE,
					    "-%s takes one mail address (no spaces, brackets or control "
					    "characters)",
					    opt);
	r->from = v;
	return 0;
}

static int take_fullname(const char *v, struct mk_sendmail_args *r, struct mk_error *err)
{
	if (strlen(v) > MK_SENDMAIL_NAME_MAX)
		return mk_error_set(err, MK_ERR_USAGE, "the name after -F is longer than %d bytes",
				    MK_SENDMAIL_NAME_MAX);
	/* It may become a header line: a CR or LF would start another. */
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return mk_error_set(err, MK_ERR_USAGE, "the name after -F has a control character");
	r->fullname = v;
	return 0;
}

/* One option letter that takes an argument; v is that argument. */
static int take_arg(char c, char *v, struct mk_sendmail_args *r, struct mk_error *err)
{
	switch (c) {
	case 'f':
		return take_sender(v, "f", r, err);
	case 'r':
		return take_sender(v, "r", r, err);
	case 'F':
		return take_fullname(v, r, err);
	case 'o':
		/* -odq: sendmail's "queue only"; -odi, -odb: deliver now. */
		if (strcmp(v, "dq") == 0)
			r->queue = true;
		else if (strcmp(v, "di") == 0 || strcmp(v, "db") == 0)
			r->no_queue = true;
		return 0;
	case 'b':
		if (strcmp(v, "m") == 0)
			return 0;
		return mk_error_set(err, MK_ERR_USAGE,
				    "-b%s (%s) is not supported: mailkey only sends the message on standard "
				    "input (-bm, the default)",
				    v, mode_name(v[0]));
	default:
		/* -o and -O (options such as -oi, -oem, -odi), -B (body type),
		 * -N, -R, -V (DSN), -h (hop count), -L (log label), -A, -p:
		 * nothing in them changes how the message is sent here. */
		return 0;
	}
}

static bool takes_arg(char c, bool sendmail_mode)
{
	return strchr("frFboOBNRVLAp", c) != NULL || (c == 'h' && sendmail_mode);
}

/* One "-xyz" argument: bundled letters, the last may take an argument. */
static int short_opts(int argc, char **argv, int *i, bool sendmail_mode, struct mk_sendmail_args *r,
		      struct mk_error *err)
{
	char *o = argv[*i];

	for (size_t k = 1; o[k] != '\0'; k++) {
		char c = o[k];
		if (takes_arg(c, sendmail_mode)) {
			char *v = o + k + 1;
			if (*v == '\0') {
				if (*i + 1 >= argc)
					return mk_error_set(err, MK_ERR_USAGE, "option -%c needs an argument",
							    c);
				v = argv[++*i];
			}
			return take_arg(c, v, r, err);
		}
		switch (c) {
		case 't':
			r->read_rcpts = true;
			break;
		case 'v':
			r->verbose++;
			break;
		case 'h':
			r->help = true;
			break;
		case 'i': /* the message always ends at the end of the input */
		case 'm': /* "me too": the sender is never left out here */
		case 'n': /* no aliasing: there are no aliases here */
		case 'U': /* initial submission: it always is */
		case 'G': /* gateway submission */
			break;
		case 'q':
			return mk_error_set(err, MK_ERR_USAGE,
					    "%s (running a mail queue) is not supported here: the queue is "
					    "`mailkey queue run`",
					    o);
		default:
			return mk_error_set(err, MK_ERR_USAGE, "unknown option -%c in '%s'", c, o);
		}
	}
	return 0;
}

int mk_sendmail_parse(int argc, char **argv, bool sendmail_mode, struct mk_sendmail_args *r,
		      struct mk_error *err)
{
	bool opts_done = false;

	memset(r, 0, sizeof(*r));
	for (int i = 1; i < argc; i++) {
		char *o = argv[i];
		if (opts_done || o[0] != '-') {
			if (r->nrcpt >= MK_SENDMAIL_RCPT_MAX)
				return mk_error_set(err, MK_ERR_USAGE, "more than %d recipients",
						    MK_SENDMAIL_RCPT_MAX);
			r->rcpts[r->nrcpt++] = o;
		} else if (strcmp(o, "--") == 0) {
			opts_done = true;
		} else if (strcmp(o, "--help") == 0) {
			r->help = true;
		} else if (strcmp(o, "--queue") == 0) {
			r->queue = true;
		} else if (strcmp(o, "--no-queue") == 0) {
			r->no_queue = true;
		} else if (strcmp(o, "--account") == 0) {
			if (i + 1 >= argc)
				return mk_error_set(err, MK_ERR_USAGE, "--account needs an account name");
			r->account = argv[++i];
		} else if (strncmp(o, "--account=", 10) == 0) {
			r->account = o + 10;
		} else if (o[1] == '-' || o[1] == '\0') {
			return mk_error_set(err, MK_ERR_USAGE, "unknown option '%s'", o);
		} else if (short_opts(argc, argv, &i, sendmail_mode, r, err) != 0) {
			return -1;
		}
	}
	return 0;
}

int mk_sendmail_rcpt_addresses(const char *arg, struct mk_buf *out, struct mk_error *err)
{
	struct mk_buf hdr;
	size_t before = out->len;
	int rc = -1;

	for (const unsigned char *p = (const unsigned char *)arg; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f)
			return mk_error_set(err, MK_ERR_USAGE, "recipient '%s' has a control character", arg);
	/* A plain word is passed on as it is ("root" is the server's to
	 * qualify); a list or "Name <a@b>" is read like a To: field. */
	if (strpbrk(arg, " \t,<>\"():;") == NULL) {
		if (*arg == '\0')
			return mk_error_set(err, MK_ERR_USAGE, "an empty recipient");
		if (mk_buf_addstr(out, arg) != 0 || mk_buf_addc(out, '\n') != 0)
			return mk_error_set(err, MK_ERR_USAGE, "too many recipients");
		return 0;
	}
	mk_buf_init(&hdr, (size_t)1 << 16);
	if (mk_buf_addf(&hdr, "To: %s\n\n", arg) != 0 || mk_msg_recipients(hdr.data, hdr.len, out) != 0) {
		mk_error_set(err, MK_ERR_USAGE, "recipient '%.200s' is too long", arg);
		goto out;
	}
	if (out->len == before) {
		mk_error_set(err, MK_ERR_USAGE, "recipient '%.200s' names no address", arg);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&hdr);
	return rc;
}

struct from_field {
	const char *msg, *v;
	size_t vlen;
};

static int is_from(const char *name, size_t nlen, const char *v, size_t vlen, void *ctx)
{
	struct from_field *f = ctx;

	if (nlen != 4 || strncasecmp(name, "From", 4) != 0)
		return 0;
	f->v = v;
	f->vlen = vlen;
	return 1; /* the first one counts */
}

/* Start and end of msg's first From: field value (unfolded end), or false. */
static bool find_from(const char *msg, size_t len, size_t *vstart, size_t *vend)
{
	struct from_field f = { msg, NULL, 0 };

	(void)mk_msg_each_field(msg, len, is_from, &f);
	if (f.v == NULL)
		return false;
	*vstart = (size_t)(f.v - msg);
	*vend = *vstart + f.vlen;
	return true;
}

bool mk_sendmail_has_from(const char *msg, size_t len)
{
	size_t s, e;

	return find_from(msg, len, &s, &e);
}

int mk_sendmail_header_from(const char *msg, size_t len, struct mk_buf *out)
{
	struct mk_buf hdr, addrs;
	size_t s, e;
	int rc = -1;

	if (!find_from(msg, len, &s, &e))
		return 0;
	mk_buf_init(&hdr, (size_t)1 << 20);
	mk_buf_init(&addrs, (size_t)1 << 20);
	/* The From value read by the To/Cc/Bcc address parser. */
	if (mk_buf_add(&hdr, "To:", 3) != 0 || mk_buf_add(&hdr, msg + s, e - s) != 0 ||
	    mk_buf_add(&hdr, "\n\n", 2) != 0 || mk_msg_recipients(hdr.data, hdr.len, &addrs) != 0)
		goto out;
	if (addrs.len > 0 && mk_buf_add(out, addrs.data, strcspn(addrs.data, "\n")) != 0)
		goto out;
	rc = 0;
out:
	mk_buf_free(&hdr);
	mk_buf_free(&addrs);
	return rc;
}

bool mk_sendmail_starts_with_header(const char *msg, size_t len)
{
	size_t i = 0;

	/* RFC 5322 §3.6.8: field names are printable ASCII except ':'. */
	while (i < len && msg[i] > ' ' && msg[i] < 0x7f && msg[i] != ':')
		i++;
	return i > 0 && i < len && msg[i] == ':';
}

int mk_sendmail_from_field(const char *fullname, const char *addr, struct mk_buf *out)
{
	bool ascii = true;

	if (fullname == NULL || *fullname == '\0')
		return mk_buf_addf(out, "From: %s%s%s\n", *addr ? "" : "<", addr, *addr ? "" : ">");
	for (const unsigned char *p = (const unsigned char *)fullname; *p != '\0'; p++)
		if (*p >= 0x80)
			ascii = false;
	if (mk_buf_addstr(out, "From: ") != 0)
		return -1;
	if (ascii) {
		/* A quoted string (RFC 5322 §3.2.4): any ASCII name fits. */
		if (mk_buf_addc(out, '"') != 0)
			return -1;
		for (const char *p = fullname; *p != '\0'; p++)
			if (((*p == '"' || *p == '\\') && mk_buf_addc(out, '\\') != 0) ||
			    mk_buf_addc(out, *p) != 0)
				return -1;
		if (mk_buf_addc(out, '"') != 0)
			return -1;
	} else {
		/* RFC 2047 encoded words of at most 45 bytes (75 characters
		 * each), never splitting a UTF-8 sequence, folded apart. */
		size_t n = strlen(fullname);
		for (size_t i = 0; i < n;) {
			size_t k = n - i > 45 ? 45 : n - i;
			while (k > 1 && i + k < n && ((unsigned char)fullname[i + k] & 0xc0) == 0x80)
				k--;
			if ((i > 0 && mk_buf_addstr(out, "\n ") != 0) ||
			    mk_buf_addstr(out, "=?UTF-8?B?") != 0 ||
			    mk_base64_encode(fullname + i, k, out) != 0 || mk_buf_addstr(out, "?=") != 0)
				return -1;
			i += k;
		}
	}
	return mk_buf_addf(out, " <%s>\n", addr);
}
