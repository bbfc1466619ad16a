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
#include <stdarg.h>
#include <stdlib.h>
#include <ucontext.h>
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
 * a marker are counted (and sampled) too. Every new thread notes its stack
 * bounds there, where pthread_getattr_np (which allocates) is safe to call.
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
	/* Its bounds tell the shadow stack a switch of stack (shadow.c). */
	cprof__shadow_note_stack();
	if (cprof__ctr.nev && !cprof__tls_get())
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

	if (!cprof__started || cprof__creating_writer ||
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
 * Non-local exits and stack switches (see shadow.c): the frames a longjmp
 * jumps over, and those an exception unwinds without exit hooks (clang
 * emits none on unwinding), are closed at the jump or the catch; a
 * ucontext switch swaps the thread's shadow stack for the context's.
 * Each wrapper reports first, then calls the C library's function with
 * the program's arguments.
 */
typedef void (*jump_fn)(void *, int);

static CPROF__NOINSTR __attribute__((noreturn)) void
jump(jump_fn *real, const char *name, void *env, int val)
{
	if (!*real)
		*real = (jump_fn)dlsym(RTLD_NEXT, name);
	if (!*real) /* __longjmp_chk is glibc's own */
		*real = (jump_fn)dlsym(RTLD_NEXT, "longjmp");
	if (cprof__tls_get())
		cprof__shadow_unwind(cprof__jmpbuf_sp(env));
	(*real)(env, val);
	__builtin_unreachable();
}

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void longjmp(void *env,
								   int val)
{
	static jump_fn real;

	jump(&real, "longjmp", env, val);
}

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void _longjmp(void *env,
								    int val)
{
	static jump_fn real;

	jump(&real, "_longjmp", env, val);
}

CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void siglongjmp(void *env,
								      int val)
{
	static jump_fn real;

	jump(&real, "siglongjmp", env, val);
}

/* What longjmp becomes under -D_FORTIFY_SOURCE. */
CPROF_EXTERN CPROF__NOINSTR __attribute__((noreturn)) void
__longjmp_chk(void *env, int val)
{
	static jump_fn real;

	jump(&real, "__longjmp_chk", env, val);
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

CPROF_EXTERN CPROF__NOINSTR int swapcontext(ucontext_t *oucp,
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

CPROF_EXTERN CPROF__NOINSTR int setcontext(const ucontext_t *ucp)
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
