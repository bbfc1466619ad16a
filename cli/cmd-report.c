/*
 * cmd-report.c - "cprof report": print the profile of a recorded run.
 *
 * Reading is left to cp_profile_load(), which streams the logs, and
 * printing to output.c; this file only maps the command line onto them.
 * A run that cannot be read is bad input (exit status 2), and a report
 * that cannot be written is cprof's own failure (exit status 1).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cp_option report_options[] = {
	{"output", 'o', "FILE", "write the report to FILE instead of stdout"},
	{"counters", CP_OPT_COUNTERS, NULL,
	 "show the counters per function (JSON always has them)"},
	{"call-graph", CP_OPT_CALL_GRAPH_VIEW, NULL,
	 "print each function's callers and callees instead of the "
	 "function table"},
	{NULL, 0, NULL, NULL}};

static const struct cp_option *const report_groups[] = {
	report_options, cp_output_options, cp_view_options, NULL};

static int cmd_report(int argc, char **argv);

const struct cp_command cp_cmd_report = {
	.name = "report",
	.summary = "print the profile of a recorded run",
	.usage = "[options] [RUN]",
	.about = "Print the per-function profile of RUN, a run directory "
		 "written by\n"
		 "\"cprof record\" (default: cprof.data) or a single "
		 "proc-*.log in one.",
	.groups = report_groups,
	.exec = cmd_report,
};

static int cmd_report(int argc, char **argv)
{
	struct cp_output out = {0};
	struct cp_profile p = {0};
	const char *path = NULL, *run = "cprof.data";
	struct stat sb;
	uint64_t bytes = 0;
	FILE *f = stdout;
	int c;

	/* The table and CSV of a report stay as they were without it. */
	out.counters = CP_COUNTERS_OFF;
	out.min_share = CP_MIN_SHARE;
	while ((c = cp_getopt(&cp_cmd_report, argc, argv)) != -1) {
		if (cp_output_option(&cp_cmd_report, &out, c, optarg))
			continue;
		if (cp_view_option(&cp_cmd_report, &out, c, optarg))
			continue;
		if (c == 'o')
			path = optarg;
		else if (c == CP_OPT_COUNTERS)
			out.counters = CP_COUNTERS_ON;
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		cp_usage_error(&cp_cmd_report, "unexpected argument '%s'",
			       argv[1]);
	if (argc == 1)
		run = argv[0];
	cp_view_check(&cp_cmd_report, &out);
	p.want_cct = out.tree || out.call_graph;
	p.want_frames = out.frames;

	if (stat(run, &sb) != 0)
		fatalx_status(2, "%s: %s", run, strerror(errno));
	/* A long read shows how far it got, on a terminal's stderr. */
	if (S_ISDIR(sb.st_mode))
		cp_run_logs(run, &bytes);
	else
		bytes = (uint64_t)sb.st_size;
	cp_progress_start(bytes);
	if (cp_profile_load(&p, run) != 0)
		exit(2);
	cp_progress_end();
	/* Opened only now, so that a run that cannot be read leaves FILE be. */
	if (path != NULL && (f = cp_create_output(path)) == NULL)
		fatal("%s", path);
	if (cp_output_print(f, &p, &out) != 0)
		fatal("%s", path != NULL ? path : "stdout");
	if (f != stdout && fclose(f) != 0)
		fatal("%s", path);
	cp_profile_free(&p);
	return 0;
}
