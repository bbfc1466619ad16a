#!/bin/sh
# e2e-term.sh - the table on a real terminal: tmux panes of fixed sizes
# run `cprof report` and `cprof stat` on a program with 60 functions
# (t/progs/wide.c), and what the pane shows is checked: no line wider
# than the pane (its lines captured joined, so that a wrapped one shows),
# the top 25 rows and the line saying how many more, the frames table left
# out when main's return is all it would say, colour with --color=auto and
# none with NO_COLOR or --color=never, $COLUMNS obeyed. A pipe and a file
# still get the full table, the same bytes, without colour whatever
# $COLUMNS says, and with it only when --color=always asks.
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog wide markers
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"

# The run, with counters where this machine lets a process count.
if [ "$(perf_try 1 1)" = ok ]; then
	ev=-e\ task-clock,page-faults,context-switches
	counters=--counters
else
	ev=--no-counters
	counters=
fi
run rec "$CPROF" record $ev -o run -- "$PROGS/wide"
expect_status "cprof record of wide" 0 rec.err
run recm "$CPROF" record --no-counters -o marked -- "$PROGS/markers" active
expect_status "cprof record of markers" 0 recm.err

# pane W H NAME COMMAND: run the shell COMMAND in a new tmux session of W
# by H columns and save what the pane shows in NAME.txt (wrapped lines
# joined) and NAME.esc (with its escape sequences), its status in
# NAME.status. The tmux server is the test's own, ended at the end.
sock=$T/tmux
if [ "${KEEP:-0}" = 1 ]; then
	trap 'tmux -S "$sock" kill-server 2>/dev/null; echo "$test_name: kept $T" >&2' EXIT
else
	trap 'tmux -S "$sock" kill-server 2>/dev/null; cd / && rm -rf "$T"' EXIT
fi
pane() {
	_w=$1 _h=$2 _n=$3
	shift 3
	tmux -S "$sock" -f /dev/null new-session -d -x "$_w" -y "$_h" \
		-s "$_n" "$*; echo \$? >$_n.status; tmux -S '$sock' wait-for -S $_n; exec sleep 3600" ||
		skip "tmux cannot start a session here"
	$_timeout tmux -S "$sock" wait-for "$_n" ||
		fail "$_n: the command in tmux did not finish"
	tmux -S "$sock" capture-pane -p -J -S - -t "$_n" >"$_n.txt"
	tmux -S "$sock" capture-pane -p -J -e -S - -t "$_n" >"$_n.esc"
	tmux -S "$sock" kill-session -t "$_n"
	expect_eq "$_n: exit status" 0 "$(cat "$_n.status")" "$_n.txt"
}

# The widest line of FILE in columns: an ellipsis is one.
widest() {
	sed "s/$(printf '\342\200\246')/./g" "$1" |
		awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'
}

# Rows of the table in FILE: the lines after its headings, up to a blank
# one or the line about more.
rows() {
	awk '/^Function / { on = 1; next }
		on && (/^$/ || /^\.\.\. /) { on = 0 }
		on { n++ }
		END { print n + 0 }' "$1"
}

esc=$(printf '\033')
plain="env -u NO_COLOR -u COLUMNS"

# A file and a pipe: the full table, identical, colourless, whatever
# COLUMNS says; --color=always colours even a pipe.
run file env -u NO_COLOR COLUMNS=50 "$CPROF" report $counters run
expect_status "cprof report to a file" 0 file.err
env -u NO_COLOR COLUMNS=50 "$CPROF" report $counters run | cat >pipe.out ||
	fail "cprof report to a pipe"
cmp -s file.out pipe.out || fail "a file and a pipe differ" file.out pipe.out
expect_no_grep "file: no line about more" 'more function' file.out
expect_no_grep "file: no escape sequence" "$esc" file.out
expect_grep "file: the frames table as before" '^Frames ' file.out
got=$(widest file.out)
[ "$got" -gt 80 ] || fail "file: the full table is $got columns wide" file.out
"$CPROF" report --color=always $counters run | cat >always.out
expect_grep "--color=always: bold headings in a pipe" "${esc}\\[1m" always.out
sed "s/${esc}\\[[0-9;]*m//g" always.out >always.txt
cmp -s always.txt file.out ||
	fail "--color=always changed more than the colour" always.txt file.out
# Functions known from samples alone (outside every marker) have rows
# too: what a terminal leaves out is counted from the full table.
all=$(rows file.out)
[ "$all" -ge 61 ] || fail "file: $all rows, 61 functions at least" file.out
more=$((all - 25))

for size in 80x24 120x40 200x50 60x20; do
	w=${size%x*} h=${size#*x}
	n=rep$w
	pane "$w" "$h" $n "$plain $CPROF report $counters run"
	got=$(widest $n.txt)
	[ "$got" -le "$w" ] ||
		fail "$size: a line of $got columns in a $w-column terminal" $n.txt
	expect_eq "$size: the top rows" 25 "$(rows $n.txt)" $n.txt
	expect_grep "$size: how many more, and how to see them" \
		"^\\.\\.\\. $more more functions \\(--top 0 or a pipe shows all\\)\$" $n.txt
	expect_no_grep "$size: no frames table for main's return" '^Frames ' $n.txt
	expect_grep "$size: the headings are bold" "${esc}\\[1m" $n.esc
done
# Long names are cut with an ellipsis, never wrapped. How much of the name
# is left depends on the columns shown: the "!" column appears when a
# row's marker time and samples disagree, as they may in a slow build
# (TSan), and takes room from the names.
expect_grep "names cut to fit" '^a_rather_long_[a-z_]*(…|\.\.\.) ' rep80.txt

# The hottest rows are red: those whose share of self time is 10 % or more.
if [ -n "$PYTHON" ]; then
	"$CPROF" report --format json -o run.json run ||
		fail "cprof report --format json"
	hot=$("$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
t = j["total_self_ns"]
print(sum(1 for f in j["functions"][:25] if t and f["self_ns"] * 10 >= t))' run.json)
	if [ "$hot" -gt 0 ]; then
		expect_grep "a hot row is red" "${esc}\\[([0-9;]*;)?31m" rep80.esc
	fi
fi

# No colour with NO_COLOR (any non-empty value) or --color=never.
pane 80 24 nocolor "env -u COLUMNS NO_COLOR=1 $CPROF report $counters run"
expect_no_grep "NO_COLOR: no escape sequence" "$esc" nocolor.esc
pane 80 24 never "$plain $CPROF report --color=never $counters run"
expect_no_grep "--color=never: no escape sequence" "$esc" never.esc
cmp -s nocolor.txt rep80.txt ||
	fail "NO_COLOR changed more than the colour" nocolor.txt rep80.txt

# $COLUMNS comes before the terminal's own width; --top 0 shows all.
pane 200 50 cols "env -u NO_COLOR COLUMNS=100 $CPROF report $counters run"
got=$(widest cols.txt)
[ "$got" -le 100 ] || fail "COLUMNS=100: a line of $got columns" cols.txt
pane 120 100 all "$plain $CPROF report --top 0 $counters run"
expect_eq "--top 0: every row" "$all" "$(rows all.txt)" all.txt
expect_no_grep "--top 0: no line about more" 'more function' all.txt

# Frames the program marked are shown on a terminal too.
pane 80 40 frames "$plain $CPROF report marked"
expect_grep "marked frames shown" '^Frames ' frames.txt
got=$(widest frames.txt)
[ "$got" -le 80 ] || fail "markers: a line of $got columns" frames.txt

# stat prints on stderr: the terminal's, fitted the same way.
pane 80 24 stat "$plain CPROF_LIBRARY=$CPROF_LIBRARY $CPROF stat $ev -- $PROGS/wide"
got=$(widest stat.txt)
[ "$got" -le 80 ] || fail "stat: a line of $got columns" stat.txt
expect_grep "stat: how many more" '^\.\.\. [0-9]+ more functions' stat.txt

# No progress line on a stderr that is not a terminal.
expect_no_grep "no progress on a file" "$(printf '\r')" file.err
exit 0
