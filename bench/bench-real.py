#!/usr/bin/env python3
"""bench-real.py - `make bench-real`: cprof on real third-party programs.

Builds Lua (Debian source package lua5.4) and zlib's minigzip (source
package zlib) from their Debian sources, plain and with compiler hooks, and
prints per program and build, side by side in one run: the run times
(plain, hooks that do nothing, `cprof record`), how far cprof's self-time
shares are from perf's sampling of the plain build, how far the hooked
build itself is from it (its floor) and perf from itself (the noise), and
whether cprof's call counts are those a counting hook sees; also the gap
of `cprof record --reference PLAIN` (self time from a sampled run of the
plain build, calls from the hooked one), and at the end issue 8's targets
side by side in one table, one column per program and build. It is the
instrument issue 8 measures itself with: it prints figures and never fails
because a figure is bad; what it cannot measure it says, with the reason.

The sources and builds are cached outside the git tree, in
$CPROF_BENCH_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/cprof-bench); no
third-party code is ever copied into the tree.

Environment: CPROF (the cprof binary) and CPROF_LIBRARY (its runtime),
BENCH_REPS (timed runs per figure, default 3; the figure is the best, i.e.
the smallest, of them), BENCH_PROGRAMS (comma-separated subset of
lua,zlib), BENCH_FREQ (sampling frequency of perf and cprof, default 4000),
LUA_ROUNDS (default 10), ZLIB_MB (default 20).
"""

import glob
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CPROF = os.environ.get("CPROF", "cprof")
REPS = max(1, int(os.environ.get("BENCH_REPS", "3")))
FREQ = os.environ.get("BENCH_FREQ", "4000")
TOP = 10
CACHE = os.environ.get("CPROF_BENCH_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
    "cprof-bench")
HAVE_PERF = False
PERF_SAMPLES = {}
# One entry per program and hooked build for the closing table: (column
# title, {figure name: text}).
SUMMARY = []
HOOK_NAMES = ("__cyg_profile_func_enter", "__cyg_profile_func_exit")


def say(*a):
    print(*a, flush=True)


def skip(what, why):
    say("  skip: %s: %s" % (what, why))


def log(msg):
    print("bench-real: " + msg, file=sys.stderr, flush=True)


def run_quiet(cmd, cwd=None, env=None):
    """Runs cmd, returns (status, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
    except OSError as e:
        return 127, str(e)
    return p.returncode, p.stdout


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no output)"


# ---------------------------------------------------------------- sources

def apt_private_args():
    """apt options for a private deb-src configuration under the cache: the
    machine's own sources often lack deb-src lines, and the bench must not
    edit the system's apt configuration to get them."""
    d = os.path.join(CACHE, "apt")
    for sub in ("lists/partial", "archives/partial"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    lines = set()
    for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
        stanza = {}
        with open(path) as f:
            text = f.read()
        for block in re.split(r"\n\s*\n", text):
            stanza = {}
            for line in block.splitlines():
                m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
                if m:
                    stanza[m.group(1).lower()] = m.group(2).split()
            if "deb" in stanza.get("types", []) and stanza.get("uris"):
                for uri in stanza["uris"]:
                    for suite in stanza.get("suites", []):
                        lines.add("deb-src %s %s %s" % (uri, suite, " ".join(
                            stanza.get("components", ["main"]))))
    for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
        try:
            with open(path) as f:
                for line in f:
                    m = re.match(r"^\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
                    if m:
                        lines.add("deb-src %s %s %s" % (m.group(2), m.group(3), m.group(4).strip()))
        except OSError:
            pass
    with open(os.path.join(d, "sources.list"), "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")
    return ["-o", "Dir::Etc::SourceList=" + os.path.join(d, "sources.list"),
            "-o", "Dir::Etc::SourceParts=" + os.path.join(d, "no-parts"),
            "-o", "Dir::State::Lists=" + os.path.join(d, "lists"),
            "-o", "Dir::Cache=" + d,
            "-o", "APT::Sandbox::User=root"]


def fetch_source(pkg, pattern):
    """The unpacked Debian source of pkg under the cache (fetched once), or
    raises RuntimeError with the reason it cannot be had."""
    srcdir = os.path.join(CACHE, "src")
    os.makedirs(srcdir, exist_ok=True)
    found = [d for d in glob.glob(os.path.join(srcdir, pattern)) if os.path.isdir(d)]
    if found:
        return sorted(found)[-1]
    if not shutil.which("apt-get"):
        raise RuntimeError("no apt-get on this machine")
    if not shutil.which("dpkg-source"):
        raise RuntimeError("no dpkg-source (apt-get install dpkg-dev)")
    log("fetching the Debian source package %s into %s" % (pkg, srcdir))
    st, out = run_quiet(["apt-get", "source", "-qq", pkg], cwd=srcdir)
    if st != 0:
        args = apt_private_args()
        lists = os.path.join(CACHE, "apt", "lists")
        if not glob.glob(os.path.join(lists, "*Sources*")):
            st, out = run_quiet(["apt-get"] + args + ["-qq", "update"])
            if st != 0:
                raise RuntimeError("apt-get update for deb-src failed: " + last_line(out))
        st, out = run_quiet(["apt-get"] + args + ["source", "-qq", pkg], cwd=srcdir)
        if st != 0:
            raise RuntimeError("apt-get source %s failed: %s" % (pkg, last_line(out)))
    found = [d for d in glob.glob(os.path.join(srcdir, pattern)) if os.path.isdir(d)]
    if not found:
        raise RuntimeError("apt-get source %s unpacked nothing matching %s" % (pkg, pattern))
    return sorted(found)[-1]


# ----------------------------------------------------------------- builds

# Each build: name, compiler, flags, the plain build it is compared with.
BUILDS = [
    ("gcc-plain", "gcc", ["-O2", "-g"], None),
    ("gcc-hooks", "gcc", ["-O2", "-g", "-finstrument-functions"], "gcc-plain"),
    ("clang-plain", "clang", ["-O2", "-g"], None),
    ("clang-after-inlining", "clang",
     ["-O2", "-g", "-finstrument-functions-after-inlining"], "clang-plain"),
    ("clang-xray", "clang",
     ["-O2", "-g", "-fxray-instrument", "-fxray-instruction-threshold=1"], "clang-plain"),
]


def compiler_id(cc):
    st, out = run_quiet([cc, "--version"])
    return out.splitlines()[0] if st == 0 and out else cc


def build(prog, bname, cc, flags):
    """Compiles prog's sources with cc and flags into the cache (once per
    source, compiler and flags), returns the executable or raises
    RuntimeError with the compiler's complaint."""
    outdir = os.path.join(CACHE, "build", "%s-%s" % (prog.name, bname))
    exe = os.path.join(outdir, prog.name)
    key = json.dumps([prog.srcdir, prog.cppflags(outdir), prog.sources, prog.libs,
                      compiler_id(cc), flags])
    stamp = os.path.join(outdir, "stamp")
    try:
        with open(stamp) as f:
            if f.read() == key and os.path.exists(exe):
                return exe
    except OSError:
        pass
    log("building %s %s" % (prog.name, bname))
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    prog.prepare(outdir)
    objs, procs = [], []

    def reap(limit):
        while len(procs) > limit:
            p, src = procs.pop(0)
            out, _ = p.communicate()
            if p.returncode != 0:
                raise RuntimeError("%s %s failed on %s: %s" % (
                    cc, " ".join(flags), os.path.basename(src), last_line(out)))

    for src in prog.sources:
        obj = os.path.join(outdir, os.path.basename(src)[:-2] + ".o")
        objs.append(obj)
        procs.append((subprocess.Popen(
            [cc] + flags + prog.cppflags(outdir) + ["-c", "-o", obj, os.path.join(prog.srcdir, src)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"), src))
        reap(1)
    reap(0)
    st, out = run_quiet([cc] + flags + ["-o", exe] + objs + prog.libs)
    if st != 0:
        raise RuntimeError("linking with %s failed: %s" % (" ".join(flags), last_line(out)))
    with open(stamp, "w") as f:
        f.write(key)
    return exe


class Lua:
    name = "lua"
    pkg = "lua5.4"
    pattern = "lua5.4-*"
    libs = ["-lm", "-ldl", "-Wl,-E"]

    def __init__(self, srcdir):
        self.srcdir = os.path.join(srcdir, "src")
        self.sources = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.srcdir, "*.c"))
                              if os.path.basename(p) != "luac.c")
        self.rounds = os.environ.get("LUA_ROUNDS", "10")
        self.script = os.path.join(HERE, "workload.lua")

    # The string-hash seed and the sort pivot are fixed so that every run
    # makes exactly the same calls (Lua takes both from the clock and from
    # addresses); Debian's luaconf.h wants its multiarch header.
    def cppflags(self, outdir):
        return ["-DLUA_COMPAT_5_3", "-DLUA_USE_LINUX", "-Dluai_makeseed(L)=0x5eedu",
                "-Dl_randomizePivot()=0x5eedu", "-I" + outdir]

    def prepare(self, outdir):
        st, out = run_quiet(["gcc", "-print-multiarch"])
        arch = out.strip() if st == 0 and out.strip() else "x86_64-linux-gnu"
        with open(os.path.join(outdir, "lua5.4-deb-multiarch.h"), "w") as f:
            f.write('#define DEB_HOST_MULTIARCH "%s"\n' % arch)

    def argv(self, exe):
        return [exe, self.script, self.rounds], None

    def describe(self):
        return "Lua 5.4 interpreter running bench/workload.lua %s (recursion, string.format, table.sort)" % self.rounds


class Zlib:
    name = "minigzip"
    pkg = "zlib"
    pattern = "zlib-*"
    libs = []

    def __init__(self, srcdir):
        self.srcdir = srcdir
        self.sources = ["adler32.c", "compress.c", "crc32.c", "deflate.c", "gzclose.c",
                        "gzlib.c", "gzread.c", "gzwrite.c", "infback.c", "inffast.c",
                        "inflate.c", "inftrees.c", "trees.c", "uncompr.c", "zutil.c",
                        "test/minigzip.c"]
        self.mb = int(os.environ.get("ZLIB_MB", "20"))
        self.data = os.path.join(CACHE, "data", "mixed-%dM.bin" % self.mb)

    def cppflags(self, outdir):
        return ["-I" + self.srcdir]

    def prepare(self, outdir):
        pass

    def make_data(self):
        """Deterministic input of mixed compressibility: 64 KiB blocks of
        random bytes, English-like text, numeric records and long repeats,
        chosen and filled from SHA-256 in counter mode (stable across Python
        versions, unlike the random module)."""
        if os.path.exists(self.data) and os.path.getsize(self.data) == self.mb << 20:
            return
        os.makedirs(os.path.dirname(self.data), exist_ok=True)
        words = ("the of and to in is that for it as was with be by on not he this are or his "
                 "from at which but have an they you were her she there been one all would "
                 "profile function sample marker thread counter compress deflate window").split()
        blocks, n = [], 0
        ctr = [0]

        def rnd(k):
            out = bytearray()
            while len(out) < k:
                out += hashlib.sha256(b"cprof-bench-%d" % ctr[0]).digest()
                ctr[0] += 1
            return bytes(out[:k])

        size = 64 << 10
        while n < self.mb << 20:
            kind = rnd(1)[0] % 20
            if kind < 5:
                b = rnd(size)
            elif kind < 12:
                r = rnd(size // 4)
                b = " ".join(words[x % len(words)] for x in r).encode()
            elif kind < 17:
                r = rnd(size // 8)
                b = b"".join(b"%d,%d,%05d\n" % (i, r[i] * 7 + r[i + 1], r[i + 2] * 131)
                             for i in range(0, len(r) - 3, 3))
            else:
                b = (rnd(37) * (size // 37 + 1)) if not blocks else blocks[rnd(1)[0] % len(blocks)]
            b = b[:size].ljust(size, b"\n")
            blocks.append(b)
            n += size
        tmp = self.data + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"".join(blocks)[: self.mb << 20])
        os.rename(tmp, self.data)

    def argv(self, exe):
        return [exe], self.data

    def describe(self):
        return "zlib's minigzip compressing %d MB of generated mixed data (stdin to stdout, level 6)" % self.mb


# ----------------------------------------------------------------- running

def timed(argv, stdin, env=None, out=os.devnull):
    """Runs argv once; returns (status, wall s, CPU s of it and all its
    waited-for descendants, all threads: user + sys)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdin or os.devnull, "rb") as fin, open(out, "wb") as fout:
        p = subprocess.run(argv, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.returncode, wall, cpu


def best(argv, stdin, env=None, reps=REPS, digest=None):
    """The best (smallest) wall and CPU time of reps runs, each taken
    separately: on a shared machine noise only ever adds time. With digest
    (a dict), the first run's output is kept and its SHA-256 stored under
    digest["sha"], so that builds can be checked to do the same work."""
    walls, cpus = [], []
    for i in range(reps):
        out = os.devnull
        if digest is not None and i == 0:
            out = os.path.join(digest["work"], "output")
        st, w, c = timed(argv, stdin, env, out)
        if st != 0:
            return None
        if out != os.devnull:
            h = hashlib.sha256()
            with open(out, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            os.unlink(out)
            digest["sha"] = h.hexdigest()
        walls.append(w)
        cpus.append(c)
    return min(walls), min(cpus)


def function_symbols(exe):
    """The number of distinct function symbols of exe (as nm lists them)."""
    st, out = run_quiet(["nm", "--defined-only", exe])
    if st != 0:
        return None
    return len({l.split()[0] for l in out.splitlines() if len(l.split()) == 3 and l.split()[1] in "tTwWiI"})


def fold(name):
    """One name per source function in every profile: gcc's clones
    (foo.part.0, foo.constprop.0, foo.isra.0, foo.cold) are the function
    they were cut from, and perf's unresolved addresses are one row."""
    if name.startswith("0x") or name in ("", "[unknown]"):
        return "[unknown]"
    m = re.match(r"^([^.]+)\.(part|constprop|isra|cold|clone|lto_priv)(\..*)?$", name)
    return m.group(1) if m else name


def shares(weights, drop=()):
    """name -> share in percent of the total of all rows (less the dropped
    names, whose weight leaves the total too)."""
    tot = {}
    for n, w in weights:
        if n in drop:
            continue
        n = fold(n)
        tot[n] = tot.get(n, 0) + w
    s = sum(tot.values())
    return {n: 100.0 * w / s for n, w in tot.items()} if s > 0 else {}


def perf_profile(argv, stdin, work, tag):
    """perf record -e cpu-clock of one run: (rows (name, samples), total)."""
    if not HAVE_PERF:
        raise RuntimeError("perf cannot sample here (not installed, or perf_event_paranoid)")
    data = os.path.join(work, tag + ".perf")
    fin = open(stdin or os.devnull, "rb")
    p = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", FREQ, "-o", data, "--"] + argv,
                       stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    fin.close()
    if p.returncode != 0:
        raise RuntimeError("perf record failed: " + last_line(p.stderr))
    st, out = run_quiet(["perf", "report", "-i", data, "--stdio", "-q", "--no-children",
                         "--sort", "sym", "-F", "sample,sym", "--percent-limit", "0"])
    if st != 0:
        raise RuntimeError("perf report failed: " + last_line(out))
    rows = []
    PERF_SAMPLES[tag] = 0
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+)\s+\[(.)\]\s+(.*?)\s*$", line)
        if m:
            rows.append((m.group(3), int(m.group(1))))
            PERF_SAMPLES[tag] += int(m.group(1))
    os.unlink(data)
    if not rows:
        raise RuntimeError("perf report printed no samples")
    return rows


def cprof_record(argv, stdin, work, tag, opts, pin=False):
    """cprof record of one run: (json report, wall, cpu) or raises."""
    run = os.path.join(work, tag + ".cprof")
    shutil.rmtree(run, ignore_errors=True)
    shutil.rmtree(run + ".old", ignore_errors=True)
    cmd = (["taskset", "-c", "0"] if pin else []) + [CPROF, "record", "-o", run] + opts + ["--"] + argv
    st, w, c = timed(cmd, stdin)
    if st != 0:
        raise RuntimeError("cprof record exited with %d" % st)
    rep = subprocess.run([CPROF, "report", "--format", "json", run], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    shutil.rmtree(run, ignore_errors=True)
    if rep.returncode != 0:
        raise RuntimeError("cprof report failed: " + last_line(rep.stderr))
    return json.loads(rep.stdout), w, c


def cprof_reference(plain_exe, argv, stdin, work, tag):
    """cprof record --reference of one run (the plain build sampled, then
    the hooked one): its JSON report, or raises RuntimeError."""
    run = os.path.join(work, tag + ".cprof")
    shutil.rmtree(run, ignore_errors=True)
    shutil.rmtree(run + ".old", ignore_errors=True)
    cmd = [CPROF, "record", "-o", run, "--reference", plain_exe, "-e", "task-clock",
           "-F", FREQ, "--"] + argv
    st, _, _ = timed(cmd, stdin)
    if st != 0:
        raise RuntimeError("cprof record --reference exited with %d" % st)
    rep = subprocess.run([CPROF, "report", "--format", "json", run], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    shutil.rmtree(run, ignore_errors=True)
    if rep.returncode != 0:
        raise RuntimeError("cprof report failed: " + last_line(rep.stderr))
    return json.loads(rep.stdout)


def gap(ref, other, top):
    d = [abs(other.get(n, 0.0) - ref.get(n, 0.0)) for n in top]
    return max(d), sum(d) / len(d)


def hook_counts(exe, argv, stdin, work, hooklib):
    """One cprof record run with the counting hook preloaded before
    libcprof (it passes every call on): (cprof's name -> calls, the hook's
    name -> calls, calls the hook saw at addresses nm does not name)."""
    out = os.path.join(work, "counts.txt")
    run = os.path.join(work, "counts.cprof")
    shutil.rmtree(run, ignore_errors=True)
    # cprof puts its runtime first in LD_PRELOAD; the hook must come first.
    cmd = [CPROF, "record", "-o", run, "--", "sh", "-c",
           'LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"', hooklib] + argv
    env = dict(os.environ, CPROF_BENCH_COUNTS=out)
    st, _, _ = timed(cmd, stdin, env)
    if st != 0 or not os.path.exists(out):
        raise RuntimeError("the counting-hook run failed (status %d)" % st)
    rep = subprocess.run([CPROF, "report", "--format", "json", run], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    shutil.rmtree(run, ignore_errors=True)
    if rep.returncode != 0:
        raise RuntimeError("cprof report failed: " + last_line(rep.stderr))
    got = {}
    for f in json.loads(rep.stdout)["functions"]:
        if f["calls"]:
            got[f["name"]] = got.get(f["name"], 0) + f["calls"]
    st, nm = run_quiet(["nm", "--defined-only", exe])
    if st != 0:
        raise RuntimeError("nm failed: " + last_line(nm))
    byaddr = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwWiI":
            byaddr.setdefault(int(f[0], 16), f[2])
    counts, unknown, real = {}, 0, os.path.realpath(exe)
    with open(out) as f:
        for line in f:
            obj, off, n = line.split()
            if obj == "dropped":
                raise RuntimeError("the counting hook's table overflowed")
            name = byaddr.get(int(off, 16)) if os.path.realpath(obj) == real else None
            if name is None:
                unknown += int(n)
                continue
            counts[name] = counts.get(name, 0) + int(n)
    os.unlink(out)
    return got, counts, unknown


# ----------------------------------------------------------------- output

def fmt_time(t):
    return "%8.2f" % t if t is not None else "     n/a"


def table(title, ref, cols, top):
    """Prints the reference's top functions with every profile's share."""
    say("    %-28s %s" % (title, " ".join("%10s" % c[0][:10] for c in cols)))
    for n in top:
        say("    %-28s %s" % (n[:28], " ".join(
            "%10s" % ("%.1f" % c[1][n] if n in c[1] else "-") for c in cols)))


def measure(prog, exes, work, hooklib):
    plain_cache = {}

    def plain_results(pname):
        if pname in plain_cache:
            return plain_cache[pname]
        exe = exes[pname]
        argv, stdin = prog.argv(exe)
        r = {"exe": exe}
        r["digest"] = {"work": work}
        r["time"] = best(argv, stdin, digest=r["digest"])
        r["pinned"] = best(["taskset", "-c", "0"] + argv, stdin)
        try:
            r["ref"] = shares(perf_profile(argv, stdin, work, pname + "-ref"))
            r["noise"] = shares(perf_profile(argv, stdin, work, pname + "-noise"))
        except RuntimeError as e:
            r["perf_error"] = str(e)
        try:
            rep, _, _ = cprof_record(argv, stdin, work, pname + "-sampled",
                                     ["-e", "task-clock", "-F", FREQ])
            r["cprof_sampled"] = shares((f["name"], f["samples"]) for f in rep["functions"])
        except (RuntimeError, ValueError) as e:
            r["cprof_sampled_error"] = str(e)
        plain_cache[pname] = r
        return r

    for bname, _, flags, pname in BUILDS:
        if pname is None:
            continue
        say("")
        say("  %s (%s) against %s" % (bname, " ".join(flags), pname))
        if bname not in exes:
            skip(bname, exes.get("!" + bname, "not built"))
            continue
        if pname not in exes:
            skip(bname, "its plain build %s is missing: %s" % (pname, exes.get("!" + pname, "")))
            continue
        pr = plain_results(pname)
        exe = exes[bname]
        argv, stdin = prog.argv(exe)
        xray = "-fxray-instrument" in flags
        summ = {}
        SUMMARY.append(("%s %s" % (prog.name, bname.replace("after-inlining", "AI")), summ))
        # Times.
        dg = {"work": work}
        noop = best(argv, stdin, digest=dg)
        nsyms, psyms = function_symbols(exe), function_symbols(pr["exe"])
        if nsyms and psyms:
            say("    function symbols: %d in this build, %d in %s" % (nsyms, psyms, pname))
        if noop and pr["time"] and dg.get("sha") != pr["digest"].get("sha"):
            say("    warning: this build's output differs from %s's: its figures are not comparable" % pname)
        noop_pin = best(["taskset", "-c", "0"] + argv, stdin)
        recs = {}
        for label, opts in (("cprof record", []), ("cprof --no-counters", ["--no-counters"])):
            for pin in (False, True):
                ws, cs, rep, err = [], [], None, None
                for i in range(REPS):
                    try:
                        j, w, c = cprof_record(argv, stdin, work, bname + "-rec", opts, pin)
                    except (RuntimeError, ValueError) as e:
                        err = str(e)
                        break
                    ws.append(w)
                    cs.append(c)
                    if rep is None:
                        rep = j
                recs[(label, pin)] = (None, err) if err else ((min(ws), min(cs)), None)
                if label == "cprof record" and not pin:
                    recs["report"] = rep
                    recs["report_error"] = err
        say("    %-28s %8s %8s %8s %8s   %s" % (
            "times (s), best of %d" % REPS, "wall", "cpu", "pin wall", "pin cpu",
            "x plain: wall  cpu  pin-wall pin-cpu"))
        base = [pr["time"], pr["pinned"]]

        def line(label, t, tp, err=None):
            if t is None or tp is None:
                say("    %-28s %s" % (label, "skip: " + (err or "the run failed")))
                return
            ratios = ""
            if base[0] and base[1]:
                ratios = "        %5.2f %5.2f %5.2f    %5.2f" % (t[0] / base[0][0], t[1] / base[0][1],
                                                       tp[0] / base[1][0], tp[1] / base[1][1])
            say("    %-28s %s %s %s %s   %s" % (label, fmt_time(t[0]), fmt_time(t[1]),
                                                fmt_time(tp[0]), fmt_time(tp[1]), ratios))

        line("plain (%s)" % pname, pr["time"], pr["pinned"])
        line("unpatched sleds" if xray else "glibc no-op hooks", noop, noop_pin)
        if pr["time"]:
            summ["plain"] = "%.2f/%.2f" % pr["time"]
        if pr["time"] and noop:
            summ["noop"] = "%.2f/%.2f" % (noop[0] / pr["time"][0], noop[1] / pr["time"][1])
        for label in ("cprof record", "cprof --no-counters"):
            (t, e1), (tp, e2) = recs[(label, False)], recs[(label, True)]
            line(label, t, tp, e1 or e2)
            if label == "cprof record" and t and tp and noop and noop_pin:
                summ["cprof"] = "%.2f/%.2f" % (t[0] / noop[0], t[1] / noop[1])
                summ["pinned"] = "%.2f/%.2f" % (tp[0] / noop_pin[0], tp[1] / noop_pin[1])
            if t and tp and noop and noop_pin:
                say("    %-28s %8.2f %8.2f %8.2f %8.2f   (target <= 1.5)" % (
                    "  x " + ("unpatched" if xray else "no-op hooks"), t[0] / noop[0], t[1] / noop[1], tp[0] / noop_pin[0], tp[1] / noop_pin[1]))
        # Truth.
        if "ref" not in pr:
            skip("shares", pr.get("perf_error", "no perf reference"))
        else:
            ref = pr["ref"]
            top = sorted(ref, key=lambda n: -ref[n])[:TOP]
            cols = [("perf plain", ref), ("perf again", pr["noise"])]
            gaps = [("perf against itself (noise)", gap(ref, pr["noise"], top))]
            try:
                hooked = shares(perf_profile(argv, stdin, work, bname + "-floor"), drop=HOOK_NAMES + tuple(
                    h + "@plt" for h in HOOK_NAMES))
                cols.append(("perf hooks", hooked))
                gaps.append(("floor: perf on this build", gap(ref, hooked, top)))
            except RuntimeError as e:
                gaps.append(("floor: perf on this build", None))
                skip("floor", str(e))
            rep = recs.get("report")
            if rep is None:
                skip("cprof's gap", recs.get("report_error") or "no report")
            elif sum(f["self_ns"] for f in rep["functions"]) == 0 or not any(
                    f["calls"] for f in rep["functions"]):
                skip("cprof's gap", "cprof recorded no marker from this build")
            else:
                c = shares((f["name"], f["self_ns"]) for f in rep["functions"])
                cols.append(("cprof self", c))
                gaps.append(("cprof self time (self_ns)" + (", patched" if xray else ""),
                             gap(ref, c, top)))
            # Target 2(b): self time from a sampled run of the plain build.
            try:
                rj = cprof_reference(pr["exe"], argv, stdin, work, bname + "-reference")
                c = shares((f["name"], f["self_ns"]) for f in rj["functions"])
                inl = sum(1 for f in rj["functions"] if f.get("inlined_in_reference"))
                cols.append(("cprof --ref", c))
                gaps.append(("cprof --reference %s" % os.path.basename(pname), gap(ref, c, top)))
                say("    cprof --reference: %d functions marked inlined in %s; totals %s" % (
                    inl, pname, rj.get("reference", {}).get("totals", "?")))
            except (RuntimeError, ValueError, KeyError) as e:
                skip("cprof --reference", str(e))
            if "cprof_sampled" in pr:
                cols.append(("cprof smpl", pr["cprof_sampled"]))
                gaps.append(("cprof -e task-clock, plain", gap(ref, pr["cprof_sampled"], top)))
            else:
                skip("cprof's sampling of the plain build", pr.get("cprof_sampled_error", "?"))
            say("    shares of all samples (%%), top %d of perf -e cpu-clock -F %s on %s (%d samples):" % (
                TOP, FREQ, pname, PERF_SAMPLES.get(pname + "-ref", 0)))
            table("function", ref, cols, top)
            say("    gap over those %d, points        max   mean" % len(top))
            for label, g in gaps:
                if g is not None:
                    say("    %-34s %5.1f  %5.1f" % (label, g[0], g[1]))
            keys = {"perf against itself": "noise", "floor:": "floor", "cprof self": "self",
                    "cprof --reference": "reference", "cprof -e task-clock": "sampled"}
            for label, g in gaps:
                for prefix, key in keys.items():
                    if g is not None and label.startswith(prefix):
                        summ[key] = "%.1f/%.1f" % g
        # Counts.
        if xray:
            skip("counts", "an XRay build has no __cyg_profile_func_enter hook to count with")
        elif recs.get("report") is None:
            skip("counts", recs.get("report_error") or "no cprof report")
        else:
            try:
                got, truth, unknown = hook_counts(exe, argv, stdin, work, hooklib)
                names = set(truth) | set(got)
                same = [n for n in names if truth.get(n, 0) == got.get(n, 0)]
                summ["counts"] = "%d of %d" % (len(same), len(names))
                say("    counts: %d of %d functions have cprof's count exactly as a chained counting hook "
                    "saw it in the same run (%d calls by the hook, %d by cprof%s)" % (
                        len(same), len(names), sum(truth.values()), sum(got.values()),
                        ", %d at unknown addresses" % unknown if unknown else ""))
                bad = sorted(set(names) - set(same), key=lambda n: -abs(truth.get(n, 0) - got.get(n, 0)))
                for n in bad[:5]:
                    say("      %-30s hook %12d  cprof %12d" % (n[:30], truth.get(n, 0), got.get(n, 0)))
            except RuntimeError as e:
                skip("counts", str(e))


def summary():
    """The issue's targets side by side: one column per program and hooked
    build, one line per figure; "-" where it could not be measured."""
    if not SUMMARY:
        return
    rows = [
        ("plain: wall/cpu (s)", "plain", ""),
        ("no-op hooks / plain", "noop", "(XRay: sleds unpatched)"),
        ("cprof record / no-op", "cprof", "target <= 1.5"),
        ("  pinned, taskset -c 0", "pinned", "target <= 1.5"),
        ("perf against itself", "noise", "max/mean points"),
        ("floor: perf on the build", "floor", ""),
        ("cprof self (XRay patched)", "self", "target floor +1/+0.5"),
        ("cprof --reference", "reference", "target 2/1"),
        ("cprof sampling the plain", "sampled", "beside perf"),
        ("exact call counts", "counts", ""),
    ]
    w = max(14, max(len(t) for t, _ in SUMMARY) + 1)
    say("")
    say("Issue 8's targets, side by side (times best of %d, wall/cpu; shares: max/mean"
        % REPS)
    say("gap in points over perf -e cpu-clock's top %d on the plain build of the same compiler):" % TOP)
    for i in range(0, len(SUMMARY), 4):
        part = SUMMARY[i:i + 4]
        say("  %-26s %s" % ("", "".join("%*s" % (w, t) for t, _ in part)))
        for label, key, note in rows:
            say("  %-26s %s  %s" % (label, "".join("%*s" % (w, d.get(key, "-")) for _, d in part), note))


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def main():
    t_start = time.time()
    say("cprof bench-real: real programs from their Debian sources, built plain and with hooks")
    say("(times: best of %d runs each; CPU = user + sys of all threads and children; "
        "pin = taskset -c 0)" % REPS)
    say("(load average %s at the start, on %d CPUs: wall times and cprof's wall-clock self "
        "times are only as quiet as the machine)" % (loadavg(), os.cpu_count() or 0))
    missing = [t for t in ("gcc", "nm", "taskset") if not shutil.which(t)]
    if missing:
        say("skip: bench-real needs %s" % ", ".join(missing))
        return 0
    global HAVE_PERF
    HAVE_PERF = bool(shutil.which("perf")) and run_quiet(["perf", "stat", "-e", "cpu-clock", "true"])[0] == 0
    if not HAVE_PERF:
        say("note: perf cannot sample here (not installed or perf_event_paranoid); no shares")
    if not shutil.which("clang"):
        say("note: no clang (apt-get install clang): its builds are skipped")
    work = tempfile.mkdtemp(prefix="cprof-bench-real.")
    try:
        hooklib = os.path.join(work, "counthook.so")
        st, out = run_quiet(["gcc", "-O2", "-shared", "-fPIC", "-o", hooklib,
                             os.path.join(HERE, "counthook.c"), "-ldl"])
        if st != 0:
            say("skip: cannot build the counting hook: " + last_line(out))
            return 0
        only = os.environ.get("BENCH_PROGRAMS", "lua,zlib").split(",")
        for cls in (Lua, Zlib):
            key = "lua" if cls is Lua else "zlib"
            if key not in only:
                continue
            say("")
            try:
                srcdir = fetch_source(cls.pkg, cls.pattern)
            except RuntimeError as e:
                say("%s: skip: the sources cannot be had: %s" % (cls.pkg, e))
                continue
            prog = cls(srcdir)
            say("%s: %s" % (os.path.basename(srcdir), prog.describe()))
            if isinstance(prog, Zlib):
                prog.make_data()
            exes = {}
            for bname, cc, flags, _ in BUILDS:
                if not shutil.which(cc):
                    exes["!" + bname] = "no %s on this machine" % cc
                    continue
                try:
                    exes[bname] = build(prog, bname, cc, flags)
                except RuntimeError as e:
                    exes["!" + bname] = str(e)
            measure(prog, exes, work, hooklib)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary()
    say("")
    say("bench-real took %.0f s; load average %s at the end" % (time.time() - t_start, loadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
