# lib/local.mk - libcprof, the marker runtime. The runtime sources go into a
# convenience library so that unit tests can call its internal functions;
# libcprof.la is that library with only the public API exported.
noinst_LTLIBRARIES += lib/libcprof-core.la
lib_libcprof_core_la_SOURCES = \
	include/cprof-contract.h \
	lib/internal.h \
	lib/clock.c \
	lib/record.c \
	lib/shadow.c \
	lib/runtime.c \
	lib/wrap.c \
	lib/writer.c \
	lib/warn.c \
	lib/fd.c \
	lib/pack.c \
	lib/loadmap.c \
	lib/counters.c \
	lib/xray.c \
	lib/seccomp.c \
	lib/select.c \
	lib/calib.c \
	lib/adapt.c \
	lib/children.c \
	lib/offcpu.c \
	lib/syscalls.c
lib_libcprof_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(MSGPACK_CFLAGS) -pthread
lib_libcprof_core_la_LIBADD = $(MSGPACK_LIBS) -lpthread -ldl \
	lib/libcprof-syswrap.la

# --syscalls' fallback wrappers of libc's functions, which a TSan build's
# own runtime calls while it starts: built without TSan's instrumentation.
noinst_LTLIBRARIES += lib/libcprof-syswrap.la
lib_libcprof_syswrap_la_SOURCES = lib/syswrap.c
lib_libcprof_syswrap_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(MSGPACK_CFLAGS) -pthread -fno-sanitize=thread

lib_LTLIBRARIES += lib/libcprof.la
lib_libcprof_la_SOURCES =
lib_libcprof_la_LIBADD = lib/libcprof-core.la
lib_libcprof_la_LDFLAGS = $(AM_LDFLAGS) -no-undefined -version-info $(CPROF_LT_VERSION)
dist_man_MANS += doc/libcprof.3

# libcprof-alloc: the allocator wrappers of --alloc (lib/alloc.c), a
# library of their own that the tool preloads only with --alloc. The
# runtime's calls they make are exported by libcprof.
lib_LTLIBRARIES += lib/libcprof-alloc.la
lib_libcprof_alloc_la_SOURCES = lib/alloc.c
lib_libcprof_alloc_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -fexceptions -pthread
lib_libcprof_alloc_la_LIBADD = lib/libcprof.la -ldl
lib_libcprof_alloc_la_LDFLAGS = $(AM_LDFLAGS) -no-undefined -module -avoid-version
