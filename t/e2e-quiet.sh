#!/bin/sh
# e2e-quiet.sh - a run that cannot record (a run directory others may
# write to, one the program's new identity cannot write) says so once,
# not once per process: the programs a process execs after saying it get
# CPROF_QUIET=1 and stay silent, and so do its fork children; their own
# output and statuses are unchanged.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_prog passthru
[ -f "$CPROF_LIBRARY" ] || skip "the runtime is not built ($CPROF_LIBRARY)"
preload=$(preload_value)

mkdir open && chmod 777 open
printf 'in\n' >input.txt
status=0
LD_PRELOAD=$preload CPROF_DIR=$PWD/open sh -c '
	"$1" 0 a <"$2"; "$1" 0 b <"$2"; ("$1" 0 c <"$2"); env | grep -c "^CPROF_QUIET=1$"
' sh "$PROGS/passthru" input.txt >refused.out 2>refused.err || status=$?
expect_status "a refused run directory" 0 refused.err
expect_eq "one line for the whole run" 1 \
	"$(grep -c '^cprof: ' refused.err)" refused.err
expect_grep "it says why" "others? (users )?may write" refused.err
expect_eq "the programs it execs are told" 1 "$(tail -n 1 refused.out)" \
	refused.out

# As root, a program that drops its identity before it execs others.
# Under ThreadSanitizer its background thread (started with the writer)
# lacks the capabilities setpriv keeps on its own thread: glibc's set*id
# broadcast fails there and aborts, and only the runtime's own writer can
# be stopped for the call (wrap.c). Not run under TSan.
if [ "${TSAN:-no}" = yes ]; then
	echo "note: setpriv not run: TSan's own thread fails its set*id broadcast"
elif [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && [ -x "$CPROF" ]; then
	run drop "$CPROF" stat --no-counters -o table.txt -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c '/bin/true; /bin/true; (/bin/true); id -u'
	expect_status "setpriv then sh under cprof" 0 drop.err
	expect_eq "setpriv: the program's output" 65534 "$(cat drop.out)" drop.err
	expect_eq "setpriv: one line for every process after the drop" 1 \
		"$(grep -c 'cannot create a log' drop.err)" drop.err
fi
exit 0
