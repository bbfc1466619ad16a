#!/bin/sh
# e2e-export-folded.sh - report --format folded writes one "stack value"
# line per calling context: t/progs/calls.c gives exactly its known
# stacks, with its known call counts (--value calls); the self times add
# up to the table's per function and to its total; --value takes a
# counter by name and refuses anything else; an unwritable output is a
# one-line error. The calls are checked on the adaptive default (counted
# calls included, exact), the self times on a --time-all run (a counted
# call's time is its caller's in the tree). speedscope reading the file is t/e2e-export-viewer.sh.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python

run rec "$CPROF" record -o run -- "$PROGS/calls"
expect_status "calls under cprof record" 0 rec.err
run table "$CPROF" report --format json run
expect_status "the JSON report" 0 table.err
mv table.out r.json

run calls "$CPROF" report --format folded --value calls run
expect_status "--format folded --value calls" 0 calls.err
sort calls.out >got.txt
sort >want.txt <<'EOF'
main 1
main;heavy 3
main;light 3
main;rec 50
main;rec;bottom 5
main;mid 100
main;mid;leaf 1000
main;helper_static 7
init_fn 1
at_exit_fn 1
fini_fn 1
EOF
cmp -s got.txt want.txt || { diff want.txt got.txt >diff.txt; fail "the known stacks and calls" diff.txt; }

jcheck "some calls were counted, not timed" r.json \
	"any(r['untimed_calls'] for r in j['functions'])"

run reca "$CPROF" record --time-all -o runall -- "$PROGS/calls"
expect_status "calls under cprof record --time-all" 0 reca.err
run tablea "$CPROF" report --format json runall
expect_status "the JSON report of the --time-all run" 0 tablea.err
mv tablea.out rall.json
run self "$CPROF" report --format folded -o self.folded runall
expect_status "--format folded" 0 self.err
[ ! -s self.out ] || fail "-o FILE printed on stdout" self.out
"$PYTHON" - rall.json self.folded <<'EOF' || fail "the folded self times differ from the table's" self.folded r.json
import json, re, sys
j = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
self, n = {}, 0
for l in lines:
    m = re.fullmatch(r"([^ ;][^;]*(?:;[^;]+)*) ([0-9]+)", l)
    assert m, l
    leaf = m.group(1).split(";")[-1]
    self[leaf] = self.get(leaf, 0) + int(m.group(2))
    n += 1
# The markers' self times (the tree's), not the table's compensated or
# sampled ones; rows known from samples alone have no calls.
want = {r["name"]: r.get("timed_self_ns", r["self_ns"]) for r in j["functions"]
        if r["calls"] and r.get("timed_self_ns", r["self_ns"])}
assert set(self) == set(want), (sorted(self), sorted(want))
for f, s in want.items():
    # Nodes convert ticks to ns one by one: a ns each at most.
    assert abs(self[f] - s) <= n, (f, self[f], s)
assert abs(sum(self.values()) - sum(want.values())) <= n
EOF

# A counter by name, when the run has one; anything else is refused.
c=$(j r.json "(j.get('counters') or [{'name': ''}])[0]['name']")
if [ -n "$c" ]; then
	run cnt "$CPROF" report --format folded --value "$c" run
	expect_status "--value $c" 0 cnt.err
	[ -s cnt.out ] || fail "--value $c gives no line" cnt.out
fi
run bad "$CPROF" report --format folded --value nonesuch run
expect_status "--value nonesuch" 2 bad.err
expect_lines "the error is one line" 1 bad.err

run unw "$CPROF" report --format folded -o /nonexistent/dir/f.folded run
expect_status "an unwritable -o" 1 unw.err
expect_lines "the error is one line" 1 unw.err
exit 0
