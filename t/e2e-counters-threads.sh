#!/bin/sh
# e2e-counters-threads.sh - every thread gets its own counters: with
# --threads, each worker's page faults (exact mode) are its own known
# count, including the worker created before cprof's runtime started (from
# .preinit_array) and the one created from a constructor before main; in
# sampling mode every busy thread has its task-clock samples
# (t/progs/counters.c, mode threads).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog counters
need_sw_counters

W=6 # workers; worker k touches 100 + 50 k pages and spins 100 ms of CPU
H=8 # a handful, as in e2e-counters.sh
expected=$(awk -v w=$W 'BEGIN { for (k = 0; k < w; k++) printf "%s%d", k ? ", " : "", 100 + 50 * k }')

stat_counters thr --threads --exact -e page-faults -- "$PROGS/counters" threads $W
cjeq "exact: work called once per worker" thr.json "calls('work')" $W
cjeq "exact: fault_pages called once per worker" thr.json "calls('fault_pages')" $W
cjeq "exact: $W threads called fault_pages, once each" thr.json \
	"sorted(tfuncs(t)['fault_pages'] for t in fthreads('fault_pages'))" \
	"[$(awk -v w=$W 'BEGIN { for (k = 0; k < w; k++) printf "%s1", k ? ", " : "" }')]"
got=$(cjval "exact" thr.json \
	"sorted(counter('fault_pages', 'page-faults', funcs=t['functions']) for t in fthreads('fault_pages'))") ||
	exit 1
# Worker 0 came from .preinit_array and worker 1 from a constructor: their
# counts are the two smallest, checked first so that a failure says which.
cjcheck "exact: the worker started before the runtime (100 faults) is counted (got $got)" \
	thr.json "any(abs(c - 100) <= $H for c in $got)"
cjcheck "exact: the worker started from a constructor (150 faults) is counted (got $got)" \
	thr.json "any(abs(c - 150) <= $H for c in $got)"
cjcheck "exact: each worker's fault_pages has its own page faults [$expected], +-$H (got $got)" \
	thr.json "all(abs(a - b) <= $H for a, b in zip($got, [$expected])) and len($got) == $W"
cjcheck "exact: per-thread counts add up to the whole run's" thr.json \
	"counter('fault_pages', 'page-faults') == sum($got)"
cjeq "exact: main's thread and $W workers" thr.json "len(j['threads'])" $((W + 1))

# Sampling: every busy thread spins 100 ms of its CPU time, about 100
# task-clock samples at 1000 Hz; half of that (50 ms) is the floor below
# which its samples went missing.
stat_counters smp --threads -e task-clock -F 1000 -- "$PROGS/counters" threads $W
cjeq "sampling: $W threads ran busy" smp.json "len(fthreads('busy'))" $W
got=$(cjval "sampling" smp.json \
	"sorted(counter('busy', 'task-clock', funcs=t['functions']) // 1000000 for t in fthreads('busy'))") ||
	exit 1
cjcheck "sampling: every busy thread has task-clock samples for at least 50 of its 100 ms (ms: $got)" \
	smp.json "all(counter('busy', 'task-clock', funcs=t['functions']) >= 50000000 for t in fthreads('busy'))"
cjeq "sampling: no sample lost" smp.json "event('task-clock')['lost']" 0
exit 0
