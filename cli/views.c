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
#include <math.h>
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
		fprintf(o->f, "%s%s%s%s%s\n", o->prefix, depth > 0 ? "+- " : "",
			func_name(o->p, n->func),
			n->sampled && !o->by_samples ? "  (sampled)" : "",
			n->estimated && !o->by_samples ? "  (calls estimated)"
						       : "");
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
	/*
	 * Counted calls (adaptive timing) have no time: the edge's time is
	 * that of its timed calls only.
	 */
	if (!sampled && e->untimed > 0)
		fprintf(f, "  (%" PRIu64 " counted, untimed)", e->untimed);
	else if (!sampled && e->calls > 0 && e->total == 0)
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
		      "without time;\ncalls counted, not timed, count on "
		      "their edge without time):\n",
		      f);
		graph_table(f, p, p->cct, top);
	}
	if (o->tree) {
		fputs("\nCalling-context tree (a function already on the path "
		      "re-enters that node: recursion\nfolds, and a node's "
		      "total is its self plus its children's):\n",
		      f);
		tree_table(f, p, p->cct, o);
		/* --threads: each thread's own tree after the run's. */
		for (size_t i = 0; o->threads && i < p->nthreads; i++) {
			const struct cp_thread *t = &p->threads[i];

			if (t->cct == NULL)
				continue;
			fprintf(f, "\nThread %d of pid %d:\n", t->tid, t->pid);
			tree_table(f, p, t->cct, o);
		}
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
			", \"samples\": %" PRIu64
			", \"untimed_calls\": %" PRIu64,
			e->calls, e->total, e->samples, e->untimed);
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
		", \"samples_total\": %" PRIu64 ", \"sampled\": %s"
		", \"calls_source\": \"%s\"",
		n->calls, n->self, n->total, n->samples, n->samples_total,
		n->sampled ? "true" : "false",
		n->estimated ? "estimated" : "exact");
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

/* --- frames, with spikes --- */

/* What is known of the frames of one name: medians, spread, spikes. */
struct fstat {
	const char *name;
	double frames; /* estimated from the sample's weights */
	size_t kept;
	uint64_t median;
	double cv;
	uint64_t *cmed; /* per run counter: the median count */
	int *chas;	/* per run counter: its frames count it */
	size_t spikes, tspikes;
	size_t *cspikes; /* per run counter */
};

struct wv {
	uint64_t v;
	double w;
};

static int wv_cmp(const void *va, const void *vb)
{
	const struct wv *a = va, *b = vb;

	return a->v < b->v ? -1 : a->v > b->v;
}

/* The weighted median of the N values of A (sorted here); 0 if none. */
static uint64_t wmedian(struct wv *a, size_t n)
{
	double all = 0, acc = 0;

	if (n == 0)
		return 0;
	qsort(a, n, sizeof *a, wv_cmp);
	for (size_t i = 0; i < n; i++)
		all += a[i].w;
	for (size_t i = 0; i < n; i++) {
		acc += a[i].w;
		if (acc >= all / 2)
			return a[i].v;
	}
	return a[n - 1].v;
}

/* Is R a spike of S: in time (counter K == SIZE_MAX) or in counter K? */
static int spike_in(const struct fstat *s, const struct cp_frame_rec *r,
		    size_t k, double factor)
{
	double med;

	if (k == SIZE_MAX)
		return s->median > 0 &&
		       (double)r->total_ns > factor * (double)s->median;
	for (size_t j = 0; j < r->ncounts; j++) {
		if (r->cidx[j] != k)
			continue;
		/* A counter usually at 0 spikes past FACTOR events. */
		med = s->cmed[k] > 0 ? (double)s->cmed[k] : 1;
		return (double)r->cval[j] > factor * med;
	}
	return 0;
}

static int is_spike(const struct cp_profile *p, const struct fstat *s,
		    const struct cp_frame_rec *r, double factor)
{
	if (spike_in(s, r, SIZE_MAX, factor))
		return 1;
	for (size_t k = 0; k < p->ncounters; k++) {
		if (spike_in(s, r, k, factor))
			return 1;
	}
	return 0;
}

static double spike_factor(const struct cp_output *o)
{
	return o->spike_factor > 0 ? o->spike_factor : CP_SPIKE_FACTOR;
}

/* The statistics of every frame name of P, *N of them (allocated). */
static struct fstat *frame_stats(const struct cp_profile *p,
				 const struct cp_output *o, size_t *n)
{
	struct fstat *st = NULL;
	size_t ns = 0, cap = 0, nk = p->ncounters;
	struct wv *a =
		xmalloc((p->nframe_recs ? p->nframe_recs : 1) * sizeof *a);

	for (size_t i = 0; i < p->nframe_recs; i++) {
		const struct cp_frame_rec *r = &p->frame_recs[i];
		size_t j;

		for (j = 0; j < ns && st[j].name != r->name; j++)
			;
		if (j == ns) {
			st = xgrow(st, &cap, ns + 1, sizeof *st);
			memset(&st[ns], 0, sizeof st[ns]);
			st[ns].name = r->name;
			st[ns].cmed = xcalloc(nk ? nk : 1, sizeof *st->cmed);
			st[ns].chas = xcalloc(nk ? nk : 1, sizeof *st->chas);
			st[ns].cspikes =
				xcalloc(nk ? nk : 1, sizeof *st->cspikes);
			ns++;
		}
		st[j].kept++;
		st[j].frames += r->weight;
	}
	for (size_t s = 0; s < ns; s++) {
		size_t m = 0;
		double sw = 0, mean = 0, var = 0;

		for (size_t i = 0; i < p->nframe_recs; i++) {
			const struct cp_frame_rec *r = &p->frame_recs[i];

			if (r->name != st[s].name || r->weight <= 0)
				continue;
			a[m].v = r->total_ns;
			a[m++].w = r->weight;
			sw += r->weight;
			mean += r->weight * (double)r->total_ns;
		}
		mean = sw > 0 ? mean / sw : 0;
		for (size_t i = 0; i < m; i++)
			var += a[i].w * ((double)a[i].v - mean) *
			       ((double)a[i].v - mean);
		st[s].cv = sw > 0 && mean > 0 ? sqrt(var / sw) / mean : 0;
		st[s].median = wmedian(a, m);
		for (size_t k = 0; k < nk; k++) {
			m = 0;
			for (size_t i = 0; i < p->nframe_recs; i++) {
				const struct cp_frame_rec *r =
					&p->frame_recs[i];

				if (r->name != st[s].name || r->weight <= 0)
					continue;
				for (size_t j = 0; j < r->ncounts; j++) {
					if (r->cidx[j] != k)
						continue;
					a[m].v = r->cval[j];
					a[m++].w = r->weight;
				}
			}
			st[s].chas[k] = m > 0;
			st[s].cmed[k] = wmedian(a, m);
		}
		for (size_t i = 0; i < p->nframe_recs; i++) {
			const struct cp_frame_rec *r = &p->frame_recs[i];

			if (r->name != st[s].name)
				continue;
			st[s].spikes += is_spike(p, &st[s], r, spike_factor(o));
			st[s].tspikes +=
				spike_in(&st[s], r, SIZE_MAX, spike_factor(o));
			for (size_t k = 0; k < nk; k++)
				st[s].cspikes[k] +=
					spike_in(&st[s], r, k, spike_factor(o));
		}
	}
	free(a);
	*n = ns;
	return st;
}

static void frame_stats_free(struct fstat *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(st[i].cmed);
		free(st[i].chas);
		free(st[i].cspikes);
	}
	free(st);
}

static const char *fname_label(const char *name)
{
	return name[0] != '\0' ? name : "(depth-0 returns)";
}

/* Normal frames a table shows besides the spikes. */
#define NORMAL_ROWS 10

static void frame_row(FILE *f, const struct cp_profile *p,
		      const struct fstat *s, const struct cp_frame_rec *r,
		      uint64_t t0, double factor)
{
	char a[32], b[32];
	int spike = is_spike(p, s, r, factor);

	fprintf(f, "  %s %8" PRIu64 "  %7d  %9s  %9s%s", spike ? "!" : " ",
		r->index, r->tid, cp_format_ns(a, sizeof a, r->start_ns - t0),
		cp_format_ns(b, sizeof b, r->total_ns),
		spike_in(s, r, SIZE_MAX, factor) ? "!" : " ");
	for (size_t k = 0; k < p->ncounters; k++) {
		uint64_t v = 0;

		if (!s->chas[k])
			continue;
		for (size_t j = 0; j < r->ncounts; j++)
			if (r->cidx[j] == k)
				v = r->cval[j];
		fprintf(f, "  %10s%s", cp_format_count(a, sizeof a, v),
			spike_in(s, r, k, factor) ? "!" : " ");
	}
	fputs(" ", f);
	for (size_t k = 0; k < CP_FRAME_TOP && r->top[k] != SIZE_MAX; k++)
		fprintf(f, "%s %s %s", k ? "," : "",
			func_name(p, (uint32_t)r->top[k]),
			cp_format_ns(a, sizeof a, r->top_ns[k]));
	fputc('\n', f);
}

static void frames_table(FILE *f, const struct cp_profile *p,
			 const struct cp_output *o)
{
	double factor = spike_factor(o);
	size_t ns;
	struct fstat *st = frame_stats(p, o, &ns);
	uint64_t t0 = UINT64_MAX;
	char a[32];

	for (size_t i = 0; i < p->nframe_recs; i++)
		if (p->frame_recs[i].start_ns < t0)
			t0 = p->frame_recs[i].start_ns;
	fprintf(f, "\nFrames: %" PRIu64 " in all", p->frame_seen);
	if (p->frame_sampled)
		fprintf(f,
			"; a uniform sample of them and the %s longest of "
			"each process were kept, and spikes are those among "
			"them",
			"1024");
	fputs("\n", f);
	if (ns == 0)
		fputs("  no frames recorded (a return to depth 0 or a frame "
		      "mark ends one)\n",
		      f);
	for (size_t s = 0; s < ns; s++) {
		size_t normal = 0, shown = 0, step;

		fprintf(f,
			"\n%s: %.0f frames, median %s, CV %.1f%%%s, %zu "
			"spikes above %gx the median",
			fname_label(st[s].name), st[s].frames,
			cp_format_ns(a, sizeof a, st[s].median), 100 * st[s].cv,
			st[s].cv > CP_FRAME_CV ? " (! above 15%)" : "",
			st[s].spikes, factor);
		fprintf(f, " (%zu in time", st[s].tspikes);
		for (size_t k = 0; k < p->ncounters; k++)
			if (st[s].chas[k])
				fprintf(f, ", %zu in %s", st[s].cspikes[k],
					p->counters[k].name);
		fputs(")\n", f);
		fprintf(f, "  %s %8s  %7s  %9s  %9s ", " ", "index", "thread",
			"start", "total");
		for (size_t k = 0; k < p->ncounters; k++)
			if (st[s].chas[k])
				fprintf(f, "  %10s ", p->counters[k].name);
		fputs(" top functions (self)\n", f);
		for (size_t i = 0; i < p->nframe_recs; i++)
			normal +=
				p->frame_recs[i].name == st[s].name &&
				!is_spike(p, &st[s], &p->frame_recs[i], factor);
		step = normal > NORMAL_ROWS ? normal / NORMAL_ROWS : 1;
		normal = 0;
		for (size_t i = 0; i < p->nframe_recs; i++) {
			const struct cp_frame_rec *r = &p->frame_recs[i];

			if (r->name != st[s].name)
				continue;
			if (!is_spike(p, &st[s], r, factor)) {
				if (normal++ % step != 0 ||
				    shown >= NORMAL_ROWS)
					continue;
				shown++;
			}
			frame_row(f, p, &st[s], r, t0, factor);
		}
	}
	frame_stats_free(st, ns);
}

void cp_frames_table(FILE *f, const struct cp_profile *p,
		     const struct cp_output *o)
{
	if (o->frames && p->want_frames)
		frames_table(f, p, o);
}

void cp_frames_json(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o)
{
	double factor = spike_factor(o);
	size_t ns;
	struct fstat *st;

	if (!o->frames || !p->want_frames)
		return;
	st = frame_stats(p, o, &ns);
	fputs("  \"frame_summary\": [", f);
	for (size_t s = 0; s < ns; s++) {
		fprintf(f, "%s\n    {\"name\": ", s ? "," : "");
		cp_json_str(f, st[s].name);
		fprintf(f,
			", \"frames\": %.0f, \"kept\": %zu, \"median_ns\": "
			"%" PRIu64 ", \"cv\": %.6g, \"cv_flagged\": %s, "
			"\"spikes\": %zu, \"spike_factor\": %g}",
			st[s].frames, st[s].kept, st[s].median, st[s].cv,
			st[s].cv > CP_FRAME_CV ? "true" : "false", st[s].spikes,
			factor);
	}
	fputs(ns ? "\n  ],\n" : "],\n", f);
	fprintf(f, "  \"frames_sampled\": %s,\n",
		p->frame_sampled ? "true" : "false");
	fputs("  \"frame_list\": [", f);
	for (size_t i = 0; i < p->nframe_recs; i++) {
		const struct cp_frame_rec *r = &p->frame_recs[i];
		const struct fstat *s = st;
		int first = 1;

		while (s->name != r->name)
			s++;
		fprintf(f,
			"%s\n    {\"index\": %" PRIu64 ", \"thread\": %d, "
			"\"pid\": %d, \"name\": ",
			i ? "," : "", r->index, r->tid, r->pid);
		cp_json_str(f, r->name);
		fprintf(f,
			", \"start_ns\": %" PRIu64 ", \"total_ns\": %" PRIu64
			", \"functions\": {",
			r->start_ns, r->total_ns);
		for (size_t k = 0; k < CP_FRAME_TOP && r->top[k] != SIZE_MAX;
		     k++) {
			fputs(k ? ", " : "", f);
			cp_json_str(f, func_name(p, (uint32_t)r->top[k]));
			fprintf(f, ": %" PRIu64, r->top_ns[k]);
		}
		fputs("}, \"counters\": {", f);
		for (size_t j = 0; j < r->ncounts; j++) {
			fputs(j ? ", " : "", f);
			cp_json_str(f, p->counters[r->cidx[j]].name);
			fprintf(f, ": %" PRIu64, r->cval[j]);
		}
		fprintf(f, "}, \"spike\": %s, \"spike_in\": [",
			is_spike(p, s, r, factor) ? "true" : "false");
		if (spike_in(s, r, SIZE_MAX, factor)) {
			fputs("\"time\"", f);
			first = 0;
		}
		for (size_t k = 0; k < p->ncounters; k++) {
			if (!spike_in(s, r, k, factor))
				continue;
			fputs(first ? "" : ", ", f);
			first = 0;
			cp_json_str(f, p->counters[k].name);
		}
		fputs("]}", f);
	}
	fputs(p->nframe_recs ? "\n  ],\n" : "],\n", f);
	frame_stats_free(st, ns);
}
