/*
 * errpeer.c - inetd-style children whose stdout and stderr are their
 * peer, for t/e2e-warnpeer.sh: the peer must receive exactly the bytes
 * the child wrote, even when the runtime has something to say about the
 * child. Each child disables its time stamp counter (PR_SET_TSC), which
 * makes the runtime warn and stop recording it.
 *
 *   errpeer N      N children, one after the other
 *   step           10 in each child (before and after the prctl)
 *
 * Prints "peer K: exact" for each child whose peer got exactly its
 * output ("peer K: got ..." otherwise); exit 0 when all did, 77 when
 * PR_SET_TSC is not available here.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR void child(int k, int fd)
{
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	printf("HELLO %d\n", k);
	fflush(stdout);
	fprintf(stderr, "ERR %d\n", k);
	for (int i = 0; i < 5; i++)
		step();
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
		_exit(77);
	for (int i = 0; i < 5; i++)
		step();
	printf("RESULT %d\n", k);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, bad = 0;

	for (int k = 0; k < n; k++) {
		char got[4096], want[128];
		ssize_t r;
		size_t len = 0;
		int p[2], st;
		pid_t pid;

		fflush(stdout);
		if (pipe(p) != 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			close(p[0]);
			child(k, p[1]);
		}
		close(p[1]);
		while (len < sizeof got - 1 &&
		       (r = read(p[0], got + len, sizeof got - 1 - len)) > 0)
			len += (size_t)r;
		got[len] = '\0';
		close(p[0]);
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			printf("PR_SET_TSC is not available here\n");
			return 77;
		}
		snprintf(want, sizeof want, "HELLO %d\nERR %d\nRESULT %d\n", k,
			 k, k);
		if (strcmp(got, want) == 0 && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0) {
			printf("peer %d: exact\n", k);
		} else {
			printf("peer %d: got %zu bytes, status %d: %s", k, len,
			       st, got);
			bad = 1;
		}
	}
	return bad;
}
