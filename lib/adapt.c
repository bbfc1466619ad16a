/*
 * adapt.c - adaptive timing: which functions the hot path times, and
 * which it only counts.
 *
 * Most of the cost of a profile, and most of its distortion, comes from
 * tiny functions called millions of times: each timed call reads the
 * cycle counter twice and stores two events, which costs more than the
 * function does. So each thread keeps a table of the call edges it made
 * (a function and its caller, the frame on top of the shadow stack at the
 * enter: open addressing on both, mapped with its ring, never from the
 * program's heap), and decides per edge, so that the counts it logs are
 * exact per (caller, callee) pair for the call graph and the tree; below,
 * "a function" is one edge of it. A function's first calls are timed as usual
 * (warming), in windows of cprof__adapt.warmup calls; when a window's
 * mean self time (its length less that of its timed descendants) was
 * below cprof__adapt.threshold ticks, its calls are only counted for the
 * rest of the thread's life: the hook still pushes its frame, marked
 * counted, so that recursion, nesting and non-local exits stay right, but
 * reads no clock and writes no event. After ROUNDS windows it stays
 * timed. Markers of
 * cprof.h are always timed; so is everything in exact mode, whose point
 * is per-function counter values, and with CPROF_TIME_ALL=1.
 *
 * The writer logs each thread's counts as edge_calls chunks
 * (doc/log-format.md) at each drain and at the thread's end. The threshold's
 * default is a multiple of the cost of a timed call, measured here at start by
 * running the hooks themselves on a scratch thread.
 */
#include "config.h"

#include <errno.h>
#include <msgpack.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct cprof__adapt cprof__adapt;

/*
 * The defaults: judge a function on windows of 128 timed calls, and
 * count it when they took less than 4 timed calls' cost of self time each
 * on average (see doc/design.md, "Adaptive timing", for the measurements
 * behind them).
 */
#define WARMUP_DEFAULT	 128
#define WARMUP_MAX	 1000000
#define THRESHOLD_TIMES	 4
#define THRESHOLD_NS_MAX 1000000000ull
/* Windows of warm-up calls judged before a function is timed for good. */
#define ROUNDS 16

/* Parse a decimal number in [MIN, MAX] from NAME; DEF when unset or bad. */
static CPROF__NOINSTR uint64_t env_num(const char *name, uint64_t min,
				       uint64_t max, uint64_t def, bool *set)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;
	int saved = errno;

	*set = false;
	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-' || v < min || v > max) {
		errno = saved;
		cprof__warn("ignoring bad", s, 0, name);
		return def;
	}
	errno = saved;
	*set = true;
	return v;
}

static CPROF__NOINSTR struct cprof__fntab *map_table(void)
{
	void *p =
		mmap(NULL, sizeof(struct cprof__fntab), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* A fork child's table starts empty: the parent logs its counts. */
	madvise(p, sizeof(struct cprof__fntab), MADV_WIPEONFORK);
	return p;
}

/* Calibration. */

/* The function whose calls are measured; the hooks never run it. */
static CPROF__NOINSTR __attribute__((noinline)) void calib_fn(void)
{
	__asm__ __volatile__("");
}

#define CALIB_CALLS  200
#define CALIB_ROUNDS 7

/*
 * Ticks of the fastest of CALIB_ROUNDS loops of CALIB_CALLS calls of the
 * hooks on the scratch thread T, with calib_fn in state STATE.
 */
static CPROF__NOINSTR uint64_t calib_loop(struct cprof__thread *t,
					  struct cprof__frame *frames,
					  uint32_t state)
{
	/* The edge from the bottom of the stack, whose address is 0. */
	struct cprof__fn *e =
		&t->fns->slot[cprof__fn_hash((uintptr_t)calib_fn, 0)];
	uint64_t best = UINT64_MAX;

	e->addr = (uintptr_t)calib_fn;
	e->caller = 0;
	e->state = state;
	for (int r = 0; r < CALIB_ROUNDS; r++) {
		uint64_t t0, t1;

		t->reserve = 0;
		atomic_store_explicit(&t->head, 0, memory_order_relaxed);
		t->limit = 4 * CALIB_CALLS; /* never the slow path */
		t->ss_top = frames;
		t->ss_sp = UINTPTR_MAX;
		t0 = cprof__ticks();
		for (int i = 0; i < CALIB_CALLS; i++) {
			cprof__hook_enter((void *)calib_fn);
			cprof__hook_exit((void *)calib_fn);
		}
		t1 = cprof__ticks();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best / CALIB_CALLS;
}

/*
 * Measure, on this machine and now, what a timed and a counted call cost
 * (enter and exit hooks, in ticks), by running the hooks on a scratch
 * thread with the calling thread's recording set aside; and the counter's
 * rate over the measurement, to turn a threshold given in nanoseconds
 * into ticks. Signals are blocked meanwhile: a handler's events would go
 * to the scratch ring. Returns the ticks per nanosecond times 2^20, 0 if
 * the scratch thread could not be made.
 */
static CPROF__NOINSTR uint64_t calibrate(void)
{
	const size_t ring = 1024 * sizeof(struct cprof__rec);
	const size_t frames_len = 16 * sizeof(struct cprof__frame);
	size_t len = sizeof(struct cprof__thread) + ring + frames_len;
	struct cprof__thread *saved = cprof__tls_get(), *t;
	struct cprof__frame *frames;
	uint64_t tk0, ns0, tk1, ns1, rate = 0;
	sigset_t all, old;
	char *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED)
		return 0;
	t = (struct cprof__thread *)m;
	t->ring = (struct cprof__rec *)(m + sizeof(*t));
	frames = (struct cprof__frame *)(m + sizeof(*t) + ring);
	frames[0].sp = UINTPTR_MAX;
	t->ss_last = frames + 15;
	t->tid = (pid_t)syscall(SYS_gettid);
	t->fns = map_table();
	if (!t->fns) {
		munmap(m, len);
		return 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	cprof__clock_point(&tk0, &ns0);
	cprof__tls_set(t);
	cprof__adapt.timed_call = calib_loop(t, frames, CPROF__FN_TIMED);
	cprof__adapt.counted_call = calib_loop(t, frames, CPROF__FN_COUNTED);
	cprof__tls_set(saved);
	/* At least 200 us between the points, for a rate within 0.1 %. */
	do
		cprof__clock_point(&tk1, &ns1);
	while (ns1 - ns0 < 200000);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (tk1 > tk0)
		rate = ((tk1 - tk0) << 20) / (ns1 - ns0);
	munmap(t->fns, sizeof(struct cprof__fntab));
	munmap(m, len);
	return rate;
}

CPROF__NOINSTR void cprof__adapt_config(void)
{
	const char *all = getenv(CPROF_ENV_TIME_ALL);
	uint64_t rate, ns;
	bool set;

	memset(&cprof__adapt, 0, sizeof(cprof__adapt));
	/* Exact mode reads the counters at every event: all are timed. */
	if ((all && strcmp(all, "1") == 0) || cprof__ctr.exact)
		return;
	cprof__adapt.warmup = (uint32_t)env_num(
		CPROF_ENV_ADAPT_WARMUP, 1, WARMUP_MAX, WARMUP_DEFAULT, &set);
	ns = env_num(CPROF_ENV_ADAPT_NS, 0, THRESHOLD_NS_MAX, 0, &set);
	rate = calibrate();
	if (!cprof__adapt.timed_call)
		return; /* no scratch memory: time everything */
	if (set) {
		cprof__adapt.threshold = rate ? (ns * rate) >> 20 : ns;
		cprof__adapt.threshold_ns = ns;
	} else {
		cprof__adapt.threshold =
			THRESHOLD_TIMES * cprof__adapt.timed_call;
		cprof__adapt.threshold_ns =
			rate ? (cprof__adapt.threshold << 20) / rate : 0;
	}
	cprof__adapt.on = true;
}

/* Threads. */

CPROF__NOINSTR void cprof__adapt_attach(struct cprof__thread *t)
{
	if (!cprof__adapt.on) {
		t->fns = NULL;
		return;
	}
	if (t->fns) {
		/* A ring reused: the thread before's functions are gone. */
		madvise(t->fns, sizeof(struct cprof__fntab), MADV_DONTNEED);
		return;
	}
	t->fns = map_table();
#ifdef MADV_POPULATE_WRITE
	/*
	 * With counters, no page of the runtime's is first touched inside
	 * a program frame (see runtime.c, populate()).
	 */
	if (t->fns && cprof__ctr.nev)
		madvise(t->fns, sizeof(struct cprof__fntab),
			MADV_POPULATE_WRITE);
#endif
}

/*
 * The table is mapped to be wiped on fork (MADV_WIPEONFORK, Linux 4.14);
 * emptied here too, for kernels without it. Frames open across the fork
 * keep their marks: counted ones still write nothing, warming ones find
 * their function no longer warming.
 */
CPROF__NOINSTR void cprof__adapt_forget(struct cprof__thread *t)
{
	if (t->fns)
		madvise(t->fns, sizeof(struct cprof__fntab), MADV_DONTNEED);
}

CPROF__NOINSTR uint64_t cprof__adapt_find(struct cprof__thread *t,
					  uintptr_t addr,
					  const struct cprof__frame *caller)
{
	struct cprof__fntab *tab = t->fns;
	uintptr_t from = caller->addr;
	uint32_t h = cprof__fn_hash(addr, from);

	for (unsigned p = 0; p < CPROF__FN_PROBES;
	     p++, h = (h + 1) & (CPROF__FN_SLOTS - 1)) {
		struct cprof__fn *e = &tab->slot[h];

		if (e->addr == addr && e->caller == from) {
			if (e->state == CPROF__FN_COUNTED) {
				cprof__fn_count(e);
				return CPROF__FRAME_COUNTED | h;
			}
			return e->state == CPROF__FN_WARM
				       ? CPROF__FRAME_WARM | h
				       : 0;
		}
		if (e->addr == 0) {
			/* A full table times the functions it cannot hold. */
			if (tab->used >= CPROF__FN_MAX)
				return 0;
			tab->used++;
			e->caller = from;
			e->caller_site = (caller->flags & CPROF__REC_SITE) != 0;
			e->addr = addr;
			e->state = CPROF__FN_WARM;
			return CPROF__FRAME_WARM | h;
		}
	}
	return 0; /* too far from its slot: timed */
}

CPROF__NOINSTR void cprof__adapt_retime(struct cprof__thread *t,
					const struct cprof__frame *f)
{
	struct cprof__fn *e;

	if (!t->fns)
		return;
	e = &t->fns->slot[f->flags & CPROF__FRAME_SLOT];
	/* The table may have been wiped since (fork): then nothing to do. */
	if (e->addr == f->addr && e->state == CPROF__FN_COUNTED)
		e->state = CPROF__FN_TIMED;
}

CPROF__NOINSTR void cprof__adapt_warm_exit(struct cprof__thread *t,
					   uint64_t slot, uint64_t dur,
					   uint64_t kids)
{
	/* Its self time; a call with timed descendants fails its window. */
	uint64_t d = kids == 0 ? dur : UINT64_MAX / 2;

	struct cprof__fntab *tab = t->fns;
	struct cprof__fn *e;

	/*
	 * The frame may be older than the table's contents: entered before
	 * the function was judged (recursion), or before a fork that wiped
	 * the table.
	 */
	if (!tab)
		return;
	e = &tab->slot[slot];
	if (e->state != CPROF__FN_WARM)
		return;
	e->sum = e->sum + d < e->sum ? UINT64_MAX / 2 : e->sum + d;
	if (++e->warm < cprof__adapt.warmup)
		return;
	if (e->sum >= cprof__adapt.threshold * e->warm) {
		/*
		 * Judged again on the next window: the first calls of a
		 * program are its slowest (cold caches, page faults).
		 */
		if (++e->rounds >= ROUNDS)
			e->state = CPROF__FN_TIMED;
		e->sum = 0;
		e->warm = 0;
		return;
	}
	uint32_t n = atomic_load_explicit(&tab->ncounted, memory_order_relaxed);

	if (n >= CPROF__FN_MAX) {
		e->state = CPROF__FN_TIMED;
		return;
	}
	/* Logged counts start at zero; published before the state changes. */
	e->sum = 0;
	atomic_store_explicit(&e->calls, 0, memory_order_relaxed);
	tab->list[n] = (uint32_t)slot;
	atomic_store_explicit(&tab->ncounted, n + 1, memory_order_release);
	e->state = CPROF__FN_COUNTED;
}

/* The log. */

CPROF__NOINSTR void cprof__adapt_drain(struct cprof__thread *t,
				       struct msgpack_packer *pk)
{
	struct cprof__fntab *tab = t->fns;
	uint32_t n, k = 0, i, w;

	if (!tab)
		return;
	n = atomic_load_explicit(&tab->ncounted, memory_order_acquire);
	for (i = 0; i < n; i++) {
		struct cprof__fn *e = &tab->slot[tab->list[i]];

		if (atomic_load_explicit(&e->calls, memory_order_relaxed) !=
		    e->sum)
			k++;
	}
	if (k == 0)
		return;
	/*
	 * Counts only grow: every function found changed above is found
	 * again; one that changed since waits for the next chunk.
	 */
	msgpack_pack_map(pk, 3);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_EDGE_CALLS);
	cprof__pack_kv_u64(pk, CPROF_KEY_TID, (uint64_t)t->tid);
	cprof__pack_str(pk, CPROF_KEY_EDGES);
	msgpack_pack_array(pk, 3 * (size_t)k);
	for (i = 0, w = 0; i < n && w < k; i++) {
		struct cprof__fn *e = &tab->slot[tab->list[i]];
		uint64_t c =
			atomic_load_explicit(&e->calls, memory_order_relaxed);

		if (c == e->sum)
			continue;
		msgpack_pack_uint64(pk, (uint64_t)e->addr);
		cprof__pack_site(pk, e->caller, e->caller_site);
		msgpack_pack_uint64(pk, c - e->sum);
		e->sum = c;
		w++;
	}
}

CPROF__NOINSTR void cprof__adapt_pack_header(struct msgpack_packer *pk)
{
	msgpack_pack_map(pk, 5);
	cprof__pack_kv_u64(pk, CPROF_KEY_WARMUP, cprof__adapt.warmup);
	cprof__pack_kv_u64(pk, CPROF_KEY_THRESHOLD, cprof__adapt.threshold);
	cprof__pack_kv_u64(pk, CPROF_KEY_THRESHOLD_NS,
			   cprof__adapt.threshold_ns);
	cprof__pack_kv_u64(pk, CPROF_KEY_TIMED_CALL, cprof__adapt.timed_call);
	cprof__pack_kv_u64(pk, CPROF_KEY_COUNTED_CALL,
			   cprof__adapt.counted_call);
}
