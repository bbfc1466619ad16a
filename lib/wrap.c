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
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
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
