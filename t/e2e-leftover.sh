#!/bin/sh
# e2e-leftover.sh - a process still running when `cprof stat` returns (a
# daemon) finds its run directory removed by the command, which told the
# user it was still running: from then on the runtime stays silent (no
# line on the daemon's stderr, from it, its fork children or the programs
# they exec) and stops recording, closing its log, so that no unlinked
# file goes on growing (t/progs/leftover.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog leftover

# The daemon has no writer thread (its fork made none): it finds its log
# gone when its ring fills half, which its steps do only when timed
# (--time-all); counted, they reach the log at its exit.
run stat "$CPROF" stat --no-counters --time-all -o table.txt -- \
	sh -c '"$1" "$2" 2>"$3"' sh "$PROGS/leftover" "$PWD/result" "$PWD/daemon.err"
expect_status "cprof stat of a daemon" 0 stat.err
# The daemon ends by itself once it has looked (20 s at most).
i=0
while [ $i -lt 400 ] && ! grep -q done result 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
expect_grep "the daemon reported" done result
expect_eq "the daemon's log closed once its directory was gone" "log closed" \
	"$(head -n 1 result)" daemon.err
expect_no_grep "nothing from the runtime on the daemon's stderr" "cprof:" daemon.err
exit 0
