/*
 * procs.c - which processes of a run are still alive.
 *
 * A process of a run holds its log open for as long as it lives (the
 * runtime closes it on exec, and the exec'd image opens its own), so a
 * log that a live process holds open belongs to a process still running.
 * That is exact where a pid is not: a pid can be reused, a descriptor to
 * the log's very inode cannot be held by a process outside the run.
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
	if (sscanf(base, "proc-%d-", &pid) != 1 || pid <= 0 ||
	    stat(path, &log) != 0)
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
