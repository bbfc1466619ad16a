#!/bin/sh
# e2e-dwarf.sh - `--call-graph=dwarf`: samples carry the user registers
# and a copy of the top of the stack, and the report unwinds them with
# libunwind. On t/progs/dwarfpaths.c built -O2 -fomit-frame-pointer (no
# frame pointers to walk): every sample of leaf() has a caller, leaf's
# total is its self (it calls nothing), the two paths into it share its
# samples about 3:1 (within sampling bounds), and main() is above both.
# Built with the hooks too, the unwound chains agree with the markers.
# `-g` on the same build shows the broken chains that motivate this (in
# the log, not asserted). Bad sizes and modes are usage errors; a kernel
# that refuses stack samples is said so at record time (the test skips).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_sw_counters

case $(uname -m) in
x86_64 | aarch64) ;;
*) skip "stack samples are recorded on x86-64 and aarch64 only" ;;
esac

# --- bad input: usage errors, exit 2, before anything runs ---
for arg in --call-graph=dwarf,0 --call-graph=dwarf,65529 \
	--call-graph=dwarf,abc --call-graph=dwarf, --call-graph=lbr \
	--call-graph=dwarfx; do
	run bad "$CPROF" record "$arg" -e task-clock -o bad.cprof -- true
	expect_status "record $arg" 2 bad.err
	expect_grep "record $arg: the error names --call-graph" \
		'^cprof: --call-graph' bad.err
	[ ! -e bad.cprof ] || fail "record $arg: a run directory was made" bad.err
done
run bad "$CPROF" record --call-graph=dwarf --exact -o bad.cprof -- true
expect_status "record --call-graph=dwarf --exact" 2 bad.err
# perf's spelling with a space: the mode is the option's, not the program.
run bad "$CPROF" record --call-graph dwarf,1 -e task-clock -o bad.cprof -- true
expect_status "record --call-graph dwarf,1" 2 bad.err
expect_grep "record --call-graph dwarf,1: the size is out of range" \
	"^cprof: --call-graph=dwarf: '1' is out of range" bad.err

$CC -O2 -g -fomit-frame-pointer -o nofp "$SRCPROGS/dwarfpaths.c" ||
	skip "cannot build t/progs/dwarfpaths.c with $CC"

run rec "$CPROF" record --call-graph=dwarf -e task-clock -F 4000 \
	-o d.cprof -- ./nofp
if [ "$status" != 0 ] && grep -q 'refuses user stack samples' rec.err; then
	skip "$(head -n 1 rec.err)"
fi
expect_status "record --call-graph=dwarf" 0 rec.err
grep -q 'without libunwind' rec.err &&
	skip "cprof was built without libunwind"

# vj FILE EXPR: a Python expression over the JSON in FILE, with
#   edge(a, b)  the call_graph edge a -> b, or {}
#   into(b)     the edges into b
#   func(name)  the functions row of name
#   tc(r, k)    the task-clock count k ("self", "total") of row r
vj() {
	"$PYTHON" - "$1" "$2" <<'PY'
import json, sys

with open(sys.argv[1]) as f:
    j = json.load(f)

def edge(a, b):
    return next((e for e in j["call_graph"]
                 if e["caller"] == a and e["callee"] == b), {})

def into(b):
    return [e for e in j["call_graph"] if e["callee"] == b]

def func(name):
    return next(r for r in j["functions"] if r["name"] == name)

def tc(r, k):
    return r["counters"]["task-clock"][k]

v = eval(sys.argv[2])
print("true" if v is True else "false" if v is False else v)
PY
}

vcheck() {
	_got=$(vj "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = true ] || fail "$1: expected $3 to hold over $2" "$2"
}

run rj "$CPROF" report --call-graph --tree --format json d.cprof
expect_status "report of the dwarf run" 0 rj.err
mv rj.out d.json
expect_no_grep "no warning from the report" 'cannot be unwound|stop short' rj.err
vcheck "leaf has samples" d.json "edge('path_a', 'leaf')['samples'] + edge('path_b', 'leaf')['samples'] >= 100"
# Samples the timer took in the kernel while leaf ran (their user
# registers are leaf's) hang under it as [kernel], as with -g.
vcheck "leaf calls nothing: no callee but the kernel" d.json \
	"all(e['caller'] != 'leaf' or e['callee'] == '[kernel]' for e in j['call_graph'])"
vcheck "leaf calls nothing: its total is its self (and the kernel's)" d.json \
	"tc(func('leaf'), 'total') == tc(func('leaf'), 'self') + edge('leaf', '[kernel]').get('counters', {}).get('task-clock', 0)"
vcheck "leaf's samples come through path_a or path_b" d.json \
	"sum(e['samples'] for e in into('leaf') if e['caller'] in ('path_a', 'path_b')) == sum(e['samples'] for e in into('leaf'))"
# path_a gives leaf three times path_b's work: a share of 3/4, bounded
# far outside the sampling error of some thousand samples (< 0.02).
vcheck "path_a holds about 3/4 of leaf" d.json \
	"0.6 <= edge('path_a', 'leaf')['samples'] / (edge('path_a', 'leaf')['samples'] + edge('path_b', 'leaf')['samples']) <= 0.9"
vcheck "main calls both paths" d.json \
	"edge('main', 'path_a')['samples'] > 0 and edge('main', 'path_b')['samples'] > 0"
vcheck "(almost) no chain stops short" d.json \
	"j['processes'][0]['broken_callchains'] * 100 < j['processes'][0]['callchains']"
run rt "$CPROF" report --tree d.cprof
expect_status "report --tree of the dwarf run" 0 rt.err
expect_grep "the tree has path_a" '^ +[0-9]+ +[0-9]+ +- +[| ]*\+- path_a$' rt.out
expect_grep "the tree has leaf" '^ +[0-9]+ +[0-9]+ +- +[| ]*\+- leaf$' rt.out

# --- a copy too small for the frames: the chains stop short, said so ---
run rec8 "$CPROF" record --call-graph=dwarf,8 -e task-clock -F 4000 \
	-o small.cprof -- ./nofp
expect_status "record --call-graph=dwarf,8" 0 rec8.err
run r8 "$CPROF" report small.cprof
expect_status "report of the dwarf,8 run" 0 r8.err
expect_grep "the header says the unwound chains stop short" \
	'[0-9]+ of [0-9]+ unwound callchains stop short' r8.out
expect_grep "the header gives the fix" '--call-graph=dwarf,SIZE' r8.out

# --- a log of another machine: the report says it cannot unwind ---
"$PYTHON" - d.cprof <<'PY' || fail "cannot rewrite the log's machine"
import glob, sys
p = glob.glob(sys.argv[1] + "/proc-*.log")[0]
b = open(p, "rb").read()
# The header's "arch" string, a msgpack fixstr of 6 bytes, comes first.
i = b.index(b"\xa6x86_64") if b"\xa6x86_64" in b else b.index(b"\xa7aarch64")
n = 7 if b[i] == 0xa6 else 8
b = b[:i] + (b"\xa6sparcv" if n == 7 else b"\xa7sparc64") + b[i + n:]
open(p, "wb").write(b)
PY
run ra "$CPROF" report --call-graph --format json d.cprof
expect_status "report of another machine's stacks" 0 ra.err
expect_grep "the report says the chains cannot be unwound" \
	'recorded on sparc.*cannot be unwound on this machine' ra.err
[ "$(grep -c 'cannot be unwound' ra.err)" = 1 ] ||
	fail "the report says it once" ra.err
mv ra.out a.json
vcheck "without chains, leaf has no caller" a.json "[e['caller'] for e in into('leaf')] == [None]"
vcheck "without chains, none is counted as broken" a.json \
	"j['processes'][0]['broken_callchains'] == 0"

# --- the same build with -g: the kernel walks no frame pointers ---
run recg "$CPROF" record -g -e task-clock -F 4000 -o g.cprof -- ./nofp
expect_status "record -g" 0 recg.err
run rg "$CPROF" report --tree g.cprof
expect_status "report of the -g run" 0 rg.err
echo "$test_name: for the record, -g on the same build gives:"
sed -n '/callchains are broken/,$p' rg.out | head -n 20

# --- the hooked build: markers and unwound chains agree ---
$CC -O2 -g -fomit-frame-pointer -finstrument-functions -o hooked \
	"$SRCPROGS/dwarfpaths.c" || skip "cannot build with -finstrument-functions"
# --time-all: every call timed, so that the markers give exact edges.
run rech "$CPROF" record --call-graph=dwarf --time-all -e task-clock \
	-F 4000 -o h.cprof -- ./hooked
expect_status "record --call-graph=dwarf of the hooked build" 0 rech.err
run hj "$CPROF" report --call-graph --format json h.cprof
expect_status "report of the hooked dwarf run" 0 hj.err
mv hj.out h.json
vcheck "hooked: leaf's calls come from both paths" h.json \
	"edge('path_a', 'leaf')['calls'] == edge('path_b', 'leaf')['calls'] == func('path_a')['calls'] > 0"
vcheck "hooked: leaf's total is its self (and the kernel's)" h.json \
	"tc(func('leaf'), 'total') == tc(func('leaf'), 'self') + edge('leaf', '[kernel]').get('counters', {}).get('task-clock', 0) > 0"
vcheck "hooked: (almost) no chain stops short" h.json \
	"j['processes'][0]['broken_callchains'] * 100 <= j['processes'][0]['callchains']"
exit 0
