/*
 * xray-mixed.c - an XRay program (t/e2e-xray.sh) that calls a hooked
 * shared library (t/progs/xray-lib.c), which calls back into it:
 *
 *   main 1, outer N, lib_twice N (hooks), cb 2N (XRay, under lib_twice).
 */
#include <stdio.h>
#include <stdlib.h>

#include "progs.h"

int lib_twice(int (*f)(int), int x);

COUNTED int cb(int x)
{
	sink += (unsigned long)x;
	return x + 1;
}

COUNTED int outer(int i)
{
	return lib_twice(cb, i) + 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	long s = 0;

	for (int i = 0; i < n; i++)
		s += outer(i);
	printf("mixed %ld\n", s);
	return 0;
}
