/*
 * export-chrome.c - report --format chrome: the Chrome Trace Event
 * format (JSON) that Perfetto, chrome://tracing and speedscope open.
 *
 * One track per thread, named by metadata events; each call a complete
 * event ("ph": "X", "ts" and "dur" in microseconds with nanosecond
 * decimals); frame marks as slices of a track of their own beside the
 * thread's (a frame spans calls, so it cannot nest among them); the
 * coroutines of a thread (ucontext) on tracks of their own too; counters
 * as counter tracks ("ph": "C"), a rate per microsecond over the time
 * since the thread's previous sample (sampling) or kept call (exact).
 *
 * Calls counted rather than timed (adaptive timing) have no start or
 * end, so the trace cannot show them: their number is said in the
 * trailer ("counted_calls") and on stderr, as the calls --min-duration
 * drops are; run with --time-all to see every call.
 *
 * Events are written as the replay closes them: a call after its
 * callees, so "ts" is not in order, which the format allows. Ticks are
 * converted with a process's clock only once its log has ended, so a
 * process's events wait in a spool file (32 bytes each) until then; calls
 * shorter than --min-duration never reach it (with the clock known so
 * far, give or take 1/64), and those outside --time-range neither, so the
 * spool is as small as the output. Memory holds one name per function and
 * a few numbers per thread.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

/* Track ids beside a thread's: bits above any pid_max (2^22). */
#define FRAMES_TRACK  0x20000000u
#define CTX_SHIFT     22
#define CTX_TRACK_MAX 127u

/* The spool's records: one fixed part, then counter values for S and V. */
enum { REC_CALL, REC_MARK, REC_SAMPLE, REC_VALUES };
struct rec {
	uint8_t kind;
	uint8_t cut;	 /* a call still open when its stream ended */
	uint16_t ctx;	 /* the thread's execution context (ucontext) */
	uint32_t thr;	 /* index in proc.th */
	uint32_t id;	 /* function or frame */
	uint32_t unused; /* keeps the record 32 bytes */
	uint64_t a, b;	 /* start and end ticks; a sample's tick in b */
};

/* What conversion keeps per thread of the process being written. */
struct tstate {
	int named;	  /* its track's name was written */
	uint32_t tracks;  /* bit 0: frames track named; 1+: contexts */
	uint64_t prev_ns; /* the time of its previous counter point */
	uint64_t *prev_v; /* exact mode: the counter values then */
	int has_prev;
};

struct chrome {
	const struct cp_export_opts *o;
	const struct cp_profile *p;
	struct cp_xout *out;
	FILE *f;
	FILE *spool;
	int has_base;
	uint64_t base_ns; /* CLOCK_MONOTONIC at the run's start: ts 0 */
	int first;	  /* no event written yet */
	uint64_t kept, marks, points, cut;
	uint64_t shorter, outside; /* calls dropped */
	uint64_t counted;	   /* calls counted, not timed: not shown */
	const char **names;	   /* per function of the process */
	size_t capnames;
	/*
	 * --min-duration in ticks of the process being read, less 1/64, by
	 * its clock as known when computed (the log, its points and whether
	 * it is fixed say when): calls shorter never reach the spool.
	 */
	const char *min_log;
	size_t min_points;
	int min_fixed;
	uint64_t min_tk;
};

/* Spool. */

static void spool(struct chrome *c, const struct rec *r, const uint64_t *v,
		  size_t nv)
{
	if (c->spool == NULL && (c->spool = tmpfile()) == NULL)
		fatal("a temporary file for the chrome export");
	if (fwrite(r, sizeof *r, 1, c->spool) != 1 ||
	    (nv > 0 && fwrite(v, sizeof *v, nv, c->spool) != nv))
		fatal("the chrome export's temporary file");
}

/* CLOCK_MONOTONIC at TK on the line L. */
static uint64_t line_mono(const struct cp_clock_line *l, uint64_t tk)
{
	return tk >= l->t0 ? l->ns0 + cp_line_ns(l, tk - l->t0)
			   : l->ns0 - cp_line_ns(l, l->t0 - tk);
}

/* The run starts with its first process: logs are read by start time. */
static void set_base(struct chrome *c, const struct proc *pr,
		     const struct thr *t)
{
	struct cp_clock_line l;

	if (c->has_base)
		return;
	if (pr->has_clock) {
		c->base_ns = pr->clock_ns;
		c->has_base = 1;
	} else if (cp_clock_line(&pr->clk, &l)) {
		c->base_ns = line_mono(&l, t->origin);
		c->has_base = 1;
	}
}

/*
 * Whether [START, END] may be kept, by the clock known so far: the exact
 * test runs again once the clock is fixed; this one only keeps the spool
 * small, so it errs towards keeping.
 */
static int maybe_kept(struct chrome *c, const struct proc *pr, uint64_t start,
		      uint64_t end, int is_call)
{
	struct cp_clock_line l;
	uint64_t lo, hi, slack;

	if (is_call && c->o->min_ns > 0) {
		if (c->min_log != pr->log || c->min_points != pr->clk.npoints ||
		    c->min_fixed != pr->clk.fixed) {
			uint64_t ns = c->o->min_ns - c->o->min_ns / 64;

			c->min_log = pr->log;
			c->min_points = pr->clk.npoints;
			c->min_fixed = pr->clk.fixed;
			c->min_tk =
				cp_clock_line(&pr->clk, &l)
					? cp_clock_ticks(&l, l.ns0 + ns) - l.t0
					: 0;
		}
		if (end - start < c->min_tk) {
			c->shorter++;
			return 0;
		}
	}
	if (!c->o->has_range || !c->has_base || !cp_clock_line(&pr->clk, &l))
		return 1;
	lo = line_mono(&l, start);
	hi = line_mono(&l, end);
	/* The rate may still move: 1/64 of the time since the run began. */
	slack = (hi > c->base_ns ? hi - c->base_ns : 0) / 64 + 1000000;
	if (hi + slack < c->base_ns + c->o->range_lo ||
	    lo > c->base_ns + c->o->range_hi + slack) {
		if (is_call)
			c->outside++;
		return 0;
	}
	return 1;
}

static uint16_t ctx_of(const struct thr *t)
{
	return t->nctx > 0 ? (uint16_t)(t->cur > 0xffff ? 0xffff : t->cur) : 0;
}

static void on_call(void *arg, struct proc *pr, struct thr *t, uint32_t fid,
		    uint64_t start, uint64_t end, size_t depth, int cut,
		    const uint64_t *v)
{
	struct chrome *c = arg;
	struct rec r = {0};

	(void)depth;
	set_base(c, pr, t);
	if (!maybe_kept(c, pr, start, end, 1))
		return;
	r.kind = REC_CALL;
	r.cut = (uint8_t)cut;
	r.ctx = ctx_of(t);
	r.thr = (uint32_t)(t - pr->th);
	r.id = fid;
	r.a = start;
	r.b = end;
	spool(c, &r, NULL, 0);
	if (v != NULL) {
		r.kind = REC_VALUES;
		spool(c, &r, v, pr->nc);
	}
}

static void on_mark(void *arg, struct proc *pr, struct thr *t, uint32_t frame,
		    uint64_t start, uint64_t end)
{
	struct chrome *c = arg;
	struct rec r = {0};

	set_base(c, pr, t);
	if (!maybe_kept(c, pr, start, end, 0))
		return;
	r.kind = REC_MARK;
	r.thr = (uint32_t)(t - pr->th);
	r.id = frame;
	r.a = start;
	r.b = end;
	spool(c, &r, NULL, 0);
}

static void on_sample(void *arg, struct proc *pr, struct thr *t, uint64_t tk,
		      const uint64_t *d)
{
	struct chrome *c = arg;
	struct rec r = {0};

	set_base(c, pr, t);
	if (!maybe_kept(c, pr, tk, tk, 0))
		return;
	r.kind = REC_SAMPLE;
	r.thr = (uint32_t)(t - pr->th);
	r.a = r.b = tk;
	spool(c, &r, d, pr->nc);
}

/* Writing. */

static FILE *out(struct chrome *c)
{
	if (c->f == NULL) {
		c->f = cp_xout_file(c->out);
		fputs("{\"traceEvents\":[", c->f);
		c->first = 1;
	}
	return c->f;
}

/* Start an event: the separator, then the opening brace. */
static FILE *event(struct chrome *c)
{
	FILE *f = out(c);

	fputs(c->first ? "\n{" : ",\n{", f);
	c->first = 0;
	return f;
}

/*
 * Times. A viewer reads "ts" and "dur" as doubles and ends a slice at
 * ts + dur: a callee that ends on the same nanosecond as its caller must
 * end there in floating point too, or the viewer closes the caller first
 * (speedscope, chrome://tracing) or cuts the callee (Perfetto). So every
 * "ts" is TS_OFFSET microseconds plus the time since the run's start,
 * printed exactly to the nanosecond (Perfetto rounds it back exactly);
 * all of them then lie in [2^34, 2^35) microseconds (runs up to 4.7 hours
 * either side of the start), where the difference of two doubles is
 * exact. "dur" is that difference, END - START as doubles, printed with
 * the fewest digits that read back to it: ts + dur is then exactly the
 * end's double, whatever the viewer subtracts from every ts first.
 */
#define TS_OFFSET_US (UINT64_C(1) << 34)

static uint64_t ts_ns(const struct chrome *c, uint64_t ns)
{
	return TS_OFFSET_US * 1000 + ns - c->base_ns;
}

static void put_ts(FILE *f, const struct chrome *c, uint64_t ns)
{
	uint64_t t = ts_ns(c, ns);

	fprintf(f, "%" PRIu64 ".%03u", t / 1000, (unsigned)(t % 1000));
}

static void put_dur(FILE *f, const struct chrome *c, uint64_t a, uint64_t b)
{
	double d = (double)ts_ns(c, b) / 1000.0 - (double)ts_ns(c, a) / 1000.0;
	char buf[40];

	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fputs(buf, f);
}

static void meta(struct chrome *c, const char *what, int pid, uint32_t tid,
		 const char *name, const char *suffix, long long id)
{
	FILE *f = event(c);

	fprintf(f,
		"\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%" PRIu32
		",\"args\":{\"name\":",
		what, pid, tid);
	if (suffix == NULL) {
		cp_json_str(f, name);
	} else {
		/* "NAME SUFFIX ID", escaped as one string. */
		size_t n = strlen(name) + strlen(suffix) + 32;
		char *s = xmalloc(n);

		snprintf(s, n, "%s%s%s%lld", name, name[0] ? " " : "", suffix,
			 id);
		cp_json_str(f, s);
		free(s);
	}
	fputs("}}", f);
}

static const char *func_name(struct chrome *c, struct proc *pr, uint32_t fid)
{
	if (c->capnames < pr->npf) {
		size_t old = c->capnames;

		c->names = xgrow(c->names, &c->capnames, pr->npf,
				 sizeof *c->names);
		memset(c->names + old, 0,
		       (c->capnames - old) * sizeof *c->names);
	}
	if (c->names[fid] == NULL) {
		struct cp_sym sym;

		cp_proc_sym(pr, fid, &sym);
		c->names[fid] = sym.name;
	}
	return c->names[fid];
}

static uint32_t track_of(struct chrome *c, struct proc *pr, struct tstate *ts,
			 const struct rec *r)
{
	const struct thr *t = &pr->th[r->thr];
	uint32_t tid = (uint32_t)t->tid, ctx;

	if (!ts[r->thr].named) {
		ts[r->thr].named = 1;
		meta(c, "thread_name", pr->pid, tid,
		     t->name[0] ? t->name : "thread", "", t->tid);
	}
	if (r->kind == REC_MARK) {
		if (!(ts[r->thr].tracks & 1)) {
			ts[r->thr].tracks |= 1;
			meta(c, "thread_name", pr->pid, FRAMES_TRACK | tid,
			     "frames of", "", t->tid);
		}
		return FRAMES_TRACK | tid;
	}
	if (r->kind != REC_CALL || r->ctx == 0)
		return tid;
	ctx = r->ctx < CTX_TRACK_MAX ? r->ctx : CTX_TRACK_MAX;
	if (ctx < 31 && !(ts[r->thr].tracks & (2u << ctx))) {
		char what[64];

		ts[r->thr].tracks |= 2u << ctx;
		snprintf(what, sizeof what, "coroutine %u of", ctx);
		meta(c, "thread_name", pr->pid, (ctx << CTX_SHIFT) | tid, what,
		     "", t->tid);
	}
	return (ctx << CTX_SHIFT) | tid;
}

/* Is [LO, HI] (ns) kept by --time-range? */
static int in_range(const struct chrome *c, uint64_t lo, uint64_t hi)
{
	return !c->o->has_range || (hi >= c->base_ns + c->o->range_lo &&
				    lo <= c->base_ns + c->o->range_hi);
}

/* A counter point of each counter at NS: the rate since PREV. */
static void counter_points(struct chrome *c, struct proc *pr,
			   const struct thr *t, uint64_t prev, uint64_t ns,
			   const uint64_t *d)
{
	double us = (double)(ns > prev ? ns - prev : 1) / 1000;

	for (size_t j = 0; j < pr->nc; j++) {
		FILE *f = event(c);

		fputs("\"ph\":\"C\",\"name\":", f);
		{
			size_t n = strlen(pr->cnt[j].name) + 48;
			char *s = xmalloc(n);

			snprintf(s, n, "%s/us tid %d", pr->cnt[j].name, t->tid);
			cp_json_str(f, s);
			free(s);
		}
		fprintf(f, ",\"pid\":%d,\"tid\":%d,\"ts\":", pr->pid, t->tid);
		put_ts(f, c, prev);
		fputs(",\"args\":{\"rate\":", f);
		fprintf(f, "%.6g}}", (double)d[j] / us);
	}
	c->points++;
}

/* The process's spool, now that its clock is fixed, into the output. */
static void convert(struct chrome *c, struct proc *pr)
{
	struct tstate *ts = xcalloc(pr->nth ? pr->nth : 1, sizeof *ts);
	uint64_t *v = xcalloc(pr->nc ? pr->nc : 1, sizeof *v);
	const struct cp_clock *clk = &pr->clk;
	struct rec r;
	FILE *f;

	/* A first process with no clock point at all starts the run here. */
	if (!c->has_base) {
		c->has_base = 1;
		c->base_ns = c->p->procs[c->p->nprocs - 1].start_ns;
	}
	f = event(c);
	fprintf(f,
		"\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":"
		"{\"name\":",
		pr->pid);
	{
		const char *exe = strrchr(pr->exe, '/');
		size_t n = strlen(pr->exe) + 32;
		char *s = xmalloc(n);

		snprintf(s, n, "%s %d", exe ? exe + 1 : pr->exe, pr->pid);
		cp_json_str(f, s);
		free(s);
	}
	fputs("}}", f);
	for (size_t i = 0; i < pr->nth; i++) {
		const struct thr *t = &pr->th[i];

		ts[i].prev_ns = cp_clock_mono(clk, t->seen	  ? t->origin
						   : t->has_start ? t->start
								  : 0);
	}
	if (c->spool == NULL)
		goto done;
	rewind(c->spool);
	while (fread(&r, sizeof r, 1, c->spool) == 1) {
		const struct thr *t = &pr->th[r.thr];
		uint64_t a = cp_clock_mono(clk, r.a),
			 b = cp_clock_mono(clk, r.b);
		uint32_t tid;

		if (r.kind == REC_SAMPLE || r.kind == REC_VALUES) {
			if (fread(v, sizeof *v, pr->nc, c->spool) != pr->nc)
				break;
		}
		switch (r.kind) {
		case REC_CALL:
			if (b - a < c->o->min_ns) {
				/* Its values record, next, goes with it. */
				c->shorter++;
				continue;
			}
			if (!in_range(c, a, b)) {
				c->outside++;
				continue;
			}
			tid = track_of(c, pr, ts, &r);
			f = event(c);
			fputs("\"ph\":\"X\",\"name\":", f);
			cp_json_str(f, func_name(c, pr, r.id));
			fprintf(f, ",\"pid\":%d,\"tid\":%" PRIu32 ",\"ts\":",
				pr->pid, tid);
			put_ts(f, c, a);
			fputs(",\"dur\":", f);
			put_dur(f, c, a, b);
			if (r.cut) {
				fputs(",\"args\":{\"cut\":true}", f);
				c->cut++;
			}
			fputc('}', f);
			c->kept++;
			break;
		case REC_MARK:
			if (!in_range(c, a, b))
				continue;
			tid = track_of(c, pr, ts, &r);
			f = event(c);
			fputs("\"ph\":\"X\",\"cat\":\"frame\",\"name\":", f);
			cp_json_str(f, pr->fr[r.id].name);
			fprintf(f, ",\"pid\":%d,\"tid\":%" PRIu32 ",\"ts\":",
				pr->pid, tid);
			put_ts(f, c, a);
			fputs(",\"dur\":", f);
			put_dur(f, c, a, b);
			fputc('}', f);
			c->marks++;
			break;
		case REC_SAMPLE:
			if (!in_range(c, b, b))
				break;
			track_of(c, pr, ts, &r);
			counter_points(c, pr, t, ts[r.thr].prev_ns, b, v);
			ts[r.thr].prev_ns = b;
			break;
		case REC_VALUES: {
			struct tstate *s = &ts[r.thr];

			if (b - a < c->o->min_ns || !in_range(c, a, b))
				break;
			if (s->prev_v == NULL)
				s->prev_v = xcalloc(pr->nc, sizeof *s->prev_v);
			/* The first kept call only sets where rates start. */
			if (s->has_prev) {
				for (size_t j = 0; j < pr->nc; j++)
					s->prev_v[j] =
						v[j] > s->prev_v[j]
							? v[j] - s->prev_v[j]
							: 0;
				counter_points(c, pr, t, s->prev_ns, b,
					       s->prev_v);
			}
			memcpy(s->prev_v, v, pr->nc * sizeof *v);
			s->prev_ns = b;
			s->has_prev = 1;
			break;
		}
		}
	}
	if (ferror(c->spool))
		fatal("the chrome export's temporary file");
	rewind(c->spool);
	if (ftruncate(fileno(c->spool), 0) != 0)
		fatal("the chrome export's temporary file");
done:
	for (size_t i = 0; i < pr->nth; i++)
		free(ts[i].prev_v);
	free(ts);
	free(v);
	if (c->names != NULL)
		memset(c->names, 0, c->capnames * sizeof *c->names);
}

static void on_proc_end(void *arg, struct proc *pr)
{
	convert(arg, pr);
}

static const struct cp_tap chrome_tap = {
	.call = on_call,
	.mark = on_mark,
	.sample = on_sample,
	.proc_end = on_proc_end,
};

/* The trailer: what was left out, and what the run lacks. */
static void trailer(struct chrome *c, const struct cp_profile *p)
{
	FILE *f = out(c);
	int first = 1;

	fprintf(f,
		"\n],\"otherData\":{\"producer\":\"cprof %s\",\"ts_offset_us\":"
		"%" PRIu64 ",\"min_duration_ns\":%" PRIu64 ",\"calls\":%" PRIu64
		",\"dropped_shorter\":%" PRIu64
		",\"dropped_outside_range\":%" PRIu64 ",\"cut_calls\":%" PRIu64
		",\"counted_calls\":%" PRIu64 ",\"frames\":%" PRIu64
		",\"incomplete_processes\":[",
		PACKAGE_VERSION, TS_OFFSET_US, c->o->min_ns, c->kept,
		c->shorter, c->outside, c->cut, c->counted, c->marks);
	for (size_t i = 0; i < p->nprocs; i++) {
		const struct cp_process *pp = &p->procs[i];

		if (pp->finished && pp->skipped_bytes == 0)
			continue;
		fprintf(f, "%s{\"pid\":%d,\"state\":", first ? "" : ",",
			pp->pid);
		cp_json_str(f, pp->finished ? "truncated" : pp->state);
		fprintf(f, ",\"skipped_bytes\":%" PRIu64 "}",
			pp->skipped_bytes);
		first = 0;
	}
	fputs("]}}\n", f);
}

int cp_export_chrome(struct cp_profile *p, const char *run,
		     const struct cp_export_opts *o, struct cp_xout *xo)
{
	struct chrome c;
	char buf[32];

	memset(&c, 0, sizeof c);
	c.o = o;
	c.p = p;
	c.out = xo;
	if (cp_profile_load_tap(p, run, &chrome_tap, &c) != 0) {
		if (c.spool != NULL)
			fclose(c.spool);
		free(c.names);
		return -1;
	}
	for (size_t i = 0; i < p->nfuncs; i++)
		c.counted += p->funcs[i].st.untimed_calls;
	trailer(&c, p);
	if (c.spool != NULL)
		fclose(c.spool);
	free(c.names);
	if (c.shorter > 0)
		warnx("chrome: %" PRIu64 " of %" PRIu64
		      " calls shorter than %s left out (--min-duration)",
		      c.shorter, c.shorter + c.kept + c.outside,
		      cp_format_ns(buf, sizeof buf, o->min_ns));
	if (c.outside > 0)
		warnx("chrome: %" PRIu64 " calls outside --time-range left "
		      "out",
		      c.outside);
	if (c.counted > 0)
		warnx("chrome: %" PRIu64 " calls counted, not timed, left out "
		      "(adaptive timing; --time-all records them)",
		      c.counted);
	return 0;
}
