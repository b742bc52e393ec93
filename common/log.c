#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "secret.h"

#define MK_LOG_LINE_MAX 8192

static enum mk_log_level cur_level = MK_LOG_INFO;
static FILE *stream;
static const char *prog = "mailkey";

/* Registered secrets. The table grows instead of dropping old entries: a
 * secret that falls out of it could be printed. The lock covers the callback
 * thread of the loopback listener logging while main registers a token. */
static char **secrets;
static size_t n_secrets, cap_secrets;
static pthread_mutex_t secrets_mu = PTHREAD_MUTEX_INITIALIZER;

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
	int rc = 0;

	if (s == NULL || strlen(s) < 4)
		return 0;
	pthread_mutex_lock(&secrets_mu);
	for (size_t i = 0; i < n_secrets; i++)
		if (strcmp(secrets[i], s) == 0)
			goto out;
	if (n_secrets == cap_secrets) {
		size_t ncap = cap_secrets ? cap_secrets * 2 : 16;
		char **n = realloc(secrets, ncap * sizeof(*n));
		if (n == NULL) {
			rc = -1;
			goto out;
		}
		secrets = n;
		cap_secrets = ncap;
	}
	secrets[n_secrets] = strdup(s);
	if (secrets[n_secrets] == NULL)
		rc = -1;
	else
		n_secrets++;
out:
	pthread_mutex_unlock(&secrets_mu);
	return rc;
}

void mk_log_forget_secrets(void)
{
	pthread_mutex_lock(&secrets_mu);
	for (size_t i = 0; i < n_secrets; i++)
		mk_secret_clear_str(&secrets[i]);
	free(secrets);
	secrets = NULL;
	n_secrets = cap_secrets = 0;
	pthread_mutex_unlock(&secrets_mu);
}

void mk_log_redact(const char *src, char *dst, size_t dst_size)
{
	static const char mark[] = "<redacted>";
	size_t o = 0;

	if (dst_size == 0)
		return;
	/* Matching looks at the whole of src, so a secret that straddles the
	 * end of dst is still found: only part of the mark is cut, never part
	 * of the secret shown. */
	pthread_mutex_lock(&secrets_mu);
	while (*src != '\0' && o + 1 < dst_size) {
		size_t hit = 0;
		for (size_t i = 0; i < n_secrets; i++) {
			size_t n = strlen(secrets[i]);
			if (n > hit && strncmp(src, secrets[i], n) == 0)
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
	pthread_mutex_unlock(&secrets_mu);
	dst[o] = '\0';
}

static void emit(enum mk_log_level level, const char *text)
{
	char out[MK_LOG_LINE_MAX];
	FILE *fp = stream != NULL ? stream : stderr;

	if ((unsigned)level > MK_LOG_TRACE)
		level = MK_LOG_TRACE;
	/* Redact first, cut after: text is the whole message, so a secret near
	 * the length limit cannot come out half-printed. */
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
	struct mk_buf text;

	if (!mk_log_enabled(level))
		return;
	/* Formatted whole (not into a fixed array) so that redaction sees every
	 * secret in full; emit() does the cutting. */
	mk_buf_init_secret(&text, 16u << 20);
	if (mk_buf_vaddf(&text, fmt, ap) != 0) {
		mk_buf_reset(&text);
		mk_buf_addstr(&text, "(log message lost: too long or out of memory)");
	}
	emit(level, mk_buf_str(&text));
	mk_buf_free(&text);
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
	/* Room for every byte escaped: the line is redacted whole in emit()
	 * and only then cut to the trace width. */
	if (len > (16u << 20))
		len = 16u << 20;
	mk_buf_init_secret(&b, strlen(dir) + 4 * len + 32);
	if (mk_buf_addf(&b, "%s: ", dir) != 0)
		goto out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		int rc = (c < 0x20 || c == 0x7f) ? mk_buf_addf(&b, "\\x%02x", c) : mk_buf_addc(&b, (char)c);
		if (rc != 0)
			goto out; /* out of memory: print nothing rather than a part */
	}
	if (sensitive && mk_buf_addstr(&b, keep > 0 ? " <redacted>" : "<redacted>") != 0)
		goto out;
	emit(MK_LOG_TRACE, mk_buf_str(&b));
out:
	mk_buf_free(&b);
}
