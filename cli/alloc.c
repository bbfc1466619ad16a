/*
 * alloc.c - --alloc in the report: allocations and frees per function,
 * the peak of live bytes, and the blocks left at the end (leaks).
 *
 * The runtime's ev chunks carry each thread's allocations and frees with
 * their time, block and size (key "al", lib/alloc.c), placed between the
 * marker events: replay.c hands each one here with the thread's stack as
 * it stands there (cp_alloc_at, or through the thread's pend queue in
 * sampling mode), and it is kept with the path of frames open around it.
 * A free names only its block: which function allocated it, and how
 * large it was, is found by matching the frees of all the process's
 * threads to its blocks in time order, which the log does not give (a
 * thread's chunk may come before another's that holds earlier events).
 * So the events are kept until the process ends, then sorted by time and
 * run against a table of the live blocks: the frees get their bytes and
 * the allocating function, the peak of live bytes is found with the
 * functions holding it, and the blocks still live are the leaks. The
 * memory is one small record an event, plus one a live block.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define NO_FID UINT32_MAX

/* An allocation or free, at the path of frames around it. */
struct aev {
	uint64_t tick, addr, size;
	uint32_t path;
	uint32_t freed : 1;
	uint32_t thr : 31; /* the thread's index in its process */
};

/* A path of frames: its innermost function and the path around it. */
struct anode {
	uint32_t parent, fid;
};

/* A live block (addr 0: an empty slot), its function and thread. */
struct live {
	uint64_t addr, size;
	uint32_t fid, thr;
};

struct cp_alloc_proc {
	struct aev *ev;
	size_t nev, capev;
	struct anode *node; /* node[0]: no frame */
	size_t nnode, capnode;
	uint32_t *nslot; /* node hash: index + 1, 0 empty */
	size_t nslots;
};

static struct cp_alloc_proc *state(struct proc *pr)
{
	if (pr->alloc == NULL) {
		pr->alloc = xcalloc(1, sizeof *pr->alloc);
		pr->alloc->node = xgrow(NULL, &pr->alloc->capnode, 1,
					sizeof(struct anode));
		pr->alloc->node[0].parent = 0;
		pr->alloc->node[0].fid = NO_FID;
		pr->alloc->nnode = 1;
	}
	return pr->alloc;
}

static uint64_t node_hash(uint32_t parent, uint32_t fid)
{
	return cp_hash_u64((uint64_t)parent << 32 | fid);
}

static void node_rehash(struct cp_alloc_proc *a)
{
	size_t n = a->nslots ? a->nslots * 2 : 1024;

	free(a->nslot);
	a->nslot = xcalloc(n, sizeof *a->nslot);
	a->nslots = n;
	for (size_t i = 1; i < a->nnode; i++) {
		size_t h =
			node_hash(a->node[i].parent, a->node[i].fid) & (n - 1);

		while (a->nslot[h] != 0)
			h = (h + 1) & (n - 1);
		a->nslot[h] = (uint32_t)i + 1;
	}
}

/* The path PARENT then FID, made when new. */
static uint32_t node_get(struct cp_alloc_proc *a, uint32_t parent, uint32_t fid)
{
	size_t h;

	if (2 * (a->nnode + 1) > a->nslots)
		node_rehash(a);
	h = node_hash(parent, fid) & (a->nslots - 1);
	for (;;) {
		uint32_t k = a->nslot[h];

		if (k == 0)
			break;
		if (a->node[k - 1].parent == parent &&
		    a->node[k - 1].fid == fid)
			return k - 1;
		h = (h + 1) & (a->nslots - 1);
	}
	a->node = xgrow(a->node, &a->capnode, a->nnode + 1, sizeof *a->node);
	a->node[a->nnode].parent = parent;
	a->node[a->nnode].fid = fid;
	a->nslot[h] = (uint32_t)a->nnode + 1;
	return (uint32_t)a->nnode++;
}

void cp_alloc_at(struct proc *pr, struct thr *t, const struct cp_log_alloc *x)
{
	struct cp_alloc_proc *a = state(pr);
	uint32_t path = 0;
	struct aev *e;

	for (size_t d = 0; d < t->stk.depth; d++)
		path = node_get(a, path, t->stk.open[d].fid);
	a->ev = xgrow(a->ev, &a->capev, a->nev + 1, sizeof *a->ev);
	e = &a->ev[a->nev++];
	e->tick = x->ticks;
	e->addr = x->addr;
	e->size = x->size;
	e->path = path;
	e->freed = x->freed != 0;
	e->thr = (uint32_t)(t - pr->th) & 0x7fffffff;
}

void cp_alloc_pend(struct proc *pr, struct thr *t, const struct cp_log_alloc *x)
{
	struct cp_log_event *p;

	(void)pr;
	t->aq = xgrow(t->aq, &t->capaq, t->naq + 1, sizeof *t->aq);
	t->aq[t->naq] = *x;
	t->pend = xgrow(t->pend, &t->cappend, t->npend + 1, sizeof *t->pend);
	p = &t->pend[t->npend++];
	/* The events' times stay in order: the allocation keeps its own. */
	p->ticks = t->blast;
	p->site = (uint32_t)t->naq++;
	p->exit = CP_EV_ALLOC;
}

void cp_alloc_run(struct proc *pr, struct thr *t, uint32_t idx)
{
	cp_alloc_at(pr, t, &t->aq[idx]);
	/* The last one queued has run: the queue starts again. */
	if ((size_t)idx + 1 == t->naq)
		t->naq = 0;
}

/* The live blocks: linear probing, deletion by shifting back. */
struct ltab {
	struct live *s;
	size_t cap, n;
};

static size_t live_slot(const struct ltab *l, uint64_t addr)
{
	size_t h = cp_hash_u64(addr) & (l->cap - 1);

	while (l->s[h].addr != 0 && l->s[h].addr != addr)
		h = (h + 1) & (l->cap - 1);
	return h;
}

static void live_put(struct ltab *l, uint64_t addr, uint64_t size, uint32_t fid,
		     uint32_t thr)
{
	size_t h;

	if (2 * (l->n + 1) > l->cap) {
		struct ltab g = {
			xcalloc(l->cap ? 2 * l->cap : 1024, sizeof *g.s),
			l->cap ? 2 * l->cap : 1024, l->n};

		for (size_t i = 0; i < l->cap; i++)
			if (l->s[i].addr != 0)
				g.s[live_slot(&g, l->s[i].addr)] = l->s[i];
		free(l->s);
		*l = g;
	}
	h = live_slot(l, addr);
	l->n += l->s[h].addr == 0;
	l->s[h].addr = addr;
	l->s[h].size = size;
	l->s[h].fid = fid;
	l->s[h].thr = thr;
}

/* Take ADDR's block out into *B; 0 when it is not live. */
static int live_take(struct ltab *l, uint64_t addr, struct live *b)
{
	size_t h, j;

	if (l->cap == 0 || l->s[h = live_slot(l, addr)].addr == 0)
		return 0;
	*b = l->s[h];
	l->n--;
	/* Shift back the entries of the run after it that may move up. */
	for (j = (h + 1) & (l->cap - 1); l->s[j].addr != 0;
	     j = (j + 1) & (l->cap - 1)) {
		size_t home = cp_hash_u64(l->s[j].addr) & (l->cap - 1);

		if ((j > h && (home <= h || home > j)) ||
		    (j < h && home <= h && home > j)) {
			l->s[h] = l->s[j];
			h = j;
		}
	}
	l->s[h].addr = 0;
	return 1;
}

static int ev_cmp(const void *va, const void *vb)
{
	const struct aev *a = va, *b = vb;

	if (a->tick != b->tick)
		return a->tick < b->tick ? -1 : 1;
	/* Same time: the order of the log, kept by the address in it. */
	return a < b ? -1 : a > b;
}

/* Per function of the process: what it did, and its live bytes. */
struct fstat {
	struct cp_alloc_func f;
	uint64_t live, stamp;
};

/*
 * Add the event at PATH to its innermost function's self counts and to
 * the total of every function on it, once each (recursion).
 */
static void credit(struct cp_alloc_proc *a, struct fstat *fs,
		   struct cp_alloc_func *outside, uint64_t *serial,
		   uint32_t path, int freed, uint64_t bytes)
{
	uint32_t inner = a->node[path].fid;
	struct cp_alloc_counts *c;

	++*serial;
	c = inner == NO_FID ? &outside->self : &fs[inner].f.self;
	if (freed)
		c->frees++, c->freed_bytes += bytes;
	else
		c->count++, c->bytes += bytes;
	for (uint32_t n = path; n != 0; n = a->node[n].parent) {
		struct fstat *s = &fs[a->node[n].fid];

		if (s->stamp == *serial)
			continue;
		s->stamp = *serial;
		if (freed)
			s->f.total.frees++, s->f.total.freed_bytes += bytes;
		else
			s->f.total.count++, s->f.total.bytes += bytes;
	}
}

void cp_alloc_merge(struct loader *ld, struct proc *pr, const uint32_t *gid)
{
	struct cp_alloc_proc *a = pr->alloc;
	struct cp_profile *p = ld->p;
	struct cp_alloc_func out = {0};
	struct ltab live = {0};
	struct fstat *fs;
	uint64_t serial = 0, now = 0, peak = 0, outside_live = 0;
	int rising = 0;

	if (pr->has_alloc)
		p->has_alloc = 1;
	if (a == NULL)
		return;
	fs = xcalloc(pr->npf + 1, sizeof *fs);
	qsort(a->ev, a->nev, sizeof *a->ev, ev_cmp);
	for (size_t i = 0; i < a->nev; i++) {
		const struct aev *e = &a->ev[i];
		uint32_t inner = a->node[e->path].fid;
		struct live b;

		if (!e->freed) {
			/* A block given twice was freed unseen: it goes. */
			if (live_take(&live, e->addr, &b)) {
				now -= b.size;
				if (b.fid == NO_FID)
					outside_live -= b.size;
				else
					fs[b.fid].live -= b.size;
			}
			credit(a, fs, &out, &serial, e->path, 0, e->size);
			live_put(&live, e->addr, e->size, inner, e->thr);
			now += e->size;
			if (inner == NO_FID)
				outside_live += e->size;
			else
				fs[inner].live += e->size;
			if (now > peak)
				peak = now, rising = 1;
			continue;
		}
		if (!live_take(&live, e->addr, &b)) {
			p->unknown_frees++;
			credit(a, fs, &out, &serial, e->path, 1, 0);
			continue;
		}
		/* Live bytes fall from a peak: that peak is the state now. */
		if (rising) {
			for (size_t f = 0; f < pr->npf; f++)
				fs[f].f.peak_bytes = fs[f].live;
			out.peak_bytes = outside_live;
			rising = 0;
		}
		credit(a, fs, &out, &serial, e->path, 1, b.size);
		/* A block freed by another thread than its allocator's. */
		if (b.thr != e->thr) {
			struct cp_alloc_func *af =
				b.fid == NO_FID ? &out : &fs[b.fid].f;

			af->remote_frees++;
			af->remote_freed_bytes += b.size;
		}
		now -= b.size;
		if (b.fid == NO_FID)
			outside_live -= b.size;
		else
			fs[b.fid].live -= b.size;
	}
	if (rising) {
		for (size_t f = 0; f < pr->npf; f++)
			fs[f].f.peak_bytes = fs[f].live;
		out.peak_bytes = outside_live;
	}
	for (size_t i = 0; i < live.cap; i++) {
		const struct live *b = &live.s[i];
		struct cp_alloc_func *f;

		if (b->addr == 0)
			continue;
		f = b->fid == NO_FID ? &out : &fs[b->fid].f;
		f->leak_count++;
		f->leak_bytes += b->size;
		p->leak_count++;
		p->leak_bytes += b->size;
	}
	p->alloc_peak += peak;
	for (size_t f = 0; f < pr->npf; f++) {
		struct cp_alloc_func *g;
		const struct cp_alloc_func *s = &fs[f].f;

		if (gid[f] == CP_INDEX_NONE)
			continue;
		g = &p->funcs[gid[f]].alloc;
		g->self.count += s->self.count;
		g->self.bytes += s->self.bytes;
		g->self.frees += s->self.frees;
		g->self.freed_bytes += s->self.freed_bytes;
		g->total.count += s->total.count;
		g->total.bytes += s->total.bytes;
		g->total.frees += s->total.frees;
		g->total.freed_bytes += s->total.freed_bytes;
		g->peak_bytes += s->peak_bytes;
		g->leak_count += s->leak_count;
		g->leak_bytes += s->leak_bytes;
		g->remote_frees += s->remote_frees;
		g->remote_freed_bytes += s->remote_freed_bytes;
		p->alloc_all.count += s->self.count;
		p->alloc_all.bytes += s->self.bytes;
		p->alloc_all.frees += s->self.frees;
		p->alloc_all.freed_bytes += s->self.freed_bytes;
	}
	p->alloc_outside.self.count += out.self.count;
	p->alloc_outside.self.bytes += out.self.bytes;
	p->alloc_outside.self.frees += out.self.frees;
	p->alloc_outside.self.freed_bytes += out.self.freed_bytes;
	p->alloc_outside.peak_bytes += out.peak_bytes;
	p->alloc_outside.leak_count += out.leak_count;
	p->alloc_outside.leak_bytes += out.leak_bytes;
	p->alloc_all.count += out.self.count;
	p->alloc_all.bytes += out.self.bytes;
	p->alloc_all.frees += out.self.frees;
	p->alloc_all.freed_bytes += out.self.freed_bytes;
	free(live.s);
	free(fs);
}

void cp_alloc_free(struct proc *pr)
{
	struct cp_alloc_proc *a = pr->alloc;

	for (size_t i = 0; i < pr->nth; i++) {
		free(pr->th[i].aq);
		pr->th[i].aq = NULL;
	}
	if (a == NULL)
		return;
	free(a->ev);
	free(a->node);
	free(a->nslot);
	free(a);
	pr->alloc = NULL;
}

/* --- Output --- */

static void json_counts(FILE *f, const char *key,
			const struct cp_alloc_counts *c)
{
	fprintf(f,
		"\"%s\": {\"count\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"frees\": %" PRIu64 ", \"freed_bytes\": %" PRIu64 "}",
		key, c->count, c->bytes, c->frees, c->freed_bytes);
}

void cp_alloc_json_func(FILE *f, const struct cp_func *fn)
{
	const struct cp_alloc_func *a = &fn->alloc;

	fputs(", \"alloc\": {", f);
	json_counts(f, "self", &a->self);
	fputs(", ", f);
	json_counts(f, "total", &a->total);
	fprintf(f,
		", \"peak_bytes\": %" PRIu64 ", \"leaks\": {\"count\": %" PRIu64
		", \"bytes\": %" PRIu64 "}, \"freed_by_other_threads\": "
		"{\"count\": %" PRIu64 ", \"bytes\": %" PRIu64 "}}",
		a->peak_bytes, a->leak_count, a->leak_bytes, a->remote_frees,
		a->remote_freed_bytes);
}

/* The functions whose KEY is not 0, largest first, into *OUT. */
static size_t alloc_rows(const struct cp_profile *p, size_t **out,
			 uint64_t (*key)(const struct cp_func *))
{
	size_t *v = xmalloc((p->nfuncs ? p->nfuncs : 1) * sizeof *v), n = 0;

	for (size_t i = 0; i < p->nfuncs; i++)
		if (key(&p->funcs[i]) != 0)
			v[n++] = i;
	/* A shell sort: qsort has no context for KEY. */
	for (size_t gap = n / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < n; i++)
			for (size_t j = i;
			     j >= gap &&
			     key(&p->funcs[v[j - gap]]) < key(&p->funcs[v[j]]);
			     j -= gap) {
				size_t x = v[j];

				v[j] = v[j - gap];
				v[j - gap] = x;
			}
	*out = v;
	return n;
}

static uint64_t peak_of(const struct cp_func *f)
{
	return f->alloc.peak_bytes;
}

static uint64_t leak_of(const struct cp_func *f)
{
	return f->alloc.leak_bytes;
}

static uint64_t made_of(const struct cp_func *f)
{
	return f->alloc.total.count;
}

/* A JSON object NAME: bytes of the functions KEY picks, largest first. */
static void json_by(FILE *f, const struct cp_profile *p,
		    uint64_t (*key)(const struct cp_func *), uint64_t outside)
{
	size_t *v, n = alloc_rows(p, &v, key);
	int first = 1;

	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		fputs(first ? "" : ", ", f);
		first = 0;
		cp_json_str(f, p->funcs[v[i]].name);
		fprintf(f, ": %" PRIu64, key(&p->funcs[v[i]]));
	}
	if (outside != 0)
		fprintf(f, "%s\"(outside functions)\": %" PRIu64,
			first ? "" : ", ", outside);
	fputc('}', f);
	free(v);
}

void cp_alloc_json_run(FILE *f, const struct cp_profile *p)
{
	if (!p->has_alloc)
		return;
	fputs("  \"alloc\": {", f);
	json_counts(f, "all", &p->alloc_all);
	fprintf(f, ", \"unknown_frees\": %" PRIu64 "},\n", p->unknown_frees);
	fprintf(f, "  \"alloc_peak\": {\"bytes\": %" PRIu64 ", \"functions\": ",
		p->alloc_peak);
	json_by(f, p, peak_of, p->alloc_outside.peak_bytes);
	fprintf(f,
		"},\n  \"leaks\": {\"count\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"functions\": ",
		p->leak_count, p->leak_bytes);
	json_by(f, p, leak_of, p->alloc_outside.leak_bytes);
	fputs("},\n", f);
}

/* BYTES with a binary unit, in BUF. */
static const char *bytes_str(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof unit / sizeof *unit)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

void cp_alloc_table(FILE *f, const struct cp_profile *p, size_t top)
{
	char b1[32], b2[32], b3[32], b4[32];
	size_t *v, n;

	if (!p->has_alloc) {
		fputs("\n  no allocations were recorded in this run (cprof "
		      "record --alloc records them)\n",
		      f);
		return;
	}
	fprintf(f,
		"\nAllocations: %" PRIu64 " (%s), frees: %" PRIu64
		" (%s); peak live %s; left at exit: %" PRIu64 " blocks (%s)\n",
		p->alloc_all.count,
		bytes_str(b1, sizeof b1, p->alloc_all.bytes),
		p->alloc_all.frees,
		bytes_str(b2, sizeof b2, p->alloc_all.freed_bytes),
		bytes_str(b3, sizeof b3, p->alloc_peak), p->leak_count,
		bytes_str(b4, sizeof b4, p->leak_bytes));
	if (p->unknown_frees)
		fprintf(f,
			"  %" PRIu64 " frees of blocks not seen allocated "
			"(allocated before recording began, or invalid)\n",
			p->unknown_frees);
	n = alloc_rows(p, &v, made_of);
	if (top != 0 && n > top)
		n = top;
	fprintf(f, "\n%9s %10s %9s %10s %9s %10s %10s %9s  %s\n", "allocs",
		"bytes", "tot.alloc", "tot.bytes", "frees", "freed", "at peak",
		"leaked", "function");
	for (size_t i = 0; i < n; i++) {
		const struct cp_func *fn = &p->funcs[v[i]];
		const struct cp_alloc_func *a = &fn->alloc;
		char b5[32];

		fprintf(f,
			"%9" PRIu64 " %10s %9" PRIu64 " %10s %9" PRIu64
			" %10s %10s %9s  %s\n",
			a->self.count, bytes_str(b1, sizeof b1, a->self.bytes),
			a->total.count,
			bytes_str(b2, sizeof b2, a->total.bytes), a->self.frees,
			bytes_str(b3, sizeof b3, a->self.freed_bytes),
			bytes_str(b4, sizeof b4, a->peak_bytes),
			a->leak_count ? bytes_str(b5, sizeof b5, a->leak_bytes)
				      : "-",
			fn->name);
	}
	free(v);
}
