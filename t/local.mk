# t/local.mk - tests run by `make check`: one CUnit program per module and
# end-to-end shell scripts, each in its own process under automake's
# parallel harness. A test that needs what the machine lacks exits 77.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CPROF=$(abs_top_builddir)/cli/cprof; \
	CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so; \
	TOP_BUILDDIR=$(abs_top_builddir); TOP_SRCDIR=$(abs_top_srcdir); \
	export CPROF CPROF_LIBRARY TOP_BUILDDIR TOP_SRCDIR;
EXTRA_DIST += t/lib.sh t/unit.h

include t/lib.mk
include t/cli.mk
include t/e2e.mk
include t/events.mk
include t/counters.mk
include t/report.mk
