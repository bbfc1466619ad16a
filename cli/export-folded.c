/*
 * export-folded.c - report --format folded: folded stacks, one line per
 * calling context, "main;parse;lex 1234", which flamegraph.pl, inferno
 * and speedscope read as they are.
 *
 * The lines are the nodes of the run's calling-context tree (cct.h), in
 * its walk order, each with what the node holds itself: self time in
 * nanoseconds (the default), calls, samples, or a counter's self count
 * (--value), so the values of a function's lines add up to its self in
 * cprof's table, and those of every line to the run's. Nodes whose value
 * is 0 are left out. A ';' in a name would split it (C++ has none, but a
 * marker name may): it is written ':'; a line break is written as a
 * space. Counters other than the one chosen, time and calls beside
 * samples, and threads and processes (the tree is the run's) are what
 * the format drops.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "export.h"

enum value { V_SELF, V_CALLS, V_SAMPLES, V_COUNTER };

struct folded {
	const struct cp_profile *p;
	FILE *f;
	enum value what;
	size_t counter;
	uint64_t lines, sum;
};

static void put_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == ';' ? ':' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static int visit(void *arg, const struct cp_cct *t, uint32_t id,
		 const uint32_t *path, size_t depth)
{
	struct folded *x = arg;
	const struct cp_cct_node *n = cp_cct_node(t, id);
	uint64_t v = 0;

	switch (x->what) {
	case V_SELF:
		v = n->self;
		break;
	case V_CALLS:
		v = n->calls;
		break;
	case V_SAMPLES:
		v = n->samples;
		break;
	case V_COUNTER:
		v = cp_cct_node_counts(t, id)[x->counter];
		break;
	}
	if (v == 0)
		return 0;
	for (size_t i = 0; i <= depth; i++) {
		if (i > 0)
			fputc(';', x->f);
		put_name(x->f, x->p->funcs[path[i]].name);
	}
	fprintf(x->f, " %" PRIu64 "\n", v);
	x->lines++;
	x->sum += v;
	return 0;
}

int cp_export_folded(struct cp_profile *p, const char *run,
		     const struct cp_export_opts *o, struct cp_xout *out)
{
	struct folded x;
	uint64_t samples = 0;

	memset(&x, 0, sizeof x);
	x.p = p;
	p->want_cct = 1;
	if (cp_profile_load(p, run) != 0)
		return -1;
	for (size_t i = 0; i < p->nfuncs; i++)
		samples += p->funcs[i].samples;
	/* The default: self time, or the samples of a run without markers. */
	if (o->value == NULL || strcmp(o->value, "self") == 0)
		x.what = o->value == NULL && p->total_self_ns == 0 && samples
				 ? V_SAMPLES
				 : V_SELF;
	else if (strcmp(o->value, "calls") == 0)
		x.what = V_CALLS;
	else if (strcmp(o->value, "samples") == 0)
		x.what = V_SAMPLES;
	else {
		x.what = V_COUNTER;
		for (x.counter = 0; x.counter < p->ncounters; x.counter++)
			if (strcmp(p->counters[x.counter].name, o->value) ==
				    0 ||
			    cp_counter_is(&p->counters[x.counter], o->value))
				break;
		if (x.counter == p->ncounters)
			fatalx_status(2,
				      "--value: '%s' is not self, calls, "
				      "samples or a counter of this run",
				      o->value);
	}
	x.f = cp_xout_file(out);
	if (p->cct != NULL)
		cp_cct_walk(p->cct, visit, &x);
	return 0;
}
