/*
 * xray.c - a program for t/e2e-xray.sh, built by the script with
 * `clang -fxray-instrument -fxray-instruction-threshold=1` (and without),
 * whose calls are known exactly:
 *
 *   main 1, run 1, leaf 3N, tailer 2N (a tail call to leaf when its
 *   argument is odd: XRay's tail-exit sled), rec 11 N/10 (10 levels of a
 *   recursion that is not a tail call, 1/10 of the rounds), fsum N
 *   (floating-point arguments and result in vector registers), many N
 *   (ten arguments, four on the stack), vsum N (variadic: %al counts the
 *   vector arguments), exits N (returns from three places), worker 2,
 *   and in each of 2 threads leaf N/10 more.
 *
 * It prints what the calls compute, so that a trampoline that lost a
 * register would change the output, and exits with status 3.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "progs.h"

static volatile int one = 1;

COUNTED int leaf(int x)
{
	sink += (unsigned long)x;
	return x * 3 + 1;
}

/* Odd: a tail call (jmp to leaf, after the tail-exit sled). */
COUNTED int tailer(int x)
{
	if (x & 1)
		return leaf(x);
	return leaf(x + 1) * one + 1;
}

/* The multiplication after the call keeps it from being a loop. */
COUNTED int rec(int n)
{
	int r;

	if (n <= 0)
		return 0;
	r = rec(n - 1);
	return r * one + n;
}

COUNTED double fsum(double a, float b, double c, double d, double e, double f,
		    double g, double h)
{
	return a + b + c * 2 + d * 3 + e * 4 + f * 5 + g * 6 + h * 7;
}

COUNTED long many(long a, long b, long c, long d, long e, long f, long g,
		  long h, long i, long j)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h +
	       9 * i + 10 * j;
}

COUNTED double vsum(int n, ...)
{
	va_list ap;
	double s = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

COUNTED int exits(int x)
{
	if (x % 3 == 0)
		return x;
	if (x % 3 == 1)
		return -x * one;
	sink += 1;
	return 2 * x;
}

static int rounds;

COUNTED void *worker(void *arg)
{
	long s = 0;

	for (int i = 0; i < rounds / 10; i++)
		s += leaf(i);
	*(long *)arg = s;
	return NULL;
}

COUNTED long run(int n)
{
	long s = 0;
	double d = 0;

	for (int i = 0; i < n; i++) {
		s += leaf(i);
		s += tailer(i);
		s += tailer(i + 1);
		if (i % 10 == 0)
			s += rec(10);
		d += fsum(i, 0.5f, 1.25, 2, 3, 4, 5, i * 0.5);
		s += many(i, 1, 2, 3, 4, 5, 6, 7, 8, i);
		d += vsum(3, 0.25, (double)i, 1.5);
		s += exits(i);
	}
	printf("doubles %.2f\n", d);
	return s;
}

int main(int argc, char **argv)
{
	pthread_t th[2];
	long out[2];

	rounds = argc > 1 ? atoi(argv[1]) : 1000;
	printf("sum %ld\n", run(rounds));
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, &out[i]);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		printf("worker %d %ld\n", i, out[i]);
	}
	return 3;
}
