/* The daemon's child processes: notify_command while a grant is lost
 * (killed after MK_D_NOTIFY_TIMEOUT), and `mailkey-core queue run`, one at a
 * time. Both are started with fork + execve from the loop's thread; the
 * workers' threads may hold locks, so between fork and exec only
 * async-signal-safe calls are made, with everything prepared before. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/daemon/daemon-private.h"
#include "broker/queue/spool.h"
#include "common/buf.h"
#include "common/log.h"

extern char **environ;

/* execve wants char *const argv[]: writable copies of the fixed words. */
static char arg_sh[] = "sh", arg_c[] = "-c", arg_core[] = "mailkey-core", arg_config[] = "--config",
	    arg_state[] = "--state-dir", arg_cafile[] = "--cafile", arg_queue[] = "queue", arg_run[] = "run";

/* environ without the names in drop (NULL-ended), plus add (NULL-ended
 * "NAME=value" strings, copied). Heap array of heap strings. */
static char **make_env(const char *const *drop, const char *const *add)
{
	size_t n = 0, k = 0, na = 0;
	char **e;

	while (environ[n] != NULL)
		n++;
	while (add[na] != NULL)
		na++;
	if ((e = calloc(n + na + 1, sizeof(*e))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool skip = false;
		for (size_t j = 0; drop[j] != NULL && !skip; j++) {
			size_t l = strlen(drop[j]);
			skip = strncmp(environ[i], drop[j], l) == 0 && environ[i][l] == '=';
		}
		if (!skip && (e[k++] = strdup(environ[i])) == NULL)
			goto fail;
	}
	for (size_t i = 0; i < na; i++)
		if ((e[k++] = strdup(add[i])) == NULL)
			goto fail;
	return e;
fail:
	for (size_t i = 0; i < k; i++)
		free(e[i]);
	free(e);
	return NULL;
}

static void free_env(char **e)
{
	for (size_t i = 0; e != NULL && e[i] != NULL; i++)
		free(e[i]);
	free(e);
}

/* fork + execve with stdin from /dev/null, the default signal mask and
 * dispositions, in a process group of its own (so a timeout kills its
 * children too). -1 with errno. */
static pid_t spawn(const char *path, char *const argv[], char *const envp[])
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;
	pid_t pid;

	if (devnull < 0)
		return -1;
	sigemptyset(&none);
	pid = fork();
	if (pid == 0) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (dup2(devnull, 0) < 0)
			_exit(127);
		execve(path, argv, envp);
		_exit(127);
	}
	close(devnull);
	return pid;
}

void mk_d_notify_start(struct mk_daemon *d, struct dacct *ac)
{
	static const char *const drop[] = { "MAILKEY_ACCOUNT", "MAILKEY_REASON", "MAILKEY_LOGIN_COMMAND",
					    NULL };
	struct mk_buf acc, reason, login;
	char **envp = NULL;
	char *argv[4];
	pid_t pid;

	(void)d;
	mk_buf_init(&acc, 512);
	mk_buf_init(&reason, 1024);
	mk_buf_init(&login, 512);
	if (mk_buf_addf(&acc, "MAILKEY_ACCOUNT=%s", ac->name) != 0 ||
	    (!ac->found ? mk_buf_addf(&reason, "MAILKEY_REASON=account %s has no tokens yet (a client waits)",
				      ac->name)
			: mk_buf_addf(&reason, "MAILKEY_REASON=account %s needs a new login: %s", ac->name,
				      ac->last_error[0] ? ac->last_error
							: "the grant was revoked or has expired")) != 0 ||
	    mk_buf_addf(&login, "MAILKEY_LOGIN_COMMAND=%s login %s", mk_hint_cmd(), ac->name) != 0)
		goto out;
	mk_error_hint_once(reason.data);
	mk_buf_truncate(&reason, strlen(reason.data));
	/* One line of readable text: no control byte reaches the command. */
	for (size_t i = 0; i < reason.len; i++)
		if ((unsigned char)reason.data[i] < 0x20 || reason.data[i] == 0x7f)
			reason.data[i] = ' ';
	{
		const char *add[] = { mk_buf_str(&acc), mk_buf_str(&reason), mk_buf_str(&login),
				      "MAILKEY_EVENT=needs-consent", NULL };
		envp = make_env(drop, add);
	}
	if (envp == NULL)
		goto out;
	argv[0] = arg_sh;
	argv[1] = arg_c;
	argv[2] = ac->a->notify_command;
	argv[3] = NULL;
	pid = spawn("/bin/sh", argv, envp);
	if (pid < 0) {
		mk_log(MK_LOG_ERROR, "daemon: cannot run notify_command for account %s: %s", ac->name,
		       strerror(errno));
		goto out;
	}
	ac->notify_pid = pid;
	ac->notify_deadline = mk_d_now() + MK_D_NOTIFY_TIMEOUT;
	ac->notifies++;
	mk_log(MK_LOG_INFO,
	       "daemon: running notify_command for account %s (pid %ld, time %lu; again in %u s)", ac->name,
	       (long)pid, ac->notifies, ac->a->notify_interval);
out:
	free_env(envp);
	mk_buf_free(&acc);
	mk_buf_free(&reason);
	mk_buf_free(&login);
}

void mk_d_queue_start(struct mk_daemon *d)
{
	static const char *const drop[] = { "MAILKEY_SOCKET", NULL };
	struct mk_buf sock;
	char **envp = NULL;
	char *argv[12];
	int k = 0;
	pid_t pid;

	if (d->core_path == NULL || d->stopping)
		return;
	if (d->queue_pid > 0) {
		d->queue_again = true; /* one at a time: once more when it ends */
		return;
	}
	d->queue_next = 0;
	mk_buf_init(&sock, 4200);
	/* The run asks this daemon for its tokens. */
	if (mk_buf_addf(&sock, "MAILKEY_SOCKET=%s", d->socket_path) != 0)
		goto out;
	{
		const char *add[] = { mk_buf_str(&sock), NULL };
		envp = make_env(drop, add);
	}
	if (envp == NULL)
		goto out;
	argv[k++] = arg_core;
	argv[k++] = arg_config;
	argv[k++] = d->config_path;
	argv[k++] = arg_state;
	argv[k++] = d->state_dir;
	if (d->cafile != NULL) {
		argv[k++] = arg_cafile;
		argv[k++] = d->cafile;
	}
	argv[k++] = arg_queue;
	argv[k++] = arg_run;
	argv[k] = NULL;
	pid = spawn(d->core_path, argv, envp);
	if (pid < 0) {
		mk_log(MK_LOG_ERROR, "daemon: cannot run %s queue run: %s", d->core_path, strerror(errno));
		d->queue_next = mk_d_now() + 60;
		goto out;
	}
	d->queue_pid = pid;
	d->queue_again = false;
	d->queue_runs++;
	mk_log(MK_LOG_INFO, "daemon: queue run started (pid %ld)", (long)pid);
out:
	free_env(envp);
	mk_buf_free(&sock);
}

/* After a run: when the earliest message still queued is next due. */
static void queue_schedule(struct mk_daemon *d)
{
	struct mk_spool *sp = NULL;
	struct mk_spool_item *items = NULL;
	struct mk_error err;
	size_t n = 0;
	int64_t now = mk_d_now(), next = 0;

	mk_error_init(&err);
	if (mk_spool_open(d->state_dir, false, &sp, &err) != 0 ||
	    mk_spool_list(sp, false, &items, &n, &err) != 0) {
		mk_spool_free(&sp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t t = items[i].st.next;
		/* Left due by the run (its account had no token): retry in a
		 * while, not at once. */
		if (t <= now)
			t = now + MK_D_MAX_SLEEP;
		if (next == 0 || t < next)
			next = t;
	}
	mk_spool_items_free(items, n);
	mk_spool_free(&sp);
	d->queue_next = next;
	if (next > 0)
		mk_log(MK_LOG_DEBUG, "daemon: %zu queued message(s), next attempt in %lld s", n,
		       (long long)(next - now));
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status %d", status);
}

/* Only our own children are reaped (never waitpid(-1)): a worker's
 * key_command is waited for by the worker itself. */
void mk_d_children_reap(struct mk_daemon *d)
{
	int status;
	char how[64];

	if (d->queue_pid > 0 && waitpid(d->queue_pid, &status, WNOHANG) == d->queue_pid) {
		describe(status, how, sizeof(how));
		d->queue_pid = 0;
		mk_log(MK_LOG_INFO, "daemon: queue run ended (%s)", how);
		queue_schedule(d);
		if (d->queue_again)
			mk_d_queue_start(d);
	}
	for (size_t i = 0; i < d->n; i++) {
		struct dacct *ac = d->accts[i];
		if (ac->notify_pid > 0 && waitpid(ac->notify_pid, &status, WNOHANG) == ac->notify_pid) {
			describe(status, how, sizeof(how));
			ac->notify_pid = 0;
			mk_log(MK_LOG_INFO, "daemon: notify_command for account %s ended (%s)", ac->name,
			       how);
		}
	}
}

int64_t mk_d_children_tick(struct mk_daemon *d, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < d->n; i++) {
		struct dacct *ac = d->accts[i];
		if (ac->notify_pid <= 0)
			continue;
		if (now >= ac->notify_deadline) {
			mk_log(MK_LOG_WARN,
			       "daemon: notify_command for account %s still runs after %d s: killed",
			       ac->name, MK_D_NOTIFY_TIMEOUT);
			kill(-ac->notify_pid, SIGKILL);
			kill(ac->notify_pid, SIGKILL);
			ac->notify_deadline = now + 1;
		}
		if (ac->notify_deadline < next)
			next = ac->notify_deadline;
	}
	if (d->queue_pid == 0 && d->queue_next > 0) {
		if (now >= d->queue_next)
			mk_d_queue_start(d);
		else if (d->queue_next < next)
			next = d->queue_next;
	}
	return next;
}

/* Stopping: the queue run is asked to stop (it keeps every message it has
 * not sent), notify commands are left to finish on their own. */
void mk_d_children_stop(struct mk_daemon *d)
{
	if (d->queue_pid > 0) {
		kill(d->queue_pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(d->queue_pid, NULL, WNOHANG) == d->queue_pid) {
				d->queue_pid = 0;
				return;
			}
			usleep(50 * 1000);
		}
		kill(d->queue_pid, SIGKILL);
		waitpid(d->queue_pid, NULL, 0);
		d->queue_pid = 0;
	}
}
