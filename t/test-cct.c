/*
 * test-cct.c - the calling-context tree and call graph (cli/cct.c) on
 * call sequences driven by a small stack machine here, with the rules the
 * replay follows: a node entered from the innermost open frame's node,
 * self time closed into it, every call counted on its edge and its time
 * only when it is the callee's outermost open activation.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cct.h"
#include "cli/cli.h"
#include "unit.h"

#define MAXD  200000
#define NFUNC 16

/* A thread's stack machine feeding a tree. */
struct sim {
	struct cp_cct *t;
	size_t depth;
	uint32_t node[MAXD], fid[MAXD];
	uint64_t start[MAXD], kids[MAXD];
	uint64_t active[NFUNC];
	/* The flat profile the same events give (profile.c's rules). */
	uint64_t calls[NFUNC], self[NFUNC], total[NFUNC];
};

static struct sim *sim_new(void)
{
	struct sim *s = xcalloc(1, sizeof *s);

	s->t = cp_cct_new(0);
	return s;
}

static void sim_free(struct sim *s)
{
	cp_cct_free(s->t);
	free(s);
}

static void enter(struct sim *s, uint32_t f, uint64_t tk)
{
	uint32_t parent = s->depth > 0 ? s->node[s->depth - 1] : CP_CCT_NONE;

	s->node[s->depth] = cp_cct_enter(s->t, parent, f);
	s->fid[s->depth] = f;
	s->start[s->depth] = tk;
	s->kids[s->depth] = 0;
	s->active[f]++;
	s->depth++;
}

static void leave(struct sim *s, uint64_t tk)
{
	size_t d = --s->depth;
	uint32_t f = s->fid[d];
	uint64_t len = tk - s->start[d];
	int outer = --s->active[f] == 0;

	cp_cct_close(s->t, s->node[d], 1, len - s->kids[d], NULL);
	cp_cct_edge_add(s->t, d > 0 ? s->fid[d - 1] : CP_CCT_NONE, f, 1,
			outer ? len : 0, NULL, 0);
	s->calls[f]++;
	s->self[f] += len - s->kids[d];
	if (outer)
		s->total[f] += len;
	if (d > 0)
		s->kids[d - 1] += len;
}

/* The node reached by the functions PATH (N of them) from a root. */
static uint32_t find(const struct cp_cct *t, const uint32_t *path, size_t n)
{
	uint32_t id = cp_cct_first_root(t);

	for (size_t i = 0; i < n; i++) {
		while (id != CP_CCT_NONE && cp_cct_node(t, id)->func != path[i])
			id = cp_cct_node(t, id)->next_sibling;
		if (id == CP_CCT_NONE || i + 1 == n)
			return id;
		id = cp_cct_node(t, id)->first_child;
	}
	return CP_CCT_NONE;
}

static const struct cp_cct_edge *edge(const struct cp_cct *t, uint32_t caller,
				      uint32_t callee)
{
	for (size_t i = 0; i < cp_cct_nedges(t); i++) {
		const struct cp_cct_edge *e = cp_cct_edge(t, i);

		if (e->caller == caller && e->callee == callee)
			return e;
	}
	return NULL;
}

/*
 * What must hold on any finished tree: each node's total is its self
 * plus its children's, the roots' totals sum to all self time, and the
 * edges into each function (root calls included) sum to its flat total
 * and its calls.
 */
static void check_sums(const struct sim *s)
{
	const struct cp_cct *t = s->t;
	uint64_t self = 0, roots = 0;

	for (uint32_t i = 0; i < cp_cct_nnodes(t); i++) {
		const struct cp_cct_node *n = cp_cct_node(t, i);
		uint64_t kids = 0;

		self += n->self;
		for (uint32_t c = n->first_child; c != CP_CCT_NONE;
		     c = cp_cct_node(t, c)->next_sibling)
			kids += cp_cct_node(t, c)->total;
		ASSERT_EQ(n->total, n->self + kids);
	}
	for (uint32_t r = cp_cct_first_root(t); r != CP_CCT_NONE;
	     r = cp_cct_node(t, r)->next_sibling)
		roots += cp_cct_node(t, r)->total;
	ASSERT_EQ(roots, self);
	for (uint32_t f = 0; f < NFUNC; f++) {
		uint64_t calls = 0, total = 0;

		for (size_t i = 0; i < cp_cct_nedges(t); i++) {
			const struct cp_cct_edge *e = cp_cct_edge(t, i);

			if (e->callee != f)
				continue;
			calls += e->calls;
			total += e->total;
		}
		ASSERT_EQ(calls, s->calls[f]);
		ASSERT_EQ(total, s->total[f]);
	}
}

enum { MAIN, F, G, A, B, C };

/* main -> f -> f -> f -> g: one f node, the recursion on its edges. */
static void test_direct(void)
{
	struct sim *s = sim_new();
	const struct cp_cct *t = s->t;
	const uint32_t pf[] = {MAIN, F}, pg[] = {MAIN, F, G};
	const struct cp_cct_edge *e;
	uint32_t n;

	enter(s, MAIN, 0);
	enter(s, F, 10);
	enter(s, F, 20);
	enter(s, F, 30);
	enter(s, G, 40);
	leave(s, 45);
	leave(s, 50);
	leave(s, 60);
	leave(s, 70);
	leave(s, 100);
	cp_cct_finish(s->t);

	ASSERT_EQ(cp_cct_nnodes(t), 3);
	n = find(t, pf, 2);
	ASSERT_EQ_FATAL(n != CP_CCT_NONE, 1);
	ASSERT_EQ(cp_cct_node(t, n)->calls, 3);
	ASSERT_EQ(cp_cct_node(t, n)->self, 55);
	ASSERT_EQ(cp_cct_node(t, n)->total, 60);
	n = find(t, pg, 3);
	ASSERT_EQ_FATAL(n != CP_CCT_NONE, 1);
	ASSERT_EQ(cp_cct_node(t, n)->calls, 1);
	ASSERT_EQ(cp_cct_node(t, n)->total, 5);
	ASSERT_EQ(cp_cct_node(t, cp_cct_first_root(t))->total, 100);

	e = edge(t, MAIN, F);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 1);
	ASSERT_EQ(e->total, 60);
	e = edge(t, F, F);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 2);
	ASSERT_EQ(e->total, 0);
	e = edge(t, CP_CCT_NONE, MAIN);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->total, 100);
	check_sums(s);
	sim_free(s);
}

/*
 * main -> a -> b -> a -> b -> c: the inner a re-enters the a node, the
 * inner b is its child again, c hangs under b.
 */
static void test_mutual(void)
{
	struct sim *s = sim_new();
	const struct cp_cct *t = s->t;
	const uint32_t pa[] = {MAIN, A}, pb[] = {MAIN, A, B},
		       pc[] = {MAIN, A, B, C};
	const struct cp_cct_edge *e;
	uint32_t n;

	enter(s, MAIN, 0);
	enter(s, A, 1);
	enter(s, B, 2);
	enter(s, A, 4);
	enter(s, B, 8);
	enter(s, C, 16);
	leave(s, 32);
	leave(s, 64);
	leave(s, 128);
	leave(s, 256);
	leave(s, 512);
	leave(s, 1024);
	cp_cct_finish(s->t);

	ASSERT_EQ(cp_cct_nnodes(t), 4);
	n = find(t, pa, 2);
	ASSERT_EQ_FATAL(n != CP_CCT_NONE, 1);
	ASSERT_EQ(cp_cct_node(t, n)->calls, 2);
	/* a's own time in both activations: 1..2, 256..512, 4..8, 64..128. */
	ASSERT_EQ(cp_cct_node(t, n)->self, 1 + 256 + 4 + 64);
	ASSERT_EQ(cp_cct_node(t, n)->total, 511);
	n = find(t, pb, 3);
	ASSERT_EQ_FATAL(n != CP_CCT_NONE, 1);
	ASSERT_EQ(cp_cct_node(t, n)->calls, 2);
	ASSERT_EQ(cp_cct_node(t, n)->self, 2 + 128 + 8 + 32);
	ASSERT_EQ(cp_cct_node(t, n)->total, 2 + 128 + 8 + 32 + 16);
	n = find(t, pc, 4);
	ASSERT_EQ_FATAL(n != CP_CCT_NONE, 1);
	ASSERT_EQ(cp_cct_node(t, n)->total, 16);

	e = edge(t, B, A);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 1);
	ASSERT_EQ(e->total, 0);
	e = edge(t, A, B);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 2);
	ASSERT_EQ(e->total, 254);
	check_sums(s);
	sim_free(s);
}

/* 100000 levels of a -> b -> a ...: three nodes, whatever the depth. */
static void test_deep(void)
{
	struct sim *s = sim_new();
	uint64_t tk = 0;
	const size_t levels = 100000;

	enter(s, MAIN, tk++);
	for (size_t i = 0; i < levels; i++)
		enter(s, i % 2 ? B : A, tk++);
	enter(s, C, tk++);
	while (s->depth > 0)
		leave(s, tk++);
	cp_cct_finish(s->t);
	ASSERT_EQ(cp_cct_nnodes(s->t), 4);
	ASSERT_EQ(cp_cct_node(s->t, cp_cct_first_root(s->t))->total, tk - 1);
	check_sums(s);
	sim_free(s);
}

/*
 * One function called from two callers at different costs: two nodes,
 * two edges, each with its own time.
 */
static void test_two_callers(void)
{
	struct sim *s = sim_new();
	const struct cp_cct *t = s->t;
	const uint32_t pa[] = {MAIN, A, C}, pb[] = {MAIN, B, C};

	enter(s, MAIN, 0);
	for (int i = 0; i < 3; i++) {
		enter(s, A, 100 * i);
		enter(s, C, 100 * i + 10);
		leave(s, 100 * i + 20);
		leave(s, 100 * i + 30);
		enter(s, B, 100 * i + 40);
		enter(s, C, 100 * i + 50);
		leave(s, 100 * i + 80);
		leave(s, 100 * i + 90);
	}
	leave(s, 300);
	cp_cct_finish(s->t);
	ASSERT_EQ(cp_cct_node(t, find(t, pa, 3))->calls, 3);
	ASSERT_EQ(cp_cct_node(t, find(t, pa, 3))->total, 30);
	ASSERT_EQ(cp_cct_node(t, find(t, pb, 3))->calls, 3);
	ASSERT_EQ(cp_cct_node(t, find(t, pb, 3))->total, 90);
	ASSERT_EQ(edge(t, A, C)->total, 30);
	ASSERT_EQ(edge(t, B, C)->total, 90);
	/* The heavier b comes first in walk order. */
	ASSERT_EQ(cp_cct_node(t, cp_cct_node(t, 0)->first_child)->func, B);
	check_sums(s);
	sim_free(s);
}

struct walked {
	char text[512];
	size_t len;
};

static int visit(void *arg, const struct cp_cct *t, uint32_t id,
		 const uint32_t *path, size_t depth)
{
	struct walked *w = arg;

	w->len += (size_t)snprintf(w->text + w->len, sizeof w->text - w->len,
				   "%s", w->len ? ";" : "");
	for (size_t i = 0; i <= depth; i++)
		w->len += (size_t)snprintf(w->text + w->len,
					   sizeof w->text - w->len, "%s%u",
					   i ? "/" : "", path[i]);
	w->len += (size_t)snprintf(w->text + w->len, sizeof w->text - w->len,
				   "=%" PRIu64, cp_cct_node(t, id)->total);
	/* Skip what is under 3 (c). */
	return cp_cct_node(t, id)->func == A ? 1 : 0;
}

/* Depth-first with paths, heavier first, a skipped subtree left out. */
static void test_walk(void)
{
	struct sim *s = sim_new();
	struct walked w = {.len = 0};

	enter(s, MAIN, 0);
	enter(s, A, 0);
	enter(s, C, 0);
	leave(s, 5);
	leave(s, 10);
	enter(s, B, 10);
	enter(s, C, 10);
	leave(s, 30);
	leave(s, 40);
	leave(s, 50);
	enter(s, G, 50);
	leave(s, 51);
	cp_cct_finish(s->t);
	ASSERT_EQ(cp_cct_walk(s->t, visit, &w), 0);
	ASSERT_STR_EQ(w.text, "0=50;0/4=30;0/4/5=20;0/3=10;2=1");
	sim_free(s);
}

/* Sampled chains: nodes marked sampled, samples summed up the tree. */
static void test_sampled(void)
{
	struct cp_cct *t = cp_cct_new(1);
	const uint32_t c1[] = {MAIN, A, B}, c2[] = {MAIN, A, B, A, C},
		       c3[] = {MAIN, A};
	const uint64_t d = 7;
	uint32_t n;

	cp_cct_sample(t, cp_cct_path(t, CP_CCT_NONE, c1, 3), &d);
	cp_cct_sample(t, cp_cct_path(t, CP_CCT_NONE, c2, 5), &d);
	cp_cct_sample(t, cp_cct_path(t, CP_CCT_NONE, c3, 2), &d);
	ASSERT_EQ(cp_cct_path(t, CP_CCT_NONE, c1, 0), CP_CCT_NONE);
	/* Below a node: a child of it, marked sampled. */
	n = cp_cct_path(t, CP_CCT_NONE, c1, 1);
	ASSERT_EQ(cp_cct_path(t, n, c1, 0), n);
	cp_cct_sample(t, cp_cct_path(t, n, c3 + 1, 1), &d);
	cp_cct_finish(t);
	/* main, a, b, and c under a (the inner a re-entered a). */
	ASSERT_EQ(cp_cct_nnodes(t), 4);
	n = cp_cct_first_root(t);
	ASSERT_EQ(cp_cct_node(t, n)->sampled, 1);
	ASSERT_EQ(cp_cct_node(t, n)->samples_total, 4);
	ASSERT_EQ(cp_cct_node_counts(t, n)[1], 28);
	n = cp_cct_node(t, n)->first_child;
	ASSERT_EQ(cp_cct_node(t, n)->func, A);
	ASSERT_EQ(cp_cct_node(t, n)->samples, 2);
	ASSERT_EQ(cp_cct_node(t, n)->samples_total, 4);
	cp_cct_free(t);
}

static uint64_t twice(const void *ctx, uint64_t v)
{
	(void)ctx;
	return 2 * v;
}

/*
 * Two threads' trees merged: functions renumbered (two ids of one name
 * become one function, whose path then folds), times converted, counters
 * moved to the run's numbering, a dropped function's subtree left out.
 */
static void test_merge(void)
{
	struct cp_cct *a = cp_cct_new(1), *b = cp_cct_new(2), *run;
	const uint32_t func[] = {10, 11, 11, CP_CCT_NONE, 12};
	const uint32_t ca[] = {1}, cb[] = {0, 2};
	const uint64_t one = 1, two[2] = {3, 4};
	struct cp_cct_map ma = {.func = func, .counter = ca, .time = twice};
	struct cp_cct_map mb = {.func = func, .counter = cb};
	uint32_t n0, n1, n2, n3;

	/* a: 0 -> 1 -> 2 (1 and 2 are one function in the run), 0 -> 3 -> 4 */
	n0 = cp_cct_enter(a, CP_CCT_NONE, 0);
	n1 = cp_cct_enter(a, n0, 1);
	n2 = cp_cct_enter(a, n1, 2);
	n3 = cp_cct_enter(a, n0, 3);
	cp_cct_close(a, cp_cct_enter(a, n3, 4), 1, 100, &one);
	cp_cct_close(a, n2, 1, 5, &one);
	cp_cct_close(a, n1, 1, 6, &one);
	cp_cct_close(a, n0, 1, 7, &one);
	cp_cct_edge_add(a, 1, 2, 1, 5, &one, 0);
	cp_cct_edge_add(a, 3, 4, 1, 100, &one, 0);
	/* b: 0 -> 1 */
	n0 = cp_cct_enter(b, CP_CCT_NONE, 0);
	cp_cct_close(b, cp_cct_enter(b, n0, 1), 2, 50, two);
	cp_cct_edge_add(b, 0, 1, 2, 50, two, 0);

	run = cp_cct_new(1);
	cp_cct_widen(run, 2);
	cp_cct_merge(run, a, &ma);
	cp_cct_widen(run, 3);
	cp_cct_merge(run, b, &mb);
	cp_cct_finish(run);

	ASSERT_EQ(cp_cct_nnodes(run), 2);
	n0 = cp_cct_first_root(run);
	ASSERT_EQ(cp_cct_node(run, n0)->func, 10);
	ASSERT_EQ(cp_cct_node(run, n0)->self, 14);
	ASSERT_EQ(cp_cct_node(run, n0)->total, 14 + 22 + 50);
	n1 = cp_cct_node(run, n0)->first_child;
	ASSERT_EQ(cp_cct_node(run, n1)->func, 11);
	ASSERT_EQ(cp_cct_node(run, n1)->calls, 4);
	ASSERT_EQ(cp_cct_node(run, n1)->self, 72);
	/* Counters: a's 0 is the run's 1, b's 0 and 1 the run's 0 and 2. */
	ASSERT_EQ(cp_cct_node_counts(run, n1)[0], 3);
	ASSERT_EQ(cp_cct_node_counts(run, n1)[1], 2);
	ASSERT_EQ(cp_cct_node_counts(run, n1)[2], 4);
	ASSERT_EQ(cp_cct_node_counts(run, n0)[3 + 1], 3);
	/* The edge 1 -> 2 is 11 -> 11 now; 3 -> 4 was dropped. */
	ASSERT_EQ(cp_cct_nedges(run), 2);
	ASSERT_EQ(edge(run, 11, 11)->total, 10);
	ASSERT_EQ(edge(run, 10, 11)->calls, 2);
	ASSERT_EQ(cp_cct_edge_counts(run, 0)[1], 1);
	cp_cct_free(a);
	cp_cct_free(b);
	cp_cct_free(run);
}

/*
 * Counted calls (adaptive timing). A tiny function C counted from two
 * callers A and B, each with one node: exact edges and exact nodes, with
 * no time; a timed call of C from A beside them.
 */
static void test_counted_exact(void)
{
	struct sim *s = sim_new();
	const uint32_t pa[] = {MAIN, A, C}, pb[] = {MAIN, B, C};
	const struct cp_cct_edge *e;

	enter(s, MAIN, 0);
	enter(s, A, 10);
	enter(s, C, 11);
	leave(s, 12);
	leave(s, 20);
	enter(s, B, 30);
	leave(s, 40);
	leave(s, 50);
	cp_cct_counted(s->t, A, C, 700);
	cp_cct_counted(s->t, B, C, 42);
	cp_cct_counted(s->t, A, C, 300); /* a later chunk adds up */
	cp_cct_finish(s->t);
	e = edge(s->t, A, C);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 1001);
	ASSERT_EQ(e->untimed, 1000);
	ASSERT_EQ(e->total, 1); /* the timed call's only */
	e = edge(s->t, B, C);
	ASSERT_EQ_FATAL(e != NULL, 1);
	ASSERT_EQ(e->calls, 42);
	ASSERT_EQ(e->untimed, 42);
	ASSERT_EQ(e->total, 0);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pa, 3))->calls, 1001);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pa, 3))->estimated, 0);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pb, 3))->calls, 42);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pb, 3))->estimated, 0);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pb, 3))->self, 0);
	sim_free(s);
}

/*
 * Direct recursion counted: the edge of a function to itself; by the
 * recursion rule its calls go to the function's own node.
 */
static void test_counted_recursion(void)
{
	struct sim *s = sim_new();
	const uint32_t pf[] = {MAIN, F};

	enter(s, MAIN, 0);
	enter(s, F, 1);
	enter(s, F, 2);
	leave(s, 3);
	leave(s, 4);
	leave(s, 5);
	cp_cct_counted(s->t, F, F, 97);
	cp_cct_finish(s->t);
	ASSERT_EQ(edge(s->t, F, F)->calls, 98);
	ASSERT_EQ(edge(s->t, F, F)->untimed, 97);
	ASSERT_EQ(cp_cct_nnodes(s->t), 2);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pf, 2))->calls, 2 + 97);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pf, 2))->estimated, 0);
	sim_free(s);
}

/*
 * A caller with two contexts: G runs under A (3 calls) and under B (1
 * call); 1001 counted calls of G -> C are split 3:1 between the two C
 * nodes, marked estimated, adding up to the exact edge count. A root
 * edge's counted calls go to the root node, exactly; a caller with no
 * node gets a root node of its own.
 */
static void test_counted_estimated(void)
{
	struct sim *s = sim_new();
	const uint32_t pa[] = {MAIN, A, G, C}, pb[] = {MAIN, B, G, C},
		       pg[] = {MAIN, A, G};
	const uint32_t proot[] = {C}, porphan[] = {F, C};
	const struct cp_cct_node *na, *nb;

	enter(s, MAIN, 0);
	enter(s, A, 1);
	for (int i = 0; i < 3; i++) {
		enter(s, G, 2);
		leave(s, 3);
	}
	leave(s, 4);
	enter(s, B, 5);
	enter(s, G, 6);
	leave(s, 7);
	leave(s, 8);
	leave(s, 9);
	/* A -> G is counted too: G's calls under A weigh 3 + 4. */
	cp_cct_counted(s->t, G, C, 1001);
	cp_cct_counted(s->t, A, G, 4);
	cp_cct_counted(s->t, CP_CCT_NONE, C, 5);
	cp_cct_counted(s->t, F, C, 6);
	cp_cct_finish(s->t);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pg, 3))->calls, 7);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, pg, 3))->estimated, 0);
	na = cp_cct_node(s->t, find(s->t, pa, 4));
	nb = cp_cct_node(s->t, find(s->t, pb, 4));
	ASSERT_EQ(na->calls + nb->calls, 1001);
	ASSERT_EQ(na->calls, 1001 * 7 / 8 + 1); /* the remainder: heaviest */
	ASSERT_EQ(nb->calls, 1001 / 8);
	ASSERT_EQ(na->estimated, 1);
	ASSERT_EQ(nb->estimated, 1);
	ASSERT_EQ(edge(s->t, G, C)->calls, 1001);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, proot, 1))->calls, 5);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, proot, 1))->estimated, 0);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, porphan, 2))->calls, 6);
	ASSERT_EQ(cp_cct_node(s->t, find(s->t, porphan, 2))->estimated, 1);
	sim_free(s);
}

/*
 * A thread's counted calls survive its merge into the run's tree, edges
 * made after them included.
 */
static void test_counted_merge(void)
{
	struct cp_cct *a = cp_cct_new(0), *run = cp_cct_new(0);
	struct cp_cct_map id = {0};
	uint32_t n0, n1;

	n0 = cp_cct_enter(a, CP_CCT_NONE, MAIN);
	n1 = cp_cct_enter(a, n0, G);
	cp_cct_close(a, n1, 1, 1, NULL);
	cp_cct_close(a, n0, 1, 1, NULL);
	cp_cct_edge_add(a, MAIN, G, 1, 1, NULL, 0);
	cp_cct_counted(a, G, C, 9);
	/* Edges made after the counted calls (the log's order varies). */
	for (uint32_t f = 0; f < NFUNC; f++)
		cp_cct_edge_add(a, C, f, 1, 1, NULL, 0);
	cp_cct_merge(run, a, &id);
	cp_cct_finish(run);
	ASSERT_EQ(edge(run, G, C)->calls, 9);
	ASSERT_EQ(edge(run, G, C)->untimed, 9);
	ASSERT_EQ(cp_cct_nnodes(run), 3);
	cp_cct_free(a);
	cp_cct_free(run);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("cct", NULL, NULL);
	CU_add_test(suite, "direct recursion folds into one node", test_direct);
	CU_add_test(suite, "mutual recursion folds at the ancestor",
		    test_mutual);
	CU_add_test(suite, "deep recursion stays bounded", test_deep);
	CU_add_test(suite, "two callers, two costs", test_two_callers);
	CU_add_test(suite, "depth-first walk with paths", test_walk);
	CU_add_test(suite, "sampled chains", test_sampled);
	CU_add_test(suite, "threads merged into a run", test_merge);
	CU_add_test(suite, "counted calls: exact edges and nodes",
		    test_counted_exact);
	CU_add_test(suite, "counted calls: recursion", test_counted_recursion);
	CU_add_test(suite, "counted calls: a caller with two contexts",
		    test_counted_estimated);
	CU_add_test(suite, "counted calls: merged", test_counted_merge);
	return tu_run();
}
