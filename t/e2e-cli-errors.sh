#!/bin/sh
# e2e-cli-errors.sh - the shell's conventions for a program that cannot
# run (127 not found, 126 not executable, with one line naming it), usage
# errors (a usage line and exit status 2), and help (stdout, status 0).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli

# A program that cannot be started: one line naming it.
for cmd in stat record; do
	run missing-$cmd "$CPROF" $cmd -- ./no-such-program
	expect_status "cprof $cmd of a missing program" 127 missing-$cmd.err
	expect_lines "cprof $cmd of a missing program: one line" 1 missing-$cmd.err
	expect_grep "cprof $cmd of a missing program: the line names it" 'no-such-program' missing-$cmd.err

	run missing-path-$cmd "$CPROF" $cmd -- no-such-program-in-path-xyz
	expect_status "cprof $cmd of a command not in PATH" 127 missing-path-$cmd.err
	expect_grep "cprof $cmd of a command not in PATH: the line names it" \
		'no-such-program-in-path-xyz' missing-path-$cmd.err

	printf '#!/bin/sh\necho ran\n' >noexec.sh
	chmod 644 noexec.sh
	run noexec-$cmd "$CPROF" $cmd -- ./noexec.sh
	expect_status "cprof $cmd of a file without execute permission" 126 noexec-$cmd.err
	expect_lines "cprof $cmd of a non-executable file: one line" 1 noexec-$cmd.err
	expect_grep "cprof $cmd of a non-executable file: the line names it" 'noexec\.sh' noexec-$cmd.err
	[ ! -s noexec-$cmd.out ] || fail "a non-executable file ran" noexec-$cmd.out

	mkdir -p adir
	run dir-$cmd "$CPROF" $cmd -- ./adir
	expect_status "cprof $cmd of a directory" 126 dir-$cmd.err
	expect_grep "cprof $cmd of a directory: the line names it" 'adir' dir-$cmd.err
	rm -rf cprof.data
done

# A command found in PATH runs, and a script runs through its #! line.
run path "$CPROF" stat -o path.table -- sh -c 'exit 5'
expect_status "cprof stat of a command found in PATH" 5 path.err
chmod 755 noexec.sh
run script "$CPROF" stat -o script.table -- ./noexec.sh
expect_status "cprof stat of a script" 0 script.err
expect_eq "the script ran" ran "$(cat script.out)" script.err

# Usage errors: a usage line, exit status 2, nothing run.
usage_error() {
	what=$1
	shift
	run usage "$CPROF" "$@"
	expect_status "$what" 2 usage.err
	expect_grep "$what: a usage line" '[Uu]sage' usage.err
	[ ! -s usage.out ] || fail "$what: printed on stdout" usage.out
	[ ! -e ran ] || fail "$what: the program ran"
}
usage_error "cprof with no arguments"
usage_error "an unknown subcommand" frobnicate
usage_error "an unknown option" --bogus-option
usage_error "an unknown option of stat" stat --bogus-option -- touch ran
usage_error "an unknown option of record" record --bogus-option -- touch ran
usage_error "an unknown option of report" report --bogus-option
usage_error "stat without a program" stat
usage_error "record without a program" record -o run.cprof
usage_error "a missing option argument" stat --format
usage_error "an unknown format" stat --format yaml -- touch ran
usage_error "an unknown sort key" report --sort bogus run.cprof
usage_error "a --top that is not a number" report --top many run.cprof
usage_error "a negative --top" report --top -3 run.cprof

# Help: on stdout, exit status 0, with the usage of what was asked.
# Every command, so that two options defined in different files with one
# value (read as one another) abort here: options.c checks each table.
for args in --help -h "stat --help" "record --help" "report --help" \
	"list --help" "diff --help" "tag --help" "stat -h"; do
	run help "$CPROF" $args
	expect_status "cprof $args" 0 help.err
	expect_grep "cprof $args: a usage line on stdout" '[Uu]sage' help.out
	[ ! -s help.err ] || fail "cprof $args wrote on stderr" help.err
done
run help "$CPROF" --help
for cmd in stat record report; do
	expect_grep "cprof --help lists $cmd" "$cmd" help.out
done
run help "$CPROF" stat --help
for opt in --format --threads --sort --top -o; do
	expect_grep "cprof stat --help explains $opt" "$opt" help.out
done
exit 0
