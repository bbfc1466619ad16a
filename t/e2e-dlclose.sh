#!/bin/sh
# e2e-dlclose.sh - a plugin opened, called and closed within one flush
# interval, then another loaded at the same address, are both named
# right: the load map must follow dlopen() and dlclose() as they happen
# (t/progs/dlreload.c, t/progs/dlplugin.c, built here).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_python
command -v "${CC%% *}" >/dev/null 2>&1 || skip "no C compiler ($CC)"

cflags="-finstrument-functions -g -O1 -I$SRCPROGS"
build() {
	$CC $cflags "$@" 2>>build.log || hard_error "cannot build: $CC $cflags $*: $(cat build.log)"
}
build -fPIC -shared -DPLUGIN_FN=a_fn -o libplugA.so "$SRCPROGS/dlplugin.c"
build -fPIC -shared -DPLUGIN_FN=b_fn -o libplugB.so "$SRCPROGS/dlplugin.c"
build -o dlreload "$SRCPROGS/dlreload.c" -ldl

run dl "$CPROF" stat --format json -o dl.json -- "$T/dlreload" "$T/libplugA.so" "$T/libplugB.so"
expect_status "dlreload under cprof stat" 0 dl.err
jeq "use() twice" dl.json "calls('use')" 2
jeq "a_fn named in the plugin that was closed" dl.json \
	"[(r['object'], r['calls']) for r in rows('a_fn')]" '[["libplugA.so", 3]]'
jeq "b_fn named in the plugin loaded after it" dl.json \
	"[(r['object'], r['calls']) for r in rows('b_fn')]" '[["libplugB.so", 2]]'
jeq "every address named" dl.json "[n for n in names() if '0x' in n]" '[]'
exit 0
