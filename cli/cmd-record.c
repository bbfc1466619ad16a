/*
 * cmd-record.c - "cprof record": run a program and keep its profile in a
 * run directory for "cprof report".
 *
 * Like perf record, it never mixes two runs and never throws one away
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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cp_option record_options[] = {
	{"output", 'o', "RUN",
	 "record into the directory RUN (default: cprof.data)"},
	{NULL, 0, NULL, NULL}};

static const struct cp_option *const record_groups[] = {
	record_options, cp_counter_options, cp_run_options, NULL};

static const struct cp_command record_cmd = {
	.name = "record",
	.usage = "[-o RUN] [options] [--] PROG [ARGS...]",
	.about = "Run PROG with the cprof runtime preloaded and record its "
		 "profile, and that\n"
		 "of every process it starts, into the run directory RUN. An "
		 "earlier run\n"
		 "in RUN is moved to RUN.old first. Exit with PROG's exit "
		 "status.\n"
		 "Counts cycles,instructions,cache-misses (where the machine "
		 "refuses\n"
		 "them, task-clock,page-faults,context-switches), sampled 1000 "
		 "times\n"
		 "a second, unless told otherwise.",
	.groups = record_groups,
};

static int is_log_name(const char *name)
{
	size_t len = strlen(name);

	return strncmp(name, "proc-", 5) == 0 && len > 9 &&
	       strcmp(name + len - 4, ".log") == 0;
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
		if (strcmp(de->d_name, "run.meta") == 0 ||
		    is_log_name(de->d_name))
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
 * Remove the old run PATH: its logs, its run.meta, then the directory.
 * Anything else found in it stays, and so the directory does too.
 */
static void remove_run(const char *path)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		fatal("%s", path);
	while ((de = readdir(d)) != NULL) {
		if ((strcmp(de->d_name, "run.meta") == 0 ||
		     is_log_name(de->d_name)) &&
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
static int prepare(const char *path)
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
		if (asprintf(&old, "%s.old", path) < 0)
			fatalx("out of memory");
		if (lstat(old, &sb) == 0) {
			check_owned(old, &sb, "old run");
			if (!S_ISDIR(sb.st_mode) || classify(old) == -1)
				fatalx("'%s' exists and is not a cprof run "
				       "directory",
				       old);
			remove_run(old);
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
 * the user's own: someone who could swap it between prepare() and now
 * could only have done so in a directory the checks above do not cover
 * (the parent), and is caught here.
 */
static void recheck(const char *path)
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

int cmd_record(int argc, char **argv)
{
	char *run = xstrdup("cprof.data");
	const char *flush_ms = NULL;
	struct cp_counter_opts copts = {0};
	struct cp_evsel sel;
	uint64_t bytes;
	size_t len, n;
	int c, status, ran, created;

	while ((c = cp_getopt(&record_cmd, argc, argv)) != -1) {
		if (cp_counter_option(&record_cmd, &copts, c, optarg))
			continue;
		switch (c) {
		case 'o':
			free(run);
			run = xstrdup(optarg);
			break;
		case CP_OPT_FLUSH_MS:
			cp_parse_ulong(&record_cmd, "--flush-ms", optarg,
				       CPROF_FLUSH_MS_MIN, CPROF_FLUSH_MS_MAX);
			flush_ms = optarg;
			break;
		case CP_OPT_WAIT_ALL:
			cp_run_wait_all(1);
			break;
		case CP_OPT_NO_INHERIT:
			cp_run_inherit(0);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cp_usage_error(&record_cmd, "no program to run");
	if (*run == '\0')
		cp_usage_error(&record_cmd, "-o: empty run directory name");
	/* A bad event is reported before an old run is moved aside. */
	cp_counter_select(&record_cmd, &copts, &sel);

	/* "run/" would otherwise be kept as "run/.old". */
	len = strlen(run);
	while (len > 1 && run[len - 1] == '/')
		run[--len] = '\0';

	cp_run_setup(flush_ms);
	cp_run_counters(&sel);
	cp_evsel_free(&sel);
	created = prepare(run);
	recheck(run);
	status = cp_run(run, argv, &ran);
	if (!ran) {
		if (created)
			rmdir(run);
		free(run);
		return status;
	}
	n = cp_run_logs(run, &bytes);
	if (n == 0)
		warnx("%s: nothing was recorded to %s: %s", argv[0], run,
		      cp_run_why_empty(argv[0]));
	else if (isatty(STDERR_FILENO))
		/*
		 * Only for a person at a terminal: a script that saves the
		 * program's stderr gets exactly the program's stderr.
		 */
		warnx("recorded %zu process%s to %s (%.3f MB)", n,
		      n == 1 ? "" : "es", run,
		      (double)bytes / (1024.0 * 1024.0));
	free(run);
	return status;
}
