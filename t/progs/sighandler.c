/*
 * sighandler.c - an instrumented signal handler interrupting instrumented
 * code, for t/e2e-sighandler.sh.
 *
 *   sighandler [CALLS]
 *
 * calls work_fn() CALLS times (default 3000000) while a timer raises
 * SIGALRM every 20 us; the handler on_alarm() calls handler_fn() once and
 * counts itself. It prints "signals: N" with the handler's own count. A
 * profiler whose per-thread buffer is not safe against a signal arriving
 * in the middle of recording an event loses or garbles the handler's
 * events, or the ones they interrupted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "progs.h"

static volatile sig_atomic_t handled;

COUNTED void handler_fn(void)
{
	sink++;
}

COUNTED void on_alarm(int sig)
{
	(void)sig;
	handler_fn();
	handled++;
}

COUNTED void work_fn(void)
{
	sink++;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 3000000;
	struct itimerval it = {{0, 20}, {0, 20}};
	struct itimerval off = {{0, 0}, {0, 0}};
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0 ||
	    setitimer(ITIMER_REAL, &it, NULL) != 0) {
		perror("sighandler");
		return 1;
	}
	for (long i = 0; i < calls; i++)
		work_fn();
	/* No signal after the count is taken. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("signals: %ld\n", (long)handled);
	return 0;
}
