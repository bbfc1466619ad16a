/*
 * internal.h - what the files of libcprof share, grouped by the file that
 * defines it. Nothing here is installed: the public API is cprof.h.
 *
 * The runtime has one hot path (record.c): each event is a timestamp and an
 * address stored into the calling thread's ring buffer. A writer thread
 * (writer.c) drains the rings into msgpack chunks appended to the process's
 * log; runtime.c starts and stops it and handles threads, fork and signals.
 */
#ifndef CPROF_INTERNAL_H
#define CPROF_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include "cprof-contract.h"
#include "cprof.h"

#define CPROF__HIDDEN  __attribute__((visibility("hidden")))
#define CPROF__NOINSTR __attribute__((no_instrument_function))
#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

/* clock.c: the cycle counter and its calibration against CLOCK_MONOTONIC. */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CPROF__CLOCK_SOURCE "tsc"
static inline CPROF__NOINSTR uint64_t cprof__ticks(void)
{
	return __rdtsc();
}
#elif defined(__aarch64__)
#define CPROF__CLOCK_SOURCE "cntvct"
static inline CPROF__NOINSTR uint64_t cprof__ticks(void)
{
	uint64_t v;
	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}
#else
#define CPROF__CLOCK_SOURCE "monotonic"
#define CPROF__TICKS_ARE_NS 1
uint64_t cprof__ticks(void);
#endif
uint64_t cprof__mono_ns(void);
uint64_t cprof__real_ns(void);
/* Frequency of the counter when the machine states it, else 0. */
uint64_t cprof__clock_hz(void);
/* A (ticks, CLOCK_MONOTONIC) pair taken as close together as possible. */
void cprof__clock_point(uint64_t *ticks, uint64_t *mono_ns);
/* The last point's width: ticks between the reads around the clock's. */
extern uint64_t cprof__clock_width;
/*
 * Check that the counter is a safe clock (clock.c); cprof__clock_note
 * says why not, "" when it is (or nothing could be read).
 */
void cprof__clock_check(void);
extern char cprof__clock_note[160];

/*
 * calib.c: what one timed call adds to its own measured interval and to
 * its caller's, in thousandths of a tick, measured at start (done) through
 * the real hook path; none in exact mode.
 */
struct cprof__calib {
	bool done;
	uint64_t own_mt, caller_mt, all_mt;
	unsigned pairs, rounds;
	/* Exact mode: the counters' increments, thousandths, nc of them. */
	unsigned nc;
	uint64_t own_c[CPROF_MAX_EVENTS], caller_c[CPROF_MAX_EVENTS];
};
extern struct cprof__calib cprof__calib;
/* Measure cprof__calib; call before the log's header is written. */
void cprof__calibrate(void);
/*
 * Exact mode: measure it on the calling thread T, whose counters are
 * open, and write it as a calib chunk (cprof__log_calib()).
 */
struct cprof__thread;
void cprof__calibrate_exact(struct cprof__thread *t);
struct msgpack_packer;
/* The header's "calib" map, and exact mode's calib chunk. */
void cprof__calib_pack(struct msgpack_packer *pk);
void cprof__calib_pack_chunk(struct msgpack_packer *pk);

/* record.c: the hot path and the per-thread rings. */

/*
 * One event: 16 bytes. The top bits of the timestamp word carry the kind;
 * a 62-bit tick count lasts decades at any real counter frequency.
 */
struct cprof__rec {
	uint64_t tick;	/* ticks | CPROF__REC_EXIT | CPROF__REC_SITE */
	uintptr_t addr; /* function entry, or struct cprof_site pointer */
};
#define CPROF__REC_EXIT (UINT64_C(1) << 63)
#define CPROF__REC_SITE (UINT64_C(1) << 62)
/*
 * --alloc (alloc.c): an allocation or free, {ALLOC | tick, block} with
 * EXIT for a free; an allocation takes a second slot, {ALLOC | SITE |
 * size, 0}, right after it. Every walker of the ring skips ALLOC records.
 */
#define CPROF__REC_ALLOC (UINT64_C(1) << 61)
#define CPROF__TICK_MASK ((UINT64_C(1) << 61) - 1)

#define CPROF__RING_SHIFT 15 /* 32768 events, 512 KiB a thread */
#define CPROF__RING_CAP	  (UINT64_C(1) << CPROF__RING_SHIFT)
/* Slots kept spare for events of signal handlers nested in record(). */
#define CPROF__RING_SLACK 256

struct cprof__frame;
struct cprof__ctx;

enum cprof__thread_state {
	CPROF__T_FREE = 0, /* drained, ring free for the next thread */
	CPROF__T_CLAIMED,  /* being set up by a new thread */
	CPROF__T_LIVE,	   /* owned by a running thread */
	CPROF__T_DEAD	   /* thread gone, ring still to drain */
};

struct cprof__thread {
	/* Written by the owning thread only (head with release order). */
	_Atomic uint64_t head; /* events before it are complete */
	uint64_t reserve;      /* next slot to claim; >= head */
	uint64_t limit;	       /* reserve at which to take the slow path */
	unsigned nest;	       /* record() calls in progress (signals) */
	struct cprof__rec *ring;
	uint64_t lost;	/* events dropped while the ring was full */
	uint64_t stuck; /* 1 + the tail at which the writer was found stuck */
	int exit_rounds;

	/* Written by the writer under the writer lock. */
	_Alignas(64) _Atomic uint64_t tail;
	_Atomic uint32_t drained; /* futex word: bumped after each drain */
	_Atomic uint32_t waiting; /* the owner sleeps on `drained` */
	bool announced;		  /* its thread chunk is in the log */

	/* perf_event counters of the thread (counters.c); -1 when none. */
	int cfd[8];	 /* the group, leader first */
	uint64_t cid[8]; /* their perf ids, to match group reads */
	void *cmap;	 /* the leader's mmap: page + sample ring */
	size_t cmap_len;
	void *cpage[8];	   /* exact mode: each member's mmap page */
	uint64_t clast[8]; /* values at the previous sample (writer) */
	dev_t cdev;	   /* the leader's file, to tell it from a */
	ino_t cino;	   /* descriptor the program put in its place */
	/*
	 * Sample ring bytes at the last drain: the drain raises it, the
	 * writer's interval choice takes it back to 0, and attach resets it
	 * while the writer may be reading (relaxed atomics: a statistic).
	 */
	_Atomic unsigned cfill;
	uint64_t clast_en, clast_run; /* enabled, running at the last sample */
	uint64_t *cvals; /* exact mode: values, CPROF__RING_CAP rows */
	uint64_t clost, cthrottled;
	/* The leader was found taken by the program: its counts stopped. */
	_Atomic bool cgone;
	bool cthrottle_open; /* an unthrottle came since the last sample */
	/*
	 * Off-CPU (offcpu.c): the time of the thread's last switch-out
	 * record not yet matched by a switch-in (0: none), and whether the
	 * kernel preempted it then (it stayed runnable).
	 */
	uint64_t off_out;
	bool off_preempt;
	/*
	 * System calls (syscalls.c): the ring the sys_enter and sys_exit
	 * tracepoints sample into (sys_enter's mapping), the descriptor
	 * kept of sys_exit and both ids, and the system call entered and not
	 * yet left (its number, -1 for none, and time).
	 */
	void *smap;
	size_t smap_len;
	int sfd;
	uint64_t sid[2];
	int64_t s_nr;
	uint64_t s_t0;
	/*
	 * Fallback mode: the calls the thread's wrappers noted, a ring the
	 * thread fills (shead) and the writer empties (stail), and those
	 * dropped while it was full.
	 */
	struct cprof__sysrec *srec;
	_Atomic uint32_t shead, stail;
	_Atomic uint64_t sdropped;
	/*
	 * Exact mode: counted inside the runtime's own work on the thread
	 * (cprof__own_begin/end), kept out of the values in cvals. Written
	 * by the owner, read by the writer (relaxed atomics).
	 */
	uint64_t cown[8];
	/*
	 * With counters: ring slots (and exact mode's rows) from 0 whose
	 * pages are present; the first pass over the ring grows it from the
	 * slow path (cprof__ring_grow), so that no page is first touched
	 * inside a program frame.
	 */
	uint64_t populated;

	/*
	 * The shadow stack (shadow.c), written by the owner only: the top
	 * frame of the current context, its last usable slot, and the stack
	 * position an enter must be below to be pushed on the fast path (0
	 * sends every enter to the slow path: the stack is full).
	 */
	struct cprof__frame *ss_top;
	struct cprof__frame *ss_last;
	uintptr_t ss_sp;
	struct cprof__ctx *ctx; /* the context running now */
	/* Adaptive timing (adapt.c): the functions met; NULL: time all. */
	struct cprof__fntab *fns;
	struct cprof__ctx *ctxs; /* every context, the thread's own first */
	uint64_t ss_over;	 /* frames not pushed: the stack was full */
	/* A longjmp of unknown target: when, and the top it left (parked). */
	uint64_t jump_tick;
	struct cprof__frame *jump_top;
	bool foreign_noted;  /* "unknown stack" is in the ring */
	uintptr_t left_addr; /* the last frame closed as left */

	/* Set when the thread takes the ring. */
	_Atomic int state;
	pid_t tid;
	uint64_t start_tick;
	uint64_t end_tick;
	struct cprof__thread *next; /* registry list, never unlinked */
};

/* The registry: a push-only list of every ring ever made. */
extern _Atomic(struct cprof__thread *) cprof__threads;
/* The calling thread's ring. */
void cprof__tls_set(struct cprof__thread *t);
/* The calling thread records nothing from now on (it ended, or is ours). */
void cprof__tls_disable(void);
struct cprof__thread *cprof__tls_get(void);
/* Wake the owner of T if it sleeps on its full ring; called by the writer. */
void cprof__ring_drained(struct cprof__thread *t);

/*
 * shadow.c: the runtime's shadow stack. Each thread keeps the frames it
 * entered, with their stack position, per execution context (the thread's
 * own stack, and each ucontext coroutine's); frames that the stack has
 * left without an exit event (longjmp, exceptions without exit hooks) get
 * one from the runtime, so the log stays balanced.
 */
struct cprof__frame {
	uintptr_t sp;	/* the caller's stack pointer at the hook */
	uintptr_t addr; /* as in the enter record */
	/*
	 * CPROF__REC_SITE or 0, and the adaptive timing's marks (adapt.c):
	 * CPROF__FRAME_COUNTED (no event was written for its enter, none is
	 * for its exit), or CPROF__FRAME_WARM with the function's slot.
	 */
	uint64_t flags;
	uint64_t tick; /* a timed frame's enter time */
	/*
	 * Ticks of its timed descendants so far (those below counted frames
	 * included): the enter time and this give a warming frame's self.
	 */
	uint64_t kids;
};

/* Internal site kinds, past those of cprof.h (written by the writer). */
#define CPROF__SITE_SWITCH  0x100 /* now running context `line` */
#define CPROF__SITE_FOREIGN 0x101 /* the stack left every known stack */

struct cprof__ctx {
	struct cprof__frame *base; /* base[0] is a sentinel; NULL: none */
	size_t depth, cap;
	uintptr_t lo, hi;     /* its stack's range; 0, 0 when unknown */
	const void *key;      /* the ucontext_t it was last saved into */
	struct cprof_site sw; /* its switch site; line is its id */
	struct cprof__ctx *next;
};

/* Set up T's shadow stack for a new thread (attach) or a reused ring. */
void cprof__shadow_attach(struct cprof__thread *t);
/*
 * The slow paths of an enter and an exit at stack position SP. Enter:
 * the frame pushed, or NULL when none was (its exit is then recorded
 * whatever it is).
 */
struct cprof__frame *cprof__shadow_enter(struct cprof__thread *t,
					 uintptr_t addr, uint64_t flags,
					 uintptr_t sp);
/*
 * Exit: false when the event must not be recorded (written already, or
 * the frame was counted, not timed).
 */
bool cprof__shadow_exit(struct cprof__thread *t, uintptr_t addr, uint64_t flags,
			uintptr_t sp);
/*
 * The calling thread's stack moves up to TARGET (a longjmp, a catch):
 * frames below it on its stack are left now. TARGET 0: unknown, the
 * frames are closed at the next event with the time of this call.
 */
void cprof__shadow_unwind(uintptr_t target);
/*
 * swapcontext (SAVE is the ucontext the current context goes into) and
 * setcontext (SAVE is NULL), called at stack position HERE: switch the
 * calling thread's shadow stack to that of TO. Returns the context left,
 * for cprof__shadow_switch_failed.
 */
struct cprof__ctx *cprof__shadow_switch(const void *save, const void *to,
					uintptr_t here);
void cprof__shadow_switch_failed(struct cprof__ctx *back);
/*
 * The stack pointer a jmp_buf resumes with, where the C library's pointer
 * mangling is known and checked at start; 0 elsewhere.
 */
uintptr_t cprof__jmpbuf_sp(const void *env);
/* Note the stack bounds of the calling thread (not in a signal handler). */
void cprof__shadow_note_stack(void);
/* record.c: store an event of T with the given time (slow paths). */
void cprof__emit(struct cprof__thread *t, uintptr_t addr, uint64_t flags,
		 uint64_t tick);
/*
 * record.c, for libcprof-alloc (alloc.c): record an allocation of SIZE
 * bytes at BLOCK, or a free of BLOCK (FREED), at TICK (0: now) in the
 * calling thread's ring. Exported: the allocator wrappers live in their
 * own preloaded library. Async-signal-safe as the hooks are.
 */
CPROF_EXTERN void cprof__alloc_event(uintptr_t block, uint64_t size, bool freed,
				     uint64_t tick);
/* warn.c: cprof__warn() for the alloc library (no error number). */
CPROF_EXTERN void cprof__alloc_warn(const char *msg, const char *arg,
				    const char *tail);

/*
 * adapt.c: adaptive timing. Each thread keeps a table of the edges it
 * called (a function and its caller on the shadow stack; open addressing,
 * mapped with its ring). An edge's first calls are timed (warming), in
 * windows of
 * cprof__adapt.warmup; when a window's mean self time was below
 * cprof__adapt.threshold ticks, its calls are only counted from then on:
 * the hook pushes its frame marked counted and adds one to its count, with
 * no clock read and no event. The writer logs the counts (edge_calls chunks).
 */
#define CPROF__FN_SHIFT	 14
#define CPROF__FN_SLOTS	 (1u << CPROF__FN_SHIFT)
#define CPROF__FN_MAX	 (CPROF__FN_SLOTS / 4 * 3) /* then: timed */
#define CPROF__FN_PROBES 16

enum cprof__fn_state {
	CPROF__FN_EMPTY = 0,
	CPROF__FN_WARM,
	CPROF__FN_TIMED,
	CPROF__FN_COUNTED
};

/*
 * An entry is an edge: the function ADDR called from CALLER, the function
 * or marker site of the frame on top of the shadow stack at the enter (0
 * at the bottom of a stack; ADDR itself for direct recursion). Timing or
 * counting is decided per edge, so that the counts the writer logs are
 * exact per (caller, callee) pair.
 */
struct cprof__fn {
	uintptr_t addr; /* 0: empty slot */
	uintptr_t caller;
	/* Counted calls; written by the owner, read by the writer. */
	_Atomic uint64_t calls;
	/*
	 * Warming: the ticks of its timed calls so far (owner). Counted:
	 * the calls the writer has logged (writer).
	 */
	uint64_t sum;
	uint32_t warm;	  /* warming: timed calls in this window */
	uint8_t state;	  /* enum cprof__fn_state */
	uint8_t rounds;	  /* warming: windows judged so far */
	bool caller_site; /* CALLER is a struct cprof_site (a marker) */
};

struct cprof__fntab {
	/* The slots of counted functions; ncounted published (release). */
	_Atomic uint32_t ncounted;
	uint32_t used; /* slots taken (owner) */
	uint32_t list[CPROF__FN_MAX];
	struct cprof__fn slot[CPROF__FN_SLOTS];
};

/* Frame marks, in struct cprof__frame.flags beside CPROF__REC_SITE. */
#define CPROF__FRAME_COUNTED (UINT64_C(1) << 61)
#define CPROF__FRAME_WARM    (UINT64_C(1) << 60)
#define CPROF__FRAME_SLOT    ((uint64_t)CPROF__FN_SLOTS - 1)

struct cprof__adapt {
	bool on;	    /* adaptive timing (not CPROF_TIME_ALL=1) */
	uint32_t warmup;    /* timed calls before a function is judged */
	uint64_t threshold; /* mean inclusive ticks below which: counted */
	/* Measured at start (ticks): a timed call, a counted call. */
	uint64_t timed_call, counted_call;
	uint64_t threshold_ns; /* as given, or derived */
};
extern struct cprof__adapt cprof__adapt;
struct msgpack_packer;

/*
 * The slot of the edge CALLER -> ADDR. The caller is rotated before it is
 * added so that direct recursion (ADDR == CALLER) and the edges of one
 * function from its callers spread over the table: one multiply, as for a
 * function alone.
 */
static inline CPROF__NOINSTR uint32_t cprof__fn_hash(uintptr_t addr,
						     uintptr_t caller)
{
	uint64_t k = (uint64_t)addr +
		     (((uint64_t)caller << 17) | ((uint64_t)caller >> 47));

	return (uint32_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >>
			  (64 - CPROF__FN_SHIFT));
}

/*
 * One more counted call of edge E: only its owner thread writes the
 * count, the writer reads it, so a relaxed load and store (no locked
 * add) make the count exact.
 */
static inline CPROF__NOINSTR void cprof__fn_count(struct cprof__fn *e)
{
	atomic_store_explicit(
		&e->calls,
		atomic_load_explicit(&e->calls, memory_order_relaxed) + 1,
		memory_order_relaxed);
}

/* record.c: the compiler hooks under internal names (calibration). */
void cprof__hook_enter(void *fn);
void cprof__hook_exit(void *fn);
/* At start: read the environment and calibrate (before threads attach). */
void cprof__adapt_config(void);
/* Give T a clean function table, or none (timing everything). */
void cprof__adapt_attach(struct cprof__thread *t);
/* In a fork() child: T's functions start anew (the parent logs its counts). */
void cprof__adapt_forget(struct cprof__thread *t);
/*
 * The enter of ADDR on T from the frame CALLER, whose edge's first slot did
 * not hold it: find or add the edge, count it when counted; returns the
 * frame's mark (0: timed).
 */
uint64_t cprof__adapt_find(struct cprof__thread *t, uintptr_t addr,
			   const struct cprof__frame *caller);
/*
 * A warming frame of slot SLOT closed, D ticks long, KIDS of them in its
 * timed descendants.
 */
void cprof__adapt_warm_exit(struct cprof__thread *t, uint64_t slot, uint64_t d,
			    uint64_t kids);
/*
 * A timed frame is entered from the counted frame F: F's edge is timed
 * from now on, so that later trees keep it (this call of it has no
 * events: its timed callee shows under the nearest timed frame, once).
 */
void cprof__adapt_retime(struct cprof__thread *t, const struct cprof__frame *f);
/* Writer: the edge_calls chunk of T, with the counts since the last one. */
void cprof__adapt_drain(struct cprof__thread *t, struct msgpack_packer *pk);
/* Writer: the header's "adaptive" value, when cprof__adapt.on. */
void cprof__adapt_pack_header(struct msgpack_packer *pk);

/* runtime.c: process state, start, stop, fork and signals. */
enum cprof__end_reason {
	CPROF__END_EXIT,
	CPROF__END_SIGNAL,
	CPROF__END_EXEC,
	CPROF__END_SANDBOX /* a seccomp filter the runtime cannot live under */
};

struct cprof__runtime {
	_Atomic int on;	      /* recording; cleared for good on a disk error */
	_Atomic int finished; /* the end record is written: drop events */
	char dir[4096];
	unsigned flush_ms;
};
extern struct cprof__runtime cprof__rt;

/* Start recording into DIR; used by the constructor and by tests. */
int cprof__start(const char *dir, unsigned flush_ms);
/*
 * Drain everything and write the end record. ASYNC: from a signal handler
 * or _exit(), where the writer thread cannot be joined.
 */
void cprof__stop(enum cprof__end_reason why, int sig, bool async);
/* Called by the hot path for a thread with no ring yet; NULL: drop. */
struct cprof__thread *cprof__thread_attach(void);
/*
 * The object that defines __cyg_profile_func_enter/exit before the
 * runtime does, so that the compiler's hooks never reach it; "" if none.
 */
extern char cprof__own_hooks[4096];
/*
 * The path of the runtime's own object as the load map gives it (header
 * key "runtime"); "" when the runtime is part of the main program.
 */
extern char cprof__self_path[4096];
/*
 * Counters on and T's ring not all present (t->populated below
 * CPROF__RING_CAP): populate the next part, and keep t->limit inside it.
 * From record()'s slow path, on T's own thread.
 */
void cprof__ring_grow(struct cprof__thread *t);
/* Set while the writer thread is created: our wrapper passes it through. */
extern bool cprof__creating_writer;
/*
 * cprof__start() succeeded in this process (or in the parent of a fork).
 * Atomic: threads the program made before the start read it.
 */
extern _Atomic bool cprof__started;
/*
 * A fork child whose writer thread was put off (runtime.c) starts it now:
 * the program makes a thread (called from a safe context only).
 */
void cprof__writer_undefer(void);
/* Wake the writer: a ring is half full or a thread ended. */
void cprof__writer_kick(void);

/*
 * runtime.c: the program's threads and the end of the process. The writer
 * thread would keep a process alive whose program threads have all ended
 * (main() leaving with pthread_exit): the runtime counts the program's
 * threads itself and ends the process as the C library would.
 */
/* A thread the program creates is about to start (pthread_create). */
void cprof__life_thread_new(void);
/* pthread_create failed: the thread counted by cprof__life_thread_new. */
void cprof__life_thread_failed(void);
/* First thing in a new program thread: it is counted until it ends. */
void cprof__life_thread_begin(void);
/* A program thread cannot be counted: never end the process ourselves. */
void cprof__life_untracked(void);
/*
 * The calling thread is in daemon() (wrap.c): in a fork parent handler,
 * the parent is about to _exit. Cleared in the child.
 */
bool cprof__in_daemon(void);
void cprof__daemon_child(void);
/* The runtime is loaded but stays off: wrappers pass straight through. */
bool cprof__runtime_off(void);

/*
 * runtime.c: threads without the time stamp counter (PR_SET_TSC, seccomp
 * strict mode), told by the prctl() wrapper: before the call, and after
 * it failed or succeeded.
 */
bool cprof__tsc_usable(void);
void cprof__untimed_thread(bool strict);
void cprof__untimed_failed(void);
void cprof__untimed_done(void);
/*
 * runtime.c, called by the writer each round: when no program thread is
 * left (they left by the raw exit system call), end the process as the
 * kernel would have; returns only when threads remain.
 */
void cprof__life_check(void);

/*
 * runtime.c: the program is about to install a seccomp filter under
 * which the runtime's system call CALL would kill, trap or be seen
 * (seccomp.c; WHY says which): write the log's end (reason "sandbox"),
 * stop the writer, give the signals back, close the log, and make nothing
 * of the runtime make a system call in this process from then on. Says
 * so in one line.
 */
void cprof__sandbox_end(const char *why, const char *call);

/*
 * seccomp.c: the program's seccomp filters, judged before they are
 * installed. cprof__bpf_check: whether the kernel would accept the
 * classic BPF program F of N instructions as a filter; cprof__bpf_run
 * runs one so accepted on D. cprof__seccomp_refused: the name of the
 * first runtime system call the filter would not let the runtime live
 * with (FD stands for the runtime's descriptors; *WHY, if WHY, the
 * phrase for the warning), NULL if none or if the kernel would refuse
 * the filter; then *UNHOOK, if UNHOOK, tells that the runtime lives under
 * it only without its fatal-signal handlers (their calls get an errno).
 * cprof__seccomp_before: from the wrappers, before SECCOMP_SET_MODE_FILTER with
 * FLAGS and the sock_fprog PROG; ends recording when it must.
 */
struct sock_filter;
struct seccomp_data;
bool cprof__bpf_check(const struct sock_filter *f, size_t n);
uint32_t cprof__bpf_run(const struct sock_filter *f, size_t n,
			const struct seccomp_data *d);
const char *cprof__seccomp_refused(const struct sock_filter *f, size_t n,
				   int fd, const char **why, bool *unhook);
void cprof__seccomp_before(unsigned long flags, const void *prog);

/* wrap.c: the interposed C library functions. */
/* Programs this process execs say nothing about their logs (CPROF_QUIET). */
void cprof__inherit_quiet(void);
/* CPROF_QUIET=1: a parent already said why its run records nothing. */
bool cprof__quiet(void);
/* pthread_create of the C library, past our wrapper. */
int cprof__real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			       void *(*fn)(void *), void *arg);

/*
 * wrap.c, signals: the runtime's fatal-signal handlers, hidden from the
 * program (what it queries and sets is what it would without them).
 */
#include <signal.h>
/* sigaction of the C library, past our wrapper. */
int cprof__real_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *old);
/* Install HANDLER on each of the N signals SIGS left at SIG_DFL. */
void cprof__signals_hook(void (*handler)(int, siginfo_t *, void *),
			 const int *sigs, size_t n);
/* From HANDLER: give SIG back its former action, before dying by it. */
void cprof__signal_release(int sig);
/* Give every signal back for good: the wrappers pass straight through. */
void cprof__signals_unhook(void);

/* writer.c: encoding rings into the log. Callers hold the writer lock. */
bool cprof__wlock_try(unsigned timeout_ms);
void cprof__wlock(void);
void cprof__wunlock(void);
/*
 * Open DIR/proc-PID-START.log and write the header. 0 or -errno, or
 * -CPROF__E_REFUSED when DIR is not safe to write into (already said).
 */
#define CPROF__E_REFUSED 4096
int cprof__log_open(const char *dir);
void cprof__log_close(void);
/* In a fork() child: forget the parent's log without writing to it. */
void cprof__log_drop(void);
/* Encode every ring's pending events. FINAL: also threads still live. */
void cprof__drain_all(bool in_signal);
void cprof__log_clock(void);
/* Exact mode's calib chunk, with the writer lock held. */
void cprof__log_calib(void);
void cprof__log_end(enum cprof__end_reason why, int sig);
/* Push buffered bytes to the file. */
void cprof__log_flush(void);
/* Start / stop the writer thread. */
int cprof__writer_start(void);
void cprof__writer_stop(void);
/* In a fork() child: the parent's writer thread does not exist here. */
void cprof__writer_forget(void);
/* Before fork(): wait until a writer thread just made runs its own code. */
void cprof__writer_settle(void);
/*
 * At the end: a writer thread that never ran is left to the exit; false
 * when it ran, and cprof__writer_stop() must be used.
 */
bool cprof__writer_abandon(void);
/* The writer thread runs in this process (it keeps the process alive). */
bool cprof__writer_alive(void);
/* The log's file descriptor, -1 when none. */
int cprof__log_fd(void);
/* False in a vfork() child, which shares the parent's memory and log. */
bool cprof__log_is_ours(void);

/* writer.c: life without a writer thread. A writer thread drains the rings. */
bool cprof__writer_active(void);
/*
 * No writer thread: drain every ring on the calling thread (record()'s
 * slow path). False when nothing was drained (the lock is busy, the log
 * is not this process's, or recording is over).
 */
bool cprof__drain_inline(bool in_signal);
/*
 * Stop the writer thread for a call that needs a single-threaded process
 * (unshare, setns), after a last drain; true when it was running, and
 * cprof__writer_start() must then be called after.
 */
bool cprof__writer_pause(void);

/*
 * warn.c: one line, async-signal-safe: "cprof: MSG 'ARG': strerror(ERR);
 * TAIL", each part left out when NULL or 0. Under the CLI it goes into
 * the run directory's warnings file, else on fd 2 if open (see warn.c).
 */
void cprof__warn(const char *msg, const char *arg, int err, const char *tail);
/* Where warnings go, from the environment at start (cprof_init). */
void cprof__warn_setup(void);

/*
 * children.c: the fork() wrapper notes the children; the writer packs
 * those noted since its last drain as a forks chunk (if any).
 */
struct msgpack_packer;
void cprof__children_pack(struct msgpack_packer *pk);

/*
 * fd.c: the runtime's descriptors.
 *
 * Move FD to the lowest free number at or above the runtime's floor (the
 * top quarter of the soft RLIMIT_NOFILE, see fd.c), close-on-exec.
 * Returns the new number; when no number is free up there, FD itself if
 * KEEP_LOW, else -1 (FD closed, errno EMFILE).
 */
int cprof__fd_high(int fd, bool keep_low);
/* The soft RLIMIT_NOFILE now, -1 when it cannot be read. */
long cprof__fd_limit(void);

struct msgpack_packer;

/* pack.c: encoding helpers shared by writer.c, counters.c and loadmap.c. */

/* Append V to BUF at LEN as unsigned LEB128; returns the new length. */
static inline CPROF__NOINSTR size_t cprof__put_uleb(unsigned char *buf,
						    size_t len, uint64_t v)
{
	while (v >= 0x80) {
		buf[len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	buf[len++] = (unsigned char)v;
	return len;
}

/* Pack S (NULL packs "") as a msgpack str. */
void cprof__pack_str(struct msgpack_packer *pk, const char *s);
/* Pack the map entry K: V. */
void cprof__pack_kv_u64(struct msgpack_packer *pk, const char *k, uint64_t v);
/* writer.c: a site as in ev chunks, of a function ADDR or marker SITE. */
void cprof__pack_site(struct msgpack_packer *pk, uintptr_t addr, bool site);

/*
 * counters.c: perf_event counters per thread (format: doc/log-format.md;
 * the group's limits and flag bits: cprof-contract.h).
 */
struct cprof__counters {
	int nev;	/* 0: no counters */
	bool exact;	/* read at every marker event, no sampling */
	bool callchain; /* samples carry user callchains */
	bool offcpu;	/* the leader records context switches */
	uint64_t period, freq;
	/* --call-graph=dwarf: stack bytes per sample (0: none), registers. */
	uint32_t stack_user;
	uint64_t regs_user;
	struct cprof__event {
		char name[CPROF_EVENT_NAME_MAX + 1];
		uint32_t type;
		uint64_t config, config1, config2;
		unsigned flags; /* bit 0 excl. user, 1 kernel, 2 hv; 4-5 precise
				 */
	} ev[CPROF_MAX_EVENTS];
};
extern struct cprof__counters cprof__ctr;

/*
 * offcpu.c: a context-switch record R (SIZE bytes, header H) of T's
 * sample ring, and the offcpu chunk of the intervals gathered in a drain
 * of T (nothing when none).
 */
struct perf_event_header;
void cprof__offcpu_record(struct cprof__thread *t,
			  const struct perf_event_header *h,
			  const unsigned char *r);
void cprof__offcpu_flush(struct cprof__thread *t, struct msgpack_packer *pk);

/*
 * syscalls.c: the raw_syscalls tracepoints of a thread (CPROF_SYSCALLS,
 * sampling mode): read the configuration, open them for T after its
 * group, close them, and write a drain's system calls of T.
 */
void cprof__syscalls_config(void);
/*
 * Fallback mode (CPROF_SYSCALLS=wrap): cprof__sys_wrap is set, and the
 * wrappers of libc's system-call functions and syscall() note each call
 * of a program thread: the time before it (cprof__sys_now) and, after it,
 * its number (cprof__sys_note, which keeps errno).
 */
struct cprof__sysrec {
	uint64_t t0;
	uint32_t len, nr;
};
extern CPROF__HIDDEN unsigned char cprof__sys_wrap;
uint64_t cprof__sys_now(void);
void cprof__sys_note(long nr, uint64_t t0);
void cprof__syscalls_open(struct cprof__thread *t);
void cprof__syscalls_close(struct cprof__thread *t);
void cprof__syscalls_drain(struct cprof__thread *t, struct msgpack_packer *pk);

/* Parse CPROF_EVENTS, CPROF_SAMPLE, CPROF_EXACT, CPROF_CALLCHAIN. */
int cprof__counters_config(void);
/* Open the calling thread's counter group into T (the calling thread's). */
void cprof__counters_open(struct cprof__thread *t);
/* Close T's counters (writer: after the thread ended; fork child). */
void cprof__counters_close(struct cprof__thread *t);
/*
 * Stop every thread's counters: the final drain is the profiler's work,
 * not the program's, and must not be sampled.
 */
void cprof__counters_disable_all(void);
/*
 * Read the calling thread's group into VALS (exact mode, hot path): what
 * the program counted, the runtime's own share (t->cown) taken out.
 */
void cprof__counters_read(struct cprof__thread *t, uint64_t *vals);

/*
 * counters.c, the runtime's own cost. In exact mode the runtime's work on
 * a program thread between two events (a full ring's wait, draining
 * without a writer thread, populating the ring, the fork handlers, the
 * drains of cprof_flush() and dlclose()) would count
 * in the program's open frame: it is measured by a begin/end pair around
 * it and kept out (t->cown), and the log gives it apart ("runtime" in the
 * counts chunk). Both do nothing outside exact mode or without counters.
 */
struct cprof__own {
	struct cprof__thread *t; /* NULL: nothing was measured */
	uint64_t v[CPROF_MAX_EVENTS];
};
void cprof__own_begin(struct cprof__own *o);
void cprof__own_end(struct cprof__own *o);
/* Writer: encode T's pending samples, lost records and totals. */
void cprof__counters_drain(struct cprof__thread *t, struct msgpack_packer *pk);
/* Writer: the header's "events" value. */
void cprof__counters_pack_header(struct msgpack_packer *pk);
/*
 * Writer: how full the fullest sample ring was at its last drain, in
 * thousandths (0 without sampling); reset by the call.
 */
unsigned cprof__counters_fill(void);
/* At the end: one warning if threads went without counters, and why. */
void cprof__counters_report(void);

struct perf_event_mmap_page;
/*
 * Read a counter through its mmap page with the rdpmc protocol (sequence
 * lock, index, width, offset), RDPMC reading hardware counter IDX. Returns
 * false when the counter is not readable so (index 0, no cap_user_rdpmc):
 * read(2) must be used then. Separate so tests can give a fake page.
 */
bool cprof__mmap_read(volatile struct perf_event_mmap_page *pc,
		      uint64_t (*rdpmc)(unsigned idx), uint64_t *value);

/* loadmap.c: the loaded objects, for symbolization. */
struct msgpack_packer;
/* Write a map chunk when objects were added since the last one. */
void cprof__loadmap_write(struct msgpack_packer *pk, bool force);

/*
 * xray.c: LLVM XRay sleds as a marker source. At start, patch the sleds
 * of the executable's xray_instr_map to call the trampolines of xray.c,
 * which call cprof__xray_enter/leave (record.c) with the function's id
 * and its stack pointer at entry. cprof__xray_fns maps ids to the
 * functions' entry addresses; NULL when nothing is patched.
 */
extern const uintptr_t *cprof__xray_fns;
void cprof__xray_start(void);
void cprof__xray_enter(uint32_t id, uintptr_t sp);
void cprof__xray_leave(uint32_t id, uintptr_t sp);

/*
 * select.c: record-time selection (--filter, --exclude, --min-duration).
 * The hot path asks the class of an event's function or site: a hash
 * probe in a table of the functions that matched a pattern, published
 * whole and never freed; an address in no object scanned yet (dlopen)
 * goes to cprof__sel_slow, which scans the new objects.
 */
enum { CPROF__SEL_OTHER = 0, CPROF__SEL_KEEP = 1, CPROF__SEL_DROP = 2 };
struct cprof__sel_range {
	uintptr_t lo, hi; /* an object's executable segments */
};
struct cprof__sel_table {
	uintptr_t mask;
	_Atomic uintptr_t *keys; /* address << 1 | 1 for a site; 0: empty */
	unsigned char *cls;	 /* the class of each key */
	struct cprof__sel_range *ranges; /* sorted by lo */
	size_t nranges, used;
};
/* A filter or exclude pattern is in force (read by every event). */
extern bool cprof__sel_active;
/* A filter pattern is: only calls inside a matched function are kept. */
extern bool cprof__sel_filter;
/* --min-duration in ns (the writer drops shorter calls), 0 when none. */
extern uint64_t cprof__sel_min_ns;
extern _Atomic(struct cprof__sel_table *) cprof__sel_tab;
/* Read CPROF_FILTER, CPROF_EXCLUDE, CPROF_MIN_NS; scan the objects. */
void cprof__sel_start(void);
/* The start's clock point, to measure the counter's rate (--min-duration). */
void cprof__sel_clock_start(void);
/* Anything selected: the header says what ("select"). */
bool cprof__sel_any(void);
void cprof__sel_pack_header(struct msgpack_packer *pk);
/* In a fork child: the lock of a thread the child lacks is let go. */
void cprof__sel_forked(void);
/* An object was unloaded: scan every object again (dlclose wrapper). */
void cprof__sel_unloaded(void);
/* XRay: whether to patch the function at FN at all. */
bool cprof__sel_wanted(uintptr_t fn);
unsigned cprof__sel_slow(uintptr_t key, bool site);
bool cprof__sel_insert(struct cprof__sel_table *t, uintptr_t key, unsigned cls);
/*
 * Writer: mark in DROP (N flags) the events of T's ring from TAIL on that
 * belong to calls shorter than --min-duration, whole calls with all they
 * contain; returns how many were marked.
 */
uint64_t cprof__sel_short(const struct cprof__thread *t, uint64_t tail,
			  uint64_t n, unsigned char *drop);

static inline CPROF__NOINSTR uintptr_t cprof__sel_hash(uintptr_t k)
{
	return (uintptr_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 29);
}

static inline CPROF__NOINSTR bool
cprof__sel_find(const struct cprof__sel_table *t, uintptr_t key, unsigned *cls)
{
	uintptr_t h = cprof__sel_hash(key) & t->mask;

	for (;;) {
		uintptr_t k =
			atomic_load_explicit(&t->keys[h], memory_order_acquire);

		if (k == key) {
			*cls = t->cls[h];
			return true;
		}
		if (k == 0)
			return false;
		h = (h + 1) & t->mask;
	}
}

static inline CPROF__NOINSTR bool
cprof__sel_in_objects(const struct cprof__sel_table *t, uintptr_t a)
{
	size_t lo = 0, hi = t->nranges;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a < t->ranges[mid].lo)
			hi = mid;
		else if (a >= t->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* The class of the function at ADDR, or of the site ADDR (FLAGS). */
static inline CPROF__NOINSTR unsigned cprof__sel_class(uintptr_t addr,
						       uint64_t flags)
{
	const struct cprof__sel_table *t =
		atomic_load_explicit(&cprof__sel_tab, memory_order_acquire);
	bool site = (flags & CPROF__REC_SITE) != 0;
	uintptr_t key = addr << 1 | (site ? 1 : 0);
	unsigned cls;

	if (likely(cprof__sel_find(t, key, &cls)))
		return cls;
	if (!site && likely(cprof__sel_in_objects(t, addr)))
		return CPROF__SEL_OTHER;
	return cprof__sel_slow(key, site);
}

#endif /* CPROF_INTERNAL_H */
