/*
 * hidden.c - fork children that cannot record, for t/e2e-unrecorded.sh:
 * after chroot() into an empty directory the run directory is out of
 * their reach, they leave no log, and only their parent can tell the
 * report they ran.
 *
 *   hidden JAIL    JAIL an empty directory (as a user without root, in a
 *                  new user namespace of its own)
 *   step           100 in main; 100 in a child forked before the chroot
 *                  (recorded) and 100 in one forked after it (not)
 *
 * Prints "before PID", "hidden PID" (the two children) and "done"; exit
 * 0, or 77 when chroot() is not allowed here.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR pid_t child(const char *what)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			step();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		exit(1);
	printf("%s %d\n", what, (int)pid);
	return pid;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	for (int i = 0; i < 100; i++)
		step();
	child("before");
	if (geteuid() != 0 && unshare(CLONE_NEWUSER) != 0) {
		printf("no user namespace for chroot\n");
		return 77;
	}
	if (chroot(argv[1]) != 0 || chdir("/") != 0) {
		printf("chroot not allowed here\n");
		return 77;
	}
	child("hidden");
	printf("done\n");
	return 0;
}
