/*
 * test-hybrid.c - unit tests of the hybrid's accounting in the report
 * (doc/design.md, "The hybrid"): the hooks' measured cost taken out of
 * marker times per call, never below zero; samples whose address lies
 * outside the innermost timed function moved to the function holding it;
 * which source each function's self time is taken from.
 *
 * The logs are synthetic (t/testlog.h) with a 1 GHz clock starting at 0,
 * so a tick, a nanosecond and a sample's time are the same number, and
 * the calibration is given in thousandths of a tick as the runtime
 * writes it: every expected time is worked out by hand in the comments.
 */
#include "config.h"

#include <inttypes.h>
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

enum { MAIN, A, B, LEAF, NSITES };

static const struct tl_site sites[NSITES] = {
	[MAIN] = {.name = "main"},
	[A] = {.name = "a"},
	[B] = {.name = "b"},
	[LEAF] = {.name = "leaf"},
};

/*
 * A header of process 1 with a 1 GHz clock from 0, and a calibration of
 * OWN and CALLER thousandths of a tick when OWN or CALLER is not 0;
 * counters C when not NULL.
 */
static void header(struct tlog *l, uint64_t own, uint64_t caller,
		   const struct tl_counters *c, const char *exe)
{
	int calib = own != 0 || caller != 0;

	msgpack_pack_map(&l->pk, 8 + (calib ? 1 : 0) + (c != NULL ? 1 : 0));
	tl_kv_str(l, "magic", "cprof");
	tl_kv_u64(l, "version", 1);
	tl_kv_u64(l, "pid", 1);
	tl_kv_u64(l, "ppid", 1);
	tl_kv_str(l, "exe", exe);
	tl_str(l, "argv");
	msgpack_pack_array(&l->pk, 1);
	tl_str(l, "test-prog");
	tl_kv_u64(l, "start_ns", 1700000000000000000ULL);
	tl_str(l, "clock");
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "source", "tsc");
	tl_kv_u64(l, "hz", GHZ);
	tl_kv_u64(l, "ticks", 0);
	tl_kv_u64(l, "mono_ns", 0);
	if (calib) {
		tl_str(l, "calib");
		msgpack_pack_map(&l->pk, 4);
		tl_kv_u64(l, "own_mt", own);
		tl_kv_u64(l, "caller_mt", caller);
		tl_kv_u64(l, "pairs", 256);
		tl_kv_u64(l, "rounds", 9);
	}
	if (c != NULL) {
		tl_str(l, "events");
		msgpack_pack_map(&l->pk, 5);
		tl_kv_str(l, "mode", c->mode);
		tl_kv_u64(l, "period", c->period);
		tl_kv_u64(l, "freq", c->freq);
		tl_str(l, "callchain");
		msgpack_pack_false(&l->pk);
		tl_str(l, "list");
		msgpack_pack_array(&l->pk, c->n);
		for (size_t i = 0; i < c->n; i++) {
			uint64_t type, config;

			tl_encoding(c->names[i], &type, &config);
			msgpack_pack_map(&l->pk, 3);
			tl_kv_str(l, "name", c->names[i]);
			tl_kv_u64(l, "type", type);
			tl_kv_u64(l, "config", config);
		}
	}
}

/* One thread (tid 2), one ev chunk, ended at END. */
static void marker_log(uint64_t own, uint64_t caller, const struct tl_event *ev,
		       size_t n, uint64_t end)
{
	struct tlog l;

	tl_init(&l);
	header(&l, own, caller, NULL, "/bin/test-prog");
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, sites, NSITES, ev, n);
	tl_end(&l, end, end);
	tl_write(&l, path);
	tl_destroy(&l);
}

#define CHECK_ST(name, c, self, total, raw, comp)            \
	do {                                                 \
		const struct cp_func *f_ = func(&p, (name)); \
		CU_ASSERT_PTR_NOT_NULL_FATAL(f_);            \
		ASSERT_EQ(f_->st.calls, (c));                \
		ASSERT_EQ(f_->st.self_ns, (self));           \
		ASSERT_EQ(f_->st.total_ns, (total));         \
		ASSERT_EQ(f_->st.self_marker_ns, (raw));     \
		ASSERT_EQ(f_->st.comp_ns, (comp));           \
	} while (0)

/*
 * A known cost: c_own 2 ticks, c_caller 3. main [0, 100] calls a [10, 40]
 * (which calls b [20, 30]) and a [50, 60].
 *   b: self 10 - 2 = 8; its interval holds 2 of hook work.
 *   a#1: one child: self 20 - (2 + 3) = 15; interval 2 + (2 + 3) = 7,
 *        total 30 - 7 = 23.  a#2: self 10 - 2 = 8, total 10 - 2 = 8.
 *   main: two children: self 60 - (2 + 2 * 3) = 52; interval
 *        2 + (7 + 3) + (2 + 3) = 17, total 100 - 17 = 83.
 * The compensated self times add up to main's compensated total.
 */
static void test_known_cost(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'E', B, 20}, {'X', B, 30},
		{'X', A, 40},	{'E', A, 50}, {'X', A, 60}, {'X', MAIN, 100},
	};
	struct cp_profile p;
	const char *err;

	marker_log(2000, 3000, ev, NEV(ev), 100);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_ST("b", 1, 8, 8, 10, 2);
	CHECK_ST("a", 2, 23, 31, 30, 7);
	CHECK_ST("main", 1, 52, 83, 60, 8);
	ASSERT_EQ(p.total_self_ns, 83);
	ASSERT_EQ(p.comp_ns, 17);
	ASSERT_EQ_FATAL(p.nprocs, 1);
	CU_ASSERT(p.procs[0].has_calib);
	CU_ASSERT_DOUBLE_EQUAL(p.procs[0].calib_own_ns, 2.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(p.procs[0].calib_caller_ns, 3.0, 1e-9);
	/* The thread's rows are compensated the same way. */
	ASSERT_EQ(thread_func(&p, 2, "a")->st.self_ns, 23);
	ASSERT_EQ(thread_func(&p, 2, "a")->st.comp_ns, 7);
	cp_profile_free(&p);

	/* Without a calibration nothing is taken out. */
	marker_log(0, 0, ev, NEV(ev), 100);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CHECK_ST("main", 1, 60, 100, 60, 0);
	CHECK_ST("a", 2, 30, 40, 30, 0);
	ASSERT_EQ(p.comp_ns, 0);
	CU_ASSERT(!p.procs[0].has_calib);
	cp_profile_free(&p);
}

/*
 * Fractions of a tick add up over calls: c_own 0.25 tick, c_caller 0.5.
 * main [0, 1000] calls leaf 400 times for 1 tick each: leaf loses 400 *
 * 0.25 = 100; main, 400 * 0.5 = 200 of its 600.
 */
static void test_fractions(void)
{
	struct tl_event ev[802];
	struct cp_profile p;
	const char *err;
	size_t n = 0;

	ev[n++] = (struct tl_event){'E', MAIN, 0};
	for (uint64_t i = 0; i < 400; i++) {
		ev[n++] = (struct tl_event){'E', LEAF, 1 + 2 * i};
		ev[n++] = (struct tl_event){'X', LEAF, 2 + 2 * i};
	}
	ev[n++] = (struct tl_event){'X', MAIN, 1000};
	marker_log(250, 500, ev, n, 1000);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_ST("leaf", 400, 300, 300, 400, 100);
	CHECK_ST("main", 1, 400, 700, 600, 200);
	cp_profile_free(&p);
}

/*
 * Never negative: calls shorter than the cost lose what they measured and
 * no more, and so does a caller with more children than self time.
 * c_own 5 ticks, c_caller 4: leaf [1, 3] and [4, 5] lose 2 and 1;
 * main [0, 10] has 10 - 3 = 7 of self for 5 + 2 * 4 = 13 of cost: 0;
 * its total, 10 for 5 + (2 + 4) + (1 + 4)... at most what it measured.
 */
static void test_never_negative(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', LEAF, 1}, {'X', LEAF, 3},
		{'E', LEAF, 4}, {'X', LEAF, 5}, {'X', MAIN, 10},
	};
	struct cp_profile p;
	const char *err;

	marker_log(5000, 4000, ev, NEV(ev), 10);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_ST("leaf", 2, 0, 0, 3, 3);
	CHECK_ST("main", 1, 0, 0, 7, 7);
	ASSERT_EQ(p.total_self_ns, 0);
	ASSERT_EQ(p.comp_ns, 10);
	cp_profile_free(&p);
}

/*
 * Recursion: the total is that of the outermost activation, less the
 * cost inside it. c_own 1, c_caller 1: a [0, 30] > a [10, 20].
 *   inner: self 10 - 1 = 9, interval cost 1.
 *   outer: self 20 - (1 + 1) = 18, interval 1 + (1 + 1) = 3: total 27.
 */
static void test_recursion(void)
{
	static const struct tl_event ev[] = {
		{'E', A, 0},
		{'E', A, 10},
		{'X', A, 20},
		{'X', A, 30},
	};
	struct cp_profile p;
	const char *err;

	marker_log(1000, 1000, ev, NEV(ev), 30);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_ST("a", 2, 27, 27, 30, 3);
	cp_profile_free(&p);
}

/* Functions of this program whose addresses the samples below name. */
__attribute__((noinline, used)) int hyb_outer(int x)
{
	return x * 7 + 1;
}

__attribute__((noinline, used)) int hyb_callee(int x)
{
	return x * 5 + 3;
}

static const char *const tc[] = {"task-clock"};
static const struct tl_counters sampling = {"sampling", 0, 1000, 0, tc, 1};

/* An address in no object: its samples stay with their frame. */
#define NOWHERE 0x10

/*
 * Samples say where the time went. hyb_outer's frame [0, 1000] (a
 * function of the hooks: its site is its address) holds four samples of
 * 100 ns of CPU time each, 100 ns apart (no wait for a CPU): two in
 * hyb_callee, which the build does not instrument, one in hyb_outer
 * itself, one at an address no symbol holds. The two in hyb_callee are
 * its row, 200 ns; hyb_outer keeps 1000 - 200 = 800 of self time and
 * its whole total. A kernel sample stays too: no user address says who
 * made the system call.
 */
static void test_foreign_samples(void)
{
	struct tl_site fsites[1];
	struct tl_event ev[2] = {{'E', 0, 0}, {'X', 0, 1000}};
	struct tl_sample s[5];
	struct tp_object exe;
	char exepath[4096];
	const struct cp_func *o, *c;
	struct cp_profile p;
	struct tlog l;
	const char *err;
	ssize_t n;

	n = readlink("/proc/self/exe", exepath, sizeof exepath - 1);
	CU_ASSERT_FATAL(n > 0);
	exepath[n] = '\0';
	CU_ASSERT_FATAL(tp_object_named("", &exe) == 0);
	ASSERT_EQ(hyb_outer(1) + hyb_callee(1), 8 + 8);
	memset(fsites, 0, sizeof fsites);
	fsites[0].addr = (uintptr_t)&hyb_outer;
	memset(s, 0, sizeof s);
	for (int i = 0; i < 5; i++) {
		s[i].t = 100 * (uint64_t)(i + 1);
		s[i].d[0] = 100;
	}
	s[0].ip = (uintptr_t)&hyb_callee + 1;
	s[1].ip = (uintptr_t)&hyb_callee + 2;
	s[2].ip = (uintptr_t)&hyb_outer + 1;
	s[3].ip = NOWHERE;
	s[4].ip = UINT64_C(1) << 63 | 0x1000;

	tl_init(&l);
	header(&l, 0, 0, &sampling, exepath);
	tl_map(&l, "", exe.base, NULL, 0, exe.start, exe.end);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, fsites, 1, ev, 2);
	tl_samples(&l, 2, 0, s, 5, 1, 0);
	tl_end(&l, 1000, 1000);
	tl_write(&l, path);
	tl_destroy(&l);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	o = func(&p, "hyb_outer");
	c = func(&p, "hyb_callee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	ASSERT_EQ(o->st.calls, 1);
	ASSERT_EQ(o->st.self_marker_ns, 1000);
	ASSERT_EQ(o->st.self_ns, 800);
	ASSERT_EQ(o->st.total_ns, 1000);
	ASSERT_EQ(o->st.sampled_ns, 300);
	ASSERT_EQ(o->samples, 3);
	ASSERT_EQ(o->self_source, CP_SELF_TIMED);
	ASSERT_EQ(c->st.calls, 0);
	ASSERT_EQ(c->st.self_ns, 200);
	ASSERT_EQ(c->st.total_ns, 200);
	ASSERT_EQ(c->st.sampled_ns, 200);
	ASSERT_EQ(c->samples, 2);
	ASSERT_EQ(c->self_source, CP_SELF_SAMPLED);
	/* The caller's total holds the callee's samples. */
	ASSERT_EQ(o->counts[0].total, 500);
	ASSERT_EQ(o->counts[0].self, 300);
	ASSERT_EQ(c->counts[0].self, 200);
	/* Every ns once: the self times add up to the frame. */
	ASSERT_EQ(p.total_self_ns, 1000);
	cp_profile_free(&p);
}

enum { HEAVY = NSITES, SLEEPER, TINY, NSITES2 };

static const struct tl_site rsites[NSITES2] = {
	[MAIN] = {.name = "main"},   [A] = {.name = "a"},
	[B] = {.name = "b"},	     [LEAF] = {.name = "leaf"},
	[HEAVY] = {.name = "heavy"}, [SLEEPER] = {.name = "sleeper"},
	[TINY] = {.name = "tiny"},
};

/*
 * The reconciliation. c_own is 10 ticks, c_caller 0. main [0, 100000]
 * calls heavy [0, 40000], sleeper [40000, 80000] and tiny 1000 times for
 * 20 ns each in [80000, 100000]. Compensated: heavy 39990, sleeper
 * 39990, tiny 1000 x (20 - 10) = 10000, main 0 of its 0. Samples of
 * 200 ns: 200 in heavy, none in sleeper, TINY_SAMPLES in tiny.
 *  - heavy: 200 of 200 + n samples for 44% of the marker time: more
 *    samples: its self time from the samples;
 *  - sleeper: 44% of marker time, no sample, far more than twice its
 *    10 ns of hooks: time off CPU: its marker time;
 *  - tiny with 25 samples (11%): as its 11% of marker time: agreed,
 *    compensated; with 5 (2.4%), less than its share by less than twice
 *    its 10000 ns of hooks on the marker clock: hook cost left: samples.
 */
static void reconcile_log(int tiny_samples)
{
	struct tl_event *ev = malloc(2010 * sizeof *ev);
	struct tl_sample *s = calloc(300, sizeof *s);
	size_t n = 0, ns = 0;
	struct tlog l;

	ev[n++] = (struct tl_event){'E', MAIN, 0};
	ev[n++] = (struct tl_event){'E', HEAVY, 0};
	ev[n++] = (struct tl_event){'X', HEAVY, 40000};
	ev[n++] = (struct tl_event){'E', SLEEPER, 40000};
	ev[n++] = (struct tl_event){'X', SLEEPER, 80000};
	for (uint64_t i = 0; i < 1000; i++) {
		ev[n++] = (struct tl_event){'E', TINY, 80000 + 20 * i};
		ev[n++] = (struct tl_event){'X', TINY, 80000 + 20 * i + 20};
	}
	ev[n++] = (struct tl_event){'X', MAIN, 100000};
	for (uint64_t i = 0; i < 200; i++) {
		s[ns].t = 100 + 199 * i;
		s[ns].ip = NOWHERE;
		s[ns++].d[0] = 200;
	}
	for (uint64_t i = 0; i < (uint64_t)tiny_samples; i++) {
		s[ns].t = 80005 + 20 * 37 * i;
		s[ns].ip = NOWHERE;
		s[ns++].d[0] = 200;
	}
	tl_init(&l);
	header(&l, 10000, 0, &sampling, "/bin/test-prog");
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, rsites, NSITES2, ev, n);
	tl_samples(&l, 2, 0, s, ns, 1, 0);
	tl_end(&l, 100000, 100000);
	tl_write(&l, path);
	tl_destroy(&l);
	free(ev);
	free(s);
}

static void test_reconcile(void)
{
	const struct cp_func *h, *sl, *ti;
	struct cp_profile p;
	const char *err;

	reconcile_log(25);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	h = func(&p, "heavy");
	sl = func(&p, "sleeper");
	ti = func(&p, "tiny");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ti);
	ASSERT_EQ(p.dist_samples, 225);
	ASSERT_EQ(ti->st.self_marker_ns, 20000);
	ASSERT_EQ(ti->st.comp_ns, 10000);
	ASSERT_EQ(sl->st.self_ns, 39990);

	CU_ASSERT(h->dist.flagged);
	CU_ASSERT(h->dist.trust_samples);
	ASSERT_EQ(h->self_source, CP_SELF_SAMPLED);
	CU_ASSERT_PTR_NOT_NULL(strstr(h->dist.reason, "more samples"));
	/* On the marker clock: rho marker ns per sampled CPU ns. */
	ASSERT_EQ(h->st.sampled_ns, 40000);
	CU_ASSERT_DOUBLE_EQUAL(p.rho, 89980.0 / 45000.0, 1e-6);
	CU_ASSERT(h->st.self_ns >= (uint64_t)(40000 * p.rho) - 1 &&
		  h->st.self_ns <= (uint64_t)(40000 * p.rho) + 1);
	CU_ASSERT(h->st.total_ns >= h->st.self_ns);

	CU_ASSERT(sl->dist.flagged);
	CU_ASSERT(!sl->dist.trust_samples);
	CU_ASSERT_PTR_NOT_NULL(strstr(sl->dist.reason, "off CPU"));
	ASSERT_EQ(sl->self_source, CP_SELF_COMPENSATED);

	CU_ASSERT(!ti->dist.flagged);
	ASSERT_EQ(ti->self_source, CP_SELF_COMPENSATED);
	ASSERT_EQ(ti->st.self_ns, 10000);
	cp_profile_free(&p);

	reconcile_log(5);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ti = func(&p, "tiny");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ti);
	CU_ASSERT(ti->dist.flagged);
	CU_ASSERT(ti->dist.trust_samples);
	CU_ASSERT_PTR_NOT_NULL(strstr(ti->dist.reason, "hook cost"));
	ASSERT_EQ(ti->self_source, CP_SELF_SAMPLED);
	ASSERT_EQ(ti->st.sampled_ns, 1000);
	cp_profile_free(&p);
}

/*
 * The distortion check after compensation. main [0, 40000] calls heavy
 * [0, 10000], then tiny 1000 times for 20 ticks each, of which 10 are
 * its hooks' (c_own 10, c_caller 0). Samples, 100 in heavy and 100 in
 * tiny's calls, follow the work: 1:1. Raw, tiny has 2/3 of the marker
 * time and is flagged; compensated, 1/2: the check is quiet.
 */
static void quiet_log(uint64_t own)
{
	struct tl_event *ev = malloc(2010 * sizeof *ev);
	struct tl_sample *s = calloc(200, sizeof *s);
	size_t n = 0, ns = 0;
	struct tlog l;

	ev[n++] = (struct tl_event){'E', MAIN, 0};
	ev[n++] = (struct tl_event){'E', HEAVY, 0};
	ev[n++] = (struct tl_event){'X', HEAVY, 10000};
	for (uint64_t i = 0; i < 1000; i++) {
		ev[n++] = (struct tl_event){'E', TINY, 10000 + 20 * i};
		ev[n++] = (struct tl_event){'X', TINY, 10000 + 20 * i + 20};
	}
	ev[n++] = (struct tl_event){'X', MAIN, 30000};
	for (uint64_t i = 0; i < 200; i++) {
		s[ns].t = i < 100 ? 50 + 100 * i : 10005 + 200 * (i - 100);
		s[ns].ip = NOWHERE;
		s[ns++].d[0] = 100;
	}
	tl_init(&l);
	header(&l, own, own ? 1 : 0, &sampling, "/bin/test-prog");
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, rsites, NSITES2, ev, n);
	tl_samples(&l, 2, 0, s, ns, 1, 0);
	tl_end(&l, 30000, 30000);
	tl_write(&l, path);
	tl_destroy(&l);
	free(ev);
	free(s);
}

static void test_quiet_after_compensation(void)
{
	struct cp_profile p;
	const char *err;

	quiet_log(0);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.dist_samples, 200);
	CU_ASSERT(func(&p, "tiny")->dist.flagged);
	CU_ASSERT(func(&p, "heavy")->dist.flagged);
	cp_profile_free(&p);

	quiet_log(10000);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(func(&p, "tiny")->st.self_ns, 10000);
	CU_ASSERT(!func(&p, "tiny")->dist.flagged);
	CU_ASSERT(!func(&p, "heavy")->dist.flagged);
	CU_ASSERT_DOUBLE_EQUAL(func(&p, "tiny")->dist.time_share, 0.5, 0.01);
	ASSERT_EQ(func(&p, "tiny")->self_source, CP_SELF_COMPENSATED);
	cp_profile_free(&p);
}

/*
 * Exact mode: the calibration comes in a calib chunk, with what a timed
 * call adds to each counter: 5 instructions inside its interval, 3 in its
 * caller's (and 2 and 3 ticks). The instructions counter here runs with
 * the clock, one a tick, so its counts follow test_known_cost's times
 * with c_own 5 and c_caller 3: b 10 - 5 = 5 (total 5); a: 20 - 8 = 12
 * and 10 - 5 = 5, totals 30 - 13 and 10 - 5; main 60 - 11 = 49, total
 * 100 - 29 = 71, the sum of the self counts.
 */
static void test_exact_counts(void)
{
	static const char *const ins[] = {"instructions"};
	static const struct tl_counters exact = {"exact", 0, 0, 0, ins, 1};
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'E', B, 20}, {'X', B, 30},
		{'X', A, 40},	{'E', A, 50}, {'X', A, 60}, {'X', MAIN, 100},
	};
	uint64_t values[NEV(ev)];
	struct cp_profile p;
	struct tlog l;
	const char *err;

	for (size_t i = 0; i < NEV(ev); i++)
		values[i] = 1000 + ev[i].t;
	tl_init(&l);
	header(&l, 0, 0, &exact, "/bin/test-prog");
	msgpack_pack_map(&l.pk, 5);
	tl_kv_str(&l, "t", "calib");
	tl_kv_u64(&l, "own_mt", 2000);
	tl_kv_u64(&l, "caller_mt", 3000);
	tl_kv_u64(&l, "pairs", 256);
	tl_str(&l, "counts");
	msgpack_pack_array(&l.pk, 2);
	msgpack_pack_uint64(&l.pk, 5000);
	msgpack_pack_uint64(&l.pk, 3000);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev_exact(&l, 2, 0, sites, NSITES, ev, NEV(ev), values, 1);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	tl_destroy(&l);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_ST("b", 1, 8, 8, 10, 2);
	CHECK_ST("a", 2, 23, 31, 30, 7);
	CHECK_ST("main", 1, 52, 83, 60, 8);
	ASSERT_EQ(func(&p, "b")->counts[0].self, 5);
	ASSERT_EQ(func(&p, "b")->counts[0].total, 5);
	ASSERT_EQ(func(&p, "a")->counts[0].self, 17);
	ASSERT_EQ(func(&p, "a")->counts[0].total, 22);
	ASSERT_EQ(func(&p, "main")->counts[0].self, 49);
	ASSERT_EQ(func(&p, "main")->counts[0].total, 71);
	cp_profile_free(&p);
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
	suite = CU_add_suite("hybrid", NULL, NULL);
	CU_add_test(suite, "compensation: a known per-call cost",
		    test_known_cost);
	CU_add_test(suite, "compensation: fractions of a tick add up",
		    test_fractions);
	CU_add_test(suite, "compensation: never below zero",
		    test_never_negative);
	CU_add_test(suite, "compensation: recursion", test_recursion);
	CU_add_test(suite, "compensation: exact mode's counters",
		    test_exact_counts);
	CU_add_test(suite, "samples in another function are its own",
		    test_foreign_samples);
	CU_add_test(suite, "reconciliation: which source and why",
		    test_reconcile);
	CU_add_test(suite, "the distortion check quiet once compensated",
		    test_quiet_after_compensation);
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
