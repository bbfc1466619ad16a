/*
 * filter-opts.c - the options of the report-time filters (filter.c) of
 * report and stat, apart from filter.c so that the library the unit
 * tests link does not need the option code of the tool.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cp_option cp_rfilter_name_options[] = {
	{"filter", CP_OPT_RFILTER, "GLOB",
	 "show only functions matching GLOB (repeatable; --tree: what they "
	 "call too)"},
	{"exclude", CP_OPT_REXCLUDE, "GLOB",
	 "hide functions matching GLOB (repeatable; --tree: what they "
	 "call too)"},
	{NULL, 0, NULL, NULL}};

const struct cp_option cp_rfilter_options[] = {
	{"pid", CP_OPT_PID, "PID[,PID...]", "show only those processes"},
	{"tid", CP_OPT_TID, "TID[,TID...]", "show only those threads"},
	{"percent-limit", CP_OPT_PERCENT_LIMIT, "PCT",
	 "hide functions below PCT percent of the self time"},
	{"min-self", CP_OPT_MIN_SELF, "TIME",
	 "hide functions with less self time than TIME (2us, 1ms)"},
	{NULL, 0, NULL, NULL}};

static void add_ids(const struct cp_command *cmd, const char *opt,
		    const char *arg, int **ids, size_t *n)
{
	char *copy = xstrdup(arg), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
		(*ids)[(*n)++] =
			(int)cp_parse_ulong(cmd, opt, tok, 1, 0x7fffffff);
	}
	if (*n == 0)
		cp_usage_error(cmd, "%s: no id in '%s'", opt, arg);
	free(copy);
}

static void add_pattern(const struct cp_command *cmd, const char *opt,
			const char *arg, char ***v, size_t *n)
{
	const char *why = cp_sel_check_pattern(arg);

	if (why != NULL)
		cp_usage_error(cmd, "%s: bad pattern '%s': %s", opt, arg, why);
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrdup(arg);
}

int cp_rfilter_option(const struct cp_command *cmd, struct cp_rfilter **fp,
		      int c, const char *arg)
{
	struct cp_rfilter *fl;
	char *end;

	if (c != CP_OPT_RFILTER && c != CP_OPT_REXCLUDE && c != CP_OPT_PID &&
	    c != CP_OPT_TID && c != CP_OPT_PERCENT_LIMIT &&
	    c != CP_OPT_MIN_SELF)
		return 0;
	if (*fp == NULL) {
		*fp = xcalloc(1, sizeof **fp);
		(*fp)->percent = -1;
	}
	fl = *fp;
	switch (c) {
	case CP_OPT_RFILTER:
		add_pattern(cmd, "--filter", arg, &fl->filter, &fl->nfilter);
		break;
	case CP_OPT_REXCLUDE:
		add_pattern(cmd, "--exclude", arg, &fl->exclude, &fl->nexclude);
		break;
	case CP_OPT_PID:
		add_ids(cmd, "--pid", arg, &fl->pids, &fl->npids);
		break;
	case CP_OPT_TID:
		add_ids(cmd, "--tid", arg, &fl->tids, &fl->ntids);
		break;
	case CP_OPT_PERCENT_LIMIT:
		errno = 0;
		fl->percent = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' ||
		    !(fl->percent >= 0 && fl->percent <= 100))
			cp_usage_error(cmd,
				       "--percent-limit: '%s' is not a "
				       "percentage from 0 to 100",
				       arg);
		break;
	case CP_OPT_MIN_SELF:
		if (cp_sel_parse_ns(arg, &fl->min_self) != 0)
			cp_usage_error(cmd,
				       "--min-self: bad time '%s' (a number "
				       "and ns, us, ms or s, as 2us)",
				       arg);
		fl->has_min_self = 1;
		break;
	}
	return 1;
}
