#!/bin/sh
# e2e-rundir.sh - hostile run directories and output files. cprof and its
# runtime write only into a directory that is the user's alone, create
# every file in it as a new file (never through a link, never over a
# file), and follow a link given as an -o output file only when it is the
# user's or root's.
#  - cprof record -o DIR refuses, with one line and exit status 2 and
#    without running the program, a DIR that is a symbolic link (to a
#    directory or to a file), is writable by group or others, belongs to
#    another user (as root), or whose DIR.old is a link; the target of the
#    link is left as it was; a sticky directory of the user's is accepted;
#  - a directory record creates is not writable by others whatever the
#    umask, and the runtime records into it;
#  - a run.meta link planted in the run while the program runs is
#    replaced, and the file it points to is untouched;
#  - the runtime alone (CPROF_DIR) with a link, a writable directory or
#    another user's directory: one warning, the program's output and
#    status unchanged, no log anywhere;
#  - stat -o FILE and report -o FILE: a link of another user's is refused
#    (exit 2) and its target untouched; the user's own link, /dev/null and
#    a new file work.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog passthru calls
preload=$(preload_value)
root=no
[ "$(id -u)" = 0 ] && root=yes

echo "precious" >victim
printf 'some input\n' >input.txt
status=0
"$PROGS/passthru" 3 x y <input.txt >plain.out 2>plain.err || status=$?
expect_status "passthru without cprof" 3 plain.err

# refused NAME DIR: cprof record -o DIR refuses it, exit 2, one line,
# the program not run.
refused() {
	run $1 "$CPROF" record --no-counters -o "$2" -- "$PROGS/passthru" 0 hello
	expect_status "record -o $2 ($1) is refused" 2 $1.err
	expect_lines "$1: one line says why" 1 $1.err
	expect_grep "$1: the line names the directory" "$2" $1.err
	[ ! -s $1.out ] || fail "$1: the program ran" $1.out
}

mkdir mine
ln -s mine link-dir
refused link-dir link-dir
ln -s victim link-file
refused link-file link-file
expect_eq "the link's target is untouched" precious "$(cat victim)"
mkdir -m 777 world
refused world world
mkdir -m 775 group
refused group group
[ -z "$(find world group mine -mindepth 1)" ] || fail "something was written into a refused directory"

# RUN.old a link to another run: the run it points to is not removed.
run r1 "$CPROF" record --no-counters -o other -- "$PROGS/calls" 3
expect_status "a first run" 0 r1.err
run r2 "$CPROF" record --no-counters -o run -- "$PROGS/calls" 3
expect_status "a run to keep as run.old" 0 r2.err
ln -s other run.old
refused old-link run
ls other/proc-*.log >/dev/null 2>&1 || fail "the run behind run.old was removed"
rm run.old

# A sticky directory of the user's, writable by all, is accepted.
mkdir -m 1777 sticky
run sticky "$CPROF" record --no-counters -o sticky -- "$PROGS/calls" 3
expect_status "record into a sticky directory of the user's" 0 sticky.err
ls sticky/proc-*.log >/dev/null 2>&1 || fail "no log in the sticky directory" sticky.err

# The directory record makes is not writable by others even with umask
# 002, so that its own runtime accepts it.
status=0
(umask 002 && exec "$CPROF" record --no-counters -o made -- "$PROGS/calls" 3) \
	>made.out 2>made.err || status=$?
expect_status "record with umask 002" 0 made.err
expect_eq "the run directory's mode" 755 "$(stat -c %a made)"
ls made/proc-*.log >/dev/null 2>&1 || fail "no log in the directory record made" made.err

# run.meta planted as a link while the program runs: replaced, the file
# it points to untouched.
run plant "$CPROF" record --no-counters -o planted -- \
	sh -c 'ln -s "$1" "$CPROF_DIR/run.meta" && exec "$2" 3' sh "$T/victim" "$PROGS/calls"
expect_status "record of a program that plants run.meta" 0 plant.err
expect_eq "the planted link's target is untouched" precious "$(cat victim)"
[ -f planted/run.meta ] && [ ! -L planted/run.meta ] ||
	fail "run.meta is not a file of its own" plant.err
run plantrep "$CPROF" report planted
expect_status "report of that run" 0 plantrep.err
expect_grep "run.meta holds the run's command" 'exit status 0' plantrep.out
ls -A planted | grep -q '^\.run\.meta' && fail "a temporary run.meta was left" plant.err

# The runtime alone: one warning, the program unchanged, no log.
# direct NAME DIR
direct() {
	status=0
	LD_PRELOAD=$preload CPROF_DIR=$2 "$PROGS/passthru" 3 x y \
		<input.txt >$1.out 2>$1.err || status=$?
	expect_status "$1: the program's status under CPROF_DIR=$2" 3 $1.err
	cmp -s plain.out $1.out || fail "$1: stdout changed" $1.out
	grep -v '^cprof: ' $1.err >$1.prog-err || true
	cmp -s plain.err $1.prog-err || fail "$1: the program's stderr changed" $1.err
	grep '^cprof: ' $1.err >$1.warn || true
	expect_lines "$1: one warning" 1 $1.warn
	expect_grep "$1: the warning names the directory" "$2" $1.warn
	expect_grep "$1: the warning says why" "$3" $1.warn
}
direct env-link-dir "$T/link-dir" 'symbolic link'
direct env-link-file "$T/link-file" 'symbolic link'
direct env-world "$T/world" 'other users may write'
direct env-group "$T/group" 'other users may write'
expect_eq "CPROF_DIR link to a file: target untouched" precious "$(cat victim)"
[ -z "$(find world group mine -mindepth 1)" ] || fail "the runtime wrote into a refused directory"

if [ $root = yes ]; then
	mkdir theirs
	chown 65534:65534 theirs
	refused theirs theirs
	direct env-theirs "$T/theirs" 'another user'
	[ -z "$(ls -A theirs)" ] || fail "something was written into another user's directory"
	chown 65534:65534 run
	refused theirs-run run
	ls run/proc-*.log >/dev/null 2>&1 || fail "another user's run was moved"
else
	echo "not root: another user's directory is not tried"
fi

# -o FILE: a link planted by another user (as root), the user's own link,
# /dev/null and a new file.
run rep-new "$CPROF" report -o rep.txt run
expect_status "report -o a new file" 0 rep-new.err
[ -s rep.txt ] || fail "report -o wrote nothing" rep-new.err
ln -s rep.txt mylink
run rep-mylink "$CPROF" report -o mylink run
expect_status "report -o the user's own link" 0 rep-mylink.err
run rep-null "$CPROF" report -o /dev/null run
expect_status "report -o /dev/null" 0 rep-null.err
run stat-null "$CPROF" stat --no-counters -o /dev/null -- "$PROGS/calls" 3
expect_status "stat -o /dev/null" 0 stat-null.err
if [ $root = yes ]; then
	ln -s victim theirlink
	chown -h 65534:65534 theirlink
	run rep-their "$CPROF" report -o theirlink run
	expect_status "report -o another user's link" 2 rep-their.err
	expect_lines "report -o another user's link: one line" 1 rep-their.err
	run stat-their "$CPROF" stat --no-counters -o theirlink -- "$PROGS/passthru" 0 hello
	expect_status "stat -o another user's link" 2 stat-their.err
	[ ! -s stat-their.out ] || fail "stat ran the program with a bad -o" stat-their.out
	expect_eq "the target of another user's link is untouched" precious "$(cat victim)"
fi
exit 0
