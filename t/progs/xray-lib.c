/*
 * xray-lib.c - a shared library built with gcc's -finstrument-functions
 * for t/e2e-xray.sh, called from the XRay program t/progs/xray-mixed.c
 * and calling back into it: hooked and XRay frames nest in one stack.
 */
#include "progs.h"

COUNTED int lib_twice(int (*f)(int), int x)
{
	return f(x) + f(x + 1) * (int)(sink & 1 ? 1 : 2);
}
