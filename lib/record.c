/*
 * record.c - the hot path: every marker and compiler-hook event goes
 * through record() below.
 *
 * An event is one counter read and a 16-byte store into the calling
 * thread's ring, then a release store of the ring's head. No lock, no
 * system call, no allocation, no msgpack. The owner takes a slow path only
 * when its ring is half full (to wake the writer once) or full (to wait for
 * the writer, never forever), and on its very first event (to get a ring).
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

/*
 * A thread records into this ring while profiling is off. Its limit is 0,
 * so every event takes make_room(), which drops it.
 */
struct cprof__thread cprof__off_thread;

CPROF__NOINSTR void cprof__tls_set(struct cprof__thread *t)
{
	tls_thread = t;
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
 * Called when head reached t->limit. Returns true when the event may be
 * stored, with t->limit moved on; false to drop it.
 */
static CPROF__NOINSTR __attribute__((noinline)) bool
make_room(struct cprof__thread *t, uint64_t head)
{
	const uint64_t half = CPROF__RING_CAP / 2;
	/* Waiting longer than this means the writer is stuck: drop events. */
	unsigned waited_ms = 0;

	if (t == &cprof__off_thread)
		return false;
	for (;;) {
		uint64_t tail =
			atomic_load_explicit(&t->tail, memory_order_acquire);
		uint64_t used = head - tail;

		if (!atomic_load_explicit(&cprof__rt.on,
					  memory_order_relaxed) ||
		    atomic_load_explicit(&cprof__rt.finished,
					 memory_order_relaxed)) {
			/*
			 * Nobody will drain this ring any more: keep the
			 * ring in place but count what is dropped.
			 */
			t->lost++;
			t->limit = head; /* stay on the slow path */
			return false;
		}
		if (used < half) {
			t->limit = tail + half;
			return true;
		}
		if (used < CPROF__RING_CAP) {
			cprof__writer_kick();
			t->limit = tail + CPROF__RING_CAP;
			return true;
		}
		if (waited_ms >= 2000) {
			t->lost++;
			t->limit = head;
			return false;
		}
		/* Full: sleep until the writer drains it. */
		uint32_t seen =
			atomic_load_explicit(&t->drained, memory_order_acquire);
		atomic_store_explicit(&t->waiting, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&t->tail, memory_order_seq_cst) ==
		    tail) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			cprof__writer_kick();
			futex(&t->drained, FUTEX_WAIT_PRIVATE, seen, &ts);
			waited_ms += 10;
		}
		atomic_store_explicit(&t->waiting, 0, memory_order_relaxed);
	}
}

static inline CPROF__NOINSTR __attribute__((always_inline)) void
store(struct cprof__thread *t, uint64_t head, uintptr_t addr, uint64_t flags)
{
	struct cprof__rec *r = &t->ring[head & (CPROF__RING_CAP - 1)];

	r->tick = cprof__ticks() | flags;
	r->addr = addr;
	atomic_store_explicit(&t->head, head + 1, memory_order_release);
}

/* Everything that is not the common case, kept out of line. */
static CPROF__NOINSTR __attribute__((noinline)) void record_slow(uintptr_t addr,
								 uint64_t flags)
{
	struct cprof__thread *t = tls_thread;
	uint64_t head;

	if (t == NULL)
		t = cprof__thread_attach();
	head = atomic_load_explicit(&t->head, memory_order_relaxed);
	if (head < t->limit || make_room(t, head))
		store(t, head, addr, flags);
}

/*
 * The fast path touches no callee-saved register, so the hooks compile to
 * a leaf function with a tail call for the slow path.
 */
static inline CPROF__NOINSTR __attribute__((always_inline)) void
record(uintptr_t addr, uint64_t flags)
{
	struct cprof__thread *t = tls_thread;

	if (likely(t != NULL)) {
		uint64_t head =
			atomic_load_explicit(&t->head, memory_order_relaxed);

		if (likely(head < t->limit)) {
			store(t, head, addr, flags);
			return;
		}
	}
	record_slow(addr, flags);
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
CPROF_EXTERN CPROF__NOINSTR void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	record((uintptr_t)fn, 0);
}

CPROF_EXTERN CPROF__NOINSTR void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	record((uintptr_t)fn, CPROF__REC_EXIT);
}

CPROF_EXTERN CPROF__NOINSTR void cprof_enter(const struct cprof_site *site)
{
	record((uintptr_t)site, CPROF__REC_SITE);
}

CPROF_EXTERN CPROF__NOINSTR void cprof_exit(const struct cprof_site *site)
{
	record((uintptr_t)site, CPROF__REC_SITE | CPROF__REC_EXIT);
}

CPROF_EXTERN CPROF__NOINSTR void cprof_frame_mark(const struct cprof_site *site)
{
	record((uintptr_t)site, CPROF__REC_SITE);
}
