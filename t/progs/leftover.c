/*
 * leftover.c - a process left running after the cprof command returned
 * and removed its run directory (a daemon under `cprof stat`), for
 * t/e2e-leftover.sh. It goes to the background at once (its parent
 * exits), waits until the run directory (CPROF_DIR) is gone, then steps,
 * forks a child that steps and execs `true` (a new process whose runtime
 * finds no run directory), waits for it, and reports into the file
 * OUT: "log closed" once it holds no deleted file open (the runtime's log
 * of a removed directory), else "log still open"; then "done".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR void steps(int n)
{
	for (int i = 0; i < n; i++)
		step();
}

/* Whether a descriptor of the process names a deleted file. */
static NOINSTR int holds_deleted(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], target[4096];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, " (deleted)"))
			found = 1;
	}
	closedir(d);
	return found;
}

int NOINSTR main(int argc, char **argv)
{
	const char *dir = getenv("CPROF_DIR");
	struct stat st;
	FILE *out;
	pid_t pid;
	int i, held = 1;

	if (argc < 2 || !dir)
		return 2;
	if (fork() != 0)
		return 0;
	/* Bounded waits: 20 s at most, however loaded the machine. */
	for (i = 0; i < 20000 && stat(dir, &st) == 0; i++)
		usleep(1000);
	steps(100);
	pid = fork();
	if (pid == 0) {
		steps(100);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (i = 0; i < 20000 && (held = holds_deleted()); i++) {
		steps(1);
		usleep(1000);
	}
	out = fopen(argv[1], "w");
	if (!out)
		return 2;
	fprintf(out, "%s\ndone\n", held ? "log still open" : "log closed");
	fclose(out);
	return 0;
}
