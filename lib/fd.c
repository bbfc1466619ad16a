/*
 * fd.c - where the runtime's file descriptors go: out of the program's
 * way, at the top of its descriptor range.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

/*
 * The runtime's descriptors.
 *
 * A program allocates descriptors from the lowest free number up, and
 * daemons and shells dup2() over small numbers they believe free. The
 * runtime's descriptors therefore go to the top of the range: the lowest
 * free number at or above F = L - L/4, where L is the soft RLIMIT_NOFILE
 * at the time (capped at FD_RANGE_CAP, so that a huge limit does not make
 * the kernel grow the descriptor table to millions of slots). The program
 * keeps every number below F to itself, three quarters of its limit, and
 * it only meets the runtime's numbers when it uses nearly all of them.
 */
#define FD_RANGE_CAP 4096

CPROF__NOINSTR long cprof__fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 30)
		return 1L << 30;
	return (long)rl.rlim_cur;
}

CPROF__NOINSTR int cprof__fd_high(int fd, bool keep_low)
{
	long lim = cprof__fd_limit(), floor;
	int saved = errno, nfd;

	if (fd < 0)
		return fd;
	if (lim < 0)
		lim = 1024; /* a sandbox refuses getrlimit: the usual limit */
	if (lim > FD_RANGE_CAP)
		lim = FD_RANGE_CAP;
	floor = lim - lim / 4;
	if (floor < 3)
		floor = 3;
	if (fd >= floor)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
	if (nfd < 0 && keep_low) {
		errno = saved;
		return fd; /* every high number is taken: better than none */
	}
	close(fd);
	if (nfd < 0)
		errno = EMFILE;
	else
		errno = saved;
	return nfd;
}
