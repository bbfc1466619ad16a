#!/bin/sh
# e2e-cxx.sh - a C++ program gets demangled names (namespaces, classes,
# constructors, static methods, operators, templates, anonymous
# namespaces) with exact calls, and exceptions thrown through
# instrumented frames leave the nesting right (t/progs/cxx.cc).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog cxx
need_python

run cxx "$CPROF" stat --format json -o cxx.json -- "$PROGS/cxx"
expect_status "cxx under cprof stat" 0 cxx.err

# NAME:CALLS, the name as c++filt writes it (it may hold colons).
while read -r line; do
	name=${line%:*} n=${line##*:}
	jeq "calls of $name" cxx.json "calls('$name')" "$n"
done <<'NAMES'
main:1
ns::Klass::Klass(int):2
ns::Klass::method(int):20
ns::Klass::smethod(double):3
ns::Klass::operator()(int) const:4
int ns::twice<int>(int):5
double ns::twice<double>(double):6
ns::inner::deep(long):1
(anonymous namespace)::hidden(int):8
ns::thrower(int):60
ns::catcher():10
ns::after():1
NAMES
jeq "no mangled name is left" cxx.json "[n for n in names() if n.startswith('_Z')]" '[]'
jeq "the constructor's two symbols make one row" cxx.json "len(rows('ns::Klass::Klass(int)'))" 1

# Each exception left its frames: what ran after them is not their child.
jcheck "after() spun 20 ms" cxx.json "mself('ns::after()') >= 19800000"
# Its marker self time, that is: samples in the C library's clock_gettime
# under it are that function's row, kept in after()'s total only.
jcheck "after() is a leaf: marker self == total" cxx.json \
	"abs(mself('ns::after()') - total('ns::after()')) <= 10"
jcheck "thrower's total does not swallow after()" cxx.json \
	"total('ns::thrower(int)') < total('ns::after()') / 2"
jcheck "catcher's total does not swallow after()" cxx.json \
	"total('ns::catcher()') < total('ns::after()') / 2"
jcheck "catcher's total covers thrower's" cxx.json \
	"total('ns::catcher()') >= total('ns::thrower(int)')"
jcheck "main's total covers after()" cxx.json "total('main') >= total('ns::after()')"
jeq "heaviest first" cxx.json "names()[0]" 'ns::after()'

# The table shows the same names.
run cxxtab "$CPROF" stat -- "$PROGS/cxx"
expect_status "cxx under cprof stat (table)" 0 cxxtab.err
expect_grep "the table names ns::Klass::method(int)" '^ns::Klass::method\(int\) +.* 20 ' cxxtab.err
exit 0
