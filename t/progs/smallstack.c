/*
 * smallstack.c - exec from a thread with a small stack, for
 * t/e2e-smallstack.sh: the exec wrappers carry the runtime's variables
 * into the environment the program passes, and must not need much of the
 * caller's stack for that, whatever the size of that environment.
 *
 *   smallstack N SIZE   a thread with a stack of SIZE bytes execve()s this
 *                       program in child mode with an environment of N
 *                       entries of its own (nothing of the runtime's)
 *   smallstack child    step 100 times, print "child", exit 0
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static char **envp;
static char self[4096];

static NOINSTR void *thread(void *arg)
{
	char *argv[] = {"smallstack", "child", NULL};

	(void)arg;
	execve(self, argv, envp);
	perror("execve");
	exit(9);
}

int NOINSTR main(int argc, char **argv)
{
	pthread_attr_t at;
	pthread_t th;
	ssize_t len;
	int n;

	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		for (int i = 0; i < 100; i++)
			step();
		printf("child\n");
		return 0;
	}
	if (argc < 3)
		return 2;
	n = atoi(argv[1]);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 2;
	self[len] = '\0';
	envp = calloc((size_t)n + 1, sizeof(*envp));
	for (int i = 0; envp && i < n; i++) {
		envp[i] = malloc(32);
		if (!envp[i])
			return 2;
		snprintf(envp[i], 32, "V%d=x", i);
	}
	if (!envp || pthread_attr_init(&at) != 0 ||
	    pthread_attr_setstacksize(&at, (size_t)atol(argv[2])) != 0 ||
	    pthread_create(&th, &at, thread, NULL) != 0)
		return 2;
	pthread_join(th, NULL);
	return 1;
}
