/*
 * spikes.c - frames with one slow frame and one page-fault storm, for
 * t/e2e-frames.sh.
 *
 * Built with -finstrument-functions and linked with libcprof for its
 * frame marks. main() first closes the frame of its start-up with a
 * mark (frame 0), then runs 30 frames of "frame" (1 to 30), each calling
 * work() for 0.5 ms of CPU time. Frame 11 also calls slow() for 25 ms of
 * CPU time; frame 21 calls storm(), which touches 512 new pages (512
 * page faults) and little CPU time.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cprof.h>

#include "progs.h"

#define STORM_PAGES 512

COUNTED void work(void)
{
	spin_cpu_ns(MS / 2);
}

COUNTED void slow(void)
{
	spin_cpu_ns(25 * MS);
}

COUNTED void storm(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page * STORM_PAGES;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	for (size_t i = 0; i < len; i += (size_t)page)
		p[i] = 1;
	munmap(p, len);
}

int main(void)
{
	CPROF_FRAME("frame");
	for (int i = 1; i <= 30; i++) {
		work();
		if (i == 11)
			slow();
		if (i == 21)
			storm();
		CPROF_FRAME("frame");
	}
	return 0;
}
