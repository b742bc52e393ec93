/* gateway/imap_cmd.c: pre-login IMAP commands, table-driven. Each case
 * is a list of pieces fed in turn (a line, or literal bytes after a
 * LITERAL step) and the expected outcome. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/imap_cmd.h"

#define MAXP 6

struct piece {
	const char *s; /* a line (no CRLF) or literal bytes */
	size_t len;    /* 0 = strlen(s) */
};

struct tcase {
	const char *name;
	struct piece in[MAXP];
	size_t literal_max, command_max;
	enum gw_imap_step step; /* the final step */
	enum gw_imap_kind kind;
	const char *tag;
	const char *arg0, *arg1; /* NULL = not checked (must be empty) */
	const char *mech;
	bool has_ir;
	size_t literal_len; /* TOOBIG: the announced size */
	bool literal_sync;
	unsigned literals; /* how many LITERAL steps on the way */
};

#define P(x)                                                                                                 \
	{                                                                                                    \
		x, sizeof(x) - 1                                                                             \
	}

static const struct tcase cases[] = {
	/* the commands without arguments, any case */
	{ .name = "capability", .in = { P("a1 CAPABILITY") }, .kind = GW_IMAP_CMD_CAPABILITY, .tag = "a1" },
	{ .name = "lower case", .in = { P("a1 capability") }, .kind = GW_IMAP_CMD_CAPABILITY, .tag = "a1" },
	{ .name = "noop", .in = { P("x NoOp") }, .kind = GW_IMAP_CMD_NOOP, .tag = "x" },
	{ .name = "logout", .in = { P("A0001 LOGOUT") }, .kind = GW_IMAP_CMD_LOGOUT, .tag = "A0001" },
	{ .name = "starttls", .in = { P("t STARTTLS") }, .kind = GW_IMAP_CMD_STARTTLS, .tag = "t" },
	{ .name = "tag with ]", .in = { P("a]1 NOOP") }, .kind = GW_IMAP_CMD_NOOP, .tag = "a]1" },
	{ .name = "noop with args",
	  .in = { P("a NOOP x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_NOOP,
	  .tag = "a" },
	{ .name = "trailing space",
	  .in = { P("a NOOP ") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_NOOP,
	  .tag = "a" },
	/* LOGIN: atoms, quoted strings, escapes */
	{ .name = "login atoms",
	  .in = { P("a LOGIN alice secret") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "secret" },
	{ .name = "login quoted",
	  .in = { P("a login \"al ice\" \"p w\"") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "al ice",
	  .arg1 = "p w" },
	{ .name = "login escapes",
	  .in = { P("a LOGIN \"a\\\\b\" \"q\\\"x\"") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "a\\b",
	  .arg1 = "q\"x" },
	{ .name = "login empty quoted",
	  .in = { P("a LOGIN \"\" \"\"") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "",
	  .arg1 = "" },
	{ .name = "login utf-8 quoted",
	  .in = { P("a LOGIN \"j\xc3\xb6rg\" x") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "j\xc3\xb6rg",
	  .arg1 = "x" },
	{ .name = "login user@domain atom with ]",
	  .in = { P("a LOGIN bob@ex.org pa]ss") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "bob@ex.org",
	  .arg1 = "pa]ss" },
	{ .name = "login bad escape",
	  .in = { P("a LOGIN \"a\\nb\" x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login unterminated",
	  .in = { P("a LOGIN \"alice x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login escape at end",
	  .in = { P("a LOGIN \"alice\\") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login one arg",
	  .in = { P("a LOGIN alice") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login three args",
	  .in = { P("a LOGIN a b c") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login two spaces",
	  .in = { P("a LOGIN a  b") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login paren",
	  .in = { P("a LOGIN (a) b") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login NUL in quoted",
	  .in = { { "a LOGIN \"a\0b\" c", 15 } },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "login glued literal",
	  .in = { P("a LOGIN{5}") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	/* literals, synchronising and LITERAL+ */
	{ .name = "login literal user",
	  .in = { P("a LOGIN {5}"), P("alice"), P(" secret") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "secret",
	  .literals = 1 },
	{ .name = "login two literals",
	  .in = { P("a LOGIN {5}"), P("alice"), P(" {8}"), P("p\"w d\\x}"), P("") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "p\"w d\\x}",
	  .literals = 2 },
	{ .name = "login literal+ password",
	  .in = { P("a LOGIN \"alice\" {6+}"), P("se cr "), P("") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "se cr ",
	  .literals = 1 },
	{ .name = "login empty literal",
	  .in = { P("a LOGIN alice {0}"), { "", 0 }, P("") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "",
	  .literals = 1 },
	{ .name = "literal with CRLF inside",
	  .in = { P("a LOGIN alice {4}"), P("a\r\nb"), P("") },
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "alice",
	  .arg1 = "a\r\nb",
	  .literals = 1 },
	{ .name = "literal then junk",
	  .in = { P("a LOGIN alice {3}"), P("abc"), P("x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literals = 1 },
	{ .name = "literal then no space",
	  .in = { P("a LOGIN {3}"), P("abc"), P("x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literals = 1 },
	{ .name = "literal NUL",
	  .in = { P("a LOGIN alice {3}"), { "a\0b", 3 } },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literals = 1 },
	{ .name = "literal not at end",
	  .in = { P("a LOGIN {5} x") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "literal no digits",
	  .in = { P("a LOGIN {}") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "literal minus",
	  .in = { P("a LOGIN {5-}") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "literal unclosed",
	  .in = { P("a LOGIN {5") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a" },
	{ .name = "literal too big sync",
	  .in = { P("a LOGIN {1025}") },
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literal_len = 1025,
	  .literal_sync = true },
	{ .name = "literal too big literal+",
	  .in = { P("a LOGIN u {102400+}") },
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literal_len = 102400,
	  .literal_sync = false },
	{ .name = "literal at the cap",
	  .in = { P("a LOGIN {4}"), P("abcd"), P(" x") },
	  .literal_max = 4,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .arg0 = "abcd",
	  .arg1 = "x",
	  .literals = 1 },
	{ .name = "literal over a small cap",
	  .in = { P("a LOGIN {5}") },
	  .literal_max = 4,
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literal_len = 5,
	  .literal_sync = true },
	{ .name = "literal huge number",
	  .in = { P("a LOGIN {99999999999999999999999999+}") },
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literal_len = (size_t)-1,
	  .literal_sync = false },
	{ .name = "two literals over the command cap",
	  .in = { P("a LOGIN {20}"), P("aaaaaaaaaaaaaaaaaaaa"), P(" {20}") },
	  .literal_max = 20,
	  .command_max = 50,
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_LOGIN,
	  .tag = "a",
	  .literal_len = 20,
	  .literal_sync = true,
	  .literals = 1 },
	{ .name = "line over the command cap",
	  .in = { P("a LOGIN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b") },
	  .command_max = 20,
	  .step = GW_IMAP_STEP_BAD },
	/* AUTHENTICATE */
	{ .name = "authenticate plain",
	  .in = { P("a AUTHENTICATE PLAIN") },
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a",
	  .mech = "PLAIN" },
	{ .name = "authenticate lower",
	  .in = { P("a authenticate plain") },
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a",
	  .mech = "PLAIN" },
	{ .name = "authenticate sasl-ir",
	  .in = { P("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==") },
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a",
	  .mech = "PLAIN",
	  .has_ir = true,
	  .arg0 = "AGFsaWNlAHNlY3JldA==" },
	{ .name = "authenticate empty ir",
	  .in = { P("a AUTHENTICATE LOGIN =") },
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a",
	  .mech = "LOGIN",
	  .has_ir = true,
	  .arg0 = "" },
	{ .name = "authenticate other mech",
	  .in = { P("a AUTHENTICATE XOAUTH2") },
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a",
	  .mech = "XOAUTH2" },
	{ .name = "authenticate no mech",
	  .in = { P("a AUTHENTICATE") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a" },
	{ .name = "authenticate bad ir",
	  .in = { P("a AUTHENTICATE PLAIN ab*c") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a" },
	{ .name = "authenticate ir then more",
	  .in = { P("a AUTHENTICATE PLAIN abc def") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a" },
	{ .name = "authenticate long mech",
	  .in = { P("a AUTHENTICATE AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a" },
	{ .name = "authenticate literal",
	  .in = { P("a AUTHENTICATE {5}") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_AUTHENTICATE,
	  .tag = "a" },
	/* ID: checked for shape, dropped */
	{ .name = "id nil", .in = { P("a ID NIL") }, .kind = GW_IMAP_CMD_ID, .tag = "a" },
	{ .name = "id list",
	  .in = { P("a ID (\"name\" \"mutt\" \"version\" \"2.2\")") },
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a" },
	{ .name = "id list with literal",
	  .in = { P("a ID (\"name\" {4}"), P("mutt"), P(" \"os\" NIL)") },
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a",
	  .literals = 1 },
	{ .name = "id unbalanced",
	  .in = { P("a ID (\"name\" \"x\"") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a" },
	{ .name = "id close first",
	  .in = { P("a ID )") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a" },
	{ .name = "id deep",
	  .in = { P("a ID (((((x)))))") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a" },
	{ .name = "id nothing",
	  .in = { P("a ID") },
	  .step = GW_IMAP_STEP_BAD,
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a" },
	{ .name = "id literal too big",
	  .in = { P("a ID ({2000+}") },
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_ID,
	  .tag = "a",
	  .literal_len = 2000 },
	/* other commands: refused, a LITERAL+ literal read and dropped */
	{ .name = "select", .in = { P("a SELECT INBOX") }, .kind = GW_IMAP_CMD_OTHER, .tag = "a" },
	{ .name = "name prefix", .in = { P("a LOGINX a b") }, .kind = GW_IMAP_CMD_OTHER, .tag = "a" },
	{ .name = "other sync literal not asked",
	  .in = { P("a APPEND INBOX {300}") },
	  .kind = GW_IMAP_CMD_OTHER,
	  .tag = "a" },
	{ .name = "other literal+ dropped",
	  .in = { P("a APPEND INBOX {3+}"), P("abc"), P("") },
	  .kind = GW_IMAP_CMD_OTHER,
	  .tag = "a",
	  .literals = 1 },
	{ .name = "other literal+ too big",
	  .in = { P("a APPEND INBOX {300000+}") },
	  .step = GW_IMAP_STEP_TOOBIG,
	  .kind = GW_IMAP_CMD_OTHER,
	  .tag = "a",
	  .literal_len = 300000 },
	{ .name = "other brace junk", .in = { P("a FOO {x}") }, .kind = GW_IMAP_CMD_OTHER, .tag = "a" },
	{ .name = "other only brace", .in = { P("a FOO}") }, .kind = GW_IMAP_CMD_OTHER, .tag = "a" },
	{ .name = "long name",
	  .in = { P("a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") },
	  .kind = GW_IMAP_CMD_OTHER,
	  .tag = "a" },
	/* tags and garbage */
	{ .name = "empty line", .in = { P("") }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "no command", .in = { P("a") }, .step = GW_IMAP_STEP_BAD, .tag = "a" },
	{ .name = "tag space only", .in = { P("a ") }, .step = GW_IMAP_STEP_BAD, .tag = "a" },
	{ .name = "star tag", .in = { P("* LOGIN a b") }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "plus tag", .in = { P("+ NOOP") }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "plus in tag", .in = { P("a+ NOOP") }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "space first", .in = { P(" NOOP") }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "binary", .in = { { "\x16\x03\x01\x02\x00", 5 } }, .step = GW_IMAP_STEP_BAD, .tag = "" },
	{ .name = "tag at the cap",
	  .in = { P("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa NOOP") },
	  .kind = GW_IMAP_CMD_NOOP,
	  .tag = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ .name = "tag too long",
	  .in = { P("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa NOOP") },
	  .step = GW_IMAP_STEP_BAD,
	  .tag = "" },
	{ .name = "http", .in = { P("GET / HTTP/1.1") }, .kind = GW_IMAP_CMD_OTHER, .tag = "GET" },
};

static void check_buf(const struct mk_buf *b, const char *want, const char *name)
{
	size_t wl = want != NULL ? strlen(want) : 0;

	if (b->len != wl || (wl > 0 && memcmp(b->data, want, wl) != 0))
		fail_msg("%s: argument is \"%s\", want \"%s\"", name, b->data != NULL ? b->data : "",
			 want != NULL ? want : "");
}

static void run_case(const struct tcase *t)
{
	struct gw_imap_cmd c;
	struct gw_imap_cmd_params p = { t->literal_max, t->command_max };
	enum gw_imap_step step = GW_IMAP_STEP_BAD;
	unsigned literals = 0;
	size_t i = 0;

	gw_imap_cmd_init(&c, &p);
	for (int round = 0; round < 2; round++) {
		/* the second round checks that reset makes the parser as new */
		if (round == 1)
			gw_imap_cmd_reset(&c);
		literals = 0;
		i = 0;
		step = gw_imap_cmd_line(&c, t->in[0].s, t->in[0].len);
		i = 1;
		while (step == GW_IMAP_STEP_LITERAL && i < MAXP && t->in[i].s != NULL) {
			literals++;
			assert_int_equal(c.literal_len, t->in[i].len);
			step = gw_imap_cmd_literal(&c, t->in[i].s, t->in[i].len);
			i++;
			if (step != GW_IMAP_STEP_MORE)
				break;
			if (i >= MAXP || t->in[i].s == NULL)
				fail_msg("%s: parser wants another line", t->name);
			step = gw_imap_cmd_line(&c, t->in[i].s, t->in[i].len);
			i++;
		}
		if (step != t->step)
			fail_msg("%s: step %d, want %d (msg %s)", t->name, step, t->step,
				 c.msg ? c.msg : "-");
		if (i < MAXP && t->in[i].s != NULL)
			fail_msg("%s: input left over at piece %zu", t->name, i);
		if (literals != t->literals)
			fail_msg("%s: %u literals, want %u", t->name, literals, t->literals);
		if (t->tag != NULL && strcmp(c.tag, t->tag) != 0)
			fail_msg("%s: tag \"%s\", want \"%s\"", t->name, c.tag, t->tag);
		if (c.kind != t->kind)
			fail_msg("%s: kind %s, want %s", t->name, gw_imap_kind_name(c.kind),
				 gw_imap_kind_name(t->kind));
		if (step == GW_IMAP_STEP_BAD || step == GW_IMAP_STEP_TOOBIG)
			assert_non_null(c.msg);
		if (step == GW_IMAP_STEP_TOOBIG) {
			assert_int_equal(c.literal_len, t->literal_len);
			assert_int_equal(c.literal_sync, t->literal_sync);
		}
		if (step == GW_IMAP_STEP_DONE) {
			check_buf(&c.arg[0], t->arg0, t->name);
			check_buf(&c.arg[1], t->arg1, t->name);
			assert_string_equal(c.mech, t->mech != NULL ? t->mech : "");
			assert_int_equal(c.has_ir, t->has_ir);
		}
		/* once over, nothing more is taken until reset */
		assert_int_equal(gw_imap_cmd_line(&c, "a NOOP", 6), GW_IMAP_STEP_BAD);
		assert_int_equal(gw_imap_cmd_literal(&c, "x", 1), GW_IMAP_STEP_BAD);
	}
	gw_imap_cmd_free(&c);
	gw_imap_cmd_free(&c); /* idempotent */
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* The parser reads only the bytes it is given: each case again from an
 * exact-size heap copy, so ASan sees any read past the end. */
static void test_exact_copies(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_imap_cmd c;
		size_t n = cases[i].in[0].len;
		char *s = malloc(n > 0 ? n : 1);

		assert_non_null(s);
		memcpy(s, cases[i].in[0].s, n);
		gw_imap_cmd_init(&c, NULL);
		(void)gw_imap_cmd_line(&c, s, n);
		gw_imap_cmd_free(&c);
		free(s);
	}
}

/* A literal of the wrong size, or out of turn, is refused. */
static void test_out_of_turn(void **state)
{
	struct gw_imap_cmd c;

	(void)state;
	gw_imap_cmd_init(&c, NULL);
	assert_int_equal(gw_imap_cmd_literal(&c, "abc", 3), GW_IMAP_STEP_BAD);
	gw_imap_cmd_reset(&c);
	assert_int_equal(gw_imap_cmd_line(&c, "a LOGIN {3}", 11), GW_IMAP_STEP_LITERAL);
	assert_true(c.literal_sync);
	assert_int_equal(gw_imap_cmd_line(&c, "abc", 3), GW_IMAP_STEP_BAD);
	gw_imap_cmd_reset(&c);
	assert_int_equal(gw_imap_cmd_line(&c, "a LOGIN {3}", 11), GW_IMAP_STEP_LITERAL);
	assert_int_equal(gw_imap_cmd_literal(&c, "ab", 2), GW_IMAP_STEP_BAD);
	gw_imap_cmd_free(&c);
}

/* {0} literals with empty continuations cannot go on for ever: the
 * command cap counts every line. */
static void test_zero_literals_bounded(void **state)
{
	struct gw_imap_cmd c;
	struct gw_imap_cmd_params p = { 0, 200 };
	enum gw_imap_step step;
	unsigned rounds = 0;

	(void)state;
	gw_imap_cmd_init(&c, &p);
	step = gw_imap_cmd_line(&c, "a ID ({0}", 9);
	while (step == GW_IMAP_STEP_LITERAL && rounds < 1000) {
		step = gw_imap_cmd_literal(&c, "", 0);
		assert_int_equal(step, GW_IMAP_STEP_MORE);
		step = gw_imap_cmd_line(&c, " {0}", 4);
		rounds++;
	}
	assert_int_equal(step, GW_IMAP_STEP_BAD);
	assert_true(rounds < 100);
	gw_imap_cmd_free(&c);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(gw_imap_kind_name(GW_IMAP_CMD_LOGIN), "LOGIN");
	assert_string_equal(gw_imap_kind_name(GW_IMAP_CMD_LAST), "(invalid)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	    cmocka_unit_test(test_exact_copies),
		cmocka_unit_test(test_out_of_turn), cmocka_unit_test(test_zero_literals_bounded),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
