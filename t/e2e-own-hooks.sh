#!/bin/sh
# e2e-own-hooks.sh - programs whose calls the runtime cannot see say why
# (t/progs/ownhooks.c):
#  - a program that defines its own __cyg_profile_func_enter/exit runs as
#    without cprof; its log header names it (key own_hooks) and the report
#    says it defines its own hooks, not "was the program built with
#    -finstrument-functions?";
#  - hooks defined in a shared library the program uses come after the
#    preloaded runtime: the calls are recorded and nothing is said;
#  - a program without hooks of its own is not flagged;
#  - a statically linked program runs, and cprof says it is statically
#    linked (skipped without a static C library); as root, a program
#    set-user-ID to another user is named so.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python

build() {
	$CC -O1 -g -finstrument-functions "$@" || hard_error "cannot build $*"
}
build "$SRCPROGS/ownhooks.c" -o own
build -fPIC -shared -DHOOKS_IN_LIB "$SRCPROGS/ownhooks.c" -o libown.so
build -DUSE_LIB "$SRCPROGS/ownhooks.c" -o uselib -L. -lown -Wl,-rpath,"$T"

run own-plain ./own
expect_status "own hooks without cprof" 0 own-plain.err
run own "$CPROF" stat --no-counters -- ./own
expect_status "own hooks under cprof stat" 0 own.err
cmp -s own-plain.out own.out || fail "the program's output changed" own-plain.out own.out
expect_grep "the report says the program has its own hooks" \
	'defines its own __cyg_profile_func_enter/exit' own.err
expect_no_grep "no hint that blames the build" 'built with -finstrument-functions' own.err
stat_json ownj ./own
jeq "the JSON names the object with the hooks" ownj.json \
	"j['processes'][0]['own_hooks'].endswith('/own')" true

run uselib "$CPROF" stat --format json -o uselib.json --no-counters -- ./uselib
expect_status "hooks in a library under cprof stat" 0 uselib.err
jeq "hooks in a library: the runtime records the calls" uselib.json "calls('work')" 1000
jeq "hooks in a library: not flagged" uselib.json "j['processes'][0]['own_hooks']" None
expect_eq "hooks in a library: the library's hooks saw nothing" \
	"own hooks saw 0 calls" "$(cat uselib.out)"

stat_json calls "$PROGS/calls" 3
jeq "a program without hooks of its own is not flagged" calls.json \
	"j['processes'][0]['own_hooks']" None

printf 'int main(void){return 3;}\n' >st.c
if $CC -static -O1 -finstrument-functions st.c -o static 2>/dev/null; then
	run static "$CPROF" stat --no-counters -- ./static
	expect_status "a static program under cprof stat" 3 static.err
	expect_grep "cprof says the program is statically linked" \
		'nothing was recorded: it is statically linked' static.err
	run static-rec "$CPROF" record --no-counters -o st.cprof -- ./static
	expect_status "a static program under cprof record" 3 static-rec.err
	expect_grep "record says it too" 'statically linked' static-rec.err
else
	echo "no static C library: the static program is not tried"
fi

if [ "$(id -u)" = 0 ]; then
	# Not a sanitizer build of a program: a set-user-ID process cannot
	# read its environment's ASAN_OPTIONS, and LeakSanitizer fails in it.
	printf 'int main(void){return 0;}\n' >suid.c
	$CC -O1 suid.c -o suid || hard_error "cannot build suid.c"
	chown 65534 suid && chmod 4755 suid
	run suid "$CPROF" stat --no-counters -- ./suid
	expect_status "a set-user-ID program under cprof stat" 0 suid.err
	expect_grep "cprof says the program is set-user-ID" \
		'nothing was recorded: it is set-user-ID' suid.err
fi
exit 0
