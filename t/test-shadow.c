/*
 * test-shadow.c - unit tests of the runtime's shadow stack (lib/shadow.c)
 * on a thread of its own with made-up stack positions: which frames a
 * later event, a jump or a catch shows were left, the exits the runtime
 * writes for them (in order, with one time), inlined hooks, markers
 * entered from helpers, the alternate signal stack, a stack the runtime
 * does not know, and ucontext switches.
 *
 * Each case drives the slow paths the hot path hands over to, and reads
 * back what went into the thread's ring: "E1" an enter of function 1,
 * "X1" its exit, "S" a switch of context, "?" the unknown-stack event.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../lib/internal.h"
#include "unit.h"

static struct cprof__thread th;
static uintptr_t hi; /* the top of this thread's stack */
static char trace[512];

/* A fresh thread: an empty ring and shadow stack. */
static void setup(void)
{
	static struct cprof__rec *ring;

	if (!ring)
		ring = calloc(CPROF__RING_CAP, sizeof(*ring));
	th.ring = ring;
	th.reserve = 0;
	atomic_store(&th.head, 0);
	th.limit = CPROF__RING_CAP / 2;
	cprof__shadow_note_stack();
	cprof__shadow_attach(&th);
	cprof__tls_set(&th);
	atomic_store(&cprof__rt.on, 1);
	hi = th.ctx->hi;
	CU_ASSERT_FATAL(hi != 0);
}

/* Function N's address: small numbers are never real code. */
#define FN(n) ((uintptr_t)(n))

static void enter(unsigned fn, uintptr_t sp)
{
	cprof__shadow_enter(&th, FN(fn), 0, sp);
	cprof__emit(&th, FN(fn), 0, 0);
}

static void leave(unsigned fn, uintptr_t sp)
{
	cprof__shadow_exit(&th, FN(fn), CPROF__REC_EXIT, sp);
	cprof__emit(&th, FN(fn), CPROF__REC_EXIT, 0);
}

static size_t depth(void)
{
	return (size_t)(th.ss_top - th.ctx->base);
}

/* The ring from event FROM on, as "E1 E2 X2 ...". */
static const char *ring_from(uint64_t from)
{
	size_t len = 0;

	trace[0] = '\0';
	for (uint64_t i = from; i < th.reserve; i++) {
		const struct cprof__rec *r = &th.ring[i];
		const char *what;
		char buf[32];

		if (r->tick & CPROF__REC_SITE) {
			const struct cprof_site *s = (const void *)r->addr;

			if (r->tick & CPROF__REC_EXIT)
				continue; /* the pair's second half */
			what = s->kind == CPROF__SITE_SWITCH	? "S"
			       : s->kind == CPROF__SITE_FOREIGN ? "?"
								: "M";
			snprintf(buf, sizeof(buf), "%s", what);
		} else {
			snprintf(buf, sizeof(buf), "%c%u",
				 (r->tick & CPROF__REC_EXIT) ? 'X' : 'E',
				 (unsigned)r->addr);
		}
		len += (size_t)snprintf(trace + len, sizeof(trace) - len,
					"%s%s", len ? " " : "", buf);
	}
	return trace;
}

#define EXPECT_TRACE(from, want)                                        \
	do {                                                            \
		const char *got_ = ring_from(from);                     \
		if (strcmp(got_, (want)) != 0)                          \
			fprintf(stderr, "\n  want '%s'\n  got  '%s'\n", \
				(want), got_);                          \
		ASSERT_STR_EQ(got_, (want));                            \
	} while (0)

static void test_balanced(void)
{
	setup();
	enter(1, hi - 100);
	enter(2, hi - 200);
	leave(2, hi - 200);
	leave(1, hi - 80); /* an exit hook called after the epilogue */
	EXPECT_TRACE(0, "E1 E2 X2 X1");
	ASSERT_EQ(depth(), 0);
}

/* Inlined: the callee's hooks run in the caller's frame. */
static void test_inlined(void)
{
	setup();
	enter(1, hi - 100);
	enter(2, hi - 100);
	enter(3, hi - 100);
	leave(3, hi - 100);
	leave(2, hi - 100);
	leave(1, hi - 100);
	EXPECT_TRACE(0, "E1 E2 E3 X3 X2 X1");
	ASSERT_EQ(depth(), 0);
}

/* An enter above the top frame: the frames below it were left. */
static void test_left_by_position(void)
{
	setup();
	enter(1, hi - 100);
	enter(2, hi - 200);
	enter(3, hi - 300);
	enter(4, hi - 250);
	EXPECT_TRACE(0, "E1 E2 E3 X3 E4");
	ASSERT_EQ(depth(), 3);
	/* The exit of a frame deeper in the stack closes those above. */
	leave(1, hi - 100);
	EXPECT_TRACE(5, "X4 X2 X1");
	ASSERT_EQ(depth(), 0);
}

/* A jump of known target: everything below it closes, with one time. */
static void test_unwind_known(void)
{
	uint64_t from;

	setup();
	enter(7, hi - 100);
	enter(7, hi - 200);
	enter(7, hi - 300);
	from = th.reserve;
	cprof__shadow_unwind(hi - 150);
	EXPECT_TRACE(from, "X7 X7");
	ASSERT_EQ(th.ring[from].tick, th.ring[from + 1].tick);
	ASSERT_EQ(depth(), 1);
	leave(7, hi - 100);
	EXPECT_TRACE(from, "X7 X7 X7");
	ASSERT_EQ(depth(), 0);
}

/*
 * A jump of unknown target: the next event closes what it shows was
 * left, with the jump's time; a loop entering again the function it
 * jumped out of, at its position, shows that frame was left.
 */
static void test_unwind_unknown(void)
{
	uint64_t from, jump;

	setup();
	enter(1, hi - 100);
	enter(2, hi - 200);
	enter(3, hi - 300);
	from = th.reserve;
	jump = cprof__ticks() & CPROF__TICK_MASK;
	cprof__shadow_unwind(0);
	ASSERT_EQ(th.reserve, from); /* nothing written yet */
	ASSERT_EQ(th.ss_sp, 0);	     /* the next event is slow */
	enter(2, hi - 200);
	EXPECT_TRACE(from, "X3 X2 E2");
	CU_ASSERT((th.ring[from].tick & CPROF__TICK_MASK) >= jump);
	ASSERT_EQ(th.ring[from].tick & CPROF__TICK_MASK,
		  th.ring[from + 1].tick & CPROF__TICK_MASK);
	CU_ASSERT((th.ring[from + 2].tick & CPROF__TICK_MASK) >=
		  (th.ring[from].tick & CPROF__TICK_MASK));
	ASSERT_EQ(depth(), 2);
	/* Without a jump, the same shape is an inlined call. */
	enter(2, hi - 200);
	EXPECT_TRACE(from, "X3 X2 E2 E2");
	ASSERT_EQ(depth(), 3);
}

/* A marker entered from a helper is judged by its function's frame. */
static void test_marker_helper(void)
{
	static const struct cprof_site s = {"scope", "f.c", 1,
					    CPROF_SITE_SCOPE};

	setup();
	enter(1, hi - 100);
	cprof__shadow_enter(&th, (uintptr_t)&s, CPROF__REC_SITE, hi - 400);
	enter(2, hi - 250);
	leave(2, hi - 250);
	cprof__shadow_exit(&th, (uintptr_t)&s,
			   CPROF__REC_SITE | CPROF__REC_EXIT, hi - 420);
	leave(1, hi - 100);
	EXPECT_TRACE(0, "E1 E2 X2 X1");
	ASSERT_EQ(depth(), 0);
}

/* A handler on the alternate stack nests; a jump out of it leaves it. */
static void test_altstack(void)
{
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)}, old;
	uintptr_t a = (uintptr_t)alt + sizeof(alt);

	CU_ASSERT_FATAL(sigaltstack(&ss, &old) == 0);
	setup();
	enter(1, hi - 100);
	enter(2, hi - 200);
	enter(5, a - 100); /* the handler */
	enter(6, a - 200);
	leave(6, a - 200);
	EXPECT_TRACE(0, "E1 E2 E5 E6 X6");
	/* siglongjmp to a setjmp in function 1. */
	cprof__shadow_unwind(hi - 150);
	EXPECT_TRACE(0, "E1 E2 E5 E6 X6 X5 X2");
	ASSERT_EQ(depth(), 1);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

/* A stack the runtime does not know: said once, nothing closed. */
static void test_foreign(void)
{
	uintptr_t lo;

	setup();
	lo = th.ctx->lo;
	enter(1, hi - 100);
	enter(2, lo - 0x100000);
	enter(3, lo - 0x100100);
	enter(4, hi - 200);
	/* Below the top frame: pushed at once, found out on the way back. */
	EXPECT_TRACE(0, "E1 E2 E3 ? E4");
	ASSERT_EQ(depth(), 4);
}

/* ucontext: each context keeps its frames; the log says who runs. */
static void test_ucontext(void)
{
	static char cstack[64 * 1024];
	static ucontext_t sched, co;
	uintptr_t c = (uintptr_t)cstack + sizeof(cstack);
	struct cprof__ctx *main_ctx;

	setup();
	main_ctx = th.ctx;
	memset(&co, 0, sizeof(co));
	co.uc_stack.ss_sp = cstack;
	co.uc_stack.ss_size = sizeof(cstack);
#if defined(__x86_64__)
	co.uc_mcontext.gregs[REG_RSP] = (greg_t)(c - 64);
#elif defined(__aarch64__)
	co.uc_mcontext.sp = c - 64;
#endif
	enter(1, hi - 100);
	cprof__shadow_switch(&sched, &co, hi - 300);
	CU_ASSERT(th.ctx != main_ctx);
	ASSERT_EQ(depth(), 0);
	enter(2, c - 200);
	cprof__shadow_switch(&co, &sched, c - 300);
	CU_ASSERT(th.ctx == main_ctx);
	ASSERT_EQ(depth(), 1);
	enter(3, hi - 200);
	leave(3, hi - 200);
	/* swapcontext saved the coroutine's stack pointer into co. */
#if defined(__x86_64__)
	co.uc_mcontext.gregs[REG_RSP] = (greg_t)(c - 300);
#elif defined(__aarch64__)
	co.uc_mcontext.sp = c - 300;
#endif
	cprof__shadow_switch(&sched, &co, hi - 300);
	leave(2, c - 200);
	EXPECT_TRACE(0, "E1 S E2 S E3 X3 S X2");
	/* The coroutine returns through uc_link: seen at the next event. */
	leave(1, hi - 100);
	EXPECT_TRACE(0, "E1 S E2 S E3 X3 S X2 S X1");
	CU_ASSERT(th.ctx == main_ctx);
	ASSERT_EQ(depth(), 0);
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"balanced calls write nothing", test_balanced},
		{"inlined hooks nest at one position", test_inlined},
		{"frames below a later enter were left", test_left_by_position},
		{"jump of known target", test_unwind_known},
		{"jump of unknown target", test_unwind_unknown},
		{"marker entered from a helper", test_marker_helper},
		{"alternate signal stack", test_altstack},
		{"unknown stack", test_foreign},
		{"ucontext switches", test_ucontext},
	};

	if (tu_suite("shadow", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
