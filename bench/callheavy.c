/*
 * callheavy.c - the benchmark workload: a loop of tiny instrumented calls,
 * the worst case for an instrumenting profiler, plus a mode that measures
 * the floor of any such profiler: two cycle-counter reads per call.
 *
 *   callheavy N        make N calls (N/3 iterations of mid(), two leaves)
 *   callheavy floor N  print the cost of two counter reads, in ns
 *   callheavy threads T N  make N calls split over T threads at once
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

static volatile int sink;

__attribute__((noinline)) int leaf(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int mid(int x)
{
	return leaf(x) ^ leaf(x + 1);
}

__attribute__((noinline)) void run(long n)
{
	int acc = 0;

	for (long i = 0; i < n / 3; i++)
		acc += mid((int)i);
	sink = acc;
}

static __attribute__((no_instrument_function)) double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static __attribute__((no_instrument_function)) unsigned long long counter(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#elif defined(__aarch64__)
	unsigned long long v;
	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return (unsigned long long)now_ns();
#endif
}

/* Two counter reads and two stores, the least a call record can cost. */
static __attribute__((no_instrument_function)) double floor_ns(long n)
{
	static unsigned long long buf[2 * 4096];
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		buf[(2 * i) & 8191] = counter();
		buf[(2 * i + 1) & 8191] = counter();
	}
	sink = (int)buf[n & 8191];
	return (now_ns() - t0) / n;
}

static __attribute__((no_instrument_function)) void *worker(void *arg)
{
	run(*(const long *)arg);
	return NULL;
}

/*
 * Many threads running at once: the report keeps per-thread state, and
 * its memory must grow with the threads, not with their events.
 */
static __attribute__((no_instrument_function)) int threads(int t, long n)
{
	pthread_t th[256];
	long each = n / t;

	if (t < 1 || t > 256)
		return 2;
	for (int i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, worker, &each) != 0)
			return 1;
	for (int i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "floor") == 0) {
		printf("%.2f\n", floor_ns(atol(argv[2])));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "threads") == 0)
		return threads(atoi(argv[2]), atol(argv[3]));
	run(argc > 1 ? atol(argv[1]) : 12000000);
	return 0;
}
