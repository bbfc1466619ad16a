#!/bin/sh
# e2e-docs.sh - the manual pages say what the tool does: they render
# without warnings or stray control characters, and every long option
# that a command's --help lists is described in cprof(1).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli

for page in "$TOP_SRCDIR/doc/cprof.1" "$TOP_SRCDIR/doc/libcprof.3"; do
	name=$(basename "$page")
	# A control character other than tab is a typing slip (a "\f"
	# written through a shell or an editor as a form feed).
	if LC_ALL=C grep -n "$(printf '[\001-\010\013-\037]')" "$page" >ctl.out; then
		fail "$name holds control characters" ctl.out
	fi
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$page" 2>groff.err
		[ ! -s groff.err ] || fail "groff warns about $name" groff.err
	fi
done

for cmd in stat record report list diff tag; do
	run help-$cmd "$CPROF" $cmd --help
	expect_status "cprof $cmd --help" 0 help-$cmd.err
	for opt in $(grep -o -- '--[a-z][a-z-]*' help-$cmd.out | sort -u); do
		[ "$opt" = --help ] && continue
		# The page spells options with escaped hyphens.
		esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "$esc" "$TOP_SRCDIR/doc/cprof.1" ||
			fail "cprof $cmd --help lists $opt, which cprof(1) does not describe" help-$cmd.out
	done
done
exit 0
