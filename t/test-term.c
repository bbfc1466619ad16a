/*
 * test-term.c - unit tests of the table laid out for a terminal
 * (cli/output.c, cli/term.c): at every width no line is wider than the
 * terminal, columns go in the order doc/cprof.1 gives and never come back
 * on a narrower one, a terminal shows the top rows with a line saying how
 * many more there are, rows are coloured by the documented thresholds and
 * only when asked, the frames table is left out when it says nothing, and
 * a stream that is not a terminal gets the full table as before.
 *
 * cp_output.term_width lays the table out for a terminal of that width
 * whatever the stream, so the tests print into memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "unit.h"

#define NFUNCS	  30
#define NCOUNTERS 3

static struct cp_func funcs[NFUNCS];
static struct cp_count counts[NFUNCS][NCOUNTERS];
static struct cp_counter counters[NCOUNTERS] = {
	{.name = "cycles", .leader = 1},
	{.name = "instructions"},
	{.name = "cache-misses"},
};
static struct cp_process procs[1];
static struct cp_frames frames[2];
static char names[NFUNCS][96];

/*
 * A profile of NFUNCS functions in two objects, with the three default
 * counters (IPC and MPKI then have columns) and one function flagged by
 * the distortion check. Self times, in per mille of the whole: 252, 100,
 * 99, 50, 49, then 18 each for the 25 others (a long tail). Every third
 * name is longer than any terminal.
 */
static void make(struct cp_profile *p)
{
	static const uint64_t head[] = {252, 100, 99, 50, 49};

	memset(p, 0, sizeof *p);
	memset(funcs, 0, sizeof funcs);
	memset(counts, 0, sizeof counts);
	memset(frames, 0, sizeof frames);
	for (size_t i = 0; i < NFUNCS; i++) {
		struct cp_func *f = &funcs[i];
		uint64_t self = i < 5 ? head[i] : 18;

		if (i % 3 == 0)
			snprintf(names[i], sizeof names[i],
				 "a%02zu_function_whose_name_is_far_too_long_"
				 "for_any_terminal_at_all",
				 i);
		else
			snprintf(names[i], sizeof names[i], "f%02zu", i);
		f->name = names[i];
		f->object = i % 2 ? "libsomething-long-named.so.1" : "prog";
		f->st.calls = 1000 + i;
		f->st.self_ns = self * 1000;
		f->st.total_ns = self * 2000;
		for (size_t k = 0; k < NCOUNTERS; k++) {
			counts[i][k].self = self * (k + 1) * 1000;
			counts[i][k].total = self * (k + 1) * 2000;
			counters[k].total_self += counts[i][k].self;
		}
		f->counts = counts[i];
		p->total_self_ns += f->st.self_ns;
	}
	funcs[7].dist.flagged = 1;
	funcs[7].dist.reason = "a reason";
	p->funcs = funcs;
	p->nfuncs = NFUNCS;
	p->counters = counters;
	p->ncounters = NCOUNTERS;
	p->has_dist = 1;
	p->dist_samples = 1000;
	procs[0].pid = 10;
	procs[0].exe = "/bin/prog";
	procs[0].events = 100000;
	procs[0].finished = 1;
	p->procs = procs;
	p->nprocs = 1;
	/* The single return of main(). */
	frames[0].name = "";
	frames[0].count = 1;
	frames[0].total_ns = frames[0].min_ns = frames[0].max_ns = 1000000;
	frames[0].hist[19] = 1;
	p->frames = frames;
	p->nframes = 1;
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

/* The widest line of TEXT, escape sequences taking no column. */
static size_t widest(const char *text)
{
	size_t w = 0;

	while (*text != '\0') {
		size_t n = strcspn(text, "\n");
		size_t lw = cp_term_width(text, n);

		if (lw > w)
			w = lw;
		text += n + (text[n] == '\n');
	}
	return w;
}

/* The line of TEXT that starts with PREFIX, its words joined by one space. */
static char *line_words(const char *text, const char *prefix)
{
	const char *s = text;
	char *out, *o;

	while (*s != '\0' && strncmp(s, prefix, strlen(prefix)) != 0) {
		s += strcspn(s, "\n");
		s += *s == '\n';
	}
	out = o = calloc(1, strlen(s) + 1);
	CU_ASSERT_FATAL(out != NULL);
	for (; *s != '\0' && *s != '\n'; s++) {
		if (*s != ' ')
			*o++ = *s;
		else if (o > out && o[-1] != ' ')
			*o++ = ' ';
	}
	if (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

/*
 * The column headings at stage S of the documented drop order: 0 every
 * column (1, objects cut to 12 columns, shows the same), 2 without the
 * counters' Total, 3 without Self/call, 4 without MPKI, 5 without the
 * counters' Self%, 6 to 8 without the third, second and first counter, 9
 * without IPC, 10 without Object, 11 without Total, 12 without the
 * distortion flag, 13 without Calls.
 */
#define NSTAGES 14
static void stage_heading(int s, char *out)
{
	int nc = s < 6 ? 3 : s < 9 ? 8 - s : 0;

	strcpy(out, "Function");
	if (s < 10)
		strcat(out, " Object");
	strcat(out, " Self Self%");
	if (s < 11)
		strcat(out, " Total");
	if (s < 13)
		strcat(out, " Calls");
	if (s < 3)
		strcat(out, " Self/call");
	for (int k = 0; k < nc; k++) {
		strcat(out, " Self");
		if (s < 5)
			strcat(out, " Self%");
		if (s < 2)
			strcat(out, " Total");
	}
	if (s < 9)
		strcat(out, " IPC");
	if (s < 4)
		strcat(out, " MPKI");
	if (s < 12)
		strcat(out, " !");
}

static void test_widths(void)
{
	struct cp_profile p;
	struct cp_output o = {0};
	char want[256];
	int last = 0, seen[NSTAGES] = {0};

	make(&p);
	for (size_t w = 240; w >= 20; w--) {
		char *text, *heading;
		int s;

		o.term_width = w;
		text = print(&p, &o);
		if (widest(text) > w) {
			fprintf(stderr, "\nwidth %zu: a line of %zu:\n%s", w,
				widest(text), text);
			CU_FAIL("a line wider than the terminal");
		}
		heading = line_words(text, "Function");
		for (s = 0; s < NSTAGES; s++) {
			stage_heading(s, want);
			if (strcmp(heading, want) == 0)
				break;
		}
		/* Below 39 columns even the last stage wraps: not checked. */
		if (w >= 39 && (s == NSTAGES || s < last)) {
			fprintf(stderr, "\nwidth %zu (stage %d after %d): %s\n",
				w, s, last, heading);
			CU_FAIL("columns not dropped in the documented order");
		}
		if (s < NSTAGES) {
			seen[s] = 1;
			last = s;
		}
		free(heading);
		free(text);
	}
	/* Every stage but the cut objects' (same headings) was reached. */
	for (int s = 0; s < NSTAGES; s++)
		if (s != 1 && !seen[s]) {
			fprintf(stderr, "\nstage %d never seen\n", s);
			CU_FAIL("a stage of the drop order was skipped");
		}
}

/* The number of lines of TEXT that start with PREFIX. */
static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;

	for (const char *s = text; *s != '\0';) {
		n += strncmp(s, prefix, strlen(prefix)) == 0;
		s += strcspn(s, "\n");
		s += *s == '\n';
	}
	return n;
}

/* Rows of a table: lines starting with "f" or "a". */
static size_t rows_of(const char *text)
{
	return count_lines(text, "f") + count_lines(text, "a");
}

static void test_top(void)
{
	struct cp_profile p;
	struct cp_output o = {.term_width = 100};
	char *text;

	make(&p);
	text = print(&p, &o);
	ASSERT_EQ(rows_of(text), CP_TERM_TOP);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		text,
		"\n... 5 more functions (--top 0 or a pipe shows all)\n"));
	free(text);

	/* --top 0 shows every row; --top N as many, and what is left. */
	o.top_set = 1;
	text = print(&p, &o);
	ASSERT_EQ(rows_of(text), NFUNCS);
	CU_ASSERT_PTR_NULL(strstr(text, "more function"));
	free(text);
	o.top = 29;
	text = print(&p, &o);
	ASSERT_EQ(rows_of(text), 29);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n... 1 more function (--top"));
	free(text);

	/* Not a terminal: every row, no line about the others. */
	memset(&o, 0, sizeof o);
	text = print(&p, &o);
	ASSERT_EQ(rows_of(text), NFUNCS);
	CU_ASSERT_PTR_NULL(strstr(text, "more function"));
	free(text);
}

/* Does TEXT have a row that starts with SGR (maybe "") and NAME? */
static int has_row(const char *text, const char *sgr, const char *name)
{
	char want[128];

	snprintf(want, sizeof want, "\n%s%s", sgr, name);
	return strstr(text, want) != NULL;
}

static void test_color(void)
{
	struct cp_profile p;
	struct cp_output o = {.term_width = 200, .color = CP_COLOR_ALWAYS};
	char *text;

	make(&p);
	/* 25.2 % and 10 % red, 9.9 % and 5 % yellow, 4.9 % and less none. */
	text = print(&p, &o);
	CU_ASSERT(has_row(text, "\033[31m", "a00_"));
	CU_ASSERT(has_row(text, "\033[31m", "f01 "));
	CU_ASSERT(has_row(text, "\033[33m", "f02 "));
	CU_ASSERT(has_row(text, "\033[33m", "a03_"));
	CU_ASSERT(has_row(text, "", "f04 "));
	CU_ASSERT(has_row(text, "", "f05 "));
	/* The headings are bold. */
	CU_ASSERT(has_row(text, "\033[1m", "Function"));
	free(text);

	/* never, and auto on a stream that is no terminal: no escape. */
	o.color = CP_COLOR_NEVER;
	text = print(&p, &o);
	CU_ASSERT_PTR_NULL(strchr(text, '\033'));
	free(text);
	o.color = CP_COLOR_AUTO;
	text = print(&p, &o);
	CU_ASSERT_PTR_NULL(strchr(text, '\033'));
	free(text);
	o.term_width = 0;
	text = print(&p, &o);
	CU_ASSERT_PTR_NULL(strchr(text, '\033'));
	free(text);
}

static void test_frames(void)
{
	struct cp_profile p;
	struct cp_output o = {.term_width = 100};
	char *text;

	make(&p);
	/* One return of main(): only a file or pipe shows it. */
	text = print(&p, &o);
	CU_ASSERT_PTR_NULL(strstr(text, "\nFrames "));
	free(text);
	o.term_width = 0;
	text = print(&p, &o);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nFrames "));
	free(text);

	/* More than one, or a frame the program marked: shown. */
	o.term_width = 100;
	frames[0].count = 2;
	text = print(&p, &o);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nFrames "));
	free(text);
	frames[0].count = 1;
	frames[1] = frames[0];
	frames[1].name = "frame";
	p.nframes = 2;
	text = print(&p, &o);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nFrames "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nframe "));
	free(text);
}

/* Fit TEXT to WIDTH into a buffer the caller frees. */
static char *fit(const char *text, size_t width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_FATAL(f != NULL);
	cp_term_fit(f, text, strlen(text), width);
	fclose(f);
	return buf;
}

static void test_fit(void)
{
	char *s;

	/* Lines that fit are left alone; a long one wraps at spaces. */
	s = fit("short\n  one two three four five six\n", 20);
	ASSERT_STR_EQ(s, "short\n  one two three four\n    five six\n");
	free(s);
	/* A word wider than the line is cut where the line ends. */
	s = fit("abcdefghijklmnopqrstuvwxyz0123456789", 20);
	ASSERT_STR_EQ(s, "abcdefghijklmnopqrst\n  uvwxyz0123456789");
	free(s);
	/* Escape sequences and UTF-8 continuation bytes take no column. */
	s = fit("\033[31mred\033[m \xe2\x80\xa6 fits in 20 col\n", 20);
	ASSERT_STR_EQ(s, "\033[31mred\033[m \xe2\x80\xa6 fits in 20 col\n");
	free(s);
	ASSERT_EQ(cp_term_width("\033[1mab\xe2\x80\xa6\033[m", 12), 3);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("term", NULL, NULL);
	CU_add_test(suite, "every width: lines fit, columns go in order",
		    test_widths);
	CU_add_test(suite, "the top rows and how many more", test_top);
	CU_add_test(suite, "colour thresholds, never and auto", test_color);
	CU_add_test(suite, "the frames table when it says something",
		    test_frames);
	CU_add_test(suite, "prose lines wrapped to the width", test_fit);
	return tu_run();
}
