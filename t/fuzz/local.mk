# t/fuzz/local.mk - `make fuzz`: the libFuzzer target of what `cprof
# report` reads (t/fuzz/fuzz-report.c), in a tree configured with
# CC=clang --enable-sanitizers --enable-fuzzing. It starts from a corpus
# of real runs that t/fuzz/make-corpus.sh records with this build (made
# once, in t/fuzz/corpus) and the small seeds kept in t/fuzz/seeds, runs
# for FUZZ_TIME seconds and fails on any crash, sanitizer report, leak or
# input slower than FUZZ_INPUT_TIMEOUT seconds; what it found is kept in
# t/fuzz/found/ for the report of the failure.
FUZZ_TIME = 60
FUZZ_INPUT_TIMEOUT = 10
FUZZ_FLAGS =
EXTRA_DIST += t/fuzz/fuzz-report.c t/fuzz/make-corpus.sh \
	t/fuzz/seeds/sampling-no-callchain-min \
	t/fuzz/seeds/sampling-no-callchain-reader834

if FUZZ
EXTRA_PROGRAMS = t/fuzz/fuzz-report
t_fuzz_fuzz_report_SOURCES = t/fuzz/fuzz-report.c
t_fuzz_fuzz_report_CFLAGS = $(AM_CFLAGS) $(MSGPACK_CFLAGS) \
	-I$(top_srcdir)/cli -fsanitize=fuzzer
# Linked with its own static copy of the sanitizers' runtime (clang's
# default), not the shared one of the rest of the build (SAN_LDFLAGS):
# libFuzzer brings the C++ runtime in ahead of it, and ASan wants to be
# the first library.
t_fuzz_fuzz_report_LDFLAGS = -fsanitize=fuzzer
t_fuzz_fuzz_report_LDADD = cli/libcprof-cli.la -lm
CLEANFILES += t/fuzz/fuzz-report

t/fuzz/corpus.made: $(check_PROGRAMS) cli/cprof$(EXEEXT) lib/libcprof.la
	rm -rf t/fuzz/corpus && mkdir -p t/fuzz/corpus
	CPROF=$(abs_top_builddir)/cli/cprof \
	CPROF_LIBRARY=$(abs_top_builddir)/lib/.libs/libcprof.so \
	PROGS=$(abs_top_builddir)/t/progs \
		$(SHELL) $(srcdir)/t/fuzz/make-corpus.sh t/fuzz/corpus
	touch $@

fuzz: t/fuzz/fuzz-report$(EXEEXT) t/fuzz/corpus.made
	rm -rf t/fuzz/found && mkdir -p t/fuzz/new t/fuzz/found
	ASAN_OPTIONS=$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}detect_leaks=1 \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:+$$UBSAN_OPTIONS:}print_stacktrace=1 \
		t/fuzz/fuzz-report -max_total_time=$(FUZZ_TIME) \
		-timeout=$(FUZZ_INPUT_TIMEOUT) -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix=t/fuzz/found/ $(FUZZ_FLAGS) \
		t/fuzz/new t/fuzz/corpus $(srcdir)/t/fuzz/seeds

clean-local: clean-fuzz
clean-fuzz:
	rm -rf t/fuzz/corpus t/fuzz/corpus.made t/fuzz/new t/fuzz/found
else
fuzz:
	@echo "make fuzz needs a tree configured with CC=clang" \
		"--enable-sanitizers --enable-fuzzing" >&2; exit 1
endif
.PHONY: fuzz clean-fuzz
