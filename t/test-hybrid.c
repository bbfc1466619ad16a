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
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
