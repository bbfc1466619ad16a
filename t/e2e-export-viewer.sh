#!/bin/sh
# e2e-export-viewer.sh - a real viewer opens cprof's exports and shows the
# profile cprof's table shows: speedscope (the npm package) in headless
# Chromium (the Debian package) loads the Chrome trace, the pprof profile
# and the folded stacks of t/progs/calls, and for each its Sandwich view
# lists every function with the table's self and total times. Skipped (77) where Chromium, node or speedscope is not
# installed (./bootstrap installs them where it can: doc/design.md,
# "Exports").
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog calls
need_python

chromium=$(command -v chromium || command -v chromium-browser) ||
	skip "no chromium (Debian package chromium)"
command -v node >/dev/null 2>&1 || skip "no node (Debian package nodejs)"
ss=
for d in "${SPEEDSCOPE_DIR:-}" "$TOP_BUILDDIR/t/clients/node_modules/speedscope" \
	"$TOP_SRCDIR/t/clients/node_modules/speedscope" \
	"$(npm root -g 2>/dev/null)/speedscope"; do
	if [ -n "$d" ] && [ -f "$d/dist/release/index.html" ]; then
		ss=$d/dist/release
		break
	fi
done
[ -n "$ss" ] || skip "no speedscope (npm install --prefix t/clients speedscope)"

# view FILE: speedscope's Sandwich table of FILE, one "total self name"
# line per function, as headless Chromium renders it. speedscope's own
# command line loads a profile the same way: a script that hands it over.
view() {
	node -e '
const fs = require("fs"), path = require("path");
const b = fs.readFileSync(process.argv[1]).toString("base64");
fs.writeFileSync(process.argv[2], "speedscope.loadFileFromBase64(" +
	JSON.stringify(path.basename(process.argv[1])) + "," +
	JSON.stringify(b) + ")");' "$1" "$T/profile.js" ||
		hard_error "node cannot write the loader script"
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$T/chromium" \
		--allow-file-access-from-files --virtual-time-budget=10000 \
		--dump-dom \
		"file://$ss/index.html#localProfilePath=$T/profile.js&view=sandwich" \
		>"$T/dom.html" 2>"$T/chromium.err"
	"$PYTHON" - "$T/dom.html" <<'EOF'
import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
text = html.unescape(re.sub(r"<[^>]*>", " ", s[s.find("Symbol Name"):]))
# A time with its unit, or a plain value (folded stacks) with commas.
cell = r"([0-9.,]+)(ns|µs|ms|s|) \([^)]*\)"
unit = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9, "": 1}
for m in re.finditer(cell + r"\s+" + cell + r"\s+(\S+)", text):
    print(round(float(m.group(1).replace(",", "")) * unit[m.group(2)]),
          round(float(m.group(3).replace(",", "")) * unit[m.group(4)]),
          m.group(5))
EOF
}

# --time-all: the Chrome trace shows timed calls only (a counted call has
# no start or end), and the exports carry the markers' times.
run rec "$CPROF" record --no-counters --time-all -o run -- "$PROGS/calls"
expect_status "calls under cprof record --time-all" 0 rec.err
run table "$CPROF" report --format json run
expect_status "the JSON report" 0 table.err
mv table.out r.json

for fmt in chrome pprof folded; do
	run $fmt "$CPROF" report --format $fmt --min-duration 0 -o calls.$fmt run
	expect_status "--format $fmt" 0 $fmt.err
	view calls.$fmt >shown.txt ||
		fail "$fmt: speedscope's view cannot be read" "$T/dom.html"
	[ -s shown.txt ] ||
		fail "$fmt: speedscope shows no function" "$T/dom.html" "$T/chromium.err"
	"$PYTHON" - r.json shown.txt <<'EOF' || fail "$fmt: speedscope shows another profile than cprof's table" shown.txt r.json
import json, sys
j = json.load(open(sys.argv[1]))
want = {r["name"]: r for r in j["functions"] if r["calls"]}
got = {}
for l in open(sys.argv[2]):
    total, self, name = l.split()
    got[name] = (int(total), int(self))
assert set(got) == set(want), (sorted(got), sorted(want))
for n, r in want.items():
    # speedscope shows 4 significant digits; cprof rounds per function.
    # The markers' times, not the table's compensated or sampled ones.
    for shown, exact in zip(got[n], (r.get("timed_total_ns", r["total_ns"]),
                                     r.get("timed_self_ns", r["self_ns"]))):
        assert abs(shown - exact) <= exact / 200 + 2 * r["calls"], (n, got[n], r)
EOF
done
exit 0
