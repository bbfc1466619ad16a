/*
 * procs.c - which processes of a run are still alive.
 *
 * A process of a run holds its log open for as long as it lives (the
 * runtime closes it on exec, and the exec'd image opens its own), so a
 * log that a live process holds open belongs to a process still running.
 * That is exact where a pid is not: a pid can be reused, a descriptor to
 * the log's very inode cannot be held by a process outside the run.
 * A process that has not opened its log yet (a daemon's child a moment
 * after its parent ended) is found by its environment instead.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cp_log_holder(const char *path)
{
	const char *base = strrchr(path, '/');
	char fddir[64];
	struct stat log, sb;
	struct dirent *de;
	int pid = 0, found = 0;
	DIR *d;

	base = base != NULL ? base + 1 : path;
	if (!cp_log_name(base, &pid, NULL) || stat(path, &log) != 0)
		return 0;
	snprintf(fddir, sizeof fddir, "/proc/%d/fd", pid);
	/* Another user's process, or none: not one of ours. */
	if ((d = opendir(fddir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		found = fstatat(dirfd(d), de->d_name, &sb, 0) == 0 &&
			sb.st_dev == log.st_dev && sb.st_ino == log.st_ino;
	}
	closedir(d);
	return found ? pid : 0;
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot. */
static unsigned long long start_time(const char *pid, char *state)
{
	char path[300], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold anything: the fields follow its ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1,
		   " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %*s %*s %*s %llu",
		   state, &t) != 2)
		return 0;
	return t;
}

/* Whether the environment of process PID holds the entry WANT. */
static int environ_has(const char *pid, const char *want)
{
	size_t len = strlen(want), cap = 0, used = 0;
	char path[300], *buf = NULL;
	int fd, found = 0;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	for (;;) {
		buf = xgrow(buf, &cap, used + 65536, 1);
		n = read(fd, buf + used, cap - used);
		if (n <= 0 || used + (size_t)n > (1u << 22))
			break;
		used += (size_t)n;
	}
	close(fd);
	for (size_t off = 0; !found && off < used;) {
		size_t l = strnlen(buf + off, used - off);

		found = l == len && memcmp(buf + off, want, len) == 0;
		off += l + 1;
	}
	free(buf);
	return found;
}

size_t cp_run_live(const char *dir, int **pids)
{
	char *abs, *want, state, mystate;
	unsigned long long since, t;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;
	int self = (int)getpid(), pid;

	*pids = NULL;
	if ((abs = realpath(dir, NULL)) == NULL)
		return 0;
	if (asprintf(&want, CPROF_ENV_DIR "=%s", abs) < 0)
		fatalx("out of memory");
	free(abs);
	since = start_time("self", &mystate);
	if ((d = opendir("/proc")) == NULL) {
		free(want);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = atoi(de->d_name);
		/*
		 * A process started after cprof (so not one of an earlier run
		 * into the same directory), alive, with the run's directory in
		 * its environment: its log may not even be open yet.
		 */
		if (pid == self ||
		    (t = start_time(de->d_name, &state)) < since || t == 0 ||
		    state == 'Z' || state == 'X' ||
		    !environ_has(de->d_name, want))
			continue;
		*pids = xgrow(*pids, &cap, n + 1, sizeof **pids);
		(*pids)[n++] = pid;
	}
	closedir(d);
	free(want);
	return n;
}
