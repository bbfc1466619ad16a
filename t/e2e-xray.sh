#!/bin/sh
# e2e-xray.sh - a program built with clang -fxray-instrument needs no
# option: `cprof stat` and `cprof record` patch its sleds and count every
# call of every function that has sleds exactly (a tail call, a recursion,
# threads, arguments in vector registers and on the stack, a variadic
# call), whether the link exports XRay's symbols (-Wl,-E) or not, and the
# program prints and exits as it does alone (t/progs/xray.c). With
# CPROF_XRAY=off the sleds stay unpatched and record nothing, sleds that
# XRay's own runtime patched are left to it with a warning; a build
# without XRay is unaffected; XRay's default instruction threshold leaves
# small functions without sleds, and those have no calls: their rows
# (from samples) say "none", never an exact 0; --exclude leaves a
# function's sleds unpatched.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
command -v clang >/dev/null 2>&1 || skip "clang is not installed"
case $(uname -m) in
x86_64) ;;
*) skip "XRay sleds are patched on x86-64 only" ;;
esac
echo 'int main(void) { return 0; }' >probe.c
clang -fxray-instrument -o probe probe.c >probe.err 2>&1 ||
	skip "clang -fxray-instrument cannot link (install compiler-rt, e.g. libclang-rt-14-dev): $(head -n 1 probe.err)"

n=1000
xray="-fxray-instrument -fxray-instruction-threshold=1"
build() {
	_out=$1
	shift
	clang -O2 -g -pthread "$@" -I"$SRCPROGS" -o "$_out" \
		"$SRCPROGS/xray.c" 2>"$_out.build.err" ||
		fail "cannot build xray.c with clang $*" "$_out.build.err"
}
build xr $xray
build xr-export $xray -Wl,-E
build xr-default -fxray-instrument
build plain

# The program alone: what every run below must print and return.
run alone ./xr $n
expect_status "xray.c alone" 3 alone.err
expect_grep "xray.c printed its sums" "^sum [0-9]+$" alone.out

# counts NAME JSON: the exact calls of every function of t/progs/xray.c.
counts() {
	for fc in main:1 run:1 leaf:$((3 * n + n / 5)) tailer:$((2 * n)) \
		rec:$((11 * n / 10)) fsum:$n many:$n vsum:$n exits:$n worker:2; do
		jeq "$1: calls of ${fc%:*}" "$2" "calls('${fc%:*}')" "${fc#*:}"
	done
	jeq "$1: one process, finished" "$2" \
		"[p['finished'] for p in j['processes']]" "[true]"
	jeq "$1: nothing lost" "$2" "j['processes'][0]['lost']" 0
	jeq "$1: three threads" "$2" "len(j['threads'])" 3
}

for b in xr xr-export; do
	stat_json stat-$b ./$b $n
	expect_status "$b under cprof stat" 3 stat-$b.err
	cmp -s alone.out stat-$b.out ||
		fail "$b printed otherwise under cprof stat" alone.out stat-$b.out
	expect_no_grep "$b: no warning" "^cprof: .*XRay" stat-$b.err
	counts "stat $b" stat-$b.json
	# A tail call closes its caller before the callee starts: tailer's
	# total then excludes half of its leaf calls, never exceeds them all.
	jcheck "$b: recursion counted once in rec's total" stat-$b.json \
		"total('rec') <= total('run')"
	jcheck "$b: self <= total everywhere" stat-$b.json \
		"all(r['self_ns'] <= r['total_ns'] for r in j['functions'])"
done

run rec-xr "$CPROF" record --no-counters -o xr.cprof -- ./xr $n
expect_status "xr under cprof record" 3 rec-xr.err
cmp -s alone.out rec-xr.out ||
	fail "xr printed otherwise under cprof record" alone.out rec-xr.out
run rep-xr "$CPROF" report --format json xr.cprof
expect_status "cprof report of xr" 0 rep-xr.err
mv rep-xr.out rep-xr.json
counts "record xr" rep-xr.json

# Unpatched sleds: the program runs as alone and records no call.
CPROF_XRAY=off
export CPROF_XRAY
stat_json off ./xr $n
unset CPROF_XRAY
expect_status "xr with CPROF_XRAY=off" 3 off.err
cmp -s alone.out off.out ||
	fail "xr printed otherwise with CPROF_XRAY=off" alone.out off.out
jeq "CPROF_XRAY=off: no call recorded" off.json \
	"calls('leaf') + calls('main') + calls('run')" 0

# Sleds the program's own XRay runtime patched already are left to it,
# with one warning, and the program runs as alone.
XRAY_OPTIONS="patch_premain=true verbosity=0"
export XRAY_OPTIONS
stat_json premain ./xr $n
unset XRAY_OPTIONS
expect_status "xr with XRay's patch_premain" 3 premain.err
cmp -s alone.out premain.out ||
	fail "xr printed otherwise with patch_premain" alone.out premain.out
expect_grep "patch_premain: one warning" "^cprof: XRay sleds patched already" premain.err
jeq "patch_premain: no call recorded" premain.json "calls('leaf')" 0

# No XRay: nothing changes, nothing is said.
stat_json plain ./plain $n
expect_status "plain build under cprof stat" 3 plain.err
cmp -s alone.out plain.out ||
	fail "the plain build printed otherwise under cprof stat" alone.out plain.out
expect_no_grep "plain build: no XRay warning" "XRay" plain.err

# The default threshold (200 instructions): the tiny functions have no
# sleds and no calls (their time is their callers'); the larger ones
# (clang 14: run, worker, vsum) keep theirs, exact.
stat_json default ./xr-default $n
expect_status "xr-default under cprof stat" 3 default.err
cmp -s alone.out default.out ||
	fail "xr-default printed otherwise" alone.out default.out
jeq "default threshold: leaf and main have no sleds, no calls" default.json \
	"(calls('leaf'), calls('main'))" "[0, 0]"
jeq "default threshold: run and worker still counted" default.json \
	"(calls('run'), calls('worker'))" "[1, 2]"
# A function without sleds is never shown with an exact count: its row
# (from samples, when any fell in it) says its calls have no source.
jeq "default threshold: calls without sleds are marked none" default.json \
	"[r['name'] for r in j['functions'] if r['calls_source'] != ('exact' if r['calls'] else 'none')]" "[]"
jeq "default threshold: run's calls are exact" default.json \
	"[r['calls_source'] for r in rows('run')]" '["exact"]'

# --exclude: the sleds of leaf are left unpatched; the other functions
# keep exact counts, leaf has none.
run exclude "$CPROF" stat --format json -o exclude.json --exclude=leaf \
	-- ./xr $n
expect_status "xr with --exclude=leaf" 3 exclude.err
cmp -s alone.out exclude.out ||
	fail "xr printed otherwise with --exclude" alone.out exclude.out
jeq "--exclude: leaf not counted" exclude.json "calls('leaf')" 0
jeq "--exclude: leaf never shown as exact" exclude.json \
	"[r['calls_source'] for r in rows('leaf') if r['calls_source'] != 'none']" "[]"
for fc in main:1 run:1 tailer:$((2 * n)) rec:$((11 * n / 10)) worker:2; do
	jeq "--exclude: calls of ${fc%:*}" exclude.json "calls('${fc%:*}')" "${fc#*:}"
done
# Hooked and XRay frames in one stack: an XRay function calls a hooked
# library function (the hook's position is after the prologue, XRay's
# before it), which calls back into an XRay function. Each nests in the
# one that called it.
if command -v "${CC%% *}" >/dev/null 2>&1; then
	$CC -O2 -g -fPIC -shared -finstrument-functions -I"$SRCPROGS" \
		-o libxraylib.so "$SRCPROGS/xray-lib.c" 2>lib.build.err ||
		fail "cannot build xray-lib.c with $CC" lib.build.err
	clang -O2 -g $xray -I"$SRCPROGS" -o mixed "$SRCPROGS/xray-mixed.c" \
		-L. -lxraylib -Wl,-rpath,"$T" 2>mixed.build.err ||
		fail "cannot build xray-mixed.c" mixed.build.err
	run mixed-alone ./mixed $n
	expect_status "mixed alone" 0 mixed-alone.err
	# The nesting checks below are of times: every call timed.
	STAT_OPTS=--time-all
	stat_json mixed ./mixed $n
	STAT_OPTS=
	expect_status "mixed under cprof stat" 0 mixed.err
	cmp -s mixed-alone.out mixed.out ||
		fail "mixed printed otherwise under cprof stat" mixed-alone.out mixed.out
	for fc in main:1 outer:$n lib_twice:$n cb:$((2 * n)); do
		jeq "mixed: calls of ${fc%:*}" mixed.json "calls('${fc%:*}')" "${fc#*:}"
	done
	# Nested: each total holds its callees', minus rounding (marker self
	# times: samples in the C library are its rows, in the totals only).
	jcheck "mixed: cb nests in lib_twice" mixed.json \
		"abs(total('lib_twice') - mself('lib_twice') - total('cb')) <= $n"
	jcheck "mixed: lib_twice nests in outer" mixed.json \
		"abs(total('outer') - mself('outer') - total('lib_twice')) <= $n"
	jeq "mixed: no thread marked unreliable" mixed.json \
		"[t['tid'] for t in j['threads'] if t['unreliable']]" "[]"
fi
exit 0
