#!/bin/sh
# e2e-syscalls.sh - system calls per function (--syscalls), traced by the
# kernel's raw_syscalls tracepoints (t/progs/syscalls.c): writes() makes
# exactly N write(2) calls and futexes() M futex(2) calls, each counted
# in its self and in main's total, and in no other function; main's own
# openat and close are its own; the table shows the classes.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog syscalls
need_sw_counters

N=100
M=20
stat_counters sc --syscalls -e task-clock -- "$PROGS/syscalls" $N $M
grep -q "raw_syscalls tracepoints (every call" sc.err ||
	skip "the kernel refuses the raw_syscalls tracepoints here: $(grep 'system calls' sc.err)"

sys() { echo "rows('$1')[0]['syscalls']['$2'].get('$3', {}).get('count', 0)"; }
cjeq "writes: $N write calls, self" sc.json "$(sys writes self write)" $N
cjeq "futexes: $M futex calls, self" sc.json "$(sys futexes self futex)" $M
cjeq "writes: no futex call" sc.json "$(sys writes self futex)" 0
cjeq "futexes: no write call" sc.json "$(sys futexes self write)" 0
cjeq "main: the writes in its total" sc.json "$(sys main total write)" $N
cjeq "main: the futex calls in its total" sc.json "$(sys main total futex)" $M
cjeq "main: no write of its own" sc.json "$(sys main self write)" 0
cjcheck "main: its own openat and close" sc.json \
	"$(sys main self openat) >= 1 and $(sys main self close) >= 1"
cjcheck "writes: the calls took time, within its self time" sc.json \
	"0 < rows('writes')[0]['syscalls']['self']['write']['ns'] <= self('writes')"
[ ! -s sc.out ] || fail "the program's standard output changed" sc.out

# The table: the columns with --syscalls, from a recorded run too.
run rec "$CPROF" record -o run.cprof --syscalls -e task-clock -- "$PROGS/syscalls" $N $M
expect_status "cprof record --syscalls" 0 rec.err
run rep "$CPROF" report --syscalls run.cprof
expect_status "cprof report --syscalls" 0 rep.err
expect_grep "the table has the Sys and class columns" "Sys time.*write.*futex" rep.out
expect_grep "writes: $N calls in the Sys column" "^writes .* $N +[0-9.]+[mun]?s +$N " rep.out
run rep2 "$CPROF" report run.cprof
expect_no_grep "without --syscalls no such column" "Sys time" rep2.out

run ex "$CPROF" stat --syscalls --exact -- "$PROGS/syscalls" 1 1
expect_status "--syscalls --exact" 2 ex.err
exit 0
