/*
 * fdlimit.c - a server that lowers its own descriptor limit and then uses
 * nearly all of it, for t/e2e-fdlimit.sh.
 *
 *   fdlimit LIMIT THREADS FILES
 *
 * sets RLIMIT_NOFILE to LIMIT, then runs THREADS threads that each hold
 * FILES descriptors open at once (all threads at the same time), calling
 * hold() for each. It prints "failed N" (the opens that failed) and exits
 * 1 when one did: the runtime must leave the program every descriptor it
 * would have without it.
 *
 *   hold   THREADS * FILES
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "progs.h"

static pthread_barrier_t bar;
static int nfiles, failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

COUNTED int hold(void)
{
	return open("/dev/null", O_RDONLY);
}

static void *worker(void *arg)
{
	int fds[64], bad = 0;

	(void)arg;
	for (int i = 0; i < nfiles; i++)
		if ((fds[i] = hold()) < 0)
			bad++;
	pthread_barrier_wait(&bar);
	for (int i = 0; i < nfiles; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_mutex_lock(&mu);
	failed += bad;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int n;

	if (argc != 4)
		return 99;
	struct rlimit rl = {(rlim_t)atol(argv[1]), (rlim_t)atol(argv[1])};
	n = atoi(argv[2]);
	nfiles = atoi(argv[3]);
	if (n < 1 || n > 64 || nfiles < 0 || nfiles > 64)
		return 99;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("setrlimit");
		return 2;
	}
	pthread_barrier_init(&bar, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 3;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("failed %d\n", failed);
	return failed ? 1 : 0;
}
