#!/bin/sh
# e2e-budget.sh - report --budget and --budgets (issue 9): budgets met
# exit 0, an exceeded one exits 1 with one line naming it, and the table
# and JSON show budget, actual and efficiency; a malformed budget (its
# position named) or an unknown function is a one-line error with exit
# status 2 (t/progs/diffwork.c: steady() and scaled() spin 5 ms of CPU
# time in 10 calls, small() 0.2 ms in 100, so budgets of a microsecond
# are exceeded and budgets of 1000 s are met whatever the load).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog diffwork
need_python

run rec "$CPROF" record -o run --no-counters -- "$PROGS/diffwork"
expect_status "record diffwork" 0 rec.err

run met "$CPROF" report --budget main=1000s --budget 'small=10s/call' run
expect_status "budgets met" 0 met.err
expect_grep "the table shows the budget of main" "^ +1000s +[0-9.]+m?s +[0-9]+% +ok +main$" met.out
expect_grep "and the per-call one" "^ +10.0s/call +[0-9.]+us +[0-9]+% +ok +small$" met.out
[ ! -s met.err ] || fail "budgets met: nothing on stderr" met.err

run over "$CPROF" report --budget main=1000s --budget steady=1us \
	--budget 'scaled=1ns/call' run
expect_status "budgets exceeded" 1 over.err
expect_grep "the line for steady" "^cprof: over budget: steady [0-9.]+ms > 1.00us$" over.err
expect_grep "the line for scaled" "^cprof: over budget: scaled [0-9.]+(us|ms)/call > 1ns/call$" over.err
expect_lines "one line per exceeded budget" 2 over.err
expect_grep "the table marks steady" "OVER +steady$" over.out

run j "$CPROF" report --format json -o over.json --budget steady=1us \
	--budget main=1000s run
expect_status "budgets in JSON" 1 j.err
jeq "JSON budgets" over.json \
	"[(b['function'], b['per_call'], b['over'], b['budget_ns']) for b in j['budgets']]" \
	'[["steady", false, true, 1000], ["main", false, false, 1000000000000]]'
jcheck "actual is main's total" over.json \
	"j['budgets'][1]['actual_ns'] == total('main')"
jcheck "efficiency is budget / actual" over.json \
	"abs(j['budgets'][1]['efficiency_pct'] - 100.0 * 1e12 / total('main')) < 0.1"

cat >budgets <<'B'
# budgets of diffwork
main=1000s

  steady = 1us
B
run file "$CPROF" report --budgets budgets run
expect_status "--budgets FILE (comments, blank lines, spaces), one exceeded" 1 file.err
expect_lines "one line" 1 file.err
expect_grep "the line for steady" "^cprof: over budget: steady " file.err
expect_grep "main from the file" " ok +main$" file.out

bad() {
	_what=$1 _pat=$2
	shift 2
	run bad "$CPROF" report "$@"
	expect_status "$_what" 2 bad.err
	expect_lines "$_what: one line" 1 bad.err
	expect_grep "$_what: the message" "$_pat" bad.err
}
bad "an unknown function" "^cprof: --budget #2: no function 'nosuch' in the run$" \
	--budget main=1s --budget nosuch=1ms run
bad "no time unit" "^cprof: --budget #1: malformed budget 'main=5'" \
	--budget main=5 run
bad "no '='" "^cprof: --budget #1: malformed budget 'main'" --budget main run
bad "a bad suffix" "only '/call'" --budget main=1ms/op run
printf 'main=1s\nmain==\n' >budgets3
bad "a malformed line of a file" "^cprof: budgets3:2: malformed budget 'main=='" \
	--budgets budgets3 run
bad "a missing budget file" "^cprof: no-such-file: No such file" \
	--budgets no-such-file run
exit 0
