/*
 * merge.c - a finished process merged into the run's tables.
 *
 * When a log has been read and its frames closed, its functions are named
 * (addresses with the load map of their time, markers by the log itself)
 * and keyed by (name, object) in the run; its threads become rows in
 * nanoseconds, its frame lengths join the run's histograms, and its
 * counters map to the run's by name, scaled where the kernel multiplexed
 * them. Once every log is in, the distortion check compares marker time
 * with samples.
 */
#include "config.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

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
	to->self_marker_ns += from->self_marker_ns;
	to->comp_ns += from->comp_ns;
	to->sampled_ns += from->sampled_ns;
	to->hook_sampled_ns += from->hook_sampled_ns;
	to->untimed_calls += from->untimed_calls;
	to->timed_self_ns += from->timed_self_ns;
	to->timed_total_ns += from->timed_total_ns;
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
		if (t->cct != NULL)
			cp_cct_widen(t->cct, old + 1);
	}
	if (p->cct != NULL)
		cp_cct_widen(p->cct, old + 1);
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

/* What converts a thread's tree to the run's units (cct_merge()). */
struct cct_conv {
	const struct proc *pr;
	const struct thr *t;
};

static uint64_t cct_time(const void *ctx, uint64_t v)
{
	return cp_clock_ns(&((const struct cct_conv *)ctx)->pr->clk, v);
}

static uint64_t cct_count(const void *ctx, size_t k, uint64_t v)
{
	(void)k;
	return scale(((const struct cct_conv *)ctx)->t, v);
}

/*
 * The tree of T, in its process's functions and ticks, into CT's own and
 * the run's, in the run's functions (GID), nanoseconds and counters.
 */
static void cct_merge(struct loader *ld, struct proc *pr, struct thr *t,
		      struct cp_thread *ct, const uint32_t *gid)
{
	struct cp_profile *p = ld->p;
	struct cct_conv conv = {pr, t};
	struct cp_cct_map map = {.func = gid,
				 .counter = pr->runidx,
				 .time = cct_time,
				 .count = cct_count,
				 .ctx = &conv};

	if (t->cct == NULL)
		return;
	if (p->cct == NULL)
		p->cct = cp_cct_new(p->ncounters);
	ct->cct = cp_cct_new(p->ncounters);
	cp_cct_merge(ct->cct, t->cct, &map);
	cp_cct_finish(ct->cct);
	cp_cct_merge(p->cct, t->cct, &map);
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
 * The time of S in nanoseconds: its self and total time as measured, less
 * the hooks' cost the calibration took out (replay.c, compensate()).
 */
static void thread_stats(const struct proc *pr, const struct tstat *s,
			 struct cp_stats *st)
{
	uint64_t cs = cp_clock_ns(&pr->clk, s->cself / 1000);
	uint64_t ct = cp_clock_ns(&pr->clk, s->ctotal / 1000);

	memset(st, 0, sizeof *st);
	st->calls = s->calls;
	st->self_marker_ns = cp_clock_ns(&pr->clk, s->self);
	st->comp_ns = cs < st->self_marker_ns ? cs : st->self_marker_ns;
	st->self_ns = st->self_marker_ns - st->comp_ns;
	st->total_ns = cp_clock_ns(&pr->clk, s->total);
	st->total_ns -= ct < st->total_ns ? ct : st->total_ns;
}

/*
 * With a leader that counts CPU time: the samples that went to another
 * function than their frame's (samples.c, foreign()) leave the frame's
 * self time for that function's, and the CPU time sampled in the
 * function is kept for the reconciliation (reconcile()).
 */
static void sampled_stats(const struct thr *t, const struct tstat *s,
			  struct cp_stats *st)
{
	/*
	 * Each sample stands for the thread's mean CPU time a sample, as a
	 * sampling profiler counts them: a sample's own count covers the
	 * time since the one before, wherever that was spent.
	 */
	double per = t->in_n ? (double)t->in_lead / (double)t->in_n : 0;
	uint64_t out = (uint64_t)((double)s->xout / 1024 * per);
	uint64_t in = (uint64_t)((double)s->xin / 1024 * per);

	st->self_ns = (st->self_ns > out ? st->self_ns - out : 0) + in;
	if (st->total_ns < st->self_ns)
		st->total_ns = st->self_ns;
	st->sampled_ns = (uint64_t)((double)s->nin * per);
	st->hook_sampled_ns = (uint64_t)((double)s->rtin / 1024 * per);
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
		ct->start_ns = cp_clock_mono(&pr->clk, t->origin);
	else
		ct->start_ns =
			cp_clock_mono(&pr->clk, t->has_start ? t->start : at);
	ct->end_ns = cp_clock_mono(&pr->clk, at);
	ct->unfinished = t->unfinished;
	ct->unreliable = t->unreliable;
	ct->counters_missing = t->x.none;
	ct->contexts = t->nctx > 1 ? t->nctx - 1 : 0;
	ct->samples = t->samples;
	ct->lost = t->lost;
	ct->throttled = t->throttled;
	ct->unthrottled = t->unthrottled;
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
		if (i < t->ntsamp)
			p->funcs[g].throttled_samples += t->tsamp[i];
		thread_stats(pr, s, &st);
		/*
		 * Adaptive timing: a function whose calls were counted has
		 * no honest time of its own from the markers (its warm-up
		 * calls only): it is left to the samples, which the lines
		 * below give it; its timed warm-up is kept apart.
		 */
		st.untimed_calls = s->untimed;
		st.timed_self_ns = st.self_marker_ns;
		st.timed_total_ns = cp_clock_ns(&pr->clk, s->total);
		if (s->untimed)
			st.self_ns = st.total_ns = 0;
		if (pr->ns_leader)
			sampled_stats(t, s, &st);
		if (ld->rowof[g] == CP_INDEX_NONE) {
			rows = xgrow(rows, &caprows, nrows + 1, sizeof *rows);
			memset(&rows[nrows], 0, sizeof *rows);
			rows[nrows].func = g;
			ld->rowof[g] = (uint32_t)nrows++;
		}
		row = &rows[ld->rowof[g]];
		stats_add(&row->st, &st);
		stats_add(&p->funcs[g].st, &st);
		cp_offcpu_merge(pr, t, i, &p->funcs[g]);
		/*
		 * The samples of a CPU-time leader see on-CPU time only:
		 * with context switches recorded, the time off it is left
		 * out of the marker time they are compared with.
		 */
		if (dist)
			ld->dtime[g] += st.self_ns -
					cp_offcpu_self(pr, t, i, st.self_ns);
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
		if (dist && pr->ns_leader)
			ld->dlead[g] += st.sampled_ns;
		else if (dist)
			ld->dlead[g] +=
				cs_at(pr, t, (uint32_t)i)[CS_LEAD(pr->nc)];
	}
	if (dist)
		ld->dn += t->marked;
	for (size_t r = 0; r < nrows; r++)
		ld->rowof[rows[r].func] = CP_INDEX_NONE;
	ct->funcs = rows;
	ct->nfuncs = nrows;
	cp_syscalls_merge(ld, pr, t, gid);
	cct_merge(ld, pr, t, ct, gid);
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
		g->total_ns += cp_clock_ns(&pr->clk, f->total);
		if (cp_clock_ns(&pr->clk, f->min) < g->min_ns)
			g->min_ns = cp_clock_ns(&pr->clk, f->min);
		if (cp_clock_ns(&pr->clk, f->max) > g->max_ns)
			g->max_ns = cp_clock_ns(&pr->clk, f->max);
		for (unsigned b = 0; b < FINE_BUCKETS; b++) {
			uint64_t ns;

			if (f->fine[b] == 0)
				continue;
			ns = cp_clock_ns(&pr->clk, fine_lower(b));
			g->hist[ns ? 63 - __builtin_clzll(ns) : 0] +=
				f->fine[b];
		}
	}
}

void cp_proc_sym(struct proc *pr, uint32_t fid, struct cp_sym *sym)
{
	const struct pfunc *f = &pr->pf[fid];

	memset(sym, 0, sizeof *sym);
	if (f->resolved) {
		sym->name = f->name;
		sym->object = f->object;
		sym->file = f->file;
		sym->line = f->line;
	} else if (f->kind == CP_SITE_ADDR) {
		cp_symmap_lookup(pr->map, f->addr, f->gen, sym);
	} else {
		/* Marker sites are named by the log itself. */
		sym->name = f->name;
		sym->object = NULL;
		sym->file = f->file[0] ? f->file : NULL;
		sym->line = f->line;
	}
}

/* MT thousandths of a tick of PR in nanoseconds. */
static double calib_ns(const struct proc *pr, uint64_t mt)
{
	const struct cp_clock_line *l = &pr->clk.line;

	return l->den == 0
		       ? 0
		       : (double)mt / 1000 * (double)l->num / (double)l->den;
}

void cp_merge_proc(struct loader *ld, struct proc *pr, uint64_t last,
		   uint64_t origin, const char *state, int ws)
{
	struct cp_profile *p = ld->p;
	struct cp_process *cp;
	uint32_t *gid;
	int dist;
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
		/* What the tree holds is named too, to keep its paths whole. */
		for (size_t j = 0; t->cct != NULL && j < cp_cct_nnodes(t->cct);
		     j++)
			gid[cp_cct_node(t->cct, (uint32_t)j)->func] = 0;
	}
	for (size_t i = 0; i < pr->npf; i++) {
		struct cp_sym sym;

		if (gid[i] == CP_INDEX_NONE)
			continue;
		cp_proc_sym(pr, (uint32_t)i, &sym);
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
	cp_frames_merge(ld, pr, gid);
	cp_alloc_merge(ld, pr, gid);
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
	cp->has_select = pr->has_select;
	cp->sel_filter = pr->sel_filter;
	cp->sel_exclude = pr->sel_exclude;
	cp->sel_min_ns = pr->sel_min_ns;
	cp->log = pr->log;
	if (pr->has_adaptive) {
		cp->adaptive = 1;
		cp->adapt_warmup = pr->adapt_warmup;
		cp->adapt_threshold_ns =
			cp_clock_ns(&pr->clk, pr->adapt_threshold);
		cp->adapt_timed_call_ns =
			cp_clock_ns(&pr->clk, pr->adapt_timed);
		cp->adapt_counted_call_ns =
			cp_clock_ns(&pr->clk, pr->adapt_counted);
	}
	/* The header's clock point is taken when the runtime starts. */
	if (pr->has_clock)
		cp->start_ns = pr->clock_ns;
	else if (origin != UINT64_MAX)
		cp->start_ns = cp_clock_mono(&pr->clk, origin);
	cp->end_ns = pr->has_end ? pr->end_ns : cp_clock_mono(&pr->clk, last);
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
	cp->unthrottled = pr->sunthrottled;
	cp->by_ip = pr->by_ip;
	cp->skew_ns = pr->clk.skew_ns + cp_clock_ns(&pr->clk, pr->clk.width);
	cp->clock_note = pr->clock_note;
	cp->unplaced = pr->unplaced;
	cp->callchains = pr->chains;
	cp->broken_chains = pr->broken;
	cp->dwarf = pr->dwarf_regs != 0;
	cp->has_calib = pr->has_calib;
	cp->calib_own_ns = calib_ns(pr, pr->c_own_mt);
	cp->calib_caller_ns = calib_ns(pr, pr->c_caller_mt);
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

/*
 * The reconciliation (doc/design.md, "The hybrid"): where a function's
 * self time comes from. Marker time, compensated, is the more precise,
 * and is kept wherever the distortion check finds it agrees with the
 * samples. Where they disagree beyond sampling error:
 *  - more samples than marker time: the markers miss work (the
 *    compensation took too much): the samples are trusted;
 *  - more marker time than samples, by no more than twice the hooks'
 *    cost in it, the calibration's (on the markers' wall clock, rho)
 *    plus what the samples in the runtime's code taken in its frames
 *    stand for (counted calls' hooks, which the calibration does not
 *    cover): the hooks cost more in the program than at start (caches,
 *    the writer's traffic, time the thread waited for its CPU while
 *    they ran): the samples are trusted;
 *  - more marker time than that: time off CPU, which samples of CPU
 *    time cannot see: the markers are trusted.
 * A function with no timed call (the C library's, the kernel's, one the
 * runtime only counts) has its samples' time. Sampled times go on the
 * markers' (wall) clock at rho ns for each ns of CPU time sampled, the
 * ratio of marker time to sampled time over the checked threads, so that
 * both kinds of self time add up to the same whole.
 */
static const char *const why_samples_more =
	"more samples than marker time: work the markers miss; self "
	"time from samples";
static const char *const why_hooks =
	"more marker time than samples: hook cost the compensation left; "
	"self time from samples";
static const char *const why_off_cpu =
	"more marker time than samples: time off CPU, which samples "
	"cannot see; self time from markers";

static void reconcile(struct loader *ld)
{
	struct cp_profile *p = ld->p;
	size_t n = p->nfuncs < ld->capdist ? p->nfuncs : ld->capdist;
	double time = 0, lead = 0;
	int checked = ld->has_dist && ld->dn >= CP_DIST_MIN_SAMPLES, ns_rows;

	p->rho = 1;
	for (size_t g = 0; g < p->nfuncs; g++) {
		struct cp_func *f = &p->funcs[g];

		if (f->st.calls == 0 || f->st.untimed_calls > 0)
			f->self_source = CP_SELF_SAMPLED;
		else
			f->self_source = f->st.comp_ns > 0 ? CP_SELF_COMPENSATED
							   : CP_SELF_TIMED;
	}
	if (!checked)
		return;
	for (size_t g = 0; g < n; g++) {
		time += (double)ld->dtime[g];
		lead += (double)ld->dlead[g];
	}
	if (lead == 0 || time == 0)
		return;
	p->rho = time / lead;
	ns_rows = p->counters[ld->dist].ns;
	for (size_t g = 0; g < n; g++) {
		struct cp_func *f = &p->funcs[g];
		struct cp_distortion *d = &f->dist;
		double excess = (d->time_share - d->sample_share) * time;
		uint64_t self;

		if (!d->flagged || f->st.calls == 0 || f->st.untimed_calls > 0)
			continue;
		if (d->sample_share > d->time_share)
			d->reason = why_samples_more;
		else if (excess <= 2.0 * ((double)f->st.comp_ns * p->rho +
					  (double)f->st.hook_sampled_ns))
			d->reason = why_hooks;
		else
			d->reason = why_off_cpu;
		d->trust_samples = d->reason != why_off_cpu;
		if (!d->trust_samples)
			continue;
		f->self_source = CP_SELF_SAMPLED;
		self = (uint64_t)((double)ld->dlead[g] * p->rho);
		self += f->st.self_ns > ld->dtime[g]
				? f->st.self_ns - ld->dtime[g]
				: 0;
		f->st.self_ns = self;
		if (f->st.total_ns < self)
			f->st.total_ns = self;
		/* A thread's row, where its samples counted CPU time. */
		for (size_t i = 0; ns_rows && i < p->nthreads; i++) {
			struct cp_thread *t = &p->threads[i];

			for (size_t j = 0; j < t->nfuncs; j++) {
				struct cp_stats *st = &t->funcs[j].st;

				if (t->funcs[j].func != g)
					continue;
				st->self_ns =
					(uint64_t)((double)st->sampled_ns *
						   p->rho);
				if (st->total_ns < st->self_ns)
					st->total_ns = st->self_ns;
			}
		}
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
	reconcile(ld);
}

void cp_merge_run(struct loader *ld)
{
	struct cp_profile *p = ld->p;

	/* The shares of the distortion check are of marker time. */
	p->total_self_ns = 0;
	for (size_t i = 0; i < p->nfuncs; i++)
		p->total_self_ns += p->funcs[i].st.self_ns;
	counters_finish(ld);
	if (p->ncounters == 0)
		reconcile(ld);
	p->total_self_ns = 0;
	p->comp_ns = 0;
	for (size_t i = 0; i < p->nfuncs; i++) {
		p->total_self_ns += p->funcs[i].st.self_ns;
		p->comp_ns += p->funcs[i].st.comp_ns;
	}
	/* A run without events still has its (empty) tree when asked. */
	if (p->want_cct && p->cct == NULL)
		p->cct = cp_cct_new(p->ncounters);
	if (p->cct != NULL)
		cp_cct_finish(p->cct);
	cp_advice(p);
}
