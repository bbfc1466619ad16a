#!/bin/sh
# e2e-record-signal.sh - SIGTERM sent to `cprof record` reaches the
# program, which dies by it (exit status 143), and the run is still closed:
# run.meta written, the calls made before the signal reported, the
# process shown as killed by signal 15 (t/progs/crash.c, mode wait).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog crash
need_python

"$CPROF" record -o run.cprof -- "$PROGS/crash" wait >rec.out 2>rec.err &
pid=$!
# Wait for the program to be in wait_fn(), 20 s at most.
i=0
while ! grep -q dying rec.out 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		kill -KILL $pid 2>/dev/null
		fail "the program did not start under cprof record" rec.err
	fi
	sleep 0.1
done
kill -TERM $pid
# A watchdog, so that a cprof that never ends fails the test (137).
(
	trap 'kill $sleeper 2>/dev/null; exit 0' TERM
	sleep 120 &
	sleeper=$!
	wait $sleeper && kill -KILL $pid
) >/dev/null 2>&1 </dev/null &
watchdog=$!
status=0
wait $pid || status=$?
kill $watchdog 2>/dev/null
no_sanitizer_report rec.err
expect_status "cprof record killed by SIGTERM" 143 rec.err
[ -f run.cprof/run.meta ] || fail "no run.meta in the run" rec.err

run rep "$CPROF" report --format json run.cprof
expect_status "report of the run" 0 rep.err
mv rep.out rep.json
jeq "the calls before the signal" rep.json "calls('before_fn')" 100
jeq "wait_fn was entered" rep.json "calls('wait_fn')" 1
jeq "the process died by signal 15" rep.json \
	"(j['processes'][0]['end_reason'], j['processes'][0]['signal'])" '["signal", 15]'
jeq "the run records the status" rep.json "j['status']" 143
exit 0
