/*
 * stats.c - the statistics of "cprof diff": the p-value of Student's t,
 * from the regularized incomplete beta function. In the library, apart
 * from the command, so that a unit test (t/test-stats.c) checks it
 * against known quantiles.
 */
#include "config.h"

#include <math.h>

#include "cli.h"

/*
 * The regularized incomplete beta function I_x(a, b), by its continued
 * fraction (evaluated with the modified Lentz method), which converges
 * fast for x < (a + 1) / (a + b + 2); the symmetry I_x(a, b) =
 * 1 - I_{1-x}(b, a) covers the rest.
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, dd = 1 - (a + b) * x / (a + 1), h;

	if (fabs(dd) < tiny)
		dd = tiny;
	dd = 1 / dd;
	h = dd;
	for (int m = 1; m <= 300; m++) {
		double num, del;

		/* The even step, then the odd one. */
		num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		dd = 1 + num * dd;
		c = 1 + num / c;
		if (fabs(dd) < tiny)
			dd = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		dd = 1 / dd;
		h *= dd * c;
		num = -(a + m) * (a + b + m) * x /
		      ((a + 2 * m) * (a + 2 * m + 1));
		dd = 1 + num * dd;
		c = 1 + num / c;
		if (fabs(dd) < tiny)
			dd = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		dd = 1 / dd;
		del = dd * c;
		h *= del;
		if (fabs(del - 1) < 1e-12)
			break;
	}
	return h;
}

static double ibeta(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
		    b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

/* The two-sided p-value of Student's t with DF degrees of freedom. */
double cp_t_pvalue(double t, double df)
{
	return ibeta(df / 2, 0.5, df / (df + t * t));
}
