/*
 * test-seccomp.c - unit tests of the runtime's judgement of a program's
 * seccomp filters (lib/seccomp.c) on hand-assembled classic BPF: what the
 * checker accepts and refuses as the kernel does (jumps out of range,
 * loads past struct seccomp_data or unaligned, codes seccomp does not
 * take, division by a constant zero, shifts of 32, scratch words read
 * before written on some path, no return at the end), what the
 * interpreter computes (every ALU and jump kind, scratch words, the
 * length, a division by a zero X ending with 0), and which runtime call a
 * filter would refuse: none for an allow-all, an errno the runtime copes
 * with, a call the runtime never makes, another architecture's calls or
 * a program the kernel refuses; the first refused one otherwise. And the
 * syscall() wrapper is transparent for every other call.
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "unit.h"

#define S(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define J(code, k, jt, jf) \
	((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define LD_NR	S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define RET(v)	S(BPF_RET | BPF_K, (v))
#define N(f)	(sizeof(f) / sizeof((f)[0]))

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

static void test_check_refuses(void)
{
	static struct sock_filter big[BPF_MAXINSNS + 1];
	struct sock_filter jump_past[] = {LD_NR,
					  J(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
					  RET(SECCOMP_RET_ALLOW)};
	struct sock_filter jump_past_f[] = {
		LD_NR, J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		RET(SECCOMP_RET_ALLOW)};
	struct sock_filter ja_past[] = {S(BPF_JMP | BPF_JA, 1), RET(0)};
	struct sock_filter past_data[] = {S(BPF_LD | BPF_W | BPF_ABS, 64),
					  RET(0)};
	struct sock_filter unaligned[] = {S(BPF_LD | BPF_W | BPF_ABS, 2),
					  RET(0)};
	struct sock_filter half[] = {S(BPF_LD | BPF_H | BPF_ABS, 0), RET(0)};
	struct sock_filter div0[] = {S(BPF_ALU | BPF_DIV | BPF_K, 0), RET(0)};
	struct sock_filter mod[] = {S(BPF_ALU | BPF_MOD | BPF_K, 3), RET(0)};
	struct sock_filter lsh32[] = {S(BPF_ALU | BPF_LSH | BPF_K, 32), RET(0)};
	struct sock_filter unset[] = {S(BPF_LD | BPF_MEM, 3), RET(0)};
	struct sock_filter mem16[] = {S(BPF_ST, 16), RET(0)};
	/* Stored on the taken path only. */
	struct sock_filter one_path[] = {
		LD_NR, J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), S(BPF_ST, 0),
		S(BPF_LD | BPF_MEM, 0), S(BPF_RET | BPF_A, 0)};
	struct sock_filter no_ret[] = {LD_NR, S(BPF_MISC | BPF_TAX, 0)};

	for (size_t i = 0; i < N(big); i++)
		big[i] = RET(SECCOMP_RET_ALLOW);
	ASSERT_EQ(cprof__bpf_check(big, 0), false);
	ASSERT_EQ(cprof__bpf_check(big, BPF_MAXINSNS + 1), false);
	ASSERT_EQ(cprof__bpf_check(big, BPF_MAXINSNS), true);
	ASSERT_EQ(cprof__bpf_check(jump_past, N(jump_past)), false);
	ASSERT_EQ(cprof__bpf_check(jump_past_f, N(jump_past_f)), false);
	ASSERT_EQ(cprof__bpf_check(ja_past, N(ja_past)), false);
	ASSERT_EQ(cprof__bpf_check(past_data, N(past_data)), false);
	ASSERT_EQ(cprof__bpf_check(unaligned, N(unaligned)), false);
	ASSERT_EQ(cprof__bpf_check(half, N(half)), false);
	ASSERT_EQ(cprof__bpf_check(div0, N(div0)), false);
	ASSERT_EQ(cprof__bpf_check(mod, N(mod)), false);
	ASSERT_EQ(cprof__bpf_check(lsh32, N(lsh32)), false);
	ASSERT_EQ(cprof__bpf_check(unset, N(unset)), false);
	ASSERT_EQ(cprof__bpf_check(mem16, N(mem16)), false);
	ASSERT_EQ(cprof__bpf_check(one_path, N(one_path)), false);
	ASSERT_EQ(cprof__bpf_check(no_ret, N(no_ret)), false);
}

/* Run F on call NR with ARGS (arch: this machine's). */
static uint32_t run(const struct sock_filter *f, size_t n, int nr,
		    const uint64_t *args)
{
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.nr = nr;
#ifdef ARCH
	d.arch = ARCH;
#endif
	if (args)
		memcpy(d.args, args, sizeof(d.args));
	return cprof__bpf_run(f, n, &d);
}

static void test_run(void)
{
	/* Arguments' words: low at 16 + 8i, high at 20 + 8i (little end). */
	const uint64_t args[6] = {7, 0x500000003ULL, 0, 0, 0, 0};
	size_t lo = offsetof(struct seccomp_data, args[1]);
	size_t hi = lo + 4;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	lo += 4;
	hi -= 4;
#endif
	struct sock_filter words[] = {S(BPF_LD | BPF_W | BPF_ABS, (uint32_t)lo),
				      S(BPF_ST, 0),
				      S(BPF_LD | BPF_W | BPF_ABS, (uint32_t)hi),
				      S(BPF_MISC | BPF_TAX, 0),
				      S(BPF_LD | BPF_MEM, 0),
				      S(BPF_ALU | BPF_MUL | BPF_X, 0),
				      S(BPF_RET | BPF_A, 0)}; /* 3 * 5 */
	struct sock_filter alu[] = {S(BPF_LD | BPF_IMM, 100),
				    S(BPF_ALU | BPF_ADD | BPF_K, 20),
				    S(BPF_ALU | BPF_SUB | BPF_K, 10),
				    S(BPF_ALU | BPF_DIV | BPF_K, 2),
				    S(BPF_ALU | BPF_OR | BPF_K, 0x100),
				    S(BPF_ALU | BPF_AND | BPF_K, 0x1ff),
				    S(BPF_ALU | BPF_XOR | BPF_K, 1),
				    S(BPF_ALU | BPF_LSH | BPF_K, 4),
				    S(BPF_ALU | BPF_RSH | BPF_K, 2),
				    S(BPF_RET | BPF_A, 0)};
	struct sock_filter neg[] = {S(BPF_LD | BPF_IMM, 1),
				    S(BPF_ALU | BPF_NEG, 0),
				    S(BPF_RET | BPF_A, 0)};
	struct sock_filter len[] = {S(BPF_LDX | BPF_W | BPF_LEN, 0),
				    S(BPF_MISC | BPF_TXA, 0),
				    S(BPF_RET | BPF_A, 0)};
	/* A shift by X takes its low five bits: 33 shifts by 1. */
	struct sock_filter shx[] = {
		S(BPF_LDX | BPF_IMM, 33), S(BPF_LD | BPF_IMM, 3),
		S(BPF_ALU | BPF_LSH | BPF_X, 0), S(BPF_RET | BPF_A, 0)};
	/* A division by a zero X ends the program with 0 (KILL_THREAD). */
	struct sock_filter divx[] = {
		S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_IMM, 9),
		S(BPF_ALU | BPF_DIV | BPF_X, 0), RET(SECCOMP_RET_ALLOW)};
	struct sock_filter jumps[] = {LD_NR,
				      J(BPF_JMP | BPF_JGT | BPF_K, 10, 0, 1),
				      RET(1), /* nr > 10 */
				      J(BPF_JMP | BPF_JGE | BPF_K, 5, 0, 1),
				      RET(2), /* nr >= 5 */
				      J(BPF_JMP | BPF_JSET | BPF_K, 2, 0, 1),
				      RET(3), /* nr & 2 */
				      S(BPF_LDX | BPF_IMM, 1),
				      J(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
				      RET(4), /* nr == 1 */
				      S(BPF_JMP | BPF_JA, 1),
				      RET(5),
				      RET(6)};

	ASSERT_EQ_FATAL(cprof__bpf_check(words, N(words)), true);
	ASSERT_EQ(run(words, N(words), 0, args), 15);
	ASSERT_EQ_FATAL(cprof__bpf_check(alu, N(alu)), true);
	ASSERT_EQ(run(alu, N(alu), 0, NULL),
		  ((((55 | 0x100) & 0x1ff) ^ 1) << 4) >> 2);
	ASSERT_EQ(run(neg, N(neg), 0, NULL), 0xffffffffu);
	ASSERT_EQ(run(len, N(len), 0, NULL), sizeof(struct seccomp_data));
	ASSERT_EQ(run(shx, N(shx), 0, NULL), 6);
	ASSERT_EQ_FATAL(cprof__bpf_check(divx, N(divx)), true);
	ASSERT_EQ(run(divx, N(divx), 0, NULL), 0);
	ASSERT_EQ_FATAL(cprof__bpf_check(jumps, N(jumps)), true);
	ASSERT_EQ(run(jumps, N(jumps), 11, NULL), 1);
	ASSERT_EQ(run(jumps, N(jumps), 10, NULL), 2);
	ASSERT_EQ(run(jumps, N(jumps), 5, NULL), 2);
	ASSERT_EQ(run(jumps, N(jumps), 2, NULL), 3);
	ASSERT_EQ(run(jumps, N(jumps), 1, NULL), 4);
	ASSERT_EQ(run(jumps, N(jumps), 0, NULL), 6);
}

static void test_refused(void)
{
#ifndef ARCH
	SKIP("no seccomp architecture known here");
#else
	const char *why = NULL;
	struct sock_filter allow[] = {RET(SECCOMP_RET_ALLOW)};
	struct sock_filter log[] = {RET(SECCOMP_RET_LOG)};
	struct sock_filter kill_all[] = {RET(SECCOMP_RET_KILL_PROCESS)};
	/* An allow-list of what a program needs, killing the rest. */
	struct sock_filter list[] = {
		LD_NR,
		J(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 0, 1),
		RET(SECCOMP_RET_ALLOW),
		J(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 1),
		RET(SECCOMP_RET_ALLOW),
		J(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 0, 1),
		RET(SECCOMP_RET_ALLOW),
		RET(SECCOMP_RET_KILL_PROCESS)};
#define ONE(nr, action)                                                       \
	{                                                                     \
		LD_NR, J(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(action), \
			RET(SECCOMP_RET_ALLOW)                                \
	}
	struct sock_filter kill_futex[] =
		ONE(SYS_futex, SECCOMP_RET_KILL_THREAD);
	struct sock_filter errno_futex[] =
		ONE(SYS_futex, SECCOMP_RET_ERRNO | EPERM);
	struct sock_filter fake_futex[] = ONE(SYS_futex, SECCOMP_RET_ERRNO);
	struct sock_filter errno_getpid[] =
		ONE(SYS_getpid, SECCOMP_RET_ERRNO | EPERM);
	struct sock_filter trap_yield[] =
		ONE(SYS_sched_yield, SECCOMP_RET_TRAP);
	struct sock_filter trace_close[] = ONE(SYS_close, SECCOMP_RET_TRACE);
	struct sock_filter kill_uname[] =
		ONE(SYS_uname, SECCOMP_RET_KILL_PROCESS);
	struct sock_filter kill_perf[] =
		ONE(SYS_perf_event_open, SECCOMP_RET_KILL_PROCESS);
	struct sock_filter odd_action[] = ONE(SYS_futex, 0x00070000U);
	/* Other architectures are killed, this one's allowed. */
	struct sock_filter arch[] = {
		LD_ARCH, J(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS), RET(SECCOMP_RET_ALLOW)};
	/* write killed on descriptor 1 only, or on 1000 only. */
	struct sock_filter write_fd[] = {
		LD_NR,
		J(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 3),
		S(BPF_LD | BPF_W | BPF_ABS,
		  offsetof(struct seccomp_data, args[0])),
		J(BPF_JMP | BPF_JEQ | BPF_K, 1000, 0, 1),
		RET(SECCOMP_RET_KILL_PROCESS),
		RET(SECCOMP_RET_ALLOW)};
	/* Would kill everything, but the kernel refuses it: nothing to do. */
	struct sock_filter malformed[] = {LD_NR,
					  J(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 9),
					  RET(SECCOMP_RET_KILL_PROCESS)};
	/* A zero X at run time: every call ends with 0, KILL_THREAD. */
	struct sock_filter divx[] = {S(BPF_LDX | BPF_IMM, 0), LD_NR,
				     S(BPF_ALU | BPF_DIV | BPF_X, 0),
				     RET(SECCOMP_RET_ALLOW)};
	struct sock_filter errno_sigaction[] =
		ONE(SYS_rt_sigaction, SECCOMP_RET_ERRNO | EPERM);
	struct sock_filter errno_tgkill[] =
		ONE(SYS_tgkill, SECCOMP_RET_ERRNO | EPERM);
	struct sock_filter kill_sigaction[] =
		ONE(SYS_rt_sigaction, SECCOMP_RET_KILL_PROCESS);
	bool unhook = true;
	int nev = cprof__ctr.nev;

	ASSERT_EQ(cprof__seccomp_refused(allow, N(allow), 5, NULL, NULL) ==
			  NULL,
		  true);
	ASSERT_EQ(cprof__seccomp_refused(log, N(log), 5, NULL, NULL) == NULL,
		  true);
	ASSERT_STR_EQ(
		cprof__seccomp_refused(kill_all, N(kill_all), 5, &why, NULL),
		"getpid");
	ASSERT_EQ(strstr(why, "kill") != NULL, true);
	ASSERT_STR_EQ(cprof__seccomp_refused(list, N(list), 5, NULL, NULL),
		      "getpid");
	ASSERT_STR_EQ(cprof__seccomp_refused(kill_futex, N(kill_futex), 5, NULL,
					     NULL),
		      "futex");
	ASSERT_EQ(cprof__seccomp_refused(errno_futex, N(errno_futex), 5, NULL,
					 NULL) == NULL,
		  true);
	ASSERT_EQ(cprof__seccomp_refused(fake_futex, N(fake_futex), 5, NULL,
					 NULL) == NULL,
		  true);
	ASSERT_STR_EQ(cprof__seccomp_refused(errno_getpid, N(errno_getpid), 5,
					     &why, NULL),
		      "getpid");
	ASSERT_EQ(strstr(why, "fail") != NULL, true);
	ASSERT_STR_EQ(cprof__seccomp_refused(trap_yield, N(trap_yield), 5, &why,
					     NULL),
		      "sched_yield");
	ASSERT_EQ(strstr(why, "SIGSYS") != NULL, true);
	ASSERT_STR_EQ(cprof__seccomp_refused(trace_close, N(trace_close), 5,
					     &why, NULL),
		      "close");
	ASSERT_EQ(strstr(why, "supervisor") != NULL, true);
	ASSERT_EQ(cprof__seccomp_refused(kill_uname, N(kill_uname), 5, NULL,
					 NULL) == NULL,
		  true);
	ASSERT_STR_EQ(cprof__seccomp_refused(odd_action, N(odd_action), 5, NULL,
					     NULL),
		      "futex");
	ASSERT_EQ(cprof__seccomp_refused(arch, N(arch), 5, NULL, NULL) == NULL,
		  true);
	ASSERT_EQ(cprof__seccomp_refused(write_fd, N(write_fd), 5, NULL,
					 NULL) == NULL,
		  true);
	ASSERT_STR_EQ(
		cprof__seccomp_refused(write_fd, N(write_fd), 1000, NULL, NULL),
		"write");
	ASSERT_EQ(cprof__seccomp_refused(malformed, N(malformed), 5, NULL,
					 NULL) == NULL,
		  true);
	ASSERT_STR_EQ(cprof__seccomp_refused(divx, N(divx), 5, NULL, NULL),
		      "getpid");
	/*
	 * The fatal-signal handler's calls failed: recording goes on
	 * without the handlers; killed: recording ends.
	 */
	ASSERT_EQ(cprof__seccomp_refused(allow, N(allow), 5, NULL, &unhook) ==
			  NULL,
		  true);
	ASSERT_EQ(unhook, false);
	ASSERT_EQ(cprof__seccomp_refused(errno_sigaction, N(errno_sigaction), 5,
					 NULL, &unhook) == NULL,
		  true);
	ASSERT_EQ(unhook, true);
	unhook = false;
	ASSERT_EQ(cprof__seccomp_refused(errno_tgkill, N(errno_tgkill), 5, NULL,
					 &unhook) == NULL,
		  true);
	ASSERT_EQ(unhook, true);
	ASSERT_STR_EQ(cprof__seccomp_refused(kill_sigaction, N(kill_sigaction),
					     5, NULL, NULL),
		      "rt_sigaction");
	/* perf_event_open is the runtime's only with counters. */
	cprof__ctr.nev = 0;
	ASSERT_EQ(cprof__seccomp_refused(kill_perf, N(kill_perf), 5, NULL,
					 NULL) == NULL,
		  true);
	cprof__ctr.nev = 1;
	ASSERT_STR_EQ(
		cprof__seccomp_refused(kill_perf, N(kill_perf), 5, NULL, NULL),
		"perf_event_open");
	cprof__ctr.nev = nev;
#endif
}

/* The syscall() wrapper (linked in): other calls as the C library's. */
static void test_syscall_transparent(void)
{
	char buf[4] = "abc";
	long r;

	ASSERT_EQ(syscall(SYS_getpid), getpid());
	errno = 0;
	r = syscall(SYS_write, -1, buf, 3);
	ASSERT_EQ(r, -1);
	ASSERT_EQ(errno, EBADF);
	/* Six arguments reach the kernel: futex's val3 is the sixth. */
	errno = 0;
	r = syscall(SYS_futex, NULL, 12345, 0, NULL, NULL, 0);
	ASSERT_EQ(r, -1);
	ASSERT_EQ(errno == ENOSYS || errno == EINVAL, true);
	/* The wrapped numbers keep the kernel's answer and errno. */
	errno = 0;
	ASSERT_EQ(syscall(SYS_seccomp, 99, 0, NULL), -1);
	ASSERT_EQ(errno, EINVAL);
	errno = 0;
	ASSERT_EQ(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL), -1);
	ASSERT_EQ(errno, EFAULT);
	errno = 0;
	ASSERT_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL), -1);
	ASSERT_EQ(errno == EFAULT || errno == EACCES, true);
	errno = 0;
	ASSERT_EQ(syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL),
		  -1);
	ASSERT_EQ(errno == EFAULT || errno == EACCES, true);
	ASSERT_EQ(syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0),
		  prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	errno = 0;
	ASSERT_EQ(syscall(SYS_unshare, -1L), -1);
	ASSERT_EQ(errno, EINVAL);
	errno = 0;
	ASSERT_EQ(syscall(SYS_setns, -1, 0), -1);
	ASSERT_EQ(errno, EBADF);
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"the checker refuses what the kernel refuses",
		 test_check_refuses},
		{"the interpreter runs as the kernel", test_run},
		{"filters refuse the runtime's calls or not", test_refused},
		{"syscall() stays transparent", test_syscall_transparent},
	};

	if (tu_suite("seccomp", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
