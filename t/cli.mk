# t/cli.mk - unit tests of the CLI's reading side: the log reader, the
# profile aggregation and the counter merge, each on synthetic logs written
# by the test itself.
check_PROGRAMS += t/test-reader t/test-profile
TESTS += t/test-reader t/test-profile
t_test_reader_SOURCES = t/test-reader.c t/testlog.h
t_test_reader_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_reader_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
t_test_profile_SOURCES = t/test-profile.c t/testlog.h t/testprof.h
t_test_profile_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_profile_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
check_PROGRAMS += t/test-merge
TESTS += t/test-merge
t_test_merge_SOURCES = t/test-merge.c t/testlog.h t/testprof.h
t_test_merge_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_merge_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
# The order of a report's rows and tables, on profiles built in memory.
check_PROGRAMS += t/test-output
TESTS += t/test-output
t_test_output_SOURCES = t/test-output.c
t_test_output_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
t_test_output_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)

# The table laid out for a terminal (issue 7).
check_PROGRAMS += t/test-term
TESTS += t/test-term
t_test_term_SOURCES = t/test-term.c
t_test_term_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
t_test_term_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)

# The calling-context tree and call graph (issue 9).
check_PROGRAMS += t/test-cct
TESTS += t/test-cct
t_test_cct_SOURCES = t/test-cct.c
t_test_cct_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
t_test_cct_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
# The tree and call graph as the replay builds them, and their JSON.
check_PROGRAMS += t/test-views
TESTS += t/test-views
t_test_views_SOURCES = t/test-views.c t/testlog.h t/testprof.h
t_test_views_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_views_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
# Samples in the right frame: the skew bound and placement by address.
check_PROGRAMS += t/test-place
TESTS += t/test-place
t_test_place_SOURCES = t/test-place.c t/testlog.h t/testprof.h
t_test_place_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_place_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)
# The hybrid's accounting: compensation and the reconciliation of marker
# time with samples (issue 8).
check_PROGRAMS += t/test-hybrid
TESTS += t/test-hybrid
t_test_hybrid_SOURCES = t/test-hybrid.c t/testlog.h t/testprof.h
t_test_hybrid_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MSGPACK_CFLAGS)
t_test_hybrid_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS)

# The p-value of Student's t that cprof diff judges changes with (issue 9).
check_PROGRAMS += t/test-stats
TESTS += t/test-stats
t_test_stats_SOURCES = t/test-stats.c
t_test_stats_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
t_test_stats_LDADD = cli/libcprof-cli.la $(CUNIT_LIBS) -lm
