/*
 * sandbox.h - a seccomp filter that answers chosen system calls with an
 * errno, shared by the sandbox helper (installed before exec, as a
 * container runtime does) and by sandboxed.c (installed by the program
 * itself once running, for all its threads, as a service does).
 */
#ifndef CPROF_TEST_SANDBOX_H
#define CPROF_TEST_SANDBOX_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

/* A call this architecture does not have is named with nr -2: no rule. */
struct sandbox_rule {
	long nr;
	int err;
};

static const struct {
	const char *name;
	long nr;
} sandbox_calls[] = {
	{"futex", SYS_futex},
	{"clock_nanosleep", SYS_clock_nanosleep},
#ifdef SYS_nanosleep
	{"nanosleep", SYS_nanosleep},
#else
	{"nanosleep", -2},
#endif
#ifdef SYS_poll
	{"poll", SYS_poll},
#else
	{"poll", -2},
#endif
	{"ppoll", SYS_ppoll},
	{"perf_event_open", SYS_perf_event_open},
	{"openat", SYS_openat},
	{"fstat", SYS_fstat},
	{"newfstatat", SYS_newfstatat},
#ifdef SYS_statx
	{"statx", SYS_statx},
#else
	{"statx", -2},
#endif
	{"prlimit64", SYS_prlimit64},
#ifdef SYS_getrlimit
	{"getrlimit", SYS_getrlimit},
#else
	{"getrlimit", -2},
#endif
	{"fcntl", SYS_fcntl},
	{"getdents64", SYS_getdents64},
	{"clone", SYS_clone},
#ifdef SYS_clone3
	{"clone3", SYS_clone3},
#else
	{"clone3", -2},
#endif
	{"ioctl", SYS_ioctl},
#ifdef SYS_rseq
	{"rseq", SYS_rseq},
#else
	{"rseq", -2},
#endif
	{"set_robust_list", SYS_set_robust_list},
};

static const struct {
	const char *name;
	int err;
} sandbox_errs[] = {
	{"0", 0},	    {"EPERM", EPERM},	{"EACCES", EACCES},
	{"ENOSYS", ENOSYS}, {"EINVAL", EINVAL}, {"EAGAIN", EAGAIN},
};

/* "CALL=ERRNO" into R; 0 or -1. */
static __attribute__((no_instrument_function, unused)) int
sandbox_parse_rule(const char *s, struct sandbox_rule *r)
{
	const char *eq = strchr(s, '=');
	size_t i;

	if (!eq)
		return -1;
	r->nr = -1;
	for (i = 0; i < sizeof(sandbox_calls) / sizeof(sandbox_calls[0]); i++)
		if (strlen(sandbox_calls[i].name) == (size_t)(eq - s) &&
		    !strncmp(sandbox_calls[i].name, s, (size_t)(eq - s)))
			r->nr = sandbox_calls[i].nr;
	if (r->nr == -1)
		return -1;
	for (i = 0; i < sizeof(sandbox_errs) / sizeof(sandbox_errs[0]); i++)
		if (!strcmp(sandbox_errs[i].name, eq + 1)) {
			r->err = sandbox_errs[i].err;
			return 0;
		}
	return -1;
}

/*
 * Install the filter: another architecture is killed (as real profiles
 * do), each rule's call gets its errno, everything else is allowed. With
 * ALL_THREADS (SECCOMP_FILTER_FLAG_TSYNC) every thread of the process gets
 * it, the runtime's writer too. 0, or -1 with errno.
 */
static __attribute__((no_instrument_function, unused)) int
sandbox_install(const struct sandbox_rule *rules, int n, bool all_threads)
{
#ifdef SANDBOX_ARCH
	struct sock_filter f[4 + 2 * 32 + 1];
	int k = 0;

	if (n > 32) {
		errno = EINVAL;
		return -1;
	}
	f[k++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      SANDBOX_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) {
		if (rules[i].nr < 0)
			continue;
		f[k++] = (struct sock_filter)BPF_JUMP(
			BPF_JMP | BPF_JEQ | BPF_K, (unsigned)rules[i].nr, 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(
			BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO |
				((unsigned)rules[i].err & SECCOMP_RET_DATA));
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ALLOW);

	struct sock_fprog prog = {(unsigned short)k, f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		       all_threads ? SECCOMP_FILTER_FLAG_TSYNC : 0, &prog) == 0
		       ? 0
		       : -1;
#else
	(void)rules;
	(void)n;
	(void)all_threads;
	errno = ENOSYS;
	return -1;
#endif
}

#endif /* CPROF_TEST_SANDBOX_H */
