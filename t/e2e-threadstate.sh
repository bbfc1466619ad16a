#!/bin/sh
# e2e-threadstate.sh - what a program sets on its own threads, and the
# ways its threads leave that no destructor sees, stay as without cprof
# (t/progs/threadstate.c):
# - set*id with capabilities kept on the calling thread only (setpriv's
#   shape, as root): glibc's setxid broadcast reaches every thread and
#   aborts on differing results; the runtime's writer steps aside for it.
# - the last program thread leaving by the raw exit system call: the
#   process ends with the status the kernel gives (the leader's), with
#   the log's end written, instead of living on with the writer.
# - seccomp strict mode, and a thread that disables the time stamp counter
#   (PR_SET_TSC): no SIGSEGV, no SIGKILL the program would not get; what
#   was recorded before stays, with one line saying why the rest is not.
# - RLIMIT_FSIZE below the log's size: no SIGXFSZ in the program, one
#   "File too large" line per process at most, same status and output.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog threadstate
need_python

P=$PROGS/threadstate

# plain NAME ARGS...: the program without cprof, into plain-NAME.*
plain() {
	_pn=$1
	shift
	status=0
	"$P" "$@" </dev/null >plain-$_pn.out 2>plain-$_pn.err || status=$?
	plain_status=$status
	echo $status >plain-$_pn.st
}

# same NAME ARGS...: under cprof stat, same status and stdout as plain.
same() {
	_sn=$1
	shift
	plain "$_sn" "$@"
	# shellcheck disable=SC2086 # SAME_OPTS: options, split on purpose
	run "$_sn" "$CPROF" stat --no-counters ${SAME_OPTS:-} --format json \
		-o "$_sn.json" -- "$P" "$@"
	expect_status "$_sn under cprof (plain: $plain_status)" "$plain_status" \
		"$_sn.err" "$_sn.out"
	cmp -s "plain-$_sn.out" "$_sn.out" ||
		fail "$_sn: the output changed under cprof" "plain-$_sn.out" \
			"$_sn.out" "$_sn.err"
	expect_no_grep "$_sn: no signal the program did not raise" \
		"killed by signal|Segmentation|Aborted|File size limit" "$_sn.err"
}

# ThreadSanitizer runs a background thread of its own (started with the
# first thread; TSan is linked in here through libcprof): a process whose
# last program thread leaves by raw exit never ends under it, with or
# without cprof; and that thread lacks the capabilities the setid mode
# keeps on its own thread, so glibc's set*id broadcast fails there and
# aborts. Neither mode runs under TSan.
rawmodes="rawexit rawexit-last"
if [ "${TSAN:-no}" = yes ]; then
	echo "note: rawexit and setid not run: TSan's own thread outlives raw exits and fails set*id"
	rawmodes=
fi

# The last thread leaves by raw exit: the leader's status, finished log.
for mode in $rawmodes; do
	for code in 0 3; do
		c=$mode$code
		same $c $mode $code
		jeq "$c: every step" $c.json "calls('step')" 200
		jcheck "$c: the log has its end" $c.json \
			"all(p['finished'] for p in j['processes'])"
		expect_lines "$c: nothing on stderr" 0 $c.err
	done
done
[ -z "$rawmodes" ] ||
	expect_eq "rawexit: the status of the last thread" "0 0 0 3" \
		"$(cat plain-rawexit0.st plain-rawexit3.st plain-rawexit-last0.st plain-rawexit-last3.st | tr '\n' ' ' | sed 's/ $//')"

# Seccomp strict mode: instrumented code runs there, nothing is recorded.
# Under ThreadSanitizer the program dies there without cprof too (TSan's
# own system calls): not run.
if [ "${TSAN:-no}" = yes ]; then
	echo "note: strict not run: the program dies in strict mode under TSan alone"
else
	same strict strict
	if grep -q unsupported strict.out; then
		echo "note: seccomp strict mode is not available here"
	else
		jeq "strict: the steps before strict mode" strict.json \
			"calls('step')" 100
		jcheck "strict: the log has its end" strict.json \
			"all(p['finished'] for p in j['processes'])"
		expect_grep "strict: says why the rest is not recorded" \
			"seccomp strict mode" strict.err
		expect_lines "strict: one line" 1 strict.err
	fi
fi

# No time stamp counter on a thread, its thread and its fork child.
plain notsc notsc
if [ "$plain_status" != 0 ]; then
	# The sanitizers' own runtime reads the counter: it dies without cprof.
	echo "note: notsc fails without cprof here (status $plain_status), skipped"
elif same notsc notsc && grep -q unsupported notsc.out; then
	echo "note: PR_SET_TSC is not available here"
else
	jeq "notsc: the steps before the switch" notsc.json "calls('step')" 100
	expect_lines "notsc: one line" 1 notsc.err
fi

# A file size limit the log goes past, from the exit and _exit drains.
# Every call timed (--time-all): the log must outgrow the limit.
SAME_OPTS=--time-all
same fsize fsize
SAME_OPTS=
expect_grep "fsize: the log says why it stopped" "File too large" fsize.err
[ "$(grep -c '^cprof:.*File too large' fsize.err)" -le 2 ] ||
	fail "fsize: one line per process at most" fsize.err

# set*id with capabilities kept on the calling thread only.
if [ "$(id -u)" != 0 ]; then
	echo "note: not root, the setid case is skipped"
	exit 0
fi
[ -n "$rawmodes" ] || exit 0
same setid setid
expect_eq "setid: the ids it ends with" "setid uid 65534 65534 65534 gid 65534 65534 65534" \
	"$(cat setid.out)"
jeq "setid: every step" setid.json "calls('step')" 200
jcheck "setid: the log has its end" setid.json \
	"all(p['finished'] for p in j['processes'])"
exit 0
