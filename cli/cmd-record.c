/*
 * cmd-record.c - "cprof record": run a program and keep its profile in a
 * run directory for "cprof report".
 *
 * Like perf record, it never mixes two runs and never throws one away
 * unasked: how an earlier run is kept, and which directories are refused,
 * is in rundir.c.
 */
#include "config.h"

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
		 "a second, unless told otherwise.",
	.groups = record_groups,
	.exec = cmd_record,
};

static int cmd_record(int argc, char **argv)
{
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
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cp_usage_error(&cp_cmd_record, "no program to run");
	if (*run == '\0')
		cp_usage_error(&cp_cmd_record, "-o: empty run directory name");
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
	if (!stop)
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
