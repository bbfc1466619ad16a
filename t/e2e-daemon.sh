#!/bin/sh
# e2e-daemon.sh - a program that daemonizes with daemon(3): the parent's
# log ends with its exit (glibc's daemon() leaves through an internal
# fork and _exit no wrapper sees), the daemon records into a log of its
# own, cprof says which processes of the run were still running when it
# returned, and record --wait-all waits for them (t/progs/lifetime.c, mode
# daemon: the daemon waits for a go file before it ends, so the test
# decides when, not the clock).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog lifetime
need_python
# ThreadSanitizer (gcc 12's) dies in a fork child that makes a thread
# while its parent had one alive: the new thread reuses the dead one's
# stack, hence its pthread_t, and TSan's registry still holds that id
# ("ThreadSanitizer: dup thread with used id", with TSan alone too). The
# runtime starts its writer again in the daemon, whose stderr is
# /dev/null: it dies silently, without its end record.
[ "${TSAN:-no}" != yes ] ||
	skip "TSan dies in a fork child that makes a thread (dup thread with used id): the daemon cannot run under it"

# wait_file FILE: wait for the daemon to write FILE (at most 30 s).
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$1" ] || fail "the daemon never wrote $1"
}

# wait_ended RUN: wait until every process of RUN has its end record.
wait_ended() {
	_i=0
	while [ $_i -lt 300 ]; do
		"$CPROF" report --format json "$1" >ended.json 2>/dev/null &&
			[ "$(j ended.json "all(p['finished'] for p in j['processes'])")" = true ] &&
			return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	fail "the processes of $1 never all ended" ended.json
}

# Without --wait-all: record returns with the parent, and says the daemon
# still runs; so does a report made meanwhile.
run rec "$CPROF" record --no-counters -o d1.cprof -- "$PROGS/lifetime" daemon "$T/done1" "$T/go1"
expect_status "record of a daemon" 0 rec.err
expect_grep "record says a process still runs" '^cprof: process [0-9]+ of the run is still running' rec.err
# The daemon opens its log a moment after its parent ended: wait for it.
_i=0
while [ "$(ls d1.cprof | grep -c '^proc-.*\.log$')" -lt 2 ] && [ $_i -lt 300 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
run early "$CPROF" report --format json d1.cprof
jeq "while the daemon runs: the parent ended by exit" early.out \
	"[p['end_reason'] for p in j['processes'] if p['finished']]" '["exit"]'
jeq "while the daemon runs: its state" early.out \
	"[p['state'] for p in j['processes'] if not p['finished']]" '["running"]'
jeq "while the daemon runs: run.meta names it" early.out \
	"j['running_at_return'] == [p['pid'] for p in j['processes'] if not p['finished']]" true
run earlytab "$CPROF" report d1.cprof
expect_grep "the table says it still runs" 'pid [0-9]+ \(lifetime\): still running' earlytab.out
expect_no_grep "no guess" 'killed' earlytab.out
touch go1
wait_file done1
wait_ended d1.cprof
run late "$CPROF" report --format json d1.cprof
jeq "after the daemon: the parent's calls, made before daemon()" late.out "calls('work')" 10
jeq "after the daemon: the daemon's calls" late.out "calls('serve')" 300
jeq "after the daemon: two processes, both ended by exit" late.out \
	"[p['end_reason'] for p in j['processes']]" '["exit", "exit"]'

# --wait-all: record returns once the daemon is done, with all of it.
touch go2
run all "$CPROF" record --wait-all --no-counters -o d2.cprof -- "$PROGS/lifetime" daemon "$T/done2" "$T/go2"
expect_status "record --wait-all of a daemon" 0 all.err
[ -s done2 ] || fail "record --wait-all returned before the daemon ended" all.err
expect_no_grep "record --wait-all: nothing still runs" 'still running' all.err
run allrep "$CPROF" report --format json d2.cprof
jeq "--wait-all: the daemon's calls" allrep.out "calls('serve')" 300
jeq "--wait-all: the parent's calls" allrep.out "calls('work')" 10
jeq "--wait-all: every process ended by exit" allrep.out \
	"[(p['finished'], p['end_reason']) for p in j['processes']]" '[[true, "exit"], [true, "exit"]]'
expect_no_grep "--wait-all: no warning" 'cprof:' allrep.err

# A signal sent to cprof ends the wait: the daemon is then named as still
# running, and cprof still exits with the program's status.
"$CPROF" record --wait-all --no-counters -o d4.cprof -- "$PROGS/lifetime" daemon "$T/done4" "$T/go4" >sig.out 2>sig.err &
cp=$!
_i=0
while [ "$(ls d4.cprof 2>/dev/null | grep -c '^proc-.*\.log$')" -lt 2 ] && [ $_i -lt 300 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
# The parent has ended (its log has its end record) before the signal.
wait_parent=0
while [ $wait_parent -lt 300 ]; do
	"$CPROF" report --format json d4.cprof >d4.json 2>/dev/null &&
		[ "$(j d4.json "sum(1 for p in j['processes'] if p['finished'])")" = 1 ] && break
	sleep 0.1
	wait_parent=$((wait_parent + 1))
done
# ... and has been reaped by cprof, so that the signal is not passed on.
ppid=$(j d4.json "[p['pid'] for p in j['processes'] if p['finished']][0]")
_i=0
while grep -qw "$ppid" /proc/$cp/task/$cp/children 2>/dev/null && [ $_i -lt 300 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
kill -TERM $cp
status=0
wait $cp || status=$?
expect_status "record --wait-all ended by a signal to cprof" 0 sig.err
expect_grep "the daemon is named as still running" '^cprof: process [0-9]+ of the run is still running' sig.err
[ -e done4 ] && fail "the daemon ended before the go file" sig.err
touch go4
wait_file done4

# stat prints its profile when the parent ends, and says what still runs.
run st "$CPROF" stat --no-counters -o st.txt -- "$PROGS/lifetime" daemon "$T/done3" "$T/go3"
expect_status "stat of a daemon" 0 st.err
expect_grep "stat says the daemon still runs" 'pid [0-9]+( \(lifetime\))?: still running' st.txt
expect_grep "and on stderr" '^cprof: process [0-9]+ of the run is still running' st.err
touch go3
wait_file done3
exit 0
