# t/events.mk - tests of event selection (cli/events.c): names resolved
# with libpfm4, the errors for unknown and refused events, the default
# events and their fallback, the environment handed to the runtime, and
# `cprof list`.
check_PROGRAMS += t/test-events
TESTS += t/test-events t/e2e-events.sh
EXTRA_DIST += t/e2e-events.sh
t_test_events_SOURCES = t/test-events.c
t_test_events_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
t_test_events_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
