/* The daemon's loop: one thread, one epoll set over the listening socket,
 * the connections, a signalfd, a timerfd on the wall clock, inotify on the
 * store and the queue, and the workers' eventfd. */
#define _GNU_SOURCE /* strsignal, SOCK_CLOEXEC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "broker/client/client.h"
#include "broker/daemon/daemon-private.h"
#include "broker/daemon/sched.h"
#include "broker/queue/spool.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/sighold.h"

/* epoll tags for the fds that are not connections (a connection's tag is
 * its pointer, always above these). */
enum { TAG_LISTEN = 1, TAG_SIGNAL, TAG_TIMER, TAG_INOTIFY, TAG_POOL, TAG_LAST = 16 };

int64_t mk_d_now(void)
{
	return (int64_t)time(NULL);
}

int64_t mk_d_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static char *join(const char *a, const char *b)
{
	struct mk_buf buf;

	mk_buf_init(&buf, 8192);
	if (mk_buf_addf(&buf, "%s%s", a, b) != 0) {
		mk_buf_free(&buf);
		return NULL;
	}
	return mk_buf_take(&buf);
}

static int add_fd(struct mk_daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { 0 };

	ev.events = EPOLLIN;
	ev.data.u64 = tag;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* True when dir holds nothing but what the daemon puts there (its socket
 * and the socket's lock), so that it is the socket's own directory. */
static bool dir_is_dedicated(const char *dir, const char *sock_path, const char *lock_path)
{
	const char *sock_base = strrchr(sock_path, '/'), *lock_base = strrchr(lock_path, '/');
	struct dirent *e;
	bool only_ours = true;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return false;
	sock_base = sock_base != NULL ? sock_base + 1 : sock_path;
	lock_base = lock_base != NULL ? lock_base + 1 : lock_path;
	while (only_ours && (e = readdir(dp)) != NULL)
		only_ours = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
			    strcmp(e->d_name, sock_base) == 0 || strcmp(e->d_name, lock_base) == 0;
	closedir(dp);
	return only_ours;
}

/* The socket's directory: made if missing; tightened (0700, or 0750 owned
 * by the group) only when it is ours and the socket's alone: one we made,
 * or one that holds nothing else (/run/mailkey from the unit's
 * RuntimeDirectory). A --socket in $HOME or a work directory must not
 * change that directory's mode; the socket's own mode and the peer check
 * protect it there. */
static int sock_dir(struct mk_daemon *d, struct mk_error *err)
{
	char *dir = mk_fs_dirname(d->socket_path);
	mode_t mode = d->has_group ? 0750 : 0700;
	struct stat st;
	bool made = false;
	int rc = -1;

	if (dir == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (stat(dir, &st) != 0) {
		if (mk_fs_mkdir_p(dir, mode, 0, err) != 0)
			goto out;
		made = true;
	}
	if (stat(dir, &st) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot use the socket's directory %s", dir);
		goto out;
	}
	/* Anyone could swap the socket for one of theirs in a directory that
	 * everyone may write without the sticky bit. */
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		mk_error_set(err, MK_ERR_CONFIG,
			     "the socket's directory %s is writable by everyone: choose a --socket in a "
			     "directory of your own",
			     dir);
		goto out;
	}
	if (!made && !dir_is_dedicated(dir, d->socket_path, d->lock_path)) {
		if (d->has_group)
			mk_log(MK_LOG_WARN,
			       "daemon: %s holds other files, so it is left as it is: give the socket a "
			       "directory of its own if group %s cannot reach it",
			       dir, d->group_name);
	} else if (st.st_uid == geteuid() && !(st.st_mode & S_ISVTX) && !(st.st_mode & S_IWOTH)) {
		if (d->has_group && chown(dir, (uid_t)-1, d->allow_gid) != 0) {
			int e = errno;
			mk_error_set(
				err, MK_ERR_IO,
				"cannot give %s to group %s: %s: the daemon's user must be in group %s: "
				"for the system service, add SupplementaryGroups=%s with `systemctl edit "
				"mailkey` (see " MK_DOCDIR "/postfix.md), or add the user to the group",
				dir, d->group_name, strerror(e), d->group_name, d->group_name);
			goto out;
		}
		if ((st.st_mode & 07777) != mode && chmod(dir, mode) != 0) {
			mk_error_errno(err, MK_ERR_IO, errno, "cannot chmod %o %s", (unsigned)mode, dir);
			goto out;
		}
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

static int sock_listen(struct mk_daemon *d, struct mk_error *err)
{
	struct sockaddr_un sa = { 0 };
	struct stat st;
	mode_t old;
	int fd = -1;

	sa.sun_family = AF_UNIX;
	if (strlen(d->socket_path) >= sizeof(sa.sun_path))
		return mk_error_set(err, MK_ERR_USAGE,
				    "the socket path %s is longer than %zu bytes: choose a shorter --socket",
				    d->socket_path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, d->socket_path, strlen(d->socket_path) + 1);
	if (sock_dir(d, err) != 0)
		return -1;
	/* One daemon per socket: a lock held for our lifetime, then a stale
	 * socket (a daemon killed -9) can be removed safely. */
	d->lockfd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lockfd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", d->lock_path);
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return mk_error_set(
				err, MK_ERR_TEMP,
				"another mailkey daemon is already running on %s: stop it first (or "
				"give this one another --socket), then start this one again",
				d->socket_path);
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot lock %s", d->lock_path);
	}
	if (lstat(d->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return mk_error_set(
				err, MK_ERR_CONFIG,
				"%s exists and is not a socket: remove it or choose another --socket",
				d->socket_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return mk_error_set(
				err, MK_ERR_TEMP,
				"another mailkey daemon answers on %s: stop it first (or give this "
				"one another --socket), then start this one again",
				d->socket_path);
		}
		if (fd >= 0)
			close(fd);
		if (unlink(d->socket_path) != 0)
			return mk_error_errno(err, MK_ERR_IO, errno, "cannot remove the stale socket %s",
					      d->socket_path);
		mk_log(MK_LOG_INFO, "daemon: removed a stale socket %s", d->socket_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot make a socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		umask(old);
		close(fd);
		return mk_error_errno(err, MK_ERR_IO, e, "cannot listen on %s", d->socket_path);
	}
	umask(old);
	if ((d->has_group && chown(d->socket_path, (uid_t)-1, d->allow_gid) != 0) ||
	    chmod(d->socket_path, d->has_group ? 0660 : 0600) != 0 || listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		close(fd);
		unlink(d->socket_path);
		if (e == EPERM && d->has_group)
			return mk_error_set(
				err, MK_ERR_IO,
				"cannot give %s to group %s: %s: the daemon's user must be in group %s: "
				"for the system service, add SupplementaryGroups=%s with `systemctl edit "
				"mailkey` (see " MK_DOCDIR "/postfix.md), or add the user to the group",
				d->socket_path, d->group_name, strerror(e), d->group_name, d->group_name);
		return mk_error_errno(err, MK_ERR_IO, e, "cannot set up %s", d->socket_path);
	}
	d->lfd = fd;
	return 0;
}

static int resolve_group(struct mk_daemon *d, const char *name, bool from_cli, struct mk_error *err)
{
	struct group gr, *grp = NULL;
	char buf[16384];

	if (name == NULL || *name == '\0')
		return 0;
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL)
		return mk_error_set(err, from_cli ? MK_ERR_USAGE : MK_ERR_CONFIG,
				    "allow_group %s: no such group (create it, or name an existing one)",
				    name);
	d->has_group = true;
	d->allow_gid = grp->gr_gid;
	d->group_name = strdup(name);
	return d->group_name != NULL ? 0 : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
}

void mk_d_accept_resume(struct mk_daemon *d)
{
	if (d->accept_resume_ms == 0 || d->lfd < 0 || mk_d_mono_ms() < d->accept_resume_ms)
		return;
	d->accept_resume_ms = 0;
	if (add_fd(d, d->lfd, TAG_LISTEN) != 0) {
		mk_log(MK_LOG_ERROR, "daemon: cannot listen again (%s): retrying", strerror(errno));
		d->accept_resume_ms = mk_d_mono_ms() + MK_D_ACCEPT_PAUSE_MS;
	}
}

static void arm_timer(struct mk_daemon *d)
{
	struct itimerspec its = { 0 };
	int64_t now = mk_d_now();
	int64_t next = mk_sched_earliest(mk_d_tick(d, now), mk_d_children_tick(d, now));

	its.it_value.tv_sec = (time_t)mk_sched_wake(now, next, MK_D_MAX_SLEEP);
	if (its.it_value.tv_sec <= now)
		its.it_value.tv_sec = (time_t)now + 1;
	/* Absolute on the wall clock: a suspend, a SIGSTOP or a clock jump
	 * past the moment makes it fire at once; CANCEL_ON_SET reports jumps
	 * (ECANCELED) so the schedule is made again. */
	if (timerfd_settime(d->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) != 0)
		mk_log(MK_LOG_ERROR, "daemon: cannot arm the timer: %s", strerror(errno));
}

static void on_timer(struct mk_daemon *d)
{
	uint64_t n;

	if (read(d->tfd, &n, sizeof(n)) < 0 && errno == ECANCELED)
		mk_log(MK_LOG_INFO, "daemon: the wall clock changed: scheduling again");
}

static void on_inotify(struct mk_daemon *d)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool queue = false;
	ssize_t n;

	while ((n = read(d->inofd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				mk_d_store_changed_all(d);
				queue = true;
				continue;
			}
			if (ev->wd == d->wd_queue) {
				queue = true;
				continue;
			}
			if (ev->wd == d->wd_accounts && ev->len > 0) {
				size_t l = strlen(ev->name);
				/* NAME.tok; never NAME.tok.tmp.* or NAME.lock */
				if (l > 4 && strcmp(ev->name + l - 4, ".tok") == 0) {
					ev->name[l - 4] = '\0';
					mk_d_store_changed(d, ev->name);
				}
			}
		}
	}
	if (queue)
		mk_d_queue_start(d);
}

/* 1: stop. */
static int on_signal(struct mk_daemon *d)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			sd_notify(0, "RELOADING=1");
			mk_log(MK_LOG_INFO, "daemon: SIGHUP: reloading %s", d->config_path);
			mk_d_reload(d);
			sd_notify(0, "READY=1");
			break;
		case SIGCHLD:
			mk_d_children_reap(d);
			break;
		default: {
			size_t busy = 0;
			for (size_t i = 0; i < d->n; i++)
				busy += d->accts[i]->in_flight;
			mk_log(MK_LOG_INFO, "daemon: %s: stopping (%zu refresh(es) in flight finish first)",
			       si.ssi_signo == SIGTERM	? "SIGTERM"
			       : si.ssi_signo == SIGINT ? "SIGINT"
							: "SIGQUIT",
			       busy);
			stop = 1;
			break;
		}
		}
	}
	return stop;
}

static bool queue_has_mail(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	bool any = false;

	if (dp == NULL)
		return false;
	while (!any && (e = readdir(dp)) != NULL)
		any = e->d_name[0] != '.';
	closedir(dp);
	return any;
}

static void daemon_free(struct mk_daemon *d)
{
	while (d->conns != NULL)
		mk_d_conn_drop(d, d->conns, NULL);
	mk_d_conn_reap(d);
	mk_pool_free(&d->pool);
	mk_d_acct_free_all(d);
	mk_config_free(&d->cfg);
	mk_store_free(&d->store);
	for (int *fd = &d->epfd; fd <= &d->lockfd; fd++)
		if (*fd >= 0)
			close(*fd);
	free(d->config_path);
	free(d->state_dir);
	free(d->cafile);
	free(d->socket_path);
	free(d->lock_path);
	free(d->core_path);
	free(d->acct_dir);
	free(d->queue_new);
	free(d->group_name);
	free(d);
}

/* One daemon per store, whatever its socket: two would both refresh the
 * same grants, and with a provider that rotates refresh tokens and detects
 * reuse the second refresh revokes the grant. The lock is held for the
 * daemon's life and released by the kernel however it ends. */
static int lock_store(struct mk_daemon *d, struct mk_error *err)
{
	char *path = join(d->state_dir, "/daemon.lock");
	int rc = -1;

	if (path == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	d->storelockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->storelockfd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", path);
		goto out;
	}
	if (flock(d->storelockfd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char other[256] = "see " MK_CLIENT_SOCKET_FILE;
		char *rec = join(d->state_dir, "/" MK_CLIENT_SOCKET_FILE);
		int fd = rec != NULL ? open(rec, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;

		/* Name the other daemon's socket, as it recorded it. */
		if (fd >= 0) {
			ssize_t n = read(fd, other, sizeof(other) - 1);
			other[n > 0 ? n : 0] = '\0';
			other[strcspn(other, "\n")] = '\0';
			close(fd);
		}
		free(rec);
		if (e == EWOULDBLOCK)
			mk_error_set(err, MK_ERR_TEMP,
				     "another mailkey daemon already serves the store in %s (socket %s): "
				     "use that one, or stop it first",
				     d->state_dir, other);
		else
			mk_error_errno(err, MK_ERR_IO, e, "cannot lock %s", path);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

static int setup(struct mk_daemon *d, const struct mk_daemon_params *p, struct mk_error *err)
{
	struct mk_broker_params bp = { 0 };
	struct mk_spool *sp = NULL;
	struct rlimit rl;
	sigset_t set;
	const char *sock;

	d->config_path = strdup(p->config_path);
	d->state_dir = strdup(p->state_dir);
	d->cafile = dup_or_null(p->cafile);
	d->core_path = dup_or_null(p->core_path);
	if (d->config_path == NULL || d->state_dir == NULL || (p->cafile != NULL && d->cafile == NULL) ||
	    (p->core_path != NULL && d->core_path == NULL))
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (mk_config_load(d->config_path, NULL, &d->cfg, err) != 0)
		return -1;
	for (size_t i = 0; i < mk_config_account_count(d->cfg); i++) {
		struct mk_account *a = mk_config_account_at(d->cfg, i);
		if (d->cafile != NULL) {
			free(a->cafile);
			if ((a->cafile = strdup(d->cafile)) == NULL)
				return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		}
		mk_log_register_secret(a->client_secret);
	}
	sock = p->socket_path != NULL ? p->socket_path : mk_config_socket(d->cfg);
	d->socket_from_config = p->socket_path == NULL && sock != NULL;
	if (sock == NULL)
		sock = p->default_socket;
	if (sock == NULL || *sock == '\0')
		return mk_error_set(err, MK_ERR_USAGE, "no socket path: give --socket PATH");
	d->socket_path = strdup(sock);
	d->lock_path = join(sock, ".lock");
	d->acct_dir = join(d->state_dir, "/accounts");
	d->queue_new = join(d->state_dir, "/queue/new");
	if (d->socket_path == NULL || d->lock_path == NULL || d->acct_dir == NULL || d->queue_new == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (resolve_group(d, p->allow_group != NULL ? p->allow_group : mk_config_allow_group(d->cfg),
			  p->allow_group != NULL, err) != 0)
		return -1;
	if (mk_store_new(d->state_dir, mk_config_key_command(d->cfg), &d->store, err) != 0)
		return -1;
	/* Made now, so that inotify has something to watch before the first
	 * login or the first queued message. */
	if (mk_fs_mkdir_p(d->acct_dir, 0700, 1, err) != 0)
		return -1;
	if (mk_spool_open(d->state_dir, true, &sp, err) != 0)
		return -1;
	mk_spool_free(&sp);

	/* Every thread inherits this mask (the workers are made later): the
	 * signals come only through the signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM already waits for in-flight refreshes (they are joined at
	 * stop), and the workers must not share sighold's process-wide state. */
	mk_sig_hold_disable();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* A few threads each with its own malloc arena would multiply the
	 * resident size for nothing: they allocate little. */
	mallopt(M_ARENA_MAX, 2);
	json_object_seed(0);

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->epfd < 0 || d->sigfd < 0 || d->tfd < 0 || d->inofd < 0)
		return mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot set up the event loop");
	d->wd_accounts = inotify_add_watch(d->inofd, d->acct_dir,
					   IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM);
	d->wd_queue = inotify_add_watch(d->inofd, d->queue_new, IN_MOVED_TO | IN_CLOSE_WRITE);
	if (d->wd_accounts < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot watch %s", d->acct_dir);
	if (d->wd_queue < 0)
		mk_log(MK_LOG_WARN,
		       "daemon: cannot watch %s (%s): a newly queued message waits for the next start",
		       d->queue_new, strerror(errno));

	if (lock_store(d, err) != 0 || sock_listen(d, err) != 0)
		return -1;
	if (mk_d_accts_load(d, err) != 0)
		return -1;
	bp.config_path = d->config_path;
	bp.state_dir = d->state_dir;
	bp.cafile = d->cafile;
	bp.daemon_mode = true;
	d->nworkers = p->workers > 0 ? p->workers : 4;
	if (mk_pool_new(&bp, d->nworkers, mk_config_key_command(d->cfg) != NULL, &d->pool, err) != 0)
		return -1;
	if (add_fd(d, d->lfd, TAG_LISTEN) != 0 || add_fd(d, d->sigfd, TAG_SIGNAL) != 0 ||
	    add_fd(d, d->tfd, TAG_TIMER) != 0 || add_fd(d, d->inofd, TAG_INOTIFY) != 0 ||
	    add_fd(d, mk_pool_fd(d->pool), TAG_POOL) != 0)
		return mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot set up the event loop");
	return 0;
}

static void loop(struct mk_daemon *d)
{
	struct epoll_event evs[256];

	while (!d->stopping) {
		bool resched = false;
		int n = epoll_wait(d->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])),
				   mk_d_idle_timeout_ms(d));

		if (n < 0 && errno != EINTR) {
			mk_log(MK_LOG_ERROR, "daemon: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case TAG_LISTEN:
				mk_d_accept(d);
				break;
			case TAG_SIGNAL:
				if (on_signal(d))
					d->stopping = true;
				resched = true;
				break;
			case TAG_TIMER:
				on_timer(d);
				resched = true;
				break;
			case TAG_INOTIFY:
				on_inotify(d);
				resched = true;
				break;
			case TAG_POOL:
				mk_d_jobs_done(d);
				resched = true;
				break;
			default:
				if (evs[i].data.u64 < TAG_LAST)
					break;
				/* A connection dropped earlier in this batch is
				 * marked dead, not freed yet (mk_d_conn_reap). */
				mk_d_conn_io(d, evs[i].data.ptr, evs[i].events);
				break;
			}
		}
		mk_d_idle_sweep(d);
		mk_d_conn_reap(d);
		mk_d_accept_resume(d);
		if (resched && !d->stopping)
			arm_timer(d);
	}
}

/* STATE_DIR/daemon.socket names this daemon's socket: clients of this store
 * ask only the daemon recorded there (mk_client_socket_for_state), never a
 * daemon of another store that happens to listen at the default path. A
 * store the daemon cannot write to is still served; its clients then
 * refresh by themselves. */
static void record_socket(struct mk_daemon *d)
{
	struct mk_error e;
	char *path = join(d->state_dir, "/" MK_CLIENT_SOCKET_FILE), *line = join(d->socket_path, "\n");

	mk_error_init(&e);
	if (path == NULL || line == NULL || mk_fs_write_atomic(path, line, strlen(line), 0600, &e) != 0)
		mk_log(MK_LOG_WARN,
		       "daemon: cannot record the socket in the state directory (%s): mailkey commands "
		       "of this store will refresh by themselves",
		       e.msg[0] != '\0' ? e.msg : "out of memory");
	free(path);
	free(line);
}

/* Remove the record if it still names this daemon's socket. */
static void forget_socket(struct mk_daemon *d)
{
	char *path = join(d->state_dir, "/" MK_CLIENT_SOCKET_FILE), *line = join(d->socket_path, "\n");
	char buf[256] = { 0 };
	int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && line != NULL && strcmp(buf, line) == 0)
			unlink(path);
	}
	free(path);
	free(line);
}

int mk_daemon_run(const struct mk_daemon_params *p, struct mk_error *err)
{
	struct mk_daemon *d = calloc(1, sizeof(*d));
	int rc = -1;

	if (d == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	d->epfd = d->lfd = d->sigfd = d->tfd = d->inofd = d->storelockfd = d->lockfd = -1;
	d->started_at = mk_d_now();
	if (setup(d, p, err) != 0) {
		if (d->lfd >= 0)
			unlink(d->socket_path);
		goto out;
	}
	record_socket(d);
	d->on_reload = p->on_reload;
	d->hook_ctx = p->hook_ctx;
	if (p->on_listening != NULL && p->on_listening(p->hook_ctx, d->socket_path, err) != 0) {
		close(d->lfd);
		d->lfd = -1;
		unlink(d->socket_path);
		forget_socket(d);
		mk_pool_stop(d->pool);
		goto out;
	}
	if (d->n == 0)
		mk_log(MK_LOG_WARN,
		       "daemon: %s has no [account NAME] section: nothing to serve until one is added "
		       "(then send SIGHUP)",
		       d->config_path);
	mk_log(MK_LOG_INFO, "daemon: listening on %s (%zu accounts, %u refresh workers, pid %ld)",
	       d->socket_path, d->n, d->nworkers, (long)getpid());
	sd_notify(0, "READY=1");
	arm_timer(d);
	if (queue_has_mail(d->queue_new))
		mk_d_queue_start(d);
	loop(d);

	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	if (p->on_stopping != NULL)
		p->on_stopping(p->hook_ctx);
	/* No new clients; the socket goes first so a restarted daemon can
	 * take it over while this one finishes. */
	close(d->lfd);
	d->lfd = -1;
	unlink(d->socket_path);
	forget_socket(d);
	mk_pool_stop(d->pool);
	mk_d_jobs_done(d); /* waiters of the refreshes just finished get their answers */
	for (size_t i = 0; i < d->n; i++)
		while (d->accts[i]->waiters != NULL) {
			struct dconn *c = d->accts[i]->waiters;
			mk_d_unpark(c);
			mk_d_answer_err(d, c, d->accts[i], 75,
					"the daemon is stopping: try again in a moment");
			c->closing = true;
			mk_d_conn_flush(d, c);
		}
	for (struct dconn *c = d->conns, *next; c != NULL; c = next) {
		next = c->cnext;
		mk_d_conn_flush(d, c);
	}
	mk_d_children_stop(d);
	mk_log(MK_LOG_INFO, "daemon: stopped");
	rc = 0;
out:
	daemon_free(d);
	return rc;
}
