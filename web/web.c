#include "web/web.h"

#include <string.h>

int mk_web_escape(const char *s, struct mk_buf *out)
{
	for (; *s != '\0'; s++) {
		int rc;
		switch (*s) {
		case '&':
			rc = mk_buf_addstr(out, "&amp;");
			break;
		case '<':
			rc = mk_buf_addstr(out, "&lt;");
			break;
		case '>':
			rc = mk_buf_addstr(out, "&gt;");
			break;
		case '"':
			rc = mk_buf_addstr(out, "&quot;");
			break;
		case '\'':
			rc = mk_buf_addstr(out, "&#39;");
			break;
		default:
			rc = mk_buf_addc(out, *s);
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* s escaped, with each `...` pair as <code>...</code> (an unpaired
 * backtick stays as it is). */
static int add_text(const char *s, struct mk_buf *out)
{
	struct mk_buf esc;
	const char *t;
	int rc = 0;

	mk_buf_init(&esc, 1 << 16);
	if (mk_web_escape(s, &esc) != 0) {
		mk_buf_free(&esc);
		return -1;
	}
	t = mk_buf_str(&esc);
	while (rc == 0 && *t != '\0') {
		const char *open = strchr(t, '`');
		const char *close = open != NULL ? strchr(open + 1, '`') : NULL;
		if (close == NULL) {
			rc = mk_buf_addstr(out, t);
			break;
		}
		rc = mk_buf_add(out, t, (size_t)(open - t));
		rc = rc != 0 ? rc : mk_buf_addstr(out, "<code>");
		rc = rc != 0 ? rc : mk_buf_add(out, open + 1, (size_t)(close - open - 1));
		rc = rc != 0 ? rc : mk_buf_addstr(out, "</code>");
		t = close + 1;
	}
	mk_buf_free(&esc);
	return rc;
}

static const struct {
	const char *kind, *title, *message;
	const char *message_printed; /* when the person opened the printed address */
} pages[] = {
	[MK_WEB_SUCCESS] = { "ok", "mailkey is connected",
			     "Your consent was received and the tokens are stored, encrypted, on this "
			     "computer. Mail programs can now log in through mailkey.",
			     NULL },
	[MK_WEB_DENIED] = { "bad", "Access was not granted",
			    "You declined, so mailkey stored nothing. Run the login again if that was a "
			    "mistake.",
			    NULL },
	[MK_WEB_ERROR] = { "bad", "Login failed",
			   "The provider reported an error, so mailkey stored nothing. The terminal shows "
			   "what to do next.",
			   NULL },
	[MK_WEB_FAILED] = { "bad", "Login failed",
			    "mailkey could not finish the login, so it stored nothing. The terminal shows "
			    "why and what to do next.",
			    NULL },
	[MK_WEB_STALE] = { "bad", "This link does not belong to the current login",
			   "It was ignored. Finish the login in the browser tab that mailkey opened, or "
			   "start `mailkey login` again.",
			   "It was ignored. Finish the login in the tab where you opened the address that "
			   "mailkey printed, or start `mailkey login` again." },
};

int mk_web_render_page(enum mk_web_page page, const struct mk_web_ctx *ctx, struct mk_buf *out)
{
	const char *t = (const char *)mk_web_tpl_result;
	const char *msg = !ctx->browser_opened && pages[page].message_printed != NULL
				  ? pages[page].message_printed
				  : pages[page].message;

	while (*t != '\0') {
		const char *open = strstr(t, "{{"), *close;
		size_t nlen;
		int rc = 0;

		if (open == NULL)
			return mk_buf_addstr(out, t);
		close = strstr(open, "}}");
		if (close == NULL)
			return mk_buf_addstr(out, t);
		if (mk_buf_add(out, t, (size_t)(open - t)) != 0)
			return -1;
		nlen = (size_t)(close - open - 2);
		if (nlen == 4 && strncmp(open + 2, "kind", 4) == 0)
			rc = mk_buf_addstr(out, pages[page].kind);
		else if (nlen == 5 && strncmp(open + 2, "title", 5) == 0)
			rc = mk_web_escape(pages[page].title, out);
		else if (nlen == 7 && strncmp(open + 2, "message", 7) == 0)
			rc = add_text(msg, out);
		else if (nlen == 7 && strncmp(open + 2, "account", 7) == 0)
			rc = mk_web_escape(ctx->account != NULL ? ctx->account : "", out);
		else if (nlen == 6 && strncmp(open + 2, "detail", 6) == 0 && ctx->detail != NULL &&
			 *ctx->detail != '\0') {
			rc = mk_buf_addstr(out, "<p class=\"detail\">");
			rc = rc != 0 ? rc : add_text(ctx->detail, out);
			rc = rc != 0 ? rc : mk_buf_addstr(out, "</p>");
		}
		if (rc != 0)
			return -1;
		t = close + 2;
	}
	return 0;
}

int mk_web_render(enum mk_web_page page, const char *account, const char *detail, struct mk_buf *out)
{
	const struct mk_web_ctx ctx = { account, detail, true };

	return mk_web_render_page(page, &ctx, out);
}
