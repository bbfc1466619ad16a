/*
 * calls.c - a program whose profile is known exactly, for t/e2e-calls.sh.
 *
 * Built with -finstrument-functions. Every function below is called a
 * fixed number of times, and the busy ones spin for a fixed wall time:
 *
 *   main             1
 *   init_fn          1   (a constructor, before main)
 *   fini_fn          1   (a destructor, after main)
 *   at_exit_fn       1   (an atexit handler)
 *   mid            100   (from main)
 *   leaf          1000   (10 from each mid: a leaf, so self == total)
 *   helper_static    7   (a static function)
 *   rec             50   (5 descents of depth 10: recursion)
 *   bottom           5   (2 ms each, under 10 levels of rec)
 *   heavy            3   (30 ms of CPU time each)
 *   light            3   (10 ms of CPU time each)
 *
 * so heavy has 3 times the self time of light and comes first in a table
 * sorted by self time, then light, then bottom.
 */
#include <stdlib.h>

#include "progs.h"

COUNTED void leaf(void)
{
	sink++;
}

COUNTED void mid(void)
{
	for (int i = 0; i < 10; i++)
		leaf();
}

COUNTED static void helper_static(int i)
{
	sink += (unsigned long)i;
}

COUNTED void bottom(void)
{
	spin_ns(2 * MS);
}

COUNTED void rec(int depth)
{
	if (depth > 1)
		rec(depth - 1);
	else
		bottom();
	sink++;
}

COUNTED void heavy(void)
{
	spin_cpu_ns(30 * MS);
}

COUNTED void light(void)
{
	spin_cpu_ns(10 * MS);
}

COUNTED __attribute__((constructor)) void init_fn(void)
{
	sink++;
}

COUNTED __attribute__((destructor)) void fini_fn(void)
{
	sink++;
}

COUNTED void at_exit_fn(void)
{
	sink++;
}

int main(void)
{
	atexit(at_exit_fn);
	for (int i = 0; i < 100; i++)
		mid();
	for (int i = 0; i < 7; i++)
		helper_static(i);
	for (int i = 0; i < 5; i++)
		rec(10);
	for (int i = 0; i < 3; i++) {
		light();
		heavy();
	}
	return 0;
}
