#!/bin/sh
# e2e-vfork.sh - a vfork() child, which runs in its parent's memory until
# it execs, records and writes nothing: the events of instrumented code it
# runs (more than a ring holds) are in no profile and do not hold it up,
# and the parent's profile is whole. A child that misbehaves after a
# failed exec (instrumented calls, exit() instead of _exit()) does not
# make cprof record hang, and the report says what it knows of the
# parent's end (t/progs/lifetime.c, modes vfork and vfork-bad; the vfork
# and exec path itself is in e2e-fork.sh).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog lifetime
need_python
# The vfork() wrapper is written in assembly, for x86-64 only so far.
[ "$(uname -m)" = x86_64 ] || skip "no vfork() wrapper on $(uname -m) yet"
E2E_TIMEOUT=60
_timeout="timeout -k 5 $E2E_TIMEOUT"
command -v timeout >/dev/null 2>&1 || _timeout=

for mode in --no-counters ""; do
	run vf "$CPROF" stat $mode --format json -o vf.json -- "$PROGS/lifetime" vfork
	expect_status "vfork $mode" 0 vf.err
	expect_eq "vfork $mode: the program's output" "child 0|atexit|" "$(tr '\n' '|' <vf.out)" vf.err
	jeq "vfork $mode: the child's calls are nowhere" vf.json "calls('vchild')" 0
	jeq "vfork $mode: the parent's calls" vf.json "calls('work')" 20
	jeq "vfork $mode: one process, ended by exit" vf.json \
		"[(p['finished'], p['end_reason'], p['lost']) for p in j['processes']]" '[[true, "exit", 0]]'
	jeq "vfork $mode: one thread" vf.json "len(j['threads'])" 1
done

run bad "$CPROF" record --no-counters -o bad.cprof -- "$PROGS/lifetime" vfork-bad
expect_status "vfork child exiting with exit() after a failed exec" 0 bad.err
expect_grep "the parent went on after its child" '^child 1$' bad.out
run badrep "$CPROF" report --format json bad.cprof
expect_status "report of the misbehaving child's run" 0 badrep.err
jeq "the misbehaving child's calls are nowhere" badrep.out "calls('vchild')" 0
jeq "one process" badrep.out "len(j['processes'])" 1
# The child ran the parent's exit handlers (glibc then takes no new ones),
# so the parent may end without an end record: the report knows how.
jeq "the parent ended by exit, or as its wait status says" badrep.out \
	"j['processes'][0]['state'] in ('ended', 'exited')" true
expect_no_grep "no guess" 'killed\?' badrep.err
exit 0
