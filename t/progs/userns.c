/*
 * userns.c - a program entering user namespaces after start, as sandboxes
 * and container runtimes do, for t/e2e-userns.sh. The kernel allows that
 * only to a single-threaded process (EINVAL otherwise).
 *
 *   userns unshare        unshare(CLONE_NEWUSER)
 *   userns unshare-twice  the same, twice (a namespace in a namespace)
 *   userns setns          setns() into the user namespace of a child that
 *                         made one, with nstype CLONE_NEWUSER
 *   userns setns0         the same with nstype 0
 *   userns threads        unshare(CLONE_NEWUSER) with a thread of its own
 *                         running: EINVAL, with cprof or without
 *
 *   step   200   (100 before the call, 100 after)
 *
 * It prints the outcome of each call ("ok" or the errno name) and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR const char *outcome(int r)
{
	if (r == 0)
		return "ok";
	switch (errno) {
	case EINVAL:
		return "EINVAL";
	case EPERM:
		return "EPERM";
	case ENOSPC:
		return "ENOSPC";
	case EUSERS:
		return "EUSERS";
	case ENOSYS:
		return "ENOSYS";
	default:
		return "other";
	}
}

static int hold[2];

static NOINSTR void *sleeper(void *arg)
{
	char c;

	(void)arg;
	return read(hold[0], &c, 1) < 0 ? NULL : NULL;
}

/* setns into a user namespace a child makes; the child waits meanwhile. */
static NOINSTR int join_child_ns(int nstype)
{
	int ready[2], done[2], fd, r;
	char c, path[64];
	pid_t pid;

	if (pipe(ready) != 0 || pipe(done) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'y') {
		errno = ENOSYS;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -1 : setns(fd, nstype);
	int err = errno;
	if (fd >= 0)
		close(fd);
	c = 'x';
	if (write(done[1], &c, 1) != 1)
		r = -1;
	waitpid(pid, NULL, 0);
	errno = err;
	return r;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	pthread_t th;
	int r;

	for (int i = 0; i < 100; i++)
		step();
	if (!strcmp(m, "unshare")) {
		r = unshare(CLONE_NEWUSER);
		printf("unshare %s\n", outcome(r));
	} else if (!strcmp(m, "unshare-twice")) {
		r = unshare(CLONE_NEWUSER);
		printf("unshare %s\n", outcome(r));
		r = unshare(CLONE_NEWUSER);
		printf("unshare %s\n", outcome(r));
	} else if (!strcmp(m, "setns") || !strcmp(m, "setns0")) {
		r = join_child_ns(!strcmp(m, "setns") ? CLONE_NEWUSER : 0);
		printf("setns %s\n", outcome(r));
	} else if (!strcmp(m, "threads")) {
		if (pipe(hold) != 0 ||
		    pthread_create(&th, NULL, sleeper, NULL) != 0)
			return 3;
		r = unshare(CLONE_NEWUSER);
		printf("unshare with a thread %s\n", outcome(r));
		if (write(hold[1], "x", 1) != 1)
			return 3;
		pthread_join(th, NULL);
	} else {
		return 99;
	}
	for (int i = 0; i < 100; i++)
		step();
	return 0;
}
