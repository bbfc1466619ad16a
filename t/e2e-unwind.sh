#!/bin/sh
# e2e-unwind.sh - C++ exceptions through instrumented frames, with the
# program built by $UW_CXX (default: the C++ compiler of the build; see
# e2e-unwind-clang.sh for clang, which calls no exit hook when a frame
# is unwound): exact calls, and the frames an exception unwound close
# at the catch, not later (t/progs/unwind.cc).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
UW_CXX=${UW_CXX:-$CXX}
command -v "${UW_CXX%% *}" >/dev/null 2>&1 || skip "no C++ compiler $UW_CXX"

n=100
for opt in -O1 -O2; do
	$UW_CXX $opt -g ${UW_INSTR:--finstrument-functions} -I"$SRCPROGS" -o unwind \
		"$SRCPROGS/unwind.cc" 2>build.err ||
		fail "cannot build unwind.cc with $UW_CXX $opt" build.err
	run rec "$CPROF" record --no-counters -o uw$opt.cprof -- ./unwind $n
	expect_status "unwind ($opt) under cprof record" 0 rec.err
	expect_grep "unwind ($opt) ran unchanged" "^caught $n $n\$" rec.out
	run rep "$CPROF" report --format json uw$opt.cprof
	expect_status "cprof report of unwind ($opt)" 0 rep.err
	mv rep.out uw$opt.json
	f=uw$opt.json
	jeq "$opt: calls of thrower" $f "calls('thrower(int)')" $((4 * n))
	jeq "$opt: calls of catcher" $f "calls('catcher()')" $n
	jeq "$opt: every activation of rec closes once" $f "calls('rec(int)')" $((6 * n))
	jeq "$opt: main and after once" $f "(calls('main'), calls('after()'))" "[1, 1]"
	# catcher spins 300 us in its handler, after the catch: the thrower's
	# frames must be closed by then, so catcher's total holds the
	# thrower's total and the spins side by side. Left open, rec's frames
	# would take the 60 ms of after(), which runs after them: their totals
	# would overlap. Both checks hold however slow the machine is.
	jcheck "$opt: thrower's frames close at the catch" $f \
		"total('thrower(int)') + $n * 300000 * 0.99 <= total('catcher()')"
	jcheck "$opt: catcher keeps its handler's time" $f \
		"self('catcher()') >= $n * 300000 * 0.99"
	jcheck "$opt: rec's frames close at the catch" $f \
		"total('rec(int)') + total('after()') <= total('main')"
	jcheck "$opt: after() spun 60 ms" $f "self('after()') >= 59400000"
done
exit 0
