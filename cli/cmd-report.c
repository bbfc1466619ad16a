/*
 * cmd-report.c - "cprof report": print the profile of a recorded run.
 *
 * Reading is left to cp_profile_load(), which streams the logs (and to
 * cp_reference_load() for a run with a reference run), and
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

/* Budgets (budget.c). */
enum { OPT_BUDGET = 0x1c00, OPT_BUDGETS };
static const struct cp_option budget_options[] = {
	{"budget", OPT_BUDGET, "FUNC=TIME[/call]",
	 "budget FUNC's total time (per call); exit 1 when exceeded "
	 "(repeatable)"},
	{"budgets", OPT_BUDGETS, "FILE", "the budgets of FILE, one a line"},
	{NULL, 0, NULL, NULL}};

/* The options of the exports (export.c). */
enum { OPT_MIN_DURATION = 0x1a00, OPT_TIME_RANGE, OPT_VALUE, OPT_ICICLE };
static const struct cp_option export_options[] = {
	{"min-duration", OPT_MIN_DURATION, "TIME",
	 "chrome: leave out calls shorter than TIME (default: 10us; 0: "
	 "none)"},
	{"time-range", OPT_TIME_RANGE, "START,END",
	 "chrome: only what overlaps START to END since the run's start"},
	{"value", OPT_VALUE, "V",
	 "folded: self (ns; the default), calls, samples or a counter"},
	{"icicle", OPT_ICICLE, NULL,
	 "flamegraph: top-down, the roots at the top"},
	{NULL, 0, NULL, NULL}};

static const struct cp_option *const report_groups[] = {
	report_options,		 cp_output_options,
	cp_view_options,	 cp_alloc_view_options,
	export_options,		 budget_options,
	cp_rfilter_name_options, cp_rfilter_options,
	cp_sys_options,		 NULL};

static int cmd_report(int argc, char **argv);

const struct cp_command cp_cmd_report = {
	.name = "report",
	.summary = "print the profile of a recorded run",
	.usage = "[options] [RUN]",
	.about = "Print the per-function profile of RUN, a run directory "
		 "written by\n"
		 "\"cprof record\" (default: cprof.data), a single "
		 "proc-*.log in one, or a tag\n"
		 "(cprof tag). A run recorded with -r N shows each "
		 "function's mean per run.\n\n"
		 "--format also exports what other tools open (cprof(1), "
		 "EXPORTS):\n"
		 "  chrome  a Chrome trace (Perfetto, chrome://tracing, "
		 "speedscope): every\n"
		 "          call, frame and counter in time; drops calls "
		 "shorter than\n"
		 "          --min-duration and counters' self/total split\n"
		 "  pprof   gzipped profile.proto (go tool pprof, Pyroscope, "
		 "Parca): calls,\n"
		 "          self time, samples and counters per calling "
		 "context; drops\n"
		 "          every per-call time, threads and frame marks\n"
		 "  folded  folded stacks (flamegraph.pl, inferno, "
		 "speedscope): one value\n"
		 "          (--value) per calling context; drops the other "
		 "values, threads,\n"
		 "          processes and time order\n"
		 "  flamegraph  an interactive SVG flame graph (any "
		 "browser): widths by total\n"
		 "          time per calling context, zoom, search, "
		 "tooltips; merges contexts\n"
		 "          narrower than half a pixel, drops threads and "
		 "time order",
	.groups = report_groups,
	.exec = cmd_report,
};

static void export_option(struct cp_export_opts *xo, int c, const char *arg)
{
	const char *comma;
	char *lo;

	if (c == OPT_MIN_DURATION) {
		if (cp_parse_time(arg, &xo->min_ns) != 0)
			cp_usage_error(&cp_cmd_report,
				       "--min-duration: invalid time '%s' (a "
				       "number and ns, us, ms or s)",
				       arg);
		xo->min_set = 1;
		return;
	}
	comma = strchr(arg, ',');
	lo = xstrdup(arg);
	if (comma != NULL)
		lo[comma - arg] = '\0';
	if (comma == NULL || cp_parse_time(lo, &xo->range_lo) != 0 ||
	    cp_parse_time(comma + 1, &xo->range_hi) != 0 ||
	    xo->range_hi < xo->range_lo)
		cp_usage_error(&cp_cmd_report,
			       "--time-range: invalid range '%s' (START,END: "
			       "times since the run's start, such as 1.5s,2s)",
			       arg);
	free(lo);
	xo->has_range = 1;
}

static int cmd_report(int argc, char **argv)
{
	struct cp_output out = {0};
	struct cp_export_opts xo = {0};
	struct cp_profile p = {0};
	const char *path = NULL, *run = "cprof.data";
	char *resolved;
	struct cp_budgets *budgets = NULL;
	struct cp_rfilter *filter = NULL;
	size_t over = 0;
	struct stat sb;
	uint64_t bytes = 0;
	FILE *f = stdout;
	int c;

	/* The table and CSV of a report stay as they were without it. */
	out.counters = CP_COUNTERS_OFF;
	xo.min_ns = 10000;
	out.min_share = CP_MIN_SHARE;
	while ((c = cp_getopt(&cp_cmd_report, argc, argv)) != -1) {
		if (c == CP_OPT_FORMAT &&
		    cp_export_parse(optarg, &xo.format) == 0)
			continue;
		if (c == CP_OPT_FORMAT)
			xo.format = CP_EXPORT_NONE;
		if (cp_output_option(&cp_cmd_report, &out, c, optarg))
			continue;
		if (cp_view_option(&cp_cmd_report, &out, c, optarg))
			continue;
		if (c == 'o')
			path = optarg;
		else if (c == CP_OPT_COUNTERS)
			out.counters = CP_COUNTERS_ON;
		else if (c == CP_OPT_OFF_CPU)
			out.offcpu = 1;
		else if (c == CP_OPT_SYSCALLS)
			out.syscalls = 1;
		else if (c == OPT_MIN_DURATION || c == OPT_TIME_RANGE)
			export_option(&xo, c, optarg);
		else if (c == OPT_VALUE)
			xo.value = optarg;
		else if (c == OPT_ICICLE)
			xo.icicle = 1;
		else if (cp_rfilter_option(&cp_cmd_report, &filter, c, optarg))
			continue;
		else if (c == OPT_BUDGET)
			cp_budget_option(&budgets, optarg);
		else if (c == OPT_BUDGETS)
			cp_budget_file(&budgets, optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		cp_usage_error(&cp_cmd_report, "unexpected argument '%s'",
			       argv[1]);
	if (argc == 1)
		run = argv[0];
	/* A tag (cprof tag) names a run too; a path that exists wins. */
	run = resolved = cp_run_resolve(run);
	if (xo.format != CP_EXPORT_NONE && (budgets != NULL || filter != NULL))
		cp_usage_error(&cp_cmd_report,
			       "--budget and the filters go with the table, "
			       "JSON or CSV, not an export");
	if (xo.format != CP_EXPORT_NONE) {
		struct stat rsb;
		char *ref;

		/* Exports draw the hooked run: say so, not the reference's. */
		if (asprintf(&ref, "%s/%s", run, CP_RUN_REFERENCE) < 0)
			fatalx("out of memory");
		if (stat(ref, &rsb) == 0 && S_ISDIR(rsb.st_mode))
			warnx("%s holds a reference run: the export shows the "
			      "hooked run's own (marker) times, not the "
			      "reference's samples",
			      run);
		free(ref);
		xo.path = path;
		c = cp_export(run, &xo);
		free(resolved);
		return c;
	}
	cp_view_check(&cp_cmd_report, &out);
	p.want_cct = out.tree || out.call_graph;
	p.want_frames = out.frames;

	if (stat(run, &sb) != 0)
		fatalx_status(2, "%s: %s", run, strerror(errno));
	/* A long read shows how far it got, on a terminal's stderr. */
	if (S_ISDIR(sb.st_mode)) {
		cp_run_logs(run, &bytes);
		bytes += cp_reference_bytes(run);
	} else
		bytes = (uint64_t)sb.st_size;
	cp_progress_start(bytes);
	if (cp_reference_load(&p, run) != 0)
		exit(2);
	cp_progress_end();
	if (p.ref != NULL && out.threads)
		fatalx_status(2,
			      "--threads: %s holds a reference run, merged "
			      "by function, not by thread",
			      run);
	/* The tree's paths and times are the hooked run's alone. */
	if (p.ref != NULL && (out.tree || out.call_graph || out.frames))
		fatalx_status(2,
			      "--%s: %s holds a reference run, merged by "
			      "function only: no calling contexts or frames",
			      out.tree	       ? "tree"
			      : out.call_graph ? "call-graph"
					       : "frames",
			      run);
	/*
	 * Budgets are set against the whole profile, before the filters
	 * hide any of it; an unknown function in a budget is bad input,
	 * before any output.
	 */
	over = cp_budgets_check(budgets, &p);
	out.budgets = budgets;
	cp_rfilter_apply(&p, filter);
	/* Opened only now, so that a run that cannot be read leaves FILE be. */
	if (path != NULL && (f = cp_create_output(path)) == NULL)
		fatal("%s", path);
	if (cp_output_print(f, &p, &out) != 0)
		fatal("%s", path != NULL ? path : "stdout");
	if (f != stdout && fclose(f) != 0)
		fatal("%s", path);
	cp_profile_free(&p);
	free(resolved);
	cp_budgets_report(budgets);
	cp_budgets_free(budgets);
	cp_rfilter_free(filter);
	return over > 0 ? 1 : 0;
}
