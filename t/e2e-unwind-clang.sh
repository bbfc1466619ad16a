#!/bin/sh
# e2e-unwind-clang.sh - t/e2e-unwind.sh with the program built by clang++,
# which calls no exit hook for the frames an exception unwinds.
command -v clang++ >/dev/null 2>&1 || { echo "SKIP: clang++ is not installed"; exit 77; }
UW_CXX=clang++
export UW_CXX
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/e2e-unwind.sh"
