/*
 * test-merge.c - unit tests of the counter merge in cli/profile.c: perf
 * samples placed in the marker frames open at their time, samples outside
 * markers named by address, exact-mode deltas summed like time, coverage
 * scaling, and the cross-check of marker time against samples; then the
 * counters in the table, JSON and CSV of cli/output.c.
 *
 * The logs are synthetic (t/testlog.h). Most use a 1 GHz clock starting
 * at 0 on both timelines, so a marker tick and a sample nanosecond are the
 * same number and every expected count is worked out by hand. Sample
 * deltas are distinct powers of two where a test checks which frame got
 * which sample: a count then spells out the samples it holds.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "testlog.h"
#include "testprof.h"

#define GHZ	1000000000ULL
#define NEV(ev) (sizeof(ev) / sizeof((ev)[0]))

static char *dir;
static char path[4200];

enum { MAIN, A, B, F, G, HEAVY, LIGHT, NSITES };

static const struct tl_site sites[NSITES] = {
	[MAIN] = {.name = "main"},   [A] = {.name = "a"},
	[B] = {.name = "b"},	     [F] = {.name = "f"},
	[G] = {.name = "g"},	     [HEAVY] = {.name = "heavy"},
	[LIGHT] = {.name = "light"},
};

static const char *const tc_pf[] = {"task-clock", "page-faults"};
/* Sampling on task-clock, page-faults read with each sample. */
static const struct tl_counters sampling2 = {"sampling", 0, 1000, 0, tc_pf, 2};
static const struct tl_counters exact2 = {"exact", 0, 0, 0, tc_pf, 2};

/* An address in no object: its samples are counted as "[unknown]". */
#define NOWHERE 0x10

/* Counter K of NAME over the run; all zero when it has no row. */
static struct cp_count count(const struct cp_profile *p, const char *name,
			     size_t k)
{
	const struct cp_func *f = func(p, name);
	struct cp_count none = {0, 0};

	if (f == NULL || f->counts == NULL || k >= p->ncounters)
		return none;
	return f->counts[k];
}

/* Counter K of NAME on thread TID. */
static struct cp_count tcount(const struct cp_profile *p, int tid,
			      const char *name, size_t k)
{
	const struct cp_thread_func *r = thread_func(p, tid, name);
	struct cp_count none = {0, 0};

	return r != NULL && r->counts != NULL ? r->counts[k] : none;
}

#define CHECK_COUNT(c, self_, total_)                    \
	do {                                             \
		struct cp_count c_ = (c);                \
		ASSERT_EQ(c_.self, (uint64_t)(self_));   \
		ASSERT_EQ(c_.total, (uint64_t)(total_)); \
	} while (0)

/* A sample of two counters at T: the leader's delta D, one page fault. */
static struct tl_sample smp(uint64_t t, uint64_t d)
{
	struct tl_sample s;

	memset(&s, 0, sizeof s);
	s.t = t;
	s.ip = NOWHERE;
	s.d[0] = d;
	s.d[1] = 1;
	return s;
}

/*
 * Frame edges. A sample at time t belongs to the frames open at t once
 * every marker event at t has run: an enter at t is inclusive, an exit at
 * t exclusive, and an exit and an enter at the same t give the entered
 * frame.
 */
static void test_edges(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10},	  {'E', B, 20}, {'X', B, 30},
		{'X', A, 40},	{'E', A, 45},	  {'X', A, 50}, {'E', B, 50},
		{'X', B, 60},	{'X', MAIN, 100},
	};
	struct tl_sample s[9];
	static const uint64_t at[9] = {0, 10, 20, 25, 30, 40, 50, 60, 100};
	static const uint64_t totals[2] = {511, 9};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	for (int i = 0; i < 9; i++)
		s[i] = smp(at[i], 1u << i);
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, 9, 2, 0);
	tl_counts(&l, 2, totals, 2, 1000, 1000);
	tl_end(&l, 110, 110);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ_FATAL(p.ncounters, 2);
	/* main: at 0 (its enter), 40 (a's exit), 60 (b's exit). */
	CHECK_COUNT(count(&p, "main", 0), 1 + 32 + 128, 255);
	/* a: at 10 (its enter) and 30 (b's exit); not at 50, its exit. */
	CHECK_COUNT(count(&p, "a", 0), 2 + 16, 2 + 4 + 8 + 16);
	/* b: at 20, 25, and 50, where a exits and b enters. */
	CHECK_COUNT(count(&p, "b", 0), 4 + 8 + 64, 4 + 8 + 64);
	/* At 100 main has exited: outside every marker, by address. */
	CHECK_COUNT(count(&p, "[unknown]", 0), 256, 256);
	ASSERT_EQ(func(&p, "[unknown]")->st.calls, 0);
	/* The second counter counts one a sample. */
	CHECK_COUNT(count(&p, "main", 1), 3, 8);
	CHECK_COUNT(count(&p, "b", 1), 3, 3);
	ASSERT_EQ(func(&p, "main")->samples, 3);
	ASSERT_EQ(func(&p, "b")->samples, 3);
	/* Time is what it was without counters. */
	ASSERT_EQ(func(&p, "main")->st.self_ns, 100 - 30 - 5 - 10);
	ASSERT_EQ(func(&p, "a")->st.total_ns, 35);
	/* The run's counters, as the header listed them. */
	ASSERT_STR_EQ(p.counters[0].name, "task-clock");
	ASSERT_EQ(p.counters[0].mode, CP_COUNTER_SAMPLING);
	CU_ASSERT(p.counters[0].leader);
	CU_ASSERT(p.counters[0].ns);
	CU_ASSERT(!p.counters[1].leader);
	CU_ASSERT(!p.counters[1].ns);
	ASSERT_EQ(p.counters[0].freq, 1000);
	ASSERT_EQ(p.counters[0].samples, 9);
	ASSERT_EQ(p.counters[1].samples, 9);
	ASSERT_EQ(p.counters[0].count, 511);
	ASSERT_EQ(p.counters[1].count, 9);
	ASSERT_EQ(p.counters[0].total_self, 511);
	ASSERT_EQ(p.counters[0].enabled, 1000);
	ASSERT_EQ(p.counters[0].running, 1000);
	CU_ASSERT(!p.counters[0].scaled);
	ASSERT_EQ(p.procs[0].samples, 9);
	ASSERT_EQ(p.procs[0].unplaced, 0);
	/* The thread's own rows and totals. */
	CHECK_COUNT(tcount(&p, 2, "a", 0), 18, 30);
	ASSERT_EQ(thread(&p, 2)->samples, 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(thread(&p, 2)->totals);
	ASSERT_EQ(thread(&p, 2)->totals[0], 511);
	/* Too few samples for the cross-check: nothing flagged. */
	CU_ASSERT(p.has_dist);
	ASSERT_EQ(p.dist_samples, 8);
	CU_ASSERT(!func(&p, "main")->dist.flagged);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* Nested and recursive frames: a sample counts once in each total. */
static void test_recursion(void)
{
	/* f > f > f, then f > g > f. */
	static const struct tl_event ev[] = {
		{'E', F, 0},   {'E', F, 10},  {'E', F, 20},  {'X', F, 50},
		{'X', F, 90},  {'X', F, 100}, {'E', F, 200}, {'E', G, 210},
		{'E', F, 220}, {'X', F, 250}, {'X', G, 290}, {'X', F, 300},
	};
	struct tl_sample s[4] = {smp(30, 1), smp(150, 1000), smp(230, 10),
				 smp(260, 100)};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, 4, 2, 0);
	tl_end(&l, 300, 300);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	/* f is open three deep at 30 and twice at 230: once each. */
	CHECK_COUNT(count(&p, "f", 0), 1 + 10, 1 + 10 + 100);
	CHECK_COUNT(count(&p, "g", 0), 100, 110);
	CHECK_COUNT(count(&p, "f", 1), 2, 3);
	/* Between the two outer calls nothing is open. */
	CHECK_COUNT(count(&p, "[unknown]", 0), 1000, 1000);
	CHECK_COUNT(tcount(&p, 2, "f", 0), 11, 111);
	/* No counts chunk: the coverage is unknown, nothing scaled. */
	ASSERT_EQ(p.counters[0].enabled, 0);
	ASSERT_EQ(p.counters[0].uncovered, 1);
	CU_ASSERT_PTR_NULL(thread(&p, 2)->totals);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * The runtime writes a drain's marker events, then its samples, then the
 * thread's totals. A sample taken after the marker ring was read comes
 * in a samples chunk before the ev chunk holding the events just before
 * it: it waits for them.
 */
static void test_samples_before_events(void)
{
	static const struct tl_event ev1[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 20}};
	static const struct tl_event ev2[] = {
		{'E', B, 30}, {'X', B, 40}, {'X', MAIN, 50}};
	struct tl_sample s1[4] = {smp(5, 1), smp(15, 2), smp(25, 4),
				  smp(35, 8)};
	struct tl_sample s2[2] = {smp(45, 16), smp(55, 32)};
	static const uint64_t tot[2] = {0, 0};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_ev(&l, 2, 0, sites, NSITES, ev1, NEV(ev1));
	tl_samples(&l, 2, 0, s1, 4, 2, 0);
	tl_counts(&l, 2, tot, 2, 10, 10);
	/* 35 is in b, whose enter at 30 comes only now. */
	tl_ev(&l, 2, 20, sites, NSITES, ev2, NEV(ev2));
	tl_samples(&l, 2, 35, s2, 2, 2, 0);
	tl_counts(&l, 2, tot, 2, 20, 20);
	tl_end(&l, 60, 60);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_COUNT(count(&p, "main", 0), 1 + 4 + 16, 1 + 2 + 4 + 8 + 16);
	CHECK_COUNT(count(&p, "a", 0), 2, 2);
	CHECK_COUNT(count(&p, "b", 0), 8, 8);
	CHECK_COUNT(count(&p, "[unknown]", 0), 32, 32);
	ASSERT_EQ(p.procs[0].unplaced, 0);
	/* The last counts chunk wins. */
	ASSERT_EQ(thread(&p, 2)->enabled, 20);
	cp_profile_free(&p);
	tl_destroy(&l);

	/*
	 * The same samples in one chunk after all the events, and the
	 * thread's end record: nothing waits past the end.
	 */
	{
		struct tl_sample all[6] = {smp(5, 1),	smp(15, 2),
					   smp(25, 4),	smp(35, 8),
					   smp(45, 16), smp(55, 32)};

		tl_init(&l);
		tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog",
				   &sampling2);
		tl_thread_start(&l, 2, 0, "t");
		tl_ev(&l, 2, 0, sites, NSITES, ev1, NEV(ev1));
		tl_ev(&l, 2, 20, sites, NSITES, ev2, NEV(ev2));
		tl_samples(&l, 2, 0, all, 6, 2, 0);
		tl_thread_end(&l, 2, 58);
		tl_end(&l, 60, 60);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load(&p, path, &err), 0);
		ASSERT_STR_EQ(err, "");
		CHECK_COUNT(count(&p, "main", 0), 1 + 4 + 16,
			    1 + 2 + 4 + 8 + 16);
		CHECK_COUNT(count(&p, "b", 0), 8, 8);
		CHECK_COUNT(count(&p, "[unknown]", 0), 32, 32);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/*
 * A sample the marker stream has already passed (a runtime that broke
 * the order) cannot be placed in a frame any more: it is counted by
 * address, and said so.
 */
static void test_late_samples(void)
{
	static const struct tl_event ev1[] = {{'E', MAIN, 0}, {'E', A, 10}};
	static const struct tl_event ev2[] = {{'X', A, 20}, {'X', MAIN, 30}};
	struct tl_sample s1[1] = {smp(25, 1)};
	struct tl_sample s2[1] = {smp(15, 2)};
	static const uint64_t tot[2] = {0, 0};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_ev(&l, 2, 0, sites, NSITES, ev1, NEV(ev1));
	tl_ev(&l, 2, 10, sites, NSITES, ev2, NEV(ev2));
	tl_samples(&l, 2, 0, s1, 1, 2, 0);
	tl_counts(&l, 2, tot, 2, 10, 10);
	tl_samples(&l, 2, 0, s2, 1, 2, 0);
	tl_counts(&l, 2, tot, 2, 10, 10);
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 samples came too late"));
	CHECK_COUNT(count(&p, "main", 0), 1, 1);
	CHECK_COUNT(count(&p, "a", 0), 0, 0);
	CHECK_COUNT(count(&p, "[unknown]", 0), 2, 2);
	ASSERT_EQ(p.procs[0].unplaced, 1);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * Functions of this program, for samples named by address. The report
 * believes a callchain only up to its first entry that does not follow a
 * call instruction, so fn_a and fn_b keep where they return to: real
 * return addresses inside fn_b and fn_c.
 */
static volatile uintptr_t ret_in_b, ret_in_c;

__attribute__((noinline, used)) static int fn_a(int x)
{
	ret_in_b = (uintptr_t)__builtin_return_address(0);
	return x * 3 + 1;
}

__attribute__((noinline, used)) static int fn_b(int x)
{
	ret_in_c = (uintptr_t)__builtin_return_address(0);
	return fn_a(x) * 5 + 2;
}

__attribute__((noinline, used)) static int fn_c(int x)
{
	return fn_b(x) * 7 + 3;
}

/*
 * An uninstrumented program: no marker at all, so every sample is named
 * by its address, and its callchain puts its deltas in the total of each
 * function it passes through, once per sample.
 */
static void test_by_address(void)
{
	static const char *const tc[] = {"task-clock"};
	static const struct tl_counters chains = {"sampling", 0,  1000,
						  1,	      tc, 1};
	uintptr_t a = (uintptr_t)&fn_a, b = (uintptr_t)&fn_b,
		  c = (uintptr_t)&fn_c;
	struct tl_sample s[4];
	struct tp_object exe;
	char exepath[4096];
	const char *exebase;
	const struct cp_func *f;
	struct tlog l;
	struct cp_profile p;
	const char *err;
	ssize_t n;

	n = readlink("/proc/self/exe", exepath, sizeof exepath - 1);
	CU_ASSERT_FATAL(n > 0);
	exepath[n] = '\0';
	exebase = strrchr(exepath, '/') + 1;
	CU_ASSERT_FATAL(tp_object_named("", &exe) == 0);

	ASSERT_EQ(fn_c(1), ((1 * 3 + 1) * 5 + 2) * 7 + 3);
	CU_ASSERT_FATAL(ret_in_b > b && ret_in_c > c);
	memset(s, 0, sizeof s);
	/* In fn_a, called from fn_b, from fn_c, from fn_b (recursion). */
	s[0].t = 10;
	s[0].ip = a + 1;
	s[0].d[0] = 1;
	s[0].nchain = 3;
	s[0].chain[0] = ret_in_b;
	s[0].chain[1] = ret_in_c;
	s[0].chain[2] = ret_in_b;
	/* In fn_b called from fn_c. */
	s[1].t = 20;
	s[1].ip = b + 1;
	s[1].d[0] = 10;
	s[1].nchain = 1;
	s[1].chain[0] = ret_in_c;
	/* In fn_c, no caller recorded. */
	s[2].t = 30;
	s[2].ip = c + 1;
	s[2].d[0] = 100;
	/* Nowhere. */
	s[3].t = 40;
	s[3].ip = NOWHERE;
	s[3].d[0] = 1000;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, exepath, &chains);
	tl_map(&l, "", exe.base, NULL, 0, exe.start, exe.end);
	tl_samples(&l, 7, 0, s, 4, 1, 1);
	tl_end(&l, 50, 50);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_COUNT(count(&p, "fn_a", 0), 1, 1);
	CHECK_COUNT(count(&p, "fn_b", 0), 10, 1 + 10);
	CHECK_COUNT(count(&p, "fn_c", 0), 100, 1 + 10 + 100);
	CHECK_COUNT(count(&p, "[unknown]", 0), 1000, 1000);
	f = func(&p, "fn_b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_STR_EQ(f->object, exebase);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->file);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->file, "test-merge.c"));
	ASSERT_EQ(f->st.calls, 0);
	ASSERT_EQ(f->samples, 1);
	/* The thread is known from its samples alone. */
	ASSERT_EQ_FATAL(p.nthreads, 1);
	ASSERT_EQ(p.threads[0].tid, 7);
	ASSERT_EQ(p.threads[0].samples, 4);
	ASSERT_EQ(p.threads[0].nfuncs, 4);
	ASSERT_EQ(p.total_self_ns, 0);
	/* No sample inside a marker: nothing to compare. */
	ASSERT_EQ(p.dist_samples, 0);
	cp_profile_free(&p);
	tl_destroy(&l);

	ASSERT_EQ(fn_c(1), ((1 * 3 + 1) * 5 + 2) * 7 + 3);
}

/* Where a comparison qsort() calls returns to: a library's code. */
static volatile uintptr_t ret_in_lib;

static int cmp_int(const void *x, const void *y)
{
	ret_in_lib = (uintptr_t)__builtin_return_address(0);
	return *(const int *)x - *(const int *)y;
}

/*
 * Callchains of code built without frame pointers: an entry that follows
 * no call instruction cuts the chain there (it gives no total to what
 * lies beyond), and the chain is broken when the frame that led to it is
 * the program's; a chain that ends inside the program, short of a
 * thread's entry code, is broken too. An entry in no object read from a
 * library's frame cuts the chain without blaming the program.
 */
static void test_broken_chains(void)
{
	static const char *const tc[] = {"task-clock"};
	static const struct tl_counters chains = {"sampling", 0,  1000,
						  1,	      tc, 1};
	uintptr_t a = (uintptr_t)&fn_a, b = (uintptr_t)&fn_b;
	struct tp_object exe, lib;
	int v[2] = {2, 1};
	struct tl_sample s[4];
	char exepath[4096];
	struct tlog l;
	struct cp_profile p;
	const char *err;
	ssize_t n;

	n = readlink("/proc/self/exe", exepath, sizeof exepath - 1);
	CU_ASSERT_FATAL(n > 0);
	exepath[n] = '\0';
	CU_ASSERT_FATAL(tp_object_named("", &exe) == 0);
	ASSERT_EQ(fn_c(1), ((1 * 3 + 1) * 5 + 2) * 7 + 3);
	qsort(v, 2, sizeof v[0], cmp_int);
	CU_ASSERT_FATAL(tp_object_at(ret_in_lib, &lib) == 0);
	CU_ASSERT_FATAL(lib.path[0] == '/');

	memset(s, 0, sizeof s);
	/* Sound: fn_a from fn_b from fn_c, from the library. */
	s[0] = (struct tl_sample){.t = 10, .ip = a + 1, .d = {1}, .nchain = 3};
	s[0].chain[0] = ret_in_b;
	s[0].chain[1] = ret_in_c;
	s[0].chain[2] = ret_in_lib;
	/* Broken in fn_a: fn_b + 2 follows no call; fn_c gets nothing. */
	s[1] = (struct tl_sample){.t = 20, .ip = a + 1, .d = {10}, .nchain = 2};
	s[1].chain[0] = b + 2;
	s[1].chain[1] = ret_in_c;
	/* Broken: it stops in fn_b. */
	s[2] = (struct tl_sample){.t = 30, .ip = b + 1, .d = {100}};
	/* Cut, not broken: the library's frame led nowhere. */
	s[3] = (struct tl_sample){
		.t = 40, .ip = ret_in_lib, .d = {1000}, .nchain = 1};
	s[3].chain[0] = NOWHERE;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, exepath, &chains);
	tl_map(&l, "", exe.base, NULL, 0, exe.start, exe.end);
	tl_map(&l, lib.path, lib.base, NULL, 0, lib.start, lib.end);
	tl_samples(&l, 7, 0, s, 4, 1, 1);
	tl_end(&l, 50, 50);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.procs[0].callchains, 4);
	ASSERT_EQ(p.procs[0].broken_chains, 2);
	CHECK_COUNT(count(&p, "fn_a", 0), 1 + 10, 1 + 10);
	CHECK_COUNT(count(&p, "fn_b", 0), 100, 1 + 100);
	CHECK_COUNT(count(&p, "fn_c", 0), 0, 1);
	CHECK_COUNT(count(&p, "[unknown]", 0), 0, 0);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* Lost and throttled samples add up per thread, process and counter. */
static void test_lost(void)
{
	struct tl_sample s[1] = {smp(5, 1)};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_samples(&l, 2, 0, s, 1, 2, 0);
	tl_lost(&l, 2, 5, 1);
	tl_lost(&l, 2, 3, 0);
	tl_lost(&l, 3, 1, 2);
	tl_end(&l, 10, 10);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.procs[0].samples_lost, 9);
	ASSERT_EQ(p.procs[0].throttled, 3);
	ASSERT_EQ(thread(&p, 2)->lost, 8);
	ASSERT_EQ(thread(&p, 2)->throttled, 1);
	ASSERT_EQ(thread(&p, 3)->lost, 1);
	ASSERT_EQ(p.counters[0].lost, 9);
	ASSERT_EQ(p.counters[1].throttled, 3);
	ASSERT_EQ(p.counters[0].samples, 1);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* Chunks of three threads in any order: each keeps its own. */
static void test_threads_unordered(void)
{
	static const struct tl_event e10a[] = {{'E', A, 0}, {'E', B, 10}};
	static const struct tl_event e10b[] = {{'X', B, 20}, {'X', A, 30}};
	static const struct tl_event e11[] = {{'E', B, 5}, {'X', B, 25}};
	struct tl_sample s10a[2] = {smp(12, 1), smp(15, 2)};
	struct tl_sample s10b[1] = {smp(25, 4)};
	struct tl_sample s11[2] = {smp(7, 8), smp(30, 16)};
	struct tl_sample s12[1] = {smp(8, 32)};
	static const uint64_t tot[2] = {0, 0};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_samples(&l, 11, 0, s11, 2, 2, 0);
	tl_ev(&l, 10, 0, sites, NSITES, e10a, 2);
	tl_samples(&l, 12, 0, s12, 1, 2, 0);
	tl_ev(&l, 11, 5, sites, NSITES, e11, 2);
	tl_samples(&l, 10, 0, s10a, 2, 2, 0);
	tl_counts(&l, 11, tot, 2, 1, 1);
	tl_ev(&l, 10, 10, sites, NSITES, e10b, 2);
	tl_samples(&l, 10, 15, s10b, 1, 2, 0);
	tl_counts(&l, 12, tot, 2, 1, 1);
	tl_counts(&l, 10, tot, 2, 1, 1);
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.nthreads, 3);
	CHECK_COUNT(tcount(&p, 10, "b", 0), 1 + 2, 1 + 2);
	CHECK_COUNT(tcount(&p, 10, "a", 0), 4, 1 + 2 + 4);
	CHECK_COUNT(tcount(&p, 11, "b", 0), 8, 8);
	CHECK_COUNT(tcount(&p, 11, "[unknown]", 0), 16, 16);
	CHECK_COUNT(tcount(&p, 12, "[unknown]", 0), 32, 32);
	CHECK_COUNT(count(&p, "b", 0), 1 + 2 + 8, 1 + 2 + 8);
	CHECK_COUNT(count(&p, "[unknown]", 0), 48, 48);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * Exact mode: counter deltas between an enter and its exit are summed
 * like time, over chunks: self = delta - the callees' deltas, total once
 * for recursion.
 */
static void test_exact(void)
{
	static const struct tl_event ev1[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'E', B, 15},
		{'X', B, 25},	{'X', A, 40},
	};
	static const uint64_t v1[] = {100, 0, 110, 1, 115, 1, 125, 4, 140, 4};
	static const struct tl_event ev2[] = {
		{'E', F, 50}, {'E', F, 55},	{'X', F, 65},
		{'X', F, 70}, {'X', MAIN, 100},
	};
	static const uint64_t v2[] = {150, 5, 155, 5, 165, 7, 170, 8, 200, 10};
	static const uint64_t tot[2] = {200, 10};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &exact2);
	tl_ev_exact(&l, 2, 0, sites, NSITES, ev1, NEV(ev1), v1, 2);
	tl_ev_exact(&l, 2, 40, sites, NSITES, ev2, NEV(ev2), v2, 2);
	tl_counts(&l, 2, tot, 2, 300, 300);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.counters[0].mode, CP_COUNTER_EXACT);
	CU_ASSERT(!p.counters[0].leader);
	ASSERT_EQ(p.counters[0].samples, 0);
	CHECK_COUNT(count(&p, "b", 0), 10, 10);
	CHECK_COUNT(count(&p, "a", 0), 30 - 10, 30);
	/* f in f: 10 inner, 20 outer of which 10 its own; total once. */
	CHECK_COUNT(count(&p, "f", 0), 10 + 10, 20);
	CHECK_COUNT(count(&p, "main", 0), 100 - 30 - 20, 100);
	CHECK_COUNT(count(&p, "b", 1), 3, 3);
	CHECK_COUNT(count(&p, "a", 1), 0, 3);
	CHECK_COUNT(count(&p, "f", 1), 2 + 1, 3);
	CHECK_COUNT(count(&p, "main", 1), 10 - 3 - 3, 10);
	/* Every self adds up to the main's total. */
	ASSERT_EQ(p.counters[0].total_self, 100);
	ASSERT_EQ(p.counters[1].total_self, 10);
	CU_ASSERT(!p.has_dist);
	cp_profile_free(&p);
	tl_destroy(&l);

	/* A frame still open when the stream ends closes at the last values. */
	{
		static const struct tl_event ev[] = {
			{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 20}};
		static const uint64_t v[] = {0, 0, 5, 1, 9, 3};

		tl_init(&l);
		tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &exact2);
		tl_ev_exact(&l, 2, 0, sites, NSITES, ev, NEV(ev), v, 2);
		tl_end(&l, 30, 30);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load(&p, path, &err), 0);
		CHECK_COUNT(count(&p, "a", 0), 4, 4);
		CHECK_COUNT(count(&p, "main", 0), 5, 9);
		CHECK_COUNT(count(&p, "main", 1), 1, 3);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/*
 * The runtime's own cost: a sample whose address is in the runtime's
 * object (the header's "runtime", placed by the map) goes to the
 * "[cprof runtime]" row, not to the frame open at its time; in exact mode
 * the counts chunk's "runtime" values go to the same row. No program
 * function gets any of it.
 */
#define RT_PATH "/opt/cprof/lib/libcprof.so.0"
#define RT_LO	0x7f0000000000ULL
#define RT_HI	0x7f0000010000ULL

static void test_runtime_row(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 40}, {'X', MAIN, 100}};
	static const uint64_t tot[2] = {100, 10};
	struct tl_sample s[3] = {smp(20, 5), smp(30, 7), smp(60, 11)};
	const struct cp_func *rt;
	struct tlog l;
	struct cp_profile p;
	const char *err;
	size_t nrt = 0;

	s[0].ip = RT_LO + 0x100; /* the hook, inside a */
	s[2].ip = RT_HI - 1;	 /* its slow path, inside main */
	tl_init(&l);
	tl_header_counters_rt(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2,
			      RT_PATH);
	tl_map(&l, RT_PATH, RT_LO, NULL, 0, RT_LO, RT_HI);
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, 3, 2, 0);
	tl_counts(&l, 2, tot, 2, 100, 100);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_COUNT(count(&p, "a", 0), 7, 7);
	CHECK_COUNT(count(&p, "main", 0), 0, 7);
	CHECK_COUNT(count(&p, "[cprof runtime]", 0), 5 + 11, 5 + 11);
	CHECK_COUNT(count(&p, "[cprof runtime]", 1), 2, 2);
	rt = func(&p, "[cprof runtime]");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT(rt->runtime);
	ASSERT_EQ(rt->samples, 2);
	ASSERT_EQ(rt->st.calls, 0);
	CU_ASSERT_PTR_NULL(rt->object);
	for (size_t i = 0; i < p.nfuncs; i++)
		nrt += p.funcs[i].runtime != 0;
	ASSERT_EQ(nrt, 1);
	/*
	 * The distortion check still sees the hooks' samples in the frames
	 * whose marker time includes them.
	 */
	ASSERT_EQ(p.dist_samples, 3);
	cp_profile_free(&p);
	tl_destroy(&l);

	/* Without the header's key, nothing is set apart. */
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_map(&l, RT_PATH, RT_LO, NULL, 0, RT_LO, RT_HI);
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, 3, 2, 0);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CHECK_COUNT(count(&p, "a", 0), 5 + 7, 5 + 7);
	CU_ASSERT_PTR_NULL(func(&p, "[cprof runtime]"));
	cp_profile_free(&p);
	tl_destroy(&l);

	/* Exact mode: the runtime's counts of the thread, on its row. */
	{
		static const struct tl_event xev[] = {
			{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 40}};
		static const uint64_t v[] = {0, 0, 5, 1, 9, 3};
		static const uint64_t own[2] = {4, 2};

		tl_init(&l);
		tl_header_counters_rt(&l, 1, GHZ, 0, 0, "/bin/test-prog",
				      &exact2, RT_PATH);
		tl_ev_exact(&l, 2, 0, sites, NSITES, xev, NEV(xev), v, 2);
		tl_counts_rt(&l, 2, tot, own, 2, 100, 100);
		tl_end(&l, 50, 50);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load(&p, path, &err), 0);
		ASSERT_STR_EQ(err, "");
		CHECK_COUNT(count(&p, "a", 0), 4, 4);
		CHECK_COUNT(count(&p, "main", 0), 5, 9);
		CHECK_COUNT(count(&p, "[cprof runtime]", 0), 4, 4);
		CHECK_COUNT(count(&p, "[cprof runtime]", 1), 2, 2);
		CU_ASSERT(func(&p, "[cprof runtime]")->runtime);
		CU_ASSERT_FALSE(func(&p, "a")->runtime);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/*
 * Multiplexing: a thread whose group ran half the time it was enabled
 * has its counts doubled; one without totals keeps its raw counts.
 */
static void test_coverage(void)
{
	static const struct tl_event ev[] = {{'E', MAIN, 0}, {'X', MAIN, 100}};
	struct tl_sample s2[1] = {smp(50, 10)};
	struct tl_sample s3[1] = {smp(50, 7)};
	static const uint64_t tot[2] = {10, 1};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &sampling2);
	tl_ev(&l, 2, 0, sites, NSITES, ev, 2);
	tl_ev(&l, 3, 0, sites, NSITES, ev, 2);
	tl_samples(&l, 2, 0, s2, 1, 2, 0);
	tl_counts(&l, 2, tot, 2, 200, 100);
	tl_samples(&l, 3, 0, s3, 1, 2, 0);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_COUNT(tcount(&p, 2, "main", 0), 20, 20);
	CHECK_COUNT(tcount(&p, 2, "main", 1), 2, 2);
	CHECK_COUNT(tcount(&p, 3, "main", 0), 7, 7);
	CHECK_COUNT(count(&p, "main", 0), 27, 27);
	CU_ASSERT(p.counters[0].scaled);
	ASSERT_EQ(p.counters[0].enabled, 200);
	ASSERT_EQ(p.counters[0].running, 100);
	ASSERT_EQ(p.counters[0].uncovered, 1);
	/* Totals stay raw: they are what the kernel said. */
	ASSERT_EQ(p.counters[0].count, 10);
	ASSERT_EQ(thread(&p, 2)->running, 100);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * heavy and light alternate 100 times, 3000 and 1000 ns: 3/4 and 1/4 of
 * the marker time. SH and SL task-clock samples of 1000 ns fall in each
 * per round.
 */
static void distortion_log(int sh, int sl, int rounds, const char *leader)
{
	const char *const names[] = {leader};
	const struct tl_counters c = {"sampling", 0, 1000, 0, names, 1};
	struct tl_event *ev = malloc(4 * rounds * sizeof *ev);
	struct tl_sample *s = calloc(8 * rounds, sizeof *s);
	size_t ns = 0;
	struct tlog l;

	for (int r = 0; r < rounds; r++) {
		uint64_t t = 4000 * (uint64_t)r;

		ev[4 * r] = (struct tl_event){'E', HEAVY, t};
		ev[4 * r + 1] = (struct tl_event){'X', HEAVY, t + 3000};
		ev[4 * r + 2] = (struct tl_event){'E', LIGHT, t + 3000};
		ev[4 * r + 3] = (struct tl_event){'X', LIGHT, t + 4000};
		for (int i = 0; i < sh; i++) {
			s[ns].t = t + 100 + 700 * (uint64_t)i;
			s[ns].ip = NOWHERE;
			s[ns++].d[0] = 1000;
		}
		for (int i = 0; i < sl; i++) {
			s[ns].t = t + 3100 + 200 * (uint64_t)i;
			s[ns].ip = NOWHERE;
			s[ns++].d[0] = 1000;
		}
	}
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &c);
	tl_ev(&l, 2, 0, sites, NSITES, ev, 4 * (size_t)rounds);
	tl_samples(&l, 2, 0, s, ns, 1, 0);
	tl_end(&l, 4000 * (uint64_t)rounds, 4000 * (uint64_t)rounds);
	tl_write(&l, path);
	tl_destroy(&l);
	free(ev);
	free(s);
}

/* The cross-check of marker time and samples. */
static void test_distortion(void)
{
	struct cp_profile p;
	const struct cp_func *h, *li;
	const char *err;

	/* 3:1 samples for 3:1 time: they agree. */
	distortion_log(3, 1, 100, "task-clock");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CU_ASSERT(p.has_dist);
	ASSERT_EQ(p.dist_counter, 0);
	ASSERT_EQ(p.dist_samples, 400);
	h = func(&p, "heavy");
	li = func(&p, "light");
	CU_ASSERT_FALSE(h->dist.flagged);
	CU_ASSERT_FALSE(li->dist.flagged);
	CU_ASSERT_DOUBLE_EQUAL(h->dist.time_share, 0.75, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(h->dist.sample_share, 0.75, 1e-9);
	cp_profile_free(&p);

	/*
	 * 1:1 samples for 3:1 time, 200 samples: 0.5 against 0.75 is
	 * beyond 3 * sqrt(0.75 * 0.25 / 200) + 0.01 = 0.102.
	 */
	distortion_log(1, 1, 100, "task-clock");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	h = func(&p, "heavy");
	li = func(&p, "light");
	CU_ASSERT(h->dist.flagged);
	CU_ASSERT(li->dist.flagged);
	CU_ASSERT_DOUBLE_EQUAL(h->dist.sample_share, 0.5, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(h->dist.reason, "more marker time"));
	CU_ASSERT_PTR_NOT_NULL(strstr(li->dist.reason, "more samples"));
	cp_profile_free(&p);

	/* 4:1 for 3:1 with 500 samples: 0.8 is within 0.068 of 0.75. */
	distortion_log(4, 1, 100, "cycles");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT(p.has_dist);
	CU_ASSERT_FALSE(func(&p, "heavy")->dist.flagged);
	cp_profile_free(&p);

	/* 1:1 again, but 40 samples only: too few to tell. */
	distortion_log(1, 1, 20, "task-clock");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT(p.has_dist);
	ASSERT_EQ(p.dist_samples, 40);
	CU_ASSERT_FALSE(func(&p, "heavy")->dist.flagged);
	cp_profile_free(&p);

	/* Page faults do not measure time: no check. */
	distortion_log(1, 1, 100, "page-faults");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT(!p.has_dist);
	CU_ASSERT_FALSE(func(&p, "heavy")->dist.flagged);
	cp_profile_free(&p);
}

/*
 * A TSC clock (hz 0) has no rate until a second calibration point: the
 * marker events and samples wait for it, then are placed with it.
 */
static void test_uncalibrated(void)
{
	/* 2 ticks a ns from tick 1000 at 0 ns. */
	static const struct tl_event ev1[] = {
		{'E', MAIN, 1000}, {'E', A, 1020}, {'X', A, 1060}};
	static const struct tl_event ev2[] = {{'X', MAIN, 1200}};
	struct tl_sample s1[2] = {smp(5, 1), smp(20, 2)};
	struct tl_sample s2[1] = {smp(40, 4)};
	static const uint64_t tot[2] = {0, 0};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	for (int clock = 0; clock < 2; clock++) {
		tl_init(&l);
		tl_header_counters(&l, 1, 0, 1000, 0, "/bin/test-prog",
				   &sampling2);
		tl_ev(&l, 2, 1000, sites, NSITES, ev1, NEV(ev1));
		tl_samples(&l, 2, 0, s1, 2, 2, 0);
		tl_counts(&l, 2, tot, 2, 1, 1);
		if (clock)
			tl_clock(&l, 3000, 1000);
		tl_ev(&l, 2, 1060, sites, NSITES, ev2, NEV(ev2));
		tl_samples(&l, 2, 20, s2, 1, 2, 0);
		tl_counts(&l, 2, tot, 2, 1, 1);
		tl_end(&l, 3400, 1200);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load(&p, path, &err), 0);
		ASSERT_STR_EQ(err, "");
		CHECK_COUNT(count(&p, "main", 0), 1 + 4, 1 + 2 + 4);
		CHECK_COUNT(count(&p, "a", 0), 2, 2);
		ASSERT_EQ(func(&p, "a")->st.self_ns, 20);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/* Logs of a run may count different events: they merge by name. */
static void test_two_processes(void)
{
	static const char *const pf_tc[] = {"page-faults", "task-clock"};
	static const struct tl_counters other = {"sampling", 10,    0,
						 0,	     pf_tc, 2};
	static const struct tl_event ev[] = {{'E', A, 0}, {'X', A, 10}};
	struct tl_sample s[1] = {smp(5, 3)};
	char *run = tu_tmpdir();
	char file[4400];
	struct cp_profile p;
	struct tlog l;
	const char *err;

	for (int i = 0; i < 3; i++) {
		tl_init(&l);
		if (i == 2)
			tl_header(&l, 102, GHZ, 0, 0);
		else
			tl_header_counters(&l, 100 + i, GHZ, 0, 0,
					   "/bin/test-prog",
					   i == 0 ? &sampling2 : &other);
		tl_ev(&l, 100 + i, 0, sites, NSITES, ev, 2);
		if (i < 2)
			tl_samples(&l, 100 + i, 0, s, 1, 2, 0);
		tl_end(&l, 20, 20);
		snprintf(file, sizeof file, "%s/proc-%d-%d.log", run, 100 + i,
			 i);
		tl_write(&l, file);
		tl_destroy(&l);
	}
	ASSERT_EQ_FATAL(load(&p, run, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ_FATAL(p.ncounters, 2);
	ASSERT_STR_EQ(p.counters[0].name, "task-clock");
	ASSERT_STR_EQ(p.counters[1].name, "page-faults");
	/* Process 101 counted page faults 3 and task-clock 1 at a's. */
	CHECK_COUNT(count(&p, "a", 0), 3 + 1, 3 + 1);
	CHECK_COUNT(count(&p, "a", 1), 1 + 3, 1 + 3);
	ASSERT_EQ(func(&p, "a")->st.calls, 3);
	ASSERT_EQ(p.counters[0].samples, 2);
	/* Each thread row has the run's counters. */
	for (size_t i = 0; i < p.nthreads; i++)
		CU_ASSERT_PTR_NOT_NULL(p.threads[i].funcs[0].counts);
	cp_profile_free(&p);
	tu_rmdir(run);
}

/* Damaged samples chunks: refused or read, never a crash. */

static void test_random_damage(void)
{
	static const char *const tc[] = {"task-clock", "page-faults"};
	static const struct tl_counters chains = {"sampling", 0,  1000,
						  1,	      tc, 2};
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 20}, {'X', MAIN, 30}};
	static const uint64_t tot[2] = {5, 5};
	struct tl_sample s[6];
	unsigned char *data, *bad;
	struct cp_profile p;
	const char *err;
	size_t len;

	for (int i = 0; i < 6; i++) {
		s[i] = smp(5 * (uint64_t)i, 1 + (uint64_t)i);
		s[i].nchain = (size_t)i % 3;
		s[i].chain[0] = 0x1234;
		s[i].chain[1] = 0x7fffffffffffULL;
	}
	data = tl_sample_data(0, s, 6, 2, 1, &len);
	bad = malloc(len + 8);
	for (int iter = 0; iter < 3000; iter++) {
		struct tlog l;
		size_t blen = len;
		uint64_t n = 6;

		memcpy(bad, data, len);
		switch (iter % 4) {
		case 0: /* bytes changed */
			for (int i = 0; i < 1 + (int)(rng() % 3); i++)
				bad[rng() % len] = (unsigned char)rng();
			break;
		case 1: /* cut short */
			blen = rng() % len;
			break;
		case 2: /* a count that is not the data's */
			n = rng() % 2 ? rng() % 12 : rng();
			break;
		case 3: /* bytes added */
			for (int i = 0; i < 8; i++)
				bad[len + (size_t)i] = (unsigned char)rng();
			blen = len + 1 + rng() % 8;
			break;
		}
		tl_init(&l);
		tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &chains);
		tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
		tl_samples_raw(&l, 2, 0, n, bad, blen);
		tl_counts(&l, 2, tot, 2, 1, 1);
		tl_end(&l, 40, 40);
		tl_write(&l, path);
		ASSERT_EQ(load(&p, path, &err), 0);
		/* What came before the damage is there. */
		ASSERT_EQ(p.nprocs, 1);
		if (func(&p, "main") != NULL)
			ASSERT_EQ(func(&p, "main")->st.calls, 1);
		cp_profile_free(&p);
		tl_destroy(&l);
	}
	free(bad);
	free(data);

	/* Bytes changed anywhere in logs of either mode. */
	for (int mode = 0; mode < 2; mode++) {
		static const uint64_t vals[] = {1, 1, 2, 2, 3, 3, 4, 9};
		struct tlog l;
		char *buf;

		tl_init(&l);
		tl_header_counters(&l, 1, 0, 0, 0, "/bin/test-prog",
				   mode ? &exact2 : &chains);
		tl_thread_start(&l, 2, 0, "t");
		if (mode)
			tl_ev_exact(&l, 2, 0, sites, NSITES, ev, NEV(ev), vals,
				    2);
		else
			tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
		tl_samples(&l, 2, 0, s, 6, 2, 1);
		tl_lost(&l, 2, 1, 1);
		tl_counts(&l, 2, tot, 2, 2, 1);
		tl_clock(&l, 50, 25);
		tl_thread_end(&l, 2, 45);
		tl_end(&l, 60, 30);
		buf = malloc(l.sb.size);
		for (int iter = 0; iter < 2000; iter++) {
			memcpy(buf, l.sb.data, l.sb.size);
			for (int i = 0; i < 1 + (int)(rng() % 3); i++)
				buf[rng() % l.sb.size] = (char)rng();
			tl_write_bytes(path, buf, l.sb.size - rng() % 8);
			CU_ASSERT(load(&p, path, &err) >= -1);
			cp_profile_free(&p);
		}
		free(buf);
		tl_destroy(&l);
	}
}

/* Read F from the start into a string (static, for one test at a time). */
static const char *slurp(FILE *f)
{
	static char buf[1 << 16];
	size_t n;

	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	return buf;
}

/*
 * Has OUT a line that starts with START and whose rest, with every run of
 * spaces made one, is WORDS? The table's column widths are its own.
 */
static int has_line(const char *out, const char *start, const char *words)
{
	for (const char *l = out; *l != '\0';) {
		const char *e = strchr(l, '\n');
		size_t n = e != NULL ? (size_t)(e - l) : strlen(l);
		char buf[1024];
		size_t m = 0;

		if (n < sizeof buf && strncmp(l, start, strlen(start)) == 0) {
			for (size_t i = strlen(start); i < n; i++) {
				if (l[i] == ' ' &&
				    (m == 0 || buf[m - 1] == ' '))
					continue;
				buf[m++] = l[i];
			}
			while (m > 0 && buf[m - 1] == ' ')
				m--;
			buf[m] = '\0';
			if (strcmp(buf, words) == 0)
				return 1;
		}
		l += n + (e != NULL);
	}
	return 0;
}

static const char *print(const struct cp_profile *p, enum cp_format format,
			 enum cp_show_counters show)
{
	struct cp_output o;
	FILE *f = tmpfile();
	const char *s;

	CU_ASSERT_FATAL(f != NULL);
	memset(&o, 0, sizeof o);
	o.format = format;
	o.counters = show;
	ASSERT_EQ(cp_output_print(f, p, &o), 0);
	s = slurp(f);
	fclose(f);
	return s;
}

/* The counters in the table, the JSON and the CSV. */
static void test_output(void)
{
	static const char *const names[] = {"cycles", "instructions",
					    "cache-misses"};
	static const struct tl_counters hw = {"sampling", 100000, 0,
					      0,	  names,  3};
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'X', A, 20}, {'X', MAIN, 30}};
	struct tl_sample s[3];
	struct cp_profile p;
	struct tlog l;
	const char *err, *out;

	memset(s, 0, sizeof s);
	s[0] = (struct tl_sample){
		.t = 15, .ip = NOWHERE, .d = {100000, 250000, 500}};
	s[1] = (struct tl_sample){
		.t = 25, .ip = NOWHERE, .d = {100000, 50000, 0}};
	s[2] = (struct tl_sample){
		.t = 35, .ip = NOWHERE, .d = {100000, 100000, 10}};
	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, "/bin/test-prog", &hw);
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_samples(&l, 2, 0, s, 3, 3, 0);
	tl_lost(&l, 2, 4, 1);
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);

	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_AUTO);
	CU_ASSERT(has_line(out, "  cycles", "sampling every 100k 3 4 1 ? -"));
	CU_ASSERT(has_line(out, "  instructions",
			   "sampling in samples 3 4 1 ? -"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "4 samples lost, throttled 1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "? 1 thread counted without"));
	CU_ASSERT(has_line(out, "", "cycles instructions cache-misses"));
	CU_ASSERT(has_line(out, "Function",
			   "Self Self% Total Calls Self/call Self Self% Total "
			   "Self Self% Total Self Self% Total IPC MPKI"));
	/* a: 250k instructions in 100k cycles, 500 misses: 2.50, 2.00. */
	CU_ASSERT(has_line(out, "a ",
			   "10ns 33.3% 10ns 1 10ns 100k 33.3% 100k 250k 62.5% "
			   "250k 500 98.0% 500 2.50 2.00"));
	CU_ASSERT(has_line(out, "main ",
			   "20ns 66.7% 30ns 1 20ns 100k 33.3% 200k 50.0k 12.5% "
			   "300k 0 0.0% 500 0.50 0.00"));
	CU_ASSERT(has_line(out, "[unknown] ",
			   "- - - - - 100k 33.3% 100k 100k 25.0% 100k 10 2.0% "
			   "10 1.00 0.10"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "Distortion check: 2 cycles samples"));

	/* report without --counters: the table of before. */
	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_OFF);
	CU_ASSERT_PTR_NULL(strstr(out, "Counter"));
	CU_ASSERT_PTR_NULL(strstr(out, "[unknown]"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "Self   Self%      Total  Calls  Self/call\n"));

	out = print(&p, CP_FORMAT_JSON, CP_COUNTERS_OFF);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"marker_events\": 4,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		out, "{\"name\": \"cycles\", \"mode\": \"sampling\", "
		     "\"leader\": true, \"period\": 100000, \"freq\": 0, "
		     "\"samples\": 3, \"lost\": 4, \"throttled\": 1, "
		     "\"coverage\": null, \"scaled\": false"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "\"counters\": {\"cycles\": {\"self\": 100000, "
			    "\"total\": 100000}, \"instructions\": {\"self\": "
			    "250000, \"total\": 250000}, \"cache-misses\": "
			    "{\"self\": 500, \"total\": 500}}, \"samples\": 1, "
			    "\"throttled_samples\": 0, \"distortion\": null}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"name\": \"[unknown]\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		out, "\"distortion_check\": {\"event\": \"cycles\", "
		     "\"samples_in_markers\": 2, \"min_samples\": 50},"));

	out = print(&p, CP_FORMAT_CSV, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		out, "name,object,file,line,calls,self_ns,total_ns,cycles_self,"
		     "cycles_total,instructions_self,instructions_total,"
		     "cache-misses_self,cache-misses_total\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "a,,test.c,11,1,10,10,100000,100000,250000,250000,"
			    "500,500\n"));
	out = print(&p, CP_FORMAT_CSV, CP_COUNTERS_OFF);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "name,object,file,line,calls,self_ns,total_ns\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "unknown"));
	cp_profile_free(&p);
	tl_destroy(&l);

	/* Flagged functions in the table and the JSON. */
	distortion_log(1, 1, 100, "task-clock");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "  !\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		out, "  heavy: time 75.0%, samples 50.0%: more marker time"));
	out = print(&p, CP_FORMAT_JSON, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "\"distortion\": {\"time_share\": 0.75, "
			    "\"sample_share\": 0.5, \"reason\": \"more marker "
			    "time"));
	cp_profile_free(&p);
	distortion_log(3, 1, 100, "task-clock");
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	out = print(&p, CP_FORMAT_JSON, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"distortion\": false}"));
	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Distortion check: every function"));
	cp_profile_free(&p);

	/* A run without counters: said so with --counters, else nothing. */
	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_EQ(p.ncounters, 0);
	CU_ASSERT_PTR_NULL(func(&p, "a")->counts);
	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "no counters were recorded"));
	out = print(&p, CP_FORMAT_TABLE, CP_COUNTERS_AUTO);
	CU_ASSERT_PTR_NULL(strstr(out, "counters"));
	out = print(&p, CP_FORMAT_CSV, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "name,object,file,line,calls,self_ns,total_ns\n"
			    "main,,test.c,10,1,20,30\n"));
	out = print(&p, CP_FORMAT_JSON, CP_COUNTERS_ON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"events\": [],\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"distortion_check\": null,\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		out,
		"\"counters\": {}, \"samples\": 0, \"throttled_samples\": 0, "
		"\"distortion\": null}"));
	cp_profile_free(&p);
	tl_destroy(&l);
}

int main(void)
{
	CU_pSuite suite;
	int rc;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	unsetenv("DEBUGINFOD_URLS");
	dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/proc-1-1.log", dir);
	suite = CU_add_suite("merge", NULL, NULL);
	CU_add_test(suite, "samples at frame edges: enter in, exit out",
		    test_edges);
	CU_add_test(suite, "nested and recursive frames: totals once",
		    test_recursion);
	CU_add_test(suite, "samples that arrive before their marker events",
		    test_samples_before_events);
	CU_add_test(suite, "samples the marker stream passed: by address",
		    test_late_samples);
	CU_add_test(suite, "samples outside markers named by address",
		    test_by_address);
	CU_add_test(suite, "broken callchains are cut and counted",
		    test_broken_chains);
	CU_add_test(suite, "lost and throttled samples", test_lost);
	CU_add_test(suite, "unordered chunks of several threads",
		    test_threads_unordered);
	CU_add_test(suite, "exact mode: self = delta - callees", test_exact);
	CU_add_test(suite, "multiplexing: coverage and scaling", test_coverage);
	CU_add_test(suite, "distortion flagged and not flagged",
		    test_distortion);
	CU_add_test(suite, "a clock rate known late", test_uncalibrated);
	CU_add_test(suite, "the runtime's own row", test_runtime_row);
	CU_add_test(suite, "processes counting different events",
		    test_two_processes);
	CU_add_test(suite, "damaged samples chunks never crash",
		    test_random_damage);
	CU_add_test(suite, "counters in the table, JSON and CSV", test_output);
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
