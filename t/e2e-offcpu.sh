#!/bin/sh
# e2e-offcpu.sh - off-CPU time per function (--off-cpu): the kernel's
# context-switch records place the time a thread was switched out on the
# marker frames open then (t/progs/offcpu.c). A function that sleeps four
# times 50 ms has as off-CPU self time the wall time its nanosleep calls
# took, as the program measured it around them, within 1 % (the calls'
# own on-CPU entry and exit are microseconds); a function that spins on
# its CPU clock blocks for under 1 % of its time (a preemption on a
# loaded machine is counted apart, as preempted time); functions waiting
# on a mutex and on a condition variable another thread holds read as
# waiting: nearly all their self time is off the CPU; totals hold their
# callees' off-CPU time.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog offcpu
need_sw_counters

stat_counters off --off-cpu -e task-clock -- "$PROGS/offcpu"
slept=$(sed -n 's/^slept //p' off.out)
[ -n "$slept" ] || fail "the program printed no sleep time" off.out

off() { echo "rows('$1')[0]['off_cpu_ns']['$2']"; }
pre() { echo "rows('$1')[0]['preempted_ns']['$2']"; }
cjcheck "every function row has off_cpu_ns" off.json \
	"all('off_cpu_ns' in r for r in j['functions'] if r['calls'] > 0)"
got=$(cjval "sleeper" off.json "$(off sleeper self)") || exit 1
cjcheck "sleeper: off-CPU self ($got ns) within 1 % of the $slept ns its nanosleep calls took" \
	off.json "abs($(off sleeper self) - $slept) <= $slept / 100"
cjcheck "sleeper: off-CPU self within its self time" off.json \
	"$(off sleeper self) + $(pre sleeper self) <= self('sleeper')"
cjcheck "sleeper: on-CPU self is what is left" off.json \
	"rows('sleeper')[0]['on_cpu_self_ns'] == self('sleeper') - $(off sleeper self) - $(pre sleeper self)"
cjcheck "main: sleeper's off-CPU time in its total" off.json \
	"$(off main total) >= $(off sleeper total) + $(off hold total)"
got=$(cjval "busy" off.json "[$(off busy self), self('busy')]") || exit 1
cjcheck "busy: blocked under 1 % of its self time (off, self: $got)" \
	off.json "$(off busy self) <= self('busy') / 100"
for f in mutex_wait cond_wait; do
	got=$(cjval "$f" off.json "[$(off $f self), self('$f')]") || exit 1
	cjcheck "$f: waits, at least 90 % of its self time off the CPU (off, self: $got)" \
		off.json "self('$f') > 0 and $(off $f self) >= 0.9 * self('$f')"
done
cjcheck "waiter: its callees' waits in its total" off.json \
	"$(off waiter total) >= $(off mutex_wait self) + $(off cond_wait self)"

# The table shows the columns with --off-cpu, and report too.
run tab "$CPROF" stat --off-cpu -e task-clock -- "$PROGS/offcpu"
expect_status "cprof stat --off-cpu" 0 tab.err
expect_grep "the table has an Off-CPU column" "Off-CPU" tab.err
run rec "$CPROF" record -o run.cprof --off-cpu -- "$PROGS/offcpu"
expect_status "cprof record --off-cpu" 0 rec.err
run rep "$CPROF" report --off-cpu run.cprof
expect_status "cprof report --off-cpu" 0 rep.err
expect_grep "report --off-cpu shows the columns" "On-CPU" rep.out
run rep2 "$CPROF" report run.cprof
expect_no_grep "without --off-cpu the table has no such column" "Off-CPU" rep2.out

# Sampling is needed: --exact and --no-counters are refused.
run ex "$CPROF" stat --off-cpu --exact -- "$PROGS/offcpu"
expect_status "--off-cpu --exact" 2 ex.err
exit 0
