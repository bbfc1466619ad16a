/*
 * cmd-tag.c - "cprof tag": name a run, or list the names given.
 *
 * A tag is a snapshot of the run in the tag directory (repeat.c says
 * where and why a snapshot): the run's regular files and its reference
 * and repeat subdirectories, hard-linked where possible, else copied.
 * Tagging a name again replaces its snapshot.
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
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const struct cp_option tag_options[] = {{NULL, 0, NULL, NULL}};
static const struct cp_option *const tag_groups[] = {tag_options, NULL};

static int cmd_tag(int argc, char **argv);

const struct cp_command cp_cmd_tag = {
	.name = "tag",
	.summary = "name a run for diff and report, or list the names",
	.usage = "[NAME [RUN]]",
	.about = "Name RUN (default: cprof.data) NAME, so that \"cprof "
		 "diff\" and \"cprof report\"\n"
		 "accept NAME for it; without NAME, list the tags. A tag is "
		 "a snapshot of\n"
		 "the run (its files hard-linked, or copied) in the directory "
		 "$CPROF_TAGS,\n"
		 "else .cprof-tags in the current directory: recording into "
		 "RUN again\n"
		 "leaves it be. A path that exists wins over a tag of the "
		 "same name;\n"
		 "RUN may be a tag itself.",
	.groups = tag_groups,
	.exec = cmd_tag,
};

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("%s", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out == -1)
		fatal("%s", to);
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			fatal("%s", to);
	if (n < 0)
		fatal("%s", from);
	if (close(out) != 0)
		fatal("%s", to);
	close(in);
}

/* Snapshot the run directory FROM into TO (made here). */
static void snapshot(const char *from, const char *to)
{
	struct dirent *de;
	struct stat sb;
	char *a, *b;
	DIR *d;

	if (mkdir(to, 0755) != 0)
		fatal("cannot create '%s'", to);
	if ((d = opendir(from)) == NULL)
		fatal("%s", from);
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
		    0)
			continue;
		if (asprintf(&a, "%s/%s", from, de->d_name) < 0 ||
		    asprintf(&b, "%s/%s", to, de->d_name) < 0)
			fatalx("out of memory");
		if (S_ISDIR(sb.st_mode) &&
		    (strcmp(de->d_name, CP_RUN_REFERENCE) == 0 ||
		     cp_repeat_name(de->d_name, NULL)))
			snapshot(a, b);
		else if (S_ISREG(sb.st_mode) &&
			 (strcmp(de->d_name, CP_RUN_META) == 0 ||
			  cp_log_name(de->d_name, NULL, NULL)) &&
			 link(a, b) != 0)
			copy_file(a, b);
		free(a);
		free(b);
	}
	closedir(d);
}

/* The tag directory, made if need be (only ever by the user). */
static void make_tag_dir(void)
{
	struct stat sb;
	const char *dir = cp_tag_dir();

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		fatal("cannot create the tag directory '%s'", dir);
	if (lstat(dir, &sb) != 0)
		fatal("%s", dir);
	if (!S_ISDIR(sb.st_mode))
		fatalx_status(2, "tag directory '%s' is not a directory", dir);
}

/* Is DIR a run (logs, or repeats)? */
static int is_run(const char *dir)
{
	uint64_t bytes;
	char **reps;
	size_t n = cp_rundir_repeats(dir, &reps);

	cp_rundir_repeats_free(reps, n);
	return n > 0 || cp_run_logs(dir, &bytes) > 0;
}

static int tag(const char *name, const char *run)
{
	const char *why;
	char *path, *tmp;

	if ((why = cp_tag_check(name)) != NULL)
		cp_usage_error(&cp_cmd_tag, "bad tag name '%s': %s", name, why);
	if (!is_run(run))
		fatalx_status(2, "%s: not a cprof run (no logs, no repeats)",
			      run);
	make_tag_dir();
	path = cp_tag_path(name);
	/*
	 * Built aside, then renamed over the old one: a tag is always a
	 * whole run, even when the copy fails half way.
	 */
	if (asprintf(&tmp, "%s/.new-%s-%d", cp_tag_dir(), name, (int)getpid()) <
	    0)
		fatalx("out of memory");
	snapshot(run, tmp);
	if (access(path, F_OK) == 0)
		cp_rundir_remove(path);
	if (rename(tmp, path) != 0)
		fatal("cannot rename '%s' to '%s'", tmp, path);
	free(tmp);
	free(path);
	return 0;
}

/* One line per tag: name, repeats, program, when. */
static int list(void)
{
	struct dirent *de;
	struct cp_run_meta m;
	const char *dir = cp_tag_dir();
	char *path, *meta, **reps, when[32];
	size_t n;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		fatal("%s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (cp_tag_check(de->d_name) != NULL)
			continue;
		path = cp_tag_path(de->d_name);
		n = cp_rundir_repeats(path, &reps);
		meta = cp_rundir_meta(n > 0 ? reps[0] : path);
		memset(&m, 0, sizeof m);
		strcpy(when, "-");
		if (cp_meta_read(meta, &m) == 0) {
			time_t t = (time_t)(m.start_ns / 1000000000u);
			struct tm tm;

			if (localtime_r(&t, &tm) != NULL)
				strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S",
					 &tm);
		}
		printf("%-20s %-19s %3zu run%s  %s\n", de->d_name, when,
		       n > 0 ? n : 1, n > 1 ? "s" : " ",
		       m.argv != NULL && m.argv[0] != NULL ? m.argv[0] : "-");
		for (char **a = m.argv; a != NULL && *a != NULL; a++)
			free(*a);
		free(m.argv);
		free(m.running);
		free(meta);
		cp_rundir_repeats_free(reps, n);
		free(path);
	}
	closedir(d);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_tag(int argc, char **argv)
{
	char *run;
	int rc;

	while (cp_getopt(&cp_cmd_tag, argc, argv) != -1)
		;
	argc -= optind;
	argv += optind;
	if (argc > 2)
		cp_usage_error(&cp_cmd_tag, "unexpected argument '%s'",
			       argv[2]);
	if (argc == 0)
		return list();
	/* RUN may be a tag too: "cprof tag main candidate" promotes one. */
	run = cp_run_resolve(argc == 2 ? argv[1] : "cprof.data");
	rc = tag(argv[0], run);
	free(run);
	return rc;
}
