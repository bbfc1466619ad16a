/*
 * writer.c - the log: turning the rings into msgpack chunks on disk.
 *
 * The writer thread wakes every flush interval, or when a ring is half
 * full, and encodes what each ring holds into `ev` chunks (format in
 * doc/log-format.md). The same code runs in a fatal-signal handler, so it
 * allocates nothing and calls only async-signal-safe functions: the
 * msgpack packer writes into a fixed buffer through our own callback, and
 * the buffer goes to the file with write(2).
 *
 * The writer lock serializes everything that touches the log. It is a
 * plain atomic word rather than a mutex so that a signal handler can wait
 * for it with a timeout.
 *
 * The runtime's descriptors live apart from the program's (see
 * cprof__fd_high), and the log is checked to be still ours before each
 * write: a program may close or replace any descriptor it did not open.
 * The writer holds no descriptor of its own: it sleeps on a futex word,
 * and every system call it makes has a way out that never spins.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <msgpack.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define OUT_CAP	    (1u << 20) /* bytes buffered before a write(2) */
#define CHUNK_MAX   16384u     /* events per ev chunk at most */
#define SITES_SLOTS 4096u      /* hash slots for a chunk's sites */
#define SITES_MAX   (SITES_SLOTS / 2)

/*
 * The log. Only the thread holding the writer lock changes it, but fd and
 * pid are read without the lock (cprof__log_is_ours, from program threads
 * and signal handlers): they are atomics, pid stored before fd.
 */
static struct {
	_Atomic int fd;
	_Atomic pid_t pid; /* the process the log belongs to */
	dev_t dev;	   /* the log's file, to tell it from a descriptor */
	ino_t ino;	   /* the program put in its place */
	bool known;	   /* dev and ino are known */
	char path[4200];
	char *buf;
	size_t len;
	bool failed;
	msgpack_packer pk;
	uint64_t last_clock_ns;
} out = {.fd = -1};

/*
 * Scratch space of the chunk encoder; only used under the writer lock.
 * Mapped with the log's buffer when the first log is opened, rather than
 * in the library's .bss: a program under a small address-space limit
 * (ulimit -v) must still load with the runtime, which then says once why
 * it does not record.
 */
static struct enc_scratch {
	uintptr_t keys[SITES_SLOTS]; /* address | 1 for a site, 0 = empty */
	uint16_t index[SITES_SLOTS];
	uintptr_t order[SITES_MAX];
	uint16_t ev_site[CHUNK_MAX];
	/* Two LEB128 numbers an event: at most 10 + 3 bytes. */
	unsigned char bytes[CHUNK_MAX * 13];
	/* Exact mode: one zigzag LEB128 number per event and counter. */
	unsigned char cbytes[CHUNK_MAX * CPROF_MAX_EVENTS * 10];
	/* --min-duration (select.c): the events of dropped calls, and the
	 * calls dropped per site. */
	unsigned char drop[CHUNK_MAX];
	uint32_t nshort[SITES_MAX];
	/*
	 * --alloc: the allocations and frees, four LEB128 numbers each, at
	 * most 3 + 10 + 10 + 10 bytes for an allocation (two records) and
	 * 3 + 10 + 1 + 10 for a free.
	 */
	unsigned char abytes[CHUNK_MAX * 24];
} * enc;

static _Atomic pid_t wlock_owner;
static _Atomic uint32_t kick_word; /* futex word: bumped to wake the writer */
static _Atomic int writer_sleeps;  /* the writer may be waiting on it */
static _Atomic int writer_alive;   /* a writer thread drains the rings */
static _Atomic int writer_stop;
static _Atomic uint32_t writer_ready; /* futex word: the thread is up */
static _Atomic uint32_t writer_done;  /* the thread leaves writer_main */
static pthread_t writer_thread;
static bool writer_running;

static CPROF__NOINSTR pid_t self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

CPROF__NOINSTR int cprof__log_fd(void)
{
	return out.fd;
}

CPROF__NOINSTR bool cprof__log_is_ours(void)
{
	return out.fd >= 0 && out.pid == getpid();
}

/* The writer lock. */

CPROF__NOINSTR bool cprof__wlock_try(unsigned timeout_ms)
{
	pid_t me = self_tid();
	unsigned spins = 0;

	for (;;) {
		pid_t expect = 0;

		if (atomic_compare_exchange_weak(&wlock_owner, &expect, me))
			return true;
		if (expect == me)
			return false; /* we hold it: a signal hit our own drain
				       */
		if (++spins > 100) {
			struct timespec ts = {0, 1000 * 1000};

			if (timeout_ms == 0)
				return false;
			nanosleep(&ts, NULL);
			timeout_ms--;
		}
	}
}

CPROF__NOINSTR void cprof__wlock(void)
{
	while (!cprof__wlock_try(1000))
		;
}

CPROF__NOINSTR void cprof__wunlock(void)
{
	atomic_store_explicit(&wlock_owner, 0, memory_order_release);
}

/* Output: a fixed buffer behind the msgpack packer. */

/*
 * Whether FD is still the log we opened. A program may close any
 * descriptor it did not open (closefrom, close_range, a loop up to its
 * limit) and reuse the number, or dup2() a file of its own over it.
 * Errors other than EBADF mean fstat itself is refused (a sandbox): there
 * is no telling then, and the descriptor is trusted.
 */
static bool log_unlinked; /* the last check found no name left */

static CPROF__NOINSTR bool log_fd_ours(int fd)
{
	struct stat st;

	log_unlinked = false;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0)
		return errno != EBADF;
	if (!out.known || (st.st_dev == out.dev && st.st_ino == out.ino)) {
		log_unlinked = st.st_nlink == 0;
		return true;
	}
	return false;
}

/*
 * Make sure out.fd is our log before writing to it. When the program took
 * the number, it stays the program's (never closed nor written by us) and
 * the log is opened again by its path, if that path still names the same
 * file. Returns 0 or the error that ends the log.
 *
 * A window remains: another thread of the program may close and reuse the
 * number between this check and the write(2) that follows (microseconds,
 * once per flush), and the write would then land in the program's file.
 * Only a design with no descriptor in the process closes it.
 */
static CPROF__NOINSTR int log_verify(void)
{
	struct stat st;
	int fd;

	if (log_fd_ours(out.fd))
		return 0;
	fd = open(out.path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		out.fd = -1;
		return err;
	}
	/* Unknown identity (fstat refused): the path is ours, O_NOFOLLOW. */
	if (out.known && (fstat(fd, &st) != 0 || st.st_dev != out.dev ||
			  st.st_ino != out.ino)) {
		close(fd);
		out.fd = -1;
		return ESTALE;
	}
	out.fd = cprof__fd_high(fd, true);
	return 0;
}

static CPROF__NOINSTR void write_fail(const char *what, int err)
{
	/* A full or broken disk, or a log lost: say it once, stop. */
	out.failed = true;
	atomic_store(&cprof__rt.on, 0);
	cprof__warn(what, out.path, err,
		    "profiling stopped, the program goes on");
}

/*
 * The log has no name left: the cprof command removed its run directory
 * as it returned (having told its user that this process still ran), or
 * the user removed the log. Nobody can read what follows: recording
 * stops, silently, and the space goes back to the disk.
 */
static CPROF__NOINSTR void log_gone(void)
{
	out.failed = true;
	atomic_store(&cprof__rt.on, 0);
	close(out.fd);
	out.fd = -1;
}

/*
 * Past the program's RLIMIT_FSIZE a write fails with EFBIG and the kernel
 * sends SIGXFSZ to the writing thread, which may be the program's (the
 * exit drain, a fork or exec end, a fatal-signal flush): the signal stays
 * blocked around the runtime's writes, and one the write raised is taken
 * back before the mask is restored, so that the program only gets the
 * signals it raised itself. EFBIG ends the log as a full disk does.
 */
static CPROF__NOINSTR void xfsz_block(sigset_t *old, bool *had)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &set, old);
	*had = sigpending(&pend) == 0 && sigismember(&pend, SIGXFSZ);
}

static CPROF__NOINSTR void xfsz_restore(const sigset_t *old, bool had,
					bool raised)
{
	if (raised && !had) {
		sigset_t set;
		struct timespec zero = {0, 0};

		sigemptyset(&set);
		sigaddset(&set, SIGXFSZ);
		while (sigtimedwait(&set, NULL, &zero) == SIGXFSZ)
			;
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static CPROF__NOINSTR void write_all(const char *p, size_t n)
{
	sigset_t mask;
	bool had, efbig = false;
	int saved = errno;

	xfsz_block(&mask, &had);
	while (n > 0 && !out.failed) {
		int err = log_verify();
		ssize_t w;

		if (!err && log_unlinked) {
			log_gone();
			break;
		}
		if (err) {
			write_fail(
				err == ESTALE
					? "the program closed or replaced the "
					  "log, and its path names another "
					  "file now"
					: "cannot reopen the log the program "
					  "closed or replaced",
				err == ESTALE ? 0 : err);
			break;
		}
		w = write(out.fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			efbig = w < 0 && errno == EFBIG;
			write_fail("cannot write log", w < 0 ? errno : ENOSPC);
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	xfsz_restore(&mask, had, efbig);
	errno = saved;
}

CPROF__NOINSTR void cprof__log_flush(void)
{
	if (out.fd >= 0 && out.len > 0)
		write_all(out.buf, out.len);
	out.len = 0;
}

static CPROF__NOINSTR int out_write(void *data, const char *buf, size_t len)
{
	(void)data;
	if (out.failed)
		return 0;
	if (out.len + len > OUT_CAP)
		cprof__log_flush();
	if (len > OUT_CAP) {
		write_all(buf, len);
		return 0;
	}
	memcpy(out.buf + out.len, buf, len);
	out.len += len;
	return 0;
}

/* Read a small file such as /proc/self/cmdline with system calls only. */
static CPROF__NOINSTR ssize_t read_small(const char *path, char *buf,
					 size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return (ssize_t)n;
}

static CPROF__NOINSTR void pack_header(msgpack_packer *pk, uint64_t start_ns)
{
	static char exe[4096], cmdline[16384];
	uint64_t ticks, mono;
	ssize_t n;
	int argc = 0;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	n = read_small("/proc/self/cmdline", cmdline, sizeof(cmdline) - 1);
	if (n < 0)
		n = 0;
	cmdline[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (cmdline[i] == '\0')
			argc++;

	/* --alloc: the tool preloaded the allocator wrappers (alloc.c). */
	const char *alloc = getenv(CPROF_ENV_ALLOC);
	bool with_alloc = alloc && strcmp(alloc, "1") == 0;

	cprof__clock_point(&ticks, &mono);
	msgpack_pack_map(pk, 9 + (with_alloc ? 1 : 0) +
				     (cprof__ctr.nev ? 1 : 0) +
				     (cprof__own_hooks[0] ? 1 : 0) +
				     (cprof__self_path[0] ? 1 : 0) +
				     (cprof__sel_any() ? 1 : 0) +
				     (cprof__clock_note[0] ? 1 : 0) +
				     (cprof__calib.done ? 1 : 0) +
				     (cprof__adapt.on ? 1 : 0));
	cprof__pack_str(pk, CPROF_KEY_MAGIC);
	cprof__pack_str(pk, CPROF_LOG_MAGIC);
	cprof__pack_kv_u64(pk, CPROF_KEY_VERSION, CPROF_LOG_VERSION);
	cprof__pack_kv_u64(pk, CPROF_KEY_PID, (uint64_t)getpid());
	cprof__pack_kv_u64(pk, CPROF_KEY_PPID, (uint64_t)getppid());
	cprof__pack_str(pk, CPROF_KEY_EXE);
	cprof__pack_str(pk, exe);
	cprof__pack_str(pk, CPROF_KEY_ARGV);
	msgpack_pack_array(pk, (size_t)argc);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(cmdline + i) + 1)
		cprof__pack_str(pk, cmdline + i);
	cprof__pack_kv_u64(pk, CPROF_KEY_START_NS, cprof__real_ns());
	cprof__pack_str(pk, CPROF_KEY_CLOCK);
	msgpack_pack_map(pk, 5);
	cprof__pack_str(pk, CPROF_KEY_SOURCE);
	cprof__pack_str(pk, CPROF__CLOCK_SOURCE);
	cprof__pack_kv_u64(pk, CPROF_KEY_HZ, cprof__clock_hz());
	cprof__pack_kv_u64(pk, CPROF_KEY_TICKS, ticks);
	cprof__pack_kv_u64(pk, CPROF_KEY_MONO_NS, mono);
	cprof__pack_kv_u64(pk, CPROF_KEY_WIDTH, cprof__clock_width);
	cprof__pack_kv_u64(pk, CPROF_KEY_FLUSH_MS, cprof__rt.flush_ms);
	if (cprof__ctr.nev) {
		cprof__pack_str(pk, CPROF_KEY_EVENTS);
		cprof__counters_pack_header(pk);
	}
	if (with_alloc) {
		cprof__pack_str(pk, CPROF_KEY_ALLOC);
		msgpack_pack_true(pk);
	}
	if (cprof__own_hooks[0]) {
		cprof__pack_str(pk, CPROF_KEY_OWN_HOOKS);
		cprof__pack_str(pk, cprof__own_hooks);
	}
	if (cprof__self_path[0]) {
		cprof__pack_str(pk, CPROF_KEY_RUNTIME);
		cprof__pack_str(pk, cprof__self_path);
	}
	if (cprof__clock_note[0]) {
		cprof__pack_str(pk, CPROF_KEY_CLOCK_NOTE);
		cprof__pack_str(pk, cprof__clock_note);
	}
	if (cprof__sel_any()) {
		cprof__pack_str(pk, CPROF_KEY_SELECT);
		cprof__sel_pack_header(pk);
	}
	if (cprof__calib.done) {
		cprof__pack_str(pk, CPROF_KEY_CALIB);
		cprof__calib_pack(pk);
	}
	if (cprof__adapt.on) {
		cprof__pack_str(pk, CPROF_KEY_ADAPTIVE);
		cprof__adapt_pack_header(pk);
	}
	(void)start_ns;
}

/*
 * Open the run directory DIR for creating a log in it, or say once why
 * not. It must be a directory itself (not a symbolic link), the user's
 * (the effective user's: a program that changed its identity does not
 * write into another user's directory), and not writable by others unless
 * sticky: whoever may plant a link there could make the program write
 * over any file it may write. Returns the descriptor, or
 * -CPROF__E_REFUSED after the warning, or -errno.
 */
#define UNPROFILED "; profiling is off, the program runs unprofiled"

static CPROF__NOINSTR int open_run_dir(const char *dir)
{
	const char *why = NULL;
	struct stat sb;
	int dfd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat lsb;

		if (errno != ELOOP && errno != ENOTDIR)
			return -errno;
		why = lstat(dir, &lsb) == 0 && S_ISLNK(lsb.st_mode)
			      ? "it is a symbolic link" UNPROFILED
			      : "it is not a directory" UNPROFILED;
	} else if (fstat(dfd, &sb) != 0) {
		int err = errno;

		close(dfd);
		return -err;
	} else if (sb.st_uid != geteuid()) {
		why = "it belongs to another user" UNPROFILED;
	} else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) &&
		   !(sb.st_mode & S_ISVTX)) {
		why = "other users may write to it" UNPROFILED;
	}
	if (!why)
		return dfd;
	if (dfd >= 0)
		close(dfd);
	if (!cprof__quiet()) /* a parent said it already */
		cprof__warn("not recording into", dir, 0, why);
	return -CPROF__E_REFUSED;
}

#define LOG_FLAGS \
	(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC)

/*
 * The log by its path, for a process with a single descriptor left (a
 * limit of 4 with the standard three open): the checked directory DFD is
 * closed to make room, and the directory the path leads to afterwards must
 * be the same one (device and inode), or the new log is given up. Returns
 * the log's descriptor, or -1 with errno set; DFD is closed either way.
 */
static CPROF__NOINSTR int open_by_path(int dfd, const char *dir)
{
	struct stat before, after;
	int fd, err;

	if (fstat(dfd, &before) != 0) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	close(dfd);
	fd = open(out.path, LOG_FLAGS, 0644);
	if (fd < 0)
		return -1;
	if (lstat(dir, &after) == 0 && after.st_dev == before.st_dev &&
	    after.st_ino == before.st_ino)
		return fd;
	err = EXDEV;
	close(fd);
	errno = err;
	return -1;
}

CPROF__NOINSTR int cprof__log_open(const char *dir)
{
	uint64_t start = cprof__mono_ns();
	const char *name;
	int fd, dfd;

	if (!out.buf) {
		void *m = mmap(NULL, OUT_CAP, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return -errno;
		out.buf = m;
	}
	if (!enc) {
		void *m = mmap(NULL, sizeof(*enc), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return -errno;
		enc = m;
	}
	snprintf(out.path, sizeof(out.path), "%s/" CPROF_LOG_NAME_FMT, dir,
		 (int)getpid(), (unsigned long long)start);
	name = strrchr(out.path, '/') + 1;
	dfd = open_run_dir(dir);
	if (dfd < 0)
		return dfd;
	/* Never through a link, never over a file: a new log or nothing. */
	fd = openat(dfd, name, LOG_FLAGS, 0644);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		fd = open_by_path(dfd, dir); /* it closes DFD */
		if (fd < 0)
			return -errno;
	} else {
		int err = errno;

		close(dfd);
		if (fd < 0)
			return -err;
	}
	struct stat st;
	/* A sandbox may refuse fstat: the log is then trusted unchecked. */
	out.known = fstat(fd, &st) == 0;
	out.dev = out.known ? st.st_dev : 0;
	out.ino = out.known ? st.st_ino : 0;
	out.pid = getpid();
	out.fd = cprof__fd_high(fd, true);
	out.len = 0;
	out.failed = false;
	out.last_clock_ns = 0;
	msgpack_packer_init(&out.pk, NULL, out_write);
	pack_header(&out.pk, start);
	cprof__loadmap_write(&out.pk, true);
	cprof__log_flush();
	return out.failed ? -EIO : 0;
}

/* A number the program took over is the program's: it is not closed. */
CPROF__NOINSTR void cprof__log_close(void)
{
	cprof__log_flush();
	if (log_fd_ours(out.fd))
		close(out.fd);
	out.fd = -1;
}

CPROF__NOINSTR void cprof__log_drop(void)
{
	if (log_fd_ours(out.fd))
		close(out.fd);
	out.fd = -1;
	out.len = 0;
}

/* Chunks. */

static CPROF__NOINSTR void pack_thread_chunk(struct cprof__thread *t,
					     bool start)
{
	msgpack_packer *pk = &out.pk;

	msgpack_pack_map(pk, start ? 4 : 3);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_THREAD);
	cprof__pack_kv_u64(pk, CPROF_KEY_TID, (uint64_t)t->tid);
	if (start) {
		char path[64], name[64];
		ssize_t n;

		cprof__pack_kv_u64(pk, CPROF_KEY_START, t->start_tick);
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm",
			 (int)t->tid);
		n = read_small(path, name, sizeof(name) - 1);
		if (n < 0)
			n = 0;
		while (n > 0 && name[n - 1] == '\n')
			n--;
		name[n] = '\0';
		cprof__pack_str(pk, CPROF_KEY_NAME);
		cprof__pack_str(pk, name);
	} else {
		cprof__pack_kv_u64(pk, CPROF_KEY_END, t->end_tick);
	}
}

static CPROF__NOINSTR const char *site_kind(int kind)
{
	switch (kind) {
	case CPROF_SITE_FUNC:
		return CPROF_KIND_FUNC;
	case CPROF_SITE_FRAME:
		return CPROF_KIND_FRAME;
	default:
		return CPROF_KIND_SCOPE;
	}
}

static CPROF__NOINSTR void pack_site(msgpack_packer *pk, uintptr_t key)
{
	const struct cprof_site *s;

	if (!(key & 1)) {
		msgpack_pack_uint64(pk, key >> 1);
		return;
	}
	s = (const struct cprof_site *)(key >> 1);
	if (s &&
	    (s->kind == CPROF__SITE_SWITCH || s->kind == CPROF__SITE_FOREIGN)) {
		/*
		 * The runtime's own events (shadow.c): a name, so that a
		 * reader that does not know the kind sees a scope of no
		 * length.
		 */
		bool sw = s->kind == CPROF__SITE_SWITCH;

		msgpack_pack_map(pk, sw ? 3 : 2);
		cprof__pack_str(pk, CPROF_KEY_NAME);
		cprof__pack_str(pk, s->name);
		cprof__pack_str(pk, CPROF_KEY_KIND);
		cprof__pack_str(pk, sw ? CPROF_KIND_SWITCH
				       : CPROF_KIND_UNKNOWN_STACK);
		if (sw)
			cprof__pack_kv_u64(pk, CPROF_KEY_CTX,
					   (uint64_t)s->line);
		return;
	}
	msgpack_pack_map(pk, 4);
	cprof__pack_str(pk, CPROF_KEY_NAME);
	cprof__pack_str(pk, s ? s->name : "(null site)");
	cprof__pack_str(pk, CPROF_KEY_FILE);
	cprof__pack_str(pk, s ? s->file : "");
	cprof__pack_kv_u64(pk, CPROF_KEY_LINE,
			   s && s->line > 0 ? (uint64_t)s->line : 0);
	cprof__pack_str(pk, CPROF_KEY_KIND);
	cprof__pack_str(pk, site_kind(s ? s->kind : CPROF_SITE_SCOPE));
}

CPROF__NOINSTR void cprof__pack_site(msgpack_packer *pk, uintptr_t addr,
				     bool site)
{
	pack_site(pk, ((uint64_t)addr << 1) | (site ? 1 : 0));
}

/*
 * Exact mode: the counter values read with each event, as "c0" (the first
 * event's) and "cv" (zigzag LEB128 changes from one event to the next).
 */
static CPROF__NOINSTR void pack_exact(struct cprof__thread *t, uint64_t tail,
				      uint64_t n)
{
	const uint64_t mask = CPROF__RING_CAP - 1;
	const unsigned nev = (unsigned)cprof__ctr.nev;
	uint64_t i0 = 0;
	msgpack_packer *pk = &out.pk;
	size_t len = 0;

	/* The values of the first event kept (dropped short calls: none). */
	while (i0 + 1 < n &&
	       (enc->drop[i0] ||
		(t->ring[(tail + i0) & mask].tick & CPROF__REC_ALLOC)))
		i0++;
	const uint64_t *first = &t->cvals[((tail + i0) & mask) * nev];
	const uint64_t *prev = first;

	cprof__pack_str(pk, CPROF_KEY_C0);
	msgpack_pack_array(pk, nev);
	for (unsigned k = 0; k < nev; k++)
		msgpack_pack_uint64(pk, first[k]);
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t *cur = &t->cvals[((tail + i) & mask) * nev];

		/* Allocation records read no counters. */
		if (enc->drop[i] ||
		    (t->ring[(tail + i) & mask].tick & CPROF__REC_ALLOC))
			continue;

		for (unsigned k = 0; k < nev; k++) {
			int64_t d = (int64_t)(cur[k] - prev[k]);

			len = cprof__put_uleb(enc->cbytes, len,
					      ((uint64_t)d << 1) ^
						      (uint64_t)(d >> 63));
		}
		prev = cur;
	}
	cprof__pack_str(pk, CPROF_KEY_CV);
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, enc->cbytes, len);
}

/*
 * --alloc: the chunk's allocations and frees as "al", four LEB128 numbers
 * each: how many ev events came since the one before (or the chunk's
 * start), the time since the one before (from t0), the size shifted left
 * with 1 in the low bit for a free (size 0), and the block's address as
 * a zigzag change from the one before (from 0). See doc/log-format.md.
 */
static CPROF__NOINSTR void pack_allocs(struct cprof__thread *t, uint64_t tail,
				       uint64_t n, uint64_t t0)
{
	const uint64_t mask = CPROF__RING_CAP - 1;
	uint64_t pos = 0, last_pos = 0, prev = t0;
	uintptr_t prev_addr = 0;
	size_t len = 0;

	for (uint64_t i = 0; i < n; i++) {
		const struct cprof__rec *r = &t->ring[(tail + i) & mask];
		uint64_t tick = r->tick & CPROF__TICK_MASK;
		int64_t d = (int64_t)(r->addr - prev_addr);
		bool freed = (r->tick & CPROF__REC_EXIT) != 0;
		uint64_t size = 0;

		if (!(r->tick & CPROF__REC_ALLOC)) {
			pos += !enc->drop[i];
			continue;
		}
		if (!freed)
			size = t->ring[(tail + ++i) & mask].tick &
			       CPROF__TICK_MASK;
		len = cprof__put_uleb(enc->abytes, len, pos - last_pos);
		len = cprof__put_uleb(enc->abytes, len,
				      tick > prev ? tick - prev : 0);
		len = cprof__put_uleb(enc->abytes, len,
				      size << 1 | (freed ? 1 : 0));
		len = cprof__put_uleb(enc->abytes, len,
				      ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
		last_pos = pos;
		if (tick > prev)
			prev = tick;
		prev_addr = r->addr;
	}
	cprof__pack_str(&out.pk, CPROF_KEY_AL);
	msgpack_pack_bin(&out.pk, len);
	msgpack_pack_bin_body(&out.pk, enc->abytes, len);
}

/*
 * Encode up to CHUNK_MAX events of T from TAIL on; returns how many. A
 * first pass gives every distinct address a small index (the chunk's
 * sites table), the second packs (delta << 1 | exit, index) pairs, which
 * msgpack stores in two to four bytes for typical call durations.
 */
static CPROF__NOINSTR uint64_t encode_chunk(struct cprof__thread *t,
					    uint64_t tail, uint64_t n)
{
	msgpack_packer *pk = &out.pk;
	const uint64_t mask = CPROF__RING_CAP - 1;
	uint32_t nsites = 0;
	uint64_t i, prev, nalloc = 0, nrec = 0;

	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	memset(enc->keys, 0, sizeof(enc->keys));
	for (i = 0; i < n; i++) {
		const struct cprof__rec *r = &t->ring[(tail + i) & mask];

		if (r->tick & CPROF__REC_ALLOC) {
			/* An allocation and its size stay in one chunk. */
			if (!(r->tick & CPROF__REC_EXIT) && i + 1 == n)
				break;
			nalloc++;
			i += !(r->tick & CPROF__REC_EXIT);
			continue;
		}
		uintptr_t key =
			(r->addr << 1) | ((r->tick & CPROF__REC_SITE) ? 1 : 0);
		/* Zero marks an empty slot; address 0 is stored as key 2. */
		uintptr_t k = key ? key : 2;
		uint32_t h =
			(uint32_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 52) &
			(SITES_SLOTS - 1);

		while (enc->keys[h] && enc->keys[h] != k)
			h = (h + 1) & (SITES_SLOTS - 1);
		if (!enc->keys[h]) {
			if (nsites == SITES_MAX)
				break; /* the rest goes in the next chunk */
			enc->keys[h] = k;
			enc->index[h] = (uint16_t)nsites;
			enc->order[nsites++] = key;
		}
		enc->ev_site[i] = enc->index[h];
	}
	n = i;

	const struct cprof__rec *first = &t->ring[tail & mask];
	prev = first->tick & CPROF__TICK_MASK;
	bool exact = cprof__ctr.exact && cprof__ctr.nev && t->cvals;
	uint64_t dropped = cprof__sel_short(t, tail, n, enc->drop);
	uint32_t nshort = 0;

	if (dropped) {
		memset(enc->nshort, 0, nsites * sizeof(enc->nshort[0]));
		for (i = 0; i < n; i++) {
			const struct cprof__rec *r =
				&t->ring[(tail + i) & mask];

			if (enc->drop[i] && !(r->tick & CPROF__REC_EXIT))
				nshort += enc->nshort[enc->ev_site[i]]++ == 0;
		}
	}
	for (i = 0; i < n; i++)
		nrec += (t->ring[(tail + i) & mask].tick & CPROF__REC_ALLOC) !=
			0;
	msgpack_pack_map(pk,
			 (exact ? 8 : 6) + (nshort ? 1 : 0) + (nalloc ? 1 : 0));
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_EV);
	cprof__pack_kv_u64(pk, CPROF_KEY_TID, (uint64_t)t->tid);
	cprof__pack_kv_u64(pk, CPROF_KEY_T0, prev);
	cprof__pack_str(pk, CPROF_KEY_SITES);
	msgpack_pack_array(pk, nsites);
	for (uint32_t s = 0; s < nsites; s++)
		pack_site(pk, enc->order[s]);
	cprof__pack_kv_u64(pk, CPROF_KEY_N, n - dropped - nrec);
	/*
	 * The events are a byte string of LEB128 numbers rather than a
	 * msgpack array: half the size for short calls, and the reader decodes
	 * it several times faster than it can unpack millions of msgpack
	 * objects. The chunk around it stays ordinary msgpack.
	 */
	size_t len = 0;
	for (i = 0; i < n; i++) {
		const struct cprof__rec *r = &t->ring[(tail + i) & mask];
		uint64_t tick = r->tick & CPROF__TICK_MASK;
		/* A counter that steps back (it should not) reads as 0. */
		uint64_t delta = tick > prev ? tick - prev : 0;

		if (enc->drop[i] || (r->tick & CPROF__REC_ALLOC))
			continue;

		if (tick > prev)
			prev = tick;
		len = cprof__put_uleb(enc->bytes, len,
				      (delta << CPROF_EV_DELTA_SHIFT) |
					      ((r->tick & CPROF__REC_EXIT)
						       ? CPROF_EV_EXIT
						       : 0));
		len = cprof__put_uleb(enc->bytes, len, enc->ev_site[i]);
	}
	cprof__pack_str(pk, CPROF_KEY_EV);
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, enc->bytes, len);
	if (exact)
		pack_exact(t, tail, n);
	if (nalloc)
		pack_allocs(t, tail, n, first->tick & CPROF__TICK_MASK);
	if (nshort) {
		/* The calls shorter than --min-duration: [site, calls]. */
		cprof__pack_str(pk, CPROF_KEY_SHORT);
		msgpack_pack_array(pk, nshort);
		for (uint32_t k = 0; k < nsites; k++) {
			if (!enc->nshort[k])
				continue;
			msgpack_pack_array(pk, 2);
			msgpack_pack_uint32(pk, k);
			msgpack_pack_uint32(pk, enc->nshort[k]);
		}
	}
	return n;
}

static CPROF__NOINSTR void drain_thread(struct cprof__thread *t)
{
	uint64_t head = atomic_load_explicit(&t->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&t->tail, memory_order_relaxed);

	if (!t->announced && !out.failed) {
		pack_thread_chunk(t, true);
		t->announced = true;
	}
	while (tail < head) {
		uint64_t n = out.failed ? head - tail
					: encode_chunk(t, tail, head - tail);

		tail += n;
		atomic_store_explicit(&t->tail, tail, memory_order_release);
		cprof__ring_drained(t);
	}
}

CPROF__NOINSTR void cprof__drain_all(bool in_signal)
{
	struct cprof__thread *t;

	/*
	 * The map comes first: objects loaded since the last drain may hold
	 * addresses among the events below. Objects unloaded are handled by
	 * the dlclose() wrapper, which drains before they go.
	 */
	if (!in_signal)
		cprof__loadmap_write(&out.pk, false);
	if (!out.failed)
		cprof__children_pack(&out.pk);
	for (t = atomic_load(&cprof__threads); t; t = t->next) {
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if (st == CPROF__T_LIVE) {
			drain_thread(t);
			if (!out.failed) {
				cprof__adapt_drain(t, &out.pk);
				cprof__counters_drain(t, &out.pk);
			}
		} else if (st == CPROF__T_DEAD) {
			drain_thread(t);
			if (!out.failed) {
				cprof__adapt_drain(t, &out.pk);
				cprof__counters_drain(t, &out.pk);
				pack_thread_chunk(t, false);
			}
			cprof__counters_close(t);
			t->announced = false;
			atomic_store_explicit(&t->state, CPROF__T_FREE,
					      memory_order_release);
		}
	}
}

CPROF__NOINSTR void cprof__log_clock(void)
{
	uint64_t ticks, mono;

	if (out.failed || out.fd < 0)
		return;
	cprof__clock_point(&ticks, &mono);
	msgpack_pack_map(&out.pk, 4);
	cprof__pack_str(&out.pk, CPROF_KEY_T);
	cprof__pack_str(&out.pk, CPROF_CHUNK_CLOCK);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_TICKS, ticks);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_MONO_NS, mono);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_WIDTH, cprof__clock_width);
	out.last_clock_ns = mono;
}

CPROF__NOINSTR void cprof__log_calib(void)
{
	if (out.failed || out.fd < 0)
		return;
	cprof__calib_pack_chunk(&out.pk);
	cprof__log_flush();
}

CPROF__NOINSTR void cprof__log_end(enum cprof__end_reason why, int sig)
{
	static const char *const reasons[] = {
		CPROF_REASON_EXIT, CPROF_REASON_SIGNAL, CPROF_REASON_EXEC,
		CPROF_REASON_SANDBOX};
	uint64_t ticks, mono, lost = 0;
	struct cprof__thread *t;

	if (out.failed || out.fd < 0)
		return;
	for (t = atomic_load(&cprof__threads); t; t = t->next)
		lost += t->lost;
	cprof__clock_point(&ticks, &mono);
	msgpack_pack_map(&out.pk, 6);
	cprof__pack_str(&out.pk, CPROF_KEY_T);
	cprof__pack_str(&out.pk, CPROF_CHUNK_END);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_TICKS, ticks);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_MONO_NS, mono);
	cprof__pack_str(&out.pk, CPROF_KEY_REASON);
	cprof__pack_str(&out.pk, reasons[why]);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_SIGNAL, (uint64_t)sig);
	cprof__pack_kv_u64(&out.pk, CPROF_KEY_LOST, lost);
}

/* The writer thread. */

static CPROF__NOINSTR long futex(_Atomic uint32_t *word, int op, uint32_t val,
				 const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/*
 * Wake the writer: a bump of its futex word, and a wake-up call only when
 * it may be asleep. Called from record()'s slow path, maybe in a signal
 * handler: the program's errno is kept.
 */
CPROF__NOINSTR void cprof__writer_kick(void)
{
	int saved = errno;

	atomic_fetch_add(&kick_word, 1);
	if (atomic_load(&writer_sleeps))
		futex(&kick_word, FUTEX_WAKE_PRIVATE, 1, NULL);
	errno = saved;
}

CPROF__NOINSTR bool cprof__writer_active(void)
{
	return atomic_load_explicit(&writer_alive, memory_order_acquire);
}

/*
 * The ways the writer can wait, tried in this order: a sandbox (seccomp)
 * may refuse any system call, or fake its success with an errno of 0, and
 * the writer must then neither spin nor stop the program. A way that fails,
 * or returns at once several times in a row with no kick and no time gone,
 * is not used again; when none is left the writer ends, and the program's
 * threads drain their own rings (cprof__drain_inline).
 */
enum { WAIT_FUTEX, WAIT_CLOCK, WAIT_POLL, WAIT_NONE };
static int wait_way;
static int wait_early; /* returns in a row with nothing waited for */
static int wait_err;   /* why the last way failed */

static CPROF__NOINSTR bool wait_once(uint32_t seen, unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)(ms % 1000) * 1000000L};
	long r;
	int e;

	switch (wait_way) {
	case WAIT_FUTEX:
		atomic_store(&writer_sleeps, 1);
		r = atomic_load(&kick_word) != seen
			    ? 0
			    : futex(&kick_word, FUTEX_WAIT_PRIVATE, seen, &ts);
		e = r < 0 ? errno : 0;
		atomic_store(&writer_sleeps, 0);
		if (e == ETIMEDOUT || e == EAGAIN)
			e = 0;
		break;
	case WAIT_CLOCK:
		e = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		break;
	default:
		r = poll(NULL, 0, (int)ms);
		e = r < 0 ? errno : 0;
		break;
	}
	if (e == EINTR)
		e = 0;
	wait_err = e;
	return e == 0;
}

/*
 * Sleep MS, or until kicked. Only the futex can be woken early: the other
 * ways sleep in steps of at most 50 ms, looking for kicks and for the
 * stop in between.
 */
static CPROF__NOINSTR void writer_wait(uint32_t seen, unsigned ms)
{
	const uint64_t end = cprof__mono_ns() + (uint64_t)ms * 1000000u;

	while (wait_way != WAIT_NONE && !atomic_load(&writer_stop)) {
		uint64_t t0 = cprof__mono_ns(), t1;
		unsigned step = wait_way != WAIT_FUTEX && ms > 50 ? 50 : ms;

		if (wait_once(seen, step)) {
			t1 = cprof__mono_ns();
			if (atomic_load(&kick_word) != seen || t1 >= end) {
				wait_early = 0;
				return;
			}
			/* A quarter of the step gone: a real (partial) wait. */
			if (t1 - t0 >= (uint64_t)step * 250000u) {
				wait_early = 0;
				continue;
			}
			if (++wait_early < 8)
				continue;
		}
		wait_early = 0;
		wait_way++;
	}
}

/*
 * How long the writer sleeps: the flush interval, or less while the
 * counters' sample rings fill fast. Nothing wakes it when a sample ring
 * fills (it holds no descriptor to poll), so it measures how full the
 * fullest ring got in the last interval and sizes the next one to fill a
 * quarter of it: shorter at once when samples come fast, longer (at most
 * twice as long a round) as they slow down; from 1 ms to the flush
 * interval. Sampling starts at 10 ms, as the rate is not known yet.
 */
static CPROF__NOINSTR unsigned next_interval(unsigned cur)
{
	uint64_t full = cprof__counters_fill(), want;

	want = full ? (uint64_t)cur * 250u / full : cprof__rt.flush_ms;
	if (want > (uint64_t)cur * 2)
		want = (uint64_t)cur * 2;
	if (want > cprof__rt.flush_ms)
		want = cprof__rt.flush_ms;
	return want ? (unsigned)want : 1;
}

static CPROF__NOINSTR void *writer_main(void *arg)
{
	const uint64_t interval = (uint64_t)cprof__rt.flush_ms * 1000000u;
	const bool sampling = cprof__ctr.nev && !cprof__ctr.exact;
	unsigned ms =
		sampling && cprof__rt.flush_ms > 10 ? 10 : cprof__rt.flush_ms;
	uint32_t seen = atomic_load(&kick_word);
	uint64_t last_life = cprof__mono_ns();

	(void)arg;
	cprof__tls_disable();
	if (atomic_load(&writer_stop)) {
		/* Abandoned at the process's end before it ever ran. */
		atomic_store(&writer_done, 1);
		return NULL;
	}
#ifdef PR_SET_TSC
	/*
	 * Made by a thread that disabled the time stamp counter (which is
	 * inherited): the writer reads it for clock points, on its own
	 * thread, which the program's setting was not meant for.
	 */
	syscall(SYS_prctl, PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
#endif
	atomic_store(&writer_ready, 1);
	futex(&writer_ready, FUTEX_WAKE_PRIVATE, 1, NULL);
	while (!atomic_load(&writer_stop)) {
		writer_wait(seen, ms);
		if (atomic_load(&writer_stop))
			break;
		if (wait_way == WAIT_NONE) {
			/*
			 * Nothing lets this thread sleep. Hand the rings to the
			 * program's threads before going, so that none waits
			 * for a drain that will not come.
			 */
			atomic_store(&writer_alive, 0);
			cprof__warn("the writer thread cannot wait", NULL,
				    wait_err ? wait_err : EAGAIN,
				    "the program's threads write the log");
			break;
		}
		seen = atomic_load(&kick_word);
		cprof__wlock();
		if (out.fd >= 0 && atomic_load(&cprof__rt.on) &&
		    !atomic_load(&cprof__rt.finished)) {
			/*
			 * The clock point goes first: a reader placing samples
			 * (CLOCK_MONOTONIC) among events (ticks) can then
			 * convert as soon as it reads this drain.
			 */
			if (cprof__mono_ns() - out.last_clock_ns >= interval)
				cprof__log_clock();
			cprof__drain_all(false);
			cprof__log_flush();
		}
		cprof__wunlock();
		if (sampling)
			ms = next_interval(ms);
		/* Once a flush interval: are the program's threads all gone? */
		if (cprof__mono_ns() - last_life >= interval) {
			last_life = cprof__mono_ns();
			cprof__life_check();
		}
	}
	atomic_store(&writer_done, 1);
	futex(&writer_done, FUTEX_WAKE_PRIVATE, 1, NULL);
	return NULL;
}

/*
 * Drain on a program's thread, from record()'s slow path, when no writer
 * thread runs (it could not be created, or could not wait). Returns false
 * when the lock is busy. IN_SIGNAL: maybe in a signal handler, where the
 * map of loaded objects cannot be read.
 */
CPROF__NOINSTR bool cprof__drain_inline(bool in_signal)
{
	int saved = errno;
	bool done = false;

	if (!cprof__log_is_ours() || !cprof__wlock_try(0))
		return false;
	if (atomic_load(&cprof__rt.on) && !atomic_load(&cprof__rt.finished)) {
		cprof__drain_all(in_signal);
		cprof__log_flush();
		done = true;
	}
	cprof__wunlock();
	errno = saved;
	return done;
}

CPROF__NOINSTR bool cprof__writer_pause(void)
{
	if (!writer_running)
		return false;
	cprof__wlock();
	if (cprof__log_is_ours() && atomic_load(&cprof__rt.on) &&
	    !atomic_load(&cprof__rt.finished)) {
		cprof__drain_all(false);
		cprof__log_flush();
	}
	cprof__wunlock();
	cprof__writer_stop();
	return true;
}

CPROF__NOINSTR int cprof__writer_start(void)
{
	sigset_t all, old;
	int err;

	/*
	 * The writer must never take a signal meant for the program: block
	 * everything in it (the mask is inherited at creation).
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	atomic_store(&writer_stop, 0);
	atomic_store(&writer_ready, 0);
	atomic_store(&writer_done, 0);
	wait_way = WAIT_FUTEX;
	wait_early = 0;
	/*
	 * Through the global pthread_create, so that a tool preloaded before
	 * us (a sanitizer) sees the thread; our own wrapper lets it through
	 * uncounted.
	 */
	cprof__creating_writer = true;
	err = pthread_create(&writer_thread, NULL, writer_main, NULL);
	cprof__creating_writer = false;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		/*
		 * A thread limit, or a sandbox refusing clone(): profile on
		 * without the thread, the program's threads writing the log.
		 */
		static bool warned;

		if (!warned) {
			warned = true;
			cprof__warn("cannot start the writer thread", NULL, err,
				    "the program's threads write the log");
		}
		atomic_store(&writer_alive, 0);
		return 0;
	}
	pthread_setname_np(writer_thread, "cprof-writer");
	writer_running = true;
	atomic_store_explicit(&writer_alive, 1, memory_order_release);
	/*
	 * Return only once the thread runs its own code: the C library sets
	 * a new thread up on the thread itself (rseq registration, its
	 * signal mask), and a program that installs a seccomp filter for
	 * all its threads right after (a sandbox at start, a fork child)
	 * would have glibc abort the process when that setup is refused.
	 */
	cprof__writer_settle();
	return 0;
}

/*
 * A fork() while the C library (or a sanitizer's allocator) is still
 * setting the new writer thread up could copy a lock held by it into the
 * child: the fork prepare handler waits until the thread runs its own
 * code. Only then: on a loaded machine a new thread may wait milliseconds
 * for a processor, and a fork child that starts a writer and soon exits
 * (a shell's subshell) must not wait for that. A sandbox refusing the
 * futex makes this a timed wait.
 */
CPROF__NOINSTR void cprof__writer_settle(void)
{
	int saved = errno;

	while (writer_running && !atomic_load(&writer_ready) &&
	       !atomic_load(&writer_done)) {
		struct timespec ts = {0, 1000 * 1000};

		if (futex(&writer_ready, FUTEX_WAIT_PRIVATE, 0, &ts) != 0 &&
		    errno != ETIMEDOUT && errno != EAGAIN && errno != EINTR)
			nanosleep(&ts, NULL);
	}
	errno = saved;
}

/*
 * At the process's end: a writer thread that has not run yet is told to
 * stop and left to the exit (it leaves at once if it ever runs, touching
 * nothing), rather than waited for. True when so; else the writer must
 * be stopped and joined (cprof__writer_stop).
 */
CPROF__NOINSTR bool cprof__writer_abandon(void)
{
	if (!writer_running || atomic_load(&writer_ready))
		return false;
	atomic_store(&writer_stop, 1);
	if (atomic_load(&writer_ready)) {
		/* It started meanwhile: stop it the usual way. */
		return false;
	}
	pthread_detach(writer_thread);
	writer_running = false;
	atomic_store(&writer_alive, 0);
	return true;
}

CPROF__NOINSTR void cprof__writer_stop(void)
{
	if (!writer_running)
		return;
	atomic_store(&writer_stop, 1);
	cprof__writer_kick();
	/*
	 * pthread_join waits on a futex, and the C library aborts the
	 * process when the kernel refuses it: first wait for the writer to
	 * leave its loop (at once when woken, within 50 ms when it sleeps
	 * otherwise) with whatever sleep the sandbox allows, on the clock,
	 * 5 s at most; then, where the writer found futex refused, detach it
	 * rather than join.
	 */
	uint64_t give_up = cprof__mono_ns() + 5000000000u;
	while (!atomic_load(&writer_done) && cprof__mono_ns() < give_up) {
		struct timespec ts = {0, 1000 * 1000};

		/*
		 * Woken as the writer leaves: a plain 1 ms sleep here made
		 * every process's exit (every fork child's) 1 ms longer.
		 */
		if (futex(&writer_done, FUTEX_WAIT_PRIVATE, 0, &ts) == 0 ||
		    errno == ETIMEDOUT || errno == EAGAIN || errno == EINTR)
			continue;
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR &&
		    poll(NULL, 0, 1) != 0)
			sched_yield();
	}
	if (wait_way != WAIT_FUTEX)
		pthread_detach(writer_thread);
	else
		pthread_join(writer_thread, NULL);
	writer_running = false;
	atomic_store(&writer_alive, 0);
}

CPROF__NOINSTR bool cprof__writer_alive(void)
{
	return writer_running;
}

/* After fork() the child has no writer thread: forget the parent's. */
CPROF__NOINSTR void cprof__writer_forget(void)
{
	writer_running = false;
	atomic_store(&writer_alive, 0);
	atomic_store(&wlock_owner, 0);
}
