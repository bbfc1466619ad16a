/*
 * offcpu.c - off-CPU time per function: the intervals a thread spent
 * switched out (offcpu chunks, from the kernel's context-switch records)
 * placed on the marker frames open at the time.
 *
 * An interval is queued on its thread like a sample and placed once the
 * marker stream reaches it (samples.c's rules: a drain's intervals wait
 * for its events). It goes by its middle: no marker event runs while the
 * thread is off the CPU, so the frames open at the middle are those open
 * from its start to its end, and the clock's skew between the kernel's
 * times and the markers' ticks (microseconds) cannot move an interval of
 * any length across the event just before it. Its length goes to the
 * innermost frame's off-CPU self time and, once per function, to the
 * total of every function on the stack; outside any marker frame it goes
 * nowhere. Intervals the thread was preempted in (runnable, not
 * blocked) are kept apart: off-CPU time is the time the thread waited.
 * System calls (syscalls.c) share the queue and its rules.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"

void cp_offcpu_add(struct proc *pr, const struct cp_log_offcpu *c)
{
	struct thr *t;

	/* Placement needs sampling mode's queues (and their marks). */
	if (pr->nc == 0 || pr->exact || c->n == 0)
		return;
	t = cp_proc_thread_find(pr, c->tid);
	pr->ld->p->has_offcpu = 1;
	t->oq = xgrow(t->oq, &t->capoq, t->noq + c->n, sizeof *t->oq);
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_log_offiv *iv = &c->iv[i];
		struct qoff *q = &t->oq[t->noq++];
		uint64_t len = iv->in > iv->out ? iv->in - iv->out : 0;

		q->mid_ns = iv->out + len / 2;
		q->tk = 0;
		q->len = len;
		q->preempt = iv->preempt;
		q->nr = -1;
		/*
		 * The ring's records up to here are in: the drain's
		 * watermark (samples.c) covers the interval's start too.
		 */
		if (iv->out > t->smax)
			t->smax = iv->out;
	}
	cp_offcpu_sort(t);
}

static int by_time(const void *a, const void *b)
{
	const struct qoff *x = a, *y = b;

	return x->mid_ns < y->mid_ns ? -1 : x->mid_ns > y->mid_ns;
}

/*
 * Off-CPU intervals and system calls come in chunks of their own: the
 * queue is kept in time order, and converted anew at the next flush.
 */
void cp_offcpu_sort(struct thr *t)
{
	qsort(t->oq + t->ohead, t->noq - t->ohead, sizeof *t->oq, by_time);
	t->oconv = t->ohead;
}

/* Place T's interval at ohead with the stack as it stands. */
static void place(struct proc *pr, struct thr *t)
{
	const struct qoff *q = &t->oq[t->ohead++];
	uint64_t serial;
	size_t self = q->preempt ? OFF_PRE_SELF : OFF_SELF;

	if (t->stk.depth > 0 && q->nr >= 0)
		cp_syscalls_place(pr, t, q);
	if (t->stk.depth == 0 || q->len == 0 || q->nr >= 0)
		return;
	cp_thread_reserve(pr, t);
	if (t->noff < pr->npf * OFF_STRIDE) {
		size_t old = t->noff;

		t->off = xgrow(t->off, &t->noff, pr->npf * OFF_STRIDE,
			       sizeof *t->off);
		memset(t->off + old, 0, (t->noff - old) * sizeof *t->off);
	}
	t->off[(size_t)t->stk.open[t->stk.depth - 1].fid * OFF_STRIDE + self] +=
		q->len;
	serial = ++pr->serial;
	for (size_t j = t->stk.depth; j > 0; j--) {
		uint32_t fid = t->stk.open[j - 1].fid;

		if (pr->stamp[fid] == serial)
			continue; /* recursion: once */
		pr->stamp[fid] = serial;
		t->off[(size_t)fid * OFF_STRIDE + self + 1] += q->len;
	}
}

void cp_offcpu_before(struct proc *pr, struct thr *t, uint64_t tk)
{
	while (t->ohead < t->oconv && t->oq[t->ohead].tk < tk)
		place(pr, t);
}

void cp_offcpu_flush(struct proc *pr, struct thr *t, enum cp_flush how,
		     const struct cp_clock_line *l, int after)
{
	size_t n;

	if (t->noq == 0)
		return;
	if (!after) {
		if (l != NULL) {
			for (size_t i = t->oconv; i < t->noq; i++)
				t->oq[i].tk =
					cp_clock_ticks(l, t->oq[i].mid_ns);
			t->oconv = t->noq;
		}
		/* Those the marker stream passed without them. */
		while (t->ohead < t->oconv && t->processed &&
		       t->oq[t->ohead].tk < t->last)
			place(pr, t);
		return;
	}
	if (how == CP_FLUSH_FINAL) {
		while (t->ohead < t->noq)
			place(pr, t);
	} else if (how == CP_FLUSH_DRAIN) {
		while (t->ohead < t->oconv &&
		       t->oq[t->ohead].mid_ns <= t->wm_prev)
			place(pr, t);
	}
	n = t->noq - t->ohead;
	if (t->ohead > 0) {
		memmove(t->oq, t->oq + t->ohead, n * sizeof *t->oq);
		t->oconv -= t->ohead;
		t->noq = n;
		t->ohead = 0;
	}
}

void cp_offcpu_merge(const struct proc *pr, const struct thr *t, size_t i,
		     struct cp_func *f)
{
	const uint64_t *o;

	(void)pr;
	if ((i + 1) * OFF_STRIDE > t->noff)
		return;
	o = t->off + i * OFF_STRIDE;
	f->off_self_ns += o[OFF_SELF];
	f->off_total_ns += o[OFF_TOTAL];
	f->preempt_self_ns += o[OFF_PRE_SELF];
	f->preempt_total_ns += o[OFF_PRE_TOTAL];
}

void cp_offcpu_free(struct thr *t)
{
	free(t->oq);
	free(t->off);
	t->oq = NULL;
	t->off = NULL;
	t->noq = t->capoq = t->noff = t->ohead = t->oconv = 0;
}

uint64_t cp_offcpu_self(const struct proc *pr, const struct thr *t, size_t i,
			uint64_t self_ns)
{
	uint64_t off;

	(void)pr;
	if ((i + 1) * OFF_STRIDE > t->noff)
		return 0;
	off = t->off[i * OFF_STRIDE + OFF_SELF] +
	      t->off[i * OFF_STRIDE + OFF_PRE_SELF];
	return off < self_ns ? off : self_ns;
}

uint64_t cp_on_cpu_self(const struct cp_func *f)
{
	uint64_t off = f->off_self_ns + f->preempt_self_ns;

	return off < f->st.self_ns ? f->st.self_ns - off : 0;
}
