#!/bin/sh
# e2e-forkcost.sh - the fork children of a process that records nothing
# (a shell, make) run without a writer thread of the runtime until they
# make a thread: a thread must get a processor to start and again to die
# before the child can be reaped, which made every child milliseconds
# late on a loaded machine (shell loops several times slower). What such
# children record still reaches the profile, whole: their thread drains
# its own ring when half full and at its end, and a writer starts when
# they make a thread (t/progs/forkmany.c). Counted in threads, not time.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog forkmany
need_python

F=$PROGS/forkmany
run tasks "$CPROF" stat --no-counters -o table.txt -- "$F" tasks 50
expect_status "forkmany tasks under cprof" 0 tasks.err
# A sanitizer's runtime may keep a thread of its own in each child (seen
# with clang's shared ASan runtime): the count is the runtime's then.
if [ "$SANITIZE" != yes ]; then
	expect_eq "children of an uninstrumented process have one thread" \
		"0 with more than one thread" "$(cat tasks.out)" tasks.err
fi

# 3 children of 40000 steps: each fills its ring past half several times.
run steps "$CPROF" stat --no-counters --format json -o steps.json -- \
	"$F" steps 3 40000
expect_status "forkmany steps under cprof" 0 steps.err
jeq "every step of the children" steps.json "calls('step')" 120000
jcheck "every child finished its log" steps.json \
	"all(p['finished'] for p in j['processes'])"

# ThreadSanitizer (gcc 12's) dies in a fork child that makes a thread
# while its parent had one alive ("dup thread with used id": the new
# thread reuses the dead one's stack and pthread_t, still in TSan's
# registry; with TSan alone too): not run under it.
if [ "${TSAN:-no}" = yes ]; then
	echo "note: thread mode not run: TSan dies in a fork child that makes a thread"
	exit 0
fi
run thread "$CPROF" stat --no-counters --format json -o thread.json -- \
	"$F" thread 3
expect_status "forkmany thread under cprof" 0 thread.err
jeq "every step, in the children's threads too" thread.json \
	"calls('step')" 600
exit 0
