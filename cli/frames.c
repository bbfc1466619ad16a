/*
 * frames.c - frame by frame (--frames): each frame's length, the
 * functions that took its time and its counters, kept in bounded memory
 * for the spike detection of the output (views.c).
 *
 * The replay tells this file where frames begin and end (a return to
 * depth 0 ends a root frame, a frame mark the frame of its name) and
 * the self time of every call that returns: a call's self time counts
 * in the frames open on its thread when it returns. A frame's counters
 * are the counters' values (exact mode) or the sum of the thread's
 * sample deltas (sampling) at its end less those at its start.
 *
 * A process keeps a uniform sample of its frames (reservoir sampling,
 * FR_KEEP of them: all of them in a run of fewer) and its FR_LONG
 * longest, so that memory stays flat however many frames a long run
 * has; at the end of the process they are named and added to the run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* The frames a process keeps: a uniform sample, and the longest. */
#define FR_KEEP 65536
#define FR_LONG 1024

/* The thread's accumulator of frame name IDX, made when first needed. */
static struct tfacc *facc(struct proc *pr, struct thr *t, uint32_t idx)
{
	if (idx >= t->nfacc) {
		size_t old = t->nfacc, cap = t->nfacc;

		t->facc = xgrow(t->facc, &cap, idx + 1, sizeof *t->facc);
		memset(t->facc + old, 0, (cap - old) * sizeof *t->facc);
		t->nfacc = cap;
	}
	if (!t->facc[idx].made) {
		struct tfacc *a = &t->facc[idx];

		a->made = 1;
		/* A marked frame's first runs from the thread's origin. */
		a->start = t->origin;
		if (pr->exact && t->x.has_values)
			for (size_t j = 0; j < pr->nc && j < FR_MAXC; j++)
				a->cstart[j] = t->x.origin[j];
	}
	return &t->facc[idx];
}

/* What the counters stand at for T: values V, or its samples' sums. */
static const uint64_t *cum(struct proc *pr, struct thr *t, const uint64_t *v)
{
	if (pr->nc == 0)
		return NULL;
	return pr->exact ? v : t->ssum;
}

void cp_frames_thread(struct proc *pr, struct thr *t)
{
	if (!pr->ld->p->want_frames)
		return;
	if (t->ssum == NULL)
		t->ssum = xcalloc(FR_MAXC, sizeof *t->ssum);
	/* Every name known: the first frame of a mark has its functions. */
	for (uint32_t i = 0; i < pr->nfr; i++)
		facc(pr, t, i);
}

void cp_frames_self(struct proc *pr, struct thr *t, uint32_t fid, uint64_t self,
		    int in_root)
{
	(void)pr;
	if (self == 0)
		return;
	for (size_t i = in_root ? 0 : 1; i < t->nfacc; i++) {
		struct tfacc *a = &t->facc[i];

		if (!a->made)
			continue;
		if (fid >= a->capself) {
			size_t old = a->capself;

			a->self = xgrow(a->self, &a->capself, fid + 1,
					sizeof *a->self);
			memset(a->self + old, 0,
			       (a->capself - old) * sizeof *a->self);
		}
		if (a->self[fid] == 0) {
			a->touched = xgrow(a->touched, &a->captouched,
					   a->ntouched + 1, sizeof *a->touched);
			a->touched[a->ntouched++] = fid;
		}
		a->self[fid] += self;
	}
}

void cp_frames_sample(struct proc *pr, struct thr *t, const uint64_t *d)
{
	for (size_t j = 0; t->ssum != NULL && j < pr->nc && j < FR_MAXC; j++)
		t->ssum[j] += d[j];
}

void cp_frames_open(struct proc *pr, struct thr *t, uint32_t idx, uint64_t tk,
		    const uint64_t *v)
{
	struct tfacc *a = facc(pr, t, idx);
	const uint64_t *c = cum(pr, t, v);

	a->start = tk;
	for (size_t j = 0; c != NULL && j < pr->nc && j < FR_MAXC; j++)
		a->cstart[j] = c[j];
}

/* A small generator for the reservoir: the same sample on every run. */
static uint64_t fr_rand(struct proc *pr)
{
	uint64_t x = pr->frrng ? pr->frrng : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	pr->frrng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Keep R among the FR_LONG longest (a min-heap on len). */
static void keep_long(struct proc *pr, const struct pfrec *r)
{
	struct pfrec *h = pr->frlong;
	size_t i = 0, n = pr->nfrlong;

	if (h == NULL)
		h = pr->frlong = xmalloc(FR_LONG * sizeof *h);
	if (n < FR_LONG) {
		/* Sift up. */
		for (i = pr->nfrlong++; i > 0 && h[(i - 1) / 2].len > r->len;
		     i = (i - 1) / 2)
			h[i] = h[(i - 1) / 2];
		h[i] = *r;
		return;
	}
	if (r->len <= h[0].len)
		return;
	/* Replace the shortest and sift down. */
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].len < h[c].len)
			c++;
		if (h[c].len >= r->len)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = *r;
}

/* Keep R in the uniform sample (Algorithm R over the process's frames). */
static void keep_sample(struct proc *pr, const struct pfrec *r)
{
	uint64_t j;

	if (pr->nfrkeep < FR_KEEP) {
		pr->frkeep = xgrow(pr->frkeep, &pr->capfrkeep, pr->nfrkeep + 1,
				   sizeof *pr->frkeep);
		pr->frkeep[pr->nfrkeep++] = *r;
		return;
	}
	j = fr_rand(pr) % pr->frseen;
	if (j < FR_KEEP)
		pr->frkeep[j] = *r;
}

void cp_frames_end(struct proc *pr, struct thr *t, uint32_t idx, uint64_t tk,
		   uint64_t len, const uint64_t *v)
{
	struct tfacc *a = facc(pr, t, idx);
	const uint64_t *c = cum(pr, t, v);
	struct pfrec r;

	/* A mark's first frame, made before the first values: from them. */
	if (a->count == 0 && idx != 0 && pr->exact && t->x.has_values)
		for (size_t j = 0; j < pr->nc && j < FR_MAXC; j++)
			a->cstart[j] = t->x.origin[j];
	memset(&r, 0, sizeof r);
	r.serial = pr->frseen++;
	r.index = a->count++;
	r.tid = t->tid;
	r.name = idx;
	r.start = tk - len;
	r.len = len;
	for (size_t k = 0; k < FR_TOP; k++)
		r.top[k] = UINT32_MAX;
	/* The FR_TOP functions of most self time; the others are reset. */
	for (size_t i = 0; i < a->ntouched; i++) {
		uint32_t f = a->touched[i];
		uint64_t s = a->self[f];

		a->self[f] = 0;
		for (size_t k = 0; k < FR_TOP; k++) {
			if (r.top[k] != UINT32_MAX && r.topself[k] >= s)
				continue;
			memmove(&r.top[k + 1], &r.top[k],
				(FR_TOP - k - 1) * sizeof r.top[0]);
			memmove(&r.topself[k + 1], &r.topself[k],
				(FR_TOP - k - 1) * sizeof r.topself[0]);
			r.top[k] = f;
			r.topself[k] = s;
			break;
		}
	}
	a->ntouched = 0;
	for (size_t j = 0; c != NULL && j < pr->nc && j < FR_MAXC; j++) {
		r.counts[j] = c[j] > a->cstart[j] ? c[j] - a->cstart[j] : 0;
		a->cstart[j] = c[j];
	}
	a->start = tk;
	keep_sample(pr, &r);
	keep_long(pr, &r);
}

static int serial_cmp(const void *va, const void *vb)
{
	const struct pfrec *a = va, *b = vb;

	return a->serial < b->serial ? -1 : a->serial > b->serial;
}

/* PR's record R into the run, named by GID, with weight W. */
static void rec_add(struct loader *ld, struct proc *pr, const struct pfrec *r,
		    const uint32_t *gid, double w)
{
	struct cp_profile *p = ld->p;
	struct cp_frame_rec *o;

	p->frame_recs = xgrow(p->frame_recs, &ld->capframerecs,
			      p->nframe_recs + 1, sizeof *p->frame_recs);
	o = &p->frame_recs[p->nframe_recs++];
	memset(o, 0, sizeof *o);
	o->name = pr->fr[r->name].name;
	o->pid = pr->pid;
	o->tid = r->tid;
	o->index = r->index;
	o->start_ns = cp_clock_mono(&pr->clk, r->start);
	o->total_ns = cp_clock_ns(&pr->clk, r->len);
	o->weight = w;
	for (size_t k = 0; k < FR_TOP; k++) {
		o->top[k] = r->top[k] != UINT32_MAX && r->top[k] < pr->npf &&
					    gid[r->top[k]] != CP_INDEX_NONE
				    ? gid[r->top[k]]
				    : SIZE_MAX;
		o->top_ns[k] = cp_clock_ns(&pr->clk, r->topself[k]);
	}
	for (size_t j = 0; j < pr->nc && j < FR_MAXC; j++) {
		o->cidx[o->ncounts] = pr->runidx[j];
		o->cval[o->ncounts++] = r->counts[j];
	}
}

void cp_frames_merge(struct loader *ld, struct proc *pr, const uint32_t *gid)
{
	struct cp_profile *p = ld->p;
	double w;

	if (!p->want_frames || pr->frseen == 0)
		return;
	p->frame_seen += pr->frseen;
	if (pr->frseen > pr->nfrkeep)
		p->frame_sampled = 1;
	/* Each kept frame stands for this many of the process's. */
	w = (double)pr->frseen / (double)pr->nfrkeep;
	qsort(pr->frkeep, pr->nfrkeep, sizeof *pr->frkeep, serial_cmp);
	for (size_t i = 0; i < pr->nfrkeep; i++)
		rec_add(ld, pr, &pr->frkeep[i], gid, w);
	/* The longest that the sample did not keep, standing for none. */
	for (size_t i = 0; i < pr->nfrlong; i++) {
		if (bsearch(&pr->frlong[i], pr->frkeep, pr->nfrkeep,
			    sizeof *pr->frkeep, serial_cmp) == NULL)
			rec_add(ld, pr, &pr->frlong[i], gid, 0);
	}
}

void cp_frames_free(struct proc *pr)
{
	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];

		for (size_t k = 0; k < t->nfacc; k++) {
			free(t->facc[k].self);
			free(t->facc[k].touched);
		}
		free(t->facc);
		free(t->ssum);
	}
	free(pr->frkeep);
	free(pr->frlong);
}
