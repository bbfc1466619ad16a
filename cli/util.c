/*
 * util.c - diagnostics and allocation for the cprof tool.
 *
 * Every message the tool prints about itself goes through here, so that
 * each one reads "cprof: what went wrong" on stderr, and every allocation
 * failure ends the tool with the same message instead of a crash later.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *cp_progname = "cprof";

/*
 * Stdout is flushed first so that a message lands after whatever the tool
 * printed before it when both streams go to the same terminal or file.
 */
static void vmessage(const char *fmt, va_list ap, const char *err)
{
	fflush(stdout);
	/* A progress line on the terminal gives way to the message. */
	cp_progress_clear();
	fprintf(stderr, "%s: ", cp_progname);
	vfprintf(stderr, fmt, ap);
	if (err != NULL)
		fprintf(stderr, ": %s", err);
	fputc('\n', stderr);
}

void fatal(const char *fmt, ...)
{
	/* Saved before anything else can call into libc and change it. */
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void fatalx_status(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, NULL);
	va_end(ap);
	exit(status);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, NULL);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p;

	/* malloc(0) may return NULL, which is not a failure. */
	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory");
	return p;
}

void *xgrow(void *p, size_t *cap, size_t want, size_t size)
{
	size_t n;

	if (want <= *cap)
		return p;
	n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory");
	return p;
}

/*
 * Open the output file PATH of -o for writing, creating it if need be.
 * A symbolic link is followed only when it is the user's or root's (as
 * /dev/stdout is): one that another user planted, in /tmp say, would
 * make cprof write over a file of the user's choosing. Only a regular
 * file is truncated, so that a pipe or a device stays usable.
 */
FILE *cp_create_output(const char *path)
{
	const int flags = O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC;
	struct stat sb;
	FILE *f;
	int fd;

	fd = open(path, flags | O_NOFOLLOW, 0666);
	if (fd == -1 && errno == ELOOP && lstat(path, &sb) == 0 &&
	    S_ISLNK(sb.st_mode)) {
		if (sb.st_uid != geteuid() && sb.st_uid != 0) {
			fatalx_status(2,
				      "%s: a symbolic link owned by another "
				      "user: not following it",
				      path);
		}
		fd = open(path, flags, 0666);
	}
	if (fd == -1)
		return NULL;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    ftruncate(fd, 0) != 0) {
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}
