# bench/local.mk - `make bench`: side-by-side overhead figures, not a test.
EXTRA_DIST += bench/run-bench.sh bench/callheavy.c bench/genmany.sh
bench: all
	@CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so \
		CPROF=$(abs_top_builddir)/cli/cprof CC="$(CC)" \
		$(SHELL) $(srcdir)/bench/run-bench.sh $(srcdir)/bench
.PHONY: bench
