/*
 * crash.c - programs that die by a signal, for t/e2e-sigkill.sh and
 * t/e2e-crash.sh.
 *
 *   crash MODE
 *
 * calls before_fn() 100 times, then dies in die(MODE):
 *   kill      sleeps 400 ms (long enough for a timed flush), then
 *             SIGKILL to itself: nothing can run after it
 *   segv      writes to a page it may not write (SIGSEGV)
 *   abort     abort() (SIGABRT)
 *   term      raise(SIGTERM)
 *   stack     overflows its stack in overflow(), which recurses
 *   thread    a second thread calls before_fn() 50 times more and writes
 *             to that page while main waits in join_fn()
 *   wait      waits in wait_fn() for a signal to kill it
 *
 * It prints "dying" on stdout (flushed) just before, so a test can tell
 * the program got there. Built with -finstrument-functions.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "progs.h"

/*
 * An inaccessible page rather than a null pointer: a sanitizer would take
 * a store through null for its own error and exit, not fault.
 */
static int *volatile bad_ptr;

COUNTED void before_fn(void)
{
	sink++;
}

COUNTED void segv_fn(void)
{
	*bad_ptr = 1;
}

/*
 * Recurse until the stack runs out; the array keeps each frame large, and
 * the limit, never reached, keeps the compiler from calling it infinite.
 */
COUNTED unsigned long overflow(unsigned long depth)
{
	volatile char pad[256];

	pad[depth % sizeof pad] = (char)depth;
	if (depth == ~0UL)
		return 0;
	return overflow(depth + 1) + pad[depth % sizeof pad];
}

COUNTED void *thread_fn(void *arg)
{
	for (int i = 0; i < 50; i++)
		before_fn();
	segv_fn();
	return arg;
}

COUNTED void join_fn(pthread_t t)
{
	pthread_join(t, NULL);
}

COUNTED void wait_fn(void)
{
	for (;;)
		pause();
}

COUNTED void die(const char *mode)
{
	puts("dying");
	fflush(stdout);
	if (strcmp(mode, "kill") == 0) {
		usleep(400 * 1000);
		kill(getpid(), SIGKILL);
	} else if (strcmp(mode, "segv") == 0) {
		segv_fn();
	} else if (strcmp(mode, "abort") == 0) {
		abort();
	} else if (strcmp(mode, "term") == 0) {
		raise(SIGTERM);
	} else if (strcmp(mode, "stack") == 0) {
		sink += overflow(0);
	} else if (strcmp(mode, "thread") == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_fn, NULL) == 0)
			join_fn(t);
	} else if (strcmp(mode, "wait") == 0) {
		wait_fn();
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: crash kill|segv|abort|term|stack|thread|wait\n",
		      stderr);
		return 2;
	}
	bad_ptr =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_ptr == MAP_FAILED) {
		perror("crash: mmap");
		return 1;
	}
	for (int i = 0; i < 100; i++)
		before_fn();
	die(argv[1]);
	fputs("crash: still alive\n", stderr);
	return 1;
}
