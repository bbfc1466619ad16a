#!/bin/sh
# e2e-export-pprof.sh - report --format pprof writes a gzipped
# profile.proto that go tool pprof reads as cprof's table: -top lists
# every function with its self time as flat and its calls as the flat of
# the calls sample type, -traces gives t/progs/calls.c's known stacks,
# the mapping carries the program's build-id; a truncated log is
# exported with a comment saying so; an unwritable output is a one-line
# error. Skipped (77) without go (Debian package golang-go). The times
# are checked on a --time-all run (a counted call's time is not its
# function's, so a node's self and the table's differ by design); the
# calls on both that and the adaptive default, where they are exact.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python
command -v go >/dev/null 2>&1 || skip "no go tool pprof (Debian package golang-go)"
# go keeps a cache in the home directory; the test's own is enough.
HOME=$T GOCACHE=$T/gocache GOFLAGS= GOPATH=$T/go
export HOME GOCACHE GOFLAGS GOPATH

run rec "$CPROF" record --no-counters --time-all -o run -- "$PROGS/calls"
expect_status "calls under cprof record --time-all" 0 rec.err
run table "$CPROF" report --format json run
expect_status "the JSON report" 0 table.err
mv table.out r.json

run pp "$CPROF" report --format pprof -o calls.pb.gz run
expect_status "--format pprof" 0 pp.err
[ ! -s pp.out ] || fail "-o FILE printed on stdout" pp.out
"$PYTHON" -c "import sys; sys.exit(open('calls.pb.gz', 'rb').read(2) != b'\x1f\x8b')" ||
	fail "the profile is not gzip-compressed" calls.pb.gz

# top FILE INDEX UNIT: go tool pprof -top's "name flat cum" lines.
top() {
	go tool pprof -top -nodecount=1000 -nodefraction=0 -sample_index="$2" ${3:+-unit=$3} \
		"$1" >top.out 2>top.err || fail "go tool pprof -top $2" top.err top.out
	awk 'f && NF >= 6 { v = $1; c = $4; sub(/[a-z]+$/, "", v);
		sub(/[a-z]+$/, "", c); print $6, v, c }
		$1 == "flat" { f = 1 }' top.out
}
top calls.pb.gz time ns >time.txt
top calls.pb.gz calls >calls.txt

# The adaptive default: every function's exact calls, counted ones too.
run reca "$CPROF" record --no-counters -o runa -- "$PROGS/calls"
expect_status "calls under cprof record" 0 reca.err
run tablea "$CPROF" report --format json runa
expect_status "the JSON report of the adaptive run" 0 tablea.err
mv tablea.out ra.json
run ppa "$CPROF" report --format pprof -o adaptive.pb.gz runa
expect_status "--format pprof of the adaptive run" 0 ppa.err
top adaptive.pb.gz calls >acalls.txt
"$PYTHON" - ra.json acalls.txt <<'EOF' || fail "go tool pprof's calls differ from cprof's exact calls (adaptive)" acalls.txt ra.json
import json, sys
j = json.load(open(sys.argv[1]))
want = {r["name"]: r["calls"] for r in j["functions"] if r["calls"]}
calls = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[2])}
assert set(calls) == set(want), (sorted(calls), sorted(want))
assert any(r["untimed_calls"] for r in j["functions"]), "nothing counted"
for n, c in want.items():
    assert calls[n] == c, (n, calls[n], c)
EOF
"$PYTHON" - r.json time.txt calls.txt <<'EOF' || fail "go tool pprof -top differs from cprof's table" time.txt calls.txt r.json
import json, sys
j = json.load(open(sys.argv[1]))
want = {r["name"]: r for r in j["functions"] if r["calls"]}
time = {l.split()[0]: (float(l.split()[1]), float(l.split()[2]))
        for l in open(sys.argv[2])}
calls = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[3])}
assert set(time) == set(want), (sorted(time), sorted(want))
assert set(calls) == set(want), (sorted(calls), sorted(want))
for n, r in want.items():
    # Self time as flat, total as cum; a ns per tree node of rounding.
    # The markers' times (the tree's), not the table's compensated or
    # sampled ones.
    s, t = r.get("timed_self_ns", r["self_ns"]), r.get("timed_total_ns", r["total_ns"])
    assert abs(time[n][0] - s) <= 2 + s / 1e6, (n, time[n], r)
    assert abs(time[n][1] - t) <= 20 + t / 1e6, (n, time[n], r)
    assert calls[n] == r["calls"], (n, calls[n], r)
# The same order as the table's: heaviest self first.
order = [l.split()[0] for l in open(sys.argv[2])]
assert order[:3] == ["heavy", "light", "bottom"], order
EOF

# -traces: the program's known stacks, innermost first.
go tool pprof -traces calls.pb.gz >traces.out 2>traces.err ||
	fail "go tool pprof -traces" traces.err
"$PYTHON" - traces.out <<'EOF' || fail "go tool pprof -traces does not show the known stacks" traces.out
import sys
stacks = set()
for block in open(sys.argv[1]).read().split("-----------+")[1:]:
    lines = [l.split() for l in block.splitlines()[1:] if l.strip()]
    if lines and lines[0]:
        stacks.add(";".join(reversed([lines[0][-1]] + [l[-1] for l in lines[1:]])))
want = {"main", "main;heavy", "main;light", "main;rec", "main;rec;bottom",
        "main;mid", "main;mid;leaf", "main;helper_static", "init_fn",
        "at_exit_fn", "fini_fn"}
assert stacks == want, sorted(stacks ^ want)
EOF

# The program's mapping with its build-id.
id=$(readelf -n "$PROGS/calls" 2>/dev/null | awk '/Build ID:/ { print $3 }')
if [ -n "$id" ]; then
	expect_grep "the program's build-id" "^Build ID: $id" traces.out
fi

# A truncated log: exported, with a comment saying what is missing.
set -- run/proc-*.log
size=$(wc -c <"$1")
mkdir cut && head -c $((size * 2 / 3)) "$1" >cut/"$(basename "$1")"
run cutx "$CPROF" report --format pprof -o cut.pb.gz cut
expect_status "--format pprof of a truncated log" 0 cutx.err
go tool pprof -top cut.pb.gz >cut.out 2>cut.err || fail "go tool pprof on the truncated run" cut.err
expect_grep "the profile says what is missing" "^process [0-9]+: .*: data up to its last flush" cut.out

run unw "$CPROF" report --format pprof -o /nonexistent/dir/p.pb.gz run
expect_status "an unwritable -o" 1 unw.err
expect_lines "the error is one line" 1 unw.err
exit 0
