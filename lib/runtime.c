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
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

/* Linux's numbers, for C libraries whose headers predate them. */
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct cprof__runtime cprof__rt;
bool cprof__creating_writer;
_Atomic(struct cprof__thread *) cprof__threads;

static pthread_key_t thread_key;
static _Atomic int initialized; /* the constructor has run */
_Atomic bool cprof__started;	/* cprof__start succeeded once */
static bool hooks_installed;

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

/*
 * The runtime's own memory and the program's counters.
 *
 * With counters on, every page the runtime writes on a program thread
 * (its ring, exact mode's value rows, its descriptor) is present and
 * writable before the thread's events reach it: a first touch inside a
 * program frame would count a page fault, and its kernel time, cache and
 * TLB misses, against the program's function. The descriptor and the
 * start of the ring are populated before the thread's counters are
 * enabled; the rest, on the ring's first pass, from record()'s slow path
 * (cprof__ring_grow), whose cost is the runtime's own. Populating whole
 * rings at once would cost 512 KiB (plus 256 KiB per exact-mode counter)
 * of resident memory for every thread, even one that records a few
 * events. Without counters, where no count can be wrong, rings are
 * touched as they fill.
 *
 * A ring and its values are wiped on fork() (MADV_WIPEONFORK): the parent
 * keeps its pages without copy-on-write faults, and the child's forking
 * thread, whose ring starts empty, gets fresh pages populated before its
 * new counters start (after_fork_child); the rings of threads the child
 * does not have are populated when a new thread takes them.
 */
static CPROF__NOINSTR void populate(void *p, size_t len)
{
	static long page;
	volatile unsigned char *c = p;

	if (p == NULL || len == 0)
		return;
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
		return;
	/*
	 * Older kernels (before 5.14): write each page, without changing
	 * what it holds (an atomic add of 0 is one write fault, not a read
	 * fault on the zero page and a second one to copy it).
	 */
	if (page == 0)
		page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += (size_t)page)
		__atomic_fetch_add(&c[off], 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c[len - 1], 0, __ATOMIC_RELAXED);
}

/* Bytes of exact mode's value rows of a thread. */
static CPROF__NOINSTR size_t cvals_size(void)
{
	return CPROF__RING_CAP * (size_t)cprof__ctr.nev * sizeof(uint64_t);
}

/* Map what the runtime owns for the thread of T, wiped on fork(). */
static CPROF__NOINSTR void *map_owned(size_t size)
{
	void *p = map_pages(size);

	if (p)
		madvise(p, size, MADV_WIPEONFORK);
	return p;
}

/*
 * Make slots [FROM, TO) of T's ring present, with their rows of values in
 * exact mode, and keep the slow path's limit inside them (signal handlers
 * may store CPROF__RING_SLACK events past it).
 */
static CPROF__NOINSTR void populate_slots(struct cprof__thread *t,
					  uint64_t from, uint64_t to)
{
	size_t row = (size_t)cprof__ctr.nev * sizeof(uint64_t);

	if (to > from) {
		populate(t->ring + from,
			 (size_t)(to - from) * sizeof(struct cprof__rec));
		if (t->cvals)
			populate((char *)t->cvals + from * row,
				 (size_t)(to - from) * row);
	}
	if (t->populated < to)
		t->populated = to;
	if (to < CPROF__RING_CAP && t->limit > to - CPROF__RING_SLACK)
		t->limit = to - CPROF__RING_SLACK;
}

/*
 * A thread's ring starts with this many slots present (16 KiB, and 8 KiB
 * of values per exact-mode counter), doubled from the slow path on its
 * first pass: a thread that records little keeps little resident.
 */
#define POPULATE_FIRST 1024

CPROF__NOINSTR void cprof__ring_grow(struct cprof__thread *t)
{
	uint64_t from = t->populated, to = 2 * from;

	if (to < POPULATE_FIRST)
		to = POPULATE_FIRST;
	if (to > CPROF__RING_CAP)
		to = CPROF__RING_CAP;
	populate_slots(t, from, to);
}

/*
 * Make T's memory present before its counters start (see populate()):
 * its descriptor, and the start of its ring, or all of it when the ring
 * does not start at its first slot (a fork child's).
 */
static CPROF__NOINSTR void populate_thread(struct cprof__thread *t)
{
	t->populated = CPROF__RING_CAP;
	if (cprof__ctr.nev == 0)
		return;
	populate(t, sizeof(*t));
	t->populated = 0;
	populate_slots(t, 0,
		       t->reserve == 0 ? POPULATE_FIRST : CPROF__RING_CAP);
}

/*
 * Threads without the time stamp counter.
 *
 * A thread that disables the counter (prctl PR_SET_TSC, PR_TSC_SIGSEGV)
 * would die of SIGSEGV at its next event, and one in seccomp strict mode
 * is killed by the kernel at the runtime's first system call: the prctl()
 * wrapper (wrap.c) makes such a thread record nothing from then on. The
 * setting is inherited by the threads and fork() children it makes: a
 * thread checks it as it takes a ring, a fork child before it opens a log
 * (whose header reads the counter), and a process at start. Where the
 * counter is read for the process's own end (cprof__stop), it is enabled
 * on the calling thread for that time and disabled again.
 */
enum { TIMED = 0, UNTIMED_TSC, UNTIMED_STRICT };
static __thread int untimed __attribute__((tls_model("initial-exec")));
static __thread struct cprof__thread *untimed_ring
	__attribute__((tls_model("initial-exec")));

/* Whether reading the counter on the calling thread is allowed. */
CPROF__NOINSTR bool cprof__tsc_usable(void)
{
#ifdef PR_GET_TSC
	int v = 0, saved = errno;
	long r = syscall(SYS_prctl, PR_GET_TSC, &v, 0, 0, 0);

	errno = saved;
	if (r == 0 && v == PR_TSC_SIGSEGV)
		return false;
#endif
	return untimed == TIMED;
}

static CPROF__NOINSTR void untimed_warn(void)
{
	static bool warned; /* once: fork children inherit it */

	if (!warned) {
		warned = true;
		cprof__warn(
			"a thread disabled the time stamp counter or entered "
			"seccomp strict mode",
			NULL, 0,
			"it and the threads and processes it starts are not "
			"profiled from then on");
	}
}

/* prctl() wrapper: the calling thread is about to lose the counter. */
CPROF__NOINSTR void cprof__untimed_thread(bool strict)
{
	untimed_ring = cprof__tls_get();
	untimed = strict ? UNTIMED_STRICT : UNTIMED_TSC;
	cprof__tls_disable();
	/*
	 * In strict mode the warning could not be given: it opens the run
	 * directory's warnings file, and the kernel kills a thread in strict
	 * mode at any call but read, write and exit. Given before, then.
	 */
	if (strict)
		untimed_warn();
}

/* The prctl() call failed: the thread records as before. */
CPROF__NOINSTR void cprof__untimed_failed(void)
{
	untimed = TIMED;
	if (untimed_ring)
		cprof__tls_set(untimed_ring);
}

/* The prctl() call succeeded. */
CPROF__NOINSTR void cprof__untimed_done(void)
{
	if (untimed != UNTIMED_STRICT)
		untimed_warn();
}

/* The time of T's last event (T's thread cannot read the counter now). */
static CPROF__NOINSTR uint64_t last_tick(struct cprof__thread *t)
{
	uint64_t head = atomic_load(&t->head);

	if (head == 0)
		return t->start_tick;
	return t->ring[(head - 1) & (CPROF__RING_CAP - 1)].tick &
	       CPROF__TICK_MASK;
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
	if (!cprof__tsc_usable()) {
		cprof__tls_disable(); /* made by a thread without the counter */
		return NULL;
	}
	for (t = atomic_load(&cprof__threads); t; t = t->next) {
		int expect = CPROF__T_FREE;

		if (atomic_compare_exchange_strong(&t->state, &expect,
						   CPROF__T_CLAIMED))
			goto claimed;
	}
	t = map_pages(sizeof(*t));
	if (t)
		t->ring =
			map_owned(CPROF__RING_CAP * sizeof(struct cprof__rec));
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
	t->stuck = 0;
	t->exit_rounds = 0;
	t->announced = false;
	t->tid = (pid_t)syscall(SYS_gettid);
	t->start_tick = cprof__ticks() & CPROF__TICK_MASK;
	t->end_tick = 0;
	/*
	 * Everything the thread's events will write is in place before its
	 * counters start: the values' rows, every page present, and the
	 * C library's thread-specific slot.
	 */
	if (cprof__ctr.exact && cprof__ctr.nev && !t->cvals)
		t->cvals = map_owned(cvals_size());
	populate_thread(t);
	memset(t->cown, 0, sizeof(t->cown));
	pthread_setspecific(thread_key, t);
	cprof__counters_open(t);
	if (cprof__ctr.exact && !t->cvals)
		cprof__counters_close(t); /* no room for values: no counts */

	/*
	 * No alternate signal stack: the thread's stacks are the program's,
	 * and one of ours would run the program's SA_ONSTACK handlers. A
	 * stack overflow then kills the thread before the runtime's handler
	 * can run, and the log keeps what the last timed flush wrote.
	 */
	cprof__shadow_attach(t);
	cprof__adapt_attach(t);
	atomic_store_explicit(&t->state, CPROF__T_LIVE, memory_order_release);
	cprof__tls_set(t);
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

	if (++t->exit_rounds < 3) {
		pthread_setspecific(thread_key, t);
		return;
	}
	t->end_tick =
		untimed ? last_tick(t) : cprof__ticks() & CPROF__TICK_MASK;
	cprof__tls_disable();
	atomic_store_explicit(&t->state, CPROF__T_DEAD, memory_order_release);
	cprof__writer_kick();
}

/*
 * The program's threads and the end of the process.
 *
 * glibc ends the process with exit(0) when its last thread ends (main()
 * may leave with pthread_exit() while workers finish), but it counts the
 * writer thread too, so with the runtime on that moment would never come
 * and the process would hang. The runtime therefore counts the program's
 * own threads: the main thread, and every thread made through the
 * pthread_create() wrapper (wrap.c) from the moment the library is
 * loaded, whether it ever records an event or not. A thread counts until
 * the last round of its thread-specific-data destructors, after the
 * program's own; the thread that takes the count to zero calls exit(0),
 * as glibc's last thread would, so the atexit handlers and destructors
 * run (ours writes the log's end) and the status is 0.
 */
#define LIFE_MARK ((void *)1)

static _Atomic long program_threads = 1; /* the main thread */
static pthread_key_t life_key;
static pthread_once_t life_once = PTHREAD_ONCE_INIT;
static bool life_key_ok;
static _Atomic int life_untracked; /* a thread could not be counted */
static __thread int life_rounds __attribute__((tls_model("initial-exec")));

static _Atomic int last_exit_zero; /* see cprof__life_check */
static CPROF__NOINSTR bool leader_gone(void);

/* The destructor of life_key: re-armed twice, like thread_detach. */
static CPROF__NOINSTR void life_end(void *arg)
{
	(void)arg;
	if (++life_rounds < 3) {
		pthread_setspecific(life_key, LIFE_MARK);
		return;
	}
	long left = atomic_fetch_sub(&program_threads, 1) - 1;

	/* Recording is over: nothing to end, no system call to make. */
	if (atomic_load(&cprof__rt.finished))
		return;
	if (left == 0 && cprof__started && !atomic_load(&life_untracked) &&
	    cprof__writer_alive())
		exit(0);
	/*
	 * The main thread left by raw exit before this one: this is the last
	 * program thread, and the C library ends it with exit code 0.
	 */
	if (left == 1 && cprof__started && getpid() != syscall(SYS_gettid) &&
	    leader_gone())
		atomic_store(&last_exit_zero, 1);
}

static CPROF__NOINSTR void life_key_create(void)
{
	life_key_ok = pthread_key_create(&life_key, life_end) == 0;
}

CPROF__NOINSTR void cprof__life_thread_new(void)
{
	atomic_fetch_add(&program_threads, 1);
}

CPROF__NOINSTR void cprof__life_thread_failed(void)
{
	atomic_fetch_sub(&program_threads, 1);
}

CPROF__NOINSTR void cprof__life_thread_begin(void)
{
	pthread_once(&life_once, life_key_create);
	if (!life_key_ok || pthread_setspecific(life_key, LIFE_MARK) != 0)
		cprof__life_untracked();
}

/*
 * A program thread the runtime cannot follow to its end: the count can no
 * longer say when the last one ends, so the runtime never ends the
 * process itself (it then ends as it did before: by exit, or not).
 */
CPROF__NOINSTR void cprof__life_untracked(void)
{
	if (!atomic_exchange(&life_untracked, 1))
		cprof__warn("cannot follow the program's threads", NULL, 0,
			    "if main() leaves with pthread_exit() the "
			    "process may not end by itself");
}

CPROF__NOINSTR bool cprof__quiet(void)
{
	const char *q = getenv(CPROF_ENV_QUIET);

	return q && strcmp(q, "1") == 0;
}

CPROF__NOINSTR bool cprof__runtime_off(void)
{
	return atomic_load(&initialized) && !cprof__started;
}

/*
 * Threads that leave by the raw exit system call (syscall(SYS_exit), a
 * thread in seccomp strict mode, which can leave no other way, or one the
 * kernel kills alone) run no destructor and are never counted out. Once
 * none is left, the kernel would end the process, with the status of the
 * last thread to leave. The writer looks each flush interval at
 * /proc/self/stat, through a descriptor opened with the log (high, and
 * checked to be still its own before each read): when the main thread
 * (the thread group leader) is a zombie and the writer is the only other
 * thread, it writes the log's end and ends the process with that status
 * (see cprof__life_check): an exit code by exit_group, or a signal
 * (SIGKILL for seccomp strict mode) raised on the writer with the default
 * action. No atexit handler runs, as none would have.
 */
/*
 * Opened by the starting thread after the writer runs, read by the writer
 * and by threads checking the leader: an atomic, stored after stat_dev
 * and stat_ino, which a reader reads only once it has seen the number.
 */
static _Atomic int stat_fd = -1;
static dev_t stat_dev;
static ino_t stat_ino;
/*
 * Under a small descriptor limit (below STAT_KEEP_MIN) a kept descriptor
 * would take one of the program's last numbers (at limit 5, its only one
 * past the log): the file is then opened for each check and closed at
 * once (a transient descriptor, and /proc must stay reachable: after a
 * chroot without /proc the raw-exit watch stops).
 */
#define STAT_KEEP_MIN 64
static atomic_bool stat_transient;

/*
 * In a fork child: the descriptor is the parent's stat file; closed while
 * it is still that file (the number may be the program's now).
 */
static CPROF__NOINSTR void life_stat_drop(void)
{
	struct stat st;

	if (stat_fd >= 0 && fstat(stat_fd, &st) == 0 && st.st_dev == stat_dev &&
	    st.st_ino == stat_ino)
		close(stat_fd);
	stat_fd = -1;
}

static CPROF__NOINSTR void life_stat_open(void)
{
	struct stat st;
	long lim = cprof__fd_limit();
	int fd;

	stat_fd = -1;
	atomic_store(&stat_transient, lim >= 0 && lim < STAT_KEEP_MIN);
	if (atomic_load(&stat_transient))
		return;
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return;
	}
	stat_dev = st.st_dev;
	stat_ino = st.st_ino;
	stat_fd = cprof__fd_high(fd, true);
}

/*
 * Field N (1 is the pid) of /proc/self/stat as read into BUF, parsed
 * after the command name, which may hold spaces and parentheses.
 */
static CPROF__NOINSTR const char *stat_field(const char *buf, int n)
{
	const char *p = strrchr(buf, ')');

	if (!p)
		return NULL;
	p++; /* the space before field 3 */
	for (int i = 3; i < n && p; i++)
		p = strchr(p + 1, ' ');
	return p ? p + 1 : NULL;
}

/* Read /proc/self/stat into BUF (CAP bytes); false when it cannot be. */
static CPROF__NOINSTR bool read_stat(char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int saved = errno, fd = stat_fd;

	if (atomic_load(&stat_transient)) {
		fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : pread(fd, buf, cap - 1, 0);
		if (fd >= 0)
			close(fd);
		errno = saved;
		if (n <= 0)
			return false;
		buf[n] = '\0';
		return true;
	}
	if (fd < 0)
		return false;
	/* The program closed or replaced it: never read nor closed again. */
	if (fstat(fd, &st) != 0 || st.st_dev != stat_dev ||
	    st.st_ino != stat_ino) {
		stat_fd = -1;
		errno = saved;
		return false;
	}
	n = pread(fd, buf, cap - 1, 0);
	errno = saved;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* The main thread (the thread group leader) has left: a zombie. */
static CPROF__NOINSTR bool leader_gone(void)
{
	char buf[1024];
	const char *f;

	return read_stat(buf, sizeof(buf)) && (f = stat_field(buf, 3)) &&
	       *f == 'Z';
}

CPROF__NOINSTR void cprof__life_check(void)
{
	char buf[1024];
	const char *f;
	long threads, code;

	if (!read_stat(buf, sizeof(buf)))
		return;
	f = stat_field(buf, 3);
	if (!f || *f != 'Z')
		return; /* the leader runs */
	f = stat_field(buf, 20);
	threads = f ? strtol(f, NULL, 10) : 0;
	/* The zombie leader is counted until the whole group ends. */
	if (threads != 2 || !(f = stat_field(buf, 52)))
		return;
	/*
	 * The kernel gives the status of the last thread to leave. When a
	 * thread of the program ended through the C library after the main
	 * thread had left, that was 0 (last_exit_zero); otherwise the main
	 * thread is taken to be the last, with its own status. (A thread
	 * other than the main one that leaves last by the raw exit system
	 * call with another code gets the main thread's status instead: its
	 * own is not kept anywhere the runtime can read.)
	 */
	code = atomic_load(&last_exit_zero) ? 0 : strtol(f, NULL, 10);
	if (WIFSIGNALED((int)code)) {
		int sig = WTERMSIG((int)code);
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigset_t set;

		cprof__stop(CPROF__END_SIGNAL, sig, true);
		cprof__real_sigaction(sig, &dfl, NULL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
		/* A signal whose default is not to die: status 128 + N. */
		syscall(SYS_exit_group, 128 + sig);
	}
	cprof__stop(CPROF__END_EXIT, 0, true);
	syscall(SYS_exit_group, WEXITSTATUS((int)code));
}

/* Stopping. */

static _Atomic int stopping;
static _Atomic int stopped;
static _Atomic pid_t stopper; /* the thread writing the end */

/*
 * Write the end of the log. Process exit and exec join the writer first.
 * A signal handler or _exit() cannot (pthread_join is not
 * async-signal-safe, and _exit may be called from a handler), so they wait
 * for the writer lock with a timeout instead, and never hold up the
 * program's end for long.
 */
CPROF__NOINSTR void cprof__stop(enum cprof__end_reason why, int sig, bool async)
{
	bool tsc_back = false;

	/* A thread in seccomp strict mode dies at any other system call. */
	if (!cprof__started || untimed == UNTIMED_STRICT ||
	    !cprof__log_is_ours() || atomic_exchange(&stopping, 1))
		return;
	atomic_store(&stopper, (pid_t)syscall(SYS_gettid));
	atomic_store(&cprof__rt.finished, 1);
#ifdef PR_SET_TSC
	if (untimed == UNTIMED_TSC)
		tsc_back = syscall(SYS_prctl, PR_SET_TSC, PR_TSC_ENABLE, 0, 0,
				   0) == 0;
#endif
	if (async) {
		if (!cprof__wlock_try(2000)) {
			atomic_store(&stopped, 1);
			goto out;
		}
	} else {
		if (!cprof__writer_abandon())
			cprof__writer_stop();
		cprof__wlock();
	}
	/* Under the writer lock: the writer closes the groups of ended threads.
	 */
	cprof__counters_disable_all();
	cprof__counters_report();
	if (cprof__log_fd() >= 0 && atomic_load(&cprof__rt.on)) {
		cprof__drain_all(async);
		cprof__log_end(why, sig);
	}
	cprof__log_flush();
	cprof__wunlock();
	atomic_store(&stopped, 1);
out:
#ifdef PR_SET_TSC
	if (tsc_back)
		syscall(SYS_prctl, PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
#else
	(void)tsc_back;
#endif
}

/*
 * A seccomp filter the runtime cannot live under is about to be installed
 * (seccomp.c): everything the log holds is written with an end record
 * saying so, and from then on nothing of the runtime makes a system call
 * in this process. The writer is stopped and joined, the fatal-signal
 * handlers are given back (each would make calls on whatever thread the
 * signal hits), the log and the /proc stat file are closed (a closed log
 * makes every later check answer "not ours" without asking the kernel),
 * and the hooks, wrappers, thread starts and exits see recording over
 * (cprof__rt.on and finished). The program's threads keep their rings,
 * never drained again.
 */
CPROF__NOINSTR void cprof__sandbox_end(const char *why, const char *call)
{
	int fd;

	cprof__warn(why, call, 0,
		    "recording ends before it is installed, the program goes "
		    "on");
	cprof__stop(CPROF__END_SANDBOX, 0, false);
	atomic_store(&cprof__rt.on, 0);
	cprof__tls_disable();
	cprof__signals_unhook();
	cprof__wlock();
	cprof__log_close();
	cprof__wunlock();
	fd = atomic_exchange(&stat_fd, -1);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) == 0 && st.st_dev == stat_dev &&
		    st.st_ino == stat_ino)
			close(fd);
	}
}

static CPROF__NOINSTR void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	sigset_t set;

	(void)uc;
	if (!cprof__log_is_ours()) {
		/* A vfork() child: the log is the parent's. */
	} else if (!atomic_load(&stopping)) {
		cprof__stop(CPROF__END_SIGNAL, sig, true);
	} else if (atomic_load(&stopper) != (pid_t)syscall(SYS_gettid)) {
		/* Another thread is writing the end: let it finish (2 s). */
		for (int i = 0; i < 2000 && !atomic_load(&stopped); i++) {
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	/* Else the signal cut this thread's own end short: nothing to wait. */

	/*
	 * Die the way the program would have died without us: the action it
	 * had (its default) back in the kernel, the signal unblocked for the
	 * raise below. Returning restores the interrupted mask.
	 */
	cprof__signal_release(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	errno = saved;
	if (si && si->si_code > 0 &&
	    (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE))
		return; /* the faulting instruction runs again and kills */
	raise(sig);
}

/* The handlers are hidden from the program by wrap.c. */
static CPROF__NOINSTR void install_signal_handlers(void)
{
	cprof__signals_hook(on_fatal_signal, fatal_signals,
			    sizeof(fatal_signals) / sizeof(fatal_signals[0]));
}

/* fork(): the child records into a log of its own. */

/* Exact mode: the forking thread's counters as fork() began. */
static __thread struct cprof__own fork_own
	__attribute__((tls_model("initial-exec")));
static _Atomic int writer_deferred; /* see after_fork_child */

CPROF__NOINSTR void cprof__writer_undefer(void)
{
	if (atomic_exchange(&writer_deferred, 0) && cprof__log_is_ours() &&
	    atomic_load(&cprof__rt.on) && !atomic_load(&cprof__rt.finished))
		cprof__writer_start();
}

static CPROF__NOINSTR void before_fork(void)
{
	if (cprof__started && !atomic_load(&cprof__rt.finished)) {
		cprof__own_begin(&fork_own);
		cprof__writer_settle();
		cprof__wlock();
	}
}

static CPROF__NOINSTR void after_fork_parent(void)
{
	if (cprof__started && !atomic_load(&cprof__rt.finished)) {
		/*
		 * The rings were not shared with the child (wiped on fork),
		 * but the threads' descriptors were: each would take a
		 * copy-on-write fault at its next event, inside a program
		 * frame. Written here instead (an add of 0 to a word that
		 * is atomic anyway), on the forking thread, whose share is
		 * the runtime's (cprof__own_begin()).
		 */
		for (struct cprof__thread *t = atomic_load(&cprof__threads); t;
		     t = t->next)
			if (atomic_load(&t->state) == CPROF__T_LIVE)
				atomic_fetch_add(&t->drained, 0);
		cprof__own_end(&fork_own);
		cprof__wunlock();
	}
	/*
	 * glibc's daemon() leaves the parent through its own fork() and an
	 * internal _exit() that no wrapper sees: this handler is the last
	 * code of the runtime that runs there. (Should that fork fail,
	 * daemon() returns -1 and the process goes on with its log ended.)
	 */
	if (cprof__in_daemon())
		cprof__stop(CPROF__END_EXIT, 0, false);
}

static CPROF__NOINSTR void after_fork_child(void)
{
	struct cprof__thread *me = cprof__tls_get();
	struct cprof__thread *t;
	int err;

	/* Only the forking thread goes on in the child. */
	atomic_store(&program_threads, 1);
	cprof__sel_forked();
	atomic_store(&writer_deferred, 0);
	cprof__daemon_child();
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
		t->stuck = 0;
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
		memset(me->cown, 0, sizeof(me->cown));
		/* Its counts so far are the parent's to log. */
		cprof__adapt_forget(me);
	}
	cprof__log_drop();
	life_stat_drop();
	if (!atomic_load(&cprof__rt.on))
		return;
	/* Made by a thread without the counter: the log's header reads it. */
	if (!cprof__tsc_usable()) {
		atomic_store(&cprof__rt.on, 0);
		return;
	}
	err = cprof__log_open(cprof__rt.dir);
	/*
	 * A writer thread must get a processor to start and another time to
	 * die, and the child cannot be reaped before: on a loaded machine
	 * that made every fork child milliseconds late (a shell's
	 * subshells). A child whose forking thread records nothing (no ring,
	 * no counters: an uninstrumented shell) starts it only when it makes
	 * a thread (cprof__writer_undefer); until then its thread drains its
	 * own ring when half full, and at its end.
	 */
	if (err == 0 && (me || cprof__ctr.nev))
		err = cprof__writer_start();
	else if (err == 0)
		atomic_store(&writer_deferred, 1);
	if (err == 0)
		life_stat_open();
	if (err) {
		atomic_store(&cprof__rt.on, 0);
		/*
		 * No run directory: the cprof command that made it has
		 * removed it, and told its user this process still ran (a
		 * daemon left behind). Its children stay silent.
		 */
		if (err != -CPROF__E_REFUSED && err != -ENOENT &&
		    !cprof__quiet())
			cprof__warn("cannot record the fork child in",
				    cprof__rt.dir, -err, NULL);
		if (err != -ENOENT)
			cprof__inherit_quiet();
	}
	/*
	 * The thread's counters start last: the new log's header and the
	 * writer thread's stack are the runtime's, and so are the pages of
	 * the ring, wiped by the fork and populated here.
	 */
	if (me) {
		populate_thread(me);
		cprof__counters_open(me);
	}
}

/* Start and stop with the process. */

char cprof__own_hooks[4096];

/*
 * A program (or a library loaded before the runtime) that defines its own
 * __cyg_profile_func_enter/exit takes the compiler's hooks: the runtime
 * never sees a call. Name the object that does, for the report to say so
 * rather than blame the build. The symbol's object is compared with the
 * runtime's own, as a libcprof linked statically into the program is the
 * program's and is not foreign.
 */
static CPROF__NOINSTR void find_own_hooks(void)
{
	static const char *const names[] = {"__cyg_profile_func_enter",
					    "__cyg_profile_func_exit"};
	Dl_info self, other;

	cprof__own_hooks[0] = '\0';
	if (!dladdr((void *)cprof__start, &self))
		return;
	for (size_t i = 0; i < 2; i++) {
		void *f = dlsym(RTLD_DEFAULT, names[i]);
		const char *path;

		if (!f || !dladdr(f, &other) ||
		    other.dli_fbase == self.dli_fbase)
			continue;
		/* The main program has no name of its own in the link map. */
		path = other.dli_fname && *other.dli_fname ? other.dli_fname
							   : "the program";
		if (strlen(path) < sizeof(cprof__own_hooks))
			strcpy(cprof__own_hooks, path);
		return;
	}
}

char cprof__self_path[4096];

/*
 * The runtime's own object as the load map names it, for the report to
 * tell the runtime's samples from the program's. Left empty when the
 * runtime is linked into the main program: its functions cannot be told
 * from the program's by object then.
 */
static CPROF__NOINSTR void find_self(void)
{
	Dl_info self;
	struct link_map *lm = NULL;

	cprof__self_path[0] = '\0';
	if (!dladdr1((void *)cprof__start, &self, (void **)&lm,
		     RTLD_DL_LINKMAP) ||
	    lm == NULL || lm->l_name == NULL || !*lm->l_name ||
	    strlen(lm->l_name) >= sizeof(cprof__self_path))
		return;
	strcpy(cprof__self_path, lm->l_name);
}

static CPROF__NOINSTR void on_quick_exit(void)
{
	cprof__stop(CPROF__END_EXIT, 0, true);
}

CPROF__NOINSTR int cprof__start(const char *dir, unsigned flush_ms)
{
	int err;

	if (cprof__started)
		return 0;
	if (strlen(dir) >= sizeof(cprof__rt.dir))
		return -ENAMETOOLONG;
	strcpy(cprof__rt.dir, dir);
	cprof__rt.flush_ms = flush_ms ? flush_ms : CPROF_FLUSH_MS_DEFAULT;
	if (pthread_key_create(&thread_key, thread_detach) != 0)
		return -EAGAIN;
	cprof__counters_config();
	/*
	 * Whether the cycle counter is a safe clock: said once, and in the
	 * header so that the report says it too.
	 */
	cprof__clock_check();
	if (cprof__clock_note[0] && !cprof__quiet())
		cprof__warn("the cycle counter may not be a safe clock:",
			    cprof__clock_note, 0,
			    "times and the placement of samples may be off");
	/* Before the log's header, which says what is selected. */
	cprof__sel_clock_start();
	cprof__sel_start();
	find_own_hooks();
	cprof__shadow_note_stack();
	find_self();
	if (!cprof__tsc_usable()) {
		cprof__warn("the time stamp counter is disabled in this thread "
			    "(PR_SET_TSC)",
			    NULL, 0,
			    "profiling is off, the program runs unprofiled");
		atomic_store(&initialized, 1);
		return -EPERM;
	}
	/* The cost of a timed call, for the header. */
	cprof__calibrate();
	/* Before the header, which says what it decided. */
	cprof__adapt_config();
	err = cprof__log_open(dir);
	if (err) {
		/*
		 * `cprof stat` (CPROF_TEMP) removes its run directory as it
		 * returns, telling its user which processes still ran: one of
		 * their children that finds it gone stays silent.
		 */
		const char *tmp = getenv(CPROF_ENV_TEMP);
		bool removed = err == -ENOENT && tmp && strcmp(tmp, "1") == 0;

		if (!removed)
			cprof__inherit_quiet(); /* said (or told) once */
		if (err != -CPROF__E_REFUSED && !removed && !cprof__quiet())
			cprof__warn("cannot create a log in", dir, -err,
				    "profiling is off, the program runs "
				    "unprofiled");
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
	life_stat_open();
	atomic_store(&initialized, 1);
	if (!hooks_installed) {
		pthread_atfork(before_fork, after_fork_parent,
			       after_fork_child);
		install_signal_handlers();
		/*
		 * quick_exit() runs its handlers, then glibc's internal
		 * _exit(), which no wrapper sees. Registered first, ours runs
		 * last, after the program's.
		 */
		at_quick_exit(on_quick_exit);
		hooks_installed = true;
	}
	/* XRay sleds of the executable, if any, record from now on. */
	cprof__xray_start();
	/* The main thread counts among the program's threads until it ends. */
	cprof__life_thread_begin();
	atomic_store(&initialized, 1);
	/*
	 * With counters, every thread is counted from its start, whether it
	 * ever reaches a marker or not: this one now, the others from the
	 * pthread_create() wrapper. Last, so that the runtime's own setup
	 * above counts nothing.
	 */
	if (cprof__ctr.nev)
		cprof__calibrate_exact(cprof__thread_attach());
	return 0;
}

static CPROF__NOINSTR unsigned env_flush_ms(void)
{
	const char *s = getenv(CPROF_ENV_FLUSH_MS);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return CPROF_FLUSH_MS_DEFAULT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < CPROF_FLUSH_MS_MIN || v > CPROF_FLUSH_MS_MAX) {
		cprof__warn("ignoring bad CPROF_FLUSH_MS", s, 0,
			    "using 100 ms");
		return CPROF_FLUSH_MS_DEFAULT;
	}
	return (unsigned)v;
}

__attribute__((constructor(101))) static CPROF__NOINSTR void cprof_init(void)
{
	const char *dir = getenv(CPROF_ENV_DIR);

	cprof__warn_setup();
	/*
	 * A set-user-ID or set-group-ID program (or one with file
	 * capabilities) runs with privileges its caller does not have, and
	 * the caller's CPROF_* variables must not make it create files,
	 * sample kernel mode or install handlers: in secure execution the
	 * runtime stays off, as the dynamic loader ignores LD_PRELOAD there.
	 * Every wrapper then passes through.
	 */
	if (getauxval(AT_SECURE))
		dir = NULL;
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
	/* A vfork() child must not write its parent's log. */
	struct cprof__own own;

	if (!cprof_active() || !cprof__log_is_ours())
		return CPROF_EINACTIVE;
	/* The drain is the runtime's work, not the caller's. */
	cprof__own_begin(&own);
	cprof__wlock();
	cprof__drain_all(false);
	cprof__log_flush();
	cprof__wunlock();
	cprof__own_end(&own);
	return atomic_load(&cprof__rt.on) ? 0 : CPROF_EIO;
}
