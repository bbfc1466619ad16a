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

static const struct cp_option *const stat_groups[] = {stat_options,
						      cp_output_options,
						      cp_view_options,
						      cp_counter_options,
						      cp_run_options,
						      cp_reference_options,
						      cp_select_options,
						      cp_adapt_options,
						      cp_rfilter_options,
						      cp_sys_options,
						      NULL};

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

/*
 * Empty the directory PATH of what the runtime wrote, and of the
 * reference run's directory (--reference) and what is in it.
 */
static void empty_dir(const char *path, int sub)
{
	struct dirent *de;
	char *ref;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (sub && strcmp(de->d_name, CP_RUN_REFERENCE) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) != 0 &&
		    asprintf(&ref, "%s/%s", path, de->d_name) >= 0) {
			empty_dir(ref, 0);
			rmdir(ref);
			free(ref);
			continue;
		}
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Remove the temporary run and everything the runtime wrote in it. */
static void remove_tmp(void)
{
	if (tmpdir == NULL)
		return;
	empty_dir(tmpdir, 1);
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
	struct cp_rfilter *filter = NULL;
	struct cp_evsel sel;
	const char *path = NULL, *tmp, *plain = NULL;
	char *dir;
	FILE *f = stderr;
	uint64_t bytes;
	int c, status = 0, ran, loaded, stop = 0, pstatus = 0;

	out.min_share = CP_MIN_SHARE;
	while ((c = cp_run_getopt(&cp_cmd_stat, argc, argv, &ro)) != -1) {
		if (cp_output_option(&cp_cmd_stat, &out, c, optarg))
			continue;
		if (cp_view_option(&cp_cmd_stat, &out, c, optarg))
			continue;
		if (cp_rfilter_option(&cp_cmd_stat, &filter, c, optarg))
			continue;
		if (c == 'o')
			path = optarg;
		else if (c == CP_OPT_REFERENCE)
			plain = optarg;
	}
	argc -= optind;
	argv += optind;
	out.alloc = ro.alloc;
	out.offcpu = ro.offcpu;
	out.syscalls = ro.syscalls;
	if (argc == 0)
		cp_usage_error(&cp_cmd_stat, "no program to run");
	cp_view_check(&cp_cmd_stat, &out);
	p.want_cct = out.tree || out.call_graph;
	if (plain != NULL)
		cp_reference_check(&cp_cmd_stat, plain, &ro.counters,
				   out.threads);
	if (plain != NULL && (out.tree || out.frames))
		cp_usage_error(&cp_cmd_stat,
			       "--reference merges the two runs by function: "
			       "not with --%s",
			       out.tree ? "tree" : "frames");
	p.want_frames = out.frames;
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

	/* --reference: the plain build first, into DIR/reference. */
	if (plain != NULL)
		pstatus = cp_reference_run(dir, plain, argv, &stop);
	if (!stop)
		status = cp_run(dir, argv, &ran);
	else
		status = pstatus, ran = 0;
	if (plain != NULL && ran)
		cp_reference_compare(plain, pstatus, status);
	/*
	 * From here on the program's status is the answer whatever happens
	 * to the profile: stat must be usable in scripts and makefiles.
	 */
	if (ran && cp_run_logs(dir, &bytes) == 0)
		warnx("%s: nothing was recorded: %s", argv[0],
		      cp_run_why_empty(argv[0]));
	else if (ran) {
		/* A long read shows how far it got, on a terminal's stderr. */
		cp_progress_start(bytes + cp_reference_bytes(dir));
		loaded = cp_reference_load(&p, dir) == 0;
		cp_progress_end();
		/* cp_run gave the runtime's warnings already. */
		p.warnings_said = 1;
		if (loaded)
			cp_rfilter_apply(&p, filter);
		if (loaded && cp_output_print(f, &p, &out) != 0)
			warnx("%s: %s", path != NULL ? path : "stderr",
			      strerror(errno));
		if (loaded)
			cp_profile_free(&p);
	}
	remove_tmp();
	cp_rfilter_free(filter);
	if (f != stderr && fclose(f) != 0)
		warnx("%s: %s", path, strerror(errno));
	return status;
}
