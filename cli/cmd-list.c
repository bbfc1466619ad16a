/*
 * cmd-list.c - "cprof list": the events cprof can count on this machine.
 *
 * The generic names perf(1) users know come first, then the events of
 * every PMU libpfm4 detects, each with a mark when this kernel accepts
 * it. libpfm4 knows a PMU by the processor's model, but the kernel may
 * still refuse it (a virtual machine without a virtual PMU): the mark
 * comes from test-opening the event on cprof itself, the way stat and
 * record check the events they are given.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

#include "cli.h"

static const struct cp_option list_options[] = {{NULL, 0, NULL, NULL}};

static const struct cp_option *const list_groups[] = {list_options, NULL};

static int cmd_list(int argc, char **argv);

const struct cp_command cp_cmd_list = {
	.name = "list",
	.summary = "list the events stat and record can count",
	.usage = "[PATTERN]",
	.about = "List the events stat and record can count, as libpfm4 knows "
		 "them, grouped\n"
		 "by PMU; '*' marks those this kernel accepts. PATTERN keeps "
		 "the events\n"
		 "whose name holds it, in any case.",
	.groups = list_groups,
	.exec = cmd_list,
};

/* The mark of an accepted event, explained by the last line. */
#define MARK '*'

/* The widest name column; a longer name overflows it. */
#define NAME_COLUMN 44

/* Columns of the terminal, or 0 when stdout is not one. */
static int columns;

/* Whether NAME holds PATTERN, in any case; a NULL PATTERN matches all. */
static int matches(const char *name, const char *pattern)
{
	size_t n, i;

	if (pattern == NULL)
		return 1;
	n = strlen(pattern);
	for (i = 0; name[i] != '\0'; i++)
		if (strncasecmp(name + i, pattern, n) == 0)
			return 1;
	return n == 0;
}

/* Whether the kernel accepts the event libpfm4 calls NAME. */
static int accepted(const char *name)
{
	struct cp_event ev;
	char why[256];
	int pfmerr, ok;

	if (cp_event_encode(name, &ev, &pfmerr, why, sizeof why) != 0)
		return 0;
	ok = cp_event_try(&ev) == 0;
	free(ev.name);
	return ok;
}

/*
 * Print a line: the mark, NAME in a column of WIDTH, and the first
 * sentence of DESC, cut to the terminal's width.
 */
static void line(int mark, int indent, const char *name, int width,
		 const char *desc)
{
	int len = (int)strcspn(desc, "\n"), room, w;
	const char *stop;

	if ((stop = strstr(desc, ". ")) != NULL && stop - desc < len)
		len = (int)(stop - desc);
	while (len > 0 && (desc[len - 1] == '.' || desc[len - 1] == ' '))
		len--;
	w = printf("%*s%c %-*s  ", indent, "", mark ? MARK : ' ', width, name);
	room = columns - w;
	if (columns > 0 && len > room) {
		len = room > 3 ? room - 3 : 0;
		printf("%.*s...\n", len, desc);
	} else {
		printf("%.*s\n", len, desc);
	}
}

static size_t list_generic(const char *pattern)
{
	const struct cp_generic_event *g;
	size_t n = 0;
	int width = 0, w;

	for (g = cp_generic_events; g->name != NULL; g++)
		if (matches(g->name, pattern) &&
		    (w = (int)strlen(g->name)) > width)
			width = w;
	for (g = cp_generic_events; g->name != NULL; g++) {
		if (!matches(g->name, pattern))
			continue;
		if (n++ == 0)
			printf("generic events:\n");
		line(accepted(g->name), 2, g->name, width, g->desc);
	}
	return n;
}

/* One event of a PMU, with its unit masks. */
struct entry {
	char *name; /* "pmu::EVENT" */
	const char *desc;
	char *alias;   /* "same as pmu::EVENT", for an alias */
	char **umasks; /* ":UMASK" */
	const char **udescs;
	int nattrs, nmatch, all;
};

static void entry_free(struct entry *e)
{
	int i;

	for (i = 0; i < e->nmatch; i++)
		free(e->umasks[i]);
	free(e->umasks);
	free(e->udescs);
	free(e->alias);
	free(e->name);
}

/*
 * Fill E for event IDX of the PMU PMUNAME when it or one of its unit masks
 * matches PATTERN; 0 when nothing does.
 */
static int collect(int idx, const char *pmuname, const char *pattern,
		   struct entry *e)
{
	pfm_event_attr_info_t ai;
	pfm_event_info_t ei;
	char *full;
	int a;

	memset(e, 0, sizeof *e);
	memset(&ei, 0, sizeof ei);
	ei.size = sizeof ei;
	if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &ei) != PFM_SUCCESS)
		return 0;
	if (asprintf(&e->name, "%s::%s", pmuname, ei.name) < 0)
		fatalx("out of memory");
	e->desc = ei.desc != NULL ? ei.desc : "";
	e->all = matches(e->name, pattern);
	e->umasks = xcalloc((size_t)ei.nattrs + 1, sizeof *e->umasks);
	e->udescs = xcalloc((size_t)ei.nattrs + 1, sizeof *e->udescs);
	for (a = 0; a < ei.nattrs; a++) {
		memset(&ai, 0, sizeof ai);
		ai.size = sizeof ai;
		if (pfm_get_event_attr_info(idx, a, PFM_OS_PERF_EVENT_EXT,
					    &ai) != PFM_SUCCESS ||
		    ai.type != PFM_ATTR_UMASK)
			continue;
		/* The first unit mask stands in for an event that needs one. */
		e->nattrs++;
		if (asprintf(&full, "%s:%s", e->name, ai.name) < 0)
			fatalx("out of memory");
		if (e->all || matches(full, pattern)) {
			e->umasks[e->nmatch] = full;
			e->udescs[e->nmatch++] = ai.desc != NULL ? ai.desc : "";
		} else {
			free(full);
		}
	}
	/* An alias says what it stands for. */
	if (ei.equiv != NULL && strcmp(e->desc, ei.equiv) == 0) {
		if (asprintf(&e->alias, "same as %s::%s", pmuname, ei.equiv) <
		    0)
			fatalx("out of memory");
		e->desc = e->alias;
	}
	if (!e->all && e->nmatch == 0) {
		entry_free(e);
		return 0;
	}
	return 1;
}

/* Whether the kernel accepts E, with its first unit mask if it needs one. */
static int entry_accepted(const struct entry *e, int idx)
{
	pfm_event_attr_info_t ai;
	char *full;
	int a, ok;

	if (accepted(e->name))
		return 1;
	if (e->nattrs == 0)
		return 0;
	for (a = 0;; a++) {
		memset(&ai, 0, sizeof ai);
		ai.size = sizeof ai;
		if (pfm_get_event_attr_info(idx, a, PFM_OS_PERF_EVENT_EXT,
					    &ai) != PFM_SUCCESS)
			return 0;
		if (ai.type == PFM_ATTR_UMASK)
			break;
	}
	if (asprintf(&full, "%s:%s", e->name, ai.name) < 0)
		fatalx("out of memory");
	ok = accepted(full);
	free(full);
	return ok;
}

static size_t list_pmu(const pfm_pmu_info_t *pi, const char *pattern)
{
	struct entry *es = NULL;
	size_t n = 0, cap = 0, i;
	int idx, width = 0, w, m;
	int *idxs = NULL;

	for (idx = pi->first_event; idx != -1; idx = pfm_get_event_next(idx)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			es = xrealloc(es, cap * sizeof *es);
			idxs = xrealloc(idxs, cap * sizeof *idxs);
		}
		if (!collect(idx, pi->name, pattern, &es[n]))
			continue;
		idxs[n] = idx;
		if ((w = (int)strlen(es[n].name)) > width)
			width = w;
		for (m = 0; m < es[n].nmatch; m++)
			if ((w = (int)strlen(strrchr(es[n].umasks[m], ':')) +
				 4) > width)
				width = w;
		n++;
	}
	/* A longer name pushes its own description right, not all of them. */
	if (width > NAME_COLUMN)
		width = NAME_COLUMN;
	if (n > 0)
		printf("\n%s (%s):\n", pi->name, pi->desc);
	for (i = 0; i < n; i++) {
		line(entry_accepted(&es[i], idxs[i]), 2, es[i].name, width,
		     es[i].desc);
		for (m = 0; m < es[i].nmatch; m++)
			line(0, 6, strrchr(es[i].umasks[m], ':'), width - 4,
			     es[i].udescs[m]);
		entry_free(&es[i]);
	}
	free(es);
	free(idxs);
	return n;
}

static int cmd_list(int argc, char **argv)
{
	const char *pattern = NULL;
	struct winsize ws;
	pfm_pmu_info_t pi;
	pfm_pmu_t pmu;
	size_t n;

	while (cp_getopt(&cp_cmd_list, argc, argv) != -1)
		continue;
	argc -= optind;
	argv += optind;
	if (argc > 1)
		cp_usage_error(&cp_cmd_list, "unexpected argument '%s'",
			       argv[1]);
	if (argc == 1)
		pattern = argv[0];
	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 40)
		columns = ws.ws_col;

	cp_events_init();
	n = list_generic(pattern);
	pfm_for_all_pmus(pmu)
	{
		memset(&pi, 0, sizeof pi);
		pi.size = sizeof pi;
		if (pfm_get_pmu_info(pmu, &pi) != PFM_SUCCESS || !pi.is_present)
			continue;
		n += list_pmu(&pi, pattern);
	}
	if (n == 0) {
		if (fflush(stdout) != 0)
			fatal("stdout");
		fatalx("no event matches '%s'", pattern);
	}
	printf("\n%c: accepted by this kernel (test-opened on cprof itself); "
	       "unmarked events are refused here\n",
	       MARK);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal("stdout");
	return 0;
}
