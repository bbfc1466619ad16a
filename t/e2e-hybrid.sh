#!/bin/sh
# e2e-hybrid.sh - the hybrid's accounting on a program with a known split
# of its work (t/progs/hybrid.c): big() computes alone, fill() has the C
# library set and copy buffers, caller() calls tiny() 20000 times a round.
# Built with hooks, its calls are exact, the C library's functions are
# rows of their own from the samples (in fill()'s total, not its self),
# and the shares of self time of the three parts are those of a sampling
# profile of the same program built without hooks, within sampling error:
# 4 binomial standard errors of the two runs' sample counts, plus two
# points for what the hooked build itself moves (its floor). No timing
# threshold: every bound comes from the sample counts.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_sw_counters

src=$SRCPROGS/hybrid.c
$CC -O2 -g -o plain "$src" 2>plain.build.err ||
	skip "cannot build t/progs/hybrid.c with $CC"
$CC -O2 -g -finstrument-functions -o hooks "$src" 2>hooks.build.err ||
	skip "cannot build t/progs/hybrid.c with -finstrument-functions"

for b in plain hooks; do
	run rec-$b "$CPROF" record -e task-clock -F 4000 -o $b.cprof -- ./$b
	expect_status "cprof record of $b" 0 rec-$b.err
	run rep-$b "$CPROF" report --format json -o $b.json $b.cprof
	expect_status "cprof report of $b" 0 rep-$b.err
	run tab-$b "$CPROF" report --counters $b.cprof
	expect_status "cprof report --counters of $b" 0 tab-$b.err
done

# Exact calls, whatever is timed and whatever only counted.
for fc in main:1 big:60 fill:60 caller:60 tiny:1200000; do
	cjeq "calls of ${fc%:*}" hooks.json "calls('${fc%:*}')" "${fc#*:}"
done

# The C library's functions (or a sanitizer's, which takes memset and
# memcpy over) are rows of their own, from samples: no calls, self time,
# in fill()'s total and not in its self.
libs="[r for r in j['functions'] if r['object'] not in (None, 'hooks') and not r['runtime'] and r['self_ns'] > 0]"
# (Not under a sanitizer linked into the program, clang's ASan: its own
# memset and memcpy stand for the C library's, and stay with the frame.)
if [ "${SANITIZE:-no}" != yes ]; then
	cjcheck "library rows with self time" hooks.json "len($libs) > 0"
fi
cjcheck "library rows: no calls, self time sampled" hooks.json \
	"all(r['calls'] == 0 and r['self_source'] == 'sampled' for r in $libs)"
# (Counted in CPU time, which samples measure exactly; their wall times
# are estimates of the thread's waits around them.)
cjcheck "fill: the library's time in its total, not its self" hooks.json \
	"counter('fill', 'task-clock', 'total') - counter('fill', 'task-clock') >= 0.9 * sum(r['counters']['task-clock']['self'] for r in $libs)"
expect_grep "the table's Src column" '^Function .* Src ' tab-hooks.out
expect_grep "the compensation under the table" '^Hook cost compensated: ' tab-hooks.out

# The shares of the three parts. In the plain build they are its samples
# (no markers); in the hooked build its self times. Kernel samples of the
# plain build have no frame to go to: they are left out of its parts.
parts='{"big": ["big"], "fill": ["fill"], "tiny": ["caller", "tiny"]}'
cat >shares.py <<'PY'
import json, math, sys

parts = json.loads(sys.argv[1])
plain = json.load(open("plain.json"))
hooks = json.load(open("hooks.json"))

def of(j, key, lib_in_fill):
    got = dict.fromkeys(parts, 0.0)
    for r in j["functions"]:
        if r["runtime"]:
            continue
        for p, names in parts.items():
            if r["name"] in names:
                got[p] += r[key]
        if lib_in_fill and r["object"] not in (None, "plain", "hooks") \
                and r["name"] != "[kernel]":
            got["fill"] += r[key]
    tot = sum(got.values())
    return {p: v / tot for p, v in got.items()}, tot

sp, _ = of(plain, "samples", True)
sh, _ = of(hooks, "self_ns", True)
np_ = sum(r["samples"] for r in plain["functions"])
nh = hooks["distortion_check"]["samples_in_markers"]
bad = []
for p in parts:
    q = sp[p]
    bound = 4 * math.sqrt(max(q * (1 - q), 0.01) * (1 / np_ + 1 / max(nh, 1))) + 0.02
    print("%s: plain %.3f hooked %.3f bound %.3f" % (p, q, sh[p], bound))
    if abs(sh[p] - q) > bound:
        bad.append(p)
print("bad" if bad or np_ < 100 or nh < 100 else "ok", bad, np_, nh)
PY
# Under a sanitizer its checks are much of the work, and they go to
# different places: rows of its runtime in the plain build, the checked
# function's frame in the hooked one (samples.c): no shares to compare.
if [ "${TSAN:-no}" = yes ] || [ "${SANITIZE:-no}" = yes ]; then
	echo "note: sanitizer build: the shares are not compared"
	exit 0
fi
"$PYTHON" shares.py "$parts" >shares.out 2>&1 ||
	fail "cannot compare the shares" shares.out
cat shares.out
grep -q '^ok' shares.out ||
	fail "the hooked build's self-time shares are not the plain build's within sampling error" shares.out
exit 0
