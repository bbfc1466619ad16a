#!/bin/sh
# e2e-nonlocal.sh - frames left by longjmp and siglongjmp close at the
# jump, and a signal handler on an alternate stack is a nested call, not
# an unwinding (t/progs/nonlocal.c). Each mode runs 200 times (50 for
# those that raise signals); every instrumented function must have its
# exact calls, and the frames a jump left must not take the 40 ms main
# spins right after the last jump (or the 40 ms of after()): their totals
# stay below half of after()'s.
# Built at -O1, and at -O2 with -D_FORTIFY_SOURCE=2 (longjmp becomes
# __longjmp_chk; gcc calls the exit hooks as tail calls).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
NL_CC=${NL_CC:-$CC}
command -v "${NL_CC%% *}" >/dev/null 2>&1 || skip "no compiler $NL_CC"

n=200 s=50
build() {
	$NL_CC -g ${NL_INSTR:--finstrument-functions} -pthread "$@" \
		-I"$SRCPROGS" -o nonlocal "$SRCPROGS/nonlocal.c" 2>build.err ||
		fail "cannot build nonlocal.c with $NL_CC $*" build.err
}

# check MODE N LEVELS HANDLER: run nonlocal MODE N, with the calls
# expected of each level and of the handler.
check() {
	_m=$1 _n=$2 _levels=$3 _handler=$4
	run rec-$_m "$CPROF" record --no-counters -o $_m.cprof -- ./nonlocal $_m $_n
	expect_status "nonlocal $_m under cprof record" 0 rec-$_m.err
	expect_grep "nonlocal $_m ran unchanged" "^done $_n\$" rec-$_m.out
	run rep-$_m "$CPROF" report --format json $_m.cprof
	expect_status "cprof report of nonlocal $_m" 0 rep-$_m.err
	mv rep-$_m.out $_m.json
	for f in level1 level2 level3; do
		jeq "$_m: calls of $f" $_m.json "calls('$f')" "$_levels"
		# A jump out of the handler may take long (a sanitizer's own
		# longjmp unpoisons the stack): that is the handler's time.
		jcheck "$_m: $f's frames closed at the jump" $_m.json \
			"total('$f') - total('on_sig') < self('after') / 2"
	done
	jeq "$_m: calls of on_sig" $_m.json "calls('on_sig')" "$_handler"
	jeq "$_m: calls of in_handler" $_m.json "calls('in_handler')" "$_handler"
	jeq "$_m: main and after once" $_m.json "(calls('main'), calls('after'))" "[1, 1]"
	jcheck "$_m: after() spun 40 ms" $_m.json "self('after') >= 39600000"
	jcheck "$_m: main keeps its 40 ms" $_m.json "self('main') >= 39600000"
	jeq "$_m: no thread marked unreliable" $_m.json \
		"[t['tid'] for t in j['threads'] if t['unreliable']]" "[]"
}

tsan_options=${TSAN_OPTIONS:-}
for flags in "-O1" "-O2 -D_FORTIFY_SOURCE=2"; do
	build $flags
	TSAN_OPTIONS=$tsan_options
	case $flags in
	*FORTIFY*)
		grep -q __longjmp_chk nonlocal ||
			echo "note: $NL_CC $flags did not use __longjmp_chk"
		# ThreadSanitizer intercepts longjmp and siglongjmp but not
		# __longjmp_chk (nm -D libtsan.so): after such a jump out of a
		# handler it believes the thread is still in the handler, and
		# reports the program's next malloc as a signal-unsafe call.
		# That is TSan's own, with or without cprof.
		if [ "${TSAN:-no}" = yes ]; then
			echo "note: TSan does not intercept __longjmp_chk: report_signal_unsafe=0"
			TSAN_OPTIONS=$tsan_options:report_signal_unsafe=0
		fi ;;
	esac
	export TSAN_OPTIONS
	check jump $n $n 0
	check sigjump $n $n 0
	check altjump $s $s $s
	check altret $s $s $s
	check thread $s $((2 * s)) $((2 * s))
	jcheck "altret: the handler nests in level3" altret.json \
		"total('level3') >= total('on_sig')"

	run rec-deep "$CPROF" record --no-counters -o deep.cprof -- ./nonlocal deep $n
	expect_status "nonlocal deep under cprof record" 0 rec-deep.err
	run rep-deep "$CPROF" report --format json deep.cprof
	mv rep-deep.out deep.json
	jeq "deep: every activation of rec closes once" deep.json "calls('rec')" $((6 * n))
	jcheck "deep: rec's frames closed at the jump" deep.json \
		"total('rec') < self('after') / 2"
done
exit 0
