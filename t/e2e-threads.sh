#!/bin/sh
# e2e-threads.sh - every thread's calls reach the profile: threads that
# end, detached threads, and pool workers still blocked when main returns;
# --threads breaks the table down per thread; many threads filling their
# buffers at once lose nothing (t/progs/threads.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog threads
need_python

run thr "$CPROF" stat --threads --format json -o thr.json -- "$PROGS/threads"
expect_status "threads under cprof stat" 0 thr.err
[ -s thr.json ] || fail "no JSON written" thr.err

for fc in main:1 main_fn:10 joined:4 joined_fn:4000 detached:2 detached_fn:1000 \
	pool:2 pool_fn:600 pool_block:2; do
	jeq "calls of ${fc%:*}" thr.json "calls('${fc%:*}')" "${fc#*:}"
done
jeq "the process finished" thr.json "j['processes'][0]['finished']" true
jeq "nothing lost" thr.json "j['processes'][0]['lost']" 0

# Per thread: main, 4 joined, 2 detached, 2 pool workers.
jeq "nine threads" thr.json "len(j['threads'])" 9
jeq "nine distinct thread ids" thr.json \
	"len(set(t['tid'] for t in j['threads']))" 9
jeq "4 threads each called joined_fn 1000 times" thr.json \
	"sorted(tfuncs(t).get('joined_fn', 0) for t in j['threads'] if 'joined_fn' in tfuncs(t))" \
	'[1000, 1000, 1000, 1000]'
jeq "2 threads each called detached_fn 500 times" thr.json \
	"sorted(tfuncs(t).get('detached_fn', 0) for t in j['threads'] if 'detached_fn' in tfuncs(t))" \
	'[500, 500]'
jeq "2 pool workers: pool_fn 300 times and pool_block once each" thr.json \
	"sorted((tfuncs(t).get('pool_fn'), tfuncs(t).get('pool_block')) for t in j['threads'] if 'pool_fn' in tfuncs(t))" \
	'[[300, 1], [300, 1]]'
jeq "the pool workers were still running at exit" thr.json \
	"[t['unfinished'] for t in j['threads'] if 'pool_fn' in tfuncs(t)]" '[true, true]'
jeq "the joined workers were not" thr.json \
	"[t['unfinished'] for t in j['threads'] if 'joined_fn' in tfuncs(t)]" \
	'[false, false, false, false]'
jeq "main's thread is the process's" thr.json \
	"[t['tid'] for t in j['threads'] if 'main_fn' in tfuncs(t)] == [j['processes'][0]['pid']]" true

# The table form of --threads has one table per thread.
run thrtab "$CPROF" stat --threads -- "$PROGS/threads"
expect_status "threads under cprof stat --threads" 0 thrtab.err
n=$(grep -c -E '^Thread [0-9]+' thrtab.err)
expect_eq "one table per thread in the --threads table" 9 "$n" thrtab.err
n=$(grep -c -E '^pool_block +' thrtab.err)
expect_eq "pool_block in the tables of both pool workers" 2 "$n" thrtab.err

# Many threads at once, each filling its buffer many times: exact counts.
nt=16 nc=200000
run stress "$CPROF" stat --format json -o stress.json -- "$PROGS/threads" stress $nt $nc
expect_status "threads stress under cprof stat" 0 stress.err
jeq "stress: every call of every thread" stress.json "calls('joined_fn')" $((nt * nc))
jeq "stress: every thread" stress.json "calls('joined')" $nt
jeq "stress: nothing lost" stress.json "j['processes'][0]['lost']" 0
jeq "stress: no bytes skipped" stress.json "j['processes'][0]['skipped_bytes']" 0
exit 0
