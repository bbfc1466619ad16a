# t/report.mk - end-to-end tests of the report at scale and of profiles
# without hooks: many functions, many threads, sort orders and broken
# callchains of sampled programs. The scripts build their own programs.
REPORT_TESTS = \
	t/e2e-report-scale.sh \
	t/e2e-report-sampled.sh
TESTS += $(REPORT_TESTS)
EXTRA_DIST += $(REPORT_TESTS) t/progs/sampled.c
