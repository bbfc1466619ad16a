// alloc-cxx.cc - C++ operator new and delete in every form, for
// e2e-alloc.sh (--alloc): each form once, in a function of its own.
#include <cstdio>
#include <new>

#include "progs.h"

struct alignas(64) Wide {
	char b[64];
};

// Through volatile pointers: the compiler may drop a new/delete pair.
static int *volatile ip;
static Wide *volatile wp;
static void *volatile vp;

COUNTED void plain_new()
{
	ip = new int(3);
	delete ip;
}

COUNTED void array_new()
{
	ip = new int[10];
	delete[] ip;
}

COUNTED void nothrow_new()
{
	ip = new (std::nothrow) int(4);
	delete ip;
	ip = new (std::nothrow) int[5];
	delete[] ip;
}

COUNTED void aligned_new()
{
	wp = new Wide;
	delete wp;
	wp = new Wide[3];
	delete[] wp;
	wp = new (std::nothrow) Wide;
	delete wp;
}

COUNTED void explicit_forms()
{
	vp = ::operator new(100);
	::operator delete(vp, 100);
	vp = ::operator new[](200);
	::operator delete[](vp, 200);
	vp = ::operator new(128, std::align_val_t(128));
	::operator delete(vp, 128, std::align_val_t(128));
	vp = ::operator new(50, std::nothrow);
	::operator delete(vp, std::nothrow);
}

COUNTED void throws()
{
	try {
		vp = ::operator new(~static_cast<size_t>(0) / 2);
		::operator delete(vp);
	} catch (const std::bad_alloc &) {
		std::puts("bad_alloc caught");
	}
}

int main()
{
	plain_new();
	array_new();
	nothrow_new();
	aligned_new();
	explicit_forms();
	throws();
	std::puts("cxx done");
	return 0;
}
