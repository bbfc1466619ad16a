#!/bin/sh
# e2e-throttle.sh - the sample stream's throttle, unthrottle and lost
# records are counted per thread and shown (one line of the table's
# header, JSON keys per process and thread), and the functions that got
# the first sample after a throttled interval are marked T; the skew
# bound between sample times and the marker clock is measured and given
# (t/progs/calls.c, sampled every task-clock tick it can: -c 1).
#
# The kernel throttles a sampling event that interrupts more often than
# perf_event_max_sample_rate allows per tick. At the default (100000 a
# second) task-clock's 10 us floor hardly reaches it, so the test skips
# where nothing was throttled. With CPROF_TEST_SYSCTL=1 (root, on a
# machine of one's own: the setting is system-wide) it lowers the rate
# for the run and puts it back.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python
[ "$(perf_try 1 1)" = ok ] || skip "perf_event_open refuses task-clock here"

rate=/proc/sys/kernel/perf_event_max_sample_rate
throttled() {
	stat_counters "$1" -e task-clock -c 1 -- "$PROGS/calls"
	cjval "throttles of $1" "$1.json" \
		"sum(p['throttled'] for p in j['processes'])"
}
n=$(throttled th)
if [ "$n" = 0 ] && [ "${CPROF_TEST_SYSCTL:-0}" = 1 ] && [ -w "$rate" ]; then
	old=$(cat "$rate")
	trap 'echo "$old" >"$rate"' EXIT
	echo 4000 >"$rate"
	n=$(throttled th)
	echo "$old" >"$rate"
	trap - EXIT
fi
[ "$n" != 0 ] ||
	skip "the kernel throttled nothing at $(cat "$rate" 2>/dev/null) samples a second (CPROF_TEST_SYSCTL=1 lowers it for the test)"

# Counted per thread: the process's counts are its threads' sums, each
# throttle is followed by its unthrottle but maybe the last.
cjcheck "per-thread throttles sum to the process's" th.json \
	"sum(t['throttled'] for t in j['threads']) == j['processes'][0]['throttled']"
cjcheck "per-thread unthrottles sum to the process's" th.json \
	"sum(t['unthrottled'] for t in j['threads']) == j['processes'][0]['unthrottled']"
cjcheck "an unthrottle per throttle, but the last" th.json \
	"0 <= j['processes'][0]['throttled'] - j['processes'][0]['unthrottled'] <= len(j['threads'])"
# Each unthrottle marks the sample after it, if one came.
cjcheck "marked samples: at most one per unthrottle" th.json \
	"0 < sum(f['throttled_samples'] for f in j['functions']) <= j['processes'][0]['unthrottled']"
cjcheck "marked samples are samples of their function" th.json \
	"all(f['throttled_samples'] <= f['samples'] for f in j['functions'])"
cjcheck "the skew bound is measured" th.json \
	"all(p['clock_skew_ns'] > 0 for p in j['processes'])"

# The table: one line in its header, a T on the marked functions.
run tht "$CPROF" stat -e task-clock -c 1 -- "$PROGS/calls"
expect_status "the table" 0 tht.err
if grep -q "throttled [1-9]" tht.err; then
	expect_grep "one line: lost, throttled, unthrottled" \
		"pid [0-9]+ \\(calls\\): [0-9]+ samples lost, throttled [0-9]+ times?, unthrottled [0-9]+ \\(in 1 thread" tht.err
	expect_grep "a marked function" "^[a-z_]+ .* (!T| T)$" tht.err
fi
exit 0
