# cli/local.mk - the cprof tool. The reading and merging code is a
# convenience library shared by the tool and its unit tests.
noinst_LTLIBRARIES += cli/libcprof-cli.la
cli_libcprof_cli_la_SOURCES = \
	cli/cli.h \
	cli/util.c \
	cli/pool.c \
	cli/reader.c \
	cli/clock.c \
	cli/profile.h \
	cli/profile.c \
	cli/replay.c \
	cli/samples.c \
	cli/offcpu.c \
	cli/syscalls.c \
	cli/merge.c \
	cli/cct.h \
	cli/cct.c \
	cli/advice.c \
	cli/symbols.c \
	cli/unwind.c \
	cli/output.c \
	cli/views.c \
	cli/alloc.c \
	cli/frames.c \
	cli/term.c \
	cli/events.c \
	cli/procs.c \
	cli/rundir.c \
	cli/export.h \
	cli/export.c \
	cli/export-chrome.c \
	cli/export-pprof.c \
	cli/export-folded.c \
	cli/export-flamegraph.c \
	cli/reference.c \
	cli/select.c \
	cli/warnings.c \
	cli/repeat.c \
	cli/budget.c \
	cli/filter.c \
	cli/stats.c
# report --format pprof: the C code of profile.proto, generated at build
# time by protoc-c (one rule makes both files; the header follows).
nodist_cli_libcprof_cli_la_SOURCES = cli/pprof.pb-c.c cli/pprof.pb-c.h
BUILT_SOURCES = cli/pprof.pb-c.c cli/pprof.pb-c.h
CLEANFILES += cli/pprof.pb-c.c cli/pprof.pb-c.h
EXTRA_DIST += cli/pprof.proto
cli/pprof.pb-c.h: cli/pprof.pb-c.c
cli/pprof.pb-c.c: cli/pprof.proto
	$(AM_V_GEN)$(MKDIR_P) cli && \
		$(PROTOC_C) --c_out=. -I$(srcdir) $(srcdir)/cli/pprof.proto
# --syscalls: the system call names of the build machine, generated from
# the kernel headers (cli/gen-syscalls.sh), included by cli/syscalls.c.
nodist_cli_libcprof_cli_la_SOURCES += cli/syscall-names.h
BUILT_SOURCES += cli/syscall-names.h
CLEANFILES += cli/syscall-names.h
EXTRA_DIST += cli/gen-syscalls.sh
cli/syscall-names.h: $(srcdir)/cli/gen-syscalls.sh
	$(AM_V_GEN)$(MKDIR_P) cli && \
		$(SHELL) $(srcdir)/cli/gen-syscalls.sh "$(CC)" >$@.tmp && \
		mv $@.tmp $@
# FUZZ_CFLAGS: coverage for libFuzzer with --enable-fuzzing (t/fuzz/).
# CLI_SAN_CFLAGS: the CLI is single-threaded, so the TSan build leaves it
# uninstrumented (configure.ac says why).
cli_libcprof_cli_la_CFLAGS = $(WARN_CFLAGS) $(CLI_SAN_CFLAGS) \
	$(MSGPACK_CFLAGS) $(LIBDW_CFLAGS) $(FUZZ_CFLAGS) \
	$(PROTOBUF_C_CFLAGS) $(ZLIB_CFLAGS) $(LIBUNWIND_CFLAGS)
cli_libcprof_cli_la_LIBADD = $(MSGPACK_LIBS) $(LIBDW_LIBS) $(PFM_LIBS) -lstdc++ -lm \
	$(PROTOBUF_C_LIBS) $(ZLIB_LIBS) $(LIBUNWIND_LIBS)

bin_PROGRAMS += cli/cprof
cli_cprof_SOURCES = \
	cli/main.c \
	cli/options.c \
	cli/run.c \
	cli/cmd-stat.c \
	cli/cmd-record.c \
	cli/cmd-report.c \
	cli/cmd-list.c \
	cli/cmd-diff.c \
	cli/cmd-tag.c \
	cli/filter-opts.c \
	cli/reference-run.c
cli_cprof_CFLAGS = $(WARN_CFLAGS) $(CLI_SAN_CFLAGS) $(MSGPACK_CFLAGS)
cli_cprof_LDFLAGS = $(CLI_SAN_CFLAGS) $(SAN_LDFLAGS)
cli_cprof_LDADD = cli/libcprof-cli.la

dist_man_MANS += doc/cprof.1
