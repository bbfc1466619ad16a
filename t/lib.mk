# t/lib.mk - unit tests of the runtime (lib/).
check_PROGRAMS += t/test-runtime
TESTS += t/test-runtime
t_test_runtime_SOURCES = t/test-runtime.c
t_test_runtime_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_runtime_LDADD = lib/libcprof-core.la cli/libcprof-cli.la $(CUNIT_LIBS) -lpthread

check_PROGRAMS += t/test-counters
TESTS += t/test-counters
t_test_counters_SOURCES = t/test-counters.c
t_test_counters_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_counters_LDADD = lib/libcprof-core.la $(CUNIT_LIBS) -lpthread

# The runtime's descriptor rules and warnings (issue 6).
check_PROGRAMS += t/test-fds
TESTS += t/test-fds
t_test_fds_SOURCES = t/test-fds.c
t_test_fds_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_fds_LDADD = lib/libcprof-core.la $(CUNIT_LIBS) -lpthread

# The shadow stack (lib/shadow.c) with made-up stack positions.
check_PROGRAMS += t/test-shadow
TESTS += t/test-shadow
t_test_shadow_SOURCES = t/test-shadow.c
t_test_shadow_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -pthread
t_test_shadow_LDADD = lib/libcprof-core.la $(CUNIT_LIBS) -lpthread

# Record-time selection: the writer's --min-duration pass, the CLI checks.
check_PROGRAMS += t/test-select
TESTS += t/test-select
t_test_select_SOURCES = t/test-select.c
t_test_select_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_select_LDADD = lib/libcprof-core.la cli/libcprof-cli.la $(CUNIT_LIBS) -lpthread

# The judgement of a program's seccomp filters (lib/seccomp.c) on
# hand-assembled classic BPF, and the syscall() wrapper.
check_PROGRAMS += t/test-seccomp
TESTS += t/test-seccomp
t_test_seccomp_SOURCES = t/test-seccomp.c
t_test_seccomp_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_seccomp_LDADD = lib/libcprof-core.la $(CUNIT_LIBS) -lpthread
# Adaptive timing (lib/adapt.c): the switch from timed to counted.
check_PROGRAMS += t/test-adapt
TESTS += t/test-adapt
t_test_adapt_SOURCES = t/test-adapt.c
t_test_adapt_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS) -pthread
t_test_adapt_LDADD = lib/libcprof-core.la $(CUNIT_LIBS) -lpthread
