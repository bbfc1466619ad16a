/*
 * reference.c - a program built twice by t/e2e-reference.sh, plain and
 * with -finstrument-functions, for cprof --reference: a known split of
 * work between a function every build keeps and one the plain build
 * inlines.
 *
 * main() calls kept() and caller() N times each (N from argv[1], or read
 * from stdin when argv[1] is "-"); kept() spins 400 steps, caller() 200
 * and calls tiny() TINY_CALLS times, which spins TINY_STEPS each (200 in
 * all). Every step is the same dependent multiply-add, so in the plain
 * build kept() and caller() (tiny() inlined into it) each take half the
 * time. tiny() is always inlined: the plain build has no such function,
 * while the hooked build still calls the hooks for it, many short calls
 * whose hook cost the hooked build's own times carry.
 *
 * It prints one line on stdout and one on stderr, and exits with
 * argv[2] (0 without) plus EXTRA_STATUS, which the test sets in the
 * plain build to tell the two runs' statuses apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXTRA_STATUS
#define EXTRA_STATUS 0
#endif
#define TINY_CALLS 10
#define TINY_STEPS 20

static volatile double sink;

#define SPIN(n, x)                                \
	do {                                      \
		for (int i_ = 0; i_ < (n); i_++)  \
			x = x * 1.0000001 + 1e-9; \
	} while (0)

static inline __attribute__((always_inline)) double tiny(double x)
{
	SPIN(TINY_STEPS, x);
	return x;
}

__attribute__((noinline)) double kept(double x)
{
	SPIN(400, x);
	return x;
}

__attribute__((noinline)) double caller(double x)
{
	SPIN(200, x);
	for (int i = 0; i < TINY_CALLS; i++)
		x = tiny(x);
	return x;
}

int main(int argc, char **argv)
{
	long n = 0;
	double x = 1;

	if (argc > 1 && strcmp(argv[1], "-") == 0) {
		if (scanf("%ld", &n) != 1)
			n = 0;
	} else if (argc > 1) {
		n = atol(argv[1]);
	}
	for (long i = 0; i < n; i++) {
		x = kept(x);
		x = caller(x);
	}
	sink = x;
	printf("done %ld\n", n);
	fprintf(stderr, "reference: stderr line\n");
	return (argc > 2 ? atoi(argv[2]) : 0) + EXTRA_STATUS;
}
