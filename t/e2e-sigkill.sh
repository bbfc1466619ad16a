#!/bin/sh
# e2e-sigkill.sh - a program killed by SIGKILL loses at most one flush
# interval: calls made 400 ms before the kill are all in the profile, the
# report says the process did not finish, and cprof exits with 137 like a
# shell (t/progs/crash.c, mode kill).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog crash
need_python

run kill "$CPROF" stat --format json -o kill.json -- "$PROGS/crash" kill
expect_status "crash kill under cprof stat" 137 kill.err
expect_eq "the program got to its kill" dying "$(cat kill.out)" kill.err
jeq "calls before the kill" kill.json "calls('before_fn')" 100
jeq "die was entered" kill.json "calls('die')" 1
jeq "the process did not finish" kill.json "j['processes'][0]['finished']" false
jeq "the run records the status" kill.json "j['status']" 137

# The same run kept and reported: a warning that the process was killed
# or did not finish, and the calls made before.
run rec "$CPROF" record -o run.cprof -- "$PROGS/crash" kill
expect_status "crash kill under cprof record" 137 rec.err
run rep "$CPROF" report run.cprof
expect_status "cprof report of a killed process" 0 rep.err
expect_grep "the report says the process did not finish" 'did not finish|killed|no end' rep.out
expect_grep "the report has the calls before the kill" '^before_fn +.* 100 ' rep.out
exit 0
