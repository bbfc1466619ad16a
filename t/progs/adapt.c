/*
 * adapt.c - a program with a known split of work between a tiny function
 * called millions of times and large ones, for t/e2e-adapt.sh (adaptive
 * timing: the tiny one's calls are counted, the large ones timed).
 *
 * Built with -finstrument-functions:
 *
 *   main        1
 *   tiny  2000000   (from loop: one add, far below any timing threshold)
 *   loop        1   (calls tiny 2000000 times)
 *   big        20   (1 ms of CPU time each: far above any threshold)
 *   rec       300   (3 descents of depth 100 down to tiny: recursion
 *                    whose every level ends in a counted call)
 *
 * An argument N > 0 makes N threads run the same work each (per-thread
 * tables and counts).
 */
#include <pthread.h>
#include <stdlib.h>

#include "progs.h"

COUNTED void tiny(void)
{
	sink++;
}

COUNTED void loop(void)
{
	for (int i = 0; i < 2000000; i++)
		tiny();
}

COUNTED void big(void)
{
	spin_cpu_ns(1 * MS);
}

COUNTED void rec(int depth)
{
	if (depth > 1)
		rec(depth - 1);
	tiny();
}

COUNTED void *work(void *arg)
{
	(void)arg;
	loop();
	for (int i = 0; i < 20; i++)
		big();
	for (int i = 0; i < 3; i++)
		rec(100);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t th[8];

	if (n <= 0) {
		work(NULL);
		return 0;
	}
	if (n > 8)
		n = 8;
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, work, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
