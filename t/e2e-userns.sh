#!/bin/sh
# e2e-userns.sh - a program that enters a user namespace after start
# (unshare(CLONE_NEWUSER), setns() with nstype CLONE_NEWUSER or 0) behaves
# as without cprof, though the kernel allows it only to a single-threaded
# process and the runtime's writer is a thread: the runtime stops its
# writer for the call and starts it again. A program with a thread of its
# own gets EINVAL, as without cprof. The profile is complete either way
# (t/progs/userns.c), with counters too.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog userns
need_python

status=0
"$PROGS/userns" unshare >probe.out 2>probe.err || status=$?
[ $status = 0 ] && [ "$(cat probe.out)" = "unshare ok" ] ||
	skip "this kernel refuses unshare(CLONE_NEWUSER) even without cprof: $(cat probe.out probe.err)"

counters=--no-counters
[ "$(perf_try 1 1)" = ok ] && counters="-e task-clock"

modes="unshare unshare-twice setns setns0 threads"
# ThreadSanitizer runs a background thread of its own in every process it
# is loaded in (gdb shows it in internal_usleep): the process is never
# single-threaded, so unshare(CLONE_NEWUSER) and setns into a user
# namespace fail under it whatever the runtime does. Only the mode where
# the program has a thread of its own means the same there.
if [ "${TSAN:-no}" = yes ]; then
	echo "note: under TSan its own thread makes unshare/setns fail: only the threads mode runs"
	modes=threads
fi
for mode in $modes; do
	for opts in --no-counters "$counters"; do
		c=$mode$(echo "$opts" | tr -d ' -')
		status=0
		"$PROGS/userns" $mode >plain-$c.out 2>plain-$c.err || status=$?
		expect_status "userns $mode without cprof" 0 plain-$c.err
		run $c "$CPROF" stat --format json -o $c.json $opts -- \
			"$PROGS/userns" $mode
		expect_status "userns $mode under cprof $opts" 0 $c.err
		cmp -s plain-$c.out $c.out ||
			fail "$c: the calls' outcome changed under cprof" plain-$c.out $c.out
		expect_lines "$c: nothing on stderr" 0 $c.err
		jeq "$c: every call in the profile" $c.json "calls('step')" 200
		jcheck "$c: every process finished its log" $c.json \
			"all(p['finished'] for p in j['processes'])"
	done
done
expect_eq "with a thread of its own, the program gets EINVAL" \
	"unshare with a thread EINVAL" "$(cat threadsnocounters.out)"
exit 0
