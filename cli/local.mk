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
	cli/merge.c \
	cli/advice.c \
	cli/symbols.c \
	cli/output.c \
	cli/term.c \
	cli/events.c \
	cli/procs.c \
	cli/rundir.c
# FUZZ_CFLAGS: coverage for libFuzzer with --enable-fuzzing (t/fuzz/).
# CLI_SAN_CFLAGS: the CLI is single-threaded, so the TSan build leaves it
# uninstrumented (configure.ac says why).
cli_libcprof_cli_la_CFLAGS = $(WARN_CFLAGS) $(CLI_SAN_CFLAGS) \
	$(MSGPACK_CFLAGS) $(LIBDW_CFLAGS) $(FUZZ_CFLAGS)
cli_libcprof_cli_la_LIBADD = $(MSGPACK_LIBS) $(LIBDW_LIBS) $(PFM_LIBS) -lstdc++

bin_PROGRAMS += cli/cprof
cli_cprof_SOURCES = \
	cli/main.c \
	cli/options.c \
	cli/run.c \
	cli/cmd-stat.c \
	cli/cmd-record.c \
	cli/cmd-report.c \
	cli/cmd-list.c
cli_cprof_CFLAGS = $(WARN_CFLAGS) $(CLI_SAN_CFLAGS) $(MSGPACK_CFLAGS)
cli_cprof_LDFLAGS = $(CLI_SAN_CFLAGS) $(SAN_LDFLAGS)
cli_cprof_LDADD = cli/libcprof-cli.la

dist_man_MANS += doc/cprof.1
