/*
 * test-output.c - unit tests of the order of a report's rows and tables
 * (cli/output.c): every --sort key on every kind of profile (timed by
 * markers, sampled without any marker, and both), with ties, and the
 * order of the --threads tables.
 *
 * The profiles are built in memory, with hand-picked times and counts, so
 * that every expected order below is exact, ties included; the rows are
 * read back from the CSV the report prints.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "unit.h"

/* A row of a test profile: marker stats, and counter 0's self and total. */
struct frow {
	const char *name, *object;
	uint64_t calls, self, total;
	uint64_t cself, ctotal;
};

static struct cp_func funcs[16];
static struct cp_count counts[16];
static struct cp_counter counter = {.name = "task-clock", .leader = 1};
static struct cp_process procs[2];

/*
 * Fill P with the N rows of R. EVENTS: the run's marker events (0 for a
 * program without hooks); COUNTERS: whether it has the counter.
 */
static void make(struct cp_profile *p, const struct frow *r, size_t n,
		 uint64_t events, int counters)
{
	memset(p, 0, sizeof *p);
	memset(funcs, 0, sizeof funcs);
	memset(counts, 0, sizeof counts);
	memset(procs, 0, sizeof procs);
	for (size_t i = 0; i < n; i++) {
		funcs[i].name = r[i].name;
		funcs[i].object = r[i].object;
		funcs[i].st.calls = r[i].calls;
		funcs[i].st.self_ns = r[i].self;
		funcs[i].st.total_ns = r[i].total;
		counts[i].self = r[i].cself;
		counts[i].total = r[i].ctotal;
		funcs[i].counts = counters ? &counts[i] : NULL;
		p->total_self_ns += r[i].self;
	}
	p->funcs = funcs;
	p->nfuncs = n;
	procs[0].pid = 10;
	procs[0].exe = "/bin/prog";
	procs[0].events = events;
	procs[0].finished = 1;
	p->procs = procs;
	p->nprocs = 1;
	if (counters) {
		p->counters = &counter;
		p->ncounters = 1;
	}
}

/* Print P with O into a buffer the caller frees. */
static char *print(const struct cp_profile *p, const struct cp_output *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(cp_output_print(f, p, o) == 0);
	fclose(f);
	return buf;
}

/*
 * The CSV's rows as "name" or "name@object" (or, with --threads,
 * "tid:name"), joined by spaces.
 */
static char *csv_order(const struct cp_profile *p, const struct cp_output *o)
{
	struct cp_output csv = *o;
	char *text, *line, *save = NULL, *out;
	size_t len = 0;

	csv.format = CP_FORMAT_CSV;
	text = print(p, &csv);
	out = calloc(1, strlen(text) + 1);
	CU_ASSERT_FATAL(out != NULL);
	line = strtok_r(text, "\n", &save); /* the heading */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *field[5];
		char *s = line;
		size_t k = 0, want = o->threads ? 5 : 2;

		for (; k < want; k++) {
			field[k] = s;
			s = strchr(s, ',');
			if (s == NULL)
				break;
			*s++ = '\0';
		}
		if (len > 0)
			out[len++] = ' ';
		if (o->threads)
			len += (size_t)sprintf(out + len, "%s:%s", field[1],
					       field[3]);
		else if (field[1][0] != '\0')
			len += (size_t)sprintf(out + len, "%s@%s", field[0],
					       field[1]);
		else
			len += (size_t)sprintf(out + len, "%s", field[0]);
	}
	free(text);
	return out;
}

static void expect_order(const struct cp_profile *p, enum cp_sort sort,
			 const char *want)
{
	struct cp_output o = {.sort = sort};
	char *got = csv_order(p, &o);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  sort %d: expected \"%s\", got \"%s\"\n",
			(int)sort, want, got);
	ASSERT_STR_EQ(got, want);
	free(got);
}

/*
 * Marker time only. a@libz.so and a@prog tie on everything but their
 * object; b ties with them on every number, c and d on their self time.
 */
static void test_sort_timed(void)
{
	static const struct frow r[] = {
		{"b", "prog", 10, 100, 300, 0, 0},
		{"a", "prog", 10, 100, 300, 0, 0},
		{"c", "prog", 5, 200, 200, 0, 0},
		{"d", "prog", 20, 200, 500, 0, 0},
		{"a", "libz.so", 10, 100, 300, 0, 0},
		{"e", "prog", 2, 50, 600, 0, 0},
	};
	struct cp_profile p;

	make(&p, r, sizeof r / sizeof r[0], 100, 0);
	expect_order(&p, CP_SORT_SELF,
		     "c@prog d@prog a@libz.so a@prog b@prog e@prog");
	expect_order(&p, CP_SORT_TOTAL,
		     "e@prog d@prog a@libz.so a@prog b@prog c@prog");
	expect_order(&p, CP_SORT_CALLS,
		     "d@prog a@libz.so a@prog b@prog c@prog e@prog");
	/* Per call: c 40, e 25, a b 10, d 10; d then goes by self time. */
	expect_order(&p, CP_SORT_SELFCALL,
		     "c@prog e@prog d@prog a@libz.so a@prog b@prog");
	expect_order(&p, CP_SORT_NAME,
		     "a@libz.so a@prog b@prog c@prog d@prog e@prog");
}

/*
 * A program without hooks: no marker event, no time, no calls; every key
 * but name orders by the samples (total by their total). This is the
 * profile of case report-sort-sampled, where the row with Total = 100%
 * came last.
 */
static void test_sort_sampled(void)
{
	static const struct frow r[] = {
		{"leaf", "prog", 0, 0, 0, 750, 750},
		{"outer", "prog", 0, 0, 0, 240, 990},
		{"[kernel]", NULL, 0, 0, 0, 10, 10},
		{"__libc_start_call_main", "libc.so.6", 0, 0, 0, 0, 1000},
		{"zeta", "prog", 0, 0, 0, 10, 10},
		{"main", "prog", 0, 0, 0, 0, 990},
	};
	struct cp_profile p;
	const char *byself = "leaf@prog outer@prog [kernel] zeta@prog "
			     "__libc_start_call_main@libc.so.6 main@prog";

	make(&p, r, sizeof r / sizeof r[0], 0, 1);
	expect_order(&p, CP_SORT_SELF, byself);
	expect_order(&p, CP_SORT_TOTAL,
		     "__libc_start_call_main@libc.so.6 outer@prog main@prog "
		     "leaf@prog [kernel] zeta@prog");
	expect_order(&p, CP_SORT_CALLS, byself);
	expect_order(&p, CP_SORT_SELFCALL, byself);
	expect_order(&p, CP_SORT_NAME,
		     "[kernel] __libc_start_call_main@libc.so.6 leaf@prog "
		     "main@prog outer@prog zeta@prog");
}

/*
 * Markers and samples: functions known from samples alone follow the
 * timed ones, in the order of their samples; timed functions that tie on
 * time go by their samples.
 */
static void test_sort_hybrid(void)
{
	static const struct frow r[] = {
		{"lib1", "libc.so.6", 0, 0, 0, 300, 300},
		{"t1", "prog", 4, 100, 400, 5, 50},
		{"t2", "prog", 4, 100, 400, 7, 40},
		{"lib2", "libc.so.6", 0, 0, 0, 400, 400},
		{"t3", "prog", 1, 900, 900, 90, 90},
	};
	struct cp_profile p;

	make(&p, r, sizeof r / sizeof r[0], 18, 1);
	expect_order(&p, CP_SORT_SELF,
		     "t3@prog t2@prog t1@prog lib2@libc.so.6 lib1@libc.so.6");
	expect_order(&p, CP_SORT_TOTAL,
		     "t3@prog t1@prog t2@prog lib2@libc.so.6 lib1@libc.so.6");
	expect_order(&p, CP_SORT_CALLS,
		     "t2@prog t1@prog t3@prog lib2@libc.so.6 lib1@libc.so.6");
}

/*
 * Without marker events the samples are the table, with or without
 * --counters, and the header says what the table counts.
 */
static void test_no_hooks_table(void)
{
	static const struct frow r[] = {
		{"leaf", "prog", 0, 0, 0, 750, 750},
		{"outer", "prog", 0, 0, 0, 250, 1000},
	};
	struct cp_profile p;
	struct cp_output o = {.counters = CP_COUNTERS_OFF};
	char *text, *order;

	make(&p, r, 2, 0, 1);
	procs[0].samples = 4;
	text = print(&p, &o);
	CU_ASSERT(strstr(text, "no marker events") != NULL);
	CU_ASSERT(strstr(text, "4 samples of task-clock") != NULL);
	CU_ASSERT(strstr(text, "\nleaf ") != NULL);
	CU_ASSERT(strstr(text, "\nouter ") != NULL);
	CU_ASSERT(strstr(text, "no functions recorded") == NULL);
	CU_ASSERT(strstr(text, " 0 events") == NULL);
	free(text);
	order = csv_order(&p, &o);
	ASSERT_STR_EQ(order, "leaf@prog outer@prog");
	free(order);

	/* With marker events, a report without --counters keeps to them. */
	make(&p, r, 2, 10, 1);
	order = csv_order(&p, &o);
	ASSERT_STR_EQ(order, "");
	free(order);
}

/* --threads: by process start, then thread start, then tid. */
static void test_thread_order(void)
{
	static const struct frow r[] = {{"f", "prog", 1, 10, 10, 0, 0}};
	static struct cp_thread_func tf = {.func = 0, .st = {1, 10, 10}};
	struct cp_thread th[5];
	struct cp_profile p;
	struct cp_output o = {.threads = 1};
	static const int pid[5] = {20, 10, 10, 20, 10};
	static const int tid[5] = {21, 12, 13, 20, 11};
	static const uint64_t start[5] = {5, 7, 7, 1, 9};
	char *order;

	make(&p, r, 1, 10, 0);
	memset(th, 0, sizeof th);
	for (int i = 0; i < 5; i++) {
		th[i].pid = pid[i];
		th[i].tid = tid[i];
		th[i].start_ns = start[i];
		th[i].name = "";
		th[i].funcs = &tf;
		th[i].nfuncs = 1;
	}
	/* Process 10 started first: it is listed first. */
	procs[1] = procs[0];
	procs[1].pid = 20;
	p.nprocs = 2;
	p.threads = th;
	p.nthreads = 5;
	order = csv_order(&p, &o);
	ASSERT_STR_EQ(order, "12:f 13:f 11:f 20:f 21:f");
	free(order);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("output", NULL, NULL);
	CU_add_test(suite, "sort keys on a timed profile, with ties",
		    test_sort_timed);
	CU_add_test(suite, "sort keys on a sampled profile without hooks",
		    test_sort_sampled);
	CU_add_test(suite, "sort keys on markers and samples",
		    test_sort_hybrid);
	CU_add_test(suite, "without hooks the samples are the table",
		    test_no_hooks_table);
	CU_add_test(suite, "--threads tables in a documented order",
		    test_thread_order);
	return tu_run();
}
