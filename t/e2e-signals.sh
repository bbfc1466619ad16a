#!/bin/sh
# e2e-signals.sh - the program's signals stay the program's: the runtime
# catches the fatal signals left at their default action, and none of it
# shows (t/progs/sigstate.c).
#  - every query of every signal's action, the mask and the alternate
#    stack, in the main thread and another, and what each way of setting
#    an action (signal, sigaction with oldact, sigset, sigignore,
#    siginterrupt, SIG_DFL back) returns and leaves, are the same with and
#    without cprof; also with the strict X/Open signal() (__sysv_signal);
#  - a handler installed with SA_ONSTACK by a program that never set an
#    alternate stack runs on the thread's own stack (no stack appears);
#  - a handler that chains to what it replaced, through signal() or
#    sigaction's oldact, finds SIG_DFL and dies by the signal, and the log
#    still ends with that signal; so does a SIGSEGV handler that puts the
#    old action back and lets the fault happen again;
#    the same in a fork() child;
#  - the program's own handler runs once, with the mask it asked for.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog sigstate
need_python
ulimit -c 0 2>/dev/null
# A sanitizer's own alternate stack and handlers would be part of what the
# program sees, with and without cprof alike; this test wants neither.
ASAN_OPTIONS=$ASAN_OPTIONS:use_sigaltstack=0:handle_sigfpe=0:handle_sigill=0
TSAN_OPTIONS=$TSAN_OPTIONS:use_sigaltstack=0:handle_sigfpe=0:handle_sigill=0
export ASAN_OPTIONS TSAN_OPTIONS

# The strict X/Open build: signal() is __sysv_signal there.
$CC -std=c99 -D_XOPEN_SOURCE=700 -O1 -g -finstrument-functions -pthread \
	-I"$SRCPROGS" "$SRCPROGS/sigstate.c" -o sigstate99 ||
	hard_error "cannot build sigstate.c as strict C99"

for p in "$PROGS/sigstate" "$T/sigstate99"; do
	b=$(basename "$p")

	# Queries: byte for byte the same output. ThreadSanitizer interposes
	# sigaction and answers from a table of its own (the flags the program
	# gave, not the kernel's): under it, what the program sees without
	# cprof is what it sees with TSan alone preloaded.
	if [ "${TSAN:-no}" = yes ]; then
		run $b-plain env LD_PRELOAD="$SAN_PRELOAD" "$p" query
	else
		run $b-plain "$p" query
	fi
	expect_status "$b query without cprof" 0 $b-plain.err
	run $b-rec "$CPROF" record --no-counters -o $b-q.cprof -- "$p" query
	expect_status "$b query under cprof record" 0 $b-rec.err
	cmp -s $b-plain.out $b-rec.out || {
		diff $b-plain.out $b-rec.out >$b.diff
		fail "$b: what the program sees of its signals changed under cprof" $b.diff
	}
	expect_grep "$b: the query saw SIGTERM at its default" \
		"^start 15: default flags 0 mask 0$" $b-rec.out
	expect_grep "$b: no alternate stack in main" \
		"^main: blocked 0 altstack disabled$" $b-rec.out
	expect_grep "$b: no alternate stack in a thread" \
		"^thread: blocked 0 altstack disabled$" $b-rec.out
	# Under the runtime alone too, with the fatal signals really caught.
	mkdir $b-direct
	status=0
	LD_PRELOAD=$(preload_value) CPROF_DIR=$T/$b-direct "$p" query \
		>$b-direct.out 2>$b-direct.err || status=$?
	expect_status "$b query under the runtime" 0 $b-direct.err
	cmp -s $b-plain.out $b-direct.out ||
		fail "$b: signals seen differently under the runtime" $b-direct.out

	# SA_ONSTACK without an alternate stack: 256 KiB frames in handlers.
	# Under ThreadSanitizer that handler dies of SIGSEGV in a thread with
	# TSan alone preloaded, without cprof: TSan's own, not checked there.
	if [ "${TSAN:-no}" = yes ]; then
		echo "note: $b onstack not run: it crashes under TSan alone"
	else
		run $b-onstack "$CPROF" record --no-counters -o $b-o.cprof -- "$p" onstack
		expect_status "$b SA_ONSTACK handler under cprof" 0 $b-onstack.err
		expect_eq "$b SA_ONSTACK handler output" "onstack ok" "$(cat $b-onstack.out)" $b-onstack.err
	fi

	# Chaining to the replaced action: death by the signal, log ended.
	for c in signal:15 signal:1 sigaction:15 sigaction:10 sigaction:3 fault:11; do
		mode=${c%%:*} sig=${c#*:}
		arg=$sig
		[ $mode = fault ] && arg=
		run $b-$mode-$sig "$p" $mode $arg
		want=$status
		expect_eq "$b $mode $sig dies by its signal without cprof" \
			$((128 + sig)) $want $b-$mode-$sig.err
		run $b-$mode-$sig "$CPROF" stat --format json \
			-o $b-$mode-$sig.json --no-counters -- "$p" $mode $arg
		expect_status "$b $mode $sig under cprof" $want $b-$mode-$sig.err
		expect_eq "$b $mode $sig got to raise" raising "$(cat $b-$mode-$sig.out)"
		jeq "$b $mode $sig: the log ends with the signal" $b-$mode-$sig.json \
			"(j['processes'][0]['finished'], j['processes'][0]['end_reason'], j['processes'][0]['signal'])" \
			"[true, \"signal\", $sig]"
		jeq "$b $mode $sig: calls before it" $b-$mode-$sig.json "calls('chain_fn')" 10
	done

	# The same in a fork() child, whose log ends with the signal.
	run $b-fork-plain "$p" fork
	run $b-fork "$CPROF" stat --format json -o $b-fork.json --no-counters -- "$p" fork
	expect_status "$b fork under cprof" 0 $b-fork.err
	cmp -s $b-fork-plain.out $b-fork.out ||
		fail "$b fork: output changed" $b-fork-plain.out $b-fork.out
	expect_grep "$b fork: the child died by SIGTERM" '^child: signal 15$' $b-fork.out
	jeq "$b fork: the child's log ends with SIGTERM" $b-fork.json \
		"sorted((p['end_reason'], p['signal']) for p in j['processes'])" \
		'[["exit", 0], ["signal", 15]]'

	# The program's own handler: once, as asked, and the program goes on.
	for sig in 10 15 2; do
		run $b-own-plain "$p" own $sig
		run $b-own "$CPROF" stat --format json -o $b-own.json \
			--no-counters -- "$p" own $sig
		expect_status "$b own handler of $sig under cprof" 0 $b-own.err
		cmp -s $b-own-plain.out $b-own.out ||
			fail "$b own handler of $sig: output changed" $b-own-plain.out $b-own.out
		expect_grep "$b own handler of $sig ran as asked" \
			"^own: calls 1 signo 1 masked 1$" $b-own.out
		jeq "$b own handler of $sig: a normal exit" $b-own.json \
			"j['processes'][0]['end_reason']" exit
	done
done
exit 0
