#!/bin/sh
# e2e-exit-status.sh - `cprof stat` and `cprof record` pass the program's
# stdin, stdout, stderr, arguments and exit status through untouched:
# binary data byte for byte, options after the program's name belong to
# the program, and cprof exits with the program's status.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog passthru

# Input with NUL bytes, no final newline and more than a pipe buffer.
{
	head -c 200000 /dev/urandom
	printf 'line\0with nul\nno newline at the end'
} >input.bin
printf 'passthru: a line on stderr\n' >want.err

for st in 0 1 3 42 255; do
	cat input.bin >want.out
	printf 'arg: a\narg: b c\narg: --help\narg: -o\narg: x\n' >>want.out
	run_in st$st input.bin "$CPROF" stat -o st$st.table -- \
		"$PROGS/passthru" $st a 'b c' --help -o x
	expect_status "passthru $st under cprof stat" $st st$st.err
	cmp -s want.out st$st.out || fail "stdout of passthru $st differs from its input" st$st.err
	# cprof's own notes (the default events' fallback) are its lines,
	# prefixed "cprof: "; everything else must be the program's.
	grep -v '^cprof: ' st$st.err >st$st.prog.err
	cmp -s want.err st$st.prog.err ||
		fail "stderr of passthru $st: expected only the program's line (the table went to -o)" st$st.err
	expect_grep "table of passthru $st in the -o file" '^copy ' st$st.table
done

# Without "--", the first operand ends cprof's options: everything after
# it, options included, is the program's. The table then goes to stderr.
cat input.bin >want.out
printf 'arg: --format\narg: json\narg: -o\narg: file\n' >>want.out
run_in noddash input.bin "$CPROF" stat "$PROGS/passthru" 5 --format json -o file
expect_status "options after the program" 5 noddash.err
cmp -s want.out noddash.out || fail "stdout with options after the program differs" noddash.err
[ ! -e file ] || fail "cprof took the program's '-o file' for its own"
expect_grep "the program's stderr line is kept" '^passthru: a line on stderr$' noddash.err
# (clang's hooks also mark glibc's inline atoi, from another object: then
# the table has an Object column.)
expect_grep "the table follows on stderr" '^Function +(Object +)?Self' noddash.err

# Through a pipe: the program writes to it directly.
"$CPROF" stat -o pipe.table -- "$PROGS/passthru" 0 <input.bin 2>pipe.err | cat >pipe.out
cat input.bin >want.out
cmp -s want.out pipe.out || fail "stdout through a pipe differs" pipe.err

# `cprof record` follows the same rules, and its run can be reported.
cat input.bin >want.out
printf 'arg: z\n' >>want.out
run_in rec input.bin "$CPROF" record -o run.cprof -- "$PROGS/passthru" 7 z
expect_status "passthru 7 under cprof record" 7 rec.err
cmp -s want.out rec.out || fail "stdout under cprof record differs" rec.err
grep -v '^cprof: ' rec.err >rec.prog.err
cmp -s want.err rec.prog.err || fail "stderr under cprof record: expected only the program's line" rec.err
[ -d run.cprof ] || fail "cprof record -o run.cprof made no run directory"
run report "$CPROF" report run.cprof
expect_status "cprof report of the recorded run" 0 report.err
expect_grep "report names copy" '^copy ' report.out
expect_grep "report names show_arg" '^show_arg ' report.out

# The default run is cprof.data in the working directory, as perf.data.
run_in defrec input.bin "$CPROF" record -- "$PROGS/passthru" 0
expect_status "cprof record without -o" 0 defrec.err
[ -d cprof.data ] || fail "cprof record without -o made no cprof.data"
run defrep "$CPROF" report
expect_status "cprof report without a run" 0 defrep.err
expect_grep "report of cprof.data names copy" '^copy ' defrep.out
# A program killed by a signal: cprof dies by the same signal (a shell
# stops its loop on a child killed by SIGINT; Python sees -N), after its
# table and run.meta are written, and leaves no core of its own.
need_python
for sig in TERM INT SEGV PIPE; do
	python3 - "$CPROF" $sig >sig$sig.out 2>sig$sig.err <<'PYEOF' ||
import os, signal, subprocess, sys
cprof, name = sys.argv[1], sys.argv[2]
r = subprocess.run([cprof, "record", "-o", "sig" + name + ".cprof", "--",
                    "sh", "-c", "kill -%s $$" % name])
print(r.returncode)
PYEOF
		fail "cannot run cprof under python for SIG$sig" sig$sig.err
	want=$(python3 -c "import signal; print(-signal.SIG$sig)")
	[ "$(cat sig$sig.out)" = "$want" ] ||
		fail "program killed by SIG$sig: cprof's wait status $(cat sig$sig.out), expected $want" sig$sig.err
	[ -f sig$sig.cprof/run.meta ] || fail "no run.meta after SIG$sig" sig$sig.err
	[ ! -e core ] || fail "cprof left a core after SIG$sig"
done

# A signal the program sends to its parent reaches cprof's parent, the
# process it would have reached without cprof; cprof goes on and ends
# with the program.
cat >parent.sh <<'SHEOF'
trap 'echo parent-got-usr1' USR1
"$@" &
wait $!
echo "first wait $?"
wait $!
echo "cprof $?"
SHEOF
run parent sh parent.sh "$CPROF" stat -o parent.table -- \
	sh -c 'kill -USR1 $PPID; echo after'
expect_grep "the parent got the program's signal" '^parent-got-usr1$' parent.out
expect_grep "the program went on" '^after$' parent.out
expect_grep "cprof ended with the program's status" '^cprof 0$' parent.out
exit 0
