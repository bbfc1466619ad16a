/*
 * cct.c - the calling-context tree and call graph (cct.h says what they
 * hold and the recursion rule).
 *
 * Nodes live in one array in the order they were made, so that a parent
 * always comes before its children: totals are summed in one backward
 * pass and a merge maps parents before children. Each (node, function)
 * pair met while building is remembered with the node it leads to, a
 * child or a re-entered ancestor, so an enter costs one hash look-up and
 * only the first enter of a pair walks the path up.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "cli.h"

/* A (node, function) pair and where entering FUNC from PARENT leads. */
struct trans {
	uint32_t parent, func, target;
};

struct cp_cct {
	size_t nc;
	struct cp_cct_node *nodes;
	size_t nnodes, capnodes;
	uint64_t *counts; /* 2 * nc per node: self, then total */
	size_t capcounts;
	struct trans *tr;
	size_t ntr, captr;
	struct cp_index tr_ix;
	struct cp_cct_edge *edges;
	size_t nedges, capedges;
	uint64_t *ecounts; /* nc per edge */
	size_t capecounts;
	struct cp_index edge_ix;
	uint32_t first_root;
	size_t maxdepth;
};

/* A merge's marks for nodes left out, beside roots' CP_CCT_NONE. */
#define DROPPED (CP_CCT_NONE - 1)

struct cp_cct *cp_cct_new(size_t ncounters)
{
	struct cp_cct *t = xcalloc(1, sizeof *t);

	t->nc = ncounters;
	t->first_root = CP_CCT_NONE;
	return t;
}

void cp_cct_free(struct cp_cct *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t->counts);
	free(t->tr);
	cp_index_clear(&t->tr_ix);
	free(t->edges);
	free(t->ecounts);
	cp_index_clear(&t->edge_ix);
	free(t);
}

size_t cp_cct_ncounters(const struct cp_cct *t)
{
	return t->nc;
}

/* Re-lay the per-item counters of N items from OLD to NEW per item. */
static uint64_t *restride(uint64_t *a, size_t n, size_t old, size_t new,
			  size_t *cap)
{
	uint64_t *b = xcalloc(n > 0 ? n * new : 1, sizeof *b);

	for (size_t i = 0; i < n && old > 0; i++)
		memcpy(b + i * new, a + i * old, old * sizeof *a);
	free(a);
	*cap = n;
	return b;
}

void cp_cct_widen(struct cp_cct *t, size_t n)
{
	size_t old = t->nc;

	if (n <= old)
		return;
	/* A node's self and total halves each widen: move them apart. */
	if (t->nnodes > 0) {
		uint64_t *b = xcalloc(t->nnodes * 2 * n, sizeof *b);

		for (size_t i = 0; i < t->nnodes; i++) {
			memcpy(b + i * 2 * n, t->counts + i * 2 * old,
			       old * sizeof *b);
			memcpy(b + i * 2 * n + n, t->counts + i * 2 * old + old,
			       old * sizeof *b);
		}
		free(t->counts);
		t->counts = b;
		t->capcounts = t->nnodes;
	} else {
		free(t->counts);
		t->counts = NULL;
		t->capcounts = 0;
	}
	if (t->nedges > 0) {
		t->ecounts =
			restride(t->ecounts, t->nedges, old, n, &t->capecounts);
	} else {
		free(t->ecounts);
		t->ecounts = NULL;
		t->capecounts = 0;
	}
	t->nc = n;
}

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
	return cp_hash_u64(((uint64_t)a << 32) | b);
}

static int tr_eq(const void *ctx, uint32_t id)
{
	const struct cp_cct *t = ((const void *const *)ctx)[0];
	const struct trans *k = ((const void *const *)ctx)[1];

	return t->tr[id].parent == k->parent && t->tr[id].func == k->func;
}

static uint32_t node_new(struct cp_cct *t, uint32_t parent, uint32_t func)
{
	struct cp_cct_node *n;
	size_t cap = t->capcounts;

	t->nodes =
		xgrow(t->nodes, &t->capnodes, t->nnodes + 1, sizeof *t->nodes);
	if (t->nc > 0) {
		t->counts = xgrow(t->counts, &cap, t->nnodes + 1,
				  2 * t->nc * sizeof *t->counts);
		memset(t->counts + t->nnodes * 2 * t->nc, 0,
		       2 * t->nc * sizeof *t->counts);
		t->capcounts = cap;
	}
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof *n);
	n->parent = parent;
	n->func = func;
	n->depth = parent == CP_CCT_NONE ? 0 : t->nodes[parent].depth + 1;
	n->first_child = n->next_sibling = CP_CCT_NONE;
	if (n->depth > t->maxdepth)
		t->maxdepth = n->depth;
	return (uint32_t)t->nnodes++;
}

uint32_t cp_cct_enter(struct cp_cct *t, uint32_t parent, uint32_t func)
{
	struct trans k = {parent, func, CP_CCT_NONE};
	const void *ctx[2] = {t, &k};
	uint64_t h = pair_hash(parent, func);
	uint32_t id = cp_index_find(&t->tr_ix, h, tr_eq, ctx);

	if (id != CP_INDEX_NONE)
		return t->tr[id].target;
	/* First met: is FUNC on the path already? Then it re-enters there. */
	for (uint32_t a = parent; a != CP_CCT_NONE; a = t->nodes[a].parent) {
		if (t->nodes[a].func == func) {
			k.target = a;
			break;
		}
	}
	if (k.target == CP_CCT_NONE)
		k.target = node_new(t, parent, func);
	t->tr = xgrow(t->tr, &t->captr, t->ntr + 1, sizeof *t->tr);
	t->tr[t->ntr] = k;
	cp_index_add(&t->tr_ix, h, (uint32_t)t->ntr++);
	return k.target;
}

void cp_cct_close(struct cp_cct *t, uint32_t node, uint64_t calls,
		  uint64_t self, const uint64_t *selfc)
{
	struct cp_cct_node *n = &t->nodes[node];

	n->calls += calls;
	n->self += self;
	if (selfc != NULL && t->nc > 0) {
		uint64_t *c = t->counts + (size_t)node * 2 * t->nc;

		for (size_t j = 0; j < t->nc; j++)
			c[j] += selfc[j];
	}
}

void cp_cct_sample(struct cp_cct *t, uint32_t node, const uint64_t *d)
{
	t->nodes[node].samples++;
	if (d != NULL && t->nc > 0) {
		uint64_t *c = t->counts + (size_t)node * 2 * t->nc;

		for (size_t j = 0; j < t->nc; j++)
			c[j] += d[j];
	}
}

uint32_t cp_cct_path(struct cp_cct *t, uint32_t from, const uint32_t *funcs,
		     size_t n)
{
	uint32_t node = from;

	for (size_t i = 0; i < n; i++) {
		size_t before = t->nnodes;

		node = cp_cct_enter(t, node, funcs[i]);
		if (t->nnodes > before)
			t->nodes[node].sampled = 1;
	}
	return node;
}

static int edge_eq(const void *ctx, uint32_t id)
{
	const struct cp_cct *t = ((const void *const *)ctx)[0];
	const uint32_t *k = ((const void *const *)ctx)[1];

	return t->edges[id].caller == k[0] && t->edges[id].callee == k[1];
}

void cp_cct_edge_add(struct cp_cct *t, uint32_t caller, uint32_t callee,
		     uint64_t calls, uint64_t total, const uint64_t *c,
		     uint64_t samples)
{
	uint32_t k[2] = {caller, callee};
	const void *ctx[2] = {t, k};
	uint64_t h = pair_hash(caller, callee);
	uint32_t id = cp_index_find(&t->edge_ix, h, edge_eq, ctx);
	struct cp_cct_edge *e;

	if (id == CP_INDEX_NONE) {
		size_t cap = t->capecounts;

		t->edges = xgrow(t->edges, &t->capedges, t->nedges + 1,
				 sizeof *t->edges);
		if (t->nc > 0) {
			t->ecounts = xgrow(t->ecounts, &cap, t->nedges + 1,
					   t->nc * sizeof *t->ecounts);
			memset(t->ecounts + t->nedges * t->nc, 0,
			       t->nc * sizeof *t->ecounts);
			t->capecounts = cap;
		}
		id = (uint32_t)t->nedges++;
		memset(&t->edges[id], 0, sizeof t->edges[id]);
		t->edges[id].caller = caller;
		t->edges[id].callee = callee;
		cp_index_add(&t->edge_ix, h, id);
	}
	e = &t->edges[id];
	e->calls += calls;
	e->total += total;
	e->samples += samples;
	if (c != NULL && t->nc > 0) {
		uint64_t *ec = t->ecounts + (size_t)id * t->nc;

		for (size_t j = 0; j < t->nc; j++)
			ec[j] += c[j];
	}
}

static uint64_t conv_time(const struct cp_cct_map *m, uint64_t v)
{
	return m->time != NULL ? m->time(m->ctx, v) : v;
}

static void add_counts(uint64_t *to, const uint64_t *from, size_t nc,
		       const struct cp_cct_map *m)
{
	for (size_t k = 0; k < nc; k++) {
		size_t j = m->counter != NULL ? m->counter[k] : k;

		to[j] += m->count != NULL ? m->count(m->ctx, k, from[k])
					  : from[k];
	}
}

static uint32_t map_func(const struct cp_cct_map *m, uint32_t f)
{
	return m->func != NULL ? m->func[f] : f;
}

void cp_cct_merge(struct cp_cct *to, const struct cp_cct *from,
		  const struct cp_cct_map *map)
{
	uint32_t *at = xmalloc((from->nnodes ? from->nnodes : 1) * sizeof *at);

	for (size_t i = 0; i < from->nnodes; i++) {
		const struct cp_cct_node *n = &from->nodes[i];
		uint32_t parent =
			n->parent == CP_CCT_NONE ? CP_CCT_NONE : at[n->parent];
		uint32_t f = map_func(map, n->func), id;
		size_t before = to->nnodes;

		if (parent == DROPPED || f == CP_CCT_NONE) {
			at[i] = DROPPED;
			continue;
		}
		id = at[i] = cp_cct_enter(to, parent, f);
		if (to->nnodes > before)
			to->nodes[id].sampled = n->sampled;
		else if (!n->sampled)
			to->nodes[id].sampled = 0;
		to->nodes[id].calls += n->calls;
		to->nodes[id].self += conv_time(map, n->self);
		to->nodes[id].samples += n->samples;
		if (from->nc > 0 && to->nc > 0)
			add_counts(to->counts + (size_t)id * 2 * to->nc,
				   from->counts + i * 2 * from->nc, from->nc,
				   map);
	}
	for (size_t i = 0; i < from->nedges; i++) {
		const struct cp_cct_edge *e = &from->edges[i];
		uint32_t caller = e->caller == CP_CCT_NONE
					  ? CP_CCT_NONE
					  : map_func(map, e->caller),
			 callee = map_func(map, e->callee);
		uint64_t *c = NULL;

		if (callee == CP_CCT_NONE ||
		    (caller == CP_CCT_NONE && e->caller != CP_CCT_NONE))
			continue;
		if (from->nc > 0 && to->nc > 0) {
			c = xcalloc(to->nc, sizeof *c);
			add_counts(c, from->ecounts + i * from->nc, from->nc,
				   map);
		}
		cp_cct_edge_add(to, caller, callee, e->calls,
				conv_time(map, e->total), c, e->samples);
		free(c);
	}
	free(at);
}

/* Walk order among siblings: heavier first, then by function. */
static int sibling_cmp(const void *va, const void *vb, void *arg)
{
	const struct cp_cct_node *nodes = arg;
	const struct cp_cct_node *a = &nodes[*(const uint32_t *)va],
				 *b = &nodes[*(const uint32_t *)vb];

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->samples_total != b->samples_total)
		return a->samples_total > b->samples_total ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

void cp_cct_finish(struct cp_cct *t)
{
	size_t n = t->nnodes, nc = t->nc;
	uint32_t *order;

	for (size_t i = 0; i < n; i++) {
		struct cp_cct_node *x = &t->nodes[i];

		x->total = x->self;
		x->samples_total = x->samples;
		if (nc > 0)
			memcpy(t->counts + i * 2 * nc + nc,
			       t->counts + i * 2 * nc, nc * sizeof *t->counts);
	}
	/* A parent's id is below its children's: they are complete first. */
	for (size_t i = n; i-- > 0;) {
		struct cp_cct_node *x = &t->nodes[i];
		struct cp_cct_node *p;
		uint64_t *c, *pc;

		if (x->parent == CP_CCT_NONE)
			continue;
		p = &t->nodes[x->parent];
		p->total += x->total;
		p->samples_total += x->samples_total;
		if (nc == 0)
			continue;
		c = t->counts + i * 2 * nc;
		pc = t->counts + (size_t)x->parent * 2 * nc;
		for (size_t j = 0; j < nc; j++)
			pc[nc + j] += c[nc + j];
	}
	/*
	 * Sorted by parent, roots (CP_CCT_NONE) last, then in walk order:
	 * linked backwards, each list comes out in order.
	 */
	order = xmalloc((n ? n : 1) * sizeof *order);
	for (size_t i = 0; i < n; i++) {
		order[i] = (uint32_t)i;
		t->nodes[i].first_child = CP_CCT_NONE;
	}
	qsort_r(order, n, sizeof *order, sibling_cmp, t->nodes);
	t->first_root = CP_CCT_NONE;
	for (size_t i = n; i-- > 0;) {
		struct cp_cct_node *x = &t->nodes[order[i]];
		uint32_t *head = x->parent == CP_CCT_NONE
					 ? &t->first_root
					 : &t->nodes[x->parent].first_child;

		x->next_sibling = *head;
		*head = order[i];
	}
	free(order);
}

size_t cp_cct_nnodes(const struct cp_cct *t)
{
	return t->nnodes;
}

const struct cp_cct_node *cp_cct_node(const struct cp_cct *t, uint32_t id)
{
	return &t->nodes[id];
}

const uint64_t *cp_cct_node_counts(const struct cp_cct *t, uint32_t id)
{
	return t->nc > 0 ? t->counts + (size_t)id * 2 * t->nc : NULL;
}

uint32_t cp_cct_first_root(const struct cp_cct *t)
{
	return t->first_root;
}

size_t cp_cct_nedges(const struct cp_cct *t)
{
	return t->nedges;
}

const struct cp_cct_edge *cp_cct_edge(const struct cp_cct *t, size_t i)
{
	return &t->edges[i];
}

const uint64_t *cp_cct_edge_counts(const struct cp_cct *t, size_t i)
{
	return t->nc > 0 ? t->ecounts + i * t->nc : NULL;
}

int cp_cct_walk(const struct cp_cct *t, cp_cct_visit visit, void *arg)
{
	uint32_t *path = xmalloc((t->maxdepth + 1) * sizeof *path);
	uint32_t id = t->first_root;
	int rc = 0;

	while (id != CP_CCT_NONE) {
		const struct cp_cct_node *x = &t->nodes[id];
		int r;

		path[x->depth] = x->func;
		r = visit(arg, t, id, path, x->depth);
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0 && x->first_child != CP_CCT_NONE) {
			id = x->first_child;
			continue;
		}
		/* The next sibling of the node or of its nearest ancestor. */
		while (id != CP_CCT_NONE &&
		       t->nodes[id].next_sibling == CP_CCT_NONE)
			id = t->nodes[id].parent;
		if (id != CP_CCT_NONE)
			id = t->nodes[id].next_sibling;
	}
	free(path);
	return rc;
}
