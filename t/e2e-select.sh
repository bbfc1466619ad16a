#!/bin/sh
# e2e-select.sh - record-time selection: --exclude leaves out the calls
# of the functions it matches (C names, C++ names demangled with or
# without their parameters, functions of a plugin loaded by dlopen after
# the start), --filter keeps only the matched functions and what they
# call, --min-duration drops shorter calls but still counts them exactly;
# the report and its JSON say which selection was in force, and bad
# patterns and times are one-line usage errors (t/progs/calls.c,
# t/progs/cxx.cc, t/progs/dlreload.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_prog cxx
need_python

# --exclude: leaf and rec disappear; their callers stay exact.
run ex "$CPROF" stat --no-counters --format json -o ex.json \
	--exclude=leaf --exclude='re?' -- "$PROGS/calls"
expect_status "calls with --exclude" 0 ex.err
jeq "excluded: leaf" ex.json "calls('leaf')" 0
jeq "excluded: rec" ex.json "calls('rec')" 0
for fc in main:1 mid:100 bottom:5 heavy:3 helper_static:7 init_fn:1; do
	jeq "kept: calls of ${fc%:*}" ex.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "the JSON names the selection" ex.json \
	"j['processes'][0]['selection']" \
	'{"exclude": ["leaf", "re?"], "filter": [], "min_duration_ns": 0}'
jcheck "mid's self holds its leaves' time" ex.json \
	"self('mid') == total('mid')"

# --filter: rec and what it calls, nothing outside.
run fi "$CPROF" stat --no-counters --format json -o fi.json \
	--filter=rec -- "$PROGS/calls"
expect_status "calls with --filter" 0 fi.err
jeq "filtered: only rec and its callee" fi.json "sorted(names())" \
	'["bottom", "rec"]'
jeq "filtered: calls of rec" fi.json "calls('rec')" 50
jeq "filtered: calls of bottom" fi.json "calls('bottom')" 5

# Both, on the table: the header says what was in force.
run both "$CPROF" stat --no-counters --filter='m*' --exclude=leaf \
	-- "$PROGS/calls"
expect_status "calls with --filter and --exclude" 0 both.err
expect_grep "the table's header names the selection" \
	"selection in force: --filter='m\\*' --exclude='leaf'" both.err
expect_grep "mid is under main" "^mid .* 100 " both.err
expect_no_grep "leaf is excluded" "^leaf " both.err
expect_no_grep "init_fn runs outside main" "^init_fn " both.err

# Beside the other options of stat (each takes a value of its own).
run tree "$CPROF" stat --no-counters --tree --exclude=leaf --min-duration=0 \
	-- "$PROGS/calls"
expect_status "calls with --tree and --exclude" 0 tree.err
expect_grep "--tree is still --tree" "Calling-context tree" tree.err
expect_grep "--exclude is still --exclude" "selection in force: --exclude='leaf'" tree.err

# --min-duration: leaf and mid calls are shorter than 1 ms, the spinning
# ones are not; every call is still counted.
run md "$CPROF" stat --no-counters --format json -o md.json \
	--min-duration=1ms -- "$PROGS/calls"
expect_status "calls with --min-duration" 0 md.err
for fc in main:1 mid:100 leaf:1000 helper_static:7 rec:50 bottom:5 heavy:3; do
	jeq "min-duration: calls of ${fc%:*}" md.json "calls('${fc%:*}')" "${fc#*:}"
done
jcheck "min-duration: leaf and mid have (almost) no time of their own" md.json \
	"total('mid') < 1000000 * 3"
jeq "min-duration in the JSON" md.json \
	"j['processes'][0]['selection']['min_duration_ns']" 1000000
jcheck "min-duration: heavy keeps its time" md.json \
	"self('heavy') >= 89000000"

# C++: the demangled name, with or without its parameters.
run cx "$CPROF" stat --no-counters --format json -o cx.json \
	--exclude='ns::Klass::method' --exclude='int ns::twice<int>(int)' \
	-- "$PROGS/cxx"
expect_status "cxx with --exclude" 0 cx.err
jeq "C++: method excluded by its name" cx.json \
	"calls('ns::Klass::method(int)')" 0
jeq "C++: twice<int> excluded by its full name" cx.json \
	"calls('int ns::twice<int>(int)')" 0
jeq "C++: twice<double> kept" cx.json "calls('double ns::twice<double>(double)')" 6
jeq "C++: smethod kept" cx.json "calls('ns::Klass::smethod(double)')" 3
# A pattern without a space is matched against names without their
# return type: 'double*' names no function here (a template's demangled
# name begins with its return type), 'ns::twice<double>' names one.
run cx2 "$CPROF" stat --no-counters --format json -o cx2.json \
	--exclude='double*' --exclude='ns::twice<double>' -- "$PROGS/cxx"
expect_status "cxx with untyped patterns" 0 cx2.err
jeq "C++: twice<double> excluded by its name without return type" cx2.json \
	"calls('double ns::twice<double>(double)')" 0
jeq "C++: a return type is no name: smethod(double) kept" cx2.json \
	"calls('ns::Klass::smethod(double)')" 3
jcheck "C++: twice<int> kept" cx2.json "calls('int ns::twice<int>(int)') > 0"

# A plugin loaded after the start: its functions are matched too.
if command -v "${CC%% *}" >/dev/null 2>&1; then
	cflags="-finstrument-functions -g -O1 -I$SRCPROGS"
	$CC $cflags -fPIC -shared -DPLUGIN_FN=a_fn -o libplugA.so \
		"$SRCPROGS/dlplugin.c" 2>>build.log &&
		$CC $cflags -fPIC -shared -DPLUGIN_FN=b_fn -o libplugB.so \
			"$SRCPROGS/dlplugin.c" 2>>build.log &&
		$CC $cflags -o dlreload "$SRCPROGS/dlreload.c" -ldl 2>>build.log ||
		hard_error "cannot build the plugins: $(cat build.log)"
	run dl "$CPROF" stat --no-counters --format json -o dl.json \
		--exclude=a_fn -- "$T/dlreload" "$T/libplugA.so" "$T/libplugB.so"
	expect_status "dlreload with --exclude" 0 dl.err
	jeq "dlopen: a_fn excluded" dl.json "calls('a_fn')" 0
	jeq "dlopen: b_fn kept" dl.json "calls('b_fn')" 2
	jeq "dlopen: use() kept" dl.json "calls('use')" 2
fi

# Bad patterns and times: one line and the usage, status 2, nothing run.
for bad in "--filter=" "--exclude=[ab" "--exclude=a\\" \
	"--min-duration=2" "--min-duration=2x" "--min-duration=-1us" \
	"--min-duration=ms" "--min-duration=99999h"; do
	run badopt "$CPROF" stat "$bad" -- "$PROGS/calls"
	expect_status "'$bad' is refused" 2 badopt.err
	[ ! -s badopt.out ] || fail "'$bad': the program ran" badopt.out
	expect_grep "'$bad': one line naming the option" \
		"^cprof: --(filter|exclude|min-duration): bad" badopt.err
	run badrec "$CPROF" record -o bad.cprof "$bad" -- "$PROGS/calls"
	expect_status "record '$bad' is refused" 2 badrec.err
done
exit 0
