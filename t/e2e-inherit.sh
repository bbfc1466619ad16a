#!/bin/sh
# e2e-inherit.sh - a child started with an environment of its own (execve,
# execle, execvpe, fexecve, execveat, posix_spawn, posix_spawnp, a
# cleared environ, `env -i`) is profiled too: the runtime carries its
# variables into the new environment. The child sees the variables it was
# given and no others of the program's; --no-inherit leaves the
# environment as the program built it (t/progs/lifetime.c, modes env-*).
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/lib.sh"
need_cli
need_prog lifetime
need_python

for how in execve execle execvpe fexecve execveat spawn spawnp clearenv; do
	run $how "$CPROF" stat --no-counters --format json -o $how.json -- "$PROGS/lifetime" env-$how
	expect_status "env-$how" 0 $how.err
	expect_eq "env-$how: the child's environment" "FOO=bar others=0" "$(head -n 1 $how.out)" $how.err
	jeq "env-$how: the parent's calls" $how.json "calls('work')" 10
	jeq "env-$how: the child is profiled" $how.json "calls('child_fn')" 7
	jeq "env-$how: every process ended" $how.json "all(p['finished'] for p in j['processes'])" true

	run no$how "$CPROF" stat --no-inherit --no-counters --format json -o no$how.json -- "$PROGS/lifetime" env-$how
	expect_status "env-$how --no-inherit" 0 no$how.err
	expect_eq "env-$how --no-inherit: the child's environment" "FOO=bar others=0" "$(head -n 1 no$how.out)" no$how.err
	jeq "env-$how --no-inherit: the parent's calls" no$how.json "calls('work')" 10
	jeq "env-$how --no-inherit: the child is not profiled" no$how.json "calls('child_fn')" 0
done

# env -i: a program of the system's that empties the environment.
ENV=$(command -v env) || skip "no env(1)"
run envi "$CPROF" stat --no-counters --format json -o envi.json -- "$ENV" -i FOO=bar "$PROGS/lifetime" child
expect_status "env -i" 0 envi.err
expect_eq "env -i: the child's environment" "FOO=bar others=0" "$(cat envi.out)" envi.err
jeq "env -i: the child is profiled" envi.json "calls('child_fn')" 7

# --no-inherit is in the help of both commands.
for cmd in record stat; do
	run help$cmd "$CPROF" $cmd --help
	expect_grep "$cmd --help lists --no-inherit" '--no-inherit' help$cmd.out
	expect_grep "$cmd --help lists --wait-all" '--wait-all' help$cmd.out
done
exit 0
