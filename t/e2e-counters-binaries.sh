#!/bin/sh
# e2e-counters-binaries.sh - `cprof stat -e task-clock` on packaged,
# uninstrumented programs gives a sampling profile and leaves the program
# alone: gzip compresses a few MB exactly as it does without cprof, exits
# 0, and every sample lands in a row of the report; bash, whose functions
# are exported in its dynamic symbol table, gets its samples under
# function names, not addresses.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_sw_counters
GZIP_PROG=$(command -v gzip) || skip "no gzip on this machine"
BASH_PROG=$(command -v bash) || skip "no bash on this machine"

# A few MB of text, compressible but not trivially: about 0.2 s of CPU.
seq 1 700000 | awk '{ print $1, $1 * 7919 % 10007, "line" }' >in.txt
"$GZIP_PROG" -c in.txt >ref.gz || hard_error "gzip fails on its own"

F=1000
run gz "$CPROF" stat -e task-clock -F $F --format json -o gz.json -- \
	"$GZIP_PROG" -c in.txt
expect_status "gzip under cprof stat" 0 gz.err
cmp -s ref.gz gz.out || fail "gzip's output under cprof differs from its output alone" gz.err
[ -s gz.json ] || fail "no JSON written" gz.err
cjeq "gzip: no sample lost" gz.json "event('task-clock')['lost']" 0
cjcheck "gzip: samples were taken" gz.json "event('task-clock')['samples'] > 0"
cjcheck "gzip: the report has rows" gz.json "len(j['functions']) > 0"
cjcheck "gzip: every row has a name" gz.json \
	"all(isinstance(r['name'], str) and r['name'] != '' for r in j['functions'])"
cjcheck "gzip: the rows' task-clock self counts are not negative" gz.json \
	"all(r['counters']['task-clock']['self'] >= 0 for r in j['functions'])"

# bash in a loop spends its time in its own functions and in libc's; the
# ones bash exports (it exports most, for loadable builtins) have names in
# its dynamic symbol table, the static ones do not. a run names some forty
# different functions of bash in this loop; at least ten must come by
# name here, as symbols, neither addresses nor the object's bucket.
bashnamed="sorted(set(r['name'] for r in j['functions'] if r['object'] == 'bash' and r['counters']['task-clock']['self'] > 0 and not r['name'].startswith('[') and not re.match(r'^(0x)?[0-9a-fA-F]+\$|.*\+0x', r['name'])))"
run sh "$CPROF" stat -e task-clock -F $F --format json -o sh.json -- \
	"$BASH_PROG" -c 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); done; echo $i'
expect_status "bash under cprof stat" 0 sh.err
expect_eq "bash's output under cprof" 100000 "$(cat sh.out)" sh.err
cjeq "bash: no sample lost" sh.json "event('task-clock')['lost']" 0
got=$(cjval "bash" sh.json "$bashnamed[:12]") || exit 1
cjcheck "bash: at least ten of its functions by name (got $got...)" sh.json \
	"len($bashnamed) >= 10"
cjcheck "bash: execute_command_internal, which runs every command, by name" sh.json \
	"'execute_command_internal' in $bashnamed"
exit 0
