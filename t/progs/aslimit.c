/*
 * aslimit.c - a program run under a small address-space limit, for
 * t/e2e-aslimit.sh: the runtime must not make it fail to load (a large
 * .bss in libcprof did), and says at most once why it does not record.
 *
 *   aslimit KIB   set RLIMIT_AS to KIB KiB and exec itself in child mode
 *   aslimit child step 100 times, print "child", exit 0
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

int NOINSTR main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		for (int i = 0; i < 100; i++)
			step();
		printf("child\n");
		return 0;
	}
	if (argc < 2)
		return 2;
	rl.rlim_cur = rl.rlim_max = (rlim_t)atol(argv[1]) * 1024;
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 2;
	execl("/proc/self/exe", "aslimit", "child", (char *)NULL);
	return 3;
}
