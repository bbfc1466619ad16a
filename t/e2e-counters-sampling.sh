#!/bin/sh
# e2e-counters-sampling.sh - sampling mode: with a period of 1 every page
# fault is a sample, and the samples put touch()'s N faults in its self
# count and in its caller's total only; task-clock samples of two busy
# functions spinning 3:1 on their CPU clocks come in that ratio, and each
# function's share of the samples agrees with its share of the marker self
# time, so neither is flagged as distorted (t/progs/counters.c, modes
# faults and ratio).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog counters
need_sw_counters

N=1000
H=8 # a handful, as in e2e-counters.sh
# touch()'s faults: N, and TSan's own in the TSan build.
X=$(tsan_own_faults $N) || exit 1
NT=$((N + X))

# Page faults, sampled one by one. The program paces its faults below the
# kernel's sample rate limit, so nothing may be throttled or lost.
stat_counters pf -e page-faults -c 1 -- "$PROGS/counters" faults $N
cjeq "one event listed" pf.json "evnames()" '["page-faults"]'
cjeq "sampling mode" pf.json "event('page-faults')['mode']" sampling
cjeq "period 1" pf.json "event('page-faults')['period']" 1
cjeq "no sample lost" pf.json "event('page-faults')['lost']" 0
cjeq "no throttling" pf.json "event('page-faults')['throttled']" 0
cjcheck "a sample for each of the $N faults at least" pf.json \
	"event('page-faults')['samples'] >= $N"
cjcheck "touch has $NT page faults (+-$H) as self" pf.json \
	"abs(counter('touch', 'page-faults') - $NT) <= $H"
cjcheck "parent touches no page itself: self < 10" pf.json \
	"counter('parent', 'page-faults') < 10"
cjcheck "parent has touch's faults in its total" pf.json \
	"counter('parent', 'page-faults', 'total') >= max($NT - $H, counter('touch', 'page-faults', 'total'))"
cjcheck "a sample counts once in each enclosing frame's total" pf.json \
	"counter('parent', 'page-faults', 'total') == counter('parent', 'page-faults') + counter('touch', 'page-faults', 'total')"

# Task-clock samples against the markers. heavy() spins 300 ms of CPU
# time and light() 100 ms, interleaved in slices: 3:1.
F=4000
P=$((1000000000 / F)) # the task-clock period in ns at $F Hz
stat_counters ratio -e task-clock -F $F -- "$PROGS/counters" ratio
cjeq "ratio: calls of heavy" ratio.json "calls('heavy')" 50
cjeq "ratio: calls of light" ratio.json "calls('light')" 50
cjeq "ratio: sampling mode" ratio.json "event('task-clock')['mode']" sampling
cjeq "ratio: at $F Hz" ratio.json "event('task-clock')['freq']" $F
cjeq "ratio: no sample lost" ratio.json "event('task-clock')['lost']" 0

# Each task-clock sample carries the CPU time since the previous one, one
# period, so a function's self count over the period is its number of
# samples, kh and kl; n = kh + kl. The bounds are the binomial ones: the
# share of heavy is 3/4 within 4 standard errors, sqrt(3/16 / n). 400 ms
# of CPU time at $F Hz gives about 1600 samples, a bound of +-0.043: a
# 2:1 split (a share of 0.667) fails it. Fewer than half of them means
# samples went missing.
kh="counter('heavy', 'task-clock') / $P"
kl="counter('light', 'task-clock') / $P"
n="($kh + $kl)"
got=$(cjval "ratio" ratio.json "[round($kh), round($kl)]") || exit 1
cjcheck "ratio: about 1600 samples in heavy and light, at least 800 (got $got)" \
	ratio.json "$n >= 800"
cjcheck "ratio: heavy has 3/4 of the samples, within 4 standard errors (samples $got)" \
	ratio.json "share_ok($kh, $n, 0.75)"

# Shares of the marker self time against shares of the samples: the two
# measure the same thing, so they differ by the sampling error only, as
# long as the functions stay on CPU. On a loaded machine they lose the CPU
# to other processes now and then: their marker (wall) time then exceeds
# their CPU time by the time they were off, W - C, which can move the
# share of marker time by at most (W - C) / W, whichever function it
# landed in. The bound widens by that much; load cannot move the samples.
W="(self('heavy') + self('light'))"
C="($n * $P)"
off="max(0.0, ($W - $C) / $W)"
offv=$(cjval "ratio" ratio.json "round($off, 3)") || exit 1
ms="self('heavy') / $W"
got=$(cjval "ratio" ratio.json "[round($ms, 3), round($kh / $n, 3)]") || exit 1
cjcheck "ratio: heavy's share of marker time and of samples agree, within 4 standard errors and the $offv off CPU (time, samples: $got)" \
	ratio.json "abs($kh / $n - $ms) <= 4 * math.sqrt($ms * (1 - $ms) / $n) + $off"
# cprof flags a function whose marker time exceeds its samples by more
# than the sampling error and 1 percentage point, "time off CPU" among the
# reasons it gives: a loaded machine may rightly have it flagged.
if cj ratio.json "$off <= 0.01" | grep -q true; then
	cjeq "ratio: heavy is not flagged as distorted" ratio.json "distortion('heavy')" false
	cjeq "ratio: light is not flagged as distorted" ratio.json "distortion('light')" false
else
	echo "$test_name: heavy and light were off CPU for $offv of their time: the distortion flags are not checked"
fi
exit 0
