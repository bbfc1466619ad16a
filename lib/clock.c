/*
 * clock.c - the time base of the marker stream.
 *
 * Events carry raw cycle-counter ticks, the cheapest timestamp there is.
 * The log pairs ticks with CLOCK_MONOTONIC at several instants (start, each
 * flush, end) so the reader can convert ticks to nanoseconds and put
 * perf_event samples, which use CLOCK_MONOTONIC, on the same timeline.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	cprof__clock_width = best;
}

/*
 * Is the cycle counter a safe clock? On x86 the TSC must tick at one
 * rate whatever the frequency (constant_tsc) and on in deep idle states
 * (nonstop_tsc), and the kernel must trust it (its clocksource is tsc:
 * it demotes a TSC that drifts between cores or against other clocks).
 * Elsewhere the counter is architecturally constant (cntvct_el0) or is
 * CLOCK_MONOTONIC itself. What cannot be read (a sandbox) is no finding.
 */
uint64_t cprof__clock_width;
char cprof__clock_note[160];

/*
 * The first line of PATH starting with KEY, among its first CAP - 1
 * bytes read into BUF (the flags of /proc/cpuinfo come in its first few
 * KiB), moved to BUF's start; false if none.
 */
static bool read_line(const char *path, const char *key, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;
	char *p;

	if (fd < 0)
		return false;
	while (got < (ssize_t)cap - 1 &&
	       (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		size_t len = strcspn(p, "\n");

		if (strncmp(p, key, strlen(key)) != 0)
			continue;
		memmove(buf, p, len);
		buf[len] = '\0';
		return true;
	}
	return false;
}

/* Whether the space-separated word W is in LINE. */
static bool has_word(const char *line, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = strstr(line, w); p; p = strstr(p + 1, w))
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

void cprof__clock_check(void)
{
#if defined(__x86_64__) || defined(__i386__)
	char line[8192], src[64];

	cprof__clock_note[0] = '\0';
	if (read_line("/proc/cpuinfo", "flags", line, sizeof(line))) {
		if (!has_word(line, "constant_tsc"))
			strcat(cprof__clock_note,
			       "the TSC rate follows the CPU frequency "
			       "(no constant_tsc)");
		else if (!has_word(line, "nonstop_tsc"))
			strcat(cprof__clock_note,
			       "the TSC stops in deep idle states "
			       "(no nonstop_tsc)");
	}
	if (!cprof__clock_note[0] &&
	    read_line("/sys/devices/system/clocksource/clocksource0/"
		      "current_clocksource",
		      "", src, sizeof(src)) &&
	    src[0] && strcmp(src, "tsc") != 0) {
		src[40] = '\0';
		strcat(cprof__clock_note, "the kernel's clocksource is ");
		strcat(cprof__clock_note, src);
		strcat(cprof__clock_note, ", not tsc");
	}
#else
	cprof__clock_note[0] = '\0';
#endif
}
