/*
 * cmd-stat.c - "cprof stat": run a program and print its profile.
 *
 * The run goes to a private temporary directory that is read back and
 * removed once the program ends, so stat leaves nothing behind; "cprof
 * record" is the command that keeps a run.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cp_option stat_options[] = {
	{"output", 'o', "FILE", "write the profile to FILE instead of stderr"},
	{NULL, 0, NULL, NULL}};

static const struct cp_option *const stat_groups[] = {
	stat_options,	cp_output_options, cp_counter_options,
	cp_run_options, cp_adapt_options,  NULL};

static int cmd_stat(int argc, char **argv);

const struct cp_command cp_cmd_stat = {
	.name = "stat",
	.summary = "run a program and print its profile",
	.usage = "[options] [--] PROG [ARGS...]",
	.about = "Run PROG with the cprof runtime preloaded, then print its "
		 "per-function\n"
		 "profile to stderr, leaving PROG's stdout alone. Exit with "
		 "PROG's exit\n"
		 "status. Counts cycles,instructions,cache-misses (where the "
		 "machine\n"
		 "refuses them, task-clock,page-faults,context-switches), "
		 "sampled\n"
		 "1000 times a second, unless told otherwise.",
	.groups = stat_groups,
	.exec = cmd_stat,
};

/* The temporary run, removed at exit whatever the way out. */
static char *tmpdir;

/* Remove the temporary run and everything the runtime wrote in it. */
static void remove_tmp(void)
{
	struct dirent *de;
	DIR *d;

	if (tmpdir == NULL)
		return;
	if ((d = opendir(tmpdir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	if (rmdir(tmpdir) != 0)
		warnx("cannot remove temporary run '%s': %s", tmpdir,
		      strerror(errno));
	free(tmpdir);
	tmpdir = NULL;
}

static int cmd_stat(int argc, char **argv)
{
	struct cp_output out = {0};
	struct cp_profile p = {0};
	struct cp_run_opts ro = {0};
	struct cp_evsel sel;
	const char *path = NULL, *tmp;
	char *dir;
	FILE *f = stderr;
	uint64_t bytes;
	int c, status, ran, loaded;

	while ((c = cp_run_getopt(&cp_cmd_stat, argc, argv, &ro)) != -1) {
		if (cp_output_option(&cp_cmd_stat, &out, c, optarg))
			continue;
		if (c == 'o')
			path = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cp_usage_error(&cp_cmd_stat, "no program to run");
	/* A bad event is reported before anything is created or run. */
	cp_counter_select(&cp_cmd_stat, &ro.counters, &sel);

	/*
	 * The output file is opened before the program runs, so that a bad
	 * name is reported before a long run rather than after; close-on-exec
	 * keeps it from the program.
	 */
	if (path != NULL && (f = cp_create_output(path)) == NULL)
		fatal("%s", path);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	cp_run_begin(&ro, &sel);
	if (asprintf(&dir, "%s/cprof.XXXXXX", tmp) < 0)
		fatalx("out of memory");
	if (mkdtemp(dir) == NULL)
		fatal("cannot create a run directory in '%s'", tmp);
	tmpdir = dir;
	atexit(remove_tmp);
	/*
	 * Tells the runtime that the run directory goes when stat returns:
	 * a process still running then (a daemon) finds it gone, and must
	 * stay silent about it (stat names the processes still running).
	 */
	if (setenv(CPROF_ENV_TEMP, "1", 1) != 0)
		fatal("setenv");

	status = cp_run(dir, argv, &ran);
	/*
	 * From here on the program's status is the answer whatever happens
	 * to the profile: stat must be usable in scripts and makefiles.
	 */
	if (ran && cp_run_logs(dir, &bytes) == 0)
		warnx("%s: nothing was recorded: %s", argv[0],
		      cp_run_why_empty(argv[0]));
	else if (ran) {
		/* A long read shows how far it got, on a terminal's stderr. */
		cp_progress_start(bytes);
		loaded = cp_profile_load(&p, dir) == 0;
		cp_progress_end();
		if (loaded && cp_output_print(f, &p, &out) != 0)
			warnx("%s: %s", path != NULL ? path : "stderr",
			      strerror(errno));
		if (loaded)
			cp_profile_free(&p);
	}
	remove_tmp();
	if (f != stderr && fclose(f) != 0)
		warnx("%s: %s", path, strerror(errno));
	return status;
}
