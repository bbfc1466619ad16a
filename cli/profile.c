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
 *    with the calibration known so far (clock.c). A thread's marker
 *    events wait for the samples of their drain (cp_samples_flush()
 *    says why that is enough and bounded); a sample with no frame open,
 *    or of a program without markers, goes to the function holding its
 *    address (and its callchain's functions get it in their totals);
 *  - exact: the counters' values at each marker event are summed like
 *    time, self = delta - the callees' deltas, total once;
 *  - a thread's counts are scaled by its enabled / running time when the
 *    kernel multiplexed its group (scale(), merge.c);
 *  - the distortion check compares each function's share of marker self
 *    time with its share of CPU-time or cycles samples (distortion(),
 *    merge.c).
 *
 * This file reads the logs and finishes each process; replay.c runs the
 * stack machine, samples.c places the samples, merge.c fills the run's
 * tables and clock.c converts ticks (profile.h holds what they share).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cct.h"
#include "profile.h"

/* Callbacks of the reader. */

/* The N strings of V joined with newlines, interned. */
static const char *join_lines(struct proc *pr, const struct cp_bytes *v,
			      size_t n)
{
	size_t len = 0, at = 0;
	char *buf;
	const char *s;

	for (size_t i = 0; i < n; i++)
		len += v[i].len + 1;
	buf = xmalloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf[at++] = '\n';
		memcpy(buf + at, v[i].ptr, v[i].len);
		at += v[i].len;
	}
	s = cp_pool_intern(pr->ld->pool, buf, at);
	free(buf);
	return s;
}

static void on_header(void *arg, const struct cp_log_header *h)
{
	struct proc *pr = arg;

	pr->has_header = 1;
	pr->pid = h->pid;
	pr->ppid = h->ppid;
	pr->exe = intern(pr, h->exe);
	pr->own_hooks = h->own_hooks.len ? intern(pr, h->own_hooks) : NULL;
	pr->has_alloc = h->alloc;
	pr->runtime = h->runtime.len ? intern(pr, h->runtime) : NULL;
	pr->clock_note = h->clock_note.len ? intern(pr, h->clock_note) : NULL;
	if (h->has_select) {
		pr->has_select = 1;
		pr->sel_filter = join_lines(pr, h->filter, h->nfilter);
		pr->sel_exclude = join_lines(pr, h->exclude, h->nexclude);
		pr->sel_min_ns = h->min_ns;
	}
	pr->has_adaptive = h->has_adaptive;
	pr->adapt_warmup = h->warmup;
	pr->adapt_threshold = h->threshold;
	pr->adapt_timed = h->timed_call;
	pr->adapt_counted = h->counted_call;
	pr->clk.hz = h->hz;
	pr->has_calib = h->has_calib;
	pr->c_own_mt = h->calib_own_mt;
	pr->c_caller_mt = h->calib_caller_mt;
	if (h->has_clock) {
		pr->has_clock = 1;
		pr->clock_ns = h->mono_ns;
		cp_clock_point(&pr->clk, h->ticks, h->mono_ns);
	}
	pr->map = cp_symmap_new(pr->ld->syms, pr->exe);
	/* Frame 0 is the root frame, closed by every return to depth 0. */
	cp_proc_frame(pr, cp_pool_str(pr->ld->pool, ""));
	if (h->ncounters > 0) {
		pr->nc = h->ncounters;
		pr->exact = h->mode == CP_COUNTER_EXACT;
		pr->callchain = h->callchain;
		/* Unwound chains are placed as the kernel's are. */
		if (h->stack != 0) {
			pr->callchain = 1;
			pr->dwarf_regs = h->regs;
			pr->dwarf_arch = intern(pr, h->arch);
		}
		pr->period = h->period;
		pr->freq = h->freq;
		pr->cnt = xcalloc(pr->nc, sizeof *pr->cnt);
		for (size_t i = 0; i < pr->nc; i++) {
			pr->cnt[i].name = intern(pr, h->counters[i].name);
			pr->cnt[i].type = h->counters[i].type;
			pr->cnt[i].config = h->counters[i].config;
		}
		if (!pr->exact) {
			struct cp_counter c;

			memset(&c, 0, sizeof c);
			c.name = pr->cnt[0].name;
			c.type = pr->cnt[0].type;
			c.config = pr->cnt[0].config;
			pr->ns_leader = cp_counter_is(&c, "task-clock") ||
					cp_counter_is(&c, "cpu-clock");
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

	if (pr->ld->tap != NULL && pr->ld->tap->map != NULL)
		pr->ld->tap->map(pr->ld->tap_arg, pr, objs, n);
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
	struct thr *t = cp_proc_thread(pr, c->tid);

	if (c->name.len > 0)
		t->name = intern(pr, c->name);
	/* A start after events of the same thread changes nothing. */
	if (c->has_start && !t->seen) {
		t->has_start = 1;
		t->start = c->start;
	}
	if (c->has_end) {
		struct cp_clock_line line;

		t->has_end = 1;
		t->end = c->end;
		/* Its samples are all in: place them while the clock is known.
		 */
		if (pr->nc > 0 && !pr->exact &&
		    cp_clock_line(&pr->clk, &line)) {
			cp_samples_flush(pr, t, CP_FLUSH_FINAL);
			cp_samples_release(t);
		}
	}
}

static void on_ev(void *arg, const struct cp_log_ev *c)
{
	cp_replay_ev(arg, c);
}

static void on_samples(void *arg, const struct cp_log_samples *c)
{
	cp_samples_add(arg, c);
}

static void on_offcpu(void *arg, const struct cp_log_offcpu *c)
{
	cp_offcpu_add(arg, c);
}

static void on_syscalls(void *arg, const struct cp_log_syscalls *c)
{
	cp_syscalls_add(arg, c);
}

static void on_lost(void *arg, int tid, uint64_t lost, uint64_t throttled)
{
	struct proc *pr = arg;
	struct thr *t = cp_proc_thread_find(pr, tid);

	t->lost += lost;
	t->throttled += throttled;
	pr->slost += lost;
	pr->sthrottled += throttled;
}

/* The last counts chunk of a thread holds its totals; it ends a drain. */
static void on_counts(void *arg, const struct cp_log_counts *c)
{
	struct proc *pr = arg;
	struct thr *t = cp_proc_thread_find(pr, c->tid);

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
	cp_samples_flush(pr, t, CP_FLUSH_DRAIN);
}

/*
 * Exact mode's calibration comes as a chunk after the header, before any
 * event of the process; one that comes late applies from then on.
 */
static void on_calib(void *arg, const struct cp_log_calib *c)
{
	struct proc *pr = arg;

	pr->has_calib = 1;
	pr->c_own_mt = c->own_mt;
	pr->c_caller_mt = c->caller_mt;
	if (c->counts != NULL && c->ncounters == pr->nc && pr->nc > 0) {
		free(pr->c_counts);
		pr->c_counts = xmalloc(2 * pr->nc * sizeof *pr->c_counts);
		memcpy(pr->c_counts, c->counts,
		       2 * pr->nc * sizeof *pr->c_counts);
	}
}

static void on_calls(void *arg, const struct cp_log_calls *c)
{
	cp_replay_calls(arg, c);
}

static void on_clock(void *arg, uint64_t ticks, uint64_t mono_ns)
{
	struct proc *pr = arg;

	cp_clock_point(&pr->clk, ticks, mono_ns);
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
	cp_clock_point(&pr->clk, e->ticks, e->mono_ns);
}

static void on_clock_width(void *arg, uint64_t width)
{
	struct proc *pr = arg;

	if (width > pr->clk.width)
		pr->clk.width = width;
}

static void on_unthrottled(void *arg, int tid, uint64_t n)
{
	struct proc *pr = arg;

	cp_proc_thread_find(pr, tid)->unthrottled += n;
	pr->sunthrottled += n;
}

static void on_forks(void *arg, const uint64_t *pids, size_t n, uint64_t more)
{
	struct proc *pr = arg;
	struct loader *ld = pr->ld;

	for (size_t i = 0; i < n; i++) {
		ld->forks = xgrow(ld->forks, &ld->capforks, ld->nforks + 1,
				  sizeof *ld->forks);
		ld->forks[ld->nforks].pid = (int)pids[i];
		ld->forks[ld->nforks].ppid = pr->pid;
		ld->nforks++;
	}
	ld->forks_more += more;
}

/*
 * The children the logs noted that have no log in the run: what cannot
 * record says nothing of itself (a chroot hid the run directory, a
 * sandbox refused the open). A pid with a log (its own, or a later
 * process's that reused the number) counts as recorded.
 */
static void find_unlogged(struct loader *ld)
{
	struct cp_profile *p = ld->p;
	size_t cap = 0;

	for (size_t i = 0; i < ld->nforks; i++) {
		int seen = 0;

		for (size_t k = 0; k < p->nprocs && !seen; k++)
			seen = p->procs[k].pid == ld->forks[i].pid;
		for (size_t k = 0; k < p->nunlogged && !seen; k++)
			seen = p->unlogged[k].pid == ld->forks[i].pid;
		if (seen)
			continue;
		p->unlogged = xgrow(p->unlogged, &cap, p->nunlogged + 1,
				    sizeof *p->unlogged);
		p->unlogged[p->nunlogged++] = ld->forks[i];
	}
	p->unlogged_more = ld->forks_more;
	free(ld->forks);
}

static const struct cp_log_ops log_ops = {
	.clock_width = on_clock_width,
	.unthrottled = on_unthrottled,
	.header = on_header,
	.map = on_map,
	.thread = on_thread,
	.ev = on_ev,
	.clock = on_clock,
	.end = on_end,
	.samples = on_samples,
	.lost = on_lost,
	.counts = on_counts,
	.calls = on_calls,
	.forks = on_forks,
	.calib = on_calib,
	.offcpu = on_offcpu,
	.syscalls = on_syscalls,
};

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
	uint64_t last = pr->clk.npoints ? pr->clk.hi_t : 0, origin = UINT64_MAX;

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
	switch (cp_clock_fix(&pr->clk)) {
	case CP_CLOCK_STILL:
		if (pr->events > 0)
			warnx("%s: its clock calibration points do not "
			      "advance: assuming 1 tick = 1 ns",
			      pr->log);
		break;
	case CP_CLOCK_TOO_FEW:
		if (pr->events > 0)
			warnx("%s: %s clock calibration point: assuming 1 "
			      "tick = 1 ns",
			      pr->log,
			      pr->clk.npoints == 0 ? "no" : "only one");
		break;
	}
	for (size_t i = 0; pr->nc > 0 && !pr->exact && i < pr->nth; i++)
		cp_samples_flush(pr, &pr->th[i], CP_FLUSH_FINAL);
	if (pr->unplaced > 0)
		warnx("%s: %" PRIu64 " samples came too late to be placed "
		      "between the marker events around them: they are "
		      "counted by address",
		      pr->log, pr->unplaced);
	cp_replay_close(pr, last);

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
				uint32_t fid = cp_samples_runtime_fid(pr);

				cp_thread_reserve(pr, t);
				c = cs_at(pr, t, fid);
			}
			c[j] += t->own[j];
			c[pr->nc + j] += t->own[j];
		}
	}
	cp_merge_proc(ld, pr, last, origin, state, ws);
	if (ld->tap != NULL && ld->tap->proc_end != NULL)
		ld->tap->proc_end(ld->tap_arg, pr);
}

static void proc_free(struct proc *pr)
{
	cp_frames_free(pr);
	cp_alloc_free(pr);
	for (size_t i = 0; i < pr->nth; i++) {
		struct thr *t = &pr->th[i];

		for (size_t c = 0; c < t->nctx; c++) {
			if (c != t->cur) {
				free(t->ctxs[c].stk.open);
				free(t->ctxs[c].stk.cf);
			}
			free(t->ctxs[c].out_v);
		}
		free(t->ctxs);
		free(t->stk.open);
		free(t->st);
		free(t->marks);
		free(t->cs);
		free(t->totals);
		free(t->own);
		free(t->tsamp);
		cp_offcpu_free(t);
		cp_syscalls_free(t);
		free(t->pend);
		free(t->q);
		free(t->qnum);
		free(t->qchain);
		free(t->stk.cf);
		free(t->x.last);
		cp_cct_free(t->cct);
		free(t->cdelta);
	}
	for (size_t i = 0; i < pr->nfr; i++)
		free(pr->fr[i].fine);
	free(pr->th);
	free(pr->fr);
	free(pr->pf);
	free(pr->sitemap);
	free(pr->cnt);
	free(pr->runidx);
	free(pr->c_counts);
	free(pr->ips);
	free(pr->rets);
	free(pr->stamp);
	free(pr->cpath);
	cp_index_clear(&pr->ip_ix);
	cp_index_clear(&pr->ret_ix);
	cp_index_clear(&pr->sym_ix);
	cp_index_clear(&pr->addr_ix);
	cp_index_clear(&pr->marker_ix);
	cp_index_clear(&pr->thr_ix);
	cp_unwind_free(pr->unw);
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

static int load_dir(struct loader *ld, const char *dir)
{
	struct cp_run_log *logs;
	size_t nlogs;
	char *meta;
	int rc = 0;

	if (cp_rundir_logs(dir, &logs, &nlogs) != 0) {
		warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (nlogs == 0) {
		warnx("%s: no cprof logs (" CPROF_LOG_GLOB
		      ") in this directory",
		      dir);
		free(logs);
		return -1;
	}
	meta = cp_rundir_meta(dir);
	/* The repeats of a run each have theirs: the last one is kept. */
	if (ld->p->has_meta) {
		for (char **a = ld->p->argv; a != NULL && *a != NULL; a++)
			free(*a);
		free(ld->p->argv);
		free(ld->p->meta_running);
		ld->p->argv = NULL;
		ld->p->meta_running = NULL;
	}
	load_meta(ld, meta);
	free(meta);
	if (cp_warnings_read(dir, &ld->p->warnings) != 0)
		warnx("%s/" CPROF_WARNINGS_FILE ": %s", dir, strerror(errno));
	for (size_t i = 0; i < nlogs && rc == 0; i++)
		rc = load_log(ld, logs[i].path);
	cp_rundir_logs_free(logs, nlogs);
	return rc;
}

/*
 * A run recorded with -r N: its repeats one after the other into the same
 * tables, the threads of each noted; repeat.c makes the sums means.
 */
static int load_repeats(struct loader *ld, const char *dir)
{
	struct cp_profile *p = ld->p;
	char **reps;
	size_t n = cp_rundir_repeats(dir, &reps);
	int rc = 0;

	if (n == 0)
		return load_dir(ld, dir);
	p->repeats = n;
	p->rep_threads = xcalloc(n + 1, sizeof *p->rep_threads);
	for (size_t k = 0; k < n && rc == 0; k++) {
		p->rep_threads[k] = p->nthreads;
		rc = load_dir(ld, reps[k]);
	}
	p->rep_threads[n] = p->nthreads;
	cp_rundir_repeats_free(reps, n);
	return rc;
}

int cp_profile_load(struct cp_profile *p, const char *path)
{
	return cp_profile_load_tap(p, path, NULL, NULL);
}

int cp_profile_load_tap(struct cp_profile *p, const char *path,
			const struct cp_tap *tap, void *arg)
{
	struct loader ld;
	struct stat sb;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.tap = tap;
	ld.tap_arg = arg;
	ld.p = p;
	if (p->pool == NULL)
		p->pool = cp_pool_new();
	ld.pool = p->pool;
	ld.syms = cp_symbols_new(ld.pool);

	if (stat(path, &sb) < 0) {
		warnx("%s: %s", path, strerror(errno));
		rc = -1;
	} else if (S_ISDIR(sb.st_mode)) {
		rc = load_repeats(&ld, path);
	} else {
		rc = load_log(&ld, path);
	}

	cp_merge_run(&ld);
	find_unlogged(&ld);
	cp_repeat_mean(p);

	cp_symbols_free(ld.syms);
	cp_index_clear(&ld.func_ix);
	free(ld.rowof);
	free(ld.dtime);
	free(ld.dlead);
	return rc;
}

void cp_profile_free(struct cp_profile *p)
{
	cp_advice_free(p);
	for (size_t i = 0; i < p->nthreads; i++) {
		for (size_t j = 0; j < p->threads[i].nfuncs; j++)
			free(p->threads[i].funcs[j].counts);
		free(p->threads[i].funcs);
		free(p->threads[i].totals);
		cp_cct_free(p->threads[i].cct);
	}
	for (size_t i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].counts);
		free(p->funcs[i].sys);
	}
	free(p->threads);
	free(p->funcs);
	free(p->counters);
	free(p->procs);
	free(p->frames);
	free(p->ref);
	free(p->meta_running);
	free(p->frame_recs);
	free(p->rep_threads);
	free(p->rep_self);
	for (size_t i = 0; p->rep_func_self != NULL && i < p->nfuncs; i++)
		free(p->rep_func_self[i]);
	free(p->rep_func_self);
	cp_cct_free(p->cct);
	cp_warnings_free(&p->warnings);
	free(p->unlogged);
	if (p->argv != NULL) {
		for (char **a = p->argv; *a != NULL; a++)
			free(*a);
		free(p->argv);
	}
	cp_pool_free(p->pool);
	memset(p, 0, sizeof *p);
}
