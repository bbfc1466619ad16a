/*
 * offcpu.c - off-CPU time per function (t/e2e-offcpu.sh): sleeper()
 * sleeps 50 ms four times in nanosleep(2) and prints the wall time those
 * calls took, as measured around them; busy() spins 50 ms of CPU time;
 * a second thread waits in mutex_wait() for a mutex main() holds while
 * it sleeps 100 ms, then in cond_wait() on a condition variable main()
 * signals after another 100 ms.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "progs.h"

#define NOINLINE COUNTED

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static atomic_int started;

NOINLINE uint64_t sleeper(void)
{
	struct timespec d = {0, 50000000};
	uint64_t slept = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t t0 = now_ns();

		nanosleep(&d, NULL);
		slept += now_ns() - t0;
	}
	return slept;
}

NOINLINE void busy(void)
{
	spin_cpu_ns(50 * MS);
}

NOINLINE void mutex_wait(void)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
}

NOINLINE void cond_wait(void)
{
	pthread_mutex_lock(&cm);
	while (!ready)
		pthread_cond_wait(&cv, &cm);
	pthread_mutex_unlock(&cm);
}

NOINLINE void *waiter(void *arg)
{
	atomic_store(&started, 1);
	mutex_wait();
	cond_wait();
	return arg;
}

NOINLINE void hold(void)
{
	struct timespec d = {0, 100000000};

	nanosleep(&d, NULL);
}

int main(void)
{
	pthread_t th;
	uint64_t slept = sleeper();

	busy();
	pthread_mutex_lock(&m);
	if (pthread_create(&th, NULL, waiter, NULL) != 0)
		return 1;
	while (!atomic_load(&started))
		;
	hold();
	pthread_mutex_unlock(&m);
	hold();
	pthread_mutex_lock(&cm);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cm);
	pthread_join(th, NULL);
	printf("slept %llu\n", (unsigned long long)slept);
	return 0;
}
