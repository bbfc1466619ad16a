/*
 * sigstate.c - what a program sees of its signals, for t/e2e-signals.sh.
 * The runtime catches the fatal signals the program leaves at their
 * default action; none of that may be visible to the program.
 *
 *   sigstate query     prints every signal's action, the mask and the
 *                      alternate stack as the program queries them, in
 *                      the main thread and in a new one, then changes
 *                      actions in every way the C library offers (signal,
 *                      sigaction, sigset, sigignore, siginterrupt, SIG_DFL
 *                      back) and prints what each call returned and what
 *                      a query says after it: the output must be the same
 *                      with and without cprof
 *   sigstate onstack   a handler installed with SA_ONSTACK by a program
 *                      that never set an alternate stack uses 256 KiB of
 *                      stack, in the main thread and in another; prints
 *                      "onstack ok" and exits 0
 *   sigstate signal SIG      chains with signal(): the handler calls what
 *                      signal() returned, or restores SIG_DFL and raises
 *                      again when that was SIG_DFL (the usual pattern)
 *   sigstate sigaction SIG   the same with the oldact of sigaction()
 *   sigstate fault     a SIGSEGV handler that puts back the oldact and
 *                      returns, so that the fault happens again
 *   sigstate fork      a fork() child chains with signal() on SIGTERM
 *                      and dies by it; the parent prints the child's
 *                      signal and what it sees of SIGTERM, and exits 0
 *   sigstate own SIG   the program's own SA_SIGINFO handler for SIG runs
 *                      once, with the mask it asked for, and the program
 *                      goes on: prints what the handler saw, exits 0
 *
 * The chaining modes call chain_fn() 10 times, print "raising" and raise
 * SIG; they must die by it. Built with -finstrument-functions, also as
 * strict C99 with X/Open (where signal() is the C library's
 * __sysv_signal), so it keeps to the X/Open interfaces.
 */
#ifndef _XOPEN_SOURCE
#define _GNU_SOURCE /* signal() is then the C library's BSD signal() */
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

/* Strict X/Open names neither; the signals every Linux has will do. */
#ifndef NSIG
#define NSIG 65
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS 0x20
#endif

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void (*volatile old_handler)(int);
static struct sigaction old_action;

/* One line for SIG's action as sigaction() reports it. */
static NOINSTR void show(const char *what, int sig)
{
	struct sigaction sa;
	unsigned long mask = 0;

	memset(&sa, 0, sizeof sa);
	if (sigaction(sig, NULL, &sa) != 0) {
		printf("%s %d: error\n", what, sig);
		return;
	}
	for (int i = 1; i < 64 && i < NSIG; i++)
		if (sigismember(&sa.sa_mask, i) == 1)
			mask |= 1UL << i;
	printf("%s %d: %s flags %#lx mask %#lx\n", what, sig,
	       (sa.sa_flags & SA_SIGINFO) ? "action"
	       : sa.sa_handler == SIG_DFL ? "default"
	       : sa.sa_handler == SIG_IGN ? "ignore"
					  : "handler",
	       (unsigned long)sa.sa_flags, mask);
}

static NOINSTR const char *name_of(void (*h)(int))
{
	return h == SIG_DFL    ? "SIG_DFL"
	       : h == SIG_IGN  ? "SIG_IGN"
	       : h == SIG_ERR  ? "SIG_ERR"
	       : h == SIG_HOLD ? "SIG_HOLD"
			       : "a handler";
}

static NOINSTR void show_thread(const char *who)
{
	sigset_t m;
	stack_t ss;
	unsigned long mask = 0;

	pthread_sigmask(SIG_SETMASK, NULL, &m);
	for (int i = 1; i < 64 && i < NSIG; i++)
		if (sigismember(&m, i) == 1)
			mask |= 1UL << i;
	memset(&ss, 0, sizeof ss);
	sigaltstack(NULL, &ss);
	printf("%s: blocked %#lx altstack %s\n", who, mask,
	       (ss.ss_flags & SS_DISABLE) ? "disabled" : "enabled");
}

static NOINSTR void *thread_query(void *arg)
{
	show_thread("thread");
	for (int sig = 1; sig < 32; sig++)
		show("thread", sig);
	return arg;
}

static NOINSTR void noop(int sig)
{
	(void)sig;
}

static int query(void)
{
	pthread_t th;
	void (*h)(int);
	struct sigaction sa, old;

	show_thread("main");
	for (int sig = 1; sig < NSIG; sig++)
		show("start", sig);
	if (pthread_create(&th, NULL, thread_query, NULL) != 0 ||
	    pthread_join(th, NULL) != 0)
		return 1;

	for (int sig = 1; sig < 32; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* signal(): the former action, then a query of the new one. */
		h = signal(sig, noop);
		printf("signal %d returned %s\n", sig, name_of(h));
		show("after signal", sig);
		h = signal(sig, h);
		printf("signal back %d returned %s\n", sig, name_of(h));
		show("after signal back", sig);

		/* sigaction() with flags and a mask, and oldact. */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = noop;
		sa.sa_flags = SA_RESTART | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGCHLD);
		memset(&old, 0, sizeof old);
		sigaction(sig, &sa, &old);
		printf("sigaction %d old %s flags %#lx\n", sig,
		       name_of(old.sa_handler), (unsigned long)old.sa_flags);
		show("after sigaction", sig);
		/* The same struct as act and oldact. */
		sa = old;
		struct sigaction *volatile both = &sa;
		sigaction(sig, both, both);
		printf("sigaction back %d old %s\n", sig,
		       name_of(sa.sa_handler));
		show("after sigaction back", sig);

		/* SIG_DFL set explicitly, with flags. */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = SA_RESTART;
		sigaction(sig, &sa, NULL);
		show("after SIG_DFL", sig);

		/* X/Open's sigset, sighold, sigrelse, siginterrupt. */
		h = sigset(sig, SIG_HOLD);
		printf("sigset hold %d returned %s\n", sig, name_of(h));
		h = sigset(sig, SIG_DFL);
		printf("sigset dfl %d returned %s\n", sig, name_of(h));
		show("after sigset", sig);
		siginterrupt(sig, 1);
		show("after siginterrupt 1", sig);
		siginterrupt(sig, 0);
		show("after siginterrupt 0", sig);
		sigignore(sig);
		show("after sigignore", sig);
		h = signal(sig, SIG_DFL);
		printf("signal dfl %d returned %s\n", sig, name_of(h));
		show("end", sig);
	}
	show_thread("main at end");
	return 0;
}

/* A handler with a 256 KiB frame, as a report formatter might have. */
static volatile int handled;

static COUNTED void big_frame(void)
{
	volatile char buf[256 * 1024];

	memset((char *)buf, 1, sizeof buf);
	sink += buf[sizeof buf / 2];
}

static void on_usr1(int sig)
{
	(void)sig;
	big_frame();
	handled++;
}

static NOINSTR void *thread_onstack(void *arg)
{
	stack_t ss;

	raise(SIGUSR1);
	sigaltstack(NULL, &ss);
	if (!(ss.ss_flags & SS_DISABLE))
		printf("thread: an alternate stack appeared\n");
	return arg;
}

static int onstack(void)
{
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t th;
	stack_t ss;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	if (pthread_create(&th, &attr, thread_onstack, NULL) != 0 ||
	    pthread_join(th, NULL) != 0)
		return 1;
	sigaltstack(NULL, &ss);
	if (!(ss.ss_flags & SS_DISABLE))
		printf("main: an alternate stack appeared\n");
	printf(handled == 2 ? "onstack ok\n" : "onstack: %d handled\n",
	       handled);
	return 0;
}

static COUNTED void chain_fn(void)
{
	sink++;
}

static void chain_signal(int sig)
{
	if (old_handler == SIG_DFL) {
		signal(sig, SIG_DFL);
		raise(sig);
	} else if (old_handler != SIG_IGN) {
		old_handler(sig);
	}
}

static void chain_sigaction(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	sigaction(sig, &old_action, NULL);
	raise(sig);
}

static int *volatile bad_ptr;

static void chain_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	sigaction(sig, &old_action, NULL);
}

static volatile sig_atomic_t own_calls, own_signo, own_masked;

static void own_action(int sig, siginfo_t *si, void *uc)
{
	sigset_t m;

	(void)uc;
	own_calls++;
	own_signo = si->si_signo == sig;
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	/* sa_mask had SIGCHLD; SA_NODEFER was not asked: SIG is blocked. */
	own_masked = sigismember(&m, SIGCHLD) == 1 && sigismember(&m, sig) == 1;
}

static int chain(const char *mode, int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (strcmp(mode, "signal") == 0) {
		old_handler = signal(sig, chain_signal);
	} else if (strcmp(mode, "sigaction") == 0) {
		sa.sa_sigaction = chain_sigaction;
		sa.sa_flags = SA_SIGINFO;
		sigaction(sig, &sa, &old_action);
	} else if (strcmp(mode, "fault") == 0) {
		sig = SIGSEGV;
		sa.sa_sigaction = chain_fault;
		sa.sa_flags = SA_SIGINFO;
		sigaction(sig, &sa, &old_action);
		bad_ptr = mmap(NULL, 4096, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else if (strcmp(mode, "own") == 0) {
		sa.sa_sigaction = own_action;
		sa.sa_flags = SA_SIGINFO;
		sigaddset(&sa.sa_mask, SIGCHLD);
		sigaction(sig, &sa, NULL);
	} else {
		return 2;
	}
	for (int i = 0; i < 10; i++)
		chain_fn();
	printf("raising\n");
	fflush(stdout);
	if (sig == SIGSEGV && bad_ptr)
		*bad_ptr = 1;
	else
		raise(sig);
	show_thread("after");
	printf("own: calls %d signo %d masked %d\n", (int)own_calls,
	       (int)own_signo, (int)own_masked);
	return 0;
}

static int forked(void)
{
	int ws = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(chain("signal", SIGTERM));
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return 1;
	printf("child: signal %d\n", WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	show("parent", SIGTERM);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "query") == 0)
		return query();
	if (argc == 2 && strcmp(argv[1], "onstack") == 0)
		return onstack();
	if (argc == 2 && strcmp(argv[1], "fork") == 0)
		return forked();
	if (argc == 2 && strcmp(argv[1], "fault") == 0)
		return chain("fault", SIGSEGV);
	if (argc == 3)
		return chain(argv[1], atoi(argv[2]));
	fprintf(stderr, "usage: sigstate query|onstack|fault|fork|MODE SIG\n");
	return 2;
}
