/*
 * hybrid.c - a program with a known split of its work, for the test of
 * the hybrid's accounting (t/e2e-hybrid.sh), which builds it with and
 * without -finstrument-functions and compares their profiles.
 *
 * Each round, big() computes on its own (no call), fill() has the C
 * library set and copy a buffer (memset, memcpy: no hooks there), and
 * caller() calls tiny() TINY_CALLS times, each a few nanoseconds of work:
 * with hooks, most of what tiny()'s markers measure is the hooks'. The
 * work is fixed (no timing), so calls are exact and the split of CPU time
 * between big(), fill() with its C library calls, and caller() with
 * tiny() is the same in both builds but for what the hooks add.
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#define ROUNDS	   60
#define BIG_ITERS  1500000
#define BUF_BYTES  (256 * 1024)
#define FILLS	   12
#define TINY_CALLS 20000

static volatile unsigned long sink;
static unsigned char *a, *b;

NOINLINE unsigned long tiny(unsigned long x)
{
	for (int i = 0; i < 4; i++)
		x = x * 2654435761u + 1;
	return x;
}

NOINLINE void caller(void)
{
	unsigned long x = sink;

	for (int i = 0; i < TINY_CALLS; i++)
		x += tiny(x);
	sink = x;
}

NOINLINE void big(void)
{
	unsigned long x = sink;

	for (long i = 0; i < BIG_ITERS; i++)
		x = x * 6364136223846793005u + 1442695040888963407u;
	sink = x;
}

NOINLINE void fill(void)
{
	for (int i = 0; i < FILLS; i++) {
		memset(a, (int)(sink + (unsigned)i), BUF_BYTES);
		memcpy(b, a, BUF_BYTES);
	}
	sink += b[(unsigned)sink % BUF_BYTES];
}

int main(void)
{
	a = malloc(BUF_BYTES);
	b = malloc(BUF_BYTES);
	if (a == NULL || b == NULL)
		return 1;
	for (int r = 0; r < ROUNDS; r++) {
		big();
		fill();
		caller();
	}
	free(a);
	free(b);
	return 0;
}
