/*
 * calib.c - what one timed call costs on this machine, measured at start.
 *
 * A timed call pays the hooks' work twice over in the profile: what runs
 * between the enter hook's counter read and the exit hook's lands inside
 * the call's own measured interval (its self time grows by c_own), and
 * what runs before the enter hook's read and after the exit hook's lands
 * in its caller's self time (c_caller). The report subtracts both, per
 * call (doc/design.md, "The hybrid"). They are measured here, once, in
 * the process being profiled, before its log is opened: pairs of enter
 * and exit events go through the real hook entry points into a small
 * ring of a stand-in thread, which nothing drains; the enter-to-exit
 * ticks those events hold give c_own, the loop's ticks against an empty
 * loop's give c_own + c_caller. Each is the best of several rounds, so a
 * round an interrupt or a cache miss slowed down does not count; the
 * whole measurement takes well under a millisecond. The hooks are called
 * by their internal names (a program's own hooks may hold the global
 * ones), on a stand-in without adaptive timing's function table (its
 * look-up, a few instructions, is left out of the cost).
 *
 * Exact mode reads the counters at every event through the slow path,
 * which needs the thread's real descriptors and shadow stack: no
 * stand-in can take it. There the main thread measures itself once its
 * counters are open (cprof__calibrate_exact()), the counters' increments
 * too, and the result is a calib chunk rather than a header key.
 */
#include "config.h"

#include <msgpack.h>
#include <string.h>

#include "internal.h"

struct cprof__calib cprof__calib;

/* Pairs of events per round, and rounds. */
#define CALIB_PAIRS  256
#define CALIB_ROUNDS 9

/* The function the measured calls name: it never runs. */
static CPROF__NOINSTR __attribute__((noinline)) void calib_target(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* The stand-in thread's ring: the events of one round, and slack. */
static struct cprof__rec calib_ring[2 * CALIB_PAIRS + CPROF__RING_SLACK];
static struct cprof__frame calib_frames[4];

/* Ticks of the loop without hooks: its own cost, taken out. */
static CPROF__NOINSTR __attribute__((noinline)) uint64_t empty_round(void)
{
	uint64_t t0 = cprof__ticks();

	for (unsigned i = 0; i < CALIB_PAIRS; i++)
		__asm__ __volatile__("" ::: "memory");
	return cprof__ticks() - t0;
}

/*
 * One round through the hooks: the loop's ticks, and in *OWN the sum of
 * the enter-to-exit ticks of its calls.
 */
static CPROF__NOINSTR __attribute__((noinline)) uint64_t
hook_round(struct cprof__thread *t, uint64_t *own)
{
	void *fn = (void *)(uintptr_t)calib_target;
	uint64_t t0, t1, sum = 0;

	t->reserve = 0;
	atomic_store_explicit(&t->head, 0, memory_order_relaxed);
	t->ss_top = &calib_frames[0];
	t->ss_sp = UINTPTR_MAX;
	t0 = cprof__ticks();
	for (unsigned i = 0; i < CALIB_PAIRS; i++) {
		cprof__hook_enter(fn);
		cprof__hook_exit(fn);
	}
	t1 = cprof__ticks();
	if (t->reserve != 2 * CALIB_PAIRS)
		return UINT64_MAX; /* a signal handler recorded: not this one */
	for (unsigned i = 0; i < CALIB_PAIRS; i++) {
		uint64_t a = calib_ring[2 * i].tick & CPROF__TICK_MASK;
		uint64_t b = calib_ring[2 * i + 1].tick & CPROF__TICK_MASK;

		sum += b > a ? b - a : 0;
	}
	*own = sum;
	return t1 - t0;
}

CPROF__NOINSTR void cprof__calibrate(void)
{
	static struct cprof__thread t;
	struct cprof__thread *saved = cprof__tls_get();
	uint64_t best_all = UINT64_MAX, best_own = UINT64_MAX;
	uint64_t best_empty = UINT64_MAX;

	memset(&cprof__calib, 0, sizeof cprof__calib);
	/* Exact mode takes the slow path at every event: see above. */
	if (cprof__ctr.exact)
		return;
	memset(&t, 0, sizeof t);
	memset(calib_frames, 0, sizeof calib_frames);
	t.ring = calib_ring;
	t.limit = 2 * CALIB_PAIRS + CPROF__RING_SLACK / 2;
	t.ss_last = &calib_frames[3];
	t.tid = -1;
	cprof__tls_set(&t);
	for (unsigned r = 0; r < CALIB_ROUNDS; r++) {
		uint64_t own = 0, all = hook_round(&t, &own), e = empty_round();

		if (all == UINT64_MAX)
			continue;
		if (all < best_all)
			best_all = all;
		if (own < best_own)
			best_own = own;
		if (e < best_empty)
			best_empty = e;
	}
	cprof__tls_set(saved);
	if (best_all == UINT64_MAX)
		return;
	/*
	 * Each best is a lower bound of its mean: the report would rather
	 * leave a little hook time in than take program time out.
	 */
	best_all = best_all > best_empty ? best_all - best_empty : 0;
	cprof__calib.own_mt = best_own * 1000 / CALIB_PAIRS;
	cprof__calib.all_mt = best_all * 1000 / CALIB_PAIRS;
	cprof__calib.caller_mt =
		cprof__calib.all_mt > cprof__calib.own_mt
			? cprof__calib.all_mt - cprof__calib.own_mt
			: 0;
	cprof__calib.pairs = CALIB_PAIRS;
	cprof__calib.rounds = CALIB_ROUNDS;
	cprof__calib.done = true;
}

/* The header's "calib" map, when there is one (see doc/log-format.md). */
CPROF__NOINSTR void cprof__calib_pack(struct msgpack_packer *pk)
{
	msgpack_pack_map(pk, 4);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_OWN, cprof__calib.own_mt);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_CALLER, cprof__calib.caller_mt);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_PAIRS, cprof__calib.pairs);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_ROUNDS, cprof__calib.rounds);
}

/*
 * Exact mode: one round of CALIB_PAIRS calls through the hooks on the
 * calling thread T itself (its ring, its shadow stack, its counters),
 * then the events taken back out of the ring: the writer lock, held by
 * the caller, keeps the writer from draining them meanwhile. *OWN gets
 * the enter-to-exit ticks summed, OWNC the counters' enter-to-exit
 * increments summed, ALLC their increments over the loop; returns the
 * loop's ticks, or UINT64_MAX when the round could not be read.
 */
static CPROF__NOINSTR __attribute__((noinline)) uint64_t
exact_round(struct cprof__thread *t, uint64_t *own, uint64_t *ownc,
	    uint64_t *allc)
{
	void *fn = (void *)(uintptr_t)calib_target;
	const unsigned k = (unsigned)cprof__ctr.nev;
	uint64_t base = t->reserve, v0[CPROF_MAX_EVENTS], v1[CPROF_MAX_EVENTS];
	uint64_t t0, t1,
		sum = 0,
		tail = atomic_load_explicit(&t->tail, memory_order_acquire);

	/*
	 * Only where the round fits below the ring's limit: its slow path
	 * could drain the ring (no writer thread), and the round's events
	 * could not be taken back then.
	 */
	if (t->limit <= base || t->limit - base <= 2 * CALIB_PAIRS + 16)
		return UINT64_MAX;
	cprof__counters_read(t, v0);
	t0 = cprof__ticks();
	for (unsigned i = 0; i < CALIB_PAIRS; i++) {
		cprof__hook_enter(fn);
		cprof__hook_exit(fn);
	}
	t1 = cprof__ticks();
	cprof__counters_read(t, v1);
	if (atomic_load_explicit(&t->tail, memory_order_acquire) != tail) {
		/* Drained meanwhile: what it wrote stays, as events. */
		return UINT64_MAX;
	}
	if (t->reserve != base + 2 * CALIB_PAIRS || t->head != t->reserve) {
		t1 = UINT64_MAX;
	} else {
		memset(ownc, 0, k * sizeof *ownc);
		for (unsigned i = 0; i < CALIB_PAIRS; i++) {
			uint64_t a = (base + 2 * i) & (CPROF__RING_CAP - 1);
			uint64_t b = (base + 2 * i + 1) & (CPROF__RING_CAP - 1);
			uint64_t ta = t->ring[a].tick & CPROF__TICK_MASK;
			uint64_t tb = t->ring[b].tick & CPROF__TICK_MASK;

			sum += tb > ta ? tb - ta : 0;
			for (unsigned j = 0; j < k; j++) {
				uint64_t ca = t->cvals[a * k + j];
				uint64_t cb = t->cvals[b * k + j];

				ownc[j] += cb > ca ? cb - ca : 0;
			}
		}
		for (unsigned j = 0; j < k; j++)
			allc[j] = v1[j] > v0[j] ? v1[j] - v0[j] : 0;
		*own = sum;
	}
	/* Nothing of the round reaches the log. */
	t->reserve = base;
	atomic_store_explicit(&t->head, base, memory_order_release);
	return t1 == UINT64_MAX ? UINT64_MAX : t1 - t0;
}

CPROF__NOINSTR void cprof__calibrate_exact(struct cprof__thread *t)
{
	const unsigned k = (unsigned)cprof__ctr.nev;
	uint64_t best_all = UINT64_MAX, best_own = UINT64_MAX;
	uint64_t best_empty = UINT64_MAX, bownc[CPROF_MAX_EVENTS],
		 ballc[CPROF_MAX_EVENTS];

	if (!cprof__ctr.exact || t == NULL || t->cvals == NULL ||
	    t->cfd[0] < 0 || k == 0 || k > CPROF_MAX_EVENTS)
		return;
	for (unsigned j = 0; j < k; j++)
		bownc[j] = ballc[j] = UINT64_MAX;
	cprof__wlock();
	for (unsigned r = 0; r < CALIB_ROUNDS; r++) {
		uint64_t own = 0, ownc[CPROF_MAX_EVENTS],
			 allc[CPROF_MAX_EVENTS];
		uint64_t all = exact_round(t, &own, ownc, allc);
		uint64_t e = empty_round();

		if (e < best_empty)
			best_empty = e;
		if (all == UINT64_MAX)
			continue;
		if (all < best_all)
			best_all = all;
		if (own < best_own)
			best_own = own;
		for (unsigned j = 0; j < k; j++) {
			if (ownc[j] < bownc[j])
				bownc[j] = ownc[j];
			if (allc[j] < ballc[j])
				ballc[j] = allc[j];
		}
	}
	if (best_all != UINT64_MAX) {
		best_all = best_all > best_empty ? best_all - best_empty : 0;
		cprof__calib.own_mt = best_own * 1000 / CALIB_PAIRS;
		cprof__calib.all_mt = best_all * 1000 / CALIB_PAIRS;
		cprof__calib.caller_mt =
			cprof__calib.all_mt > cprof__calib.own_mt
				? cprof__calib.all_mt - cprof__calib.own_mt
				: 0;
		/*
		 * Counter increments: the reads around the loop count the
		 * loop's own instructions too, a few a pair, which is left
		 * in (a lower bound again).
		 */
		for (unsigned j = 0; j < k; j++) {
			cprof__calib.own_c[j] = bownc[j] * 1000 / CALIB_PAIRS;
			cprof__calib.caller_c[j] =
				ballc[j] > bownc[j] ? (ballc[j] - bownc[j]) *
							      1000 / CALIB_PAIRS
						    : 0;
		}
		cprof__calib.nc = k;
		cprof__calib.pairs = CALIB_PAIRS;
		cprof__calib.rounds = CALIB_ROUNDS;
		cprof__calib.done = true;
		cprof__log_calib();
	}
	cprof__wunlock();
}

/* The calib chunk of exact mode (doc/log-format.md), under the lock. */
CPROF__NOINSTR void cprof__calib_pack_chunk(struct msgpack_packer *pk)
{
	msgpack_pack_map(pk, 6);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_CALIB);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_OWN, cprof__calib.own_mt);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_CALLER, cprof__calib.caller_mt);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_PAIRS, cprof__calib.pairs);
	cprof__pack_kv_u64(pk, CPROF_KEY_CALIB_ROUNDS, cprof__calib.rounds);
	cprof__pack_str(pk, CPROF_KEY_CALIB_COUNTS);
	msgpack_pack_array(pk, 2 * cprof__calib.nc);
	for (unsigned j = 0; j < cprof__calib.nc; j++) {
		msgpack_pack_uint64(pk, cprof__calib.own_c[j]);
		msgpack_pack_uint64(pk, cprof__calib.caller_c[j]);
	}
}
