#!/bin/bash
# run-bench.sh - `make bench`: cprof's marker overhead, log size and report
# speed beside uftrace's, on the same -finstrument-functions program in one
# run. Prints figures, never fails on a slow machine: this is not a test.
#
# Environment: CPROF (the cprof binary), CPROF_LIBRARY, CC. Argument: the
# bench source directory. CALLS overrides the call count (default 12M).
set -e
src=${1:-bench}
calls=${CALLS:-12000000}
reps=${REPS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/cprof-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
have_uftrace=yes
command -v uftrace >/dev/null || have_uftrace=
if [ -z "$have_uftrace" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench: installing uftrace for the comparison" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq uftrace >/dev/null 2>&1 && have_uftrace=yes
fi

${CC:-cc} -O2 -g -finstrument-functions -pthread -o "$work/callheavy" "$src/callheavy.c"

# best_ns CMD...: the fastest of $reps runs, in ns.
best_ns() {
	local best= t0 t1 d
	for _ in $(seq "$reps"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		d=$((t1 - t0))
		[ -z "$best" ] || [ "$d" -lt "$best" ] && best=$d
	done
	echo "$best"
}
# maxrss_kb CMD...: peak resident memory of one run.
maxrss_kb() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
dirsize() { du -sb "$1" | cut -f1; }

# exports: each export of the run beside the plain report (issue 10):
# CPU time (user + system, best of $reps: the wall time of a loaded
# machine says little), file size and peak memory; the Chrome trace's
# bytes per call kept on a run a hundredth the size, every call kept.
cpu_ms() {
	local best= t
	for _ in $(seq "$reps"); do
		t=$(/usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1 |
			awk '{ printf "%d", ($1 + $2) * 1000 }')
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
exports() {
	local t size rss fmt small=$((calls / 100)) base
	base=$(cpu_ms "$CPROF" report --format csv -o "$work/x.csv" "$work/run.cprof")
	echo "exports of the $calls-call run, CPU time (report --format csv: $base ms):"
	for fmt in chrome pprof folded flamegraph; do
		t=$(cpu_ms "$CPROF" report --format $fmt -o "$work/x.$fmt" "$work/run.cprof")
		size=$(wc -c <"$work/x.$fmt")
		rss=$(maxrss_kb "$CPROF" report --format $fmt -o "$work/x.$fmt" "$work/run.cprof")
		printf '  %-10s %7s ms  %5sx the report  %10s bytes  peak %s KiB\n' \
			"$fmt" "$t" "$(ratio "$t" "$base")" "$size" "$rss"
		rm -f "$work/x.$fmt"
	done
	rm -rf "$work/small.cprof" "$work/x.csv"
	"$CPROF" record --no-counters --time-all -o "$work/small.cprof" "$work/callheavy" "$small" >/dev/null 2>&1
	"$CPROF" report --format chrome --min-duration 0 -o "$work/all.json" "$work/small.cprof" 2>/dev/null
	size=$(wc -c <"$work/all.json")
	echo "  chrome, every call kept ($small calls): $size bytes, $(per "$size" "$small") bytes per call"
	rm -rf "$work/all.json" "$work/small.cprof"
}

# alloc: --alloc on an allocation-heavy loop (issue 11): the cost of an
# allocation event (an allocation or a free) over the plain run, and the
# runtime's cost without --alloc, beside heaptrack on the same program;
# bytes per event in the log.
alloc_bench() {
	local n=${ALLOCS:-2000000} plain none with ht floor bytes
	${CC:-cc} -O2 -g -finstrument-functions -o "$work/allocheavy" "$src/allocheavy.c"
	${CC:-cc} -O2 -g -o "$work/callheavy" "$src/callheavy.c"
	floor=$("$work/callheavy" floor 20000000)
	plain=$(best_ns "$work/allocheavy" "$n")
	ra() { rm -rf "$work/a.cprof"; "$CPROF" record --no-counters "$@" -o "$work/a.cprof" "$work/allocheavy" "$n"; }
	none=$(best_ns ra)
	with=$(best_ns ra --alloc)
	bytes=$(dirsize "$work/a.cprof")
	ra >/dev/null 2>&1
	bytes=$((bytes - $(dirsize "$work/a.cprof")))
	echo "allocations (--alloc): $n allocations and $n frees in one function, plain run $(per "$plain" 1000000) ms:"
	echo "  two counter reads (the floor):       $floor ns"
	echo "  cprof record, no --alloc:            $(per $((none - plain)) $((2 * n))) ns per event over the plain run"
	echo "  cprof record --alloc:                $(per $((with - plain)) $((2 * n))) ns per event over the plain run ($(per $((with - none)) $((2 * n))) over no --alloc)"
	echo "  --alloc / the floor:                 $(ratio "$(per $((with - plain)) $((2 * n)))" "$floor")x (target <= 2)"
	echo "  log:                                 $(per "$bytes" $((2 * n))) bytes per event"
	if command -v heaptrack >/dev/null; then
		rh() { rm -f "$work"/ht.*; heaptrack -o "$work/ht" "$work/allocheavy" "$n"; }
		ht=$(best_ns rh)
		echo "  heaptrack:                           $(per $((ht - plain)) $((2 * n))) ns per event over the plain run"
		echo "  cprof --alloc / heaptrack:           $(ratio $((with - plain)) $((ht - plain)))x (target < 1)"
	else
		echo "  heaptrack: not installed (apt-get install heaptrack)"
	fi
}

# BENCH_ONLY=alloc: the allocation lines alone.
if [ "${BENCH_ONLY:-}" = alloc ]; then
	alloc_bench
	exit 0
fi

# dwarf: --call-graph=dwarf (issue 9) beside -g on a frame-pointer build
# and beside perf's --call-graph=dwarf, on the program without hooks at
# $hz Hz of task-clock: the cost per sample (the CPU time of the whole
# run, tool and program, over the plain run's, each tool's start-up --
# its run of the program with no work -- taken out, per sample taken;
# CPU time, as the wall time of a loaded machine says little), the log
# bytes per sample, and the report's CPU time per sample (cprof unwinds
# there, as perf report does).
cpu_us() { # the least CPU time of $reps runs of CMD and its children, in us
	local best= t
	for _ in $(seq "$reps"); do
		if [ -n "$dperf" ]; then
			perf stat -x, -e task-clock -o "$work/stat.txt" -- "$@" >/dev/null 2>&1
			t=$(awk -F, '$3 == "task-clock" { printf "%d", $1 * 1000 }' "$work/stat.txt")
		else
			t=$(/usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1 |
				awk '{ printf "%d", ($1 + $2) * 1000000 }')
		fi
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
nsamples() {
	"$CPROF" report --format json "$1" 2>/dev/null |
		grep -o '"samples": [0-9]*, "samples_lost"' | grep -o '[0-9][0-9]*' |
		awk '{ n += $1 } END { print n + 0 }'
}
dwarf_line() { # LABEL RUN_US START_US SAMPLES BYTES REPORT_US
	printf '  %-34s %9s us %9s B %9s us\n' "$1" \
		"$(per $((($2 - dplain) - ($3 - dplain0))) "$4")" \
		"$(per "$5" "$4")" "$(per "$6" "$4")"
}
dwarf() {
	local hz=${HZ:-4000} n=$((calls * 40)) t t0 k r
	dperf=
	if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
		dperf=yes
	fi
	${CC:-cc} -O2 -g -fomit-frame-pointer -o "$work/nofp" "$src/callheavy.c"
	${CC:-cc} -O2 -g -fno-omit-frame-pointer -o "$work/fp" "$src/callheavy.c"
	dplain=$(cpu_us "$work/nofp" "$n")
	dplain0=$(cpu_us "$work/nofp" 0)
	echo "call chains at $hz Hz of task-clock, on a program without hooks of $(per "$dplain" 1000) ms CPU:"
	printf '  %-34s %12s %12s %12s\n' "" "CPU/sample" "log/sample" "report/sample"
	# Commands, not shell functions: perf stat runs them.
	fresh='rm -rf "$0"; exec "$@"'
	cfp() { cpu_us sh -c "$fresh" "$work/d.cprof" "$CPROF" record -g -e task-clock -F "$hz" -o "$work/d.cprof" "$work/fp" "$1"; }
	t=$(cfp "$n")
	t0=$(cfp 0)
	reps=1 cfp "$n" >/dev/null
	k=$(nsamples "$work/d.cprof")
	r=$(cpu_us "$CPROF" report --format csv "$work/d.cprof")
	dwarf_line "cprof -g (frame pointers)" "$t" "$t0" "$k" "$(dirsize "$work/d.cprof")" "$r"
	cdw() { cpu_us sh -c "$fresh" "$work/d.cprof" "$CPROF" record --call-graph=dwarf -e task-clock -F "$hz" -o "$work/d.cprof" "$work/nofp" "$1"; }
	t=$(cdw "$n")
	t0=$(cdw 0)
	reps=1 cdw "$n" >/dev/null
	k=$(nsamples "$work/d.cprof")
	r=$(cpu_us "$CPROF" report --format csv "$work/d.cprof")
	dwarf_line "cprof --call-graph=dwarf (8192)" "$t" "$t0" "$k" "$(dirsize "$work/d.cprof")" "$r"
	if [ -n "$dperf" ]; then
		pdw() { cpu_us perf record -q -e task-clock -F "$hz" --call-graph=dwarf -o "$work/perf.data" "$work/nofp" "$1"; }
		t=$(pdw "$n")
		t0=$(pdw 0)
		reps=1 pdw "$n" >/dev/null
		k=$(perf report -D -i "$work/perf.data" 2>/dev/null | grep -c 'PERF_RECORD_SAMPLE')
		r=$(cpu_us perf report -q --stdio -i "$work/perf.data")
		dwarf_line "perf record --call-graph=dwarf" "$t" "$t0" "$k" "$(wc -c <"$work/perf.data")" "$r"
	else
		echo "  perf record --call-graph=dwarf: not available here"
	fi
	rm -rf "$work/d.cprof" "$work/perf.data" "$work/stat.txt"
}

# BENCH_ONLY=dwarf: the call-chain lines alone.
if [ "${BENCH_ONLY:-}" = dwarf ]; then
	dwarf
	exit 0
fi

# BENCH_ONLY=exports: the export lines alone.
if [ "${BENCH_ONLY:-}" = exports ]; then
	rm -rf "$work/run.cprof"
	"$CPROF" record --no-counters --time-all -o "$work/run.cprof" "$work/callheavy" "$calls" >/dev/null 2>&1
	exports
	exit 0
fi

floor=$("$work/callheavy" floor 20000000)
plain=$(best_ns "$work/callheavy" "$calls")

# Markers only, every call timed (--time-all): the same work as
# uftrace's and the floor's. By default adaptive timing would only count
# these tiny calls (its cost is the line after the table), and the logs
# the report figures read would hold almost no events.
rec() { rm -rf "$work/run.cprof"; "$CPROF" record --no-counters --time-all -o "$work/run.cprof" "$work/callheavy" "$calls"; }
crec=$(best_ns rec)
arec_cmd() { rm -rf "$work/ad.cprof"; "$CPROF" record --no-counters -o "$work/ad.cprof" "$work/callheavy" "$calls"; }
arec=$(best_ns arec_cmd)
rec >/dev/null 2>&1
cbytes=$(dirsize "$work/run.cprof")
crep=$(best_ns "$CPROF" report --format csv "$work/run.cprof")
crss=$(maxrss_kb "$CPROF" report --format csv "$work/run.cprof")
# The same report on a run a quarter the size: memory must not follow.
rm -rf "$work/small.cprof"
"$CPROF" record --no-counters --time-all -o "$work/small.cprof" "$work/callheavy" $((calls / 4)) >/dev/null 2>&1
crss_small=$(maxrss_kb "$CPROF" report --format csv "$work/small.cprof")

cov=$(per $((crec - plain)) "$calls")
echo "cprof bench: $calls calls of a -finstrument-functions program, best of $reps runs"
echo
printf '%-34s %12s %12s\n' "" "cprof" "uftrace"
if [ -n "$have_uftrace" ]; then
	urec_cmd() { rm -rf "$work/uftrace.data"; (cd "$work" && uftrace record -d uftrace.data ./callheavy "$calls"); }
	urec=$(best_ns urec_cmd)
	urec_cmd >/dev/null 2>&1
	ubytes=$(dirsize "$work/uftrace.data")
	urep=$(best_ns uftrace report -d "$work/uftrace.data")
	uov=$(per $((urec - plain)) "$calls")
	printf '%-34s %12s %12s\n' "record overhead per call (ns)" "$cov" "$uov"
	printf '%-34s %12s %12s\n' "log bytes per call" "$(per "$cbytes" "$calls")" "$(per "$ubytes" "$calls")"
	printf '%-34s %12s %12s\n' "report time per call (ns)" "$(per "$crep" "$calls")" "$(per "$urep" "$calls")"
else
	printf '%-34s %12s %12s\n' "record overhead per call (ns)" "$cov" "n/a"
	printf '%-34s %12s %12s\n' "log bytes per call" "$(per "$cbytes" "$calls")" "n/a"
	printf '%-34s %12s %12s\n' "report time per call (ns)" "$(per "$crep" "$calls")" "n/a"
fi
echo
echo "plain run:                       $(per "$plain" 1000000) ms ($(per "$plain" "$calls") ns per call)"
echo "floor (two counter reads):       $floor ns"
echo "cprof overhead / floor:          $(ratio "$cov" "$floor")x (target <= 2; every call timed, --time-all)"
echo "default (adaptive timing):       $(per $((arec - plain)) "$calls") ns per call over the plain run (tiny calls counted, not timed)"
if [ -n "$have_uftrace" ]; then
	echo "uftrace overhead / cprof:        $(ratio "$uov" "$cov")x (target >= 4)"
	echo "uftrace report / cprof report:   $(ratio "$urep" "$crep")x (target >= 10)"
fi
echo "cprof report peak memory:        ${crss} KiB for $calls calls, ${crss_small} KiB for $((calls / 4))"
echo
exports

# Scale: a program of many distinct functions, each called a few times,
# where naming the functions is most of a report's work (it must grow as
# n log n in the functions, not n^2), and the report's peak memory on 64
# threads running at once, for N and 4N calls (it must not follow N).
funcs=${FUNCS:-100000}
echo
sh "$src/genmany.sh" "$funcs" "$work/many.c"
${CC:-cc} -O0 -g -finstrument-functions -pthread -o "$work/many" "$work/many.c"
rm -rf "$work/many.cprof"
"$CPROF" record --no-counters --time-all -o "$work/many.cprof" "$work/many" >/dev/null 2>&1
mrep=$(best_ns "$CPROF" report --format csv "$work/many.cprof")
mrss=$(maxrss_kb "$CPROF" report --format csv "$work/many.cprof")
echo "report of $funcs functions, $((12 * funcs)) calls: $(per "$mrep" 1000000) ms (target < 3000 ms), peak ${mrss} KiB"
tcalls=$((calls / 4))
for n in "$tcalls" $((4 * tcalls)); do
	rm -rf "$work/t64.cprof"
	"$CPROF" record --no-counters --time-all -o "$work/t64.cprof" "$work/callheavy" threads 64 "$n" >/dev/null 2>&1
	trss=$(maxrss_kb "$CPROF" report --format csv "$work/t64.cprof")
	rm -rf "$work/t64.cprof"
	"$CPROF" record -e task-clock -g -o "$work/t64.cprof" "$work/callheavy" threads 64 "$n" >/dev/null 2>&1
	trss_s=$(maxrss_kb "$CPROF" report --format csv "$work/t64.cprof")
	echo "report peak memory, 64 threads, $n calls: ${trss} KiB markers only, ${trss_s} KiB with task-clock samples (-g)"
done
rm -rf "$work/t64.cprof" "$work/many.cprof"

# Counters: sampling overhead beside perf record at the same frequency, on
# the same program built without hooks (so only sampling is measured):
# the whole run under each tool against the plain run. cprof's start-up
# (its run of the program with no work) is shown apart.
echo
${CC:-cc} -O2 -g -o "$work/busy" "$src/callheavy.c"
busy_calls=$((calls * 40))
hz=${HZ:-4000}
ev=task-clock
# cycles where the machine has a PMU, else the software clock.
if "$CPROF" stat -e cycles true >/dev/null 2>&1; then ev=cycles; fi
crs() { rm -rf "$work/s.cprof"; "$CPROF" record -e "$ev" -F "$hz" -o "$work/s.cprof" "$work/busy" "$1"; }
bplain=$(best_ns "$work/busy" "$busy_calls")
bplain0=$(best_ns "$work/busy" 0)
csamp=$(best_ns crs "$busy_calls")
csamp0=$(best_ns crs 0)
echo "sampling $ev at $hz Hz, on a $(per "$bplain" 1000000) ms program without hooks (overhead over the plain run):"
printf '  %-34s %8s ms  (start-up %s ms)\n' "cprof record -e $ev -F $hz" "$(per $((csamp - bplain)) 1000000)" "$(per $((csamp0 - bplain0)) 1000000)"
if command -v perf >/dev/null && perf stat -e "$ev" true >/dev/null 2>&1; then
	prs() { perf record -q -e "$ev" -F "$hz" -o "$work/perf.data" "$work/busy" "$1"; }
	psamp=$(best_ns prs "$busy_calls")
	printf '  %-34s %8s ms\n' "perf record -e $ev -F $hz" "$(per $((psamp - bplain)) 1000000)"
	echo "  cprof / perf sampling overhead:  $(ratio $((csamp - bplain)) $((psamp - bplain)))x (target <= 1)"
else
	echo "  perf record: not available for $ev here"
fi

# --exact: the counters are read at every marker event.
cex() { rm -rf "$work/x.cprof"; "$CPROF" record --exact -e task-clock -o "$work/x.cprof" "$work/callheavy" "$calls"; }
cexact=$(best_ns cex)
echo "exact mode (read(2) of the group at each of $((2 * calls)) marker events):"
echo "  cost per marker event:           $(per $((cexact - crec)) $((2 * calls))) ns over plain recording"
echo "  rdpmc:                           not measurable here (no hardware PMU: software events read with read(2))"

echo
alloc_bench
dwarf
