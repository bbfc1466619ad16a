#!/bin/sh
# e2e-unwritable.sh - when the log cannot be created (a missing directory,
# /proc, a file in the way) or stops being writable half way (a file size
# limit, as a full disk), the program runs on unchanged: same stdout, same
# stderr but for one "cprof:" warning line, same exit status, no crash.
# The runtime is run without the tool here, as the tool would run it.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_prog passthru threads fork
[ -f "$CPROF_LIBRARY" ] || skip "the runtime is not built ($CPROF_LIBRARY)"
preload=$(preload_value)

printf 'some input\nover two lines\n' >input.txt
status=0
"$PROGS/passthru" 3 x y <input.txt >plain.out 2>plain.err || status=$?
expect_status "passthru without the runtime" 3 plain.err

# Compare a run with the plain one: everything but one warning line.
# same NAME STATUS
same() {
	expect_status "$1: exit status" $2 $1.err
	grep -v '^cprof: ' $1.err >$1.prog-err || true
	grep '^cprof: ' $1.err >$1.warn || true
	[ -s $1.warn ] || fail "$1: no warning that profiling is off" $1.err
}

echo plain >afile
for dir in "$T/missing/dir" /proc "$T/afile"; do
	name=$(basename "$dir")
	status=0
	LD_PRELOAD=$preload CPROF_DIR=$dir "$PROGS/passthru" 3 x y \
		<input.txt >$name.out 2>$name.err || status=$?
	same $name 3
	cmp -s plain.out $name.out || fail "$dir: stdout changed" $name.out
	cmp -s plain.err $name.prog-err || fail "$dir: the program's stderr changed" $name.err
	expect_grep "$dir: the warning names the directory" "$dir" $name.warn
done
expect_eq "nothing was created in the way" plain "$(cat afile)"
[ ! -e missing ] || fail "the missing directory was created"

# A forked child of an unprofiled program stays quiet.
status=0
LD_PRELOAD=$preload CPROF_DIR=$T/missing/dir "$PROGS/fork" fork >fork.out 2>fork.err || status=$?
same fork 0

# A file size limit cuts the log short half way, like a full disk: the
# program still runs to its end, with a warning, and what was written
# before can be read.
mkdir run
status=0
(
	ulimit -f 64 || exit 99
	# Every call timed (no adaptive timing): a log that fills.
	LD_PRELOAD=$preload CPROF_DIR=$T/run CPROF_TIME_ALL=1 \
		exec "$PROGS/threads" stress 4 100000
) >full.out 2>full.err || status=$?
[ $status != 99 ] || skip "cannot set a file size limit"
same full 0
[ ! -s full.out ] || fail "stdout changed under a file size limit" full.out
[ ! -s full.prog-err ] || fail "stderr changed under a file size limit" full.err
if [ -x "$CPROF" ]; then
	run fullrep "$CPROF" report run
	expect_status "cprof report of a log cut by the size limit" 0 fullrep.err
	cat fullrep.out fullrep.err >fullrep.all
	expect_grep "the report warns of the cut" 'truncat|skipped|corrupt' fullrep.all
fi

# Last, as it is the least important: one warning line, not two.
for w in dir.warn proc.warn afile.warn fork.warn full.warn; do
	expect_lines "$w: one warning line" 1 $w
done
exit 0
