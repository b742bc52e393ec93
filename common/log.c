#include "log.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "secret.h"

#define MK_LOG_MAX_SECRETS 32
#define MK_LOG_LINE_MAX 8192

static enum mk_log_level cur_level = MK_LOG_INFO;
static FILE *stream;
static const char *prog = "mailkey";
static char *secrets[MK_LOG_MAX_SECRETS];

static const char *const level_names[] = {
	[MK_LOG_ERROR] = "error", [MK_LOG_WARN] = "warning", [MK_LOG_INFO] = NULL,
	[MK_LOG_DEBUG] = "debug", [MK_LOG_TRACE] = "trace",
};

void mk_log_set_level(enum mk_log_level level)
{
	cur_level = level;
}

enum mk_log_level mk_log_get_level(void)
{
	return cur_level;
}

bool mk_log_enabled(enum mk_log_level level)
{
	return level <= cur_level;
}

void mk_log_set_stream(FILE *fp)
{
	stream = fp;
}

void mk_log_set_prog(const char *name)
{
	prog = name;
}

int mk_log_register_secret(const char *s)
{
	if (s == NULL || strlen(s) < 4)
		return 0;
	for (size_t i = 0; i < MK_LOG_MAX_SECRETS; i++)
		if (secrets[i] != NULL && strcmp(secrets[i], s) == 0)
			return 0;
	for (size_t i = 0; i < MK_LOG_MAX_SECRETS; i++) {
		if (secrets[i] == NULL) {
			secrets[i] = strdup(s);
			return secrets[i] == NULL ? -1 : 0;
		}
	}
	/* Table full: drop the oldest so the newest secrets are always covered. */
	mk_secret_free_str(secrets[0]);
	memmove(&secrets[0], &secrets[1], sizeof(secrets[0]) * (MK_LOG_MAX_SECRETS - 1));
	secrets[MK_LOG_MAX_SECRETS - 1] = strdup(s);
	return secrets[MK_LOG_MAX_SECRETS - 1] == NULL ? -1 : 0;
}

void mk_log_forget_secrets(void)
{
	for (size_t i = 0; i < MK_LOG_MAX_SECRETS; i++)
		mk_secret_clear_str(&secrets[i]);
}

void mk_log_redact(const char *src, char *dst, size_t dst_size)
{
	static const char mark[] = "<redacted>";
	size_t o = 0;

	if (dst_size == 0)
		return;
	while (*src != '\0' && o + 1 < dst_size) {
		size_t hit = 0;
		for (size_t i = 0; i < MK_LOG_MAX_SECRETS; i++) {
			size_t n;
			if (secrets[i] == NULL)
				continue;
			n = strlen(secrets[i]);
			if (strncmp(src, secrets[i], n) == 0 && n > hit)
				hit = n;
		}
		if (hit > 0) {
			for (size_t k = 0; k < sizeof(mark) - 1 && o + 1 < dst_size; k++)
				dst[o++] = mark[k];
			src += hit;
			continue;
		}
		dst[o++] = *src++;
	}
	dst[o] = '\0';
}

static void emit(enum mk_log_level level, const char *text)
{
	char out[MK_LOG_LINE_MAX];
	FILE *fp = stream != NULL ? stream : stderr;

	mk_log_redact(text, out, sizeof(out));
	if (level_names[level] != NULL)
		fprintf(fp, "%s: %s: %s\n", prog, level_names[level], out);
	else
		fprintf(fp, "%s: %s\n", prog, out);
	fflush(fp);
	mk_secret_wipe(out, sizeof(out));
}

void mk_vlog(enum mk_log_level level, const char *fmt, va_list ap)
{
	char text[MK_LOG_LINE_MAX];

	if (!mk_log_enabled(level))
		return;
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		return;
	emit(level, text);
	mk_secret_wipe(text, sizeof(text));
}

void mk_log(enum mk_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mk_vlog(level, fmt, ap);
	va_end(ap);
}

void mk_log_proto(const char *dir, const char *line, size_t len, bool sensitive, size_t keep)
{
	struct mk_buf b;

	if (!mk_log_enabled(MK_LOG_TRACE))
		return;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (sensitive && keep < len)
		len = keep;
	mk_buf_init_secret(&b, MK_LOG_LINE_MAX - 64);
	if (mk_buf_addf(&b, "%s: ", dir) != 0)
		goto out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		int rc = (c < 0x20 || c == 0x7f) ? mk_buf_addf(&b, "\\x%02x", c) : mk_buf_addc(&b, (char)c);
		if (rc != 0)
			break; /* an over-long line is cut in the trace only */
	}
	if (sensitive)
		mk_buf_addstr(&b, keep > 0 ? " <redacted>" : "<redacted>");
	emit(MK_LOG_TRACE, mk_buf_str(&b));
out:
	mk_buf_free(&b);
}
