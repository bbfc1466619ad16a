/*
 * syscalls.c - every system call of a thread, from the kernel's
 * raw_syscalls:sys_enter and sys_exit tracepoints (`--syscalls`, where
 * the kernel allows them: tracefs and privilege; the CLI finds their ids
 * and hands them over in CPROF_SYSCALLS).
 *
 * Each thread that has its counter group (sampling mode) also gets the
 * two tracepoints, sampled at every hit (period 1) with the tid, the
 * CLOCK_MONOTONIC time and the raw record (whose first field after the
 * common ones is the system call's number), both into one ring: sys_exit
 * writes into sys_enter's (PERF_EVENT_IOC_SET_OUTPUT), and each sample
 * starts with its event's id. They are no members of the group: the
 * group's read format and exact mode's reads stay as they are. The
 * mapping keeps sys_enter alive, so its descriptor is closed; sys_exit's
 * is kept, high and close-on-exec, until the thread ends.
 *
 * The writer pairs each exit with the enter before it while it drains
 * (a call still in the kernel waits in the thread for the next drain) and
 * writes a drain's calls as one `syscalls` chunk. Nothing here runs on
 * the program's threads but the opening, at thread start.
 *
 * Where the tracepoints are refused (unprivileged, perf_event_paranoid 2,
 * no tracefs) the CLI asks for the fallback (CPROF_SYSCALLS=wrap): the
 * wrappers of syswrap.c, and the runtime's syscall() (wrap.c), time each call a
 * program thread makes through libc's wrappers and note it in the
 * thread's ring of calls, which the writer turns into the same chunks.
 * They see no call glibc makes internally (stdio's __write, the
 * cancellation-free opens, sleep's nanosleep), no inline syscall
 * instruction, no io_uring work and no vDSO call. A call noted from a
 * signal handler that interrupted the noting of another on the same
 * thread may overwrite it (one call lost).
 */
#include "config.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SYS_PAGES 64   /* 256 KiB with 4 KiB pages: ~2700 calls a drain */
#define SYS_RECS  8192 /* fallback: calls noted a drain, 128 KiB */

static uint64_t tp_id[2]; /* sys_enter, sys_exit; 0: not asked */
CPROF__HIDDEN unsigned char cprof__sys_wrap;
static long page_size;
static atomic_bool warned;

/* One drain's calls of the thread being drained (the writer's). */
static struct {
	unsigned char rec[4096];
	unsigned char data[1u << 20];
	size_t len;
	uint64_t n, time0, prev, lost;
} * sc;

CPROF__NOINSTR void cprof__syscalls_config(void)
{
	const char *s = getenv(CPROF_ENV_SYSCALLS);
	char *e;

	tp_id[0] = tp_id[1] = 0;
	page_size = sysconf(_SC_PAGESIZE);
	cprof__sys_wrap = 0;
	if (s == NULL || *s == '\0')
		return;
	if (strcmp(s, "wrap") == 0) {
		cprof__sys_wrap = 1;
		return;
	}
	tp_id[0] = strtoull(s, &e, 10);
	if (*e != ',' || tp_id[0] == 0)
		goto bad;
	tp_id[1] = strtoull(e + 1, &e, 10);
	if (*e != '\0' || tp_id[1] == 0)
		goto bad;
	return;
bad:
	tp_id[0] = tp_id[1] = 0;
	cprof__warn("bad CPROF_SYSCALLS", s, 0, "system calls are not traced");
}

static CPROF__NOINSTR int open_tp(uint64_t id)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	a.disabled = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

CPROF__NOINSTR void cprof__syscalls_open(struct cprof__thread *t)
{
	int saved = errno, fd[2] = {-1, -1}, err = 0;
	void *m = MAP_FAILED;
	size_t len = (size_t)(1 + SYS_PAGES) * (size_t)page_size;

	t->smap = NULL;
	t->sfd = -1;
	t->s_nr = -1;
	t->srec = NULL;
	atomic_store(&t->shead, 0);
	atomic_store(&t->stail, 0);
	atomic_store(&t->sdropped, 0);
	if (cprof__sys_wrap && !cprof__ctr.exact && cprof__ctr.nev > 0) {
		m = mmap(NULL, SYS_RECS * sizeof(struct cprof__sysrec),
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (m != MAP_FAILED)
			__atomic_store_n(&t->srec, m, __ATOMIC_RELEASE);
		errno = saved;
		return;
	}
	if (tp_id[0] == 0 || cprof__ctr.exact || cprof__ctr.nev == 0 ||
	    t->cfd[0] < 0)
		return;
	for (int i = 0; i < 2 && !err; i++) {
		fd[i] = open_tp(tp_id[i]);
		if (fd[i] >= 0)
			fd[i] = cprof__fd_high(fd[i], false);
		if (fd[i] < 0 || ioctl(fd[i], PERF_EVENT_IOC_ID, &t->sid[i]))
			err = errno ? errno : EBADF;
	}
	if (!err)
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd[0],
			 0);
	if (!err && m == MAP_FAILED)
		err = errno;
	if (!err && ioctl(fd[1], PERF_EVENT_IOC_SET_OUTPUT, fd[0]) != 0)
		err = errno;
	if (!err && (ioctl(fd[0], PERF_EVENT_IOC_ENABLE, 0) != 0 ||
		     ioctl(fd[1], PERF_EVENT_IOC_ENABLE, 0) != 0))
		err = errno;
	if (fd[0] >= 0)
		close(fd[0]);
	if (err) {
		if (m != MAP_FAILED)
			munmap(m, len);
		if (fd[1] >= 0)
			close(fd[1]);
		if (!atomic_exchange(&warned, true))
			cprof__warn("cannot trace the system calls of a thread",
				    "raw_syscalls", err,
				    "its system calls are not counted");
		errno = saved;
		return;
	}
	t->smap = m;
	t->smap_len = len;
	t->sfd = fd[1];
	errno = saved;
}

CPROF__NOINSTR void cprof__syscalls_close(struct cprof__thread *t)
{
	int saved = errno;
	uint64_t id;

	/* Closed only while still ours: the program may own the number. */
	if (t->sfd >= 0 && ioctl(t->sfd, PERF_EVENT_IOC_ID, &id) == 0 &&
	    id == t->sid[1])
		close(t->sfd);
	t->sfd = -1;
	if (t->smap)
		munmap(t->smap, t->smap_len);
	t->smap = NULL;
	if (t->srec) {
		struct cprof__sysrec *r = t->srec;

		__atomic_store_n(&t->srec, NULL, __ATOMIC_RELEASE);
		munmap(r, SYS_RECS * sizeof(*r));
	}
	errno = saved;
}

/* One call into the chunk being made: entered at T0, LEN ns, number NR. */
static CPROF__NOINSTR void put(uint64_t t0, uint64_t len, uint64_t nr)
{
	if (sc->len + 40 > sizeof(sc->data))
		return; /* a full chunk: not expected within one ring */
	if (sc->n == 0)
		sc->time0 = sc->prev = t0;
	sc->len = cprof__put_uleb(sc->data, sc->len,
				  t0 > sc->prev ? t0 - sc->prev : 0);
	if (t0 > sc->prev)
		sc->prev = t0;
	sc->len = cprof__put_uleb(sc->data, sc->len, nr);
	sc->len = cprof__put_uleb(sc->data, sc->len, len);
	sc->n++;
}

/* Fallback mode: the calls T noted since the last drain. */
static CPROF__NOINSTR void noted(struct cprof__thread *t)
{
	uint32_t head = atomic_load_explicit(&t->shead, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&t->stail, memory_order_relaxed);

	for (; tail != head; tail++) {
		const struct cprof__sysrec *r = &t->srec[tail % SYS_RECS];

		put(r->t0, r->len, r->nr);
	}
	atomic_store_explicit(&t->stail, tail, memory_order_release);
	sc->lost = atomic_exchange(&t->sdropped, 0);
}

CPROF__NOINSTR uint64_t cprof__sys_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

CPROF__NOINSTR void cprof__sys_note(long nr, uint64_t t0)
{
	int saved = errno;
	struct cprof__thread *t = cprof__tls_get();
	struct cprof__sysrec *recs;
	uint32_t head, tail;
	uint64_t now;

	if (t == NULL ||
	    (recs = __atomic_load_n(&t->srec, __ATOMIC_ACQUIRE)) == NULL) {
		errno = saved;
		return;
	}
	now = cprof__sys_now();
	head = atomic_load_explicit(&t->shead, memory_order_relaxed);
	tail = atomic_load_explicit(&t->stail, memory_order_acquire);
	if (head - tail >= SYS_RECS) {
		atomic_fetch_add_explicit(&t->sdropped, 1,
					  memory_order_relaxed);
	} else {
		struct cprof__sysrec *r = &recs[head % SYS_RECS];

		r->t0 = t0;
		r->len = now - t0 > UINT32_MAX ? UINT32_MAX
					       : (uint32_t)(now - t0);
		r->nr = (uint32_t)nr;
		atomic_store_explicit(&t->shead, head + 1,
				      memory_order_release);
	}
	errno = saved;
}

/* A sample: id, pid/tid, time, raw size and data (common fields, nr). */
static CPROF__NOINSTR void one(struct cprof__thread *t, const unsigned char *r,
			       size_t size)
{
	uint64_t id, time;
	int64_t nr;
	const size_t h = sizeof(struct perf_event_header);

	if (size < h + 8 + 8 + 8 + 4 + 8 + 8)
		return;
	memcpy(&id, r + h, 8);
	memcpy(&time, r + h + 16, 8);
	memcpy(&nr, r + h + 24 + 4 + 8, 8);
	if (id == t->sid[0]) {
		t->s_nr = nr;
		t->s_t0 = time;
		return;
	}
	if (id != t->sid[1] || t->s_nr < 0 || nr != t->s_nr || time < t->s_t0)
		return;
	t->s_nr = -1;
	put(t->s_t0, time - t->s_t0, (uint64_t)nr);
}

CPROF__NOINSTR void cprof__syscalls_drain(struct cprof__thread *t,
					  struct msgpack_packer *pk)
{
	struct perf_event_mmap_page *pc = t->smap;
	const unsigned char *data;
	uint64_t size, head, tail;

	if (pc == NULL && t->srec == NULL)
		return;
	if (sc == NULL) {
		void *m = mmap(NULL, sizeof(*sc), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return;
		sc = m;
	}
	sc->n = sc->len = sc->lost = 0;
	if (pc == NULL) {
		noted(t);
		goto pack;
	}
	data = (const unsigned char *)pc + page_size;
	size = (uint64_t)SYS_PAGES * (uint64_t)page_size;
	head = __atomic_load_n(&pc->data_head, __ATOMIC_ACQUIRE);
	tail = pc->data_tail;
	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header h;
		uint64_t off = tail % size;
		const unsigned char *r;

		for (size_t k = 0; k < sizeof(h); k++)
			((unsigned char *)&h)[k] = data[(off + k) % size];
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (off + h.size <= size) {
			r = data + off;
		} else if (h.size <= sizeof(sc->rec)) {
			for (size_t k = 0; k < h.size; k++)
				sc->rec[k] = data[(off + k) % size];
			r = sc->rec;
		} else {
			r = NULL;
		}
		if (r && h.type == PERF_RECORD_SAMPLE)
			one(t, r, h.size);
		else if (r && h.type == PERF_RECORD_LOST)
			sc->lost += ((const uint64_t *)(r + sizeof(h)))[1];
		tail += h.size;
	}
	__atomic_store_n(&pc->data_tail, tail, __ATOMIC_RELEASE);
	/* Records lost: a pair may be broken, the call in flight unknown. */
	if (sc->lost)
		t->s_nr = -1;
pack:
	if (sc->n == 0 && sc->lost == 0)
		return;
	msgpack_pack_map(pk, 6);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_SYSCALLS);
	cprof__pack_str(pk, CPROF_KEY_TID);
	msgpack_pack_uint64(pk, (uint64_t)t->tid);
	cprof__pack_str(pk, CPROF_KEY_N);
	msgpack_pack_uint64(pk, sc->n);
	cprof__pack_str(pk, CPROF_KEY_TIME0);
	msgpack_pack_uint64(pk, sc->time0);
	cprof__pack_str(pk, CPROF_KEY_LOST);
	msgpack_pack_uint64(pk, sc->lost);
	cprof__pack_str(pk, CPROF_KEY_DATA);
	msgpack_pack_bin(pk, sc->len);
	msgpack_pack_bin_body(pk, sc->data, sc->len);
}
