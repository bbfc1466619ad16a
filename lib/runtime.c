/*
 * runtime.c - the life of the runtime in a process: start from the
 * environment the CLI sets (CPROF_DIR), rings for new threads, thread
 * exit, fork(), fatal signals and process exit (the interposed C library
 * functions are in wrap.c). It also holds the small public API that is not
 * on the hot path.
 *
 * The rules it keeps: the program's behaviour never changes (a log that
 * cannot be written gives one warning and profiling stops), and every
 * thread's events reach the log, including threads still running when the
 * process exits and events buffered when a fatal signal arrives.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct cprof__runtime cprof__rt;
bool cprof__creating_writer;
_Atomic(struct cprof__thread *) cprof__threads;

static pthread_key_t thread_key;
static _Atomic int initialized; /* the constructor has run */
bool cprof__started;		/* cprof__start succeeded once */
static bool hooks_installed;

#define ALTSTACK_SIZE (64 * 1024)

static const int fatal_signals[] = {
	SIGSEGV, SIGBUS,  SIGILL,  SIGFPE,  SIGABRT,   SIGTERM,
	SIGINT,	 SIGHUP,  SIGQUIT, SIGPIPE, SIGALRM,   SIGUSR1,
	SIGUSR2, SIGXCPU, SIGXFSZ, SIGSYS,  SIGVTALRM, SIGTRAP,
};

static CPROF__NOINSTR void *map_pages(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Threads. */

/*
 * Give the calling thread a ring: a free one left by a thread that ended,
 * or a new one pushed on the registry. Runs once per thread, on its first
 * event, so it may make system calls; it takes no lock, because it can run
 * in a signal handler.
 */
CPROF__NOINSTR struct cprof__thread *cprof__thread_attach(void)
{
	struct cprof__thread *t;

	if (!atomic_load(&initialized))
		return NULL; /* before our constructor: retry next time */
	if (!atomic_load(&cprof__rt.on) || atomic_load(&cprof__rt.finished)) {
		cprof__tls_disable();
		return NULL;
	}
	for (t = atomic_load(&cprof__threads); t; t = t->next) {
		int expect = CPROF__T_FREE;

		if (atomic_compare_exchange_strong(&t->state, &expect,
						   CPROF__T_CLAIMED))
			goto claimed;
	}
	t = map_pages(sizeof(*t) + ALTSTACK_SIZE);
	if (t)
		t->ring =
			map_pages(CPROF__RING_CAP * sizeof(struct cprof__rec));
	if (!t || !t->ring) {
		cprof__warn("cannot map a thread buffer", NULL, ENOMEM,
			    "this thread is not profiled");
		cprof__tls_disable();
		return NULL;
	}
	atomic_store(&t->state, CPROF__T_CLAIMED);
	t->next = atomic_load(&cprof__threads);
	while (!atomic_compare_exchange_weak(&cprof__threads, &t->next, t))
		;
claimed:
	atomic_store_explicit(&t->head, 0, memory_order_relaxed);
	atomic_store_explicit(&t->tail, 0, memory_order_relaxed);
	t->reserve = 0;
	t->nest = 0;
	t->limit = CPROF__RING_CAP / 2;
	t->lost = 0;
	t->exit_rounds = 0;
	t->announced = false;
	t->tid = (pid_t)syscall(SYS_gettid);
	t->start_tick = cprof__ticks() & CPROF__TICK_MASK;
	t->end_tick = 0;
	cprof__counters_open(t);
	if (cprof__ctr.exact && cprof__ctr.nev && !t->cvals)
		t->cvals = map_pages(CPROF__RING_CAP * (size_t)cprof__ctr.nev *
				     sizeof(uint64_t));
	if (cprof__ctr.exact && !t->cvals)
		cprof__counters_close(t); /* no room for values: no counts */

	/*
	 * A stack overflow raises SIGSEGV with no stack left to run our
	 * handler on; give the thread an alternate stack unless it has one.
	 */
	stack_t old;
	if (sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
		stack_t ss = {.ss_sp = (char *)t + sizeof(*t),
			      .ss_size = ALTSTACK_SIZE};
		sigaltstack(&ss, NULL);
	}

	cprof__shadow_attach(t);
	atomic_store_explicit(&t->state, CPROF__T_LIVE, memory_order_release);
	cprof__tls_set(t);
	pthread_setspecific(thread_key, t);
	return t;
}

/*
 * The thread-specific-data destructor: the thread is ending. It re-arms
 * itself twice, so that it runs after the program's own destructors, which
 * may still record events.
 */
static CPROF__NOINSTR void thread_detach(void *arg)
{
	struct cprof__thread *t = arg;
	stack_t ss = {.ss_flags = SS_DISABLE};
	stack_t cur;

	if (++t->exit_rounds < 3) {
		pthread_setspecific(thread_key, t);
		return;
	}
	if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)t + sizeof(*t))
		sigaltstack(&ss, NULL);
	t->end_tick = cprof__ticks() & CPROF__TICK_MASK;
	cprof__tls_disable();
	atomic_store_explicit(&t->state, CPROF__T_DEAD, memory_order_release);
	cprof__writer_kick();
}

/* Stopping. */

static _Atomic int stopping;
static _Atomic int stopped;

/*
 * Write the end of the log. Process exit and exec join the writer first.
 * A signal handler or _exit() cannot (pthread_join is not
 * async-signal-safe, and _exit may be called from a handler), so they wait
 * for the writer lock with a timeout instead, and never hold up the
 * program's end for long.
 */
CPROF__NOINSTR void cprof__stop(enum cprof__end_reason why, int sig, bool async)
{
	if (!cprof__started || !cprof__log_is_ours() ||
	    atomic_exchange(&stopping, 1))
		return;
	atomic_store(&cprof__rt.finished, 1);
	if (async) {
		if (!cprof__wlock_try(2000)) {
			atomic_store(&stopped, 1);
			return;
		}
	} else {
		cprof__writer_stop();
		cprof__wlock();
	}
	/* Under the writer lock: the writer closes the groups of ended threads.
	 */
	cprof__counters_disable_all();
	if (cprof__log_fd() >= 0 && atomic_load(&cprof__rt.on)) {
		cprof__drain_all(async);
		cprof__log_end(why, sig);
	}
	cprof__log_flush();
	cprof__wunlock();
	atomic_store(&stopped, 1);
}

static CPROF__NOINSTR void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	(void)uc;
	if (!cprof__log_is_ours()) {
		/* A vfork() child: the log is the parent's. */
	} else if (!atomic_load(&stopping)) {
		cprof__stop(CPROF__END_SIGNAL, sig, true);
	} else {
		/* Another thread is writing the end: let it finish (2 s). */
		for (int i = 0; i < 2000 && !atomic_load(&stopped); i++) {
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}

	/* Die the way the program would have died without us. */
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	errno = saved;
	if (si && si->si_code > 0 &&
	    (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE))
		return; /* the faulting instruction runs again and kills */
	raise(sig);
}

static CPROF__NOINSTR void install_signal_handlers(void)
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]);
	     i++) {
		struct sigaction old,
			sa = {.sa_sigaction = on_fatal_signal,
			      .sa_flags = SA_SIGINFO | SA_ONSTACK};

		/* A signal the program ignores or handles stays as it is. */
		if (sigaction(fatal_signals[i], NULL, &old) != 0 ||
		    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		sigfillset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

/* fork(): the child records into a log of its own. */

static CPROF__NOINSTR void before_fork(void)
{
	if (cprof__started && !atomic_load(&cprof__rt.finished))
		cprof__wlock();
}

static CPROF__NOINSTR void after_fork_parent(void)
{
	if (cprof__started && !atomic_load(&cprof__rt.finished))
		cprof__wunlock();
}

static CPROF__NOINSTR void after_fork_child(void)
{
	struct cprof__thread *me = cprof__tls_get();
	struct cprof__thread *t;
	int err;

	if (!cprof__started || atomic_load(&cprof__rt.finished))
		return;
	cprof__writer_forget();
	/*
	 * The parent writes what its rings hold. Here only the forking
	 * thread exists: the other rings become free, and this thread's ring
	 * starts empty, with a new start time at the fork.
	 */
	for (t = atomic_load(&cprof__threads); t; t = t->next) {
		uint64_t head = atomic_load(&t->head);

		/* The counters are the parent's threads', not ours. */
		cprof__counters_close(t);
		atomic_store(&t->tail, head);
		t->lost = 0;
		t->announced = false;
		if (t != me)
			atomic_store(&t->state, CPROF__T_FREE);
	}
	if (me) {
		me->limit = atomic_load(&me->head) + CPROF__RING_CAP / 2;
		me->reserve = atomic_load(&me->head);
		me->nest = 0;
		me->tid = (pid_t)syscall(SYS_gettid);
		me->start_tick = cprof__ticks() & CPROF__TICK_MASK;
		cprof__counters_open(me);
	}
	cprof__log_drop();
	if (!atomic_load(&cprof__rt.on))
		return;
	err = cprof__log_open(cprof__rt.dir);
	if (err == 0)
		err = cprof__writer_start();
	if (err) {
		atomic_store(&cprof__rt.on, 0);
		cprof__warn("cannot record the fork child in", cprof__rt.dir,
			    -err, NULL);
	}
}

/* Start and stop with the process. */

CPROF__NOINSTR int cprof__start(const char *dir, unsigned flush_ms)
{
	int err;

	if (cprof__started)
		return 0;
	if (strlen(dir) >= sizeof(cprof__rt.dir))
		return -ENAMETOOLONG;
	strcpy(cprof__rt.dir, dir);
	cprof__rt.flush_ms = flush_ms ? flush_ms : 100;
	if (pthread_key_create(&thread_key, thread_detach) != 0)
		return -EAGAIN;
	cprof__counters_config();
	cprof__shadow_note_stack();
	err = cprof__log_open(dir);
	if (err) {
		cprof__warn("cannot create a log in", dir, -err,
			    "profiling is off, the program runs unprofiled");
		atomic_store(&initialized, 1);
		return err;
	}
	atomic_store(&cprof__rt.on, 1);
	err = cprof__writer_start();
	if (err) {
		atomic_store(&cprof__rt.on, 0);
		cprof__log_close();
		atomic_store(&initialized, 1);
		return err;
	}
	cprof__started = true;
	atomic_store(&initialized, 1);
	/*
	 * With counters, every thread is counted from its start, whether it
	 * ever reaches a marker or not: this one now, the others from the
	 * pthread_create() wrapper.
	 */
	if (cprof__ctr.nev)
		cprof__thread_attach();
	if (!hooks_installed) {
		pthread_atfork(before_fork, after_fork_parent,
			       after_fork_child);
		install_signal_handlers();
		hooks_installed = true;
	}
	atomic_store(&initialized, 1);
	return 0;
}

static CPROF__NOINSTR unsigned env_flush_ms(void)
{
	const char *s = getenv("CPROF_FLUSH_MS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 100;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 3600000) {
		cprof__warn("ignoring bad CPROF_FLUSH_MS", s, 0,
			    "using 100 ms");
		return 100;
	}
	return (unsigned)v;
}

__attribute__((constructor(101))) static CPROF__NOINSTR void cprof_init(void)
{
	const char *dir = getenv("CPROF_DIR");

	if (dir && *dir)
		cprof__start(dir, env_flush_ms());
	atomic_store(&initialized, 1);
}

__attribute__((destructor(101))) static CPROF__NOINSTR void cprof_fini(void)
{
	cprof__stop(CPROF__END_EXIT, 0, false);
}

/* The public API off the hot path. */

CPROF_EXTERN const char *cprof_version(void)
{
	return CPROF_VERSION_STRING;
}

CPROF_EXTERN const char *cprof_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define CPROF_STRERROR_GEN_(name, msg) \
	case CPROF_E##name:            \
		return msg;
		CPROF_ERRNO_MAP(CPROF_STRERROR_GEN_)
#undef CPROF_STRERROR_GEN_
	default:
		return "unknown cprof error";
	}
}

CPROF_EXTERN int cprof_active(void)
{
	return cprof__started && atomic_load(&cprof__rt.on) &&
	       !atomic_load(&cprof__rt.finished);
}

CPROF_EXTERN int cprof_flush(void)
{
	if (!cprof_active())
		return CPROF_EINACTIVE;
	cprof__wlock();
	cprof__drain_all(false);
	cprof__log_flush();
	cprof__wunlock();
	return atomic_load(&cprof__rt.on) ? 0 : CPROF_EIO;
}
