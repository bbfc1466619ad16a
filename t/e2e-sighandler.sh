#!/bin/sh
# e2e-sighandler.sh - a signal handler that calls instrumented functions
# while the program is in the middle of calling instrumented functions:
# every call of both is counted, none lost or garbled. The handler counts
# its own calls and prints the count (t/progs/sighandler.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog sighandler
need_python

n=1000000
run sig "$CPROF" stat --format json -o sig.json -- "$PROGS/sighandler" $n
expect_status "sighandler under cprof stat" 0 sig.err
signals=$(sed -n 's/^signals: \([0-9]*\)$/\1/p' sig.out)
[ -n "$signals" ] || fail "the program printed no count" sig.out
[ "$signals" -gt 0 ] || skip "no timer signal arrived during the run"
jeq "every call of the interrupted code" sig.json "calls('work_fn')" $n
jeq "every call of the handler ($signals signals)" sig.json "calls('on_alarm')" $signals
jeq "every call from the handler" sig.json "calls('handler_fn')" $signals
jeq "main" sig.json "calls('main')" 1
jeq "nothing lost" sig.json "j['processes'][0]['lost']" 0
exit 0
