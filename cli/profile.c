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
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Marks a site-map entry that is a frame mark rather than a function. */
#define FRAME_BIT 0x80000000u
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

/* A function or marker site of one process. */
struct pfunc {
	enum cp_site_kind kind;
	uint64_t addr; /* CP_SITE_ADDR */
	size_t gen;    /* the load map's generation when first seen */
	int moved;     /* its object was replaced: no longer matched */
	const char *name, *file; /* markers, interned */
	int line;
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

struct thr {
	int tid;
	const char *name;
	int has_start, has_end, seen, replaced, unfinished;
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
};

struct proc {
	struct loader *ld;
	const char *log;
	int has_header;
	int pid, ppid;
	const char *exe;

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
};

struct loader {
	struct cp_profile *p;
	struct cp_pool *pool;
	struct cp_symbols *syms;
	struct cp_index func_ix;
	size_t capfuncs, capthreads, capprocs, capframes;
	uint32_t *rowof; /* scratch: global function -> thread row */
	size_t caprowof;
};

static void *grow(void *p, size_t *cap, size_t want, size_t size)
{
	size_t n;

	if (want <= *cap)
		return p;
	n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

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
	pr->fr = grow(pr->fr, &pr->capfr, pr->nfr + 1, sizeof *pr->fr);
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
	pr->th = grow(pr->th, &pr->capth, pr->nth + 1, sizeof *pr->th);
	t = &pr->th[pr->nth];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	t->name = cp_pool_str(pr->ld->pool, "");
	cp_index_add(&pr->thr_ix, h, (uint32_t)pr->nth);
	pr->nth++;
	return t;
}

/* Functions of one process. */

static int addr_eq(const void *ctx, uint32_t id)
{
	const struct cp_log_site *s =
		((const struct cp_log_site *const *)ctx)[1];
	const struct proc *pr = ((const struct proc *const *)ctx)[0];

	return pr->pf[id].kind == CP_SITE_ADDR && pr->pf[id].addr == s->addr &&
	       !pr->pf[id].moved;
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
	pr->pf = grow(pr->pf, &pr->cappf, pr->npf + 1, sizeof *pr->pf);
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

/*
 * Close the innermost open frame of T at TK. ROOT says whether reaching
 * depth 0 ends a root frame: not when the stream ends with frames still
 * open, since such a frame was cut, not finished.
 */
static inline void pop(struct proc *pr, struct thr *t, uint64_t tk, int root)
{
	struct open_frame *f = &t->stack[--t->depth];
	struct tstat *s = &t->st[f->fid];
	uint64_t d = tk - f->start;

	s->calls++;
	s->self += d - f->children;
	if (--s->active == 0)
		s->total += d;
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

/* An exit that is not of the innermost open frame. */
static void exit_slow(struct proc *pr, struct thr *t, uint32_t id, uint64_t tk)
{
	struct tstat *s;
	uint64_t d;
	size_t k;

	if (id & FRAME_BIT)
		return; /* a frame mark has no exit; ignore a stray one */
	for (k = t->depth; k > 0; k--) {
		if (t->stack[k - 1].fid == id)
			break;
	}
	if (k > 0) {
		/* Deeper in the stack: the frames above were jumped over. */
		while (t->depth >= k)
			pop(pr, t, tk, 1);
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
	 * stays counted once.
	 */
	d = tk - t->origin;
	s->calls++;
	s->self += d > t->base_children ? d - t->base_children : 0;
	s->total = d;
	t->base_children = d;
}

/* The hot loop: N events of thread T, with MAP from site to function. */
static void run_events(struct proc *pr, struct thr *t,
		       const struct cp_log_event *ev, size_t n,
		       const uint32_t *map)
{
	uint64_t last = t->last;

	for (size_t i = 0; i < n; i++) {
		uint64_t tk = ev[i].ticks;
		uint32_t id = map[ev[i].site];

		/*
		 * Time never runs backwards on a thread, even when a chunk's
		 * counter does (a migration between unsynchronized cores).
		 */
		if (tk < last)
			tk = last;
		last = tk;
		if (!ev[i].exit) {
			struct open_frame *f;

			if (__builtin_expect(id & FRAME_BIT, 0)) {
				frame_mark(pr, t, id & ~FRAME_BIT, tk);
				continue;
			}
			if (__builtin_expect(t->depth == t->capstack, 0))
				t->stack = grow(t->stack, &t->capstack,
						t->depth + 1, sizeof *t->stack);
			f = &t->stack[t->depth++];
			f->start = tk;
			f->children = 0;
			f->fid = id;
			t->st[id].active++;
		} else if (__builtin_expect(
				   t->depth > 0 &&
					   t->stack[t->depth - 1].fid == id,
				   1)) {
			pop(pr, t, tk, 1);
		} else {
			exit_slow(pr, t, id, tk);
		}
	}
	t->last = last;
}

/* Callbacks of the reader. */

static void on_header(void *arg, const struct cp_log_header *h)
{
	struct proc *pr = arg;

	pr->has_header = 1;
	pr->pid = h->pid;
	pr->ppid = h->ppid;
	pr->exe = intern(pr, h->exe);
	pr->hz = h->hz;
	if (h->has_clock) {
		pr->has_clock = 1;
		pr->clock_ns = h->mono_ns;
		add_point(pr, h->ticks, h->mono_ns);
	}
	pr->map = cp_symmap_new(pr->ld->syms, pr->exe);
	/* Frame 0 is the root frame, closed by every return to depth 0. */
	frame_get(pr, cp_pool_str(pr->ld->pool, ""));
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

	for (size_t i = 0; i < n; i++)
		cp_symmap_add(pr->map, &objs[i]);
	if (cp_symmap_gen(pr->map) == gen)
		return;
	for (size_t i = 0; i < pr->npf; i++) {
		struct pfunc *f = &pr->pf[i];

		if (f->kind == CP_SITE_ADDR && !f->moved &&
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
		t->has_end = 1;
		t->end = c->end;
	}
}

static void on_ev(void *arg, const struct cp_log_ev *c)
{
	struct proc *pr = arg;
	struct thr *t;

	if (c->nev == 0)
		return;
	t = thread_get(pr, c->tid);
	pr->sitemap = grow(pr->sitemap, &pr->capsitemap, c->nsites,
			   sizeof *pr->sitemap);
	for (size_t i = 0; i < c->nsites; i++)
		pr->sitemap[i] = site_id(pr, &c->sites[i]);

	/* New functions or frame names get their per-thread slots here. */
	if (t->nst < pr->npf) {
		size_t old = t->nst, cap = t->nst;

		t->st = grow(t->st, &cap, pr->npf, sizeof *t->st);
		memset(t->st + old, 0, (cap - old) * sizeof *t->st);
		t->nst = cap;
	}
	if (t->nmarks < pr->nfr) {
		size_t old = t->nmarks, cap = t->nmarks;

		t->marks = grow(t->marks, &cap, pr->nfr, sizeof *t->marks);
		for (size_t i = old; i < cap; i++)
			t->marks[i] = NO_MARK;
		t->nmarks = cap;
	}
	if (!t->seen) {
		t->seen = 1;
		t->origin = c->ev[0].ticks;
		if (t->has_start && t->start < t->origin)
			t->origin = t->start;
		t->last = t->origin;
	}
	run_events(pr, t, c->ev, c->nev, pr->sitemap);
	pr->events += c->nev;
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
		grow(p->funcs, &ld->capfuncs, p->nfuncs + 1, sizeof *p->funcs);
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

	ld->rowof = grow(ld->rowof, &ld->caprowof, n, sizeof *ld->rowof);
	for (size_t i = old; i < ld->caprowof; i++)
		ld->rowof[i] = CP_INDEX_NONE;
}

/*
 * Turn the counters of T into a cp_thread of the profile and add them to
 * the run's functions; GID maps the process's functions to the run's.
 */
static void merge_thread(struct loader *ld, struct proc *pr, struct thr *t,
			 const uint32_t *gid)
{
	uint64_t at = t->stop;
	struct cp_profile *p = ld->p;
	struct cp_thread *ct;
	struct cp_thread_func *rows = NULL;
	size_t nrows = 0, caprows = 0;

	rowof_reserve(ld, p->nfuncs);
	p->threads = grow(p->threads, &ld->capthreads, p->nthreads + 1,
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

	/* Two addresses may get one name: their rows merge. */
	for (size_t i = 0; i < t->nst && i < pr->npf; i++) {
		const struct tstat *s = &t->st[i];
		struct cp_stats st;
		uint32_t g = gid[i];

		if (s->calls == 0)
			continue;
		if (g >= p->nfuncs)
			continue;
		st.calls = s->calls;
		st.self_ns = to_ns(pr, s->self);
		st.total_ns = to_ns(pr, s->total);
		if (ld->rowof[g] == CP_INDEX_NONE) {
			rows = grow(rows, &caprows, nrows + 1, sizeof *rows);
			memset(&rows[nrows], 0, sizeof *rows);
			rows[nrows].func = g;
			ld->rowof[g] = (uint32_t)nrows++;
		}
		stats_add(&rows[ld->rowof[g]].st, &st);
		stats_add(&p->funcs[g].st, &st);
	}
	for (size_t r = 0; r < nrows; r++)
		ld->rowof[rows[r].func] = CP_INDEX_NONE;
	ct->funcs = rows;
	ct->nfuncs = nrows;
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
			p->frames = grow(p->frames, &ld->capframes,
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

/* The log has been read: close what is open, convert and merge. */
static void proc_finish(struct loader *ld, struct proc *pr)
{
	struct cp_profile *p = ld->p;
	struct cp_process *cp;
	uint64_t last = pr->npoints ? pr->hi_t : 0, origin = UINT64_MAX;
	uint32_t *gid;

	/* The last known time: the end record, else the latest of anything. */
	if (pr->has_end)
		last = pr->end_ticks;
	for (size_t i = 0; i < pr->nth; i++) {
		const struct thr *t = &pr->th[i];

		if (t->seen && t->last > last)
			last = t->last;
		if (t->seen && t->origin < origin)
			origin = t->origin;
		if (t->has_end && t->end > last && !pr->has_end)
			last = t->end;
	}
	if (!pr->has_end)
		warnx("%s: process %d did not finish (killed?): showing data "
		      "up to its last flush",
		      pr->log, pr->pid);
	calibrate(pr);

	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];

		/*
		 * A thread that ended closes its frames then; one still
		 * running when the process ended is cut there.
		 */
		t->stop = last;
		if (t->has_end)
			t->stop = t->end > t->last ? t->end : t->last;
		if (t->depth > 0 && !t->has_end)
			t->unfinished = 1;
		while (t->depth > 0)
			pop(pr, t, t->stop, 0);
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
	}
	for (size_t i = 0; i < pr->npf; i++) {
		const struct pfunc *f = &pr->pf[i];
		struct cp_sym sym;

		if (gid[i] == CP_INDEX_NONE)
			continue;
		if (f->kind == CP_SITE_ADDR) {
			cp_symmap_lookup(pr->map, f->addr, f->gen, &sym);
		} else {
			/* Marker sites are named by the log itself. */
			sym.name = f->name;
			sym.object = NULL;
			sym.file = f->file[0] ? f->file : NULL;
			sym.line = f->line;
		}
		gid[i] = func_get(ld, &sym);
	}
	for (size_t i = 0; i < pr->nth; i++)
		merge_thread(ld, pr, &pr->th[i], gid);
	free(gid);
	merge_frames(ld, pr);

	p->procs =
		grow(p->procs, &ld->capprocs, p->nprocs + 1, sizeof *p->procs);
	cp = &p->procs[p->nprocs++];
	memset(cp, 0, sizeof *cp);
	cp->pid = pr->pid;
	cp->ppid = pr->ppid;
	cp->exe = pr->exe;
	cp->log = pr->log;
	/* The header's clock point is taken when the runtime starts. */
	if (pr->has_clock)
		cp->start_ns = pr->clock_ns;
	else if (origin != UINT64_MAX)
		cp->start_ns = to_mono(pr, origin);
	cp->end_ns = pr->has_end ? pr->end_ns : to_mono(pr, last);
	cp->finished = pr->has_end;
	cp->end_reason = pr->end_reason;
	cp->signal = pr->signal;
	cp->events = pr->events;
	cp->lost = pr->lost;
	cp->skipped_bytes = pr->skipped;
}

static void proc_free(struct proc *pr)
{
	for (size_t i = 0; i < pr->nth; i++) {
		free(pr->th[i].stack);
		free(pr->th[i].st);
		free(pr->th[i].marks);
	}
	for (size_t i = 0; i < pr->nfr; i++)
		free(pr->fr[i].fine);
	free(pr->th);
	free(pr->fr);
	free(pr->pf);
	free(pr->sitemap);
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
		logs = grow(logs, &caplogs, nlogs + 1, sizeof *logs);
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

	cp_symbols_free(ld.syms);
	cp_index_clear(&ld.func_ix);
	free(ld.rowof);
	return rc;
}

void cp_profile_free(struct cp_profile *p)
{
	for (size_t i = 0; i < p->nthreads; i++)
		free(p->threads[i].funcs);
	free(p->threads);
	free(p->funcs);
	free(p->procs);
	free(p->frames);
	if (p->argv != NULL) {
		for (char **a = p->argv; *a != NULL; a++)
			free(*a);
		free(p->argv);
	}
	cp_pool_free(p->pool);
	memset(p, 0, sizeof *p);
}
