#!/bin/sh
# gen-syscalls.sh CC - print the C table of system call names of the
# machine the tool is built for, from the kernel headers' __NR_ macros
# (asm/unistd.h: asm/unistd_64.h on x86-64, the generic table on
# aarch64), as the compiler CC sees them: [number] = "name", one a line.
# Numbers that are not plain integers (the x32 or OABI offsets) are left
# out.
set -e
echo '#include <asm/unistd.h>' | $1 -E -dM - |
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$/\t[\2] = "\1",/p' |
	sort -t '[' -k 2 -n -u
