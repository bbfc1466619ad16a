#!/bin/sh
# e2e-rfilter.sh - report-time filters (issue 9): --filter and --exclude
# (globs), --pid, --tid, --percent-limit and --min-self hide rows of the
# table, the JSON and the CSV, prune or re-root the tree and the call
# graph, and the report says how much they hid; stat takes the filters
# that do not clash with its record-time --filter and --exclude; bad
# values are usage errors (t/progs/diffwork.c: steady() and scaled() 5 ms
# of CPU time each, small() 0.2 ms, main() almost none; t/progs/fork.c,
# t/progs/threads.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog diffwork fork threads
need_python

run rec "$CPROF" record -o run --no-counters -- "$PROGS/diffwork"
expect_status "record diffwork" 0 rec.err

# Names: the table, JSON and CSV.
run t "$CPROF" report --filter 's*' --exclude small run
expect_status "report --filter --exclude" 0 t.err
expect_grep "the table says what is hidden" \
	"^2 functions, [0-9.]+% of self time hidden by filters$" t.out
expect_grep "steady is shown" "^steady " t.out
expect_grep "scaled is shown" "^scaled " t.out
expect_no_grep "small is excluded" "^small " t.out
expect_no_grep "main does not match" "^main " t.out
run j "$CPROF" report --format json -o f.json --filter 's*' --exclude small run
jeq "JSON: the functions shown" f.json "sorted(names())" '["scaled", "steady"]'
jeq "JSON: what is hidden" f.json "j['filtered']['functions_hidden']" 2
jcheck "JSON: the hidden self time is small's and main's" f.json \
	"j['filtered']['self_ns_hidden'] == j['total_self_ns'] - self('steady') - self('scaled')"
jcheck "percentages stay shares of the whole run" f.json \
	"0 < j['filtered']['self_pct_hidden'] < 100"
run c "$CPROF" report --format csv --exclude 'ma*' --exclude small run
expect_status "CSV with --exclude" 0 c.err
expect_lines "CSV: a header and two rows" 3 c.out
expect_no_grep "CSV: no main" "^main," c.out

# Shares and times: what the unfiltered report of the same run says (the
# load of the machine stretches the wall time of each function its own
# way, so the shares are only known from the run).
run all "$CPROF" report --format json -o all.json run
want=$(j all.json "sorted(f['name'] for f in j['functions'] if f['self_ns'] * 100 >= 20 * j['total_self_ns'])")
run pl "$CPROF" report --format json -o pl.json --percent-limit 20 run
jeq "--percent-limit 20" pl.json "sorted(names())" "$want"
jcheck "--percent-limit 20 keeps the largest" pl.json "len(names()) >= 1"
want=$(j all.json "sorted(f['name'] for f in j['functions'] if f['self_ns'] >= 4000000)")
run ms "$CPROF" report --format json -o ms.json --min-self 4ms run
jeq "--min-self 4ms" ms.json "sorted(names())" "$want"
run ms2 "$CPROF" report --min-self 0 run
expect_grep "--min-self 0 hides nothing" "^0 functions, 0.0% of self time hidden" ms2.out

# The tree: --filter starts it at the matched function, --exclude prunes.
run tf "$CPROF" report --tree --format json -o tf.json --filter steady run
jeq "--tree --filter: steady is the root" tf.json \
	"[(n['name'], n['parent'], n['calls']) for n in j['tree']]" \
	'[["steady", null, 10]]'
run tt "$CPROF" report --tree --filter steady run
expect_grep "the tree table starts at steady" "^ +[0-9.]+m?s +[0-9.]+m?s +10  steady$" tt.out
run te "$CPROF" report --tree --format json -o te.json --exclude steady run
jeq "--tree --exclude: steady's node is gone" te.json \
	"sorted(n['name'] for n in j['tree'])" '["main", "scaled", "small"]'
jcheck "main's total is what is left under it" te.json \
	"[n['total_ns'] for n in j['tree'] if n['name'] == 'main'] == [sum(n['total_ns'] for n in j['tree'] if n['name'] != 'main') + [n['self_ns'] for n in j['tree'] if n['name'] == 'main'][0]]"
run ge "$CPROF" report --call-graph --format json -o ge.json --exclude steady run
jeq "--call-graph --exclude: no edge of steady" ge.json \
	"[e for e in j['call_graph'] if 'steady' in (e['caller'], e['callee'])]" '[]'
jeq "--call-graph --exclude: the others' edges stay" ge.json \
	"sorted(e['callee'] for e in j['call_graph'] if e['caller'] == 'main')" \
	'["scaled", "small"]'
run gp "$CPROF" report --call-graph --percent-limit 100 run
expect_status "--call-graph --percent-limit 100" 0 gp.err
expect_no_grep "the graph hides every function's own entry" "\(self " gp.out
run gp0 "$CPROF" report --call-graph --percent-limit 0 run
expect_grep "--percent-limit 0 hides none: small's entry" "^ +100 +[0-9.]+[mun]?s  small  \(self" gp0.out

# --pid: the child of fork alone (started by posix_spawn: TSan does not
# follow threads in the child of a multi-threaded fork, e2e-fork.sh).
run frec "$CPROF" record -o forkrun --no-counters -- "$PROGS/fork" spawn
expect_status "record fork" 0 frec.err
run fj "$CPROF" report --format json -o fork.json forkrun
child=$(j fork.json "[p['pid'] for p in j['processes'] if p['ppid'] == j['processes'][0]['pid']][0]")
run fp "$CPROF" report --format json -o fp.json --threads --pid "$child" forkrun
expect_status "report --pid" 0 fp.err
jeq "--pid: the child's function" fp.json "calls('exec_fn')" 7
jeq "--pid: not the parent's" fp.json "calls('parent_fn')" 0
jeq "--pid: only the child's threads" fp.json \
	"sorted(set(t['pid'] for t in j['threads']))" "[$child]"
jcheck "--pid: the parent's time is said hidden" fp.json \
	"j['filtered']['self_ns_hidden'] > 0"
run fpt "$CPROF" report --tree --format json -o fpt.json --pid "$child" forkrun
jeq "--pid --tree: no parent_fn node" fpt.json \
	"[n for n in j['tree'] if n['name'] == 'parent_fn']" '[]'
jeq "--pid --tree: the child's exec_fn" fpt.json \
	"sum(n['calls'] for n in j['tree'] if n['name'] == 'exec_fn')" 7

# --tid: one joined worker of threads.
run trec "$CPROF" record -o thrun --no-counters -- "$PROGS/threads"
run tj "$CPROF" report --format json --threads -o th.json thrun
tid=$(j th.json "[t['tid'] for t in j['threads'] if 'joined_fn' in tfuncs(t)][0]")
run tt2 "$CPROF" report --format json -o tid.json --tid "$tid" thrun
expect_status "report --tid" 0 tt2.err
jeq "--tid: one worker's calls" tid.json "calls('joined_fn')" 1000
jeq "--tid: nothing of the others" tid.json "calls('detached_fn') + calls('main_fn')" 0

# stat: --percent-limit and friends; its --filter stays the record-time one.
run st "$CPROF" stat --no-counters --percent-limit 20 -- "$PROGS/diffwork"
expect_status "stat --percent-limit" 0 st.err
expect_grep "stat: the line" "^[1-9][0-9]* functions?, [0-9.]+% of self time hidden by filters$" st.err
expect_no_grep "stat: main hidden" "^main " st.err
run sf "$CPROF" stat --no-counters --format json -o sf.json --filter scaled -- "$PROGS/diffwork"
jeq "stat --filter is record-time" sf.json "j['processes'][0]['selection']['filter']" '["scaled"]'
jcheck "stat --filter: no filtered key" sf.json "'filtered' not in j"

# Bad values.
bad() {
	_what=$1
	shift
	run bad "$CPROF" "$@"
	expect_status "$_what" 2 bad.err
	expect_grep "$_what: one line" "^cprof: " bad.err
	expect_lines "$_what: and the usage" 2 bad.err
}
bad "--pid of no number" report --pid abc run
bad "--tid 0" report --tid 0 run
bad "--percent-limit above 100" report --percent-limit 200 run
bad "--min-self without a unit" report --min-self 5 run
bad "a bad glob" report --filter '[ab' run
bad "filters on an export" report --format folded --exclude main run
exit 0
