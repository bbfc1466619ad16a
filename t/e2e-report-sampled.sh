#!/bin/sh
# e2e-report-sampled.sh - the report of a program without hooks: its
# samples are the table without --counters, the header says what the
# table counts, every --sort key (and -s) orders by the samples, the row
# holding every sample (Total = 100%) first by total; with -g, callchains
# of code built without frame pointers are reported broken, with the fix,
# and those of code built with them are not (t/progs/sampled.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_sw_counters

src=$SRCPROGS/sampled.c
$CC -O2 -g -fno-omit-frame-pointer -o fp "$src" ||
	skip "cannot build t/progs/sampled.c with $CC"
$CC -O2 -g -fomit-frame-pointer -DDATA_IN_FP -o nofp "$src" ||
	skip "cannot build t/progs/sampled.c with $CC"
case $(uname -m) in
x86_64 | i?86 | aarch64) ;;
*) skip "the call-instruction check knows x86 and AArch64 only" ;;
esac

for b in fp nofp; do
	run rec-$b "$CPROF" record -g -e task-clock -F 4000 -o $b.cprof -- ./$b
	expect_status "cprof record -g of $b" 0 rec-$b.err
done

# The table without --counters: the samples, and a header that says so.
run tab "$CPROF" report fp.cprof
expect_status "cprof report" 0 tab.err
expect_grep "the header says there are no marker events" \
	'no marker events' tab.out
expect_grep "the header says what the table counts" \
	'the table counts [0-9]+ samples of task-clock' tab.out
expect_no_grep "no '0 events' in the header" ' 0 events' tab.out
expect_grep "leaf is a row of the table" '^leaf ' tab.out
expect_grep "outer is a row of the table" '^outer ' tab.out
expect_no_grep "the table is not empty" 'no functions recorded' tab.out

# Every key orders by the counter: total by its total, the others by its
# self count (functions have no calls); name alphabetically.
for key in self total calls selfcall name; do
	run s-$key "$CPROF" report --sort $key --format json -o $key.json fp.cprof
	expect_status "cprof report --sort $key" 0 s-$key.err
done
run s-short "$CPROF" report -s total --format json -o short.json fp.cprof
expect_status "cprof report -s total" 0 s-short.err
cmp -s total.json short.json || fail "-s total and --sort total differ" short.json
jcheck "--sort total: the first row holds every sample of main" total.json \
	"j['functions'][0]['name'] in ('main', '__libc_start_call_main') and j['functions'][0]['counters']['task-clock']['total'] >= max(r['counters']['task-clock']['total'] for r in j['functions'])"
jcheck "--sort total: rows by total count" total.json \
	"all(a['counters']['task-clock']['total'] >= b['counters']['task-clock']['total'] for a, b in zip(j['functions'], j['functions'][1:]))"
for key in self calls selfcall; do
	jcheck "--sort $key: rows by self count" $key.json \
		"all(a['counters']['task-clock']['self'] >= b['counters']['task-clock']['self'] for a, b in zip(j['functions'], j['functions'][1:]))"
done
jcheck "--sort self: leaf first" self.json "names()[0] == 'leaf'"
jcheck "--sort name: rows by name" name.json "names() == sorted(names())"

# Callchains: the frame-pointer build's are sound, the other's broken.
for b in fp nofp; do
	run r-$b "$CPROF" report --format json -o $b.json $b.cprof
	expect_status "cprof report of $b" 0 r-$b.err
	run t-$b "$CPROF" report $b.cprof
	expect_status "cprof report of $b" 0 t-$b.err
done
# A sample in the runtime itself (its row, '[cprof runtime]') is placed
# before any chain is looked at.
jcheck "fp: every sample of the program went through its callchain" fp.json \
	"j['processes'][0]['callchains'] + sum(r.get('samples', 0) for r in j['functions'] if r['runtime']) == j['processes'][0]['samples'] > 0"
jcheck "fp: (almost) no broken callchain" fp.json \
	"j['processes'][0]['broken_callchains'] * 100 < j['processes'][0]['callchains']"
expect_no_grep "fp: no warning about callchains" 'callchains are broken' t-fp.out
jcheck "nofp: most callchains are broken" nofp.json \
	"j['processes'][0]['broken_callchains'] * 2 > j['processes'][0]['callchains'] > 0"
expect_grep "nofp: the header says the callchains are broken" \
	'[0-9]+ of [0-9]+ callchains are broken' t-nofp.out
expect_grep "nofp: the header gives the fix" \
	'rebuild with -fno-omit-frame-pointer' t-nofp.out
exit 0
