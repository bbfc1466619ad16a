#!/bin/sh
# t/limit.sh - the log compiler of every test (t/local.mk): runs the test
# under timeout(1), so that a test that hangs (a deadlock in the runtime,
# a program that never exits) fails `make check` after LIMIT seconds
# instead of stopping it. Usage: t/limit.sh LIMIT COMMAND [ARG...]
limit=$1
shift
command -v timeout >/dev/null 2>&1 || exec "$@"
# The test gets TERM first, so that its traps clean up, then KILL.
timeout -k 10 "$limit" "$@"
status=$?
if [ $status = 124 ] || [ $status = 137 ]; then
	echo "FAIL: $*: no result within the limit of $limit s (stuck?); make check TEST_TIME_LIMIT=N raises it" >&2
	# automake's harness counts a hard error, never a skip or a pass.
	exit 99
fi
exit $status
