/*
 * shlib-strip.c - libshstrip.so for t/e2e-shlib.sh, stripped of its
 * symbol table: strip_entry() keeps its dynamic symbol, strip_hidden()
 * has no name left and must show as libshstrip.so+0xOFFSET.
 */
#include "progs.h"

int strip_entry(int n);

COUNTED static int strip_hidden(int x)
{
	return x - 1;
}

COUNTED int strip_entry(int n)
{
	int r = 0;

	for (int i = 0; i < n; i++)
		r += strip_hidden(i);
	return r;
}
