#!/bin/sh
# e2e-nonlocal-xray.sh - t/e2e-nonlocal.sh with the program built by clang
# with XRay sleds instead of hooks: the runtime patches them, and a
# frame's position is the function's stack pointer at entry, before its
# prologue, rather than the enter hook's, after it. Longjmp, siglongjmp
# and signal handlers on an alternate stack must close and nest frames as
# they do with hooks.
command -v clang >/dev/null 2>&1 || { echo "SKIP: clang is not installed"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: XRay sleds are patched on x86-64 only"; exit 77; }
echo 'int main(void) { return 0; }' >"${TMPDIR:-/tmp}/xray-probe-$$.c"
if ! clang -fxray-instrument -o "${TMPDIR:-/tmp}/xray-probe-$$" \
	"${TMPDIR:-/tmp}/xray-probe-$$.c" >/dev/null 2>&1; then
	rm -f "${TMPDIR:-/tmp}/xray-probe-$$" "${TMPDIR:-/tmp}/xray-probe-$$.c"
	echo "SKIP: clang -fxray-instrument cannot link (no compiler-rt?)"
	exit 77
fi
rm -f "${TMPDIR:-/tmp}/xray-probe-$$" "${TMPDIR:-/tmp}/xray-probe-$$.c"
NL_CC=clang
NL_INSTR="-fxray-instrument -fxray-instruction-threshold=1"
export NL_CC NL_INSTR
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/e2e-nonlocal.sh"
