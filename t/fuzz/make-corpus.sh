#!/bin/sh
# t/fuzz/make-corpus.sh OUTDIR - the seed corpus of the fuzz target
# (t/fuzz/fuzz-report.c): real runs of the test programs under cprof, of
# every kind the reader meets (plain calls, threads, fork and exec,
# markers, sampled and exact counters, callchains, a program without
# hooks, processes killed by a signal or by SIGKILL) and truncations of
# their logs, each run packed into one file in the target's input form.
# Run by `make fuzz` (t/fuzz/local.mk) with CPROF, CPROF_LIBRARY and
# PROGS in the environment.
set -u
out=$1
: "${CPROF:?}" "${CPROF_LIBRARY:?}" "${PROGS:?}"
PYTHON=${PYTHON:-python3}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/cprof-corpus.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:handle_segv=0:handle_abort=0
unset CPROF_DIR LD_PRELOAD

n=0
# rec NAME OPTION... -- PROG ARG...: record a run into $work/NAME; its
# status does not matter (some die on purpose), its logs do.
rec() {
	_name=$1
	shift
	n=$((n + 1))
	timeout 60 "$CPROF" record -o "$work/$_name" "$@" \
		</dev/null >/dev/null 2>"$work/$_name.err" || true
}

rec calls --no-counters -- "$PROGS/calls"
rec calls-counters -- "$PROGS/calls"
rec threads -e task-clock -- "$PROGS/threads"
rec threads-stress --no-counters -- "$PROGS/threads" stress 4 3000
rec fork -- "$PROGS/fork" fork
rec exec --no-counters -- "$PROGS/fork" exec
rec markers -- "$PROGS/markers" active
rec sampling -e task-clock,page-faults -F 4000 -- "$PROGS/counters" faults 300
rec every-fault -e page-faults -c 1 -- "$PROGS/counters" faults 50
rec exact --exact -e page-faults -- "$PROGS/counters" faults 50
rec callchain -g -e task-clock -F 4000 -- "$PROGS/counters" faults 300
rec plain -e task-clock -F 4000 -- "$PROGS/counters-plain" faults 300
rec plain-callchain -g -e task-clock -F 4000 -- "$PROGS/counters-plain" faults 300
rec killed -e task-clock -- "$PROGS/crash" kill
rec segv --no-counters -- "$PROGS/crash" segv
rec cxx -- "$PROGS/cxx"

# One input per run, and truncations of each run's first log: at a
# quarter, half and all but the last byte.
"$PYTHON" - "$work" "$out" <<'EOF_PY'
import os, struct, sys

work, out = sys.argv[1], sys.argv[2]

def pack(meta, logs):
    b = struct.pack("<I", len(meta)) + meta
    for log in logs[:8]:
        b += struct.pack("<I", len(log)) + log
    return b

count = 0
for run in sorted(os.listdir(work)):
    d = os.path.join(work, run)
    if not os.path.isdir(d):
        continue
    meta = b""
    if os.path.exists(os.path.join(d, "run.meta")):
        meta = open(os.path.join(d, "run.meta"), "rb").read()
    names = sorted(f for f in os.listdir(d) if f.startswith("proc-"))
    logs = [open(os.path.join(d, f), "rb").read() for f in names]
    if not logs:
        continue
    variants = {"": logs}
    first = logs[0]
    for cut in (len(first) // 4, len(first) // 2, len(first) - 1):
        variants["-cut%d" % cut] = [first[:cut]] + logs[1:]
    for tag, ls in variants.items():
        with open(os.path.join(out, run + tag), "wb") as f:
            f.write(pack(meta, ls))
        count += 1
print("make-corpus: %d inputs in %s" % (count, out))
EOF_PY
