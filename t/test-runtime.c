/*
 * test-runtime.c - unit tests of the marker runtime, read back through the
 * CLI's profile code: nesting, recursion, exact call counts, self time,
 * many threads, ring overflow, threads that never exit, frames, fork.
 *
 * Each case runs in a forked child that starts the runtime on a fresh
 * directory, runs the scenario and exits, so every case gets a whole
 * process life (start, exit, end record) as under `cprof record`.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../lib/internal.h"
#include "unit.h"

static char run_dir[256];
static struct cp_profile prof;

/* Remove the last case's run; a case that failed an assertion leaves it. */
static void remove_run(void)
{
	if (!run_dir[0])
		return;
	if (tu_rm_rf(run_dir) != 0)
		CU_FAIL("cannot remove the run directory");
	run_dir[0] = '\0';
}

/* Run SCENARIO in a child recording into a fresh run_dir; load the run. */
static int run_case(void (*scenario)(void))
{
	int status;
	pid_t pid;

	remove_run();
	cp_profile_free(&prof);
	memset(&prof, 0, sizeof(prof));
	snprintf(run_dir, sizeof(run_dir), "/tmp/cprof-test-XXXXXX");
	if (!mkdtemp(run_dir))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (cprof__start(run_dir, 20) != 0)
			_exit(99);
		scenario();
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return cp_profile_load(&prof, run_dir);
}

static const struct cp_func *func(const char *name)
{
	for (size_t i = 0; i < prof.nfuncs; i++)
		if (strcmp(prof.funcs[i].name, name) == 0)
			return &prof.funcs[i];
	return NULL;
}

static void spin(unsigned iters)
{
	for (volatile unsigned i = 0; i < iters; i++)
		;
}

/* Nesting: outer calls inner three times; self = total - children. */
CPROF_SITE(site_outer, "outer");
CPROF_SITE(site_inner, "inner");

static void nesting(void)
{
	cprof_enter(&site_outer);
	spin(100000);
	for (int i = 0; i < 3; i++) {
		cprof_enter(&site_inner);
		spin(50000);
		cprof_exit(&site_inner);
	}
	cprof_exit(&site_outer);
}

static void test_nesting(void)
{
	const struct cp_func *o, *in;

	CU_ASSERT_FATAL(run_case(nesting) == 0);
	o = func("outer");
	in = func("inner");
	CU_ASSERT_FATAL(o != NULL && in != NULL);
	ASSERT_EQ(o->st.calls, 1);
	ASSERT_EQ(in->st.calls, 3);
	ASSERT_EQ(in->st.self_ns, in->st.total_ns);
	CU_ASSERT(o->st.total_ns > in->st.total_ns);
	/*
	 * Ticks become ns per function, and the hooks' measured cost is
	 * taken out per call in thousandths of a tick: allow one ns of
	 * rounding each way, and one per call compensated.
	 */
	ASSERT_LE(llabs((long long)(o->st.total_ns - in->st.total_ns) -
			(long long)o->st.self_ns),
		  1 + (long long)(o->st.calls + in->st.calls));
	ASSERT_EQ(prof.nprocs, 1);
	CU_ASSERT(prof.procs[0].finished);
	remove_run();
}

/* Recursion: ten nested activations count ten calls, total counted once. */
CPROF_SITE(site_driver, "driver");
CPROF_SITE(site_rec, "rec");

static void rec(int n)
{
	cprof_enter(&site_rec);
	spin(20000);
	if (n > 1)
		rec(n - 1);
	cprof_exit(&site_rec);
}

static void recursion(void)
{
	cprof_enter(&site_driver);
	spin(30000);
	rec(10);
	cprof_exit(&site_driver);
}

static void test_recursion(void)
{
	const struct cp_func *d, *r;

	CU_ASSERT_FATAL(run_case(recursion) == 0);
	d = func("driver");
	r = func("rec");
	CU_ASSERT_FATAL(d != NULL && r != NULL);
	ASSERT_EQ(r->st.calls, 10);
	ASSERT_EQ(d->st.calls, 1);
	/* rec's total is its outermost activation: driver's only child. */
	CU_ASSERT(llabs((long long)(d->st.total_ns - d->st.self_ns) -
			(long long)r->st.total_ns) <= 1);
	/* Every nanosecond inside rec is some activation's self time. */
	CU_ASSERT(llabs((long long)r->st.self_ns - (long long)r->st.total_ns) <=
		  10);
	remove_run();
}

/* Many threads: exact per-thread and merged call counts. */
#define NTHREADS 8
#define NCALLS	 10000
CPROF_SITE(site_work, "work");

static void *worker(void *arg)
{
	for (int i = 0; i < NCALLS; i++) {
		cprof_enter(&site_work);
		cprof_exit(&site_work);
	}
	return arg;
}

static void many_threads(void)
{
	pthread_t th[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
}

static void test_many_threads(void)
{
	const struct cp_func *w;
	size_t with_work = 0;

	CU_ASSERT_FATAL(run_case(many_threads) == 0);
	w = func("work");
	CU_ASSERT_FATAL(w != NULL);
	ASSERT_EQ(w->st.calls, (uint64_t)NTHREADS * NCALLS);
	for (size_t i = 0; i < prof.nthreads; i++) {
		const struct cp_thread *t = &prof.threads[i];

		for (size_t j = 0; j < t->nfuncs; j++)
			if (&prof.funcs[t->funcs[j].func] == w) {
				ASSERT_EQ(t->funcs[j].st.calls, NCALLS);
				with_work++;
			}
	}
	ASSERT_EQ(with_work, NTHREADS);
	remove_run();
}

/* A thread producing far more events than its ring holds loses none. */
#define NBIG 1000000
CPROF_SITE(site_tiny, "tiny");

static void overflow(void)
{
	for (int i = 0; i < NBIG; i++) {
		cprof_enter(&site_tiny);
		cprof_exit(&site_tiny);
	}
}

static void test_ring_overflow(void)
{
	const struct cp_func *t;

	CU_ASSERT_FATAL(run_case(overflow) == 0);
	t = func("tiny");
	CU_ASSERT_FATAL(t != NULL);
	ASSERT_EQ(t->st.calls, NBIG);
	ASSERT_EQ(prof.procs[0].lost, 0);
	ASSERT_EQ(prof.procs[0].events, 2 * NBIG);
	remove_run();
}

/* A pool worker still blocked inside a scope when main returns. */
CPROF_SITE(site_blocked, "blocked");
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int inside;

static void *pool_worker(void *arg)
{
	cprof_enter(&site_blocked);
	pthread_mutex_lock(&gate);
	inside = 1;
	pthread_cond_broadcast(&gate_cv);
	for (;;)
		pthread_cond_wait(&gate_cv, &gate);
	return arg;
}

static void never_exits(void)
{
	pthread_t th;

	pthread_create(&th, NULL, pool_worker, NULL);
	pthread_mutex_lock(&gate);
	while (!inside)
		pthread_cond_wait(&gate_cv, &gate);
	pthread_mutex_unlock(&gate);
}

static void test_never_exits(void)
{
	const struct cp_func *b;
	int unfinished = 0;

	CU_ASSERT_FATAL(run_case(never_exits) == 0);
	b = func("blocked");
	CU_ASSERT_FATAL(b != NULL);
	ASSERT_EQ(b->st.calls, 1);
	CU_ASSERT(b->st.total_ns > 0);
	for (size_t i = 0; i < prof.nthreads; i++)
		unfinished += prof.threads[i].unfinished;
	ASSERT_EQ(unfinished, 1);
	remove_run();
}

/* Frame marks: one frame per loop iteration. */
CPROF_SITE(site_step, "step");

static void frames(void)
{
	for (int i = 0; i < 100; i++) {
		cprof_enter(&site_step);
		spin(1000);
		cprof_exit(&site_step);
		CPROF_FRAME("tick");
	}
}

static void test_frames(void)
{
	const struct cp_frames *f = NULL;

	CU_ASSERT_FATAL(run_case(frames) == 0);
	for (size_t i = 0; i < prof.nframes; i++)
		if (strcmp(prof.frames[i].name, "tick") == 0)
			f = &prof.frames[i];
	CU_ASSERT_FATAL(f != NULL);
	ASSERT_EQ(f->count, 100);
	CU_ASSERT(f->min_ns <= f->max_ns);
	remove_run();
}

/* fork(): the child writes a log of its own; nothing is counted twice. */
CPROF_SITE(site_parent, "in_parent");
CPROF_SITE(site_child, "in_child");

static void forks(void)
{
	pid_t pid;

	for (int i = 0; i < 5; i++) {
		cprof_enter(&site_parent);
		cprof_exit(&site_parent);
	}
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 7; i++) {
			cprof_enter(&site_child);
			cprof_exit(&site_child);
		}
		exit(0);
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 5; i++) {
		cprof_enter(&site_parent);
		cprof_exit(&site_parent);
	}
}

static __attribute__((unused)) void test_fork(void)
{
	CU_ASSERT_FATAL(run_case(forks) == 0);
	ASSERT_EQ(prof.nprocs, 2);
	CU_ASSERT_FATAL(func("in_parent") && func("in_child"));
	ASSERT_EQ(func("in_parent")->st.calls, 10);
	ASSERT_EQ(func("in_child")->st.calls, 7);
	remove_run();
}

/* The public API outside a profiled run, and its error strings. */
static void test_inactive(void)
{
	ASSERT_EQ(cprof_active(), 0);
	ASSERT_EQ(cprof_flush(), CPROF_EINACTIVE);
	/* Markers in an unprofiled process do nothing and do not crash. */
	cprof_enter(&site_outer);
	cprof_exit(&site_outer);
	ASSERT_STR_EQ(cprof_version(), CPROF_VERSION_STRING);
	ASSERT_STR_EQ(cprof_strerror(CPROF_EINACTIVE),
		      "profiling is not active in this process");
	ASSERT_STR_EQ(cprof_strerror(12345), "unknown cprof error");
}

/* An unwritable directory: start fails with the errno, nothing recorded. */
static void test_unwritable(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int err = cprof__start("/proc/self/no-such-dir", 20);

		cprof_enter(&site_outer);
		cprof_exit(&site_outer);
		_exit(err == -ENOENT && !cprof_active() ? 0 : 1);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0);
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"nesting: self = total - children", test_nesting},
		{"recursion: calls counted, total once", test_recursion},
		{"threads: exact counts per thread", test_many_threads},
		{"ring overflow loses no event", test_ring_overflow},
		{"thread blocked at exit is reported", test_never_exits},
		{"frame marks", test_frames},
#ifndef __SANITIZE_THREAD__
		/*
		 * TSan cannot start threads in a fork() child of a threaded
		 * process (the runtime starts its writer there); the normal
		 * and ASan builds run this case.
		 */
		{"fork child logs on its own", test_fork},
#endif
		{"inactive API", test_inactive},
		{"unwritable directory", test_unwritable},
	};

	if (tu_suite("runtime", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
