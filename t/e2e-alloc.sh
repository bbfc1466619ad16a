#!/bin/sh
# e2e-alloc.sh - --alloc (issue 11): every allocation and free is counted
# in the function that made it, self and total, frees are matched to the
# blocks they free (in another thread too), the peak and the leaks are
# found, C++ operator new and delete in every form are seen, and none of
# it changes what the program prints, its exit status, its alignments,
# or what glibc says of a double free (t/progs/alloc.c, alloc-cxx.cc).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog alloc alloc-cxx ownmalloc
need_python
if [ "$SANITIZE" = yes ] || [ "${TSAN:-no}" = yes ]; then
	# The sanitizers bring their own allocator: the tool refuses --alloc.
	run san "$CPROF" stat --alloc -- "$PROGS/alloc" basic
	expect_status "--alloc refused under sanitizers" 2 san.err
	expect_grep "the refusal says why" "sanitizers" san.err
	skip "--alloc is refused in a build with sanitizers (checked)"
fi
alib="$(dirname "$(readlink -f "$CPROF_LIBRARY")")/libcprof-alloc.so"
[ -f "$alib" ] || skip "the allocator library is not built ($alib)"

# a FILE NAME KIND FIELD: a function's alloc numbers (0 when absent).
a() {
	j "$1" "sum(r['alloc']['$3']['$4'] for r in rows('$2'))"
}

# The program alone, for its output and status.
status=0
"$PROGS/alloc" basic >plain.out 2>plain.err || status=$?
expect_eq "the plain run's status" 7 "$status"

run basic "$CPROF" stat --alloc --format json -o basic.json -- "$PROGS/alloc" basic
expect_status "basic under cprof stat --alloc" 7 basic.err
cmp -s plain.out basic.out || fail "the program's output changed" basic.out
jeq "make_blocks: 100 allocations of its own" basic.json \
	"[sum(r['alloc']['self'][k] for r in rows('make_blocks')) for k in ('count', 'bytes')]" \
	'[100, 4800]'
jeq "build_list: none of its own, 100 in total" basic.json \
	"[sum(r['alloc'][s][k] for r in rows('build_list')) for s in ('self', 'total') for k in ('count', 'bytes')]" \
	'[0, 0, 100, 4800]'
jeq "free_half (another thread): 50 frees of 48 bytes" basic.json \
	"[sum(r['alloc']['self'][k] for r in rows('free_half')) for k in ('frees', 'freed_bytes')]" \
	'[50, 2400]'
jeq "make_blocks: 50 of its blocks freed by another thread" basic.json \
	"[sum(r['alloc']['freed_by_other_threads'][k] for r in rows('make_blocks')) for k in ('count', 'bytes')]" \
	'[50, 2400]'
jeq "free_rest: 50 frees of 48 bytes" basic.json \
	"[sum(r['alloc']['self'][k] for r in rows('free_rest')) for k in ('frees', 'freed_bytes')]" \
	'[50, 2400]'
# grow: a malloc (realloc of NULL) and 7 reallocs, each a free and an
# allocation: 8 allocations of 16..2048 bytes, 8 frees of the same.
jeq "grow: realloc growth" basic.json \
	"[sum(r['alloc']['self'][k] for r in rows('grow')) for k in ('count', 'bytes', 'frees', 'freed_bytes')]" \
	'[8, 4080, 8, 4080]'
jeq "leaker: 3 blocks of 64 left at exit" basic.json \
	"[sum(r['alloc']['leaks'][k] for r in rows('leaker')) for k in ('count', 'bytes')]" '[3, 192]'
jeq "leaks by function" basic.json "j['leaks']['functions'].get('leaker')" 192
jeq "variety: 7 allocations (calloc, aligned_alloc, posix_memalign, memalign, valloc, reallocarray, malloc(0)), 628 bytes, and their frees" basic.json \
	"[sum(r['alloc']['self'][k] for r in rows('variety')) for k in ('count', 'bytes', 'frees', 'freed_bytes')]" \
	'[7, 628, 7, 628]'
jcheck "the peak holds make_blocks' 4800 bytes" basic.json \
	"j['alloc_peak']['functions'].get('make_blocks') == 4800 and j['alloc_peak']['bytes'] >= 4800"
jeq "every free matched a block" basic.json "j['alloc']['unknown_frees']" 0

# The table.
run table "$CPROF" stat --alloc -- "$PROGS/alloc" basic
expect_status "the table run" 7 table.err
expect_grep "the table has the allocation section" "^Allocations: " table.err
expect_grep "make_blocks in it" "100 .*4.7 KiB.*make_blocks" table.err

# record then report: the same numbers.
run rec "$CPROF" record --alloc -o run -- "$PROGS/alloc" basic
expect_status "record --alloc" 7 rec.err
run rep "$CPROF" report --format json -o rep.json run
expect_status "report" 0 rep.err
jeq "report gives make_blocks' allocations" rep.json \
	"sum(r['alloc']['self']['count'] for r in rows('make_blocks'))" 100
run rept "$CPROF" report --alloc run
expect_grep "report --alloc prints the table" "^Allocations: " rept.out
# Without --alloc: nothing of it, and the program never sees the library.
run noalloc "$CPROF" stat --format json -o noalloc.json -- "$PROGS/alloc" basic
expect_status "without --alloc" 7 noalloc.err
jeq "without --alloc: no alloc keys" noalloc.json "'alloc_peak' in j" false

# A signal handler that allocates, while the program allocates too.
run sig "$CPROF" stat --alloc --format json -o sig.json -- "$PROGS/alloc" signal
expect_status "signal handler allocating" 0 sig.err
expect_grep "its output" "signal done" sig.out
jcheck "churn: whole calls of 100 allocations, all freed" sig.json \
	"sum(r['alloc']['self']['count'] for r in rows('churn')) == 100 * calls('churn') > 0 and all(r['alloc']['self']['count'] == r['alloc']['self']['frees'] for r in rows('churn'))"
jcheck "the handler's allocations are its own, all freed" sig.json \
	"all(r['alloc']['self']['count'] == r['alloc']['self']['frees'] == r['calls'] for r in rows('on_alarm'))"

# fork: each process counts its own.
run fork "$CPROF" stat --alloc --format json -o fork.json -- "$PROGS/alloc" fork
expect_status "fork" 0 fork.err
jeq "child_alloc in the child" fork.json "sum(r['alloc']['self']['count'] for r in rows('child_alloc'))" 20
jeq "parent_alloc in the parent" fork.json "sum(r['alloc']['self']['count'] for r in rows('parent_alloc'))" 30

# dlsym and dlerror allocate inside the C library.
run dl "$CPROF" stat --alloc -- "$PROGS/alloc" dlsym
expect_status "dlsym" 0 dl.err
expect_grep "its output" "dlsym done" dl.out

# A double free: glibc catches it the same way, same status.
status=0
"$PROGS/alloc" double >dplain.out 2>dplain.err || status=$?
dstatus=$status
run double "$CPROF" stat --alloc -- "$PROGS/alloc" double
expect_eq "double free: the same status" "$dstatus" "$status"
if grep -q "double free" dplain.err; then
	expect_grep "glibc's message" "double free" double.err
fi

# C++: every form of new and delete, each function's own.
run cxx "$CPROF" stat --alloc --format json -o cxx.json -- "$PROGS/alloc-cxx"
expect_status "C++" 0 cxx.err
expect_grep "bad_alloc still thrown and caught" "bad_alloc caught" cxx.out
for fc in plain_new:1:1 array_new:1:1 nothrow_new:2:2 aligned_new:3:3 explicit_forms:4:4; do
	set -- $(echo "$fc" | tr : ' ')
	jeq "$1: allocations and frees" cxx.json \
		"[sum(r['alloc']['self'][k] for r in rows('$1()')) for k in ('count', 'frees')]" "[$2, $3]"
done
jeq "aligned_new: 64 + 3*64 + 64 bytes (or more for the array cookie)" cxx.json \
	"sum(r['alloc']['self']['bytes'] for r in rows('aligned_new()')) >= 320" true
jeq "every free of C++ matched a block (the exception object's too)" cxx.json \
	"j['alloc']['unknown_frees']" 0
# (puts' stdout buffer and the exception object are its only blocks.)
jeq "a new that throws records no block" cxx.json \
	"sum(r['alloc']['self']['bytes'] for r in rows('throws()')) < 1 << 20" true

# An allocator defined in the executable: said once, nothing changes.
run own "$CPROF" stat --alloc --format json -o own.json -- "$PROGS/ownmalloc"
expect_status "own allocator" 5 own.err
expect_grep "its output" "own allocator done" own.out
expect_grep "said once" "allocations are not recorded: malloc is defined by" own.err
expect_eq "said once only" 1 "$(grep -c 'allocations are not recorded' own.err)"
jeq "work: no allocation seen" own.json "sum(r['alloc']['self']['count'] for r in rows('work'))" 0

# An allocator preloaded after cprof's wrappers: jemalloc or tcmalloc.
other=
for l in /usr/lib/*/libjemalloc.so.2 /usr/lib/*/libtcmalloc_minimal.so.4; do
	[ -f "$l" ] && other=$l && break
done
if [ -n "$other" ]; then
	LD_PRELOAD=$other run je "$CPROF" stat --alloc --format json -o je.json -- "$PROGS/alloc" basic
	expect_status "with $other preloaded" 7 je.err
	jeq "with $(basename "$other"): make_blocks' allocations" je.json \
		"sum(r['alloc']['self']['count'] for r in rows('make_blocks'))" 100
	jeq "with $(basename "$other"): frees matched" je.json \
		"sum(r['alloc']['self']['freed_bytes'] for r in rows('free_half'))" 2400
	LD_PRELOAD=$other run jecxx "$CPROF" stat --alloc --format json -o jecxx.json -- "$PROGS/alloc-cxx"
	expect_status "C++ with $other preloaded" 0 jecxx.err
	jeq "with $(basename "$other"): plain_new" jecxx.json \
		"sum(r['alloc']['self']['count'] for r in rows('plain_new()'))" 1
else
	echo "$test_name: neither libjemalloc2 nor libtcmalloc-minimal4 is installed: not checked"
fi
exit 0
