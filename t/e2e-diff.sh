#!/bin/sh
# e2e-diff.sh - cprof diff, record -r and cprof tag (issue 9): repeated
# runs are kept together and reported as means; two repeated runs of the
# same program differ significantly almost never (20 diffs flag at most
# one function); a function made twice as slow is flagged and fails
# --fail-above, the unchanged one is not; single runs say their estimate
# is a lower bound; tags name snapshots of runs for diff and report;
# different programs are said to differ; bad input is a one-line error
# with exit status 2 (t/progs/diffwork.c).
#
# The comparisons use the task-clock counted exactly at every marker
# (--value task-clock): CPU time, which the load of a shared machine
# does not stretch as it does the wall time of the markers.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog diffwork calls
need_python

REC="--exact -e task-clock"
# rec NAME ARGS...: record diffwork three times into NAME.
rec() {
	_n=$1
	shift
	run "rec-$_n" "$CPROF" record -r 3 -o "$_n" $REC -- "$PROGS/diffwork" "$@"
	if [ "$status" != 0 ] &&
		grep -q "task-clock" "rec-$_n.err"; then
		skip "the task-clock counter cannot be opened here: $(head -1 "rec-$_n.err")"
	fi
	expect_status "record -r 3 into $_n" 0 "rec-$_n.err"
}

rec base
for k in 1 2 3; do
	[ -f "base/repeat-$k/run.meta" ] ||
		fail "record -r 3 keeps run $k in base/repeat-$k" rec-base.err
	ls base/repeat-$k/proc-*.log >/dev/null 2>&1 ||
		fail "base/repeat-$k holds a log" rec-base.err
done
[ ! -d base/repeat-4 ] || fail "record -r 3 made a fourth repeat"

# report: the means per run, and the spread.
run rep "$CPROF" report base
expect_status "report of a repeated run" 0 rep.err
expect_grep "the table says it shows means of 3 runs" \
	"^repeats: 3 runs, each function's mean per run" rep.out
run repj "$CPROF" report --format json -o rep.json base
expect_status "report --format json of a repeated run" 0 repj.err
jeq "JSON: three runs" rep.json "j['repeats']['runs']" 3
jeq "JSON: a self time per run" rep.json "len(j['repeats']['self_ns'])" 3
jeq "calls are means per run" rep.json "calls('steady')" 10
expect_grep "the table shows each function's spread" \
	"^ +[0-9.]+m?s +[0-9.]+% +[0-9.]+[mu]?s +[0-9.]+[mu]?s  steady$" rep.out
jcheck "JSON: steady's self time in each run, their mean its row's" rep.json \
	"[abs(sum(f['self_ns']) / 3 - self('steady')) <= 1 and len(f['self_ns']) == 3 for f in j['repeats']['functions'] if f['name'] == 'steady'] == [True]"
jeq "calls are means per run (small)" rep.json "calls('small')" 100

# The same program, 20 diffs of repeated runs: at most one function in
# all is called significant.
# Five repeated runs, each diffed against each other one both ways.
for r in r1 r2 r3 r4; do
	rec "$r"
done
flagged=0
ndiffs=0
for a in base r1 r2 r3 r4; do
	for b in base r1 r2 r3 r4; do
		[ "$a" = "$b" ] && continue
		run "same-$a-$b" "$CPROF" diff --value task-clock --format json \
			-o "same-$a-$b.json" "$a" "$b"
		expect_status "diff $a $b" 0 "same-$a-$b.err"
		# small()'s 2 us calls are mostly exact mode's counter reads,
		# whose cost moves with the machine's load between recordings
		# (a drift, not noise that repeats show): not counted here.
		n=$(j "same-$a-$b.json" \
			"sum(f['significant'] for f in j['functions'] if f['name'] != 'small')")
		flagged=$((flagged + n))
		ndiffs=$((ndiffs + 1))
	done
done
expect_eq "diffs of the same program" 20 "$ndiffs"
[ "$flagged" -le 1 ] ||
	fail "20 diffs of the same program flagged $flagged functions (at most 1)"

# scaled() twice as slow: flagged, steady() not; the gate fails on it.
rec slow 2
run two "$CPROF" diff --value task-clock --format json -o two.json base slow
expect_status "diff of a slower run" 0 two.err
jeq "method: Welch between runs" two.json "j['method']" welch
jeq "scaled is significant" two.json \
	"[f['significant'] for f in j['functions'] if f['name'] == 'scaled']" \
	'[true]'
jeq "steady is not" two.json \
	"[f['significant'] for f in j['functions'] if f['name'] == 'steady']" \
	'[false]'
jcheck "scaled is about twice as slow" two.json \
	"[80 < f['delta_self_pct'] < 120 for f in j['functions'] if f['name'] == 'scaled'] == [True]"
jeq "the largest change first" two.json "j['functions'][0]['name']" scaled
jcheck "base and new numbers per function" two.json \
	"all(set(f['base']) >= {'calls', 'self_ns', 'total_ns'} and set(f) >= {'name', 'base', 'new', 'delta_self_ns', 'delta_self_pct', 'significant'} for f in j['functions'])"

run gate "$CPROF" diff --value task-clock --fail-above 20 base slow
expect_status "--fail-above 20 with scaled 2x slower" 1 gate.err
expect_grep "one line for scaled" "^cprof: regression: scaled task-clock .* above 20%" gate.err
expect_grep "one line for the total" "^cprof: regression: \[total\]" gate.err
# (small(), 2 us a call, may cross the gate too on a loaded machine: its
# exact counts move with the cache, which repeats cannot always smooth.)
grep -v '^cprof: regression: ' gate.err >gate.other
[ ! -s gate.other ] || fail "one line per offender, nothing else" gate.err
expect_no_grep "no line for steady" "^cprof: regression: steady" gate.err
expect_grep "the table marks scaled significant" " \* .* scaled$" gate.out
expect_no_grep "nor steady" " \* .* steady$" gate.out

run late "$CPROF" diff base slow --value task-clock --fail-above 20
expect_status "options after the runs, as CI scripts write them" 1 late.err
expect_lines "the same two offenders" 2 late.err
run nogate "$CPROF" diff --value task-clock --fail-above 20 slow base
expect_status "--fail-above when it got faster" 0 nogate.err
run nogate2 "$CPROF" diff --value task-clock --fail-above 20 base r1
expect_status "--fail-above with nothing slower" 0 nogate2.err

# CSV.
run csv "$CPROF" diff --value task-clock --format csv base slow
expect_status "diff --format csv" 0 csv.err
expect_grep "the CSV header" "^function,status,base_calls,base_self_ns,base_total_ns,new_calls,new_self_ns,new_total_ns,delta_self_ns,delta_self_pct,significant$" csv.out
expect_grep "the CSV row of scaled" "^scaled,changed,10,[0-9]+,[0-9]+,10,[0-9]+,[0-9]+,[0-9]+,[0-9.]+,1$" csv.out

# Single runs on each side: the estimate is a lower bound, and says so.
run one1 "$CPROF" record -o one1 --no-counters -- "$PROGS/diffwork"
run one2 "$CPROF" record -o one2 --no-counters -- "$PROGS/diffwork" 2
run one "$CPROF" diff one1 one2
expect_status "diff of single runs" 0 one.err
expect_grep "single runs: a within-run lower bound" "within-run lower bound" one.out
run onej "$CPROF" diff --format json -o one.json one1 one2
jeq "JSON: the method" one.json "j['method']" lower-bound
jeq "functions that did not change calls" one.json \
	"[(f['base']['calls'], f['new']['calls']) for f in j['functions'] if f['name'] == 'small']" \
	'[[100, 100]]'

# Tags: a snapshot under a name, for diff and report, listed.
run tag "$CPROF" tag before base
expect_status "cprof tag before base" 0 tag.err
[ -d .cprof-tags/before/repeat-3 ] || fail "the tag is kept in .cprof-tags" tag.err
run tag2 "$CPROF" tag after slow
run tags "$CPROF" tag
expect_status "cprof tag (list)" 0 tags.err
expect_grep "the list names before" "^before .* 3 runs .*diffwork" tags.out
expect_grep "the list names after" "^after " tags.out
run tdiff "$CPROF" diff --value task-clock --fail-above 20 before after
expect_status "diff of two tags" 1 tdiff.err
run trep "$CPROF" report before
expect_status "report of a tag" 0 trep.err
expect_grep "report of a tag shows the means" "^repeats: 3 runs" trep.out
# Recording into the tagged directory again leaves the tag as it was.
rec base 2
run tdiff2 "$CPROF" diff --value task-clock --fail-above 20 before r1
expect_status "the tag is a snapshot, not the path" 0 tdiff2.err
run tpromote "$CPROF" tag main after
expect_status "a tag of a tag" 0 tpromote.err
[ -d .cprof-tags/main/repeat-1 ] || fail "tag main after copies the tag" tpromote.err
run tenv env CPROF_TAGS="$T/elsewhere" "$CPROF" tag x one1
[ -d elsewhere/x ] || fail "CPROF_TAGS chooses the tag directory" tenv.err

# Different programs: said, still compared by name.
run calls "$CPROF" record -o callsrun --no-counters -- "$PROGS/calls"
run dp "$CPROF" diff one1 callsrun
expect_status "diff of different programs" 0 dp.err
expect_grep "different programs are named" "^different programs \(diffwork, calls\)" dp.out
expect_grep "still compared by name: main" " main$" dp.out
expect_grep "a vanished function" " gone .* steady$" dp.out
expect_grep "an appeared function" " new .* leaf$" dp.out

# Bad input: one line, exit status 2.
bad() {
	_what=$1
	shift
	run bad "$CPROF" "$@"
	expect_status "$_what" 2 bad.err
	expect_lines "$_what: one line (and the usage)" "${EXPECT_LINES:-1}" bad.err
}
bad "an unknown tag" diff base no-such-tag
expect_grep "the unknown tag is named" "no-such-tag: No such file or directory, and no tag of that name" bad.err
bad "report of an unknown tag" report no-such-tag
EXPECT_LINES=2 bad "diff of one run" diff base
EXPECT_LINES=2 bad "a bad --fail-above" diff --fail-above=ten base r1
EXPECT_LINES=2 bad "three runs" diff base r1 r2
bad "--value of a counter the run lacks" diff --value cycles base r1
EXPECT_LINES=2 bad "a bad tag name" tag ../x base
bad "a tag of no run" tag x no-such-run
EXPECT_LINES=2 bad "-r 0" record -r 0 -- "$PROGS/diffwork"
exit 0
