/*
 * profile.h - what the loading of a run shares between its files, not
 * part of the CLI's API (cli.h): a process being read (struct proc), its
 * threads with their stacks and waiting samples (struct thr), and the
 * run being merged into (struct loader).
 *
 * profile.c reads the logs and calls the others: replay.c replays each
 * thread's marker events on its call stack, samples.c places the perf
 * samples among them, merge.c turns a finished process into the run's
 * tables, and clock.c converts its ticks.
 */
#ifndef CPROF_PROFILE_H
#define CPROF_PROFILE_H

#include <stdint.h>
#include <string.h>

#include "cct.h"
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
	int unnamed; /* resolved, but no symbol holds its addresses */
	/*
	 * The hybrid: a function of the hooks (CP_SITE_ADDR), once a sample
	 * was taken in its frame: 1 + the resolved function holding its
	 * address, whose samples are its own (samples.c, foreign()).
	 */
	uint32_t rid;
};

/*
 * Counters, per function and thread: CS_STRIDE(k) numbers for k counters,
 * self[k], total[k], then the samples with the function innermost, and
 * the leader's count in those of them taken inside a marker frame.
 */
#define CS_SAMPLES(k) (2 * (k))
#define CS_LEAD(k)    (2 * (k) + 1)
#define CS_STRIDE(k)  (2 * (k) + 2)

/*
 * --frames (frames.c): a frame as its process is read, in ticks and the
 * process's functions: its FR_TOP functions of most self time and its
 * first FR_MAXC counters.
 */
#define FR_TOP	3
#define FR_MAXC 8
struct pfrec {
	uint64_t serial; /* the process's frame number */
	uint64_t index;	 /* among the frames of its name on its thread */
	uint64_t start, len;
	int tid;
	uint32_t name;	      /* pframe */
	uint32_t top[FR_TOP]; /* UINT32_MAX past the last */
	uint64_t topself[FR_TOP];
	uint64_t counts[FR_MAXC];
};

/* A thread's frame of one name being measured (frames.c). */
struct tfacc {
	int made;
	uint64_t start, count;
	uint64_t cstart[FR_MAXC]; /* the counters at its start */
	uint64_t *self;		  /* per function, the self time in it */
	size_t capself;
	uint32_t *touched; /* the functions whose self is not 0 */
	size_t ntouched, captouched;
};

/* A sample waiting for the marker stream of its thread to reach it. */
struct qsample {
	uint64_t ns; /* CLOCK_MONOTONIC */
	uint64_t tk; /* on the marker timeline, once converted */
	uint64_t ip;
	size_t chain; /* its return addresses: thr.qchain + chain */
	size_t nchain;
	int throttled; /* the first after a throttled interval */
};

/*
 * Per function and thread, in ticks. With a calibration (proc.has_calib),
 * cself and ctotal hold what was taken out of self and total as the
 * hooks' cost, in thousandths of a tick (replay.c, compensate()), and
 * kids the timed calls made from its frames.
 */
struct tstat {
	uint64_t calls, self, total;
	uint64_t active;  /* activations open on the stack */
	uint64_t untimed; /* of calls, counted without timing (calls chunks) */
	uint64_t cself, ctotal, kids;
	/*
	 * Sampling mode with a leader that counts CPU time: samples taken in
	 * its frames whose address lies in another function (xout), and
	 * samples taken in other functions' frames whose address lies in it
	 * (xin), each weighted by the thread's wall time per CPU time then
	 * (x1024); the samples inside markers that are its (nin).
	 */
	uint64_t xout, xin, nin;
	/* Samples in the runtime taken in its frames, weighted so too. */
	uint64_t rtin;
};

/*
 * An open frame. With a calibration, nkids counts its closed children
 * and ovh what was taken out of the self times inside their intervals
 * (thousandths of a tick).
 */
struct open_frame {
	uint64_t start, children;
	uint32_t fid, nkids;
	uint64_t ovh;
	/* Its call in the thread's tree (cct.h), when it has one. */
	uint32_t call;
};

/* A frame name of one process, with lengths in ticks. */
struct pframe {
	const char *name;
	uint64_t count, total, min, max;
	uint64_t *fine; /* FINE_BUCKETS counts, allocated on first use */
};

/*
 * The open frames of a thread: what a ucontext switch sets aside. In
 * exact mode CF holds, for each open frame, the counters at its enter
 * then its closed children's deltas (cf_enter(), cf_kids()).
 */
struct tstack {
	struct open_frame *open;
	size_t depth, cap;
	uint64_t base_children; /* root-level time since the stream start */
	uint64_t *cf;
	size_t capcf;
};

/*
 * An execution context of a thread (a ucontext coroutine, or the thread's
 * own stack: id 0), whose frames are kept while another runs.
 */
struct tctx {
	uint64_t id;
	struct tstack stk;
	uint64_t out_tk; /* when it was switched out */
	uint64_t *out_v; /* exact mode: the counters then */
};

/*
 * Exact mode: a thread's counters at its last event, at the origin of its
 * stream, and the root-level deltas since (nc each, one allocation).
 */
struct texact {
	uint64_t *last, *origin, *root;
	int has_values; /* values were seen: the three are meaningful */
	/*
	 * Some values were no counts (CPROF_COUNTER_NONE: the thread's
	 * counters were taken by the program or never opened): what spans
	 * them counted nothing.
	 */
	int none;
};

struct thr {
	int tid;
	const char *name;
	int has_start, has_end, seen, replaced, unfinished;
	int unreliable; /* an unknown-stack event: numbers unsure */
	/* Execution contexts: the one running is ctxs[cur], its stack stk. */
	struct tctx *ctxs;
	size_t nctx, capctx, cur;
	uint64_t start, end;
	uint64_t origin; /* start of the stream: start record or first event */
	uint64_t last;	 /* time of the last event */
	uint64_t stop;	 /* where the stream ends, set when the log does */
	struct tstack stk;
	struct tstat *st; /* indexed by pfunc */
	size_t nst;
	uint64_t *marks; /* last frame mark, indexed by pframe */
	size_t nmarks;

	/* Counters (proc.nc > 0): CS_STRIDE numbers per pfunc. */
	uint64_t *cs;
	size_t ncs;
	int counted;	  /* it had samples, totals or exact values */
	uint64_t samples; /* taken */
	uint64_t marked;  /* of those, placed inside a marker frame */
	uint64_t lost, throttled, unthrottled;
	/*
	 * Per pfunc: samples after a throttled interval that went to its
	 * self counts (samples.c), ntsamp of them; NULL when none.
	 */
	uint64_t *tsamp;
	size_t ntsamp;
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
	 * The hybrid, with a leader that counts CPU time: the wall time per
	 * CPU time of the thread around now, from its samples (x1024; 1024
	 * until known), which puts a sample on the frames' wall clock
	 * (samples.c, foreign()); the placed samples' wall and CPU time,
	 * decayed.
	 */
	uint64_t dil, dil_prev_ns;
	double dil_wall, dil_cpu;
	/* The program's samples inside markers: their leader's count, number.
	 */
	uint64_t in_lead, in_n;

	struct texact x; /* exact mode */

	/*
	 * The calling-context tree and call graph (cct.h) of the thread, in
	 * its process's function ids and ticks, when the run wants one;
	 * cdelta: exact mode's scratch, the counters' self deltas and deltas
	 * of the frame being closed (2 nc).
	 */
	struct cp_cct *cct;
	uint64_t *cdelta;

	/* --frames: per frame name, and the sums of its samples' deltas. */
	struct tfacc *facc;
	size_t nfacc;
	uint64_t *ssum;

	/*
	 * --alloc, sampling mode: allocations waiting in pend (as events of
	 * exit CP_EV_ALLOC whose site is their index here) for the events
	 * around them (cli/alloc.c).
	 */
	struct cp_log_alloc *aq;
	size_t naq, capaq;
	/*
	 * Off-CPU intervals (offcpu.c) waiting for the marker stream, as
	 * samples do: those from ohead on are unplaced, those before oconv
	 * have their tick. OFF: per pfunc, OFF_STRIDE ns (OFF_*).
	 */
	struct qoff *oq;
	size_t ohead, oconv, noq, capoq;
	uint64_t *off;
	size_t noff;
	/* System calls per (pfunc, number), hashed (syscalls.c). */
	struct tsys *sys;
	size_t nsys, capsys;
	uint32_t *sysix; /* index + 1, 0 empty; capsysix a power of 2 */
	size_t capsysix;
};
#define CP_EV_ALLOC 2

/* A thread's calls of system call NR in function FID (syscalls.c). */
struct tsys {
	uint32_t fid;
	uint64_t nr;
	uint64_t self_count, self_ns, total_count, total_ns;
};

/* An off-CPU interval waiting to be placed. */
struct qoff {
	uint64_t mid_ns; /* its middle, CLOCK_MONOTONIC: placed by it */
	uint64_t tk;	 /* the same on the marker timeline, once converted */
	uint64_t len;	 /* ns */
	int preempt;
	int64_t nr; /* a system call's number (syscalls.c), -1 off-CPU */
};
#define OFF_SELF      0
#define OFF_TOTAL     1
#define OFF_PRE_SELF  2
#define OFF_PRE_TOTAL 3
#define OFF_STRIDE    4

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
	/* The header's "adaptive" (ticks), when has_adaptive. */
	int has_adaptive;
	uint64_t adapt_warmup, adapt_threshold, adapt_timed, adapt_counted;
	/*
	 * The record-time selection (header "select"): the patterns joined
	 * with newlines ("" when none), --min-duration in ns.
	 */
	int has_select;
	const char *sel_filter, *sel_exclude;
	uint64_t sel_min_ns;
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

	struct cp_clock clk;
	int has_clock; /* the header has a calibration point */
	/* The cost of a timed call (header "calib"), thousandths of a tick. */
	int has_calib;
	uint64_t c_own_mt, c_caller_mt;
	/*
	 * Exact mode's calib chunk: the counters' increments a timed call
	 * adds, thousandths, own then caller per counter (2 nc), or NULL.
	 */
	uint64_t *c_counts;
	/* The sampling leader counts CPU time in ns (task-clock, cpu-clock). */
	int ns_leader;
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
	/*
	 * --call-graph=dwarf: the samples' registers (perf mask, 0 without)
	 * and machine; the unwinder, made at the first stack sample
	 * (unwind_tried once it was tried, NULL when it cannot be).
	 */
	uint64_t dwarf_regs;
	const char *dwarf_arch;
	struct cp_unwind *unw;
	int unwind_tried;
	struct pcounter *cnt;
	uint32_t *runidx; /* the run's counter of each, set at the end */
	uint64_t samples, slost, sthrottled, unplaced;
	/*
	 * Samples in the right frame (samples.c): the bound on the skew
	 * between sample times and converted ticks, in ticks (clock.c
	 * measures it), the samples placed by their address against their
	 * time within it, unthrottle records, and the header's clock_note.
	 */
	uint64_t skew_tk, by_ip, sunthrottled;
	const char *clock_note;
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
	/* A sample's call path, outermost first, for the threads' trees. */
	uint32_t *cpath;
	size_t capcpath;

	/* --frames: the frames kept, a sample and the longest (frames.c). */
	struct pfrec *frkeep, *frlong;
	size_t nfrkeep, capfrkeep, nfrlong;
	uint64_t frseen, frrng;

	/* --alloc: the header's "alloc", and what alloc.c keeps. */
	int has_alloc;
	struct cp_alloc_proc *alloc;
};

/*
 * A tap on the replay, for the exports that stream what the tables sum
 * (export.h): each hook may be NULL. Times are ticks of PR's clock,
 * which is fixed only by proc_end; thread T is PR->th[T's index].
 */
struct cp_tap {
	/*
	 * A call of FID closed on T, from START to END, with DEPTH frames
	 * still open around it; CUT when the stream ended with it open. V:
	 * exact mode's counter values at END, else NULL.
	 */
	void (*call)(void *arg, struct proc *pr, struct thr *t, uint32_t fid,
		     uint64_t start, uint64_t end, size_t depth, int cut,
		     const uint64_t *v);
	/* Frame mark FRAME of T closed the frame from START to END. */
	void (*mark)(void *arg, struct proc *pr, struct thr *t, uint32_t frame,
		     uint64_t start, uint64_t end);
	/* A sample of T at TK placed, with its PR->nc deltas D. */
	void (*sample)(void *arg, struct proc *pr, struct thr *t, uint64_t tk,
		       const uint64_t *d);
	/* A map chunk of PR: the objects loaded (paths as the log has them). */
	void (*map)(void *arg, struct proc *pr, const struct cp_log_obj *objs,
		    size_t n);
	/* PR is finished and merged: its clock is fixed, P->procs has it. */
	void (*proc_end)(void *arg, struct proc *pr);
};

struct loader {
	const struct cp_tap *tap; /* NULL: no export listens */
	void *tap_arg;
	struct cp_profile *p;
	struct cp_pool *pool;
	struct cp_symbols *syms;
	struct cp_index func_ix;
	size_t capfuncs, capthreads, capprocs, capframes;
	uint32_t *rowof; /* scratch: global function -> thread row */
	size_t caprowof;
	size_t capcounters;
	size_t capframerecs;
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
	/* fork() children noted in the logs: (parent, child) pids. */
	struct cp_unlogged *forks;
	size_t nforks, capforks;
	uint64_t forks_more;
};

static inline const char *intern(struct proc *pr, struct cp_bytes b)
{
	return cp_pool_intern(pr->ld->pool, b.ptr, b.len);
}

static inline uint64_t *cs_at(const struct proc *pr, const struct thr *t,
			      uint32_t fid)
{
	return t->cs + (size_t)fid * CS_STRIDE(pr->nc);
}

/*
 * Frame lengths in the finer histogram: the bucket of D ticks, and the
 * lower bound of bucket B.
 */
static inline unsigned fine_bucket(uint64_t d)
{
	unsigned e;

	if (d < FINE_EXACT)
		return (unsigned)d;
	e = 63 - (unsigned)__builtin_clzll(d);
	return FINE_EXACT + (e - 5) * FINE_SUB +
	       (unsigned)((d >> (e - 4)) & (FINE_SUB - 1));
}

static inline uint64_t fine_lower(unsigned b)
{
	unsigned e;

	if (b < FINE_EXACT)
		return b;
	e = (b - FINE_EXACT) / FINE_SUB + 5;
	return (uint64_t)(FINE_SUB + (b - FINE_EXACT) % FINE_SUB) << (e - 4);
}

/* profile.c: cp_profile_load() with TAP (and ARG) on the replay. */
int cp_profile_load_tap(struct cp_profile *p, const char *path,
			const struct cp_tap *tap, void *arg);

/* replay.c: processes' functions, frames and threads, and the replay. */

/* The frame name NAME of PR (interned): its index, added if new. */
uint32_t cp_proc_frame(struct proc *pr, const char *name);
/* A new function or site of PR, a copy of F: its id. */
uint32_t cp_proc_func_new(struct proc *pr, const struct pfunc *f);
/*
 * The thread TID running now. A tid whose thread has ended belongs to a
 * new thread when it shows up again.
 */
struct thr *cp_proc_thread(struct proc *pr, int tid);
/* The thread TID for counter chunks: one that ended is not replaced. */
struct thr *cp_proc_thread_find(struct proc *pr, int tid);
/*
 * Give T a slot for every function and frame name of its process, and
 * the process a sample mark for every function.
 */
void cp_thread_reserve(struct proc *pr, struct thr *t);
/* Replay the ev chunk C, or have it wait for its samples. */
void cp_replay_ev(struct proc *pr, const struct cp_log_ev *c);
/* Sampling mode: run T's waiting events, placing its samples between. */
void cp_replay_pending(struct proc *pr, struct thr *t);
/* Add the counted calls of calls chunk C to its thread's functions. */
void cp_replay_calls(struct proc *pr, const struct cp_log_calls *c);
/*
 * The log has ended at LAST: close every thread's open frames, in every
 * context, where the thread ended or else at LAST.
 */
void cp_replay_close(struct proc *pr, uint64_t last);

/* samples.c: sampling mode, samples placed among the marker events. */

enum cp_flush {
	CP_FLUSH_DRAIN, /* a counts chunk ended a drain of the thread */
	CP_FLUSH_FORCE, /* too much waits */
	CP_FLUSH_FINAL, /* the thread or the process ended */
};
/*
 * The row of the runtime's own cost in PR ("[cprof runtime]"): samples in
 * libcprof, and in exact mode the counts of its slow paths.
 */
uint32_t cp_samples_runtime_fid(struct proc *pr);
/* Queue the samples of chunk C on their thread. */
void cp_samples_add(struct proc *pr, const struct cp_log_samples *c);
/* The events of C wait on T for their drain's samples. */
void cp_samples_pend(struct proc *pr, struct thr *t, const struct cp_log_ev *c);
/*
 * Place T's queued samples earlier than the event at TK (site ID, an exit
 * if EXIT), with its stack as it is; those within the skew bound of TK go
 * where their address or callchain puts them, before or after it.
 */
void cp_samples_before(struct proc *pr, struct thr *t, uint64_t tk, uint32_t id,
		       int exit);
/* Run T's waiting events and place what samples can be (HOW: why now). */
void cp_samples_flush(struct proc *pr, struct thr *t, enum cp_flush how);
/* An ended thread whose events and samples have all run frees its queues. */
void cp_samples_release(struct thr *t);

/*
 * offcpu.c: off-CPU intervals (offcpu chunks) placed like samples on the
 * frames open at their middle. Queue those of C; place T's converted
 * ones earlier than TK; at a flush (HOW, the clock line L or NULL when
 * not calibrated yet), convert, place those the stream passed and, at
 * a drain or the end, those that wait no longer; add T's function I to
 * F; free T's.
 */
struct cp_clock_line;
void cp_offcpu_add(struct proc *pr, const struct cp_log_offcpu *c);
void cp_offcpu_before(struct proc *pr, struct thr *t, uint64_t tk);
void cp_offcpu_flush(struct proc *pr, struct thr *t, enum cp_flush how,
		     const struct cp_clock_line *l, int after);
void cp_offcpu_merge(const struct proc *pr, const struct thr *t, size_t i,
		     struct cp_func *f);
void cp_offcpu_free(struct thr *t);
/*
 * syscalls.c: queue the calls of chunk C on their thread (the off-CPU
 * queue, sorted by time); place queued call Q with T's stack as it
 * stands; add T's to the run's functions (GID: the run's function of each
 * of PR's); free T's.
 */
void cp_syscalls_add(struct proc *pr, const struct cp_log_syscalls *c);
void cp_syscalls_place(struct proc *pr, struct thr *t, const struct qoff *q);
void cp_syscalls_merge(struct loader *ld, struct proc *pr, struct thr *t,
		       const uint32_t *gid);
void cp_syscalls_free(struct thr *t);
/* Sort T's waiting intervals and calls by time (offcpu.c). */
void cp_offcpu_sort(struct thr *t);
/* The off-CPU self time of T's function I, at most SELF_NS (on-CPU >= 0). */
uint64_t cp_offcpu_self(const struct proc *pr, const struct thr *t, size_t i,
			uint64_t self_ns);

/*
 * frames.c: --frames. A thread of the run gets its accumulators (when
 * the run wants frames); a returning call's SELF counts in its frames
 * (the root frame's only when IN_ROOT: a call that began before the
 * stream returns outside any);
 * a root frame opens at TK; a frame of name IDX ends at TK after LEN
 * ticks, V the counters' values in exact mode; a placed sample's deltas
 * D; a finished process's kept frames go to the run, named by GID.
 */
void cp_frames_thread(struct proc *pr, struct thr *t);
void cp_frames_self(struct proc *pr, struct thr *t, uint32_t fid, uint64_t self,
		    int in_root);
void cp_frames_open(struct proc *pr, struct thr *t, uint32_t idx, uint64_t tk,
		    const uint64_t *v);
void cp_frames_end(struct proc *pr, struct thr *t, uint32_t idx, uint64_t tk,
		   uint64_t len, const uint64_t *v);
void cp_frames_sample(struct proc *pr, struct thr *t, const uint64_t *d);
void cp_frames_merge(struct loader *ld, struct proc *pr, const uint32_t *gid);
void cp_frames_free(struct proc *pr);

/* merge.c: a finished process into the run's tables. */

/*
 * Name PR's functions and add its threads, frames and counters to the
 * run; LAST and ORIGIN: its last and first known ticks (ORIGIN UINT64_MAX
 * when no event), STATE and WS: how a process without end record ended.
 */
void cp_merge_proc(struct loader *ld, struct proc *pr, uint64_t last,
		   uint64_t origin, const char *state, int ws);
/* Every log is in: the run's totals, counts and distortion check. */
void cp_merge_run(struct loader *ld);

/*
 * alloc.c: --alloc. The allocations and frees of chunk C of thread T,
 * each at the stack T has after the first pos events of C: cp_alloc_at
 * takes one now (plain and exact mode), cp_alloc_pend queues it in
 * T->pend (sampling mode), where run_events gives it to cp_alloc_run.
 * cp_alloc_merge matches frees to blocks in time order at the process's
 * end and adds what its functions (GID) did to the run; cp_alloc_free
 * gives the process's memory back.
 */
void cp_alloc_at(struct proc *pr, struct thr *t, const struct cp_log_alloc *a);
void cp_alloc_pend(struct proc *pr, struct thr *t,
		   const struct cp_log_alloc *a);
void cp_alloc_run(struct proc *pr, struct thr *t, uint32_t idx);
void cp_alloc_merge(struct loader *ld, struct proc *pr, const uint32_t *gid);
void cp_alloc_free(struct proc *pr);
/* The name, object, file and line of function FID of PR, as merged. */
void cp_proc_sym(struct proc *pr, uint32_t fid, struct cp_sym *sym);

#endif /* CPROF_PROFILE_H */
