#!/bin/sh
# e2e-callgraph.sh - `cprof report --call-graph` and `--tree` on programs
# of a known call structure: exact edge counts, edge times that add up to
# the functions' totals, recursion (mutual, deep) folded into a bounded
# tree, one function under two callers at two costs, calls from several
# threads in one tree, the table's folding, and the views of a program
# without hooks from its sampled call chains.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog mutual
need_prog twocallers
need_prog adapt
need_python

# vj FILE EXPR: a Python expression over the JSON in FILE, with
#   edge(a, b)   the call_graph edge a -> b (a None: a root call), or {}
#   into(b)      the edges into b
#   node(path)   the tree node of the path "main/a/b", or {}
#   func(name)   the functions row of name
#   ftotal(name) its timed calls' total, as the markers measured it
# and `j` the document.
vj() {
	"$PYTHON" - "$1" "$2" <<'PY'
import json, sys

with open(sys.argv[1]) as f:
    j = json.load(f)

def edge(a, b):
    for e in j["call_graph"]:
        if e["caller"] == a and e["callee"] == b:
            return e
    return {}

def into(b):
    return [e for e in j["call_graph"] if e["callee"] == b]

def node(path):
    parent = None
    n = {}
    for name in path.split("/"):
        n = next((x for x in j["tree"]
                  if x["parent"] == parent and x["name"] == name), {})
        if not n:
            return {}
        parent = n["id"]
    return n

def func(name):
    return next(r for r in j["functions"] if r["name"] == name)

# The total of a function's timed calls, as the markers measured it:
# what the edges and the tree carry (the table's total may be
# compensated for the hooks' cost, or come from samples).
def ftotal(name):
    r = func(name)
    return r.get("timed_total_ns", r["total_ns"])

def paths_ok():
    byid = {n["id"]: n for n in j["tree"]}
    for n in j["tree"]:
        names = []
        while n is not None:
            names.append(n["name"])
            if n["parent"] is not None and n["parent"] >= n["id"]:
                return False
            n = byid.get(n["parent"])
        if len(names) != len(set(names)):
            return False
    return True

v = eval(sys.argv[2])
if v is True or v is False:
    print("true" if v else "false")
else:
    print(json.dumps(v) if isinstance(v, (list, dict)) else v)
PY
}

vcheck() {
	_got=$(vj "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = true ] || fail "$1: expected $3 to hold over $2" "$2"
}

veq() {
	_got=$(vj "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = "$4" ] || fail "$1: expected $3 = $4, got $_got" "$2"
}

# The rules on any run: the edges into each function add up to its calls
# and (within a nanosecond an edge of rounding) the total of its timed
# calls (counted calls carry no time on their edges), each node's
# total is its self plus its children's, the roots add up to the self
# time of the run, and no path holds a function twice.
check_rules() {
	vcheck "$1: edges add up to calls" "$2" \
		"all(sum(e['calls'] for e in into(r['name'])) == r['calls'] for r in j['functions'] if r['calls'] > 0)"
	vcheck "$1: edges add up to totals" "$2" \
		"all(abs(sum(e['total_ns'] for e in into(r['name'])) - r.get('timed_total_ns', r['total_ns'])) <= len(into(r['name'])) for r in j['functions'] if r['calls'] > 0)"
	vcheck "$1: node totals are self plus children" "$2" \
		"all(n['total_ns'] == n['self_ns'] + sum(c['total_ns'] for c in j['tree'] if c['parent'] == n['id']) for n in j['tree'])"
	vcheck "$1: the roots add up to the run's self time" "$2" \
		"sum(n['total_ns'] for n in j['tree'] if n['parent'] is None) == sum(n['self_ns'] for n in j['tree'])"
	vcheck "$1: parents come first, no path holds a function twice" "$2" \
		"paths_ok()"
}

# --- mutual recursion ---
run rec-mutual "$CPROF" record --no-counters -o mutual.cprof -- "$PROGS/mutual" 10
expect_status "mutual under cprof record" 0 rec-mutual.err
run mj "$CPROF" report --call-graph --tree --format json mutual.cprof
expect_status "report --call-graph --tree --format json" 0 mj.err
mv mj.out m.json
veq "format version" m.json "j['format_version']" 3
veq "is_even: 110 calls" m.json "func('is_even')['calls']" 110
veq "main -> is_even: 10 calls" m.json "edge('main', 'is_even')['calls']" 10
veq "is_odd -> is_even: 100 calls" m.json "edge('is_odd', 'is_even')['calls']" 100
veq "is_even -> is_odd: 100 calls" m.json "edge('is_even', 'is_odd')['calls']" 100
veq "is_even -> base: 10 calls" m.json "edge('is_even', 'base')['calls']" 10
veq "main is a root call" m.json "edge(None, 'main')['calls']" 1
veq "recursive calls into is_even carry no time" m.json \
	"edge('is_odd', 'is_even')['total_ns']" 0
vcheck "main -> is_even carries is_even's total" m.json \
	"abs(edge('main', 'is_even')['total_ns'] - ftotal('is_even')) <= 1"
vcheck "is_even's total covers base's ten 1 ms spins" m.json \
	"func('is_even')['total_ns'] >= func('base')['total_ns'] >= 10000000"
# The tree: main > is_even > {is_odd, base}, whatever the recursion.
# (clang hooks the C library's inline atoi() of stdlib.h too: a node of
# its own, named by whatever defines atoi, a sanitizer's interceptor.)
veq "four nodes" m.json "sorted(n['name'] for n in j['tree'] if node('main') and n['id'] >= node('main')['id'] and 'atoi' not in n['name'])" \
	'["base", "is_even", "is_odd", "main"]'
veq "is_even node: every call" m.json "node('main/is_even')['calls']" 110
veq "is_odd node under is_even" m.json "node('main/is_even/is_odd')['calls']" 100
veq "base under is_even (the re-entered node)" m.json "node('main/is_even/base')['calls']" 10
veq "no is_even under is_odd" m.json "node('main/is_even/is_odd/is_even')" '{}'
vcheck "is_even's node total holds the whole descent" m.json \
	"node('main/is_even')['total_ns'] == node('main/is_even')['self_ns'] + node('main/is_even/is_odd')['total_ns'] + node('main/is_even/base')['total_ns']"
check_rules mutual m.json

# Deep recursion: 20000 levels give the same tree.
run rec-deep "$CPROF" record --no-counters -o deep.cprof -- "$PROGS/mutual" 1 deep 20000
expect_status "mutual 1 deep 20000 under cprof record" 0 rec-deep.err
run dj "$CPROF" report --call-graph --tree --format json deep.cprof
expect_status "report of the deep run" 0 dj.err
mv dj.out d.json
veq "deep: is_even calls" d.json "func('is_even')['calls']" 10001
veq "deep: is_odd -> is_even calls" d.json "edge('is_odd', 'is_even')['calls']" 10000
veq "deep: as many nodes as the shallow run" d.json "len(j['tree'])" \
	"$(vj m.json "len(j['tree'])")"
check_rules deep d.json

# The tables.
run mt "$CPROF" report --tree --min-share 0 mutual.cprof
expect_status "report --tree" 0 mt.err
expect_grep "the tree's header" '^ +total +self +calls +call path$' mt.out
expect_grep "is_odd indented under is_even" '^ +[0-9.]+[mun]?s +[0-9.]+[mun]?s +100  (\|  |   )\+- is_odd$' mt.out
expect_grep "base folded into the re-entered is_even" ' 10  (\|  |   )\+- base$' mt.out
run md "$CPROF" report --tree --depth 2 mutual.cprof
expect_status "report --tree --depth 2" 0 md.err
expect_grep "--depth 2 folds the third level" '\+- \[2 call paths deeper, folded\]' md.out
expect_no_grep "--depth 2 hides is_odd" 'is_odd' md.out
run mg "$CPROF" report --call-graph mutual.cprof
expect_status "report --call-graph" 0 mg.err
expect_grep "the recursive edge is marked" '^ +100 +0ns  is_even  \(recursive' mg.out
run csv "$CPROF" report --tree --format csv mutual.cprof
expect_status "--tree --format csv is a usage error" 2 csv.err
expect_grep "one line saying why" '^cprof: --tree has no CSV form' csv.err
run share "$CPROF" report --tree --min-share 101 mutual.cprof
expect_status "--min-share 101 is a usage error" 2 share.err

# --- one function, two callers, two costs ---
run rec-two "$CPROF" record --no-counters -o two.cprof -- "$PROGS/twocallers"
expect_status "twocallers under cprof record" 0 rec-two.err
run tj "$CPROF" report --call-graph --tree --format json two.cprof
expect_status "report of twocallers" 0 tj.err
mv tj.out t.json
veq "cheap -> shared: 20 calls" t.json "edge('cheap', 'shared')['calls']" 20
veq "costly -> shared: 5 calls" t.json "edge('costly', 'shared')['calls']" 5
vcheck "the two edges make shared's total" t.json \
	"abs(edge('cheap', 'shared')['total_ns'] + edge('costly', 'shared')['total_ns'] - ftotal('shared')) <= 2"
vcheck "cheap -> shared: at least 20 x 0.2 ms" t.json \
	"edge('cheap', 'shared')['total_ns'] >= 4000000"
vcheck "costly -> shared: at least 5 x 4 ms" t.json \
	"edge('costly', 'shared')['total_ns'] >= 20000000"
veq "two shared nodes: under cheap" t.json "node('main/cheap/shared')['calls']" 20
veq "two shared nodes: under costly" t.json "node('main/costly/shared')['calls']" 5
vcheck "each node's total is its edge's" t.json \
	"node('main/cheap/shared')['total_ns'] == edge('cheap', 'shared')['total_ns'] and node('main/costly/shared')['total_ns'] == edge('costly', 'shared')['total_ns']"
check_rules twocallers t.json
# CPU time, which load cannot move, splits 1:5 along the edges (--exact
# reads task-clock at every marker).
if [ "$(perf_try 1 1)" = ok ]; then
	run rec-ex "$CPROF" record --exact -e task-clock -o ex.cprof -- "$PROGS/twocallers"
	expect_status "twocallers under cprof record --exact" 0 rec-ex.err
	run ej "$CPROF" report --call-graph --tree --format json ex.cprof
	expect_status "report of the exact run" 0 ej.err
	mv ej.out e.json
	vcheck "edges carry the counters: costly's is 5 times cheap's" e.json \
		"4.5 <= edge('costly', 'shared')['counters']['task-clock'] / edge('cheap', 'shared')['counters']['task-clock'] <= 5.5"
	vcheck "edges' task-clock add up to shared's" e.json \
		"edge('costly', 'shared')['counters']['task-clock'] + edge('cheap', 'shared')['counters']['task-clock'] == func('shared')['counters']['task-clock']['total']"
	vcheck "nodes carry the counters" e.json \
		"node('main/costly/shared')['counters']['task-clock']['total'] == edge('costly', 'shared')['counters']['task-clock']"
	check_rules exact e.json
else
	echo "$test_name: perf_event_open refuses task-clock here: the counters along edges are not checked"
fi

# --- calls from several threads: one run tree ---
if [ -x "$PROGS/threads" ]; then
	run rec-thr "$CPROF" record --no-counters -o thr.cprof -- "$PROGS/threads" stress 3 1000
	expect_status "threads stress 3 1000 under cprof record" 0 rec-thr.err
	run hj "$CPROF" report --call-graph --tree --format json thr.cprof
	expect_status "report of the threads" 0 hj.err
	mv hj.out h.json
	veq "three threads start in joined" h.json "edge(None, 'joined')['calls']" 3
	veq "joined -> joined_fn over the threads" h.json "edge('joined', 'joined_fn')['calls']" 3000
	veq "one joined root for all threads" h.json "node('joined')['calls']" 3
	veq "its joined_fn node" h.json "node('joined/joined_fn')['calls']" 3000
	# --min-share 0: joined_fn's calls are mostly counted, with no time,
	# so its node may fall below the default share and fold.
	run ht "$CPROF" report --tree --threads --min-share 0 thr.cprof
	expect_status "report --tree --threads" 0 ht.err
	[ "$(grep -c '^Thread [0-9]* of pid' ht.out)" -ge 3 ] ||
		fail "--tree --threads: a tree per thread" ht.out
	[ "$(grep -c '   1000  +- joined_fn$' ht.out)" -ge 3 ] ||
		fail "--tree --threads: each thread's 1000 calls" ht.out
	check_rules threads h.json
fi

# --- adaptive timing: counted calls on their exact edges ---
# t/progs/adapt.c with the rule forced (every edge counted after 64
# timed calls): tiny is called 2000000 times from loop and 300 times
# from rec (100 deep, 3 times); rec 297 times from itself.
if [ -x "$PROGS/adapt" ]; then
	run rec-ad "$CPROF" record --no-counters --adaptive-threshold=1000000000 \
		--adaptive-warmup=64 -o ad.cprof -- "$PROGS/adapt"
	expect_status "adapt under cprof record" 0 rec-ad.err
	run aj "$CPROF" report --call-graph --tree --format json ad.cprof
	expect_status "report of the adaptive run" 0 aj.err
	mv aj.out a.json
	veq "loop -> tiny: exact calls, counted ones included" a.json \
		"[edge('loop', 'tiny')['calls'], edge('loop', 'tiny')['untimed_calls']]" \
		"[2000000, $((2000000 - 64))]"
	veq "rec -> tiny: exact calls" a.json \
		"[edge('rec', 'tiny')['calls'], edge('rec', 'tiny')['untimed_calls']]" \
		"[300, $((300 - 64))]"
	veq "rec -> rec: recursion stays timed (each level has a timed child)" a.json \
		"[edge('rec', 'rec')['calls'], edge('rec', 'rec')['untimed_calls']]" \
		"[297, 0]"
	veq "work -> rec: timed" a.json "edge('work', 'rec')['untimed_calls']" 0
	veq "the tree: tiny under loop, exact" a.json \
		"[node('main/work/loop/tiny')['calls'], node('main/work/loop/tiny')['calls_source']]" \
		'[2000000, "exact"]'
	veq "the tree: tiny under rec, exact" a.json \
		"[node('main/work/rec/tiny')['calls'], node('main/work/rec/tiny')['calls_source']]" \
		'[300, "exact"]'
	veq "the tree: rec's one node holds every call" a.json \
		"node('main/work/rec')['calls']" 300
	check_rules adaptive a.json
	run ag "$CPROF" report --call-graph ad.cprof
	expect_status "report --call-graph of the adaptive run" 0 ag.err
	expect_grep "the table marks counted edges" \
		"^ +2000000 +[0-9.]+[mun]?s  tiny  \\($((2000000 - 64)) counted, untimed\\)$" ag.out
fi

# --- a program without hooks: the views from sampled call chains ---
if [ "$(perf_try 1 1)" = ok ]; then
	$CC -O2 -g -fno-omit-frame-pointer -o fp "$SRCPROGS/sampled.c" ||
		skip "cannot build t/progs/sampled.c with $CC"
	run rec-fp "$CPROF" record -g -e task-clock -F 4000 -o fp.cprof -- ./fp
	expect_status "cprof record -g of fp" 0 rec-fp.err
	run sj "$CPROF" report --call-graph --tree --format json fp.cprof
	expect_status "report of the sampled run" 0 sj.err
	mv sj.out s.json
	vcheck "sampled nodes are marked" s.json \
		"all(n['sampled'] for n in j['tree'])"
	vcheck "every sample is in the tree once" s.json \
		"sum(n['samples'] for n in j['tree']) == sum(p['samples'] for p in j['processes'])"
	vcheck "main calls outer, along its chains" s.json \
		"edge('main', 'outer')['samples'] > 0 and edge('main', 'outer')['calls'] == 0"
	vcheck "outer's samples hang under main" s.json \
		"any(n['name'] == 'outer' and n['samples'] > 0 and j['tree'][n['parent']]['name'] == 'main' for n in j['tree'] if n['parent'] is not None)"
	run st "$CPROF" report --tree fp.cprof
	expect_status "report --tree of the sampled run" 0 st.err
	expect_grep "the table says it counts samples" \
		'^ +samples +self +calls +call path \(from sampled call chains\)$' st.out
else
	echo "$test_name: perf_event_open refuses task-clock here: the sampled views are not checked"
fi
exit 0
