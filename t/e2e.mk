# t/e2e.mk - end-to-end tests: small programs with a known profile
# (t/progs/), built with -finstrument-functions or linked with libcprof
# for the manual markers, and the shell scripts that run them under the
# cprof tool and check its output (t/e2e-*.sh, helpers in t/lib.sh).
# The programs keep the warning and sanitizer flags of the build; a
# script that needs a program built its own way (shared libraries, a PIE
# and a fixed-address executable) builds it with $(CC).

# Flags of the instrumented programs.
E2E_INSTR_CFLAGS = $(AM_CFLAGS) -finstrument-functions -g -O1
E2E_INSTR_CXXFLAGS = $(AM_CXXFLAGS) -finstrument-functions -g -O1

check_PROGRAMS += \
	t/progs/calls \
	t/progs/passthru \
	t/progs/threads \
	t/progs/fork \
	t/progs/crash \
	t/progs/cxx \
	t/progs/sighandler \
	t/progs/markers \
	t/progs/markers-cxx \
	t/progs/sigstate

# Every way out of a process (issue 6, lifetime).
check_PROGRAMS += t/progs/lifetime
t_progs_lifetime_SOURCES = t/progs/lifetime.c t/progs/progs.h
t_progs_lifetime_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_lifetime_LDFLAGS = $(AM_LDFLAGS) -pthread

# The runtime under the shapes programs have (issue 6): descriptors,
# limits, sandboxes, namespaces. sandbox is a plain helper.
check_PROGRAMS += \
	t/progs/fdabuse \
	t/progs/fdlimit \
	t/progs/sandbox \
	t/progs/sandboxed \
	t/progs/userns

t_progs_fdabuse_SOURCES = t/progs/fdabuse.c t/progs/progs.h
t_progs_fdabuse_CFLAGS = $(E2E_INSTR_CFLAGS)

t_progs_fdlimit_SOURCES = t/progs/fdlimit.c t/progs/progs.h
t_progs_fdlimit_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_fdlimit_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_sandbox_SOURCES = t/progs/sandbox.c t/progs/sandbox.h

t_progs_sandboxed_SOURCES = t/progs/sandboxed.c t/progs/sandbox.h \
	t/progs/progs.h
t_progs_sandboxed_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_sandboxed_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_userns_SOURCES = t/progs/userns.c t/progs/progs.h
t_progs_userns_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_userns_LDFLAGS = $(AM_LDFLAGS) -pthread

# Programs that install seccomp filters of their own (e2e-seccomp.sh).
check_PROGRAMS += t/progs/seccomp
t_progs_seccomp_SOURCES = t/progs/seccomp.c t/progs/progs.h
t_progs_seccomp_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_seccomp_LDFLAGS = $(AM_LDFLAGS) -pthread
t_progs_seccomp_LDADD = -ldl

# The call graph and tree (issue 9): mutual recursion, two callers.
check_PROGRAMS += t/progs/mutual t/progs/twocallers
# cprof diff, tags, budgets and report-time filters (issue 9).
check_PROGRAMS += t/progs/diffwork
t_progs_diffwork_SOURCES = t/progs/diffwork.c t/progs/progs.h
t_progs_diffwork_CFLAGS = $(E2E_INSTR_CFLAGS)
t_progs_mutual_SOURCES = t/progs/mutual.c t/progs/progs.h
t_progs_mutual_CFLAGS = $(E2E_INSTR_CFLAGS)
t_progs_twocallers_SOURCES = t/progs/twocallers.c t/progs/progs.h
t_progs_twocallers_CFLAGS = $(E2E_INSTR_CFLAGS)
# Frames with spikes (issue 9): hooks and frame marks.
check_PROGRAMS += t/progs/spikes
t_progs_spikes_SOURCES = t/progs/spikes.c t/progs/progs.h
t_progs_spikes_CFLAGS = $(E2E_INSTR_CFLAGS)
t_progs_spikes_LDADD = lib/libcprof.la
t_progs_spikes_LDFLAGS = $(AM_LDFLAGS) -no-install

# The example program of `make demo` (see Makefile.am).
noinst_PROGRAMS = t/progs/demo

# Adaptive timing (issue 8): tiny functions counted, large ones timed.
check_PROGRAMS += t/progs/adapt
t_progs_adapt_SOURCES = t/progs/adapt.c t/progs/progs.h
t_progs_adapt_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_adapt_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_calls_SOURCES = t/progs/calls.c t/progs/progs.h
t_progs_calls_CFLAGS = $(E2E_INSTR_CFLAGS)

t_progs_passthru_SOURCES = t/progs/passthru.c t/progs/progs.h
t_progs_passthru_CFLAGS = $(E2E_INSTR_CFLAGS)

t_progs_threads_SOURCES = t/progs/threads.c t/progs/progs.h
t_progs_threads_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_threads_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_fork_SOURCES = t/progs/fork.c t/progs/progs.h
t_progs_fork_CFLAGS = $(E2E_INSTR_CFLAGS)

t_progs_crash_SOURCES = t/progs/crash.c t/progs/progs.h
t_progs_crash_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_crash_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_cxx_SOURCES = t/progs/cxx.cc t/progs/progs.h
t_progs_cxx_CXXFLAGS = $(E2E_INSTR_CXXFLAGS)

t_progs_sighandler_SOURCES = t/progs/sighandler.c t/progs/progs.h
t_progs_sighandler_CFLAGS = $(E2E_INSTR_CFLAGS)

t_progs_sigstate_SOURCES = t/progs/sigstate.c t/progs/progs.h
t_progs_sigstate_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_sigstate_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_demo_SOURCES = t/progs/demo.c t/progs/progs.h
t_progs_demo_CFLAGS = $(E2E_INSTR_CFLAGS)

# Manual markers: linked with libcprof, not instrumented. -no-install
# links the program itself rather than a libtool wrapper script, so that
# cprof runs the program and not a shell.
t_progs_markers_SOURCES = t/progs/markers.c t/progs/progs.h
t_progs_markers_LDADD = lib/libcprof.la
t_progs_markers_LDFLAGS = $(AM_LDFLAGS) -no-install

t_progs_markers_cxx_SOURCES = t/progs/markers-cxx.cc t/progs/progs.h
t_progs_markers_cxx_LDADD = lib/libcprof.la
t_progs_markers_cxx_LDFLAGS = $(AM_LDFLAGS) -no-install

# What the scripts build themselves.
EXTRA_DIST += \
	t/progs/rawclone.c \
	t/progs/shlib-main.c \
	t/progs/shlib-lib.c \
	t/progs/shlib-strip.c \
	t/progs/shlib-dl.c \
	t/progs/dlreload.c \
	t/progs/dlplugin.c \
	t/progs/secure.c \
	t/progs/ownhooks.c

# Per-thread state and thread ends no destructor sees (issue 6): set*id,
# raw exit, seccomp strict mode, PR_SET_TSC, RLIMIT_FSIZE.
check_PROGRAMS += t/progs/threadstate
t_progs_threadstate_SOURCES = t/progs/threadstate.c t/progs/progs.h
t_progs_threadstate_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_threadstate_LDFLAGS = $(AM_LDFLAGS) -pthread

# Non-local exits and stack switches (the shadow stack, lib/shadow.c).
EXTRA_DIST += \
	t/progs/nonlocal.c \
	t/progs/coro.c \
	t/progs/unwind.cc

# The scripts find the compiler for the programs they build, and know
# when the build uses sanitizers.
AM_TESTS_ENVIRONMENT += CC='$(CC)'; export CC;
# Where configure put the runtime: an installed one there is found too.
AM_TESTS_ENVIRONMENT += CONF_LIBDIR='$(libdir)'; export CONF_LIBDIR;
if SANITIZE
AM_TESTS_ENVIRONMENT += SANITIZE=yes; SAN_PRELOAD='$(SAN_PRELOAD)'; \
	SAN_PRELOAD_AFTER=$(SAN_PRELOAD_AFTER); \
	export SANITIZE SAN_PRELOAD SAN_PRELOAD_AFTER;
endif
# Under TSan: die_after_fork=0 lets a program start a thread in the child
# of a multi-threaded fork, which TSan does not support (its own words)
# and the runtime does by design (it restarts its writer thread in every
# fork child). Reports that are TSan's own are suppressed in t/tsan.supp,
# each with its reason.
if SANITIZE_THREAD
AM_TESTS_ENVIRONMENT += \
	TSAN_OPTIONS="$${TSAN_OPTIONS:+$$TSAN_OPTIONS:}die_after_fork=0:suppressions=$(abs_top_srcdir)/t/tsan.supp"; \
	TSAN=yes; export TSAN_OPTIONS TSAN;
endif

E2E_TESTS = \
	t/e2e-calls.sh \
	t/e2e-adapt.sh \
	t/e2e-exit-status.sh \
	t/e2e-report.sh \
	t/e2e-report-memory.sh \
	t/e2e-threads.sh \
	t/e2e-fork.sh \
	t/e2e-sigkill.sh \
	t/e2e-crash.sh \
	t/e2e-record-signal.sh \
	t/e2e-sighandler.sh \
	t/e2e-unwritable.sh \
	t/e2e-cxx.sh \
	t/e2e-shlib.sh \
	t/e2e-dlclose.sh \
	t/e2e-markers.sh \
	t/e2e-bad-logs.sh \
	t/e2e-cli-errors.sh \
	t/e2e-docs.sh \
	t/e2e-demo.sh \
	t/e2e-signals.sh \
	t/e2e-secure.sh \
	t/e2e-rundir.sh \
	t/e2e-own-hooks.sh \
	t/e2e-install.sh \
	t/e2e-fuzz-seeds.sh

# Lifetime (issue 6): every way out, the last pthread_exit, vfork,
# explicit environments, daemons.
E2E_TESTS += \
	t/e2e-exits.sh \
	t/e2e-pthread-exit.sh \
	t/e2e-vfork.sh \
	t/e2e-inherit.sh \
	t/e2e-daemon.sh

# The runtime's descriptors, limits, sandboxes and namespaces (issue 6).
E2E_TESTS += \
	t/e2e-fds.sh \
	t/e2e-fdlimit.sh \
	t/e2e-sandbox.sh \
	t/e2e-userns.sh \
	t/e2e-seccomp.sh

# Non-local exits and stack switches (the shadow stack, lib/shadow.c).
E2E_TESTS += \
	t/e2e-nonlocal.sh \
	t/e2e-nonlocal-clang.sh \
	t/e2e-nonlocal-memory.sh \
	t/e2e-coroutines.sh \
	t/e2e-unwind.sh \
	t/e2e-unwind-clang.sh

# The table on a terminal (issue 7): many functions, long names.
check_PROGRAMS += t/progs/wide
t_progs_wide_SOURCES = t/progs/wide.c t/progs/progs.h
t_progs_wide_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-term.sh

# The runtime's own cost kept out of the program's functions (issue 7).
check_PROGRAMS += t/progs/ownfaults
t_progs_ownfaults_SOURCES = t/progs/ownfaults.c t/progs/progs.h
t_progs_ownfaults_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_ownfaults_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-own-cost.sh

# LLVM XRay as a marker source (issue 8): the script builds with clang.
EXTRA_DIST += t/progs/xray.c t/progs/xray-mixed.c t/progs/xray-lib.c
E2E_TESTS += t/e2e-xray.sh t/e2e-nonlocal-xray.sh t/e2e-unwind-xray.sh


# Per-thread state and thread ends no destructor sees (threadstate above).
E2E_TESTS += t/e2e-threadstate.sh
# Every number the runtime uses taken by the program before a fork.
check_PROGRAMS += t/progs/fdtake
t_progs_fdtake_SOURCES = t/progs/fdtake.c t/progs/progs.h
t_progs_fdtake_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_fdtake_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-fdtake.sh
# A daemon left running after `cprof stat` removed its run directory.
check_PROGRAMS += t/progs/leftover
t_progs_leftover_SOURCES = t/progs/leftover.c t/progs/progs.h
t_progs_leftover_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-leftover.sh
# exec from a thread on a small stack, with environments of every size.
check_PROGRAMS += t/progs/smallstack
t_progs_smallstack_SOURCES = t/progs/smallstack.c t/progs/progs.h
t_progs_smallstack_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_smallstack_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-smallstack.sh
# A small address-space limit.
check_PROGRAMS += t/progs/aslimit
t_progs_aslimit_SOURCES = t/progs/aslimit.c t/progs/progs.h
t_progs_aslimit_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-aslimit.sh
# Fork children of a process that records nothing start no writer thread.
check_PROGRAMS += t/progs/forkmany
t_progs_forkmany_SOURCES = t/progs/forkmany.c t/progs/progs.h
t_progs_forkmany_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_forkmany_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-forkcost.sh
# A run that cannot record says so once, not once per process.
E2E_TESTS += t/e2e-quiet.sh
# Raw clone(): processes and threads the runtime did not set up.
E2E_TESTS += t/e2e-rawclone.sh
# The call graph and tree (issue 9), on mutual and twocallers.
E2E_TESTS += t/e2e-callgraph.sh t/e2e-frames.sh
E2E_TESTS += t/e2e-callgraph.sh
# cprof diff, record -r, tags, budgets and report-time filters (issue 9).
E2E_TESTS += t/e2e-diff.sh t/e2e-budget.sh t/e2e-rfilter.sh
TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS)
# Exact mode never reads, ioctls, maps or closes a number the program took.
check_PROGRAMS += t/progs/fdexact
t_progs_fdexact_SOURCES = t/progs/fdexact.c t/progs/progs.h
t_progs_fdexact_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_fdexact_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-fdexact.sh

# Exports (issue 10): Chrome trace JSON, pprof, folded stacks and the flame
# graph, each checked by a real client where one is installed (speedscope
# in headless Chromium, go tool pprof, xmllint and Chromium).
E2E_TESTS += \
	t/e2e-export-chrome.sh \
	t/e2e-export-viewer.sh \
	t/e2e-export-pprof.sh \
	t/e2e-export-folded.sh \
	t/e2e-export-flamegraph.sh

# Record-time selection: --filter, --exclude, --min-duration (issue 8).
E2E_TESTS += t/e2e-select.sh
# Samples in the right frame: throttle, unthrottle and lost records.
E2E_TESTS += t/e2e-throttle.sh
# The runtime's warnings never go into the program's descriptors.
check_PROGRAMS += t/progs/errpeer
t_progs_errpeer_SOURCES = t/progs/errpeer.c t/progs/progs.h
t_progs_errpeer_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-warnpeer.sh
# Fork children that left no log are named in the report.
check_PROGRAMS += t/progs/hidden
t_progs_hidden_SOURCES = t/progs/hidden.c t/progs/progs.h
t_progs_hidden_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-unrecorded.sh
# The program's first open at RLIMIT_NOFILE 5 to 16.
E2E_TESTS += t/e2e-fdedge.sh

# The hybrid's accounting (issue 8): a known split of work between tiny,
# large and C library functions; the script builds with $(CC).
EXTRA_DIST += t/progs/hybrid.c
E2E_TESTS += t/e2e-hybrid.sh

# --alloc (issue 11): allocations with a known profile, in C and C++.
check_PROGRAMS += t/progs/alloc t/progs/alloc-cxx
t_progs_alloc_SOURCES = t/progs/alloc.c t/progs/progs.h
t_progs_alloc_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_alloc_LDFLAGS = $(AM_LDFLAGS) -pthread
t_progs_alloc_LDADD = -ldl
# Sized delete is called by name: clang wants -fsized-deallocation for it.
t_progs_alloc_cxx_SOURCES = t/progs/alloc-cxx.cc t/progs/progs.h
t_progs_alloc_cxx_CXXFLAGS = $(E2E_INSTR_CXXFLAGS) -std=c++17 -fsized-deallocation
E2E_TESTS += t/e2e-alloc.sh
check_PROGRAMS += t/progs/ownmalloc
t_progs_ownmalloc_SOURCES = t/progs/ownmalloc.c t/progs/progs.h
t_progs_ownmalloc_CFLAGS = $(E2E_INSTR_CFLAGS)
# Off-CPU time per function (issue 11): context-switch records.
check_PROGRAMS += t/progs/offcpu
t_progs_offcpu_SOURCES = t/progs/offcpu.c t/progs/progs.h
t_progs_offcpu_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_offcpu_LDFLAGS = $(AM_LDFLAGS) -pthread
E2E_TESTS += t/e2e-offcpu.sh
# System calls per function (issue 11): raw_syscalls tracepoints.
check_PROGRAMS += t/progs/syscalls
t_progs_syscalls_SOURCES = t/progs/syscalls.c t/progs/progs.h
t_progs_syscalls_CFLAGS = $(E2E_INSTR_CFLAGS)
E2E_TESTS += t/e2e-syscalls.sh
