/*
 * shlib-lib.c - libshl.so for t/e2e-shlib.sh: an exported function and a
 * static one with the same name as a static function of the program.
 */
#include "progs.h"

int shl_work(int n);

COUNTED static int helper(int x)
{
	return x * 2;
}

COUNTED int shl_work(int n)
{
	int r = 0;

	for (int i = 0; i < n; i++)
		r += helper(i);
	return r;
}
