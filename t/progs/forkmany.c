/*
 * forkmany.c - fork children of a process that records nothing itself
 * (a shell), for t/e2e-forkcost.sh. Such a child starts no writer thread
 * of the runtime until it makes a thread of its own: a thread must get a
 * processor to start and again to die, and the child could not be reaped
 * before that.
 *
 *   forkmany tasks N      N children, each counts its threads and leaves
 *                         by _exit; prints how many saw more than one
 *   forkmany steps N K    N children, each steps K times and exits
 *   forkmany thread N     N children, each steps 100 times in a thread of
 *                         its own and 100 times itself, and exits
 *
 * The parent (main, uninstrumented) records nothing; exit 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR void steps(long n)
{
	for (long i = 0; i < n; i++)
		step();
}

static NOINSTR int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static NOINSTR void *thread(void *arg)
{
	(void)arg;
	steps(100);
	return NULL;
}

int NOINSTR main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0, more = 0;
	long k = argc > 3 ? atol(argv[3]) : 0;

	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (strcmp(mode, "tasks") == 0)
				_exit(tasks() > 1);
			if (strcmp(mode, "thread") == 0) {
				pthread_t th;

				if (pthread_create(&th, NULL, thread, NULL) ||
				    pthread_join(th, NULL))
					exit(2);
				k = 100;
			}
			steps(k);
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) > 1)
			return 1;
		more += WEXITSTATUS(st);
	}
	if (strcmp(mode, "tasks") == 0)
		printf("%d with more than one thread\n", more);
	return 0;
}
