/*
 * fork.c - processes that start processes, for t/e2e-fork.sh.
 *
 *   fork fork     common() 5 times, then spawn() forks: the child calls
 *                 child_fn() 300 times and exits, the parent waits for it
 *                 and calls parent_fn() 200 times.
 *   fork exec     the same, but the child execs this program again as
 *                 "fork exec-child", which calls exec_fn() 7 times.
 *   fork vfork    the same as exec, with vfork() instead of fork().
 *   fork spawn    the same as exec, with posix_spawn().
 *   fork system   the same as exec, through system() and /bin/sh.
 *
 * Built with -finstrument-functions. The parent exits with 1 when its
 * child did not exit with 0, so a broken child fails the test too.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

extern char **environ;

static const char *self = "/proc/self/exe";

COUNTED void common(void)
{
	sink++;
}

COUNTED void child_fn(void)
{
	sink++;
}

COUNTED void parent_fn(void)
{
	sink++;
}

COUNTED void exec_fn(void)
{
	sink++;
}

/* Run this program again as "fork exec-child", by MODE; its pid or -1. */
COUNTED pid_t spawn(const char *mode)
{
	char *args[] = {"fork", "exec-child", NULL};
	pid_t pid;

	if (strcmp(mode, "fork") == 0) {
		pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 300; i++)
				child_fn();
			exit(0);
		}
		return pid;
	}
	if (strcmp(mode, "exec") == 0) {
		pid = fork();
		if (pid == 0) {
			execv(self, args);
			_exit(126);
		}
		return pid;
	}
	if (strcmp(mode, "vfork") == 0) {
		pid = vfork();
		if (pid == 0) {
			execv(self, args);
			_exit(126);
		}
		return pid;
	}
	if (strcmp(mode, "spawn") == 0) {
		int err = posix_spawn(&pid, self, NULL, NULL, args, environ);

		return err ? -1 : pid;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc != 2) {
		fputs("usage: fork fork|exec|vfork|spawn|system\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "exec-child") == 0) {
		for (int i = 0; i < 7; i++)
			exec_fn();
		return 0;
	}
	for (int i = 0; i < 5; i++)
		common();
	if (strcmp(argv[1], "system") == 0) {
		char cmd[4200];

		snprintf(cmd, sizeof cmd, "exec '%s' exec-child",
			 realpath(self, cmd + 2048) ? cmd + 2048 : self);
		status = system(cmd);
	} else {
		pid = spawn(argv[1]);
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
	}
	for (int i = 0; i < 200; i++)
		parent_fn();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fork: the child failed (status %#x)\n",
			status);
		return 1;
	}
	return 0;
}
