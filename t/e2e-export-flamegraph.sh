#!/bin/sh
# e2e-export-flamegraph.sh - report --format flamegraph writes a valid
# SVG (xmllint) whose boxes are t/progs/calls.c's calling contexts, each
# as wide as its total time (the table's) and stacked by depth, upwards
# or, with --icicle, downwards; in a real browser (headless Chromium,
# where installed) its script zooms on a box and searches; an unwritable
# output is a one-line error.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python

run rec "$CPROF" record --no-counters -o run -- "$PROGS/calls"
expect_status "calls under cprof record" 0 rec.err
run table "$CPROF" report --format json run
expect_status "the JSON report" 0 table.err
mv table.out r.json

run fg "$CPROF" report --format flamegraph -o calls.svg run
expect_status "--format flamegraph" 0 fg.err
[ ! -s fg.out ] || fail "-o FILE printed on stdout" fg.out
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout calls.svg 2>xml.err || fail "the SVG is not valid XML" xml.err
fi

# boxes SVG: "name x width y" per box, read as XML.
boxes() {
	"$PYTHON" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
for g in ET.parse(sys.argv[1]).getroot().iter(ns + "g"):
    if g.get("class") != "f" or "none" in (g.get("style") or ""):
        continue
    r = g.find(ns + "rect")
    print(g.find(ns + "title").text.split("\n")[0], r.get("x"),
          r.get("width"), r.get("y"))
EOF
}
boxes calls.svg >boxes.txt || fail "the SVG cannot be read" calls.svg
"$PYTHON" - r.json boxes.txt <<'EOF' || fail "the boxes are not the table's totals" boxes.txt r.json
import json, sys
j = json.load(open(sys.argv[1]))
tot = {r["name"]: r["total_ns"] for r in j["functions"] if r["calls"]}
b = {}
for l in open(sys.argv[2]):
    n, x, w, y = l.split()
    b.setdefault(n, (float(x), float(w), float(y)))
for n in ("main", "heavy", "light", "rec", "bottom"):
    assert n in b, (n, sorted(b))
# Widths in proportion to the totals (main: nearly all of the run).
for n in ("heavy", "light", "rec", "bottom"):
    want = b["main"][1] * tot[n] / tot["main"]
    assert abs(b[n][1] - want) <= 1 + want / 100, (n, b[n], want)
# Flame: callees above their callers.
assert b["heavy"][2] < b["main"][2] and b["bottom"][2] < b["rec"][2], b
EOF

run ic "$CPROF" report --format flamegraph --icicle -o icicle.svg run
expect_status "--format flamegraph --icicle" 0 ic.err
boxes icicle.svg >iboxes.txt || fail "the icicle SVG cannot be read" icicle.svg
"$PYTHON" - iboxes.txt <<'EOF' || fail "--icicle does not put callers on top" iboxes.txt
import sys
b = {}
for l in open(sys.argv[1]):
    n, x, w, y = l.split()
    b.setdefault(n, float(y))
assert b["main"] < b["heavy"] and b["rec"] < b["bottom"], b
EOF

# In a browser: the page's script zooms and searches.
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ]; then
	dom() {
		timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
			--no-first-run --user-data-dir="$T/chromium" \
			--dump-dom "file://$T/calls.svg#$1" >"$2" 2>chromium.err ||
			fail "chromium cannot open the SVG" chromium.err
	}
	dom zoom=rec zoom.svg
	boxes zoom.svg >zboxes.txt || fail "the zoomed SVG cannot be read" zoom.svg
	"$PYTHON" - zboxes.txt <<'EOF' || fail "a click's zoom does not widen rec to the whole graph" zboxes.txt
import sys
b = {l.split()[0]: float(l.split()[2]) for l in open(sys.argv[1])}
assert abs(b["rec"] - 1200) < 1 and "heavy" not in b, b
EOF
	dom 'search=^(heavy|light)$' search.svg
	share=$(j r.json "round(100 * sum(r['total_ns'] for r in j['functions'] if r['name'] in ('heavy', 'light')) / [r for r in j['functions'] if r['name'] == 'main'][0]['total_ns'])")
	got=$(sed -n 's/.*matched: \([0-9.]*\)%.*/\1/p' search.svg)
	[ -n "$got" ] || fail "the search shows no share" search.svg
	"$PYTHON" -c "import sys; sys.exit(abs(float('$got') - $share) > 1.5)" ||
		fail "the search's share: expected about $share%, got $got%" search.svg
fi

run unw "$CPROF" report --format flamegraph -o /nonexistent/dir/f.svg run
expect_status "an unwritable -o" 1 unw.err
expect_lines "the error is one line" 1 unw.err
exit 0
