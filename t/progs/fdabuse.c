/*
 * fdabuse.c - programs that treat every descriptor as theirs, for
 * t/e2e-fds.sh: daemons closing all they inherited, shells and servers
 * dup2()ing over numbers, parents handing descriptors to children across
 * fork and exec. Each writes 40 known lines ("line 00".."line 39") to a
 * file or pipe of its own while calling instrumented functions, and does
 * its descriptor games twice, at the start and half way, so that they
 * hit the runtime both before and after it wrote:
 *
 *   fdabuse closefrom FILE    closefrom(3)
 *   fdabuse close_range FILE  close_range(3, ~0U, 0)
 *   fdabuse loop1024 FILE     close(3..1023)
 *   fdabuse looplimit FILE    close(3..sysconf(_SC_OPEN_MAX) - 1)
 *   fdabuse dup2 FILE         dup2(FILE's fd) over every number from 3 up
 *                             to four below the limit
 *   fdabuse dup3 FILE         the same with dup3(..., O_CLOEXEC)
 *   fdabuse rmlog FILE        closefrom(3) and removes the logs in
 *                             $CPROF_DIR: the runtime cannot reopen its
 *                             own and must say so once
 *   fdabuse handoff FILE      closefrom(64), then a child gets a pipe on
 *                             fds 3..63 and execs "fdabuse child", which
 *                             writes the lines to fd 3; the parent copies
 *                             the pipe to FILE
 *
 *   emit   40 per process that writes the lines
 *   work   40 per process that writes the lines
 *
 * It prints what it did and exits 0, or 1 when a descriptor was not what
 * it should be (the child checks that fd 3 is its pipe and that every
 * descriptor it did not get is close-on-exec).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"

COUNTED void work(int n)
{
	for (int i = 0; i < n; i++)
		sink += (unsigned long)i;
}

COUNTED int emit(int fd, int i)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "line %02d\n", i);

	return write(fd, line, (size_t)len) == len ? 0 : -1;
}

static NOINSTR void pause_ms(int ms)
{
	struct timespec ts = {0, ms * 1000L * 1000L};

	nanosleep(&ts, NULL);
}

static NOINSTR long open_max(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	return max > 0 ? max : 1024;
}

/* Close every descriptor from 3 up, the way MODE does it. */
static NOINSTR void close_all(const char *mode, int keep)
{
	if (!strcmp(mode, "closefrom")) {
		closefrom(3);
	} else if (!strcmp(mode, "close_range")) {
		close_range(3, ~0U, 0);
	} else {
		long end = !strcmp(mode, "loop1024") ? 1024 : open_max();

		for (long fd = 3; fd < end; fd++)
			if (fd != keep)
				close((int)fd);
	}
}

/* Put FD over every number from 3 to four below the limit. */
static NOINSTR void dup_over(int fd, bool three)
{
	long end = open_max() - 4;

	for (long k = 3; k < end; k++) {
		if (k == fd)
			continue;
		if (three)
			dup3(fd, (int)k, O_CLOEXEC);
		else
			dup2(fd, (int)k);
	}
}

static NOINSTR void undup(int fd)
{
	long end = open_max() - 4;

	for (long k = 3; k < end; k++)
		if (k != fd)
			close((int)k);
}

/* The 40 lines to FD, with a game half way through. */
static NOINSTR int write_lines(int fd, void (*halfway)(int fd))
{
	for (int i = 0; i < 40; i++) {
		if (i == 20 && halfway)
			halfway(fd);
		work(1000);
		if (emit(fd, i) != 0) {
			perror("fdabuse: write");
			return 1;
		}
		pause_ms(5);
	}
	return 0;
}

static const char *cur_mode;

/* Half way, the same again, sparing the program's own file this time. */
static NOINSTR void again_close(int fd)
{
	if (!strcmp(cur_mode, "closefrom")) {
		close_range(3, (unsigned)fd - 1, 0);
		closefrom(fd + 1);
	} else if (!strcmp(cur_mode, "close_range")) {
		close_range(3, (unsigned)fd - 1, 0);
		close_range((unsigned)fd + 1, ~0U, 0);
	} else {
		close_all(cur_mode, fd);
	}
}

static NOINSTR void again_dup(int fd)
{
	undup(fd);
	dup_over(fd, !strcmp(cur_mode, "dup3"));
}

static NOINSTR int child(void)
{
	struct stat st;
	int bad = 0;

	if (fstat(3, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		printf("child: fd 3 is not the pipe\n");
		return 1;
	}
	/* What the child did not get must not cross an exec either. */
	for (long fd = 64; fd < open_max(); fd++) {
		int fl = fcntl((int)fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			char path[64], what[256] = "";

			snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
			if (readlink(path, what, sizeof(what) - 1) < 0)
				strcpy(what, "?");
			printf("child: fd %ld (%s) crossed exec\n", fd, what);
			bad++;
		}
	}
	if (bad) {
		printf("child: %d descriptors would leak across exec\n", bad);
		return 1;
	}
	return write_lines(3, NULL);
}

/* Remove the logs of the run directory the runtime was given. */
static NOINSTR void remove_logs(void)
{
	const char *dir = getenv("CPROF_DIR");
	struct dirent *e;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (e = readdir(d)) != NULL) {
		char path[4096];

		if (strncmp(e->d_name, "proc-", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static NOINSTR int handoff(const char *self, const char *file)
{
	int p[2], status, out;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	/*
	 * What the parent inherited is not the runtime's: close it, so that
	 * the child can tell what crosses exec.
	 */
	closefrom(64);
	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (int k = 3; k < 64; k++)
			if (k != p[1])
				dup2(p[1], k);
		if (p[1] >= 64)
			close(p[1]);
		execl(self, self, "child", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return 1;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return 1;
	close(out);
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status)
						      : 128 + WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int fd, rc;

	if (argc == 2 && !strcmp(argv[1], "child"))
		return child();
	if (argc != 3)
		return 99;
	cur_mode = argv[1];
	if (!strcmp(cur_mode, "handoff"))
		return handoff(argv[0], argv[2]);
	if (!strncmp(cur_mode, "dup", 3)) {
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 1;
		dup_over(fd, !strcmp(cur_mode, "dup3"));
		rc = write_lines(fd, again_dup);
		undup(fd);
	} else if (!strcmp(cur_mode, "rmlog")) {
		closefrom(3);
		remove_logs();
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 1;
		rc = write_lines(fd, NULL);
	} else {
		close_all(cur_mode, -1);
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 1;
		rc = write_lines(fd, again_close);
	}
	close(fd);
	printf("%s: fd %d\n", cur_mode, fd);
	return rc;
}
