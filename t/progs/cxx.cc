/*
 * cxx.cc - C++ names and exceptions, for t/e2e-cxx.sh.
 *
 * Built with -finstrument-functions. The tests expect these names, as
 * c++filt writes them, with these calls:
 *
 *   ns::Klass::Klass(int)                   2
 *   ns::Klass::method(int)                  20
 *   ns::Klass::smethod(double)              3
 *   ns::Klass::operator()(int) const        4
 *   int ns::twice<int>(int)                 5
 *   double ns::twice<double>(double)        6
 *   ns::inner::deep(long)                   1
 *   (anonymous namespace)::hidden(int)      8
 *   ns::thrower(int)                        60  (depth 5..0, 10 times)
 *   ns::catcher()                           10  (catches what thrower threw)
 *   ns::after()                             1   (20 ms busy, after the throws)
 *
 * thrower() throws from its deepest call: the exceptions unwind through
 * five instrumented frames each time, and the profile must still nest
 * right, so that after() is nobody's child but main's.
 */
#include <stdexcept>

#include "progs.h"

namespace ns
{

class Klass
{
    public:
	COUNTED explicit Klass(int v) : v_(v)
	{
	}
	COUNTED int method(int x);
	COUNTED static int smethod(double d);
	COUNTED int operator()(int x) const
	{
		return v_ * x;
	}

    private:
	int v_;
};

int Klass::method(int x)
{
	v_ += x;
	return v_;
}

int Klass::smethod(double d)
{
	return (int)(d * 2);
}

template <typename T> COUNTED T twice(T x)
{
	return x + x;
}

namespace inner
{
COUNTED long deep(long x)
{
	return x * 3;
}
} // namespace inner

COUNTED void thrower(int depth)
{
	if (depth == 0)
		throw std::runtime_error("from the deepest call");
	thrower(depth - 1);
	sink++;
}

COUNTED int catcher()
{
	try {
		thrower(5);
	} catch (const std::runtime_error &) {
		return 1;
	}
	return 0;
}

COUNTED void after()
{
	spin_ns(20 * MS);
}

} // namespace ns

namespace
{
COUNTED int hidden(int x)
{
	return x ^ 1;
}
} // namespace

int main()
{
	ns::Klass a(1), b(2);
	long r = 0;

	for (int i = 0; i < 10; i++) {
		r += a.method(i);
		r += b.method(i);
	}
	for (int i = 0; i < 3; i++)
		r += ns::Klass::smethod(i);
	for (int i = 0; i < 4; i++)
		r += a(i);
	for (int i = 0; i < 5; i++)
		r += ns::twice<int>(i);
	for (int i = 0; i < 6; i++)
		r += (long)ns::twice<double>(i);
	r += ns::inner::deep(r);
	for (int i = 0; i < 8; i++)
		r += hidden(i);
	int caught = 0;
	for (int i = 0; i < 10; i++)
		caught += ns::catcher();
	ns::after();
	sink += (unsigned long)r;
	return caught == 10 ? 0 : 1;
}
