/*
 * wrap.c - the C library functions the runtime interposes, kept apart from
 * the hot path and from the runtime's own life cycle: the ways out of a
 * process that skip the destructors (_exit, _Exit, abort, daemon's
 * parent), the exec family (the log is ended before the image goes) and
 * posix_spawn (both carry the runtime's variables into an environment the
 * program builds), vfork (the child records nothing), dlclose (events are
 * written while their object is still mapped) and pthread_create (threads
 * counted from their first instruction to their end), and the functions
 * that set signal actions (the runtime's fatal-signal handlers stay
 * invisible to the program), unshare and setns (the writer thread steps
 * aside for the calls that need a single-threaded process), and the
 * non-local exits and stack switches (longjmp and its kin, the catch of a
 * C++ exception, swapcontext and setcontext) that the shadow stack
 * follows.
 *
 * Each wrapper finds the C library's own function with dlsym(RTLD_NEXT)
 * and leaves the program's view of the call unchanged: same arguments,
 * same return value, same errno.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#define CPROF__STR_(x) #x
#define CPROF__STR(x)  CPROF__STR_(x)

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
 * Children started with an environment of their own (execve, execle,
 * execvpe, fexecve, execveat, posix_spawn with an envp, or a program that
 * cleared its environ, as `env -i` does) would run unprofiled. The exec
 * and spawn wrappers carry the runtime's variables into the new
 * environment when they are missing: the CPROF_* settings of the run and
 * the runtime's entries of LD_PRELOAD (libcprof, and a sanitizer runtime
 * before it). Values the program set itself are kept. CPROF_INHERIT=0
 * (`cprof record --no-inherit`) turns this off. The runtime's values are
 * taken at start, before the program can change them; the new envp is
 * built on the stack when small, else in a mapping (see ENV_STACK_MAX).
 */
#define INHERIT_NVARS 15
#define INHERIT_QUIET 7 /* its index: see cprof__inherit_quiet */

static const char *const inherit_names[INHERIT_NVARS] = {
	CPROF_ENV_DIR, CPROF_ENV_FLUSH_MS, CPROF_ENV_EVENTS, CPROF_ENV_SAMPLE,
	CPROF_ENV_EXACT, CPROF_ENV_CALLCHAIN, CPROF_ENV_TEMP, CPROF_ENV_QUIET,
	CPROF_ENV_FILTER, CPROF_ENV_EXCLUDE, CPROF_ENV_MIN_NS,
	/* Adaptive timing (adapt.c). */
	CPROF_ENV_TIME_ALL, CPROF_ENV_ADAPT_NS, CPROF_ENV_ADAPT_WARMUP,
	/* --call-graph=dwarf. */
	CPROF_ENV_DWARF};

static struct {
	bool on;
	const char *vars[INHERIT_NVARS]; /* "NAME=value", NULL when unset */
	const char *preload;		 /* the runtime's LD_PRELOAD entries */
	size_t preload_len;		 /* 0: libcprof was not preloaded */
	char self[4096];		 /* libcprof's path as loaded */
	char text[16384];		 /* the strings above point here */
} inh;

struct child_env {
	size_t n;    /* entries of the program's envp */
	size_t text; /* bytes of the new LD_PRELOAD entry */
	bool add[INHERIT_NVARS];
	bool preload;	   /* LD_PRELOAD is rebuilt */
	const char *their; /* the program's LD_PRELOAD value, or NULL */
};

static CPROF__NOINSTR bool has_prefix(const char *s, const char *name,
				      size_t len)
{
	return strncmp(s, name, len) == 0 && s[len] == '=';
}

/* Whether the LD_PRELOAD entry E (LEN bytes) is libcprof. */
static CPROF__NOINSTR bool is_self(const char *e, size_t len)
{
	const char *base = e;

	if (len == strlen(inh.self) && strncmp(e, inh.self, len) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (e[i] == '/')
			base = e + i + 1;
	return (size_t)(e + len - base) >= strlen(CPROF_RUNTIME_BASENAME) &&
	       strncmp(base, CPROF_RUNTIME_BASENAME,
		       strlen(CPROF_RUNTIME_BASENAME)) == 0;
}

/* Whether the LD_PRELOAD value V holds libcprof. */
static CPROF__NOINSTR bool preload_has_self(const char *v)
{
	while (*v) {
		size_t len = strcspn(v, " :");

		if (len && is_self(v, len))
			return true;
		v += len;
		if (*v)
			v++;
	}
	return false;
}

/*
 * The runtime could not record and said so: the programs this process
 * execs meet the same directory with the same identity, and say nothing
 * more (CPROF_QUIET=1 in their environment). One line per run, not one
 * per process, for a program that drops privileges or runs in a
 * sandbox and then starts many.
 */
CPROF__NOINSTR void cprof__inherit_quiet(void)
{
	static const char quiet[] = CPROF_ENV_QUIET "=1";
	const char *v = getenv(CPROF_ENV_INHERIT);

	if (v && strcmp(v, "0") == 0)
		return;
	inh.vars[INHERIT_QUIET] = quiet;
	inh.on = true;
}

__attribute__((constructor(102))) static CPROF__NOINSTR void inherit_init(void)
{
	const char *v = getenv(CPROF_ENV_INHERIT), *pre = getenv("LD_PRELOAD");
	size_t used = 0;
	Dl_info info;

	if (!cprof__started || (v && strcmp(v, "0") == 0))
		return; /* cprof__inherit_quiet may still turn it on */
	if (dladdr((void *)cprof_version, &info) && info.dli_fname &&
	    strlen(info.dli_fname) < sizeof(inh.self))
		strcpy(inh.self, info.dli_fname);
	for (int i = 0; i < INHERIT_NVARS; i++) {
		const char *val = getenv(inherit_names[i]);
		size_t need;

		if (!val)
			continue;
		need = strlen(inherit_names[i]) + 1 + strlen(val) + 1;
		if (need > sizeof(inh.text) - used)
			continue;
		inh.vars[i] = inh.text + used;
		used += (size_t)sprintf(inh.text + used, "%s=%s",
					inherit_names[i], val) +
			1;
	}
	/* The entries up to libcprof: the ones the CLI put first. */
	for (size_t off = 0; pre && pre[off];) {
		size_t len = strcspn(pre + off, " :");

		if (len && is_self(pre + off, len)) {
			if (off + len < sizeof(inh.text) - used) {
				memcpy(inh.text + used, pre, off + len);
				inh.text[used + off + len] = '\0';
				inh.preload = inh.text + used;
				inh.preload_len = off + len;
			}
			break;
		}
		off += len;
		if (pre[off])
			off++;
	}
	inh.on = true;
}

/*
 * A program started with a CPROF_DIR other than the run's (a nested
 * `cprof stat`/`record`) records into that other run: this one would
 * show it without a word (a process with no events). Said once.
 */
static CPROF__NOINSTR void other_run(const char *e)
{
	static atomic_bool said;

	if (inh.vars[0] && strcmp(e, inh.vars[0]) != 0 &&
	    !atomic_exchange(&said, true))
		cprof__warn("a process of the run starts a program recording "
			    "into another run",
			    e + strlen(CPROF_ENV_DIR) + 1, 0,
			    "a nested cprof? That program's profile is there, "
			    "not in this run");
}

/* What ENVP lacks; false when it lacks nothing (or cannot be rebuilt). */
static CPROF__NOINSTR bool env_need(char *const envp[], struct child_env *ce)
{
	bool any = false;

	if (!inh.on)
		return false;
	memset(ce, 0, sizeof(*ce));
	for (int i = 0; i < INHERIT_NVARS; i++)
		ce->add[i] = inh.vars[i] != NULL;
	for (char *const *e = envp; e && *e; e++) {
		ce->n++;
		if (has_prefix(*e, CPROF_ENV_DIR, strlen(CPROF_ENV_DIR)))
			other_run(*e);
		if (has_prefix(*e, "LD_PRELOAD", 10))
			ce->their = *e + 11;
		for (int i = 0; i < INHERIT_NVARS; i++)
			if (ce->add[i] && has_prefix(*e, inherit_names[i],
						     strlen(inherit_names[i])))
				ce->add[i] = false;
	}
	for (int i = 0; i < INHERIT_NVARS; i++)
		any |= ce->add[i];
	ce->preload =
		inh.preload_len && !(ce->their && preload_has_self(ce->their));
	if (ce->preload)
		ce->text = 11 + inh.preload_len + 1 +
			   (ce->their ? strlen(ce->their) : 0) + 1;
	return any || ce->preload;
}

/* Fill VEC (n + INHERIT_NVARS + 2 entries) and PRE (ce->text bytes). */
static CPROF__NOINSTR char *const *
env_fill(char *const envp[], const struct child_env *ce, char **vec, char *pre)
{
	size_t k = 0;

	for (char *const *e = envp; e && *e; e++)
		if (!ce->preload || !has_prefix(*e, "LD_PRELOAD", 10))
			vec[k++] = *e;
	for (int i = 0; i < INHERIT_NVARS; i++)
		if (ce->add[i])
			vec[k++] = (char *)inh.vars[i];
	if (ce->preload) {
		size_t n = 0;

		memcpy(pre, "LD_PRELOAD=", 11);
		n = 11;
		memcpy(pre + n, inh.preload, inh.preload_len);
		n += inh.preload_len;
		if (ce->their && *ce->their) {
			pre[n++] = ':';
			memcpy(pre + n, ce->their, strlen(ce->their));
			n += strlen(ce->their);
		}
		pre[n] = '\0';
		vec[k++] = pre;
	}
	vec[k] = NULL;
	return vec;
}

/*
 * Where the new environment is built: on the caller's stack only when it
 * is small (ENV_STACK_MAX bytes), since the caller may run on a small
 * stack (a thread of PTHREAD_STACK_MIN, a coroutine, an alternate signal
 * stack); else in a mapping of its own, unmapped when the call returns
 * (exec succeeded: the mapping went with the image). A vfork() child
 * shares its parent's memory, where a mapping would outlive its exec: a
 * large environment is then passed as it is.
 */
#define ENV_STACK_MAX 1024

static CPROF__NOINSTR bool in_vfork_child(void);

static CPROF__NOINSTR size_t env_bytes(const struct child_env *ce)
{
	return (ce->n + INHERIT_NVARS + 2) * sizeof(char *) + ce->text + 1;
}

static CPROF__NOINSTR void *env_map(size_t len)
{
	int saved = errno;
	void *m;

	if (in_vfork_child())
		return NULL;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	errno = saved;
	return m == MAP_FAILED ? NULL : m;
}

static CPROF__NOINSTR void env_unmap(void *m, size_t len)
{
	int saved = errno;

	if (m)
		munmap(m, len);
	errno = saved;
}

static CPROF__NOINSTR char *const *
env_build(char *const envp[], const struct child_env *ce, void *buf)
{
	char **vec = buf;

	if (!buf)
		return envp;
	return env_fill(envp, ce, vec,
			(char *)(vec + ce->n + INHERIT_NVARS + 2));
}

/*
 * Declare OUT: ENVP with what the runtime needs added; ENV_DONE(r) after
 * the call gives the mapping back and returns R.
 */
#define CHILD_ENV(envp, out)                                                  \
	struct child_env ce_;                                                 \
	bool add_ = env_need((envp), &ce_);                                   \
	size_t need_ = add_ ? env_bytes(&ce_) : 0;                            \
	bool small_ = need_ <= ENV_STACK_MAX;                                 \
	void *stk_[small_ ? (need_ + sizeof(void *) - 1) / sizeof(void *) + 1 \
			  : 1];                                               \
	void *map_ = add_ && !small_ ? env_map(need_) : NULL;                 \
	char *const *out =                                                    \
		!add_ ? (envp) : env_build((envp), &ce_, small_ ? stk_ : map_)
#define ENV_DONE(r)                     \
	do {                            \
		int r_ = (r);           \
		env_unmap(map_, need_); \
		return r_;              \
	} while (0)

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
	CHILD_ENV(envp, env);
	before_exec();
	ENV_DONE(real(path, argv, env));
}

CPROF_EXTERN CPROF__NOINSTR int execvpe(const char *file, char *const argv[],
					char *const envp[])
{
	static execvpe_fn real;

	if (!real)
		real = (execvpe_fn)dlsym(RTLD_NEXT, "execvpe");
	CHILD_ENV(envp, env);
	before_exec();
	ENV_DONE(real(file, argv, env));
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

typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[],
			   int);

CPROF_EXTERN CPROF__NOINSTR int fexecve(int fd, char *const argv[],
					char *const envp[])
{
	static fexecve_fn real;

	if (!real)
		real = (fexecve_fn)dlsym(RTLD_NEXT, "fexecve");
	CHILD_ENV(envp, env);
	before_exec();
	ENV_DONE(real(fd, argv, env));
}

CPROF_EXTERN CPROF__NOINSTR int execveat(int dirfd, const char *path,
					 char *const argv[], char *const envp[],
					 int flags)
{
	static execveat_fn real;

	if (!real)
		real = (execveat_fn)dlsym(RTLD_NEXT, "execveat");
	CHILD_ENV(envp, env);
	before_exec();
	/* glibc before 2.34 has no execveat(): the system call is the same. */
	if (!real)
		ENV_DONE((int)syscall(SYS_execveat, dirfd, path, argv, env,
				      flags));
	ENV_DONE(real(dirfd, path, argv, env, flags));
}

/*
 * posix_spawn: the process goes on, and its child runs the C library's
 * own exec, which no wrapper sees: only the environment is completed.
 */
typedef int (*posix_spawn_fn)(pid_t *, const char *,
			      const posix_spawn_file_actions_t *,
			      const posix_spawnattr_t *, char *const[],
			      char *const[]);

CPROF_EXTERN CPROF__NOINSTR int posix_spawn(
	pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	static posix_spawn_fn real;

	if (!real)
		real = (posix_spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
	CHILD_ENV(envp, env);
	ENV_DONE(real(pid, path, actions, attr, argv, env));
}

CPROF_EXTERN CPROF__NOINSTR int posix_spawnp(
	pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	static posix_spawn_fn real;

	if (!real)
		real = (posix_spawn_fn)dlsym(RTLD_NEXT, "posix_spawnp");
	CHILD_ENV(envp, env);
	ENV_DONE(real(pid, file, actions, attr, argv, env));
}

/*
 * daemon: glibc's leaves the parent through an internal fork() and
 * _exit(), neither of which a wrapper sees. The flag tells the fork
 * parent handler (runtime.c), which runs in the same thread, to end the
 * log; the child records on.
 */
static __thread bool in_daemon __attribute__((tls_model("initial-exec")));

CPROF__NOINSTR bool cprof__in_daemon(void)
{
	return in_daemon;
}

CPROF__NOINSTR void cprof__daemon_child(void)
{
	in_daemon = false;
}

typedef int (*daemon_fn)(int, int);

CPROF_EXTERN CPROF__NOINSTR int daemon(int nochdir, int noclose)
{
	static daemon_fn real;
	int saved, r;

	if (!real)
		real = (daemon_fn)dlsym(RTLD_NEXT, "daemon");
	/* Per thread: another thread's fork() is not the daemon's. */
	in_daemon = true;
	r = real(nochdir, noclose);
	saved = errno;
	in_daemon = false;
	errno = saved;
	return r;
}

/*
 * abort: with the program's own SIGABRT handler in place, the runtime's
 * would never run, and glibc's second raise after that handler returns
 * cannot be seen. The log ends here with the signal the process dies of.
 * (A handler that leaves by longjmp() keeps the process going with its
 * log ended.)
 */
typedef void (*abort_fn)(void);

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void abort(void)
{
	static abort_fn real;

	cprof__stop(CPROF__END_SIGNAL, SIGABRT, true);
	if (!real)
		real = (abort_fn)dlsym(RTLD_NEXT, "abort");
	real();
	__builtin_unreachable();
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
		struct cprof__own own;

		/* The drain is the runtime's work, not the caller's. */
		cprof__own_begin(&own);
		cprof__wlock();
		if (atomic_load(&cprof__rt.on)) {
			cprof__drain_all(false);
			cprof__log_flush();
		}
		cprof__wunlock();
		cprof__own_end(&own);
	}
	int r = real(handle);

	/* --filter/--exclude: what lay at those addresses is gone. */
	if (r == 0)
		cprof__sel_unloaded();
	return r;
}

/*
 * pthread_create: every thread the program makes is counted until it ends
 * (runtime.c: the process ends when the last one does, as without the
 * writer thread), and with counters on it opens its counter group before
 * it runs the program's start routine, so threads that never reach a
 * marker are counted (and sampled) too. The start routine and its argument
 * travel to the new thread in a slot of a small pool of mapped pages,
 * never in the program's heap.
 */
typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *,
				 void *(*)(void *), void *);

struct start {
	void *(*fn)(void *);
	void *arg;
	_Atomic int used;
};

#define STARTS_PER_PAGE ((4096 - sizeof(void *)) / sizeof(struct start))

struct start_page {
	struct start_page *next;
	struct start slot[STARTS_PER_PAGE];
};

/* Pages are never unmapped: a push-only list, like the ring registry. */
static _Atomic(struct start_page *) start_pages;

static CPROF__NOINSTR struct start *start_get(void)
{
	struct start_page *pg;
	void *m;

	for (pg = atomic_load(&start_pages); pg; pg = pg->next)
		for (size_t i = 0; i < STARTS_PER_PAGE; i++) {
			int expect = 0;

			if (atomic_compare_exchange_strong(&pg->slot[i].used,
							   &expect, 1))
				return &pg->slot[i];
		}
	m = mmap(NULL, sizeof(struct start_page), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	pg = m;
	atomic_store(&pg->slot[0].used, 1);
	pg->next = atomic_load(&start_pages);
	while (!atomic_compare_exchange_weak(&start_pages, &pg->next, pg))
		;
	return &pg->slot[0];
}

static CPROF__NOINSTR void *start_program_thread(void *p)
{
	struct start *st = p;
	void *(*fn)(void *) = st->fn;
	void *arg = st->arg;

	atomic_store(&st->used, 0);
	cprof__life_thread_begin();
	/* Its bounds tell the shadow stack a switch of stack (shadow.c). */
	cprof__shadow_note_stack();
	if (cprof__started && cprof__ctr.nev &&
	    !atomic_load(&cprof__rt.finished) && !cprof__tls_get())
		cprof__thread_attach();
	return fn(arg);
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

	/*
	 * The writer is ours, and a runtime that is off or has ended (maybe
	 * under a seccomp filter) follows nothing.
	 */
	if (cprof__creating_writer || cprof__runtime_off() ||
	    atomic_load(&cprof__rt.finished))
		return cprof__real_pthread_create(th, attr, fn, arg);
	/* Its slot (a page mapped, or taken after fork) is the runtime's. */
	struct cprof__own own;

	cprof__own_begin(&own);
	st = start_get();
	cprof__own_end(&own);
	if (!st) {
		cprof__life_untracked();
		return cprof__real_pthread_create(th, attr, fn, arg);
	}
	st->fn = fn;
	st->arg = arg;
	cprof__writer_undefer();
	cprof__life_thread_new();
	err = cprof__real_pthread_create(th, attr, start_program_thread, st);
	if (err) {
		cprof__life_thread_failed();
		atomic_store(&st->used, 0);
	}
	return err;
}

/*
 * vfork: the child runs in its parent's memory, on its parent's stack and
 * with its parent's thread-local data, until it execs or _exits. Had it
 * recorded into the ring of the thread that called vfork(), the parent's
 * writer would have drained the child's events as the parent's, and a
 * ring filling up would have made the child wait for that writer. So the
 * calling thread's ring is swapped for a sink before the system call: a
 * ring that is never drained, whose limit the hot path never reaches.
 * The parent gets its ring back as vfork() returns. The log itself is
 * safe already: every writing path checks that the log is this process's.
 *
 * A child that calls exit() rather than _exit() after a failed exec runs
 * its parent's exit handlers in the parent's memory, and glibc then takes
 * no new ones: the parent's log gets no end record at its exit (the
 * report then says so, with cprof's wait status), nothing more.
 *
 * A C wrapper cannot call vfork() and return in the child (the child
 * would return through the frame the parent still needs), so the wrapper
 * is written in assembly, as the C library's own: the return address
 * waits in a register, which each process keeps for itself, during the
 * system call. Only x86-64 has it so far; elsewhere vfork() is the C
 * library's and a child that records events before its exec records them
 * into its parent's ring.
 */
/*
 * One sink per thread: two threads may vfork at once, and the sink's
 * shadow stack (which the child's events push and pop) must not be
 * shared. It is set up again at each vfork, so that frames a child left
 * open before its exec are gone.
 */
static __thread struct cprof__thread *vfork_sink
	__attribute__((tls_model("initial-exec")));
static __thread struct cprof__thread *vfork_saved
	__attribute__((tls_model("initial-exec")));

/*
 * In a vfork() child: the thread's ring is the sink (x86-64), or the log
 * is another process's (elsewhere, where vfork is the C library's).
 */
static CPROF__NOINSTR bool in_vfork_child(void)
{
	return (vfork_sink && cprof__tls_get() == vfork_sink) ||
	       (cprof__started && cprof__log_fd() >= 0 &&
		!cprof__log_is_ours());
}

CPROF__NOINSTR void cprof__vfork_enter(void);
CPROF__NOINSTR long cprof__vfork_leave(long ret);

CPROF__NOINSTR void cprof__vfork_enter(void)
{
	struct cprof__thread *sink = vfork_sink;

	vfork_saved = cprof__tls_get();
	if (!cprof__started)
		return;
	if (!sink) {
		void *m = mmap(NULL, sizeof(*sink), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *r = mmap(
			NULL, CPROF__RING_CAP * sizeof(struct cprof__rec),
			PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED || r == MAP_FAILED) {
			if (m != MAP_FAILED)
				munmap(m, sizeof(*sink));
			if (r != MAP_FAILED)
				munmap(r, CPROF__RING_CAP *
						  sizeof(struct cprof__rec));
			return;
		}
		sink = m;
		sink->ring = r;
		sink->limit = UINT64_MAX;
		for (int i = 0; i < CPROF_MAX_EVENTS; i++)
			sink->cfd[i] = -1;
		vfork_sink = sink;
	}
	cprof__shadow_attach(sink);
	cprof__tls_set(sink);
}

CPROF__NOINSTR long cprof__vfork_leave(long ret)
{
	cprof__tls_set(vfork_saved);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

#if defined(__x86_64__)
/*
 * Entered with the return address on the stack: align the stack for the
 * call, pop the return address into %rdi (kept by both processes across
 * the system call), and push it back after. The child returns 0 with the
 * sink in place; the parent restores its ring and sets errno.
 */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".globl __vfork\n"
	".type __vfork, @function\n"
	"vfork:\n"
	"__vfork:\n"
	".cfi_startproc\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa\n" /* endbr64, a nop without CET */
	"subq $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"call cprof__vfork_enter\n"
	"addq $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"popq %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	".cfi_register %rip, %rdi\n"
	"movl $" CPROF__STR(SYS_vfork) ", %eax\n"
				       "syscall\n"
				       "pushq %rdi\n"
				       ".cfi_adjust_cfa_offset 8\n"
				       ".cfi_rel_offset %rip, 0\n"
				       "testq %rax, %rax\n"
				       "jz 1f\n"
				       "subq $8, %rsp\n"
				       ".cfi_adjust_cfa_offset 8\n"
				       "movq %rax, %rdi\n"
				       "call cprof__vfork_leave\n"
				       "addq $8, %rsp\n"
				       ".cfi_adjust_cfa_offset -8\n"
				       "1:\n"
				       "ret\n"
				       ".cfi_endproc\n"
				       ".size vfork, .-vfork\n"
				       ".size __vfork, .-__vfork\n");
#endif

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
	if (cprof__real_sigaction(sig, NULL, &cur) != 0)
		return;
	/*
	 * The runtime's handler already: a library that interposes signal()
	 * and makes it of the sigaction symbol (ThreadSanitizer does) runs
	 * this wrapper's sigaction inside the outer call, which took it.
	 */
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == hid.handler) {
		hid.owned[sig] = true;
		return;
	}
	if (atomic_load(&cprof__rt.finished))
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
	/* Given back (a sandbox may refuse getpid): nothing to follow. */
	if (hid.active)
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

CPROF__NOINSTR void cprof__signals_unhook(void)
{
	bool locked;

	if (!hid.active)
		return;
	locked = hid_enter();
	for (int sig = 1; sig < NSIG; sig++)
		if (hid.owned[sig]) {
			hid.owned[sig] = false;
			raw_sigaction(sig, hid.kshown[sig], NULL);
		}
	hid.active = false;
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

/*
 * unshare and setns.
 *
 * Making or joining a user namespace needs a single-threaded process
 * (and so do unshare's CLONE_VM, CLONE_SIGHAND and CLONE_THREAD, and
 * joining a mount namespace, which needs an fs_struct of its own): the
 * kernel answers EINVAL otherwise. The writer thread would make every
 * profiled program fail there. So when the caller is the program's only
 * thread, the writer is stopped for the call (after a last drain: nothing
 * else records meanwhile) and started again after it; the program's
 * threads drain their own rings if it cannot start. A program with
 * threads of its own gets the call unchanged, and so the very error it
 * would get without cprof.
 */
#define UNSHARE_ONE_THREAD \
	(CLONE_NEWUSER | CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define SETNS_ONE_THREAD (CLONE_NEWUSER | CLONE_NEWNS)

/* The threads of the process, or -1 when /proc cannot tell. */
static CPROF__NOINSTR long count_threads(void)
{
	char buf[2048];
	long n = 0, r;
	int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return -1;
	while ((r = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			/* struct linux_dirent64: ino, off, reclen, type, name
			 */
			unsigned short reclen;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (buf[off + 19] != '.')
				n++;
			off += reclen;
		}
	}
	close(dir);
	return r < 0 ? -1 : n;
}

/*
 * Stop the writer when the caller is otherwise alone; true when it was
 * stopped. pthread_join() returns before the kernel has taken the thread
 * out of the thread group: wait (a little) until it has.
 */
static CPROF__NOINSTR bool writer_off_if_alone(void)
{
	long n;

	if (!cprof__started || !cprof__writer_active() || !cprof__log_is_ours())
		return false;
	n = count_threads();
	if (n > 2)
		return false; /* the program has threads: as without cprof */
	if (!cprof__writer_pause())
		return false;
	for (int i = 0; i < 1000 && count_threads() > 1; i++) {
		struct timespec ts = {0, 100 * 1000};

		nanosleep(&ts, NULL);
	}
	return true;
}

typedef int (*unshare_fn)(int);
typedef int (*setns_fn)(int, int);

CPROF_EXTERN CPROF__NOINSTR int unshare(int flags)
{
	static unshare_fn real;
	bool off;
	int r, err;

	if (!real)
		real = (unshare_fn)dlsym(RTLD_NEXT, "unshare");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	err = errno;
	off = (flags & UNSHARE_ONE_THREAD) && writer_off_if_alone();
	errno = err;
	r = real(flags);
	err = errno;
	if (off)
		cprof__writer_start();
	errno = err;
	return r;
}

CPROF_EXTERN CPROF__NOINSTR int setns(int fd, int nstype)
{
	static setns_fn real;
	int r, err;
	bool off;

	if (!real)
		real = (setns_fn)dlsym(RTLD_NEXT, "setns");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	err = errno;
	/*
	 * Type 0 accepts any namespace. The descriptor could tell which
	 * (NS_GET_NSTYPE), but an ioctl must not reach whatever else the
	 * program may pass: the writer is stopped for all of them.
	 */
	off = (nstype == 0 || (nstype & SETNS_ONE_THREAD)) &&
	      writer_off_if_alone();
	errno = err;
	r = real(fd, nstype);
	err = errno;
	if (off)
		cprof__writer_start();
	errno = err;
	return r;
}

/*
 * Non-local exits and stack switches (see shadow.c): the frames a longjmp
 * jumps over, and those an exception unwinds without exit hooks (clang
 * emits none on unwinding), are closed at the jump or the catch; a
 * ucontext switch swaps the thread's shadow stack for the context's.
 * Each wrapper reports first, then calls the C library's function with
 * the program's arguments.
 */
typedef void (*jump_fn)(void *, int);

/*
 * ThreadSanitizer keeps a call stack of its own, pushed and popped by
 * the code it instruments. It restores that stack at the longjmp and
 * siglongjmp it intercepts, but not at _longjmp, __longjmp_chk or a
 * context switch (it has no interceptor for them): an instrumented
 * wrapper that leaves by one of those would leave a frame behind at each
 * call, and a program that jumps often (a shell) would overflow TSan's
 * stack depot. These wrappers touch no shared data of their own, so
 * they are not instrumented; what they call is.
 */
#define JUMP_WRAPPER __attribute__((no_sanitize("thread")))

/*
 * The C library's functions, found when the library is loaded: a longjmp
 * often leaves a signal handler, where dlsym (which allocates) must not
 * run. __longjmp_chk is glibc's own; elsewhere it is longjmp.
 */
static jump_fn real_longjmp, real__longjmp, real_siglongjmp, real_longjmp_chk;

static CPROF__NOINSTR jump_fn jump_next(const char *name)
{
	jump_fn f = (jump_fn)dlsym(RTLD_NEXT, name);

	return f ? f : (jump_fn)dlsym(RTLD_NEXT, "longjmp");
}

static CPROF__NOINSTR __attribute__((constructor)) void jump_resolve(void)
{
	real_longjmp = jump_next("longjmp");
	real__longjmp = jump_next("_longjmp");
	real_siglongjmp = jump_next("siglongjmp");
	real_longjmp_chk = jump_next("__longjmp_chk");
}

static CPROF__NOINSTR JUMP_WRAPPER __attribute__((noreturn)) void
jump(jump_fn real, const char *name, void *env, int val)
{
	if (!real) /* a jump from a constructor run before ours */
		real = jump_next(name);
	if (cprof__tls_get())
		cprof__shadow_unwind(cprof__jmpbuf_sp(env));
	real(env, val);
	__builtin_unreachable();
}

CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER __attribute__((noreturn)) void
longjmp(void *env, int val)
{
	jump(real_longjmp, "longjmp", env, val);
}

CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER __attribute__((noreturn)) void
_longjmp(void *env, int val)
{
	jump(real__longjmp, "_longjmp", env, val);
}

CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER __attribute__((noreturn)) void
siglongjmp(void *env, int val)
{
	jump(real_siglongjmp, "siglongjmp", env, val);
}

/* What longjmp becomes under -D_FORTIFY_SOURCE. */
CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER __attribute__((noreturn)) void
__longjmp_chk(void *env, int val)
{
	jump(real_longjmp_chk, "__longjmp_chk", env, val);
}

/*
 * The C++ runtime calls __cxa_begin_catch from the catching function: the
 * frames below its stack pointer were unwound.
 */
typedef void *(*begin_catch_fn)(void *);

CPROF_EXTERN CPROF__NOINSTR void *__cxa_begin_catch(void *exc)
{
	static begin_catch_fn real;

	if (!real)
		real = (begin_catch_fn)dlsym(RTLD_NEXT, "__cxa_begin_catch");
	cprof__shadow_unwind((uintptr_t)__builtin_dwarf_cfa());
	return real(exc);
}

typedef int (*swapcontext_fn)(ucontext_t *, const ucontext_t *);
typedef int (*setcontext_fn)(const ucontext_t *);

CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER int swapcontext(ucontext_t *oucp,
							 const ucontext_t *ucp)
{
	static swapcontext_fn real;
	struct cprof__ctx *back;
	int ret, err;

	if (!real)
		real = (swapcontext_fn)dlsym(RTLD_NEXT, "swapcontext");
	back = cprof__shadow_switch(oucp, ucp,
				    (uintptr_t)__builtin_dwarf_cfa());
	ret = real(oucp, ucp);
	/* 0 when this context is resumed; -1 when the switch failed. */
	if (ret != 0) {
		err = errno;
		cprof__shadow_switch_failed(back);
		errno = err;
	}
	return ret;
}

CPROF_EXTERN CPROF__NOINSTR JUMP_WRAPPER int setcontext(const ucontext_t *ucp)
{
	static setcontext_fn real;
	struct cprof__ctx *back;
	int ret, err;

	if (!real)
		real = (setcontext_fn)dlsym(RTLD_NEXT, "setcontext");
	back = cprof__shadow_switch(NULL, ucp,
				    (uintptr_t)__builtin_dwarf_cfa());
	ret = real(ucp);
	err = errno;
	cprof__shadow_switch_failed(back);
	errno = err;
	return ret;
}

/*
 * The set*id family.
 *
 * Credentials are per thread in the kernel; POSIX wants them per process,
 * so glibc runs each of these calls on every thread of the process (a
 * signal to each, the "setxid broadcast") and aborts the process when the
 * threads' results differ. The writer thread lacks what the program set on
 * its own thread only (capabilities kept with PR_SET_KEEPCAPS and capset,
 * securebits): setpriv, and any daemon dropping privileges that way, would
 * see the call fail on the writer alone and die of SIGABRT. So the writer
 * is stopped for the call (after a last drain) and started again after it,
 * from the calling thread, whose credentials and capabilities the new
 * writer inherits. The program's other threads meanwhile drain their own
 * rings. In a vfork() child, whose writer is the parent's, nothing is
 * done.
 */
static CPROF__NOINSTR bool setid_begin(void)
{
	int err = errno;
	bool off =
		cprof__started && cprof__log_is_ours() && cprof__writer_pause();

	errno = err;
	return off;
}

static CPROF__NOINSTR int setid_end(bool off, int r)
{
	int err = errno;

	if (off)
		cprof__writer_start();
	errno = err;
	return r;
}

#define SETID_WRAPPER(name, params, args)                          \
	typedef int(*name##_fn) params;                            \
	CPROF_EXTERN CPROF__NOINSTR int name params                \
	{                                                          \
		static name##_fn real;                             \
		bool off;                                          \
                                                                   \
		if (!real)                                         \
			real = (name##_fn)dlsym(RTLD_NEXT, #name); \
		if (!real) {                                       \
			errno = ENOSYS;                            \
			return -1;                                 \
		}                                                  \
		off = setid_begin();                               \
		return setid_end(off, real args);                  \
	}

SETID_WRAPPER(setuid, (uid_t u), (u))
SETID_WRAPPER(seteuid, (uid_t u), (u))
SETID_WRAPPER(setreuid, (uid_t r, uid_t e), (r, e))
SETID_WRAPPER(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
SETID_WRAPPER(setgid, (gid_t g), (g))
SETID_WRAPPER(setegid, (gid_t g), (g))
SETID_WRAPPER(setregid, (gid_t r, gid_t e), (r, e))
SETID_WRAPPER(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
SETID_WRAPPER(setgroups, (size_t n, const gid_t *list), (n, list))

/*
 * prctl: the settings that take the time stamp counter or every system
 * call but four from the calling thread, and seccomp filters (judged by
 * seccomp.c before they are installed, see there). PR_SET_TSC with
 * PR_TSC_SIGSEGV makes the hot path's counter read fault, and
 * SECCOMP_MODE_STRICT (which also disables the counter on x86) kills the thread
 * at the runtime's first system call: that thread records nothing from then on,
 * and neither do the threads and fork() children it makes, which inherit the
 * setting (runtime.c checks it as they start). The runtime says so once.
 */
typedef int (*prctl_fn)(int, unsigned long, unsigned long, unsigned long,
			unsigned long);

CPROF_EXTERN CPROF__NOINSTR int prctl(int option, ...)
{
	static prctl_fn real;
	unsigned long a[4];
	va_list ap;
	int r, err;
	bool untimed;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (!real)
		real = (prctl_fn)dlsym(RTLD_NEXT, "prctl");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	untimed = (option == PR_SET_TSC && a[0] == PR_TSC_SIGSEGV) ||
		  (option == PR_SET_SECCOMP && a[0] == SECCOMP_MODE_STRICT);
	if (untimed && cprof__started)
		cprof__untimed_thread(option == PR_SET_SECCOMP);
	if (option == PR_SET_SECCOMP && a[0] == SECCOMP_MODE_FILTER)
		cprof__seccomp_before(0, (const void *)a[1]);
	r = real(option, a[0], a[1], a[2], a[3]);
	err = errno;
	if (untimed && cprof__started) {
		if (r == 0)
			cprof__untimed_done();
		else
			cprof__untimed_failed();
	}
	errno = err;
	return r;
}

/*
 * syscall(): the system calls that need the wrappers above when a program
 * makes them directly (as static helpers, container tools with a system
 * call layer of their own, and libseccomp, which installs its filters by
 * syscall(SYS_seccomp) or prctl, do): unshare and setns (the writer steps
 * aside as for the C library's functions), seccomp and
 * prctl(PR_SET_SECCOMP) (strict mode as in prctl() above, filters judged
 * by seccomp.c). Every other number reaches the C library's syscall()
 * untouched: on x86-64 the entry is a few compares and a jump to it, with
 * the caller's registers and stack as they were (a raw vfork-like clone
 * returns through no frame of ours); elsewhere a C function passes the
 * six arguments on. The runtime's own system calls go the same way.
 */
typedef long (*syscall_fn)(long, ...);
CPROF__HIDDEN syscall_fn cprof__real_syscall;
CPROF__NOINSTR long cprof__syscall_slow(long nr, ...);

static CPROF__NOINSTR syscall_fn syscall_next(void)
{
	if (!cprof__real_syscall)
		cprof__real_syscall = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	return cprof__real_syscall;
}

/* Resolved early: the runtime's signal handlers make system calls. */
static CPROF__NOINSTR __attribute__((constructor)) void syscall_resolve(void)
{
	syscall_next();
}

/* A seccomp mode set on the calling thread (MODE 0: none). */
static CPROF__NOINSTR bool seccomp_pre(int mode, unsigned long flags,
				       const void *prog)
{
	if (mode == SECCOMP_MODE_STRICT && cprof__started) {
		cprof__untimed_thread(true);
		return true;
	}
	if (mode == SECCOMP_MODE_FILTER)
		cprof__seccomp_before(flags, prog);
	return false;
}

static CPROF__NOINSTR void seccomp_post(bool untimed, long r)
{
	int err = errno;

	if (untimed && r == 0)
		cprof__untimed_done();
	else if (untimed)
		cprof__untimed_failed();
	errno = err;
}

static CPROF__NOINSTR long syscall_args(syscall_fn real, long nr, const long *a)
{
	long r;
	int err, mode = 0;
	unsigned long flags = 0;
	const void *prog = NULL;
	bool off = false, untimed;

	switch (nr) {
	case SYS_unshare:
	case SYS_setns:
		err = errno;
		if (nr == SYS_unshare)
			off = (a[0] & UNSHARE_ONE_THREAD) &&
			      writer_off_if_alone();
		else
			off = (a[1] == 0 || (a[1] & SETNS_ONE_THREAD)) &&
			      writer_off_if_alone();
		errno = err;
		r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		err = errno;
		if (off)
			cprof__writer_start();
		errno = err;
		return r;
	case SYS_seccomp:
		/*
		 * Strict mode with flags or arguments is refused (EINVAL):
		 * libseccomp makes that call to learn whether seccomp(2)
		 * exists, and nothing changes for the thread then.
		 */
		if (a[0] == SECCOMP_SET_MODE_STRICT && a[1] == 0 && a[2] == 0)
			mode = SECCOMP_MODE_STRICT;
		else if (a[0] == SECCOMP_SET_MODE_FILTER)
			mode = SECCOMP_MODE_FILTER;
		flags = (unsigned long)a[1];
		prog = (const void *)a[2];
		break;
	case SYS_prctl:
		if (a[0] == PR_SET_SECCOMP && (a[1] == SECCOMP_MODE_STRICT ||
					       a[1] == SECCOMP_MODE_FILTER))
			mode = (int)a[1];
		prog = (const void *)a[2];
		break;
	default:
		break;
	}
	err = errno;
	untimed = seccomp_pre(mode, flags, prog);
	errno = err;
	{
		/* --syscalls' fallback mode notes the call (syscalls.c). */
		uint64_t t0 = cprof__sys_wrap ? cprof__sys_now() : 0;

		r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (t0)
			cprof__sys_note(nr, t0);
	}
	seccomp_post(untimed, r);
	return r;
}

/*
 * Six arguments are read whatever the call takes, as the C library's
 * syscall() loads six registers: the sixth is on the caller's stack, past
 * what a shorter call passed. That read is harmless and the value unused,
 * but AddressSanitizer sees it: the readers are not instrumented.
 */
#define SYSCALL_VARARGS __attribute__((no_sanitize("address")))

#define SYSCALL_ARGS(nr, a)                        \
	long a[6];                                 \
	do {                                       \
		va_list ap_;                       \
		va_start(ap_, nr);                 \
		for (int i_ = 0; i_ < 6; i_++)     \
			a[i_] = va_arg(ap_, long); \
		va_end(ap_);                       \
	} while (0)

SYSCALL_VARARGS CPROF__NOINSTR long cprof__syscall_slow(long nr, ...)
{
	syscall_fn real = syscall_next();

	SYSCALL_ARGS(nr, a);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return syscall_args(real, nr, a);
}

#if defined(__x86_64__)
/* clang-format off */
#define SYSCALL_TO_SLOW(nr) "cmpq $" CPROF__STR(nr) ", %rdi\n" "je 1f\n"
__asm__(".text\n"
	".globl syscall\n"
	".type syscall, @function\n"
	"syscall:\n"
	".cfi_startproc\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa\n" /* endbr64, a nop without CET */
	SYSCALL_TO_SLOW(SYS_seccomp)
	SYSCALL_TO_SLOW(SYS_prctl)
	SYSCALL_TO_SLOW(SYS_unshare)
	SYSCALL_TO_SLOW(SYS_setns)
	/*
	 * --syscalls' fallback mode takes every number the slow way, to be
	 * noted, but those that make a thread or process sharing the stack:
	 * their child must return through no frame of ours.
	 */
	"cmpb $0, cprof__sys_wrap(%rip)\n"
	"je 2f\n"
	"cmpq $" CPROF__STR(SYS_clone) ", %rdi\n"
	"je 2f\n"
	"cmpq $" CPROF__STR(SYS_vfork) ", %rdi\n"
	"je 2f\n"
	"cmpq $435, %rdi\n" /* clone3 */
	"je 2f\n"
	"jmp 1f\n"
	"2:\n"
	"movq cprof__real_syscall(%rip), %rax\n"
	"testq %rax, %rax\n"
	"jz 1f\n"
	"jmp *%rax\n"
	"1:\n"
	"jmp cprof__syscall_slow\n"
	".cfi_endproc\n"
	".size syscall, .-syscall\n");
/* clang-format on */
#else
CPROF_EXTERN SYSCALL_VARARGS CPROF__NOINSTR long syscall(long nr, ...)
{
	syscall_fn real = syscall_next();

	SYSCALL_ARGS(nr, a);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return syscall_args(real, nr, a);
}
#endif
