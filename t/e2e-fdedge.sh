#!/bin/sh
# e2e-fdedge.sh - at very small descriptor limits the runtime keeps no
# descriptor it can do without: past its log, the program's first open
# succeeds as without cprof (RLIMIT_NOFILE 5 to 16: the /proc stat file
# of the raw-exit watch is opened per check, not kept), and the profile
# is whole. (At 4, the log takes the one number past stdio: see
# doc/design.md, Limits.)
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls sandbox
need_python

echo "the program's own file" >own.txt
preload=$(preload_value)
status=0
"$PROGS/calls" >calls.out 2>calls.err || status=$?
plain_status=$status
for n in 5 6 8 16; do
	mkdir d$n
	status=0
	LD_PRELOAD=$preload CPROF_DIR=$T/d$n "$PROGS/sandbox" -n $n -- \
		cat own.txt >cat$n.out 2>cat$n.err || status=$?
	expect_status "cat at RLIMIT_NOFILE $n" 0 cat$n.out cat$n.err
	cmp -s own.txt cat$n.out || fail "RLIMIT_NOFILE $n: cat's output" \
		cat$n.out cat$n.err
	status=0
	LD_PRELOAD=$preload CPROF_DIR=$T/d$n "$PROGS/sandbox" -n $n -- \
		"$PROGS/calls" >calls$n.out 2>calls$n.err || status=$?
	expect_status "calls at RLIMIT_NOFILE $n" $plain_status calls$n.err
	run rep$n "$CPROF" report --format json d$n
	expect_status "report at RLIMIT_NOFILE $n" 0 rep$n.err
	jeq "RLIMIT_NOFILE $n: the whole profile" rep$n.out "calls('leaf')" 1000
	jcheck "RLIMIT_NOFILE $n: every process finished its log" rep$n.out \
		"all(p['finished'] for p in j['processes'])"
done
exit 0
