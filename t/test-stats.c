/*
 * test-stats.c - the p-value of Student's t that "cprof diff" judges
 * changes with (cli/stats.c), against quantiles from the tables: the
 * two-sided 5 % and 1 % points for a few degrees of freedom, the limits,
 * and fractional degrees of freedom (Welch's) between their neighbours.
 */
#include "config.h"

#include <math.h>

#include "cli/cli.h"
#include "unit.h"

/* |GOT - WANT| within TOL. */
static void near(double got, double want, double tol)
{
	/* CUnit prints only the condition: the values go to stdout. */
	if (!(fabs(got - want) <= tol))
		printf("p = %.6f, expected %.6f +- %g\n", got, want, tol);
	CU_ASSERT_TRUE(fabs(got - want) <= tol);
}

static void test_quantiles(void)
{
	/* Two-sided: P(|T| > t) for the tables' critical values. */
	near(cp_t_pvalue(12.706, 1), 0.05, 1e-4);
	near(cp_t_pvalue(4.303, 2), 0.05, 1e-4);
	near(cp_t_pvalue(2.776, 4), 0.05, 1e-4);
	near(cp_t_pvalue(2.228, 10), 0.05, 1e-4);
	near(cp_t_pvalue(4.604, 4), 0.01, 1e-4);
	near(cp_t_pvalue(3.169, 10), 0.01, 1e-4);
	near(cp_t_pvalue(8.610, 4), 0.001, 1e-5);
	/* Many degrees of freedom: the normal's 1.96. */
	near(cp_t_pvalue(1.96, 1e6), 0.05, 1e-4);
}

static void test_limits(void)
{
	near(cp_t_pvalue(0, 4), 1, 1e-12);
	near(cp_t_pvalue(1e9, 4), 0, 1e-12);
	/* The sign of the change does not matter. */
	near(cp_t_pvalue(-2.776, 4), cp_t_pvalue(2.776, 4), 1e-12);
}

static void test_fractional_df(void)
{
	double lo = cp_t_pvalue(3, 4), mid = cp_t_pvalue(3, 4.5),
	       hi = cp_t_pvalue(3, 5);

	/* More degrees of freedom, thinner tails, a smaller p. */
	CU_ASSERT_TRUE(lo > mid && mid > hi);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("stats", NULL, NULL);
	CU_add_test(suite, "p-values of the tables' critical t",
		    test_quantiles);
	CU_add_test(suite, "t = 0, a huge t, a negative t", test_limits);
	CU_add_test(suite, "fractional degrees of freedom", test_fractional_df);
	return tu_run();
}
