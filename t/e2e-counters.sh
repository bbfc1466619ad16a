#!/bin/sh
# e2e-counters.sh - exact counters (--exact): a function that touches N
# fresh pages shows N page faults as its self count and its caller shows
# them in its total, not in its self; the same through record and report
# --counters; the JSON shape of the counters and events, and the per-event
# columns of the CSV (t/progs/counters.c, mode faults).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog counters
need_sw_counters

N=1000
# Exactly: the runtime's pages are present before the counters start
# (t/e2e-own-cost.sh). Under a sanitizer its stores first touch their
# shadow memory inside the frames: a handful more there.
H=0
[ "$SANITIZE" != yes ] || H=8
# touch()'s faults: N, and TSan's own in the TSan build.
X=$(tsan_own_faults $N) || exit 1
NT=$((N + X))

# The counts of one run, whatever path made its JSON.
check_faults() {
	_f=$1
	cjeq "$_f: touch called once" "$_f" "calls('touch')" 1
	cjeq "$_f: parent called once" "$_f" "calls('parent')" 1
	cjcheck "$_f: touch has $NT page faults (+-$H) as self" "$_f" \
		"abs(counter('touch', 'page-faults') - $NT) <= $H"
	cjcheck "$_f: touch is a leaf: its total is its self" "$_f" \
		"counter('touch', 'page-faults', 'total') == counter('touch', 'page-faults')"
	cjcheck "$_f: parent touches no page itself: self < 10" "$_f" \
		"counter('parent', 'page-faults') < 10"
	cjcheck "$_f: parent has touch's faults in its total" "$_f" \
		"counter('parent', 'page-faults', 'total') >= max($NT - $H, counter('touch', 'page-faults', 'total'))"
	# Exact deltas add up like time: a total is its self plus the
	# totals of its callees.
	cjcheck "$_f: parent's total is its self plus touch's total" "$_f" \
		"counter('parent', 'page-faults', 'total') == counter('parent', 'page-faults') + counter('touch', 'page-faults', 'total')"
	cjcheck "$_f: main's total covers parent's" "$_f" \
		"counter('main', 'page-faults', 'total') >= counter('parent', 'page-faults', 'total')"
}

# cprof stat --exact, one event.
stat_counters pf --exact -e page-faults -- "$PROGS/counters" faults $N
[ ! -s pf.out ] || fail "the program printed nothing, cprof printed on its stdout" pf.out
check_faults pf.json
cjeq "exact: one event listed" pf.json "evnames()" '["page-faults"]'
cjeq "exact: mode" pf.json "event('page-faults')['mode']" exact
cjeq "exact: nothing sampled" pf.json "event('page-faults')['samples']" 0
cjeq "exact: nothing lost" pf.json "event('page-faults')['lost']" 0

# Three events in one group: each counts its own, page faults still exact.
stat_counters pf3 --exact -e task-clock,page-faults,context-switches -- \
	"$PROGS/counters" faults $N
check_faults pf3.json
cjeq "exact group: the events in order" pf3.json "evnames()" \
	'["task-clock", "page-faults", "context-switches"]'
cjcheck "exact group: touch ran for some CPU time" pf3.json \
	"counter('touch', 'task-clock') > 0"
cjcheck "exact group: a task-clock total covers its callee's" pf3.json \
	"counter('parent', 'task-clock', 'total') >= counter('touch', 'task-clock', 'total')"

# JSON shape: every function has every event as integer self <= total,
# and a distortion flag; every event has its mode, rate and statistics.
cjcheck "every function has exactly the events as counters" pf3.json \
	"all(sorted(r['counters']) == sorted(evnames()) for r in j['functions'])"
cjcheck "counters are integers, 0 <= self <= total" pf3.json \
	"all(type(c['self']) is int and type(c['total']) is int and 0 <= c['self'] <= c['total'] for r in j['functions'] for c in r['counters'].values())"
cjcheck "every function has a distortion key" pf3.json \
	"all('distortion' in r for r in j['functions'])"
cjcheck "every event lists name, mode, period or freq, samples, lost, throttled, coverage" pf3.json \
	"all({'name', 'mode', 'samples', 'lost', 'throttled', 'coverage'} <= set(e) and ('period' in e or 'freq' in e) for e in j['events'])"
cjcheck "every event: integer samples, lost, throttled" pf3.json \
	"all(type(e[k]) is int for e in j['events'] for k in ('samples', 'lost', 'throttled'))"
# Software events are never multiplexed: the kernel ran them all along.
cjcheck "software events are counted all the time: coverage 1" pf3.json \
	"all(abs(e['coverage'] - 1) < 1e-9 for e in j['events'])"

# record, then report --counters: the same counts from the stored run.
run rec "$CPROF" record -o run.cprof --exact -e page-faults -- \
	"$PROGS/counters" faults $N
expect_status "cprof record --exact" 0 rec.err
run rep "$CPROF" report --counters --format json -o rep.json run.cprof
expect_status "cprof report --counters" 0 rep.err
[ -s rep.json ] || fail "report --counters wrote no JSON" rep.err
check_faults rep.json
cjeq "report: the mode of the run" rep.json "event('page-faults')['mode']" exact

# CSV: a self and a total column per event, matching the JSON.
run csv "$CPROF" stat --exact -e task-clock,page-faults --format csv \
	-o pf.csv -- "$PROGS/counters" faults $N
expect_status "cprof stat --format csv" 0 csv.err
[ -s pf.csv ] || fail "no CSV written" csv.err
"$PYTHON" - pf.csv $NT $H >csv.check 2>&1 <<'EOF' || fail "CSV columns" csv.check pf.csv
import csv, sys

n, h = int(sys.argv[2]), int(sys.argv[3])
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
head = rows[0]
for ev in ("task-clock", "page-faults"):
    for kind in ("self", "total"):
        cols = [c for c in head if ev in c and kind in c]
        if len(cols) != 1:
            sys.exit("expected one column for %s %s in %s, got %s"
                     % (ev, kind, head, cols))
pf_self = [c for c in head if "page-faults" in c and "self" in c][0]
pf_total = [c for c in head if "page-faults" in c and "total" in c][0]
recs = [dict(zip(head, r)) for r in rows[1:]]
if any(len(r) != len(head) for r in rows[1:]):
    sys.exit("a line has not as many fields as the header")
touch = [r for r in recs if r["name"] == "touch"]
if len(touch) != 1:
    sys.exit("expected one line for touch, got %d" % len(touch))
if abs(int(touch[0][pf_self]) - n) > h:
    sys.exit("touch: %s = %s, expected %d +-%d"
             % (pf_self, touch[0][pf_self], n, h))
parent = [r for r in recs if r["name"] == "parent"][0]
if int(parent[pf_self]) >= 10 or int(parent[pf_total]) < n - h:
    sys.exit("parent: %s = %s, %s = %s" % (pf_self, parent[pf_self],
                                           pf_total, parent[pf_total]))
EOF
exit 0
