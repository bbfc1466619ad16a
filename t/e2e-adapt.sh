#!/bin/sh
# e2e-adapt.sh - adaptive timing (issue 8): after its warm-up, a function
# whose calls are too short to time is only counted: its calls stay exact
# (calls chunks), it writes no event and its time is left to the samples
# (self_source "sampled"); long functions stay timed, recursion and
# threads stay right; --time-all times every call as before
# (t/progs/adapt.c). No timing threshold here: the rule is forced with
# --adaptive-threshold far above the tiny function's calls (1 s) and a
# warm-up longer than the large function's 20 calls.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog adapt
need_python

calls_ok() { # NAME JSON: every function's exact calls, THREADS threads
	for fc in main:1 work:$threads loop:$threads tiny:$((2000300 * threads)) \
		big:$((20 * threads)) rec:$((300 * threads)); do
		jeq "$1: calls of ${fc%:*}" "$2" "calls('${fc%:*}')" "${fc#*:}"
	done
}

force="--no-counters --adaptive-threshold=1000000000 --adaptive-warmup=64"
threads=1
STAT_OPTS=$force
stat_json forced "$PROGS/adapt"
STAT_OPTS=
expect_status "adapt under cprof stat" 0 forced.err
calls_ok forced forced.json
# The rule is per edge (caller, callee). tiny: the first 64 calls of each
# of its two edges timed (from loop: 2000000 calls, from rec: 300), the
# rest counted. rec: every frame of a descent but the innermost has a
# timed child (the next level), and an edge whose calls have timed
# descendants is never counted (the tree would lose it): all 300 timed.
jeq "tiny: counted after 64 timed calls per edge" forced.json \
	"rows('tiny')[0]['untimed_calls']" $((2000300 - 2 * 64))
jeq "rec: recursion stays timed, level by level" forced.json \
	"rows('rec')[0]['untimed_calls']" 0
jeq "big, loop, work, main: timed" forced.json \
	"[rows(f)[0]['untimed_calls'] for f in ('big', 'loop', 'work', 'main')]" \
	"[0, 0, 0, 0]"
jeq "tiny: time from samples" forced.json \
	"[rows('tiny')[0]['self_source']]" '["sampled"]'
# (Timed, less the hooks' measured cost: doc/design.md, "The hybrid".)
jcheck "big: timed" forced.json "rows('big')[0]['self_source'] in ('timed', 'compensated')"
jeq "tiny: no time of its own from the markers" forced.json \
	"[self('tiny'), total('tiny')]" "[0, 0]"
jcheck "tiny: its timed warm-up kept apart" forced.json \
	"rows('tiny')[0]['timed_self_ns'] > 0"
jcheck "big: its 20 ms of CPU time, timed" forced.json \
	"self('big') >= 20000000 and self('big') == total('big')"
# Only timed calls write events: main, work, loop, 20 big, 2 x 64 tiny
# and 300 rec, two events each.
jeq "no event for a counted call" forced.json "j['processes'][0]['events']" \
	$((2 * (3 + 20 + 128 + 300)))
jeq "the rule in the JSON" forced.json \
	"j['processes'][0]['adaptive']['warmup']" 64
jcheck "the threshold in the JSON" forced.json \
	"abs(j['processes'][0]['adaptive']['threshold_ns'] - 1e9) < 1e7"

# The table: a counted function's calls, and no time of its own.
run table "$CPROF" stat $force -- "$PROGS/adapt"
expect_status "adapt under cprof stat (table)" 0 table.err
expect_grep "the table says what was counted" "too short to time" table.err
expect_grep "tiny's row: calls, no times" '^tiny +- +- +- +2000300 +-( +smpl)? *$' table.err

# Per thread: each thread judges its functions itself.
threads=3
run threads "$CPROF" stat $force --threads --format json -o threads.json -- \
	"$PROGS/adapt" 3
expect_status "adapt 3 under cprof stat" 0 threads.err
calls_ok threads threads.json
jeq "threads: tiny counted after 64 timed calls per edge in each thread" threads.json \
	"sorted(f['untimed_calls'] for t in j['threads'] for f in t['functions'] if f['name'] == 'tiny')" \
	"[2000172, 2000172, 2000172]"
jeq "threads: tiny's calls in each thread" threads.json \
	"sorted(tfuncs(t).get('tiny', 0) for t in j['threads'] if 'tiny' in tfuncs(t))" \
	"[2000300, 2000300, 2000300]"

# The default rule: which functions it counts depends on the machine,
# not the calls, and every call is either an event pair or counted.
threads=1
STAT_OPTS=--no-counters
stat_json default "$PROGS/adapt"
STAT_OPTS=
expect_status "adapt under cprof stat, default rule" 0 default.err
calls_ok default default.json
jcheck "default: every call timed or counted" default.json \
	"j['processes'][0]['events'] + 2 * sum(r['untimed_calls'] for r in j['functions']) == 2 * sum(r['calls'] for r in j['functions'])"
jcheck "default: the measured costs in the JSON" default.json \
	"j['processes'][0]['adaptive']['timed_call_ns'] > 0"

# --time-all: every call timed, as before adaptive timing.
STAT_OPTS="--no-counters --time-all"
stat_json all "$PROGS/adapt"
STAT_OPTS=
expect_status "adapt under cprof stat --time-all" 0 all.err
calls_ok all all.json
jeq "time-all: nothing counted" all.json \
	"sum(r['untimed_calls'] for r in j['functions'])" 0
jcheck "time-all: every self time timed" all.json \
	"set(r['self_source'] for r in j['functions']) <= {'timed', 'compensated'}"
jeq "time-all: an event pair per call" all.json \
	"j['processes'][0]['events']" $((2 * (2000300 + 20 + 300 + 3)))
jcheck "time-all: no rule in the JSON" all.json "j['processes'][0]['adaptive'] is None"
jcheck "time-all: tiny timed" all.json "self('tiny') > 0"

# Recorded, then reported: the counts are in the log.
run rec "$CPROF" record $force -o run.cprof -- "$PROGS/adapt"
expect_status "adapt under cprof record" 0 rec.err
run rep "$CPROF" report --format json -o rep.json run.cprof
expect_status "cprof report" 0 rep.err
calls_ok report rep.json
jeq "report: tiny counted" rep.json "rows('tiny')[0]['untimed_calls']" $((2000300 - 2 * 64))
exit 0
