/*
 * coro.c - ucontext coroutines, and a stack switch cprof cannot follow,
 * for t/e2e-coroutines.sh.
 *
 *   coro ucontext N   two coroutines made with makecontext step N times
 *                     each (step_a, step_b: yield in the middle of every
 *                     step) and return through uc_link; the scheduler
 *                     spins 30 ms while both are suspended mid-step. Then
 *                     coroutine a is made anew in the same ucontext_t, on
 *                     another stack, for N / 10 more steps. main then
 *                     calls after(), which spins 20 ms.
 *   coro thread N     the ucontext mode in a thread of its own
 *   coro foreign N    the same first round, switched with the C library's
 *                     swapcontext found past any interposer, as a
 *                     coroutine library in assembly would switch.
 *
 * It prints "done A B" with the steps each coroutine made.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "progs.h"

static ucontext_t sched_ctx, a_ctx, b_ctx;
static int steps, a_done, b_done, a_steps, b_steps;
static int (*swap)(ucontext_t *, const ucontext_t *) = swapcontext;

COUNTED void step_a(void)
{
	spin_ns(1000);
	swap(&a_ctx, &sched_ctx);
	spin_ns(1000);
	a_steps++;
}

COUNTED void step_b(void)
{
	spin_ns(1000);
	swap(&b_ctx, &sched_ctx);
	spin_ns(1000);
	b_steps++;
}

COUNTED void body_a(void)
{
	for (int i = 0; i < steps; i++)
		step_a();
	a_done = 1;
}

COUNTED void body_b(void)
{
	for (int i = 0; i < steps; i++)
		step_b();
	b_done = 1;
}

COUNTED void scheduler(void)
{
	int round = 0;

	while (!a_done || !b_done) {
		if (!a_done)
			swap(&sched_ctx, &a_ctx);
		if (!b_done)
			swap(&sched_ctx, &b_ctx);
		if (++round == 1)
			spin_ns(30 * MS); /* both suspended in a step */
	}
}

COUNTED void after(void)
{
	spin_ns(20 * MS);
}

static NOINSTR void make(ucontext_t *uc, void (*fn)(void), size_t size)
{
	getcontext(uc);
	uc->uc_stack.ss_sp = malloc(size);
	uc->uc_stack.ss_size = size;
	uc->uc_link = &sched_ctx;
	makecontext(uc, fn, 0);
}

static NOINSTR void run(const char *mode, int n)
{
	steps = n;
	make(&a_ctx, body_a, 256 * 1024);
	make(&b_ctx, body_b, 256 * 1024);
	scheduler();
	if (strcmp(mode, "foreign") != 0) {
		/* A new coroutine in a's ucontext, on a new stack. */
		steps = n / 10;
		a_done = 0;
		make(&a_ctx, body_a, 128 * 1024);
		scheduler();
	}
}

static int thread_n;

static NOINSTR void *thread_main(void *arg)
{
	(void)arg;
	run("thread", thread_n);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ucontext";
	int n = argc > 2 ? atoi(argv[2]) : 500;

	if (strcmp(mode, "thread") == 0) {
		pthread_t th;

		thread_n = n;
		if (pthread_create(&th, NULL, thread_main, NULL) != 0 ||
		    pthread_join(th, NULL) != 0)
			return 2;
		after();
		printf("done %d %d\n", a_steps, b_steps);
		return 0;
	}
	if (strcmp(mode, "foreign") == 0) {
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

		swap = libc ? (int (*)(ucontext_t *, const ucontext_t *))dlsym(
				      libc, "swapcontext")
			    : NULL;
		if (!swap)
			return 2;
	} else if (strcmp(mode, "ucontext") != 0) {
		fprintf(stderr, "usage: coro ucontext|thread|foreign N\n");
		return 2;
	}
	run(mode, n);
	after();
	printf("done %d %d\n", a_steps, b_steps);
	return 0;
}
