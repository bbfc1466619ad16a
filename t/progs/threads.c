/*
 * threads.c - threads that end, threads nobody joins and threads still
 * blocked when main returns, for t/e2e-threads.sh.
 *
 *   threads            4 joined workers call joined_fn() 1000 times each;
 *                      2 detached threads call detached_fn() 500 times
 *                      each; 2 pool workers call pool_fn() 300 times each
 *                      and then block for ever in pool_block(); main waits
 *                      until all of that is done, calls main_fn() 10 times
 *                      and returns with the pool workers still blocked.
 *   threads stress N C N threads call joined_fn() C times each, all at
 *                      once, enough to fill their buffers many times over.
 *
 * Built with -finstrument-functions; the thread functions (joined,
 * detached, pool) are counted too.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progs.h"

static sem_t detached_done, pool_ready;
static pthread_mutex_t never_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;
static long stress_calls;

COUNTED void joined_fn(void)
{
	sink++;
}

COUNTED void detached_fn(void)
{
	sink++;
}

COUNTED void pool_fn(void)
{
	sink++;
}

COUNTED void main_fn(void)
{
	sink++;
}

/* Say the worker is ready from inside the function it never leaves. */
COUNTED void pool_block(void)
{
	pthread_mutex_lock(&never_mutex);
	sem_post(&pool_ready);
	for (;;)
		pthread_cond_wait(&never_cond, &never_mutex);
}

COUNTED void *joined(void *arg)
{
	long n = arg ? *(long *)arg : 1000;

	for (long i = 0; i < n; i++)
		joined_fn();
	return NULL;
}

COUNTED void *detached(void *arg)
{
	for (int i = 0; i < 500; i++)
		detached_fn();
	sem_post(&detached_done);
	return arg;
}

COUNTED void *pool(void *arg)
{
	for (int i = 0; i < 300; i++)
		pool_fn();
	pool_block();
	return arg;
}

static NOINSTR void start(void *(*fn)(void *), void *arg, pthread_t *tid)
{
	pthread_t t;
	int err = pthread_create(tid ? tid : &t, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
		exit(1);
	}
	if (!tid)
		pthread_detach(t);
}

static NOINSTR int stress(int n, long c)
{
	pthread_t *tids = calloc((size_t)n, sizeof *tids);

	if (!tids)
		return 1;
	stress_calls = c;
	for (int i = 0; i < n; i++)
		start(joined, &stress_calls, &tids[i]);
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t workers[4];

	if (argc == 4 && strcmp(argv[1], "stress") == 0)
		return stress(atoi(argv[2]), atol(argv[3]));
	sem_init(&detached_done, 0, 0);
	sem_init(&pool_ready, 0, 0);
	for (int i = 0; i < 4; i++)
		start(joined, NULL, &workers[i]);
	for (int i = 0; i < 2; i++)
		start(detached, NULL, NULL);
	for (int i = 0; i < 2; i++)
		start(pool, NULL, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(workers[i], NULL);
	for (int i = 0; i < 2; i++) {
		sem_wait(&detached_done);
		sem_wait(&pool_ready);
	}
	for (int i = 0; i < 10; i++)
		main_fn();
	return 0;
}
