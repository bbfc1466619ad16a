#!/bin/sh
# e2e-fdlimit.sh - the runtime leaves the program the descriptors its
# limit gives it. A server that lowers RLIMIT_NOFILE and then uses nearly
# all of it with several threads opens every file it would open without
# cprof (t/progs/fdlimit.c); threads the runtime cannot count without
# eating into the program's reserve go without counters, said in one line
# at the end. At RLIMIT_NOFILE 4 (one descriptor beyond stdio; the dynamic
# loader needs it, so no lower limit can run a program) the runtime still
# records the whole profile, silently.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog fdlimit calls sandbox
need_python

# limit:threads:files a thread holds at once (with stdio: 27/40, 43/64,
# 23/32 of the limit)
for shape in 40:6:4 64:10:4 32:4:5; do
	lim=${shape%%:*} rest=${shape#*:}
	nt=${rest%%:*} nf=${rest#*:}
	status=0
	"$PROGS/fdlimit" $lim $nt $nf >plain.out 2>plain.err || status=$?
	expect_status "fdlimit $shape without cprof" 0 plain.out plain.err

	for mode in none default task-clock exact; do
		c=$mode-$lim
		case $mode in
		none) opts=--no-counters ;;
		default) opts= ;;
		task-clock) opts="-e task-clock" ;;
		exact) opts="--exact -e task-clock" ;;
		esac
		if [ $mode != none ] && [ "$(perf_try 1 1)" != ok ]; then
			continue
		fi
		run $c "$CPROF" stat --format json -o $c.json $opts -- \
			"$PROGS/fdlimit" $lim $nt $nf
		expect_status "$c: fdlimit $shape under cprof $opts" 0 $c.out $c.err
		expect_eq "$c: the program's opens" "failed 0" "$(cat $c.out)" $c.err
		jeq "$c: every call in the profile" $c.json "calls('hold')" \
			$((nt * nf))
		# One line at most on why threads went uncounted, besides the
		# tool's own line on the default events.
		grep -v -e 'went without counters: the descriptor limit' \
			-e 'counting .* instead' $c.err >$c.other || true
		expect_lines "$c: no other line on stderr" 0 $c.other
		_n=$(grep -c 'went without counters' $c.err) || true
		[ "$_n" -le 1 ] || fail "$c: the limit is said more than once" $c.err
	done
done

# The runtime alone (the tool itself needs more descriptors than that).
preload=$(preload_value)
status=0
"$PROGS/calls" >calls.out 2>calls.err || status=$?
plain_status=$status

mkdir nf4
status=0
LD_PRELOAD=$preload CPROF_DIR=$T/nf4 "$PROGS/sandbox" -n 4 -- "$PROGS/calls" \
	>nf4.out 2>nf4.err || status=$?
expect_status "calls at RLIMIT_NOFILE 4" $plain_status nf4.err
cmp -s calls.out nf4.out || fail "RLIMIT_NOFILE 4: stdout changed" nf4.out
expect_lines "RLIMIT_NOFILE 4: nothing on stderr" 0 nf4.err
run nf4rep "$CPROF" report --format json nf4
expect_status "report of the run at RLIMIT_NOFILE 4" 0 nf4rep.err
jeq "RLIMIT_NOFILE 4: the whole profile" nf4rep.out "calls('leaf')" 1000
jcheck "RLIMIT_NOFILE 4: the process finished its log" nf4rep.out \
	"all(p['finished'] for p in j['processes'])"

exit 0
