/*
 * shadow.c - the runtime's shadow stack: what the hot path (record.c)
 * does not settle with its one compare, and the non-local exits and stack
 * switches that wrap.c reports.
 *
 * Each thread keeps the frames it entered and has not left, with their
 * stack position (the caller's stack pointer at the hook), in one shadow
 * stack per execution context: the thread's own stack, and each ucontext
 * coroutine's. The stack grows down, so a frame still open always lies
 * above every frame entered after it on the same stack. A frame lying
 * below the stack pointer of a later event on the same stack has been
 * left without its exit event (longjmp, an exception through code whose
 * compiler emits no exit hook on unwinding): the runtime writes that exit
 * itself, so the log stays balanced and the reader needs no guessing.
 *
 * A position compares with another only on the same stack. Three stacks
 * are told apart: the context's own (its bounds, when known), the thread's
 * alternate signal stack (a handler on it interrupts the frames below it,
 * and a frame on it is left when the thread runs on another stack again),
 * and any other: a stack switch that is not a ucontext (Boost.Context,
 * hand-written assembly), which the runtime cannot follow. It writes an
 * "unknown stack" event once per thread, and the report marks the
 * thread's numbers unreliable.
 *
 * A ucontext switch (the swapcontext / setcontext wrappers) saves the
 * current shadow stack under the ucontext it is saved into and takes that
 * of the context resumed, found by the ucontext or by the stack its stack
 * pointer lies in, or new. The log gets a switch event naming the context
 * (doc/log-format.md), so the reader keeps one stack per context too.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

/* Frames a shadow stack holds: the thread's own, then a coroutine's. */
#define CAP_THREAD (UINT64_C(1) << 18)
#define CAP_CORO   (UINT64_C(1) << 15)

/*
 * The thread's stack, noted where it is safe to ask (process start, the
 * pthread_create wrapper's start routine): pthread_getattr_np allocates,
 * and a thread's first event may come from a signal handler.
 */
static __thread uintptr_t tls_stack_lo
	__attribute__((tls_model("initial-exec")));
static __thread uintptr_t tls_stack_hi
	__attribute__((tls_model("initial-exec")));

/* Used when a thread could not map a shadow stack: never matches. */
static struct cprof__frame no_frame;

/* The site of the "unknown stack" event. */
static const struct cprof_site foreign_site = {"(unknown stack)", "", 0,
					       CPROF__SITE_FOREIGN};

CPROF__NOINSTR void cprof__shadow_note_stack(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &addr, &size) == 0 && size) {
		tls_stack_lo = (uintptr_t)addr;
		tls_stack_hi = (uintptr_t)addr + size;
	}
	pthread_attr_destroy(&a);
}

static CPROF__NOINSTR struct cprof__frame *map_frames(size_t cap)
{
	void *p = mmap(NULL, cap * sizeof(struct cprof__frame),
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Make C the current context of T: the fast path's fields follow it. */
static CPROF__NOINSTR void load(struct cprof__thread *t, struct cprof__ctx *c)
{
	t->ctx = c;
	if (!c->base) {
		t->ss_top = &no_frame;
		t->ss_last = &no_frame;
		t->ss_sp = 0;
		return;
	}
	c->base[0].sp = c->hi ? c->hi : UINTPTR_MAX;
	c->base[0].addr = 0;
	c->base[0].flags = 0;
	t->ss_top = c->base + c->depth;
	t->ss_last = c->base + c->cap - 1;
	t->ss_sp = t->ss_top == t->ss_last ? 0 : t->ss_top->sp;
}

/*
 * A longjmp whose target is unknown parks the shadow stack: its top is
 * kept aside and the fast path sees a full, empty stack, so that the
 * thread's next event, whatever it is, takes the slow path, which puts it
 * back with settle() and closes what the jump left with the jump's time.
 * Returns that time, or 0 when no jump was pending.
 */
static CPROF__NOINSTR uint64_t settle(struct cprof__thread *t)
{
	uint64_t tick = t->jump_tick;

	if (!t->jump_top)
		return 0;
	t->ss_top = t->jump_top;
	t->ss_sp = t->ss_top == t->ss_last ? 0 : t->ss_top->sp;
	t->jump_top = NULL;
	t->jump_tick = 0;
	return tick;
}

/* Write back what the fast path changed. */
static CPROF__NOINSTR void save(struct cprof__thread *t)
{
	struct cprof__ctx *c = t->ctx;

	settle(t);
	if (c && c->base)
		c->depth = (size_t)(t->ss_top - c->base);
}

CPROF__NOINSTR void cprof__shadow_attach(struct cprof__thread *t)
{
	struct cprof__ctx *c = t->ctxs;

	if (!c) {
		/* The thread's own context lives as long as its ring. */
		c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c == MAP_FAILED) {
			t->ctx = NULL;
			t->ss_top = t->ss_last = &no_frame;
			t->ss_sp = 0;
			return;
		}
		memset(c, 0, sizeof(*c));
		c->cap = CAP_THREAD;
		c->base = map_frames(c->cap);
		c->sw = (struct cprof_site){"(context switch)", "", 0,
					    CPROF__SITE_SWITCH};
		t->ctxs = c;
	}
	/* A reused ring: the coroutines of the thread before are gone. */
	for (struct cprof__ctx *o = c->next, *n; o; o = n) {
		n = o->next;
		if (o->base)
			munmap(o->base, o->cap * sizeof(struct cprof__frame));
		munmap(o, sizeof(*o));
	}
	c->next = NULL;
	c->depth = 0;
	c->key = NULL;
	c->lo = tls_stack_lo;
	c->hi = tls_stack_hi;
	t->ss_over = 0;
	t->jump_tick = 0;
	t->jump_top = NULL;
	t->foreign_noted = false;
	load(t, c);
}

/* Which stack a position lies on, as far as the slow path can tell. */
enum stack_id { ST_CUR, ST_ALT, ST_OTHER };

struct where {
	bool asked;
	uintptr_t alo, ahi;
};

static CPROF__NOINSTR enum stack_id stack_of(struct cprof__thread *t,
					     struct where *w, uintptr_t p)
{
	struct cprof__ctx *c = t->ctx;

	/*
	 * The signal stack first: a program may carve it out of its own
	 * stack (a local array of main).
	 */
	if (!w->asked) {
		stack_t ss;

		w->asked = true;
		if (sigaltstack(NULL, &ss) == 0 &&
		    !(ss.ss_flags & SS_DISABLE)) {
			w->alo = (uintptr_t)ss.ss_sp;
			w->ahi = w->alo + ss.ss_size;
		}
	}
	if (p >= w->alo && p < w->ahi)
		return ST_ALT;
	if (c->hi && p >= c->lo && p < c->hi)
		return ST_CUR;
	/* Unknown bounds: everything but the signal stack is the thread's. */
	return c->hi ? ST_OTHER : ST_CUR;
}

static CPROF__NOINSTR void switch_to(struct cprof__thread *t,
				     struct cprof__ctx *c);

/*
 * An event at P off the current context's stack: a switch the wrappers
 * did not see. On the stack of another known context (a coroutine that
 * returned through uc_link, which the C library resumes from inside), it
 * is that context's turn; a context left with no frame open has finished,
 * and its ucontext may be made anew. Returns whether P is on a stack the
 * runtime knows now.
 */
static CPROF__NOINSTR bool resume_by_sp(struct cprof__thread *t, uintptr_t p)
{
	struct cprof__ctx *c;

	for (c = t->ctxs; c; c = c->next) {
		if (c != t->ctx && c->hi && p >= c->lo && p < c->hi) {
			struct cprof__ctx *left = t->ctx;

			switch_to(t, c);
			if (left->depth == 0 && left != t->ctxs)
				left->key = NULL;
			return true;
		}
	}
	return false;
}

/* Say once per thread that its stack went where the runtime cannot follow. */
static CPROF__NOINSTR void note_foreign(struct cprof__thread *t)
{
	if (t->foreign_noted)
		return;
	t->foreign_noted = true;
	cprof__emit(t, (uintptr_t)&foreign_site, CPROF__REC_SITE, 0);
	cprof__emit(t, (uintptr_t)&foreign_site,
		    CPROF__REC_SITE | CPROF__REC_EXIT, 0);
}

/* Close the top frame: the program left it without an exit event. */
static CPROF__NOINSTR void pop_left(struct cprof__thread *t, uint64_t *tick)
{
	struct cprof__frame *f = t->ss_top;

	/* A counted frame's enter was not written: nor is its exit. */
	if (!(f->flags & CPROF__FRAME_COUNTED)) {
		if (!*tick)
			*tick = cprof__ticks() & CPROF__TICK_MASK;
		cprof__emit(t, f->addr,
			    (f->flags & CPROF__REC_SITE) | CPROF__REC_EXIT,
			    *tick);
	}
	t->left_addr = f->addr;
	t->ss_top = f - 1;
	t->ss_sp = t->ss_top->sp;
}

/*
 * Whether frame F was left, seen from an event at P on stack PS: below P
 * on the same stack, or on the signal stack while the thread runs
 * elsewhere. A frame on an unknown stack is not known to be left. At P
 * itself a frame is still open: the hooks of a function inlined into
 * another run in its frame, at its position. Only right after a jump of
 * unknown target does an enter of F's own function at F's position say
 * that F was left (a loop calling again what it jumped out of): JUMPED
 * is then that function.
 */
static CPROF__NOINSTR bool frame_left(struct cprof__thread *t, struct where *w,
				      const struct cprof__frame *f, uintptr_t p,
				      enum stack_id ps, uintptr_t jumped)
{
	enum stack_id fs = stack_of(t, w, f->sp);

	if (fs == ps)
		return f->sp < p || (f->sp == p && f->addr == jumped);
	if (fs == ST_ALT)
		return true;
	if (fs == ST_OTHER)
		note_foreign(t);
	return false;
}

/*
 * Whether the top frame was left. A marker's position proves little (the
 * program may call cprof_enter from a helper function, whose frame lies
 * below its caller's), so a marker is left when the function frame it
 * was entered in, the nearest below it, is; markers with no function
 * frame below them (programs without compiler hooks) are closed by their
 * exits only.
 */
static CPROF__NOINSTR bool top_left(struct cprof__thread *t, struct where *w,
				    uintptr_t p, enum stack_id ps,
				    uintptr_t jumped)
{
	const struct cprof__frame *f = t->ss_top;

	while (f != t->ctx->base && (f->flags & CPROF__REC_SITE))
		f--;
	if (f == t->ctx->base)
		return false;
	return frame_left(t, w, f, p, ps, jumped);
}

static CPROF__NOINSTR struct cprof__frame *
push(struct cprof__thread *t, uintptr_t addr, uint64_t flags, uintptr_t sp)
{
	struct cprof__frame *f = t->ss_top + 1;

	t->ss_top = f;
	atomic_signal_fence(memory_order_seq_cst);
	f->sp = sp;
	f->addr = addr;
	f->flags = flags;
	f->tick = 0;
	f->kids = 0;
	t->ss_sp = f != t->ss_last ? sp : 0;
	return f;
}

CPROF__NOINSTR struct cprof__frame *cprof__shadow_enter(struct cprof__thread *t,
							uintptr_t addr,
							uint64_t flags,
							uintptr_t sp)
{
	struct where w = {0};
	enum stack_id ps;
	uint64_t tick;

	if (!t->ctx || !t->ctx->base)
		return NULL;
	tick = settle(t);
	if (t->ss_top == t->ss_last) {
		t->ss_over++; /* deeper than the shadow stack: untracked */
		return NULL;
	}
	if (!tick && sp <= t->ss_sp) {
		/* the common case, on the slow path */
		return push(t, addr, flags, sp);
	}
	ps = stack_of(t, &w, sp);
	if (ps == ST_OTHER) {
		if (resume_by_sp(t, sp))
			ps = ST_CUR;
		else
			note_foreign(t);
	}
	while (t->ss_top != t->ctx->base &&
	       top_left(t, &w, sp, ps,
			tick && !(flags & CPROF__REC_SITE) ? addr : 0))
		pop_left(t, &tick);
	return push(t, addr, flags, sp);
}

CPROF__NOINSTR bool cprof__shadow_exit(struct cprof__thread *t, uintptr_t addr,
				       uint64_t flags, uintptr_t sp)
{
	struct where w = {0};
	uint64_t kind = flags & CPROF__REC_SITE;
	struct cprof__frame *f;
	uint64_t tick;

	if (!t->ctx || !t->ctx->base)
		return true;
	tick = settle(t);
	f = t->ss_top;
	if (f != t->ctx->base && f->addr == addr &&
	    (f->flags & CPROF__REC_SITE) == kind) {
		t->ss_top = f - 1; /* the common case, on the slow path */
		t->ss_sp = t->ss_top->sp;
		return !(f->flags & CPROF__FRAME_COUNTED);
	}
	if (t->ss_over) {
		t->ss_over--; /* the exit of a frame that was not pushed */
		return true;
	}
	if (stack_of(t, &w, sp) == ST_OTHER && !resume_by_sp(t, sp))
		note_foreign(t);
	/*
	 * The exiting frame is the innermost open frame of its function or
	 * site: the frames above it were left without their exit. Positions
	 * cannot say more here: gcc may call the exit hook as a tail call,
	 * after the epilogue, at the frame's top rather than at the stack
	 * pointer of the enter hook.
	 */
	for (f = t->ss_top; f != t->ctx->base; f--) {
		if (f->addr == addr && (f->flags & CPROF__REC_SITE) == kind)
			break;
	}
	if (f == t->ctx->base) {
		/*
		 * The frame the runtime closed last, exiting after all: gcc
		 * calls the exit hook after the epilogue, and a signal handler
		 * arriving in between may find the frame below its stack
		 * pointer. Its exit is written already.
		 */
		if (addr == t->left_addr) {
			t->left_addr = 0;
			return false;
		}
		return true; /* entered before the thread recorded */
	}
	while (t->ss_top != f) {
		if (stack_of(t, &w, t->ss_top->sp) == ST_OTHER)
			note_foreign(t);
		pop_left(t, &tick);
	}
	t->ss_top = f - 1;
	t->ss_sp = t->ss_top->sp;
	return !(f->flags & CPROF__FRAME_COUNTED);
}

CPROF__NOINSTR void cprof__shadow_unwind(uintptr_t target)
{
	struct cprof__thread *t = cprof__tls_get();
	struct where w = {0};
	enum stack_id ps;
	uint64_t tick;

	if (!t || !t->ctx || !t->ctx->base ||
	    !atomic_load_explicit(&cprof__rt.on, memory_order_relaxed))
		return;
	settle(t);
	tick = cprof__ticks() & CPROF__TICK_MASK;
	if (!target) {
		/* Closed at the next event, with this time. */
		t->jump_top = t->ss_top;
		t->jump_tick = tick;
		t->ss_top = &no_frame;
		t->ss_sp = 0;
		return;
	}
	/*
	 * Nothing below the target on the context's own stack: nothing was
	 * left (a coroutine resumed, a catch after gcc's exit hooks). Said
	 * without asking the kernel for the signal stack.
	 */
	if (t->ss_top == t->ctx->base ||
	    (t->ctx->hi && t->ss_top->sp >= target && target >= t->ctx->lo &&
	     t->ss_top->sp < t->ctx->hi &&
	     !(t->ss_top->flags & CPROF__REC_SITE)))
		return;
	ps = stack_of(t, &w, target);
	while (t->ss_top != t->ctx->base && top_left(t, &w, target, ps, 0))
		pop_left(t, &tick);
}

/* Contexts. */

/* The stack pointer a ucontext resumes with; 0 where unknown. */
static CPROF__NOINSTR uintptr_t context_sp(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.sp;
#else
	(void)uc;
	return 0;
#endif
}

static CPROF__NOINSTR struct cprof__ctx *ctx_new(struct cprof__thread *t)
{
	struct cprof__ctx *c, *last;
	unsigned id = 0;

	for (last = t->ctxs; last->next; last = last->next)
		id++;
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->cap = CAP_CORO;
	c->base = map_frames(c->cap);
	if (!c->base) {
		munmap(c, sizeof(*c));
		return NULL;
	}
	c->sw = (struct cprof_site){"(context switch)", "", (int)id + 1,
				    CPROF__SITE_SWITCH};
	last->next = c;
	return c;
}

/* Write that C runs from now on, and make it current. */
static CPROF__NOINSTR void switch_to(struct cprof__thread *t,
				     struct cprof__ctx *c)
{
	save(t);
	cprof__emit(t, (uintptr_t)&c->sw, CPROF__REC_SITE, 0);
	cprof__emit(t, (uintptr_t)&c->sw, CPROF__REC_SITE | CPROF__REC_EXIT, 0);
	load(t, c);
}

CPROF__NOINSTR struct cprof__ctx *
cprof__shadow_switch(const void *save_to, const void *to, uintptr_t here)
{
	struct cprof__thread *t = cprof__tls_get();
	const ucontext_t *uc = to;
	struct cprof__ctx *cur, *c, *next = NULL;
	uintptr_t sp = context_sp(uc);

	if (!t || !t->ctx || !t->ctx->base || !to ||
	    !atomic_load_explicit(&cprof__rt.on, memory_order_relaxed))
		return NULL;
	save(t);
	/* A coroutine may have returned through uc_link since: who runs? */
	if (t->ctx->hi && (here < t->ctx->lo || here >= t->ctx->hi))
		resume_by_sp(t, here);
	cur = t->ctx;
	for (c = t->ctxs; c; c = c->next) {
		/*
		 * A context saved into SAVE_TO before is overwritten: it can
		 * never resume, so its frames are closed now.
		 */
		if (save_to && c != cur && c->key == save_to) {
			uint64_t tick = 0;

			switch_to(t, c);
			while (t->ss_top != c->base)
				pop_left(t, &tick);
			c->key = NULL;
			switch_to(t, cur);
		}
		if (!next && c->key == to)
			next = c;
	}
	if (save_to)
		cur->key = save_to;
	if (!next && sp) {
		for (c = t->ctxs; c && !next; c = c->next)
			if (c->hi && sp >= c->lo && sp < c->hi)
				next = c;
	}
	if (next && next->depth == 0 && next != t->ctxs && sp &&
	    (sp < next->lo || sp >= next->hi)) {
		/* A finished coroutine's ucontext made anew: a new stack. */
		next->lo = (uintptr_t)uc->uc_stack.ss_sp;
		next->hi = next->lo + uc->uc_stack.ss_size;
		if (sp < next->lo || sp >= next->hi)
			next->lo = next->hi = 0;
	}
	if (!next) {
		/* A context not met yet: a new coroutine, on its own stack. */
		for (c = t->ctxs; c && !next; c = c->next)
			if (c != cur && !c->key && c->depth == 0 &&
			    c != t->ctxs)
				next = c; /* a finished coroutine's, reused */
		if (!next)
			next = ctx_new(t);
		if (!next)
			return NULL;
		next->key = to;
		next->lo = (uintptr_t)uc->uc_stack.ss_sp;
		next->hi = next->lo + uc->uc_stack.ss_size;
		if (!sp || sp < next->lo || sp >= next->hi)
			next->lo = next->hi = 0;
	}
	if (next != cur)
		switch_to(t, next);
	/* Resuming at SP: frames below it on that stack were left. */
	if (sp)
		cprof__shadow_unwind(sp);
	return cur;
}

CPROF__NOINSTR void cprof__shadow_switch_failed(struct cprof__ctx *back)
{
	struct cprof__thread *t = cprof__tls_get();

	if (t && back && t->ctx != back)
		switch_to(t, back);
}

/*
 * jmp_buf: glibc stores the stack pointer mangled (PTR_MANGLE): on x86-64
 * xored with the pointer guard of the thread control block (%fs:0x30) and
 * rotated left by 17 bits. That is an ABI detail, not an interface, so it
 * is checked once against a setjmp of known stack pointer; where it does
 * not hold, or on other machines (aarch64 xors with a guard that is not
 * reachable from here), the target is unknown and the frames jumped over
 * are closed at the thread's next event, with the time of the jump.
 */
#if defined(__x86_64__) && defined(__GLIBC__)
#define JB_RSP 6

static CPROF__NOINSTR uintptr_t demangle(const void *env)
{
	uintptr_t v = (uintptr_t)((const long *)env)[JB_RSP], guard;

	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 17) | (v << (64 - 17));
	return v ^ guard;
}

static CPROF__NOINSTR __attribute__((noinline)) uintptr_t caller_sp(void)
{
	return (uintptr_t)__builtin_dwarf_cfa();
}

static CPROF__NOINSTR __attribute__((noinline)) bool demangle_works(void)
{
	jmp_buf jb;
	uintptr_t sp, here;

	if (setjmp(jb))
		return false;
	sp = demangle(jb);
	here = caller_sp();
	return sp - here + 4096 < 8192;
}

static _Atomic int demangle_ok = -1;

/*
 * The check runs when the library is loaded, on the main thread's stack,
 * not at the first jump: that one may leave a signal handler on an
 * alternate stack, and a setjmp there would make ThreadSanitizer (which
 * tracks setjmp buffers by stack position) drop the program's buffers.
 */
static CPROF__NOINSTR __attribute__((constructor)) void demangle_check(void)
{
	atomic_store_explicit(&demangle_ok, demangle_works(),
			      memory_order_relaxed);
}

CPROF__NOINSTR uintptr_t cprof__jmpbuf_sp(const void *env)
{
	int v = atomic_load_explicit(&demangle_ok, memory_order_relaxed);

	if (v < 0) { /* a jump from a constructor run before ours */
		v = demangle_works();
		atomic_store_explicit(&demangle_ok, v, memory_order_relaxed);
	}
	return v ? demangle(env) : 0;
}
#else
CPROF__NOINSTR uintptr_t cprof__jmpbuf_sp(const void *env)
{
	(void)env;
	return 0;
}
#endif
