#!/bin/sh
# e2e-coroutines.sh - ucontext coroutines get exact calls, and their
# frames count the time they ran, not the time they were switched out
# (t/progs/coro.c); a stack switch that is not a ucontext makes the
# report say the thread's numbers are unreliable, never wrong in silence.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python

$CC -O1 -g -finstrument-functions -pthread -I"$SRCPROGS" -o coro \
	"$SRCPROGS/coro.c" -ldl 2>build.err || fail "cannot build coro.c" build.err

n=300
run rec "$CPROF" record --no-counters -o uc.cprof -- ./coro ucontext $n
expect_status "coro ucontext under cprof record" 0 rec.err
expect_grep "coro ran unchanged" "^done $((n + n / 10)) $n\$" rec.out
run rep "$CPROF" report --format json uc.cprof
expect_status "cprof report of coro ucontext" 0 rep.err
mv rep.out uc.json
jeq "calls of step_a (two coroutines in one ucontext_t)" uc.json "calls('step_a')" $((n + n / 10))
jeq "calls of step_b" uc.json "calls('step_b')" $n
jeq "calls of the bodies" uc.json "(calls('body_a'), calls('body_b'))" "[2, 1]"
jeq "calls of scheduler and main" uc.json "(calls('scheduler'), calls('main'))" "[2, 1]"
# The scheduler spins 30 ms in its first round of each call while the
# coroutines sit in a step: that time is the scheduler's own, not the
# steps'. The coroutines and the scheduler take turns, so the time each
# frame counts (a frame counts only while its context runs) adds up to at
# most the process's wall time, however loaded the machine; a step or a
# body that counted the time it was switched out would overlap the
# scheduler's 60 ms and push the sum past it.
wall="(j['processes'][0]['end_ns'] - j['processes'][0]['start_ns'])"
jcheck "scheduler keeps its 60 ms" uc.json "self('scheduler') >= 59400000"
jcheck "a step does not count the time it was switched out" uc.json \
	"total('step_a') + total('step_b') + self('scheduler') + self('after') <= $wall"
jcheck "a coroutine's body does not span the run" uc.json \
	"total('body_a') + total('body_b') + self('scheduler') + self('after') <= $wall"
jcheck "main spans the run" uc.json "total('main') >= self('scheduler') + self('after')"
jeq "the thread is not marked unreliable" uc.json "j['threads'][0]['unreliable']" false
jcheck "the thread ran coroutines" uc.json "j['threads'][0]['contexts'] >= 2"
run tab "$CPROF" report uc.cprof
expect_grep "the table says coroutines were followed" "ucontext coroutines followed" tab.out

# The same in a thread of its own.
run rec-t "$CPROF" record --no-counters -o t.cprof -- ./coro thread $n
expect_status "coro thread under cprof record" 0 rec-t.err
run rep-t "$CPROF" report --format json t.cprof
mv rep-t.out t.json
jeq "thread: calls of the steps" t.json "(calls('step_a'), calls('step_b'))" "[$((n + n / 10)), $n]"
jeq "thread: calls of scheduler" t.json "calls('scheduler')" 2
jcheck "thread: a step does not count the time it was switched out" t.json \
	"total('step_a') + total('step_b') + self('scheduler') <= $wall"
jeq "thread: no thread marked unreliable" t.json \
	"[t['tid'] for t in j['threads'] if t['unreliable']]" "[]"

run rec-f "$CPROF" record --no-counters -o f.cprof -- ./coro foreign $n
expect_status "coro foreign under cprof record" 0 rec-f.err
expect_grep "coro foreign ran unchanged" "^done $n $n\$" rec-f.out
run rep-f "$CPROF" report --format json f.cprof
expect_status "cprof report of coro foreign" 0 rep-f.err
mv rep-f.out f.json
jeq "an unknown stack switch marks the thread unreliable" f.json "j['threads'][0]['unreliable']" true
run tab-f "$CPROF" report f.cprof
expect_grep "the table says so" "unreliable" tab-f.out
exit 0
