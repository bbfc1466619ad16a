/*
 * markers.c - manual markers from C, for t/e2e-markers.sh. Linked with
 * libcprof, not instrumented by the compiler.
 *
 *   markers active|inactive
 *
 * checks that cprof_active() and cprof_flush() say what the argument says
 * (exit status 3 if not), then:
 *   early()        60 calls through CPROF_FUNC(), leaving by three
 *                  different return statements
 *   "inner"        25 scopes (CPROF_SCOPE), 5 of them left by break and
 *                  5 by continue
 *   "explicit"     5 calls through CPROF_SITE + cprof_enter/cprof_exit
 *   "frame"        10 frame marks (CPROF_FRAME), one per loop iteration
 *   outer()        1 call that holds 2 calls of early() and spins 10 ms:
 *                  its total covers early's calls made from it
 * and prints "markers done" on stdout.
 */
#include <stdio.h>
#include <string.h>

#include <cprof.h>

#include "progs.h"

static int early(int x)
{
	CPROF_FUNC();

	if (x % 2)
		return 1;
	if (x % 3)
		return 2;
	return 3;
}

static void scopes(void)
{
	for (int i = 0; i < 30; i++) {
		if (i == 25)
			break;
		CPROF_SCOPE("inner");
		if (i % 5 == 1)
			continue;
		if (i % 5 == 2) {
			sink++;
			continue;
		}
		sink++;
	}
}

static void outer(void)
{
	CPROF_FUNC();

	early(1);
	early(2);
	spin_ns(10 * MS);
}

int main(int argc, char **argv)
{
	CPROF_SITE(explicit_site, "explicit");
	int want, r = 0;

	if (argc != 2) {
		fputs("usage: markers active|inactive\n", stderr);
		return 2;
	}
	want = strcmp(argv[1], "active") == 0;
	if (cprof_active() != want) {
		fprintf(stderr, "markers: cprof_active() is %d\n",
			cprof_active());
		return 3;
	}
	if (cprof_flush() != (want ? 0 : CPROF_EINACTIVE)) {
		fprintf(stderr, "markers: cprof_flush(): %s\n",
			cprof_strerror(cprof_flush()));
		return 3;
	}
	for (int i = 0; i < 58; i++)
		r += early(i);
	scopes();
	for (int i = 0; i < 5; i++) {
		cprof_enter(&explicit_site);
		sink++;
		cprof_exit(&explicit_site);
	}
	for (int i = 0; i < 10; i++) {
		sink++;
		CPROF_FRAME("frame");
	}
	outer();
	sink += (unsigned long)r;
	puts("markers done");
	return 0;
}
