/*
 * test-profile.c - unit tests of cli/profile.c and cli/symbols.c: from
 * marker events to per-function, per-thread and frame tables.
 *
 * The logs are synthetic, with a 1 GHz clock unless a test is about the
 * clock, so one tick is one nanosecond and every expected time below is
 * worked out by hand from the event times. The symbol tests name real
 * functions of this program from a load map built with dl_iterate_phdr.
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

#define GHZ 1000000000ULL

static char *dir;
static char path[4200];

enum { MAIN, A, B, C, D, F, G, TICK, NSITES };

static const struct tl_site sites[NSITES] = {
	[MAIN] = {.name = "main"}, [A] = {.name = "a"},
	[B] = {.name = "b"},	   [C] = {.name = "c", .kind = "scope"},
	[D] = {.name = "d"},	   [F] = {.name = "f"},
	[G] = {.name = "g"},	   [TICK] = {.name = "tick", .kind = "frame"},
};

#define NEV(ev) (sizeof(ev) / sizeof((ev)[0]))

/* The stats of NAME on thread TID, all zero when it has no row. */
static struct cp_stats tfunc(const struct cp_profile *p, int tid,
			     const char *name)
{
	const struct cp_thread_func *r = thread_func(p, tid, name);
	struct cp_stats none = {0};

	return r != NULL ? r->st : none;
}

#define CHECK_STATS(st, c, self, total)           \
	do {                                      \
		struct cp_stats st_ = (st);       \
		ASSERT_EQ(st_.calls, (c));        \
		ASSERT_EQ(st_.self_ns, (self));   \
		ASSERT_EQ(st_.total_ns, (total)); \
	} while (0)

#define CHECK_FUNC(p, name, c, self, total)                   \
	do {                                                  \
		const struct cp_func *f_ = func((p), (name)); \
		CU_ASSERT_PTR_NOT_NULL_FATAL(f_);             \
		CHECK_STATS(f_->st, c, self, total);          \
	} while (0)

/* One process, one thread (tid 2), one ev chunk, ended at END. */
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

static void test_nesting(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10}, {'E', B, 20}, {'X', B, 30},
		{'X', A, 40},	{'E', A, 50}, {'X', A, 60}, {'X', MAIN, 100},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 100);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.nfuncs, 3);
	CHECK_FUNC(&p, "main", 1, 60, 100);
	CHECK_FUNC(&p, "a", 2, 30, 40);
	CHECK_FUNC(&p, "b", 1, 10, 10);
	ASSERT_EQ(p.total_self_ns, 100);
	ASSERT_STR_EQ(func(&p, "a")->file, "test.c");
	ASSERT_EQ(func(&p, "a")->line, 11);
	CU_ASSERT_PTR_NULL(func(&p, "a")->object);

	ASSERT_EQ_FATAL(p.nprocs, 1);
	ASSERT_EQ(p.procs[0].pid, 1);
	ASSERT_EQ(p.procs[0].events, 8);
	CU_ASSERT(p.procs[0].finished);
	ASSERT_STR_EQ(p.procs[0].end_reason, "exit");
	ASSERT_STR_EQ(p.procs[0].exe, "/bin/test-prog");
	ASSERT_EQ(p.procs[0].skipped_bytes, 0);
	ASSERT_EQ_FATAL(p.nthreads, 1);
	ASSERT_EQ(p.threads[0].pid, 1);
	ASSERT_EQ(p.threads[0].tid, 2);
	ASSERT_STR_EQ(p.threads[0].name, "main");
	ASSERT_EQ(p.threads[0].nfuncs, 3);
	CU_ASSERT(!p.threads[0].unfinished);
	CHECK_STATS(tfunc(&p, 2, "a"), 2, 30, 40);

	/* main's return to depth 0 closed one root frame. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(frames(&p, ""));
	ASSERT_EQ(frames(&p, "")->count, 1);
	ASSERT_EQ(frames(&p, "")->total_ns, 100);
	cp_profile_free(&p);
}

static void test_recursion(void)
{
	/* f > f > f, then f > g > f. */
	static const struct tl_event ev[] = {
		{'E', F, 0},   {'E', F, 10},  {'E', F, 20},  {'X', F, 50},
		{'X', F, 90},  {'X', F, 100}, {'E', F, 200}, {'E', G, 210},
		{'E', F, 220}, {'X', F, 250}, {'X', G, 290}, {'X', F, 300},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 300);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	/* total is each outermost activation once: 100 + 100. */
	CHECK_FUNC(&p, "f", 5, 100 + 20 + 30, 200);
	CHECK_FUNC(&p, "g", 1, 50, 80);
	ASSERT_EQ(p.total_self_ns, 200);
	cp_profile_free(&p);
}

/* Calls split over many chunks are counted exactly. */
static void test_exact_counts(void)
{
	enum { CHUNKS = 10, PER = 2000 };
	struct tl_event *ev = malloc(PER * sizeof *ev);
	struct tlog l;
	struct cp_profile p;
	const char *err;
	uint64_t t = 0;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	for (int c = 0; c < CHUNKS; c++) {
		size_t n = 0;

		if (c == 0)
			ev[n++] = (struct tl_event){'E', MAIN, t++};
		/* a (3 ticks) containing b (1 tick) every 4th call. */
		while (n + 4 <= PER) {
			int nest = (n / 4) % 4 == 0;

			ev[n++] = (struct tl_event){'E', A, t};
			if (nest) {
				ev[n++] = (struct tl_event){'E', B, t + 1};
				ev[n++] = (struct tl_event){'X', B, t + 2};
			}
			ev[n++] = (struct tl_event){'X', A, t + 3};
			t += 4;
		}
		if (c == CHUNKS - 1)
			ev[n++] = (struct tl_event){'X', MAIN, t};
		tl_ev(&l, 2, t, sites, NSITES, ev, n);
	}
	tl_end(&l, t, t);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	{
		const struct cp_func *a = func(&p, "a"), *b = func(&p, "b");

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		ASSERT_EQ(a->st.total_ns, 3 * a->st.calls);
		ASSERT_EQ(b->st.total_ns, b->st.calls);
		ASSERT_EQ(a->st.self_ns, 3 * a->st.calls - b->st.calls);
		ASSERT_EQ(func(&p, "main")->st.calls, 1);
		ASSERT_EQ(func(&p, "main")->st.total_ns, t);
		ASSERT_EQ(p.total_self_ns, t);
		ASSERT_EQ(p.procs[0].events,
			  2 + 2 * a->st.calls + 2 * b->st.calls);
	}
	free(ev);
	cp_profile_free(&p);
	tl_destroy(&l);
}

static void test_threads_interleaved(void)
{
	static const struct tl_event t10a[] = {{'E', A, 0}, {'E', B, 5}};
	static const struct tl_event t11a[] = {{'E', A, 2}, {'X', A, 12}};
	static const struct tl_event t10b[] = {{'X', B, 15}, {'X', A, 20}};
	static const struct tl_event t11b[] = {{'E', B, 30}, {'X', B, 31}};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_thread_start(&l, 10, 0, "main");
	tl_ev(&l, 10, 0, sites, NSITES, t10a, 2);
	tl_thread_start(&l, 11, 1, "worker");
	tl_ev(&l, 11, 1, sites, NSITES, t11a, 2);
	tl_ev(&l, 10, 5, sites, NSITES, t10b, 2);
	tl_ev(&l, 11, 12, sites, NSITES, t11b, 2);
	tl_thread_end(&l, 11, 35);
	tl_end(&l, 40, 40);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ_FATAL(p.nthreads, 2);
	CHECK_STATS(tfunc(&p, 10, "a"), 1, 10, 20);
	CHECK_STATS(tfunc(&p, 10, "b"), 1, 10, 10);
	CHECK_STATS(tfunc(&p, 11, "a"), 1, 10, 10);
	CHECK_STATS(tfunc(&p, 11, "b"), 1, 1, 1);
	CHECK_FUNC(&p, "a", 2, 20, 30);
	CHECK_FUNC(&p, "b", 2, 11, 11);
	ASSERT_STR_EQ(thread(&p, 11)->name, "worker");
	ASSERT_EQ(thread(&p, 11)->start_ns, 1);
	ASSERT_EQ(thread(&p, 11)->end_ns, 35);
	ASSERT_EQ(thread(&p, 10)->end_ns, 40);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * Adaptive timing: calls chunks add counted calls to the exact calls of
 * their thread's functions, which then leave their self and total to the
 * samples and keep the timed calls' measure apart; a function counted in
 * one thread and timed in another keeps the other's time.
 */
static void test_counted_calls(void)
{
	static const struct tl_site as[] = {
		{.addr = 0x10}, {.addr = 0x20}, {.addr = 0x30}};
	/* Thread 10: 0x10 calls 0x20 twice (timed warm-up). */
	static const struct tl_event t10[] = {{'E', 0, 0},  {'E', 1, 10},
					      {'X', 1, 14}, {'E', 1, 20},
					      {'X', 1, 26}, {'X', 0, 50}};
	/* Thread 11: 0x20 timed, once. */
	static const struct tl_event t11[] = {{'E', 1, 0}, {'X', 1, 5}};
	static const uint64_t c10a[] = {0x20, 5}, c10b[] = {0x20, 3, 0x30, 7};
	const struct cp_func *f;
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_thread_start(&l, 10, 0, "main");
	tl_ev(&l, 10, 0, as, 3, t10, NEV(t10));
	tl_calls(&l, 10, c10a, 1);
	tl_thread_start(&l, 11, 0, "worker");
	tl_ev(&l, 11, 0, as, 3, t11, NEV(t11));
	tl_calls(&l, 10, c10b, 2);
	tl_thread_end(&l, 11, 60);
	tl_end(&l, 60, 60);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");

	/* 0x20: 2 + 1 timed, 8 counted in thread 10. */
	f = func(&p, "0x20");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_EQ(f->st.calls, 11);
	ASSERT_EQ(f->st.untimed_calls, 8);
	ASSERT_EQ(f->self_source, CP_SELF_SAMPLED);
	/* Thread 10's time goes to the samples; thread 11's is timed. */
	ASSERT_EQ(f->st.self_ns, 5);
	ASSERT_EQ(f->st.timed_self_ns, 15);
	CHECK_STATS(tfunc(&p, 10, "0x20"), 10, 0, 0);
	ASSERT_EQ(thread_func(&p, 10, "0x20")->st.timed_self_ns, 10);
	ASSERT_EQ(thread_func(&p, 10, "0x20")->st.untimed_calls, 8);
	CHECK_STATS(tfunc(&p, 11, "0x20"), 1, 5, 5);
	ASSERT_EQ(thread_func(&p, 11, "0x20")->st.untimed_calls, 0);

	/* 0x30: only ever counted. */
	f = func(&p, "0x30");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CHECK_STATS(f->st, 7, 0, 0);
	ASSERT_EQ(f->st.untimed_calls, 7);

	/* 0x10: timed, its counted callee's time in its self time. */
	f = func(&p, "0x10");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CHECK_STATS(f->st, 1, 40, 50);
	ASSERT_EQ(f->self_source, CP_SELF_TIMED);
	ASSERT_EQ(p.total_self_ns, 45);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * A fork() child: its stream starts inside b, called from a. Each exit
 * without its enter is a call from the stream start, whose callees are
 * the root-level frames closed since.
 */
static void test_unmatched_exits(void)
{
	static const struct tl_event ev[] = {
		{'E', C, 110}, {'X', C, 120}, {'X', B, 150},
		{'E', D, 160}, {'X', D, 170}, {'X', A, 200},
	};
	/* f recursive before the stream: its total stays its outermost. */
	static const struct tl_event rec[] = {
		{'X', F, 10},
		{'E', F, 20},
		{'X', F, 30},
		{'X', F, 50},
	};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header(&l, 5, GHZ, 0, 0);
	tl_thread_start(&l, 5, 100, "child");
	tl_ev(&l, 5, 100, sites, NSITES, ev, NEV(ev));
	tl_thread_start(&l, 6, 0, "rec");
	tl_ev(&l, 6, 0, sites, NSITES, rec, NEV(rec));
	tl_end(&l, 200, 200);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_STATS(tfunc(&p, 5, "c"), 1, 10, 10);
	CHECK_STATS(tfunc(&p, 5, "b"), 1, 40, 50);
	CHECK_STATS(tfunc(&p, 5, "d"), 1, 10, 10);
	CHECK_STATS(tfunc(&p, 5, "a"), 1, 40, 100);
	ASSERT_EQ(thread(&p, 5)->start_ns, 100);
	CHECK_STATS(tfunc(&p, 6, "f"), 3, 50, 50);
	cp_profile_free(&p);
	tl_destroy(&l);

	/* Without a thread record the stream starts at its first event. */
	tl_init(&l);
	tl_header(&l, 5, GHZ, 0, 0);
	tl_ev(&l, 5, 100, sites, NSITES, ev, NEV(ev));
	tl_end(&l, 200, 200);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CHECK_STATS(tfunc(&p, 5, "b"), 1, 30, 40);
	CHECK_STATS(tfunc(&p, 5, "a"), 1, 40, 90);
	ASSERT_EQ(thread(&p, 5)->start_ns, 110);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* An exit of a frame deeper in the stack closes those above (longjmp). */
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
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_FUNC(&p, "c", 1, 30, 30);
	CHECK_FUNC(&p, "b", 1, 10, 40);
	CHECK_FUNC(&p, "a", 1, 10, 50);
	CHECK_FUNC(&p, "g", 1, 10, 10);
	CHECK_FUNC(&p, "f", 2, 10 + 20, 40);
	cp_profile_free(&p);
}

/*
 * ucontext coroutines (the runtime's switch events): each context keeps
 * its frames, and the time a context is switched out is not in them. A
 * switch is an enter and an exit of its site at one time.
 */
static void test_contexts(void)
{
	enum { M, CA, CB, S0, S1, UNK, N };
	static const struct tl_site cs[N] = {
		[M] = {.name = "main"},
		[CA] = {.name = "a"},
		[CB] = {.name = "b"},
		[S0] = {.name = "(context switch)", .kind = "switch", .ctx = 0},
		[S1] = {.name = "(context switch)", .kind = "switch", .ctx = 1},
		[UNK] = {.name = "(unknown stack)", .kind = "unknown-stack"},
	};
	static const struct tl_event ev[] = {
		{'E', M, 0},   {'E', CA, 10}, {'E', S1, 20}, {'X', S1, 20},
		{'E', CB, 20}, {'E', S0, 30}, {'X', S0, 30}, {'X', CA, 50},
		{'E', S1, 60}, {'X', S1, 60}, {'X', CB, 70}, {'E', S0, 80},
		{'X', S0, 80}, {'X', M, 100},
	};
	static const struct tl_event unk[] = {
		{'E', M, 0}, {'E', UNK, 5}, {'X', UNK, 5}, {'X', M, 10}};
	struct tlog l;
	struct cp_profile p;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, cs, N, ev, NEV(ev));
	tl_thread_start(&l, 3, 0, "other");
	tl_ev(&l, 3, 0, cs, N, unk, NEV(unk));
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	/*
	 * Context 0 runs 0-20, 30-60 and 80-100; context 1 the rest. a:
	 * 10-20 and 30-50; b: 20-30 and 60-70; main: 70, a's 30 of it.
	 */
	CHECK_STATS(tfunc(&p, 2, "a"), 1, 30, 30);
	CHECK_STATS(tfunc(&p, 2, "b"), 1, 20, 20);
	CHECK_STATS(tfunc(&p, 2, "main"), 1, 40, 70);
	CU_ASSERT_PTR_NULL(func(&p, "(context switch)"));
	CU_ASSERT_PTR_NULL(func(&p, "(unknown stack)"));
	ASSERT_EQ(thread(&p, 2)->contexts, 1);
	CU_ASSERT(!thread(&p, 2)->unreliable);
	CU_ASSERT(thread(&p, 3)->unreliable);
	CHECK_STATS(tfunc(&p, 3, "main"), 1, 10, 10);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * A killed process: frames still open close at its last known time and
 * count as calls; a thread that ended closes them at its own end.
 */
static void test_open_at_end(void)
{
	static const struct tl_event ev[] = {{'E', A, 0}, {'E', B, 10}};
	static const struct tl_event ev3[] = {{'E', C, 5}};
	struct tlog l;
	struct cp_profile p;
	const char *err;
	char want[9000];

	tl_init(&l);
	tl_header(&l, 7, GHZ, 0, 0);
	tl_thread_start(&l, 7, 0, "main");
	tl_ev(&l, 7, 0, sites, NSITES, ev, 2);
	tl_thread_start(&l, 8, 0, "exits");
	tl_ev(&l, 8, 0, sites, NSITES, ev3, 1);
	tl_thread_end(&l, 8, 50);
	tl_clock(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	snprintf(want, sizeof want,
		 "cprof: %s: process 7 ended without an end record: "
		 "showing data up to its last flush\n",
		 path);
	ASSERT_STR_EQ(err, want);
	CHECK_STATS(tfunc(&p, 7, "a"), 1, 10, 100);
	CHECK_STATS(tfunc(&p, 7, "b"), 1, 90, 90);
	CHECK_STATS(tfunc(&p, 8, "c"), 1, 45, 45);
	CU_ASSERT(thread(&p, 7)->unfinished);
	CU_ASSERT(!thread(&p, 8)->unfinished);
	ASSERT_EQ(thread(&p, 7)->end_ns, 100);
	CU_ASSERT(!p.procs[0].finished);
	ASSERT_EQ(p.procs[0].end_ns, 100);
	CU_ASSERT_PTR_NULL(p.procs[0].end_reason);
	/* A frame cut by the end of the stream is not a root frame. */
	CU_ASSERT_PTR_NULL(frames(&p, ""));
	cp_profile_free(&p);

	/* With an end record, at the end record. */
	tl_end(&l, 150, 150);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_STATS(tfunc(&p, 7, "a"), 1, 10, 150);
	CU_ASSERT(thread(&p, 7)->unfinished);
	CU_ASSERT(p.procs[0].finished);
	cp_profile_free(&p);
	tl_destroy(&l);
}

static void test_frame_marks(void)
{
	static const struct tl_event ev[] = {
		{'E', A, 1},	 {'X', A, 5},	  {'E', TICK, 10},
		{'E', MAIN, 12}, {'E', TICK, 30}, {'E', TICK, 60},
		{'X', MAIN, 70},
	};
	struct cp_profile p;
	const struct cp_frames *f;
	const char *err;

	simple_log(ev, NEV(ev), 70);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	/* Marks at 10, 30, 60 on a stream that started at 0. */
	f = frames(&p, "tick");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_EQ(f->count, 3);
	ASSERT_EQ(f->total_ns, 60);
	ASSERT_EQ(f->min_ns, 10);
	ASSERT_EQ(f->max_ns, 30);
	ASSERT_EQ(f->hist[3], 1);
	ASSERT_EQ(f->hist[4], 2);
	/* A frame mark is not a function, and does not touch the stack. */
	CU_ASSERT_PTR_NULL(func(&p, "tick"));
	CHECK_FUNC(&p, "main", 1, 58, 58);
	/* Depth-0 returns: a (4 ns) and main (58 ns). */
	f = frames(&p, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_EQ(f->count, 2);
	ASSERT_EQ(f->total_ns, 62);
	ASSERT_EQ(f->min_ns, 4);
	ASSERT_EQ(f->max_ns, 58);
	ASSERT_EQ(f->hist[2], 1);
	ASSERT_EQ(f->hist[5], 1);
	cp_profile_free(&p);
}

static void test_root_frames(void)
{
	static const struct tl_event ev[] = {
		{'E', A, 0},	       {'X', A, 10}, {'E', B, 20},
		{'E', A, 25},	       {'X', A, 26}, {'X', B, 50},
		{'E', A, 60},	       {'X', A, 61}, {'E', C, 1000},
		{'X', C, 1000 + 1500},
	};
	struct cp_profile p;
	const struct cp_frames *f;
	const char *err;
	uint64_t sum = 0;

	simple_log(ev, NEV(ev), 3000);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	f = frames(&p, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_EQ(f->count, 4);
	ASSERT_EQ(f->total_ns, 10 + 30 + 1 + 1500);
	ASSERT_EQ(f->min_ns, 1);
	ASSERT_EQ(f->max_ns, 1500);
	ASSERT_EQ(f->hist[0], 1);
	ASSERT_EQ(f->hist[3], 1);
	ASSERT_EQ(f->hist[4], 1);
	ASSERT_EQ(f->hist[10], 1);
	for (int i = 0; i < 64; i++)
		sum += f->hist[i];
	ASSERT_EQ(sum, 4);
	cp_profile_free(&p);
}

/* Ticks to ns with the two calibration points farthest apart, or hz. */
static void test_calibration(void)
{
	static const struct tl_event ev[] = {{'E', A, 1200}, {'X', A, 1600}};
	struct tlog l;
	struct cp_profile p;
	const char *err;
	char want[9000];

	/* Points (1000, 5000) and (5000, 7000): 0.5 ns per tick. */
	tl_init(&l);
	tl_header(&l, 1, 0, 1000, 5000);
	tl_ev(&l, 2, 1200, sites, NSITES, ev, 2);
	tl_clock(&l, 2000, 5600); /* off the line, and not the farthest */
	tl_end(&l, 5000, 7000);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_FUNC(&p, "a", 1, 200, 200);
	ASSERT_EQ(thread(&p, 2)->start_ns, 5100);
	ASSERT_EQ(thread(&p, 2)->end_ns, 7000);
	ASSERT_EQ(p.procs[0].start_ns, 5000);
	ASSERT_EQ(p.procs[0].end_ns, 7000);
	ASSERT_EQ(frames(&p, "")->total_ns, 200);
	ASSERT_EQ(frames(&p, "")->hist[7], 1);
	cp_profile_free(&p);
	tl_destroy(&l);

	/* A stated frequency wins over the points: 2 GHz. */
	tl_init(&l);
	tl_header(&l, 1, 2 * GHZ, 1000, 5000);
	tl_ev(&l, 2, 1200, sites, NSITES, ev, 2);
	tl_end(&l, 5000, 99999);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_FUNC(&p, "a", 1, 200, 200);
	ASSERT_EQ(thread(&p, 2)->start_ns, 5100);
	cp_profile_free(&p);
	tl_destroy(&l);

	/* One point only: a warning, and 1 tick = 1 ns. */
	tl_init(&l);
	tl_header(&l, 1, 0, 1000, 5000);
	tl_ev(&l, 2, 1200, sites, NSITES, ev, 2);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	snprintf(want, sizeof want,
		 "cprof: %s: process 1 ended without an end record: "
		 "showing data up to its last flush\n"
		 "cprof: %s: only one clock calibration point: assuming 1 tick "
		 "= "
		 "1 ns\n",
		 path, path);
	ASSERT_STR_EQ(err, want);
	CHECK_FUNC(&p, "a", 1, 400, 400);
	ASSERT_EQ(thread(&p, 2)->start_ns, 5200);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/* What a damaged log held before the damage is reported. */
static void test_damaged_log_keeps_prefix(void)
{
	static const struct tl_event ev1[] = {{'E', A, 0}, {'X', A, 10}};
	static const struct tl_event ev2[] = {{'E', A, 20}, {'X', A, 30}};
	struct tlog l;
	struct cp_profile p;
	const char *err;
	size_t cut;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_ev(&l, 2, 0, sites, NSITES, ev1, 2);
	cut = l.sb.size;
	tl_ev(&l, 2, 20, sites, NSITES, ev2, 2);
	tl_end(&l, 30, 30);

	tl_write_bytes(path, l.sb.data, cut + 10);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated: 10 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ended without an end record"));
	CHECK_FUNC(&p, "a", 1, 10, 10);
	ASSERT_EQ(p.procs[0].skipped_bytes, 10);
	cp_profile_free(&p);

	l.sb.data[cut] = (char)0xc1;
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "corrupt at offset"));
	CHECK_FUNC(&p, "a", 1, 10, 10);
	ASSERT_EQ(p.procs[0].skipped_bytes, l.sb.size - cut);
	cp_profile_free(&p);

	tl_write_bytes(path, "garbage\n", 8);
	ASSERT_EQ(load(&p, path, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a cprof log"));
	cp_profile_free(&p);
	tl_destroy(&l);
}

static void write_meta(const char *file)
{
	struct tlog l;

	tl_init(&l);
	msgpack_pack_map(&l.pk, 4);
	tl_str(&l, "argv");
	msgpack_pack_array(&l.pk, 2);
	tl_str(&l, "./app");
	tl_str(&l, "--fast");
	tl_kv_u64(&l, "status", 3);
	tl_kv_u64(&l, "start_ns", 10);
	tl_kv_u64(&l, "end_ns", 20);
	tl_write(&l, file);
	tl_destroy(&l);
}

/* A run directory: every proc-*.log merged by function, plus run.meta. */
static void test_run_directory(void)
{
	static const struct tl_event ev[] = {
		{'E', A, 0},
		{'X', A, 10},
		{'E', TICK, 15},
	};
	char *run = tu_tmpdir();
	char file[4400];
	struct cp_profile p;
	const char *err;

	ASSERT_EQ(load(&p, run, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no cprof logs"));
	cp_profile_free(&p);

	for (int i = 0; i < 3; i++) {
		struct tlog l;

		tl_init(&l);
		tl_header(&l, 100 + i, GHZ, 0, 0);
		tl_ev(&l, 100 + i, 0, sites, NSITES, ev, NEV(ev));
		tl_end(&l, 20, 20);
		snprintf(file, sizeof file, "%s/proc-%d-%d.log", run, 100 + i,
			 5 - i);
		tl_write(&l, file);
		tl_destroy(&l);
	}
	snprintf(file, sizeof file, "%s/notes.txt", run);
	tl_write_bytes(file, "not a log", 9);
	snprintf(file, sizeof file, "%s/run.meta", run);
	write_meta(file);

	ASSERT_EQ_FATAL(load(&p, run, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.nprocs, 3);
	ASSERT_EQ(p.nthreads, 3);
	ASSERT_EQ(p.nfuncs, 1);
	CHECK_FUNC(&p, "a", 3, 30, 30);
	/* Logs are read in start order. */
	ASSERT_EQ(p.procs[0].pid, 102);
	ASSERT_EQ(p.procs[2].pid, 100);
	ASSERT_EQ(frames(&p, "tick")->count, 3);
	ASSERT_EQ(frames(&p, "tick")->total_ns, 45);
	ASSERT_EQ(frames(&p, "")->count, 3);
	CU_ASSERT(p.has_meta);
	ASSERT_EQ(p.status, 3);
	ASSERT_STR_EQ(p.argv[0], "./app");
	ASSERT_STR_EQ(p.argv[1], "--fast");
	CU_ASSERT_PTR_NULL(p.argv[2]);
	ASSERT_EQ(p.meta_end_ns, 20);
	cp_profile_free(&p);

	/* One log that is not a log fails the run, naming it. */
	snprintf(file, sizeof file, "%s/proc-999-9.log", run);
	tl_write_bytes(file, "\x93\x01\x02\x03", 4);
	ASSERT_EQ(load(&p, run, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "proc-999-9.log: not a cprof log"));
	cp_profile_free(&p);
	tu_rmdir(run);
}

/* Symbols: functions of this very program and of libc. */

/* The line static_helper is declared at: the next one. */
static const int static_line = __LINE__ + 1;
__attribute__((noinline, used)) static int static_helper(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline, used)) int
mangled_helper(int x) __asm__("_ZN5cprof4test6helperEi");
__attribute__((noinline, used)) int mangled_helper(int x)
{
	return x + 7;
}

static void test_symbols(void)
{
	struct tp_object exe, libc;
	char exepath[4096];
	const char *exebase;
	ssize_t n;
	struct tl_site s[6];
	struct tl_event ev[12];
	struct tlog l;
	struct cp_profile p;
	const struct cp_func *f;
	const char *err;
	char want[200];

	n = readlink("/proc/self/exe", exepath, sizeof exepath - 1);
	CU_ASSERT_FATAL(n > 0);
	exepath[n] = '\0';
	exebase = strrchr(exepath, '/') + 1;
	CU_ASSERT_FATAL(tp_object_named("", &exe) == 0);
	CU_ASSERT_FATAL(tp_object_named("libc.so", &libc) == 0);

	memset(s, 0, sizeof s);
	s[0].addr = (uintptr_t)&static_helper;
	s[1].addr = (uintptr_t)&mangled_helper;
	s[2].addr = (uintptr_t)&getpid;
	s[3].addr = 0x10;	       /* in no object */
	s[4].addr = 0x7f0000001234ULL; /* in an object that is gone */
	s[5].addr = 0x7f0000001250ULL;
	for (int i = 0; i < 6; i++) {
		ev[2 * i] = (struct tl_event){'E', (unsigned)i, 10 * i};
		ev[2 * i + 1] = (struct tl_event){'X', (unsigned)i, 10 * i + 5};
	}
	tl_init(&l);
	tl_header_exe(&l, 1, GHZ, 0, 0, exepath);
	tl_map(&l, "", exe.base, NULL, 0, exe.start, exe.end);
	tl_map(&l, libc.path, libc.base, NULL, 0, libc.start, libc.end);
	tl_map(&l, "/nonexistent/libgone.so", 0x7f0000000000ULL, NULL, 0,
	       0x7f0000001000ULL, 0x7f0000002000ULL);
	tl_ev(&l, 2, 0, s, 6, ev, 12);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	/* One warning for the missing object, though two addresses are in it.
	 */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/libgone.so: "));
	CU_ASSERT_PTR_NULL(strstr(strstr(err, "libgone") + 1, "libgone.so: "));

	f = func(&p, "static_helper");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_STR_EQ(f->object, exebase);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->file);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->file, "test-profile.c"));
	ASSERT_EQ(f->line, static_line);
	ASSERT_EQ(f->st.calls, 1);
	ASSERT_EQ(f->st.total_ns, 5);

	f = func(&p, "cprof::test::helper(int)");
	CU_ASSERT_PTR_NOT_NULL(f);

	f = NULL;
	for (size_t i = 0; i < p.nfuncs; i++) {
		if (p.funcs[i].object != NULL &&
		    strncmp(p.funcs[i].object, "libc.so", 7) == 0)
			f = &p.funcs[i];
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->name, "getpid"));

	f = func(&p, "0x10");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NULL(f->object);
	f = func(&p, "libgone.so+0x1234");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_STR_EQ(f->object, "libgone.so");
	CU_ASSERT_PTR_NOT_NULL(func(&p, "libgone.so+0x1250"));
	cp_profile_free(&p);
	tl_destroy(&l);

	/* A build-id that is not the file's: warned, and not trusted. */
	tl_init(&l);
	tl_header_exe(&l, 1, GHZ, 0, 0, exepath);
	tl_map(&l, "", exe.base, "\x01\x02\x03\x04", 4, exe.start, exe.end);
	tl_ev(&l, 2, 0, s, 1, ev, 2);
	tl_end(&l, 100, 100);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "build-id differs"));
	snprintf(want, sizeof want, "%s+0x%" PRIx64, exebase,
		 (uint64_t)(uintptr_t)&static_helper - exe.base);
	CU_ASSERT_PTR_NOT_NULL(func(&p, want));
	cp_profile_free(&p);
	tl_destroy(&l);

	ASSERT_EQ(static_helper(1) + mangled_helper(1), 12);
}

/*
 * A plugin closed and another loaded at its place: the same address is
 * two functions, each named with the load map of its time. An address
 * seen before the map chunk of its object is named by that chunk.
 */
static void test_reused_addresses(void)
{
	static const uint64_t base = 0x7f0000000000ULL;
	struct tl_site s[3] = {
		{.addr = 0x401010},	 /* main */
		{.addr = base + 0x1119}, /* in A, then in B */
		{.addr = base + 0x9000}, /* in C, announced late */
	};
	static const struct tl_event ev1[] = {
		{'E', 0, 0},  {'E', 1, 10}, {'X', 1, 20}, {'E', 1, 30},
		{'X', 1, 40}, {'E', 1, 50}, {'X', 1, 60}, {'E', 2, 61},
	};
	static const struct tl_event ev2[] = {
		{'X', 2, 65}, {'E', 1, 70},  {'X', 1, 80},
		{'E', 1, 90}, {'X', 1, 100}, {'X', 0, 110},
	};
	struct tlog l;
	struct cp_profile p;
	const struct cp_func *f;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, GHZ, 0, 0);
	tl_map(&l, "", 0x400000, NULL, 0, 0x401000, 0x402000);
	tl_map(&l, "/nonexistent/libplugA.so", base, NULL, 0, base + 0x1000,
	       base + 0x2000);
	tl_ev(&l, 2, 0, s, 3, ev1, NEV(ev1));
	tl_map(&l, "/nonexistent/libplugB.so", base, NULL, 0, base + 0x1000,
	       base + 0x2000);
	tl_map(&l, "/nonexistent/libplugC.so", base, NULL, 0, base + 0x8000,
	       base + 0xa000);
	/* The runtime lists every object again: that changes nothing. */
	tl_map(&l, "", 0x400000, NULL, 0, 0x401000, 0x402000);
	tl_ev(&l, 2, 61, s, 3, ev2, NEV(ev2));
	tl_end(&l, 110, 110);
	tl_write(&l, path);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	/* Each missing file is reported once. */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/libplugA.so: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/libplugB.so: "));
	CU_ASSERT_PTR_NULL(
		strstr(strstr(err, "libplugB.so: ") + 1, "libplugB.so: "));

	f = func(&p, "libplugA.so+0x1119");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_STR_EQ(f->object, "libplugA.so");
	CHECK_STATS(f->st, 3, 30, 30);
	f = func(&p, "libplugB.so+0x1119");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ASSERT_STR_EQ(f->object, "libplugB.so");
	CHECK_STATS(f->st, 2, 20, 20);
	/* Entered before its map chunk, left after it: one call. */
	f = func(&p, "libplugC.so+0x9000");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CHECK_STATS(f->st, 1, 4, 4);
	CHECK_FUNC(&p, "test-prog+0x1010", 1, 110 - 30 - 20 - 4, 110);
	ASSERT_EQ(p.nfuncs, 4);
	cp_profile_free(&p);
	tl_destroy(&l);
}

/*
 * An exit of a function that is not open while others are: its enter was
 * lost. It counts as a call, and the open frames are left alone.
 */
static void test_lost_enter(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10},	 {'X', G, 15},
		{'X', A, 20},	{'X', MAIN, 30},
	};
	struct cp_profile p;
	const char *err;

	simple_log(ev, NEV(ev), 30);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	CHECK_FUNC(&p, "g", 1, 0, 0);
	CHECK_FUNC(&p, "a", 1, 10, 10);
	CHECK_FUNC(&p, "main", 1, 20, 30);
	cp_profile_free(&p);
}

/*
 * Random well-formed logs: any order of enters, exits and marks. The
 * tables must keep their invariants: self <= total for every row, and a
 * thread's self times never add up to more than its lifetime.
 */
static void test_random_streams(void)
{
	struct tl_event ev[300];
	struct cp_profile p;
	const char *err;

	/* The seed these streams were first drawn with. */
	tu_rng_state = 0x2545f4914f6cdd1dULL;
	for (int iter = 0; iter < 300; iter++) {
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
				ev[i].what = rng() % 2 ? 'E' : 'X';
			}
			tl_ev(&l, tid + 1, t0, sites, NSITES, ev, n);
		}
		if (iter % 2)
			tl_end(&l, 0, 0);
		tl_write(&l, path);
		ASSERT_EQ_FATAL(load(&p, path, &err), 0);
		for (size_t i = 0; i < p.nthreads; i++) {
			const struct cp_thread *th = &p.threads[i];
			uint64_t self = 0;

			for (size_t j = 0; j < th->nfuncs; j++) {
				CU_ASSERT(th->funcs[j].st.self_ns <=
					  th->funcs[j].st.total_ns);
				CU_ASSERT(th->funcs[j].st.total_ns <=
					  th->end_ns - th->start_ns);
				self += th->funcs[j].st.self_ns;
			}
			CU_ASSERT(self <= th->end_ns - th->start_ns);
		}
		cp_profile_free(&p);
		tl_destroy(&l);
	}
}

/* Damaged logs through the whole profile: refused or read, no crash. */
static void test_random_damage(void)
{
	static const struct tl_event ev[] = {
		{'E', MAIN, 0}, {'E', A, 10},	 {'E', TICK, 15},
		{'X', A, 20},	{'X', MAIN, 30}, {'X', B, 40},
	};
	struct tlog l;
	struct cp_profile p;
	const char *err;
	char *buf;

	tl_init(&l);
	tl_header(&l, 1, 0, 0, 0);
	tl_map(&l, "/lib/x.so", 0x1000, "\x01\x02", 2, 0x2000, 0x3000);
	tl_thread_start(&l, 2, 0, "t");
	tl_ev(&l, 2, 0, sites, NSITES, ev, NEV(ev));
	tl_clock(&l, 50, 25);
	tl_thread_end(&l, 2, 45);
	tl_end(&l, 60, 30);
	buf = malloc(l.sb.size);
	for (int iter = 0; iter < 3000; iter++) {
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

/*
 * The one test of a log's file name (cli/rundir.c), which record, report,
 * stat's wait for live processes and the run's size all use.
 */
static void test_log_names(void)
{
	static const char *const bad[] = {
		"proc-.log",
		"proc-1.log",
		"proc-1-.log",
		"proc--1-2.log",
		"proc-0-2.log",
		"proc-1-2.log.tmp",
		"proc-1-2.logx",
		"proc-1-2",
		"proc-x-2.log",
		"proc-1-2x.log",
		"xproc-1-2.log",
		"run.meta",
		"proc-1-2-3.log",
		"proc-2147483648-1.log",
		"proc-1-99999999999999999999.log",
	};
	uint64_t start = 0;
	int pid = 0;

	CU_ASSERT(cp_log_name("proc-42-1700000000000000000.log", &pid, &start));
	ASSERT_EQ(pid, 42);
	ASSERT_EQ(start, 1700000000000000000ULL);
	CU_ASSERT(cp_log_name("proc-2147483647-0.log", NULL, NULL));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cp_log_name(bad[i], NULL, NULL))
			CU_FAIL(bad[i]);
}

int main(void)
{
	CU_pSuite suite;
	int rc;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	/*
	 * Naming libc's functions must not depend on the network: elfutils
	 * asks a debuginfod server for debug files when this is set.
	 */
	unsetenv("DEBUGINFOD_URLS");
	dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/proc-1-1.log", dir);
	suite = CU_add_suite("profile", NULL, NULL);
	CU_add_test(suite, "nested calls: self is duration minus callees",
		    test_nesting);
	CU_add_test(suite, "recursion: total counted once", test_recursion);
	CU_add_test(suite, "calls over many chunks are counted exactly",
		    test_exact_counts);
	CU_add_test(suite, "threads with interleaved chunks",
		    test_threads_interleaved);
	CU_add_test(suite, "counted calls: exact calls, time from samples",
		    test_counted_calls);
	CU_add_test(suite, "exits without enters begin at the stream start",
		    test_unmatched_exits);
	CU_add_test(suite, "an exit deeper in the stack closes those above",
		    test_longjmp);
	CU_add_test(suite, "ucontext switches: a stack per context",
		    test_contexts);
	CU_add_test(suite, "frames open at the end of the stream",
		    test_open_at_end);
	CU_add_test(suite, "frame marks", test_frame_marks);
	CU_add_test(suite, "returns to depth 0 are root frames",
		    test_root_frames);
	CU_add_test(suite, "ticks to ns with calibration points",
		    test_calibration);
	CU_add_test(suite, "a damaged log keeps what came before",
		    test_damaged_log_keeps_prefix);
	CU_add_test(suite, "a run directory is merged with run.meta",
		    test_run_directory);
	CU_add_test(suite, "log file names: one check", test_log_names);
	CU_add_test(suite, "symbols: static, C++, shared library, unknown",
		    test_symbols);
	CU_add_test(suite, "an address reused after dlclose is two functions",
		    test_reused_addresses);
	CU_add_test(suite, "an exit whose enter was lost", test_lost_enter);
	CU_add_test(suite, "random streams keep the invariants",
		    test_random_streams);
	CU_add_test(suite, "random damage never crashes the profile",
		    test_random_damage);
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
