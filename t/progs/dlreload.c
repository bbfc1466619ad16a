/*
 * dlreload.c - plugins loaded and unloaded in quick succession, for
 * t/e2e-dlclose.sh.
 *
 *   dlreload PLUGIN_A PLUGIN_B
 *
 * dlopen()s PLUGIN_A, calls its a_fn() 3 times and dlclose()s it, then
 * does the same with PLUGIN_B and its b_fn() 2 times. The second plugin
 * is usually mapped where the first one was, so a profiler that names
 * addresses with the load map at the end of the run, or only notices
 * objects at its next flush, names them wrong or not at all.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "progs.h"

COUNTED static int use(const char *path, const char *sym, int n)
{
	int (*fn)(int);
	void *h = dlopen(path, RTLD_NOW);
	int r = 0;

	if (!h) {
		fprintf(stderr, "dlreload: %s\n", dlerror());
		return -1;
	}
	*(void **)&fn = dlsym(h, sym);
	if (!fn) {
		fprintf(stderr, "dlreload: %s\n", dlerror());
		return -1;
	}
	for (int i = 0; i < n; i++)
		r += fn(i);
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fputs("usage: dlreload PLUGIN_A PLUGIN_B\n", stderr);
		return 2;
	}
	if (use(argv[1], "a_fn", 3) < 0 || use(argv[2], "b_fn", 2) < 0)
		return 1;
	return 0;
}
