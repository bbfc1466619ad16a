#!/bin/sh
# e2e-syscalls.sh - system calls per function (--syscalls)
# (t/progs/syscalls.c): writes() makes exactly N write(2) calls and
# futexes() M futex(2) calls through syscall(2), each counted in its self
# and in main's total, and in no other function; main's own open and
# close are its own. In every mode: the kernel's raw_syscalls tracepoints
# (root here; skipped where refused), the fallback that interposes libc's
# functions forced as root (CPROF_SYSCALLS_FALLBACK=1), and the fallback
# an unprivileged user gets (setpriv to nobody, where the build tree is
# readable to it). The table shows the classes.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog syscalls
need_sw_counters

N=100
M=20
sys() { echo "rows('$1')[0]['syscalls']['$2'].get('$3', {}).get('count', 0)"; }

# counts WHAT JSON: the exact counts of the program's calls.
counts() {
	cjeq "$1: writes: $N write calls, self" "$2" "$(sys writes self write)" $N
	cjeq "$1: futexes: $M futex calls, self" "$2" "$(sys futexes self futex)" $M
	cjeq "$1: writes: no futex call" "$2" "$(sys writes self futex)" 0
	cjeq "$1: futexes: no write call" "$2" "$(sys futexes self write)" 0
	cjeq "$1: main: the writes in its total" "$2" "$(sys main total write)" $N
	cjeq "$1: main: the futex calls in its total" "$2" "$(sys main total futex)" $M
	cjeq "$1: main: no write of its own" "$2" "$(sys main self write)" 0
	cjcheck "$1: main: its own open and close" "$2" \
		"$(sys main self openat) + $(sys main self open) >= 1 and $(sys main self close) >= 1"
	# (Within the time its markers measured: the table's self time may
	# be the samples' CPU time instead, which blocking does not count.)
	cjcheck "$1: writes: the calls took time, within its self time" "$2" \
		"0 < rows('writes')[0]['syscalls']['self']['write']['ns'] <= max(self('writes'), rows('writes')[0]['self_marker_ns'])"
}

tp=no
stat_counters sc --syscalls -e task-clock -- "$PROGS/syscalls" $N $M
[ ! -s sc.out ] || fail "the program's standard output changed" sc.out
if grep -q "raw_syscalls tracepoints (every call" sc.err; then
	tp=yes
	counts tracepoints sc.json
else
	echo "tracepoints refused here: $(grep 'system calls' sc.err)" >&2
fi

# The fallback, forced.
CPROF_SYSCALLS_FALLBACK=1 stat_counters fb --syscalls -e task-clock -- "$PROGS/syscalls" $N $M
expect_grep "the fallback says what it cannot see" "interposing libc.*cannot see glibc's internal calls" fb.err
counts fallback fb.json

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

# An unprivileged user: the fallback, unless this user may trace.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
	id nobody >/dev/null 2>&1; then
	np="setpriv --reuid=nobody --regid=$(id -gn nobody) --clear-groups"
	mkdir np && chmod 777 np && chmod o+x "$T"
	if $np test -x "$CPROF" && $np test -r "$CPROF_LIBRARY" &&
		$np test -x "$PROGS/syscalls" && $np test -w "$T/np"; then
		run np $np env -C "$T/np" CPROF_LIBRARY="$CPROF_LIBRARY" \
			"$CPROF" stat --format json -o np.json --syscalls \
			-e task-clock -- "$PROGS/syscalls" $N $M
		if [ ! -s np/np.json ] && grep -q "perf_event\|permi" np.err; then
			echo "unprivileged: no counters for nobody here" >&2
		else
			expect_status "unprivileged: cprof stat --syscalls" 0 np.err
			expect_grep "unprivileged: the mode is said" "system calls: " np.err
			counts unprivileged np/np.json
		fi
	else
		echo "unprivileged: the build tree is not readable to nobody" >&2
	fi
fi
[ "$tp" = yes ] || skip "the tracepoint mode could not be tested here (the fallback passed)"
exit 0
