#!/bin/sh
# e2e-reference.sh - cprof stat and record --reference PLAIN: the plain
# build's samples give the self times, the hooked build's hooks the calls,
# merged by function (t/progs/reference.c, built here twice). Proves: the
# calls are exact; kept() and caller() share the self time as the plain
# build's work does (half each, within sampling error), whatever the hooks
# cost the hooked build; tiny(), which the plain build inlines, keeps its
# exact calls, has no self time and is marked inlined; every row says
# where its self time comes from; the program's output appears once; the
# exit status is the hooked run's; stdin given as a file reaches both
# runs; record keeps both runs (RUN/reference) and report merges them;
# with -g and frame pointers the totals come from the plain run's
# callchains; and bad uses fail with one line (127, 126, 2) before
# anything runs.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_sw_counters

src=$SRCPROGS/reference.c
$CC -O2 -g -DEXTRA_STATUS=1 -o plain "$src" ||
	skip "cannot build t/progs/reference.c with $CC"
$CC -O2 -g -finstrument-functions -o hooked "$src" ||
	skip "cannot build t/progs/reference.c with $CC -finstrument-functions"
if nm plain | grep -q ' tiny$'; then
	skip "$CC kept tiny() out of line in the plain build (always_inline)"
fi

N=100000
# The rows of a reference profile: how many of each.
check_profile() {
	_json=$1
	jeq "$_json: kept() calls" "$_json" "calls('kept')" $N
	jeq "$_json: caller() calls" "$_json" "calls('caller')" $N
	jeq "$_json: tiny() calls, exact though inlined in the plain build" \
		"$_json" "calls('tiny')" $((N * 10))
	jeq "$_json: main() calls" "$_json" "calls('main')" 1
	jcheck "$_json: tiny() is marked inlined in the reference" "$_json" \
		"[r['inlined_in_reference'] for r in rows('tiny')] == [True]"
	jcheck "$_json: kept() and caller() are not" "$_json" \
		"not any(r['inlined_in_reference'] for r in rows('kept') + rows('caller'))"
	jeq "$_json: tiny() has no self time of its own" "$_json" "self('tiny')" 0
	jcheck "$_json: every row's self time comes from the reference" "$_json" \
		"all(r['self_source'] == 'reference' for r in j['functions'])"
	jcheck "$_json: the reference is the plain build" "$_json" \
		"j['reference']['exe'].endswith('/plain') and j['reference']['status'] == 4"
	# Half of the plain build's samples in each: 4 standard errors,
	# plus 3 points for what differs between the two loops' code.
	jcheck "$_json: kept() and caller() share the samples half and half" "$_json" \
		"(lambda k, n: n >= 100 and abs(k / n - 0.5) <= 4 * (0.25 / n) ** 0.5 + 0.03)(sum(r['samples'] for r in rows('kept')), sum(r['samples'] for r in rows('kept') + rows('caller')))"
	jcheck "$_json: self times follow the samples" "$_json" \
		"self('kept') > 0 and self('caller') > 0 and abs(self('kept') / (self('kept') + self('caller')) - 0.5) <= 4 * (0.25 / j['reference']['samples']) ** 0.5 + 0.05"
}

# stat: the plain run first, then the hooked one; one output of each.
run st "$CPROF" stat --reference ./plain -e task-clock -F 4000 \
	--format json -o st.json -- ./hooked $N 3
expect_status "stat --reference: the hooked run's status" 3 st.err
expect_eq "the program's stdout appears once" "done $N" "$(cat st.out)" st.out
expect_eq "the program's stderr appears once" 1 \
	"$(grep -c 'reference: stderr line' st.err)" st.err
expect_grep "the two runs' statuses differ: a line says so" \
	'plain ended with status 4, the hooked run with 3' st.err
check_profile st.json
# Without -g: a leaf's total is its (plain) self time, callees' time
# scaled from the hooked run; tiny()'s time is in caller()'s self.
jeq "without -g, totals are scaled from the hooked run" st.json \
	"j['reference']['totals']" hooked-scaled
# (At least: the hooked run's samples in kept()'s frame at addresses of
# other code, a sanitizer's runtime or the C library, are callees' time.)
jcheck "kept()'s total is its self time and its callees'" st.json \
	"total('kept') >= self('kept') and [r['total_source'] for r in rows('kept')] == ['hooked-scaled']"
jeq "tiny()'s total is nothing of its own" st.json "total('tiny')" 0
jcheck "main()'s total holds most of kept() and caller()" st.json \
	"total('main') >= 0.5 * (self('kept') + self('caller'))"

# The table marks the inlined function and says where numbers come from.
run tab "$CPROF" stat --reference ./plain -e task-clock -F 4000 \
	-o tab.txt -- ./hooked $N
expect_status "stat --reference, table" 0 tab.err
expect_grep "the header names the plain build" \
	'--reference: self times and counters from [0-9]+ samples of task-clock in the plain build' tab.txt
expect_grep "tiny() is marked i" '^tiny .* i$' tab.txt
expect_grep "the mark is explained" '^  i: 1 function the plain build inlines' tab.txt

# stdin given as a file: both runs read it.
echo $N >input
run_in in input "$CPROF" stat --reference ./plain -e task-clock -F 4000 \
	--format json -o in.json -- ./hooked -
expect_status "stat --reference with stdin from a file" 0 in.err
jeq "the hooked run read stdin after the plain run" in.json "calls('kept')" $N
jcheck "the plain run read it too" in.json \
	"sum(r['samples'] for r in rows('kept')) > 0"

# record keeps both runs; report merges them, and refuses --threads.
run rec "$CPROF" record --reference ./plain -e task-clock -F 4000 \
	-o run.cprof -- ./hooked $N 3
expect_status "record --reference" 3 rec.err
[ -d run.cprof/reference ] || fail "record --reference made no run.cprof/reference"
ls run.cprof/reference/proc-*.log >/dev/null 2>&1 ||
	fail "the reference run has no log" rec.err
run rep "$CPROF" report --format json -o rep.json run.cprof
expect_status "report of a run with a reference" 0 rep.err
check_profile rep.json
run thr "$CPROF" report --threads run.cprof
expect_status "report --threads of a run with a reference" 2 thr.err
expect_lines "report --threads: one line" 1 thr.err
# A reference run that cannot be read leaves the hooked run's profile.
cp -R run.cprof broken.cprof
for f in broken.cprof/reference/proc-*.log; do
	echo garbage >"$f"
done
run broken "$CPROF" report --format json -o broken.json broken.cprof
expect_status "report of a run with an unreadable reference" 0 broken.err
expect_grep "a line says the reference cannot be read" \
	'reference run cannot be read' broken.err
jeq "the hooked run's calls are all there" broken.json "calls('tiny')" $((N * 10))
jcheck "no reference in the profile" broken.json "'reference' not in j"
# A second and a third record: the run with its reference is kept as
# RUN.old, then removed with it.
for i in 2 3; do
	run rec$i "$CPROF" record --reference ./plain -e task-clock \
		-o run.cprof -- ./hooked 10
	expect_status "record --reference over an earlier run ($i)" 0 rec$i.err
	[ -d run.cprof.old/reference ] || fail "the earlier run's reference was not kept" rec$i.err
done

# -g with frame pointers: totals from the plain run's callchains.
if case $(uname -m) in x86_64 | aarch64) true ;; *) false ;; esac &&
	$CC -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		-o plain-fp "$src" 2>/dev/null; then
	run fp "$CPROF" stat --reference ./plain-fp -g -e task-clock -F 4000 \
		--format json -o fp.json -- ./hooked $N
	expect_status "stat --reference -g" 0 fp.err
	jeq "totals from the callchains" fp.json "j['reference']['totals']" \
		reference-callchains
	# A caller's total holds them: main()'s, or where gcc leaves the
	# leaves kept() and caller() without a frame (whatever the options),
	# the C library's start function's, the first return address then.
	jcheck "a caller's total holds kept() and caller()" fp.json \
		"max(r['total_ns'] for r in j['functions'] if r['name'] not in ('kept', 'caller') and r['total_source'] == 'reference-callchains') >= 0.9 * (self('kept') + self('caller')) > 0"
	jcheck "kept()'s total is from the chains" fp.json \
		"[r['total_source'] for r in rows('kept')] == ['reference-callchains']"
else
	echo "note: no frame-pointer build here (x86-64 and AArch64 only): -g not checked"
fi

# A hooked build given as the reference: the header says so.
run self "$CPROF" stat --reference ./hooked -e task-clock -o self.txt \
	-- ./hooked 1000
expect_status "stat --reference of the hooked build itself" 0 self.err
expect_grep "the header says the reference had hooks" \
	'the plain run recorded [0-9]+ marker events: it is no plain build' self.txt

# An XRay build as the reference: its sleds stay unpatched (no marker
# events), so it is sampled as a plain build.
if command -v clang >/dev/null 2>&1 &&
	clang -O2 -g -fxray-instrument -fxray-instruction-threshold=1 \
		-o plain-xray "$src" 2>/dev/null; then
	run xr "$CPROF" stat --reference ./plain-xray -e task-clock -F 4000 \
		--format json -o xr.json -- ./hooked $N
	expect_status "stat --reference of an XRay build" 0 xr.err
	jeq "the XRay reference ran with its sleds unpatched" xr.json \
		"j['reference']['marker_events']" 0
	jeq "calls from the hooked run" xr.json "calls('tiny')" $((N * 10))
	jcheck "kept()'s self time from the XRay build's samples" xr.json \
		"self('kept') > 0"
else
	echo "note: no clang with XRay here: an XRay reference not checked"
fi

# Bad uses: one line, the shell's status, nothing run.
bad() {
	_want=$1 _what=$2
	shift 2
	rm -f ran
	run bad "$CPROF" stat "$@" -- sh -c 'touch ran'
	expect_status "$_what" "$_want" bad.err
	[ ! -e ran ] || fail "$_what: the program ran"
	[ "$_want" = 2 ] || expect_lines "$_what: one line" 1 bad.err
	expect_grep "$_what: the line names --reference" 'reference' bad.err
}
bad 127 "a missing plain build" --reference ./no-such-plain
bad 127 "a plain build not in PATH" --reference no-such-plain-in-path-xyz
printf '#!/bin/sh\n' >noexec.sh
chmod 644 noexec.sh
bad 126 "a plain build that is not executable" --reference ./noexec.sh
mkdir -p adir
bad 126 "a directory as the plain build" --reference ./adir
bad 2 "--reference with --exact" --reference ./plain --exact
bad 2 "--reference with --no-counters" --reference ./plain --no-counters
bad 2 "--reference with --threads" --reference ./plain --threads
rm -f ran
status=0
echo 1 | $_timeout "$CPROF" stat --reference ./plain -- sh -c 'touch ran' \
	>pipe.out 2>pipe.err || status=$?
expect_status "--reference with stdin from a pipe" 2 pipe.err
expect_lines "stdin from a pipe: one line" 1 pipe.err
expect_grep "stdin from a pipe: the line says why" 'stdin is a pipe' pipe.err
[ ! -e ran ] || fail "stdin from a pipe: the program ran"
# A signal for the job that kills the plain run ends cprof there, by it.
printf '#!/bin/sh\nkill -TERM $$\n' >killed.sh
chmod 755 killed.sh
rm -f ran
run killed "$CPROF" stat --reference ./killed.sh -- sh -c 'touch ran'
expect_status "a plain run killed by SIGTERM" 143 killed.err
[ ! -e ran ] || fail "the hooked run ran after the plain run was killed"
# A reference run is merged by function: the views of calling contexts
# and frames are refused rather than mixing the two runs.
bad 2 "--reference with --tree" --reference ./plain --tree
for v in --tree --call-graph --frames; do
	run rview "$CPROF" report $v run.cprof
	expect_status "report $v of a reference run" 2 rview.err
	expect_lines "report $v of a reference run: one line" 1 rview.err
done
run rexp "$CPROF" report --format folded -o rexp.folded run.cprof
expect_status "report --format folded of a reference run" 0 rexp.err
expect_grep "the export says it shows the hooked run" \
	"the export shows the hooked run" rexp.err
# A plain build that shares no function with the hooked one is named.
run unrel "$CPROF" stat --reference /bin/true -e task-clock -- ./hooked 10 3
expect_grep "an unrelated plain build is named" \
	"shares no function with the hooked program" unrel.err
run recbad "$CPROF" record --reference ./no-such-plain -o bad.cprof -- sh -c 'touch ran'
expect_status "record --reference of a missing plain build" 127 recbad.err
[ ! -e bad.cprof ] || fail "record --reference of a missing plain build left a run"
exit 0
