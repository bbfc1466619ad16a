/*
 * shlib-main.c - a program that calls into shared libraries, for
 * t/e2e-shlib.sh, which builds it as a PIE and as a fixed-address
 * executable, with -finstrument-functions.
 *
 *   shlib-main PLUGIN
 *
 * calls its static helper() 3 times, shl_work(11) in libshl.so (which
 * calls that library's own static helper() 11 times), strip_entry() twice
 * in libshstrip.so, a library without symbols for its static functions
 * (strip_hidden() is called 5 times), and dl_fn() 4 times in PLUGIN,
 * opened with dlopen().
 */
#include <dlfcn.h>
#include <stdio.h>

#include "progs.h"

int shl_work(int n);
int strip_entry(int n);

COUNTED static int helper(int x)
{
	return x + 1;
}

int main(int argc, char **argv)
{
	int (*dl_fn)(int);
	void *plugin;
	int r = 0;

	if (argc != 2) {
		fputs("usage: shlib-main PLUGIN\n", stderr);
		return 2;
	}
	for (int i = 0; i < 3; i++)
		r += helper(i);
	r += shl_work(11);
	r += strip_entry(2);
	r += strip_entry(3);
	plugin = dlopen(argv[1], RTLD_NOW);
	if (!plugin) {
		fprintf(stderr, "shlib-main: %s\n", dlerror());
		return 1;
	}
	*(void **)&dl_fn = dlsym(plugin, "dl_fn");
	if (!dl_fn) {
		fprintf(stderr, "shlib-main: %s\n", dlerror());
		return 1;
	}
	for (int i = 0; i < 4; i++)
		r += dl_fn(i);
	sink += (unsigned long)r;
	return 0;
}
