#!/bin/sh
# e2e-counters-plain.sh - a program built without -finstrument-functions
# has no marker frames, so its task-clock samples are attributed by their
# symbolized instruction address: heavy() and light() of counters-plain
# appear by name, with their samples in the 3:1 ratio of the CPU time they
# spin (t/progs/counters.c, mode ratio).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog counters-plain
need_sw_counters

F=4000
P=$((1000000000 / F)) # the task-clock period in ns at $F Hz
stat_counters plain -e task-clock -F $F -- "$PROGS/counters-plain" ratio
[ ! -s plain.out ] || fail "the program printed nothing, cprof printed on its stdout" plain.out
cjeq "no sample lost" plain.json "event('task-clock')['lost']" 0
cjcheck "heavy appears by name" plain.json "len(rows('heavy')) == 1"
cjcheck "light appears by name" plain.json "len(rows('light')) == 1"
cjeq "heavy is a function of counters-plain" plain.json \
	"rows('heavy')[0]['object']" counters-plain

# As in e2e-counters-sampling.sh: a function's self count over the period
# is its number of samples; heavy's share is 3/4 within 4 binomial
# standard errors. 400 ms of CPU time at $F Hz gives about 1600 samples,
# of which the system calls reading the CPU clock take a few percent
# outside heavy and light: a bound of about +-0.044, which a 2:1 split (a
# share of 0.667) fails; at 1000 Hz it would not. Fewer than 800 samples
# means samples went missing.
kh="counter('heavy', 'task-clock') / $P"
kl="counter('light', 'task-clock') / $P"
n="($kh + $kl)"
got=$(cjval "plain" plain.json "[round($kh), round($kl)]") || exit 1
cjcheck "about 1600 samples in heavy and light, at least 800 (got $got)" \
	plain.json "$n >= 800"
cjcheck "heavy has 3/4 of the samples, within 4 standard errors (samples $got)" \
	plain.json "share_ok($kh, $n, 0.75)"
cjcheck "no sample is counted in a total twice: total == self without frames" \
	plain.json "counter('heavy', 'task-clock', 'total') == counter('heavy', 'task-clock')"
exit 0
