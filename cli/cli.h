/*
 * cli.h - internal interfaces of the cprof command-line tool, grouped by
 * the file that defines them.
 *
 * The tool reads a run (a directory of per-process logs, see
 * doc/log-format.md) into a struct cp_profile, which the output code
 * prints. Reading streams: memory grows with the number of functions,
 * threads and processes, never with the number of events.
 */
#ifndef CPROF_CLI_H
#define CPROF_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cprof-contract.h"

/* util.c: diagnostics, allocation. */
extern const char *cp_progname;
/* Print "cprof: MSG: strerror(errno)" and exit 1. */
void fatal(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* Print "cprof: MSG" and exit 1. */
void fatalx(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* Print "cprof: MSG" and exit with STATUS. */
void fatalx_status(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Print "cprof: MSG" and go on. */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/*
 * Make the array P of *CAP elements of SIZE bytes hold at least WANT,
 * doubling; returns the (maybe moved) array and updates *CAP.
 */
void *xgrow(void *p, size_t *cap, size_t want, size_t size);
char *xstrdup(const char *s);
/*
 * Open the output file PATH of an -o option (close-on-exec); NULL with
 * errno set. Exits with status 2 for a link another user planted.
 */
FILE *cp_create_output(const char *path);

/*
 * pool.c: interned strings and a hash index. Interned strings live as long
 * as their pool and are equal exactly when their pointers are.
 */
struct cp_pool;
struct cp_pool *cp_pool_new(void);
void cp_pool_free(struct cp_pool *pool);
const char *cp_pool_intern(struct cp_pool *pool, const char *s, size_t len);
const char *cp_pool_str(struct cp_pool *pool, const char *s);

/*
 * An open-addressing index from a 64-bit hash to element numbers of an
 * array its user owns; zero-initialize it. EQ tells whether element ID is
 * the one looked for.
 */
#define CP_INDEX_NONE UINT32_MAX
struct cp_index_slot {
	uint64_t hash;
	uint32_t id;
};
struct cp_index {
	struct cp_index_slot *slots;
	size_t cap, n;
};
uint64_t cp_hash_bytes(const void *p, size_t len);
uint64_t cp_hash_u64(uint64_t x);
uint32_t cp_index_find(const struct cp_index *ix, uint64_t hash,
		       int (*eq)(const void *ctx, uint32_t id),
		       const void *ctx);
void cp_index_add(struct cp_index *ix, uint64_t hash, uint32_t id);
void cp_index_clear(struct cp_index *ix);

/*
 * reader.c: one log read as a stream of records (doc/log-format.md).
 * Every pointer handed to a callback is valid during that call only.
 */

/* A str or bin of the log: not NUL-terminated. */
struct cp_bytes {
	const char *ptr;
	size_t len;
};

/* The counter modes of a log's header key "events". */
enum cp_counter_mode { CP_COUNTER_SAMPLING, CP_COUNTER_EXACT };

/* One perf_event counter of the group a log's header announces. */
struct cp_log_counter {
	struct cp_bytes name;
	uint64_t type, config; /* perf_event_attr fields, 0 when absent */
};

/* Counters in one group: more makes the header's "events" invalid. */
#define CP_LOG_MAX_COUNTERS 64

struct cp_log_header {
	unsigned version;
	int pid, ppid;
	struct cp_bytes exe;
	const struct cp_bytes *argv;
	size_t argc;
	uint64_t start_ns; /* CLOCK_REALTIME */
	int has_clock;	   /* the clock fields below are set */
	struct cp_bytes clock_source;
	uint64_t hz; /* 0: derive from calibration points */
	uint64_t ticks, mono_ns;
	uint64_t flush_ms;
	/*
	 * The object that defines its own compiler hooks, which then never
	 * reach the runtime (key "own_hooks"); empty when none.
	 */
	struct cp_bytes own_hooks;
	/*
	 * The runtime's own object, as the map chunks name it (key
	 * "runtime"); empty when the log does not say (older runtimes, or
	 * one linked into the program).
	 */
	struct cp_bytes runtime;
	/*
	 * The record-time selection in force (key "select"): has_select
	 * when the key is there; the --filter and --exclude patterns, and
	 * --min-duration in ns (0: none).
	 */
	/* Why the cycle counter may not be a safe clock; empty if it is. */
	struct cp_bytes clock_note;
	int has_select;
	const struct cp_bytes *filter, *exclude;
	size_t nfilter, nexclude;
	uint64_t min_ns;
	/*
	 * Counters (key "events"): ncounters is 0 for a log without them,
	 * or with an "events" key the reader could not use (it warns).
	 */
	size_t ncounters;
	const struct cp_log_counter *counters; /* the leader first */
	enum cp_counter_mode mode;
	uint64_t period, freq; /* of the leader, sampling mode */
	int callchain;	       /* samples carry callchains */
	/*
	 * --call-graph=dwarf (key "dwarf"): the stack bytes asked for (0
	 * without), the perf register mask and the machine ("x86_64").
	 */
	uint64_t stack, regs;
	struct cp_bytes arch;
	/*
	 * The measured cost of one timed call (key "calib"), thousandths of
	 * a tick: inside its own interval, and in its caller's.
	 */
	int has_calib;
	uint64_t calib_own_mt, calib_caller_mt;
	/*
	 * Adaptive timing (key "adaptive"): the runtime's rule, and what it
	 * measured a timed and a counted call to cost, in ticks.
	 */
	int has_adaptive;
	uint64_t warmup, threshold, threshold_ns, timed_call, counted_call;
	/* --alloc: allocations were recorded (key "alloc"). */
	int alloc;
};

struct cp_log_obj {
	struct cp_bytes path; /* "" for the main program */
	uint64_t base;
	struct cp_bytes build_id; /* empty when the object has none */
	const uint64_t *segs;	  /* nsegs pairs: start, end */
	size_t nsegs;
};

enum cp_site_kind {
	CP_SITE_ADDR, /* a function address from the compiler hooks */
	CP_SITE_FUNC, /* marker kinds, as in cprof.h */
	CP_SITE_SCOPE,
	CP_SITE_FRAME,
	CP_SITE_SWITCH,	      /* the runtime's: context `ctx` runs from now */
	CP_SITE_UNKNOWN_STACK /* the runtime's: the stack left every known one
			       */
};

struct cp_log_site {
	enum cp_site_kind kind;
	uint64_t addr; /* CP_SITE_ADDR only */
	struct cp_bytes name, file;
	int line;
	uint64_t ctx; /* CP_SITE_SWITCH only */
};

/* One marker event with its absolute time; SITE is below nsites. */
struct cp_log_event {
	uint64_t ticks;
	uint32_t site;
	uint32_t exit; /* 0 for an enter, 1 for an exit */
};

/*
 * An allocation or a free of an ev chunk (--alloc): it came after the
 * first POS events of the chunk, at TICKS; SIZE is 0 for a free.
 */
struct cp_log_alloc {
	uint64_t ticks, addr, size;
	size_t pos;
	int freed;
};

struct cp_log_ev {
	int tid;
	const struct cp_log_site *sites;
	size_t nsites;
	const struct cp_log_event *ev;
	size_t nev;
	/*
	 * Exact mode: the counters' values at each event, ncounters per
	 * event (from "c0" and "cv"); NULL when the chunk has none.
	 */
	const uint64_t *values;
	/*
	 * Calls the runtime left out as shorter than --min-duration: nshort
	 * pairs (index into sites, calls), key "short"; NULL when none.
	 */
	const uint32_t *shorts;
	size_t nshort;
	/* --alloc: the chunk's allocations and frees (key "al"), in order. */
	const struct cp_log_alloc *allocs;
	size_t nallocs;
};

/*
 * An offcpu chunk: N intervals of thread TID off the CPU, from OUT to IN
 * (CLOCK_MONOTONIC ns); PREEMPT when the thread was preempted while
 * runnable rather than blocked.
 */
struct cp_log_offiv {
	uint64_t out, in;
	int preempt;
};
struct cp_log_offcpu {
	int tid;
	const struct cp_log_offiv *iv;
	size_t n;
};

/*
 * A syscalls chunk: N system calls of thread TID, each entered at ENTER
 * (CLOCK_MONOTONIC ns) and left LEN ns later; LOST: tracepoint records
 * the kernel dropped since the thread's previous chunk.
 */
struct cp_log_syscall {
	uint64_t enter, len, nr;
};
struct cp_log_syscalls {
	int tid;
	const struct cp_log_syscall *s;
	size_t n;
	uint64_t lost;
};

/* One overflow sample of a samples chunk. */
struct cp_log_sample {
	uint64_t time; /* CLOCK_MONOTONIC ns */
	uint64_t ip;
	const uint64_t *deltas; /* ncounters: counted since the last sample */
	const uint64_t *chain;	/* return addresses, innermost first */
	size_t nchain;
	/* The first after a throttled interval (key "throttled_at"). */
	int throttled;
	/*
	 * --call-graph=dwarf: the user registers (NULL when the sample has
	 * none), one 8-byte little-endian word per bit of the header's
	 * mask, and the copy of the user stack from the stack pointer.
	 */
	const unsigned char *regs;
	const unsigned char *stack;
	size_t stack_len;
};

struct cp_log_samples {
	int tid;
	const struct cp_log_sample *s;
	size_t n;
};

/*
 * A calls chunk (adaptive timing): N functions of thread TID whose calls
 * were counted, not timed; FNS holds N pairs (address, calls since the
 * thread's last calls chunk).
 */
struct cp_log_calls {
	int tid;
	/*
	 * Pairs (function address, calls), N of them. From an "edges" chunk
	 * CALLERS holds, beside each pair, the site of the frame that made
	 * those calls (CP_SITE_ADDR with address 0: the bottom of a stack);
	 * NULL from the older "fns" shape, whose callers are unknown.
	 */
	const uint64_t *fns;
	const struct cp_log_site *callers;
	size_t n;
};

/*
 * Exact mode's calib chunk: the cost of a timed call in thousandths of a
 * tick, and, when COUNTS is not NULL, the counters' increments it adds
 * (thousandths): NCOUNTERS pairs, inside its own interval then in its
 * caller's.
 */
struct cp_log_calib {
	uint64_t own_mt, caller_mt;
	const uint64_t *counts;
	size_t ncounters;
};

/* A counts chunk: a thread's totals so far, ncounters values. */
struct cp_log_counts {
	int tid;
	const uint64_t *values;
	uint64_t enabled, running; /* ns */
	/*
	 * Exact mode: what of VALUES the runtime's own work counted (key
	 * "runtime"), ncounters values; NULL when the chunk has none.
	 */
	const uint64_t *runtime;
};

struct cp_log_thread {
	int tid;
	int has_start, has_end;
	uint64_t start, end; /* ticks */
	struct cp_bytes name;
};

struct cp_log_end {
	uint64_t ticks, mono_ns;
	struct cp_bytes reason;
	int signal;
	uint64_t lost;
};

/* What to do with each record; a NULL callback skips its records. */
struct cp_log_ops {
	void (*header)(void *arg, const struct cp_log_header *h);
	void (*map)(void *arg, const struct cp_log_obj *objs, size_t nobjs);
	void (*thread)(void *arg, const struct cp_log_thread *t);
	void (*ev)(void *arg, const struct cp_log_ev *ev);
	void (*clock)(void *arg, uint64_t ticks, uint64_t mono_ns);
	void (*end)(void *arg, const struct cp_log_end *e);
	/* Counter chunks: only in a log whose header has ncounters > 0. */
	void (*samples)(void *arg, const struct cp_log_samples *s);
	void (*lost)(void *arg, int tid, uint64_t lost, uint64_t throttled);
	void (*counts)(void *arg, const struct cp_log_counts *c);
	/*
	 * The width of the calibration point just delivered (header, clock
	 * or end), when the log gives it; unthrottle records of a thread.
	 */
	void (*clock_width)(void *arg, uint64_t width);
	void (*unthrottled)(void *arg, int tid, uint64_t n);
	/* Calls chunks: calls counted without timing. */
	void (*calls)(void *arg, const struct cp_log_calls *c);
	/* fork() children noted by the runtime, and how many more were not. */
	void (*forks)(void *arg, const uint64_t *pids, size_t n, uint64_t more);
	/* Exact mode's calib chunk. */
	void (*calib)(void *arg, const struct cp_log_calib *c);
	/* Offcpu chunks: a thread's intervals off the CPU. */
	void (*offcpu)(void *arg, const struct cp_log_offcpu *c);
	/* Syscalls chunks: a thread's system calls. */
	void (*syscalls)(void *arg, const struct cp_log_syscalls *c);
};

struct cp_log_result {
	uint64_t size;	  /* bytes in the file */
	uint64_t used;	  /* bytes of the header and whole chunks used */
	uint64_t skipped; /* size - used: truncated or corrupt tail */
	uint64_t chunks;  /* chunks handed to callbacks */
	int truncated;	  /* the tail is not a whole msgpack object */
	int corrupt;	  /* reading stopped at a bad object or chunk */
};

/*
 * Read the log at PATH, calling OPS with ARG per record, in file order.
 * A truncated or corrupt tail is reported on stderr and skipped: the
 * records before it have been delivered and 0 is returned. Returns -1
 * after a one-line error naming the file when PATH cannot be read, is not
 * a cprof log, or has a newer version (then no record was delivered).
 * R, if not NULL, receives what was read.
 */
int cp_log_read(const char *path, const struct cp_log_ops *ops, void *arg,
		struct cp_log_result *r);

/* run.meta, written by the CLI beside the logs of a run. */
struct cp_run_meta {
	char **argv; /* NULL-terminated and allocated, NULL when absent */
	int status;
	uint64_t start_ns, end_ns; /* CLOCK_REALTIME */
	/*
	 * The process cprof started and its wait(2) status (has_wait), and
	 * the processes of the run still running when cprof returned.
	 */
	int pid, has_wait, wait_status;
	int *running; /* allocated, nrunning entries */
	size_t nrunning;
};

/*
 * Read the run.meta at PATH into M. Returns 0, 1 when there is no such
 * file, or -1 after a warning when it cannot be read or is not valid.
 */
int cp_meta_read(const char *path, struct cp_run_meta *m);

/*
 * symbols.c: names for code addresses from a process's recorded load map.
 * A cp_symbols holds the object files opened so far and what they said,
 * shared by every process of a run; a cp_symmap is one process's map.
 */
struct cp_sym {
	const char *name;   /* demangled, or "object+0xOFF", or "0xADDR" */
	const char *object; /* basename of the object, NULL when none */
	const char *file;   /* NULL when there is no line information */
	int line;
	int unnamed; /* no symbol holds the address: name is an offset */
};
struct cp_symbols;
struct cp_symmap;
/* Strings handed out live in POOL. */
struct cp_symbols *cp_symbols_new(struct cp_pool *pool);
void cp_symbols_free(struct cp_symbols *syms);
/* EXE replaces the empty path of the main program. */
struct cp_symmap *cp_symmap_new(struct cp_symbols *syms, const char *exe);
void cp_symmap_add(struct cp_symmap *map, const struct cp_log_obj *obj);
/*
 * The map's generation: it grows as objects are added. An address is
 * named as the map stood at the generation it was first seen in.
 */
size_t cp_symmap_gen(const struct cp_symmap *map);
/* ADDR was in one object at generation THEN and is in another at NOW. */
int cp_symmap_moved(const struct cp_symmap *map, uint64_t addr, size_t then,
		    size_t now);
void cp_symmap_lookup(struct cp_symmap *map, uint64_t addr, size_t gen,
		      struct cp_sym *out);
/*
 * Is the instruction before ADDR a call, so that ADDR can be a return
 * address? 1 if so, 0 if not (or no object's code holds ADDR), -1 when
 * it cannot be told (an object that cannot be read, another machine).
 */
int cp_symmap_call_before(struct cp_symmap *map, uint64_t addr, size_t gen);
void cp_symmap_free(struct cp_symmap *map);
/*
 * For DWARF unwinding (unwind.c): the object of MAP (at generation GEN)
 * whose executable segment [lo, hi) holds ADDR, its load bias, and where
 * its .eh_frame_hdr (PT_GNU_EH_FRAME) was mapped; -1 when no object
 * holds ADDR, its file cannot be read or it has no such header.
 */
struct cp_unwind_obj {
	uint64_t base, lo, hi;
	uint64_t eh_frame_hdr, eh_frame_hdr_len;
};
int cp_symmap_unwind_info(struct cp_symmap *map, uint64_t addr, size_t gen,
			  struct cp_unwind_obj *o);
/*
 * Read N bytes at ADDR of the process from the file of the object mapped
 * there (its PT_LOAD segments' file bytes): 0, or -1 when none has them.
 */
int cp_symmap_read(struct cp_symmap *map, uint64_t addr, size_t gen, void *buf,
		   size_t n);

/*
 * unwind.c: --call-graph=dwarf samples' chains, unwound with libunwind
 * over the stack copy and the objects of MAP. cp_unwind_new says once
 * (warnx) why it cannot, and returns NULL: the log's machine ARCH is not
 * this one, or cprof was built without libunwind. cp_unwind_chain writes
 * at most MAX return addresses of S into OUT, innermost caller first
 * (headed by the user address when S was taken in the kernel), and
 * returns how many; 0 for a NULL U.
 */
struct cp_unwind;
struct cp_unwind *cp_unwind_new(struct cp_symmap *map, uint64_t regs,
				const char *arch, size_t arch_len);
size_t cp_unwind_chain(struct cp_unwind *u, const struct cp_log_sample *s,
		       uint64_t *out, size_t max);
void cp_unwind_free(struct cp_unwind *u);

/*
 * clock.c: a process's marker ticks and CLOCK_MONOTONIC nanoseconds. The
 * line through a point (T0, NS0) with NUM nanoseconds every DEN ticks.
 */
struct cp_clock_line {
	uint64_t t0, ns0, num, den;
};
/* What the log says of its clock; zero it before the first point. */
struct cp_clock {
	uint64_t hz; /* ticks a second, 0 when the points tell */
	size_t npoints;
	uint64_t lo_t, lo_ns, hi_t, hi_ns; /* the lowest and highest points */
	int fixed;			   /* cp_clock_fix() has run */
	struct cp_clock_line line;	   /* set by cp_clock_fix() */
	/*
	 * The skew measured between the two clocks: the farthest a point
	 * fell from the conversion known before it (ns), and the widest
	 * point (ticks between the counter reads around the clock's).
	 */
	uint64_t skew_ns, width;
};
/*
 * The bound on the error of placing a CLOCK_MONOTONIC time on the tick
 * timeline with L, in ticks: the measured skew and the widest point.
 */
uint64_t cp_clock_skew_ticks(const struct cp_clock *c,
			     const struct cp_clock_line *l);
/* Add the calibration point (TICKS, NS). */
void cp_clock_point(struct cp_clock *c, uint64_t ticks, uint64_t ns);
/* What cp_clock_fix() found: a rate, or why 1 tick = 1 ns is assumed. */
enum { CP_CLOCK_OK, CP_CLOCK_TOO_FEW, CP_CLOCK_STILL };
/*
 * Fix the conversions of C for good (the log has ended): the rate from
 * hz or from the points, through the lowest point.
 */
int cp_clock_fix(struct cp_clock *c);
/*
 * The conversion known so far into *L: the fixed one, or hz or two points
 * that advance with the lowest point; 0 when the rate is not known yet.
 */
int cp_clock_line(const struct cp_clock *c, struct cp_clock_line *l);
/* Once fixed: the length of TICKS, and the time at TICKS, in ns. */
uint64_t cp_clock_ns(const struct cp_clock *c, uint64_t ticks);
uint64_t cp_clock_mono(const struct cp_clock *c, uint64_t ticks);
/* The ticks at CLOCK_MONOTONIC time NS on the line L. */
uint64_t cp_clock_ticks(const struct cp_clock_line *l, uint64_t ns);

/*
 * profile.c: a run read into per-function tables (with replay.c,
 * samples.c and merge.c, which share profile.h).
 */

/* Aggregated time of one function (one row), in nanoseconds. */
struct cp_stats {
	uint64_t calls; /* exact: timed and counted */
	uint64_t self_ns;
	uint64_t total_ns; /* recursion counted once */
	/*
	 * The hybrid (doc/design.md): the marker self time as measured,
	 * and the hooks' cost taken out of it by the calibration. self_ns
	 * is what the report trusts (cp_func.self_source says which).
	 */
	uint64_t self_marker_ns;
	uint64_t comp_ns;
	/*
	 * With a leader that counts CPU time: the CPU time of the samples
	 * taken inside markers whose address lies in it (ns).
	 */
	uint64_t sampled_ns;
	/*
	 * The same, of the samples in the runtime's code taken in its
	 * frames: the hooks' cost there, on the markers' (wall) clock.
	 */
	uint64_t hook_sampled_ns;
	/*
	 * Adaptive timing: of CALLS, those counted without a clock read;
	 * when not 0, self_ns and total_ns are left to the samples (0 until
	 * something fills them), and the timed calls' own measure is kept
	 * in timed_self_ns and timed_total_ns (equal to self_ns and
	 * total_ns for a function whose calls were all timed).
	 */
	uint64_t untimed_calls;
	uint64_t timed_self_ns, timed_total_ns;
};

/*
 * Where a function's self time comes from (JSON "self_source"; merge.c,
 * reconcile(), doc/design.md "The hybrid"): its timed calls, timed calls
 * less the measured cost of timing them, or the samples whose address
 * falls in it (its calls were counted, not timed; it has no timed call;
 * or its marker time disagreed with its samples, which were trusted).
 */
enum cp_self_source {
	CP_SELF_TIMED = 0,
	CP_SELF_COMPENSATED,
	CP_SELF_SAMPLED,
};

/* What one counter (cp_profile.counters[k]) counted in one function. */
struct cp_count {
	uint64_t self;
	uint64_t total; /* recursion counted once */
};

/*
 * The cross-check of one function's share of marker self time with its
 * share of the leader's counts in the samples taken inside markers.
 */
struct cp_distortion {
	int flagged;	     /* the shares disagree beyond sampling error */
	double time_share;   /* 0 to 1 */
	double sample_share; /* 0 to 1 */
	const char *reason;  /* a short phrase when flagged, else NULL */
	int trust_samples;   /* flagged: self time taken from the samples */
};

/*
 * Where a reference profile's total time comes from (cli/reference.c):
 * the plain run's callchains, the hooked run's totals scaled to the plain
 * run's time, or the self time alone (a function neither gives).
 */
enum cp_ref_total {
	CP_REF_TOTAL_CHAINS,
	CP_REF_TOTAL_SCALED,
	CP_REF_TOTAL_SELF
};

/*
 * The calls of one system call NR made while a function was innermost
 * (self) or on the stack (total, once per call), and their time.
 */
struct cp_sysstat {
	uint64_t nr;
	uint64_t self_count, self_ns, total_count, total_ns;
};

/* A function or marker site, merged over every process and thread. */
/* --alloc: allocations and frees, of a function or of a whole run. */
struct cp_alloc_counts {
	uint64_t count, bytes;	     /* allocations, bytes allocated */
	uint64_t frees, freed_bytes; /* frees, bytes of the blocks freed */
};

/*
 * A function's: SELF made in its own frames, TOTAL in them and what they
 * called; of the blocks it allocated, the bytes live at its process's
 * peak and the blocks still live at the process's end (leaks).
 */
struct cp_alloc_func {
	struct cp_alloc_counts self, total;
	uint64_t peak_bytes, leak_count, leak_bytes;
	/* Of its blocks, those another thread freed (count and bytes). */
	uint64_t remote_frees, remote_freed_bytes;
};

struct cp_func {
	const char *name;   /* demangled symbol, marker name or obj+0xoff */
	const char *object; /* basename of the ELF object, NULL for markers */
	const char *file;   /* source file, NULL when unknown */
	int line;	    /* 0 when unknown */
	struct cp_stats st;
	enum cp_self_source self_source;
	/*
	 * Counters: cp_profile.ncounters entries, NULL when that is 0. A
	 * function only sampled (no marker of it) has st.calls == 0.
	 */
	struct cp_count *counts;
	uint64_t samples; /* samples whose innermost frame (or ip) it is */
	/*
	 * Of those, the samples taken first after a throttled interval: its
	 * self counts hold what the group counted while the leader did not
	 * sample, wherever the thread was (marked in the report).
	 */
	uint64_t throttled_samples;
	struct cp_distortion dist;
	/*
	 * The row of the runtime's own cost ("[cprof runtime]"): samples in
	 * libcprof, exact mode's counts inside its slow paths.
	 */
	int runtime;
	/*
	 * A profile merged with a reference run (cli/reference.c): REF is
	 * set on every row, whose self time, counters and samples are then
	 * the plain build's; REF_INLINED when the plain build has no such
	 * function (its time is in its callers' self); REF_TOTAL says where
	 * total_ns comes from.
	 */
	int ref, ref_inlined;
	enum cp_ref_total ref_total;
	/* Hidden by a report-time filter (filter.c): in no view. */
	int hidden;
	struct cp_alloc_func alloc; /* --alloc */
	/*
	 * Off-CPU time (offcpu.c, cp_profile.has_offcpu): the thread was
	 * blocked (switched out of its own accord: sleep, lock, I/O) while
	 * the function was innermost (self) or on the stack (total), and
	 * the time it was preempted while runnable (preempt_*).
	 */
	uint64_t off_self_ns, off_total_ns;
	uint64_t preempt_self_ns, preempt_total_ns;
	/* System calls (syscalls.c, cp_profile.has_syscalls), by number. */
	struct cp_sysstat *sys;
	size_t nsys;
};

/* A calling-context tree and call graph (cct.h). */
struct cp_cct;

/* One frame of --frames: a return to depth 0, or a frame mark's frame. */
#define CP_FRAME_TOP  3
#define CP_FRAME_MAXC 8
struct cp_frame_rec {
	const char *name; /* the frame mark's, "" for depth-0 returns */
	int pid, tid;
	uint64_t index; /* among the frames of its name on its thread */
	uint64_t start_ns, total_ns;
	/* The functions of most self time in it (funcs), SIZE_MAX after. */
	size_t top[CP_FRAME_TOP];
	uint64_t top_ns[CP_FRAME_TOP];
	/* Its counters (the first 8 of its process): run counter, count. */
	uint32_t cidx[CP_FRAME_MAXC];
	uint64_t cval[CP_FRAME_MAXC];
	size_t ncounts;
	/*
	 * How many of the run's frames it stands for in the uniform sample
	 * the medians come from; 0 for a frame kept only for its length.
	 */
	double weight;
};

struct cp_thread_func {
	size_t func; /* index into cp_profile.funcs */
	struct cp_stats st;
	struct cp_count *counts; /* as in cp_func */
};

struct cp_thread {
	int pid, tid;
	const char *name;  /* thread name, "" when unknown */
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t end_ns;
	int unfinished; /* still running when its process ended */
	/* Its stack switched where cprof could not follow: numbers unsure. */
	int unreliable;
	size_t contexts; /* ucontext coroutines it ran besides its own */
	/* Exact mode: part of its events had no counter values. */
	int counters_missing;
	struct cp_thread_func *funcs;
	size_t nfuncs;
	/* Counters: samples taken, lost and throttled on this thread. */
	uint64_t samples, lost, throttled;
	uint64_t unthrottled; /* PERF_RECORD_UNTHROTTLE records */
	/*
	 * Its last counts chunk: raw totals (cp_profile.ncounters entries,
	 * NULL when it had none) and the ns its group was enabled and
	 * running; running / enabled is its coverage.
	 */
	uint64_t *totals;
	uint64_t enabled, running;
	/* Its calling-context tree (cct.h), when cp_profile.want_cct. */
	struct cp_cct *cct;
};

struct cp_process {
	int pid, ppid;
	const char *exe;
	const char *log;	   /* the log file it was read from */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	int finished;		   /* has an end record */
	const char *end_reason;	   /* "exit", "signal", "exec", NULL */
	/*
	 * Without an end record, what is known of its end: "running" (it
	 * still holds its log open), "running-at-return" (it did when cprof
	 * returned, run.meta says), "killed" and "exited" (cprof's wait
	 * status, in wait_status), else "no-end-record". NULL when finished.
	 */
	const char *state;
	int wait_status;
	int signal;
	uint64_t events;
	uint64_t lost;
	uint64_t skipped_bytes; /* truncated or corrupt tail */
	/* The object with the program's own compiler hooks, NULL if none. */
	const char *own_hooks;
	/*
	 * The record-time selection in force: --filter and --exclude
	 * patterns joined with newlines ("" for none), --min-duration in ns.
	 * Calls it left out are not in the profile.
	 */
	int has_select;
	const char *sel_filter, *sel_exclude;
	uint64_t sel_min_ns;
	/*
	 * Adaptive timing, when the runtime counted short functions' calls
	 * (adaptive): its rule (a function is judged after adapt_warmup
	 * timed calls, and counted when they took less than adapt_threshold_ns
	 * each) and what it measured a timed and a counted call to cost.
	 */
	int adaptive;
	uint64_t adapt_warmup, adapt_threshold_ns;
	uint64_t adapt_timed_call_ns, adapt_counted_call_ns;
	/* Counters: samples taken, lost (PERF_RECORD_LOST), throttled. */
	uint64_t samples, samples_lost, throttled;
	/*
	 * Samples in the right frame: unthrottle records, the measured bound
	 * on the skew between sample times and the marker clock (ns), the
	 * samples whose address or callchain placed them against their time
	 * within it, and why the cycle counter may not be a safe clock (NULL
	 * when it is).
	 */
	uint64_t unthrottled, skew_ns, by_ip;
	const char *clock_note;
	/* Samples that came after the marker stream had passed them. */
	uint64_t unplaced;
	/*
	 * Samples attributed through their callchain, and those of them
	 * whose chain is broken in the program (profile.c, chain_check()).
	 */
	uint64_t callchains, broken_chains;
	int dwarf; /* the chains were unwound from stack samples */
	/*
	 * The measured cost of one timed call (its log's "calib"), in ns:
	 * inside its own interval and in its caller's.
	 */
	int has_calib;
	double calib_own_ns, calib_caller_ns;
};

/*
 * One counter of the run, merged by name over its processes. Samples,
 * lost and throttled are those of its group (its leader samples).
 */
struct cp_counter {
	const char *name;
	uint64_t type, config; /* perf_event_attr */
	enum cp_counter_mode mode;
	int leader;	       /* samples: the first of a sampling group */
	int ns;		       /* counts nanoseconds (task-clock, cpu-clock) */
	uint64_t period, freq; /* of the group's leader */
	uint64_t samples, lost, throttled;
	/* Sums over the threads' last counts chunks. */
	uint64_t count;		   /* raw */
	uint64_t enabled, running; /* ns; coverage = running / enabled */
	size_t uncovered; /* threads that counted without a counts chunk */
	int scaled;	  /* some thread's counts were scaled (coverage < 1) */
	uint64_t total_self; /* sum of self over the functions */
};

/* Frame statistics of one frame name ("" for depth-0 returns). */
struct cp_frames {
	const char *name;
	uint64_t count;
	uint64_t total_ns, min_ns, max_ns;
	uint64_t hist[64]; /* hist[i]: frames with floor(log2(ns)) == i */
};

/*
 * The runtime's warnings of a run (its warnings file, cli/warnings.c),
 * each distinct text once, in the order first said.
 */
struct cp_warning {
	char *text;	/* without the "cprof: " prefix */
	unsigned count; /* lines that said it: one per process mostly */
};
struct cp_warnings {
	struct cp_warning *v;
	size_t n;
	size_t left_out; /* distinct texts past the bound, not kept */
};

struct cp_profile {
	struct cp_func *funcs;
	size_t nfuncs;
	struct cp_thread *threads;
	size_t nthreads;
	struct cp_process *procs;
	size_t nprocs;
	struct cp_frames *frames;
	size_t nframes;
	/*
	 * --alloc (cli/alloc.c): has_alloc when a process recorded them;
	 * ALL of the whole run, OUTSIDE made outside any function's frame;
	 * the peaks of the processes added, leaks of all; frees of blocks
	 * never seen allocated.
	 */
	int has_alloc;
	struct cp_alloc_counts alloc_all;
	struct cp_alloc_func alloc_outside;
	uint64_t alloc_peak, leak_count, leak_bytes, unknown_frees;
	uint64_t total_self_ns; /* sum of self_ns over funcs */
	uint64_t comp_ns;	/* the hooks' cost compensated, over funcs */
	/*
	 * Sampled self times are on the marker (wall) clock: rho ns of self
	 * time for each ns of CPU time sampled (1 when not known).
	 */
	double rho;
	/* When the build distorts (advice.c). */
	struct cp_advice {
		int has_share; /* a calibration was applied */
		double share;  /* of marker self time, the hooks' compensated */
		int large;     /* the share is large: functions are named */
		size_t *funcs; /* the functions mostly hook, costliest first */
		size_t nfuncs;
		double named_share;   /* their hooks' share of marker time */
		const char *compiler; /* "gcc", "clang" or NULL: unknown */
	} advice;
	/* Counters of the run, in the order their processes listed them. */
	struct cp_counter *counters;
	size_t ncounters;
	/*
	 * The distortion check, when has_dist: dist_counter (a task-clock,
	 * cpu-clock or cycles leader) and the samples inside markers it
	 * compared, dist_samples (too few, and nothing is flagged).
	 */
	int has_dist;
	size_t dist_counter;
	uint64_t dist_samples;
	/* Some process recorded context switches (--off-cpu at record). */
	int has_offcpu;
	/*
	 * Some process traced its system calls (--syscalls at record), and
	 * the tracepoint records the kernel dropped.
	 */
	int has_syscalls;
	uint64_t syscalls_lost;
#define CP_DIST_MIN_SAMPLES 50
	/* From run.meta, when present. */
	int has_meta;
	char **argv; /* NULL-terminated */
	int status;
	uint64_t meta_start_ns, meta_end_ns; /* CLOCK_REALTIME */
	int meta_pid, meta_has_wait, meta_wait_status;
	int *meta_running; /* still running when cprof returned */
	size_t meta_nrunning;
	/*
	 * The calling-context tree and call graph (cct.h), merged over the
	 * run: function ids index funcs, times are in ns, counters follow
	 * counters. Built only when the caller sets want_cct before
	 * cp_profile_load() (it costs a look-up per event), NULL otherwise;
	 * each thread's own is in cp_thread.cct.
	 */
	int want_cct;
	struct cp_cct *cct;
	/* Merged with a reference run (cli/reference.c), else NULL. */
	struct cp_reference *ref;
	/*
	 * --frames (frames.c), when want_frames is set before loading: the
	 * frames kept, of frame_seen in all, frame_sampled when some were
	 * left out (then only the weighted ones are a uniform sample).
	 */
	int want_frames;
	struct cp_frame_rec *frame_recs;
	size_t nframe_recs;
	uint64_t frame_seen;
	int frame_sampled;
	/*
	 * The runtime's warnings (a run directory's warnings file), and
	 * whether the command already gave them on stderr (stat): the table
	 * then leaves them out.
	 */
	struct cp_warnings warnings;
	int warnings_said;
	/*
	 * fork() children that a process of the run noted (a forks chunk)
	 * but that left no log of their own, and forks the runtime could
	 * not note (too many at once).
	 */
	struct cp_unlogged {
		int pid, ppid;
	} * unlogged;
	size_t nunlogged;
	uint64_t unlogged_more;
	/*
	 * A repeated run (record -r N, repeat.c): repeats is N (0 for a
	 * single run), the threads of repeat K are rep_threads[K] up to
	 * rep_threads[K + 1], rep_self[K] its self time; funcs hold the
	 * means per run.
	 */
	size_t repeats;
	size_t *rep_threads;
	uint64_t *rep_self;
	/* Per function: its self time in each repeat, NULL when it has none. */
	uint64_t **rep_func_self;
	/*
	 * Report-time filters applied (filter.c): the functions they hid
	 * and the self time not shown, of total_self_ns (the whole run's).
	 */
	int filtered;
	size_t hidden_funcs;
	uint64_t hidden_self_ns;
	/* Owns every string above; private to the loader (profile.h). */
	struct cp_pool *pool;
};

/*
 * Read PATH, a run directory or a single log, into P (zeroed by the
 * caller). Warnings (truncated tails, killed processes) go to stderr.
 * Returns 0, or -1 after printing a one-line error naming the file.
 */
int cp_profile_load(struct cp_profile *p, const char *path);
void cp_profile_free(struct cp_profile *p);
/*
 * merge.c: is C the generic event GENERIC ("cycles", "instructions",
 * "cache-misses", "task-clock", "cpu-clock"), by name or by encoding?
 */
int cp_counter_is(const struct cp_counter *c, const char *generic);

/*
 * advice.c: how much the hooks moved the profile, and when it is much,
 * the functions to leave out of the build (cp_profile.advice). Called
 * once the run is merged; cp_advice_free() by cp_profile_free().
 */
void cp_advice(struct cp_profile *p);
void cp_advice_free(struct cp_profile *p);
/* The build option that leaves them out, for the program's compiler. */
void cp_advice_line(FILE *f, const struct cp_profile *p);

/* output.c: printing a profile as a table, JSON or CSV. */
enum cp_format { CP_FORMAT_TABLE, CP_FORMAT_JSON, CP_FORMAT_CSV };
enum cp_sort {
	CP_SORT_SELF,
	CP_SORT_TOTAL,
	CP_SORT_CALLS,
	CP_SORT_SELFCALL,
	CP_SORT_NAME
};

/*
 * Whether the table and CSV show the counters: AUTO when the run has any
 * (stat), ON also says when it has none (report --counters). JSON always
 * carries them.
 */
enum cp_show_counters { CP_COUNTERS_AUTO, CP_COUNTERS_OFF, CP_COUNTERS_ON };

/* --color: escape sequences in the table (doc/cprof.1, TERMINAL OUTPUT). */
enum cp_color { CP_COLOR_AUTO, CP_COLOR_NEVER, CP_COLOR_ALWAYS };

/* What to print; a zeroed one is a table of every function by self time. */
struct cp_output {
	enum cp_format format;
	enum cp_sort sort;
	size_t top;  /* rows per table, 0 for all */
	int top_set; /* --top was given: a terminal keeps its default else */
	int threads; /* one table (or functions array) per thread */
	enum cp_show_counters counters;
	enum cp_color color;
	/*
	 * Lay the table out for a terminal this many columns wide (fitted
	 * columns, the top rows only) whatever the stream is; 0: only when
	 * the stream is a terminal, at its width. Tests set it.
	 */
	size_t term_width;
	/*
	 * The views of issue 9 (views.c): the call graph and the
	 * calling-context tree instead of the function table, and in JSON
	 * beside it. The table shows DEPTH levels of the tree (0: all) and
	 * folds the subtrees below MIN_SHARE percent of the run.
	 */
	int call_graph, tree;
	size_t depth;
	double min_share;
	/*
	 * --frames: frame by frame with the spikes, above SPIKE_FACTOR
	 * times the median (0: CP_SPIKE_FACTOR).
	 */
	int frames;
	double spike_factor;
	/* report --budget (budget.c): printed after the table, in JSON. */
	const struct cp_budgets *budgets;
	/* --alloc: the allocation table (cli/alloc.c) after the function's. */
	int alloc;
	/* --off-cpu: the off-CPU and on-CPU self columns in the table. */
	int offcpu;
	/* --syscalls: the system-call columns (count, time, classes). */
	int syscalls;
};
#define CP_SPIKE_FACTOR 2.0
/* Frame times vary too much past this coefficient of variation. */
#define CP_FRAME_CV 0.15

/* Parse a --sort or --format argument; 0, or -1 when S is not one. */
int cp_sort_parse(const char *s, enum cp_sort *sort);
int cp_format_parse(const char *s, enum cp_format *format);
int cp_color_parse(const char *s, enum cp_color *color);
/* Print P to F. Returns 0, or -1 with errno set when writing failed. */
int cp_output_print(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o);
/* Write S as a JSON string, escaped, invalid UTF-8 replaced. */
void cp_json_str(FILE *f, const char *s);
/* Format NS with 3 significant digits and a unit ("812ns", "1.25ms"). */
char *cp_format_ns(char *buf, size_t len, uint64_t ns);
/* Format a count N with 3 significant digits ("812", "1.23M"). */
char *cp_format_count(char *buf, size_t len, uint64_t n);

/*
 * export.c: the exports of report (--format chrome, pprof, folded), which
 * stream the replay of a run into a format other tools open (export.h).
 */
enum cp_export_format {
	CP_EXPORT_NONE,
	CP_EXPORT_CHROME,
	CP_EXPORT_PPROF,
	CP_EXPORT_FOLDED,
	CP_EXPORT_FLAMEGRAPH,
};
struct cp_export_opts {
	enum cp_export_format format;
	const char *path; /* -o FILE, NULL for stdout */
	uint64_t min_ns;  /* --min-duration */
	int min_set;
	int has_range; /* --time-range, ns since the run's start */
	uint64_t range_lo, range_hi;
	const char *value; /* folded --value, NULL for the default */
	int icicle;	   /* flamegraph --icicle: top-down */
};
/* Parse a --format argument that names an export; 0, or -1 if not one. */
int cp_export_parse(const char *s, enum cp_export_format *f);
/*
 * Parse a time such as "10us", "1.5ms", "2s" or "300ns" (a bare number
 * is in microseconds) into *NS; 0, or -1 when S is not one.
 */
int cp_parse_time(const char *s, uint64_t *ns);
/* Export the run at RUN as O says; returns cprof's exit status. */
int cp_export(const char *run, const struct cp_export_opts *o);

/*
 * views.c: the call graph and calling-context tree of P (o->call_graph,
 * o->tree) as tables, showing TOP functions of the graph (0: all), and
 * as the JSON keys "call_graph" and "tree". Nothing when P has no tree.
 */
void cp_views_table(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o, size_t top);
void cp_views_json(FILE *f, const struct cp_profile *p,
		   const struct cp_output *o);
/*
 * --frames: the frames of P, the spikes and a sample of the others, as a
 * table, and as the JSON keys "frame_summary", "frames_sampled" and
 * "frame_list"; nothing unless o->frames and P was loaded for it.
 */
void cp_frames_table(FILE *f, const struct cp_profile *p,
		     const struct cp_output *o);
void cp_frames_json(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o);

/*
 * term.c: what changes when the output is a terminal: its width, colour,
 * lines fitted to it, and the progress of a long read on stderr.
 */
/* Rows a table shows on a terminal unless --top says otherwise. */
#define CP_TERM_TOP 25
/* The narrowest terminal the table is fitted to; narrower counts as this. */
#define CP_TERM_MIN_WIDTH 20
/*
 * The width of the terminal on FD: $COLUMNS when it is a positive
 * number, else what the terminal says (TIOCGWINSZ), else 80.
 */
size_t cp_term_columns(int fd);
/*
 * Whether to colour output going to FD: --color=always yes, never no;
 * auto when FD is a terminal, NO_COLOR is unset or empty and TERM is not
 * "dumb".
 */
int cp_term_color(enum cp_color color, int fd);
/* The display width of S's LEN bytes: code points, escape sequences none. */
size_t cp_term_width(const char *s, size_t len);
/*
 * Write the LEN bytes of BUF to F with every line wider than WIDTH
 * wrapped at spaces (or cut, where a word is wider), continuation lines
 * indented two columns past the line's own indent.
 */
void cp_term_fit(FILE *f, const char *buf, size_t len, size_t width);
/*
 * Progress of reading TOTAL bytes of logs, on stderr when it is a
 * terminal and the read has taken a second: one line rewritten in place,
 * erased by cp_progress_end() and before any message (util.c).
 */
void cp_progress_start(uint64_t total);
void cp_progress_add(uint64_t n);
void cp_progress_clear(void);
void cp_progress_end(void);

/* options.c: option tables shared by getopt_long and --help. */
struct cp_option {
	const char *name; /* long name */
	int val;	  /* short option character, or a value above 255 */
	const char *arg;  /* argument name for --help, NULL for a flag */
	const char *help; /* one line */
};

/*
 * A subcommand: what cprof --help, its own --help and the dispatch in
 * main.c know of it. Its option groups each end with an entry with a
 * NULL name.
 */
struct cp_command {
	const char *name;    /* "stat" */
	const char *summary; /* one line for cprof --help */
	const char *usage;   /* "[options] [--] prog [args]" */
	const char *about;   /* a paragraph for --help */
	const struct cp_option *const *groups; /* NULL-terminated */
	/* Run with ARGV[0] the command's name; returns cprof's exit status. */
	int (*exec)(int argc, char **argv);
};

/* Values of the long-only options, above any short option character. */
enum {
	CP_OPT_TOP = 256,
	CP_OPT_THREADS,
	CP_OPT_FORMAT,
	CP_OPT_FLUSH_MS,
	/* Reserved for report --counters, which merges the counter stream. */
	CP_OPT_COUNTERS,
	CP_OPT_EXACT,
	CP_OPT_NO_COUNTERS,
};
/* --color, of stat and report (the terminal work, issue 7). */
enum { CP_OPT_COLOR = 0x1200 };
/* The views of issue 9: report --call-graph, and stat's and report's tree. */
enum {
	CP_OPT_CALL_GRAPH_VIEW = 0x1300,
	CP_OPT_TREE,
	CP_OPT_DEPTH,
	CP_OPT_MIN_SHARE,
	CP_OPT_FRAMES,
	CP_OPT_SPIKE_FACTOR,
};
/*
 * --tree, --depth and --min-share, of stat and report (report's own
 * --call-graph is its: stat's -g is --call-graph).
 */
extern const struct cp_option cp_view_options[];
/* Apply an option of cp_view_options to O; 1 if C was one, else 0. */
int cp_view_option(const struct cp_command *cmd, struct cp_output *o, int c,
		   const char *arg);
/* The table's default --min-share, in percent. */
#define CP_MIN_SHARE 0.5
/* The views have no CSV form: a usage error when O asks for one. */
void cp_view_check(const struct cp_command *cmd, const struct cp_output *o);

/* -s/--sort, --top, --threads and --format, shared by stat and report. */
extern const struct cp_option cp_output_options[];
/* The run options of the lifetime work (issue 6): --wait-all, --no-inherit. */
enum {
	CP_OPT_WAIT_ALL = 0x1100,
	CP_OPT_NO_INHERIT,
};

/* --flush-ms, --wait-all and --no-inherit, shared by stat and record. */
extern const struct cp_option cp_run_options[];
/* Adaptive timing: --time-all, --adaptive-threshold, --adaptive-warmup. */
enum {
	CP_OPT_TIME_ALL = 0x1400,
	CP_OPT_ADAPT_NS,
	CP_OPT_ADAPT_WARMUP,
};
extern const struct cp_option cp_adapt_options[];
/* The counter options of stat and record: -e, -F, -c, -g, --exact... */
extern const struct cp_option cp_counter_options[];
/*
 * Get the next option of CMD from ARGV like getopt_long with a leading "+".
 * Returns the option's val, optarg set, or -1 at the first operand or
 * "--". An unknown option or a missing argument is a usage error (exit 2).
 */
int cp_getopt(const struct cp_command *cmd, int argc, char **argv);
/* Print CMD's usage line to F. */
void cp_usage(const struct cp_command *cmd, FILE *f);
/* Print CMD's usage line to stderr after "cprof: MSG" and exit 2. */
void cp_usage_error(const struct cp_command *cmd, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Print CMD's full help to stdout and exit 0. */
void cp_help(const struct cp_command *cmd) __attribute__((noreturn));
/* Apply an option of cp_output_options to O; 1 if C was one, else 0. */
int cp_output_option(const struct cp_command *cmd, struct cp_output *o, int c,
		     const char *arg);
/* Parse a decimal integer in [MIN, MAX] given to OPT; a usage error if not. */
unsigned long cp_parse_ulong(const struct cp_command *cmd, const char *opt,
			     const char *s, unsigned long min,
			     unsigned long max);
/* The counter options as given; zero them before the first. */
struct cp_counter_opts {
	const char *events;	    /* -e, NULL for the default events */
	unsigned long freq, period; /* -F, -c; 0 when not given */
	int callchain, exact, none; /* -g, --exact, --no-counters */
	unsigned long stack;	    /* --call-graph=dwarf: bytes, else 0 */
};
/* --call-graph=dwarf's stack copy: perf's default and the kernel's most. */
#define CP_DWARF_STACK_DEFAULT 8192
#define CP_DWARF_STACK_MAX     65528
/* Apply an option of cp_counter_options to O; 1 if C was one, else 0. */
int cp_counter_option(const struct cp_command *cmd, struct cp_counter_opts *o,
		      int c, const char *arg);
struct cp_evsel;
/*
 * Check O's combination (a usage error if wrong), then resolve and
 * test-open its events into SEL: exits with 2 for an unknown event and 1
 * for one the kernel refuses. When the defaults changed, the line saying
 * why goes to cp_run_note().
 */
void cp_counter_select(const struct cp_command *cmd,
		       const struct cp_counter_opts *o, struct cp_evsel *sel);
/* What the options shared by stat and record ask of the run. */
struct cp_run_opts {
	struct cp_counter_opts counters; /* cp_counter_options */
	const char *flush_ms;		 /* --flush-ms, NULL when not given */
	/* cp_select_options: patterns one a line, NULL when none. */
	char *filter, *exclude;
	const char *min_duration; /* --min-duration in ns, NULL: none */
	char min_ns[24];
	/* cp_adapt_options: --time-all, and the rule's numbers or NULL. */
	int time_all;
	const char *adapt_ns, *adapt_warmup;
	int alloc; /* --alloc */
	/* cp_sys_options: --off-cpu, --syscalls. */
	int offcpu, syscalls;
};

/*
 * cp_sys_options (issue 11): --off-cpu, record-time (stat, record: the
 * runtime records context switches) and report-time (stat, report: the
 * table's columns).
 */
enum { CP_OPT_OFF_CPU = 0x2b00, CP_OPT_SYSCALLS };
/*
 * syscalls.c: the name of system call NR on the build machine ("sys_NR"
 * when unknown, in BUF), its class for the table (CP_SYS_*), and the
 * classes' names. cp_syscalls_env() sets CPROF_SYSCALLS for a run that
 * asked for them, where the kernel allows the tracepoints, and says once
 * which mode is in force.
 */
const char *cp_syscall_name(uint64_t nr, char *buf, size_t len);
enum {
	CP_SYS_READ,
	CP_SYS_WRITE,
	CP_SYS_OPEN,
	CP_SYS_MMAP,
	CP_SYS_FUTEX,
	CP_SYS_POLL,
	CP_SYS_IOCTL,
	CP_SYS_OTHER,
	CP_SYS_CLASSES
};
int cp_syscall_class(uint64_t nr);
extern const char *const cp_syscall_class_names[CP_SYS_CLASSES];
void cp_syscalls_env(int want);
/* F's self time on the CPU: its self time less its blocked and preempted. */
uint64_t cp_on_cpu_self(const struct cp_func *f);
extern const struct cp_option cp_sys_options[];

/*
 * select.c: --filter, --exclude and --min-duration of stat and record
 * (the record-time selection; the runtime's lib/select.c applies it).
 * Their values must differ from every other option of stat and record:
 * 0x1300 is the views' (--tree, --depth, --min-share).
 */
/*
 * Their own range: 0x1300 is the views' (--tree, --depth would be taken
 * for --exclude, --min-duration on stat, which has both groups).
 */
enum {
	CP_OPT_FILTER = 0x1e00,
	CP_OPT_EXCLUDE,
	CP_OPT_MIN_DURATION,
};
extern const struct cp_option cp_select_options[];
/* What is wrong with glob pattern P, or NULL when it is usable. */
const char *cp_sel_check_pattern(const char *p);
/* "500ns", "2us", "1.5ms", "1s" or "0" in ns; -1 when not a time. */
int cp_sel_parse_ns(const char *s, uint64_t *ns);
/*
 * The option loop of the commands that run a program: like cp_getopt, but
 * cp_counter_options and cp_run_options are applied to O (zero it before
 * the first call) and the next option of another group is returned.
 */
int cp_run_getopt(const struct cp_command *cmd, int argc, char **argv,
		  struct cp_run_opts *o);
/*
 * Hand O and the selected events SEL (then freed) to every program run
 * after: cp_run_setup() and cp_run_counters().
 */
void cp_run_begin(const struct cp_run_opts *o, struct cp_evsel *sel);

/* run.c: running a program under the runtime. */
/*
 * Put the runtime in LD_PRELOAD, and FLUSH_MS, when not NULL, in
 * CPROF_FLUSH_MS, for every program run after. Exits when the runtime
 * library cannot be found, so call it before making a run directory.
 */
void cp_run_setup(const char *flush_ms);
/*
 * Run ARGV with the runtime recording into the existing directory DIR,
 * and write DIR/run.meta when it ends. Returns the status as a shell
 * reports it: the exit code, 128+N for signal N, or 126 or 127 when
 * ARGV[0] could not be run (after saying why); *RAN is set to whether it
 * was.
 */
int cp_run(const char *dir, char *const argv[], int *ran);
/*
 * The executable PROG names, as execvp() finds it (a path with a slash
 * as it is, else the first regular file of $PATH the user may run): an
 * allocated copy, or NULL with *ERR why (ENOENT: none; EACCES: found, not
 * runnable; EISDIR, ENOTDIR...).
 */
char *cp_find_program(const char *prog, int *err);
/*
 * At cprof's exit (registered first with atexit, so it runs last): when
 * the program cp_run() waited for was killed by a signal, cprof dies by
 * the same signal, without a core of its own. Otherwise it returns.
 */
void cp_run_die_like_program(void);
/*
 * Wait, after the program, for every process of the run (cprof becomes
 * their subreaper) when WAIT_ALL; tell the runtime not to carry its
 * variables into an environment the program builds when !INHERIT. Call
 * before cp_run().
 */
void cp_run_wait_all(int wait_all);
void cp_run_inherit(int inherit);
/* --reference: send the next runs' stdout and stderr to /dev/null. */
void cp_run_quiet(int quiet);
/*
 * The pid of a live process that holds the log at PATH open (a process
 * of the run still running), or 0.
 */
int cp_log_holder(const char *path);
/*
 * The live processes of the run in DIR other than cprof, in *PIDS
 * (allocated): started after cprof, with the run's CPROF_DIR in their
 * environment, whether they have opened a log yet or not. Returns how many.
 */
size_t cp_run_live(const char *dir, int **pids);
/*
 * Hand SEL to every program run after through CPROF_EVENTS, CPROF_SAMPLE,
 * CPROF_EXACT and CPROF_CALLCHAIN (see cprof(1)), replacing any value
 * inherited; without counters none of them is set.
 */
void cp_run_counters(const struct cp_evsel *sel);
/*
 * Why a program that ran left no log: PROG is statically linked, or
 * set-user-ID, or a general reason when neither shows.
 */
const char *cp_run_why_empty(const char *prog);
/*
 * Have cp_run() print NOTE (a copy is kept) on stderr, prefixed "cprof: ",
 * once the program has started: a program that cannot be run gets only
 * the line saying why.
 */
void cp_run_note(const char *note);

/*
 * events.c: perf_event counters chosen by name through libpfm4, checked
 * against this kernel before the program runs, and their hand-off to the
 * runtime.
 */
/*
 * The group's size, the name length and the bits of cp_event.flags, as
 * CPROF_EVENTS carries them, are the runtime's (cprof-contract.h).
 */
/* One counter: the perf_event_attr fields libpfm4 encoded its name to. */
struct cp_event {
	char *name; /* as the user wrote it; allocated */
	uint32_t type;
	uint64_t config, config1, config2;
	unsigned flags; /* CPROF_EVENT_* */
};

/* What stat and record count, and how. */
struct cp_evsel {
	int counters;  /* 0: marker timing only (--no-counters) */
	int exact;     /* read at every marker boundary, no sampling */
	int callchain; /* samples carry callchains */
	/* --call-graph=dwarf: the user stack bytes a sample copies, or 0. */
	unsigned long stack;
	uint64_t freq; /* samples a second, when period is 0 */
	uint64_t period;
	struct cp_event ev[CPROF_MAX_EVENTS]; /* the group, its leader first */
	size_t nev;
};

/* An event name cprof documents, and its libpfm4 name. */
struct cp_generic_event {
	const char *name; /* "task-clock" */
	const char *pfm;  /* "perf::PERF_COUNT_SW_TASK_CLOCK" */
	const char *desc;
};
/* Ended by an entry with a NULL name. */
extern const struct cp_generic_event cp_generic_events[];
#define CP_DEFAULT_EVENTS  "cycles,instructions,cache-misses"
#define CP_FALLBACK_EVENTS "task-clock,page-faults,context-switches"

/* Initialize libpfm4 once; exits when it cannot be. */
void cp_events_init(void);
/*
 * Encode NAME into EV with libpfm4 at the privilege levels this kernel
 * lets cprof count. Returns 0, or -1 with ERR holding why (libpfm4's
 * message; PFM_ERR_NOTFOUND in *PFMERR means an unknown name).
 */
int cp_event_encode(const char *name, struct cp_event *ev, int *pfmerr,
		    char *err, size_t len);
/* Test-open EV on cprof itself, counting only; 0 or an errno. */
int cp_event_try(const struct cp_event *ev);
/*
 * Test-open SEL's events as one group, its leader sampling as SEL says,
 * the way the runtime will; 0, or an errno with *BAD the event refused.
 */
int cp_evsel_try(const struct cp_evsel *sel, size_t *bad);
/*
 * --call-graph=dwarf: whether the kernel gives SEL's leader samples with
 * the user registers and SEL->stack bytes of user stack; 0, or -1 with
 * the reason in MSG (LEN bytes).
 */
int cp_evsel_try_stack(const struct cp_evsel *sel, char *msg, size_t len);
/* Why the kernel refused an event with ERR, in a few words. */
const char *cp_event_reason(int err);
/*
 * Fill SEL->ev from the comma-separated LIST, or from the defaults when
 * LIST is NULL, SEL's mode fields being set already; every event is
 * encoded and test-opened, then the group. Returns 0, or the exit
 * status, 2 for an unknown or malformed name and 1 for a refused event,
 * with MSG holding the one-line error. With the defaults, a refusal makes
 * it fall back to CP_FALLBACK_EVENTS (or to no counters at all), and MSG
 * holds the note saying why; otherwise MSG is empty.
 */
int cp_evsel_resolve(struct cp_evsel *sel, const char *list, char *msg,
		     size_t len);
void cp_evsel_free(struct cp_evsel *sel);
/* The CPROF_EVENTS and CPROF_SAMPLE values of SEL, allocated. */
char *cp_events_env(const struct cp_evsel *sel);
char *cp_sample_env(const struct cp_evsel *sel);

/*
 * reference.c: --reference, a sampled run of the plain build beside the
 * hooked run, merged by function (doc/design.md, "Reference runs").
 */
#define CP_RUN_REFERENCE "reference" /* the plain run's subdirectory */
/* What a merged profile says of its reference run. */
struct cp_reference {
	const char *exe;      /* the plain program, as its first process ran */
	int has_meta, status; /* its exit status, from its run.meta */
	const char *event;    /* the leader it was sampled with, NULL if none */
	uint64_t samples;     /* taken in it */
	uint64_t cpu_ns;      /* the on-CPU time its self times add up to */
	int chains;	      /* totals from its callchains (-g, unbroken) */
	double scale;	      /* plain time / hooked time, for scaled totals */
	int symbols;	      /* its symbol table was read: inlined is known */
	size_t inlined;	      /* rows the plain build inlines */
	size_t nprocs;	      /* its processes */
	uint64_t events;      /* its marker events: PLAIN had hooks */
};
/* --reference of stat and record: the option group and its value. */
struct cp_option;
struct cp_command;
struct cp_counter_opts;
extern const struct cp_option cp_reference_options[];
enum { CP_OPT_REFERENCE = 0x1700 };

/*
 * --alloc (issue 11): stat and record preload the allocator wrappers
 * (lib/alloc.c) and the runtime records every allocation and free; stat
 * and report show them per function (cli/alloc.c).
 */
enum { CP_OPT_ALLOC = 0x1b00 };
extern const struct cp_option cp_alloc_view_options[];
/*
 * alloc.c, the output of --alloc: a function's "alloc" members in JSON
 * (after others), the run's "alloc", "alloc_peak" and "leaks" members,
 * and the table of allocations by function (TOP rows, 0: all).
 */
void cp_alloc_json_func(FILE *f, const struct cp_func *fn);
void cp_alloc_json_run(FILE *f, const struct cp_profile *p);
void cp_alloc_table(FILE *f, const struct cp_profile *p, size_t top);
/*
 * run.c: put the allocator wrappers in LD_PRELOAD before the runtime in
 * every later cp_run_setup(); exits 2 where they cannot work (a build
 * with sanitizers, whose allocator is theirs).
 */
void cp_run_want_alloc(const struct cp_command *cmd);
/*
 * Check, before anything runs, that --reference PLAIN can go with the
 * options and stdin: a usage error (exit 2) when not; PLAIN must be
 * executable, else a one-line error and exit 127 or 126, as for PROG.
 */
void cp_reference_check(const struct cp_command *cmd, const char *plain,
			const struct cp_counter_opts *co, int threads);
/*
 * Run PLAIN with ARGV's arguments into DIR/reference (made here), its
 * stdout and stderr to /dev/null and stdin replayed after; returns its
 * status. *STOP is set when the hooked run must not follow (PLAIN could
 * not be run, or a signal for the job killed it): the caller then
 * returns that status.
 */
int cp_reference_run(const char *dir, const char *plain, char *const argv[],
		     int *stop);
/*
 * Once the hooked run has ended with STATUS: say when the plain run
 * ended otherwise (PLAIN_STATUS), a sign that they did different work.
 */
void cp_reference_compare(const char *plain, int plain_status, int status);
/* Does the run directory DIR hold a reference run? */
int cp_reference_present(const char *dir);
/* The size of the logs of DIR's reference run, 0 without one. */
uint64_t cp_reference_bytes(const char *dir);
/*
 * Load PATH as cp_profile_load() does, merged with its reference run
 * when it is a run directory that holds one. A reference run that
 * recorded nothing or cannot be read is left out, with a warning.
 */
int cp_reference_load(struct cp_profile *p, const char *path);

/* cmd-*.c: the subcommands, each the one name its file exports. */
extern const struct cp_command cp_cmd_stat;
extern const struct cp_command cp_cmd_record;
extern const struct cp_command cp_cmd_report;
extern const struct cp_command cp_cmd_list;
extern const struct cp_command cp_cmd_diff; /* cmd-diff.c */
extern const struct cp_command cp_cmd_tag;  /* cmd-tag.c */

/* rundir.c: the run directory, its files and their names. */
#define CP_RUN_META "run.meta" /* written by the CLI when the run ends */
#define CP_RUN_OLD  ".old"     /* RUN.old keeps the run recorded before */
/*
 * Whether NAME is a log's file name, proc-PID-START.log; its PID and
 * START, each when not NULL.
 */
int cp_log_name(const char *name, int *pid, uint64_t *start);
/* A log of a run. */
struct cp_run_log {
	char *path; /* DIR/NAME, allocated */
	int pid;
	uint64_t start;
};
/*
 * The logs of the run in DIR, in *LOGS (allocated) and *N, in the order
 * they are merged: by start time, then pid. -1 when DIR cannot be read.
 */
int cp_rundir_logs(const char *dir, struct cp_run_log **logs, size_t *n);
void cp_rundir_logs_free(struct cp_run_log *logs, size_t n);
/* The number of logs in DIR and their total size in bytes. */
size_t cp_run_logs(const char *dir, uint64_t *bytes);
/* DIR/run.meta, allocated. */
char *cp_rundir_meta(const char *dir);
/*
 * Make PATH an empty run directory for cprof record, keeping the run it
 * holds as PATH.old; refuse (exit 2) a directory that is not safely the
 * user's. Returns 1 when the directory was created here, 0 when it was an
 * empty directory already.
 */
int cp_rundir_prepare(const char *path);
/*
 * Remove the run PATH: its logs, run.meta, reference run, then the
 * directory (exits when it cannot).
 */
void cp_rundir_remove(const char *path);
/* Check again, after cp_rundir_prepare(), that PATH is the user's own. */
void cp_rundir_recheck(const char *path);

/* warnings.c (the structures are above cp_profile). */
/* Read DIR's warnings into W (empty without a file); -1 when unreadable. */
int cp_warnings_read(const char *dir, struct cp_warnings *w);
void cp_warnings_free(struct cp_warnings *w);
/* One warning as a line on F after PREFIX, with its count when > 1. */
void cp_warnings_line(FILE *f, const char *prefix, const struct cp_warning *v);
/* When a run ends: DIR's warnings on stderr, each once. */
void cp_warnings_say(const char *dir);

/*
 * repeat.c: repeated runs (record -r N: RUN/repeat-1 to RUN/repeat-N,
 * each a run directory) and tags (snapshots of runs under a name).
 */
#define CP_RUN_REPEAT "repeat-"
#define CP_REPEAT_MAX 1000
#define CP_TAG_DIR    ".cprof-tags" /* unless $CPROF_TAGS names one */
/* Whether NAME is "repeat-K" (K from 1 to CP_REPEAT_MAX); K if not NULL. */
int cp_repeat_name(const char *name, unsigned *k);
/*
 * The repeats of the run DIR, in order, as N paths in *PATHS (allocated);
 * 0 (and NULL) when DIR is a run recorded once.
 */
size_t cp_rundir_repeats(const char *dir, char ***paths);
void cp_rundir_repeats_free(char **paths, size_t n);
/*
 * A profile loaded from a repeated run holds the sum of its repeats: make
 * each function's numbers its mean per run and keep each repeat's self
 * time (rep_self), for the spread.
 */
void cp_repeat_mean(struct cp_profile *p);
/* The mean, standard deviation, min and max of the repeats' self time. */
void cp_repeat_spread(const struct cp_profile *p, double *mean, double *sd,
		      uint64_t *min, uint64_t *max);
/*
 * The table's line, the spread per function after the table, and the
 * JSON key "repeats"; nothing for one run.
 */
void cp_repeat_table_line(FILE *f, const struct cp_profile *p);
void cp_repeat_table(FILE *f, const struct cp_profile *p);
void cp_repeat_json(FILE *f, const struct cp_profile *p);
/* The directory of the tags: $CPROF_TAGS, else CP_TAG_DIR. */
const char *cp_tag_dir(void);
/* What is wrong with NAME as a tag's name, or NULL. */
const char *cp_tag_check(const char *name);
/* The snapshot of tag NAME, allocated. */
char *cp_tag_path(const char *name);
/*
 * ARG as a run: the path itself when it exists, else the tag of that
 * name (allocated). Neither: a one-line error and exit status 2.
 */
char *cp_run_resolve(const char *arg);

/*
 * budget.c: report --budget FUNC=TIME[/call] and --budgets FILE, on a
 * function's total time (per call with /call). Malformed budgets and
 * unknown functions exit with status 2 after a line naming the budget.
 */
struct cp_budgets;
/* Add the budget ARG of a --budget option, or those of FILE, to *BS. */
void cp_budget_option(struct cp_budgets **bs, const char *arg);
void cp_budget_file(struct cp_budgets **bs, const char *path);
/* Set each budget against P; returns how many are exceeded. */
size_t cp_budgets_check(struct cp_budgets *bs, const struct cp_profile *p);
/* The table's section and the JSON key "budgets" (nothing when NULL). */
void cp_budgets_table(FILE *f, const struct cp_budgets *bs);
void cp_budgets_json(FILE *f, const struct cp_budgets *bs);
/* One line on stderr per exceeded budget. */
void cp_budgets_report(const struct cp_budgets *bs);
void cp_budgets_free(struct cp_budgets *bs);

/*
 * filter.c: the report-time filters --filter, --exclude (report only:
 * stat's are the record-time ones), --pid, --tid, --percent-limit and
 * --min-self, applied to a loaded profile for every view.
 */
enum {
	CP_OPT_RFILTER = 0x1d00,
	CP_OPT_REXCLUDE,
	CP_OPT_PID,
	CP_OPT_TID,
	CP_OPT_PERCENT_LIMIT,
	CP_OPT_MIN_SELF,
};
struct cp_rfilter {
	char **filter, **exclude; /* globs */
	size_t nfilter, nexclude;
	int *pids, *tids;
	size_t npids, ntids;
	double percent; /* --percent-limit, -1: none */
	uint64_t min_self;
	int has_min_self;
};
/* filter-opts.c, in the tool: the options and their parsing. */
extern const struct cp_option cp_rfilter_name_options[];
extern const struct cp_option cp_rfilter_options[];
/* Apply a filter option to *FL (made on the first); 1 if C was one. */
int cp_rfilter_option(const struct cp_command *cmd, struct cp_rfilter **fl,
		      int c, const char *arg);
/* Filter P as FL says (nothing when NULL), before it is printed. */
void cp_rfilter_apply(struct cp_profile *p, const struct cp_rfilter *fl);
/* The table's line and the JSON key "filtered"; nothing unfiltered. */
void cp_rfilter_table_line(FILE *f, const struct cp_profile *p);
void cp_rfilter_json(FILE *f, const struct cp_profile *p);
void cp_rfilter_free(struct cp_rfilter *fl);

/*
 * stats.c: the two-sided p-value of Student's t statistic T with DF
 * degrees of freedom (DF > 0, not necessarily whole: Welch's).
 */
double cp_t_pvalue(double t, double df);

#endif /* CPROF_CLI_H */
