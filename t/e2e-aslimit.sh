#!/bin/sh
# e2e-aslimit.sh - under an address-space limit (ulimit -v) just above
# what the program needs without cprof, the program still loads and runs
# as without cprof with the runtime preloaded: the runtime maps its large
# buffers when it starts rather than carrying them in its .bss, and says
# in one line at most that it cannot record (t/progs/aslimit.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog aslimit

[ "$SANITIZE" = yes ] &&
	skip "the sanitizers reserve terabytes of address space at start"

# The smallest limit (in MiB steps) the program runs under without cprof.
lim=0
for mib in 2 3 4 5 6 7 8 10 12 16 24 32 48 64; do
	if "$PROGS/aslimit" $((mib * 1024)) >probe.out 2>probe.err &&
		[ "$(cat probe.out)" = child ]; then
		lim=$((mib * 1024))
		break
	fi
done
[ $lim -gt 0 ] || skip "the program does not run under 64 MiB here"

# One MiB more, for libcprof's own code and data.
run aslimit "$CPROF" stat --no-counters -o table.txt -- \
	"$PROGS/aslimit" $((lim + 1024))
expect_status "aslimit $((lim + 1024)) KiB under cprof" 0 aslimit.out aslimit.err
expect_eq "the program's output" child "$(cat aslimit.out)" aslimit.err
[ "$(grep -c '^cprof: ' aslimit.err)" -le 2 ] ||
	fail "at most one line from the runtime (and one from the tool)" aslimit.err
exit 0
