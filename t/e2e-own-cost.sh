#!/bin/sh
# e2e-own-cost.sh - the runtime's own cost is never the program's
# (t/progs/ownfaults.c). In exact mode and with every page fault sampled:
# tiny() and work(), which touch no memory, show 0 page faults; touch()
# shows exactly the pages it touches; in the main thread, a second thread
# and a fork child; with and without a writer thread (then the program's
# thread encodes the log itself, and those faults go to the runtime's
# row). What the runtime does count (its slow paths in exact mode, its
# code under sampling) is on one row, "[cprof runtime]", with "runtime":
# true in the JSON, and no function of libcprof is ever a row.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog ownfaults sandbox
need_sw_counters

CALLS=100000 # more than a ring's half: the slow path runs inside work()
PAGES=64
ROW='[cprof runtime]'

# Under a sanitizer the runtime's stores first touch their shadow memory
# inside the program's frames (populating the ring does not reach it): the
# exact zero and page counts only hold without one. H is per work() call.
if [ "$SANITIZE" = yes ]; then
	H=64
	echo "sanitizer build: fault counts checked within $H a call, not exactly"
else
	H=0
fi
# ThreadSanitizer's own memory (its shadow of every location the
# instrumented runtime writes, the stack included, its event trace) is
# first touched wherever the runtime runs, in the program's frames: about
# 120 faults in tiny() and 170 in work() in exact mode, 1200 in tiny()
# sampled, whatever the number of calls, none of which the plain build
# has. The fault bounds cannot hold there; calls and rows are checked.
[ "${TSAN:-no}" != yes ] ||
	echo "note: TSan build: the page faults of TSan's own memory land in the program's frames: fault bounds not checked"

# No row is a function of libcprof, and the runtime's row is the one
# flagged: FILE is a stat JSON.
check_rows() {
	cjcheck "$1: no libcprof function is a row" "$1" \
		"not [r for r in j['functions'] if (r['object'] or '').startswith('libcprof')]"
	cjcheck "$1: every row says whether it is the runtime's" "$1" \
		"all(type(r['runtime']) is bool for r in j['functions'])"
	cjcheck "$1: the runtime's row, if any, is the one flagged" "$1" \
		"[r['name'] for r in j['functions'] if r['runtime']] in ([], ['$ROW'])"
}

# check_faults FILE K: K runs of work() in FILE's profile.
check_faults() {
	_n=$(($2 * PAGES))
	_h=$(($2 * H + COW))
	cjeq "$1: tiny called $2 x $CALLS times" "$1" "calls('tiny')" $(($2 * CALLS))
	cjeq "$1: touch called $2 times" "$1" "calls('touch')" "$2"
	if [ "${TSAN:-no}" = yes ]; then
		cjcheck "$1: touch has at least its $_n page faults" "$1" \
			"$_n <= counter('touch', 'page-faults')"
		check_rows "$1"
		return
	fi
	cjcheck "$1: tiny touches no memory: 0 page faults (+$_h)" "$1" \
		"counter('tiny', 'page-faults', 'total') <= $_h"
	cjcheck "$1: work touches no memory itself: 0 page faults (+$_h)" "$1" \
		"counter('work', 'page-faults') <= $_h"
	cjcheck "$1: touch has its $_n page faults (+$_h)" "$1" \
		"$_n <= counter('touch', 'page-faults') <= $_n + $_h"
	cjcheck "$1: work's total is touch's, tiny's and its own (+$_h)" "$1" \
		"counter('touch', 'page-faults') <= counter('work', 'page-faults', 'total') <= counter('touch', 'page-faults') + 2 * $_h"
	check_rows "$1"
}

# Exact mode, and every page fault sampled: the main thread, then also a
# thread, a fork child, both.
for opt in "" -t -f "-t -f"; do
	# A fork child's first write to a page it shares with its parent
	# (its stack, its data) is a copy-on-write fault of its own, and
	# lands in work() or tiny() when the runtime's code in the child did
	# not write that page first: a couple are the program's, not ours.
	COW=0
	case $opt in *-f*) COW=2 ;; esac
	case $opt in
	"") k=1 name=main ;;
	-t) k=2 name=thread ;;
	-f) k=2 name=fork ;;
	*) k=3 name=both ;;
	esac
	stat_counters ex-$name --exact -e page-faults -- \
		"$PROGS/ownfaults" $opt $CALLS $PAGES
	check_faults ex-$name.json $k
	stat_counters smp-$name -c 1 -e page-faults -- \
		"$PROGS/ownfaults" $opt $CALLS $PAGES
	if [ "$(cj smp-$name.json "event('page-faults')['throttled']")" != 0 ]; then
		echo "smp-$name: the kernel throttled sampling: counts not checked"
		check_rows smp-$name.json
		continue
	fi
	check_faults smp-$name.json $k
done

COW=0
# The runtime's own row in exact mode: task-clock counts its slow path
# (the ring's half, growing the ring) inside work(), and nothing of it
# goes to work.
stat_counters ex-clock --exact -e task-clock,page-faults -- \
	"$PROGS/ownfaults" $CALLS $PAGES
check_faults ex-clock.json 1
cjcheck "exact: the runtime's row counted CPU time" ex-clock.json \
	"counter('$ROW', 'task-clock') > 0"
cjeq "exact: one runtime row" ex-clock.json "len(rows('$ROW'))" 1
cjeq "exact: it has no calls" ex-clock.json "calls('$ROW')" 0

# No writer thread (a sandbox refuses clone): the program's thread drains
# the rings itself, inside work(), and the faults of encoding are the
# runtime's row's.
run env "$CPROF" stat --exact -e page-faults -o /dev/null -- env
events=$(sed -n 's/^CPROF_EVENTS=//p' env.out)
[ -n "$events" ] || fail "cprof stat sets no CPROF_EVENTS" env.out env.err
mkdir nowriter
status=0
LD_PRELOAD=$(preload_value) CPROF_DIR=$PWD/nowriter CPROF_EVENTS=$events \
	CPROF_EXACT=1 "$PROGS/sandbox" -d clone=EPERM -d clone3=EPERM -- \
	"$PROGS/ownfaults" $CALLS $PAGES >nowriter.out 2>nowriter.err ||
	status=$?
expect_status "no writer: the program's status" 0 nowriter.err
expect_grep "no writer: the runtime says so" \
	"cannot start the writer thread" nowriter.err
run nw "$CPROF" report --format json -o nowriter.json nowriter
expect_status "report of the run without a writer" 0 nw.err
check_faults nowriter.json 1
cjcheck "no writer: the runtime's row has the faults of its draining" \
	nowriter.json "counter('$ROW', 'page-faults') > 0"

# Sampling CPU time: the hooks' own code is the runtime's row, in the
# table, the JSON and the CSV, with and without callchains.
for g in "" -g; do
	stat_counters cpu$g -e task-clock -F 2000 $g -- \
		"$PROGS/ownfaults" $((20 * CALLS)) $PAGES
	check_rows cpu$g.json
	cjcheck "cpu$g: the runtime's row has samples" cpu$g.json \
		"rows('$ROW')[0]['samples'] > 0 and rows('$ROW')[0]['runtime']"
done
run table "$CPROF" stat -e task-clock -F 2000 -- \
	"$PROGS/ownfaults" $((20 * CALLS)) $PAGES
expect_status "cprof stat, table" 0 table.err
expect_grep "the table has the runtime's row" "^\[cprof runtime\] " table.err
expect_no_grep "the table has no libcprof function" "libcprof" table.err
run rec "$CPROF" record -o run.cprof -e task-clock -F 2000 -- \
	"$PROGS/ownfaults" $((20 * CALLS)) $PAGES
expect_status "cprof record" 0 rec.err
run csv "$CPROF" report --counters --format csv run.cprof
expect_status "cprof report --format csv" 0 csv.err
expect_grep "the CSV has the runtime's row" '^"*\[cprof runtime\]"*,' csv.out
expect_no_grep "the CSV has no libcprof function" "libcprof" csv.out
exit 0
