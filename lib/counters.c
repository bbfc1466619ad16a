/*
 * counters.c - perf_event counters, opened per thread, as the CLI chose
 * them with libpfm4 (it hands them over in CPROF_EVENTS: see cprof(1)).
 *
 * Each thread gets one group, the first event leading. In sampling mode
 * the leader overflows every period (or at a frequency) and the kernel
 * writes a sample (ip, tid, CLOCK_MONOTONIC time, the group's values,
 * optionally the user callchain) into the leader's mmap ring; the writer
 * thread turns those into `samples` chunks. In exact mode nothing samples:
 * record() reads the group at every marker event, with rdpmc from the
 * mmap page when the kernel allows it and read(2) otherwise, and the
 * writer stores the values beside the events.
 *
 * Nothing here runs on the hot path but cprof__counters_read() in exact
 * mode. Every failure leaves the thread without counters and the program
 * as it was.
 *
 * Descriptors: a thread keeps one, its leader's (read(2) of the group's
 * totals, PERF_EVENT_IOC_DISABLE, and exact mode's reads where rdpmc
 * cannot serve), high and close-on-exec (cprof__fd_high). The members are
 * mapped (one page) and their descriptors closed: the mapping keeps an
 * event alive in its group. Before taking any, the runtime leaves the
 * program a reserve (room_for_group); a thread that would eat into it goes
 * without counters, and one warning at the end says how many did.
 */
#include "config.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct cprof__counters cprof__ctr;

#define DATA_PAGES 64 /* sample ring: 256 KiB a thread with 4 KiB pages */
/*
 * With --call-graph=dwarf a sample takes the whole stack size asked for
 * in the ring (the kernel fills only the valid part of it): the ring is
 * sized for DWARF_RING_SAMPLES of them, from 1 MiB to 4 MiB (1 MiB holds
 * a hundred samples of the default 8 KiB), and halves down to
 * DATA_PAGES while the locked-memory limit refuses it.
 */
#define DWARF_PAGES_MIN	   256
#define DWARF_PAGES_MAX	   1024
#define DWARF_RING_SAMPLES 64

static long page_size;
static atomic_bool warned_open;
static _Atomic int fds_held; /* leader (and member) descriptors kept */
static _Atomic unsigned skipped_limit; /* threads left uncounted: the limit */
static _Atomic unsigned skipped_lost;  /* counters lost: the program closed */
static _Atomic long limit_seen;	       /* the limit when one was skipped */

/* Configuration from the environment. */

static CPROF__NOINSTR bool parse_hex(const char **p, uint64_t *v, char end)
{
	char *e;

	errno = 0;
	*v = strtoull(*p, &e, 16);
	if (errno || e == *p || (*e != end && !(end == ';' && *e == '\0')))
		return false;
	*p = *e ? e + 1 : e;
	return true;
}

CPROF__NOINSTR int cprof__counters_config(void)
{
	const char *s = getenv(CPROF_ENV_EVENTS);
	const char *smp = getenv(CPROF_ENV_SAMPLE);
	const char *p;
	int n = 0;

	memset(&cprof__ctr, 0, sizeof(cprof__ctr));
	page_size = sysconf(_SC_PAGESIZE);
	if (!s || !*s)
		return 0;
	for (p = s; *p && n < CPROF_MAX_EVENTS; n++) {
		struct cprof__event *ev = &cprof__ctr.ev[n];
		const char *comma = strchr(p, ',');
		uint64_t type, flags;

		if (!comma || (size_t)(comma - p) >= sizeof(ev->name))
			goto bad;
		memcpy(ev->name, p, (size_t)(comma - p));
		ev->name[comma - p] = '\0';
		p = comma + 1;
		if (!parse_hex(&p, &type, ',') ||
		    !parse_hex(&p, &ev->config, ',') ||
		    !parse_hex(&p, &ev->config1, ',') ||
		    !parse_hex(&p, &ev->config2, ',') ||
		    !parse_hex(&p, &flags, ';'))
			goto bad;
		ev->type = (uint32_t)type;
		ev->flags = (unsigned)flags;
	}
	if (*p)
		goto bad;
	cprof__ctr.exact = getenv(CPROF_ENV_EXACT) != NULL &&
			   strcmp(getenv(CPROF_ENV_EXACT), "1") == 0;
	cprof__ctr.callchain = getenv(CPROF_ENV_CALLCHAIN) != NULL &&
			       strcmp(getenv(CPROF_ENV_CALLCHAIN), "1") == 0;
	if (getenv(CPROF_ENV_DWARF) != NULL && CPROF_DWARF_REGS != 0) {
		unsigned long sz = strtoul(getenv(CPROF_ENV_DWARF), NULL, 10);

		/* The kernel wants whole words, below 64 KiB. */
		if (sz > 0 && sz <= 65528 && sz % 8 == 0) {
			cprof__ctr.stack_user = (uint32_t)sz;
			cprof__ctr.regs_user = CPROF_DWARF_REGS;
		}
	}
	cprof__ctr.offcpu = getenv(CPROF_ENV_OFFCPU) != NULL &&
			    strcmp(getenv(CPROF_ENV_OFFCPU), "1") == 0;
	cprof__ctr.freq = 1000;
	if (smp && strncmp(smp, "period:", 7) == 0) {
		cprof__ctr.period = strtoull(smp + 7, NULL, 10);
		cprof__ctr.freq = 0;
	} else if (smp && strncmp(smp, "freq:", 5) == 0) {
		cprof__ctr.freq = strtoull(smp + 5, NULL, 10);
	}
	if (!cprof__ctr.exact && !cprof__ctr.period && !cprof__ctr.freq)
		goto bad;
	cprof__ctr.nev = n;
	cprof__syscalls_config();
	return 0;
bad:
	memset(&cprof__ctr, 0, sizeof(cprof__ctr));
	cprof__warn("bad CPROF_EVENTS or CPROF_SAMPLE", s, 0,
		    "counting nothing");
	return -EINVAL;
}

/* Opening and closing a thread's group. */

static CPROF__NOINSTR void fill_attr(struct perf_event_attr *a,
				     const struct cprof__event *ev, bool leader)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = ev->type;
	a->config = ev->config;
	a->config1 = ev->config1;
	a->config2 = ev->config2;
	a->exclude_user = (ev->flags & CPROF_EVENT_EXCLUDE_USER) != 0;
	a->exclude_kernel = (ev->flags & CPROF_EVENT_EXCLUDE_KERNEL) != 0;
	a->exclude_hv = (ev->flags & CPROF_EVENT_EXCLUDE_HV) != 0;
	a->precise_ip = (ev->flags & CPROF_EVENT_PRECISE_MASK) >>
			CPROF_EVENT_PRECISE_SHIFT;
	a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID |
			 PERF_FORMAT_TOTAL_TIME_ENABLED |
			 PERF_FORMAT_TOTAL_TIME_RUNNING;
	/*
	 * The leader starts disabled and the whole group is enabled at once
	 * when complete: a member added to a group already counting on the
	 * current task would stay idle until the task is next scheduled in.
	 */
	a->disabled = leader;
	/* Every member of a group must use the leader's clock. */
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if (!leader || cprof__ctr.exact)
		return;
	if (cprof__ctr.period) {
		a->sample_period = cprof__ctr.period;
	} else {
		a->freq = 1;
		a->sample_freq = cprof__ctr.freq;
	}
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			 PERF_SAMPLE_READ;
	if (cprof__ctr.callchain) {
		a->sample_type |= PERF_SAMPLE_CALLCHAIN;
		a->exclude_callchain_kernel = 1;
	}
	if (cprof__ctr.stack_user) {
		a->sample_type |=
			PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = cprof__ctr.regs_user;
		a->sample_stack_user = cprof__ctr.stack_user;
	}
	/*
	 * Off-CPU time (offcpu.c): switch records in the same ring, with
	 * the tid and time after each (sample_id_all).
	 */
	if (cprof__ctr.offcpu) {
		a->context_switch = 1;
		a->sample_id_all = 1;
	}
	/*
	 * No wake-up watermark: the writer holds no descriptor to poll, it
	 * watches how full the rings get (cprof__counters_fill).
	 */
}

/*
 * Whether descriptor FD is the perf event of id ID. This is the check made
 * before every use of a perf descriptor (read, ioctl, mmap, close): the
 * program may have closed the number (closefrom, a loop to its limit) and
 * put its own file there (open, dup2, accept). PERF_EVENT_IOC_ID answers
 * ENOTTY on pipes, files, sockets, ttys, eventfds and every other file
 * that is not a perf event, and another event (the program's own perf
 * descriptor) has another id. It is one system call (~0.5 us here), the
 * only one the hot path adds, and only in exact mode's read(2) path: an
 * exact read already costs one. A window remains between the check and
 * the use, a few hundred nanoseconds in which another thread of the
 * program would have to close and reuse that very number; the runtime
 * cannot close it (doc/design.md, "What the runtime guarantees").
 * Keeps errno.
 */
static inline CPROF__NOINSTR bool fd_is_event(int fd, uint64_t id)
{
	int saved = errno;
	uint64_t got;
	bool ok =
		fd >= 0 && ioctl(fd, PERF_EVENT_IOC_ID, &got) == 0 && got == id;

	errno = saved;
	return ok;
}

/*
 * Whether T's leader descriptor is still the event we opened (see
 * fd_is_event). The writer also compares the file's identity first, so
 * that the ioctl never reaches a file or device of the program: fstat
 * rules out every file that is not on the anonymous inode (pipes,
 * regular files, sockets, ttys, devices), but not an eventfd, a timerfd
 * or the program's own perf event, which share that inode with ours; the
 * id tells those apart. The hot path makes the ioctl alone: '$' ioctl
 * numbers belong to perf_event, and fstat would double the check's cost.
 */
static CPROF__NOINSTR bool leader_ours(const struct cprof__thread *t)
{
	struct stat st;
	int fd = __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED);

	if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != t->cdev ||
	    st.st_ino != t->cino)
		return false;
	return fd_is_event(fd, t->cid[0]);
}

/* Whether T's member I is still the event opened (see leader_ours). */
static CPROF__NOINSTR bool member_ours(const struct cprof__thread *t, int i)
{
	struct stat st;

	if (fstat(t->cfd[i], &st) != 0 || st.st_dev != t->cdev ||
	    st.st_ino != t->cino)
		return false;
	return fd_is_event(t->cfd[i], t->cid[i]);
}

/*
 * The leader was taken by the program: the counters of T stop (the number
 * is the program's now, it is neither read nor closed). Found by the
 * thread itself (exact mode's read) or by the writer, whichever first;
 * the other finds the descriptor gone.
 */
static CPROF__NOINSTR void leader_lost(struct cprof__thread *t)
{
	__atomic_store_n(&t->cfd[0], -1, __ATOMIC_RELAXED);
	if (!atomic_exchange(&t->cgone, true)) {
		atomic_fetch_sub(&fds_held, 1);
		atomic_fetch_add(&skipped_lost, 1);
	}
}

CPROF__NOINSTR void cprof__counters_close(struct cprof__thread *t)
{
	int saved = errno;

	if (t->cfd[0] >= 0 && t->cino && !leader_ours(t))
		leader_lost(t);
	/*
	 * A member left with its descriptor (its page could not be mapped)
	 * is closed only while it is still the event opened (the perf inode
	 * of the leader, and the member's id): the number may be the
	 * program's now, after a close-all and a fork.
	 */
	for (int i = 0; i < CPROF_MAX_EVENTS; i++) {
		if (t->cfd[i] >= 0) {
			/* No identity yet: the open path, just opened. */
			if (i == 0 || !t->cino || member_ours(t, i))
				close(t->cfd[i]);
			atomic_fetch_sub(&fds_held, 1);
		}
		t->cfd[i] = -1;
	}
	if (t->cmap)
		munmap(t->cmap, t->cmap_len);
	t->cmap = NULL;
	cprof__syscalls_close(t);
	for (int i = 1; i < CPROF_MAX_EVENTS; i++) {
		if (t->cpage[i])
			munmap(t->cpage[i], (size_t)page_size);
		t->cpage[i] = NULL;
	}
	errno = saved;
}

/* The descriptors open in the process, or -1 when /proc cannot tell. */
static CPROF__NOINSTR long count_open_fds(void)
{
	char buf[4096];
	long n = 0, r;
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return -1;
	while ((r = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			/* struct linux_dirent64: ino, off, reclen, type, name
			 */
			unsigned short reclen;
			const char *name = buf + off + 19;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (name[0] != '.')
				n++;
			off += reclen;
		}
	}
	close(dir);
	/* Not counting the directory's own descriptor. */
	return r < 0 ? -1 : n - 1;
}

/*
 * Whether a thread may take NEED descriptors for its counters. The
 * program keeps a reserve of a quarter of its limit L (the soft
 * RLIMIT_NOFILE now: programs lower it at run time): the runtime holds at
 * most L/4 descriptors in all (its log included), and never takes one
 * that would leave fewer than L/4 free, counting those actually open
 * (/proc/self/fd; where /proc cannot be read, the first rule alone).
 * Members are closed once mapped, but are all open for a moment.
 */
static CPROF__NOINSTR bool room_for_group(int need)
{
	long lim = cprof__fd_limit(), open_now;

	if (lim < 0)
		return true; /* a sandbox refuses getrlimit: no way to count */
	if (atomic_load(&fds_held) + 1 + 1 > lim / 4) {
		atomic_store(&limit_seen, lim);
		return false;
	}
	open_now = count_open_fds();
	if (open_now >= 0 && lim - open_now - need < lim / 4) {
		atomic_store(&limit_seen, lim);
		return false;
	}
	return true;
}

/* The data pages of a --call-graph=dwarf ring (a power of two). */
static CPROF__NOINSTR size_t dwarf_pages(void)
{
	size_t pages = DWARF_PAGES_MIN;
	uint64_t want = (uint64_t)DWARF_RING_SAMPLES *
			((uint64_t)cprof__ctr.stack_user + 1024);

	while (pages < DWARF_PAGES_MAX &&
	       (uint64_t)pages * (uint64_t)page_size < want)
		pages *= 2;
	return pages;
}

CPROF__NOINSTR void cprof__counters_open(struct cprof__thread *t)
{
	int err = 0, i;

	for (i = 0; i < CPROF_MAX_EVENTS; i++) {
		t->cfd[i] = -1;
		t->cpage[i] = NULL;
	}
	t->cmap = NULL;
	t->cdev = 0;
	t->cino = 0;
	atomic_store(&t->cgone, false);
	atomic_store_explicit(&t->cfill, 0, memory_order_relaxed);
	memset(t->clast, 0, sizeof(t->clast));
	t->clast_en = t->clast_run = 0;
	t->clost = t->cthrottled = 0;
	t->off_out = 0;
	t->off_preempt = false;
	t->smap = NULL;
	t->sfd = -1;
	t->cthrottle_open = false;
	if (cprof__ctr.nev == 0)
		return;
	int saved = errno;
	if (!room_for_group(cprof__ctr.nev)) {
		atomic_fetch_add(&skipped_limit, 1);
		return;
	}
	for (i = 0; i < cprof__ctr.nev; i++) {
		struct perf_event_attr a;
		int fd;

		fill_attr(&a, &cprof__ctr.ev[i], i == 0);
		fd = (int)syscall(SYS_perf_event_open, &a, 0, -1,
				  i == 0 ? -1 : t->cfd[0],
				  PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0) {
			atomic_fetch_add(&fds_held, 1);
			fd = cprof__fd_high(fd, false);
			if (fd < 0)
				atomic_fetch_sub(&fds_held, 1);
		}
		t->cfd[i] = fd;
		if (t->cfd[i] < 0 ||
		    ioctl(t->cfd[i], PERF_EVENT_IOC_ID, &t->cid[i]) != 0) {
			err = errno;
			break;
		}
	}
	if (!err) {
		struct stat st;

		if (fstat(t->cfd[0], &st) != 0) {
			err = errno;
		} else {
			t->cdev = st.st_dev;
			t->cino = st.st_ino;
		}
	}
	if (!err) {
		/*
		 * Sampling needs the ring; exact mode maps the first page
		 * alone, for rdpmc.
		 */
		size_t pages = cprof__ctr.exact	       ? 1
			       : cprof__ctr.stack_user ? 1 + dwarf_pages()
						       : 1 + DATA_PAGES;
		void *m = !fd_is_event(t->cfd[0], t->cid[0])
				  ? MAP_FAILED
				  : mmap(NULL, pages * (size_t)page_size,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 t->cfd[0], 0);

		while (m == MAP_FAILED && pages > 1 + DATA_PAGES &&
		       fd_is_event(t->cfd[0], t->cid[0])) {
			pages = 1 + (pages - 1) / 2;
			m = mmap(NULL, pages * (size_t)page_size,
				 PROT_READ | PROT_WRITE, MAP_SHARED, t->cfd[0],
				 0);
		}

		if (m == MAP_FAILED && !fd_is_event(t->cfd[0], t->cid[0])) {
			/* Taken already: not ours to close. */
			err = EBADF;
			t->cfd[0] = -1;
			atomic_fetch_sub(&fds_held, 1);
		} else if (m == MAP_FAILED) {
			err = errno;
		} else {
			t->cmap = m;
			t->cmap_len = pages * (size_t)page_size;
			t->cpage[0] = m;
		}
	}
	/*
	 * Every member is mapped, one page: exact mode reads it with rdpmc
	 * where it can, and the mapping keeps the event in its group once
	 * its descriptor is closed. A member that cannot be mapped keeps its
	 * descriptor.
	 */
	for (i = 1; !err && i < cprof__ctr.nev; i++) {
		void *m = !fd_is_event(t->cfd[i], t->cid[i])
				  ? MAP_FAILED
				  : mmap(NULL, (size_t)page_size, PROT_READ,
					 MAP_SHARED, t->cfd[i], 0);

		t->cpage[i] = m == MAP_FAILED ? NULL : m;
		if (t->cpage[i]) {
			if (fd_is_event(t->cfd[i], t->cid[i]))
				close(t->cfd[i]);
			t->cfd[i] = -1;
			atomic_fetch_sub(&fds_held, 1);
		}
	}
	/*
	 * The group starts last, with every page exact mode reads on the
	 * hot path already mapped in (kernels before 6.10 map a perf page
	 * on its first touch): the runtime's setup counts nothing.
	 */
	for (i = 0; !err && i < cprof__ctr.nev; i++)
		if (t->cpage[i])
			(void)((volatile struct perf_event_mmap_page *)
				       t->cpage[i])
				->lock;
	if (!err && !fd_is_event(t->cfd[0], t->cid[0])) {
		err = EBADF;
		leader_lost(t);
	}
	if (!err &&
	    ioctl(t->cfd[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0)
		err = errno;
	if (!err)
		cprof__syscalls_open(t);
	if (err == EMFILE || err == ENFILE) {
		/* Another thread took the room: the limit, counted as such. */
		atomic_fetch_add(&skipped_limit, 1);
		atomic_store(&limit_seen, cprof__fd_limit());
		cprof__counters_close(t);
	} else if (err) {
		/* The CLI checked the events; a thread limit can still hit. */
		if (!atomic_exchange(&warned_open, true))
			cprof__warn(
				"cannot open counters for a thread",
				cprof__ctr.ev[i < cprof__ctr.nev ? i : 0].name,
				err, "that thread is not counted");
		cprof__counters_close(t);
	}
	errno = saved;
}

CPROF__NOINSTR void cprof__counters_disable_all(void)
{
	for (struct cprof__thread *t = atomic_load(&cprof__threads); t;
	     t = t->next) {
		int st = atomic_load(&t->state);

		int fd = __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED);

		if ((st == CPROF__T_LIVE || st == CPROF__T_DEAD) && fd >= 0) {
			if (leader_ours(t))
				ioctl(fd, PERF_EVENT_IOC_DISABLE,
				      PERF_IOC_FLAG_GROUP);
			else
				leader_lost(t);
		}
	}
}

CPROF__NOINSTR unsigned cprof__counters_fill(void)
{
	unsigned max = 0;

	for (struct cprof__thread *t = atomic_load(&cprof__threads); t;
	     t = t->next) {
		/*
		 * Every thread's ring has the process's size (the mode's), so
		 * the writer needs nothing of a thread being set up.
		 */
		uint64_t len = (uint64_t)(cprof__ctr.stack_user ? dwarf_pages()
								: DATA_PAGES) *
			       (uint64_t)page_size;
		uint64_t f = (uint64_t)atomic_exchange_explicit(
				     &t->cfill, 0, memory_order_relaxed) *
			     1000u / len;

		if (f > max)
			max = (unsigned)f;
	}
	return max;
}

/* N in decimal into BUF (async-signal-safe); returns BUF. */
static CPROF__NOINSTR char *utoa(unsigned long n, char *buf, size_t cap)
{
	char tmp[24];
	size_t k = 0, i = 0;

	do
		tmp[k++] = (char)('0' + n % 10);
	while ((n /= 10) && k < sizeof(tmp));
	while (k && i + 1 < cap)
		buf[i++] = tmp[--k];
	buf[i] = '\0';
	return buf;
}

CPROF__NOINSTR void cprof__counters_report(void)
{
	unsigned lim = atomic_exchange(&skipped_limit, 0);
	unsigned lost = atomic_exchange(&skipped_lost, 0);
	char n[24], l[24], msg[160];

	/* Built by hand: snprintf is not async-signal-safe. */
	if (lim) {
		utoa(lim, n, sizeof(n));
		utoa((unsigned long)atomic_load(&limit_seen), l, sizeof(l));
		msg[0] = '\0';
		strcat(msg, n);
		strcat(msg, lim == 1 ? " thread" : " threads");
		strcat(msg, " went without counters: the descriptor limit (");
		strcat(msg, l);
		strcat(msg, ") is kept for the program");
		cprof__warn(msg, NULL, 0, NULL);
	}
	if (lost) {
		utoa(lost, n, sizeof(n));
		msg[0] = '\0';
		strcat(msg, n);
		strcat(msg, lost == 1 ? " thread lost its counters"
				      : " threads lost their counters");
		strcat(msg, ": the program closed or replaced the runtime's "
			    "descriptor");
		cprof__warn(
			msg, NULL, 0,
			cprof__ctr.exact
				? "their counts stop there"
				: "their totals are those of the last sample");
	}
}

/* Reading in exact mode. */

CPROF__NOINSTR bool cprof__mmap_read(volatile struct perf_event_mmap_page *pc,
				     uint64_t (*rdpmc)(unsigned idx),
				     uint64_t *value)
{
	uint32_t seq, idx;
	uint64_t count;

	do {
		seq = pc->lock;
		atomic_signal_fence(memory_order_seq_cst);
		idx = pc->index;
		if (!pc->cap_user_rdpmc || idx == 0)
			return false;
		count = (uint64_t)pc->offset;
		uint16_t width = pc->pmc_width;
		int64_t pmc = (int64_t)rdpmc(idx - 1);

		/* Sign-extend the counter from its width. */
		if (width > 0 && width < 64) {
			pmc = (int64_t)((uint64_t)pmc << (64 - width));
			pmc >>= 64 - width;
		}
		count += (uint64_t)pmc;
		atomic_signal_fence(memory_order_seq_cst);
	} while (pc->lock != seq);
	*value = count;
	return true;
}

#if defined(__x86_64__) || defined(__i386__)
static CPROF__NOINSTR uint64_t hw_rdpmc(unsigned idx)
{
	return __rdpmc((int)idx);
}
#else
static CPROF__NOINSTR uint64_t hw_rdpmc(unsigned idx)
{
	(void)idx;
	return 0;
}
#endif

/* Take the runtime's own share out of the values VALS (N) read on T. */
static inline CPROF__NOINSTR void own_out(const struct cprof__thread *t,
					  uint64_t *vals, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t own = __atomic_load_n(&t->cown[i], __ATOMIC_RELAXED);

		vals[i] = vals[i] > own ? vals[i] - own : 0;
	}
}

/*
 * Exact mode, on the hot path: rdpmc where every member allows it, else
 * one read(2) of the whole group. Software events always take read(2).
 */
/* Values that are no counts (see CPROF_COUNTER_NONE). */
static inline CPROF__NOINSTR void no_values(uint64_t *vals, int n)
{
	for (int i = 0; i < n; i++)
		vals[i] = CPROF_COUNTER_NONE;
}

CPROF__NOINSTR void cprof__counters_read(struct cprof__thread *t,
					 uint64_t *vals)
{
	uint64_t buf[3 + 2 * CPROF_MAX_EVENTS];
	int n = cprof__ctr.nev;
	int fd = __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED);

	if (fd < 0) {
		no_values(vals, n);
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	/* rdpmc needs every member on a hardware counter right now. */
	int k;
	for (k = 0; k < n; k++)
		if (!t->cpage[k] ||
		    !cprof__mmap_read(t->cpage[k], hw_rdpmc, &vals[k]))
			break;
	if (k == n) {
		own_out(t, vals, n);
		return;
	}
#else
	(void)hw_rdpmc;
#endif
	/*
	 * Never read(2) a number the program took: a pipe's or a socket's
	 * bytes would be eaten, and an empty one would block the thread.
	 */
	if (!fd_is_event(fd, t->cid[0])) {
		leader_lost(t);
		no_values(vals, n);
		return;
	}
	int saved = errno;
	if (read(fd, buf, sizeof(buf)) < (ssize_t)(3 * sizeof(uint64_t)) ||
	    buf[0] != (uint64_t)n) {
		errno = saved;
		no_values(vals, n);
		return;
	}
	for (int i = 0; i < n; i++)
		vals[i] = buf[3 + 2 * i];
	own_out(t, vals, n);
}

/* The runtime's own cost. */

CPROF__NOINSTR void cprof__own_begin(struct cprof__own *o)
{
	struct cprof__thread *t = cprof__tls_get();

	o->t = NULL;
	if (!cprof__ctr.exact || cprof__ctr.nev == 0 || t == NULL ||
	    t->cvals == NULL ||
	    __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED) < 0)
		return;
	cprof__counters_read(t, o->v);
	o->t = t;
}

CPROF__NOINSTR void cprof__own_end(struct cprof__own *o)
{
	struct cprof__thread *t = o->t;
	uint64_t now[CPROF_MAX_EVENTS];

	/* The thread's ring changed hands (a fork child starts anew). */
	if (t == NULL || t != cprof__tls_get() ||
	    __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED) < 0)
		return;
	o->t = NULL;
	cprof__counters_read(t, now);
	for (int i = 0; i < cprof__ctr.nev; i++)
		if (now[i] != CPROF_COUNTER_NONE &&
		    o->v[i] != CPROF_COUNTER_NONE && now[i] > o->v[i])
			__atomic_store_n(
				&t->cown[i],
				__atomic_load_n(&t->cown[i], __ATOMIC_RELAXED) +
					now[i] - o->v[i],
				__ATOMIC_RELAXED);
}

/* The writer's side: samples, lost records, totals. */

/*
 * Mapped at the first drain with samples rather than kept in the
 * library's .bss (see writer.c's encoder scratch).
 */
static struct sample_scratch {
	unsigned char rec[64 * 1024]; /* one record, unwrapped */
	unsigned char data[1u << 20]; /* a samples chunk's LEB128 data */
	/* --call-graph=dwarf: the chunk's registers and stack copies. */
	unsigned char stacks[4u << 20];
	/*
	 * The chunk's samples that follow a throttled interval: their
	 * deltas span time the leader did not sample (see the drain).
	 */
	uint32_t throttled_at[4096];
} * scratch;

/* False when the scratch cannot be mapped (said once): no samples. */
static CPROF__NOINSTR bool scratch_mapped(void)
{
	static bool warned;
	void *m;

	if (scratch)
		return true;
	m = mmap(NULL, sizeof(*scratch), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		scratch = m;
		return true;
	}
	if (!warned) {
		warned = true;
		cprof__warn("cannot map the counters' sample buffer", NULL,
			    ENOMEM, "samples are not recorded");
	}
	return false;
}

CPROF__NOINSTR void cprof__counters_pack_header(msgpack_packer *pk)
{
	msgpack_pack_map(pk, cprof__ctr.stack_user ? 6 : 5);
	if (cprof__ctr.stack_user) {
		cprof__pack_str(pk, CPROF_KEY_DWARF);
		msgpack_pack_map(pk, 3);
		cprof__pack_str(pk, CPROF_KEY_STACK);
		msgpack_pack_uint64(pk, cprof__ctr.stack_user);
		cprof__pack_str(pk, CPROF_KEY_REGS);
		msgpack_pack_uint64(pk, cprof__ctr.regs_user);
		cprof__pack_str(pk, CPROF_KEY_ARCH);
		cprof__pack_str(pk, CPROF_DWARF_ARCH);
	}
	cprof__pack_str(pk, CPROF_KEY_MODE);
	cprof__pack_str(pk, cprof__ctr.exact ? CPROF_MODE_EXACT
					     : CPROF_MODE_SAMPLING);
	cprof__pack_str(pk, CPROF_KEY_PERIOD);
	msgpack_pack_uint64(pk, cprof__ctr.exact ? 0 : cprof__ctr.period);
	cprof__pack_str(pk, CPROF_KEY_FREQ);
	msgpack_pack_uint64(pk, cprof__ctr.exact ? 0 : cprof__ctr.freq);
	cprof__pack_str(pk, CPROF_KEY_CALLCHAIN);
	if (cprof__ctr.callchain)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	cprof__pack_str(pk, CPROF_KEY_LIST);
	msgpack_pack_array(pk, (size_t)cprof__ctr.nev);
	for (int i = 0; i < cprof__ctr.nev; i++) {
		msgpack_pack_map(pk, 3);
		cprof__pack_str(pk, CPROF_KEY_NAME);
		cprof__pack_str(pk, cprof__ctr.ev[i].name);
		cprof__pack_str(pk, CPROF_KEY_TYPE);
		msgpack_pack_uint64(pk, cprof__ctr.ev[i].type);
		cprof__pack_str(pk, CPROF_KEY_CONFIG);
		msgpack_pack_uint64(pk, cprof__ctr.ev[i].config);
	}
}

static CPROF__NOINSTR void flush_samples(struct cprof__thread *t,
					 msgpack_packer *pk, uint64_t n,
					 uint64_t time0, size_t len,
					 size_t nthr, size_t slen)
{
	if (n == 0)
		return;
	msgpack_pack_map(pk,
			 5 + (nthr ? 1 : 0) + (cprof__ctr.stack_user ? 1 : 0));
	if (cprof__ctr.stack_user) {
		cprof__pack_str(pk, CPROF_KEY_STACKS);
		msgpack_pack_bin(pk, slen);
		msgpack_pack_bin_body(pk, scratch->stacks, slen);
	}
	if (nthr) {
		cprof__pack_str(pk, CPROF_KEY_THROTTLED_AT);
		msgpack_pack_array(pk, nthr);
		for (size_t k = 0; k < nthr; k++)
			msgpack_pack_uint32(pk, scratch->throttled_at[k]);
	}
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_SAMPLES);
	cprof__pack_str(pk, CPROF_KEY_TID);
	msgpack_pack_uint64(pk, (uint64_t)t->tid);
	cprof__pack_str(pk, CPROF_KEY_N);
	msgpack_pack_uint64(pk, n);
	cprof__pack_str(pk, CPROF_KEY_TIME0);
	msgpack_pack_uint64(pk, time0);
	cprof__pack_str(pk, CPROF_KEY_DATA);
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, scratch->data, len);
}

/* The value of the group read at P for event I, matched by perf id. */
static CPROF__NOINSTR uint64_t group_value(const struct cprof__thread *t,
					   const uint64_t *p, uint64_t nr,
					   int i)
{
	for (uint64_t k = 0; k < nr; k++)
		if (p[2 * k + 1] == t->cid[i])
			return p[2 * k];
	return i < (int)nr ? p[2 * i] : 0;
}

/*
 * Encode one PERF_RECORD_SAMPLE (already unwrapped) into scratch->data.
 * Layout by sample_type: ip, pid/tid, time, read (group), callchain.
 */
/*
 * Append the registers and the stack copy of a --call-graph=dwarf sample
 * (at W, after its callchain) to scratch->stacks at SLEN: the ABI word
 * (0 when the sample has no user registers, a kernel thread's), the
 * registers as 8-byte little-endian words, the length of the stack copy
 * the kernel could take, and those bytes. Only the valid part of the
 * copy is kept, not the size asked for.
 */
static CPROF__NOINSTR size_t encode_stack(const uint64_t *w,
					  const uint64_t *end, size_t slen)
{
	int nregs = __builtin_popcountll(cprof__ctr.regs_user);
	uint64_t abi = w < end ? *w++ : 0, size, dyn = 0;
	const unsigned char *bytes;

	if (abi != 0 && w + nregs > end)
		abi = 0;
	slen = cprof__put_uleb(scratch->stacks, slen, abi);
	if (abi != 0) {
		memcpy(scratch->stacks + slen, w, (size_t)nregs * 8);
		slen += (size_t)nregs * 8;
		w += nregs;
	}
	size = w < end ? *w++ : 0;
	bytes = (const unsigned char *)w;
	if (size > 0 && w + size / 8 < end)
		dyn = w[size / 8];
	if (dyn > size)
		dyn = size;
	if (size == 0 || (const unsigned char *)end < bytes + size)
		dyn = 0;
	slen = cprof__put_uleb(scratch->stacks, slen, dyn);
	memcpy(scratch->stacks + slen, bytes, (size_t)dyn);
	return slen + (size_t)dyn;
}

static CPROF__NOINSTR size_t encode_sample(struct cprof__thread *t,
					   const unsigned char *r, size_t size,
					   size_t len, uint64_t *prev_time,
					   size_t *slen)
{
	const uint64_t *w =
		(const uint64_t *)(r + sizeof(struct perf_event_header));
	const uint64_t *end = (const uint64_t *)(r + size);
	uint64_t ip, time, nr;

	if (w + 4 > end)
		return len;
	ip = w[0];
	time = w[2];
	nr = w[3];
	w += 6; /* ip, pid/tid, time, nr, time_enabled, time_running */
	if (nr > CPROF_MAX_EVENTS || w + 2 * nr > end)
		return len;
	t->clast_en = w[-2];
	t->clast_run = w[-1];
	len = cprof__put_uleb(scratch->data, len,
			      time > *prev_time ? time - *prev_time : 0);
	if (time > *prev_time)
		*prev_time = time;
	len = cprof__put_uleb(scratch->data, len, ip);
	for (int i = 0; i < cprof__ctr.nev; i++) {
		uint64_t v = group_value(t, w, nr, i);

		len = cprof__put_uleb(scratch->data, len,
				      v >= t->clast[i] ? v - t->clast[i] : 0);
		t->clast[i] = v;
	}
	w += 2 * nr;
	if (cprof__ctr.callchain) {
		uint64_t depth = w < end ? *w++ : 0, kept = 0;
		const uint64_t *ips = w;

		if (w + depth > end)
			depth = (uint64_t)(end - w);
		for (uint64_t k = 0; k < depth; k++)
			kept += ips[k] < (uint64_t)PERF_CONTEXT_MAX;
		/* The first entry repeats the sampled ip: leave it out. */
		if (kept && ips[0] == ip)
			kept--;
		len = cprof__put_uleb(scratch->data, len, kept);
		for (uint64_t k = 0; k < depth; k++) {
			if (ips[k] >= (uint64_t)PERF_CONTEXT_MAX)
				continue;
			if (k == 0 && ips[k] == ip)
				continue;
			len = cprof__put_uleb(scratch->data, len, ips[k]);
		}
		w += depth;
	}
	if (cprof__ctr.stack_user)
		*slen = encode_stack(w, end, *slen);
	return len;
}

/*
 * The thread's totals: read from the group, or, once the program took the
 * leader's descriptor, the values of the last sample (sampling goes on
 * through the mapping).
 */
static CPROF__NOINSTR void pack_totals(struct cprof__thread *t,
				       msgpack_packer *pk)
{
	uint64_t buf[3 + 2 * CPROF_MAX_EVENTS];
	ssize_t got;

	int fd = __atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED);

	if (fd >= 0) {
		/* cprof__counters_drain checked it just before. */
		got = read(fd, buf, sizeof(buf));
	} else if (t->clast_en) {
		buf[0] = (uint64_t)cprof__ctr.nev;
		buf[1] = t->clast_en;
		buf[2] = t->clast_run;
		for (int i = 0; i < cprof__ctr.nev; i++) {
			buf[3 + 2 * i] = t->clast[i];
			buf[4 + 2 * i] = t->cid[i];
		}
		got = (ssize_t)sizeof(buf);
	} else {
		return;
	}
	if (got < (ssize_t)(3 * sizeof(uint64_t)) || buf[0] > CPROF_MAX_EVENTS)
		return;
	msgpack_pack_map(pk, cprof__ctr.exact ? 6 : 5);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_COUNTS);
	cprof__pack_str(pk, CPROF_KEY_TID);
	msgpack_pack_uint64(pk, (uint64_t)t->tid);
	cprof__pack_str(pk, CPROF_KEY_VALUES);
	msgpack_pack_array(pk, (size_t)cprof__ctr.nev);
	for (int i = 0; i < cprof__ctr.nev; i++)
		msgpack_pack_uint64(pk, group_value(t, buf + 3, buf[0], i));
	if (cprof__ctr.exact) {
		/* What the runtime's own work counted, in the values above. */
		cprof__pack_str(pk, CPROF_KEY_RUNTIME);
		msgpack_pack_array(pk, (size_t)cprof__ctr.nev);
		for (int i = 0; i < cprof__ctr.nev; i++)
			msgpack_pack_uint64(
				pk,
				__atomic_load_n(&t->cown[i], __ATOMIC_RELAXED));
	}
	cprof__pack_str(pk, CPROF_KEY_ENABLED);
	msgpack_pack_uint64(pk, buf[1]);
	cprof__pack_str(pk, CPROF_KEY_RUNNING);
	msgpack_pack_uint64(pk, buf[2]);
}

CPROF__NOINSTR void cprof__counters_drain(struct cprof__thread *t,
					  msgpack_packer *pk)
{
	struct perf_event_mmap_page *pc = t->cmap;
	uint64_t lost = 0, throttled = 0, unthrottled = 0;

	if (__atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED) >= 0 &&
	    !leader_ours(t))
		leader_lost(t);
	/* Without the leader, sampling goes on through the mapping. */
	if (__atomic_load_n(&t->cfd[0], __ATOMIC_RELAXED) < 0 &&
	    (cprof__ctr.exact || !pc))
		return;
	if (pc && !cprof__ctr.exact && scratch_mapped()) {
		const unsigned char *data =
			(const unsigned char *)pc + page_size;
		const uint64_t size =
			(uint64_t)(t->cmap_len - (size_t)page_size);
		uint64_t head =
			__atomic_load_n(&pc->data_head, __ATOMIC_ACQUIRE);
		uint64_t tail = pc->data_tail;
		uint64_t n = 0, time0 = 0, prev = 0;
		size_t len = 0, nthr = 0, slen = 0;

		if (head - tail >
		    atomic_load_explicit(&t->cfill, memory_order_relaxed))
			atomic_store_explicit(&t->cfill,
					      (unsigned)(head - tail),
					      memory_order_relaxed);

		while (tail + sizeof(struct perf_event_header) <= head) {
			struct perf_event_header h;
			uint64_t off = tail % size;
			const unsigned char *r;

			/* A record may wrap around the end of the ring. */
			for (size_t k = 0; k < sizeof(h); k++)
				((unsigned char *)&h)[k] =
					data[(off + k) % size];
			if (h.size < sizeof(h) || tail + h.size > head)
				break;
			if (off + h.size <= size) {
				r = data + off;
			} else {
				for (size_t k = 0; k < h.size; k++)
					scratch->rec[k] =
						data[(off + k) % size];
				r = scratch->rec;
			}
			if (h.type == PERF_RECORD_SAMPLE) {
				if (n == 0) {
					time0 = ((const uint64_t
							  *)(r + sizeof(h)))[2];
					prev = time0;
				}
				if (len + 64 + 16 * CPROF_MAX_EVENTS +
						    10 * (size_t)PERF_MAX_STACK_DEPTH >
					    sizeof(scratch->data) ||
				    nthr == sizeof(scratch->throttled_at) /
						    sizeof(scratch->throttled_at
								   [0]) ||
				    slen + 16 + 8 * 64 + 65536 >
					    sizeof(scratch->stacks)) {
					flush_samples(t, pk, n, time0, len,
						      nthr, slen);
					n = 0;
					len = 0;
					slen = 0;
					nthr = 0;
					time0 = prev;
				}
				/*
				 * The first sample after an unthrottle (the
				 * leader stopped from its throttle to the
				 * next tick) follows an interval nothing
				 * sampled, whose counts the group's other
				 * members carry into it: marked. (The sample
				 * that set off the throttle comes after the
				 * throttle record, and is an ordinary one.)
				 */
				if (t->cthrottle_open)
					scratch->throttled_at[nthr++] =
						(uint32_t)n;
				t->cthrottle_open = false;
				len = encode_sample(t, r, h.size, len, &prev,
						    &slen);
				n++;
			} else if (h.type == PERF_RECORD_LOST) {
				lost += ((const uint64_t *)(r + sizeof(h)))[1];
			} else if (h.type == PERF_RECORD_THROTTLE) {
				throttled++;
			} else if (h.type == PERF_RECORD_UNTHROTTLE) {
				unthrottled++;
				t->cthrottle_open = true;
			} else if (h.type == PERF_RECORD_SWITCH) {
				cprof__offcpu_record(t, &h, r);
			}
			tail += h.size;
		}
		flush_samples(t, pk, n, time0, len, nthr, slen);
		cprof__offcpu_flush(t, pk);
		cprof__syscalls_drain(t, pk);
		__atomic_store_n(&pc->data_tail, tail, __ATOMIC_RELEASE);
	}
	if (lost || throttled || unthrottled) {
		msgpack_pack_map(pk, 5);
		cprof__pack_str(pk, CPROF_KEY_T);
		cprof__pack_str(pk, CPROF_CHUNK_LOST);
		cprof__pack_str(pk, CPROF_KEY_TID);
		msgpack_pack_uint64(pk, (uint64_t)t->tid);
		cprof__pack_str(pk, CPROF_KEY_LOST);
		msgpack_pack_uint64(pk, lost);
		cprof__pack_str(pk, CPROF_KEY_THROTTLED);
		msgpack_pack_uint64(pk, throttled);
		cprof__pack_str(pk, CPROF_KEY_UNTHROTTLED);
		msgpack_pack_uint64(pk, unthrottled);
	}
	pack_totals(t, pk);
}
