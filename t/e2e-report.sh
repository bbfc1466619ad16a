#!/bin/sh
# e2e-report.sh - `cprof record` then `cprof report` gives the profile
# `cprof stat` gives; --sort, --top, --format csv|json|table and
# --threads shape the output as documented; a single log can be reported
# on its own; reports are reproducible (t/progs/calls.c, passthru.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls passthru
need_python

run rec "$CPROF" record -o run.cprof -- "$PROGS/calls"
expect_status "calls under cprof record" 0 rec.err
[ ! -s rec.out ] || fail "cprof record printed on stdout" rec.out

report() {
	name=$1
	shift
	run $name "$CPROF" report "$@"
	expect_status "cprof report $*" 0 $name.err
}
report json --format json run.cprof
mv json.out r.json
jeq "format version" r.json "j['format_version']" 3
jeq "the recorded status" r.json "j['status']" 0
jeq "the recorded command" r.json "j['command'][-1].endswith('calls')" true
for fc in main:1 mid:100 leaf:1000 helper_static:7 rec:50 bottom:5 heavy:3 light:3; do
	jeq "report: calls of ${fc%:*}" r.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "report: every row has the documented keys" r.json \
	"all({'name', 'calls', 'self_ns', 'total_ns'} <= set(r) for r in j['functions'])" true
jeq "report: heaviest first" r.json "names()[:2]" '["heavy", "light"]'

# The same run reported twice: the same bytes.
report json2 --format json run.cprof
cmp -s json2.out r.json || fail "two reports of one run differ" json2.out

# A single log reported on its own.
set -- run.cprof/proc-*.log
report onelog --format json "$1"
mv onelog.out one.json
want=$(j r.json 'sorted((r["name"], r["calls"], r["self_ns"]) for r in j["functions"])')
jeq "a single log gives the run's profile" one.json \
	'sorted((r["name"], r["calls"], r["self_ns"]) for r in j["functions"])' "$want"

# --sort: calls, total, self per call, name.
report bycalls --format json --sort calls run.cprof
jeq "--sort calls" bycalls.out "names()[:4]" '["leaf", "mid", "rec", "helper_static"]'
report bytotal --format json --sort total run.cprof
jeq "--sort total: main first" bytotal.out "names()[0]" main
jeq "--sort total: totals descending" bytotal.out \
	"[r['total_ns'] for r in j['functions']] == sorted((r['total_ns'] for r in j['functions']), reverse=True)" true
report byselfcall --format json --sort selfcall run.cprof
jeq "--sort selfcall: 30 ms a call first" byselfcall.out "names()[:2]" '["heavy", "light"]'
report byname --format json --sort name run.cprof
jeq "--sort name" byname.out "names() == sorted(names())" true
report bycalls-s --format json -s calls run.cprof
cmp -s bycalls.out bycalls-s.out || fail "-s calls differs from --sort calls" bycalls-s.out
report byself --format json --sort self run.cprof
jeq "--sort self is the default" byself.out "names() == $(j r.json 'names()')" true

# --top N: N rows, the first N of the order.
report top --format json --top 3 run.cprof
jeq "--top 3 in JSON" top.out "names()" '["heavy", "light", "bottom"]'
report toptab --top 2 run.cprof
hdr=$(grep -n -E '^Function +Self' toptab.out | head -n 1 | cut -d: -f1)
[ -n "$hdr" ] || fail "no table header in the report" toptab.out
rows=$(sed -n "$((hdr + 1)),\$p" toptab.out | sed '/^$/,$d' | wc -l | tr -d ' ')
expect_eq "--top 2 in a table: two rows" 2 "$rows" toptab.out
sed -n "$((hdr + 1))p" toptab.out | grep -q '^heavy ' || fail "--top 2: heavy first" toptab.out

# CSV: a header, then the rows of the JSON, quoted as RFC 4180 asks.
report csv --format csv run.cprof
expect_eq "CSV header" "name,object,file,line,calls,self_ns,total_ns" "$(head -n 1 csv.out)" csv.out
"$PYTHON" - csv.out r.json <<'PY' || fail "the CSV rows are not the JSON rows" csv.out
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
j = json.load(open(sys.argv[2]))
got = [(r["name"], int(r["calls"]), int(r["self_ns"]), int(r["total_ns"])) for r in rows]
# Functions known from samples alone (no calls) are in the CSV only with
# --counters, and the run samples task-clock by default.
want = [(r["name"], r["calls"], r["self_ns"], r["total_ns"])
        for r in j["functions"] if r["calls"] > 0]
if got != want:
    print("csv:  %s\njson: %s" % (got, want), file=sys.stderr)
    sys.exit(1)
PY
report csvthr --format csv --threads run.cprof
expect_eq "CSV header with --threads" "pid,tid,thread,name,object,file,line,calls,self_ns,total_ns" \
	"$(head -n 1 csvthr.out)" csvthr.out

# The table: a title with the command and status, then the rows.
report tab run.cprof
expect_grep "the table's title names the program" 'calls' tab.out
expect_grep "the table's header" '^Function +Self +Self% +Total +Calls +Self/call' tab.out
expect_grep "the leaf row" '^leaf +.* 1000 ' tab.out

# A failing program's status is kept in the run.
run recfail "$CPROF" record -o fail.cprof -- "$PROGS/passthru" 9
expect_status "passthru 9 under cprof record" 9 recfail.err
report failrep --format json fail.cprof
jeq "the run keeps the program's status" failrep.out "j['status']" 9
exit 0
