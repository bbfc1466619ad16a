/*
 * record.c - the hot path: every marker and compiler-hook event goes
 * through record() below.
 *
 * An event is one counter read and a 16-byte store into the calling
 * thread's ring, then a release store of the ring's head (see store()). No
 * lock, no system call, no allocation, no msgpack. The owner takes a slow path
 * only when its ring is half full (to wake the writer once) or full (to wait
 * for the writer, never forever), and on its very first event (to get a ring).
 */
#include "config.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * Initial-exec TLS: one %fs-relative load, no __tls_get_addr call. Static
 * TLS is available to libcprof whether it is linked or preloaded.
 */
static __thread struct cprof__thread *tls_thread
	__attribute__((tls_model("initial-exec")));

/* Set for a thread that must record nothing: profiling off, or exited. */
static __thread bool tls_off __attribute__((tls_model("initial-exec")));

CPROF__NOINSTR void cprof__tls_set(struct cprof__thread *t)
{
	tls_thread = t;
}

CPROF__NOINSTR void cprof__tls_disable(void)
{
	tls_thread = NULL;
	tls_off = true;
}

CPROF__NOINSTR struct cprof__thread *cprof__tls_get(void)
{
	return tls_thread;
}

static CPROF__NOINSTR long futex(_Atomic uint32_t *word, int op, uint32_t val,
				 const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/*
 * Is T's ring the calling thread's? Not in a process or thread made by a
 * raw clone() (the clone system call, syscall(SYS_fork), a container's
 * init), which copies or shares the creating thread's ring without the
 * fork handlers ever running: nobody drains it for this thread, and
 * waiting for a drain would hang it. Such a thread records nothing, and
 * says so once. Asked on the slow path only (half a ring), and a sandbox
 * refusing gettid gets the same answer.
 */
static CPROF__NOINSTR bool own_ring(struct cprof__thread *t)
{
	static bool warned;
	int saved = errno;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	errno = saved;
	if (tid == t->tid)
		return true;
	if (!warned) {
		warned = true;
		cprof__warn("a process or thread made by a raw clone() is not "
			    "profiled",
			    NULL, 0, "its events are counted as lost");
	}
	return false;
}

/*
 * Called when the next slot reached t->limit. Returns true when the event
 * may be stored, with t->limit moved on; false to drop it.
 */
static CPROF__NOINSTR __attribute__((noinline)) bool
make_room(struct cprof__thread *t)
{
	const uint64_t half = CPROF__RING_CAP / 2;
	const uint64_t full = CPROF__RING_CAP - CPROF__RING_SLACK;

	/*
	 * Waiting 2 s means the writer is stuck: drop events. Measured on
	 * the clock, not in wake-ups: signals cut a futex wait short.
	 */
	uint64_t wait_start = 0;

	if (!own_ring(t)) {
		t->lost++;
		t->limit = t->reserve;
		return false;
	}
	for (;;) {
		/*
		 * Read again each round: a signal handler interrupting the
		 * wait below may record events, which the writer may drain.
		 */
		uint64_t next = t->reserve;
		uint64_t tail =
			atomic_load_explicit(&t->tail, memory_order_acquire);
		uint64_t used = next - tail;

		/*
		 * Once the writer was found stuck, later events are dropped
		 * at once until it drains again: waiting 2 s at each would
		 * stall the program for good.
		 */
		if (t->stuck != 0 && t->stuck == tail + 1) {
			t->lost++;
			t->limit = next;
			return false;
		}
		t->stuck = 0;
		if (wait_start && cprof__mono_ns() - wait_start >= 2000000000u)
			t->stuck = tail + 1;
		if (!atomic_load_explicit(&cprof__rt.on,
					  memory_order_relaxed) ||
		    atomic_load_explicit(&cprof__rt.finished,
					 memory_order_relaxed) ||
		    (wait_start &&
		     cprof__mono_ns() - wait_start >= 2000000000u)) {
			/*
			 * Nobody will drain this ring any more, or the writer
			 * is stuck: count what is dropped, stay on the slow
			 * path.
			 */
			t->lost++;
			t->limit = next;
			return false;
		}
		if (used < half) {
			t->limit = tail + half;
			return true;
		}
		/*
		 * No writer thread (it could not start, or a sandbox lets it
		 * not wait): the thread drains the rings itself, then looks
		 * again. A nested record() may be in a signal handler.
		 */
		if (!cprof__writer_active() && cprof__drain_inline(t->nest > 1))
			continue;
		if (used < full) {
			cprof__writer_kick();
			t->limit = tail + full;
			return true;
		}
		/* Full: sleep until the writer drains it. */
		uint32_t seen =
			atomic_load_explicit(&t->drained, memory_order_acquire);
		atomic_store_explicit(&t->waiting, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&t->tail, memory_order_seq_cst) ==
		    tail) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			int saved = errno;

			cprof__writer_kick();
			/*
			 * A sandbox refusing the futex must not make this a
			 * busy loop: drain here, or sleep a little. The
			 * program's errno is kept either way.
			 */
			if (futex(&t->drained, FUTEX_WAIT_PRIVATE, seen, &ts) !=
				    0 &&
			    errno != ETIMEDOUT && errno != EAGAIN &&
			    errno != EINTR &&
			    !cprof__drain_inline(t->nest > 1)) {
				ts.tv_nsec = 1000 * 1000;
				nanosleep(&ts, NULL);
			}
			errno = saved;
			if (!wait_start)
				wait_start = cprof__mono_ns();
		}
		atomic_store_explicit(&t->waiting, 0, memory_order_relaxed);
	}
}

/*
 * Take the next slot of the ring in one instruction, so that a signal
 * handler that records events on this thread cannot take the same slot:
 * an interrupt falls between instructions. x86 has a fetch-and-add that
 * needs no lock prefix for that; elsewhere a relaxed atomic does it (an
 * LSE ldadd, or a load/store-exclusive loop that a signal restarts).
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) uint64_t
claim_slot(struct cprof__thread *t)
{
#if defined(__x86_64__)
	uint64_t slot = 1;

	__asm__ __volatile__("xaddq %0, %1"
			     : "+r"(slot), "+m"(t->reserve)
			     :
			     : "memory");
	return slot;
#else
	return __atomic_fetch_add(&t->reserve, 1, __ATOMIC_RELAXED);
#endif
}

/*
 * Fill a slot and publish. The head the writer trusts is moved only by the
 * outermost record() in progress on the thread (t->nest back to zero),
 * when every slot claimed below it is filled; a signal handler's events
 * nested inside are published with it. The signal fences keep the
 * compiler from moving these stores across each other; the thread itself
 * sees its own stores in order.
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) uint64_t
store(struct cprof__thread *t, uintptr_t addr, uint64_t flags, bool exact,
      uint64_t tick)
{
	t->nest++;
	atomic_signal_fence(memory_order_seq_cst);
	uint64_t slot = claim_slot(t);
	struct cprof__rec *r = &t->ring[slot & (CPROF__RING_CAP - 1)];

	if (!tick)
		tick = cprof__ticks();
	r->tick = tick | flags;
	r->addr = addr;
	if (exact && t->cvals)
		cprof__counters_read(t,
				     &t->cvals[(slot & (CPROF__RING_CAP - 1)) *
					       (unsigned)cprof__ctr.nev]);
	atomic_signal_fence(memory_order_seq_cst);
	if (--t->nest == 0)
		atomic_store_explicit(&t->head, t->reserve,
				      memory_order_release);
	return tick;
}

/*
 * make_room(), then the next pages of a ring on its first pass (with
 * counters). What this counts in exact mode (a wait for the writer,
 * draining on this thread, populating) is set apart as the runtime's own:
 * it happens while a program frame is open, but it is not the program's.
 */
static CPROF__NOINSTR bool room(struct cprof__thread *t)
{
	struct cprof__own own;
	bool ok;

	cprof__own_begin(&own);
	ok = make_room(t);
	if (ok && t->populated < CPROF__RING_CAP)
		cprof__ring_grow(t);
	cprof__own_end(&own);
	return ok;
}

/*
 * Recording is over for good (the end record is written): the slow path
 * stores nothing and makes no system call, since the process may be under
 * a seccomp filter the runtime could not live with (cprof__sandbox_end).
 */
static inline CPROF__NOINSTR bool over(void)
{
	return atomic_load_explicit(&cprof__rt.finished, memory_order_relaxed);
}

/* Store an event at TICK (0: now) through the ring's slow path. */
CPROF__NOINSTR void cprof__emit(struct cprof__thread *t, uintptr_t addr,
				uint64_t flags, uint64_t tick)
{
	if (unlikely(over()))
		return;
	if (t->reserve < t->limit || room(t))
		store(t, addr, flags, cprof__ctr.exact, tick);
}

/* What an event does to the shadow stack. */
enum hook_kind { HOOK_PLAIN, HOOK_ENTER, HOOK_EXIT };

/*
 * Everything that is not the common case, kept out of line: a thread's
 * first event, a ring to make room in, exact mode, and every shadow-stack
 * operation the fast path does not settle with its one compare (shadow.c).
 */
static CPROF__NOINSTR __attribute__((noinline)) void
record_slow(uintptr_t addr, uint64_t flags, uintptr_t sp, enum hook_kind kind)
{
	struct cprof__thread *t = tls_thread;

	if (unlikely(over()))
		return;
	if (t == NULL) {
		if (tls_off || (t = cprof__thread_attach()) == NULL)
			return;
	}
	if (kind == HOOK_ENTER) {
		struct cprof__frame *f =
			cprof__shadow_enter(t, addr, flags, sp);

		/*
		 * Only a frame on the shadow stack can be counted: its exit
		 * must find the mark. Markers are always timed.
		 */
		if (f && !flags && t->fns) {
			f->flags |= cprof__adapt_find(t, addr, f - 1);
			if (f->flags & CPROF__FRAME_COUNTED)
				return;
		}
		/*
		 * A timed call from a counted frame: that edge is timed from
		 * now on (adapt.c), so that the tree keeps its function.
		 */
		if (f && (f - 1)->flags & CPROF__FRAME_COUNTED)
			cprof__adapt_retime(t, f - 1);
		cprof__emit(t, addr, flags, 0);
		if (f)
			f->tick = cprof__ticks();
		return;
	}
	if (kind == HOOK_EXIT && !cprof__shadow_exit(t, addr, flags, sp))
		return;
	cprof__emit(t, addr, flags, 0);
}

/*
 * The fast path touches no callee-saved register, so the hooks compile to
 * a leaf function with a tail call for the slow path, which also takes
 * every event in exact mode (it reads the counters). The limit check
 * before the claim can race with a signal handler's events; the limit
 * keeps CPROF__RING_SLACK slots spare for that.
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) bool
fast(struct cprof__thread *t)
{
	return likely(t != NULL) && likely(t->reserve < t->limit) &&
	       likely(!cprof__ctr.exact);
}

/*
 * An enter: pushed on the shadow stack when it lies at or below the top
 * frame (at: the hooks of a function inlined into another run in its
 * frame, and the scopes of one function share its position); anything
 * else (the top frame was left, a switch of stack, a full stack, a jump
 * just made) is for shadow.c. The slot is taken before it is filled: a
 * signal handler arriving in between pushes above it and pops back, and
 * cannot overwrite it.
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) void
enter(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	struct cprof__thread *t = tls_thread;

	if (likely(t != NULL) && likely(sp <= t->ss_sp)) {
		struct cprof__frame *f;
		uint64_t mark = 0;

		/*
		 * Adaptive timing (adapt.c): an edge (this function called
		 * from the frame on top) found in its first two slots is
		 * counted, warming or timed; anything else (a
		 * new edge, more collisions) is for the slow path, so
		 * that the hooks stay leaf functions. A counted call needs
		 * no room in the ring.
		 */
		if (!flags && t->fns) {
			uintptr_t from = t->ss_top->addr;
			uint32_t h = cprof__fn_hash(addr, from);
			struct cprof__fn *e = &t->fns->slot[h];

			if (unlikely(e->addr != addr || e->caller != from)) {
				e = &t->fns->slot[(h + 1) &
						  (CPROF__FN_SLOTS - 1)];
				if (unlikely(e->addr != addr ||
					     e->caller != from)) {
					record_slow(addr, flags, sp,
						    HOOK_ENTER);
					return;
				}
			}
			if (likely(e->state == CPROF__FN_COUNTED)) {
				cprof__fn_count(e);
				mark = CPROF__FRAME_COUNTED |
				       (uint64_t)(e - t->fns->slot);
			} else if (e->state == CPROF__FN_WARM) {
				mark = CPROF__FRAME_WARM |
				       (uint64_t)(e - t->fns->slot);
			}
		}
		/*
		 * A timed call without room, or in exact mode, is for the
		 * slow path, which looks the function up again: never a
		 * counted one, whose count was taken. So is a timed call
		 * from a counted frame, whose edge it makes timed again.
		 */
		if (likely(mark & CPROF__FRAME_COUNTED) ||
		    (fast(t) &&
		     likely(!(t->ss_top->flags & CPROF__FRAME_COUNTED)))) {
			f = t->ss_top + 1;
			t->ss_top = f;
			atomic_signal_fence(memory_order_seq_cst);
			f->sp = sp;
			f->addr = addr;
			f->flags = flags | mark;
			f->kids = 0;
			t->ss_sp = likely(f != t->ss_last) ? sp : 0;
			if (likely(mark & CPROF__FRAME_COUNTED))
				return;
			f->tick = store(t, addr, flags, false, 0);
			return;
		}
	}
	record_slow(addr, flags, sp, HOOK_ENTER);
}

/*
 * An exit of the top frame, named by its function or site (a function's
 * stack position at its exit hook need not be that of its enter: gcc may
 * call the exit hook after the epilogue). Anything else is for shadow.c.
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) void
leave(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	struct cprof__thread *t = tls_thread;

	if (likely(t != NULL) && likely(t->ss_top->addr == addr)) {
		/*
		 * The mark is read before the pop: a signal handler may push
		 * into the slot as soon as it is free.
		 */
		struct cprof__frame *f = t->ss_top;
		uint64_t mark = f->flags, t0 = f->tick, kids = f->kids, d;

		/*
		 * The time of timed frames goes up to the frame below, so
		 * that a warming frame knows its self time; a counted frame
		 * passes on what it got, and needs no room in the ring.
		 */
		if (likely(mark & CPROF__FRAME_COUNTED)) {
			t->ss_top = --f;
			t->ss_sp = f->sp;
			if (unlikely(kids))
				f->kids += kids;
			return;
		}
		if (fast(t)) {
			t->ss_top = --f;
			t->ss_sp = f->sp;
			d = store(t, addr, flags | CPROF__REC_EXIT, false, 0) -
			    t0;
			f->kids += d;
			if (unlikely(mark & CPROF__FRAME_WARM))
				cprof__adapt_warm_exit(
					t, mark & CPROF__FRAME_SLOT, d, kids);
			return;
		}
	}
	record_slow(addr, flags | CPROF__REC_EXIT, sp, HOOK_EXIT);
}

/*
 * Record-time selection (select.c): --exclude drops a function's events
 * here, before anything else, so that it costs the hook and one table
 * probe; --filter keeps only the matched functions and the calls made
 * inside them: a function that matched no pattern is recorded only while
 * a recorded frame is open on the shadow stack (only recorded frames are
 * pushed, so its bottom frame is then a matched one), and its exit only
 * when its enter was recorded (its frame is on the shadow stack).
 */
static CPROF__NOINSTR bool sel_on_stack(const struct cprof__thread *t,
					uintptr_t addr, uint64_t flags)
{
	/* The bottom sentinel has address 0. */
	for (const struct cprof__frame *f = t->ss_top; f->addr != 0; f--)
		if (f->addr == addr &&
		    (f->flags & CPROF__REC_SITE) == (flags & CPROF__REC_SITE))
			return true;
	return false;
}

static inline CPROF__NOINSTR __attribute__((always_inline)) bool
sel_skip(uintptr_t addr, uint64_t flags, bool exit)
{
	unsigned cls = cprof__sel_class(addr, flags);
	const struct cprof__thread *t;

	if (cls == CPROF__SEL_DROP)
		return true;
	if (!cprof__sel_filter || cls == CPROF__SEL_KEEP)
		return false;
	t = tls_thread;
	if (t == NULL || t->ss_top->addr == 0)
		return true;
	if (!exit)
		return false;
	return t->ss_top->addr != addr && !sel_on_stack(t, addr, flags);
}

/*
 * With a selection in force, the hooks take these out of line (a tail
 * call: without one the hooks stay leaf functions, as above).
 */
static CPROF__NOINSTR __attribute__((noinline)) void
sel_enter(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	if (!sel_skip(addr, flags, false))
		enter(addr, flags, sp);
}

static CPROF__NOINSTR __attribute__((noinline)) void
sel_leave(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	if (!sel_skip(addr, flags, true))
		leave(addr, flags, sp);
}

/* What the hooks call: enter() and leave(), or through the selection. */
static inline CPROF__NOINSTR __attribute__((always_inline)) void
hook_enter(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	if (unlikely(cprof__sel_active))
		sel_enter(addr, flags, sp);
	else
		enter(addr, flags, sp);
}

static inline CPROF__NOINSTR __attribute__((always_inline)) void
hook_leave(uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	if (unlikely(cprof__sel_active))
		sel_leave(addr, flags, sp);
	else
		leave(addr, flags, sp);
}

/* Wakes a thread sleeping in make_room(); called by the writer. */
CPROF__NOINSTR void cprof__ring_drained(struct cprof__thread *t)
{
	atomic_fetch_add_explicit(&t->drained, 1, memory_order_release);
	if (atomic_load_explicit(&t->waiting, memory_order_seq_cst))
		futex(&t->drained, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/*
 * The compiler hooks. glibc defines no-op versions; these override them
 * when libcprof is preloaded or linked.
 */
/*
 * The compiler hooks. glibc defines no-op versions; these override them
 * when libcprof is preloaded or linked. A frame's stack position is the
 * caller's stack pointer at the call of the enter hook (the hook's own
 * canonical frame address: one instruction), which compilers call once
 * the prologue has set the frame up: below the caller's stack pointer.
 */
#define CALLER_SP() ((uintptr_t)__builtin_dwarf_cfa())

CPROF_EXTERN CPROF__NOINSTR void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	hook_enter((uintptr_t)fn, 0, CALLER_SP());
}

CPROF_EXTERN CPROF__NOINSTR void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	hook_leave((uintptr_t)fn, 0, CALLER_SP());
}

/*
 * The same hooks under internal names, for the calibration of adapt.c:
 * calling the global ones could reach a program's own hooks instead.
 */
CPROF__NOINSTR __attribute__((noinline)) void cprof__hook_enter(void *fn)
{
	enter((uintptr_t)fn, 0, CALLER_SP());
}

CPROF__NOINSTR __attribute__((noinline)) void cprof__hook_exit(void *fn)
{
	leave((uintptr_t)fn, 0, CALLER_SP());
}

CPROF_EXTERN CPROF__NOINSTR void cprof_enter(const struct cprof_site *site)
{
	hook_enter((uintptr_t)site, CPROF__REC_SITE, CALLER_SP());
}

CPROF_EXTERN CPROF__NOINSTR void cprof_exit(const struct cprof_site *site)
{
	hook_leave((uintptr_t)site, CPROF__REC_SITE, CALLER_SP());
}

/* A frame mark has no exit: it never goes on the shadow stack. */
CPROF_EXTERN CPROF__NOINSTR void cprof_frame_mark(const struct cprof_site *site)
{
	struct cprof__thread *t;

	if (unlikely(cprof__sel_active) &&
	    sel_skip((uintptr_t)site, CPROF__REC_SITE, false))
		return;
	t = tls_thread;
	if (fast(t))
		store(t, (uintptr_t)site, CPROF__REC_SITE, false, 0);
	else
		record_slow((uintptr_t)site, CPROF__REC_SITE, 0, HOOK_PLAIN);
}

/*
 * LLVM XRay (xray.c): the trampolines of patched sleds call these with
 * the id written in the sled and the function's stack pointer at its
 * entry, which lies below its callers' positions and above its callees'
 * as the hooks' positions do; a tail exit comes at the same position as
 * the entry of the function it jumps to.
 */
CPROF__NOINSTR void cprof__xray_enter(uint32_t id, uintptr_t sp)
{
	hook_enter(cprof__xray_fns[id], 0, sp);
}

CPROF__NOINSTR void cprof__xray_leave(uint32_t id, uintptr_t sp)
{
	hook_leave(cprof__xray_fns[id], 0, sp);
}

/*
 * --alloc: an allocation or a free (alloc.c, in libcprof-alloc). Two
 * slots for an allocation (the block, then its size), one for a free,
 * claimed in one add so that a signal handler's events cannot come
 * between them. Not on the shadow stack: the report gives the event to
 * the frame open around it. A thread's first event may be an
 * allocation: it gets its ring here, as with a first enter.
 */
CPROF_EXTERN CPROF__NOINSTR void
cprof__alloc_event(uintptr_t block, uint64_t size, bool freed, uint64_t tick)
{
	struct cprof__thread *t = tls_thread;
	uint64_t need = freed ? 1 : 2, slot;
	struct cprof__rec *r;

	if (unlikely(t == NULL)) {
		if (tls_off || over() || (t = cprof__thread_attach()) == NULL)
			return;
	}
	if (unlikely(t->reserve + need > t->limit)) {
		if (over() || !room(t) || t->reserve + need > t->limit + 1)
			return;
	}
	if (!tick)
		tick = cprof__ticks();
	t->nest++;
	atomic_signal_fence(memory_order_seq_cst);
#if defined(__x86_64__)
	slot = need;
	__asm__ __volatile__("xaddq %0, %1"
			     : "+r"(slot), "+m"(t->reserve)
			     :
			     : "memory");
#else
	slot = __atomic_fetch_add(&t->reserve, need, __ATOMIC_RELAXED);
#endif
	r = &t->ring[slot & (CPROF__RING_CAP - 1)];
	r->tick = (tick & CPROF__TICK_MASK) | CPROF__REC_ALLOC |
		  (freed ? CPROF__REC_EXIT : 0);
	r->addr = block;
	if (!freed) {
		r = &t->ring[(slot + 1) & (CPROF__RING_CAP - 1)];
		r->tick = (size & CPROF__TICK_MASK) | CPROF__REC_ALLOC |
			  CPROF__REC_SITE;
		r->addr = 0;
	}
	atomic_signal_fence(memory_order_seq_cst);
	if (--t->nest == 0)
		atomic_store_explicit(&t->head, t->reserve,
				      memory_order_release);
}
