#!/bin/sh
# e2e-calls.sh - `cprof stat` on an instrumented program gives exact call
# counts, self and total times that add up, recursion counted once, and a
# table sorted by self time (t/progs/calls.c lists what it does).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python

# Adaptive timing (the default) counts some calls rather than timing
# them: the calls stay exact either way.
stat_json adaptive "$PROGS/calls"
expect_status "calls under cprof stat, adaptive timing" 0 adaptive.err
for fc in main:1 init_fn:1 fini_fn:1 at_exit_fn:1 mid:100 leaf:1000 \
	helper_static:7 rec:50 bottom:5 heavy:3 light:3; do
	jeq "adaptive: calls of ${fc%:*}" adaptive.json "calls('${fc%:*}')" "${fc#*:}"
done

# The time relations below hold for timed calls: every call is timed.
t0=$(now_ns)
STAT_OPTS=--time-all
stat_json calls "$PROGS/calls"
STAT_OPTS=
t1=$(now_ns)
expect_status "calls under cprof stat" 0 calls.err
[ ! -s calls.out ] || fail "the program printed nothing, cprof printed on its stdout" calls.out

# Exact calls, constructors, destructors and atexit handlers included.
for fc in main:1 init_fn:1 fini_fn:1 at_exit_fn:1 mid:100 leaf:1000 \
	helper_static:7 rec:50 bottom:5 heavy:3 light:3; do
	jeq "calls of ${fc%:*}" calls.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "one row per function" calls.json "len(rows('leaf'))" 1

# Sorted by self time: 90 ms, 30 ms, 10 ms of busy waiting.
jeq "order by self time" calls.json "names()[:3]" '["heavy", "light", "bottom"]'
# heavy and light spin on their CPU time, which their wall time can only
# exceed: a loaded machine stretches their wall times unevenly, so the
# 3:1 ratio is checked on the CPU time that --exact counts at each marker
# (task-clock), which load cannot move.
# (Marker self time: the C library's part of the clock reads they spin
# on is its own row once samples place it: doc/design.md, "The hybrid".)
jcheck "heavy spun 3 x 30 ms" calls.json "mself('heavy') >= 89000000"
jcheck "light spun 3 x 10 ms" calls.json "mself('light') >= 29700000"
if [ "$(perf_try 1 1)" = ok ]; then
	stat_counters exact --exact -e task-clock -- "$PROGS/calls"
	cjcheck "heavy has 3 times the CPU time of light" exact.json \
		"2.7 <= counter('heavy', 'task-clock') / counter('light', 'task-clock') <= 3.3"
	cjcheck "heavy spent 3 x 30 ms on CPU" exact.json \
		"counter('heavy', 'task-clock') >= 89000000"
else
	echo "$test_name: perf_event_open refuses task-clock here: the CPU-time ratio is not checked"
fi

# Self is total minus children; a leaf's self is its total. Each call may
# round by a nanosecond or so when ticks become nanoseconds.
jcheck "leaf: self == total" calls.json "abs(self('leaf') - total('leaf')) <= 1000"
jcheck "mid: total == self + total of its leaves" calls.json \
	"abs(total('mid') - self('mid') - total('leaf')) <= 1100"
jcheck "self <= total everywhere" calls.json \
	"all(r['self_ns'] <= r['total_ns'] for r in j['functions'])"

# Recursion: 10 nested rec() around each bottom() count once in total.
jcheck "rec: total covers bottom" calls.json "total('rec') >= total('bottom')"
jcheck "rec: total counted once, not once per level" calls.json \
	"total('rec') < 2 * total('bottom')"
jcheck "rec: self excludes bottom" calls.json "self('rec') < self('bottom')"

# Times are real: main holds all the busy waiting and fits in the run.
jcheck "main's total covers its callees" calls.json \
	"total('main') >= total('heavy') + total('light') + total('rec') + total('mid')"
jcheck "main's total fits in the wall time of the run ($((t1 - t0)) ns)" calls.json \
	"total('main') <= $((t1 - t0))"
jeq "one process" calls.json "len(j['processes'])" 1
jeq "it finished" calls.json "j['processes'][0]['finished']" true
jeq "nothing lost" calls.json "j['processes'][0]['lost']" 0
jeq "one thread" calls.json "len(j['threads'])" 1

# The table goes to stderr by default: header, then rows by self time,
# times in human units (of timed calls: --time-all).
run table "$CPROF" stat --no-counters --time-all -- "$PROGS/calls"
expect_status "calls under cprof stat (table)" 0 table.err
[ ! -s table.out ] || fail "the table went to stdout" table.out
hdr=$(grep -n -E '^Function +Self +Self% +Total +Calls +Self/call( |$)' table.err | head -n 1)
[ -n "$hdr" ] || fail "no table header 'Function Self Self% Total Calls Self/call'" table.err
n=${hdr%%:*}
first=$(sed -n "$((n + 1))p" table.err)
# (90 ms of CPU time: milliseconds, or seconds on a loaded machine.)
# (Src, last, says where self time comes from: cprof(1).)
echo "$first" | grep -E -q '^heavy +[0-9.]+m?s +[0-9.]+% +[0-9.]+m?s +3 +[0-9.]+m?s( +(time|comp|smpl))? *$' ||
	fail "first row: expected heavy with ms or s times and 3 calls, got '$first'" table.err
expect_grep "leaf row with 1000 calls" '^leaf +[0-9.]+[mun]?s +[0-9.]+% +[0-9.]+[mun]?s +1000 ' table.err
exit 0
