/*
 * markers-cxx.cc - manual markers from C++, for t/e2e-markers.sh. Linked
 * with libcprof, not instrumented by the compiler.
 *
 *   parse()        40 calls through CPROF_FUNC(); 10 of them throw, and
 *                  the guard closes while the exception unwinds
 *   "request"      12 scopes (CPROF_SCOPE), one per loop iteration
 *   "tick"         12 frame marks (CPROF_FRAME)
 *   Worker::run    3 calls of a method marked with CPROF_FUNC(), which
 *                  names it by __func__: "run"
 * and prints "markers-cxx done" on stdout.
 */
#include <cstdio>
#include <stdexcept>

#include <cprof.h>

#include "progs.h"

static int parse(int x)
{
	CPROF_FUNC();

	if (x % 4 == 3)
		throw std::invalid_argument("bad input");
	return x * 2;
}

class Worker
{
    public:
	int run(int x)
	{
		CPROF_FUNC();
		return x + 1;
	}
};

int main()
{
	Worker w;
	int r = 0, errors = 0;

	for (int i = 0; i < 40; i++) {
		try {
			r += parse(i);
		} catch (const std::invalid_argument &) {
			errors++;
		}
	}
	for (int i = 0; i < 12; i++) {
		CPROF_SCOPE("request");
		sink++;
		CPROF_FRAME("tick");
	}
	for (int i = 0; i < 3; i++)
		r += w.run(i);
	sink += (unsigned long)r;
	std::puts("markers-cxx done");
	return errors == 10 ? 0 : 1;
}
