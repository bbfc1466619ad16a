/*
 * rawclone.c - processes and threads made without the C library's fork()
 * and pthread_create(), for t/e2e-rawclone.sh: the runtime's fork
 * handlers never run in them, and they copy (clone) or share (CLONE_VM)
 * the creating thread's ring.
 *
 *   rawclone fork N     syscall(SYS_fork); the child makes N calls
 *   rawclone vm N       clone(CLONE_VM) on a stack of its own; the child
 *                       makes N calls while the parent waits for it
 *
 * The parent makes N calls too, waits for the child and prints
 * "child S" with its exit status; it exits 0.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

static long n;

__attribute__((noinline)) static void work(void)
{
	sink++;
}

static void calls(void)
{
	for (long i = 0; i < n; i++)
		work();
}

static int child_main(void *arg)
{
	(void)arg;
	calls();
	return 0;
}

int main(int argc, char **argv)
{
	int status = -1;
	pid_t pid;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	if (strcmp(argv[1], "fork") == 0) {
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0) {
			calls();
			syscall(SYS_exit_group, 0);
		}
	} else {
		size_t size = 1 << 20;
		char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (stack == MAP_FAILED)
			return 1;
		pid = clone(child_main, stack + size, CLONE_VM | SIGCHLD, NULL);
	}
	if (pid < 0)
		return 1;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	calls();
	printf("child %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
