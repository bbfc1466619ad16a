#!/bin/sh
# e2e-warnpeer.sh - the runtime's warnings never go into the program's
# descriptors (doc/design.md). Children whose stdout and stderr are their
# peer (inetd-style, t/progs/errpeer.c) provoke a runtime warning each
# (PR_SET_TSC): under `cprof stat` and `cprof record` every peer gets
# exactly its child's bytes; the warning goes into the run directory's
# warnings file, cprof gives it once on its own stderr (with how many
# processes said it), and the report has it once, in its table and in
# its JSON. Without the CLI (CPROF_DIR set by hand) the runtime writes to
# fd 2 as before, only while fd 2 is open.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog errpeer
need_python

status=0
"$PROGS/errpeer" 3 >plain.out 2>plain.err || status=$?
[ $status != 77 ] || skip "$(cat plain.out)"
expect_status "errpeer without cprof" 0 plain.out plain.err

tsc='a thread disabled the time stamp counter'
run stat "$CPROF" stat --no-counters --format json -o stat.json -- \
	"$PROGS/errpeer" 3
expect_status "errpeer under cprof stat" 0 stat.out stat.err
cmp -s plain.out stat.out || fail "stat: a peer got other bytes" \
	plain.out stat.out stat.err
grep "$tsc" stat.err >said.txt || true
expect_lines "stat: the warning once on cprof's stderr" 1 said.txt
expect_grep "stat: with its count" '\(3 times\)$' said.txt
jeq "stat: the warning once in the JSON" stat.json \
	"[w['count'] for w in j['warnings'] if w['text'].startswith('$tsc')]" \
	'[3]'

run record "$CPROF" record --no-counters -o rec -- "$PROGS/errpeer" 3
expect_status "errpeer under cprof record" 0 record.out record.err
cmp -s plain.out record.out || fail "record: a peer got other bytes" \
	plain.out record.out record.err
grep "$tsc" record.err >said.txt || true
expect_lines "record: the warning once on cprof's stderr" 1 said.txt
expect_lines "record: one line a process in the run's file" 3 rec/warnings
run report "$CPROF" report rec
expect_status "report" 0 report.out report.err
grep "runtime warning: $tsc" report.out >said.txt || true
expect_lines "report: the warning once in the table" 1 said.txt
run rjson "$CPROF" report --format json rec
jeq "report: the warning once in the JSON" rjson.out \
	"len([w for w in j['warnings'] if w['text'].startswith('$tsc')])" 1
# A second record of the same directory keeps the first run as rec.old.
run again "$CPROF" record --no-counters -o rec -- "$PROGS/errpeer" 1
expect_status "record over a run with warnings" 0 again.out again.err
[ -f rec.old/warnings ] || fail "the old run lost its warnings" again.err

# Without the CLI there is no one else to tell: fd 2 (here the peer).
mkdir byhand
status=0
LD_PRELOAD=$(preload_value) CPROF_DIR=$T/byhand "$PROGS/errpeer" 1 \
	>hand.out 2>hand.err || status=$?
expect_status "errpeer by hand: the peer got the warning" 1 hand.out hand.err
expect_grep "by hand: on fd 2" "^cprof: $tsc" hand.out
[ ! -e byhand/warnings ] || fail "a warnings file without the CLI" byhand/warnings
exit 0
