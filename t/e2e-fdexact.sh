#!/bin/sh
# e2e-fdexact.sh - in exact mode the runtime reads its counter group at
# every event; a program that puts its own pipe, file or eventfd on the
# runtime's numbers (the log, the counter leaders of the main thread and
# of a later thread) must keep every byte, never block, and exit as
# without cprof (t/progs/fdexact.c). The runtime stops counting the
# threads whose counters it lost, says so once, and the report marks
# those threads' counter values as missing rather than giving wrong ones.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog fdexact
need_sw_counters

# Nothing inherited: every number from 3 up is then the runtime's.
cat >closed.py <<'EOF_PY'
import os, sys
os.closerange(3, 65536)
os.execvp(sys.argv[1], sys.argv[1:])
EOF_PY
closed="$PYTHON closed.py"

for kind in pipe file eventfd; do
	status=0
	$closed "$PROGS/fdexact" $kind >plain-$kind.out 2>plain-$kind.err ||
		status=$?
	expect_status "fdexact $kind without cprof" 0 plain-$kind.out \
		plain-$kind.err
	run $kind $closed "$CPROF" stat --exact --format json -o $kind.json \
		-- "$PROGS/fdexact" $kind
	expect_status "fdexact $kind under cprof --exact" 0 $kind.out $kind.err
	expect_grep "$kind: the main thread's numbers held" \
		'^main took [1-9][0-9]*, ok$' $kind.out
	expect_grep "$kind: the thread's numbers held" \
		'^thread took [1-9][0-9]*, ok$' $kind.out
	# One line for both threads, at the end.
	grep 'lost their counters' $kind.err >lost.txt
	expect_lines "$kind: one line on lost counters" 1 lost.txt
	expect_grep "$kind: how many" '2 threads lost their counters' $kind.err
	jeq "$kind: the main thread's steps" $kind.json "calls('step')" 2000
	jeq "$kind: both threads marked" $kind.json \
		"sorted(t['counters_missing'] for t in j['threads'])" \
		'[true, true]'
done
exit 0
