/*
 * ownfaults.c - a program whose page faults per function are known, for
 * the test that the runtime's own faults are never the program's
 * (t/e2e-own-cost.sh).
 *
 *   ownfaults [-t] [-f] CALLS PAGES
 *
 * The main thread calls tiny() CALLS times, then touch() once on PAGES
 * fresh pages (mapped without transparent huge pages, one write each).
 * tiny() touches no memory: it can take no page fault. touch() takes
 * exactly PAGES. Both are called from work(), which touches nothing
 * itself, not even a global variable (a fork child's first write to a
 * page of its data is a copy-on-write fault). CALLS above 16384 fill a
 * thread's ring, so the runtime's slow path runs while work() is open.
 * With -t a second thread does the same first; with -f a child process
 * (fork) does it before the parent. The pages are mapped outside any
 * instrumented function and unmapped after the counts are taken, so only
 * touch() faults on them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#define NOSAN __attribute__((no_sanitize_address, no_sanitize_thread))

static long calls, pages, page_size;
static volatile unsigned result;

COUNTED static unsigned tiny(unsigned x)
{
	return x * 2654435761u + 1;
}

COUNTED NOSAN static void touch(volatile char *p, long n)
{
	for (long i = 0; i < n; i++)
		p[i * page_size] = 1;
}

static NOINSTR char *fresh_pages(void)
{
	char *p =
		mmap(NULL, (size_t)(pages * page_size), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* One fault a page: no huge page, whatever the system's setting. */
	madvise(p, (size_t)(pages * page_size), MADV_NOHUGEPAGE);
	return p;
}

/*
 * The work of one thread: CALLS of tiny(), then touch() on PAGES. Its own
 * code touches no memory either (mmap and munmap fault nothing in; the
 * caller stores the result).
 */
COUNTED static unsigned work(void)
{
	char *p = fresh_pages();
	unsigned x = 1;

	for (long i = 0; i < calls; i++)
		x = tiny(x);
	touch(p, pages);
	munmap(p, (size_t)(pages * page_size));
	return x;
}

static NOINSTR void *thread_main(void *arg)
{
	(void)arg;
	result = work();
	return NULL;
}

NOINSTR int main(int argc, char **argv)
{
	int thread = 0, child = 0, opt;

	while ((opt = getopt(argc, argv, "tf")) != -1) {
		if (opt == 't')
			thread = 1;
		else if (opt == 'f')
			child = 1;
		else
			return 2;
	}
	if (argc - optind != 2)
		return 2;
	calls = atol(argv[optind]);
	pages = atol(argv[optind + 1]);
	page_size = sysconf(_SC_PAGESIZE);
	if (thread) {
		pthread_t th;

		if (pthread_create(&th, NULL, thread_main, NULL) != 0 ||
		    pthread_join(th, NULL) != 0)
			return 1;
	}
	if (child) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return 1;
		if (pid == 0) {
			result = work();
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			return 1;
	}
	result = work();
	printf("%u\n", result);
	return 0;
}
