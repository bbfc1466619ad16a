/*
 * mutual.c - mutual recursion with a known call structure, for
 * t/e2e-callgraph.sh (the calling-context tree and call graph).
 *
 * Built with -finstrument-functions. main() calls is_even(20) ROUNDS
 * times (10, or the first argument); each descent alternates is_even()
 * and is_odd() down to is_even(0), which calls base() (1 ms of wall
 * time). Per round: 11 calls of is_even (20, 18, ..., 0), 10 of is_odd,
 * 1 of base. With "deep" as the second argument the descent starts at
 * DEPTH (the third argument, default 20000) instead: the tree must keep
 * the same nodes however deep the recursion goes.
 */
#include <stdlib.h>
#include <string.h>

#include "progs.h"

COUNTED void base(void)
{
	spin_ns(1 * MS);
}

COUNTED int is_odd(int n);

COUNTED int is_even(int n)
{
	if (n == 0) {
		base();
		return 1;
	}
	return is_odd(n - 1);
}

COUNTED int is_odd(int n)
{
	if (n == 0)
		return 0;
	return is_even(n - 1);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10;
	int depth = 20;

	if (argc > 2 && strcmp(argv[2], "deep") == 0)
		depth = argc > 3 ? atoi(argv[3]) : 20000;
	for (int i = 0; i < rounds; i++)
		sink += (unsigned long)is_even(depth);
	return 0;
}
