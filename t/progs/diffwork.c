/*
 * diffwork.c - a program whose one function can be made twice as slow,
 * for t/e2e-diff.sh (cprof diff, tags, budgets, report-time filters).
 *
 * Built with -finstrument-functions. main() calls steady() 10 times
 * (0.5 ms of CPU time each), scaled() 10 times (0.5 ms each, or 1 ms
 * with the argument "2"), and small() 100 times (2 us each). So steady()
 * and scaled() each have about 5 ms of self time, and "diffwork 2" gives
 * scaled() 10 ms while steady() keeps its 5 ms.
 */
#include <stdlib.h>
#include <string.h>

#include "progs.h"

COUNTED void steady(void)
{
	spin_cpu_ns(MS / 2);
}

COUNTED void scaled(int factor)
{
	spin_cpu_ns((uint64_t)factor * MS / 2);
}

COUNTED void small(void)
{
	spin_cpu_ns(2000);
}

int main(int argc, char **argv)
{
	int factor = argc > 1 && strcmp(argv[1], "2") == 0 ? 2 : 1;

	for (int i = 0; i < 10; i++) {
		steady();
		scaled(factor);
	}
	for (int i = 0; i < 100; i++)
		small();
	return 0;
}
