#!/bin/sh
# e2e-unwind-xray.sh - t/e2e-unwind.sh with the program built by clang++
# with XRay sleds instead of hooks: no exit sled runs for the frames an
# exception unwinds, and the catch must close them by their positions
# (the functions' stack pointers at entry).
command -v clang++ >/dev/null 2>&1 || { echo "SKIP: clang++ is not installed"; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: XRay sleds are patched on x86-64 only"; exit 77; }
probe=${TMPDIR:-/tmp}/xray-probe-$$
echo 'int main(void) { return 0; }' >"$probe.c"
if ! clang -fxray-instrument -o "$probe" "$probe.c" >/dev/null 2>&1; then
	rm -f "$probe" "$probe.c"
	echo "SKIP: clang -fxray-instrument cannot link (no compiler-rt?)"
	exit 77
fi
rm -f "$probe" "$probe.c"
UW_CXX=clang++
UW_INSTR="-fxray-instrument -fxray-instruction-threshold=1"
export UW_CXX UW_INSTR
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/e2e-unwind.sh"
