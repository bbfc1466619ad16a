#!/bin/sh
# e2e-fork.sh - a fork() child records into a log of its own in the same
# run, and a program it execs (through fork, vfork, posix_spawn or system)
# joins the run too: each process's calls are counted once, in the process
# that made them (t/progs/fork.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog fork
need_python
# fork: parent and child each call their own function. Not under TSan:
# its registry keeps the parent's threads in a fork child, and stops the
# child when the runtime restarts its writer there and the new thread gets
# the id of the parent's writer ("dup thread with used id"); threads in
# the child of a multi-threaded fork are unsupported by TSan, in its words.
if [ "${TSAN:-no}" = yes ]; then
	echo "$test_name: fork mode not checked under TSan (threads after a multi-threaded fork)"
else
	run fork "$CPROF" stat --threads --format json -o fork.json -- "$PROGS/fork" fork
	expect_status "fork under cprof stat" 0 fork.err
	for fc in common:5 child_fn:300 parent_fn:200 main:1 spawn:1 exec_fn:0; do
		jeq "fork: calls of ${fc%:*}" fork.json "calls('${fc%:*}')" "${fc#*:}"
	done
	jeq "fork: two processes" fork.json "len(j['processes'])" 2
	jeq "fork: both finished" fork.json "[p['finished'] for p in j['processes']]" '[true, true]'
	jeq "fork: two logs" fork.json "len(set(p['log'] for p in j['processes']))" 2
	jeq "fork: child_fn ran in a child of the process that ran parent_fn" fork.json \
		"ppids(pids('child_fn')) == pids('parent_fn') and pids('child_fn') != pids('parent_fn')" true
	jeq "fork: common ran in the parent only" fork.json \
		"[tfuncs(t)['common'] for t in j['threads'] if 'common' in tfuncs(t)]" '[5]'
fi

# The child execs the program again: three logs (the parent, the child
# up to its exec, the new image), and the new image's calls.
for mode in exec vfork spawn system; do
	run $mode "$CPROF" stat --threads --format json -o $mode.json -- "$PROGS/fork" $mode
	expect_status "$mode under cprof stat" 0 $mode.err
	for fc in common:5 parent_fn:200 exec_fn:7 child_fn:0 main:2; do
		jeq "$mode: calls of ${fc%:*}" $mode.json "calls('${fc%:*}')" "${fc#*:}"
	done
	jeq "$mode: every process finished" $mode.json \
		"all(p['finished'] for p in j['processes'])" true
	jeq "$mode: exec_fn ran in a child of the process that ran parent_fn" $mode.json \
		"ppids(pids('exec_fn')) == pids('parent_fn') and pids('exec_fn') != pids('parent_fn')" true
	jeq "$mode: nothing lost" $mode.json "sum(p['lost'] for p in j['processes'])" 0
done
jeq "exec: three logs" exec.json "len(j['processes'])" 3
jeq "exec: the child's first log ended with its exec" exec.json \
	"sorted(str(p['end_reason']) for p in j['processes'])" '["exec", "exit", "exit"]'
exit 0
