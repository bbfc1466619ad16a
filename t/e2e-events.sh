#!/bin/sh
# e2e-events.sh - choosing counters: an unknown event and a refused one are
# one-line errors that stop cprof before the program runs; the selection
# reaches the program's environment as CPROF_EVENTS, CPROF_SAMPLE,
# CPROF_EXACT and CPROF_CALLCHAIN; the default events fall back to
# software events on a machine without a hardware PMU, saying so in one
# line; and `cprof list` marks the events this kernel accepts.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli

# `cprof list`: task-clock accepted, a legend, status 0.
run list "$CPROF" list
expect_status "cprof list" 0 list.err
expect_grep "cprof list marks task-clock as accepted" '^ +\* task-clock ' list.out
expect_grep "cprof list explains its mark" '^\*: accepted by this kernel' list.out
expect_grep "cprof list names the generic events first" '^generic events:$' list.out
[ "$(head -n 1 list.out)" = "generic events:" ] ||
	fail "cprof list: the generic events come first" list.out
[ ! -s list.err ] || fail "cprof list wrote on stderr" list.err

# A pattern keeps the matching events only, in any case.
run page "$CPROF" list PAGE
expect_status "cprof list PAGE" 0 page.err
expect_grep "cprof list PAGE lists page-faults" '^ +\* page-faults ' page.out
expect_no_grep "cprof list PAGE leaves task-clock out" 'task-clock' page.out
expect_no_grep "cprof list PAGE leaves cycles out" ' cycles ' page.out
run nomatch "$CPROF" list no-such-event-anywhere
expect_status "cprof list of a pattern nothing matches" 1 nomatch.err
expect_lines "cprof list of a pattern nothing matches: one line" 1 nomatch.err

# An unknown event: status 2, one line naming it and `cprof list`,
# nothing run, for stat and record alike.
for cmd in stat record; do
	run unknown-$cmd "$CPROF" $cmd -e nosuchevent -- touch ran
	expect_status "cprof $cmd -e nosuchevent" 2 unknown-$cmd.err
	expect_lines "cprof $cmd -e nosuchevent: one line" 1 unknown-$cmd.err
	expect_eq "cprof $cmd -e nosuchevent: the line" \
		"cprof: unknown event 'nosuchevent' (see 'cprof list')" \
		"$(cat unknown-$cmd.err)" unknown-$cmd.err
	[ ! -e ran ] || fail "cprof $cmd -e nosuchevent ran the program"
	[ ! -e cprof.data ] || fail "cprof $cmd -e nosuchevent made a run"
done

# A hardware event where the machine has no PMU: one line naming the
# event and why, status 1, nothing run. Where cycles works, skipped.
if grep -E -q '^ +\* cycles ' list.out; then
	echo "cycles works on this machine: the refused-event check is skipped"
	hw=yes
else
	hw=no
	# Alone, and after an event the kernel takes.
	for cmd in stat record; do
		list=cycles
		[ $cmd = stat ] || list=task-clock,cycles
		run refused-$cmd "$CPROF" $cmd -e $list -- touch ran
		[ "$status" != 0 ] || fail "cprof $cmd -e cycles succeeded" refused-$cmd.err
		expect_status "cprof $cmd -e cycles" 1 refused-$cmd.err
		expect_lines "cprof $cmd -e cycles: one line" 1 refused-$cmd.err
		expect_grep "cprof $cmd -e cycles: the line names cycles and why" \
			"^cprof: event 'cycles': (not supported by this machine \\(no hardware PMU\\?\\)|not permitted)" \
			refused-$cmd.err
		[ ! -e ran ] || fail "cprof $cmd -e cycles ran the program"
		[ ! -e cprof.data ] || fail "cprof $cmd -e cycles made a run"
	done
fi

# The selection as the program sees it.
env_of() {
	_ename=$1
	shift
	run "$_ename" "$CPROF" stat -o "$_ename.table" "$@" -- env
	expect_status "env under cprof stat $*" 0 "$_ename.err"
	grep -E '^CPROF_(EVENTS|SAMPLE|EXACT|CALLCHAIN)=' "$_ename.out" | sort >"$_ename.vars"
}
# 4 counts kernel mode too (perf_event_paranoid allows it), 6 does not.
env_of sampling -e task-clock,page-faults -c 5000 -g
expect_grep "CPROF_EVENTS of -e task-clock,page-faults" \
	'^CPROF_EVENTS=task-clock,1,1,0,0,[46];page-faults,1,2,0,0,[46]$' sampling.vars
expect_grep "CPROF_SAMPLE of -c 5000" '^CPROF_SAMPLE=period:5000$' sampling.vars
expect_grep "CPROF_CALLCHAIN of -g" '^CPROF_CALLCHAIN=1$' sampling.vars
expect_no_grep "no CPROF_EXACT without --exact" 'CPROF_EXACT' sampling.vars

env_of freq -e cpu-clock -F 250
expect_grep "CPROF_SAMPLE of -F 250" '^CPROF_SAMPLE=freq:250$' freq.vars
expect_no_grep "no CPROF_CALLCHAIN without -g" 'CPROF_CALLCHAIN' freq.vars

# Values inherited from cprof's own environment do not leak through.
CPROF_EXACT=1 CPROF_CALLCHAIN=1 CPROF_SAMPLE=period:1
export CPROF_EXACT CPROF_CALLCHAIN CPROF_SAMPLE
env_of exact -e page-faults --exact
unset CPROF_EXACT CPROF_CALLCHAIN CPROF_SAMPLE
expect_grep "CPROF_EVENTS of --exact" '^CPROF_EVENTS=page-faults,1,2,0,0,[46]$' exact.vars
expect_grep "CPROF_EXACT of --exact" '^CPROF_EXACT=1$' exact.vars
expect_no_grep "--exact samples nothing" 'CPROF_(SAMPLE|CALLCHAIN)' exact.vars

CPROF_EVENTS=x,1,1,0,0,0
export CPROF_EVENTS
env_of none --no-counters
unset CPROF_EVENTS
[ ! -s none.vars ] || fail "--no-counters: no counter variable expected" none.vars

# The default events. Without a PMU they are the software ones, and one
# line on stderr says why, once the program has started: a program that
# cannot be run gets only the line saying so.
env_of defaults
if [ $hw = yes ]; then
	expect_grep "default events with a PMU" '^CPROF_EVENTS=cycles,' defaults.vars
	[ ! -s defaults.err ] || fail "a note with the hardware defaults" defaults.err
else
	expect_grep "default events without a PMU" \
		'^CPROF_EVENTS=task-clock,1,1,0,0,[46];page-faults,1,2,0,0,[46];context-switches,1,3,0,0,[46]$' \
		defaults.vars
	expect_grep "default sampling rate" '^CPROF_SAMPLE=freq:1000$' defaults.vars
	expect_lines "the fallback note: one line" 1 defaults.err
	expect_grep "the fallback note says why and what instead" \
		"^cprof: cycles: .+; counting task-clock,page-faults,context-switches instead$" \
		defaults.err
	for cmd in stat record; do
		run notrun-$cmd "$CPROF" $cmd -- ./no-such-program
		expect_status "cprof $cmd of a missing program" 127 notrun-$cmd.err
		expect_lines "cprof $cmd of a missing program: no note" 1 notrun-$cmd.err
	done
fi

# Option combinations that mean nothing are usage errors.
usage_error() {
	_what=$1
	shift
	run usage "$CPROF" stat "$@" -- touch ran
	expect_status "$_what" 2 usage.err
	expect_grep "$_what: a usage line" '^usage: ' usage.err
	[ ! -e ran ] || fail "$_what: the program ran"
}
usage_error "-F with -c" -F 100 -c 1000
usage_error "--exact with -c" --exact -c 1000
usage_error "--exact with -g" --exact -g
usage_error "--no-counters with -e" --no-counters -e task-clock
usage_error "-F 0" -F 0
usage_error "-c with no number" -c many

# The program's status comes through with counters as without.
run status "$CPROF" stat -o status.table -e task-clock,page-faults -- sh -c 'exit 3'
expect_status "cprof stat -e task-clock of a program exiting 3" 3 status.err
exit 0
