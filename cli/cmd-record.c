/*
 * cmd-record.c - "cprof record": run a program and keep its profile in a
 * run directory for "cprof report".
 *
 * Like perf record, it never mixes two runs and never throws one away
 * unasked: how an earlier run is kept, and which directories are refused,
 * is in rundir.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cp_option record_options[] = {
	{"output", 'o', "RUN",
	 "record into the directory RUN (default: cprof.data)"},
	{"repeat", 'r', "N",
	 "run PROG N times, kept as RUN/repeat-1 to RUN/repeat-N (for "
	 "diff)"},
	{NULL, 0, NULL, NULL}};

static const struct cp_option *const record_groups[] = {
	record_options,	   cp_counter_options,
	cp_run_options,	   cp_reference_options,
	cp_select_options, cp_adapt_options,
	cp_sys_options,	   NULL};

static int cmd_record(int argc, char **argv);

const struct cp_command cp_cmd_record = {
	.name = "record",
	.summary = "run a program and record its profile into a run directory",
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
		 "a second, unless told otherwise. With -r N, PROG runs N "
		 "times, each\n"
		 "run a directory of RUN: report shows the mean per run and "
		 "the spread,\n"
		 "diff judges changes against it; the exit status is the "
		 "first non-zero one.",
	.groups = record_groups,
	.exec = cmd_record,
};

/*
 * -r N: run ARGV N times, into RUN/repeat-1 to RUN/repeat-N. Stops at a
 * program that could not be run; returns the first non-zero status.
 */
static int record_repeats(const char *run, char **argv, unsigned long n,
			  int *ran)
{
	int status = 0, st;
	char *sub;

	*ran = 0;
	for (unsigned long k = 1; k <= n; k++) {
		int r;

		if (asprintf(&sub, "%s/%s%lu", run, CP_RUN_REPEAT, k) < 0)
			fatalx("out of memory");
		if (mkdir(sub, 0755) != 0)
			fatal("cannot create '%s'", sub);
		st = cp_run(sub, argv, &r);
		if (!r) {
			rmdir(sub);
			free(sub);
			return st;
		}
		*ran = 1;
		if (status == 0)
			status = st;
		free(sub);
	}
	return status;
}

static int cmd_record(int argc, char **argv)
{
	unsigned long repeat = 1;
	char *run = xstrdup("cprof.data");
	const char *plain = NULL;
	struct cp_run_opts ro = {0};
	struct cp_evsel sel;
	uint64_t bytes;
	size_t len, n;
	int c, status = 0, ran, created, stop = 0, pstatus = 0;

	while ((c = cp_run_getopt(&cp_cmd_record, argc, argv, &ro)) != -1) {
		if (c == 'o') {
			free(run);
			run = xstrdup(optarg);
		} else if (c == CP_OPT_REFERENCE) {
			plain = optarg;
		} else if (c == 'r') {
			repeat = cp_parse_ulong(&cp_cmd_record, "-r", optarg, 1,
						CP_REPEAT_MAX);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cp_usage_error(&cp_cmd_record, "no program to run");
	if (*run == '\0')
		cp_usage_error(&cp_cmd_record, "-o: empty run directory name");
	if (plain != NULL && repeat > 1)
		cp_usage_error(&cp_cmd_record, "-r cannot go with --reference");
	if (plain != NULL)
		cp_reference_check(&cp_cmd_record, plain, &ro.counters, 0);
	/* A bad event is reported before an old run is moved aside. */
	cp_counter_select(&cp_cmd_record, &ro.counters, &sel);

	/* "run/" would otherwise be kept as "run/.old". */
	len = strlen(run);
	while (len > 1 && run[len - 1] == '/')
		run[--len] = '\0';

	cp_run_begin(&ro, &sel);
	created = cp_rundir_prepare(run);
	cp_rundir_recheck(run);
	/*
	 * CPROF_TEMP, 0 here and 1 under stat, tells the runtime that the CLI
	 * runs it: its warnings go into the run directory, not into the
	 * program's stderr (lib/warn.c).
	 */
	if (setenv(CPROF_ENV_TEMP, "0", 1) != 0)
		fatal("setenv");
	/* --reference: the plain build first, into RUN/reference. */
	if (plain != NULL)
		pstatus = cp_reference_run(run, plain, argv, &stop);
	if (repeat > 1)
		status = record_repeats(run, argv, repeat, &ran);
	else if (!stop)
		status = cp_run(run, argv, &ran);
	else
		status = pstatus, ran = 0;
	if (plain != NULL && ran)
		cp_reference_compare(plain, pstatus, status);
	if (!ran && plain != NULL) {
		/* A plain run alone (cut short, or not run) is no run. */
		if (created) {
			cp_rundir_remove(run);
		} else {
			char *ref;

			if (asprintf(&ref, "%s/%s", run, CP_RUN_REFERENCE) < 0)
				fatalx("out of memory");
			cp_rundir_remove(ref);
			free(ref);
		}
		free(run);
		return status;
	}
	if (!ran) {
		if (created)
			rmdir(run);
		free(run);
		return status;
	}
	n = cp_run_logs(run, &bytes);
	if (repeat > 1) {
		char **reps;
		size_t nr = cp_rundir_repeats(run, &reps);

		for (size_t k = 0; k < nr; k++) {
			uint64_t b;

			n += cp_run_logs(reps[k], &b);
			bytes += b;
		}
		cp_rundir_repeats_free(reps, nr);
	}
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
