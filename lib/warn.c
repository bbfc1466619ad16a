/*
 * warn.c - the runtime's one way to tell the user something: a line on
 * stderr prefixed "cprof:", written with one write(2).
 *
 * Warnings are given from signal handlers and from the writer thread
 * while the program runs, so nothing here allocates, takes a lock or
 * calls strerror() (which is not async-signal-safe): the texts of the
 * errors come from the C library's table without a locale, or from our
 * own table on older C libraries.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * Descriptions of the errors the runtime can meet, for C libraries without
 * strerrordesc_np(); strerror() is not async-signal-safe.
 */
static const struct {
	int err;
	const char *text;
} err_table[] = {
	{EPERM, "Operation not permitted"},
	{ENOENT, "No such file or directory"},
	{EINTR, "Interrupted system call"},
	{EIO, "Input/output error"},
	{ENXIO, "No such device or address"},
	{E2BIG, "Argument list too long"},
	{EBADF, "Bad file descriptor"},
	{EAGAIN, "Resource temporarily unavailable"},
	{ENOMEM, "Cannot allocate memory"},
	{EACCES, "Permission denied"},
	{EFAULT, "Bad address"},
	{EBUSY, "Device or resource busy"},
	{EEXIST, "File exists"},
	{ENODEV, "No such device"},
	{ENOTDIR, "Not a directory"},
	{EISDIR, "Is a directory"},
	{EINVAL, "Invalid argument"},
	{ENFILE, "Too many open files in system"},
	{EMFILE, "Too many open files"},
	{EFBIG, "File too large"},
	{ENOSPC, "No space left on device"},
	{ESPIPE, "Illegal seek"},
	{EROFS, "Read-only file system"},
	{EPIPE, "Broken pipe"},
	{ENAMETOOLONG, "File name too long"},
	{ENOSYS, "Function not implemented"},
	{ELOOP, "Too many levels of symbolic links"},
	{EOPNOTSUPP, "Operation not supported"},
	{ESTALE, "Stale file handle"},
	{EDQUOT, "Disk quota exceeded"},
};

/* The description of ERR, or "error N" in BUF; async-signal-safe. */
static CPROF__NOINSTR const char *err_text(int err, char *buf, size_t cap)
{
	char digits[16];
	size_t n = 0, len;

#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	/* A lookup in the C library's table, with no locale and no lock. */
	const char *d = strerrordesc_np(err);

	if (d)
		return d;
#endif
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].err == err)
			return err_table[i].text;
	for (unsigned v = err < 0 ? 0u - (unsigned)err : (unsigned)err;
	     n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	len = strlen("error ");
	if (cap < len + n + 2)
		return "unknown error";
	memcpy(buf, "error ", len);
	if (err < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return buf;
}

CPROF__NOINSTR void cprof__warn(const char *msg, const char *arg, int err,
				const char *tail)
{
	char line[1024], ebuf[32];
	size_t n = 0;
	const char *e = err ? err_text(err, ebuf, sizeof(ebuf)) : NULL;
	const char *parts[] = {
		"cprof: ",	 msg, arg ? " '" : NULL,  arg, arg ? "'" : NULL,
		e ? ": " : NULL, e,   tail ? "; " : NULL, tail};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t l;

		if (!parts[i])
			continue;
		l = strlen(parts[i]);
		if (l > sizeof(line) - 1 - n)
			l = sizeof(line) - 1 - n;
		memcpy(line + n, parts[i], l);
		n += l;
	}
	line[n++] = '\n';
	ssize_t r = write(STDERR_FILENO, line, n);
	(void)r;
}

/*
 * The allocator wrappers (alloc.c) live in their own library, which
 * reaches the runtime through exported functions only.
 */
CPROF_EXTERN CPROF__NOINSTR void
cprof__alloc_warn(const char *msg, const char *arg, const char *tail)
{
	cprof__warn(msg, arg, 0, tail);
}
