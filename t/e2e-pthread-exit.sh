#!/bin/sh
# e2e-pthread-exit.sh - a process whose main() leaves with pthread_exit()
# ends when its last thread does, with status 0 and its atexit handlers
# run, as without cprof: the writer thread does not keep it alive. Each
# worker's own thread-specific-data destructor runs (and is recorded)
# before the process ends, and the log ends with an "exit" end record
# (t/progs/lifetime.c, mode ptexit).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog lifetime
need_python
# Hangs are the fault here: give up well before the suite's timeout.
E2E_TIMEOUT=60
_timeout="timeout -k 5 $E2E_TIMEOUT"
command -v timeout >/dev/null 2>&1 || _timeout=
# The program never joins its workers (main leaves by pthread_exit and
# the last thread ends the process): ThreadSanitizer reports that as a
# thread leak, which is the program's shape, not the runtime's.
if [ "${TSAN:-no}" = yes ]; then
	echo "note: TSan: report_thread_leaks=0 (the program joins no worker)"
	TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_thread_leaks=0
	export TSAN_OPTIONS
fi

for n in 0 1 4; do
	for mode in --no-counters ""; do
		name=pt$n${mode:+nc}
		run $name "$CPROF" stat $mode --format json -o $name.json -- "$PROGS/lifetime" ptexit $n
		expect_status "ptexit $n $mode: status 0 as without cprof" 0 $name.err
		expect_eq "ptexit $n $mode: every worker done" "$n" "$(grep -c 'worker done' $name.out)" $name.out
		expect_eq "ptexit $n $mode: atexit ran, last" atexit "$(tail -n 1 $name.out)" $name.out
		jeq "ptexit $n $mode: chunk calls" $name.json "calls('chunk')" $((n * 500))
		jeq "ptexit $n $mode: the program's TSD destructors" $name.json "calls('tsd_fn')" $n
		jeq "ptexit $n $mode: main's calls" $name.json "calls('work')" 10
		jeq "ptexit $n $mode: exit end record" $name.json \
			"[(p['finished'], p['end_reason']) for p in j['processes']]" '[[true, "exit"]]'
		expect_no_grep "ptexit $n $mode: no warning" 'cprof: .*(thread|log|finish|record)' $name.err
	done
done

# The same under the runtime alone (no cprof process), as -lcprof would.
mkdir direct
status=0
CPROF_DIR=$T/direct LD_PRELOAD=$(preload_value) $_timeout "$PROGS/lifetime" ptexit 2 >direct.out 2>direct.err || status=$?
expect_status "ptexit 2 under the runtime alone" 0 direct.err
expect_eq "ptexit 2 alone: atexit ran" atexit "$(tail -n 1 direct.out)" direct.out
run directrep "$CPROF" report --format json direct
jeq "ptexit 2 alone: chunk calls" directrep.out "calls('chunk')" 1000
exit 0
