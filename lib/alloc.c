/*
 * alloc.c - libcprof-alloc, the allocator wrappers of --alloc.
 *
 * A library of its own, which the tool puts in LD_PRELOAD just before the
 * runtime only when --alloc is given: without it the program's allocator
 * is called as if cprof were not there (no wrapper, no branch), and a
 * program linked with -lcprof never gets these symbols. Each wrapper
 * calls the next definition (the C library's, or a preloaded jemalloc or
 * tcmalloc's, found with dlsym(RTLD_NEXT)) and hands the block and its
 * size to the runtime (cprof__alloc_event, record.c), which stores it in
 * the thread's ring: the program keeps its allocator, its alignment and
 * its malloc_usable_size() results, since blocks are never changed.
 *
 * The hard places:
 * - dlsym() itself calls calloc() before the next malloc is known: such
 *   early requests come from a small static arena, whose blocks free()
 *   and realloc() recognize and never pass on.
 * - The runtime may allocate on a program thread (a first event attaches
 *   the thread) and the C++ operators call malloc(): a thread-local guard
 *   passes every call made inside a wrapper straight through, unrecorded.
 * - A free is recorded before the block goes back, an allocation after
 *   it came: another thread reusing the address always records later.
 * - Signal handlers: the ring is async-signal-safe; a handler that
 *   interrupts a wrapper finds the guard set and is passed through.
 * - errno is the allocator's: recording never changes it.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define WRAP CPROF_EXTERN CPROF__NOINSTR

/* The next definitions; NULL until resolved. */
static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*aligned_alloc)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	void *(*reallocarray)(void *, size_t, size_t);
} real;

/* Inside a wrapper, or resolving: calls pass straight through. */
static __thread unsigned guard __attribute__((tls_model("initial-exec")));

/*
 * The bootstrap arena: what dlsym() asks for before the next malloc is
 * known. Each block is preceded by its size, for realloc().
 */
#define ARENA_SIZE (64 * 1024)
static alignas(64) unsigned char arena[ARENA_SIZE];
static _Atomic size_t arena_used;

static CPROF__NOINSTR bool in_arena(const void *p)
{
	return (const unsigned char *)p >= arena &&
	       (const unsigned char *)p < arena + ARENA_SIZE;
}

static CPROF__NOINSTR void *arena_alloc(size_t n, size_t align)
{
	size_t a = align < 16 ? 16 : align;
	size_t need = (n + 15) / 16 * 16 + a;
	size_t at;

	if (n > ARENA_SIZE || a > 4096)
		return NULL;
	at = atomic_fetch_add(&arena_used, need);
	if (at + need > ARENA_SIZE)
		return NULL;
	/* The block starts A bytes in: room for its size before it. */
	unsigned char *p = arena + at + a;

	p = (unsigned char *)(((uintptr_t)p + a - 1) & ~(uintptr_t)(a - 1));
	((size_t *)p)[-1] = n;
	return p;
}

static CPROF__NOINSTR bool resolve(void)
{
	static __thread bool resolving
		__attribute__((tls_model("initial-exec")));

	if (real.malloc)
		return true;
	if (resolving)
		return false;
	resolving = true;
	guard++;
	real.calloc = dlsym(RTLD_NEXT, "calloc");
	real.realloc = dlsym(RTLD_NEXT, "realloc");
	real.free = dlsym(RTLD_NEXT, "free");
	real.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real.memalign = dlsym(RTLD_NEXT, "memalign");
	real.valloc = dlsym(RTLD_NEXT, "valloc");
	real.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
	real.reallocarray = dlsym(RTLD_NEXT, "reallocarray");
	/* Last: the others are set once malloc is. */
	void *m = dlsym(RTLD_NEXT, "malloc");

	atomic_signal_fence(memory_order_seq_cst);
	real.malloc = m;
	guard--;
	resolving = false;
	return real.malloc != NULL;
}

/* Inside a C++ operator: what it called recorded (see NEW_FORM). */
enum { OP_NONE, OP_NEW, OP_DELETE, OP_DONE };
static __thread int op_state __attribute__((tls_model("initial-exec")));

/* Record with the guard up (the runtime may allocate) and errno kept. */
static inline CPROF__NOINSTR void note(const void *p, size_t n, bool freed,
				       uint64_t tick)
{
	int saved = errno;

	if (op_state == (freed ? OP_DELETE : OP_NEW))
		op_state = OP_DONE;

	guard++;
	cprof__alloc_event((uintptr_t)p, n, freed, tick);
	guard--;
	errno = saved;
}

static inline CPROF__NOINSTR void *noted(void *p, size_t n)
{
	if (p)
		note(p, n, false, 0);
	return p;
}

/*
 * Call the next definition with the guard up: what it calls itself
 * through the PLT (glibc's reallocarray calls realloc, libstdc++'s new
 * calls malloc) is then not counted a second time.
 */
#define INNER(call)                           \
	({                                    \
		guard++;                      \
		__typeof__(call) r_ = (call); \
		guard--;                      \
		r_;                           \
	})

/* Pass through: inside a wrapper, or nothing to call yet. */
#define PASS(name)                                                      \
	(unlikely(guard != 0 || (real.malloc == NULL && !resolve())) || \
	 unlikely(real.name == NULL))

WRAP void *malloc(size_t n)
{
	if (unlikely(real.malloc == NULL) && !resolve())
		return arena_alloc(n, 16);
	if (unlikely(guard))
		return real.malloc(n);
	return noted(INNER(real.malloc(n)), n);
}

WRAP void *calloc(size_t k, size_t n)
{
	size_t total;

	if (unlikely(real.malloc == NULL) && !resolve()) {
		void *p;

		if (__builtin_mul_overflow(k, n, &total)) {
			errno = ENOMEM;
			return NULL;
		}
		/* The arena is zero and never reused. */
		p = arena_alloc(total, 16);
		return p;
	}
	if (unlikely(guard) || unlikely(real.calloc == NULL))
		return real.calloc ? real.calloc(k, n) : NULL;
	if (__builtin_mul_overflow(k, n, &total))
		return real.calloc(k, n);
	return noted(INNER(real.calloc(k, n)), total);
}

WRAP void free(void *p)
{
	if (unlikely(p == NULL) || unlikely(in_arena(p)))
		return;
	if (unlikely(real.free == NULL) && !resolve())
		return;
	if (likely(!guard))
		note(p, 0, true, 0);
	guard++;
	real.free(p);
	guard--;
}

/*
 * The old block's free is recorded with the time before the call (it is
 * free from then on), once the call succeeded: a failed realloc leaves
 * the block as it was.
 */
static CPROF__NOINSTR void *moved(void *old, void *p, size_t n, uint64_t tick)
{
	if (old != NULL && (p != NULL || n == 0))
		note(old, 0, true, tick);
	return noted(p, n);
}

WRAP void *realloc(void *old, size_t n)
{
	uint64_t tick;

	if (unlikely(in_arena(old))) {
		size_t had = ((size_t *)old)[-1];
		void *p = malloc(n);

		if (p)
			memcpy(p, old, had < n ? had : n);
		return p;
	}
	if (PASS(realloc))
		return real.realloc ? real.realloc(old, n) : NULL;
	tick = cprof__ticks();
	return moved(old, INNER(real.realloc(old, n)), n, tick);
}

WRAP void *reallocarray(void *old, size_t k, size_t n)
{
	size_t total;
	uint64_t tick;

	if (unlikely(in_arena(old)) || PASS(reallocarray)) {
		if (__builtin_mul_overflow(k, n, &total)) {
			errno = ENOMEM;
			return NULL;
		}
		if (in_arena(old) || real.reallocarray == NULL)
			return realloc(old, total);
		return real.reallocarray(old, k, n);
	}
	if (__builtin_mul_overflow(k, n, &total))
		return real.reallocarray(old, k, n);
	tick = cprof__ticks();
	return moved(old, INNER(real.reallocarray(old, k, n)), total, tick);
}

WRAP void *aligned_alloc(size_t align, size_t n)
{
	if (PASS(aligned_alloc))
		return real.aligned_alloc ? real.aligned_alloc(align, n)
					  : arena_alloc(n, align);
	return noted(INNER(real.aligned_alloc(align, n)), n);
}

WRAP void *memalign(size_t align, size_t n)
{
	if (PASS(memalign))
		return real.memalign ? real.memalign(align, n)
				     : arena_alloc(n, align);
	return noted(INNER(real.memalign(align, n)), n);
}

WRAP int posix_memalign(void **out, size_t align, size_t n)
{
	int err;

	if (PASS(posix_memalign))
		return real.posix_memalign ? real.posix_memalign(out, align, n)
					   : ENOMEM;
	err = INNER(real.posix_memalign(out, align, n));
	if (err == 0)
		noted(*out, n);
	return err;
}

WRAP void *valloc(size_t n)
{
	if (PASS(valloc))
		return real.valloc ? real.valloc(n) : NULL;
	return noted(INNER(real.valloc(n)), n);
}

WRAP void *pvalloc(size_t n)
{
	if (PASS(pvalloc))
		return real.pvalloc ? real.pvalloc(n) : NULL;
	return noted(INNER(real.pvalloc(n)), n);
}

/*
 * C++ operator new and delete, in every form. libstdc++'s call malloc()
 * and free() (aligned_alloc() for the aligned forms) through the PLT,
 * where the block is recorded; a preloaded tcmalloc or jemalloc defines
 * its own, which call nothing of ours: the wrapper records the block
 * then. op_state tells which: the wrapper sets OP_NEW (OP_DELETE) before
 * it calls the next definition, and note() turns it to OP_DONE when an
 * allocation (a free) was recorded inside. So a failing new's exception
 * object, allocated inside it, is recorded as any block, and nothing is
 * counted twice, not even when one operator calls another (libstdc++'s
 * new[] calls new, its sized delete the plain one). A throwing new leaves
 * through this frame: its state is put back by a cleanup, which -fexceptions
 * runs.
 */
static CPROF__NOINSTR void op_restore(const int *saved)
{
	op_state = *saved;
}

/* The next definition of NAME (this function), looked up once. */
#define NEXT(name)                                                        \
	static __typeof__(&name) next_##name;                             \
	if (unlikely(next_##name == NULL)) {                              \
		guard++;                                                  \
		next_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name); \
		guard--;                                                  \
	}

#define NEW_FORM(name, params, args)                                     \
	WRAP void *name params                                           \
	{                                                                \
		NEXT(name);                                              \
		void *p;                                                 \
		bool seen;                                               \
		if (unlikely(next_##name == NULL))                       \
			abort();                                         \
		if (unlikely(guard != 0))                                \
			return next_##name args;                         \
		{                                                        \
			int saved __attribute__((cleanup(op_restore))) = \
				op_state;                                \
			op_state = OP_NEW;                               \
			p = next_##name args;                            \
			seen = op_state == OP_DONE;                      \
		}                                                        \
		if (seen && op_state == OP_NEW)                          \
			op_state = OP_DONE;                              \
		return seen ? p : noted(p, n);                           \
	}

#define DELETE_FORM(name, params, args)                                  \
	WRAP void name params                                            \
	{                                                                \
		NEXT(name);                                              \
		uint64_t tick;                                           \
		int saved = op_state;                                    \
		bool seen;                                               \
		if (unlikely(next_##name == NULL)) {                     \
			free(p);                                         \
			return;                                          \
		}                                                        \
		if (unlikely(guard != 0) || p == NULL) {                 \
			next_##name args;                                \
			return;                                          \
		}                                                        \
		tick = cprof__ticks();                                   \
		op_state = OP_DELETE;                                    \
		next_##name args;                                        \
		seen = op_state == OP_DONE;                              \
		op_state = seen && saved == OP_DELETE ? OP_DONE : saved; \
		if (!seen)                                               \
			note(p, 0, true, tick);                          \
	}

typedef const void *nothrow_ref; /* const std::nothrow_t & */

NEW_FORM(_Znwm, (size_t n), (n))
NEW_FORM(_Znam, (size_t n), (n))
NEW_FORM(_ZnwmRKSt9nothrow_t, (size_t n, nothrow_ref t), (n, t))
NEW_FORM(_ZnamRKSt9nothrow_t, (size_t n, nothrow_ref t), (n, t))
NEW_FORM(_ZnwmSt11align_val_t, (size_t n, size_t a), (n, a))
NEW_FORM(_ZnamSt11align_val_t, (size_t n, size_t a), (n, a))
NEW_FORM(_ZnwmSt11align_val_tRKSt9nothrow_t,
	 (size_t n, size_t a, nothrow_ref t), (n, a, t))
NEW_FORM(_ZnamSt11align_val_tRKSt9nothrow_t,
	 (size_t n, size_t a, nothrow_ref t), (n, a, t))

DELETE_FORM(_ZdlPv, (void *p), (p))
DELETE_FORM(_ZdaPv, (void *p), (p))
DELETE_FORM(_ZdlPvm, (void *p, size_t n), (p, n))
DELETE_FORM(_ZdaPvm, (void *p, size_t n), (p, n))
DELETE_FORM(_ZdlPvRKSt9nothrow_t, (void *p, nothrow_ref t), (p, t))
DELETE_FORM(_ZdaPvRKSt9nothrow_t, (void *p, nothrow_ref t), (p, t))
DELETE_FORM(_ZdlPvSt11align_val_t, (void *p, size_t a), (p, a))
DELETE_FORM(_ZdaPvSt11align_val_t, (void *p, size_t a), (p, a))
DELETE_FORM(_ZdlPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a))
DELETE_FORM(_ZdaPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a))
DELETE_FORM(_ZdlPvSt11align_val_tRKSt9nothrow_t,
	    (void *p, size_t a, nothrow_ref t), (p, a, t))
DELETE_FORM(_ZdaPvSt11align_val_tRKSt9nothrow_t,
	    (void *p, size_t a, nothrow_ref t), (p, a, t))

/*
 * An allocator defined in the executable (or in a library loaded before
 * this one) is found before these wrappers, which then never see the
 * program's blocks: say so once. The first malloc is told from ours by
 * the object that defines it.
 */
static CPROF__NOINSTR __attribute__((constructor)) void alloc_start(void)
{
	Dl_info first, mine;
	void *m;

	resolve();
	if (getenv(CPROF_ENV_DIR) == NULL)
		return;
	guard++;
	m = dlsym(RTLD_DEFAULT, "malloc");
	if (m != NULL && dladdr(m, &first) && first.dli_fname &&
	    dladdr((void *)&arena_used, &mine) && mine.dli_fname &&
	    strcmp(first.dli_fname, mine.dli_fname) != 0)
		cprof__alloc_warn("allocations are not recorded: malloc is "
				  "defined by",
				  first.dli_fname[0] ? first.dli_fname
						     : "the program",
				  "an allocator linked into the executable "
				  "cannot be interposed");
	guard--;
}
