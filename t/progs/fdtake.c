/*
 * fdtake.c - a program that takes every descriptor number the runtime
 * uses, for t/e2e-fdtake.sh: with a limit of 64 it closes every number
 * from 3 up (the runtime's log, counters and files go with them), puts
 * one end of a pipe of its own on every number of the top quarter, where
 * the runtime keeps its descriptors, and then forks. The child's runtime
 * starts there from the parent's state: it must neither close nor write
 * any of those numbers. The child checks that each is still the pipe,
 * steps, checks again and leaves by _exit (the runtime's end); the parent
 * then checks that nothing came down the pipe and that its own numbers are
 * still the pipe after a thread of its own started and ended.
 *
 *   step   100 in the parent, 100 in the child
 *
 * Prints "child ok", "parent ok" (or what went wrong); exit 0 when all
 * held.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#define LIMIT 64
#define FLOOR (LIMIT - LIMIT / 4)

COUNTED void step(void)
{
	sink++;
}

static NOINSTR void steps(int n)
{
	for (int i = 0; i < n; i++)
		step();
}

static ino_t pipe_ino;

/* The numbers from FLOOR up that are not the pipe any more. */
static NOINSTR int taken_back(void)
{
	int bad = 0;

	for (int fd = FLOOR; fd < LIMIT; fd++) {
		struct stat st;

		if (fstat(fd, &st) != 0 || st.st_ino != pipe_ino)
			bad++;
	}
	return bad;
}

static NOINSTR void *thread(void *arg)
{
	(void)arg;
	steps(10);
	return NULL;
}

int NOINSTR main(void)
{
	struct rlimit rl = {LIMIT, LIMIT};
	int p[2], st = 0, bad;
	struct stat s;
	pthread_t th;
	pid_t pid;
	char c;

	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 2;
	for (int fd = 3; fd < LIMIT; fd++)
		close(fd);
	if (pipe2(p, O_NONBLOCK) != 0 || fstat(p[1], &s) != 0)
		return 2;
	pipe_ino = s.st_ino;
	for (int fd = FLOOR; fd < LIMIT; fd++)
		if (dup2(p[1], fd) != fd)
			return 2;
	steps(100);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		bad = taken_back();
		steps(100);
		bad += taken_back();
		printf(bad ? "child: %d numbers taken\n" : "child ok\n", bad);
		fflush(stdout);
		_exit(bad ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 2;
	if (pthread_create(&th, NULL, thread, NULL) != 0 ||
	    pthread_join(th, NULL) != 0)
		return 2;
	bad = taken_back();
	if (read(p[0], &c, 1) == 1)
		printf("parent: bytes in the pipe\n");
	else if (bad)
		printf("parent: %d numbers taken\n", bad);
	else
		printf("parent ok\n");
	return st == 0 && !bad ? 0 : 1;
}
