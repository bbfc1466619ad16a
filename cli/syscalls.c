/*
 * syscalls.c - system calls per function: the calls a thread made
 * (syscalls chunks, from the raw_syscalls tracepoints) placed on the
 * marker frames open at the time, by name, and the names and classes
 * the report shows them under.
 *
 * A call is queued with the thread's off-CPU intervals (offcpu.c) and
 * placed by its middle as they are: no marker event runs while the
 * thread is in the kernel. It counts, with its time, in the innermost
 * frame's self and once in the total of every function on the stack.
 * The names are the build machine's (cli/gen-syscalls.sh, from its
 * kernel headers): a log from a machine of another architecture is
 * read with the wrong names.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profile.h"

static const char *const names[] = {
/* Generated in the build tree (cli/local.mk), as pprof.pb-c.h. */
#include "cli/syscall-names.h"
};

const char *const cp_syscall_class_names[CP_SYS_CLASSES] = {
	[CP_SYS_READ] = "read",	      [CP_SYS_WRITE] = "write",
	[CP_SYS_OPEN] = "open/close", [CP_SYS_MMAP] = "mmap",
	[CP_SYS_FUTEX] = "futex",     [CP_SYS_POLL] = "poll",
	[CP_SYS_IOCTL] = "ioctl",     [CP_SYS_OTHER] = "other",
};

const char *cp_syscall_name(uint64_t nr, char *buf, size_t len)
{
	if (nr < sizeof names / sizeof names[0] && names[nr] != NULL)
		return names[nr];
	snprintf(buf, len, "sys_%llu", (unsigned long long)nr);
	return buf;
}

/* The classes of the table, by the call's name (architecture-neutral). */
int cp_syscall_class(uint64_t nr)
{
	static const struct {
		const char *name;
		int cls;
	} map[] = {
		{"read", CP_SYS_READ},	       {"pread64", CP_SYS_READ},
		{"readv", CP_SYS_READ},	       {"preadv", CP_SYS_READ},
		{"preadv2", CP_SYS_READ},      {"recvfrom", CP_SYS_READ},
		{"recvmsg", CP_SYS_READ},      {"recvmmsg", CP_SYS_READ},
		{"write", CP_SYS_WRITE},       {"pwrite64", CP_SYS_WRITE},
		{"writev", CP_SYS_WRITE},      {"pwritev", CP_SYS_WRITE},
		{"pwritev2", CP_SYS_WRITE},    {"sendto", CP_SYS_WRITE},
		{"sendmsg", CP_SYS_WRITE},     {"sendmmsg", CP_SYS_WRITE},
		{"open", CP_SYS_OPEN},	       {"openat", CP_SYS_OPEN},
		{"openat2", CP_SYS_OPEN},      {"creat", CP_SYS_OPEN},
		{"close", CP_SYS_OPEN},	       {"close_range", CP_SYS_OPEN},
		{"mmap", CP_SYS_MMAP},	       {"munmap", CP_SYS_MMAP},
		{"mprotect", CP_SYS_MMAP},     {"mremap", CP_SYS_MMAP},
		{"futex", CP_SYS_FUTEX},       {"futex_waitv", CP_SYS_FUTEX},
		{"poll", CP_SYS_POLL},	       {"ppoll", CP_SYS_POLL},
		{"select", CP_SYS_POLL},       {"pselect6", CP_SYS_POLL},
		{"epoll_wait", CP_SYS_POLL},   {"epoll_pwait", CP_SYS_POLL},
		{"epoll_pwait2", CP_SYS_POLL}, {"ioctl", CP_SYS_IOCTL},
	};
	const char *n;

	if (nr >= sizeof names / sizeof names[0] || (n = names[nr]) == NULL)
		return CP_SYS_OTHER;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].name, n) == 0)
			return map[i].cls;
	return CP_SYS_OTHER;
}

/*
 * The tracefs id of raw_syscalls:EV, or 0 when there is no tracefs or it
 * cannot be read (errno then says why: EACCES for an unprivileged user).
 */
static uint64_t tp_id(const char *ev)
{
	static const char *const roots[] = {"/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing"};
	char path[128], buf[32];
	int err = ENOENT;

	for (size_t i = 0; i < 2; i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof path, "%s/events/raw_syscalls/%s/id",
			 roots[i], ev);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				err = errno;
			continue;
		}
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			return strtoull(buf, NULL, 10);
		}
	}
	errno = err;
	return 0;
}

/* Whether this process may sample tracepoint ID on itself; errno if not. */
static int tp_try(uint64_t id)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	a.disabled = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
			  PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* The fallback: libc's wrappers interposed, and what they cannot see. */
static void fallback(const char *why)
{
	if (setenv(CPROF_ENV_SYSCALLS, "wrap", 1) != 0)
		fatal("setenv");
	warnx("system calls: %s: counted by interposing libc's system-call "
	      "functions and syscall(), which cannot see glibc's internal "
	      "calls (stdio's writes, sleep's nanosleep), inline syscall "
	      "instructions, io_uring or vDSO calls",
	      why);
}

void cp_syscalls_env(int want)
{
	uint64_t enter, exit_;
	const char *force = getenv(CPROF_ENV_SYSCALLS_FALLBACK);
	char v[64], why[160];
	int err;

	if (unsetenv(CPROF_ENV_SYSCALLS) != 0)
		fatal("unsetenv");
	if (!want)
		return;
	if (force != NULL && strcmp(force, "1") == 0) {
		fallback(CPROF_ENV_SYSCALLS_FALLBACK "=1");
		return;
	}
	enter = tp_id("sys_enter");
	exit_ = enter ? tp_id("sys_exit") : 0;
	if (enter == 0 || exit_ == 0) {
		snprintf(
			why, sizeof why,
			errno == ENOENT
				? "no tracefs with the raw_syscalls "
				  "tracepoints"
				: "the raw_syscalls tracepoints' ids cannot be "
				  "read (%s)",
			strerror(errno));
		fallback(why);
		return;
	}
	if ((err = tp_try(enter)) != 0 || (err = tp_try(exit_)) != 0) {
		snprintf(why, sizeof why,
			 "the kernel refuses the raw_syscalls tracepoints (%s)",
			 strerror(err));
		fallback(why);
		return;
	}
	snprintf(v, sizeof v, "%llu,%llu", (unsigned long long)enter,
		 (unsigned long long)exit_);
	if (setenv(CPROF_ENV_SYSCALLS, v, 1) != 0)
		fatal("setenv");
	warnx("system calls: traced by the kernel's raw_syscalls tracepoints "
	      "(every call, made through libc or not)");
}

void cp_syscalls_add(struct proc *pr, const struct cp_log_syscalls *c)
{
	struct thr *t;

	if (pr->nc == 0 || pr->exact)
		return;
	pr->ld->p->has_syscalls = 1;
	pr->ld->p->syscalls_lost += c->lost;
	if (c->n == 0)
		return;
	t = cp_proc_thread_find(pr, c->tid);
	t->oq = xgrow(t->oq, &t->capoq, t->noq + c->n, sizeof *t->oq);
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_log_syscall *s = &c->s[i];
		struct qoff *q = &t->oq[t->noq++];

		q->mid_ns = s->enter + s->len / 2;
		q->tk = 0;
		q->len = s->len;
		q->preempt = 0;
		q->nr = (int64_t)(s->nr & 0xfffff);
		if (s->enter > t->smax)
			t->smax = s->enter;
	}
	cp_offcpu_sort(t);
}

/* T's entry of (FID, NR), made if new. */
static struct tsys *entry(struct thr *t, uint32_t fid, uint64_t nr)
{
	uint64_t h = cp_hash_u64(((uint64_t)fid << 20) ^ nr);
	size_t mask, i;

	if (2 * (t->nsys + 1) > t->capsysix) {
		size_t cap = t->capsysix ? 2 * t->capsysix : 64;

		free(t->sysix);
		t->sysix = xcalloc(cap, sizeof *t->sysix);
		t->capsysix = cap;
		for (size_t k = 0; k < t->nsys; k++) {
			uint64_t hk = cp_hash_u64(
				((uint64_t)t->sys[k].fid << 20) ^ t->sys[k].nr);

			for (i = hk & (cap - 1); t->sysix[i];
			     i = (i + 1) & (cap - 1))
				;
			t->sysix[i] = (uint32_t)k + 1;
		}
	}
	mask = t->capsysix - 1;
	for (i = h & mask; t->sysix[i]; i = (i + 1) & mask) {
		struct tsys *e = &t->sys[t->sysix[i] - 1];

		if (e->fid == fid && e->nr == nr)
			return e;
	}
	t->sys = xgrow(t->sys, &t->capsys, t->nsys + 1, sizeof *t->sys);
	memset(&t->sys[t->nsys], 0, sizeof *t->sys);
	t->sys[t->nsys].fid = fid;
	t->sys[t->nsys].nr = nr;
	t->sysix[i] = (uint32_t)++t->nsys;
	return &t->sys[t->nsys - 1];
}

void cp_syscalls_place(struct proc *pr, struct thr *t, const struct qoff *q)
{
	uint64_t serial = ++pr->serial;
	struct tsys *e;

	cp_thread_reserve(pr, t);
	e = entry(t, t->stk.open[t->stk.depth - 1].fid, (uint64_t)q->nr);
	e->self_count++;
	e->self_ns += q->len;
	for (size_t j = t->stk.depth; j > 0; j--) {
		uint32_t fid = t->stk.open[j - 1].fid;

		if (pr->stamp[fid] == serial)
			continue; /* recursion: once */
		pr->stamp[fid] = serial;
		e = entry(t, fid, (uint64_t)q->nr);
		e->total_count++;
		e->total_ns += q->len;
	}
}

void cp_syscalls_merge(struct loader *ld, struct proc *pr, struct thr *t,
		       const uint32_t *gid)
{
	struct cp_profile *p = ld->p;

	for (size_t k = 0; k < t->nsys; k++) {
		const struct tsys *e = &t->sys[k];
		struct cp_func *f;
		struct cp_sysstat *s = NULL;
		uint32_t g;

		if (e->fid >= pr->npf || (g = gid[e->fid]) >= p->nfuncs)
			continue;
		f = &p->funcs[g];
		for (size_t i = 0; i < f->nsys; i++)
			if (f->sys[i].nr == e->nr)
				s = &f->sys[i];
		if (s == NULL) {
			f->sys = xrealloc(f->sys,
					  (f->nsys + 1) * sizeof *f->sys);
			s = &f->sys[f->nsys++];
			memset(s, 0, sizeof *s);
			s->nr = e->nr;
		}
		s->self_count += e->self_count;
		s->self_ns += e->self_ns;
		s->total_count += e->total_count;
		s->total_ns += e->total_ns;
	}
}

void cp_syscalls_free(struct thr *t)
{
	free(t->sys);
	free(t->sysix);
	t->sys = NULL;
	t->sysix = NULL;
	t->nsys = t->capsys = t->capsysix = 0;
}
