/*
 * syscalls.c - system calls per function (t/e2e-syscalls.sh): writes()
 * makes N write(2) calls to /dev/null and futexes() M futex(2) waits
 * that return at once (the word is not the value waited for), through
 * syscall(2); main() itself makes the few calls of opening and closing
 * /dev/null. N and M come from the command line.
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "progs.h"

static int word = 1;

COUNTED void writes(int fd, int n)
{
	for (int i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1)
			exit(1);
}

COUNTED void futexes(int m)
{
	for (int i = 0; i < m; i++)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int m = argc > 2 ? atoi(argv[2]) : 20;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	writes(fd, n);
	futexes(m);
	close(fd);
	return 0;
}
