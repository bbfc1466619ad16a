#!/bin/sh
# e2e-crash.sh - a program that dies by SIGSEGV, SIGABRT or SIGTERM (its
# own fault, a crash in another thread) still dies by that signal, with and
# without cprof, and its calls up to the crash are in the profile with the
# signal named (t/progs/crash.c). A stack overflow dies by SIGSEGV too; the
# runtime gives threads no alternate signal stack (it would be the
# program's), so that log keeps only what the timed flushes wrote and
# says it has no end record.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog crash
need_python
ulimit -c 0 2>/dev/null

# mode:signal:status:calls of before_fn
for case in segv:11:139:100 abort:6:134:100 term:15:143:100 \
	thread:11:139:150; do
	mode=${case%%:*} rest=${case#*:}
	sig=${rest%%:*} rest=${rest#*:}
	st=${rest%%:*} nb=${rest#*:}

	# Without cprof, under the runtime alone: the shell sees the signal.
	# (The subshell keeps the shell's "Segmentation fault" out of the log.)
	status=0
	(
		LD_PRELOAD=$(preload_value) CPROF_DIR=$T "$PROGS/crash" $mode \
			>direct-$mode.out 2>direct-$mode.err
		exit $?
	) 2>/dev/null || status=$?
	expect_status "crash $mode under the runtime alone dies by signal $sig" $st direct-$mode.err
	rm -f proc-*.log

	run $mode "$CPROF" stat --format json -o $mode.json -- "$PROGS/crash" $mode
	expect_status "crash $mode under cprof stat" $st $mode.err
	expect_eq "crash $mode got to its crash" dying "$(cat $mode.out)" $mode.err
	expect_no_grep "crash $mode did not survive its crash" 'still alive' $mode.err
	jeq "crash $mode: calls before the crash" $mode.json "calls('before_fn')" $nb
	jeq "crash $mode: die was entered" $mode.json "calls('die')" 1
	jeq "crash $mode: the log was ended by the signal" $mode.json \
		"(j['processes'][0]['finished'], j['processes'][0]['end_reason'], j['processes'][0]['signal'])" \
		"[true, \"signal\", $sig]"
	jeq "crash $mode: status recorded" $mode.json "j['status']" $st
done

# A stack overflow: the same death, and a log that says it was cut short.
status=0
(
	LD_PRELOAD=$(preload_value) CPROF_DIR=$T "$PROGS/crash" stack \
		>direct-stack.out 2>direct-stack.err
	exit $?
) 2>/dev/null || status=$?
expect_status "stack overflow under the runtime alone dies by SIGSEGV" 139 direct-stack.err
rm -f proc-*.log
run stack "$CPROF" stat --format json -o stack.json -- "$PROGS/crash" stack
expect_status "stack overflow under cprof stat" 139 stack.err
expect_eq "stack overflow got to its crash" dying "$(cat stack.out)" stack.err
jeq "stack: status recorded" stack.json "j['status']" 139
jeq "stack: the log has no end record" stack.json \
	"j['processes'][0]['finished']" false
# The thread that crashed is in the profile with its calls.
jeq "thread: the crashing thread's calls" thread.json "calls('thread_fn')" 1
jeq "thread: its fault" thread.json "calls('segv_fn')" 1

# The table names the signal.
run segvtab "$CPROF" stat -- "$PROGS/crash" segv
expect_status "crash segv under cprof stat (table)" 139 segvtab.err
expect_grep "the table says the process was killed by SIGSEGV" 'signal 11|SIGSEGV|[Ss]egmentation' segvtab.err
exit 0
