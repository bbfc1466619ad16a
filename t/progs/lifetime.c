/*
 * lifetime.c - every way a process can end, for t/e2e-exits.sh,
 * t/e2e-pthread-exit.sh, t/e2e-vfork.sh and t/e2e-inherit.sh.
 *
 * Each mode calls work() 10 times in the main thread, then leaves by its
 * way out. An atexit handler prints "atexit" on stdout (flushed), so a
 * test can tell whether exit handlers ran.
 *
 *   exit _exit _Exit quick_exit abort abort-handled term raw-exit kill
 *   exec fexecve execveat daemon DONEFILE [GOFILE]
 *                 the way out named (abort-handled: a SIGABRT handler of
 *                 the program's own that returns; term: SIGTERM at its
 *                 default action; raw-exit: the exit_group system call
 *                 with status 3; kill: SIGKILL to itself; the exec modes
 *                 run this program again as "child"; daemon: daemon(3),
 *                 then the daemon calls serve() 300 times, waits for
 *                 GOFILE when given, writes DONEFILE and exits).
 *   ptexit N      main() starts N workers that call chunk() 500 times
 *                 each and leaves with pthread_exit(); each worker has a
 *                 thread-specific-data destructor of the program's own
 *                 that calls tsd_fn(), and prints "worker done".
 *   vfork         a vfork() child calls vchild() 50000 times (more than
 *                 a ring holds) and _exits; the parent calls work() again.
 *   vfork-bad     a vfork() child whose exec fails calls vchild() and then
 *                 exit(1) instead of _exit(): it runs its parent's exit
 *                 handlers. The parent goes on and exits 0.
 *   env-MODE      start "child" with an environment of its own holding
 *                 only FOO=bar, by MODE: execve, execle, execvpe, fexecve,
 *                 execveat, spawn, spawnp, or clearenv (the environ
 *                 emptied, then execv). The child prints FOO and the
 *                 number of its variables, and calls child_fn() 7 times.
 *   child         as above.
 *
 * Built with -finstrument-functions and -pthread.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

extern char **environ;

static char self[4096];

COUNTED void work(void)
{
	sink++;
}

COUNTED void chunk(void)
{
	sink++;
}

COUNTED void tsd_fn(void)
{
	sink++;
}

COUNTED void serve(void)
{
	sink++;
}

COUNTED void vchild(void)
{
	sink++;
}

COUNTED void child_fn(void)
{
	sink++;
}

/* write(2), not stdio: a handler may only make async-signal-safe calls. */
COUNTED void on_abort(int sig)
{
	static const char msg[] = "handled\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		sink++;
}

static NOINSTR void at_exit(void)
{
	fputs("atexit\n", stdout);
	fflush(stdout);
}

static pthread_key_t key;

static NOINSTR void tsd_dtor(void *p)
{
	(void)p;
	tsd_fn();
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setspecific(key, (void *)1);
	for (int i = 0; i < 500; i++)
		chunk();
	puts("worker done");
	fflush(stdout);
	return NULL;
}

static int child(void)
{
	const char *foo = getenv("FOO");
	int n = 0;

	for (char **e = environ; *e; e++)
		if (strncmp(*e, "CPROF_", 6) != 0 &&
		    strncmp(*e, "LD_PRELOAD=", 11) != 0 &&
		    strncmp(*e, "ASAN_OPTIONS=", 13) != 0 &&
		    strncmp(*e, "UBSAN_OPTIONS=", 14) != 0)
			n++;
	for (int i = 0; i < 7; i++)
		child_fn();
	printf("FOO=%s others=%d\n", foo ? foo : "(unset)", n - (foo != 0));
	return 0;
}

static int env_mode(const char *how)
{
	char *argv[] = {"lifetime", "child", NULL};
	char *envp[] = {"FOO=bar", NULL};
	pid_t pid;
	int st, fd;

	if (strcmp(how, "spawn") == 0 || strcmp(how, "spawnp") == 0) {
		int err = strcmp(how, "spawn") == 0
				  ? posix_spawn(&pid, self, NULL, NULL, argv,
						envp)
				  : posix_spawnp(&pid, self, NULL, NULL, argv,
						 envp);
		if (err)
			return 1;
		return waitpid(pid, &st, 0) == pid && st == 0 ? 0 : 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (strcmp(how, "execve") == 0)
			execve(self, argv, envp);
		else if (strcmp(how, "execle") == 0)
			execle(self, "lifetime", "child", (char *)NULL, envp);
		else if (strcmp(how, "execvpe") == 0)
			execvpe(self, argv, envp);
		else if (strcmp(how, "fexecve") == 0 &&
			 (fd = open(self, O_RDONLY | O_CLOEXEC)) >= 0)
			fexecve(fd, argv, envp);
		else if (strcmp(how, "execveat") == 0)
			execveat(AT_FDCWD, self, argv, envp, 0);
		else if (strcmp(how, "clearenv") == 0) {
			clearenv();
			setenv("FOO", "bar", 1);
			execv(self, argv);
		}
		_exit(126);
	}
	return waitpid(pid, &st, 0) == pid && st == 0 ? 0 : 1;
}

static int vfork_mode(int bad)
{
	char *argv[] = {"/nonexistent/cprof-test", NULL};
	pid_t pid = vfork();
	int st;

	if (pid == 0) {
		if (bad) {
			execv(argv[0], argv);
			vchild();
			exit(1);
		}
		for (int i = 0; i < 50000; i++)
			vchild();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	for (int i = 0; i < 10; i++)
		work();
	printf("child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (readlink("/proc/self/exe", self, sizeof self - 1) < 0)
		return 2;
	if (strcmp(m, "child") == 0)
		return child();
	atexit(at_exit);
	for (int i = 0; i < 10; i++)
		work();
	if (strncmp(m, "env-", 4) == 0)
		return env_mode(m + 4);
	if (strcmp(m, "vfork") == 0 || strcmp(m, "vfork-bad") == 0)
		return vfork_mode(strcmp(m, "vfork-bad") == 0);
	if (strcmp(m, "ptexit") == 0) {
		int n = argc > 2 ? atoi(argv[2]) : 2;
		pthread_t t;

		pthread_key_create(&key, tsd_dtor);
		for (int i = 0; i < n; i++)
			if (pthread_create(&t, NULL, worker, NULL) != 0)
				return 1;
		pthread_exit(NULL);
	}
	if (strcmp(m, "exit") == 0)
		exit(4);
	if (strcmp(m, "_exit") == 0)
		_exit(5);
	if (strcmp(m, "_Exit") == 0)
		_Exit(6);
	if (strcmp(m, "quick_exit") == 0)
		quick_exit(7);
	if (strcmp(m, "abort-handled") == 0) {
		fflush(stdout);
		signal(SIGABRT, on_abort);
	}
	if (strncmp(m, "abort", 5) == 0)
		abort();
	if (strcmp(m, "term") == 0)
		raise(SIGTERM);
	if (strcmp(m, "raw-exit") == 0)
		syscall(SYS_exit_group, 3);
	if (strcmp(m, "kill") == 0)
		raise(SIGKILL);
	if (strncmp(m, "exec", 4) == 0 || strcmp(m, "fexecve") == 0) {
		char *args[] = {"lifetime", "child", NULL};
		int fd = open(self, O_RDONLY | O_CLOEXEC);

		if (strcmp(m, "exec") == 0)
			execv(self, args);
		else if (strcmp(m, "fexecve") == 0)
			fexecve(fd, args, environ);
		else if (strcmp(m, "execveat") == 0)
			execveat(AT_FDCWD, self, args, environ, 0);
		return 126;
	}
	if (strcmp(m, "daemon") == 0 && argc > 2) {
		FILE *f;

		if (daemon(1, 0) != 0)
			return 1;
		for (int i = 0; i < 300; i++)
			serve();
		/* Until the test says go (at most 30 s), when it gives a file.
		 */
		for (int i = 0; argc > 3 && i < 3000 && access(argv[3], F_OK);
		     i++)
			usleep(10000);
		if ((f = fopen(argv[2], "w")) != NULL) {
			fputs("done\n", f);
			fclose(f);
		}
		return 0;
	}
	fputs("usage: lifetime MODE\n", stderr);
	return 2;
}
