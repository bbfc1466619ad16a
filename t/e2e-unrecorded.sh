#!/bin/sh
# e2e-unrecorded.sh - the report says what it knows it lacks: a fork
# child that could not record (after a chroot its run directory is out of
# its reach, t/progs/hidden.c) leaves no log, and its parent's log names
# it; the report gives it a line and JSON lists it in
# unrecorded_processes. A child that did record is not listed. A nested
# cprof, which records its program into a run of its own, is named in the
# outer run's warnings.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog hidden
need_python

mkdir jail
status=0
"$PROGS/hidden" "$T/jail" >plain.out 2>plain.err || status=$?
[ $status != 77 ] || skip "$(cat plain.out)"
expect_status "hidden without cprof" 0 plain.out plain.err

run rec "$CPROF" record --no-counters -o run -- "$PROGS/hidden" "$T/jail"
expect_status "hidden under cprof record" 0 rec.out rec.err
before=$(sed -n 's/^before //p' rec.out)
hidden=$(sed -n 's/^hidden //p' rec.out)
[ -n "$before" ] && [ -n "$hidden" ] || fail "no children's pids" rec.out
run json "$CPROF" report --format json run
expect_status "report --format json" 0 json.out json.err
jeq "the hidden child is listed, with its parent" json.out \
	"[(u['pid'], u['ppid'] in [p['pid'] for p in j['processes']]) for u in j['unrecorded_processes']]" \
	"[[$hidden, true]]"
jeq "the child that recorded has its process" json.out \
	"$before in [p['pid'] for p in j['processes']]" true
jeq "the steps of main and the recorded child" json.out "calls('step')" 200
run table "$CPROF" report run
expect_grep "a line for the hidden child" \
	"^  pid $hidden \\(fork child of pid [0-9]+\\): left no log" table.out

run nested "$CPROF" stat --no-counters --format json -o outer.json -- \
	"$CPROF" stat --no-counters --format json -o inner.json -- \
	"$PROGS/hidden" "$T/jail"
expect_status "nested cprof" 0 nested.out nested.err
jeq "the inner run has the steps" inner.json "calls('step')" 200
jeq "the outer run says where they went" outer.json \
	"len([w for w in j['warnings'] if 'recording into another run' in w['text']])" 1
exit 0
