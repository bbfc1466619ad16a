#!/bin/sh
# e2e-rawclone.sh - processes and threads made by a raw clone() (the
# clone system call, syscall(SYS_fork), a container's init) never see the
# runtime's fork handlers and write into a copy of their creator's ring, or
# into the ring itself with CLONE_VM: nobody drains it for them. They must
# run as without cprof (no hang waiting for a drain), and the runtime says
# once that they are not profiled (t/progs/rawclone.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli

$CC -O1 -g -finstrument-functions -I"$SRCPROGS" -o rawclone \
	"$SRCPROGS/rawclone.c" 2>build.err || fail "cannot build rawclone.c" build.err

# More calls than a ring holds, so that the child fills it: all timed
# (--time-all), or adaptive timing would only count them.
n=200000
modes="fork vm"
# TSan keeps its own state per thread in the thread's TLS, which a raw
# CLONE_VM thread shares with its creator: the program fails under TSan
# alone, and the vm mode says nothing about cprof there.
[ "${TSAN:-no}" != yes ] || modes=fork
for mode in $modes; do
	run $mode "$CPROF" record --no-counters --time-all -o $mode.cprof -- \
		./rawclone $mode $n
	expect_status "rawclone $mode under cprof record" 0 $mode.err
	expect_grep "rawclone $mode: the child ran to its end" '^child 0$' $mode.out
	expect_grep "rawclone $mode: one line says why the child is not profiled" \
		'made by a raw clone.. is not profiled' $mode.err
done
exit 0
