/*
 * syswrap.c - the fallback of `--syscalls` (syscalls.c): wrappers of
 * libc's system-call functions that, when CPROF_SYSCALLS=wrap turned the
 * mode on (cprof__sys_wrap), time each call and note it for the thread.
 * Off, they cost a flag test. A file of its own so that it can be built
 * without ThreadSanitizer's instrumentation (see SYS_WRAPPER).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * ThreadSanitizer's own runtime reaches libc's functions through these
 * (dlsym(RTLD_NEXT) from the program finds the preloaded runtime first),
 * also while it starts, before it can take a function entry: this file is
 * built without its instrumentation (lib/local.mk), and the attribute
 * says so to the reader. What the wrappers touch is the runtime's alone.
 */
#define SYS_WRAPPER __attribute__((no_sanitize("thread")))

/*
 * Fallback mode's wrappers of libc's system-call functions: the call, and
 * when the mode is on, its time noted under NR. Each finds libc's own at
 * load (the constructor below: dlsym is no function to call from a signal
 * handler, where write and close are), or on a first call before that.
 */
#define RESOLVE(name)                                                     \
	do {                                                              \
		if (!real_##name)                                         \
			real_##name = (name##_fn)dlsym(RTLD_NEXT, #name); \
	} while (0)

/* The body of every wrapper, once its arguments ARGS are in hand. */
#define SYS_CALL(ret, name, nr, args)            \
	do {                                     \
		uint64_t t0_;                    \
		ret r_;                          \
                                                 \
		RESOLVE(name);                   \
		if (!real_##name) {              \
			errno = ENOSYS;          \
			return (ret)-1;          \
		}                                \
		if (!cprof__sys_wrap)            \
			return real_##name args; \
		t0_ = cprof__sys_now();          \
		r_ = real_##name args;           \
		cprof__sys_note(nr, t0_);        \
		return r_;                       \
	} while (0)

#define SYS_WRAP(ret, name, nr, params, args)       \
	typedef ret(*name##_fn) params;             \
	static name##_fn real_##name;               \
	CPROF_EXTERN CPROF__NOINSTR ret name params \
	{                                           \
		SYS_CALL(ret, name, nr, args);      \
	}

/* The numbers a libc function's call is noted under, on every machine. */
#ifndef SYS_open
#define SYS_open SYS_openat
#endif
#ifndef SYS_poll
#define SYS_poll SYS_ppoll
#endif
#ifndef SYS_select
#define SYS_select SYS_pselect6
#endif
#ifndef SYS_epoll_wait
#define SYS_epoll_wait SYS_epoll_pwait
#endif

SYS_WRAP(ssize_t, read, SYS_read, (int fd, void *b, size_t n), (fd, b, n))
SYS_WRAP(ssize_t, write, SYS_write, (int fd, const void *b, size_t n),
	 (fd, b, n))
SYS_WRAP(ssize_t, pread, SYS_pread64, (int fd, void *b, size_t n, off_t o),
	 (fd, b, n, o))
SYS_WRAP(ssize_t, pwrite, SYS_pwrite64,
	 (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
SYS_WRAP(ssize_t, readv, SYS_readv, (int fd, const struct iovec *v, int n),
	 (fd, v, n))
SYS_WRAP(ssize_t, writev, SYS_writev, (int fd, const struct iovec *v, int n),
	 (fd, v, n))
SYS_WRAP(int, close, SYS_close, (int fd), (fd))
SYS_WRAP(void *, mmap, SYS_mmap,
	 (void *a, size_t n, int p, int f, int fd, off_t o),
	 (a, n, p, f, fd, o))
SYS_WRAP(int, munmap, SYS_munmap, (void *a, size_t n), (a, n))
SYS_WRAP(int, mprotect, SYS_mprotect, (void *a, size_t n, int p), (a, n, p))
SYS_WRAP(int, poll, SYS_poll, (struct pollfd * f, nfds_t n, int ms), (f, n, ms))
SYS_WRAP(int, select, SYS_select,
	 (int n, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv),
	 (n, rd, wr, ex, tv))
SYS_WRAP(int, epoll_wait, SYS_epoll_wait,
	 (int fd, struct epoll_event *e, int n, int ms), (fd, e, n, ms))
SYS_WRAP(int, nanosleep, SYS_nanosleep,
	 (const struct timespec *d, struct timespec *rem), (d, rem))

/* The variadic ones: a mode or an argument that may be absent. */
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*ioctl_fn)(int, unsigned long, ...);
static open_fn real_open;
static openat_fn real_openat;
static ioctl_fn real_ioctl;

/* The mode of an open with FLAGS: there only for a file that may be made. */
#define OPEN_MODE(ap, flags)                                 \
	((flags)&O_CREAT || ((flags)&O_TMPFILE) == O_TMPFILE \
		 ? (mode_t)va_arg(ap, unsigned)              \
		 : 0)

CPROF_EXTERN CPROF__NOINSTR SYS_WRAPPER int open(const char *path, int flags,
						 ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = OPEN_MODE(ap, flags);
	va_end(ap);
	SYS_CALL(int, open, SYS_open, (path, flags, mode));
}

CPROF_EXTERN CPROF__NOINSTR SYS_WRAPPER int openat(int dir, const char *path,
						   int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = OPEN_MODE(ap, flags);
	va_end(ap);
	SYS_CALL(int, openat, SYS_openat, (dir, path, flags, mode));
}

CPROF_EXTERN CPROF__NOINSTR SYS_WRAPPER int ioctl(int fd, unsigned long req,
						  ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	SYS_CALL(int, ioctl, SYS_ioctl, (fd, req, arg));
}

static CPROF__NOINSTR SYS_WRAPPER __attribute__((constructor)) void
sys_resolve(void)
{
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(pread);
	RESOLVE(pwrite);
	RESOLVE(readv);
	RESOLVE(writev);
	RESOLVE(close);
	RESOLVE(mmap);
	RESOLVE(munmap);
	RESOLVE(mprotect);
	RESOLVE(poll);
	RESOLVE(select);
	RESOLVE(epoll_wait);
	RESOLVE(nanosleep);
	RESOLVE(open);
	RESOLVE(openat);
	RESOLVE(ioctl);
}
