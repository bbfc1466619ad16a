/*
 * replay.c - a thread's marker events replayed on its call stack.
 *
 * Each process's functions and frame names get small ids as their sites
 * are first met; each thread keeps a stack of open frames, per execution
 * context, and per function the calls, self and total time in ticks (and
 * the counters' values in exact mode), by the rules in profile.c. Per
 * event there are only array look-ups and stack operations.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* Frames. */

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

uint32_t cp_proc_frame(struct proc *pr, const char *name)
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
struct thr *cp_proc_thread(struct proc *pr, int tid)
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
	if (pr->ld->p->want_cct)
		t->cct = cp_cct_new(pr->nc);
	cp_index_add(&pr->thr_ix, h, (uint32_t)pr->nth);
	pr->nth++;
	return t;
}

/*
 * The thread TID, for counter chunks: those of a thread that ended come
 * before its end record, but nothing makes that a rule for readers, so an
 * ended thread is not replaced here.
 */
struct thr *cp_proc_thread_find(struct proc *pr, int tid)
{
	struct thr_key k = {pr, tid};
	uint64_t h = cp_hash_u64((uint64_t)(uint32_t)tid);
	uint32_t id = cp_index_find(&pr->thr_ix, h, thr_eq, &k);

	return id != CP_INDEX_NONE ? &pr->th[id] : cp_proc_thread(pr, tid);
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

uint32_t cp_proc_func_new(struct proc *pr, const struct pfunc *f)
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
			id = cp_proc_func_new(pr, &f);
			cp_index_add(&pr->addr_ix, h, id);
		}
		return id;
	}
	if (s->kind == CP_SITE_FRAME)
		return FRAME_BIT | cp_proc_frame(pr, intern(pr, s->name));
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
		id = cp_proc_func_new(pr, &f);
		cp_index_add(&pr->marker_ix, h, id);
	}
	return id;
}

/* The stack machine. */

/*
 * Give T a slot for every function and frame name of its process, and
 * the process a sample mark for every function.
 */
void cp_thread_reserve(struct proc *pr, struct thr *t)
{
	if (t->nst < pr->npf) {
		size_t old = t->nst, cap = t->nst;

		t->st = xgrow(t->st, &cap, pr->npf, sizeof *t->st);
		memset(t->st + old, 0, (cap - old) * sizeof *t->st);
		t->nst = cap;
	}
	if (t->nmarks < pr->nfr) {
		size_t old = t->nmarks, cap = t->nmarks;

		cp_frames_thread(pr, t);
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

/*
 * Exact mode: the counters of S at the enter of its open frame D, the
 * deltas of its closed children, and what the compensation took out of
 * the counts inside their intervals (3 k numbers a frame).
 */
static inline uint64_t *cf_enter(const struct tstack *s, size_t k, size_t d)
{
	return s->cf + d * 3 * k;
}

static inline uint64_t *cf_kids(const struct tstack *s, size_t k, size_t d)
{
	return s->cf + d * 3 * k + k;
}

static inline uint64_t *cf_ovh(const struct tstack *s, size_t k, size_t d)
{
	return s->cf + d * 3 * k + 2 * k;
}

/* Exact mode: the frame just pushed on T starts with the values V. */
static void exact_push(struct proc *pr, struct thr *t, const uint64_t *v)
{
	struct tstack *s = &t->stk;
	size_t k = pr->nc;

	s->cf = xgrow(s->cf, &s->capcf, s->depth, 3 * k * sizeof *s->cf);
	memcpy(cf_enter(s, k, s->depth - 1), v, k * sizeof *v);
	memset(cf_kids(s, k, s->depth - 1), 0, 2 * k * sizeof *v);
}

/*
 * Exact mode: the frame of FID at depth t->stk.depth closed with the values
 * V. Counts are summed exactly like time: self = delta - the children's
 * deltas, total only when OUTER (its outermost activation) closes. With a
 * calibration of the counters (exact mode's calib chunk), what one timed
 * call's hooks add to them is taken out as compensate() takes time out:
 * c_own + nkids c_caller from self, never more than it, and from total
 * whatever was taken out inside the interval. OUT, when not NULL,
 * receives the self deltas then the deltas (2 nc), as compensated.
 */
static void exact_pop(struct proc *pr, struct thr *t, uint32_t fid, int outer,
		      const uint64_t *v, uint64_t *out)
{
	const struct tstack *s = &t->stk;
	size_t k = pr->nc;
	const uint64_t *enter = cf_enter(s, k, s->depth),
		       *kids = cf_kids(s, k, s->depth),
		       *ovh = cf_ovh(s, k, s->depth), *cc = pr->c_counts;
	uint64_t *c = cs_at(pr, t, fid);
	uint64_t *up = s->depth > 0 ? cf_kids(s, k, s->depth - 1) : t->x.root;
	uint64_t *upo = s->depth > 0 ? cf_ovh(s, k, s->depth - 1) : NULL;
	uint64_t nk = t->stk.open[s->depth].nkids;

	for (size_t j = 0; j < k; j++) {
		/* Counters only grow; a damaged value counts nothing. */
		uint64_t d = v[j] > enter[j] ? v[j] - enter[j] : 0;
		uint64_t self = d > kids[j] ? d - kids[j] : 0, sub = 0, in = 0;

		/* No count at either end: the frame counts nothing. */
		if (__builtin_expect(v[j] == CPROF_COUNTER_NONE ||
					     enter[j] == CPROF_COUNTER_NONE,
				     0)) {
			t->x.none = 1;
			if (out != NULL)
				out[j] = out[k + j] = 0;
			continue;
		}
		if (cc != NULL) {
			sub = (cc[2 * j] + nk * cc[2 * j + 1] + 500) / 1000;
			if (sub > self)
				sub = self;
			in = sub + ovh[j];
		}
		c[j] += self - sub;
		if (outer)
			c[k + j] += d > in ? d - in : 0;
		up[j] += d;
		if (upo != NULL)
			upo[j] += in;
		/* The tree's node and edge get the compensated deltas. */
		if (out != NULL) {
			out[j] = self - sub;
			out[k + j] = d > in ? d - in : 0;
		}
	}
}

/* The call of FID just pushed on T, inside the frame under it. */
static inline uint32_t cct_push(struct thr *t, uint32_t fid)
{
	return cp_cct_call_in(t->cct,
			      t->stk.depth > 1
				      ? t->stk.open[t->stk.depth - 2].call
				      : CP_CCT_NONE,
			      fid);
}

/*
 * The frame F of T, D ticks long, has closed: its self time (and exact
 * mode's self deltas, EXACT) go to its node, the call to the edge from
 * the frame under it, with its time and deltas when OUTER (cct.h).
 */
static inline void cct_pop(struct proc *pr, struct thr *t,
			   const struct open_frame *f, uint64_t d, int outer,
			   int exact)
{
	const uint64_t *c = exact ? t->cdelta : NULL;

	cp_cct_call_close(t->cct, f->call, d - f->children, c, outer ? d : 0,
			  outer && exact ? c + pr->nc : NULL);
}

/*
 * Overhead compensation (doc/design.md, "The hybrid"). Each timed call
 * carries c_own of hook work inside its own interval and puts c_caller in
 * its caller's, so the frame F of FID (stats S) that closed after D ticks
 * holds c_own + nkids c_caller of hook work in its self time: that is
 * taken out, never more than the call's self time. Its total loses what
 * was taken out of every self time inside its interval (F->ovh holds its
 * children's), so that self times still add up to totals. The amounts go
 * to S (thousandths of a tick); what was taken out inside the interval is
 * returned for the caller's frame.
 */
static inline __attribute__((always_inline)) uint64_t
compensate(const struct proc *pr, const struct open_frame *f, struct tstat *s,
	   uint64_t d, int outer)
{
	uint64_t self = (d - f->children) * 1000;
	uint64_t sub = pr->c_own_mt + f->nkids * pr->c_caller_mt;
	uint64_t in;

	if (sub > self)
		sub = self;
	in = sub + f->ovh;
	s->cself += sub;
	s->kids += f->nkids;
	if (outer)
		s->ctotal += in;
	return in;
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
	struct open_frame *f = &t->stk.open[--t->stk.depth];
	struct tstat *s = &t->st[f->fid];
	uint64_t d = tk - f->start, own = 0;
	int outer;

	if (__builtin_expect(pr->ld->tap != NULL, 0) && pr->ld->tap->call)
		pr->ld->tap->call(pr->ld->tap_arg, pr, t, f->fid, f->start, tk,
				  t->stk.depth, !root, v);
	s->calls++;
	s->self += d - f->children;
	if (t->ssum != NULL)
		cp_frames_self(pr, t, f->fid, d - f->children, 1);
	outer = --s->active == 0;
	if (outer)
		s->total += d;
	if (pr->has_calib)
		own = compensate(pr, f, s, d, outer);
	if (v != NULL)
		exact_pop(pr, t, f->fid, outer, v, t->cdelta);
	if (t->cct != NULL)
		cct_pop(pr, t, f, d, outer, v != NULL);
	if (t->stk.depth > 0) {
		struct open_frame *up = &t->stk.open[t->stk.depth - 1];

		up->children += d;
		if (pr->has_calib) {
			up->nkids++;
			up->ovh += own;
		}
	} else {
		t->stk.base_children += d;
		if (root)
			frame_add(pr, 0, d);
		if (root && t->ssum != NULL)
			cp_frames_end(pr, t, 0, tk, d, v);
	}
}

static void frame_mark(struct proc *pr, struct thr *t, uint32_t idx,
		       uint64_t tk, const uint64_t *v)
{
	uint64_t prev = t->marks[idx];

	if (prev == NO_MARK)
		prev = t->origin;
	if (pr->ld->tap != NULL && pr->ld->tap->mark != NULL)
		pr->ld->tap->mark(pr->ld->tap_arg, pr, t, idx, prev, tk);
	frame_add(pr, idx, tk - prev);
	if (t->ssum != NULL)
		cp_frames_end(pr, t, idx, tk, tk - prev, v);
	t->marks[idx] = tk;
}

/* An exit that is not of the innermost open frame; V as for pop(). */
static void exit_slow(struct proc *pr, struct thr *t, uint32_t id, uint64_t tk,
		      const uint64_t *v)
{
	struct tstat *s;
	uint64_t d, prev, self;
	size_t k;

	if (id & SPECIAL)
		return; /* a frame mark has no exit, the runtime's events none
			 */
	for (k = t->stk.depth; k > 0; k--) {
		if (t->stk.open[k - 1].fid == id)
			break;
	}
	if (k > 0) {
		/* Deeper in the stack: the frames above were jumped over. */
		while (t->stk.depth >= k)
			pop(pr, t, tk, 1, v);
		return;
	}

	s = &t->st[id];
	if (t->stk.depth > 0) {
		/*
		 * A frame from before the stream encloses everything in it,
		 * so it cannot return while frames opened since are open:
		 * the enter of this call was lost. It counts as a call of
		 * unknown length, and the open frames stay as they are.
		 */
		s->calls++;
		if (t->cct != NULL) {
			cp_cct_call_close(
				t->cct,
				cp_cct_call_in(
					t->cct,
					t->stk.open[t->stk.depth - 1].call, id),
				0, NULL, 0, NULL);
		}
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
	if (pr->ld->tap != NULL && pr->ld->tap->call != NULL)
		pr->ld->tap->call(pr->ld->tap_arg, pr, t, id, t->origin, tk, 0,
				  0, v);
	prev = s->total;
	s->calls++;
	self = d > t->stk.base_children ? d - t->stk.base_children : 0;
	s->self += self;
	if (t->ssum != NULL)
		cp_frames_self(pr, t, id, self, 0);
	s->total = d;
	t->stk.base_children = d;
	if (v != NULL) {
		size_t n = pr->nc;
		uint64_t *c = cs_at(pr, t, id), *origin = t->x.origin,
			 *base = t->x.root, *out = t->cdelta;

		for (size_t j = 0; j < n; j++) {
			uint64_t dv = v[j] > origin[j] ? v[j] - origin[j] : 0;
			uint64_t sd = dv > base[j] ? dv - base[j] : 0;

			if (v[j] == CPROF_COUNTER_NONE ||
			    origin[j] == CPROF_COUNTER_NONE) {
				t->x.none = 1;
				if (out != NULL)
					out[j] = out[n + j] = 0;
				continue;
			}

			c[j] += sd;
			/* The edge gets what the total grew by. */
			if (out != NULL) {
				out[j] = sd;
				out[n + j] = dv > c[n + j] ? dv - c[n + j] : 0;
			}
			c[n + j] = dv;
			base[j] = dv;
		}
	}
	/*
	 * In the tree the call is a root of its own: what it enclosed was
	 * replayed as roots already. Its edge from the root gets the time by
	 * which its total grew, so that its edges still add up to it.
	 */
	if (t->cct != NULL) {
		const uint64_t *c = v != NULL ? t->cdelta : NULL;

		cp_cct_close(t->cct, cp_cct_enter(t->cct, CP_CCT_NONE, id), 1,
			     self, c);
		cp_cct_edge_add(t->cct, CP_CCT_NONE, id, 1,
				d > prev ? d - prev : 0,
				c != NULL ? c + pr->nc : NULL, 0);
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
	c->stk = t->stk;
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
	t->stk = c->stk;
	for (size_t d = 0; d < t->stk.depth; d++) {
		t->stk.open[d].start += tk > c->out_tk ? tk - c->out_tk : 0;
		if (v != NULL && c->out_v != NULL)
			for (size_t j = 0; j < k; j++) {
				uint64_t *e = &cf_enter(&t->stk, k, d)[j];

				/* A value missing: the frame counts nothing. */
				if (v[j] == CPROF_COUNTER_NONE ||
				    c->out_v[j] == CPROF_COUNTER_NONE)
					*e = CPROF_COUNTER_NONE;
				else if (*e != CPROF_COUNTER_NONE)
					*e += v[j] - c->out_v[j];
			}
	}
}

/* The runtime's events: a frame mark, a switch of context, a warning. */
static void special(struct proc *pr, struct thr *t, uint32_t id, uint64_t tk,
		    const uint64_t *v)
{
	if (id & FRAME_BIT)
		frame_mark(pr, t, id & ~FRAME_BIT, tk, v);
	else if (id & SWITCH_BIT)
		switch_ctx(pr, t, id & ~SWITCH_BIT, tk, v);
	else
		t->unreliable = 1;
}

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
		/* --alloc: an allocation queued between the events. */
		if (mode == RUN_SAMPLED &&
		    __builtin_expect(ev[i].exit == CP_EV_ALLOC, 0)) {
			cp_alloc_run(pr, t, ev[i].site);
			continue;
		}
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
			v = vals != NULL ? vals + i * k : t->x.last;
		/*
		 * A sample at TK belongs to what is open once every event at
		 * TK has run: enter inclusive, exit exclusive.
		 */
		if (mode == RUN_SAMPLED && t->qhead < t->qconv &&
		    t->q[t->qhead].tk < tk + pr->skew_tk)
			cp_samples_before(pr, t, tk, id, ev[i].exit);
		if (mode == RUN_SAMPLED && t->ohead < t->oconv &&
		    t->oq[t->ohead].tk < tk)
			cp_offcpu_before(pr, t, tk);
		if (!ev[i].exit) {
			struct open_frame *f;

			if (__builtin_expect(id & SPECIAL, 0)) {
				special(pr, t, id, tk, v);
				continue;
			}
			if (__builtin_expect(t->stk.depth == t->stk.cap, 0))
				t->stk.open = xgrow(t->stk.open, &t->stk.cap,
						    t->stk.depth + 1,
						    sizeof *t->stk.open);
			f = &t->stk.open[t->stk.depth++];
			f->start = tk;
			f->children = 0;
			f->fid = id;
			if (t->cct != NULL)
				f->call = cct_push(t, id);
			f->nkids = 0;
			f->ovh = 0;
			t->st[id].active++;
			if (mode == RUN_EXACT)
				exact_push(pr, t, v);
			if (t->ssum != NULL && t->stk.depth == 1)
				cp_frames_open(pr, t, 0, tk, v);
		} else if (__builtin_expect(
				   t->stk.depth > 0 &&
					   t->stk.open[t->stk.depth - 1].fid ==
						   id,
				   1)) {
			pop(pr, t, tk, 1, v);
		} else {
			exit_slow(pr, t, id, tk, v);
		}
	}
	t->last = last;
	if (mode == RUN_EXACT && vals != NULL && n > 0)
		memcpy(t->x.last, vals + (n - 1) * k, k * sizeof *vals);
}

/*
 * Exact mode: the first values seen on T are where its counters start,
 * for the frames open so far too (entered in a chunk without values).
 */
static void exact_values(struct proc *pr, struct thr *t, const uint64_t *v)
{
	size_t k = pr->nc;

	if (t->x.last == NULL) {
		t->x.last = xcalloc(3 * k, sizeof *t->x.last);
		t->x.origin = t->x.last + k;
		t->x.root = t->x.last + 2 * k;
		if (t->cct != NULL)
			t->cdelta = xcalloc(2 * k, sizeof *t->cdelta);
	}
	if (v == NULL || t->x.has_values)
		return;
	t->x.has_values = 1;
	t->counted = 1;
	memcpy(t->x.last, v, k * sizeof *v);
	memcpy(t->x.origin, v, k * sizeof *v);
	for (size_t d = 0; d < t->stk.depth; d++)
		memcpy(cf_enter(&t->stk, k, d), v, k * sizeof *v);
}

/* Events FROM to TO of C on T, as the process's mode runs them. */
static void run_slice(struct proc *pr, struct thr *t, const struct cp_log_ev *c,
		      size_t from, size_t to)
{
	if (from == to)
		return;
	if (pr->nc == 0) {
		run_events(pr, t, c->ev + from, to - from, pr->sitemap, NULL,
			   RUN_PLAIN);
	} else if (pr->exact) {
		const uint64_t *v =
			c->values != NULL ? c->values + from * pr->nc : NULL;

		exact_values(pr, t, v);
		run_events(pr, t, c->ev + from, to - from, pr->sitemap, v,
			   RUN_EXACT);
	} else {
		struct cp_log_ev part = *c;

		part.ev = c->ev + from;
		part.nev = to - from;
		part.values = NULL;
		cp_samples_pend(pr, t, &part);
	}
}

/*
 * --alloc: the chunk's events in slices, with its allocations and frees
 * between them, each where the stack stands after its events (alloc.c).
 */
static void run_allocs(struct proc *pr, struct thr *t,
		       const struct cp_log_ev *c)
{
	size_t from = 0;

	for (size_t i = 0; i < c->nallocs; i++) {
		const struct cp_log_alloc *a = &c->allocs[i];

		run_slice(pr, t, c, from, a->pos);
		from = a->pos;
		if (pr->nc > 0 && !pr->exact)
			cp_alloc_pend(pr, t, a);
		else
			cp_alloc_at(pr, t, a);
	}
	run_slice(pr, t, c, from, c->nev);
}

void cp_replay_ev(struct proc *pr, const struct cp_log_ev *c)
{
	struct thr *t;

	if (c->nev == 0 && c->nshort == 0 && c->nallocs == 0)
		return;
	t = cp_proc_thread(pr, c->tid);
	pr->sitemap = xgrow(pr->sitemap, &pr->capsitemap, c->nsites,
			    sizeof *pr->sitemap);
	for (size_t i = 0; i < c->nsites; i++)
		pr->sitemap[i] = site_id(pr, &c->sites[i]);

	/* New functions or frame names get their per-thread slots here. */
	cp_thread_reserve(pr, t);
	/*
	 * Calls shorter than --min-duration: counted, with no time of their
	 * own (it stays in their caller's self time).
	 */
	for (size_t i = 0; i < c->nshort; i++) {
		enum cp_site_kind kind = c->sites[c->shorts[2 * i]].kind;

		if (kind == CP_SITE_ADDR || kind == CP_SITE_FUNC ||
		    kind == CP_SITE_SCOPE)
			t->st[pr->sitemap[c->shorts[2 * i]]].calls +=
				c->shorts[2 * i + 1];
	}
	if (c->nev == 0 && c->nallocs == 0)
		return;
	if (!t->seen) {
		t->seen = 1;
		t->origin = c->nev ? c->ev[0].ticks : c->allocs[0].ticks;
		if (t->has_start && t->start < t->origin)
			t->origin = t->start;
		t->last = t->blast = t->origin;
	}
	pr->events += c->nev;
	if (c->nallocs > 0) {
		run_allocs(pr, t, c);
	} else if (pr->nc == 0) {
		run_events(pr, t, c->ev, c->nev, pr->sitemap, NULL, RUN_PLAIN);
	} else if (pr->exact) {
		exact_values(pr, t, c->values);
		run_events(pr, t, c->ev, c->nev, pr->sitemap, c->values,
			   RUN_EXACT);
	} else {
		cp_samples_pend(pr, t, c);
	}
}

/*
 * Adaptive timing: calls counted, not timed. They add to the exact calls
 * of their functions and, when the log names their callers, to their
 * call edges and the tree (cp_cct_counted()): no frame, no time.
 */
/*
 * The tree's function of the frame that made counted calls: none at the
 * bottom of a stack, or for a frame of the runtime's own (a context
 * switch, an unknown stack), which is no function.
 */
static uint32_t counted_caller(struct proc *pr, const struct cp_log_site *s)
{
	uint32_t id;

	if (s->kind == CP_SITE_ADDR && s->addr == 0)
		return CP_CCT_NONE;
	id = site_id(pr, s);
	return id & (FRAME_BIT | SWITCH_BIT) || id == UNKNOWN_STACK
		       ? CP_CCT_NONE
		       : id;
}

void cp_replay_calls(struct proc *pr, const struct cp_log_calls *c)
{
	struct thr *t = cp_proc_thread_find(pr, c->tid);

	for (size_t i = 0; i < c->n; i++) {
		struct cp_log_site s = {.kind = CP_SITE_ADDR,
					.addr = c->fns[2 * i]};
		uint32_t id = site_id(pr, &s);
		uint32_t from = c->callers != NULL
					? counted_caller(pr, &c->callers[i])
					: CP_CCT_NONE;

		cp_thread_reserve(pr, t);
		t->st[id].calls += c->fns[2 * i + 1];
		t->st[id].untimed += c->fns[2 * i + 1];
		if (t->cct != NULL && c->callers != NULL)
			cp_cct_counted(t->cct, from, id, c->fns[2 * i + 1]);
	}
}

void cp_replay_pending(struct proc *pr, struct thr *t)
{
	if (t->npend == 0)
		return;
	run_events(pr, t, t->pend, t->npend, NULL, NULL, RUN_SAMPLED);
	t->processed = 1;
	t->npend = 0;
}

void cp_replay_close(struct proc *pr, uint64_t last)
{
	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];
		const uint64_t *v = pr->exact ? t->x.last : NULL;

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
			if (t->stk.depth > 0 && !t->has_end)
				t->unfinished = 1;
			while (t->stk.depth > 0)
				pop(pr, t, t->stop, 0, v);
		}
	}
}
