/*
 * callcost.c - what one call of a tiny instrumented function costs, for
 * the adaptive-timing figures of doc/design.md: a loop of N calls of an
 * empty leaf, timed on the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so
 * that other processes on a loaded machine do not count), best of R
 * rounds, printed in ns per call. Built with -finstrument-functions it
 * runs glibc's no-op hooks alone, or cprof's under `cprof stat` (with
 * --time-all every call is timed; by default the leaf is counted after
 * its warm-up, which the first round absorbs); built without, it gives
 * the loop's own cost.
 *
 *   callcost [N [R]]   (default 10000000 calls, 7 rounds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINSTR __attribute__((no_instrument_function))

static volatile unsigned long sink;

__attribute__((noinline)) void leaf(void)
{
	sink++;
}

static NOINSTR double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

NOINSTR int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	double best = 0;

	for (int r = 0; r < rounds; r++) {
		double t0 = cpu_ns(), dt;

		for (long i = 0; i < n; i++)
			leaf();
		dt = cpu_ns() - t0;
		if (r == 0 || dt < best)
			best = dt;
	}
	printf("%.2f ns per call (best of %d rounds of %ld calls)\n",
	       best / (double)n, rounds, n);
	return 0;
}
