#!/bin/sh
# e2e-smallstack.sh - a thread on a small stack (16 KiB, PTHREAD_STACK_MIN
# on x86-64) execs with an environment of its own, small or large: the
# exec wrappers build the environment they complete off the caller's
# stack, so the program behaves as without cprof, and the child is
# profiled (it got the runtime's variables) whatever the environment's
# size (t/progs/smallstack.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog smallstack
need_python

size=16384
# The sanitizers' own frames need more: the bound still holds, larger.
[ "$SANITIZE" = yes ] && size=65536
for n in 10 1500 6000; do
	status=0
	"$PROGS/smallstack" $n $size >plain$n.out 2>plain$n.err || status=$?
	expect_status "smallstack $n without cprof" 0 plain$n.out plain$n.err
	run s$n "$CPROF" stat --no-counters --format json -o s$n.json -- \
		"$PROGS/smallstack" $n $size
	expect_status "smallstack $n under cprof" 0 s$n.out s$n.err
	cmp -s plain$n.out s$n.out || fail "s$n: output changed" s$n.out s$n.err
	jeq "s$n: the exec'd child is profiled" s$n.json "calls('step')" 100
done
exit 0
