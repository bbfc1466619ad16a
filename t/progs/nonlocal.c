/*
 * nonlocal.c - non-local exits past instrumented frames, and signal
 * handlers on an alternate stack, for t/e2e-nonlocal.sh.
 *
 *   nonlocal MODE N
 *
 * jump     N times: level1 -> level2 -> level3 -> longjmp back to main
 * sigjump  the same with sigsetjmp / siglongjmp (signal mask saved)
 * deep     N times: rec(5) recurses to 0 and longjmps to a setjmp taken
 *          at depth 2, which then returns normally: 6 calls of rec each
 * altjump  N times: level3 raises SIGUSR1, whose handler runs on an
 *          alternate stack, calls in_handler() and siglongjmps to main
 * altret   N times: the same handler returns normally, level3 goes on
 * thread   altret then altjump in a thread whose alternate stack was
 *          mapped before the thread, so it lies above the thread's stack;
 *          the thread then spins 40 ms
 *
 * After the loop main spins 40 ms without any hook (time that belongs to
 * main alone, right after the last jump), then calls after(), which spins
 * 40 ms. It prints "done N". The frames a jump leaves must close at the
 * jump: level1's total is microseconds, not the 80 ms that follow.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "progs.h"

static jmp_buf env;
static sigjmp_buf senv;
static int mode_sig, in_alt_jump;
static volatile int done;

COUNTED void in_handler(void)
{
	sink++;
}

COUNTED void on_sig(int sig)
{
	(void)sig;
	in_handler();
	if (in_alt_jump)
		siglongjmp(senv, 1);
}

COUNTED void level3(int i)
{
	sink += (unsigned long)i;
	if (in_alt_jump >= 0 && mode_sig == 2) {
		raise(SIGUSR1);
		sink++;
		return;
	}
	if (mode_sig)
		siglongjmp(senv, 1);
	longjmp(env, 1);
}

COUNTED void level2(int i)
{
	level3(i);
	sink++;
}

COUNTED void level1(int i)
{
	level2(i);
	sink++;
}

COUNTED void rec(int n)
{
	if (n == 2) {
		if (setjmp(env) == 0)
			rec(n - 1);
		sink++;
		return;
	}
	if (n == 0)
		longjmp(env, 1);
	rec(n - 1);
	sink++;
}

COUNTED void after(void)
{
	spin_ns(40 * MS);
}

static NOINSTR void on_alt_stack(void *mem, size_t size)
{
	stack_t ss = {.ss_sp = mem, .ss_size = size};
	struct sigaction sa;

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* N signals whose handler returns, then N whose handler jumps out. */
static NOINSTR void alt_rounds(int n, int ret, int jump)
{
	mode_sig = 2;
	in_alt_jump = 0;
	for (int i = 0; i < ret; i++)
		level1(i);
	in_alt_jump = 1;
	for (int i = 0; i < jump; i++) {
		if (sigsetjmp(senv, 1) == 0)
			level1(i);
		else
			done++;
	}
	(void)n;
}

static void *altstack;

static NOINSTR void *thread_main(void *arg)
{
	int n = *(int *)arg;

	on_alt_stack(altstack, 256 * 1024);
	alt_rounds(n, n, n);
	printf("alternate stack %s the thread's stack\n",
	       (char *)altstack > (char *)&n ? "above" : "below");
	spin_ns(40 * MS);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "jump";
	int n = argc > 2 ? atoi(argv[2]) : 1000;

	if (strcmp(mode, "jump") == 0 || strcmp(mode, "sigjump") == 0) {
		mode_sig = strcmp(mode, "sigjump") == 0;
		for (int i = 0; i < n; i++) {
			if (mode_sig ? sigsetjmp(senv, 1) == 0
				     : setjmp(env) == 0)
				level1(i);
			else
				done++;
		}
	} else if (strcmp(mode, "deep") == 0) {
		for (int i = 0; i < n; i++) {
			rec(5);
			done++;
		}
	} else if (strcmp(mode, "altjump") == 0 ||
		   strcmp(mode, "altret") == 0) {
		size_t size = 256 * 1024;

		on_alt_stack(malloc(size), size);
		if (strcmp(mode, "altjump") == 0) {
			alt_rounds(n, 0, n);
		} else {
			alt_rounds(n, n, 0);
			done = n;
		}
	} else if (strcmp(mode, "thread") == 0) {
		pthread_t th;

		altstack = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (altstack == MAP_FAILED ||
		    pthread_create(&th, NULL, thread_main, &n) != 0 ||
		    pthread_join(th, NULL) != 0)
			return 2;
		done = n;
	} else {
		fprintf(stderr, "usage: nonlocal MODE N\n");
		return 2;
	}
	spin_ns(40 * MS);
	after();
	printf("done %d\n", done);
	return 0;
}
