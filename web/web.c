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

static const struct {
	const char *kind, *title, *message;
} pages[] = {
	[MK_WEB_SUCCESS] = { "ok", "mailkey is connected",
			     "Your consent was received and the tokens are stored, encrypted, on this "
			     "computer. "
			     "Mail programs can now log in through mailkey." },
	[MK_WEB_DENIED] = { "bad", "Access was not granted",
			    "You declined, so mailkey stored nothing. Run the login again if that was a "
			    "mistake." },
	[MK_WEB_ERROR] = { "bad", "Login failed",
			   "The provider reported an error, so mailkey stored nothing. The terminal shows "
			   "what to do "
			   "next." },
	[MK_WEB_STALE] = { "bad", "This link does not belong to the current login",
			   "It was ignored. Finish the login in the browser tab that mailkey opened, or "
			   "start "
			   "`mailkey login` again." },
};

int mk_web_render(enum mk_web_page page, const char *account, const char *detail, struct mk_buf *out)
{
	const char *t = (const char *)mk_web_tpl_result;

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
			rc = mk_web_escape(pages[page].message, out);
		else if (nlen == 7 && strncmp(open + 2, "account", 7) == 0)
			rc = mk_web_escape(account != NULL ? account : "", out);
		else if (nlen == 6 && strncmp(open + 2, "detail", 6) == 0 && detail != NULL &&
			 *detail != '\0') {
			rc = mk_buf_addstr(out, "<p class=\"detail\">");
			rc = rc != 0 ? rc : mk_web_escape(detail, out);
			rc = rc != 0 ? rc : mk_buf_addstr(out, "</p>");
		}
		if (rc != 0)
			return -1;
		t = close + 2;
	}
	return 0;
}
