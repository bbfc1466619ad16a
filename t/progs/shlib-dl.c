/*
 * shlib-dl.c - libshdl.so for t/e2e-shlib.sh, opened with dlopen() after
 * the program started.
 */
#include "progs.h"

int dl_fn(int x);

COUNTED int dl_fn(int x)
{
	return x + 7;
}
