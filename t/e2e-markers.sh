#!/bin/sh
# e2e-markers.sh - manual markers from C and C++ (cprof.h): function and
# scope guards close on every way out (return, break, continue, a C++
# exception), explicit enter/exit pairs and frame marks are counted
# exactly, sites carry their file and line; a program linked with
# libcprof but run without cprof behaves the same and writes nothing
# (t/progs/markers.c, t/progs/markers-cxx.cc).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_prog markers markers-cxx

# Without cprof: same output, nothing on stderr, no file written.
# Under ThreadSanitizer the link puts libtsan before libcprof, so TSan's
# interceptor for sigaction forwards to libcprof's wrapper, which TSan
# calls while it initializes itself, before it can run instrumented code
# (a crash in __tsan_func_entry, TSan's own): there the program runs with
# libcprof first, as the tool runs it, still without CPROF_DIR (inactive).
plain_preload=
[ "${TSAN:-no}" != yes ] || plain_preload=$(preload_value)
mkdir quiet
for p in "markers inactive" markers-cxx; do
	name=${p%% *}
	status=0
	(cd quiet && if [ -n "$plain_preload" ]; then
		LD_PRELOAD=$plain_preload exec "$PROGS"/$p
	else
		exec "$PROGS"/$p
	fi) >$name-plain.out 2>$name-plain.err || status=$?
	expect_status "$p without cprof" 0 $name-plain.err
	expect_eq "$p without cprof: stdout" "$name done" "$(cat $name-plain.out)" $name-plain.err
	[ ! -s $name-plain.err ] || fail "$p without cprof wrote on stderr" $name-plain.err
	[ -z "$(ls -A quiet)" ] || fail "$p without cprof wrote files: $(ls -A quiet)"
done

need_cli
need_python

run mk "$CPROF" stat --format json -o mk.json -- "$PROGS/markers" active
expect_status "markers under cprof stat" 0 mk.err
expect_eq "markers under cprof: stdout" "markers done" "$(cat mk.out)" mk.err
for fc in early:60 inner:25 explicit:5 outer:1; do
	jeq "calls of ${fc%:*}" mk.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "frame marks" mk.json "[f['count'] for f in j['frames'] if f['name'] == 'frame']" '[10]'
func_line=$(grep -n 'CPROF_FUNC();' "$SRCPROGS/markers.c" | head -n 1 | cut -d: -f1)
jeq "early's site: file and line of its CPROF_FUNC()" mk.json \
	"[(r['file'] or '').endswith('markers.c') and r['line'] for r in rows('early')]" "[$func_line]"
jcheck "early() has no children: self == total" mk.json \
	"abs(self('early') - total('early')) <= 60"
jcheck "outer() spun 10 ms itself" mk.json "self('outer') >= 9900000"
# (Compensated: an early() call that is all hook cost may count nothing.)
jcheck "outer()'s total covers its two early() calls, no more" mk.json \
	"0 <= total('outer') - self('outer') <= total('early')"
jeq "the spin is the heaviest" mk.json "names()[0]" outer

run mkx "$CPROF" stat --format json -o mkx.json -- "$PROGS/markers-cxx"
expect_status "markers-cxx under cprof stat" 0 mkx.err
expect_eq "markers-cxx under cprof: stdout" "markers-cxx done" "$(cat mkx.out)" mkx.err
for fc in parse:40 request:12 run:3; do
	jeq "C++: calls of ${fc%:*}" mkx.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "C++: frame marks" mkx.json "[f['count'] for f in j['frames'] if f['name'] == 'tick']" '[12]'
jcheck "C++: parse() has no children, thrown or not: self == total" mkx.json \
	"abs(self('parse') - total('parse')) <= 40"
exit 0
