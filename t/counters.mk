# t/counters.mk - end-to-end tests of the perf_event counters: a program
# whose page faults and CPU time per function are known (t/progs/counters.c),
# built with -finstrument-functions and, as counters-plain, without it so
# that its samples can only be attributed by address; and the scripts that
# run them under cprof stat, record and report (t/e2e-counters*.sh).
check_PROGRAMS += \
	t/progs/counters \
	t/progs/counters-plain

t_progs_counters_SOURCES = t/progs/counters.c t/progs/progs.h
t_progs_counters_CFLAGS = $(E2E_INSTR_CFLAGS) -pthread
t_progs_counters_LDFLAGS = $(AM_LDFLAGS) -pthread

t_progs_counters_plain_SOURCES = t/progs/counters.c t/progs/progs.h
t_progs_counters_plain_CFLAGS = $(AM_CFLAGS) -g -O1 -pthread
t_progs_counters_plain_LDFLAGS = $(AM_LDFLAGS) -pthread

COUNTERS_TESTS = \
	t/e2e-counters.sh \
	t/e2e-counters-sampling.sh \
	t/e2e-counters-threads.sh \
	t/e2e-counters-plain.sh \
	t/e2e-counters-binaries.sh \
	t/e2e-counters-defaults.sh
TESTS += $(COUNTERS_TESTS)
EXTRA_DIST += $(COUNTERS_TESTS)
