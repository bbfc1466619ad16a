/*
 * threadstate.c - a program that changes what belongs to its threads, or
 * leaves them in ways no destructor sees, for t/e2e-threadstate.sh. Each
 * mode calls step() 100 times before the change and 100 times after (on
 * whatever thread goes on), prints one line and ends as stated:
 *
 *   setid       as root: keeps its capabilities across setresuid (keepcaps
 *               and capset, per thread), then setresgid and setgroups, as
 *               setpriv and privilege-dropping daemons do; glibc runs each
 *               call on every thread and aborts on differing results.
 *               Prints the ids it ends with; exit 0.
 *   rawexit N   the main thread leaves by the raw exit system call with
 *               code N; a worker thread then does the steps and returns:
 *               the last thread's code, 0, is the process's status.
 *   rawexit-last N   the same, but the main thread waits for the worker
 *               to end before it leaves: status N.
 *   strict      enters seccomp strict mode, steps on (instrumented code in
 *               strict mode), writes its line and leaves by raw exit: 0.
 *   notsc       disables the time stamp counter (PR_SET_TSC), then steps
 *               in itself, a thread and a fork child: exit 0. Prints
 *               "notsc unsupported" where the machine has no such switch.
 *   fsize       RLIMIT_FSIZE of 8 KiB, steps, a fork child that steps and
 *               leaves by _exit, then exit: status 0 and its output, with
 *               no SIGXFSZ that the program did not raise itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

COUNTED void step(void)
{
	sink++;
}

static NOINSTR void steps(int n)
{
	for (int i = 0; i < n; i++)
		step();
}

/* Keep CAP_SETGID and CAP_SETUID effective and permitted (raw capset). */
static NOINSTR int keep_setid_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	unsigned bits = (1u << CAP_SETGID) | (1u << CAP_SETUID);

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = bits;
	return (int)syscall(SYS_capset, &h, d);
}

static NOINSTR int do_setid(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	steps(100);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
	    setresuid(65534, 65534, 65534) != 0 || keep_setid_caps() != 0 ||
	    setresgid(65534, 65534, 65534) != 0 || setgroups(0, NULL) != 0) {
		printf("setid failed: %s\n", strerror(errno));
		return 1;
	}
	steps(100);
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("setid uid %d %d %d gid %d %d %d\n", (int)r, (int)e, (int)s,
	       (int)gr, (int)ge, (int)gs);
	return 0;
}

/* Whether the main thread has left (a zombie). */
static NOINSTR int main_gone(void)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)getpid());
	f = fopen(path, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !p || p[2] == 'Z' || p[2] == 'X';
}

static int wait_main;

static NOINSTR void *worker(void *arg)
{
	(void)arg;
	while (wait_main && !main_gone())
		usleep(1000);
	steps(100);
	printf("worker done\n");
	fflush(stdout);
	return NULL;
}

static NOINSTR int do_rawexit(int code, int main_last)
{
	pthread_t th;

	steps(100);
	wait_main = !main_last;
	if (pthread_create(&th, NULL, worker, NULL) != 0)
		return 1;
	if (main_last && pthread_join(th, NULL) != 0)
		return 1;
	syscall(SYS_exit, code);
	return 1;
}

static NOINSTR int do_strict(void)
{
	static const char msg[] = "strict done\n";

	steps(100);
	fflush(stdout);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) {
		printf("strict unsupported\n");
		return 0;
	}
	steps(100);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		syscall(SYS_exit, 2);
	syscall(SYS_exit, 0);
	return 1;
}

static NOINSTR void *notsc_thread(void *arg)
{
	(void)arg;
	steps(100);
	return NULL;
}

static NOINSTR int do_notsc(void)
{
	pthread_t th;
	pid_t pid;
	int st = 0;

	steps(100);
#ifdef PR_SET_TSC
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) {
#endif
		printf("notsc unsupported\n");
		return 0;
#ifdef PR_SET_TSC
	}
#endif
	steps(100);
	if (pthread_create(&th, NULL, notsc_thread, NULL) != 0 ||
	    pthread_join(th, NULL) != 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		steps(100);
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		return 1;
	printf("notsc done\n");
	return 0;
}

static NOINSTR int do_fsize(void)
{
	struct rlimit rl = {8192, 8192};
	pid_t pid;
	int st = 0;

	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 1;
	steps(3000);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		steps(3000);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	printf("fsize child %d\n", st);
	steps(3000);
	printf("fsize done\n");
	return 0;
}

int NOINSTR main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "setid") == 0)
		return do_setid();
	if (strcmp(mode, "rawexit") == 0)
		return do_rawexit(argc > 2 ? atoi(argv[2]) : 0, 0);
	if (strcmp(mode, "rawexit-last") == 0)
		return do_rawexit(argc > 2 ? atoi(argv[2]) : 0, 1);
	if (strcmp(mode, "strict") == 0)
		return do_strict();
	if (strcmp(mode, "notsc") == 0)
		return do_notsc();
	if (strcmp(mode, "fsize") == 0)
		return do_fsize();
	fprintf(stderr, "usage: threadstate setid|rawexit[-last] "
			"N|strict|notsc|fsize\n");
	return 2;
}
