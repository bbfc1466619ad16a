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
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <msgpack.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define OUT_CAP	    (1u << 20) /* bytes buffered before a write(2) */
#define CHUNK_MAX   16384u     /* events per ev chunk at most */
#define SITES_SLOTS 4096u      /* hash slots for a chunk's sites */
#define SITES_MAX   (SITES_SLOTS / 2)

static struct {
	int fd;
	pid_t pid; /* the process the log belongs to */
	char path[4200];
	char *buf;
	size_t len;
	bool failed;
	msgpack_packer pk;
	uint64_t last_clock_ns;
} out = {.fd = -1};

/* Scratch space of the chunk encoder; only used under the writer lock. */
static struct {
	uintptr_t keys[SITES_SLOTS]; /* address | 1 for a site, 0 = empty */
	uint16_t index[SITES_SLOTS];
	uintptr_t order[SITES_MAX];
	uint16_t ev_site[CHUNK_MAX];
	/* Two LEB128 numbers an event: at most 10 + 3 bytes. */
	unsigned char bytes[CHUNK_MAX * 13];
	/* Exact mode: one zigzag LEB128 number per event and counter. */
	unsigned char cbytes[CHUNK_MAX * CPROF__MAX_EVENTS * 10];
} enc;

static _Atomic pid_t wlock_owner;
static int kick_fd = -1; /* eventfd: wakes the writer */
static _Atomic int writer_stop;
static _Atomic uint32_t writer_ready; /* futex word: the thread is up */
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

CPROF__NOINSTR void cprof__warn(const char *msg, const char *arg, int err,
				const char *tail)
{
	char line[1024];
	size_t n = 0;
	const char *e = NULL;

	if (err) {
		/* strerror is not async-signal-safe; these cover disk errors.
		 */
		e = err == ENOSPC	? "No space left on device"
		    : err == EACCES	? "Permission denied"
		    : err == ENOENT	? "No such file or directory"
		    : err == EROFS	? "Read-only file system"
		    : err == EDQUOT	? "Disk quota exceeded"
		    : err == ENOTDIR	? "Not a directory"
		    : err == ENOMEM	? "Cannot allocate memory"
		    : err == EFBIG	? "File too large"
		    : err == EINVAL	? "Invalid argument"
		    : err == EMFILE	? "Too many open files"
		    : err == EPERM	? "Operation not permitted"
		    : err == ENODEV	? "No such device"
		    : err == EOPNOTSUPP ? "Operation not supported"
		    : err == EBUSY	? "Device or resource busy"
					: "I/O error";
	}
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

static CPROF__NOINSTR void write_all(const char *p, size_t n)
{
	while (n > 0 && !out.failed) {
		ssize_t w = write(out.fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* A full or broken disk: say it once, stop recording.
			 */
			out.failed = true;
			atomic_store(&cprof__rt.on, 0);
			cprof__warn("cannot write log", out.path,
				    w < 0 ? errno : ENOSPC,
				    "profiling stopped, the program goes on");
			return;
		}
		p += w;
		n -= (size_t)w;
	}
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

CPROF__NOINSTR void cprof__pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s ? s : "", n);
}

static CPROF__NOINSTR void pack_kv_u64(msgpack_packer *pk, const char *k,
				       uint64_t v)
{
	cprof__pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
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

	cprof__clock_point(&ticks, &mono);
	msgpack_pack_map(pk, cprof__ctr.nev ? 10 : 9);
	cprof__pack_str(pk, "magic");
	cprof__pack_str(pk, "cprof");
	pack_kv_u64(pk, "version", 1);
	pack_kv_u64(pk, "pid", (uint64_t)getpid());
	pack_kv_u64(pk, "ppid", (uint64_t)getppid());
	cprof__pack_str(pk, "exe");
	cprof__pack_str(pk, exe);
	cprof__pack_str(pk, "argv");
	msgpack_pack_array(pk, (size_t)argc);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(cmdline + i) + 1)
		cprof__pack_str(pk, cmdline + i);
	pack_kv_u64(pk, "start_ns", cprof__real_ns());
	cprof__pack_str(pk, "clock");
	msgpack_pack_map(pk, 4);
	cprof__pack_str(pk, "source");
	cprof__pack_str(pk, CPROF__CLOCK_SOURCE);
	pack_kv_u64(pk, "hz", cprof__clock_hz());
	pack_kv_u64(pk, "ticks", ticks);
	pack_kv_u64(pk, "mono_ns", mono);
	pack_kv_u64(pk, "flush_ms", cprof__rt.flush_ms);
	if (cprof__ctr.nev) {
		cprof__pack_str(pk, "events");
		cprof__counters_pack_header(pk);
	}
	(void)start_ns;
}

CPROF__NOINSTR int cprof__log_open(const char *dir)
{
	uint64_t start = cprof__mono_ns();
	int fd;

	if (!out.buf) {
		void *m = mmap(NULL, OUT_CAP, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return -errno;
		out.buf = m;
	}
	snprintf(out.path, sizeof(out.path), "%s/proc-%d-%llu.log", dir,
		 (int)getpid(), (unsigned long long)start);
	fd = open(out.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	out.fd = fd;
	out.pid = getpid();
	out.len = 0;
	out.failed = false;
	out.last_clock_ns = 0;
	msgpack_packer_init(&out.pk, NULL, out_write);
	pack_header(&out.pk, start);
	cprof__loadmap_write(&out.pk, true);
	cprof__log_flush();
	return out.failed ? -EIO : 0;
}

CPROF__NOINSTR void cprof__log_close(void)
{
	cprof__log_flush();
	if (out.fd >= 0)
		close(out.fd);
	out.fd = -1;
}

CPROF__NOINSTR void cprof__log_drop(void)
{
	if (out.fd >= 0)
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
	cprof__pack_str(pk, "t");
	cprof__pack_str(pk, "thread");
	pack_kv_u64(pk, "tid", (uint64_t)t->tid);
	if (start) {
		char path[64], name[64];
		ssize_t n;

		pack_kv_u64(pk, "start", t->start_tick);
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm",
			 (int)t->tid);
		n = read_small(path, name, sizeof(name) - 1);
		if (n < 0)
			n = 0;
		while (n > 0 && name[n - 1] == '\n')
			n--;
		name[n] = '\0';
		cprof__pack_str(pk, "name");
		cprof__pack_str(pk, name);
	} else {
		pack_kv_u64(pk, "end", t->end_tick);
	}
}

static CPROF__NOINSTR const char *site_kind(int kind)
{
	switch (kind) {
	case CPROF_SITE_FUNC:
		return "func";
	case CPROF_SITE_FRAME:
		return "frame";
	default:
		return "scope";
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
		cprof__pack_str(pk, "name");
		cprof__pack_str(pk, s->name);
		cprof__pack_str(pk, "kind");
		cprof__pack_str(pk, sw ? "switch" : "unknown-stack");
		if (sw)
			pack_kv_u64(pk, "ctx", (uint64_t)s->line);
		return;
	}
	msgpack_pack_map(pk, 4);
	cprof__pack_str(pk, "name");
	cprof__pack_str(pk, s ? s->name : "(null site)");
	cprof__pack_str(pk, "file");
	cprof__pack_str(pk, s ? s->file : "");
	pack_kv_u64(pk, "line", s && s->line > 0 ? (uint64_t)s->line : 0);
	cprof__pack_str(pk, "kind");
	cprof__pack_str(pk, site_kind(s ? s->kind : CPROF_SITE_SCOPE));
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
	const uint64_t *first = &t->cvals[(tail & mask) * nev];
	msgpack_packer *pk = &out.pk;
	size_t len = 0;

	cprof__pack_str(pk, "c0");
	msgpack_pack_array(pk, nev);
	for (unsigned k = 0; k < nev; k++)
		msgpack_pack_uint64(pk, first[k]);
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t *cur = &t->cvals[((tail + i) & mask) * nev];
		const uint64_t *prev =
			i ? &t->cvals[((tail + i - 1) & mask) * nev] : cur;

		for (unsigned k = 0; k < nev; k++) {
			int64_t d = (int64_t)(cur[k] - prev[k]);

			len = cprof__put_uleb(enc.cbytes, len,
					      ((uint64_t)d << 1) ^
						      (uint64_t)(d >> 63));
		}
	}
	cprof__pack_str(pk, "cv");
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, enc.cbytes, len);
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
	uint64_t i, prev;

	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	memset(enc.keys, 0, sizeof(enc.keys));
	for (i = 0; i < n; i++) {
		const struct cprof__rec *r = &t->ring[(tail + i) & mask];
		uintptr_t key =
			(r->addr << 1) | ((r->tick & CPROF__REC_SITE) ? 1 : 0);
		/* Zero marks an empty slot; address 0 is stored as key 2. */
		uintptr_t k = key ? key : 2;
		uint32_t h =
			(uint32_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 52) &
			(SITES_SLOTS - 1);

		while (enc.keys[h] && enc.keys[h] != k)
			h = (h + 1) & (SITES_SLOTS - 1);
		if (!enc.keys[h]) {
			if (nsites == SITES_MAX)
				break; /* the rest goes in the next chunk */
			enc.keys[h] = k;
			enc.index[h] = (uint16_t)nsites;
			enc.order[nsites++] = key;
		}
		enc.ev_site[i] = enc.index[h];
	}
	n = i;

	const struct cprof__rec *first = &t->ring[tail & mask];
	prev = first->tick & CPROF__TICK_MASK;
	bool exact = cprof__ctr.exact && cprof__ctr.nev && t->cvals;

	msgpack_pack_map(pk, exact ? 8 : 6);
	cprof__pack_str(pk, "t");
	cprof__pack_str(pk, "ev");
	pack_kv_u64(pk, "tid", (uint64_t)t->tid);
	pack_kv_u64(pk, "t0", prev);
	cprof__pack_str(pk, "sites");
	msgpack_pack_array(pk, nsites);
	for (uint32_t s = 0; s < nsites; s++)
		pack_site(pk, enc.order[s]);
	pack_kv_u64(pk, "n", n);
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

		if (tick > prev)
			prev = tick;
		len = cprof__put_uleb(
			enc.bytes, len,
			(delta << 1) | ((r->tick & CPROF__REC_EXIT) ? 1 : 0));
		len = cprof__put_uleb(enc.bytes, len, enc.ev_site[i]);
	}
	cprof__pack_str(pk, "ev");
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, enc.bytes, len);
	if (exact)
		pack_exact(t, tail, n);
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
	for (t = atomic_load(&cprof__threads); t; t = t->next) {
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if (st == CPROF__T_LIVE) {
			drain_thread(t);
			if (!out.failed)
				cprof__counters_drain(t, &out.pk);
		} else if (st == CPROF__T_DEAD) {
			drain_thread(t);
			if (!out.failed) {
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
	msgpack_pack_map(&out.pk, 3);
	cprof__pack_str(&out.pk, "t");
	cprof__pack_str(&out.pk, "clock");
	pack_kv_u64(&out.pk, "ticks", ticks);
	pack_kv_u64(&out.pk, "mono_ns", mono);
	out.last_clock_ns = mono;
}

CPROF__NOINSTR void cprof__log_end(enum cprof__end_reason why, int sig)
{
	static const char *const reasons[] = {"exit", "signal", "exec"};
	uint64_t ticks, mono, lost = 0;
	struct cprof__thread *t;

	if (out.failed || out.fd < 0)
		return;
	for (t = atomic_load(&cprof__threads); t; t = t->next)
		lost += t->lost;
	cprof__clock_point(&ticks, &mono);
	msgpack_pack_map(&out.pk, 6);
	cprof__pack_str(&out.pk, "t");
	cprof__pack_str(&out.pk, "end");
	pack_kv_u64(&out.pk, "ticks", ticks);
	pack_kv_u64(&out.pk, "mono_ns", mono);
	cprof__pack_str(&out.pk, "reason");
	cprof__pack_str(&out.pk, reasons[why]);
	pack_kv_u64(&out.pk, "signal", (uint64_t)sig);
	pack_kv_u64(&out.pk, "lost", lost);
}

/* The writer thread. */

CPROF__NOINSTR void cprof__writer_kick(void)
{
	uint64_t one = 1;
	ssize_t r;

	if (kick_fd >= 0)
		r = write(kick_fd, &one, sizeof(one));
	(void)r;
}

/*
 * What the writer waits on: its kick eventfd and, in sampling mode, the
 * counter group leader of each live thread (readable when its sample ring
 * is a quarter full). Rebuilt every round: threads come and go.
 */
static CPROF__NOINSTR int poll_set(struct pollfd *pfd, int max)
{
	int n = 0;

	pfd[n++] = (struct pollfd){.fd = kick_fd, .events = POLLIN};
	if (!cprof__ctr.nev || cprof__ctr.exact)
		return n;
	for (struct cprof__thread *t = atomic_load(&cprof__threads);
	     t && n < max; t = t->next)
		if (atomic_load(&t->state) == CPROF__T_LIVE && t->cfd[0] >= 0)
			pfd[n++] = (struct pollfd){.fd = t->cfd[0],
						   .events = POLLIN};
	return n;
}

static CPROF__NOINSTR void *writer_main(void *arg)
{
	const uint64_t interval = (uint64_t)cprof__rt.flush_ms * 1000000u;

	(void)arg;
	cprof__tls_disable();
	atomic_store(&writer_ready, 1);
	syscall(SYS_futex, &writer_ready, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	while (!atomic_load(&writer_stop)) {
		struct pollfd pfd[256];
		int n = poll_set(pfd, 256);

		if (poll(pfd, (nfds_t)n, (int)cprof__rt.flush_ms) > 0 &&
		    (pfd[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t r = read(kick_fd, &v, sizeof(v));

			(void)r;
		}
		if (atomic_load(&writer_stop))
			break;
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
	}
	return NULL;
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
	/* A fork() child gets its own: the parent's would wake the parent. */
	if (kick_fd >= 0)
		close(kick_fd);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (kick_fd < 0)
		return -errno;
	/*
	 * Through the global pthread_create, so that a tool preloaded before
	 * us (a sanitizer) sees the thread; our own wrapper lets it through
	 * uncounted.
	 */
	cprof__creating_writer = true;
	err = pthread_create(&writer_thread, NULL, writer_main, NULL);
	cprof__creating_writer = false;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_setname_np(writer_thread, "cprof-writer");
	writer_running = true;
	/*
	 * Return only once the thread runs its own code: a fork() while the
	 * C library (or a sanitizer's allocator) is still setting the thread
	 * up could copy a lock held by it into the child.
	 */
	while (!atomic_load(&writer_ready))
		syscall(SYS_futex, &writer_ready, FUTEX_WAIT_PRIVATE, 0, NULL,
			NULL, 0);
	return 0;
}

CPROF__NOINSTR void cprof__writer_stop(void)
{
	if (!writer_running)
		return;
	atomic_store(&writer_stop, 1);
	cprof__writer_kick();
	pthread_join(writer_thread, NULL);
	writer_running = false;
}

/* After fork() the child has no writer thread: forget the parent's. */
CPROF__NOINSTR void cprof__writer_forget(void)
{
	writer_running = false;
	atomic_store(&wlock_owner, 0);
}
