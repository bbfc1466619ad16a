#!/bin/sh
# e2e-export-chrome.sh - report --format chrome writes a Chrome trace
# (Trace Event JSON) that is valid and complete: every event has the
# fields its phase needs, calls nest on every track with no negative
# duration (in exact nanoseconds, and in the doubles a viewer adds
# ts + dur in), each function's calls and self time are the table's,
# threads and processes are named, samples become counter tracks;
# --min-duration drops the short calls and says how many, --time-range
# keeps a window; a truncated log exports what it holds and says so; an
# unwritable output is a one-line error; frame marks are slices of a
# track of their own (t/progs/calls.c, threads.c, markers.c). The
# per-call checks use a --time-all run (a counted call has no start or
# end); the adaptive default is checked apart: the trace holds every
# timed call, and says how many counted calls it leaves out.
# The real viewer's check is t/e2e-export-viewer.sh.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls threads markers
need_python

run rec "$CPROF" record --time-all -o run -- "$PROGS/calls"
expect_status "calls under cprof record --time-all" 0 rec.err
run table "$CPROF" report --format json run
expect_status "the JSON report" 0 table.err
mv table.out r.json

# check TRACE: the structure of a trace, and per function its X events'
# count and self time (from their nesting) as "name calls self_ns" lines.
check() {
	"$PYTHON" - "$1" <<'EOF'
import json, sys
from decimal import Decimal

with open(sys.argv[1]) as f:
    j = json.load(f, parse_float=Decimal)
ev = j["traceEvents"]
assert isinstance(ev, list) and ev, "no events"
named_p, named_t, tracks = set(), set(), {}
for e in ev:
    ph = e["ph"]
    assert isinstance(e["pid"], int), e
    if ph == "M":
        assert e["name"] in ("process_name", "thread_name"), e
        assert isinstance(e["args"]["name"], str) and e["args"]["name"], e
        if e["name"] == "process_name":
            named_p.add(e["pid"])
        else:
            named_t.add((e["pid"], e["tid"]))
    elif ph == "X":
        assert isinstance(e["name"], str) and e["name"], e
        assert isinstance(e["tid"], int), e
        assert e["dur"] >= 0, e
        # Exact to the nanosecond.
        assert (e["ts"] * 1000) % 1 == 0, e
        tracks.setdefault((e["pid"], e["tid"]), []).append(e)
    elif ph == "C":
        assert isinstance(e["name"], str), e
        assert all(isinstance(v, (int, Decimal)) for v in e["args"].values()), e
        assert e["ts"] > 0, e
    else:
        raise AssertionError("unexpected phase %r" % ph)
assert {p for p, t in tracks} <= named_p, "a process without a name"
assert set(tracks) <= named_t, "a track without a name"
calls, self_ns = {}, {}
for key, xs in tracks.items():
    # Nesting, as a viewer builds it: by start, the longer first.
    xs.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in xs:
        # Nanoseconds, as Perfetto reads them (rounded to the nearest).
        ts = int(e["ts"] * 1000)
        dur = int((Decimal(e["dur"]) * 1000).to_integral_value())
        end = ts + dur
        # The doubles a viewer adds must end exactly where the call does.
        fe = float(e["ts"]) + float(e["dur"])
        assert fe == float(Decimal(end) / 1000), ("inexact in doubles", e)
        while stack and stack[-1][1] <= ts:
            stack.pop()
        if stack:
            p = stack[-1]
            assert end <= p[1], ("badly nested", e, p[2])
            p[3][0] += dur
        rec = [ts, end, e, [0]]
        stack.append(rec)
        e["_ns"] = (dur, rec[3])
    for e in xs:
        if e.get("cat") == "frame":
            continue
        n = e["name"]
        calls[n] = calls.get(n, 0) + 1
        self_ns[n] = self_ns.get(n, 0) + e["_ns"][0] - e["_ns"][1][0]
for n in sorted(calls):
    print(n, calls[n], int(self_ns[n]))
EOF
}

# Every call kept: the table's calls and self times.
run all "$CPROF" report --format chrome --min-duration 0 -o all.json run
expect_status "--format chrome --min-duration 0" 0 all.err
[ ! -s all.out ] || fail "-o FILE printed on stdout" all.out
check all.json >all.sum 2>all.chk || fail "the trace is malformed" all.chk all.json
"$PYTHON" - r.json all.sum <<'EOF' || fail "the trace's calls and self times differ from the report's" all.sum r.json
import json, sys
j = json.load(open(sys.argv[1]))
got = {l.split()[0]: (int(l.split()[1]), int(l.split()[2]))
       for l in open(sys.argv[2])}
want = {}
for r in j["functions"]:
    if r["calls"]:
        c, s = want.get(r["name"], (0, 0))
        # The markers' self time (the trace's), not the table's
        # compensated or sampled one.
        want[r["name"]] = (c + r["calls"], s + r.get("timed_self_ns", r["self_ns"]))
assert set(got) == set(want), (sorted(got), sorted(want))
for n, (c, s) in want.items():
    assert got[n][0] == c, (n, got[n], c)
    # Ticks become ns per call here, per function there: a few ns a call.
    assert abs(got[n][1] - s) <= 2 * c + s // 1000, (n, got[n], s)
EOF
jeq "the trace says nothing was dropped" all.json \
	"j['otherData']['dropped_shorter']" 0
jeq "the trace names the process by its program" all.json \
	"[e['args']['name'].split()[0] for e in j['traceEvents'] if e['name'] == 'process_name']" \
	'["calls"]'
if [ "$(j r.json "sum(c['samples'] for c in j.get('counters', []))")" -gt 0 ]; then
	jeq "samples become counter tracks" all.json \
		"any(e['ph'] == 'C' for e in j['traceEvents'])" true
fi

# The default --min-duration keeps the long calls and says what it drops.
run def "$CPROF" report --format chrome -o def.json run
expect_status "--format chrome" 0 def.err
check def.json >def.sum 2>def.chk || fail "the trace is malformed" def.chk
expect_grep "the dropped calls are counted" \
	'chrome: [0-9]* of 1172 calls shorter than 10.0us left out' def.err
jeq "heavy, light, bottom and their callers are kept" def.json \
	"{'bottom', 'heavy', 'light', 'main', 'rec'} <= {e['name'] for e in j['traceEvents'] if e['ph'] == 'X'}" true
jeq "no call shorter than 10us is kept" def.json \
	"min(e['dur'] for e in j['traceEvents'] if e['ph'] == 'X') >= 10" true
jeq "kept and dropped make every call" def.json \
	"j['otherData']['calls'] + j['otherData']['dropped_shorter']" 1172

# The adaptive default: the calls counted, not timed, are not in the
# trace; per function, the trace's calls and the counted ones make the
# table's exact calls, and the trace says how many it leaves out.
run reca "$CPROF" record -o runa -- "$PROGS/calls"
expect_status "calls under cprof record" 0 reca.err
run tablea "$CPROF" report --format json runa
expect_status "the JSON report of the adaptive run" 0 tablea.err
mv tablea.out ra.json
run ada "$CPROF" report --format chrome --min-duration 0 -o ada.json runa
expect_status "--format chrome of the adaptive run" 0 ada.err
check ada.json >ada.sum 2>ada.chk || fail "the adaptive run's trace is malformed" ada.chk
"$PYTHON" - ra.json ada.sum ada.json <<'EOF' || fail "the adaptive trace's calls and counted calls differ from the report's" ada.sum ra.json
import json, sys
j = json.load(open(sys.argv[1]))
got = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[2])}
t = json.load(open(sys.argv[3]))
counted = 0
for r in j["functions"]:
    if r["calls"]:
        assert got.get(r["name"], 0) + r["untimed_calls"] == r["calls"], (r, got.get(r["name"]))
        counted += r["untimed_calls"]
assert counted > 0, "nothing counted: t/progs/calls.c's leaf should be"
assert t["otherData"]["counted_calls"] == counted, (t["otherData"], counted)
EOF
n=$(j ra.json "sum(r['untimed_calls'] for r in j['functions'])")
expect_grep "stderr says how many counted calls are left out" \
	"chrome: $n calls counted, not timed, left out" ada.err

# --time-range: what overlaps the window, and nothing else.
heavy=$(j all.json "[e['ts'] for e in j['traceEvents'] if e.get('name') == 'heavy'][0] - j['otherData']['ts_offset_us']")
lo=$("$PYTHON" -c "print('%dus' % (float('$heavy') + 1))")
hi=$("$PYTHON" -c "print('%dus' % (float('$heavy') + 2))")
run win "$CPROF" report --format chrome --min-duration 0 --time-range "$lo,$hi" -o win.json run
expect_status "--time-range" 0 win.err
jeq "the window holds the first heavy call and its callers" win.json \
	"sorted(e['name'] for e in j['traceEvents'] if e['ph'] == 'X')" \
	'["heavy", "main"]'
expect_grep "the calls outside are counted" 'calls outside --time-range left out' win.err
run badrange "$CPROF" report --format chrome --time-range 2s,1s run
expect_status "an empty --time-range" 2 badrange.err
run badmin "$CPROF" report --format chrome --min-duration 5parsecs run
expect_status "a bad --min-duration" 2 badmin.err

# Threads: one named track each.
run rect "$CPROF" record -o runt -- "$PROGS/threads"
expect_status "threads under cprof record" 0 rect.err
run thr "$CPROF" report --format chrome --min-duration 0 -o thr.json runt
expect_status "--format chrome of threads" 0 thr.err
check thr.json >thr.sum 2>thr.chk || fail "the threads' trace is malformed" thr.chk
jeq "one track per thread" thr.json \
	"len({e['tid'] for e in j['traceEvents'] if e['ph'] == 'X'}) > 1" true

# Frame marks: a slice per frame on the thread's frames track.
run recm "$CPROF" record -o runm -- "$PROGS/markers" active
expect_status "markers under cprof record" 0 recm.err
run mk "$CPROF" report --format chrome --min-duration 0 -o mk.json runm
expect_status "--format chrome of markers" 0 mk.err
check mk.json >mk.sum 2>mk.chk || fail "the markers' trace is malformed" mk.chk
jeq "10 frames, on a track of their own" mk.json \
	"sorted({(e['name'], e['tid'] != e['pid']) for e in j['traceEvents'] if e.get('cat') == 'frame'}) + [sum(e.get('cat') == 'frame' for e in j['traceEvents'])]" \
	'[["frame", true], 10]'
jeq "the frames track is named" mk.json \
	"any(e['args']['name'].startswith('frames of') for e in j['traceEvents'] if e['ph'] == 'M')" true

# A truncated log: what it holds, and the trace says what is missing.
set -- run/proc-*.log
size=$(wc -c <"$1")
head -c $((size * 2 / 3)) "$1" >cut.log
mkdir cut && mv cut.log cut/"$(basename "$1")"
run cutx "$CPROF" report --format chrome --min-duration 0 -o cut.json cut
expect_status "--format chrome of a truncated log" 0 cutx.err
expect_grep "the truncation is said" 'skipped' cutx.err
check cut.json >cut.sum 2>cut.chk || fail "the truncated run's trace is malformed" cut.chk
jeq "the trace lists the incomplete process" cut.json \
	"len(j['otherData']['incomplete_processes'])" 1

# An output that cannot be written: one line, status 1, nothing on stdout.
run unw "$CPROF" report --format chrome -o /nonexistent/dir/t.json run
expect_status "an unwritable -o" 1 unw.err
expect_lines "the error is one line" 1 unw.err
expect_grep "the error names the file" /nonexistent/dir/t.json unw.err
exit 0
