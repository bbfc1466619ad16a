#!/bin/sh
# e2e-demo.sh - the example program of `make demo` runs under cprof with
# its output unchanged and the profile its source promises: exact calls
# of each function, recursion included (t/progs/demo.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog demo
need_python

run plain "$PROGS/demo" 5000
expect_status "demo without cprof" 0 plain.err
run demo "$CPROF" stat --format json -o demo.json -- "$PROGS/demo" 5000
expect_status "demo under cprof stat" 0 demo.err
cmp -s plain.out demo.out || fail "demo's output changed under cprof" demo.out
for fc in main:1 process_item:5000 format_record:5000 checksum:5000 \
	sort_batch:20 flush_batch:20 fib:9865; do
	jeq "calls of ${fc%:*}" demo.json "calls('${fc%:*}')" "${fc#*:}"
done
# Times of timed calls (--time-all): adaptive timing may count
# process_item, a wrapper of little cost of its own, and leave its total
# to the samples.
run all "$CPROF" stat --time-all --format json -o all.json -- "$PROGS/demo" 5000
expect_status "demo under cprof stat --time-all" 0 all.err
jcheck "fib: recursion counted once in its total" all.json \
	"total('fib') <= total('process_item')"
jcheck "process_item's total covers its callees" all.json \
	"total('process_item') >= total('format_record') + total('checksum') + total('fib')"
exit 0
