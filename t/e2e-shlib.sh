#!/bin/sh
# e2e-shlib.sh - names from the recorded load map: a PIE and a
# fixed-address executable calling shared libraries linked at start and
# opened with dlopen(); static functions of the same name in two objects
# stay two rows; file and line from debug information; a function without
# any symbol shows as object+0xoffset. The programs are built here with
# the compiler (t/progs/shlib-*.c).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
command -v "${CC%% *}" >/dev/null 2>&1 || skip "no C compiler ($CC)"
command -v strip >/dev/null 2>&1 || skip "no strip"

cflags="-finstrument-functions -g -O1 -I$SRCPROGS"
build() {
	$CC $cflags "$@" 2>>build.log || hard_error "cannot build: $CC $cflags $*: $(cat build.log)"
}
build -fPIC -shared -Wl,-soname,libshl.so -o libshl.so "$SRCPROGS/shlib-lib.c"
build -fPIC -shared -Wl,-soname,libshstrip.so -o libshstrip-full.so "$SRCPROGS/shlib-strip.c"
build -fPIC -shared -o libshdl.so "$SRCPROGS/shlib-dl.c"
cp libshstrip-full.so libshstrip.so
strip --strip-all libshstrip.so || hard_error "cannot strip libshstrip.so"
hidden=$(nm libshstrip-full.so | sed -n 's/^0*\([0-9a-f]*\) t strip_hidden$/\1/p')
[ -n "$hidden" ] || hard_error "no strip_hidden in libshstrip-full.so"
build -fPIE -pie -o shlib-main "$SRCPROGS/shlib-main.c" -L. -lshl -lshstrip -ldl -Wl,-rpath,"$T"
build -fno-pie -no-pie -o shlib-nopie "$SRCPROGS/shlib-main.c" -L. -lshl -lshstrip -ldl -Wl,-rpath,"$T"

line_of() {
	grep -n "$2" "$SRCPROGS/$1" | head -n 1 | cut -d: -f1
}
helper_line=$(line_of shlib-main.c 'COUNTED static int helper')
work_line=$(line_of shlib-lib.c 'COUNTED int shl_work')

for exe in shlib-main shlib-nopie; do
	run $exe "$CPROF" stat --format json -o $exe.json -- "$T/$exe" "$T/libshdl.so"
	expect_status "$exe under cprof stat" 0 $exe.err

	jeq "$exe: main" $exe.json "[(r['object'], r['calls']) for r in rows('main')]" "[[\"$exe\", 1]]"
	jeq "$exe: two static helper() in two objects" $exe.json \
		"sorted((r['object'], r['calls']) for r in rows('helper'))" \
		"[[\"libshl.so\", 11], [\"$exe\", 3]]"
	jeq "$exe: shl_work in libshl.so" $exe.json \
		"[(r['object'], r['calls']) for r in rows('shl_work')]" '[["libshl.so", 1]]'
	jeq "$exe: strip_entry by its dynamic symbol" $exe.json \
		"[(r['object'], r['calls']) for r in rows('strip_entry')]" '[["libshstrip.so", 2]]'
	jeq "$exe: dl_fn in the dlopen()ed plugin" $exe.json \
		"[(r['object'], r['calls']) for r in rows('dl_fn')]" '[["libshdl.so", 4]]'
	jeq "$exe: strip_hidden has no name but its object and offset" $exe.json \
		"[r['calls'] for r in j['functions'] if r['name'] == 'libshstrip.so+0x$hidden']" '[5]'
	jeq "$exe: every address named" $exe.json \
		"[n for n in names() if n.startswith('0x') or ('+0x' in n and n != 'libshstrip.so+0x$hidden')]" '[]'

	# Debug information gives the file and line of the definitions.
	jcheck "$exe: helper's file and line" $exe.json \
		"[(r['file'] or '').endswith('shlib-main.c') and r['line'] in ($helper_line, $helper_line + 1) for r in rows('helper') if r['object'] == '$exe'] == [True]"
	jcheck "$exe: shl_work's file and line" $exe.json \
		"(rows('shl_work')[0]['file'] or '').endswith('shlib-lib.c') and rows('shl_work')[0]['line'] in ($work_line, $work_line + 1)"
done

# The table has an object column when rows come from several objects.
run tab "$CPROF" stat -- "$T/shlib-main" "$T/libshdl.so"
expect_status "shlib-main under cprof stat (table)" 0 tab.err
expect_grep "object column" '^Function +Object +Self' tab.err
expect_grep "dl_fn row with its object" '^dl_fn +libshdl\.so +.* 4 ' tab.err
exit 0
