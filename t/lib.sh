# t/lib.sh - helpers for the end-to-end tests, sourced by each t/e2e-*.sh.
#
# A test runs in a temporary directory of its own, removed when it exits,
# so that a run left behind (cprof.data) never leaks into the next test.
# It finds the tool, the runtime and the test programs through the
# variables the harness exports (t/local.mk, t/e2e.mk); run by hand from
# the build tree, it guesses them. Exit statuses follow automake: 0 pass,
# 1 fail, 77 skip (the reason on stdout), 99 a broken test setup.
#
# Assertions print what was expected and what came, and the files that
# explain it (the tool's stderr, the table), so that a failure can be read
# from the test's .log alone. Variables of these helpers start with "_",
# so they never clobber a test's own; $status is the one they share.

set -u

test_name=$(basename "$0" .sh)

TOP_BUILDDIR=${TOP_BUILDDIR:-$(pwd)}
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
CPROF=${CPROF:-$TOP_BUILDDIR/cli/cprof}
CPROF_LIBRARY=${CPROF_LIBRARY:-$TOP_BUILDDIR/lib/.libs/libcprof.so}
CC=${CC:-cc}
CXX=${CXX:-c++}
SANITIZE=${SANITIZE:-no}
export CPROF CPROF_LIBRARY
PROGS=$TOP_BUILDDIR/t/progs
SRCPROGS=$TOP_SRCDIR/t/progs

# The tool's own environment must not leak a profiler into what it runs.
unset CPROF_DIR CPROF_FLUSH_MS LD_PRELOAD

# A sanitizer's own handlers would report a crash and exit 1 instead of
# letting the program die by its signal, which is what the crash tests
# look at; leaks in a program killed on purpose are not ours to report.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0
export ASAN_OPTIONS
TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_abort=0
export TSAN_OPTIONS

skip() {
	echo "SKIP: $test_name: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $test_name: $*" >&2
	exit 99
}

# fail MESSAGE [FILE...]: report a failed expectation with the files that
# show what happened, then end the test.
fail() {
	_msg=$1
	shift
	echo "FAIL: $test_name: $_msg" >&2
	for _f in "$@"; do
		[ -f "$_f" ] || continue
		echo "--- $_f:" >&2
		head -c 6000 "$_f" | sed 's/^/    /' >&2
	done
	exit 1
}

# expect_eq WHAT EXPECTED GOT [FILE...]
expect_eq() {
	_what=$1 _want=$2 _got=$3
	shift 3
	[ "$_want" = "$_got" ] ||
		fail "$_what: expected '$_want', got '$_got'" "$@"
}

# expect_status WHAT EXPECTED [FILE...]: the status of the last run_*.
expect_status() {
	_what=$1 _want=$2
	shift 2
	[ "$status" = "$_want" ] ||
		fail "$_what: expected exit status $_want, got $status" "$@"
}

# expect_grep WHAT PATTERN FILE: an extended regexp must match a line.
expect_grep() {
	grep -E -q -- "$2" "$3" ||
		fail "$1: no line matches /$2/ in $3" "$3"
}

# expect_no_grep WHAT PATTERN FILE
expect_no_grep() {
	! grep -E -q -- "$2" "$3" ||
		fail "$1: a line matches /$2/ in $3" "$3"
}

# expect_lines WHAT N FILE: FILE has exactly N lines.
expect_lines() {
	_n=$(wc -l <"$3" | tr -d ' ')
	[ "$_n" = "$2" ] ||
		fail "$1: expected $2 line(s) in $3, got $_n" "$3"
}

need_cli() {
	[ -x "$CPROF" ] || skip "the cprof tool is not built ($CPROF)"
	[ -f "$CPROF_LIBRARY" ] || skip "the runtime is not built ($CPROF_LIBRARY)"
}

need_prog() {
	for _p in "$@"; do
		[ -x "$PROGS/$_p" ] || skip "test program t/progs/$_p is not built"
	done
}

# Python only parses the tool's JSON; Debian's own python3 comes first.
PYTHON=
for _p in /usr/bin/python3 python3; do
	if command -v "$_p" >/dev/null 2>&1 &&
		"$_p" -c 'import json' >/dev/null 2>&1; then
		PYTHON=$_p
		break
	fi
done

need_python() {
	[ -n "$PYTHON" ] || skip "python3 is needed to read the JSON output"
}

# A temporary directory for the test, which also becomes its working
# directory; KEEP=1 in the environment keeps it for a post-mortem.
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-$test_name.XXXXXX") ||
	hard_error "cannot make a temporary directory"
if [ "${KEEP:-0}" = 1 ]; then
	trap 'echo "$test_name: kept $T" >&2' EXIT
else
	trap 'cd / && rm -rf "$T"' EXIT
fi
trap 'exit 99' HUP INT TERM
cd "$T" || hard_error "cannot enter $T"

# A command that hangs fails its test after E2E_TIMEOUT seconds rather
# than stopping the whole suite.
E2E_TIMEOUT=${E2E_TIMEOUT:-300}
if command -v timeout >/dev/null 2>&1; then
	_timeout="timeout -k 10 $E2E_TIMEOUT"
else
	_timeout=
fi

# run NAME CMD...: run CMD with stdin from /dev/null, stdout in NAME.out,
# stderr in NAME.err and its exit status in $status. A crash of the tool
# shows as a status above 128 that expect_status rejects.
run() {
	_name=$1
	shift
	status=0
	$_timeout "$@" </dev/null >"$_name.out" 2>"$_name.err" || status=$?
	ran_ok "$_name" "$1"
}

# run_in NAME INPUT CMD...: as run, with INPUT as stdin.
run_in() {
	_name=$1 _input=$2
	shift 2
	status=0
	$_timeout "$@" <"$_input" >"$_name.out" 2>"$_name.err" || status=$?
	ran_ok "$_name" "$1"
}

# ran_ok NAME CMD: the run did not hang and no sanitizer complained.
ran_ok() {
	if [ -n "$_timeout" ] && [ "$status" = 124 ]; then
		fail "$2 did not finish within $E2E_TIMEOUT s (stuck?)" "$1.err"
	fi
	no_sanitizer_report "$1.err"
}

# In the sanitizer build, a report from the tool or the runtime is a bug
# even when the exit status happens to be the expected one.
no_sanitizer_report() {
	if grep -E -q 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$1"; then
		fail "a sanitizer reported an error" "$1"
	fi
}

# stat_json NAME PROG ARGS...: run PROG under `cprof stat --format json`
# with the JSON in NAME.json, the program's stdout and stderr in NAME.out
# and NAME.err. STAT_OPTS, when set, adds options (--time-all for checks
# that need every call timed).
stat_json() {
	_sname=$1
	shift
	# shellcheck disable=SC2086 # STAT_OPTS: options, split on purpose
	run "$_sname" "$CPROF" stat --format json ${STAT_OPTS:-} -o "$_sname.json" -- "$@"
	[ -s "$_sname.json" ] ||
		fail "$_sname: cprof stat wrote no JSON (exit status $status)" "$_sname.err"
}

# j FILE EXPR: evaluate a Python expression over the JSON document in FILE
# and print the result. In EXPR, `j` is the document and these help:
#   rows(name)     every row of "functions" with that name
#   calls(name)    the calls of the function (summed over its rows; 0 if none)
#   self(name), total(name)   its self_ns and total_ns, summed likewise
#   mself(name)    its marker self time less the hooks' compensated cost,
#                  before samples refine it (doc/design.md, "The hybrid")
#   names()        the function names in the order of the table
#   tfuncs(th)     a thread's functions as {name: calls} (with --threads)
#   pids(name)     the pids whose threads called the function (--threads)
#   ppids(pids)    the parent pids of those processes
# Booleans print as true/false; lists, tuples and dicts as JSON.
j() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import json, re, sys

with open(sys.argv[1]) as f:
    j = json.load(f)

def rows(name, funcs=None):
    return [r for r in (j["functions"] if funcs is None else funcs)
            if r["name"] == name]

def calls(name, funcs=None):
    return sum(r["calls"] for r in rows(name, funcs))

def self(name, funcs=None):
    return sum(r["self_ns"] for r in rows(name, funcs))

def total(name, funcs=None):
    return sum(r["total_ns"] for r in rows(name, funcs))

def mself(name, funcs=None):
    return sum(r.get("self_marker_ns", r["self_ns"]) - r.get("compensated_ns", 0)
               for r in rows(name, funcs))

def names(funcs=None):
    return [r["name"] for r in (j["functions"] if funcs is None else funcs)]

def tfuncs(th):
    return {r["name"]: r["calls"] for r in th.get("functions", [])}

def pids(name):
    return sorted(set(t["pid"] for t in j["threads"] if name in tfuncs(t)))

def ppids(pidlist):
    return sorted(set(p["ppid"] for p in j["processes"] if p["pid"] in pidlist))

v = eval(sys.argv[2])
if v is True or v is False:
    print("true" if v else "false")
elif isinstance(v, (list, tuple, dict)):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)
EOF
}

# jcheck WHAT FILE EXPR: EXPR must be true over the JSON in FILE.
jcheck() {
	_got=$(j "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = true ] || fail "$1: expected $3 to hold over $2" "$2"
}

# jeq WHAT FILE EXPR EXPECTED: EXPR over the JSON in FILE prints EXPECTED.
jeq() {
	_got=$(j "$2" "$3") || fail "$1: cannot evaluate $3 over $2" "$2"
	[ "$_got" = "$4" ] || fail "$1: expected $3 = $4, got $_got" "$2"
}

# Wall-clock nanoseconds, to bound the times the tool reports.
now_ns() {
	date +%s%N
}

# The LD_PRELOAD value to run a program under the runtime without the tool,
# as the tool builds it (cli/run.c): a sanitizer-built runtime needs the
# sanitizer's runtime, which the harness names in SAN_PRELOAD (t/e2e.mk),
# first (ASan) or right after libcprof (TSan, SAN_PRELOAD_AFTER=yes); run
# by hand, ldd may tell.
preload_value() {
	if [ -n "${SAN_PRELOAD:-}" ]; then
		if [ "${SAN_PRELOAD_AFTER:-no}" = yes ]; then
			echo "$CPROF_LIBRARY:$SAN_PRELOAD"
		else
			echo "$SAN_PRELOAD:$CPROF_LIBRARY"
		fi
		return
	fi
	_asan=$(ldd "$CPROF_LIBRARY" 2>/dev/null | sed -n 's/^[[:space:]]*\(libasan\|libclang_rt\.asan\)[^ ]* => \([^ ]*\) .*/\2/p' | head -n 1)
	if [ -n "$_asan" ]; then
		echo "$_asan:$CPROF_LIBRARY"
	else
		echo "$CPROF_LIBRARY"
	fi
}

# cj FILE EXPR: as j, over the JSON of a run with counters (cprof stat -e,
# report --counters). Besides j's rows, calls, self, total, names and
# tfuncs, EXPR can use:
#   counter(name, ev, kind='self', funcs=None)
#                  the function's count of event ev, kind 'self' or
#                  'total', summed over its rows (0 when it has no row; an
#                  error when a row has no such counter)
#   event(ev)      the entry of the top-level "events" list for ev
#   evnames()      the names in that list, in order
#   fthreads(name) the threads (--threads) whose functions include name
#   distortion(name)  the function's "distortion" flag (one row expected)
#   share_ok(k, n, p, z=4)
#                  k out of n is within z standard errors of a binomial
#                  share p: |k/n - p| <= z * sqrt(p (1 - p) / n)
cj() {
	"$PYTHON" - "$1" "$2" <<'EOF_CJ'
import json, math, re, sys

with open(sys.argv[1]) as f:
    j = json.load(f)

def funcs_of(funcs):
    return j["functions"] if funcs is None else funcs

def rows(name, funcs=None):
    return [r for r in funcs_of(funcs) if r["name"] == name]

def calls(name, funcs=None):
    return sum(r["calls"] for r in rows(name, funcs))

def self(name, funcs=None):
    return sum(r["self_ns"] for r in rows(name, funcs))

def total(name, funcs=None):
    return sum(r["total_ns"] for r in rows(name, funcs))

def names(funcs=None):
    return [r["name"] for r in funcs_of(funcs)]

def tfuncs(th):
    return {r["name"]: r["calls"] for r in th.get("functions", [])}

def counter(name, ev, kind="self", funcs=None):
    n = 0
    for r in rows(name, funcs):
        if ev not in r["counters"]:
            raise KeyError("function %s has no counter %s" % (name, ev))
        n += r["counters"][ev][kind]
    return n

def event(ev):
    if not isinstance(j.get("events"), list):
        raise TypeError("top-level 'events' is not a list of events")
    found = [e for e in j["events"] if e["name"] == ev]
    if len(found) != 1:
        raise KeyError("event %s listed %d times" % (ev, len(found)))
    return found[0]

def evnames():
    if not isinstance(j.get("events"), list):
        raise TypeError("top-level 'events' is not a list of events")
    return [e["name"] for e in j["events"]]

def fthreads(name):
    return [t for t in j["threads"] if rows(name, t.get("functions", []))]

def distortion(name):
    r = rows(name)
    if len(r) != 1:
        raise KeyError("%d rows for %s" % (len(r), name))
    return r[0]["distortion"]

def share_ok(k, n, p, z=4):
    return n > 0 and abs(k / n - p) <= z * math.sqrt(p * (1 - p) / n)

v = eval(sys.argv[2])
if v is True or v is False:
    print("true" if v else "false")
elif isinstance(v, (list, tuple, dict)):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)
EOF_CJ
}

# cjcheck WHAT FILE EXPR: EXPR (as in cj) must be true over the JSON in FILE.
cjcheck() {
	_got=$(cj "$2" "$3" 2>cj.err) ||
		fail "$1: cannot evaluate $3 over $2: $(tail -n 1 cj.err)" "$2"
	[ "$_got" = true ] || fail "$1: expected $3 to hold over $2" "$2"
}

# cjeq WHAT FILE EXPR EXPECTED: EXPR (as in cj) over FILE prints EXPECTED.
cjeq() {
	_got=$(cj "$2" "$3" 2>cj.err) ||
		fail "$1: cannot evaluate $3 over $2: $(tail -n 1 cj.err)" "$2"
	[ "$_got" = "$4" ] || fail "$1: expected $3 = $4, got $_got" "$2"
}

# cjval WHAT FILE EXPR: print EXPR (as in cj), failing the test if it
# cannot be evaluated; for values a test reuses in its messages.
cjval() {
	cj "$2" "$3" 2>cj.err ||
		fail "$1: cannot evaluate $3 over $2: $(tail -n 1 cj.err)" "$2"
}

# perf_try TYPE CONFIG: try perf_event_open(2) on this process for one
# event (perf_event_attr type and config, user space only, as an
# unprivileged user may) and print "ok" or the errno name. It asks the
# kernel directly, so what it says does not depend on cprof.
perf_try() {
	"$PYTHON" - "$1" "$2" <<'EOF_PT'
import ctypes, errno, os, platform, struct, sys

nr = {"x86_64": 298, "aarch64": 241, "i686": 336, "i386": 336,
      "ppc64le": 319, "s390x": 331, "riscv64": 241}.get(platform.machine())
if nr is None:
    print("ENOSYS")
    sys.exit(0)
# struct perf_event_attr: type, size, config, sample_period, sample_type,
# read_format, then the flag bits: disabled (0), exclude_kernel (5),
# exclude_hv (6).
flags = (1 << 0) | (1 << 5) | (1 << 6)
attr = struct.pack("IIQQQQQ", int(sys.argv[1]), 128, int(sys.argv[2]),
                   0, 0, 0, flags).ljust(128, b"\0")
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(attr, 128)
fd = libc.syscall(ctypes.c_long(nr), buf, ctypes.c_int(0), ctypes.c_int(-1),
                  ctypes.c_int(-1), ctypes.c_ulong(0))
if fd < 0:
    print(errno.errorcode.get(ctypes.get_errno(), "E?"))
else:
    os.close(fd)
    print("ok")
EOF_PT
}

# need_sw_counters: skip unless this process may count its own software
# events (task-clock and page-faults), which every counter test needs.
need_sw_counters() {
	need_python
	for _ev in 1:task-clock 2:page-faults; do
		_r=$(perf_try 1 "${_ev%%:*}")
		[ "$_r" = ok ] ||
			skip "perf_event_open refuses software event ${_ev#*:} here ($_r; perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null))"
	done
}

# have_hw_pmu: true when the kernel opens a hardware cycle counter here.
have_hw_pmu() {
	[ "$(perf_try 0 0)" = ok ]
}

# stat_counters NAME OPTION... -- PROG ARGS...: run PROG under
# `cprof stat --format json -o NAME.json` with the counter OPTIONs (-e,
# -F, -c, --exact...); the run must succeed and write its JSON.
stat_counters() {
	_sname=$1
	shift
	run "$_sname" "$CPROF" stat --format json -o "$_sname.json" "$@"
	expect_status "cprof stat $*" 0 "$_sname.err"
	[ -s "$_sname.json" ] ||
		fail "$_sname: cprof stat wrote no JSON" "$_sname.err"
}

# tsan_own_faults N: the page faults that ThreadSanitizer itself takes in
# t/progs/counters' touch() of N pages, on top of one a page, which the
# plain and ASan builds do not have: about 4 a page for the first 64
# pages, then none (on the development machine), so a constant for any N
# past that. Measured as what a run of 2N pages counts beyond its 2N; 0
# outside the TSan build.
tsan_own_faults() {
	if [ "${TSAN:-no}" != yes ]; then
		echo 0
		return
	fi
	stat_counters tsan-base --exact -e page-faults -- "$PROGS/counters" faults $(($1 * 2))
	cjval "TSan's own faults" tsan-base.json "counter('touch', 'page-faults') - $(($1 * 2))"
}
