/*
 * progs.h - what the end-to-end test programs share: attributes that keep
 * the call structure the tests count, and a busy wait on the wall clock.
 *
 * The tests assert exact call counts, so a counted function must stay a
 * function: not inlined, not cloned, not merged. A busy wait spins on
 * CLOCK_MONOTONIC rather than on a loop count, so that a function asked to
 * spin for 30 ms takes at least 30 ms of wall time on any machine, however
 * loaded (spin_cpu_ns spins on the thread's CPU time instead); the helpers
 * themselves are not instrumented, so their time is the self time of the
 * function that calls them.
 */
#ifndef CPROF_TEST_PROGS_H
#define CPROF_TEST_PROGS_H

#include <stdint.h>
#include <time.h>

#if defined(__clang__)
#define COUNTED __attribute__((noinline, used))
#else
#define COUNTED __attribute__((noipa, used))
#endif
/* Nor XRay sleds, for the programs some tests build with clang's XRay. */
#if defined(__clang__)
#define NOINSTR __attribute__((no_instrument_function, xray_never_instrument))
#else
#define NOINSTR __attribute__((no_instrument_function))
#endif

/*
 * Something for counted functions to touch, so that they do some work;
 * one per thread, so that threads touching it do not race (ThreadSanitizer
 * runs these programs too).
 */
static __thread volatile unsigned long sink __attribute__((unused));

static inline NOINSTR uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin for at least NS nanoseconds of wall time. */
static inline NOINSTR void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		sink++;
}

/*
 * Spin for at least NS nanoseconds of the thread's CPU time: however
 * loaded the machine, the CPU time it takes is NS, its wall time at least
 * that.
 */
static inline NOINSTR void spin_cpu_ns(uint64_t ns)
{
	struct timespec ts;
	uint64_t now, end;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ns;
	do {
		sink++;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	} while (now < end);
}

#define MS (UINT64_C(1000000))

#endif /* CPROF_TEST_PROGS_H */
