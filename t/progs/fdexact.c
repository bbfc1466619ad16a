/*
 * fdexact.c - a program that puts its own files on every descriptor number
 * the runtime holds, for t/e2e-fdexact.sh: in exact mode the runtime reads
 * its counter group's leader at every event, so a read of a number the
 * program took would eat the program's bytes, or block for ever on an
 * empty pipe.
 *
 *   fdexact pipe|file|eventfd
 *
 * The main thread, then a thread it starts, each take every number from 3
 * up that is open when they begin (the runtime's: its log and its
 * counters; the test runs the program with nothing else open) and put
 * there a pipe holding 64 bytes, a regular file of 64 bytes, or an
 * eventfd counting 5. Then they step 1000 times and check that everything
 * is as they left it: every byte still there, nothing added, the file's
 * offset and size unchanged, the eventfd's count whole.
 *
 *   step   1000 in main, 1000 in the thread
 *
 * Prints "main took N, ok" and "thread took N, ok" (or what went wrong);
 * exit 0 when everything held.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progs.h"

#define BYTES 64
#define MAXFD 64

static const char *kind;

COUNTED void step(void)
{
	sink++;
}

/* The open descriptors from 3 up (bar the directory's own), at most MAXFD. */
static NOINSTR int open_fds(int *fds)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < MAXFD) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 3 && fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}

/* Put a file of KIND on FD, holding its content; -1 on failure. */
static NOINSTR int dup_over(int fd, int i)
{
	char buf[BYTES];
	int nfd, p[2];

	memset(buf, 'a' + i % 26, sizeof buf);
	if (strcmp(kind, "pipe") == 0) {
		if (pipe(p) != 0 || write(p[1], buf, sizeof buf) != BYTES)
			return -1;
		nfd = p[0];
		/* The write end stays open: a read must not see an end. */
	} else if (strcmp(kind, "file") == 0) {
		char name[64];

		snprintf(name, sizeof name, "fdexact-%d-%d.dat", (int)getpid(),
			 fd);
		nfd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (nfd < 0 || write(nfd, buf, sizeof buf) != BYTES ||
		    lseek(nfd, 0, SEEK_SET) != 0)
			return -1;
	} else {
		nfd = eventfd(5, EFD_NONBLOCK);
		if (nfd < 0)
			return -1;
	}
	if (dup2(nfd, fd) != fd)
		return -1;
	close(nfd);
	return 0;
}

/* Whether FD still holds what dup_over() put there, untouched. */
static NOINSTR int intact(int fd, int i, const char *who)
{
	char buf[2 * BYTES];
	ssize_t n;

	if (strcmp(kind, "eventfd") == 0) {
		uint64_t v = 0;

		n = read(fd, &v, sizeof v);
		if (n != sizeof v || v != 5) {
			printf("%s: fd %d: eventfd read %zd, value %llu\n", who,
			       fd, n, (unsigned long long)v);
			return 0;
		}
		return 1;
	}
	if (strcmp(kind, "file") == 0) {
		struct stat st;
		off_t at = lseek(fd, 0, SEEK_CUR);

		if (at != 0 || fstat(fd, &st) != 0 || st.st_size != BYTES) {
			printf("%s: fd %d: file at offset %lld, size %lld\n",
			       who, fd, (long long)at, (long long)st.st_size);
			return 0;
		}
	} else {
		fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	n = read(fd, buf, sizeof buf);
	if (n != BYTES) {
		printf("%s: fd %d: read back %zd of %d bytes\n", who, fd, n,
		       BYTES);
		return 0;
	}
	for (int k = 0; k < BYTES; k++)
		if (buf[k] != 'a' + i % 26) {
			printf("%s: fd %d: byte %d changed\n", who, fd, k);
			return 0;
		}
	return 1;
}

/* Take every number open now, step, check them all; 1 when all held. */
static NOINSTR int round_of(const char *who, const int *skip, int nskip)
{
	int fds[MAXFD], n = open_fds(fds), taken[MAXFD], nt = 0, ok = 1;

	if (n < 0) {
		printf("%s: cannot list /proc/self/fd\n", who);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int k = 0; k < nskip; k++)
			seen |= skip[k] == fds[i];
		if (seen)
			continue;
		if (dup_over(fds[i], i) != 0) {
			printf("%s: cannot put a %s on %d: %s\n", who, kind,
			       fds[i], strerror(errno));
			return 0;
		}
		taken[nt++] = fds[i];
	}
	for (int i = 0; i < 1000; i++)
		step();
	for (int i = 0, k = 0; i < n; i++) {
		if (k < nt && taken[k] == fds[i])
			ok &= intact(taken[k++], i, who);
	}
	printf("%s took %d, %s\n", who, nt, ok ? "ok" : "FAILED");
	return ok;
}

static int main_fds[MAXFD], main_nfds;

static NOINSTR void *thread(void *arg)
{
	/* Only what its own start opened: the runtime's for it. */
	*(int *)arg = round_of("thread", main_fds, main_nfds);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int ok, tok = 0;

	if (argc != 2 ||
	    (strcmp(argv[1], "pipe") != 0 && strcmp(argv[1], "file") != 0 &&
	     strcmp(argv[1], "eventfd") != 0)) {
		fprintf(stderr, "usage: fdexact pipe|file|eventfd\n");
		return 2;
	}
	kind = argv[1];
	ok = round_of("main", NULL, 0);
	/* Everything open now is the program's: the thread takes the rest. */
	main_nfds = open_fds(main_fds);
	if (main_nfds < 0)
		main_nfds = 0;
	if (pthread_create(&th, NULL, thread, &tok) != 0 ||
	    pthread_join(th, NULL) != 0) {
		printf("cannot run a thread\n");
		return 1;
	}
	fflush(stdout);
	return ok && tok ? 0 : 1;
}
