#!/bin/sh
# e2e-seccomp.sh - programs that install seccomp filters of their own
# once running (t/progs/seccomp.c), and raw unshare/setns system calls.
#
# A filter under which the runtime's own system calls would kill the
# process, send it a SIGSYS or be failed where the runtime cannot do
# without them ends recording just before it is installed: the program
# runs exactly as without cprof (same status, same output, a SIGSYS
# handler counting the same), one line names the call, and the report
# shows what was recorded before and a "sandbox" end. A filter the
# runtime can live under (one that kills or traps only calls the runtime
# never makes, one that answers its calls with an errno it copes with, one
# the kernel refuses, for its program or for want of privilege) changes
# nothing: the profile is complete; one that fails only the fatal-signal
# handler's calls has the handlers given back, and a SIGTERM kills the
# program as without cprof. Shapes: a
# TSYNC allow-list applied from a multi-threaded program (by seccomp(2)
# and by libseccomp), a deny-list without TSYNC and a thread made after
# it, OpenSSH's privilege-separated child, a TRAP filter with a handler,
# an ERRNO filter, a malformed filter. Raw syscall(SYS_unshare) and
# syscall(SYS_setns) into a user namespace behave as the C library's.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog seccomp
need_python

status=0
"$PROGS/seccomp" bad 10 >probe.out 2>probe.err || status=$?
[ $status != 77 ] || skip "seccomp filters cannot be installed here: $(cat probe.err)"
expect_status "seccomp bad without cprof" 0 probe.err

have_counters=no counters=--no-counters
if [ "$(perf_try 1 1)" = ok ]; then
	have_counters=yes counters="-e task-clock"
fi

# check NAME WARNING -- OPTIONS... -- ARGS...: run the program plain and
# under `cprof record`; the status and stdout must be the same, stderr
# must hold one line matching WARNING ("" for none). Returns 1 (after a
# note) when the plain run itself fails where a sanitizer's own threads
# or calls meet the filter: nothing to compare then.
check() {
	_c=$1 _warn=$2
	shift 3
	_opts=
	while [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	shift
	status=0
	"$PROGS/seccomp" "$@" >plain-$_c.out 2>plain-$_c.err || status=$?
	_want=0
	[ $_c != errno-sig ] || _want=143 # it dies of its own SIGTERM
	if [ $status = 77 ]; then
		echo "note: $_c: cannot run here: $(cat plain-$_c.err)"
		return 1
	fi
	if [ $status != $_want ] && [ "$SANITIZE" = yes -o "${TSAN:-no}" = yes ]; then
		echo "note: $_c: fails without cprof under the sanitizer (its own calls meet the filter)"
		return 1
	fi
	expect_status "$_c without cprof" $_want plain-$_c.err
	_want=$status
	run $_c "$CPROF" record $_opts -o $_c.rec -- "$PROGS/seccomp" "$@"
	expect_status "$_c under cprof: the same status" $_want $_c.err
	cmp -s plain-$_c.out $_c.out ||
		fail "$_c: the program's stdout changed" plain-$_c.out $_c.out
	if [ -n "$_warn" ]; then
		expect_lines "$_c: one line on stderr" 1 $_c.err
		expect_grep "$_c: the line names the call" "$_warn" $_c.err
	else
		expect_lines "$_c: nothing on stderr" 0 $_c.err
	fi
	run $_c-rep "$CPROF" report --format json $_c.rec
	expect_status "$_c: report" 0 $_c-rep.err
	mv $_c-rep.out $_c.json
	run $_c-txt "$CPROF" report $_c.rec
	expect_status "$_c: text report" 0 $_c-txt.err
	return 0
}

# ended NAME BEFORE: recording ended at the filter, after BEFORE calls.
ended() {
	jeq "$1: calls before the filter" $1.json "calls('before')" $2
	jeq "$1: nothing after it" $1.json "calls('work')" 0
	jcheck "$1: a sandbox end" $1.json \
		"any(p.get('end_reason') == 'sandbox' for p in j['processes'])"
	expect_grep "$1: the report says why it stops" \
		"recording ended when it installed a seccomp filter" $1-txt.out
}

# complete NAME WORK: the filter changed nothing.
complete() {
	jeq "$1: calls before the filter" $1.json "calls('before')" 100
	jeq "$1: every call after it" $1.json "calls('work')" $2
	jcheck "$1: ended by exit" $1.json \
		"all(p.get('end_reason') == 'exit' for p in j['processes'])"
}

kill_warn="seccomp filter would kill the process at the runtime's system call"

# A TSYNC allow-list killing everything else, applied by a program with
# two threads of its own (and the writer) to all of them.
if check tsync "$kill_warn 'getpid'" -- --no-counters -- tsync 3000; then
	expect_eq "tsync: the output" "computed 0 0 0" "$(tail -n 1 tsync.out)"
	ended tsync 120
fi
if check libseccomp "$kill_warn 'getpid'" -- --no-counters -- libseccomp 3000; then
	ended libseccomp 120
fi

# Without TSYNC, by prctl: the calling thread and the threads it makes.
# A filter killing only what neither the program nor the runtime calls
# changes nothing; one killing a call of the runtime ends recording.
if check deny-uname "" -- --no-counters -- deny uname 1000; then
	complete deny-uname 1000
fi
if check deny-prctl "$kill_warn 'prctl'" -- --no-counters -- deny prctl 1000; then
	ended deny-prctl 100
fi
if check deny-getpid "$kill_warn 'getpid'" -- --no-counters -- deny getpid 1000; then
	ended deny-getpid 100
fi
# perf_event_open is the runtime's only with counters.
if check deny-perf "" -- --no-counters -- deny perf_event_open 1000; then
	complete deny-perf 1000
fi
if [ $have_counters = yes ] &&
	check deny-perf-counters "$kill_warn 'perf_event_open'" -- $counters -- \
		deny perf_event_open 1000; then
	ended deny-perf-counters 100
fi

# OpenSSH's privilege separation: the fork child's log ends at its
# filter, the parent's goes on; 100000 calls would fill the child's ring.
# Not under TSan: it may stop a fork child that makes a thread (the
# child's writer) while its parent had one ("dup thread with used id").
if [ "${TSAN:-no}" = yes ]; then
	echo "note: privsep not run: TSan dies in a fork child that makes a thread"
elif check privsep "$kill_warn 'getpid'" -- --no-counters -- privsep 100000; then
	expect_eq "privsep: the child's outcome" \
		"sandboxed child exit 0, result 0" "$(cat privsep.out)"
	ended privsep 110
	jcheck "privsep: the parent ended by exit" privsep.json \
		"sum(p.get('end_reason') == 'exit' for p in j['processes']) == 1"
fi

# TRAP: the program's SIGSYS handler counts what it counts without cprof.
if check trap-uname "" -- --no-counters -- trap uname 500; then
	expect_eq "trap-uname: the count" "uname trapped 500 times, computed 0" \
		"$(cat trap-uname.out)"
	complete trap-uname 500
fi
if check trap-yield "seccomp filter would send SIGSYS at the runtime's system call 'sched_yield'" \
	-- --no-counters -- trap sched_yield 500; then
	expect_eq "trap-yield: the count" \
		"sched_yield trapped 500 times, computed 0" "$(cat trap-yield.out)"
	ended trap-yield 100
fi

# ERRNO for futex and poll: the writer falls back to a timed sleep, recording
# goes on; so it does after a filter the kernel refuses.
if check errno "" -- --no-counters -- errno 100000; then
	complete errno 100000
fi
# Signal actions refused: the runtime's fatal-signal handlers could not
# give the action back nor die by it; they are given back before the
# filter, recording goes on, and the program dies of SIGTERM as without
# cprof (its log then has no end record, as after a kill).
if check errno-sig "" -- --no-counters -- errno-sig 1000; then
	jeq "errno-sig: calls before the filter" errno-sig.json \
		"calls('before')" 100
fi
if check bad "" -- --no-counters -- bad 1000; then
	expect_eq "bad: the kernel's answer" "bad filter: Invalid argument" \
		"$(head -n 1 bad.out)"
	complete bad 1000
fi

# A sandbox tried without no_new_privs nor CAP_SYS_ADMIN: the kernel
# refuses it (EACCES), and the profile goes on.
if [ "$(id -u)" != 0 ] && check nonnp "" -- --no-counters -- nonnp 1000; then
	expect_eq "nonnp: the kernel's answer" \
		"sandbox without no_new_privs: Permission denied" \
		"$(head -n 1 nonnp.out)"
	complete nonnp 1000
fi

# Raw unshare/setns into a user namespace: as the C library's functions
# (ok where the kernel allows it; EINVAL with a thread of the program's).
status=0
"$PROGS/seccomp" rawuns >probe-uns.out 2>&1 || status=$?
if [ "$(cat probe-uns.out)" != "raw unshare ok" ]; then
	echo "note: raw unshare part skipped: user namespaces are refused here: $(cat probe-uns.out)"
	exit 0
fi
modes="rawuns rawuns-thread rawsetns"
# ThreadSanitizer's own background thread makes every unshare fail.
[ "${TSAN:-no}" != yes ] || modes=rawuns-thread
for m in $modes; do
	for opts in --no-counters "$counters"; do
		c=$m$(echo "$opts" | tr -d ' -')
		check $c "" -- $opts -- $m || continue
		jeq "$c: every call in the profile" $c.json "calls('before')" 100
		jcheck "$c: every process finished its log" $c.json \
			"all(p['finished'] for p in j['processes'])"
	done
done
expect_eq "rawuns-thread: EINVAL, as without cprof" \
	"raw unshare with a thread EINVAL" "$(cat rawuns-threadnocounters.out)"
exit 0
