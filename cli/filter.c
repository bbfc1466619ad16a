/*
 * filter.c - the report-time filters (issue 9): which rows of a loaded
 * profile the views show, applied to the profile once it is read, so
 * that every view (table, --threads, JSON, CSV, --tree, --call-graph)
 * agrees.
 *
 * --pid and --tid keep the threads of those processes and threads: the
 * functions' numbers, and the tree and call graph, are summed again over
 * them alone. --filter and --exclude (glob patterns, as the record-time
 * options of the same names: a C++ name matches with or without its
 * parameters) hide functions; --percent-limit and --min-self hide the
 * functions with less self time. A hidden function is not in the table,
 * the JSON functions or the CSV; in the tree, --exclude leaves out a
 * function's nodes with everything under them and --filter starts the
 * tree at the outermost calls of the matched functions, with all they
 * call; --percent-limit and --min-self leave the tree to --min-share and
 * hide functions from the call graph. Percentages stay shares of the
 * whole run, and a line (the JSON key "filtered") says what the filters
 * hid.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "cli.h"

/* NAME matches one of PATS, as it is or without its parameters. */
static int matches(char **pats, size_t n, const char *name)
{
	const char *paren = strchr(name, '(');
	char *bare = NULL;
	int hit = 0;

	if (paren != NULL && paren != name)
		bare = strndup(name, (size_t)(paren - name));
	for (size_t i = 0; i < n && !hit; i++)
		hit = fnmatch(pats[i], name, 0) == 0 ||
		      (bare != NULL && fnmatch(pats[i], bare, 0) == 0);
	free(bare);
	return hit;
}

static int has_id(const int *ids, size_t n, int id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static void add_count(struct cp_count *to, const struct cp_count *from,
		      size_t n)
{
	for (size_t k = 0; from != NULL && to != NULL && k < n; k++) {
		to[k].self += from[k].self;
		to[k].total += from[k].total;
	}
}

static uint64_t mean(uint64_t v, size_t n)
{
	return n > 1 ? (v + n / 2) / n : v;
}

/*
 * Keep the threads --pid and --tid ask for, the functions' numbers summed
 * over them again (means per run for a repeated run), the tree and graph
 * merged again from theirs.
 */
static void select_threads(struct cp_profile *p, const struct cp_rfilter *fl)
{
	size_t keep = 0, nc = p->ncounters;
	struct cp_cct *cct = NULL;

	for (size_t i = 0; i < p->nfuncs; i++) {
		memset(&p->funcs[i].st, 0, sizeof p->funcs[i].st);
		if (p->funcs[i].counts != NULL)
			memset(p->funcs[i].counts, 0,
			       nc * sizeof *p->funcs[i].counts);
	}
	if (p->cct != NULL)
		cct = cp_cct_new(nc);
	for (size_t i = 0; i < p->nthreads; i++) {
		struct cp_thread *t = &p->threads[i];

		if ((fl->npids > 0 && !has_id(fl->pids, fl->npids, t->pid)) ||
		    (fl->ntids > 0 && !has_id(fl->tids, fl->ntids, t->tid))) {
			for (size_t j = 0; j < t->nfuncs; j++)
				free(t->funcs[j].counts);
			free(t->funcs);
			free(t->totals);
			cp_cct_free(t->cct);
			continue;
		}
		for (size_t j = 0; j < t->nfuncs; j++) {
			struct cp_func *f = &p->funcs[t->funcs[j].func];

			f->st.calls += t->funcs[j].st.calls;
			f->st.self_ns += t->funcs[j].st.self_ns;
			f->st.total_ns += t->funcs[j].st.total_ns;
			add_count(f->counts, t->funcs[j].counts, nc);
		}
		if (cct != NULL && t->cct != NULL) {
			struct cp_cct_map id = {0};

			cp_cct_merge(cct, t->cct, &id);
		}
		p->threads[keep++] = *t;
	}
	p->nthreads = keep;
	for (size_t i = 0; p->repeats > 1 && i < p->nfuncs; i++) {
		struct cp_func *f = &p->funcs[i];

		f->st.calls = mean(f->st.calls, p->repeats);
		f->st.self_ns = mean(f->st.self_ns, p->repeats);
		f->st.total_ns = mean(f->st.total_ns, p->repeats);
		for (size_t k = 0; f->counts != NULL && k < nc; k++) {
			f->counts[k].self = mean(f->counts[k].self, p->repeats);
			f->counts[k].total =
				mean(f->counts[k].total, p->repeats);
		}
	}
	if (cct != NULL) {
		cp_cct_finish(cct);
		cp_cct_free(p->cct);
		p->cct = cct;
	}
}

/* --filter and --exclude on the tree and graph: cp_cct_focus(). */
static void focus(struct cp_profile *p, const struct cp_rfilter *fl)
{
	unsigned char *root = NULL, *drop = NULL;
	struct cp_cct *cct;

	if (p->cct == NULL || (fl->nfilter == 0 && fl->nexclude == 0))
		return;
	if (fl->nfilter > 0)
		root = xcalloc(p->nfuncs ? p->nfuncs : 1, 1);
	if (fl->nexclude > 0)
		drop = xcalloc(p->nfuncs ? p->nfuncs : 1, 1);
	for (size_t i = 0; i < p->nfuncs; i++) {
		if (root != NULL)
			root[i] = (unsigned char)matches(
				fl->filter, fl->nfilter, p->funcs[i].name);
		if (drop != NULL)
			drop[i] = (unsigned char)matches(
				fl->exclude, fl->nexclude, p->funcs[i].name);
	}
	cct = cp_cct_new(p->ncounters);
	cp_cct_focus(cct, p->cct, root, drop);
	cp_cct_finish(cct);
	cp_cct_free(p->cct);
	p->cct = cct;
	free(root);
	free(drop);
}

void cp_rfilter_apply(struct cp_profile *p, const struct cp_rfilter *fl)
{
	uint64_t shown = 0;

	if (fl == NULL)
		return;
	p->filtered = 1;
	if (fl->npids > 0 || fl->ntids > 0)
		select_threads(p, fl);
	focus(p, fl);
	for (size_t i = 0; i < p->nfuncs; i++) {
		struct cp_func *f = &p->funcs[i];
		uint64_t self = f->st.self_ns;

		f->hidden = (fl->nfilter > 0 &&
			     !matches(fl->filter, fl->nfilter, f->name)) ||
			    (fl->nexclude > 0 &&
			     matches(fl->exclude, fl->nexclude, f->name)) ||
			    (fl->percent >= 0 &&
			     (double)self * 100 <
				     fl->percent * (double)p->total_self_ns) ||
			    (fl->has_min_self && self < fl->min_self);
		if (!f->hidden)
			shown += self;
		else if (f->st.calls > 0 || self > 0 || f->samples > 0)
			p->hidden_funcs++;
	}
	p->hidden_self_ns =
		p->total_self_ns > shown ? p->total_self_ns - shown : 0;
}

void cp_rfilter_table_line(FILE *f, const struct cp_profile *p)
{
	if (!p->filtered)
		return;
	fprintf(f, "%zu function%s, %.1f%% of self time hidden by filters\n",
		p->hidden_funcs, p->hidden_funcs == 1 ? "" : "s",
		p->total_self_ns > 0 ? 100.0 * (double)p->hidden_self_ns /
					       (double)p->total_self_ns
				     : 0.0);
}

void cp_rfilter_json(FILE *f, const struct cp_profile *p)
{
	if (!p->filtered)
		return;
	fprintf(f,
		"  \"filtered\": {\"functions_hidden\": %zu, "
		"\"self_ns_hidden\": %llu, \"self_pct_hidden\": %.2f},\n",
		p->hidden_funcs, (unsigned long long)p->hidden_self_ns,
		p->total_self_ns > 0 ? 100.0 * (double)p->hidden_self_ns /
					       (double)p->total_self_ns
				     : 0.0);
}

void cp_rfilter_free(struct cp_rfilter *fl)
{
	if (fl == NULL)
		return;
	for (size_t i = 0; i < fl->nfilter; i++)
		free(fl->filter[i]);
	for (size_t i = 0; i < fl->nexclude; i++)
		free(fl->exclude[i]);
	free(fl->filter);
	free(fl->exclude);
	free(fl->pids);
	free(fl->tids);
	free(fl);
}
