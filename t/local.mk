# t/local.mk - tests run by `make check`: one CUnit program per module and
# end-to-end shell scripts, each in its own process under automake's
# parallel harness. A test that needs what the machine lacks exits 77.
# Every test runs under a time limit (t/limit.sh), so that a deadlock
# fails the suite instead of hanging it; the sanitizer builds, several
# times slower, get a multiple of it (configure's TEST_TIME_SCALE). The
# end-to-end scripts also bound each command they run (E2E_TIMEOUT).
TEST_TIME_LIMIT = $$((300 * $(TEST_TIME_SCALE)))
TEST_EXTENSIONS = .sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/t/limit.sh $(TEST_TIME_LIMIT)
SH_LOG_COMPILER = $(LOG_COMPILER) $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CPROF=$(abs_top_builddir)/cli/cprof; \
	CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so; \
	TOP_BUILDDIR=$(abs_top_builddir); TOP_SRCDIR=$(abs_top_srcdir); \
	E2E_TIMEOUT=$$((120 * $(TEST_TIME_SCALE))); \
	export CPROF CPROF_LIBRARY TOP_BUILDDIR TOP_SRCDIR E2E_TIMEOUT;
EXTRA_DIST += t/lib.sh t/limit.sh t/tsan.supp t/unit.h

include t/lib.mk
include t/cli.mk
include t/e2e.mk
include t/events.mk
include t/counters.mk
include t/report.mk
include t/reference.mk
include t/dwarf.mk
include t/fuzz/local.mk
