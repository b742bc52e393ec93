#include "sighold.h"

#include <signal.h>
#include <string.h>

static const int held_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_HELD (sizeof(held_sigs) / sizeof(held_sigs[0]))

static bool holding, disabled;
static sigset_t saved_mask;
static struct sigaction saved_act[N_HELD], saved_pipe;
static volatile sig_atomic_t caught[N_HELD];

/* Runs only in a thread that does not block the signal (a library's
 * thread): note it for mk_sig_release. */
static void on_held(int sig)
{
	for (size_t i = 0; i < N_HELD; i++)
		if (held_sigs[i] == sig)
			caught[i] = 1;
}

void mk_sig_hold(void)
{
	struct sigaction sa;
	sigset_t set;

	if (holding || disabled)
		return;
	sigemptyset(&set);
	for (size_t i = 0; i < N_HELD; i++)
		sigaddset(&set, held_sigs[i]);
	/* The handler first, then the mask: a signal at any moment in between
	 * is either caught by on_held or left pending, never acted on. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_held;
	sa.sa_mask = set;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < N_HELD; i++) {
		caught[i] = 0;
		sigaction(held_sigs[i], &sa, &saved_act[i]);
	}
	pthread_sigmask(SIG_BLOCK, &set, &saved_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &saved_pipe);
	holding = true;
}

void mk_sig_release(void)
{
	if (!holding)
		return;
	holding = false;
	sigaction(SIGPIPE, &saved_pipe, NULL);
	for (size_t i = 0; i < N_HELD; i++)
		sigaction(held_sigs[i], &saved_act[i], NULL);
	/* Pending signals are delivered here, to the restored handlers. */
	pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
	for (size_t i = 0; i < N_HELD; i++)
		if (caught[i]) {
			caught[i] = 0;
			raise(held_sigs[i]);
		}
}

void mk_sig_hold_disable(void)
{
	disabled = true;
}

bool mk_sig_held(void)
{
	return holding;
}
