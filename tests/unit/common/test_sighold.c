/* Deferred signals: held ones act only at release, and then as they would
 * have (a default action still ends the process). Each case runs in a child
 * that reports only through its exit status or death (no cmocka there). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "common/sighold.h"

static volatile sig_atomic_t got;
static void on_sig(int sig)
{
	got = sig;
}

/* Run fn in a child; its wait status. */
static int in_child(void (*fn)(void))
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* Held: the process survives the signals until release, then dies of one. */
static void held_then_default(void)
{
	mk_sig_hold();
	kill(getpid(), SIGTERM);
	kill(getpid(), SIGINT);
	if (!mk_sig_held())
		_exit(2);
	mk_sig_release();
	_exit(3); /* not reached: SIGINT or SIGTERM ends the process */
}

static void test_held_signal_acts_at_release(void **state)
{
	int st;

	(void)state;
	st = in_child(held_then_default);
	assert_true(WIFSIGNALED(st));
	assert_true(WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGINT);
}

/* A signal sent before release is not acted on before it: the child's
 * handler sees it only after release returns. */
static void handler_after_release(void)
{
	signal(SIGHUP, on_sig);
	mk_sig_hold();
	kill(getpid(), SIGHUP);
	if (got != 0)
		_exit(4);
	mk_sig_release();
	_exit(got == SIGHUP && !mk_sig_held() ? 0 : 5);
}

static void test_previous_handler_gets_it_later(void **state)
{
	int st;

	(void)state;
	st = in_child(handler_after_release);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A thread that does not block the signals (a library's) gets a
 * process-directed one: it must wait for release like the others. */
static void *unblocked_sender(void *arg)
{
	sigset_t none;

	(void)arg;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	kill(getpid(), SIGQUIT); /* only this thread can take it */
	return NULL;
}

static void other_thread(void)
{
	pthread_t t;

	signal(SIGQUIT, on_sig);
	mk_sig_hold();
	if (pthread_create(&t, NULL, unblocked_sender, NULL) != 0)
		_exit(6);
	pthread_join(t, NULL);
	if (got != 0)
		_exit(7); /* acted on while held */
	mk_sig_release();
	_exit(got == SIGQUIT ? 0 : 8);
}

static void test_other_thread_survives(void **state)
{
	int st;

	(void)state;
	st = in_child(other_thread);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* SIGPIPE while held: a write to a closed pipe fails with EPIPE. */
static void pipe_closed(void)
{
	int p[2];

	if (pipe(p) != 0)
		_exit(9);
	close(p[0]);
	mk_sig_hold();
	if (write(p[1], "x", 1) != -1)
		_exit(10);
	mk_sig_release();
	_exit(0);
}

static void test_sigpipe_ignored_while_held(void **state)
{
	int st;

	(void)state;
	st = in_child(pipe_closed);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_signal_acts_at_release),
		cmocka_unit_test(test_previous_handler_gets_it_later),
		cmocka_unit_test(test_other_thread_survives),
		cmocka_unit_test(test_sigpipe_ignored_while_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
