/*
 * events.c - perf_event counters chosen by name, for stat, record and list.
 *
 * libpfm4 turns an event name into a perf_event_attr; this file adds what
 * libpfm4 cannot know: whether this kernel, on this machine, accepts the
 * event. Every event is test-opened on cprof itself, alone and then as
 * the group the runtime will open, before the program runs, so that a
 * refused event is an error naming it and the reason rather than an empty
 * column after a long run. It also picks the default events, falling back
 * to software events where the machine has no hardware counters, and
 * writes the selection into the environment variables through which the
 * runtime gets it (CPROF_EVENTS and CPROF_SAMPLE, see cprof(1)).
 */
#include "config.h"

#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

#include "cli.h"

/*
 * The names perf(1) users know, first in "cprof list". libpfm4 accepts
 * them as they are; the libpfm4 names are a second try for a libpfm4
 * without those aliases.
 */
const struct cp_generic_event cp_generic_events[] = {
	{"cycles", "perf::PERF_COUNT_HW_CPU_CYCLES", "CPU cycles"},
	{"instructions", "perf::PERF_COUNT_HW_INSTRUCTIONS",
	 "instructions retired"},
	{"cache-references", "perf::PERF_COUNT_HW_CACHE_REFERENCES",
	 "last-level cache accesses"},
	{"cache-misses", "perf::PERF_COUNT_HW_CACHE_MISSES",
	 "last-level cache misses"},
	{"branches", "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
	 "branch instructions retired"},
	{"branch-misses", "perf::PERF_COUNT_HW_BRANCH_MISSES",
	 "mispredicted branches"},
	{"task-clock", "perf::PERF_COUNT_SW_TASK_CLOCK",
	 "time the thread ran on a CPU, in ns"},
	{"cpu-clock", "perf::PERF_COUNT_SW_CPU_CLOCK",
	 "time the thread ran, by the CPU timer, in ns"},
	{"page-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS", "page faults"},
	{"minor-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS_MIN",
	 "page faults served without I/O"},
	{"major-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS_MAJ",
	 "page faults that waited for I/O"},
	{"context-switches", "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
	 "context switches (seen in kernel mode only)"},
	{"cpu-migrations", "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
	 "moves of the thread to another CPU"},
	{NULL, NULL, NULL}};

static int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
			       int group, unsigned long flags)
{
	return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group, flags);
}

void cp_events_init(void)
{
	static int done;
	int rc;

	if (done)
		return;
	if ((rc = pfm_initialize()) != PFM_SUCCESS)
		fatalx("cannot initialize libpfm4: %s", pfm_strerror(rc));
	done = 1;
}

/* What paranoid() returns when the sysctl cannot be read. */
#define NO_LEVEL (-1000)

/* kernel.perf_event_paranoid, or NO_LEVEL. */
static int paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int level;

	if (f == NULL)
		return NO_LEVEL;
	if (fscanf(f, "%d", &level) != 1)
		level = NO_LEVEL;
	fclose(f);
	return level;
}

/*
 * Whether cprof may count in kernel mode too: perf_event_paranoid below 2,
 * or CAP_PERFMON. Asked of the kernel once, with task-clock, which every
 * kernel with perf events has; a kernel without them answers by the
 * sysctl. Counting kernel mode matters most to context-switches, which
 * are only ever seen there.
 */
static int kernel_allowed(void)
{
	static int allowed = -1;
	struct perf_event_attr a;
	int fd, level;

	if (allowed >= 0)
		return allowed;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_hv = 1;
	a.disabled = 1;
	if ((fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)) >=
	    0) {
		close(fd);
		allowed = 1;
	} else if (errno == EACCES || errno == EPERM) {
		allowed = 0;
	} else {
		level = paranoid();
		allowed = level != NO_LEVEL && level < 2;
	}
	return allowed;
}

/*
 * Encode NAME at privilege levels PLM into EV (name aside). Returns a
 * pfmlib error code; PFM_ERR_FEATCOMB for a modifier that sets a field
 * CPROF_EVENTS does not carry.
 */
static int encode(const char *name, int plm, struct cp_event *ev)
{
	struct perf_event_attr attr;
	pfm_perf_encode_arg_t arg;
	int rc;

	memset(&attr, 0, sizeof attr);
	memset(&arg, 0, sizeof arg);
	arg.attr = &attr;
	arg.size = sizeof arg;
	rc = pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT_EXT, &arg);
	if (rc != PFM_SUCCESS)
		return rc;
	/*
	 * The runtime opens what CPROF_EVENTS says and nothing more: a
	 * sampling period, a CPU or pinning given as a modifier would be
	 * dropped without a word, so they are refused here.
	 */
	if (attr.sample_period != 0 || attr.freq || attr.pinned ||
	    attr.exclusive || arg.cpu > -1)
		return PFM_ERR_FEATCOMB;
	ev->type = attr.type;
	ev->config = attr.config;
	ev->config1 = attr.config1;
	ev->config2 = attr.config2;
	ev->flags = (attr.exclude_user ? CPROF_EVENT_EXCLUDE_USER : 0) |
		    (attr.exclude_kernel ? CPROF_EVENT_EXCLUDE_KERNEL : 0) |
		    (attr.exclude_hv ? CPROF_EVENT_EXCLUDE_HV : 0) |
		    ((unsigned)attr.precise_ip << CPROF_EVENT_PRECISE_SHIFT &
		     CPROF_EVENT_PRECISE_MASK);
	return PFM_SUCCESS;
}

/* NAME with a generic name replaced by libpfm4's, or NULL. */
static char *generic_alias(const char *name)
{
	const struct cp_generic_event *g;
	size_t len = strcspn(name, ":");
	char *s;

	if (strstr(name, "::") != NULL)
		return NULL;
	for (g = cp_generic_events; g->name != NULL; g++) {
		if (strlen(g->name) == len &&
		    strncasecmp(g->name, name, len) == 0) {
			if (asprintf(&s, "%s%s", g->pfm, name + len) < 0)
				fatalx("out of memory");
			return s;
		}
	}
	return NULL;
}

int cp_event_encode(const char *name, struct cp_event *ev, int *pfmerr,
		    char *err, size_t len)
{
	int plm = PFM_PLM3, rc;
	char *alias;

	cp_events_init();
	if (kernel_allowed())
		plm |= PFM_PLM0;
	memset(ev, 0, sizeof *ev);
	rc = encode(name, plm, ev);
	if (rc == PFM_ERR_NOTFOUND && (alias = generic_alias(name)) != NULL) {
		rc = encode(alias, plm, ev);
		free(alias);
	}
	*pfmerr = rc;
	if (rc == PFM_ERR_FEATCOMB) {
		snprintf(err, len,
			 "a modifier cprof cannot pass on (use -F or -c for "
			 "the sampling rate)");
		return -1;
	}
	if (rc != PFM_SUCCESS) {
		snprintf(err, len, "%s", pfm_strerror(rc));
		return -1;
	}
	ev->name = xstrdup(name);
	return 0;
}

/* EV as the runtime opens it, before any sampling setting. */
static void make_attr(const struct cp_event *ev, struct perf_event_attr *a)
{
	memset(a, 0, sizeof *a);
	a->size = sizeof *a;
	a->type = ev->type;
	a->config = ev->config;
	a->config1 = ev->config1;
	a->config2 = ev->config2;
	a->exclude_user = (ev->flags & CPROF_EVENT_EXCLUDE_USER) != 0;
	a->exclude_kernel = (ev->flags & CPROF_EVENT_EXCLUDE_KERNEL) != 0;
	a->exclude_hv = (ev->flags & CPROF_EVENT_EXCLUDE_HV) != 0;
	a->precise_ip = (ev->flags & CPROF_EVENT_PRECISE_MASK) >>
			CPROF_EVENT_PRECISE_SHIFT;
	a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			 PERF_FORMAT_TOTAL_TIME_RUNNING;
	a->disabled = 1;
}

int cp_event_try(const struct cp_event *ev)
{
	struct perf_event_attr a;
	int fd;

	make_attr(ev, &a);
	fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int cp_evsel_try(const struct cp_evsel *sel, size_t *bad)
{
	struct perf_event_attr a;
	int fds[CPROF_MAX_EVENTS];
	size_t i, n;
	int err = 0;

	for (n = 0; n < sel->nev; n++) {
		make_attr(&sel->ev[n], &a);
		if (n == 0 && !sel->exact) {
			a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID |
					PERF_SAMPLE_TIME | PERF_SAMPLE_READ;
			if (sel->callchain)
				a.sample_type |= PERF_SAMPLE_CALLCHAIN;
			if (sel->period != 0) {
				a.sample_period = sel->period;
			} else {
				a.freq = 1;
				a.sample_freq = sel->freq;
			}
		}
		/*
		 * Samples share the markers' timeline; the kernel refuses a
		 * member whose clock is not its leader's (EINVAL).
		 */
		if (!sel->exact) {
			a.use_clockid = 1;
			a.clockid = CLOCK_MONOTONIC;
		}
		/* Members follow their leader's enabling. */
		if (n > 0)
			a.disabled = 0;
		fds[n] = sys_perf_event_open(&a, 0, -1, n > 0 ? fds[0] : -1,
					     PERF_FLAG_FD_CLOEXEC);
		if (fds[n] < 0) {
			err = errno;
			*bad = n;
			break;
		}
	}
	/* Whatever happened, every counter opened here is closed. */
	for (i = 0; i < n; i++)
		close(fds[i]);
	return err;
}

int cp_evsel_try_stack(const struct cp_evsel *sel, char *msg, size_t len)
{
	struct perf_event_attr a;
	int fd;

	if (CPROF_DWARF_REGS == 0) {
		snprintf(msg, len,
			 "stack samples are not supported on this machine "
			 "(x86-64 and aarch64 only)");
		return -1;
	}
	make_attr(&sel->ev[0], &a);
	a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			PERF_SAMPLE_READ | PERF_SAMPLE_REGS_USER |
			PERF_SAMPLE_STACK_USER;
	a.sample_regs_user = CPROF_DWARF_REGS;
	a.sample_stack_user = (uint32_t)sel->stack;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	if (sel->period != 0) {
		a.sample_period = sel->period;
	} else {
		a.freq = 1;
		a.sample_freq = sel->freq;
	}
	fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, len,
			 "the kernel refuses user stack samples for '%s': %s",
			 sel->ev[0].name,
			 errno == EINVAL ? "not supported by this kernel"
					 : cp_event_reason(errno));
		return -1;
	}
	close(fd);
	return 0;
}

const char *cp_event_reason(int err)
{
	static char buf[128];
	int level;

	switch (err) {
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		return "not supported by this machine (no hardware PMU?)";
	case EACCES:
	case EPERM:
		if ((level = paranoid()) == NO_LEVEL)
			return "not permitted";
		/*
		 * Below 3 the sysctl lets anyone count their own user-space
		 * events (what cprof asks for then), and root passes any
		 * level: the refusal comes from elsewhere, a seccomp filter
		 * (containers) or a security module.
		 */
		if (level < 3 || geteuid() == 0)
			snprintf(buf, sizeof buf,
				 "not permitted by a sandbox or security "
				 "policy (perf_event_paranoid is %d)",
				 level);
		else
			snprintf(buf, sizeof buf,
				 "not permitted (perf_event_paranoid is %d)",
				 level);
		return buf;
	case EINVAL:
	case E2BIG:
		return "invalid for this kernel";
	case EMFILE:
	case ENFILE:
		return "too many open files";
	case ENOSPC:
		return "no counter left on this machine";
	case EBUSY:
		return "the counters are in use by another program";
	case ENOSYS:
		return "this kernel has no perf events";
	}
	snprintf(buf, sizeof buf, "%s", strerror(err));
	return buf;
}

/* The first event of a list that could not be used, and why. */
struct failure {
	int status;  /* 2: unknown or malformed name, 1: refused */
	int unknown; /* libpfm4 does not know the name */
	char name[128];
	char why[256];
};

static int failed(struct failure *f, int status, const char *name,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int failed(struct failure *f, int status, const char *name,
		  const char *fmt, ...)
{
	va_list ap;

	f->status = status;
	snprintf(f->name, sizeof f->name, "%s", name);
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof f->why, fmt, ap);
	va_end(ap);
	return status;
}

/* "a,b,c": the names of the first N events of SEL. */
static void names_before(const struct cp_evsel *sel, size_t n, char *buf,
			 size_t len)
{
	size_t i, off = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i > 0 ? "," : "",
			     sel->ev[i].name);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* Resolve and test LIST into SEL, which is left empty on failure. */
static int resolve_list(struct cp_evsel *sel, const char *list,
			struct failure *f)
{
	char *copy = xstrdup(list), *name, *next, other[256];
	struct cp_event *ev;
	size_t i, bad;
	int err, pfmerr, rc = 0;

	memset(f, 0, sizeof *f);
	for (name = copy; name != NULL; name = next) {
		if ((next = strchr(name, ',')) != NULL)
			*next++ = '\0';
		if (*name == '\0') {
			rc = failed(f, 2, "", "-e: empty event name in '%s'",
				    list);
			goto out;
		}
		for (i = 0; i < sel->nev; i++)
			if (strcmp(sel->ev[i].name, name) == 0)
				break;
		if (i < sel->nev) {
			rc = failed(f, 2, "", "-e: event '%s' given twice",
				    name);
			goto out;
		}
		if (strlen(name) > CPROF_EVENT_NAME_MAX) {
			rc = failed(f, 2, "",
				    "-e: event name '%s' is longer than %d "
				    "characters",
				    name, CPROF_EVENT_NAME_MAX);
			goto out;
		}
		if (sel->nev == CPROF_MAX_EVENTS) {
			rc = failed(f, 2, "",
				    "-e: more than %d events in one group",
				    CPROF_MAX_EVENTS);
			goto out;
		}
		ev = &sel->ev[sel->nev];
		if (cp_event_encode(name, ev, &pfmerr, f->why, sizeof f->why) !=
		    0) {
			f->unknown = pfmerr == PFM_ERR_NOTFOUND;
			if (f->unknown)
				snprintf(f->why, sizeof f->why,
					 "unknown to libpfm4");
			f->status = rc = 2;
			snprintf(f->name, sizeof f->name, "%s", name);
			goto out;
		}
		sel->nev++;
		if ((err = cp_event_try(ev)) != 0) {
			rc = failed(f, 1, name, "%s", cp_event_reason(err));
			goto out;
		}
	}
	if ((err = cp_evsel_try(sel, &bad)) != 0) {
		if (bad == 0 && !sel->exact) {
			rc = failed(f, 1, sel->ev[0].name, "cannot sample: %s",
				    cp_event_reason(err));
		} else if (bad > 0 && (err == EINVAL || err == ENOSPC)) {
			names_before(sel, bad, other, sizeof other);
			rc = failed(f, 1, sel->ev[bad].name,
				    "does not fit in one group with %s (too "
				    "many counters?)",
				    other);
		} else {
			rc = failed(f, 1, sel->ev[bad].name, "%s",
				    cp_event_reason(err));
		}
	}
out:
	free(copy);
	if (rc != 0)
		cp_evsel_free(sel);
	return rc;
}

/* The one-line error for F, without the "cprof: " prefix. */
static void format_error(const struct failure *f, char *msg, size_t len)
{
	if (f->unknown)
		snprintf(msg, len, "unknown event '%s' (see 'cprof list')",
			 f->name);
	else if (f->name[0] == '\0')
		snprintf(msg, len, "%s", f->why);
	else if (f->status == 2)
		snprintf(msg, len, "event '%s': %s (see 'cprof list')", f->name,
			 f->why);
	else
		snprintf(msg, len, "event '%s': %s", f->name, f->why);
}

int cp_evsel_resolve(struct cp_evsel *sel, const char *list, char *msg,
		     size_t len)
{
	struct failure f, fb;
	unsigned long max;
	FILE *fp;
	int rc;

	msg[0] = '\0';
	sel->nev = 0;
	if (!sel->counters)
		return 0;
	/* Above this the kernel refuses to open the leader at all. */
	if (!sel->exact && sel->period == 0 &&
	    (fp = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "re")) !=
		    NULL) {
		if (fscanf(fp, "%lu", &max) == 1 && max > 0 &&
		    sel->freq > max) {
			fclose(fp);
			snprintf(msg, len,
				 "-F: %llu Hz is above this kernel's limit "
				 "of %lu (perf_event_max_sample_rate)",
				 (unsigned long long)sel->freq, max);
			return 2;
		}
		fclose(fp);
	}
	if (list != NULL) {
		if ((rc = resolve_list(sel, list, &f)) != 0)
			format_error(&f, msg, len);
		return rc;
	}
	if (resolve_list(sel, CP_DEFAULT_EVENTS, &f) == 0)
		return 0;
	if (resolve_list(sel, CP_FALLBACK_EVENTS, &fb) == 0) {
		snprintf(msg, len, "%s: %s; counting %s instead", f.name, f.why,
			 CP_FALLBACK_EVENTS);
		return 0;
	}
	/* Marker timing does not need counters: the run still goes on. */
	sel->counters = 0;
	snprintf(msg, len,
		 "%s: %s; %s: %s; counting no events (marker timing only)",
		 f.name, f.why, fb.name, fb.why);
	return 0;
}

void cp_evsel_free(struct cp_evsel *sel)
{
	size_t i;

	for (i = 0; i < sel->nev; i++) {
		free(sel->ev[i].name);
		sel->ev[i].name = NULL;
	}
	sel->nev = 0;
}

char *cp_events_env(const struct cp_evsel *sel)
{
	const struct cp_event *ev;
	size_t i, size = 1, off = 0;
	char *s;
	int w;

	/* A name, five numbers of at most 16 digits and six separators. */
	for (i = 0; i < sel->nev; i++)
		size += strlen(sel->ev[i].name) + 5 * 16 + 6;
	s = xmalloc(size);
	s[0] = '\0';
	for (i = 0; i < sel->nev; i++) {
		ev = &sel->ev[i];
		w = snprintf(s + off, size - off, "%s%s,%x,%llx,%llx,%llx,%x",
			     i > 0 ? ";" : "", ev->name, (unsigned)ev->type,
			     (unsigned long long)ev->config,
			     (unsigned long long)ev->config1,
			     (unsigned long long)ev->config2, ev->flags);
		if (w < 0 || (size_t)w >= size - off)
			fatalx("CPROF_EVENTS: cannot format event '%s'",
			       ev->name);
		off += (size_t)w;
	}
	return s;
}

char *cp_sample_env(const struct cp_evsel *sel)
{
	char *s;

	if (asprintf(&s, "%s:%llu", sel->period != 0 ? "period" : "freq",
		     (unsigned long long)(sel->period != 0 ? sel->period
							   : sel->freq)) < 0)
		fatalx("out of memory");
	return s;
}
