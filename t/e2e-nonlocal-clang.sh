#!/bin/sh
# e2e-nonlocal-clang.sh - t/e2e-nonlocal.sh with the program built by
# clang, whose hooks are placed differently from gcc's.
command -v clang >/dev/null 2>&1 || { echo "SKIP: clang is not installed"; exit 77; }
NL_CC=clang
export NL_CC
. "${TOP_SRCDIR:-$(dirname "$0")/..}/t/e2e-nonlocal.sh"
