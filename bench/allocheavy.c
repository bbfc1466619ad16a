/*
 * allocheavy.c - the allocation-heavy program of `make bench` (--alloc):
 * N allocations, each freed at once, of sizes cycling through 16 to 1008
 * bytes, all inside one function, so that the profiler's cost is that of
 * its allocation events and not of function hooks.
 *
 *   allocheavy N   make N allocations and N frees
 */
#include <stdio.h>
#include <stdlib.h>

static void *volatile held;

__attribute__((noinline)) void churn(long n)
{
	for (long i = 0; i < n; i++) {
		held = malloc(16 + (size_t)(i & 63) * 16);
		free(held);
	}
}

int main(int argc, char **argv)
{
	churn(argc > 1 ? atol(argv[1]) : 1000000);
	return 0;
}
