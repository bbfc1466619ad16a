/*
 * unit.h - what every CUnit program in t/ shares: assertions that print
 * both values when they fail, skips that the harness reports as skips,
 * the run of the registered tests with automake's exit statuses, a
 * temporary directory, and the capture of stderr.
 *
 * CUnit 2.1 prints only the text of a failed condition; a failure of
 * ASSERT_EQ(n, 3) then says "n == 3" but not what n was. The macros here
 * put both values into that text, as libuv's test/task.h does. CUnit 2.1
 * has no skip either: a test that needs what this machine lacks calls
 * SKIP(why), which says why on stdout, and tu_run() then exits 77 unless
 * something failed, so a test that could not check never passes.
 */
#ifndef CPROF_UNIT_H
#define CPROF_UNIT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

/* The exit status automake's harness reads as "skipped". */
#define TU_EXIT_SKIP 77

/* Whether the integer expression X has a signed type (not evaluated). */
#define TU_SIGNED(x) ((__typeof__((x) + 0))-1 < (__typeof__((x) + 0))1)

/*
 * A and B are integers of any type. They are compared as numbers, not
 * after C's conversions: -1 never equals an unsigned maximum. A floating
 * or pointer operand does not compile (the cast of 0.5 below).
 */
#define TU_ASSERT_INT(a, op, b, fatal)                                         \
	do {                                                                   \
		_Static_assert((__typeof__((a) + 0))0.5 == 0 &&                \
				       (__typeof__((b) + 0))0.5 == 0,          \
			       "integer operands only");                       \
		tu_assert_int(TU_SIGNED(a), (uintmax_t)(a), #op, TU_SIGNED(b), \
			      (uintmax_t)(b), #a, #b, __LINE__, __FILE__,      \
			      __func__, fatal);                                \
	} while (0)

#define ASSERT_EQ(a, b)	      TU_ASSERT_INT(a, ==, b, CU_FALSE)
#define ASSERT_EQ_FATAL(a, b) TU_ASSERT_INT(a, ==, b, CU_TRUE)
#define ASSERT_NE(a, b)	      TU_ASSERT_INT(a, !=, b, CU_FALSE)
#define ASSERT_LE(a, b)	      TU_ASSERT_INT(a, <=, b, CU_FALSE)
#define ASSERT_STR_EQ(a, b) \
	tu_assert_str((a), (b), #a, #b, __LINE__, __FILE__, __func__, CU_FALSE)
#define ASSERT_STR_EQ_FATAL(a, b) \
	tu_assert_str((a), (b), #a, #b, __LINE__, __FILE__, __func__, CU_TRUE)

/* Skip the rest of the calling test, saying WHY; only in a void test. */
#define SKIP(why)             \
	do {                  \
		tu_skip(why); \
		return;       \
	} while (0)

static unsigned tu_skipped;

/* Print X, of signedness S, into B. */
static inline void tu_format(char *b, size_t cap, int s, uintmax_t x)
{
	if (s)
		snprintf(b, cap, "%" PRIdMAX, (intmax_t)x);
	else
		snprintf(b, cap, "%" PRIuMAX, x);
}

static inline void tu_assert_int(int sa, uintmax_t a, const char *op, int sb,
				 uintmax_t b, const char *ea, const char *eb,
				 unsigned line, const char *file,
				 const char *func, CU_BOOL fatal)
{
	char text[512], va[32], vb[32];
	int neg_a = sa && (intmax_t)a < 0, neg_b = sb && (intmax_t)b < 0;
	int eq = a == b && neg_a == neg_b;
	/* a < b as numbers: a negative one is below any other. */
	int lt = neg_a != neg_b ? neg_a
				: (neg_a ? (intmax_t)a < (intmax_t)b : a < b);
	int ok = op[0] == '=' ? eq : op[0] == '<' ? lt || eq : !eq;

	tu_format(va, sizeof va, sa, a);
	tu_format(vb, sizeof vb, sb, b);
	snprintf(text, sizeof text, "%.200s %s %.200s (%s %s %s)", ea, op, eb,
		 va, op, vb);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, text, file, func,
				fatal);
}

static inline void tu_assert_str(const char *a, const char *b, const char *ea,
				 const char *eb, unsigned line,
				 const char *file, const char *func,
				 CU_BOOL fatal)
{
	char text[1024];
	int ok = a != NULL && b != NULL && strcmp(a, b) == 0;

	/* Long strings are cut: CUnit prints the text on one line. */
	snprintf(text, sizeof text,
		 "%.200s == %.200s (\"%.280s\" == \"%.280s\")", ea, eb,
		 a ? a : "(null)", b ? b : "(null)");
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, text, file, func,
				fatal);
}

/* Count a skip of the running test and say why, in CUnit's own output. */
static inline void tu_skip(const char *why)
{
	tu_skipped++;
	printf("SKIPPED (%s), which CUnit 2.1 counts as ", why);
	fflush(stdout);
}

/*
 * Run the registered suites and clean up. Returns the exit status for
 * automake's harness: 1 when an assertion failed or CUnit could not run,
 * 77 when nothing failed but a test was skipped, 0 otherwise.
 */
static inline int tu_run(void)
{
	int failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	failed = CU_basic_run_tests() != CUE_SUCCESS ||
		 CU_get_number_of_failures() != 0 ||
		 CU_get_number_of_tests_failed() != 0;
	CU_cleanup_registry();
	if (failed)
		return 1;
	if (tu_skipped > 0) {
		printf("%u test(s) skipped: this machine cannot run them\n",
		       tu_skipped);
		return TU_EXIT_SKIP;
	}
	return 0;
}

/* A test of a table: its name and function. */
struct tu_test {
	const char *name;
	void (*fn)(void);
};

/* Register the N tests of T in one suite NAME; 1 when CUnit cannot. */
static inline int tu_suite(const char *name, const struct tu_test *t, size_t n)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite(name, NULL, NULL);
	if (suite == NULL)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (CU_add_test(suite, t[i].name, t[i].fn) == NULL)
			return 1;
	return 0;
}

/*
 * Pseudo-random numbers for the damage tests: xorshift64*, the same
 * sequence on every run and machine, so that a failure can be replayed.
 */
static uint64_t tu_rng_state = 0x9e3779b97f4a7c15ULL;

static inline uint64_t rng(void)
{
	tu_rng_state ^= tu_rng_state >> 12;
	tu_rng_state ^= tu_rng_state << 25;
	tu_rng_state ^= tu_rng_state >> 27;
	return tu_rng_state * 0x2545f4914f6cdd1dULL;
}

/* A fresh temporary directory, removed by tu_rmdir. */
static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *d = malloc(4096);

	if (d == NULL) {
		perror("malloc");
		exit(99);
	}
	snprintf(d, 4096, "%s/cprof-test-XXXXXX", base ? base : "/tmp");
	/* Called before the tests run, where CUnit cannot assert yet. */
	if (mkdtemp(d) == NULL) {
		perror(d);
		exit(99);
	}
	return d;
}

/* Remove directory D and all it holds; 0 on success. */
static inline int tu_rm_rf(const char *d)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	return system(cmd) == 0 ? 0 : -1;
}

/* Remove D, made by tu_tmpdir, and free it. */
static inline void tu_rmdir(char *d)
{
	if (tu_rm_rf(d) != 0)
		fprintf(stderr, "cannot remove %s\n", d);
	free(d);
}

/*
 * Capture stderr from tu_capture() to tu_captured(), which returns it. A
 * sanitizer that stops the program in between writes its report into the
 * capture, and the test ends with status 1 and no word: run it again with
 * ASAN_OPTIONS=log_path=FILE (or UBSAN_OPTIONS) to read the report.
 */
static int tu_saved_fd = -1;
static FILE *tu_capture_file;
static char tu_capture_buf[65536];

static inline void tu_capture(void)
{
	fflush(stderr);
	tu_capture_file = tmpfile();
	CU_ASSERT_FATAL(tu_capture_file != NULL);
	tu_saved_fd = dup(2);
	dup2(fileno(tu_capture_file), 2);
}

static inline const char *tu_captured(void)
{
	size_t n;

	fflush(stderr);
	dup2(tu_saved_fd, 2);
	close(tu_saved_fd);
	rewind(tu_capture_file);
	n = fread(tu_capture_buf, 1, sizeof tu_capture_buf - 1,
		  tu_capture_file);
	tu_capture_buf[n] = '\0';
	fclose(tu_capture_file);
	return tu_capture_buf;
}

#endif /* CPROF_UNIT_H */
