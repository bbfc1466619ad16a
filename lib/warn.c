/*
 * warn.c - the runtime's one way to tell the user something: a line
 * prefixed "cprof:", written with one write(2).
 *
 * Where it goes. The program's descriptors are the program's: its fd 2
 * may be a client's socket (an inetd-style service), a CGI's response or
 * a data file. Under `cprof stat` and `cprof record` (the CLI sets
 * CPROF_TEMP, to 1 or 0, and nothing else does) a warning is appended to
 * the run directory's warnings file instead, opened by path for each
 * line, and the CLI prints each distinct line once when the run ends and
 * in its reports. Without the CLI (a program linked with -lcprof and
 * CPROF_DIR set by hand) the line goes to fd 2, but only while fd 2 is
 * open: a number the program closed may be reused by the program the
 * next moment, and is never written blind. When the warnings file cannot
 * take the line (the directory unwritable, or a file-size limit it would
 * pass), fd 2 is used as without the CLI; after `cprof stat` removed its
 * run directory (a daemon still running) the line is dropped, stat having
 * said which processes still ran.
 *
 * Warnings are given from signal handlers and from the writer thread
 * while the program runs, so nothing here allocates, takes a lock or
 * calls strerror() (which is not async-signal-safe): the texts of the
 * errors come from the C library's table without a locale, or from our
 * own table on older C libraries.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* The warnings file's path ("": fd 2), and whether the run is stat's. */
static char warn_path[4096];
static bool warn_temp;
static atomic_bool warn_ready;

CPROF__NOINSTR void cprof__warn_setup(void)
{
	/* Never a file named by the caller of a set-user-ID program. */
	const char *tmp = secure_getenv(CPROF_ENV_TEMP);
	const char *dir = secure_getenv(CPROF_ENV_DIR);

	if (atomic_exchange(&warn_ready, true))
		return;
	if (!tmp || !dir || dir[0] != '/' ||
	    strlen(dir) + sizeof("/" CPROF_WARNINGS_FILE) > sizeof(warn_path))
		return;
	warn_temp = strcmp(tmp, "1") == 0;
	strcpy(warn_path, dir);
	strcat(warn_path, "/" CPROF_WARNINGS_FILE);
}

/* V in decimal into BUF; returns the length. */
static CPROF__NOINSTR size_t put_dec(char *buf, unsigned long v)
{
	char tmp[24];
	size_t k = 0, n = 0;

	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(tmp));
	while (k)
		buf[n++] = tmp[--k];
	return n;
}

/*
 * Append BODY (N bytes, ending in a newline) to the warnings file as
 * "PID BODY". True when it is there, or when it is rightly dropped (the
 * run directory of `cprof stat` is gone); false: use fd 2.
 */
static CPROF__NOINSTR bool to_file(const char *body, size_t n)
{
	char line[1100];
	struct rlimit rl;
	struct stat st;
	size_t len;
	ssize_t w;
	pid_t pid = getpid();
	int fd = open(warn_path,
		      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		      0600);

	if (fd < 0)
		return errno == ENOENT && warn_temp;
	fd = cprof__fd_high(fd, true);
	if (fd < 0)
		return false;
	len = put_dec(line, pid > 0 ? (unsigned long)pid : 0);
	line[len++] = ' ';
	if (n > sizeof(line) - len)
		n = sizeof(line) - len;
	memcpy(line + len, body, n);
	len += n;
	/* A file-size limit would raise SIGXFSZ on the program. */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (fstat(fd, &st) != 0 ||
	     (rlim_t)st.st_size + (rlim_t)len > rl.rlim_cur)) {
		close(fd);
		return false;
	}
	w = write(fd, line, len);
	close(fd);
	return w == (ssize_t)len;
}

CPROF__NOINSTR void cprof__warn(const char *msg, const char *arg, int err,
				const char *tail)
{
	char line[1024], ebuf[32];
	size_t n = 0;
	int saved = errno;
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
	if (!atomic_load(&warn_ready))
		cprof__warn_setup();
	/* The file's lines go without the "cprof: " prefix. */
	if (!warn_path[0] || !to_file(line + 7, n - 7)) {
		if (fcntl(STDERR_FILENO, F_GETFD) != -1) {
			ssize_t r = write(STDERR_FILENO, line, n);
			(void)r;
		}
	}
	errno = saved;
}
