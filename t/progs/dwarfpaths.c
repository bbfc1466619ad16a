/*
 * dwarfpaths.c - a program for t/e2e-dwarf.sh, built there with -O2
 * -fomit-frame-pointer (and once with the hooks): the frame register
 * holds data, so only DWARF unwinding finds its callers. main() calls
 * path_a() and path_b() in turn until the thread has spun about 300 ms
 * of CPU time; both call leaf(), which calls nothing and does all the
 * work, path_a() three times as much as path_b(). Neither path is a
 * tail call (each adds to the sink after leaf returns), so a sample in
 * leaf() has its path and main() above it.
 */
#include <stdio.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

NOINLINE unsigned long leaf(long n)
{
	unsigned long x = sink;

	for (long i = 0; i < n; i++)
		x = x * 2862933555777941757ul + 3037000493ul;
	return x;
}

NOINLINE void path_a(long n)
{
	sink += leaf(3 * n);
}

NOINLINE void path_b(long n)
{
	sink += leaf(n);
}

int main(void)
{
	double t0 = cpu_ms();
	long rounds = 0;

	while (cpu_ms() - t0 < 300) {
		path_a(20000);
		path_b(20000);
		rounds++;
	}
	printf("%d\n", rounds > 0);
	return 0;
}
