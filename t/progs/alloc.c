/*
 * alloc.c - allocations with a known profile, for e2e-alloc.sh (--alloc).
 *
 * "basic": make_blocks allocates N blocks of S bytes (called by
 * build_list, which allocates nothing itself); grow reallocates one block
 * through 8 sizes; a second thread frees half of make_blocks' blocks;
 * leaker leaves 3 blocks of 64 bytes at exit; variety calls every other
 * allocation function once. It prints a line and exits 7.
 * "signal": a signal handler allocates and frees, interrupting a
 * function that allocates too (not inside malloc: that would be the
 * program's undefined behaviour). "fork": parent and child allocate in
 * functions of their own. "double": frees a block twice (glibc aborts).
 * "dlsym": looks symbols up and reads dlerror(), which allocate inside the C
 * library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#define N 100
#define S 48

static void *blocks[N];
/* Through a volatile pointer: the compiler may not drop a malloc/free pair. */
static void *volatile held;

COUNTED void make_blocks(void)
{
	for (int i = 0; i < N; i++)
		blocks[i] = malloc(S);
}

COUNTED void build_list(void)
{
	make_blocks();
}

COUNTED void *free_half(void *arg)
{
	(void)arg;
	for (int i = 0; i < N / 2; i++)
		free(blocks[i]);
	return NULL;
}

COUNTED void free_rest(void)
{
	for (int i = N / 2; i < N; i++)
		free(blocks[i]);
}

/* 16, 32, ... 2048: one malloc then 7 reallocs, one free. */
COUNTED size_t grow(void)
{
	char *p = NULL;
	size_t n = 16, got = 0;

	for (int i = 0; i < 8; i++, n *= 2) {
		char *q = realloc(p, n);

		if (q == NULL)
			abort();
		p = q;
		memset(p, i, n);
		got += malloc_usable_size(p) >= n;
	}
	free(p);
	return got;
}

COUNTED void leaker(void)
{
	for (int i = 0; i < 3; i++)
		sink += (unsigned long)malloc(64) != 0;
}

COUNTED int variety(void)
{
	void *p[7] = {0};
	int bad = 0;

	p[0] = calloc(4, 25);
	p[1] = aligned_alloc(64, 128);
	bad |= posix_memalign(&p[2], 256, 100) != 0;
	p[3] = memalign(32, 100);
	p[4] = valloc(100);
	p[5] = reallocarray(NULL, 10, 10);
	p[6] = malloc(0);
	bad |= ((unsigned long)p[1] & 63) != 0;
	bad |= ((unsigned long)p[2] & 255) != 0;
	bad |= ((unsigned long)p[3] & 31) != 0;
	for (int i = 0; i < 7; i++)
		free(p[i]);
	return bad;
}

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	void *volatile p = malloc(32);

	(void)sig;
	free(p);
	ticks++;
}

/* Allocates, then spins without allocating: the handler runs there. */
COUNTED void churn(void)
{
	sigset_t alrm, old;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	for (int i = 0; i < 100; i++) {
		held = malloc(16 + (unsigned)i % 64);
		free(held);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	spin_ns(100000);
}

COUNTED void child_alloc(void)
{
	for (int i = 0; i < 20; i++) {
		held = malloc(100);
		free(held);
	}
}

COUNTED void parent_alloc(void)
{
	for (int i = 0; i < 30; i++) {
		held = malloc(100);
		free(held);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";

	if (strcmp(mode, "basic") == 0) {
		pthread_t th;

		build_list();
		if (pthread_create(&th, NULL, free_half, NULL) != 0)
			return 1;
		pthread_join(th, NULL);
		free_rest();
		if (grow() != 8 || variety() != 0)
			return 2;
		leaker();
		printf("basic done\n");
		return 7;
	}
	if (strcmp(mode, "signal") == 0) {
		struct itimerval it = {{0, 200}, {0, 200}};
		uint64_t end = now_ns() + 200000000;

		signal(SIGALRM, on_alarm);
		setitimer(ITIMER_REAL, &it, NULL);
		while (ticks < 50 && now_ns() < end)
			churn();
		memset(&it, 0, sizeof it);
		setitimer(ITIMER_REAL, &it, NULL);
		printf("signal done\n");
		return 0;
	}
	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			child_alloc();
			_exit(3);
		}
		parent_alloc();
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 3)
			return 1;
		printf("fork done\n");
		return 0;
	}
	if (strcmp(mode, "double") == 0) {
		char *volatile p = malloc(64);

		free(p);
		free(p);
		printf("double free not caught\n");
		return 0;
	}
	if (strcmp(mode, "dlsym") == 0) {
		void *h = dlopen(NULL, RTLD_NOW);

		if (dlsym(h, "no_such_symbol_here") != NULL || !dlerror())
			return 1;
		printf("dlsym done\n");
		return 0;
	}
	return 99;
}
