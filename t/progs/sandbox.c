/*
 * sandbox.c - run a command in the sandbox a test asks for, and tell the
 * CPU time it used: the harness for the tests of the runtime under
 * seccomp filters and descriptor limits (t/e2e-sandbox.sh, ...).
 *
 *   sandbox [-n NOFILE] [-d SYSCALL=ERRNO]... [-c FILE] -- CMD ARGS...
 *
 * -n sets RLIMIT_NOFILE (soft and hard) for CMD. -d makes a seccomp filter
 * answer SYSCALL with ERRNO (a name: EPERM, EACCES, ENOSYS, or 0 for a
 * faked success), as container runtimes and systemd's SystemCallFilter do;
 * every other call is allowed. The filter is installed with
 * PR_SET_NO_NEW_PRIVS, so no privilege is needed. -c writes the user and
 * system CPU time of CMD and all it waited for, in milliseconds, to FILE.
 * The exit status is CMD's (128 + the signal when killed).
 *
 * Not instrumented: it is not what the tests profile.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

int main(int argc, char **argv)
{
	struct sandbox_rule rules[32];
	int nrules = 0, opt, status;
	long nofile = -1;
	const char *cpu_file = NULL;
	struct rusage ru;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+n:d:c:")) != -1) {
		switch (opt) {
		case 'n':
			nofile = atol(optarg);
			break;
		case 'd':
			if (nrules == 32 ||
			    sandbox_parse_rule(optarg, &rules[nrules]) != 0) {
				fprintf(stderr, "sandbox: bad rule '%s'\n",
					optarg);
				return 99;
			}
			nrules++;
			break;
		case 'c':
			cpu_file = optarg;
			break;
		default:
			return 99;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: sandbox [-n N] [-d CALL=ERRNO]... "
				"[-c FILE] -- CMD ARGS...\n");
		return 99;
	}
	pid = fork();
	if (pid < 0) {
		perror("sandbox: fork");
		return 99;
	}
	if (pid == 0) {
		if (nofile >= 0) {
			struct rlimit rl = {(rlim_t)nofile, (rlim_t)nofile};

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
				perror("sandbox: setrlimit");
				_exit(99);
			}
		}
		if (nrules && sandbox_install(rules, nrules, false) != 0) {
			perror("sandbox: seccomp");
			_exit(77);
		}
		execvp(argv[optind], argv + optind);
		perror("sandbox: exec");
		_exit(99);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("sandbox: wait4");
		return 99;
	}
	if (cpu_file) {
		FILE *f = fopen(cpu_file, "w");

		if (!f)
			return 99;
		fprintf(f, "%ld %ld\n",
			ru.ru_utime.tv_sec * 1000L + ru.ru_utime.tv_usec / 1000,
			ru.ru_stime.tv_sec * 1000L +
				ru.ru_stime.tv_usec / 1000);
		fclose(f);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
