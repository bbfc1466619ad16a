/*
 * util.c - diagnostics and allocation for the cprof tool.
 *
 * Every message the tool prints about itself goes through here, so that
 * each one reads "cprof: what went wrong" on stderr, and every allocation
 * failure ends the tool with the same message instead of a crash later.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cp_progname = "cprof";

/*
 * Stdout is flushed first so that a message lands after whatever the tool
 * printed before it when both streams go to the same terminal or file.
 */
static void vmessage(const char *fmt, va_list ap, const char *err)
{
	fflush(stdout);
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
