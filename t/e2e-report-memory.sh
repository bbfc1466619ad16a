#!/bin/sh
# e2e-report-memory.sh - `cprof report` streams: its peak memory does not
# grow with the number of events. A run of 8 million events is reported
# within a few megabytes of a run of a thousand (t/progs/threads.c,
# stress mode: same functions, same threads' shape), with the
# calling-context tree and call graph too (--tree --call-graph), whose
# size follows the distinct call paths.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog threads
need_python
[ "$SANITIZE" != yes ] ||
	skip "a sanitizer's shadow memory and quarantine grow with what is allocated and freed"

# maxrss NAME CMD...: run CMD, print its peak resident set in KiB.
maxrss() {
	_n=$1
	shift
	"$PYTHON" - "$@" >"$_n.out" 2>"$_n.err" <<'PY'
import resource, subprocess, sys
with open("/dev/null", "w") as out:
    st = subprocess.call(sys.argv[1:], stdout=out)
if st != 0:
    sys.exit("exit status %d" % st)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

for size in small:1000 big:2000000; do
	name=${size%:*} n=${size#*:}
	# Markers only: with sampling on, the merge holds up to one drain of
	# each thread's events (a fixed cap a thread) until the samples that
	# fall among them have arrived, which is bounded but not small.
	run rec-$name "$CPROF" record --no-counters -o $name.cprof -- "$PROGS/threads" stress 4 $n
	expect_status "threads stress 4 $n under cprof record" 0 rec-$name.err
	maxrss rss-$name "$CPROF" report --format json $name.cprof ||
		fail "cprof report of the $name run failed" rss-$name.err
	maxrss views-$name "$CPROF" report --tree --call-graph --format json $name.cprof ||
		fail "cprof report --tree --call-graph of the $name run failed" views-$name.err
done
small=$(cat rss-small.out) big=$(cat rss-big.out)
bytes=$(du -k big.cprof | tail -n 1 | cut -f1)
echo "peak memory of cprof report: ${small} KiB for 4000 calls, ${big} KiB for 8000000 calls (${bytes} KiB of logs)"
[ "$big" -le $((small + 16384)) ] ||
	fail "cprof report took ${big} KiB for 8000000 calls, ${small} KiB for 4000: it grows with the events"
small=$(cat views-small.out) big=$(cat views-big.out)
echo "with --tree --call-graph: ${small} KiB for 4000 calls, ${big} KiB for 8000000 calls"
[ "$big" -le $((small + 16384)) ] ||
	fail "cprof report --tree --call-graph took ${big} KiB for 8000000 calls, ${small} KiB for 4000: it grows with the events"
exit 0
