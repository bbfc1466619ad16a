/*
 * profile.c - a run read into per-function, per-thread and frame tables.
 *
 * This is where marker events become time. Each log is read once, in
 * order; every thread keeps a stack of open frames and, per function,
 * calls, self and total time in ticks of its process's counter. When a log
 * ends, its ticks are converted to nanoseconds with the process's clock
 * calibration, its addresses are named, and its rows are merged into the
 * run's tables, keyed by (function name, object). Memory grows with the
 * number of functions, threads, frame names and processes, never with the
 * number of events: per event there are only array look-ups and stack
 * operations.
 *
 * The rules (doc/log-format.md):
 *  - self = duration - time of the callees; total is added only when the
 *    outermost activation of a function on a thread closes, so recursion
 *    is counted once;
 *  - an exit of a frame deeper in the stack closes the frames above it
 *    (longjmp, exceptions); an exit of a frame not open at all (opened
 *    before fork() or before the runtime started) is a call that began at
 *    the start of the thread's stream, whose callees are every root-level
 *    frame closed since, or, with frames open, a call whose enter was lost;
 *  - frames still open when the stream ends close at the last known time
 *    of the process and mark the thread unfinished;
 *  - a return to depth 0 closes a root frame (named ""), whose length is
 *    that of the root-level call; a frame mark closes the frame of its
 *    name, whose length is the time since the previous mark of that name
 *    on the thread, or since the start of the thread's stream.
 *
 * With perf_event counters (the header's "events"), the same stack
 * machine carries them:
 *  - sampling: a sample belongs to the frames open on its thread at its
 *    time, once every marker event at that time has run (enter inclusive,
 *    exit exclusive). Its deltas go to the innermost frame's self counts
 *    and, once per function, to the totals of every function on the
 *    stack. Samples are CLOCK_MONOTONIC ns, placed on the tick timeline
 *    with the calibration known so far. A thread's marker events wait for
 *    the samples of their drain (flush_thread() says why that is enough
 *    and bounded); a sample with no frame open, or of a program without
 *    markers, goes to the function holding its address (and its
 *    callchain's functions get it in their totals);
 *  - exact: the counters' values at each marker event are summed like
 *    time, self = delta - the callees' deltas, total once;
 *  - a thread's counts are scaled by its enabled / running time when the
 *    kernel multiplexed its group (scale());
 *  - the distortion check compares each function's share of marker self
 *    time with its share of CPU-time or cycles samples (distortion()).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* Marks a site-map entry that is a frame mark rather than a function. */
#define FRAME_BIT 0x80000000u
/*
 * The runtime's own events (doc/log-format.md): a switch to the context
 * in the low bits, and the stack leaving every stack the runtime knows.
 * Neither opens a frame. SPECIAL tests for any of the three.
 */
#define SWITCH_BIT    0x40000000u
#define UNKNOWN_STACK 0x20000000u
#define SPECIAL	      (FRAME_BIT | SWITCH_BIT | UNKNOWN_STACK)
/* A thread's frame-mark time not set yet. */
#define NO_MARK UINT64_MAX

/*
 * Frame lengths are only known in ticks until the log ends and fixes the
 * clock rate, so they are counted in a finer histogram first: 32 exact
 * buckets, then 16 per power of two. A bucket's lower bound converted to
 * nanoseconds picks its log2 bucket; this is exact whenever one tick is a
 * power of two of nanoseconds (1 for CLOCK_MONOTONIC) and otherwise off
 * only for lengths within 1/16 of a power of two.
 */
#define FINE_EXACT   32
#define FINE_SUB     16
#define FINE_BUCKETS (FINE_EXACT + (64 - 5) * FINE_SUB)

/*
 * A function or marker site of one process, or a function that samples
 * landed in outside any marker, named when first met ("resolved").
 */
struct pfunc {
	enum cp_site_kind kind;
	uint64_t addr; /* CP_SITE_ADDR */
	size_t gen;    /* the load map's generation when first seen */
	int moved;     /* its object was replaced: no longer matched */
	int resolved;  /* named already: name, object, file, line */
	const char *name, *file; /* markers and resolved, interned */
	const char *object;	 /* resolved */
	int line;
};

/*
 * Counters, per function and thread: CS_STRIDE(k) numbers for k counters,
 * self[k], total[k], then the samples with the function innermost, and
 * the leader's count in those of them taken inside a marker frame.
 */
#define CS_SAMPLES(k) (2 * (k))
#define CS_LEAD(k)    (2 * (k) + 1)
#define CS_STRIDE(k)  (2 * (k) + 2)

/* A sample waiting for the marker stream of its thread to reach it. */
struct qsample {
	uint64_t ns; /* CLOCK_MONOTONIC */
	uint64_t tk; /* on the marker timeline, once converted */
	uint64_t ip;
	size_t chain; /* its return addresses: thr.qchain + chain */
	size_t nchain;
};

/* Per function and thread, in ticks. */
struct tstat {
	uint64_t calls, self, total;
	uint64_t active; /* activations open on the stack */
};

struct open_frame {
	uint64_t start, children;
	uint32_t fid;
};

/* A frame name of one process, with lengths in ticks. */
struct pframe {
	const char *name;
	uint64_t count, total, min, max;
	uint64_t *fine; /* FINE_BUCKETS counts, allocated on first use */
};

/*
 * The open frames of one execution context of a thread (a ucontext
 * coroutine, or the thread's own stack: id 0), kept while another runs.
 */
struct tctx {
	uint64_t id;
	struct open_frame *stack;
	size_t depth, capstack;
	uint64_t base_children;
	uint64_t *cf;
	size_t capcf;
	uint64_t out_tk; /* when it was switched out */
	uint64_t *out_v; /* exact mode: the counters then */
};

struct thr {
	int tid;
	const char *name;
	int has_start, has_end, seen, replaced, unfinished;
	int unreliable; /* an unknown-stack event: numbers unsure */
	/* Execution contexts: the one running is ctxs[cur], in the fields. */
	struct tctx *ctxs;
	size_t nctx, capctx, cur;
	uint64_t start, end;
	uint64_t origin; /* start of the stream: start record or first event */
	uint64_t last;	 /* time of the last event */
	uint64_t stop;	 /* where the stream ends, set when the log does */
	struct open_frame *stack;
	size_t depth, capstack;
	struct tstat *st; /* indexed by pfunc */
	size_t nst;
	uint64_t base_children; /* root-level time since the stream start */
	uint64_t *marks;	/* last frame mark, indexed by pframe */
	size_t nmarks;

	/* Counters (proc.nc > 0): CS_STRIDE numbers per pfunc. */
	uint64_t *cs;
	size_t ncs;
	int counted;	  /* it had samples, totals or exact values */
	uint64_t samples; /* taken */
	uint64_t marked;  /* of those, placed inside a marker frame */
	uint64_t lost, throttled;
	int has_totals; /* its last counts chunk: */
	uint64_t *totals, enabled, running;
	uint64_t *own; /* exact mode: the runtime's share of totals, or NULL */

	/*
	 * Sampling mode: marker events wait in pend (site ids already
	 * mapped) until the samples of their drain are in, then run with
	 * the queued samples interleaved by time. qconv samples from qhead
	 * on have their tick; blast is the last tick buffered, smax the
	 * latest sample time, wm and wm_prev its value at the last two
	 * counts chunks (the end of a drain).
	 */
	struct cp_log_event *pend;
	size_t npend, cappend;
	uint64_t blast;
	struct qsample *q;
	size_t qhead, qconv, nq, capq;
	uint64_t *qnum; /* nc deltas per queued sample */
	size_t capqnum;
	uint64_t *qchain;
	size_t nqchain, capqchain;
	uint64_t smax, wm, wm_prev;
	int processed; /* some marker event has run: last is meaningful */

	/*
	 * Exact mode: per open frame, the counters at its enter then its
	 * children's deltas (2 nc each); cx holds the last values, those at
	 * the stream's origin and the root-level deltas since (nc each).
	 */
	uint64_t *cf;
	size_t capcf;
	uint64_t *cx;
	int has_values;
};

/* A counter of a process's header. */
struct pcounter {
	const char *name; /* interned */
	uint64_t type, config;
};

/* A sampled address, and the function it was named as. */
struct ipent {
	uint64_t addr;
	uint32_t fid;
};

/* A callchain entry, and whether the instruction before it is a call. */
struct retent {
	uint64_t addr;
	int ok;
};

struct proc {
	struct loader *ld;
	const char *log;
	int has_header;
	int pid, ppid;
	const char *exe;
	const char *own_hooks; /* NULL: the hooks reach the runtime */
	/*
	 * The runtime's own object (header "runtime"), NULL when unknown,
	 * and where it is mapped (from the map chunks); its row, rt_fid,
	 * once has_rt.
	 */
	const char *runtime;
	uint64_t rt_segs[2 * 8];
	size_t nrt_segs;
	int has_rt;
	uint32_t rt_fid;

	/* Calibration: the points with the lowest and highest ticks. */
	uint64_t hz;
	size_t npoints;
	uint64_t lo_t, lo_ns, hi_t, hi_ns;
	uint64_t num, den, anchor_t, anchor_ns; /* set by calibrate() */
	int has_clock; /* the header has a calibration point */
	uint64_t clock_ns;

	int has_end;
	uint64_t end_ticks, end_ns;
	const char *end_reason;
	int signal;
	uint64_t lost, events, skipped;

	struct cp_symmap *map;
	struct pfunc *pf;
	size_t npf, cappf;
	struct cp_index addr_ix, marker_ix, thr_ix;
	struct pframe *fr;
	size_t nfr, capfr;
	struct thr *th;
	size_t nth, capth;
	uint32_t *sitemap;
	size_t capsitemap;

	/* Counters (header "events"): nc is 0 without. */
	size_t nc;
	int exact, callchain;
	uint64_t period, freq;
	struct pcounter *cnt;
	uint32_t *runidx; /* the run's counter of each, set at the end */
	uint64_t samples, slost, sthrottled, unplaced;
	int finishing; /* calibrate() has fixed the clock rate */
	/* Sample addresses named so far, and the functions they name. */
	struct ipent *ips;
	size_t nips, capips;
	struct cp_index ip_ix, sym_ix;
	/* Callchain entries checked: are they return addresses? */
	struct retent *rets;
	size_t nrets, caprets;
	struct cp_index ret_ix;
	uint64_t chains, broken; /* see chain_check() */
	/* Each function's mark of the sample being placed. */
	uint64_t *stamp;
	size_t capstamp;
	uint64_t serial;
};

struct loader {
	struct cp_profile *p;
	struct cp_pool *pool;
	struct cp_symbols *syms;
	struct cp_index func_ix;
	size_t capfuncs, capthreads, capprocs, capframes;
	uint32_t *rowof; /* scratch: global function -> thread row */
	size_t caprowof;
	size_t capcounters;
	/*
	 * The distortion check, over the threads whose leader is the run's
	 * dist counter: per run function, marker self time and the leader's
	 * count in the samples it was innermost in inside markers; dn is the
	 * number of samples inside markers.
	 */
	int has_dist;
	size_t dist;
	uint64_t *dtime, *dlead;
	size_t capdist;
	uint64_t dn;
};

static const char *intern(struct proc *pr, struct cp_bytes b)
{
	return cp_pool_intern(pr->ld->pool, b.ptr, b.len);
}

/* Calibration and conversion. */

static void add_point(struct proc *pr, uint64_t ticks, uint64_t ns)
{
	if (pr->npoints == 0 || ticks < pr->lo_t) {
		pr->lo_t = ticks;
		pr->lo_ns = ns;
	}
	if (pr->npoints == 0 || ticks > pr->hi_t) {
		pr->hi_t = ticks;
		pr->hi_ns = ns;
	}
	pr->npoints++;
}

static void calibrate(struct proc *pr)
{
	pr->anchor_t = pr->lo_t;
	pr->anchor_ns = pr->lo_ns;
	if (pr->hz != 0) {
		pr->num = 1000000000;
		pr->den = pr->hz;
		return;
	}
	if (pr->npoints >= 2 && pr->hi_t > pr->lo_t && pr->hi_ns > pr->lo_ns) {
		pr->num = pr->hi_ns - pr->lo_ns;
		pr->den = pr->hi_t - pr->lo_t;
		return;
	}
	pr->num = pr->den = 1;
	if (pr->events == 0)
		return;
	if (pr->npoints >= 2)
		warnx("%s: its clock calibration points do not advance: "
		      "assuming 1 tick = 1 ns",
		      pr->log);
	else
		warnx("%s: %s clock calibration point: assuming 1 tick = 1 ns",
		      pr->log, pr->npoints == 0 ? "no" : "only one");
}

static uint64_t to_ns(const struct proc *pr, uint64_t ticks)
{
	unsigned __int128 v = (unsigned __int128)ticks * pr->num / pr->den;

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t to_mono(const struct proc *pr, uint64_t ticks)
{
	uint64_t d;

	if (ticks >= pr->anchor_t) {
		d = to_ns(pr, ticks - pr->anchor_t);
		return d > UINT64_MAX - pr->anchor_ns ? UINT64_MAX
						      : pr->anchor_ns + d;
	}
	d = to_ns(pr, pr->anchor_t - ticks);
	return d > pr->anchor_ns ? 0 : pr->anchor_ns - d;
}

/* Frames. */

static unsigned fine_bucket(uint64_t d)
{
	unsigned e;

	if (d < FINE_EXACT)
		return (unsigned)d;
	e = 63 - (unsigned)__builtin_clzll(d);
	return FINE_EXACT + (e - 5) * FINE_SUB +
	       (unsigned)((d >> (e - 4)) & (FINE_SUB - 1));
}

static uint64_t fine_lower(unsigned b)
{
	unsigned e;

	if (b < FINE_EXACT)
		return b;
	e = (b - FINE_EXACT) / FINE_SUB + 5;
	return (uint64_t)(FINE_SUB + (b - FINE_EXACT) % FINE_SUB) << (e - 4);
}

static void frame_add(struct proc *pr, uint32_t idx, uint64_t d)
{
	struct pframe *f = &pr->fr[idx];

	if (f->fine == NULL) {
		f->fine = xcalloc(FINE_BUCKETS, sizeof *f->fine);
		f->min = d;
	}
	f->count++;
	f->total += d;
	if (d < f->min)
		f->min = d;
	if (d > f->max)
		f->max = d;
	f->fine[fine_bucket(d)]++;
}

static uint32_t frame_get(struct proc *pr, const char *name)
{
	/* A process has a handful of frame names: a scan is enough. */
	for (size_t i = 0; i < pr->nfr; i++) {
		if (pr->fr[i].name == name)
			return (uint32_t)i;
	}
	pr->fr = xgrow(pr->fr, &pr->capfr, pr->nfr + 1, sizeof *pr->fr);
	memset(&pr->fr[pr->nfr], 0, sizeof *pr->fr);
	pr->fr[pr->nfr].name = name;
	return (uint32_t)pr->nfr++;
}

/* Threads. */

struct thr_key {
	const struct proc *pr;
	int tid;
};

static int thr_eq(const void *ctx, uint32_t id)
{
	const struct thr_key *k = ctx;
	const struct thr *t = &k->pr->th[id];

	return t->tid == k->tid && !t->replaced;
}

/*
 * The thread TID is running now. A tid whose thread has ended belongs to
 * a new thread when it shows up again.
 */
static struct thr *thread_get(struct proc *pr, int tid)
{
	struct thr_key k = {pr, tid};
	uint64_t h = cp_hash_u64((uint64_t)(uint32_t)tid);
	uint32_t id = cp_index_find(&pr->thr_ix, h, thr_eq, &k);
	struct thr *t;

	if (id != CP_INDEX_NONE) {
		if (!pr->th[id].has_end)
			return &pr->th[id];
		pr->th[id].replaced = 1;
	}
	pr->th = xgrow(pr->th, &pr->capth, pr->nth + 1, sizeof *pr->th);
	t = &pr->th[pr->nth];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	t->name = cp_pool_str(pr->ld->pool, "");
	cp_index_add(&pr->thr_ix, h, (uint32_t)pr->nth);
	pr->nth++;
	return t;
}

/*
 * The thread TID, for counter chunks: those of a thread that ended come
 * before its end record, but nothing makes that a rule for readers, so an
 * ended thread is not replaced here.
 */
static struct thr *thread_find(struct proc *pr, int tid)
{
	struct thr_key k = {pr, tid};
	uint64_t h = cp_hash_u64((uint64_t)(uint32_t)tid);
	uint32_t id = cp_index_find(&pr->thr_ix, h, thr_eq, &k);

	return id != CP_INDEX_NONE ? &pr->th[id] : thread_get(pr, tid);
}

/* Functions of one process. */

static int addr_eq(const void *ctx, uint32_t id)
{
	const struct cp_log_site *s =
		((const struct cp_log_site *const *)ctx)[1];
	const struct proc *pr = ((const struct proc *const *)ctx)[0];

	return pr->pf[id].kind == CP_SITE_ADDR && pr->pf[id].addr == s->addr &&
	       !pr->pf[id].moved && !pr->pf[id].resolved;
}

struct marker_key {
	const struct proc *pr;
	enum cp_site_kind kind;
	const char *name, *file;
	int line;
};

static int marker_eq(const void *ctx, uint32_t id)
{
	const struct marker_key *k = ctx;
	const struct pfunc *f = &k->pr->pf[id];

	return f->kind == k->kind && f->name == k->name && f->file == k->file &&
	       f->line == k->line;
}

static uint32_t pfunc_new(struct proc *pr, const struct pfunc *f)
{
	pr->pf = xgrow(pr->pf, &pr->cappf, pr->npf + 1, sizeof *pr->pf);
	pr->pf[pr->npf] = *f;
	return (uint32_t)pr->npf++;
}

/* The site-map entry of a site: a function id, or FRAME_BIT | frame. */
static uint32_t site_id(struct proc *pr, const struct cp_log_site *s)
{
	struct pfunc f = {.kind = s->kind, .addr = s->addr, .line = s->line};
	struct marker_key mk;
	uint64_t h;
	uint32_t id;

	if (s->kind == CP_SITE_ADDR) {
		const void *ctx[2] = {pr, s};

		h = cp_hash_u64(s->addr);
		id = cp_index_find(&pr->addr_ix, h, addr_eq, ctx);
		if (id == CP_INDEX_NONE) {
			f.gen = cp_symmap_gen(pr->map);
			id = pfunc_new(pr, &f);
			cp_index_add(&pr->addr_ix, h, id);
		}
		return id;
	}
	if (s->kind == CP_SITE_FRAME)
		return FRAME_BIT | frame_get(pr, intern(pr, s->name));
	if (s->kind == CP_SITE_SWITCH)
		return SWITCH_BIT | (uint32_t)(s->ctx & (UNKNOWN_STACK - 1));
	if (s->kind == CP_SITE_UNKNOWN_STACK)
		return UNKNOWN_STACK;

	mk.pr = pr;
	mk.kind = s->kind;
	mk.name = intern(pr, s->name);
	mk.file = intern(pr, s->file);
	mk.line = s->line;
	h = cp_hash_u64((uintptr_t)mk.name ^
			cp_hash_u64((uintptr_t)mk.file ^
				    ((uint64_t)s->line << 3) ^
				    (uint64_t)s->kind));
	id = cp_index_find(&pr->marker_ix, h, marker_eq, &mk);
	if (id == CP_INDEX_NONE) {
		f.name = mk.name;
		f.file = mk.file;
		id = pfunc_new(pr, &f);
		cp_index_add(&pr->marker_ix, h, id);
	}
	return id;
}

/* The stack machine. */

static inline uint64_t *cs_at(const struct proc *pr, const struct thr *t,
			      uint32_t fid)
{
	return t->cs + (size_t)fid * CS_STRIDE(pr->nc);
}

/*
 * Give T a slot for every function and frame name of its process, and
 * the process a sample mark for every function.
 */
static void thread_reserve(struct proc *pr, struct thr *t)
{
	if (t->nst < pr->npf) {
		size_t old = t->nst, cap = t->nst;

		t->st = xgrow(t->st, &cap, pr->npf, sizeof *t->st);
		memset(t->st + old, 0, (cap - old) * sizeof *t->st);
		t->nst = cap;
	}
	if (t->nmarks < pr->nfr) {
		size_t old = t->nmarks, cap = t->nmarks;

		t->marks = xgrow(t->marks, &cap, pr->nfr, sizeof *t->marks);
		for (size_t i = old; i < cap; i++)
			t->marks[i] = NO_MARK;
		t->nmarks = cap;
	}
	if (pr->nc > 0 && t->ncs < pr->npf) {
		size_t old = t->ncs, cap = t->ncs, w = CS_STRIDE(pr->nc);

		t->cs = xgrow(t->cs, &cap, pr->npf, w * sizeof *t->cs);
		memset(t->cs + old * w, 0, (cap - old) * w * sizeof *t->cs);
		t->ncs = cap;
	}
	if (pr->nc > 0 && pr->capstamp < pr->npf) {
		size_t old = pr->capstamp;

		pr->stamp = xgrow(pr->stamp, &pr->capstamp, pr->npf,
				  sizeof *pr->stamp);
		memset(pr->stamp + old, 0,
		       (pr->capstamp - old) * sizeof *pr->stamp);
	}
}

/* Exact mode: the frame just pushed on T starts with the values V. */
static void exact_push(struct proc *pr, struct thr *t, const uint64_t *v)
{
	size_t k = pr->nc;
	uint64_t *f;

	t->cf = xgrow(t->cf, &t->capcf, t->depth, 2 * k * sizeof *t->cf);
	f = t->cf + (t->depth - 1) * 2 * k;
	memcpy(f, v, k * sizeof *f);
	memset(f + k, 0, k * sizeof *f);
}

/*
 * Exact mode: the frame of FID at depth t->depth closed with the values
 * V. Counts are summed exactly like time: self = delta - the children's
 * deltas, total only when OUTER (its outermost activation) closes.
 */
static void exact_pop(struct proc *pr, struct thr *t, uint32_t fid, int outer,
		      const uint64_t *v)
{
	size_t k = pr->nc;
	const uint64_t *f = t->cf + t->depth * 2 * k;
	uint64_t *c = cs_at(pr, t, fid);
	uint64_t *up = t->depth > 0 ? t->cf + (t->depth - 1) * 2 * k + k
				    : t->cx + 2 * k;

	for (size_t j = 0; j < k; j++) {
		/* Counters only grow; a damaged value counts nothing. */
		uint64_t d = v[j] > f[j] ? v[j] - f[j] : 0;

		c[j] += d > f[k + j] ? d - f[k + j] : 0;
		if (outer)
			c[k + j] += d;
		up[j] += d;
	}
}

/*
 * Close the innermost open frame of T at TK. ROOT says whether reaching
 * depth 0 ends a root frame: not when the stream ends with frames still
 * open, since such a frame was cut, not finished. V, in exact mode, holds
 * the counters' values at TK; NULL otherwise.
 */
static inline __attribute__((always_inline)) void
pop(struct proc *pr, struct thr *t, uint64_t tk, int root, const uint64_t *v)
{
	struct open_frame *f = &t->stack[--t->depth];
	struct tstat *s = &t->st[f->fid];
	uint64_t d = tk - f->start;
	int outer;

	s->calls++;
	s->self += d - f->children;
	outer = --s->active == 0;
	if (outer)
		s->total += d;
	if (v != NULL)
		exact_pop(pr, t, f->fid, outer, v);
	if (t->depth > 0) {
		t->stack[t->depth - 1].children += d;
	} else {
		t->base_children += d;
		if (root)
			frame_add(pr, 0, d);
	}
}

static void frame_mark(struct proc *pr, struct thr *t, uint32_t idx,
		       uint64_t tk)
{
	uint64_t prev = t->marks[idx];

	if (prev == NO_MARK)
		prev = t->origin;
	frame_add(pr, idx, tk - prev);
	t->marks[idx] = tk;
}

/* An exit that is not of the innermost open frame; V as for pop(). */
static void exit_slow(struct proc *pr, struct thr *t, uint32_t id, uint64_t tk,
		      const uint64_t *v)
{
	struct tstat *s;
	uint64_t d;
	size_t k;

	if (id & SPECIAL)
		return; /* a frame mark has no exit, the runtime's events none
			 */
	for (k = t->depth; k > 0; k--) {
		if (t->stack[k - 1].fid == id)
			break;
	}
	if (k > 0) {
		/* Deeper in the stack: the frames above were jumped over. */
		while (t->depth >= k)
			pop(pr, t, tk, 1, v);
		return;
	}

	s = &t->st[id];
	if (t->depth > 0) {
		/*
		 * A frame from before the stream encloses everything in it,
		 * so it cannot return while frames opened since are open:
		 * the enter of this call was lost. It counts as a call of
		 * unknown length, and the open frames stay as they are.
		 */
		s->calls++;
		return;
	}

	/*
	 * Not open at all: the call began before this stream did. Every
	 * activation of the function on this thread so far lies inside this
	 * one, so its total becomes exactly this call's length: recursion
	 * stays counted once. Counters go the same way, from the values at
	 * the stream's origin.
	 */
	d = tk - t->origin;
	s->calls++;
	s->self += d > t->base_children ? d - t->base_children : 0;
	s->total = d;
	t->base_children = d;
	if (v != NULL) {
		size_t n = pr->nc;
		uint64_t *c = cs_at(pr, t, id), *origin = t->cx + n,
			 *base = t->cx + 2 * n;

		for (size_t j = 0; j < n; j++) {
			uint64_t dv = v[j] > origin[j] ? v[j] - origin[j] : 0;

			c[j] += dv > base[j] ? dv - base[j] : 0;
			c[n + j] = dv;
			base[j] = dv;
		}
	}
}

/*
 * Context ID of T runs from TK on (a ucontext switch): the frames open in
 * the context that ran stay open, aside, until it runs again. The time a
 * context spends switched out is no one's in it: its open frames' starts
 * (and exact-mode values V) move on by that much when it resumes, so a
 * coroutine's frames count the time it ran, and a frame that switched to
 * others does not count their time as its own.
 */
static void switch_ctx(struct proc *pr, struct thr *t, uint64_t id, uint64_t tk,
		       const uint64_t *v)
{
	const size_t k = pr->nc;
	struct tctx *c;
	size_t i;

	if (t->nctx == 0) {
		/* The thread's own context, id 0, ran until now. */
		t->ctxs = xgrow(t->ctxs, &t->capctx, 1, sizeof *t->ctxs);
		memset(&t->ctxs[0], 0, sizeof t->ctxs[0]);
		t->nctx = 1;
		t->cur = 0;
	}
	c = &t->ctxs[t->cur];
	if (c->id == id)
		return;
	c->stack = t->stack;
	c->depth = t->depth;
	c->capstack = t->capstack;
	c->base_children = t->base_children;
	c->cf = t->cf;
	c->capcf = t->capcf;
	c->out_tk = tk;
	if (v != NULL) {
		if (c->out_v == NULL)
			c->out_v = xcalloc(k ? k : 1, sizeof *c->out_v);
		memcpy(c->out_v, v, k * sizeof *v);
	}
	/* The runtime numbers a thread's contexts densely from 0. */
	i = (size_t)id;
	if (i >= t->nctx) {
		t->ctxs = xgrow(t->ctxs, &t->capctx, i + 1, sizeof *t->ctxs);
		for (size_t n = t->nctx; n <= i; n++) {
			memset(&t->ctxs[n], 0, sizeof t->ctxs[n]);
			t->ctxs[n].id = n;
			t->ctxs[n].out_tk = tk;
		}
		t->nctx = i + 1;
	}
	c = &t->ctxs[i];
	t->cur = i;
	t->stack = c->stack;
	t->depth = c->depth;
	t->capstack = c->capstack;
	t->base_children = c->base_children;
	t->cf = c->cf;
	t->capcf = c->capcf;
	for (size_t d = 0; d < t->depth; d++) {
		t->stack[d].start += tk > c->out_tk ? tk - c->out_tk : 0;
		if (v != NULL && c->out_v != NULL)
			for (size_t j = 0; j < k; j++)
				t->cf[d * 2 * k + j] += v[j] - c->out_v[j];
	}
}

/* The runtime's events: a frame mark, a switch of context, a warning. */
static void special(struct proc *pr, struct thr *t, uint32_t id, uint64_t tk,
		    const uint64_t *v)
{
	if (id & FRAME_BIT)
		frame_mark(pr, t, id & ~FRAME_BIT, tk);
	else if (id & SWITCH_BIT)
		switch_ctx(pr, t, id & ~SWITCH_BIT, tk, v);
	else
		t->unreliable = 1;
}

static void place_before(struct proc *pr, struct thr *t, uint64_t tk);

/*
 * How run_events() goes: plain marker events (the fast path, unchanged
 * by counters), events with their counters' values (exact mode), or
 * buffered events of sampling mode, whose ids are mapped already and
 * between which the thread's queued samples are placed.
 */
enum run_mode { RUN_PLAIN, RUN_EXACT, RUN_SAMPLED };

/*
 * The hot loop: N events of thread T, with MAP from site to function.
 * MODE is a constant at every call, so each mode compiles to its own
 * loop and the plain one does no more than it did before counters.
 */
static inline __attribute__((always_inline)) void
run_events(struct proc *pr, struct thr *t, const struct cp_log_event *ev,
	   size_t n, const uint32_t *map, const uint64_t *vals,
	   const enum run_mode mode)
{
	uint64_t last = t->last;
	const size_t k = pr->nc;

	for (size_t i = 0; i < n; i++) {
		uint64_t tk = ev[i].ticks;
		uint32_t id =
			mode == RUN_SAMPLED ? ev[i].site : map[ev[i].site];
		const uint64_t *v = NULL;

		/*
		 * Time never runs backwards on a thread, even when a chunk's
		 * counter does (a migration between unsynchronized cores).
		 */
		if (tk < last)
			tk = last;
		last = tk;
		if (mode == RUN_EXACT)
			v = vals != NULL ? vals + i * k : t->cx;
		/*
		 * A sample at TK belongs to what is open once every event at
		 * TK has run: enter inclusive, exit exclusive.
		 */
		if (mode == RUN_SAMPLED && t->qhead < t->qconv &&
		    t->q[t->qhead].tk < tk)
			place_before(pr, t, tk);
		if (!ev[i].exit) {
			struct open_frame *f;

			if (__builtin_expect(id & SPECIAL, 0)) {
				special(pr, t, id, tk, v);
				continue;
			}
			if (__builtin_expect(t->depth == t->capstack, 0))
				t->stack =
					xgrow(t->stack, &t->capstack,
					      t->depth + 1, sizeof *t->stack);
			f = &t->stack[t->depth++];
			f->start = tk;
			f->children = 0;
			f->fid = id;
			t->st[id].active++;
			if (mode == RUN_EXACT)
				exact_push(pr, t, v);
		} else if (__builtin_expect(
				   t->depth > 0 &&
					   t->stack[t->depth - 1].fid == id,
				   1)) {
			pop(pr, t, tk, 1, v);
		} else {
			exit_slow(pr, t, id, tk, v);
		}
	}
	t->last = last;
	if (mode == RUN_EXACT && vals != NULL && n > 0)
		memcpy(t->cx, vals + (n - 1) * k, k * sizeof *t->cx);
}

/* Samples. */

/*
 * Sample times are CLOCK_MONOTONIC; marker times are ticks. Samples are
 * placed on the marker timeline with the calibration known when they are
 * placed: hz, or the header's point and the latest clock point; at the
 * process's end, the run's own (calibrate()). A few ticks of error only
 * moves samples within some nanoseconds of a marker event.
 */
struct cal {
	uint64_t t0, ns0, num, den; /* ticks = t0 + (ns - ns0) * den / num */
};

static int cal_get(const struct proc *pr, struct cal *c)
{
	if (pr->finishing) {
		*c = (struct cal){pr->anchor_t, pr->anchor_ns, pr->num,
				  pr->den};
		return 1;
	}
	if (pr->npoints == 0)
		return 0;
	if (pr->hz != 0) {
		*c = (struct cal){pr->lo_t, pr->lo_ns, 1000000000, pr->hz};
		return 1;
	}
	if (pr->npoints >= 2 && pr->hi_t > pr->lo_t && pr->hi_ns > pr->lo_ns) {
		*c = (struct cal){pr->lo_t, pr->lo_ns, pr->hi_ns - pr->lo_ns,
				  pr->hi_t - pr->lo_t};
		return 1;
	}
	return 0;
}

static uint64_t cal_ticks(const struct cal *c, uint64_t ns)
{
	unsigned __int128 d;

	if (ns >= c->ns0) {
		d = (unsigned __int128)(ns - c->ns0) * c->den / c->num;
		return d > UINT64_MAX - c->t0 ? UINT64_MAX
					      : c->t0 + (uint64_t)d;
	}
	d = (unsigned __int128)(c->ns0 - ns) * c->den / c->num;
	return d > c->t0 ? 0 : c->t0 - (uint64_t)d;
}

struct sym_key {
	const struct proc *pr;
	const char *name, *object;
};

static int sym_eq(const void *ctx, uint32_t id)
{
	const struct sym_key *k = ctx;
	const struct pfunc *f = &k->pr->pf[id];

	return f->resolved && f->name == k->name && f->object == k->object;
}

static int ip_eq(const void *ctx, uint32_t id)
{
	const struct proc *pr = ((const void *const *)ctx)[0];
	const uint64_t *addr = ((const void *const *)ctx)[1];

	return pr->ips[id].addr == *addr;
}

static int ret_eq(const void *ctx, uint32_t id)
{
	const struct proc *pr = ((const void *const *)ctx)[0];
	const uint64_t *addr = ((const void *const *)ctx)[1];

	return pr->rets[id].addr == *addr;
}

/*
 * The function holding ADDR, a sampled address outside any marker: named
 * now, with the load map as it stands (the runtime writes a map chunk
 * before the chunks of each drain), and one pfunc per name, so that the
 * addresses of a function share its row. An address no symbol holds is
 * counted for its object as a whole: "[libfoo.so]", "[kernel]" or
 * "[unknown]".
 */
static uint32_t ip_func(struct proc *pr, uint64_t addr)
{
	const void *ctx[2] = {pr, &addr};
	uint64_t h = cp_hash_u64(addr);
	uint32_t id = cp_index_find(&pr->ip_ix, h, ip_eq, ctx);
	struct sym_key k = {pr, NULL, NULL};
	struct pfunc f;
	struct cp_sym sym;

	if (id != CP_INDEX_NONE)
		return pr->ips[id].fid;
	cp_symmap_lookup(pr->map, addr, cp_symmap_gen(pr->map), &sym);
	if (sym.unnamed) {
		char buf[300];

		if (sym.object != NULL)
			snprintf(buf, sizeof buf, "[%s]", sym.object);
		else
			snprintf(buf, sizeof buf, "%s",
				 addr >> 63 ? "[kernel]" : "[unknown]");
		sym.name = cp_pool_str(pr->ld->pool, buf);
		sym.file = NULL;
		sym.line = 0;
	}
	k.name = sym.name;
	k.object = sym.object;
	h = cp_hash_u64((uintptr_t)sym.name ^
			cp_hash_u64((uintptr_t)sym.object));
	id = cp_index_find(&pr->sym_ix, h, sym_eq, &k);
	if (id == CP_INDEX_NONE) {
		memset(&f, 0, sizeof f);
		f.kind = CP_SITE_ADDR;
		f.resolved = 1;
		f.name = sym.name;
		f.object = sym.object;
		f.file = sym.file;
		f.line = sym.line;
		id = pfunc_new(pr, &f);
		cp_index_add(&pr->sym_ix, h, id);
	}
	pr->ips = xgrow(pr->ips, &pr->capips, pr->nips + 1, sizeof *pr->ips);
	pr->ips[pr->nips].addr = addr;
	pr->ips[pr->nips].fid = id;
	cp_index_add(&pr->ip_ix, cp_hash_u64(addr), (uint32_t)pr->nips++);
	return id;
}

/* Is ADDR a return address (the instruction before it a call)? Cached. */
static int is_return(struct proc *pr, uint64_t addr)
{
	const void *ctx[2] = {pr, &addr};
	uint64_t h = cp_hash_u64(addr);
	uint32_t id = cp_index_find(&pr->ret_ix, h, ret_eq, ctx);
	int r;

	if (id != CP_INDEX_NONE)
		return pr->rets[id].ok;
	r = cp_symmap_call_before(pr->map, addr, cp_symmap_gen(pr->map));
	pr->rets =
		xgrow(pr->rets, &pr->caprets, pr->nrets + 1, sizeof *pr->rets);
	pr->rets[pr->nrets].addr = addr;
	/* What cannot be told is taken for a return address. */
	pr->rets[pr->nrets].ok = r != 0;
	cp_index_add(&pr->ret_ix, h, (uint32_t)pr->nrets++);
	return r != 0;
}

/* Is FID the main program's, the object a rebuild can fix? */
static int in_program(const struct proc *pr, uint32_t fid)
{
	const char *obj = pr->pf[fid].object, *exe = strrchr(pr->exe, '/');

	exe = exe != NULL ? exe + 1 : pr->exe;
	return obj != NULL && strcmp(obj, exe) == 0;
}

/* Where a thread's frame-pointer chain rightly ends: its entry code. */
static int chain_root(const char *name)
{
	static const char *const roots[] = {"_start",
					    "__libc_start_main",
					    "__libc_start_call_main",
					    "start_thread",
					    "clone",
					    "clone3",
					    "__clone",
					    "__clone3",
					    "_dl_start_user",
					    "_dl_start"};

	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		if (strcmp(name, roots[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * The kernel's frame-pointer walk stops there (perf_event_max_stack is
 * 127 by default): a chain this long may be cut for that reason alone.
 */
#define CHAIN_MAX_TRUSTED 120

/*
 * Check the callchain of sample S, whose address is in FID, and return
 * how many of its entries to believe. Code built without frame pointers
 * leaves the kernel's walk reading whatever its frame register holds, so
 * its chains hold "return addresses" that follow no call, or addresses
 * in no object at all, and they stop short. The chain is cut at the first
 * such entry, and counted as broken when the frame that led there is
 * the program's own (a library built so is not the program's to fix),
 * or when a chain that was not cut ends inside the program rather than
 * in a thread's entry code.
 */
static size_t chain_check(struct proc *pr, const struct qsample *s,
			  const uint64_t *chain, uint32_t fid)
{
	/*
	 * The first entry may be no return address: a kernel sample's is
	 * the user pc, and a user sample's may repeat its own address.
	 */
	size_t j = s->nchain > 0 && (s->ip >> 63 || chain[0] == s->ip);
	uint32_t inner = j > 0 ? ip_func(pr, chain[0]) : fid;

	pr->chains++;
	if (s->nchain == 0 && s->ip >> 63)
		return 0;
	for (; j < s->nchain; j++) {
		if (!is_return(pr, chain[j])) {
			if (in_program(pr, inner))
				pr->broken++;
			return j;
		}
		inner = ip_func(pr, chain[j] > 0 ? chain[j] - 1 : chain[j]);
	}
	/* INNER is now the outermost frame. */
	if (s->nchain < CHAIN_MAX_TRUSTED && in_program(pr, inner) &&
	    !chain_root(pr->pf[inner].name))
		pr->broken++;
	return s->nchain;
}

/*
 * The runtime's own cost.
 *
 * Whatever libcprof counts on a program thread is shown on one row of its
 * own, never in a program function: samples whose address is in the
 * runtime's object (the header names it, the map chunks place it), and in
 * exact mode the counts of its slow paths (the counts chunks' "runtime").
 */
#define RUNTIME_ROW "[cprof runtime]"

static uint32_t runtime_fid(struct proc *pr)
{
	struct pfunc f;

	if (pr->has_rt)
		return pr->rt_fid;
	memset(&f, 0, sizeof f);
	f.kind = CP_SITE_ADDR;
	f.resolved = 1;
	f.name = cp_pool_str(pr->ld->pool, RUNTIME_ROW);
	pr->rt_fid = pfunc_new(pr, &f);
	pr->has_rt = 1;
	return pr->rt_fid;
}

static int in_runtime(const struct proc *pr, uint64_t addr)
{
	for (size_t j = 0; j < pr->nrt_segs; j++) {
		if (addr >= pr->rt_segs[2 * j] && addr < pr->rt_segs[2 * j + 1])
			return 1;
	}
	return 0;
}

/*
 * The objects the runtime calls into (the C library, the dynamic loader,
 * msgpack-c): a sample there is the runtime's when its caller is.
 */
static int runtime_callee(const char *obj)
{
	static const char *const prefixes[] = {
		"libc.so",    "libc-",	"ld-linux", "ld64.so",	 "ld.so",
		"libpthread", "libdl.", "librt.",   "libmsgpack"};

	if (obj == NULL)
		return 0;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (strncmp(obj, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	}
	return 0;
}

/*
 * Is sample S of T the runtime's? Its address is in the runtime, or, with
 * callchains, it is in the kernel or the C library and the first caller
 * outside them is the runtime (its system calls, its page faults in
 * memset). A callback of the C library into the program is the
 * program's: that caller comes first.
 */
static int runtime_sample(struct proc *pr, struct thr *t,
			  const struct qsample *s)
{
	/* No pointer arithmetic on a NULL queue (a run without -g). */
	const uint64_t *chain = s->nchain ? t->qchain + s->chain : NULL;

	if (pr->nrt_segs == 0)
		return 0;
	if (in_runtime(pr, s->ip))
		return 1;
	if (!pr->callchain || s->nchain == 0)
		return 0;
	if (!(s->ip >> 63)) {
		uint32_t fid = ip_func(pr, s->ip);

		if (!runtime_callee(pr->pf[fid].object))
			return 0;
	}
	for (size_t j = 0; j < s->nchain; j++) {
		uint64_t ret = chain[j];
		uint32_t fid;

		if (ret >> 63 || ret == s->ip)
			continue;
		if (in_runtime(pr, ret))
			return 1;
		fid = ip_func(pr, ret > 0 ? ret - 1 : ret);
		if (!runtime_callee(pr->pf[fid].object))
			return 0;
	}
	return 0;
}

/* Add the deltas D (nc) to the total of FID once for sample SERIAL. */
static void add_total(struct proc *pr, struct thr *t, uint32_t fid,
		      uint64_t serial, const uint64_t *d)
{
	uint64_t *c;

	if (pr->stamp[fid] == serial)
		return; /* recursion, or twice in a callchain: once */
	pr->stamp[fid] = serial;
	c = cs_at(pr, t, fid) + pr->nc;
	for (size_t j = 0; j < pr->nc; j++)
		c[j] += d[j];
}

/*
 * Attribute queued sample I of T. Inside a marker frame (and not BYIP),
 * its deltas go to the innermost frame's self and to the total of every
 * function on the stack, once each. Outside, or BYIP, to the function
 * holding its address, and to the total of each function its callchain
 * passes through.
 */
static void place(struct proc *pr, struct thr *t, size_t i, int byip)
{
	const struct qsample *s = &t->q[i];
	const uint64_t *d = t->qnum + i * pr->nc;
	size_t k = pr->nc, nchain;
	uint64_t serial = ++pr->serial, *c;
	uint32_t fid;

	if (runtime_sample(pr, t, s)) {
		fid = runtime_fid(pr);
		thread_reserve(pr, t);
		c = cs_at(pr, t, fid);
		for (size_t j = 0; j < k; j++) {
			c[j] += d[j];
			c[k + j] += d[j];
		}
		c[CS_SAMPLES(k)]++;
		/*
		 * Marker time includes the hooks' own time in the frame that
		 * was open: the distortion check compares like with like.
		 */
		if (!byip && t->depth > 0) {
			cs_at(pr, t, t->stack[t->depth - 1].fid)[CS_LEAD(k)] +=
				d[0];
			t->marked++;
		}
		return;
	}
	if (!byip && t->depth > 0) {
		c = cs_at(pr, t, t->stack[t->depth - 1].fid);
		for (size_t j = 0; j < k; j++)
			c[j] += d[j];
		c[CS_SAMPLES(k)]++;
		c[CS_LEAD(k)] += d[0];
		t->marked++;
		for (size_t j = t->depth; j > 0; j--)
			add_total(pr, t, t->stack[j - 1].fid, serial, d);
		return;
	}
	fid = ip_func(pr, s->ip);
	nchain = pr->callchain
			 ? chain_check(pr, s,
				       s->nchain ? t->qchain + s->chain : NULL,
				       fid)
			 : s->nchain;
	thread_reserve(pr, t);
	c = cs_at(pr, t, fid);
	for (size_t j = 0; j < k; j++)
		c[j] += d[j];
	c[CS_SAMPLES(k)]++;
	add_total(pr, t, fid, serial, d);
	for (size_t j = 0; j < nchain; j++) {
		uint64_t ret = t->qchain[s->chain + j];

		/*
		 * The runtime's frames under the program's (the start of a
		 * thread made through its pthread_create wrapper) are no
		 * program rows.
		 */
		if (in_runtime(pr, ret))
			continue;
		/* A return address may be the next function's first byte. */
		fid = ip_func(pr, ret > 0 ? ret - 1 : ret);
		thread_reserve(pr, t);
		add_total(pr, t, fid, serial, d);
	}
}

/* Place T's queued samples earlier than TK, with its stack as it is. */
static void place_before(struct proc *pr, struct thr *t, uint64_t tk)
{
	while (t->qhead < t->qconv && t->q[t->qhead].tk < tk)
		place(pr, t, t->qhead++, 0);
}

/* Drop the placed samples from the front of T's queue. */
static void queue_compact(struct proc *pr, struct thr *t)
{
	size_t h = t->qhead, n = t->nq - h, c0;

	if (h == 0)
		return;
	c0 = n > 0 ? t->q[h].chain : t->nqchain;
	/* The arrays may still be NULL: memmove wants a pointer even for 0. */
	if (n > 0)
		memmove(t->q, t->q + h, n * sizeof *t->q);
	if (n > 0 && pr->nc > 0)
		memmove(t->qnum, t->qnum + h * pr->nc,
			n * pr->nc * sizeof *t->qnum);
	if (t->nqchain > c0)
		memmove(t->qchain, t->qchain + c0,
			(t->nqchain - c0) * sizeof *t->qchain);
	for (size_t i = 0; i < n; i++)
		t->q[i].chain -= c0;
	t->nqchain -= c0;
	t->qconv -= h;
	t->nq = n;
	t->qhead = 0;
}

/*
 * How much may wait. A drain of the runtime gives a thread at most a ring
 * of events (32768), so PEND_MAX is four drains; events also wait, up to
 * the same bound, while the clock rate is unknown (hz 0 and a single
 * calibration point: until the runtime writes its first clock chunk).
 * Samples wait up to QUEUE_MAX. Past these, events run without the
 * samples that should have been placed between them: those are placed by
 * address and counted as unplaced.
 */
#define PEND_MAX  ((size_t)1 << 17)
#define QUEUE_MAX ((size_t)1 << 18)

enum flush {
	FLUSH_DRAIN, /* a counts chunk ended a drain of the thread */
	FLUSH_FORCE, /* too much waits */
	FLUSH_FINAL, /* the thread or the process ended */
};

/*
 * Sampling mode: run T's waiting events with its samples placed between
 * them. The runtime reads a thread's marker ring, then its sample ring,
 * and writes them in that order at each drain, ending with a counts
 * chunk. At the end of drain D every event before the marker read of D
 * is in, and every sample up to the sample read of D; a sample later
 * than the last event may still precede events of drain D+1, so it
 * waits. But one taken before the sample read of drain D-1 (wm_prev)
 * precedes the marker read of D: once the events of D have run, it is
 * placed with the stack as it stands. The queue thus holds about a
 * drain's samples, and pend a drain's events.
 */
static void flush_thread(struct proc *pr, struct thr *t, enum flush how)
{
	struct cal cal;
	int calibrated = cal_get(pr, &cal);

	if (!calibrated && how != FLUSH_FINAL && t->npend < PEND_MAX &&
	    t->nq - t->qhead < QUEUE_MAX)
		return; /* wait for a second clock point */
	thread_reserve(pr, t);
	if (calibrated) {
		for (size_t i = t->qconv; i < t->nq; i++)
			t->q[i].tk = cal_ticks(&cal, t->q[i].ns);
		t->qconv = t->nq;
	}
	/* Samples the marker stream passed without them: by address. */
	while (t->qhead < t->qconv && t->processed &&
	       t->q[t->qhead].tk < t->last) {
		place(pr, t, t->qhead++, 1);
		pr->unplaced++;
	}
	if (t->npend > 0) {
		run_events(pr, t, t->pend, t->npend, NULL, NULL, RUN_SAMPLED);
		t->processed = 1;
		t->npend = 0;
	}
	if (how == FLUSH_FINAL) {
		while (t->qhead < t->nq)
			place(pr, t, t->qhead++, 0);
	} else if (how == FLUSH_DRAIN) {
		while (t->qhead < t->qconv && t->q[t->qhead].ns <= t->wm_prev)
			place(pr, t, t->qhead++, 0);
	}
	/* A thread with samples and no drain ends: keep half the queue. */
	while (t->nq - t->qhead > QUEUE_MAX / 2 && t->qhead < t->qconv)
		place(pr, t, t->qhead++, 0);
	queue_compact(pr, t);
}

/*
 * A thread that ended and whose events and samples have all run gives
 * its queues back: a process that starts many threads one after another
 * would otherwise hold a drain's worth of buffers for each of them.
 */
static void release_queues(struct thr *t)
{
	if (t->npend > 0 || t->qhead < t->nq)
		return;
	free(t->pend);
	free(t->q);
	free(t->qnum);
	free(t->qchain);
	t->pend = NULL;
	t->q = NULL;
	t->qnum = NULL;
	t->qchain = NULL;
	t->cappend = t->capq = t->capqnum = t->capqchain = 0;
	t->npend = t->nq = t->qhead = t->qconv = t->nqchain = 0;
}

/* Callbacks of the reader. */

static void on_header(void *arg, const struct cp_log_header *h)
{
	struct proc *pr = arg;

	pr->has_header = 1;
	pr->pid = h->pid;
	pr->ppid = h->ppid;
	pr->exe = intern(pr, h->exe);
	pr->own_hooks = h->own_hooks.len ? intern(pr, h->own_hooks) : NULL;
	pr->runtime = h->runtime.len ? intern(pr, h->runtime) : NULL;
	pr->hz = h->hz;
	if (h->has_clock) {
		pr->has_clock = 1;
		pr->clock_ns = h->mono_ns;
		add_point(pr, h->ticks, h->mono_ns);
	}
	pr->map = cp_symmap_new(pr->ld->syms, pr->exe);
	/* Frame 0 is the root frame, closed by every return to depth 0. */
	frame_get(pr, cp_pool_str(pr->ld->pool, ""));
	if (h->ncounters > 0) {
		pr->nc = h->ncounters;
		pr->exact = h->mode == CP_COUNTER_EXACT;
		pr->callchain = h->callchain;
		pr->period = h->period;
		pr->freq = h->freq;
		pr->cnt = xcalloc(pr->nc, sizeof *pr->cnt);
		for (size_t i = 0; i < pr->nc; i++) {
			pr->cnt[i].name = intern(pr, h->counters[i].name);
			pr->cnt[i].type = h->counters[i].type;
			pr->cnt[i].config = h->counters[i].config;
		}
	}
}

/*
 * An address whose object was replaced (dlclose, then dlopen at the same
 * place) is another function from now on: it gets a new entry, named
 * with the new map, while the old one keeps the old name.
 */
static void on_map(void *arg, const struct cp_log_obj *objs, size_t n)
{
	struct proc *pr = arg;
	size_t gen = cp_symmap_gen(pr->map);

	for (size_t i = 0; i < n; i++) {
		cp_symmap_add(pr->map, &objs[i]);
		if (pr->runtime != NULL &&
		    objs[i].path.len == strlen(pr->runtime) &&
		    memcmp(objs[i].path.ptr, pr->runtime, objs[i].path.len) ==
			    0) {
			size_t m = objs[i].nsegs;

			if (m > sizeof pr->rt_segs / sizeof pr->rt_segs[0] / 2)
				m = sizeof pr->rt_segs / sizeof pr->rt_segs[0] /
				    2;
			memcpy(pr->rt_segs, objs[i].segs,
			       2 * m * sizeof *pr->rt_segs);
			pr->nrt_segs = m;
		}
	}
	if (cp_symmap_gen(pr->map) == gen)
		return;
	/* Sampled addresses are named again, with the new map. */
	cp_index_clear(&pr->ip_ix);
	pr->nips = 0;
	cp_index_clear(&pr->ret_ix);
	pr->nrets = 0;
	for (size_t i = 0; i < pr->npf; i++) {
		struct pfunc *f = &pr->pf[i];

		if (f->kind == CP_SITE_ADDR && !f->moved && !f->resolved &&
		    cp_symmap_moved(pr->map, f->addr, f->gen,
				    cp_symmap_gen(pr->map)))
			f->moved = 1;
	}
}

static void on_thread(void *arg, const struct cp_log_thread *c)
{
	struct proc *pr = arg;
	struct thr *t = thread_get(pr, c->tid);

	if (c->name.len > 0)
		t->name = intern(pr, c->name);
	/* A start after events of the same thread changes nothing. */
	if (c->has_start && !t->seen) {
		t->has_start = 1;
		t->start = c->start;
	}
	if (c->has_end) {
		struct cal cal;

		t->has_end = 1;
		t->end = c->end;
		/* Its samples are all in: place them while the clock is known.
		 */
		if (pr->nc > 0 && !pr->exact && cal_get(pr, &cal)) {
			flush_thread(pr, t, FLUSH_FINAL);
			release_queues(t);
		}
	}
}

/*
 * Exact mode: the first values seen on T are where its counters start,
 * for the frames open so far too (entered in a chunk without values).
 */
static void exact_values(struct proc *pr, struct thr *t, const uint64_t *v)
{
	size_t k = pr->nc;

	if (t->cx == NULL)
		t->cx = xcalloc(3 * k, sizeof *t->cx);
	if (v == NULL || t->has_values)
		return;
	t->has_values = 1;
	t->counted = 1;
	memcpy(t->cx, v, k * sizeof *v);
	memcpy(t->cx + k, v, k * sizeof *v);
	for (size_t d = 0; d < t->depth; d++)
		memcpy(t->cf + d * 2 * k, v, k * sizeof *v);
}

/* Sampling mode: the events of C wait on T for their drain's samples. */
static void pend_events(struct proc *pr, struct thr *t,
			const struct cp_log_ev *c)
{
	struct cp_log_event *p;
	uint64_t last = t->blast;

	t->pend =
		xgrow(t->pend, &t->cappend, t->npend + c->nev, sizeof *t->pend);
	p = t->pend + t->npend;
	for (size_t i = 0; i < c->nev; i++) {
		uint64_t tk = c->ev[i].ticks;

		if (tk < last)
			tk = last;
		last = tk;
		p[i].ticks = tk;
		p[i].site = pr->sitemap[c->ev[i].site];
		p[i].exit = c->ev[i].exit;
	}
	t->npend += c->nev;
	t->blast = last;
}

static void on_ev(void *arg, const struct cp_log_ev *c)
{
	struct proc *pr = arg;
	struct thr *t;

	if (c->nev == 0)
		return;
	t = thread_get(pr, c->tid);
	pr->sitemap = xgrow(pr->sitemap, &pr->capsitemap, c->nsites,
			    sizeof *pr->sitemap);
	for (size_t i = 0; i < c->nsites; i++)
		pr->sitemap[i] = site_id(pr, &c->sites[i]);

	/* New functions or frame names get their per-thread slots here. */
	thread_reserve(pr, t);
	if (!t->seen) {
		t->seen = 1;
		t->origin = c->ev[0].ticks;
		if (t->has_start && t->start < t->origin)
			t->origin = t->start;
		t->last = t->blast = t->origin;
	}
	pr->events += c->nev;
	if (pr->nc == 0) {
		run_events(pr, t, c->ev, c->nev, pr->sitemap, NULL, RUN_PLAIN);
	} else if (pr->exact) {
		exact_values(pr, t, c->values);
		run_events(pr, t, c->ev, c->nev, pr->sitemap, c->values,
			   RUN_EXACT);
	} else {
		pend_events(pr, t, c);
		if (t->npend >= PEND_MAX)
			flush_thread(pr, t, FLUSH_FORCE);
	}
}

static void on_samples(void *arg, const struct cp_log_samples *c)
{
	struct proc *pr = arg;
	struct thr *t = thread_find(pr, c->tid);
	size_t k = pr->nc;

	t->samples += c->n;
	pr->samples += c->n;
	t->counted = 1;
	/* Exact mode does not sample: there is nothing to place them by. */
	if (pr->exact || c->n == 0)
		return;
	t->q = xgrow(t->q, &t->capq, t->nq + c->n, sizeof *t->q);
	t->qnum = xgrow(t->qnum, &t->capqnum, (t->nq + c->n) * k,
			sizeof *t->qnum);
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_log_sample *s = &c->s[i];
		struct qsample *q = &t->q[t->nq];

		q->ns = s->time;
		q->tk = 0;
		q->ip = s->ip;
		q->chain = t->nqchain;
		q->nchain = s->nchain;
		memcpy(t->qnum + t->nq * k, s->deltas, k * sizeof *t->qnum);
		if (s->nchain > 0) {
			t->qchain = xgrow(t->qchain, &t->capqchain,
					  t->nqchain + s->nchain,
					  sizeof *t->qchain);
			memcpy(t->qchain + t->nqchain, s->chain,
			       s->nchain * sizeof *t->qchain);
			t->nqchain += s->nchain;
		}
		if (s->time > t->smax)
			t->smax = s->time;
		t->nq++;
	}
	if (t->nq - t->qhead >= QUEUE_MAX)
		flush_thread(pr, t, FLUSH_FORCE);
}

static void on_lost(void *arg, int tid, uint64_t lost, uint64_t throttled)
{
	struct proc *pr = arg;
	struct thr *t = thread_find(pr, tid);

	t->lost += lost;
	t->throttled += throttled;
	pr->slost += lost;
	pr->sthrottled += throttled;
}

/* The last counts chunk of a thread holds its totals; it ends a drain. */
static void on_counts(void *arg, const struct cp_log_counts *c)
{
	struct proc *pr = arg;
	struct thr *t = thread_find(pr, c->tid);

	if (t->totals == NULL)
		t->totals = xcalloc(pr->nc, sizeof *t->totals);
	memcpy(t->totals, c->values, pr->nc * sizeof *t->totals);
	if (c->runtime != NULL) {
		if (t->own == NULL)
			t->own = xcalloc(pr->nc, sizeof *t->own);
		memcpy(t->own, c->runtime, pr->nc * sizeof *t->own);
	}
	t->enabled = c->enabled;
	t->running = c->running;
	t->has_totals = 1;
	t->counted = 1;
	if (pr->exact)
		return;
	t->wm_prev = t->wm;
	t->wm = t->smax;
	flush_thread(pr, t, FLUSH_DRAIN);
}

static void on_clock(void *arg, uint64_t ticks, uint64_t mono_ns)
{
	add_point(arg, ticks, mono_ns);
}

/*
 * An exec that fails writes an end record and goes on: the last end
 * record of a log is the one that counts.
 */
static void on_end(void *arg, const struct cp_log_end *e)
{
	struct proc *pr = arg;

	pr->has_end = 1;
	pr->end_ticks = e->ticks;
	pr->end_ns = e->mono_ns;
	pr->end_reason = e->reason.len ? intern(pr, e->reason) : NULL;
	pr->signal = e->signal;
	pr->lost = e->lost;
	add_point(pr, e->ticks, e->mono_ns);
}

static const struct cp_log_ops log_ops = {
	.header = on_header,
	.map = on_map,
	.thread = on_thread,
	.ev = on_ev,
	.clock = on_clock,
	.end = on_end,
	.samples = on_samples,
	.lost = on_lost,
	.counts = on_counts,
};

/* Merging a finished process into the profile. */

struct func_key {
	const struct cp_profile *p;
	const char *name, *object;
};

static int func_eq(const void *ctx, uint32_t id)
{
	const struct func_key *k = ctx;

	return k->p->funcs[id].name == k->name &&
	       k->p->funcs[id].object == k->object;
}

/* The row of (NAME, OBJECT) in the profile; strings are interned. */
static uint32_t func_get(struct loader *ld, const struct cp_sym *sym)
{
	struct cp_profile *p = ld->p;
	struct func_key k = {p, sym->name, sym->object};
	uint64_t h = cp_hash_u64((uintptr_t)sym->name ^
				 cp_hash_u64((uintptr_t)sym->object));
	uint32_t id = cp_index_find(&ld->func_ix, h, func_eq, &k);
	struct cp_func *f;

	if (id != CP_INDEX_NONE)
		return id;
	p->funcs =
		xgrow(p->funcs, &ld->capfuncs, p->nfuncs + 1, sizeof *p->funcs);
	f = &p->funcs[p->nfuncs];
	memset(f, 0, sizeof *f);
	f->name = sym->name;
	f->object = sym->object;
	f->file = sym->file;
	f->line = sym->line;
	id = (uint32_t)p->nfuncs++;
	cp_index_add(&ld->func_ix, h, id);
	return id;
}

static void stats_add(struct cp_stats *to, const struct cp_stats *from)
{
	to->calls += from->calls;
	to->self_ns += from->self_ns;
	to->total_ns += from->total_ns;
}

/* Make the scratch map from the run's functions to a thread's rows hold N. */
static void rowof_reserve(struct loader *ld, size_t n)
{
	size_t old = ld->caprowof;

	ld->rowof = xgrow(ld->rowof, &ld->caprowof, n, sizeof *ld->rowof);
	for (size_t i = old; i < ld->caprowof; i++)
		ld->rowof[i] = CP_INDEX_NONE;
}

/* Counters of the run. */

static uint64_t *resize_u64(uint64_t *a, size_t old, size_t n)
{
	a = xrealloc(a, n * sizeof *a);
	memset(a + old, 0, (n - old) * sizeof *a);
	return a;
}

static struct cp_count *resize_counts(struct cp_count *a, size_t old, size_t n)
{
	if (a == NULL)
		return NULL;
	a = xrealloc(a, n * sizeof *a);
	memset(a + old, 0, (n - old) * sizeof *a);
	return a;
}

/* The run gains a counter: every counts array gets its slot. */
static size_t counter_add(struct loader *ld, const struct cp_counter *c)
{
	struct cp_profile *p = ld->p;
	size_t old = p->ncounters;

	p->counters = xgrow(p->counters, &ld->capcounters, old + 1,
			    sizeof *p->counters);
	p->counters[old] = *c;
	p->ncounters++;
	for (size_t i = 0; i < p->nfuncs; i++)
		p->funcs[i].counts =
			resize_counts(p->funcs[i].counts, old, old + 1);
	for (size_t i = 0; i < p->nthreads; i++) {
		struct cp_thread *t = &p->threads[i];

		for (size_t j = 0; j < t->nfuncs; j++)
			t->funcs[j].counts =
				resize_counts(t->funcs[j].counts, old, old + 1);
		if (t->totals != NULL)
			t->totals = resize_u64(t->totals, old, old + 1);
	}
	return old;
}

/*
 * The generic name of a counter, when NAME is one or libpfm4 encoded it
 * as one: "cycles", "task-clock"... A name with a colon (PMU::EVENT) is
 * known by its encoding; a plain one by itself, since a synthetic or
 * older log may carry no encoding.
 */
static const char *generic_name(const char *name, uint64_t type,
				uint64_t config)
{
	if (strchr(name, ':') == NULL)
		return name;
	if (type == PERF_TYPE_HARDWARE && config == PERF_COUNT_HW_CPU_CYCLES)
		return "cycles";
	if (type == PERF_TYPE_HARDWARE && config == PERF_COUNT_HW_INSTRUCTIONS)
		return "instructions";
	if (type == PERF_TYPE_HARDWARE && config == PERF_COUNT_HW_CACHE_MISSES)
		return "cache-misses";
	if (type == PERF_TYPE_SOFTWARE && config == PERF_COUNT_SW_TASK_CLOCK)
		return "task-clock";
	if (type == PERF_TYPE_SOFTWARE && config == PERF_COUNT_SW_CPU_CLOCK)
		return "cpu-clock";
	return name;
}

int cp_counter_is(const struct cp_counter *c, const char *generic)
{
	const char *g = generic_name(c->name, c->type, c->config);

	if (strcmp(generic, "cycles") == 0 && strcmp(g, "cpu-cycles") == 0)
		return 1;
	return strcmp(g, generic) == 0;
}

/* Map counter K of PR to the run's counter of its name. */
static size_t counter_get(struct loader *ld, struct proc *pr, size_t k)
{
	struct cp_profile *p = ld->p;
	struct cp_counter c;

	for (size_t i = 0; i < p->ncounters; i++) {
		if (p->counters[i].name == pr->cnt[k].name)
			return i;
	}
	memset(&c, 0, sizeof c);
	c.name = pr->cnt[k].name;
	c.type = pr->cnt[k].type;
	c.config = pr->cnt[k].config;
	c.mode = pr->exact ? CP_COUNTER_EXACT : CP_COUNTER_SAMPLING;
	c.leader = k == 0 && !pr->exact;
	c.ns = cp_counter_is(&c, "task-clock") ||
	       cp_counter_is(&c, "cpu-clock");
	c.period = pr->period;
	c.freq = pr->freq;
	return counter_add(ld, &c);
}

/* Does the counter of a thread's numbers show anything? */
static int cs_used(const struct proc *pr, const struct thr *t, size_t i)
{
	const uint64_t *c;

	if (pr->nc == 0 || i >= t->ncs)
		return 0;
	c = cs_at(pr, t, (uint32_t)i);
	for (size_t j = 0; j < CS_STRIDE(pr->nc); j++) {
		if (c[j] != 0)
			return 1;
	}
	return 0;
}

/*
 * Multiplexing: a group the kernel ran for only part of the time it was
 * enabled counted that part. A thread's counts are scaled by its
 * enabled / running, from its last counts chunk, when that is known and
 * above 1; a thread without a counts chunk keeps its raw counts (its
 * coverage is unknown, and the output says so).
 */
static uint64_t scale(const struct thr *t, uint64_t v)
{
	unsigned __int128 x;

	if (!t->has_totals || t->running == 0 || t->running >= t->enabled)
		return v;
	x = (unsigned __int128)v * t->enabled / t->running;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/* Add the numbers CS of a thread to the run's counts TO. */
static void counts_add(struct cp_count *to, const struct proc *pr,
		       const struct thr *t, const uint64_t *cs)
{
	for (size_t j = 0; j < pr->nc; j++) {
		struct cp_count *c = &to[pr->runidx[j]];

		c->self += scale(t, cs[j]);
		c->total += scale(t, cs[pr->nc + j]);
	}
}

static void dist_reserve(struct loader *ld, size_t n)
{
	size_t old = ld->capdist, cap = ld->capdist;

	if (n <= old)
		return;
	ld->dtime = xgrow(ld->dtime, &cap, n, sizeof *ld->dtime);
	cap = old;
	ld->dlead = xgrow(ld->dlead, &cap, n, sizeof *ld->dlead);
	memset(ld->dtime + old, 0, (cap - old) * sizeof *ld->dtime);
	memset(ld->dlead + old, 0, (cap - old) * sizeof *ld->dlead);
	ld->capdist = cap;
}

/*
 * Turn the counters of T into a cp_thread of the profile and add them to
 * the run's functions; GID maps the process's functions to the run's.
 * DIST: T's samples and time go into the distortion check.
 */
static void merge_thread(struct loader *ld, struct proc *pr, struct thr *t,
			 const uint32_t *gid, int dist)
{
	uint64_t at = t->stop;
	struct cp_profile *p = ld->p;
	struct cp_thread *ct;
	struct cp_thread_func *rows = NULL;
	size_t nrows = 0, caprows = 0, n = t->nst > t->ncs ? t->nst : t->ncs;

	rowof_reserve(ld, p->nfuncs);
	if (dist)
		dist_reserve(ld, p->nfuncs);
	p->threads = xgrow(p->threads, &ld->capthreads, p->nthreads + 1,
			   sizeof *p->threads);
	ct = &p->threads[p->nthreads++];
	memset(ct, 0, sizeof *ct);
	ct->pid = pr->pid;
	ct->tid = t->tid;
	ct->name = t->name;
	/* A thread without events started at its start record, if any. */
	if (t->seen)
		ct->start_ns = to_mono(pr, t->origin);
	else
		ct->start_ns = to_mono(pr, t->has_start ? t->start : at);
	ct->end_ns = to_mono(pr, at);
	ct->unfinished = t->unfinished;
	ct->unreliable = t->unreliable;
	ct->contexts = t->nctx > 1 ? t->nctx - 1 : 0;
	ct->samples = t->samples;
	ct->lost = t->lost;
	ct->throttled = t->throttled;
	if (t->has_totals) {
		ct->totals = xcalloc(p->ncounters, sizeof *ct->totals);
		for (size_t j = 0; j < pr->nc; j++)
			ct->totals[pr->runidx[j]] += t->totals[j];
		ct->enabled = t->enabled;
		ct->running = t->running;
	}

	/* Two addresses may get one name: their rows merge. */
	for (size_t i = 0; i < n && i < pr->npf; i++) {
		static const struct tstat none;
		const struct tstat *s = i < t->nst ? &t->st[i] : &none;
		int used = cs_used(pr, t, i);
		struct cp_stats st;
		struct cp_thread_func *row;
		uint32_t g = gid[i];

		if (s->calls == 0 && !used)
			continue;
		if (g >= p->nfuncs)
			continue;
		st.calls = s->calls;
		st.self_ns = to_ns(pr, s->self);
		st.total_ns = to_ns(pr, s->total);
		if (ld->rowof[g] == CP_INDEX_NONE) {
			rows = xgrow(rows, &caprows, nrows + 1, sizeof *rows);
			memset(&rows[nrows], 0, sizeof *rows);
			rows[nrows].func = g;
			ld->rowof[g] = (uint32_t)nrows++;
		}
		row = &rows[ld->rowof[g]];
		stats_add(&row->st, &st);
		stats_add(&p->funcs[g].st, &st);
		if (dist)
			ld->dtime[g] += st.self_ns;
		if (!used)
			continue;
		if (row->counts == NULL)
			row->counts =
				xcalloc(p->ncounters, sizeof *row->counts);
		if (p->funcs[g].counts == NULL)
			p->funcs[g].counts = xcalloc(
				p->ncounters, sizeof *p->funcs[g].counts);
		counts_add(row->counts, pr, t, cs_at(pr, t, (uint32_t)i));
		counts_add(p->funcs[g].counts, pr, t,
			   cs_at(pr, t, (uint32_t)i));
		p->funcs[g].samples +=
			cs_at(pr, t, (uint32_t)i)[CS_SAMPLES(pr->nc)];
		if (dist)
			ld->dlead[g] +=
				cs_at(pr, t, (uint32_t)i)[CS_LEAD(pr->nc)];
	}
	if (dist)
		ld->dn += t->marked;
	for (size_t r = 0; r < nrows; r++)
		ld->rowof[rows[r].func] = CP_INDEX_NONE;
	ct->funcs = rows;
	ct->nfuncs = nrows;
}

/*
 * The distortion check can use a sampling leader that counts CPU time or
 * cycles: its samples then fall in each function in proportion to the
 * time it spends on CPU.
 */
static int dist_leader(const struct proc *pr)
{
	struct cp_counter c;

	if (pr->nc == 0 || pr->exact)
		return 0;
	memset(&c, 0, sizeof c);
	c.name = pr->cnt[0].name;
	c.type = pr->cnt[0].type;
	c.config = pr->cnt[0].config;
	return cp_counter_is(&c, "task-clock") ||
	       cp_counter_is(&c, "cpu-clock") || cp_counter_is(&c, "cycles");
}

/* Add PR's samples, losses and totals to the run's counters. */
static void counters_merge(struct loader *ld, struct proc *pr)
{
	struct cp_profile *p = ld->p;

	for (size_t k = 0; k < pr->nc; k++) {
		struct cp_counter *c = &p->counters[pr->runidx[k]];

		c->samples += pr->samples;
		c->lost += pr->slost;
		c->throttled += pr->sthrottled;
		for (size_t i = 0; i < pr->nth; i++) {
			const struct thr *t = &pr->th[i];

			if (!t->has_totals) {
				c->uncovered += t->counted;
				continue;
			}
			c->count += t->totals[k];
			c->enabled += t->enabled;
			c->running += t->running;
			if (t->running > 0 && t->running < t->enabled)
				c->scaled = 1;
		}
	}
}

static void merge_frames(struct loader *ld, struct proc *pr)
{
	struct cp_profile *p = ld->p;

	for (size_t i = 0; i < pr->nfr; i++) {
		const struct pframe *f = &pr->fr[i];
		struct cp_frames *g = NULL;

		if (f->count == 0)
			continue;
		for (size_t j = 0; j < p->nframes; j++) {
			if (p->frames[j].name == f->name) {
				g = &p->frames[j];
				break;
			}
		}
		if (g == NULL) {
			p->frames = xgrow(p->frames, &ld->capframes,
					  p->nframes + 1, sizeof *p->frames);
			g = &p->frames[p->nframes++];
			memset(g, 0, sizeof *g);
			g->name = f->name;
			g->min_ns = UINT64_MAX;
		}
		g->count += f->count;
		g->total_ns += to_ns(pr, f->total);
		if (to_ns(pr, f->min) < g->min_ns)
			g->min_ns = to_ns(pr, f->min);
		if (to_ns(pr, f->max) > g->max_ns)
			g->max_ns = to_ns(pr, f->max);
		for (unsigned b = 0; b < FINE_BUCKETS; b++) {
			uint64_t ns;

			if (f->fine[b] == 0)
				continue;
			ns = to_ns(pr, fine_lower(b));
			g->hist[ns ? 63 - __builtin_clzll(ns) : 0] +=
				f->fine[b];
		}
	}
}

/*
 * What is known of the end of a process whose log has no end record,
 * instead of a guess: it still runs (it holds its log open), it still ran
 * when cprof returned, or cprof's wait status for the process it started
 * (*WS). Else it ended where no runtime code could see it: a raw
 * exit_group, SIGKILL, a seccomp kill, the OOM killer.
 */
static const char *unended_state(const struct cp_profile *p,
				 const struct proc *pr, int *ws)
{
	if (cp_log_holder(pr->log) != 0)
		return "running";
	for (size_t i = 0; i < p->meta_nrunning; i++)
		if (p->meta_running[i] == pr->pid)
			return "running-at-return";
	if (p->meta_has_wait && p->meta_pid == pr->pid) {
		*ws = p->meta_wait_status;
		return WIFSIGNALED(*ws) ? "killed" : "exited";
	}
	return "no-end-record";
}

/* The log has been read: close what is open, convert and merge. */
static void proc_finish(struct loader *ld, struct proc *pr)
{
	struct cp_profile *p = ld->p;
	struct cp_process *cp;
	uint64_t last = pr->npoints ? pr->hi_t : 0, origin = UINT64_MAX;
	uint32_t *gid;
	int dist;

	/* The last known time: the end record, else the latest of anything. */
	if (pr->has_end)
		last = pr->end_ticks;
	for (size_t i = 0; i < pr->nth; i++) {
		const struct thr *t = &pr->th[i];

		if (t->seen && t->last > last)
			last = t->last;
		/* Sampling mode: events may still wait to run. */
		if (t->seen && t->blast > last)
			last = t->blast;
		if (t->seen && t->origin < origin)
			origin = t->origin;
		if (t->has_end && t->end > last && !pr->has_end)
			last = t->end;
	}
	const char *state = NULL;
	int ws = 0;

	if (!pr->has_end) {
		state = unended_state(p, pr, &ws);
		if (strcmp(state, "running") == 0)
			warnx("%s: process %d is still running: showing data "
			      "up to its last flush",
			      pr->log, pr->pid);
		else if (strcmp(state, "running-at-return") == 0)
			warnx("%s: process %d was still running when cprof "
			      "returned: showing data up to its last flush",
			      pr->log, pr->pid);
		else if (strcmp(state, "killed") == 0)
			warnx("%s: process %d was killed by signal %d (%s): "
			      "showing data up to its last flush",
			      pr->log, pr->pid, WTERMSIG(ws),
			      strsignal(WTERMSIG(ws)));
		else if (strcmp(state, "exited") == 0)
			warnx("%s: process %d exited with status %d without "
			      "an end record: showing data up to its last "
			      "flush",
			      pr->log, pr->pid, WEXITSTATUS(ws));
		else
			warnx("%s: process %d ended without an end record: "
			      "showing data up to its last flush",
			      pr->log, pr->pid);
	}
	calibrate(pr);
	pr->finishing = 1;
	for (size_t i = 0; pr->nc > 0 && !pr->exact && i < pr->nth; i++)
		flush_thread(pr, &pr->th[i], FLUSH_FINAL);
	if (pr->unplaced > 0)
		warnx("%s: %" PRIu64 " samples came too late to be placed "
		      "between the marker events around them: they are "
		      "counted by address",
		      pr->log, pr->unplaced);

	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];
		const uint64_t *v = pr->exact ? t->cx : NULL;

		/*
		 * A thread that ended closes its frames then; one still
		 * running when the process ended is cut there.
		 */
		t->stop = last;
		if (t->has_end)
			t->stop = t->end > t->last ? t->end : t->last;
		/* Every context's frames: each ends cut where the thread does.
		 */
		for (size_t c = 0; c < (t->nctx ? t->nctx : 1); c++) {
			if (t->nctx > 0)
				switch_ctx(pr, t, t->ctxs[c].id, t->stop, v);
			if (t->depth > 0 && !t->has_end)
				t->unfinished = 1;
			while (t->depth > 0)
				pop(pr, t, t->stop, 0, v);
		}
	}

	/* Exact mode: the runtime's own counts, on its row. */
	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];
		uint64_t *c;

		if (t->own == NULL)
			continue;
		c = NULL;
		for (size_t j = 0; j < pr->nc; j++) {
			if (t->own[j] == 0)
				continue;
			if (c == NULL) {
				uint32_t fid = runtime_fid(pr);

				thread_reserve(pr, t);
				c = cs_at(pr, t, fid);
			}
			c[j] += t->own[j];
			c[pr->nc + j] += t->own[j];
		}
	}

	/*
	 * Only functions that were called get a row: a chunk's site table
	 * may name more, and naming an address costs a symbol look-up.
	 */
	gid = xmalloc((pr->npf ? pr->npf : 1) * sizeof *gid);
	for (size_t i = 0; i < pr->npf; i++)
		gid[i] = CP_INDEX_NONE;
	for (size_t i = 0; i < pr->nth; i++) {
		const struct thr *t = &pr->th[i];

		for (size_t j = 0; j < t->nst && j < pr->npf; j++) {
			if (t->st[j].calls > 0)
				gid[j] = 0;
		}
		for (size_t j = 0; j < t->ncs && j < pr->npf; j++) {
			if (cs_used(pr, t, j))
				gid[j] = 0;
		}
	}
	for (size_t i = 0; i < pr->npf; i++) {
		const struct pfunc *f = &pr->pf[i];
		struct cp_sym sym;

		if (gid[i] == CP_INDEX_NONE)
			continue;
		memset(&sym, 0, sizeof sym);
		if (f->resolved) {
			sym.name = f->name;
			sym.object = f->object;
			sym.file = f->file;
			sym.line = f->line;
		} else if (f->kind == CP_SITE_ADDR) {
			cp_symmap_lookup(pr->map, f->addr, f->gen, &sym);
		} else {
			/* Marker sites are named by the log itself. */
			sym.name = f->name;
			sym.object = NULL;
			sym.file = f->file[0] ? f->file : NULL;
			sym.line = f->line;
		}
		gid[i] = func_get(ld, &sym);
		if (pr->has_rt && i == pr->rt_fid)
			ld->p->funcs[gid[i]].runtime = 1;
	}
	pr->runidx = xcalloc(pr->nc ? pr->nc : 1, sizeof *pr->runidx);
	for (size_t k = 0; k < pr->nc; k++)
		pr->runidx[k] = (uint32_t)counter_get(ld, pr, k);
	dist = dist_leader(pr) && (!ld->has_dist || ld->dist == pr->runidx[0]);
	if (dist && !ld->has_dist) {
		ld->has_dist = 1;
		ld->dist = pr->runidx[0];
	}
	for (size_t i = 0; i < pr->nth; i++)
		merge_thread(ld, pr, &pr->th[i], gid,
			     dist && pr->th[i].counted);
	free(gid);
	counters_merge(ld, pr);
	merge_frames(ld, pr);

	p->procs =
		xgrow(p->procs, &ld->capprocs, p->nprocs + 1, sizeof *p->procs);
	cp = &p->procs[p->nprocs++];
	memset(cp, 0, sizeof *cp);
	cp->pid = pr->pid;
	cp->ppid = pr->ppid;
	cp->exe = pr->exe;
	cp->own_hooks = pr->own_hooks;
	cp->log = pr->log;
	/* The header's clock point is taken when the runtime starts. */
	if (pr->has_clock)
		cp->start_ns = pr->clock_ns;
	else if (origin != UINT64_MAX)
		cp->start_ns = to_mono(pr, origin);
	cp->end_ns = pr->has_end ? pr->end_ns : to_mono(pr, last);
	cp->finished = pr->has_end;
	cp->end_reason = pr->end_reason;
	cp->state = state;
	cp->wait_status = ws;
	cp->signal = pr->signal;
	cp->events = pr->events;
	cp->lost = pr->lost;
	cp->skipped_bytes = pr->skipped;
	cp->samples = pr->samples;
	cp->samples_lost = pr->slost;
	cp->throttled = pr->sthrottled;
	cp->unplaced = pr->unplaced;
	cp->callchains = pr->chains;
	cp->broken_chains = pr->broken;
}

static void proc_free(struct proc *pr)
{
	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];

		for (size_t c = 0; c < t->nctx; c++) {
			if (c != t->cur) {
				free(t->ctxs[c].stack);
				free(t->ctxs[c].cf);
			}
			free(t->ctxs[c].out_v);
		}
		free(t->ctxs);
		free(t->stack);
		free(t->st);
		free(t->marks);
		free(t->cs);
		free(t->totals);
		free(t->own);
		free(t->pend);
		free(t->q);
		free(t->qnum);
		free(t->qchain);
		free(t->cf);
		free(t->cx);
	}
	for (size_t i = 0; i < pr->nfr; i++)
		free(pr->fr[i].fine);
	free(pr->th);
	free(pr->fr);
	free(pr->pf);
	free(pr->sitemap);
	free(pr->cnt);
	free(pr->runidx);
	free(pr->ips);
	free(pr->rets);
	free(pr->stamp);
	cp_index_clear(&pr->ip_ix);
	cp_index_clear(&pr->ret_ix);
	cp_index_clear(&pr->sym_ix);
	cp_index_clear(&pr->addr_ix);
	cp_index_clear(&pr->marker_ix);
	cp_index_clear(&pr->thr_ix);
	if (pr->map != NULL)
		cp_symmap_free(pr->map);
}

static int load_log(struct loader *ld, const char *path)
{
	struct proc pr;
	struct cp_log_result res;
	int rc;

	memset(&pr, 0, sizeof pr);
	pr.ld = ld;
	pr.log = cp_pool_str(ld->pool, path);
	rc = cp_log_read(path, &log_ops, &pr, &res);
	/* Without a header nothing was delivered: the error is printed. */
	if (rc == 0 && pr.has_header) {
		pr.skipped = res.skipped;
		proc_finish(ld, &pr);
	}
	proc_free(&pr);
	return rc;
}

/* run.meta is optional: a damaged one is reported and left out. */
static void load_meta(struct loader *ld, const char *path)
{
	struct cp_run_meta m;

	if (cp_meta_read(path, &m) != 0)
		return;
	ld->p->has_meta = 1;
	ld->p->argv = m.argv;
	ld->p->status = m.status;
	ld->p->meta_start_ns = m.start_ns;
	ld->p->meta_end_ns = m.end_ns;
	ld->p->meta_pid = m.pid;
	ld->p->meta_has_wait = m.has_wait;
	ld->p->meta_wait_status = m.wait_status;
	ld->p->meta_running = m.running;
	ld->p->meta_nrunning = m.nrunning;
}

struct logname {
	char *path;
	unsigned long long pid, start;
};

static int logname_cmp(const void *a, const void *b)
{
	const struct logname *x = a, *y = b;

	/* In start order, so that a parent comes before its children. */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int is_log_name(const char *name)
{
	size_t len = strlen(name);

	return len > 9 && strncmp(name, "proc-", 5) == 0 &&
	       strcmp(name + len - 4, ".log") == 0;
}

static int load_dir(struct loader *ld, const char *dir)
{
	struct logname *logs = NULL;
	size_t nlogs = 0, caplogs = 0;
	struct dirent *de;
	char *meta;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (d == NULL) {
		warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct logname *l;

		if (!is_log_name(de->d_name))
			continue;
		logs = xgrow(logs, &caplogs, nlogs + 1, sizeof *logs);
		l = &logs[nlogs++];
		l->pid = l->start = 0;
		sscanf(de->d_name, "proc-%llu-%llu.log", &l->pid, &l->start);
		l->path = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(l->path, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (nlogs == 0) {
		warnx("%s: no cprof logs (proc-*.log) in this directory", dir);
		free(logs);
		return -1;
	}
	qsort(logs, nlogs, sizeof *logs, logname_cmp);

	meta = xmalloc(strlen(dir) + sizeof "/run.meta");
	sprintf(meta, "%s/run.meta", dir);
	load_meta(ld, meta);
	free(meta);

	for (size_t i = 0; i < nlogs && rc == 0; i++)
		rc = load_log(ld, logs[i].path);
	for (size_t i = 0; i < nlogs; i++)
		free(logs[i].path);
	free(logs);
	return rc;
}

/*
 * The distortion check. Over the threads the run's dist counter sampled,
 * each function has a share ts of the marker self time and a share ss of
 * the leader's counts in the N samples taken inside markers (where it was
 * the innermost frame). Were timing and sampling measuring the same
 * thing, its samples would follow a binomial law of N trials of
 * probability ts, so ss would lie within 3 standard errors,
 * sqrt(ts (1 - ts) / N), of ts for all but 0.3% of functions. A function
 * is flagged when |ts - ss| exceeds 3 standard errors plus 1 percentage
 * point (which keeps functions of a handful of samples quiet), and
 * nothing is flagged with fewer than 50 samples.
 */
#define DIST_FLOOR 0.01

static void distortion(struct loader *ld)
{
	struct cp_profile *p = ld->p;
	size_t n = p->nfuncs < ld->capdist ? p->nfuncs : ld->capdist;
	double time = 0, lead = 0, dn = (double)ld->dn;

	p->has_dist = ld->has_dist;
	p->dist_counter = ld->dist;
	p->dist_samples = ld->dn;
	if (!ld->has_dist || ld->dn < CP_DIST_MIN_SAMPLES)
		return;
	for (size_t g = 0; g < n; g++) {
		time += (double)ld->dtime[g];
		lead += (double)ld->dlead[g];
	}
	if (time == 0 || lead == 0)
		return;
	for (size_t g = 0; g < n; g++) {
		struct cp_distortion *d = &p->funcs[g].dist;
		double ts = (double)ld->dtime[g] / time;
		double ss = (double)ld->dlead[g] / lead;
		double gap = (ts > ss ? ts - ss : ss - ts) - DIST_FLOOR;

		if (ld->dtime[g] == 0 && ld->dlead[g] == 0)
			continue;
		d->time_share = ts;
		d->sample_share = ss;
		/* gap > 3 sqrt(ts (1 - ts) / N), squared. */
		if (gap <= 0 || gap * gap <= 9 * ts * (1 - ts) / dn)
			continue;
		d->flagged = 1;
		d->reason = ts > ss ? "more marker time than samples: "
				      "instrumentation overhead or time off "
				      "CPU"
				    : "more samples than marker time: work "
				      "the markers miss, or other functions "
				      "inflated";
	}
}

/* Every function and thread row of a run with counters gets its counts. */
static void counters_finish(struct loader *ld)
{
	struct cp_profile *p = ld->p;
	size_t k = p->ncounters;

	if (k == 0)
		return;
	for (size_t i = 0; i < p->nfuncs; i++) {
		struct cp_func *f = &p->funcs[i];

		if (f->counts == NULL)
			f->counts = xcalloc(k, sizeof *f->counts);
		for (size_t j = 0; j < k; j++)
			p->counters[j].total_self += f->counts[j].self;
	}
	for (size_t i = 0; i < p->nthreads; i++) {
		struct cp_thread *t = &p->threads[i];

		for (size_t j = 0; j < t->nfuncs; j++) {
			if (t->funcs[j].counts == NULL)
				t->funcs[j].counts =
					xcalloc(k, sizeof *t->funcs[j].counts);
		}
	}
	distortion(ld);
}

int cp_profile_load(struct cp_profile *p, const char *path)
{
	struct loader ld;
	struct stat sb;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.p = p;
	if (p->pool == NULL)
		p->pool = cp_pool_new();
	ld.pool = p->pool;
	ld.syms = cp_symbols_new(ld.pool);

	if (stat(path, &sb) < 0) {
		warnx("%s: %s", path, strerror(errno));
		rc = -1;
	} else if (S_ISDIR(sb.st_mode)) {
		rc = load_dir(&ld, path);
	} else {
		rc = load_log(&ld, path);
	}

	p->total_self_ns = 0;
	for (size_t i = 0; i < p->nfuncs; i++)
		p->total_self_ns += p->funcs[i].st.self_ns;
	counters_finish(&ld);

	cp_symbols_free(ld.syms);
	cp_index_clear(&ld.func_ix);
	free(ld.rowof);
	free(ld.dtime);
	free(ld.dlead);
	return rc;
}

void cp_profile_free(struct cp_profile *p)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		for (size_t j = 0; j < p->threads[i].nfuncs; j++)
			free(p->threads[i].funcs[j].counts);
		free(p->threads[i].funcs);
		free(p->threads[i].totals);
	}
	for (size_t i = 0; i < p->nfuncs; i++)
		free(p->funcs[i].counts);
	free(p->threads);
	free(p->funcs);
	free(p->counters);
	free(p->procs);
	free(p->frames);
	free(p->meta_running);
	if (p->argv != NULL) {
		for (char **a = p->argv; *a != NULL; a++)
			free(*a);
		free(p->argv);
	}
	cp_pool_free(p->pool);
	memset(p, 0, sizeof *p);
}
