/*
 * test-select.c - unit tests of the runtime's record-time selection
 * (lib/select.c): the writer's --min-duration pass, which drops calls
 * shorter than the threshold with every event inside them and keeps the
 * rest (calls cut by a drain, mismatched exits, context switches), and
 * the CLI's checks of patterns and times (cli/select.c).
 *
 * The ring holds made-up events: "E1" an enter of function 1 at some
 * tick, "X1" its exit. The threshold is 1 us; the cycle counter's rate
 * is measured as the runtime does, so short calls here last 1 tick and
 * long ones ten million.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../cli/cli.h"
#include "../lib/internal.h"
#include "unit.h"

static struct cprof__thread th;

#define SHORT 1
#define LONG  10000000

/* Fill the ring with SPEC: "E1 X1 ..." with the tick steps of DT. */
static uint64_t fill(const char *spec, const uint64_t *dt)
{
	static struct cprof__rec *ring;
	uint64_t n = 0, tick = 1000;

	if (!ring)
		ring = calloc(CPROF__RING_CAP, sizeof(*ring));
	th.ring = ring;
	for (const char *p = spec; *p; p++) {
		if (*p != 'E' && *p != 'X' && *p != 'S')
			continue;
		tick += dt[n];
		ring[n].tick = tick | (*p == 'X' ? CPROF__REC_EXIT : 0);
		ring[n].addr = (uintptr_t)(p[1] - '0');
		if (*p == 'S') {
			static const struct cprof_site frame = {
				"frame", "f.c", 1, CPROF_SITE_FRAME};

			ring[n].tick |= CPROF__REC_SITE;
			ring[n].addr = (uintptr_t)&frame;
		}
		n++;
		p++;
	}
	return n;
}

/* The events kept, as a string of 'k' and 'd'. */
static const char *kept(uint64_t n, const unsigned char *drop)
{
	static char s[64];

	for (uint64_t i = 0; i < n; i++)
		s[i] = drop[i] ? 'd' : 'k';
	s[n] = '\0';
	return s;
}

static void test_short(void)
{
	static const uint64_t dt[] = {0,     SHORT, SHORT, SHORT, SHORT,
				      SHORT, SHORT, LONG,  SHORT, SHORT};
	unsigned char drop[16];
	uint64_t n;

	cprof__sel_clock_start();
	cprof__sel_min_ns = 1000;
	/*
	 * 1 calls 2 (short) and 3 (short, calling 4), then runs long: 2, 3
	 * and 4 go, 1 stays.
	 */
	n = fill("E1 E2 X2 E3 E4 X4 X3 X1", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 6);
	ASSERT_STR_EQ(kept(n, drop), "kddddddk");
	/* A whole short call with its callee: all four. */
	n = fill("E1 E2 X2 X1", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 4);
	/* A call whose enter came in an earlier drain stays. */
	n = fill("X1 E2 X2", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 2);
	ASSERT_STR_EQ(kept(n, drop), "kdd");
	/* A mismatched exit keeps what is open. */
	n = fill("E1 E2 X1 X2", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 0);
	/* A call holding a frame mark is kept, a short one before it not. */
	n = fill("E1 E2 X2 S0 X1", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 2);
	ASSERT_STR_EQ(kept(n, drop), "kddkk");
	/* No threshold: nothing dropped. */
	cprof__sel_min_ns = 0;
	n = fill("E1 E2 X2 X1", dt);
	ASSERT_EQ(cprof__sel_short(&th, 0, n, drop), 0);
}

static void test_cli_checks(void)
{
	uint64_t ns = 1;

	CU_ASSERT_PTR_NULL(cp_sel_check_pattern("main"));
	CU_ASSERT_PTR_NULL(cp_sel_check_pattern("ns::*"));
	CU_ASSERT_PTR_NULL(cp_sel_check_pattern("f[abc]?"));
	CU_ASSERT_PTR_NULL(cp_sel_check_pattern("f[]x]"));
	CU_ASSERT_PTR_NULL(cp_sel_check_pattern("a\\["));
	CU_ASSERT_PTR_NOT_NULL(cp_sel_check_pattern(""));
	CU_ASSERT_PTR_NOT_NULL(cp_sel_check_pattern("f[ab"));
	CU_ASSERT_PTR_NOT_NULL(cp_sel_check_pattern("f\\"));
	CU_ASSERT_PTR_NOT_NULL(cp_sel_check_pattern("a\nb"));
	ASSERT_EQ(cp_sel_parse_ns("500ns", &ns), 0);
	ASSERT_EQ(ns, 500);
	ASSERT_EQ(cp_sel_parse_ns("2us", &ns), 0);
	ASSERT_EQ(ns, 2000);
	ASSERT_EQ(cp_sel_parse_ns("1.5ms", &ns), 0);
	ASSERT_EQ(ns, 1500000);
	ASSERT_EQ(cp_sel_parse_ns("1s", &ns), 0);
	ASSERT_EQ(ns, 1000000000);
	ASSERT_EQ(cp_sel_parse_ns("0", &ns), 0);
	ASSERT_EQ(ns, 0);
	ASSERT_EQ(cp_sel_parse_ns("2", &ns), -1);
	ASSERT_EQ(cp_sel_parse_ns("2h", &ns), -1);
	ASSERT_EQ(cp_sel_parse_ns("-1us", &ns), -1);
	ASSERT_EQ(cp_sel_parse_ns("us", &ns), -1);
	ASSERT_EQ(cp_sel_parse_ns("2 us", &ns), -1);
	ASSERT_EQ(cp_sel_parse_ns("9999s", &ns), -1);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("select", NULL, NULL);
	CU_add_test(suite, "--min-duration: the writer drops short calls",
		    test_short);
	CU_add_test(suite, "the CLI's pattern and time checks",
		    test_cli_checks);
	return tu_run();
}
