/*
 * counters.c - programs whose perf_event counts are known, for the counter
 * tests (t/e2e-counters*.sh). Built twice from this source: t/progs/counters
 * with -finstrument-functions, so that every function below is a marker
 * frame, and t/progs/counters-plain without, so that samples can only be
 * attributed by their instruction address.
 *
 *   counters faults N   main maps N fresh pages (transparent huge pages
 *                       off) and calls parent(), which touches none of
 *                       them itself but calls touch() once, which writes
 *                       one byte to each: touch() takes exactly N page
 *                       faults, parent() none of its own. The writes are
 *                       paced (25 us apart, about 40000 faults a second)
 *                       to stay below the kernel's sample rate limit
 *                       (perf_event_max_sample_rate, 100000 by default),
 *                       so that sampling every fault throttles nothing.
 *   counters ratio      heavy() and light() spin on the thread's CPU clock
 *                       for 300 ms and 100 ms in all, 3:1, alternating in
 *                       50 slices of 6 ms and 2 ms so that both see the
 *                       same conditions (other load, frequency changes).
 *   counters threads N  N >= 4 worker threads run work(k): busy() spins for
 *                       100 ms of the thread's CPU time, then fault_pages()
 *                       touches 100 + 50 k fresh pages. Worker 0 is created
 *                       from .preinit_array, before any library's
 *                       constructor (cprof's runtime included) has run;
 *                       worker 1 from a constructor, before main(); the
 *                       others from main(). The early two wait for main()
 *                       before they make their first instrumented call.
 *
 * The page-touching functions are not sanitized: only the program's own
 * page faults are counted inside them, never those of a sanitizer's shadow
 * memory. Everything the tests do not count is NOINSTR.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "progs.h"

#define NOSAN __attribute__((no_sanitize_address, no_sanitize_thread))
#define SPIN  static inline NOINSTR __attribute__((always_inline))

/* Time between two page faults in touch(): see the comment at the top. */
#define FAULT_GAP_NS 25000

#define RATIO_SLICES 50
#define HEAVY_SLICE  (6 * MS)
#define LIGHT_SLICE  (2 * MS)

#define MAX_WORKERS 64
#define BUSY_NS	    (100 * MS)

static long page_size;

SPIN uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Spin for at least NS nanoseconds of the thread's CPU time. The clock is
 * a system call, so it is read between runs of about 50 us of work: the
 * samples land mostly in the caller's own code.
 */
SPIN void spin_cpu(uint64_t ns)
{
	uint64_t end = cpu_ns() + ns;
	volatile unsigned long work = 0; /* each thread its own */

	do {
		for (int i = 0; i < 40000; i++)
			work++;
	} while (cpu_ns() < end);
}

/* N fresh private pages that the kernel backs with small pages only. */
static NOINSTR char *map_fresh(long n)
{
	size_t len = (size_t)n * (size_t)page_size;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("counters: mmap");
		exit(1);
	}
	if (madvise(p, len, MADV_NOHUGEPAGE) != 0 && errno != EINVAL) {
		perror("counters: madvise");
		exit(1);
	}
	return p;
}

/* Mode faults. */

COUNTED NOSAN void touch(char *p, long n)
{
	for (long i = 0; i < n; i++) {
		((volatile char *)p)[i * page_size] = 1;
		spin_ns(FAULT_GAP_NS);
	}
}

COUNTED void parent(char *p, long n)
{
	touch(p, n);
}

/* Mode ratio. */

COUNTED void heavy(void)
{
	spin_cpu(HEAVY_SLICE);
}

COUNTED void light(void)
{
	spin_cpu(LIGHT_SLICE);
}

/* Mode threads. */

static sem_t go;
static pthread_t workers[MAX_WORKERS];

COUNTED void busy(void)
{
	spin_cpu(BUSY_NS);
}

COUNTED NOSAN void fault_pages(char *p, long n)
{
	for (long i = 0; i < n; i++)
		((volatile char *)p)[i * page_size] = 1;
}

COUNTED void work(long k)
{
	long n = 100 + 50 * k;
	char *p = map_fresh(n);

	busy();
	fault_pages(p, n);
	munmap(p, (size_t)n * (size_t)page_size);
}

static NOINSTR void *early_start(void *arg)
{
	/* Nothing instrumented runs before main() says so. */
	while (sem_wait(&go) != 0)
		;
	work((long)(intptr_t)arg);
	return NULL;
}

static NOINSTR void *late_start(void *arg)
{
	work((long)(intptr_t)arg);
	return NULL;
}

static NOINSTR void start(long k, void *(*fn)(void *))
{
	int err = pthread_create(&workers[k], NULL, fn, (void *)(intptr_t)k);

	if (err) {
		fprintf(stderr, "counters: pthread_create: %s\n",
			strerror(err));
		exit(1);
	}
}

static NOINSTR int threads_mode(int argc, char **argv)
{
	return argc >= 2 && strcmp(argv[1], "threads") == 0;
}

/* glibc passes argc, argv and envp to .preinit_array and constructors. */
static NOINSTR void early_preinit(int argc, char **argv, char **envp)
{
	(void)envp;
	if (!threads_mode(argc, argv))
		return;
	sem_init(&go, 0, 0);
	start(0, early_start);
}

typedef void (*preinit_fn)(int, char **, char **);
static const preinit_fn preinit_entry
	__attribute__((section(".preinit_array"), used)) = early_preinit;

__attribute__((constructor)) static NOINSTR void
early_ctor(int argc, char **argv, char **envp)
{
	(void)envp;
	if (threads_mode(argc, argv))
		start(1, early_start);
}

static NOINSTR void usage(void)
{
	fputs("usage: counters faults N | ratio | threads N\n", stderr);
	exit(2);
}

static NOINSTR long number(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "faults") == 0) {
		long n = argc > 2 ? number(argv[2], 1, 1L << 20) : 1000;
		char *p = map_fresh(n);

		parent(p, n);
		munmap(p, (size_t)n * (size_t)page_size);
	} else if (strcmp(argv[1], "ratio") == 0) {
		for (int i = 0; i < RATIO_SLICES; i++) {
			heavy();
			light();
		}
	} else if (strcmp(argv[1], "threads") == 0) {
		long n = argc > 2 ? number(argv[2], 4, MAX_WORKERS) : 4;

		sem_post(&go);
		sem_post(&go);
		for (long k = 2; k < n; k++)
			start(k, late_start);
		for (long k = 0; k < n; k++)
			pthread_join(workers[k], NULL);
	} else {
		usage();
	}
	return 0;
}
