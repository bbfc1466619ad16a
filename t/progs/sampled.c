/*
 * sampled.c - a program without hooks for the tests of sampled profiles
 * (t/e2e-report-sampled.sh), which builds it with and without frame
 * pointers. main() calls outer() until the thread has spun about 300 ms
 * of CPU time; outer() spins a quarter of each call itself and calls
 * leaf() for the rest, not as a tail call, so that with -g every sample
 * of leaf() has outer() and main() in its callchain.
 *
 * Built with -DDATA_IN_FP (and without frame pointers), main() keeps a
 * value in the frame-pointer register, as such code may: the kernel's
 * walk of frame pointers then finds no chain, whatever the C library
 * does with its own frames.
 */
#include <stdio.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static volatile double sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

NOINLINE double leaf(double x)
{
	for (int i = 0; i < 30000; i++)
		x = x * 1.0000001 + 1e-9;
	return x;
}

NOINLINE double outer(double x)
{
	for (int i = 0; i < 10000; i++)
		x = x * 0.9999999 + 1e-9;
	x = leaf(x);
	sink = x;
	return x * 0.5;
}

int main(void)
{
	double x = 1, t0 = cpu_ms();

#ifdef DATA_IN_FP
#if defined(__x86_64__)
	__asm__ volatile("mov $0x1234, %%rbp" ::: "rbp");
#elif defined(__aarch64__)
	__asm__ volatile("mov x29, #0x1234" ::: "x29");
#endif
#endif
	while (cpu_ms() - t0 < 300)
		x += outer(x);
	printf("%d\n", x > 0);
	return 0;
}
