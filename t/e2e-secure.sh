#!/bin/sh
# e2e-secure.sh - a set-user-ID or set-group-ID program linked with
# libcprof, run by another user who sets CPROF_DIR, CPROF_EVENTS and
# CPROF_SAMPLE, runs in secure execution (AT_SECURE): the runtime stays
# off. No file appears in the directory named, no thread, descriptor or
# signal handler is added, no counter is opened, cprof_active() says 0, and
# nothing is printed: the program's output is the same as without the
# variables (t/progs/secure.c). The same program run by its owner (no
# secure execution) is profiled, which shows that the probes see the
# runtime when it is on.
# Needs root (to make a set-user-ID program) and setpriv (to run it as
# nobody); skipped otherwise.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
[ "$(id -u)" = 0 ] || skip "needs root to install a set-user-ID program"
command -v setpriv >/dev/null 2>&1 || skip "needs setpriv to run as another user"
as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"

chmod 755 "$T"
mkdir lib pub
chmod 1777 pub
cp "$(dirname "$CPROF_LIBRARY")/libcprof.so"* lib/ ||
	hard_error "cannot copy the runtime library"
san=
[ "$SANITIZE" = yes ] && san=-fsanitize=address,undefined
$CC $san -O1 -g -finstrument-functions -I"$TOP_SRCDIR/include" \
	-I"$SRCPROGS" "$SRCPROGS/secure.c" -o secure -L"$T/lib" -lcprof \
	-Wl,-rpath,"$T/lib" || hard_error "cannot build secure.c"
cp secure suid && chmod 4755 suid
cp secure sgid && chgrp 0 sgid && chmod 2755 sgid
$as_nobody ./suid >probe.out 2>&1
grep -q '^secure 1 ' probe.out ||
	skip "the set-user-ID program does not run in secure execution here (a nosuid mount?): $(head -1 probe.out)"

EV='task-clock,1,1,0,0,0;'
for p in suid sgid; do
	run $p-plain $as_nobody ./$p
	expect_status "$p without CPROF_*" 0 $p-plain.err
	run $p-vars $as_nobody env CPROF_DIR="$T/pub" CPROF_EVENTS="$EV" \
		CPROF_SAMPLE=freq:4000 CPROF_FLUSH_MS=10 ./$p
	expect_status "$p with CPROF_*" 0 $p-vars.err
	expect_grep "$p runs in secure execution" '^secure 1 active 0$' $p-vars.out
	cmp -s $p-plain.out $p-vars.out ||
		fail "$p: the runtime acted in secure execution" $p-plain.out $p-vars.out
	cmp -s $p-plain.err $p-vars.err ||
		fail "$p: something was printed in secure execution" $p-vars.err
	expect_eq "$p: no file in CPROF_DIR" "" "$(ls -A pub)"
done

# The control: the owner runs it (no secure execution), the runtime is on.
mkdir own
chmod 700 own
run own env CPROF_DIR="$T/own" ./secure
expect_status "secure run by its owner" 0 own.err
expect_grep "the runtime is on without secure execution" '^secure 0 active 1$' own.out
ls own/proc-*.log >/dev/null 2>&1 || fail "no log without secure execution" own.err
exit 0
