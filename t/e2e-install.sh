#!/bin/sh
# e2e-install.sh - an installed cprof finds its own runtime: in the libdir
# that configure chose, located from the directory of the cprof program
# itself, so that a tree installed under another prefix or DESTDIR, or
# moved, still works without CPROF_LIBRARY; the name it preloads is the
# library's soname, derived from its libtool version. Without a runtime it
# fails with a message that says how to fix it.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
config=$TOP_BUILDDIR/config.h
[ -f "$config" ] || skip "no config.h in $TOP_BUILDDIR"
define() {
	sed -n "s/^#define $1 \"\\(.*\\)\"\$/\\1/p" "$config"
}
rel=$(define CPROF_LIBDIR_FROM_BINDIR)
soname=$(define CPROF_RUNTIME_SONAME)
[ -n "$rel" ] && [ -n "$soname" ] ||
	hard_error "config.h lacks CPROF_LIBDIR_FROM_BINDIR or CPROF_RUNTIME_SONAME"

# The soname the CLI preloads is the one the library carries.
real=$(readlink -f "$CPROF_LIBRARY")
if command -v objdump >/dev/null 2>&1; then
	have=$(objdump -p "$real" | sed -n 's/^ *SONAME *//p')
	expect_eq "the runtime's soname" "$soname" "$have"
fi

# A tree laid out as `make install` lays it out, somewhere configure never
# heard of.
mkdir -p inst/bin
cp "$CPROF" inst/bin/cprof
mkdir -p "inst/bin/$rel"
cp "$real" "inst/bin/$rel/$soname"
unset CPROF_LIBRARY
run moved inst/bin/cprof stat --format json -o moved.json -- "$PROGS/calls"
expect_status "cprof stat from a moved install" 0 moved.err
[ -s moved.json ] || fail "no profile from a moved install" moved.err
need_python
jeq "the runtime was preloaded" moved.json 'calls("leaf") > 0' true

# Without its runtime, the message names what was searched and the fix;
# unless `make install` put one where configure said, which is searched
# next (and then found).
rm "inst/bin/$rel/$soname"
if [ -e "${CONF_LIBDIR:-/nonexistent}/$soname" ]; then
	echo "note: $CONF_LIBDIR/$soname is installed: the missing-runtime message is not checked"
else
	run missing inst/bin/cprof stat -- "$PROGS/calls"
	expect_status "cprof stat without a runtime" 1 missing.err
	expect_grep "the message names the library" "cannot find the runtime library $soname" missing.err
	expect_grep "the message gives the fix" "CPROF_LIBRARY" missing.err
fi
exit 0
