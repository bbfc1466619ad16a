#!/bin/sh
# e2e-bad-logs.sh - `cprof report` on damaged logs: a log cut anywhere
# gives a warning naming the file and what was skipped and the profile of
# every whole chunk before the cut, exactly; a corrupt chunk or one
# missing a required key stops that log there; unknown keys and chunk
# types are ignored; a file that is not a cprof log, or from a newer
# version, gets one line of error naming it and exit status 2. Never a
# crash. Logs are cut at the chunk boundaries found by a small msgpack
# walker below (doc/log-format.md: a header map, then chunk maps).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog threads
need_python

# Every call timed (--time-all): the log must be long enough to hold the
# chunks the damage below is made in (clock chunks among them).
run rec "$CPROF" record --time-all -o run.cprof -- "$PROGS/threads" stress 2 50000
expect_status "threads stress under cprof record" 0 rec.err
set -- run.cprof/proc-*.log
[ $# = 1 ] && [ -f "$1" ] || fail "expected one log in run.cprof, got: $*"
log=$1 base=$(basename "$1")
size=$(wc -c <"$log" | tr -d ' ')

# msgpack TOOL ARGS: the end offset of every top-level object of a log
# (offsets), or a copy of it with one change (see the commands below).
msgpack() {
	"$PYTHON" - "$@" <<'PY'
import struct, sys

def skip(b, i):
    t = b[i]; i += 1
    if t <= 0x7f or t >= 0xe0 or t in (0xc0, 0xc2, 0xc3):
        return i
    if 0x80 <= t <= 0x8f:
        return items(b, i, 2 * (t & 0x0f))
    if 0x90 <= t <= 0x9f:
        return items(b, i, t & 0x0f)
    if 0xa0 <= t <= 0xbf:
        return i + (t & 0x1f)
    fixed = {0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1,
             0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9,
             0xd8: 17}
    if t in fixed:
        return i + fixed[t]
    sized = {0xc4: 1, 0xd9: 1, 0xc5: 2, 0xda: 2, 0xc6: 4, 0xdb: 4}
    if t in sized:
        return i + sized[t] + uint(b, i, sized[t])
    ext = {0xc7: 1, 0xc8: 2, 0xc9: 4}
    if t in ext:
        return i + ext[t] + 1 + uint(b, i, ext[t])
    if t in (0xdc, 0xdd):
        n = 2 if t == 0xdc else 4
        return items(b, i + n, uint(b, i, n))
    if t in (0xde, 0xdf):
        n = 2 if t == 0xde else 4
        return items(b, i + n, 2 * uint(b, i, n))
    raise ValueError("bad msgpack type byte %#x at %d" % (t, i - 1))

def uint(b, i, n):
    if i + n > len(b):
        raise IndexError
    return int.from_bytes(b[i:i + n], "big")

def items(b, i, n):
    for _ in range(n):
        i = skip(b, i)
    return i

def offsets(b):
    out, i = [], 0
    while i < len(b):
        i = skip(b, i)
        out.append(i)
    return out

cmd, path = sys.argv[1], sys.argv[2]
b = bytearray(open(path, "rb").read())
ends = offsets(b)
starts = [0] + ends[:-1]

def chunk_of(kind, start):
    # The first chunk of that type from byte START on.
    key = bytes([0xa1]) + b"t" + bytes([0xa0 + len(kind)]) + kind.encode()
    for s, e in zip(starts[1:], ends[1:]):
        if s >= start and b[s:e].find(key, 0, 16) >= 0:
            return s, e
    raise SystemExit("no %s chunk from byte %d on" % (kind, start))

if cmd == "offsets":
    print(" ".join(map(str, ends)))
    sys.exit(0)
out = sys.argv[3]
if cmd == "bad-type-byte":
    # A byte msgpack never uses, at the start of a chunk.
    s, e = chunk_of("ev", len(b) // 2)
    b[s] = 0xc1
    print(s)
elif cmd == "missing-tid":
    # An ev chunk whose "tid" key is spelled "tix": a required key missing.
    s, e = chunk_of("ev", len(b) // 2)
    k = b.find(bytes([0xa3]) + b"tid", s, e)
    b[k + 3] = ord("x")
    print(s)
elif cmd == "unknown-chunk":
    # A clock chunk renamed "clocz": a chunk type this reader does not know.
    s, e = chunk_of("clock", 0)
    k = b.find(b"clock", s, e)
    b[k + 4] = ord("z")
    print(s)
elif cmd == "newer":
    # The header of a version 99 log, otherwise whole and valid.
    k = b.find(bytes([0xa7]) + b"version", 0, ends[0])
    if k < 0 or b[k + 8] != 1:
        raise SystemExit("no version 1 in the header")
    b[k + 8] = 99
    print(0)
elif cmd == "unknown-key":
    # The header with one more key, which readers must ignore.
    if not 0x80 <= b[0] < 0x8f:
        raise SystemExit("the header is not a fixmap")
    extra = bytes([0xaa]) + b"zz_unknown" + bytes([0x92, 0x01, 0xa1]) + b"x"
    b = bytearray([b[0] + 1]) + extra + b[1:]
    print(0)
open(out, "wb").write(b)
PY
}

offsets=$(msgpack offsets "$log") || fail "the log is not a msgpack stream" "$log"
set -- $offsets
nobj=$#
[ $nobj -ge 8 ] || fail "expected a log with many chunks, got $nobj objects"
eval "last=\${$nobj}"
expect_eq "the objects cover the log" "$size" "$last"
hdr_end=$1

run full "$CPROF" report --format json run.cprof
expect_status "report of the whole log" 0 full.err
[ ! -s full.err ] || fail "report of a whole log warned" full.err
mv full.out full.json
jeq "whole log: every call" full.json "calls('joined_fn')" 100000

funcs='sorted((r["name"], r["calls"]) for r in j["functions"])'

# cut NAME BYTES [FILE]: a run holding the first BYTES of FILE (the log).
cut_log() {
	mkdir "$1"
	head -c "$2" "${3:-$log}" >"$1/$base"
}

# report NAME: `cprof report --format json` of run NAME into NAME.json.
report() {
	run "$1" "$CPROF" report --format json "$1"
	mv "$1.out" "$1.json"
}

# Whole chunks, then a few bytes more: the same profile, those bytes
# skipped with a warning that names the log.
prev=-1
for k in 1 3 $((nobj / 2)) $((nobj - 2)); do
	eval "at=\${$k}"
	cut_log at$k $at
	report at$k
	expect_status "log cut after object $k (byte $at)" 0 at$k.err
	expect_no_grep "cut after object $k: no bytes to skip" 'truncat|skipped|corrupt' at$k.err
	jeq "cut after object $k: nothing skipped" at$k.json "j['processes'][0]['skipped_bytes']" 0
	jeq "cut after object $k: the process did not finish" at$k.json "j['processes'][0]['finished']" false

	cut_log in$k $((at + 3))
	report in$k
	expect_status "log cut 3 bytes into object $((k + 1)) (byte $((at + 3)))" 0 in$k.err
	expect_grep "cut inside object $((k + 1)): a warning names the log" "$base" in$k.err
	jeq "cut inside object $((k + 1)): 3 bytes skipped" in$k.json "j['processes'][0]['skipped_bytes']" 3
	want=$(j at$k.json "$funcs")
	jeq "cut inside object $((k + 1)): the profile of the whole chunks before" in$k.json "$funcs" "$want"

	n=$(j at$k.json "calls('joined_fn')")
	[ "$n" -ge "$prev" ] || fail "a longer log has fewer calls: $n after $prev" at$k.json
	prev=$n
done
[ "$prev" -gt 0 ] || fail "no calls before the last chunks"

# The end record cut: every event is there, the end is not.
cut_log atend $((size - 1))
report atend
expect_status "log cut in its end record" 0 atend.err
expect_grep "cut end record: a warning names the log" "$base" atend.err
eval "before_end=\${$((nobj - 1))}"
jeq "cut end record: the bytes of the end record skipped" atend.json \
	"j['processes'][0]['skipped_bytes']" $((size - 1 - before_end))
jeq "cut end record: every call" atend.json "calls('joined_fn')" 100000
jeq "cut end record: the process did not finish" atend.json "j['processes'][0]['finished']" false

# The table says it too.
run atendtab "$CPROF" report atend
expect_status "table of a log cut in its end record" 0 atendtab.err
cat atendtab.out atendtab.err >atendtab.all
expect_grep "the table reports skipped bytes" "$((size - 1 - before_end)) bytes" atendtab.all

# Cut inside the header: nothing to report, but one line naming the log,
# an exit status of 0 (empty profile) or 2 (not a log), never a crash.
for at in 1 7 $((hdr_end / 2)) $((hdr_end - 1)); do
	cut_log hdr$at $at
	run hdr$at "$CPROF" report hdr$at
	case $status in
	0 | 2) ;;
	*) fail "log cut at byte $at of its header: exit status $status" hdr$at.err ;;
	esac
	expect_lines "log cut at byte $at of its header: one line" 1 hdr$at.err
	expect_grep "log cut at byte $at of its header: the line names the log" "$base" hdr$at.err
done

# A corrupt chunk, or a chunk without a required key: a warning, and the
# profile of everything before it.
for what in bad-type-byte missing-tid; do
	mkdir $what
	at=$(msgpack $what "$log" $what/$base) || fail "cannot make the $what log"
	report $what
	expect_status "log with $what at byte $at" 0 $what.err
	expect_grep "$what: a warning names the log" "$base" $what.err
	expect_grep "$what: the warning says corrupt, and where" "corrupt.*$at" $what.err
	jeq "$what: the rest of the log skipped" $what.json "j['processes'][0]['skipped_bytes']" $((size - at))
	cut_log before-$what $at
	report before-$what
	want=$(j before-$what.json "$funcs")
	jeq "$what: the profile of the chunks before it" $what.json "$funcs" "$want"
done

# What a reader does not know, it ignores, silently.
for what in unknown-key unknown-chunk; do
	mkdir $what
	msgpack $what "$log" $what/$base >/dev/null || fail "cannot make the $what log"
	report $what
	expect_status "log with $what" 0 $what.err
	[ ! -s $what.err ] || fail "$what: the reader warned about what it must ignore" $what.err
	want=$(j full.json "$funcs")
	jeq "$what: the same profile" $what.json "$funcs" "$want"
	jeq "$what: nothing skipped" $what.json "j['processes'][0]['skipped_bytes']" 0
done

# Not a cprof log: one line naming the file, exit status 2, no table.
garbage() {
	mkdir "$1"
	cat >"$1/proc-1-1.log"
	run "$1" "$CPROF" report "$1"
	expect_status "report of $2" 2 "$1.err"
	expect_lines "report of $2: one line" 1 "$1.err"
	expect_grep "report of $2: the line names the file" 'proc-1-1\.log' "$1.err"
	[ ! -s "$1.out" ] || fail "report of $2 printed a table" "$1.out"
}
head -c 4096 /dev/urandom | garbage random "random bytes"
printf 'hello, world\n' | garbage text "a text file"
printf '\201\245magic\244nope' | garbage nomagic "a map without the cprof magic"
printf '\223\001\002\003' | garbage array "an array instead of a header map"
msgpack newer "$log" newer.log >/dev/null || fail "cannot make a version 99 log"
garbage newer "a log of version 99" <newer.log
expect_grep "version 99: the error says the version" 'version|unsupported' newer.err

# One bad log in a run with a good one: still an error.
mkdir mixed
cp "$log" mixed/
head -c 4096 /dev/urandom >mixed/proc-1-1.log
run mixed "$CPROF" report mixed
expect_status "a run with a garbage log beside a good one" 2 mixed.err
expect_grep "the error names the garbage log" 'proc-1-1\.log' mixed.err

# A run that does not exist.
run none "$CPROF" report "$T/no-such-run"
[ $status -ne 0 ] && [ $status -lt 128 ] ||
	fail "report of a missing run: exit status $status" none.err
expect_lines "report of a missing run: one line" 1 none.err
expect_grep "report of a missing run: the line names it" 'no-such-run' none.err
exit 0
