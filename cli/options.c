/*
 * options.c - command-line options of the subcommands.
 *
 * Each subcommand describes its options once, as groups of struct
 * cp_option; getopt_long's tables and the --help text are both built from
 * those groups, so an option cannot be accepted without being documented
 * or documented without being accepted. Groups shared by several commands
 * (the output options of stat and report, --flush-ms and the counter
 * options of stat and record) live here, with the code that applies them.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cp_option cp_output_options[] = {
	{"sort", 's', "KEY",
	 "sort by KEY: self (default), total, calls, selfcall, name"},
	{"top", CP_OPT_TOP, "N",
	 "print only the first N functions (0: all; default: all, 25 on a "
	 "terminal)"},
	{"threads", CP_OPT_THREADS, NULL, "break the profile down by thread"},
	{"format", CP_OPT_FORMAT, "FMT",
	 "print a table (default), json or csv (report: also chrome, pprof, "
	 "folded, flamegraph)"},
	{"color", CP_OPT_COLOR, "WHEN",
	 "colour the table: auto (the default), always or never"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_view_options[] = {
	{"tree", CP_OPT_TREE, NULL,
	 "print the calling-context tree instead of the function table"},
	{"depth", CP_OPT_DEPTH, "N",
	 "show N levels of the tree, folding deeper ones (default: all)"},
	{"min-share", CP_OPT_MIN_SHARE, "PCT",
	 "fold subtrees below PCT percent of the run into one line "
	 "(default: 0.5)"},
	{"frames", CP_OPT_FRAMES, NULL,
	 "list the frames, marking spikes, instead of the function table"},
	{"spike-factor", CP_OPT_SPIKE_FACTOR, "X",
	 "a frame above X times the median is a spike (default: 2)"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_run_options[] = {
	{"flush-ms", CP_OPT_FLUSH_MS, "MS",
	 "runtime flush interval in milliseconds (default: 100)"},
	{"wait-all", CP_OPT_WAIT_ALL, NULL,
	 "wait for every process of the run, daemons included, not only "
	 "PROG"},
	{"no-inherit", CP_OPT_NO_INHERIT, NULL,
	 "do not profile children PROG starts with an environment of its "
	 "own"},
	{"alloc", CP_OPT_ALLOC, NULL,
	 "record every allocation and free (malloc, new...) per function"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_alloc_view_options[] = {
	{"alloc", CP_OPT_ALLOC, NULL,
	 "show allocations, frees, peak and leaks per function (a run "
	 "recorded with --alloc)"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_adapt_options[] = {
	{"time-all", CP_OPT_TIME_ALL, NULL,
	 "time every call; by default calls of functions too short to time "
	 "are only counted"},
	{"adaptive-threshold", CP_OPT_ADAPT_NS, "NS",
	 "count, not time, functions whose first calls took less than NS "
	 "of self time each on average (default: 4 timed calls' cost, "
	 "measured)"},
	{"adaptive-warmup", CP_OPT_ADAPT_WARMUP, "N",
	 "judge a function on windows of N timed calls (default: 128)"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_counter_options[] = {
	{"events", 'e', "LIST",
	 "count the comma-separated events of LIST (see 'cprof list')"},
	{"freq", 'F', "HZ", "sample HZ times a second (default: 1000)"},
	{"period", 'c', "N", "sample every N counts of the first event"},
	{"call-graph", 'g', "[MODE]",
	 "record a callchain with every sample: fp (frame pointers, the "
	 "default) or dwarf[,SIZE] (SIZE bytes of stack, 8192, unwound by "
	 "the report)"},
	{"exact", CP_OPT_EXACT, NULL,
	 "read the counters at every marker instead of sampling"},
	{"no-counters", CP_OPT_NO_COUNTERS, NULL,
	 "time the markers only, count no events"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_sys_options[] = {
	{"off-cpu", CP_OPT_OFF_CPU, NULL,
	 "record context switches (stat, record) and show each function's "
	 "off-CPU and on-CPU self time (stat, report)"},
	{"syscalls", CP_OPT_SYSCALLS, NULL,
	 "trace system calls (stat, record) and show each function's, by "
	 "class (stat, report)"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_reference_options[] = {
	{"reference", CP_OPT_REFERENCE, "PLAIN",
	 "run PLAIN, the build without hooks, first: self times from its "
	 "samples"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_select_options[] = {
	{"filter", CP_OPT_FILTER, "PATTERN",
	 "record only functions matching the glob PATTERN and what they "
	 "call (repeatable)"},
	{"exclude", CP_OPT_EXCLUDE, "PATTERN",
	 "do not record functions matching the glob PATTERN (repeatable)"},
	{"min-duration", CP_OPT_MIN_DURATION, "TIME",
	 "leave out calls shorter than TIME (500ns, 2us, 1ms), counting them"},
	{NULL, 0, NULL, NULL}};

/* Every command takes -h and --help; cp_getopt answers them itself. */
static const struct cp_option help_options[] = {
	{"help", 'h', NULL, "print this help and exit"}, {NULL, 0, NULL, NULL}};

/* getopt_long's view of the command being parsed, built on first use. */
static const struct cp_command *built;
static struct option *longopts;
static char *shortopts;

/* Run BODY with O set to every option of CMD in turn, --help last. */
#define FOREACH_OPTION(cmd, o, body)                                      \
	do {                                                              \
		const struct cp_option *const *g_;                        \
		for (g_ = (cmd)->groups; g_ != NULL && *g_ != NULL; g_++) \
			for (o = *g_; o->name != NULL; o++)               \
				body;                                     \
		for (o = help_options; o->name != NULL; o++)              \
			body;                                             \
	} while (0)

/*
 * Two options of one command with the same value (or name) would be read
 * as one another: the option groups are defined in several files, so
 * this is checked whenever a command's table is built, and any test that
 * runs the command finds a clash.
 */
static void check_unique(const struct cp_command *cmd)
{
	const struct cp_option *o, **all;
	size_t n = 0, i = 0;

	FOREACH_OPTION(cmd, o, n++);
	all = xcalloc(n ? n : 1, sizeof *all);
	FOREACH_OPTION(cmd, o, all[i++] = o);
	for (i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (all[j]->val == all[i]->val ||
			    strcmp(all[j]->name, all[i]->name) == 0) {
				fprintf(stderr,
					"cprof: internal error: options --%s "
					"and --%s of '%s' clash\n",
					all[j]->name, all[i]->name,
					cmd->name ? cmd->name : "cprof");
				abort();
			}
	free(all);
}

static void build(const struct cp_command *cmd)
{
	const struct cp_option *o;
	size_t n = 0, i = 0;
	char *s;

	FOREACH_OPTION(cmd, o, n++);
	check_unique(cmd);
	free(longopts);
	free(shortopts);
	longopts = xcalloc(n + 1, sizeof *longopts);
	/*
	 * "+" stops at the first operand, so the profiled program's own
	 * options are left to it; ":" has getopt report a missing argument
	 * apart from an unknown option, and print nothing itself.
	 */
	s = shortopts = xmalloc(2 + 2 * n + 1);
	*s++ = '+';
	*s++ = ':';
	FOREACH_OPTION(cmd, o, {
		longopts[i].name = o->name;
		/* An argument named "[NAME]" may be left out. */
		longopts[i].has_arg = o->arg == NULL	 ? no_argument
				      : o->arg[0] == '[' ? optional_argument
							 : required_argument;
		longopts[i].val = o->val;
		i++;
		if (o->val < 256) {
			*s++ = (char)o->val;
			if (o->arg != NULL)
				*s++ = ':';
			if (o->arg != NULL && o->arg[0] == '[')
				*s++ = ':';
		}
	});
	*s = '\0';
	built = cmd;
	/* Zero makes glibc start over, whatever was parsed before. */
	optind = 0;
}

void cp_usage(const struct cp_command *cmd, FILE *f)
{
	if (cmd == NULL || cmd->name == NULL)
		fprintf(f,
			"usage: cprof [--version] [--help] COMMAND [ARGS]\n");
	else
		fprintf(f, "usage: cprof %s %s\n", cmd->name, cmd->usage);
}

void cp_usage_error(const struct cp_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", cp_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cp_usage(cmd, stderr);
	exit(2);
}

/* The width of "-o, --output=FILE", as --help prints it. */
static int spec_width(const struct cp_option *o)
{
	int w = 6 + (int)strlen(o->name);

	if (o->arg != NULL)
		w += 1 + (int)strlen(o->arg) + (o->arg[0] == '[' ? 1 : 0);
	return w;
}

void cp_help(const struct cp_command *cmd)
{
	const struct cp_option *o;
	int width = 0, w;

	cp_usage(cmd, stdout);
	printf("\n%s\n\noptions:\n", cmd->about);
	FOREACH_OPTION(cmd, o, {
		if ((w = spec_width(o)) > width)
			width = w;
	});
	FOREACH_OPTION(cmd, o, {
		if (o->val < 256)
			w = printf("  -%c, --%s", o->val, o->name);
		else
			w = printf("      --%s", o->name);
		if (o->arg != NULL && o->arg[0] == '[')
			w += printf("[=%s", o->arg + 1);
		else if (o->arg != NULL)
			w += printf("=%s", o->arg);
		printf("%*s  %s\n", width + 2 - w, "", o->help);
	});
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal("stdout");
	exit(0);
}

/*
 * Find the long option named by ARG ("--name" or "--name=value"), allowing
 * an unambiguous prefix as getopt_long does. Returns NULL and sets
 * *AMBIGUOUS when the name is not one option.
 */
static const struct option *find_long(const char *arg, int *ambiguous)
{
	const struct option *lo, *found = NULL;
	size_t len = strcspn(arg + 2, "=");
	int matches = 0;

	*ambiguous = 0;
	for (lo = longopts; lo->name != NULL; lo++) {
		if (strncmp(lo->name, arg + 2, len) != 0)
			continue;
		if (lo->name[len] == '\0')
			return lo;
		found = lo;
		matches++;
	}
	if (matches > 1) {
		*ambiguous = 1;
		return NULL;
	}
	return found;
}

/*
 * Say what was wrong with the option getopt_long just refused, in our own
 * words: glibc's messages name argv[0], which is the subcommand here.
 */
static void bad_option(const struct cp_command *cmd, int c, const char *cur)
{
	const struct option *lo;
	int ambiguous;
	size_t len;

	if (cur != NULL && strncmp(cur, "--", 2) == 0 && cur[2] != '\0') {
		len = strcspn(cur, "=");
		lo = find_long(cur, &ambiguous);
		if (ambiguous)
			cp_usage_error(cmd, "ambiguous option '%.*s'", (int)len,
				       cur);
		if (lo == NULL)
			cp_usage_error(cmd, "unknown option '%.*s'", (int)len,
				       cur);
		if (c == ':')
			cp_usage_error(cmd, "option '--%s' needs an argument",
				       lo->name);
		cp_usage_error(cmd, "option '--%s' takes no argument",
			       lo->name);
	}
	if (c == ':')
		cp_usage_error(cmd, "option '-%c' needs an argument", optopt);
	cp_usage_error(cmd, "unknown option '-%c'", optopt);
}

int cp_getopt(const struct cp_command *cmd, int argc, char **argv)
{
	const char *cur;
	int c;

	if (built != cmd)
		build(cmd);
	/*
	 * The element getopt_long is about to look at: a short option in the
	 * middle of "-abc" leaves optind on its element until the last one.
	 */
	cur = optind == 0 ? (argc > 1 ? argv[1] : NULL)
			  : (optind < argc ? argv[optind] : NULL);
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == '?' || c == ':')
		bad_option(cmd, c, cur);
	if (c == 'h')
		cp_help(cmd);
	/*
	 * perf users write "--call-graph dwarf": getopt gives an optional
	 * argument only attached, so a following word that is a mode is
	 * taken as the argument rather than as the program.
	 */
	if (c == 'g' && optarg == NULL && optind < argc &&
	    (strcmp(argv[optind], "fp") == 0 ||
	     strcmp(argv[optind], "dwarf") == 0 ||
	     strncmp(argv[optind], "dwarf,", 6) == 0))
		optarg = argv[optind++];
	return c;
}

unsigned long cp_parse_ulong(const struct cp_command *cmd, const char *opt,
			     const char *s, unsigned long min,
			     unsigned long max)
{
	unsigned long v;
	char *end;

	/* strtoul would take "-1" as a huge number and " 5" as 5. */
	if (*s < '0' || *s > '9')
		cp_usage_error(cmd, "%s: invalid number '%s'", opt, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		cp_usage_error(cmd, "%s: invalid number '%s'", opt, s);
	if (errno == ERANGE || v < min || v > max)
		cp_usage_error(cmd, "%s: '%s' is out of range (%lu to %lu)",
			       opt, s, min, max);
	return v;
}

int cp_output_option(const struct cp_command *cmd, struct cp_output *o, int c,
		     const char *arg)
{
	switch (c) {
	case 's':
		if (cp_sort_parse(arg, &o->sort) != 0)
			cp_usage_error(cmd,
				       "--sort: unknown key '%s' (self, total, "
				       "calls, selfcall, name)",
				       arg);
		return 1;
	case CP_OPT_TOP:
		o->top = cp_parse_ulong(cmd, "--top", arg, 0,
					(unsigned long)SIZE_MAX);
		o->top_set = 1;
		return 1;
	case CP_OPT_COLOR:
		if (cp_color_parse(arg, &o->color) != 0)
			cp_usage_error(cmd,
				       "--color: unknown value '%s' (auto, "
				       "always, never)",
				       arg);
		return 1;
	case CP_OPT_THREADS:
		o->threads = 1;
		return 1;
	case CP_OPT_FORMAT:
		/* report also exports (cmd-report.c parses those first). */
		if (cp_format_parse(arg, &o->format) != 0)
			cp_usage_error(cmd,
				       "--format: unknown format '%s' (table, "
				       "json, csv%s)",
				       arg,
				       cmd == &cp_cmd_report
					       ? ", chrome, pprof, folded, "
						 "flamegraph"
					       : "");
		return 1;
	}
	return 0;
}

int cp_view_option(const struct cp_command *cmd, struct cp_output *o, int c,
		   const char *arg)
{
	char *end;

	switch (c) {
	case CP_OPT_CALL_GRAPH_VIEW:
		o->call_graph = 1;
		return 1;
	case CP_OPT_TREE:
		o->tree = 1;
		return 1;
	case CP_OPT_ALLOC:
		o->alloc = 1;
		return 1;
	case CP_OPT_FRAMES:
		o->frames = 1;
		return 1;
	case CP_OPT_SPIKE_FACTOR:
		errno = 0;
		o->spike_factor = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' ||
		    !(o->spike_factor > 1 && o->spike_factor < 1e6))
			cp_usage_error(cmd,
				       "--spike-factor: '%s' is not a factor "
				       "above 1",
				       arg);
		return 1;
	case CP_OPT_DEPTH:
		o->depth = cp_parse_ulong(cmd, "--depth", arg, 0,
					  (unsigned long)SIZE_MAX);
		return 1;
	case CP_OPT_MIN_SHARE:
		errno = 0;
		o->min_share = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' ||
		    !(o->min_share >= 0 && o->min_share <= 100))
			cp_usage_error(cmd,
				       "--min-share: '%s' is not a percentage "
				       "from 0 to 100",
				       arg);
		return 1;
	}
	return 0;
}

void cp_view_check(const struct cp_command *cmd, const struct cp_output *o)
{
	if (o->format == CP_FORMAT_CSV &&
	    (o->call_graph || o->tree || o->frames))
		cp_usage_error(cmd,
			       "%s has no CSV form: use --format json or the "
			       "table",
			       o->tree	   ? "--tree"
			       : o->frames ? "--frames"
					   : "--call-graph");
}

/*
 * -g / --call-graph[=MODE] on stat and record, perf's spelling: "fp"
 * (frame-pointer chains from the kernel, the default) or "dwarf[,SIZE]"
 * (the user registers and SIZE bytes of stack, unwound by the report).
 */
static void call_graph_mode(const struct cp_command *cmd,
			    struct cp_counter_opts *o, const char *arg)
{
	unsigned long size = CP_DWARF_STACK_DEFAULT;

	o->callchain = 1;
	o->stack = 0;
	if (arg == NULL || strcmp(arg, "fp") == 0)
		return;
	if (strncmp(arg, "dwarf", 5) != 0 || (arg[5] != '\0' && arg[5] != ','))
		cp_usage_error(cmd,
			       "--call-graph: unknown mode '%s' (fp, "
			       "dwarf[,SIZE])",
			       arg);
	if (arg[5] == ',')
		size = cp_parse_ulong(cmd, "--call-graph=dwarf", arg + 6, 8,
				      CP_DWARF_STACK_MAX);
	o->callchain = 0;
	/* The kernel copies whole words: perf rounds up likewise. */
	o->stack = (size + 7) & ~7ul;
}

int cp_counter_option(const struct cp_command *cmd, struct cp_counter_opts *o,
		      int c, const char *arg)
{
	switch (c) {
	case 'e':
		o->events = arg;
		return 1;
	case 'F':
		o->freq = cp_parse_ulong(cmd, "-F", arg, 1, ULONG_MAX >> 1);
		return 1;
	case 'c':
		o->period = cp_parse_ulong(cmd, "-c", arg, 1, ULONG_MAX >> 1);
		return 1;
	case 'g':
		call_graph_mode(cmd, o, arg);
		return 1;
	case CP_OPT_EXACT:
		o->exact = 1;
		return 1;
	case CP_OPT_NO_COUNTERS:
		o->none = 1;
		return 1;
	}
	return 0;
}

void cp_counter_select(const struct cp_command *cmd,
		       const struct cp_counter_opts *o, struct cp_evsel *sel)
{
	char msg[1024];
	int rc;

	if (o->none && (o->events != NULL || o->freq != 0 || o->period != 0 ||
			o->callchain || o->stack || o->exact))
		cp_usage_error(cmd, "--no-counters cannot go with -e, -F, -c, "
				    "-g or --exact");
	if (o->freq != 0 && o->period != 0)
		cp_usage_error(cmd, "-F and -c cannot go together");
	if (o->exact &&
	    (o->freq != 0 || o->period != 0 || o->callchain || o->stack))
		cp_usage_error(cmd, "--exact samples nothing: -F, -c and -g "
				    "cannot go with it");
	memset(sel, 0, sizeof *sel);
	sel->counters = !o->none;
	sel->exact = o->exact;
	sel->callchain = o->callchain;
	sel->period = o->period;
	sel->freq = o->period != 0 ? 0 : o->freq != 0 ? o->freq : 1000;
	if ((rc = cp_evsel_resolve(sel, o->events, msg, sizeof msg)) != 0)
		fatalx_status(rc, "%s", msg);
	if (o->stack != 0) {
#ifdef HAVE_LIBUNWIND
		if (!sel->counters || sel->nev == 0)
			fatalx("--call-graph=dwarf: no event can sample here "
			       "(%s)",
			       msg);
		sel->stack = o->stack;
		if (cp_evsel_try_stack(sel, msg, sizeof msg) != 0)
			fatalx("--call-graph=dwarf: %s", msg);
#else
		fatalx("--call-graph=dwarf: this cprof was built without "
		       "libunwind, so it cannot unwind stacks (use -g with "
		       "frame pointers)");
#endif
	}
	if (msg[0] != '\0')
		cp_run_note(msg);
}

/*
 * The --filter (0) and --exclude (1) patterns, one a line. They live as
 * long as the process, held here.
 */
static char *sel_lists[2];

/* Append the pattern P to list W; returns the list. */
static char *add_line(int w, const char *p)
{
	size_t n = sel_lists[w] != NULL ? strlen(sel_lists[w]) : 0;

	sel_lists[w] = xrealloc(sel_lists[w], n + strlen(p) + 2);
	if (n != 0)
		sel_lists[w][n++] = '\n';
	strcpy(sel_lists[w] + n, p);
	return sel_lists[w];
}

/* Apply an option of cp_select_options to O; 1 if C was one, else 0. */
static int select_option(const struct cp_command *cmd, struct cp_run_opts *o,
			 int c, const char *arg)
{
	const char *why;
	uint64_t ns;

	switch (c) {
	case CP_OPT_FILTER:
	case CP_OPT_EXCLUDE:
		if ((why = cp_sel_check_pattern(arg)) != NULL)
			cp_usage_error(cmd, "--%s: bad pattern '%s': %s",
				       c == CP_OPT_FILTER ? "filter"
							  : "exclude",
				       arg, why);
		if (c == CP_OPT_FILTER)
			o->filter = add_line(0, arg);
		else
			o->exclude = add_line(1, arg);
		return 1;
	case CP_OPT_MIN_DURATION:
		if (cp_sel_parse_ns(arg, &ns) != 0)
			cp_usage_error(
				cmd,
				"--min-duration: bad time '%s' (a number "
				"and ns, us, ms or s, as 2us)",
				arg);
		snprintf(o->min_ns, sizeof o->min_ns, "%llu",
			 (unsigned long long)ns);
		o->min_duration = ns != 0 ? o->min_ns : NULL;
		return 1;
	}
	return 0;
}

/* The selection goes to the runtime through the environment. */
static void select_setenv(const char *name, const char *v)
{
	if (v != NULL ? setenv(name, v, 1) != 0 : unsetenv(name) != 0)
		fatal("setenv");
}

int cp_run_getopt(const struct cp_command *cmd, int argc, char **argv,
		  struct cp_run_opts *o)
{
	int c;

	while ((c = cp_getopt(cmd, argc, argv)) != -1) {
		if (cp_counter_option(cmd, &o->counters, c, optarg))
			continue;
		switch (c) {
		case CP_OPT_FLUSH_MS:
			cp_parse_ulong(cmd, "--flush-ms", optarg,
				       CPROF_FLUSH_MS_MIN, CPROF_FLUSH_MS_MAX);
			o->flush_ms = optarg;
			continue;
		case CP_OPT_WAIT_ALL:
			cp_run_wait_all(1);
			continue;
		case CP_OPT_NO_INHERIT:
			cp_run_inherit(0);
			continue;
		case CP_OPT_TIME_ALL:
			o->time_all = 1;
			continue;
		case CP_OPT_ADAPT_NS:
			cp_parse_ulong(cmd, "--adaptive-threshold", optarg, 0,
				       1000000000);
			o->adapt_ns = optarg;
			continue;
		case CP_OPT_OFF_CPU:
			o->offcpu = 1;
			continue;
		case CP_OPT_SYSCALLS:
			o->syscalls = 1;
			continue;
		case CP_OPT_ADAPT_WARMUP:
			cp_parse_ulong(cmd, "--adaptive-warmup", optarg, 1,
				       1000000);
			o->adapt_warmup = optarg;
			continue;
		case CP_OPT_ALLOC:
			cp_run_want_alloc(cmd);
			o->alloc = 1;
			continue;
		}
		if (select_option(cmd, o, c, optarg))
			continue;
		return c;
	}
	/* Switch records come with the samples, into the leader's ring. */
	if (o->offcpu && (o->counters.exact || o->counters.none))
		cp_usage_error(cmd, "--off-cpu needs sampling: it cannot go "
				    "with --exact or --no-counters");
	if (o->syscalls && (o->counters.exact || o->counters.none))
		cp_usage_error(cmd, "--syscalls needs sampling: it cannot go "
				    "with --exact or --no-counters");
	return -1;
}

/*
 * The adaptive timing's variables: cprof's options are the whole truth,
 * as for the counters, so values left in its own environment go. --alloc
 * times every call: an allocation goes to the innermost frame that wrote
 * an event, and a counted call writes none, so the allocations of the
 * functions adaptive timing only counts would land in their callers.
 */
static void adapt_env(const struct cp_run_opts *o)
{
	int time_all = o->time_all || o->alloc;

	if (unsetenv(CPROF_ENV_TIME_ALL) != 0 ||
	    unsetenv(CPROF_ENV_ADAPT_NS) != 0 ||
	    unsetenv(CPROF_ENV_ADAPT_WARMUP) != 0 ||
	    (time_all && setenv(CPROF_ENV_TIME_ALL, "1", 1) != 0) ||
	    (o->adapt_ns != NULL &&
	     setenv(CPROF_ENV_ADAPT_NS, o->adapt_ns, 1) != 0) ||
	    (o->adapt_warmup != NULL &&
	     setenv(CPROF_ENV_ADAPT_WARMUP, o->adapt_warmup, 1) != 0))
		fatal("setenv");
}

void cp_run_begin(const struct cp_run_opts *o, struct cp_evsel *sel)
{
	cp_run_setup(o->flush_ms);
	adapt_env(o);
	cp_run_counters(sel);
	select_setenv(CPROF_ENV_OFFCPU, o->offcpu ? "1" : NULL);
	cp_syscalls_env(o->syscalls);
	select_setenv(CPROF_ENV_FILTER, o->filter);
	select_setenv(CPROF_ENV_EXCLUDE, o->exclude);
	select_setenv(CPROF_ENV_MIN_NS, o->min_duration);
	cp_evsel_free(sel);
}
