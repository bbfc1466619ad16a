#!/bin/sh
# e2e-fdtake.sh - a program that closes every descriptor from 3 up and
# puts its own (a pipe) on every number the runtime uses, then forks:
# neither the fork child's runtime (closing the parent's log, counters
# and files by number), nor its end, nor a new thread's counters close or
# write any of the program's numbers (t/progs/fdtake.c), with counters
# and without. The profile of what can still be recorded is kept.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog fdtake
need_python

status=0
"$PROGS/fdtake" >plain.out 2>plain.err || status=$?
expect_status "fdtake without cprof" 0 plain.out plain.err

counters=
[ "$(perf_try 1 1)" = ok ] && counters="-e task-clock,page-faults,context-switches"
for opts in --no-counters "$counters"; do
	[ -n "$opts" ] || continue
	c=run$(echo "$opts" | tr -d ' -')
	run $c "$CPROF" stat --format json -o $c.json $opts -- "$PROGS/fdtake"
	expect_status "fdtake under cprof $opts" 0 $c.out $c.err
	cmp -s plain.out $c.out || fail "$c: the program saw its numbers taken" \
		plain.out $c.out $c.err
	jeq "$c: the parent's steps at least" $c.json "calls('step') >= 100" true
done
exit 0
