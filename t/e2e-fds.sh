#!/bin/sh
# e2e-fds.sh - programs that treat every descriptor as theirs keep every
# byte of their own files and pipes under cprof, and their profile
# survives (t/progs/fdabuse.c): closefrom(3), close_range, close loops to
# 1024 and to the limit, dup2/dup3 of a file over every number (the
# runtime's too), and a pipe handed to an exec'd child on fds 3..63. The
# runtime's descriptors sit high and close-on-exec, the log is checked
# before each write and reopened by its path when the program took its
# number; a program's first open() still gets 3 (its stdout says which).
# With counters, a leader descriptor closed by the program ends its
# thread's totals with one line; fast sampling loses nothing though the
# writer has no descriptor to poll.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog fdabuse
need_python

i=0
while [ $i -lt 40 ]; do
	printf 'line %02d\n' $i
	i=$((i + 1))
done >expect.txt

# check NAME MODE NOFILE [COUNTER OPTIONS...]: one run of fdabuse MODE
# under `cprof stat` with the soft descriptor limit NOFILE.
check() {
	_c=$1 _mode=$2 _nofile=$3
	shift 3
	status=0
	(
		ulimit -n $_nofile || exit 99
		exec "$PROGS/fdabuse" $_mode plain-$_c.txt
	) >plain-$_c.out 2>plain-$_c.err || status=$?
	[ $status != 99 ] || skip "cannot set a descriptor limit of $_nofile"
	expect_status "$_c: fdabuse $_mode without cprof" 0 plain-$_c.out plain-$_c.err
	cmp -s expect.txt plain-$_c.txt ||
		fail "$_c: fdabuse $_mode writes its lines wrong even without cprof" plain-$_c.txt

	status=0
	(
		ulimit -n $_nofile || exit 99
		exec $_timeout "$CPROF" stat --format json -o $_c.json \
			--flush-ms 5 "$@" -- "$PROGS/fdabuse" $_mode $_c.txt
	) >$_c.out 2>$_c.err || status=$?
	ran_ok $_c "$CPROF"
	expect_status "$_c: fdabuse $_mode under cprof" 0 $_c.out $_c.err
	cmp -s plain-$_c.out $_c.out ||
		fail "$_c: the program's stdout changed (first descriptor, status)" plain-$_c.out $_c.out
	cmp -s expect.txt $_c.txt ||
		fail "$_c: the program's own file or pipe changed under cprof ($(wc -c <$_c.txt) bytes, $(wc -c <expect.txt) expected)" $_c.txt $_c.err
	jeq "$_c: every call to emit is in the profile" $_c.json "calls('emit')" 40
	jeq "$_c: every call to work is in the profile" $_c.json "calls('work')" 40
	jcheck "$_c: every process finished its log" $_c.json \
		"all(p['finished'] for p in j['processes'])"
	jcheck "$_c: no event lost" $_c.json \
		"sum(p['lost'] for p in j['processes']) == 0"
}

# Marker timing only: not a word on stderr either (a log the program
# closed is reopened silently).
for mode in closefrom close_range loop1024 looplimit dup2 dup3 handoff; do
	check $mode $mode 256 --no-counters
	expect_lines "$mode: nothing on stderr" 0 $mode.err
done
# The same at the usual limit, where the runtime's numbers are higher.
for mode in closefrom loop1024 handoff; do
	check $mode-1024 $mode 1024 --no-counters
	expect_lines "$mode at 1024: nothing on stderr" 0 $mode-1024.err
done

# A program that closes the log and removes the file: the runtime cannot
# reopen it, says so in one line naming the error (not "I/O error"), and
# the program runs on unchanged (the runtime alone: the tool would have
# no log to report).
mkdir rm
status=0
"$PROGS/fdabuse" rmlog plain-rm.txt >plain-rm.out 2>&1 || status=$?
expect_status "fdabuse rmlog without cprof" 0 plain-rm.out
status=0
LD_PRELOAD=$(preload_value) CPROF_DIR=$T/rm CPROF_FLUSH_MS=5 \
	"$PROGS/fdabuse" rmlog rm.txt >rm.out 2>rm.err || status=$?
expect_status "fdabuse rmlog under the runtime" 0 rm.err
cmp -s plain-rm.out rm.out || fail "rmlog: stdout changed" rm.out
cmp -s expect.txt rm.txt || fail "rmlog: the program's file changed" rm.txt
expect_lines "rmlog: one line on stderr" 1 rm.err
expect_grep "rmlog: the line names the error" \
	"^cprof: cannot reopen the log the program closed or replaced '.*': No such file or directory; profiling stopped" rm.err

# With counters (software events, which any Linux can count): the same
# guarantees; a thread whose leader descriptor the program closed is said
# once.
if [ "$(perf_try 1 1)" = ok ]; then
	for mode in closefrom looplimit dup2 handoff; do
		check ctr-$mode $mode 256 -e task-clock -F 997
		grep -v '^cprof: [0-9]* threads\{0,1\} lost [a-z]* counters' \
			ctr-$mode.err >ctr-$mode.other || true
		expect_lines "ctr-$mode: no other line on stderr" 0 ctr-$mode.other
		_n=$(grep -c '^cprof: ' ctr-$mode.err) || true
		[ "$_n" -le 2 ] ||
			fail "ctr-$mode: more than one warning a process" ctr-$mode.err
	done

	# The writer holds no descriptor to poll: it sizes its sleep to how
	# fast the sample rings fill. Fast sampling with callchains fills a
	# ring in a few tens of ms of CPU, much less than this flush interval.
	if [ -x "$PROGS/counters" ]; then
		run fast "$CPROF" stat --format json -o fast.json --flush-ms 2000 \
			-e task-clock -F 10000 -g -- "$PROGS/counters" ratio
		if [ $status = 2 ]; then
			echo "fast sampling skipped: $(cat fast.err)"
		else
			expect_status "fast sampling" 0 fast.err
			cjcheck "fast sampling: many samples" fast.json \
				"event('task-clock')['samples'] > 1000"
			cjeq "fast sampling, flushed every 2 s: none lost" fast.json \
				"event('task-clock')['lost']" 0
		fi
	fi
else
	echo "counters part skipped: perf_event_open refuses task-clock here"
fi
exit 0
