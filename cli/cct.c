/*
 * cct.c - the calling-context tree and call graph (cct.h says what they
 * hold and the recursion rule).
 *
 * Nodes live in one array in the order they were made, so that a parent
 * always comes before its children: totals are summed in one backward
 * pass and a merge maps parents before children. Each (node, function)
 * pair met while building (a call) is remembered with the node it leads
 * to, a child or a re-entered ancestor, and its edge: an enter costs one
 * look-up in a table of integer keys, only the first enter of a pair
 * walks the path up, and the close of a call needs no look-up at all.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cct.h"
#include "cli.h"

/*
 * A call: a (node, function) pair, where entering FUNC from PARENT leads
 * and the edge it goes along (from PARENT's function to FUNC), found at
 * its first close.
 */
struct trans {
	uint32_t parent, func, target, edge;
	/*
	 * What its closes added since the last flush(), for its node and
	 * edge: one place to write on the hot path instead of two.
	 */
	uint64_t calls, self, total;
	/*
	 * The last call made inside this one: loops repeat it, and this
	 * line of memory was touched when the call was entered.
	 */
	uint32_t last_func, last_call;
};

/*
 * A small direct-mapped cache of the calls made inside calls, in front
 * of the table: the hot ones stay in the processor's caches, where the
 * table of a big program (tens of thousands of calls) does not.
 */
#define HOT 4096
struct hot {
	uint32_t outer, func, call;
};

/*
 * The calls' hash table: open addressing with the key in the slot, so
 * that the look-up of every enter compares integers and calls nothing.
 */
struct tslot {
	uint64_t key; /* parent << 32 | func */
	uint32_t id;  /* into tr, CP_CCT_NONE when free */
};

struct cp_cct {
	size_t nc;
	struct cp_cct_node *nodes;
	size_t nnodes, capnodes;
	uint64_t *counts; /* 2 * nc per node: self, then total */
	size_t capcounts;
	struct trans *tr;
	size_t ntr, captr;
	uint64_t *tcounts; /* 2 * nc per call: self deltas, then deltas */
	size_t captcounts;
	struct tslot *slots;
	size_t nslots;	 /* a power of two, or 0 */
	struct hot *hot; /* HOT entries, allocated on the first call */
	struct cp_cct_edge *edges;
	size_t nedges, capedges;
	uint64_t *ecounts; /* nc per edge */
	size_t capecounts;
	struct cp_index edge_ix;
	uint32_t first_root;
	size_t maxdepth;
	/* Counted calls of each edge not yet placed in the tree. */
	uint64_t *pending;
	size_t cappending;
	int has_pending;
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
	free(t->tcounts);
	free(t->slots);
	free(t->hot);
	free(t->edges);
	free(t->ecounts);
	free(t->pending);
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

static void flush(struct cp_cct *t);

void cp_cct_widen(struct cp_cct *t, size_t n)
{
	size_t old = t->nc;

	if (n <= old)
		return;
	/* The calls' counts are flushed, and come back zero and wider. */
	flush(t);
	free(t->tcounts);
	t->tcounts = NULL;
	t->captcounts = 0;
	if (t->ntr > 0) {
		t->tcounts = xcalloc(t->ntr * 2 * n, sizeof *t->tcounts);
		t->captcounts = t->ntr;
	}
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

static inline void node_add(struct cp_cct *t, uint32_t node, uint64_t calls,
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

static uint64_t call_key(uint32_t parent, uint32_t func)
{
	return ((uint64_t)parent << 32) | func;
}

/*
 * Fibonacci hashing into N (a power of two) slots: the top bits of the
 * product depend on every bit of the key, parent and function alike.
 */
static size_t slot_of(uint64_t key, size_t n)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >>
			(64 - __builtin_ctzll(n)));
}

/* Keep the calls' table under half full. */
static void slots_grow(struct cp_cct *t)
{
	size_t n = t->nslots ? 2 * t->nslots : 256;
	struct tslot *s = xmalloc(n * sizeof *s);

	for (size_t i = 0; i < n; i++)
		s[i].id = CP_CCT_NONE;
	for (size_t i = 0; i < t->ntr; i++) {
		uint64_t key = call_key(t->tr[i].parent, t->tr[i].func);
		size_t j = slot_of(key, n);

		while (s[j].id != CP_CCT_NONE)
			j = (j + 1) & (n - 1);
		s[j].key = key;
		s[j].id = (uint32_t)i;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
}

static uint32_t edge_get(struct cp_cct *t, uint32_t caller, uint32_t callee);

/* The call of FUNC from PARENT, made when first met (cct.h's rule). */
static uint32_t call_new(struct cp_cct *t, uint32_t parent, uint32_t func)
{
	/* The edge is made at the first close: a path has no calls. */
	struct trans k = {parent,      func, CP_CCT_NONE, CP_CCT_NONE, 0, 0, 0,
			  CP_CCT_NONE, 0};
	uint64_t key = call_key(parent, func);
	size_t j;

	/* First met: is FUNC on the path already? Then it re-enters there. */
	for (uint32_t a = parent; a != CP_CCT_NONE; a = t->nodes[a].parent) {
		if (t->nodes[a].func == func) {
			k.target = a;
			break;
		}
	}
	if (k.target == CP_CCT_NONE)
		k.target = node_new(t, parent, func);
	if (2 * (t->ntr + 1) > t->nslots)
		slots_grow(t);
	t->tr = xgrow(t->tr, &t->captr, t->ntr + 1, sizeof *t->tr);
	t->tr[t->ntr] = k;
	if (t->nc > 0) {
		size_t cap = t->captcounts;

		t->tcounts = xgrow(t->tcounts, &cap, t->ntr + 1,
				   2 * t->nc * sizeof *t->tcounts);
		memset(t->tcounts + t->ntr * 2 * t->nc, 0,
		       2 * t->nc * sizeof *t->tcounts);
		t->captcounts = cap;
	}
	for (j = slot_of(key, t->nslots); t->slots[j].id != CP_CCT_NONE;
	     j = (j + 1) & (t->nslots - 1))
		;
	t->slots[j].key = key;
	t->slots[j].id = (uint32_t)t->ntr;
	return (uint32_t)t->ntr++;
}

uint32_t cp_cct_call(struct cp_cct *t, uint32_t parent, uint32_t func)
{
	uint64_t key = call_key(parent, func);

	for (size_t j = t->nslots ? slot_of(key, t->nslots) : 0;
	     t->nslots > 0 && t->slots[j].id != CP_CCT_NONE;
	     j = (j + 1) & (t->nslots - 1)) {
		if (t->slots[j].key == key)
			return t->slots[j].id;
	}
	return call_new(t, parent, func);
}

uint32_t cp_cct_call_in(struct cp_cct *t, uint32_t outer, uint32_t func)
{
	struct hot *h;
	uint32_t call;

	if (outer == CP_CCT_NONE)
		return cp_cct_call(t, CP_CCT_NONE, func);
	if (t->tr[outer].last_func == func)
		return t->tr[outer].last_call;
	if (t->hot == NULL) {
		t->hot = xmalloc(HOT * sizeof *t->hot);
		for (size_t i = 0; i < HOT; i++)
			t->hot[i].outer = CP_CCT_NONE;
	}
	h = &t->hot[(call_key(outer, func) * 0x9e3779b97f4a7c15ULL) >> 52];
	if (h->outer != outer || h->func != func) {
		h->call = cp_cct_call(t, t->tr[outer].target, func);
		h->outer = outer;
		h->func = func;
	}
	call = h->call;
	t->tr[outer].last_func = func;
	t->tr[outer].last_call = call;
	return call;
}

uint32_t cp_cct_call_node(const struct cp_cct *t, uint32_t call)
{
	return t->tr[call].target;
}

void cp_cct_call_close(struct cp_cct *t, uint32_t call, uint64_t self,
		       const uint64_t *selfc, uint64_t total,
		       const uint64_t *totalc)
{
	struct trans *c = &t->tr[call];

	c->calls++;
	c->self += self;
	c->total += total;
	if (t->nc > 0 && (selfc != NULL || totalc != NULL)) {
		uint64_t *tc = t->tcounts + (size_t)call * 2 * t->nc;

		for (size_t j = 0; selfc != NULL && j < t->nc; j++)
			tc[j] += selfc[j];
		for (size_t j = 0; totalc != NULL && j < t->nc; j++)
			tc[t->nc + j] += totalc[j];
	}
}

/*
 * Move what the calls' closes added into their nodes and edges (each
 * edge is found at its call's first flush), before anything reads them.
 */
static void flush(struct cp_cct *t)
{
	for (size_t i = 0; i < t->ntr; i++) {
		struct trans *c = &t->tr[i];
		uint64_t *tc = t->nc > 0 ? t->tcounts + i * 2 * t->nc : NULL;
		struct cp_cct_edge *e;

		if (c->calls == 0)
			continue;
		if (c->edge == CP_CCT_NONE)
			c->edge = edge_get(t,
					   c->parent == CP_CCT_NONE
						   ? CP_CCT_NONE
						   : t->nodes[c->parent].func,
					   c->func);
		node_add(t, c->target, c->calls, c->self, tc);
		e = &t->edges[c->edge];
		e->calls += c->calls;
		e->total += c->total;
		for (size_t j = 0; tc != NULL && j < t->nc; j++) {
			t->ecounts[(size_t)c->edge * t->nc + j] +=
				tc[t->nc + j];
			tc[j] = tc[t->nc + j] = 0;
		}
		c->calls = c->self = c->total = 0;
	}
}

uint32_t cp_cct_enter(struct cp_cct *t, uint32_t parent, uint32_t func)
{
	/* The call may move the array: look at it only after. */
	uint32_t call = cp_cct_call(t, parent, func);

	return t->tr[call].target;
}

void cp_cct_close(struct cp_cct *t, uint32_t node, uint64_t calls,
		  uint64_t self, const uint64_t *selfc)
{
	node_add(t, node, calls, self, selfc);
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

/* The edge CALLER -> CALLEE, made (empty) when new. */
static uint32_t edge_get(struct cp_cct *t, uint32_t caller, uint32_t callee)
{
	uint32_t k[2] = {caller, callee};
	const void *ctx[2] = {t, k};
	uint64_t h = cp_hash_u64(call_key(caller, callee));
	uint32_t id = cp_index_find(&t->edge_ix, h, edge_eq, ctx);
	size_t cap = t->capecounts;

	if (id != CP_INDEX_NONE)
		return id;
	t->edges =
		xgrow(t->edges, &t->capedges, t->nedges + 1, sizeof *t->edges);
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
	return id;
}

void cp_cct_edge_add(struct cp_cct *t, uint32_t caller, uint32_t callee,
		     uint64_t calls, uint64_t total, const uint64_t *c,
		     uint64_t samples)
{
	uint32_t id = edge_get(t, caller, callee);
	struct cp_cct_edge *e = &t->edges[id];

	e->calls += calls;
	e->total += total;
	e->samples += samples;
	if (c != NULL && t->nc > 0) {
		uint64_t *ec = t->ecounts + (size_t)id * t->nc;

		for (size_t j = 0; j < t->nc; j++)
			ec[j] += c[j];
	}
}

/* Counted calls (adaptive timing). */

/*
 * A pending count for every edge: timed calls make edges after counted
 * ones too.
 */
static void pending_grow(struct cp_cct *t)
{
	size_t cap = t->cappending;

	if (cap >= t->nedges)
		return;
	t->pending = xgrow(t->pending, &cap, t->nedges, sizeof *t->pending);
	memset(t->pending + t->cappending, 0,
	       (cap - t->cappending) * sizeof *t->pending);
	t->cappending = cap;
}

void cp_cct_counted(struct cp_cct *t, uint32_t caller, uint32_t callee,
		    uint64_t calls)
{
	uint32_t id = edge_get(t, caller, callee);

	t->edges[id].calls += calls;
	t->edges[id].untimed += calls;
	pending_grow(t);
	t->pending[id] += calls;
	t->has_pending = 1;
}

/* The nodes of each function, linked, while counted calls are placed. */
struct byfunc {
	uint32_t *head; /* by function */
	size_t nhead;
	uint32_t *next; /* by node */
	size_t capnext, nlinked;
};

/* Link the nodes made since the last call. */
static void byfunc_sync(struct byfunc *b, const struct cp_cct *t)
{
	b->next = xgrow(b->next, &b->capnext, t->nnodes ? t->nnodes : 1,
			sizeof *b->next);
	for (; b->nlinked < t->nnodes; b->nlinked++) {
		uint32_t f = t->nodes[b->nlinked].func;

		b->next[b->nlinked] = CP_CCT_NONE;
		if (f >= b->nhead)
			continue; /* no pending edge has it as caller */
		b->next[b->nlinked] = b->head[f];
		b->head[f] = (uint32_t)b->nlinked;
	}
}

/* The least depth of FUNC's nodes; UINT32_MAX when it has none. */
static uint32_t byfunc_depth(const struct byfunc *b, const struct cp_cct *t,
			     uint32_t func)
{
	uint32_t d = UINT32_MAX;

	if (func == CP_CCT_NONE)
		return 0;
	for (uint32_t n = b->head[func]; n != CP_CCT_NONE; n = b->next[n])
		if (t->nodes[n].depth < d)
			d = t->nodes[n].depth;
	return d;
}

struct place {
	uint32_t edge, depth;
};

static int place_cmp(const void *va, const void *vb)
{
	const struct place *a = va, *b = vb;

	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->edge < b->edge ? -1 : a->edge > b->edge;
}

/* Add CALLS counted calls to the node of CALLEE under PARENT. */
static void place_one(struct cp_cct *t, uint32_t parent, uint32_t callee,
		      uint64_t calls, int estimated)
{
	uint32_t node = cp_cct_enter(t, parent, callee);

	t->nodes[node].calls += calls;
	if (estimated)
		t->nodes[node].estimated = 1;
}

/*
 * Place the pending counted calls of T's edges in its tree. An edge from
 * the bottom of a stack goes to the callee's root node; one whose caller
 * has a single node goes under it, exactly; one whose caller has several
 * is split between them in proportion to their calls (the calls they
 * have by then, counted ones included), rounded down with the remainder
 * to the heaviest, so that the parts add up to the edge's count; those
 * nodes are marked estimated. Callers nearer the roots are placed first,
 * so that a caller's counted calls are in its nodes before its own
 * counted callees are split by them. A caller with no node at all (its
 * every call counted, or dropped) gets a root node, estimated.
 */
static void place_counted(struct cp_cct *t)
{
	struct byfunc b = {0};
	struct place *pl;
	size_t np = 0;
	uint32_t *nodes = NULL;
	uint64_t *parts = NULL;
	size_t capnodes = 0, capparts = 0;

	flush(t);
	if (!t->has_pending)
		return;
	/* Placing calls makes nodes, not edges (a call's edge waits for its
	 * first close): the edges stay those sized here. */
	pending_grow(t);
	for (size_t i = 0; i < t->nedges; i++)
		if (t->pending[i] > 0 && t->edges[i].caller != CP_CCT_NONE &&
		    t->edges[i].caller >= b.nhead)
			b.nhead = (size_t)t->edges[i].caller + 1;
	b.head = xmalloc((b.nhead ? b.nhead : 1) * sizeof *b.head);
	for (size_t i = 0; i < b.nhead; i++)
		b.head[i] = CP_CCT_NONE;
	byfunc_sync(&b, t);
	pl = xmalloc((t->nedges ? t->nedges : 1) * sizeof *pl);
	for (size_t i = 0; i < t->nedges; i++)
		if (t->pending[i] > 0) {
			pl[np].edge = (uint32_t)i;
			pl[np++].depth =
				byfunc_depth(&b, t, t->edges[i].caller);
		}
	qsort(pl, np, sizeof *pl, place_cmp);
	for (size_t k = 0; k < np; k++) {
		const struct cp_cct_edge *e = &t->edges[pl[k].edge];
		uint32_t caller = e->caller, callee = e->callee;
		uint64_t calls = t->pending[pl[k].edge], w = 0, left = calls;
		size_t nn = 0, heavy = 0;

		t->pending[pl[k].edge] = 0;
		if (caller == CP_CCT_NONE) {
			place_one(t, CP_CCT_NONE, callee, calls, 0);
			byfunc_sync(&b, t);
			continue;
		}
		for (uint32_t n = b.head[caller]; n != CP_CCT_NONE;
		     n = b.next[n]) {
			nodes = xgrow(nodes, &capnodes, nn + 1, sizeof *nodes);
			nodes[nn++] = n;
		}
		if (nn == 0) {
			place_one(t, cp_cct_enter(t, CP_CCT_NONE, caller),
				  callee, calls, 1);
			byfunc_sync(&b, t);
			continue;
		}
		if (nn == 1) {
			place_one(t, nodes[0], callee, calls, 0);
			byfunc_sync(&b, t);
			continue;
		}
		/* Parts first: placing may add to the caller's own nodes. */
		parts = xgrow(parts, &capparts, nn, sizeof *parts);
		for (size_t i = 0; i < nn; i++) {
			parts[i] = t->nodes[nodes[i]].calls;
			w += parts[i];
			if (parts[i] > parts[heavy])
				heavy = i;
		}
		for (size_t i = 0; i < nn; i++) {
			parts[i] = w > 0 ? (uint64_t)((unsigned __int128)calls *
						      parts[i] / w)
					 : calls / nn;
			left -= parts[i];
		}
		parts[heavy] += left;
		for (size_t i = 0; i < nn; i++)
			if (parts[i] > 0)
				place_one(t, nodes[i], callee, parts[i], 1);
		byfunc_sync(&b, t);
	}
	t->has_pending = 0;
	free(nodes);
	free(parts);
	free(pl);
	free(b.head);
	free(b.next);
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

void cp_cct_merge(struct cp_cct *to, struct cp_cct *from,
		  const struct cp_cct_map *map)
{
	uint32_t *at;

	place_counted(from);
	at = xmalloc((from->nnodes ? from->nnodes : 1) * sizeof *at);

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
		to->nodes[id].estimated |= n->estimated;
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
		if (e->untimed > 0)
			to->edges[edge_get(to, caller, callee)].untimed +=
				e->untimed;
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

	place_counted(t);
	n = t->nnodes;
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

/*
 * The report-time filters of the views (filter.c): a copy of a finished
 * tree, not merged into a live one, so it can re-root paths, which a
 * function map cannot.
 */
void cp_cct_focus(struct cp_cct *to, struct cp_cct *from,
		  const unsigned char *root, const unsigned char *drop)
{
	uint32_t *at;
	unsigned char *in;

	flush(from);
	at = xmalloc((from->nnodes ? from->nnodes : 1) * sizeof *at);
	in = xcalloc(from->nnodes ? from->nnodes : 1, 1);
	for (size_t i = 0; i < from->nnodes; i++) {
		const struct cp_cct_node *n = &from->nodes[i];
		uint32_t parent = CP_CCT_NONE, id;
		size_t before = to->nnodes;
		unsigned char up = n->parent != CP_CCT_NONE ? in[n->parent] : 0;

		/* in[]: 0 outside what is kept (yet), 1 kept, 2 dropped. */
		at[i] = DROPPED;
		if (up == 2 || (drop != NULL && drop[n->func])) {
			in[i] = 2;
			continue;
		}
		if (up == 1)
			parent = at[n->parent];
		else if (root != NULL && !root[n->func])
			continue;
		in[i] = 1;
		id = at[i] = cp_cct_enter(to, parent, n->func);
		if (to->nnodes > before)
			to->nodes[id].sampled = n->sampled;
		else if (!n->sampled)
			to->nodes[id].sampled = 0;
		to->nodes[id].calls += n->calls;
		to->nodes[id].self += n->self;
		to->nodes[id].samples += n->samples;
		if (from->nc > 0 && to->nc > 0)
			for (size_t k = 0; k < from->nc && k < to->nc; k++)
				to->counts[(size_t)id * 2 * to->nc + k] +=
					from->counts[i * 2 * from->nc + k];
	}
	for (size_t i = 0; i < from->nedges; i++) {
		const struct cp_cct_edge *e = &from->edges[i];
		uint64_t *c = NULL;

		if (drop != NULL &&
		    (drop[e->callee] ||
		     (e->caller != CP_CCT_NONE && drop[e->caller])))
			continue;
		if (root != NULL && !root[e->callee] &&
		    (e->caller == CP_CCT_NONE || !root[e->caller]))
			continue;
		if (from->nc > 0 && to->nc > 0) {
			c = xcalloc(to->nc, sizeof *c);
			for (size_t k = 0; k < from->nc && k < to->nc; k++)
				c[k] = from->ecounts[i * from->nc + k];
		}
		cp_cct_edge_add(to, e->caller, e->callee, e->calls, e->total, c,
				e->samples);
		free(c);
	}
	free(at);
	free(in);
}
