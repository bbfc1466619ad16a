/*
 * rundir.c - the run directory: what it holds and what its files are
 * called, for every command that makes, fills or reads one.
 *
 * A run holds one log per profiled process, proc-PID-START.log (the
 * runtime names it, cprof-contract.h), and run.meta, which the CLI writes
 * when the program ends. Here is the one test of a log's name, the list
 * of a run's logs in the order they are merged, and the preparation of a
 * run directory for cprof record.
 *
 * Like perf record, cprof never mixes two runs and never throws one away
 * unasked: a run directory left by an earlier record is moved to RUN.old
 * (replacing the run kept there), and anything that is not a run is left
 * alone with an error.
 *
 * A run directory is the user's alone: one that is a symbolic link,
 * belongs to another user, or that other users may write to (without the
 * sticky bit) is refused, since whoever controls it could plant links
 * that make cprof or the program write over files elsewhere, or swap the
 * run under the report.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Parse the decimal number at *P up to a non-digit; 0 when there is none. */
static int number(const char **p, unsigned long long *v)
{
	const char *s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (~0ULL - 9) / 10)
			return 0;
		*v = *v * 10 + (unsigned)(*s - '0');
	}
	*p = s;
	return 1;
}

int cp_log_name(const char *name, int *pid, uint64_t *start)
{
	size_t pre = strlen(CPROF_LOG_PREFIX);
	unsigned long long p, s;
	const char *c = name;

	if (strncmp(c, CPROF_LOG_PREFIX, pre) != 0)
		return 0;
	c += pre;
	if (!number(&c, &p) || p == 0 || p > 0x7fffffff || *c++ != '-' ||
	    !number(&c, &s) || strcmp(c, CPROF_LOG_SUFFIX) != 0)
		return 0;
	if (pid != NULL)
		*pid = (int)p;
	if (start != NULL)
		*start = s;
	return 1;
}

static int log_cmp(const void *a, const void *b)
{
	const struct cp_run_log *x = a, *y = b;

	/* In start order, so that a parent comes before its children. */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->path, y->path);
}

int cp_rundir_logs(const char *dir, struct cp_run_log **logs, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*logs = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct cp_run_log l;

		if (!cp_log_name(de->d_name, &l.pid, &l.start))
			continue;
		if (asprintf(&l.path, "%s/%s", dir, de->d_name) < 0)
			fatalx("out of memory");
		*logs = xgrow(*logs, &cap, *n + 1, sizeof **logs);
		(*logs)[(*n)++] = l;
	}
	closedir(d);
	/* qsort's array may not be NULL, even empty (C11 7.1.4). */
	if (*n > 0)
		qsort(*logs, *n, sizeof **logs, log_cmp);
	return 0;
}

void cp_rundir_logs_free(struct cp_run_log *logs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(logs[i].path);
	free(logs);
}

size_t cp_run_logs(const char *dir, uint64_t *bytes)
{
	struct dirent *de;
	struct stat sb;
	size_t n = 0;
	DIR *d;

	*bytes = 0;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!cp_log_name(de->d_name, NULL, NULL))
			continue;
		n++;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    0)
			*bytes += (uint64_t)sb.st_size;
	}
	closedir(d);
	return n;
}

char *cp_rundir_meta(const char *dir)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, CP_RUN_META) < 0)
		fatalx("out of memory");
	return path;
}

/*
 * What the directory PATH holds: 1 for a cprof run (run.meta or a log), 0
 * when it is empty, -1 for anything else.
 */
static int classify(const char *path)
{
	struct dirent *de;
	int kind = 0, other = 0;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		fatal("%s", path);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, CP_RUN_META) == 0 ||
		    strcmp(de->d_name, CPROF_WARNINGS_FILE) == 0 ||
		    cp_log_name(de->d_name, NULL, NULL) ||
		    strcmp(de->d_name, CP_RUN_REFERENCE) == 0 ||
		    cp_repeat_name(de->d_name, NULL))
			kind = 1;
		else
			other = 1;
	}
	closedir(d);
	return kind == 1 ? 1 : other ? -1 : 0;
}

/*
 * Refuse, with exit status 2, a directory SB at PATH (as lstat saw it)
 * that is not safely the user's; WHAT names it in the message.
 */
static void check_owned(const char *path, const struct stat *sb,
			const char *what)
{
	if (S_ISLNK(sb->st_mode))
		fatalx_status(2,
			      "%s '%s' is a symbolic link: name the "
			      "directory itself",
			      what, path);
	if (!S_ISDIR(sb->st_mode))
		return;
	if (sb->st_uid != geteuid())
		fatalx_status(2,
			      "%s '%s' belongs to another user: not using it",
			      what, path);
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) && !(sb->st_mode & S_ISVTX))
		fatalx_status(2,
			      "%s '%s' is writable by other users: not using "
			      "it (chmod go-w)",
			      what, path);
}

/*
 * Remove the old run PATH: its logs, its run.meta, its reference run
 * (--reference, a run of its own in a subdirectory), then the directory.
 * Anything else found in it stays, and so the directory does too.
 */
void cp_rundir_remove(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char *sub;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		fatal("%s", path);
	while ((de = readdir(d)) != NULL) {
		if ((strcmp(de->d_name, CP_RUN_REFERENCE) == 0 ||
		     cp_repeat_name(de->d_name, NULL)) &&
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
			    0 &&
		    S_ISDIR(sb.st_mode)) {
			if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
				fatalx("out of memory");
			cp_rundir_remove(sub);
			free(sub);
			continue;
		}
		if ((strcmp(de->d_name, CP_RUN_META) == 0 ||
		     strcmp(de->d_name, CPROF_WARNINGS_FILE) == 0 ||
		     cp_log_name(de->d_name, NULL, NULL)) &&
		    unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
			fatal("cannot remove '%s/%s'", path, de->d_name);
	}
	closedir(d);
	if (rmdir(path) != 0)
		fatal("cannot remove old run '%s'", path);
}

/*
 * Make PATH an empty run directory, keeping the run it holds as PATH.old.
 * Returns 1 when the directory was created here, 0 when it was an empty
 * directory already.
 */
int cp_rundir_prepare(const char *path)
{
	struct stat sb;
	char *old;

	if (lstat(path, &sb) == 0) {
		check_owned(path, &sb, "run directory");
		if (!S_ISDIR(sb.st_mode))
			fatalx("'%s' exists and is not a cprof run directory",
			       path);
		switch (classify(path)) {
		case 0:
			return 0;
		case -1:
			fatalx("'%s' exists and is not a cprof run directory",
			       path);
		}
		if (asprintf(&old, "%s" CP_RUN_OLD, path) < 0)
			fatalx("out of memory");
		if (lstat(old, &sb) == 0) {
			check_owned(old, &sb, "old run");
			if (!S_ISDIR(sb.st_mode) || classify(old) == -1)
				fatalx("'%s' exists and is not a cprof run "
				       "directory",
				       old);
			cp_rundir_remove(old);
		} else if (errno != ENOENT) {
			fatal("%s", old);
		}
		if (rename(path, old) != 0)
			fatal("cannot rename '%s' to '%s'", path, old);
		free(old);
	} else if (errno != ENOENT) {
		fatal("cannot create run directory '%s'", path);
	}
	/* Never writable by others, whatever the umask. */
	if (mkdir(path, 0755) != 0)
		fatal("cannot create run directory '%s'", path);
	return 1;
}

/*
 * The directory at PATH, opened without following a link, must still be
 * the user's own: someone who could swap it between cp_rundir_prepare() and now
 * could only have done so in a directory the checks above do not cover
 * (the parent), and is caught here.
 */
void cp_rundir_recheck(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			fatalx_status(2,
				      "run directory '%s' is a symbolic link: "
				      "name the directory itself",
				      path);
		fatal("%s", path);
	}
	if (fstat(fd, &sb) != 0)
		fatal("%s", path);
	check_owned(path, &sb, "run directory");
	close(fd);
}
