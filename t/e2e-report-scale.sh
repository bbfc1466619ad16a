#!/bin/sh
# e2e-report-scale.sh - a report of a program of many distinct functions
# names every one of them, static ones included, with its file and line
# and its exact number of calls (bench/genmany.sh: N functions, each
# called 12 times from 4 threads); its --threads tables hold every
# function of every worker. The report's peak memory on 64 threads
# running at once does not grow with their events (t/progs/threads.c,
# stress mode). No time is measured: `make bench` shows the speed.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog threads
need_python

N=3000
sh "$TOP_SRCDIR/bench/genmany.sh" $N many.c || hard_error "genmany.sh failed"
$CC -O0 -g -finstrument-functions -pthread -o many many.c ||
	skip "cannot build a program of $N functions with $CC"
run rec "$CPROF" record --no-counters -o many.cprof -- ./many
expect_status "cprof record of $N functions" 0 rec.err
expect_eq "the program's output" "$N functions" "$(cat rec.out)" rec.out
run rep "$CPROF" report --format json -o many.json many.cprof
expect_status "cprof report of $N functions" 0 rep.err
[ ! -s rep.err ] || fail "cprof report printed warnings" rep.err

fns="[r for r in j['functions'] if re.match(r'fn_[0-9]+$', r['name'])]"
jeq "every function is named" many.json "len($fns)" $N
jeq "each function has 12 calls" many.json \
	"sorted(set(r['calls'] for r in $fns))" "[12]"
jeq "every function is in the program" many.json \
	"sorted(set(r['object'] for r in $fns))" '["many"]'
jeq "every function has its file and declaration line" many.json \
	"[r['name'] for r in $fns if not (r['file'] or '').endswith('many.c') or r['line'] != 4 + 4 * int(r['name'][3:])][:5]" "[]"
jeq "12 N calls in all, with main and the workers" many.json \
	"sum(r['calls'] for r in j['functions'])" $((12 * N + 1 + 4))

run thr "$CPROF" report --threads --format json -o thr.json many.cprof
expect_status "cprof report --threads" 0 thr.err
jeq "each worker thread called every function 3 times" thr.json \
	"sorted(len([n for n, c in tfuncs(t).items() if n.startswith('fn_') and c == 3]) for t in j['threads'])" \
	"[0, $N, $N, $N, $N]"

# 64 threads at once, N and 4N calls each: markers only (sampling holds
# a bounded drain of each thread, see e2e-report-memory.sh).
if [ "$SANITIZE" = yes ]; then
	echo "memory: skipped, a sanitizer's shadow memory grows with what is allocated"
	exit 0
fi
for size in small:2000 big:8000; do
	name=${size%:*} n=${size#*:}
	run rec64-$name "$CPROF" record --no-counters -o t64-$name.cprof -- "$PROGS/threads" stress 64 $n
	expect_status "threads stress 64 $n under cprof record" 0 rec64-$name.err
	run rss-$name "$PYTHON" -c '
import resource, subprocess, sys
st = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
sys.exit("exit status %d" % st) if st else print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$CPROF" report --threads --format csv t64-$name.cprof
	expect_status "cprof report of 64 threads ($name)" 0 rss-$name.err
done
small=$(cat rss-small.out) big=$(cat rss-big.out)
echo "peak memory of cprof report, 64 threads: ${small} KiB for 2000 calls each, ${big} KiB for 8000"
[ "$big" -le $((small + 8192)) ] ||
	fail "cprof report of 64 threads took ${big} KiB for 8000 calls each, ${small} KiB for 2000: it grows with the events"
exit 0
