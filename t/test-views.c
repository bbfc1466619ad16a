/*
 * test-views.c - the calling-context tree and call graph as the replay
 * builds them from logs (cli/replay.c, samples.c, merge.c into cct.c),
 * and their JSON (cli/views.c).
 *
 * The logs are synthetic with a 1 GHz clock, so one tick is one
 * nanosecond and every expected number is worked out by hand; random
 * streams check the rules that must hold whatever the events: edges into
 * a function add up to its calls and total, node totals to their self
 * and children, the roots to the run's self time, and no path holds a
 * function twice.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cct.h"
#include "cli/cli.h"
#include "testlog.h"
#include "testprof.h"

#define GHZ	1000000000ULL
#define NEV(ev) (sizeof(ev) / sizeof((ev)[0]))

static char *dir;
static char path[4200];

enum { MAIN, A, B, C, F, G, TICK, NSITES };

static const struct tl_site sites[NSITES] = {
	[MAIN] = {.name = "main"},
	[A] = {.name = "a"},
	[B] = {.name = "b"},
	[C] = {.name = "c", .kind = "scope"},
	[F] = {.name = "f"},
	[G] = {.name = "g"},
	[TICK] = {.name = "tick", .kind = "frame"},
};

static const char *const tc[] = {"task-clock"};
static const struct tl_counters exact1 = {"exact", 0, 0, 0, tc, 1};
static const struct tl_counters sampling1 = {"sampling", 0, 1000, 0, tc, 1};

/* Load PATH into P with its tree; *ERR receives what was printed. */
static int load_cct(struct cp_profile *p, const char **err)
{
	int rc;

	memset(p, 0, sizeof *p);
	p->want_cct = 1;
	tu_capture();
	rc = cp_profile_load(p, path);
	*err = tu_captured();
	return rc;
}

static uint32_t fid(const struct cp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		if (strcmp(p->funcs[i].name, name) == 0)
			return (uint32_t)i;
	}
	return CP_CCT_NONE - 1;
}

/* The node of the path NAMES ("main/a/b") in T, NULL when none. */
static const struct cp_cct_node *node(const struct cp_profile *p,
				      const struct cp_cct *t, const char *names)
{
	char buf[256], *save = NULL, *name;
	uint32_t id = cp_cct_first_root(t), last = CP_CCT_NONE;

	snprintf(buf, sizeof buf, "%s", names);
	for (name = strtok_r(buf, "/", &save); name != NULL;
	     name = strtok_r(NULL, "/", &save)) {
		uint32_t f = fid(p, name);

		if (last != CP_CCT_NONE)
			id = cp_cct_node(t, last)->first_child;
		while (id != CP_CCT_NONE && cp_cct_node(t, id)->func != f)
			id = cp_cct_node(t, id)->next_sibling;
		if (id == CP_CCT_NONE)
			return NULL;
		last = id;
	}
	return last != CP_CCT_NONE ? cp_cct_node(t, last) : NULL;
}

/* The edge CALLER -> CALLEE (CALLER NULL: a root call), NULL if none. */
static const struct cp_cct_edge *edge(const struct cp_profile *p,
				      const struct cp_cct *t,
				      const char *caller, const char *callee)
{
	uint32_t a = caller != NULL ? fid(p, caller) : CP_CCT_NONE,
		 b = fid(p, callee);

	for (size_t i = 0; i < cp_cct_nedges(t); i++) {
		const struct cp_cct_edge *e = cp_cct_edge(t, i);

		if (e->caller == a && e->callee == b)
			return e;
	}
	return NULL;
}

#define CHECK_NODE(n, c, s, tot)                    \
	do {                                        \
		const struct cp_cct_node *n_ = (n); \
		CU_ASSERT_PTR_NOT_NULL_FATAL(n_);   \
		ASSERT_EQ(n_->calls, (c));          \
		ASSERT_EQ(n_->self, (s));           \
		ASSERT_EQ(n_->total, (tot));        \
	} while (0)

#define CHECK_EDGE(e, c, tot)                       \
	do {                                        \
		const struct cp_cct_edge *e_ = (e); \
		CU_ASSERT_PTR_NOT_NULL_FATAL(e_);   \
		ASSERT_EQ(e_->calls, (c));          \
		ASSERT_EQ(e_->total, (tot));        \
	} while (0)

/*
 * The rules on the tree T and the rows ROWS (N of them) of the same
 * events: each node's total is its self plus its children's, no path
 * holds a function twice, the roots add up to the self time of the rows,
 * and the edges into each function to its calls and total.
 */
static void check_rules(const struct cp_profile *p, const struct cp_cct *t,
			const struct cp_thread_func *rows, size_t n)
{
	uint64_t roots = 0, self = 0;

	for (uint32_t i = 0; i < cp_cct_nnodes(t); i++) {
		const struct cp_cct_node *x = cp_cct_node(t, i);
		uint64_t kids = 0;

		for (uint32_t c = x->first_child; c != CP_CCT_NONE;
		     c = cp_cct_node(t, c)->next_sibling)
			kids += cp_cct_node(t, c)->total;
		ASSERT_EQ(x->total, x->self + kids);
		if (x->parent == CP_CCT_NONE)
			roots += x->total;
		for (uint32_t a = x->parent; a != CP_CCT_NONE;
		     a = cp_cct_node(t, a)->parent)
			ASSERT_NE(cp_cct_node(t, a)->func, x->func);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t calls = 0, total = 0;

		self += rows[i].st.self_ns;
		for (size_t j = 0; j < cp_cct_nedges(t); j++) {
			const struct cp_cct_edge *e = cp_cct_edge(t, j);

			if (e->callee != rows[i].func)
				continue;
			calls += e->calls;
			total += e->total;
		}
		ASSERT_EQ(calls, rows[i].st.calls);
		ASSERT_EQ(total, rows[i].st.total_ns);
	}
	ASSERT_EQ(roots, self);
	(void)p;
}

static void check_run(const struct cp_profile *p)
{
	struct cp_thread_func *rows;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p->cct);
	rows = xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *rows);
	for (size_t i = 0; i < p->nfuncs; i++) {
		rows[i].func = i;
		rows[i].st = p->funcs[i].st;
	}
	check_rules(p, p->cct, rows, p->nfuncs);
	free(rows);
	for (size_t i = 0; i < p->nthreads; i++)
		check_rules(p, p->threads[i].cct, p->threads[i].funcs,
			    p->threads[i].nfuncs);
}

static void simple_log(const struct tl_event *ev, size_t n, uint64_t end)
{
	struct tlog l;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, sites, NSITES, ev, n);
	tl_end(&l, end, end);
	tl_write(&l, path);
	tl_destroy(&l);
}

/* Without a view nothing is built: the flat report pays nothing. */
static void test_not_asked(void)
{
	static const struct tl_event ev[] = {{'E', A, 0}, {'X', A, 10}};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 10);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT_PTR_NULL(p.cct);
	CU_ASSERT_PTR_NULL(p.threads[0].cct);
	cp_profile_free(&p);
}

/*
 * main > a > b > a > b > c, then main > b > c: the inner a re-enters a,
 * the inner b is a's child again; b called from main is another node.
 */
static void test_mutual(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 1},   {'E', B, 2},   {'E', A, 4},
		{'E', B, 8},	{'E', C, 16},  {'X', C, 32},  {'X', B, 64},
		{'X', A, 128},	{'X', B, 256}, {'X', A, 512}, {'E', B, 600},
		{'E', C, 610},	{'X', C, 650}, {'X', B, 700}, {'X', MAIN, 1024},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 1024);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(cp_cct_nnodes(p.cct), 6);
	CHECK_NODE(node(&p, p.cct, "main"), 1, 1 + 88 + 324, 1024);
	CHECK_NODE(node(&p, p.cct, "main/a"), 2, 1 + 256 + 4 + 64, 511);
	CHECK_NODE(node(&p, p.cct, "main/a/b"), 2, 2 + 128 + 8 + 32, 186);
	CHECK_NODE(node(&p, p.cct, "main/a/b/c"), 1, 16, 16);
	CHECK_NODE(node(&p, p.cct, "main/b"), 1, 60, 100);
	CHECK_NODE(node(&p, p.cct, "main/b/c"), 1, 40, 40);
	CU_ASSERT_PTR_NULL(node(&p, p.cct, "main/a/b/a"));
	/* Edges: the recursive calls count, without time. */
	CHECK_EDGE(edge(&p, p.cct, NULL, "main"), 1, 1024);
	CHECK_EDGE(edge(&p, p.cct, "main", "a"), 1, 511);
	CHECK_EDGE(edge(&p, p.cct, "a", "b"), 2, 254);
	CHECK_EDGE(edge(&p, p.cct, "b", "a"), 1, 0);
	CHECK_EDGE(edge(&p, p.cct, "main", "b"), 1, 100);
	CHECK_EDGE(edge(&p, p.cct, "b", "c"), 2, 56);
	check_run(&p);
	cp_profile_free(&p);
}

/*
 * An exit deeper in the stack (longjmp) closes the frames above it, in
 * the tree as in the table.
 */
static void test_longjmp(void)
{
	static const struct tl_event ev[] = {
		{'E', A, 0},  {'E', B, 10}, {'E', C, 20},
		{'X', A, 50}, {'E', F, 60}, {'E', F, 70},
		{'E', G, 80}, {'X', F, 90}, {'X', F, 100},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 100);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_NODE(node(&p, p.cct, "a"), 1, 10, 50);
	CHECK_NODE(node(&p, p.cct, "a/b"), 1, 10, 40);
	CHECK_NODE(node(&p, p.cct, "a/b/c"), 1, 30, 30);
	CHECK_NODE(node(&p, p.cct, "f"), 2, 30, 40);
	CHECK_NODE(node(&p, p.cct, "f/g"), 1, 10, 10);
	CHECK_EDGE(edge(&p, p.cct, "b", "c"), 1, 30);
	CHECK_EDGE(edge(&p, p.cct, "f", "f"), 1, 0);
	CHECK_EDGE(edge(&p, p.cct, "f", "g"), 1, 10);
	check_run(&p);
	cp_profile_free(&p);
}

/*
 * Exits without enters: a frame from before the stream is a root of its
 * own whose edge gets what its total grew by; a lost enter under open
 * frames is a call without time.
 */
static void test_unmatched(void)
{
	static const struct tl_event ev[] = {
		{'X', F, 10}, {'E', F, 20}, {'X', F, 30}, {'X', F, 50},
		{'E', A, 60}, {'X', G, 70}, {'X', A, 80},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 80);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(func(&p, "f")->st.total_ns, 50);
	CHECK_EDGE(edge(&p, p.cct, NULL, "f"), 3, 50);
	CHECK_EDGE(edge(&p, p.cct, "a", "g"), 1, 0);
	CHECK_NODE(node(&p, p.cct, "a/g"), 1, 0, 0);
	check_run(&p);
	cp_profile_free(&p);
}

/* Random streams, chunks and threads: the rules always hold. */
static void test_random(void)
{
	struct tl_event ev[300];
	struct cp_profile p;
	const char *err;

	tu_rng_state = 0x9e3779b97f4a7c15ULL;
	for (int iter = 0; iter < 200; iter++) {
		struct tlog l;
		uint64_t t[3] = {0, 0, 0};

		tl_init(&l);
		tl_header(&l, 1, GHZ, 0, 0);
		for (int c = 0; c < 6; c++) {
			int tid = (int)(rng() % 3);
			size_t n = rng() % 300;
			uint64_t t0 = t[tid];

			for (size_t i = 0; i < n; i++) {
				t[tid] += rng() % 50;
				ev[i].t = t[tid];
				ev[i].site = (unsigned)(rng() % NSITES);
				/* More enters than exits: deep stacks. */
				ev[i].what = rng() % 5 < 3 ? 'E' : 'X';
			}
			tl_ev(&l, tid + 1, t0, sites, NSITES, ev, n);
		}
		if (iter % 2)
			tl_end(&l, 0, 0);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
		check_run(&p);
		/* Bounded: no path holds a function twice. */
		for (uint32_t i = 0; i < cp_cct_nnodes(p.cct); i++)
			CU_ASSERT(cp_cct_node(p.cct, i)->depth < NSITES);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/* Two threads of one path: one run tree, a tree per thread. */
static void test_threads(void)
{
	static const struct tl_event t1[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 30}, {'X', MAIN, 40}};
	static const struct tl_event t2[] = {{'E', MAIN, 5}, {'E', A, 6},
					     {'X', A, 7},    {'E', B, 8},
					     {'X', B, 9},    {'X', MAIN, 10}};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_ev(&l, 2, 0, sites, NSITES, t1, NEV(t1));
	tl_ev(&l, 3, 5, sites, NSITES, t2, NEV(t2));
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(cp_cct_nnodes(p.cct), 3);
	CHECK_NODE(node(&p, p.cct, "main"), 2, 20 + 3, 45);
	CHECK_NODE(node(&p, p.cct, "main/a"), 2, 21, 21);
	CHECK_NODE(node(&p, p.cct, "main/b"), 1, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(thread(&p, 2));
	ASSERT_EQ(cp_cct_nnodes(thread(&p, 2)->cct), 2);
	CHECK_NODE(node(&p, thread(&p, 3)->cct, "main/a"), 1, 1, 1);
	CHECK_EDGE(edge(&p, p.cct, "main", "a"), 2, 21);
	check_run(&p);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * Exact mode: the counters go to nodes like time, and along edges when
 * the call is the callee's outermost.
 */
static void test_exact(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', F, 10}, {'E', F, 20}, {'E', G, 30},
		{'X', G, 40},	{'X', F, 50}, {'X', F, 60}, {'X', MAIN, 100},
	};
	/* task-clock runs at half the wall time. */
	uint64_t v[NEV(ev)];
	struct tlog l;
	struct cp_profile p;
	const char *err;
	const struct cp_cct_node *n;
	const struct cp_cct_edge *e;

	for (size_t i = 0; i < NEV(ev); i++)
		v[i] = 1000 + ev[i].t / 2;
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &exact1);
	tl_ev_exact(&l, 2, 0, sites, NSITES, ev, NEV(ev), v, 1);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ_FATAL(p.ncounters, 1);
	n = node(&p, p.cct, "main/f");
	CHECK_NODE(n, 2, 40, 50);
	/* The node's self and total counts: f's 20 of its 25. */
	ASSERT_EQ(cp_cct_node_counts(p.cct,
				     (uint32_t)(n - cp_cct_node(p.cct, 0)))[0],
		  20);
	ASSERT_EQ(cp_cct_node_counts(p.cct,
				     (uint32_t)(n - cp_cct_node(p.cct, 0)))[1],
		  25);
	ASSERT_EQ(func(&p, "f")->counts[0].total, 25);
	for (size_t i = 0; i < cp_cct_nedges(p.cct); i++) {
		e = cp_cct_edge(p.cct, i);
		if (e->caller == fid(&p, "main") && e->callee == fid(&p, "f"))
			ASSERT_EQ(cp_cct_edge_counts(p.cct, i)[0], 25);
		if (e->caller == fid(&p, "f") && e->callee == fid(&p, "f"))
			ASSERT_EQ(cp_cct_edge_counts(p.cct, i)[0], 0);
		if (e->caller == fid(&p, "f") && e->callee == fid(&p, "g"))
			ASSERT_EQ(cp_cct_edge_counts(p.cct, i)[0], 5);
	}
	check_run(&p);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * Sampling mode: a sample goes to the innermost frame's node, and along
 * each edge of the stack once per function.
 */
static void test_sampled_markers(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', F, 10}, {'E', F, 20}, {'E', G, 30},
		{'X', G, 40},	{'X', F, 50}, {'X', F, 60}, {'X', MAIN, 100},
	};
	static const uint64_t at[] = {5, 15, 25, 35, 55, 70};
	static const uint64_t totals[1] = {63};
	struct tl_sample s[NEV(at)];
	struct tlog l;
	struct cp_profile p;
	const char *err;
	const struct cp_cct_edge *e;

	for (size_t i = 0; i < NEV(at); i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].t = at[i];
		s[i].ip = 0x10;
		s[i].d[0] = 1u << i;
	}
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling1);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, NEV(at), 1, 0);
	tl_counts(&l, 2, totals, 1, 1000, 1000);
	tl_end(&l, 110, 110);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	ASSERT_STR_EQ(err, "");
	/* main at 5 and 70, f at 15, 25 and 55, g at 35. */
	ASSERT_EQ(node(&p, p.cct, "main")->samples, 2);
	ASSERT_EQ(node(&p, p.cct, "main")->samples_total, 6);
	ASSERT_EQ(node(&p, p.cct, "main/f")->samples, 3);
	ASSERT_EQ(node(&p, p.cct, "main/f/g")->samples, 1);
	e = edge(&p, p.cct, "main", "f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	ASSERT_EQ(e->samples, 4);
	e = edge(&p, p.cct, "f", "f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	ASSERT_EQ(e->samples, 0);
	ASSERT_EQ(edge(&p, p.cct, "f", "g")->samples, 1);
	ASSERT_EQ(edge(&p, p.cct, NULL, "main")->samples, 6);
	check_run(&p);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* The JSON of the views: format 3, roots and root calls null. */
static void test_json(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', F, 10}, {'E', F, 20},
		{'X', F, 30},	{'X', F, 40}, {'X', MAIN, 50},
	};
	struct cp_output o;
	struct cp_profile p;
	const char *err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	simple_log(ev, NEV(ev), 50);
	ASSERT_EQ_FATAL(load_cct(&p, &err), 0);
	memset(&o, 0, sizeof o);
	o.format = CP_FORMAT_JSON;
	o.call_graph = o.tree = 1;
	f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_EQ(cp_output_print(f, &p, &o), 0);
	fclose(f);
	CU_ASSERT(strstr(buf, "\"format_version\": 3") != NULL);
	CU_ASSERT(strstr(buf, "{\"caller\": null, \"callee\": \"main\", "
			      "\"calls\": 1, \"total_ns\": 50") != NULL);
	CU_ASSERT(strstr(buf, "{\"caller\": \"f\", \"callee\": \"f\", "
			      "\"calls\": 1, \"total_ns\": 0") != NULL);
	CU_ASSERT(strstr(buf, "{\"id\": 0, \"parent\": null, \"name\": "
			      "\"main\", \"calls\": 1, \"self_ns\": 20, "
			      "\"total_ns\": 50") != NULL);
	CU_ASSERT(strstr(buf, "{\"id\": 1, \"parent\": 0, \"name\": \"f\", "
			      "\"calls\": 2, \"self_ns\": 30, \"total_ns\": "
			      "30") != NULL);
	free(buf);
	cp_profile_free(&p);
}

int main(void)
{
	CU_pSuite suite;
	int rc;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/proc-1-1.log", dir);
	suite = CU_add_suite("views", NULL, NULL);
	CU_add_test(suite, "no tree unless asked", test_not_asked);
	CU_add_test(suite, "mutual recursion through the replay", test_mutual);
	CU_add_test(suite, "longjmp-closed frames", test_longjmp);
	CU_add_test(suite, "exits without enters", test_unmatched);
	CU_add_test(suite, "random streams keep the rules", test_random);
	CU_add_test(suite, "threads: one run tree, one per thread",
		    test_threads);
	CU_add_test(suite, "exact counters on nodes and edges", test_exact);
	CU_add_test(suite, "samples on nodes and edges", test_sampled_markers);
	CU_add_test(suite, "JSON of the views", test_json);
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
