/*
 * clock.c - the time base of the marker stream.
 *
 * Events carry raw cycle-counter ticks, the cheapest timestamp there is.
 * The log pairs ticks with CLOCK_MONOTONIC at several instants (start, each
 * flush, end) so the reader can convert ticks to nanoseconds and put
 * perf_event samples, which use CLOCK_MONOTONIC, on the same timeline.
 */
#include "config.h"

#include <time.h>

#include "internal.h"

uint64_t cprof__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cprof__real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifdef CPROF__TICKS_ARE_NS
uint64_t cprof__ticks(void)
{
	return cprof__mono_ns();
}
#endif

uint64_t cprof__clock_hz(void)
{
#if defined(__aarch64__)
	uint64_t hz;

	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz;
#elif defined(CPROF__TICKS_ARE_NS)
	return 1000000000u;
#else
	/* The TSC rate is measured by the reader over the whole run. */
	return 0;
#endif
}

void cprof__clock_point(uint64_t *ticks, uint64_t *mono_ns)
{
	/*
	 * Take the tick reading halfway between two, on either side of the
	 * clock_gettime call, and keep the tightest of a few tries: the pair
	 * is then good to a few tens of nanoseconds even if a try is
	 * interrupted.
	 */
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 3; i++) {
		uint64_t t0 = cprof__ticks();
		uint64_t ns = cprof__mono_ns();
		uint64_t t1 = cprof__ticks();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*ticks = t0 + (t1 - t0) / 2;
			*mono_ns = ns;
		}
	}
}
