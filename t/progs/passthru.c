/*
 * passthru.c - a program that uses its standard streams and exit status,
 * for the tests that check that cprof leaves them alone.
 *
 *   passthru STATUS [ARG...]
 *
 * copies its stdin to its stdout byte for byte, then prints each ARG on a
 * line of its own ("arg: ARG"), writes one line to stderr and exits with
 * STATUS. Built with -finstrument-functions: copy(), say() and main() are
 * each called once, show_arg() once per ARG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progs.h"

COUNTED static int copy(void)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(STDOUT_FILENO, buf + off,
					  (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			off += w;
		}
	}
	return 0;
}

COUNTED static void show_arg(const char *arg)
{
	printf("arg: %s\n", arg);
}

COUNTED static void say(void)
{
	fputs("passthru: a line on stderr\n", stderr);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: passthru STATUS [ARG...]\n", stderr);
		return 2;
	}
	if (copy() != 0) {
		perror("passthru");
		return 3;
	}
	for (int i = 2; i < argc; i++)
		show_arg(argv[i]);
	say();
	return atoi(argv[1]);
}
