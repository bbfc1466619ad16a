/*
 * twocallers.c - one function called from two callers at different
 * costs, for t/e2e-callgraph.sh.
 *
 * Built with -finstrument-functions. main() calls cheap() 20 times and
 * costly() 5 times; each calls shared() once, cheap() asking for 0.2 ms
 * of CPU time and costly() for 4 ms. So shared() has 25 calls, 20 from
 * cheap() (4 ms of CPU time in all) and 5 from costly() (20 ms): 5 times
 * as much along the costly edge. Each caller spins itself too, cheap()
 * 0.1 ms and costly() 1 ms, so that its self time is not zero.
 */
#include "progs.h"

COUNTED void shared(uint64_t ns)
{
	spin_cpu_ns(ns);
}

COUNTED void cheap(void)
{
	spin_cpu_ns(MS / 10);
	shared(MS / 5);
}

COUNTED void costly(void)
{
	spin_cpu_ns(1 * MS);
	shared(4 * MS);
}

int main(void)
{
	for (int i = 0; i < 20; i++)
		cheap();
	for (int i = 0; i < 5; i++)
		costly();
	return 0;
}
