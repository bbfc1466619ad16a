#!/bin/sh
# e2e-frames.sh - `cprof report --frames` on t/progs/spikes.c: one row
# per frame with its top functions and counters; exactly the slow frame
# spikes in CPU time and exactly the page-fault storm in page faults
# (counters read at each marker, which load cannot move); the slow frame
# spikes in time too; a summary per frame name with the coefficient of
# variation; JSON's frame_list and frame_summary.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog spikes
need_python

# fj FILE EXPR: a Python expression over the JSON in FILE, with
#   frames(name)  the frame_list entries of that frame name
#   frame(i)      the "frame" frame of index i
#   summary(name) its frame_summary entry
fj() {
	"$PYTHON" - "$1" "$2" <<'PY'
import json, sys

with open(sys.argv[1]) as f:
    j = json.load(f)

def frames(name):
    return [r for r in j["frame_list"] if r["name"] == name]

def frame(i):
    return next(r for r in frames("frame") if r["index"] == i)

def summary(name):
    return next(s for s in j["frame_summary"] if s["name"] == name)

v = eval(sys.argv[2])
if v is True or v is False:
    print("true" if v else "false")
else:
    print(json.dumps(v) if isinstance(v, (list, dict)) else v)
PY
}

feq() {
	_got=$(fj "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = "$4" ] || fail "$1: expected $3 = $4, got $_got" "$2"
}

run rec "$CPROF" record --no-counters -o plain.cprof -- "$PROGS/spikes"
expect_status "spikes under cprof record" 0 rec.err
run pj "$CPROF" report --frames --spike-factor 10 --format json plain.cprof
expect_status "report --frames --format json" 0 pj.err
mv pj.out p.json
feq "31 frames of 'frame' (start-up, then 30)" p.json "summary('frame')['frames']" 31
feq "every frame listed in a short run" p.json "len(frames('frame'))" 31
feq "not sampled" p.json "j['frames_sampled']" false
feq "frame indexes" p.json "[r['index'] for r in frames('frame')]" \
	"$(seq -s ', ' 0 30 | sed 's/^/[/; s/$/]/')"
feq "the slow frame's top function" p.json "list(frame(11)['functions'])[0]" slow
feq "the storm frame has storm" p.json "'storm' in frame(21)['functions']" true
feq "the slow frame is a spike in time" p.json "'time' in frame(11)['spike_in']" true
feq "the spike factor" p.json "summary('frame')['spike_factor']" 10
feq "the frames' variation is flagged" p.json "summary('frame')['cv_flagged']" true
feq "frames are ordered by start" p.json \
	"all(a['start_ns'] <= b['start_ns'] for a, b in zip(frames('frame'), frames('frame')[1:]))" true

run tab "$CPROF" report --frames --spike-factor 10 plain.cprof
expect_status "report --frames" 0 tab.err
expect_grep "the summary line" '^frame: 31 frames, median [0-9.]+[mun]?s, CV [0-9.]+%.*spikes above 10x the median' tab.out
expect_grep "the slow frame's row, marked" '^  !       11 .*!.* slow ' tab.out
run csv "$CPROF" report --frames --format csv plain.cprof
expect_status "--frames --format csv is a usage error" 2 csv.err
run bad "$CPROF" report --frames --spike-factor 1 plain.cprof
expect_status "--spike-factor 1 is a usage error" 2 bad.err

# Counters read at every marker: CPU time and page faults, exact.
if [ "$(perf_try 1 1)" = ok ] && [ "$(perf_try 1 2)" = ok ]; then
	run rec-ex "$CPROF" record --exact -e task-clock,page-faults -o ex.cprof -- "$PROGS/spikes"
	expect_status "spikes under cprof record --exact" 0 rec-ex.err
	run ej "$CPROF" report --frames --spike-factor 10 --format json ex.cprof
	expect_status "report --frames of the exact run" 0 ej.err
	mv ej.out e.json
	feq "exactly the slow frame spikes in task-clock" e.json \
		"[r['index'] for r in frames('frame') if 'task-clock' in r['spike_in'] and r['index'] > 0]" '[11]'
	feq "exactly the storm spikes in page faults" e.json \
		"[r['index'] for r in frames('frame') if 'page-faults' in r['spike_in'] and r['index'] > 0]" '[21]'
	feq "the storm's 512 page faults" e.json \
		"frame(21)['counters']['page-faults'] >= 512" true
	feq "the slow frame's 25 ms of CPU time" e.json \
		"frame(11)['counters']['task-clock'] >= 25000000" true
else
	echo "$test_name: perf_event_open refuses task-clock or page-faults here: the counter spikes are not checked"
fi
exit 0
