#!/bin/sh
# e2e-exits.sh - every way out of a process that the runtime can see ends
# its log with the right end record, and the program's status and output
# are as without cprof: exit, _exit, _Exit, quick_exit, abort (with and
# without a SIGABRT handler of the program's), a fatal signal, the exec
# family (execv, fexecve, execveat). The ways out it cannot see (a raw
# exit_group, SIGKILL) are reported as what cprof knows from its wait
# status, never as a guess (t/progs/lifetime.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog lifetime
need_python

# The program's stdout on one line, "-" when empty.
out_of() {
	if [ -s "$1" ]; then tr '\n' '|' <"$1"; else echo -; fi
}

# mode status end_reason signal stdout
while read -r mode st reason sig out; do
	run "$mode" "$CPROF" stat --no-counters --format json -o "$mode.json" -- "$PROGS/lifetime" "$mode"
	expect_status "$mode under cprof stat" "$st" "$mode.err"
	expect_eq "$mode: the program's output" "$out" "$(out_of "$mode.out")" "$mode.err"
	jeq "$mode: calls before the way out" "$mode.json" "calls('work')" 10
	jeq "$mode: end reason" "$mode.json" "j['processes'][0]['end_reason']" "$reason"
	jeq "$mode: signal" "$mode.json" "j['processes'][0]['signal']" "$sig"
	jeq "$mode: every process ended with an end record" "$mode.json" \
		"all(p['finished'] and p['state'] == 'ended' for p in j['processes'])" true
	expect_no_grep "$mode: no warning" 'cprof:' "$mode.err"
done <<'MODES'
exit 4 exit 0 atexit|
_exit 5 exit 0 -
_Exit 6 exit 0 -
quick_exit 7 exit 0 -
abort 134 signal 6 -
abort-handled 134 signal 6 handled|
term 143 signal 15 -
MODES

# The exec family: the first image ends with "exec", the new one runs.
for mode in exec fexecve execveat; do
	run "$mode" "$CPROF" stat --no-counters --format json -o "$mode.json" -- "$PROGS/lifetime" "$mode"
	expect_status "$mode under cprof stat" 0 "$mode.err"
	jeq "$mode: two logs, ended by exec then exit" "$mode.json" \
		"sorted(p['end_reason'] for p in j['processes'])" '["exec", "exit"]'
	jeq "$mode: calls of the first image" "$mode.json" "calls('work')" 10
	jeq "$mode: calls of the new image" "$mode.json" "calls('child_fn')" 7
done

# Ways out nothing in the process sees: what cprof's wait status says.
run raw "$CPROF" record --no-counters -o raw.cprof -- "$PROGS/lifetime" raw-exit
expect_status "raw exit_group under cprof record" 3 raw.err
run rawrep "$CPROF" report --format json raw.cprof
jeq "raw exit: state from the wait status" rawrep.out "j['processes'][0]['state']" exited
jeq "raw exit: no end record" rawrep.out "j['processes'][0]['finished']" false
run rawtab "$CPROF" report raw.cprof
expect_grep "raw exit: the report says what is known" 'exited with status 3 without an end record' rawtab.out
expect_no_grep "raw exit: no guess" 'killed\?|did not finish' rawtab.err

run kill "$CPROF" record --no-counters -o kill.cprof -- "$PROGS/lifetime" kill
expect_status "SIGKILL under cprof record" 137 kill.err
run killrep "$CPROF" report --format json kill.cprof
jeq "SIGKILL: state from the wait status" killrep.out "j['processes'][0]['state']" killed
run killtab "$CPROF" report kill.cprof
expect_grep "SIGKILL: the report says the signal" 'killed by signal 9' killtab.out
expect_grep "SIGKILL: the warning says the signal" 'was killed by signal 9' killtab.err
expect_no_grep "SIGKILL: no guess" 'killed\?' killtab.err

# A log without run.meta (a process cprof did not start) is "ended
# without an end record", not "killed?".
rm kill.cprof/run.meta
run nometa "$CPROF" report kill.cprof
expect_grep "no run.meta: no end record, no guess" 'ended without an end record' nometa.err
expect_no_grep "no run.meta: no guess" 'killed\?' nometa.err
exit 0
