/*
 * test-adapt.c - unit tests of adaptive timing (lib/adapt.c and the hot
 * path of lib/record.c): a function timed during its warm-up, then only
 * counted; counts exact across the switch; nesting, recursion and frames
 * left by a jump intact; a full table timing what it cannot hold; the
 * calls chunks the writer makes of the counts; all of it per edge (a
 * function and the frame it was called from), so that counts are exact
 * per caller.
 *
 * The hot path is driven through the XRay entry points, which take the
 * stack position as an argument, with made-up functions and positions on
 * a thread of the test's own. The rule is forced: a threshold no call
 * reaches (counted after the warm-up) or 0 (timed), never a time. What
 * went into the ring reads "E1" for an enter of function 1, "X1" for its
 * exit.
 */
#include "config.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "unit.h"

#define NFNS (2 * CPROF__FN_SLOTS)

static struct cprof__thread th;
static uintptr_t hi; /* the top of this thread's stack */
static uintptr_t fns[NFNS];
static char trace[4096];

/* Counted after WARMUP timed calls (COUNT) or timed for good. */
static void setup(uint32_t warmup, bool count)
{
	static struct cprof__rec *ring;

	if (!ring)
		ring = calloc(CPROF__RING_CAP, sizeof(*ring));
	for (size_t i = 0; i < NFNS; i++)
		fns[i] = 0x10000 + 16 * i;
	cprof__xray_fns = fns;
	th.ring = ring;
	th.reserve = 0;
	atomic_store(&th.head, 0);
	th.limit = CPROF__RING_CAP / 2;
	th.tid = (pid_t)syscall(SYS_gettid);
	memset(&cprof__adapt, 0, sizeof(cprof__adapt));
	cprof__adapt.on = true;
	cprof__adapt.warmup = warmup;
	/* Far above any call (an hour at 10 GHz), yet no overflow. */
	cprof__adapt.threshold = count ? UINT64_C(1) << 45 : 0;
	cprof__shadow_note_stack();
	cprof__shadow_attach(&th);
	cprof__adapt_attach(&th);
	CU_ASSERT_FATAL(th.fns != NULL);
	cprof__tls_set(&th);
	atomic_store(&cprof__rt.on, 1);
	hi = th.ctx->hi;
	CU_ASSERT_FATAL(hi != 0);
}

static void enter(unsigned fn, uintptr_t sp)
{
	cprof__xray_enter(fn, sp);
}

static void leave(unsigned fn, uintptr_t sp)
{
	cprof__xray_leave(fn, sp);
}

static void call(unsigned fn, uintptr_t sp)
{
	enter(fn, sp);
	leave(fn, sp);
}

static size_t depth(void)
{
	return (size_t)(th.ss_top - th.ctx->base);
}

/* The counted calls of function FN so far, over all its edges. */
static uint64_t counted(unsigned fn)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < CPROF__FN_SLOTS; i++)
		if (th.fns->slot[i].addr == fns[fn])
			n += atomic_load(&th.fns->slot[i].calls);
	return n;
}

/* A function's number, "_" for the bottom of the stack (0). */
static const char *fn_name(uint64_t addr, char *buf, size_t len)
{
	if (addr == 0)
		return "_";
	snprintf(buf, len, "%u", (unsigned)((addr - 0x10000) / 16));
	return buf;
}

/* The counted calls of the edge CALLER -> FN, as a string. */
static const char *edge_calls(unsigned fn, unsigned caller)
{
	static char buf[32];
	uint64_t n = 0;

	for (uint32_t i = 0; i < CPROF__FN_SLOTS; i++)
		if (th.fns->slot[i].addr == fns[fn] &&
		    th.fns->slot[i].caller == fns[caller])
			n += atomic_load(&th.fns->slot[i].calls);
	snprintf(buf, sizeof buf, "%" PRIu64, n);
	return buf;
}

/*
 * The chunk of two edges into FN, from A (NA calls) and from B (NB), in
 * the order the writer lists them: that of their switch to counted.
 */
static const char *edge_order(unsigned fn, unsigned a, uint64_t na, unsigned b,
			      uint64_t nb)
{
	static char buf[64];

	snprintf(buf, sizeof buf, "%u@%u:%" PRIu64 " %u@%u:%" PRIu64, fn, a, na,
		 fn, b, nb);
	return buf;
}

static const char *ring_from(uint64_t from)
{
	size_t len = 0;

	trace[0] = '\0';
	for (uint64_t i = from; i < th.reserve && len < sizeof(trace) - 16;
	     i++) {
		const struct cprof__rec *r = &th.ring[i];

		len += (size_t)snprintf(trace + len, sizeof(trace) - len,
					"%s%c%u", len ? " " : "",
					(r->tick & CPROF__REC_EXIT) ? 'X' : 'E',
					(unsigned)((r->addr - 0x10000) / 16));
	}
	return trace;
}

#define EXPECT_TRACE(from, want)                                        \
	do {                                                            \
		const char *got_ = ring_from(from);                     \
		if (strcmp(got_, (want)) != 0)                          \
			fprintf(stderr, "\n  want '%s'\n  got  '%s'\n", \
				(want), got_);                          \
		ASSERT_STR_EQ(got_, (want));                            \
	} while (0)

/*
 * The calls chunk the writer makes of the thread now, as
 * "fn@caller:calls ..." in its order ("_" for the bottom of the stack);
 * "" when it makes none.
 */
static const char *drain(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	size_t len = 0, off = 0;

	trace[0] = '\0';
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	cprof__adapt_drain(&th, &pk);
	msgpack_unpacked_init(&u);
	if (sb.size > 0 && msgpack_unpack_next(&u, sb.data, sb.size, &off) ==
				   MSGPACK_UNPACK_SUCCESS) {
		const msgpack_object_map *m = &u.data.via.map;

		CU_ASSERT_FATAL(u.data.type == MSGPACK_OBJECT_MAP);
		ASSERT_EQ(off, sb.size);
		for (uint32_t i = 0; i < m->size; i++) {
			const msgpack_object *k = &m->ptr[i].key;
			const msgpack_object *v = &m->ptr[i].val;

			if (k->via.str.size == 1 && k->via.str.ptr[0] == 't')
				CU_ASSERT(v->via.str.size == 10 &&
					  !memcmp(v->via.str.ptr, "edge_calls",
						  10));
			if (k->via.str.size == 3 &&
			    !memcmp(k->via.str.ptr, "tid", 3))
				ASSERT_EQ(v->via.u64, (uint64_t)th.tid);
			if (k->via.str.size != 5 ||
			    memcmp(k->via.str.ptr, "edges", 5))
				continue;
			CU_ASSERT_FATAL(v->type == MSGPACK_OBJECT_ARRAY);
			ASSERT_EQ(v->via.array.size % 3, 0);
			for (uint32_t j = 0; j + 2 < v->via.array.size;
			     j += 3) {
				const msgpack_object *e = &v->via.array.ptr[j];
				char a[16], b[16];

				CU_ASSERT_FATAL(
					e[1].type ==
					MSGPACK_OBJECT_POSITIVE_INTEGER);
				len += (size_t)snprintf(
					trace + len, sizeof(trace) - len,
					"%s%s@%s:%" PRIu64, len ? " " : "",
					fn_name(e[0].via.u64, a, sizeof a),
					fn_name(e[1].via.u64, b, sizeof b),
					e[2].via.u64);
			}
		}
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return trace;
}

/* Timed for its warm-up, counted after: counts exact across the switch. */
static void test_switch(void)
{
	setup(4, true);
	for (int i = 0; i < 10; i++)
		call(1, hi - 100);
	EXPECT_TRACE(0, "E1 X1 E1 X1 E1 X1 E1 X1");
	ASSERT_EQ(counted(1), 6);
	ASSERT_EQ(depth(), 0);
	ASSERT_STR_EQ(drain(), "1@_:6");
	/* Nothing new, no chunk; then only what is new. */
	ASSERT_STR_EQ(drain(), "");
	for (int i = 0; i < 3; i++)
		call(1, hi - 100);
	ASSERT_STR_EQ(drain(), "1@_:3");
	ASSERT_EQ(th.reserve, 8);
}

/* A threshold of 0: judged, and timed for good. */
static void test_timed(void)
{
	setup(4, false);
	for (int i = 0; i < 10; i++)
		call(1, hi - 100);
	ASSERT_EQ(th.reserve, 20);
	ASSERT_EQ(counted(1), 0);
	ASSERT_STR_EQ(drain(), "");
}

/* Spin until the cycle counter moved N ticks: a lower bound only. */
static void spin_ticks(uint64_t n)
{
	uint64_t t0 = cprof__ticks();

	while (cprof__ticks() - t0 < n)
		;
}

/* The enters of function FN in the ring. */
static unsigned enters(unsigned fn)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < th.reserve; i++)
		if (!(th.ring[i].tick & CPROF__REC_EXIT) &&
		    th.ring[i].addr == fns[fn])
			n++;
	return n;
}

/*
 * Judged on self time, and only as a leaf of the timed calls: a wrapper
 * around a long child never qualifies, since counting it would hide it
 * from the calling-context tree (its timed child would show under its
 * caller); the child (longer than the threshold by construction) is timed
 * for good after 16 windows, and so is the wrapper. A wrapper around a
 * tiny child qualifies once the child is counted: its calls then have no
 * timed descendant, and their self time is small.
 */
static void test_self_time(void)
{
	uint32_t i, slot = cprof__fn_hash(fns[2], fns[1]);

	setup(4, true);
	cprof__adapt.threshold = 100000;
	for (int n = 0; n < 70; n++) {
		enter(1, hi - 100);
		enter(2, hi - 200);
		spin_ticks(2 * cprof__adapt.threshold);
		leave(2, hi - 200);
		leave(1, hi - 100);
	}
	ASSERT_EQ(enters(2), 70);
	ASSERT_EQ(counted(2), 0);
	for (i = slot;
	     th.fns->slot[i].addr != fns[2] || th.fns->slot[i].caller != fns[1];
	     i = (i + 1) & (CPROF__FN_SLOTS - 1))
		;
	ASSERT_EQ(th.fns->slot[i].state, CPROF__FN_TIMED);
	ASSERT_EQ(counted(1), 0);
	ASSERT_EQ(enters(1), 70);
	ASSERT_EQ(depth(), 0);

	/* 3 calls 4, tiny: 4 is counted first, then 3 too. */
	for (int n = 0; n < 40; n++) {
		enter(3, hi - 100);
		call(4, hi - 200);
		leave(3, hi - 100);
	}
	ASSERT_EQ(enters(4) + counted(4), 40);
	CU_ASSERT(counted(4) > 0);
	CU_ASSERT(counted(3) > 0);
	ASSERT_EQ(enters(3) + counted(3), 40);
	ASSERT_EQ(depth(), 0);
}

/*
 * A counted function between timed ones: its frame still nests; a timed
 * call from it (3's first, warming) makes its edge timed from then on, so
 * that the tree keeps it: that one call of 3 shows under 1, the next call
 * of 2 is timed.
 */
static void test_nesting(void)
{
	setup(2, true);
	enter(1, hi - 100); /* entered once: still warming, timed */
	for (int i = 0; i < 2; i++)
		call(2, hi - 200); /* 2 is counted from 1 from now on */
	enter(2, hi - 200);
	call(3, hi - 300); /* the first call of 3: timed, 2 timed again */
	leave(2, hi - 200);
	enter(2, hi - 200);
	ASSERT_EQ(depth(), 2);
	leave(2, hi - 200);
	leave(1, hi - 100);
	EXPECT_TRACE(0, "E1 E2 X2 E2 X2 E3 X3 E2 X2 X1");
	ASSERT_EQ(counted(2), 1);
	ASSERT_EQ(depth(), 0);
	/* From the bottom of the stack, 2 is another edge: warming. */
	call(2, hi - 200);
	EXPECT_TRACE(10, "E2 X2");
}

/*
 * Recursion: direct recursion is an edge of its own, from the function to
 * itself. Every frame of a descent but the innermost has a timed child,
 * so the edge never qualifies: each level stays in the tree.
 */
static void test_recursion(void)
{
	setup(4, true);
	for (int r = 0; r < 40; r++) {
		for (int d = 0; d < 6; d++)
			enter(1, hi - 100 - 16 * (uintptr_t)d);
		for (int d = 5; d >= 0; d--)
			leave(1, hi - 100 - 16 * (uintptr_t)d);
	}
	ASSERT_EQ(enters(1), 240);
	ASSERT_EQ(counted(1), 0);
	ASSERT_EQ(depth(), 0);
	ASSERT_STR_EQ(drain(), "");
}

/*
 * A jump over a counted frame and a timed one: the runtime writes the
 * timed frame's exit, not the counted one's, whose enter it never wrote.
 */
static void test_jump(void)
{
	setup(1, true);
	enter(1, hi - 100);
	call(2, hi - 200); /* 2 is counted from 1 from now on */
	enter(2, hi - 200);
	enter(3, hi - 300);		/* first call of 3: timed */
	cprof__shadow_unwind(hi - 150); /* longjmp back into 1 */
	leave(1, hi - 100);
	EXPECT_TRACE(0, "E1 E2 X2 E3 X3 X1");
	ASSERT_EQ(counted(2), 1);
	ASSERT_EQ(depth(), 0);
	/*
	 * The exit hook of the counted frame closed last, late (a signal
	 * handler between gcc's epilogue and its exit hook): nothing.
	 */
	leave(2, hi - 200);
	ASSERT_EQ(th.reserve, 6);
}

/*
 * A full table: the functions it cannot hold are timed, every call of
 * them an event pair; those it holds are still counted.
 */
static void test_full(void)
{
	uint64_t before;
	unsigned f;

	setup(1, true);
	/* Some may land too far from their slot, and be timed, too. */
	for (f = 0; f < NFNS && th.fns->used < CPROF__FN_MAX; f++)
		call(f, hi - 100);
	ASSERT_EQ_FATAL(th.fns->used, CPROF__FN_MAX);
	before = th.reserve;
	for (int i = 0; i < 3; i++)
		call(f, hi - 100);
	ASSERT_EQ(th.reserve - before, 6);
	call(0, hi - 100);
	ASSERT_EQ(th.reserve - before, 6);
	ASSERT_EQ(counted(0), 1);
	ASSERT_EQ(counted(f), 0);
	ASSERT_EQ(depth(), 0);
}

/*
 * One tiny function called from two callers, a different number of times
 * from each: each edge is judged and counted on its own, and the chunk
 * holds each edge's exact count.
 */
static void test_edges(void)
{
	setup(2, true);
	enter(1, hi - 100);
	for (int i = 0; i < 7; i++)
		call(3, hi - 200);
	leave(1, hi - 100);
	enter(2, hi - 100);
	for (int i = 0; i < 12; i++)
		call(3, hi - 200);
	leave(2, hi - 100);
	/* Two warm-up calls timed per edge, the rest counted. */
	ASSERT_EQ(enters(3), 4);
	ASSERT_EQ(counted(3), 5 + 10);
	ASSERT_STR_EQ(edge_calls(3, 1), "5");
	ASSERT_STR_EQ(edge_calls(3, 2), "10");
	ASSERT_STR_EQ(drain(), edge_order(3, 1, 5, 2, 10));
	ASSERT_EQ(depth(), 0);
}

/* Time all: no table, every call timed. */
static void test_off(void)
{
	setup(1, true);
	cprof__adapt.on = false;
	cprof__adapt_attach(&th);
	ASSERT_EQ(th.fns == NULL, 1);
	for (int i = 0; i < 5; i++)
		call(1, hi - 100);
	ASSERT_EQ(th.reserve, 10);
	ASSERT_STR_EQ(drain(), "");
	th.fns = NULL;
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"timed, then counted", test_switch},
		{"timed for good", test_timed},
		{"judged on self time, in windows", test_self_time},
		{"counted frames nest", test_nesting},
		{"one function, two callers: exact edges", test_edges},
		{"recursion across the switch", test_recursion},
		{"a jump over counted frames", test_jump},
		{"a full table times the rest", test_full},
		{"time all", test_off},
	};

	if (tu_suite("adapt", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
