#!/bin/sh
# e2e-nonlocal-memory.sh - `cprof report` stays flat in the number of
# events on a program that longjmps past instrumented frames: the runtime
# closes the frames the jumps left, so the reader's stacks do not keep
# them. Peak memory of the report for N and 4N jumps (t/progs/nonlocal.c,
# three frames left per jump), as t/e2e-report-memory.sh measures it.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
[ "$SANITIZE" != yes ] ||
	skip "a sanitizer's shadow memory and quarantine grow with what is allocated and freed"

$CC -O1 -g -finstrument-functions -pthread -I"$SRCPROGS" -o nonlocal \
	"$SRCPROGS/nonlocal.c" 2>build.err || fail "cannot build nonlocal.c" build.err

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

for size in small:100000 big:400000; do
	name=${size%:*} n=${size#*:}
	run rec-$name "$CPROF" record --no-counters -o $name.cprof -- ./nonlocal jump $n
	expect_status "nonlocal jump $n under cprof record" 0 rec-$name.err
	maxrss rss-$name "$CPROF" report --format json $name.cprof ||
		fail "cprof report of the $name run failed" rss-$name.err
done
small=$(cat rss-small.out) big=$(cat rss-big.out)
echo "peak memory of cprof report: ${small} KiB for 100000 jumps, ${big} KiB for 400000"
# Keeping the 900000 frames the extra jumps leave would take over 20 MiB.
[ "$big" -le $((small + 4096)) ] ||
	fail "cprof report took ${big} KiB for 400000 jumps, ${small} KiB for 100000: it grows with the events"
exit 0
