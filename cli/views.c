/*
 * views.c - the call graph and the calling-context tree of a profile
 * (report --call-graph, --tree), as a table and as JSON.
 *
 * Both read the run's tree (cp_profile.cct, cct.h), which the loader
 * builds when asked. The table folds what is too small or too deep to
 * read into one line per parent; the JSON holds every node and edge.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "cli.h"

/* --- the tree, as a table --- */

/* What a tree's table shows: time, or samples when no marker timed it. */
struct tree_out {
	FILE *f;
	const struct cp_profile *p;
	const struct cp_cct *t;
	size_t depth;	   /* levels shown, 0 for all */
	uint64_t floor;	   /* a node below this folds */
	int by_samples;	   /* no marker time: the samples are the tree */
	char prefix[4096]; /* "|  " or "   " per level above */
};

static uint64_t node_weight(const struct tree_out *o,
			    const struct cp_cct_node *n)
{
	return o->by_samples ? n->samples_total : n->total;
}

static void tree_cells(const struct tree_out *o, uint64_t total, uint64_t self,
		       uint64_t calls)
{
	char a[32], b[32];

	if (o->by_samples) {
		fprintf(o->f, "%9" PRIu64 "  %9" PRIu64 "  %7s  ", total, self,
			"-");
		return;
	}
	fprintf(o->f, "%9s  %9s  %7" PRIu64 "  ",
		cp_format_ns(a, sizeof a, total),
		cp_format_ns(b, sizeof b, self), calls);
}

static const char *func_name(const struct cp_profile *p, uint32_t f)
{
	return f < p->nfuncs ? p->funcs[f].name : "?";
}

/*
 * The children of node ID (CP_CCT_NONE: the roots) at DEPTH, each on
 * its line with its subtree under it; those below the floor, or all of
 * them past --depth, summed on one line.
 */
static void tree_children(struct tree_out *o, uint32_t id, size_t depth)
{
	const struct cp_cct *t = o->t;
	uint32_t c = id == CP_CCT_NONE ? cp_cct_first_root(t)
				       : cp_cct_node(t, id)->first_child;
	uint64_t ftotal = 0, fself = 0, fcalls = 0;
	size_t nfold = 0, plen = strlen(o->prefix);
	int deep = o->depth != 0 && depth >= o->depth;

	for (; c != CP_CCT_NONE; c = cp_cct_node(t, c)->next_sibling) {
		const struct cp_cct_node *n = cp_cct_node(t, c);
		uint32_t next = n->next_sibling;
		int last;

		if (deep || node_weight(o, n) < o->floor) {
			nfold++;
			ftotal += o->by_samples ? n->samples_total : n->total;
			fself += o->by_samples ? n->samples : n->self;
			fcalls += n->calls;
			continue;
		}
		/* A folded line, if any, comes after the last sibling. */
		last = next == CP_CCT_NONE;
		tree_cells(o, o->by_samples ? n->samples_total : n->total,
			   o->by_samples ? n->samples : n->self, n->calls);
		fprintf(o->f, "%s%s%s%s\n", o->prefix, depth > 0 ? "+- " : "",
			func_name(o->p, n->func),
			n->sampled && !o->by_samples ? "  (sampled)" : "");
		if (depth > 0 && plen + 4 < sizeof o->prefix)
			strcpy(o->prefix + plen, last ? "   " : "|  ");
		tree_children(o, c, depth + 1);
		o->prefix[plen] = '\0';
	}
	if (nfold == 0)
		return;
	tree_cells(o, ftotal, fself, fcalls);
	fprintf(o->f, "%s%s[%zu %s %s]\n", o->prefix, depth > 0 ? "+- " : "",
		nfold, nfold == 1 ? "call path" : "call paths",
		deep ? "deeper, folded" : "below the threshold, folded");
}

/* The tree of T (in P's functions) as an indented table. */
static void tree_table(FILE *f, const struct cp_profile *p,
		       const struct cp_cct *t, const struct cp_output *o)
{
	struct tree_out to = {.f = f, .p = p, .t = t, .depth = o->depth};
	uint64_t all = 0, samples = 0;

	for (uint32_t r = cp_cct_first_root(t); r != CP_CCT_NONE;
	     r = cp_cct_node(t, r)->next_sibling) {
		all += cp_cct_node(t, r)->total;
		samples += cp_cct_node(t, r)->samples_total;
	}
	to.by_samples = all == 0 && samples > 0;
	if (to.by_samples)
		all = samples;
	to.floor = (uint64_t)((double)all * o->min_share / 100.0);
	if (cp_cct_first_root(t) == CP_CCT_NONE) {
		fputs("  no calls recorded\n", f);
		return;
	}
	if (to.by_samples)
		fprintf(f, "%9s  %9s  %7s  %s\n", "samples", "self", "calls",
			"call path (from sampled call chains)");
	else
		fprintf(f, "%9s  %9s  %7s  %s\n", "total", "self", "calls",
			"call path");
	tree_children(&to, CP_CCT_NONE, 0);
}

/* --- the call graph, as a table --- */

/* An edge of the run's graph, by its index, for sorting. */
static const struct cp_cct *sort_tree;

static int edge_cmp(const void *va, const void *vb)
{
	const struct cp_cct_edge *a = cp_cct_edge(sort_tree,
						  *(const size_t *)va),
				 *b = cp_cct_edge(sort_tree,
						  *(const size_t *)vb);

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->calls != b->calls)
		return a->calls > b->calls ? -1 : 1;
	return *(const size_t *)va < *(const size_t *)vb ? -1 : 1;
}

static void edge_line(FILE *f, const struct cp_profile *p,
		      const struct cp_cct_edge *e, uint32_t other, int sampled)
{
	char a[32];

	if (sampled)
		fprintf(f, "      %9s  %9" PRIu64 "  ", "-", e->samples);
	else
		fprintf(f, "      %9" PRIu64 "  %9s  ", e->calls,
			cp_format_ns(a, sizeof a, e->total));
	fputs(other == CP_CCT_NONE ? "<root>" : func_name(p, other), f);
	if (!sampled && e->calls > 0 && e->total == 0)
		fputs("  (recursive: time counted in the outer call)", f);
	fputc('\n', f);
}

/* The function order of the graph: by total time, then samples. */
static const struct cp_profile *sort_prof;

static int func_cmp(const void *va, const void *vb)
{
	const struct cp_func *a = &sort_prof->funcs[*(const uint32_t *)va],
			     *b = &sort_prof->funcs[*(const uint32_t *)vb];

	if (a->st.total_ns != b->st.total_ns)
		return a->st.total_ns > b->st.total_ns ? -1 : 1;
	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return *(const uint32_t *)va < *(const uint32_t *)vb ? -1 : 1;
}

static void graph_table(FILE *f, const struct cp_profile *p,
			const struct cp_cct *t, size_t top)
{
	size_t ne = cp_cct_nedges(t), nf = 0;
	size_t *edges = xmalloc((ne ? ne : 1) * sizeof *edges);
	uint32_t *funcs = xmalloc((p->nfuncs ? p->nfuncs : 1) * sizeof *funcs);
	char *seen = xcalloc(p->nfuncs ? p->nfuncs : 1, 1);
	char a[32], b[32];

	for (size_t i = 0; i < ne; i++) {
		const struct cp_cct_edge *e = cp_cct_edge(t, i);

		edges[i] = i;
		/* Hidden by --percent-limit or --min-self (filter.c). */
		if (e->callee < p->nfuncs && p->funcs[e->callee].hidden)
			continue;
		if (e->callee < p->nfuncs && !seen[e->callee]) {
			seen[e->callee] = 1;
			funcs[nf++] = e->callee;
		}
	}
	sort_tree = t;
	qsort(edges, ne, sizeof *edges, edge_cmp);
	sort_prof = p;
	qsort(funcs, nf, sizeof *funcs, func_cmp);
	if (nf == 0) {
		fputs("  no calls recorded\n", f);
		goto out;
	}
	fprintf(f, "      %9s  %9s  %s\n", "calls", "time",
		"callers above, callees below each function; samples where "
		"only sampled");
	for (size_t i = 0; i < nf && (top == 0 || i < top); i++) {
		const struct cp_func *fn = &p->funcs[funcs[i]];

		fputc('\n', f);
		for (size_t j = 0; j < ne; j++) {
			const struct cp_cct_edge *e = cp_cct_edge(t, edges[j]);

			if (e->callee == funcs[i])
				edge_line(f, p, e, e->caller, e->calls == 0);
		}
		if (fn->st.calls > 0)
			fprintf(f, "  %9" PRIu64 "  %9s  %s  (self %s)\n",
				fn->st.calls,
				cp_format_ns(a, sizeof a, fn->st.total_ns),
				fn->name,
				cp_format_ns(b, sizeof b, fn->st.self_ns));
		else
			fprintf(f, "  %9s  %9" PRIu64 "  %s  (samples)\n", "-",
				fn->samples, fn->name);
		for (size_t j = 0; j < ne; j++) {
			const struct cp_cct_edge *e = cp_cct_edge(t, edges[j]);

			if (e->caller == funcs[i])
				edge_line(f, p, e, e->callee, e->calls == 0);
		}
	}
	if (top != 0 && nf > top)
		fprintf(f, "\n  (%zu more functions: --top 0 shows all)\n",
			nf - top);
out:
	free(edges);
	free(funcs);
	free(seen);
}

void cp_views_table(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o, size_t top)
{
	if (p->cct == NULL)
		return;
	if (o->call_graph) {
		fputs("\nCall graph (an edge's time is that of the callee's "
		      "outermost calls from that caller,\nso the edges into "
		      "a function add up to its total; recursive calls count "
		      "without time):\n",
		      f);
		graph_table(f, p, p->cct, top);
	}
	if (o->tree) {
		fputs("\nCalling-context tree (a function already on the path "
		      "re-enters that node: recursion\nfolds, and a node's "
		      "total is its self plus its children's):\n",
		      f);
		tree_table(f, p, p->cct, o);
	}
}

/* --- JSON --- */

/* The counters of a node or edge: {name: value} or {name: {self, total}}. */
static void json_counts(FILE *f, const struct cp_profile *p, const uint64_t *c,
			size_t nc, int pair)
{
	fputs(", \"counters\": {", f);
	for (size_t k = 0; c != NULL && k < nc && k < p->ncounters; k++) {
		fputs(k ? ", " : "", f);
		cp_json_str(f, p->counters[k].name);
		if (pair)
			fprintf(f,
				": {\"self\": %" PRIu64 ", \"total\": %" PRIu64
				"}",
				c[k], c[nc + k]);
		else
			fprintf(f, ": %" PRIu64, c[k]);
	}
	fputc('}', f);
}

static void json_func(FILE *f, const struct cp_profile *p, const char *key,
		      uint32_t fid)
{
	fprintf(f, "\"%s\": ", key);
	if (fid == CP_CCT_NONE || fid >= p->nfuncs)
		fputs("null", f);
	else
		cp_json_str(f, p->funcs[fid].name);
}

static void json_graph(FILE *f, const struct cp_profile *p,
		       const struct cp_cct *t)
{
	size_t ne = cp_cct_nedges(t), nc = cp_cct_ncounters(t);
	size_t *edges = xmalloc((ne ? ne : 1) * sizeof *edges);

	for (size_t i = 0; i < ne; i++)
		edges[i] = i;
	sort_tree = t;
	qsort(edges, ne, sizeof *edges, edge_cmp);
	fputs("  \"call_graph\": [", f);
	for (size_t i = 0; i < ne; i++) {
		const struct cp_cct_edge *e = cp_cct_edge(t, edges[i]);

		fprintf(f, "%s\n    {", i == 0 ? "" : ",");
		json_func(f, p, "caller", e->caller);
		fputs(", ", f);
		json_func(f, p, "callee", e->callee);
		fprintf(f,
			", \"calls\": %" PRIu64 ", \"total_ns\": %" PRIu64
			", \"samples\": %" PRIu64,
			e->calls, e->total, e->samples);
		json_counts(f, p, cp_cct_edge_counts(t, edges[i]), nc, 0);
		fputc('}', f);
	}
	fputs(ne == 0 ? "],\n" : "\n  ],\n", f);
	free(edges);
}

struct json_tree {
	FILE *f;
	const struct cp_profile *p;
	uint32_t *out; /* a node's id in the output: its rank in the walk */
	uint32_t next;
};

static int json_node(void *arg, const struct cp_cct *t, uint32_t id,
		     const uint32_t *path, size_t depth)
{
	struct json_tree *j = arg;
	const struct cp_cct_node *n = cp_cct_node(t, id);

	(void)path;
	(void)depth;
	j->out[id] = j->next++;
	fprintf(j->f, "%s\n    {\"id\": %" PRIu32 ", \"parent\": ",
		j->out[id] == 0 ? "" : ",", j->out[id]);
	if (n->parent == CP_CCT_NONE)
		fputs("null", j->f);
	else
		fprintf(j->f, "%" PRIu32, j->out[n->parent]);
	fputs(", ", j->f);
	json_func(j->f, j->p, "name", n->func);
	fprintf(j->f,
		", \"calls\": %" PRIu64 ", \"self_ns\": %" PRIu64
		", \"total_ns\": %" PRIu64 ", \"samples\": %" PRIu64
		", \"samples_total\": %" PRIu64 ", \"sampled\": %s",
		n->calls, n->self, n->total, n->samples, n->samples_total,
		n->sampled ? "true" : "false");
	json_counts(j->f, j->p, cp_cct_node_counts(t, id), cp_cct_ncounters(t),
		    1);
	fputc('}', j->f);
	return 0;
}

static void json_tree(FILE *f, const struct cp_profile *p,
		      const struct cp_cct *t)
{
	size_t n = cp_cct_nnodes(t);
	struct json_tree j = {f, p, xmalloc((n ? n : 1) * sizeof *j.out), 0};

	fputs("  \"tree\": [", f);
	cp_cct_walk(t, json_node, &j);
	fputs(n == 0 ? "],\n" : "\n  ],\n", f);
	free(j.out);
}

void cp_views_json(FILE *f, const struct cp_profile *p,
		   const struct cp_output *o)
{
	if (p->cct == NULL)
		return;
	if (o->call_graph)
		json_graph(f, p, p->cct);
	if (o->tree)
		json_tree(f, p, p->cct);
}
