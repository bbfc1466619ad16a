/*
 * test-events.c - unit tests of cli/events.c: event names resolved with
 * libpfm4, the errors for unknown and refused events, the default events
 * and their fallback, and the CPROF_EVENTS and CPROF_SAMPLE strings the
 * runtime parses.
 *
 * The software events work on any Linux with perf events, so their
 * encodings are checked exactly. What depends on the machine (a hardware
 * PMU or not, perf_event_paranoid) is asked of the kernel first, and a
 * check that cannot run here says so on stdout instead of passing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "unit.h"

/* The kernel accepts software events from this process. */
static int have_perf;
/* Why the kernel refuses cycles, 0 when it accepts them. */
static int cycles_err;

static void sampling(struct cp_evsel *sel)
{
	memset(sel, 0, sizeof *sel);
	sel->counters = 1;
	sel->freq = 1000;
}

static int resolve(struct cp_evsel *sel, const char *list, char *msg,
		   size_t len)
{
	sampling(sel);
	return cp_evsel_resolve(sel, list, msg, len);
}

static void test_software_names(void)
{
	static const struct {
		const char *name;
		uint64_t config;
	} names[] = {
		{"task-clock", 1},
		{"cpu-clock", 0},
		{"page-faults", 2},
		{"context-switches", 3},
		{"cpu-migrations", 4},
		/* libpfm4's own names, and perf's, in any case. */
		{"perf::PERF_COUNT_SW_PAGE_FAULTS", 2},
		{"PAGE-FAULTS", 2},
		{"faults", 2},
	};
	struct cp_event ev;
	char err[256];
	size_t i;
	int pfmerr;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		ASSERT_EQ_FATAL(cp_event_encode(names[i].name, &ev, &pfmerr,
						err, sizeof err),
				0);
		ASSERT_STR_EQ(ev.name, names[i].name);
		ASSERT_EQ(ev.type, 1); /* PERF_TYPE_SOFTWARE */
		ASSERT_EQ(ev.config, names[i].config);
		ASSERT_EQ(ev.config1, 0);
		ASSERT_EQ(ev.config2, 0);
		/* User space always; kernel where paranoid allows it. */
		ASSERT_EQ(ev.flags & CPROF_EVENT_EXCLUDE_USER, 0);
		CU_ASSERT(ev.flags & CPROF_EVENT_EXCLUDE_HV);
		ASSERT_EQ(ev.flags & CPROF_EVENT_PRECISE_MASK, 0);
		if (have_perf)
			ASSERT_EQ(cp_event_try(&ev), 0);
		free(ev.name);
	}

	/* A modifier of libpfm4 is applied: user space only. */
	ASSERT_EQ_FATAL(
		cp_event_encode("page-faults:u", &ev, &pfmerr, err, sizeof err),
		0);
	ASSERT_EQ(ev.flags,
		  CPROF_EVENT_EXCLUDE_KERNEL | CPROF_EVENT_EXCLUDE_HV);
	free(ev.name);
	if (!have_perf)
		tu_skip("perf_event_open refuses software events here");
}

static void test_unknown_and_malformed(void)
{
	struct cp_evsel sel;
	char msg[512], name[100];

	ASSERT_EQ(resolve(&sel, "nosuchevent", msg, sizeof msg), 2);
	ASSERT_STR_EQ(msg, "unknown event 'nosuchevent' (see 'cprof list')");
	ASSERT_EQ(sel.nev, 0);

	/* The bad one is named, whatever comes before it. */
	ASSERT_EQ(resolve(&sel, "task-clock,bogus::thing", msg, sizeof msg), 2);
	ASSERT_STR_EQ(msg, "unknown event 'bogus::thing' (see 'cprof list')");
	ASSERT_EQ(sel.nev, 0);

	ASSERT_EQ(resolve(&sel, "task-clock,", msg, sizeof msg), 2);
	ASSERT_STR_EQ(msg, "-e: empty event name in 'task-clock,'");
	ASSERT_EQ(resolve(&sel, "", msg, sizeof msg), 2);
	ASSERT_STR_EQ(msg, "-e: empty event name in ''");
	ASSERT_EQ(resolve(&sel, "page-faults,task-clock,page-faults", msg,
			  sizeof msg),
		  2);
	ASSERT_STR_EQ(msg, "-e: event 'page-faults' given twice");

	/* More than the runtime takes. */
	ASSERT_EQ(resolve(&sel,
			  "task-clock,cpu-clock,page-faults,"
			  "minor-faults,major-faults,context-switches,"
			  "cpu-migrations,faults,cs",
			  msg, sizeof msg),
		  2);
	ASSERT_STR_EQ(msg, "-e: more than 8 events in one group");
	memset(name, 'x', 64);
	name[64] = '\0';
	ASSERT_EQ(resolve(&sel, name, msg, sizeof msg), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is longer than 63 characters"));

	/* A modifier CPROF_EVENTS cannot carry is refused, not dropped. */
	ASSERT_EQ(resolve(&sel, "task-clock:period=10", msg, sizeof msg), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "event 'task-clock:period=10': "));
}

static void test_reasons(void)
{
	const char *pmu = "not supported by this machine (no hardware PMU?)";

	ASSERT_STR_EQ(cp_event_reason(ENOENT), pmu);
	ASSERT_STR_EQ(cp_event_reason(ENODEV), pmu);
	ASSERT_STR_EQ(cp_event_reason(EOPNOTSUPP), pmu);
	ASSERT_STR_EQ(cp_event_reason(EINVAL), "invalid for this kernel");
	ASSERT_STR_EQ(cp_event_reason(EMFILE), "too many open files");
	/*
	 * The sysctl's level is named; below 3, or for root, the refusal is
	 * put on a sandbox or security policy, which the level cannot cause.
	 */
	ASSERT_EQ(strncmp(cp_event_reason(EACCES), "not permitted", 13), 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(cp_event_reason(EACCES), "(perf_event_paranoid is "));
	ASSERT_EQ(strncmp(cp_event_reason(EPERM), "not permitted", 13), 0);
}

static void test_env_strings(void)
{
	struct cp_evsel sel;
	char *s;

	memset(&sel, 0, sizeof sel);
	sel.counters = 1;
	sel.freq = 1000;
	sel.ev[0].name = (char *)"cycles";
	sel.ev[0].type = 0;
	sel.ev[0].config = 0;
	sel.ev[0].flags = CPROF_EVENT_EXCLUDE_KERNEL | CPROF_EVENT_EXCLUDE_HV;
	sel.ev[1].name = (char *)"pmu::EV:UMASK";
	sel.ev[1].type = 4;
	sel.ev[1].config = 0x5300c0;
	sel.ev[1].config1 = 1;
	sel.ev[1].config2 = 0xabcdef0123456789ULL;
	sel.ev[1].flags = CPROF_EVENT_EXCLUDE_USER | CPROF_EVENT_EXCLUDE_HV |
			  2u << CPROF_EVENT_PRECISE_SHIFT;
	sel.nev = 2;
	s = cp_events_env(&sel);
	ASSERT_STR_EQ(s, "cycles,0,0,0,0,6;pmu::EV:UMASK,4,5300c0,1,"
			 "abcdef0123456789,25");
	free(s);
	s = cp_sample_env(&sel);
	ASSERT_STR_EQ(s, "freq:1000");
	free(s);
	sel.period = 123456;
	sel.freq = 0;
	s = cp_sample_env(&sel);
	ASSERT_STR_EQ(s, "period:123456");
	free(s);
}

/* Resolved names reach the string exactly as libpfm4 encoded them. */
static void test_resolved_env(void)
{
	struct cp_evsel sel;
	char msg[512], want[200];
	unsigned flags;
	char *s;

	if (!have_perf)
		SKIP("perf_event_open refuses software events here");
	ASSERT_EQ_FATAL(resolve(&sel, "task-clock,page-faults,context-switches",
				msg, sizeof msg),
			0);
	ASSERT_STR_EQ(msg, "");
	ASSERT_EQ_FATAL(sel.nev, 3);
	/* 4 counts kernel mode too, 6 user space only. */
	flags = sel.ev[0].flags;
	CU_ASSERT(flags == 4 || flags == 6);
	snprintf(want, sizeof want,
		 "task-clock,1,1,0,0,%x;page-faults,1,2,0,0,%x;"
		 "context-switches,1,3,0,0,%x",
		 flags, flags, flags);
	s = cp_events_env(&sel);
	ASSERT_STR_EQ(s, want);
	free(s);
	cp_evsel_free(&sel);
	ASSERT_EQ(sel.nev, 0);

	/* Exact mode opens the same group, without sampling. */
	sampling(&sel);
	sel.exact = 1;
	ASSERT_EQ(cp_evsel_resolve(&sel, "page-faults,task-clock", msg,
				   sizeof msg),
		  0);
	ASSERT_EQ(sel.nev, 2);
	cp_evsel_free(&sel);

	/* No counters: nothing resolved, nothing to say. */
	memset(&sel, 0, sizeof sel);
	ASSERT_EQ(cp_evsel_resolve(&sel, "cycles", msg, sizeof msg), 0);
	ASSERT_EQ(sel.nev, 0);
	ASSERT_STR_EQ(msg, "");
}

static void test_refused_and_defaults(void)
{
	struct cp_evsel sel;
	char msg[512], want[512];

	if (!have_perf)
		SKIP("perf_event_open refuses software events here");
	if (cycles_err == 0) {
		/* Hardware counters work: the defaults are used as they are. */
		tu_skip("this machine has a hardware PMU: no fallback to "
			"check");
		if (resolve(&sel, NULL, msg, sizeof msg) == 0 && msg[0] == '\0')
			ASSERT_STR_EQ(sel.ev[0].name, "cycles");
		cp_evsel_free(&sel);
		return;
	}

	/* Given with -e, a refused event is an error naming it. */
	snprintf(want, sizeof want, "event 'cycles': %s",
		 cp_event_reason(cycles_err));
	ASSERT_EQ(resolve(&sel, "cycles", msg, sizeof msg), 1);
	ASSERT_STR_EQ(msg, want);
	ASSERT_EQ(sel.nev, 0);
	ASSERT_EQ(resolve(&sel, "task-clock,cycles", msg, sizeof msg), 1);
	ASSERT_STR_EQ(msg, want);
	ASSERT_EQ(sel.nev, 0);
	if (cycles_err == ENOENT)
		ASSERT_STR_EQ(msg, "event 'cycles': not supported by "
				   "this machine (no hardware PMU?)");

	/* The defaults fall back to software events, saying why once. */
	ASSERT_EQ_FATAL(resolve(&sel, NULL, msg, sizeof msg), 0);
	ASSERT_EQ(sel.counters, 1);
	ASSERT_EQ_FATAL(sel.nev, 3);
	ASSERT_STR_EQ(sel.ev[0].name, "task-clock");
	ASSERT_STR_EQ(sel.ev[1].name, "page-faults");
	ASSERT_STR_EQ(sel.ev[2].name, "context-switches");
	snprintf(want, sizeof want,
		 "cycles: %s; counting "
		 "task-clock,page-faults,context-switches instead",
		 cp_event_reason(cycles_err));
	ASSERT_STR_EQ(msg, want);
	CU_ASSERT_PTR_NULL(strchr(msg, '\n'));
	cp_evsel_free(&sel);
}

static int open_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A group that fails half way closes what it opened. */
static void test_group_closes(void)
{
	struct cp_evsel sel;
	char msg[512];
	size_t bad = 99;
	int before;

	if (!have_perf)
		SKIP("perf_event_open refuses software events here");
	before = open_fds();
	ASSERT_EQ_FATAL(resolve(&sel, "task-clock,page-faults,cpu-clock", msg,
				sizeof msg),
			0);
	ASSERT_EQ(cp_evsel_try(&sel, &bad), 0);
	ASSERT_EQ(bad, 99);
	ASSERT_EQ(open_fds(), before);
	if (cycles_err != 0) {
		/* A member the kernel refuses, after two it took. */
		free(sel.ev[2].name);
		ASSERT_EQ(cp_event_encode("cycles", &sel.ev[2], &(int){0}, msg,
					  sizeof msg),
			  0);
		ASSERT_EQ(cp_evsel_try(&sel, &bad), cycles_err);
		ASSERT_EQ(bad, 2);
		ASSERT_EQ(open_fds(), before);
	}
	cp_evsel_free(&sel);

	/* The kernel's sampling limit is checked before anything opens. */
	sampling(&sel);
	sel.freq = 1000000000;
	ASSERT_EQ(cp_evsel_resolve(&sel, "task-clock", msg, sizeof msg), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "perf_event_max_sample_rate"));
}

int main(void)
{
	struct cp_event ev;
	char err[256];
	CU_pSuite suite;
	int pfmerr;

	cp_events_init();
	if (cp_event_encode("task-clock", &ev, &pfmerr, err, sizeof err) == 0) {
		have_perf = cp_event_try(&ev) == 0;
		free(ev.name);
	}
	if (cp_event_encode("cycles", &ev, &pfmerr, err, sizeof err) == 0) {
		cycles_err = cp_event_try(&ev);
		free(ev.name);
	} else {
		cycles_err = ENOENT;
	}

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("events", NULL, NULL);
	CU_add_test(suite, "software events resolve through libpfm4",
		    test_software_names);
	CU_add_test(suite, "unknown and malformed names are errors",
		    test_unknown_and_malformed);
	CU_add_test(suite, "why the kernel refused, in words", test_reasons);
	CU_add_test(suite, "CPROF_EVENTS and CPROF_SAMPLE strings",
		    test_env_strings);
	CU_add_test(suite, "resolved events in CPROF_EVENTS",
		    test_resolved_env);
	CU_add_test(suite, "refused events and the default fallback",
		    test_refused_and_defaults);
	CU_add_test(suite, "group test-open closes what it opened",
		    test_group_closes);
	return tu_run();
}
