#!/bin/sh
# e2e-counters-defaults.sh - on a machine without hardware counters, cprof
# stat and record without -e count task-clock, page-faults and
# context-switches instead of cycles, instructions and cache-misses, and
# say so in exactly one line on stderr; --no-counters says nothing and
# counts nothing. Where a hardware PMU exists the defaults do not change,
# and this test is skipped.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog counters
need_sw_counters
have_hw_pmu && skip "this machine has a hardware PMU: the hardware defaults are kept"

fallback='task-clock,page-faults,context-switches'

run def "$CPROF" stat --format json -o def.json -- "$PROGS/counters" faults 10
expect_status "cprof stat without -e" 0 def.err
expect_lines "one line on stderr about the defaults" 1 def.err
expect_grep "the line is cprof's" '^cprof: ' def.err
expect_grep "it names the refused default event" 'cycles' def.err
expect_grep "it names what is counted instead" "$fallback" def.err
cjeq "the events are the fallback ones" def.json "evnames()" \
	'["task-clock", "page-faults", "context-switches"]'
cjeq "the first one samples" def.json "event('task-clock')['mode']" sampling
cjeq "at the default 1000 Hz" def.json "event('task-clock')['freq']" 1000
cjcheck "every function has the three events as counters" def.json \
	"all(sorted(r['counters']) == sorted(evnames()) for r in j['functions'])"

# The table goes to stderr too: the line comes once, before it.
run tab "$CPROF" stat -- "$PROGS/counters" faults 10
expect_status "cprof stat without -e (table)" 0 tab.err
n=$(grep -c -- "$fallback" tab.err)
expect_eq "the defaults line, once, with the table" 1 "$n" tab.err
expect_grep "the table follows" '^Function +Self' tab.err

# record says it; report, reading the run, does not say it again.
run rec "$CPROF" record -o run.cprof -- "$PROGS/counters" faults 10
expect_status "cprof record without -e" 0 rec.err
expect_lines "record: one line on stderr" 1 rec.err
expect_grep "record: the defaults line" "$fallback" rec.err
run rep "$CPROF" report --counters --format json -o rep.json run.cprof
expect_status "cprof report --counters" 0 rep.err
expect_no_grep "report: no line about the defaults" "$fallback" rep.err
cjeq "report: the events of the run" rep.json "evnames()" \
	'["task-clock", "page-faults", "context-switches"]'

# --no-counters: marker timing only, and nothing to say about events.
run none "$CPROF" stat --no-counters --format json -o none.json -- \
	"$PROGS/counters" faults 10
expect_status "cprof stat --no-counters" 0 none.err
expect_lines "--no-counters: nothing on stderr" 0 none.err
cjeq "--no-counters: calls still counted" none.json "calls('touch')" 1
cjcheck "--no-counters: no function has counters" none.json \
	"all(not r.get('counters') for r in j['functions'])"
exit 0
