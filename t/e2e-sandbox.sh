#!/bin/sh
# e2e-sandbox.sh - the runtime under seccomp filters that answer its
# system calls with an error, as sandboxed services and containers do.
#
# The writer's calls: a service that sandboxes itself once running, for
# all its threads (t/progs/sandboxed.c), refusing the writer's ways to
# wait (futex, clock_nanosleep, nanosleep, poll), faking their success
# (an errno of 0), or refusing fstat, open or getrlimit. The program runs
# as without cprof, its profile is complete, the writer never spins: it
# is runnable for less than half of the time the program idles (from the
# scheduler's statistics, which do not shrink with the machine's load as
# CPU time does; a sleeping writer waits in the run queue after each of
# its few wake-ups only), and the CPU time of the whole run (getrusage)
# stays under half of it too. When no way to wait is left, one line says so and the
# program's threads write the log. When the writer cannot even be created
# (clone refused), one line, and the profile is still complete, ring
# overflows included.
#
# perf_event refused: by a filter the program installs after start (its
# new threads go uncounted, one line, markers go on), and by one the whole
# cprof runs under (the tool falls back to marker timing, one line that
# does not blame perf_event_paranoid when that is not the cause).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog sandbox sandboxed
need_python

# Can this machine filter at all? (No seccomp, another architecture.)
status=0
"$PROGS/sandboxed" -d poll=EPERM 1 >probe.out 2>probe.err || status=$?
[ $status != 77 ] || skip "seccomp filters cannot be installed here: $(cat probe.err)"
expect_status "sandboxed without cprof" 0 probe.err

# A sandbox installed the moment main() starts finds the runtime's writer
# thread already running: had its start (rseq registration, which glibc
# does on the new thread) been refused, glibc would abort the process.
# A race when the writer is not waited for: tried a few times.
# Not under TSan: its own background thread starts lazily, after the
# filter, and dies of it without cprof just the same.
rounds="1 2 3 4 5 6 7 8"
[ "${TSAN:-no}" != yes ] || rounds=
for i in $rounds; do
	status=0
	"$CPROF" record --no-counters -o early$i.cprof -- "$PROGS/sandboxed" \
		-d rseq=EPERM -d set_robust_list=EPERM 1 >early$i.out \
		2>early$i.err || status=$?
	expect_status "a sandbox at main's start, round $i" 0 early$i.err
done

N=60
# name:rules (CALL=ERRNO, comma-separated)
for c in \
	poll:poll=EPERM \
	futex:futex=EPERM \
	sleeps:futex=EPERM,clock_nanosleep=EPERM,nanosleep=EPERM \
	nowait:futex=ENOSYS,clock_nanosleep=ENOSYS,nanosleep=ENOSYS,poll=ENOSYS,ppoll=ENOSYS \
	fakefutex:futex=0 \
	fakeall:futex=0,clock_nanosleep=0,nanosleep=0,poll=0,ppoll=0 \
	futexload:futex=EPERM \
	fstat:fstat=EPERM,newfstatat=EPERM,statx=EPERM \
	open:openat=EACCES \
	limits:prlimit64=EPERM,getrlimit=EPERM,fcntl=EPERM; do
	name=${c%%:*} rules=${c#*:}
	set --
	for r in $(echo "$rules" | tr ',' ' '); do
		set -- "$@" -d "$r"
	done
	# With a load that fills the ring many times: a thread waiting for a
	# drain cannot sleep on the futex either.
	calls=0
	[ $name != futexload ] || calls=300000
	set -- "$@" -n $calls
	status=0
	"$PROGS/sandboxed" "$@" $N >plain-$name.out 2>plain-$name.err || status=$?
	expect_status "$name: sandboxed without cprof" 0 plain-$name.err

	SANDBOXED_REPORT=$T/$name.busy run $name "$PROGS/sandbox" -c $name.cpu -- \
		"$CPROF" stat --no-counters --format json \
		-o $name.json -- "$PROGS/sandboxed" "$@" $N
	expect_status "$name: sandboxed under cprof" 0 $name.err
	cmp -s plain-$name.out $name.out ||
		fail "$name: the program's stdout changed" plain-$name.out $name.out
	jeq "$name: every call in the profile" $name.json "calls('serve')" $N
	jeq "$name: every job in the profile" $name.json "calls('job')" $calls
	jcheck "$name: nothing lost" $name.json \
		"sum(p['lost'] for p in j['processes']) == 0"
	jcheck "$name: the process finished its log" $name.json \
		"all(p['finished'] for p in j['processes'])"
	case $name in
	nowait | fakeall)
		expect_lines "$name: one line on stderr" 1 $name.err
		expect_grep "$name: the line says the writer cannot wait" \
			"^cprof: the writer thread cannot wait" $name.err
		;;
	*)
		expect_lines "$name: nothing on stderr" 0 $name.err
		;;
	esac
	read idle busy <$name.busy || fail "$name: no report from sandboxed"
	[ "$idle" -gt 0 ] || fail "$name: the program did not idle" $name.busy
	# ThreadSanitizer's background thread sleeps by the nanosleep system
	# call (internal_usleep), and spins when the filter refuses or fakes
	# it: its time would be counted as the writer's. The profile checks
	# above still hold there.
	case ${TSAN:-no}:$rules in
	yes:*nanosleep=*)
		echo "note: $name: TSan's own thread spins without nanosleep: busy and CPU time not checked"
		continue ;;
	esac
	if [ "$busy" -ge 0 ]; then
		[ $((busy * 2)) -lt "$idle" ] ||
			fail "$name: the writer was runnable ${busy} ms of the ${idle} ms the program idled: it spins" $name.err
	fi
	read user sys <$name.cpu || fail "$name: no CPU time"
	[ $(((user + sys) * 2)) -lt "$idle" ] ||
		fail "$name: the run used $((user + sys)) ms of CPU for ${idle} ms of idling" $name.err
done

# No writer thread at all: clone refused from the start (the runtime alone,
# as the tool itself must fork). 300000 calls fill the ring many times:
# the program's thread drains it and nothing is lost.
preload=$(preload_value)
mkdir noclone
status=0
"$PROGS/sandboxed" -n 300000 3 >noclone-plain.out 2>&1 || status=$?
expect_status "sandboxed -n 300000 without cprof" 0 noclone-plain.out
status=0
LD_PRELOAD=$preload CPROF_DIR=$T/noclone "$PROGS/sandbox" -d clone=EPERM \
	-d clone3=EPERM -- "$PROGS/sandboxed" -n 300000 3 \
	>noclone.out 2>noclone.err || status=$?
expect_status "clone refused: the program's status" 0 noclone.err
cmp -s noclone-plain.out noclone.out ||
	fail "clone refused: the program's stdout changed" noclone.out
expect_lines "clone refused: one line on stderr" 1 noclone.err
expect_grep "clone refused: the line says why" \
	"^cprof: cannot start the writer thread: Operation not permitted" noclone.err
run noclone-rep "$CPROF" report --format json noclone
expect_status "report of the run without a writer" 0 noclone-rep.err
jeq "clone refused: every call in the profile" noclone-rep.out \
	"calls('job')" 300000
jcheck "clone refused: nothing lost" noclone-rep.out \
	"sum(p['lost'] for p in j['processes']) == 0"

# perf_event refused. Needs counters that would work otherwise.
if [ "$(perf_try 1 1)" != ok ]; then
	echo "perf_event part skipped: perf_event_open refuses task-clock here"
	exit 0
fi
for e in EACCES ENOSYS; do
	case $e in
	EACCES) why="Permission denied" ;;
	ENOSYS) why="Function not implemented" ;;
	esac
	# The program's own filter, installed after start: its threads.
	run self-$e "$CPROF" stat --format json -o self-$e.json -e task-clock \
		-- "$PROGS/sandboxed" -t 4 -d perf_event_open=$e 10
	expect_status "perf_event_open $e in the program" 0 self-$e.err
	expect_eq "self-$e: the program's output" "served 10 jobs 400" \
		"$(cat self-$e.out)"
	expect_lines "self-$e: one line on stderr" 1 self-$e.err
	expect_grep "self-$e: the line says why" \
		"^cprof: cannot open counters for a thread 'task-clock': $why" \
		self-$e.err
	jeq "self-$e: markers go on" self-$e.json "calls('job')" 400
	jeq "self-$e: markers go on in main" self-$e.json "calls('serve')" 10

	# cprof itself under the filter: the tool falls back to markers.
	run cli-$e "$PROGS/sandbox" -d perf_event_open=$e -- \
		"$CPROF" stat --format json -o cli-$e.json -- "$PROGS/sandboxed" 10
	expect_status "cprof under a filter refusing perf_event_open ($e)" 0 cli-$e.err
	expect_eq "cli-$e: the program's output" "served 10 jobs 0" \
		"$(cat cli-$e.out)"
	expect_lines "cli-$e: one line on stderr" 1 cli-$e.err
	expect_grep "cli-$e: the line says markers only" \
		"marker timing only" cli-$e.err
	if [ $e = EACCES ]; then
		expect_no_grep "cli-$e: paranoid is not blamed wrongly" \
			"not permitted \(perf_event_paranoid is [0-2]\)" cli-$e.err
	fi
	jeq "cli-$e: markers go on" cli-$e.json "calls('serve')" 10
done
exit 0
