#!/bin/sh
# e2e-fuzz-seeds.sh - the inputs kept in t/fuzz/seeds (damaged and odd
# runs the fuzzer or users found, e.g. a sampling log without callchains
# whose reading did arithmetic on a NULL pointer) are read by `cprof
# report` in every format without a crash or, in the sanitizer builds, a
# sanitizer report; each is unpacked from the fuzz target's input form
# (t/fuzz/fuzz-report.c) into a run directory first.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python

n=0
for seed in "$TOP_SRCDIR"/t/fuzz/seeds/*; do
	[ -f "$seed" ] || continue
	name=$(basename "$seed")
	mkdir "$name"
	"$PYTHON" - "$seed" "$name" <<'EOF_PY' || hard_error "cannot unpack $seed"
import os, struct, sys

data = open(sys.argv[1], "rb").read()
off, i = 0, 0
while i <= 8 and off + 4 <= len(data):
    (n,) = struct.unpack_from("<I", data, off)
    off += 4
    rec = data[off:off + n]
    off += len(rec)
    name = "run.meta" if i == 0 else "proc-%d-1.log" % i
    with open(os.path.join(sys.argv[2], name), "wb") as f:
        f.write(rec)
    i += 1
EOF_PY
	for fmt in table json csv; do
		run "$name-$fmt" "$CPROF" report --threads --counters --format $fmt "$name"
		# 0, or 2 for a run that cannot be read; never a crash.
		case $status in
		0 | 2) ;;
		*) fail "$name: cprof report --format $fmt: exit status $status" "$name-$fmt.err" ;;
		esac
	done
	n=$((n + 1))
done
[ $n -gt 0 ] || hard_error "no seeds in $TOP_SRCDIR/t/fuzz/seeds"
exit 0
