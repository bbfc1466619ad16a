/*
 * unwind.cc - C++ exceptions through instrumented frames, for
 * t/e2e-unwind.sh. gcc calls the exit hooks of the frames an exception
 * unwinds; clang does not, so the runtime must close them itself.
 *
 *   unwind N
 *
 * N times: catcher() calls thrower(3), which recurses to 0 and throws;
 * catcher() catches it and spins 300 us in its handler. Then N times:
 * rec(5) recurses to 0 and throws, and the activation rec(2) catches.
 * Then after() spins 60 ms. It prints "caught N N".
 */
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "progs.h"

static int caught_a, caught_b;

COUNTED void thrower(int n)
{
	if (n == 0)
		throw std::runtime_error("bail out");
	thrower(n - 1);
	sink++;
}

COUNTED void catcher()
{
	try {
		thrower(3);
	} catch (const std::exception &) {
		spin_ns(300000);
		caught_a++;
	}
}

COUNTED void rec(int n)
{
	if (n == 2) {
		try {
			rec(n - 1);
		} catch (const std::exception &) {
			caught_b++;
		}
		return;
	}
	if (n == 0)
		throw std::runtime_error("deep");
	rec(n - 1);
	sink++;
}

COUNTED void after()
{
	spin_ns(60 * MS);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;

	for (int i = 0; i < n; i++)
		catcher();
	for (int i = 0; i < n; i++)
		rec(5);
	after();
	std::printf("caught %d %d\n", caught_a, caught_b);
	return 0;
}
