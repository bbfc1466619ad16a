# bench/local.mk - `make bench`: side-by-side overhead figures, not a test.
# `make bench-real`: cprof on real programs (Lua, zlib's minigzip) built
# from their Debian sources into a cache outside the tree; see
# bench/bench-real.py. `make bench` runs it too, and it prints a skip line
# with the reason where the sources or tools cannot be had.
EXTRA_DIST += bench/run-bench.sh bench/callheavy.c bench/genmany.sh bench/bench-real.py \
	bench/counthook.c bench/workload.lua bench/callcost.c
bench: all
	@CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so \
		CPROF=$(abs_top_builddir)/cli/cprof CC="$(CC)" \
		$(SHELL) $(srcdir)/bench/run-bench.sh $(srcdir)/bench
	@echo
	@$(MAKE) $(AM_MAKEFLAGS) --no-print-directory bench-real
bench-real: all
	@if command -v python3 >/dev/null; then \
		CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so \
		CPROF=$(abs_top_builddir)/cli/cprof \
		python3 $(srcdir)/bench/bench-real.py; \
	else \
		echo "bench-real: skip: no python3 on this machine"; \
	fi
.PHONY: bench bench-real
