/*
 * wrap.c - the C library functions the runtime interposes, kept apart from
 * the hot path and from the runtime's own life cycle: the ways out of a
 * process that skip the destructors (_exit), the exec family (the log is
 * ended before the image goes), dlclose (events are written while their
 * object is still mapped) and pthread_create (threads counted from their
 * first instruction).
 *
 * Each wrapper finds the C library's own function with dlsym(RTLD_NEXT)
 * and leaves the program's view of the call unchanged: same arguments,
 * same return value, same errno.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/*
 * _exit() skips the destructors: a fork() child that ends with it would
 * lose what it recorded since the last flush.
 */
typedef void (*exit_fn)(int);

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void _exit(int status)
{
	static exit_fn real;

	cprof__stop(CPROF__END_EXIT, 0, true);
	if (!real)
		real = (exit_fn)dlsym(RTLD_NEXT, "_exit");
	real(status);
	__builtin_unreachable();
}

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void _Exit(int status)
{
	_exit(status);
}

/*
 * exec: the new image starts a log of its own (it inherits CPROF_DIR and
 * LD_PRELOAD), so this one is finished first with an "exec" end record.
 * If exec fails the process goes on and so does its log.
 */
static CPROF__NOINSTR void before_exec(void)
{
	/*
	 * A vfork() child runs in its parent's memory: the log, the rings and
	 * the writer are the parent's, and must not be touched.
	 */
	if (!cprof__started || atomic_load(&cprof__rt.finished) ||
	    !cprof__log_is_ours())
		return;
	cprof__wlock();
	if (atomic_load(&cprof__rt.on)) {
		cprof__drain_all(false);
		cprof__log_end(CPROF__END_EXEC, 0);
		cprof__log_flush();
	}
	cprof__wunlock();
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execvpe_fn)(const char *, char *const[], char *const[]);

CPROF_EXTERN CPROF__NOINSTR int execve(const char *path, char *const argv[],
				       char *const envp[])
{
	static execve_fn real;

	if (!real)
		real = (execve_fn)dlsym(RTLD_NEXT, "execve");
	before_exec();
	return real(path, argv, envp);
}

CPROF_EXTERN CPROF__NOINSTR int execvpe(const char *file, char *const argv[],
					char *const envp[])
{
	static execvpe_fn real;

	if (!real)
		real = (execvpe_fn)dlsym(RTLD_NEXT, "execvpe");
	before_exec();
	return real(file, argv, envp);
}

CPROF_EXTERN CPROF__NOINSTR int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

CPROF_EXTERN CPROF__NOINSTR int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* The execl family takes a NULL-terminated list: collect it on the stack. */
#define COLLECT_ARGS(first, ap, argv, extra)   \
	size_t argc_ = 1;                      \
	va_start(ap, first);                   \
	while (va_arg(ap, char *))             \
		argc_++;                       \
	va_end(ap);                            \
	char *argv[argc_ + 1];                 \
	va_start(ap, first);                   \
	argv[0] = (char *)(first);             \
	for (size_t i_ = 1; i_ <= argc_; i_++) \
		argv[i_] = va_arg(ap, char *); \
	extra;                                 \
	va_end(ap)

CPROF_EXTERN CPROF__NOINSTR int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execve(path, argv, environ);
}

CPROF_EXTERN CPROF__NOINSTR int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execvpe(file, argv, environ);
}

CPROF_EXTERN CPROF__NOINSTR int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;

	COLLECT_ARGS(arg, ap, argv, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/*
 * dlclose: the events recorded so far may hold addresses in the object
 * about to go, and a later dlopen may reuse them. Write them out (after a
 * map that still has the object) before it is unloaded. dlopen needs no
 * wrapper, and must not have one: glibc finds the caller's search path from
 * its return address. The writer writes a new map before the events of
 * its next drain.
 */
typedef int (*dlclose_fn)(void *);

CPROF_EXTERN CPROF__NOINSTR int dlclose(void *handle)
{
	static dlclose_fn real;

	if (!real)
		real = (dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
	if (cprof__started && !atomic_load(&cprof__rt.finished) &&
	    cprof__log_is_ours()) {
		cprof__wlock();
		if (atomic_load(&cprof__rt.on)) {
			cprof__drain_all(false);
			cprof__log_flush();
		}
		cprof__wunlock();
	}
	return real(handle);
}

/*
 * pthread_create: with counters on, a new thread opens its counter group
 * before it runs the program's start routine, so threads that never reach
 * a marker are counted (and sampled) too.
 */
typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *,
				 void *(*)(void *), void *);

struct start {
	void *(*fn)(void *);
	void *arg;
};

static CPROF__NOINSTR void *start_counted(void *p)
{
	struct start st = *(struct start *)p;

	free(p);
	if (!cprof__tls_get())
		cprof__thread_attach();
	return st.fn(st.arg);
}

CPROF__NOINSTR int cprof__real_pthread_create(pthread_t *th,
					      const pthread_attr_t *attr,
					      void *(*fn)(void *), void *arg)
{
	static pthread_create_fn real;

	if (!real)
		real = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	if (!real)
		return EAGAIN;
	return real(th, attr, fn, arg);
}

CPROF_EXTERN CPROF__NOINSTR int pthread_create(pthread_t *th,
					       const pthread_attr_t *attr,
					       void *(*fn)(void *), void *arg)
{
	struct start *st;
	int err;

	if (!cprof__started || !cprof__ctr.nev || cprof__creating_writer ||
	    atomic_load(&cprof__rt.finished))
		return cprof__real_pthread_create(th, attr, fn, arg);
	st = malloc(sizeof(*st));
	if (!st)
		return cprof__real_pthread_create(th, attr, fn, arg);
	st->fn = fn;
	st->arg = arg;
	err = cprof__real_pthread_create(th, attr, start_counted, st);
	if (err)
		free(st);
	return err;
}

/*
 * Signals: the runtime's fatal-signal handlers are invisible to the
 * program.
 *
 * The runtime catches the terminating signals the program leaves at their
 * default action, to end its log before the process dies. The program must
 * not be able to tell: a query of such a signal answers what the kernel
 * held before the runtime took it (SIG_DFL, with the same flags and mask),
 * a handler the program installs replaces the runtime's for good (the
 * program's handler runs exactly as it asked, with nothing chained in
 * front of it, so the log of a program that dies by a signal it handles
 * itself ends without an end record), and a handler that chains to what
 * it replaced finds SIG_DFL and dies by the signal as it would without
 * cprof. When the program sets SIG_DFL again the runtime takes the signal
 * back, so that a handler that restores the default and re-raises still
 * ends the log.
 *
 * Every C library function that sets an action is wrapped (sigaction,
 * signal and its BSD and System V forms, sigset, sigignore, siginterrupt):
 * the C library's functions call its internal sigaction, which no
 * interposition reaches. While the runtime holds a signal, each wrapper
 * first puts back the kernel's exact former action (the raw kernel
 * struct, saved when the runtime took the signal), lets the C library do
 * its work, and then takes the signal back if it is at SIG_DFL again: what
 * the program's call sees and leaves behind is what it would have been.
 * A raw rt_sigaction system call, and /proc/PID/status (SigCgt), still
 * show the runtime's handler: that cannot be hidden.
 */
#include <signal.h>
#include <sys/syscall.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*handler_fn)(int, sighandler_t);
typedef int (*sigint_fn)(int, int);

/* The kernel's struct sigaction is at most this big on any architecture. */
#define KSIGACTION_MAX 64

static struct {
	bool active; /* the runtime's handlers are installed */
	pid_t pid;   /* the process they were installed in */
	void (*handler)(int, siginfo_t *, void *);
	bool managed[NSIG]; /* a signal the runtime wants to catch */
	bool owned[NSIG];   /* the runtime's handler is in the kernel */
	struct sigaction shown[NSIG]; /* what a query answers then */
	/* The same, as the kernel held it, to put back byte for byte. */
	unsigned char kshown[NSIG][KSIGACTION_MAX];
} hid;

static sigaction_fn real_sigaction_p;

static CPROF__NOINSTR void *next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

CPROF__NOINSTR int cprof__real_sigaction(int sig, const struct sigaction *act,
					 struct sigaction *old)
{
	if (!real_sigaction_p)
		real_sigaction_p = (sigaction_fn)next_fn("sigaction");
	return real_sigaction_p(sig, act, old);
}

static CPROF__NOINSTR long raw_sigaction(int sig, const void *act, void *old)
{
	return syscall(SYS_rt_sigaction, sig, act, old, (size_t)(_NSIG / 8));
}

/*
 * The wrappers act only on the runtime's signals, in the process that
 * installed them: a vfork() child shares our memory but not the parent's
 * actions, and must not change what the parent's table says.
 */
static CPROF__NOINSTR bool hid_applies(int sig)
{
	return hid.active && sig > 0 && sig < NSIG && hid.managed[sig] &&
	       getpid() == hid.pid;
}

/*
 * Serialise the wrappers of all threads. A lock word holding the owner's
 * thread id rather than a mutex: a signal handler that interrupts a
 * wrapper and calls another on the same thread goes on without the lock
 * (and no signal is blocked meanwhile: sigset() reports the mask it finds,
 * which must be the program's).
 */
static _Atomic pid_t hid_owner;

static CPROF__NOINSTR bool hid_enter(void)
{
	pid_t me = (pid_t)syscall(SYS_gettid);

	for (;;) {
		pid_t expect = 0;

		if (atomic_compare_exchange_weak(&hid_owner, &expect, me))
			return true;
		if (expect == me)
			return false;
		sched_yield();
	}
}

static CPROF__NOINSTR void hid_leave(bool locked)
{
	if (locked)
		atomic_store(&hid_owner, 0);
}

/* Install the runtime's handler on SIG, which is at its default action. */
static CPROF__NOINSTR void take(int sig, const struct sigaction *cur)
{
	struct sigaction sa = {.sa_sigaction = hid.handler,
			       .sa_flags = SA_SIGINFO};

	/*
	 * No SA_ONSTACK: the handler runs where the kernel would deliver a
	 * signal with no alternate stack, and never on one the program set up
	 * for its own handlers.
	 */
	sigfillset(&sa.sa_mask);
	if (raw_sigaction(sig, NULL, hid.kshown[sig]) != 0)
		return;
	hid.shown[sig] = *cur;
	if (cprof__real_sigaction(sig, &sa, NULL) == 0)
		hid.owned[sig] = true;
}

/*
 * After a call of the program changed SIG's action: the runtime holds the
 * signal again if the program left it at SIG_DFL while the runtime still
 * records, and not otherwise.
 */
static CPROF__NOINSTR void settle(int sig)
{
	struct sigaction cur;

	hid.owned[sig] = false;
	if (atomic_load(&cprof__rt.finished) ||
	    cprof__real_sigaction(sig, NULL, &cur) != 0)
		return;
	if (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL)
		take(sig, &cur);
}

/* Before a call that sets SIG's action: the kernel's own action back. */
static CPROF__NOINSTR void give_back(int sig)
{
	if (hid.owned[sig])
		raw_sigaction(sig, hid.kshown[sig], NULL);
	hid.owned[sig] = false;
}

/* A fork() child has the parent's actions, and the table is its own. */
static CPROF__NOINSTR void hid_forked(void)
{
	hid.pid = getpid();
}

CPROF__NOINSTR void cprof__signals_hook(void (*handler)(int, siginfo_t *,
							void *),
					const int *sigs, size_t n)
{
	bool locked;

	/* Resolved now: dlsym is not async-signal-safe, a wrapper may be. */
	cprof__real_sigaction(0, NULL, NULL);
	locked = hid_enter();
	hid.handler = handler;
	hid.pid = getpid();
	for (size_t i = 0; i < n; i++) {
		struct sigaction cur;

		hid.managed[sigs[i]] = true;
		/* A signal the program ignores or handles stays as it is. */
		if (cprof__real_sigaction(sigs[i], NULL, &cur) == 0 &&
		    !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL)
			take(sigs[i], &cur);
	}
	if (!hid.active)
		pthread_atfork(NULL, NULL, hid_forked);
	hid.active = true;
	hid_leave(locked);
}

CPROF__NOINSTR void cprof__signal_release(int sig)
{
	/*
	 * From the runtime's handler, about to let the signal kill: no lock,
	 * since a wrapper of another thread may hold it while this thread
	 * dies; the table is only read by this process from now on.
	 */
	if (sig > 0 && sig < NSIG && hid.owned[sig]) {
		hid.owned[sig] = false;
		raw_sigaction(sig, hid.kshown[sig], NULL);
	} else {
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		sigemptyset(&dfl.sa_mask);
		cprof__real_sigaction(sig, &dfl, NULL);
	}
}

CPROF_EXTERN CPROF__NOINSTR int sigaction(int sig, const struct sigaction *act,
					  struct sigaction *old)
{
	struct sigaction a, shown;
	bool locked;
	bool was;
	int r, err;

	if (!hid_applies(sig))
		return cprof__real_sigaction(sig, act, old);
	locked = hid_enter();
	was = hid.owned[sig];
	shown = hid.shown[sig];
	if (!act) {
		r = was ? 0 : cprof__real_sigaction(sig, NULL, old);
		err = errno;
		if (was && old)
			*old = shown;
		hid_leave(locked);
		errno = err;
		return r;
	}
	a = *act; /* ACT and OLD may be the same struct */
	give_back(sig);
	r = cprof__real_sigaction(sig, &a, old);
	err = errno;
	settle(sig);
	hid_leave(locked);
	errno = err;
	return r;
}

/*
 * The functions that set an action and return the former handler: they
 * differ only in the flags they give, which the C library decides.
 */
static CPROF__NOINSTR sighandler_t wrap_handler(handler_fn *real,
						const char *name, int sig,
						sighandler_t h)
{
	bool locked;
	sighandler_t r;
	int err;

	if (!*real)
		*real = (handler_fn)next_fn(name);
	if (!*real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	if (!hid_applies(sig))
		return (*real)(sig, h);
	locked = hid_enter();
	give_back(sig);
	r = (*real)(sig, h);
	err = errno;
	settle(sig);
	hid_leave(locked);
	errno = err;
	return r;
}

CPROF_EXTERN CPROF__NOINSTR sighandler_t signal(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "signal", sig, h);
}

CPROF_EXTERN CPROF__NOINSTR sighandler_t bsd_signal(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "bsd_signal", sig, h);
}

CPROF_EXTERN CPROF__NOINSTR sighandler_t ssignal(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "ssignal", sig, h);
}

CPROF_EXTERN CPROF__NOINSTR sighandler_t sysv_signal(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "sysv_signal", sig, h);
}

/* What signal() is in a program built for strict ISO C or X/Open. */
CPROF_EXTERN CPROF__NOINSTR sighandler_t __sysv_signal(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "__sysv_signal", sig, h);
}

CPROF_EXTERN CPROF__NOINSTR sighandler_t sigset(int sig, sighandler_t h)
{
	static handler_fn real;

	return wrap_handler(&real, "sigset", sig, h);
}

/* sigignore and siginterrupt return an int but work the same way. */
static CPROF__NOINSTR int wrap_int(sigint_fn *real, const char *name, int sig,
				   int arg)
{
	bool locked;
	int r, err;

	if (!*real)
		*real = (sigint_fn)next_fn(name);
	if (!*real) {
		errno = ENOSYS;
		return -1;
	}
	if (!hid_applies(sig))
		return (*real)(sig, arg);
	locked = hid_enter();
	give_back(sig);
	r = (*real)(sig, arg);
	err = errno;
	settle(sig);
	hid_leave(locked);
	errno = err;
	return r;
}

static CPROF__NOINSTR int sigignore_1(int sig, int unused)
{
	typedef int (*fn)(int);
	static fn real;

	(void)unused;
	if (!real)
		real = (fn)next_fn("sigignore");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(sig);
}

CPROF_EXTERN CPROF__NOINSTR int sigignore(int sig)
{
	sigint_fn real = sigignore_1;

	return wrap_int(&real, "sigignore", sig, 0);
}

CPROF_EXTERN CPROF__NOINSTR int siginterrupt(int sig, int flag)
{
	static sigint_fn real;

	return wrap_int(&real, "siginterrupt", sig, flag);
}
