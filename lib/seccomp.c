/*
 * seccomp.c - the program's seccomp filters, judged before they are
 * installed.
 *
 * A filter a program installs applies to the calling thread and to every
 * thread and process it makes afterwards, or to all its threads at once
 * (SECCOMP_FILTER_FLAG_TSYNC): the runtime's own system calls (the
 * writer's futex waits and writes, a hook's futex wake or gettid, the
 * counters' perf_event_open, the fatal-signal handler's tgkill) then go
 * through it too. A filter written for the program alone may kill the
 * process at the runtime's next call, send it a SIGSYS it never expected,
 * or show a supervisor calls the program never makes. The wrappers of
 * prctl(PR_SET_SECCOMP) and syscall(SYS_seccomp) (wrap.c) ask this file
 * first: the filter's classic BPF program is run here, on a small
 * interpreter of the part of cBPF seccomp accepts, against every system
 * call the runtime may make from then on, with the arguments it would
 * pass. An answer of ALLOW or LOG is fine, and so is an errno for the calls
 * whose failure the runtime copes with (it backs off, falls back, or goes
 * on without what the call gave). Anything else (KILL_THREAD,
 * KILL_PROCESS, TRAP, TRACE, USER_NOTIF, an action the kernel does not
 * know, or an errno for a call the runtime cannot do without) ends the
 * process's recording before the filter is installed (runtime.c,
 * cprof__sandbox_end), with one line naming the call. A program the
 * kernel would refuse (EINVAL) changes nothing.
 *
 * The check reads the program's sock_fprog and its instructions where the
 * program put them, as the kernel will a moment later (a pointer the
 * kernel would answer EFAULT for faults here instead). The only system
 * calls the check makes (whether no_new_privs is set, the capabilities)
 * are in the list: a later filter is never judged under an earlier one
 * that would kill the judging.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Linux's numbers, for C library headers that predate them. */
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL 0xffff0000U
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC 1UL
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif
#ifndef BPF_MEMWORDS
#define BPF_MEMWORDS 16
#endif

/* The classic BPF of seccomp. */

/*
 * Whether the kernel would accept F (N instructions) as a seccomp filter:
 * its classic BPF checks (bpf_check_classic: length, known codes, no
 * division by a constant 0 nor shift by 32 or more, scratch words in
 * range and never read before written on any path, jumps inside the
 * program, a return last) and seccomp's own (only the codes it lists;
 * loads of aligned words inside struct seccomp_data).
 */
CPROF__NOINSTR bool cprof__bpf_check(const struct sock_filter *f, size_t n)
{
	uint16_t masks[BPF_MAXINSNS], valid = 0;

	if (n == 0 || n > BPF_MAXINSNS)
		return false;
	for (size_t pc = 0; pc < n; pc++) {
		uint32_t k = f[pc].k;

		switch (f[pc].code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k >= sizeof(struct seccomp_data) || (k & 3))
				return false;
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (k == 0)
				return false;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (k >= 32)
				return false;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return false;
			break;
		case BPF_JMP | BPF_JA:
			if (k >= n - pc - 1)
				return false;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			if (pc + f[pc].jt + 1 >= n || pc + f[pc].jf + 1 >= n)
				return false;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
		case BPF_ALU | BPF_ADD | BPF_K:
		case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K:
		case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K:
		case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K:
		case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X:
		case BPF_ALU | BPF_RSH | BPF_X:
		case BPF_ALU | BPF_NEG:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
			break;
		default:
			return false;
		}
	}
	if (BPF_CLASS(f[n - 1].code) != BPF_RET)
		return false;
	/*
	 * A scratch word may be read only where every path to the read
	 * stored it: the words valid at each instruction are those valid on
	 * every jump into it (the kernel's check_load_and_stores).
	 */
	memset(masks, 0xff, n * sizeof(masks[0]));
	for (size_t pc = 0; pc < n; pc++) {
		uint32_t k = f[pc].k;

		valid &= masks[pc];
		switch (f[pc].code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1u << k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << k)))
				return false;
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + k] &= valid;
			valid = 0xffff;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			masks[pc + 1 + f[pc].jt] &= valid;
			masks[pc + 1 + f[pc].jf] &= valid;
			valid = 0xffff;
			break;
		default:
			break;
		}
	}
	return true;
}

/*
 * Run F (checked by cprof__bpf_check) on D: the value it returns. As the
 * kernel runs it: 32-bit unsigned arithmetic, a division by a zero X ends
 * the program with 0 (SECCOMP_RET_KILL_THREAD), a shift by X takes its low
 * five bits, word loads in the machine's byte order.
 */
CPROF__NOINSTR uint32_t cprof__bpf_run(const struct sock_filter *f, size_t n,
				       const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		uint32_t k = f[pc].k;
		bool jump;

		switch (f[pc].code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, (const char *)d + k, sizeof(a));
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(*d);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(*d);
			continue;
		case BPF_LD | BPF_IMM:
			a = k;
			continue;
		case BPF_LDX | BPF_IMM:
			x = k;
			continue;
		case BPF_LD | BPF_MEM:
			a = mem[k];
			continue;
		case BPF_LDX | BPF_MEM:
			x = mem[k];
			continue;
		case BPF_ST:
			mem[k] = a;
			continue;
		case BPF_STX:
			mem[k] = x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_ALU | BPF_NEG:
			a = -a;
			continue;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		default:
			break;
		}
		if (BPF_CLASS(f[pc].code) == BPF_ALU) {
			uint32_t v = BPF_SRC(f[pc].code) == BPF_X ? x : k;

			switch (BPF_OP(f[pc].code)) {
			case BPF_ADD:
				a += v;
				break;
			case BPF_SUB:
				a -= v;
				break;
			case BPF_MUL:
				a *= v;
				break;
			case BPF_DIV:
				if (v == 0)
					return 0;
				a /= v;
				break;
			case BPF_AND:
				a &= v;
				break;
			case BPF_OR:
				a |= v;
				break;
			case BPF_XOR:
				a ^= v;
				break;
			case BPF_LSH:
				a <<= v & 31;
				break;
			case BPF_RSH:
				a >>= v & 31;
				break;
			default:
				return 0;
			}
			continue;
		}
		if (BPF_CLASS(f[pc].code) != BPF_JMP)
			return 0;
		{
			uint32_t v = BPF_SRC(f[pc].code) == BPF_X ? x : k;

			switch (BPF_OP(f[pc].code)) {
			case BPF_JEQ:
				jump = a == v;
				break;
			case BPF_JGT:
				jump = a > v;
				break;
			case BPF_JGE:
				jump = a >= v;
				break;
			case BPF_JSET:
				jump = (a & v) != 0;
				break;
			default:
				return 0;
			}
			pc += jump ? f[pc].jt : f[pc].jf;
		}
	}
	return 0;
}

/* The runtime's system calls. */

#if defined(__x86_64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_AARCH64
#endif

/*
 * What an errno answer does to the runtime. COPES: the runtime backs off,
 * falls back or does without. NEEDS: the runtime cannot do without the
 * call (its identity checks, its writes, a thread's exit): any answer but
 * ALLOW or LOG ends recording. SIGNALS: the fatal-signal handler's calls
 * to die of the signal as the program would have (give the action back,
 * raise): refused with an errno, the handlers are given back before the
 * filter and recording goes on (a fatal signal then ends the log without
 * an end record, as a kill does). COUNTERS: made only with perf_event
 * counters on (copes).
 */
enum need { COPES, NEEDS, SIGNALS, COUNTERS };

struct call {
	const char *name;
	long nr;
	enum need need;
	uint64_t args[6];
};

/* Stand-ins for the runtime's descriptors and pointers. */
#define FD  0xcf0dcf0dULL /* replaced with the log's descriptor */
#define PTR 0x7f0000001000ULL
#define LEN 0x80000ULL
#define CLONE_THREAD_FLAGS                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |               \
	 CLONE_CHILD_CLEARTID)
#define ANON	  (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW	  (PROT_READ | PROT_WRITE)
#define SIGSET_SZ (_NSIG / 8)

/*
 * Every system call the runtime may make once a filter is in place, on
 * any thread (the writer; a program thread's first event, slow path and
 * end; the fatal-signal handler; the wrappers; a writer started again
 * after unshare, setns, set*id or fork), with the arguments it passes.
 * Clock reads go through the vDSO and make none. "fd" arguments are the
 * log's descriptor, which stands for all the runtime's.
 */
static const struct call calls[] = {
	{"getpid", SYS_getpid, NEEDS, {0}},
	{"gettid", SYS_gettid, NEEDS, {0}},
	{"write", SYS_write, NEEDS, {FD, PTR, LEN}},
	{"write", SYS_write, NEEDS, {2, PTR, 200}},
	{"rt_sigprocmask",
	 SYS_rt_sigprocmask,
	 COPES,
	 {SIG_SETMASK, PTR, PTR, SIGSET_SZ}},
	{"rt_sigprocmask",
	 SYS_rt_sigprocmask,
	 COPES,
	 {SIG_BLOCK, PTR, PTR, SIGSET_SZ}},
	{"rt_sigprocmask",
	 SYS_rt_sigprocmask,
	 COPES,
	 {SIG_UNBLOCK, PTR, 0, SIGSET_SZ}},
	{"rt_sigaction",
	 SYS_rt_sigaction,
	 SIGNALS,
	 {SIGTERM, PTR, 0, SIGSET_SZ}},
	{"rt_sigaction",
	 SYS_rt_sigaction,
	 SIGNALS,
	 {SIGSEGV, PTR, 0, SIGSET_SZ}},
	{"tgkill", SYS_tgkill, SIGNALS, {1000, 1000, SIGTERM}},
	{"rt_sigreturn", SYS_rt_sigreturn, NEEDS, {0}},
	{"exit", SYS_exit, NEEDS, {0}},
	{"exit_group", SYS_exit_group, NEEDS, {0}},
	{"futex", SYS_futex, COPES, {PTR, FUTEX_WAKE_PRIVATE, 1}},
	{"futex", SYS_futex, COPES, {PTR, FUTEX_WAIT_PRIVATE, 0, PTR}},
	{"clock_nanosleep",
	 SYS_clock_nanosleep,
	 COPES,
	 {CLOCK_MONOTONIC, 0, PTR, 0}},
	{"clock_nanosleep",
	 SYS_clock_nanosleep,
	 COPES,
	 {CLOCK_REALTIME, 0, PTR, 0}},
#ifdef SYS_nanosleep
	{"nanosleep", SYS_nanosleep, COPES, {PTR, 0}},
#endif
#ifdef SYS_poll
	{"poll", SYS_poll, COPES, {0, 0, 50}},
#endif
	{"ppoll", SYS_ppoll, COPES, {0, 0, PTR, 0, SIGSET_SZ}},
	{"sched_yield", SYS_sched_yield, COPES, {0}},
#ifdef SYS_fstat
	{"fstat", SYS_fstat, COPES, {FD, PTR}},
#endif
	{"newfstatat", SYS_newfstatat, COPES, {FD, PTR, PTR, AT_EMPTY_PATH}},
	{"openat",
	 SYS_openat,
	 COPES,
	 {(uint64_t)(int64_t)AT_FDCWD, PTR, O_RDONLY | O_CLOEXEC}},
	{"openat",
	 SYS_openat,
	 COPES,
	 {(uint64_t)(int64_t)AT_FDCWD, PTR,
	  O_RDONLY | O_DIRECTORY | O_CLOEXEC}},
	{"openat",
	 SYS_openat,
	 COPES,
	 {(uint64_t)(int64_t)AT_FDCWD, PTR,
	  O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC}},
	{"openat",
	 SYS_openat,
	 COPES,
	 {(uint64_t)(int64_t)AT_FDCWD, PTR, O_WRONLY | O_CLOEXEC}},
	{"read", SYS_read, COPES, {FD, PTR, 4096}},
	{"pread64", SYS_pread64, COPES, {FD, PTR, 1023, 0}},
	{"close", SYS_close, COPES, {FD}},
	{"getdents64", SYS_getdents64, COPES, {FD, PTR, 2048}},
	{"fcntl", SYS_fcntl, COPES, {FD, F_DUPFD_CLOEXEC, 768}},
	{"prlimit64", SYS_prlimit64, COPES, {0, RLIMIT_NOFILE, 0, PTR}},
	{"mmap", SYS_mmap, COPES, {0, LEN, RW, ANON, (uint64_t)-1, 0}},
	{"mmap",
	 SYS_mmap,
	 COPES,
	 {0, LEN, RW, ANON | MAP_NORESERVE, (uint64_t)-1, 0}},
	{"mmap",
	 SYS_mmap,
	 COPES,
	 {0, LEN, PROT_NONE, ANON | MAP_STACK, (uint64_t)-1, 0}},
	{"mprotect", SYS_mprotect, COPES, {PTR, LEN, RW}},
	{"munmap", SYS_munmap, COPES, {PTR, LEN}},
	{"madvise", SYS_madvise, COPES, {PTR, LEN, MADV_WIPEONFORK}},
	{"madvise", SYS_madvise, COPES, {PTR, LEN, MADV_POPULATE_WRITE}},
	{"madvise", SYS_madvise, COPES, {PTR, LEN, MADV_DONTNEED}},
	{"brk", SYS_brk, COPES, {0}},
	{"prctl", SYS_prctl, COPES, {PR_GET_TSC, PTR}},
	{"prctl", SYS_prctl, COPES, {PR_SET_TSC, PR_TSC_ENABLE}},
	{"clone", SYS_clone, COPES, {CLONE_THREAD_FLAGS, PTR, PTR, PTR, PTR}},
#ifdef SYS_clone3
	{"clone3", SYS_clone3, COPES, {PTR, 88}},
#endif
	{"set_robust_list", SYS_set_robust_list, COPES, {PTR, 24}},
#ifdef SYS_rseq
	{"rseq", SYS_rseq, COPES, {PTR, 32, 0, 0x53053053}},
#endif
	{"rt_sigtimedwait",
	 SYS_rt_sigtimedwait,
	 COPES,
	 {PTR, 0, PTR, SIGSET_SZ}},
	{"getppid", SYS_getppid, COPES, {0}},
	{"prctl", SYS_prctl, COPES, {PR_GET_NO_NEW_PRIVS}},
	{"capget", SYS_capget, COPES, {PTR, PTR}},
#ifdef SYS_readlink
	{"readlink", SYS_readlink, COPES, {PTR, PTR, 4095}},
#endif
	{"readlinkat",
	 SYS_readlinkat,
	 COPES,
	 {(uint64_t)(int64_t)AT_FDCWD, PTR, PTR, 4095}},
	{"perf_event_open",
	 SYS_perf_event_open,
	 COUNTERS,
	 {PTR, 0, (uint64_t)-1, (uint64_t)-1, PERF_FLAG_FD_CLOEXEC}},
	{"perf_event_open",
	 SYS_perf_event_open,
	 COUNTERS,
	 {PTR, 0, (uint64_t)-1, FD, PERF_FLAG_FD_CLOEXEC}},
	{"mmap", SYS_mmap, COUNTERS, {0, LEN, RW, MAP_SHARED, FD, 0}},
	{"mmap", SYS_mmap, COUNTERS, {0, 4096, PROT_READ, MAP_SHARED, FD, 0}},
	{"ioctl", SYS_ioctl, COUNTERS, {FD, PERF_EVENT_IOC_ID, PTR}},
	{"ioctl",
	 SYS_ioctl,
	 COUNTERS,
	 {FD, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP}},
	{"ioctl",
	 SYS_ioctl,
	 COUNTERS,
	 {FD, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP}},
	{"ioctl", SYS_ioctl, COUNTERS, {FD, PERF_EVENT_IOC_REFRESH, 0}},
};

/*
 * Whether the action RET leaves the runtime working for a call of NEED;
 * *UNHOOK is set when it does only without the signal handlers.
 */
static CPROF__NOINSTR bool livable(uint32_t ret, enum need need, bool *unhook)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return true;
	case SECCOMP_RET_ERRNO:
		if (need == SIGNALS)
			*unhook = true;
		return need != NEEDS;
	default:
		/* Kill, trap, trace, notify, or unknown (the kernel kills). */
		return false;
	}
}

/* What the action RET would do to the runtime, for the warning. */
static CPROF__NOINSTR const char *what(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_TRAP:
		return "the program's seccomp filter would send SIGSYS at the "
		       "runtime's system call";
	case SECCOMP_RET_ERRNO:
		return "the program's seccomp filter would fail the runtime's "
		       "system call";
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		return "the program's seccomp filter would show its supervisor "
		       "the runtime's system call";
	default:
		return "the program's seccomp filter would kill the process at "
		       "the runtime's system call";
	}
}

CPROF__NOINSTR const char *cprof__seccomp_refused(const struct sock_filter *f,
						  size_t n, int fd,
						  const char **why,
						  bool *unhook)
{
	bool unused;

	if (!unhook)
		unhook = &unused;
	*unhook = false;
#ifdef AUDIT_ARCH_SELF
	if (!cprof__bpf_check(f, n))
		return NULL; /* the kernel refuses it: EINVAL */
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct seccomp_data d;
		uint32_t ret;

		if (calls[i].need == COUNTERS && cprof__ctr.nev == 0)
			continue;
		memset(&d, 0, sizeof(d));
		d.nr = (int)calls[i].nr;
		d.arch = AUDIT_ARCH_SELF;
		d.instruction_pointer = (uint64_t)(uintptr_t)&syscall;
		/* The log's descriptor stands for all the runtime's. */
		for (int a = 0; a < 6; a++)
			d.args[a] = calls[i].args[a] == FD ? (uint64_t)fd
							   : calls[i].args[a];
		ret = cprof__bpf_run(f, n, &d);
		if (!livable(ret, calls[i].need, unhook)) {
			if (why)
				*why = what(ret);
			return calls[i].name;
		}
	}
	return NULL;
#else
	/* No architecture to match the filter with: never judged. */
	(void)f;
	(void)n;
	(void)fd;
	(void)why;
	(void)unhook;
	return NULL;
#endif
}

/*
 * The filter would fail the fatal-signal handler's calls: the handlers
 * are given back, and what the rings hold is written now, since a fatal
 * signal will end the log without an end record from then on.
 */
static CPROF__NOINSTR void unhook_signals(void)
{
	cprof__signals_unhook();
	cprof__wlock();
	if (atomic_load(&cprof__rt.on) && !atomic_load(&cprof__rt.finished)) {
		cprof__drain_all(false);
		cprof__log_flush();
	}
	cprof__wunlock();
}

/*
 * Whether the kernel will refuse any filter for want of privilege (EACCES):
 * no no_new_privs, and no CAP_SYS_ADMIN in the process's user namespace.
 * A program may try a sandbox and go on without it when refused; its
 * profile must not end for a filter that never comes. Unknown (a call
 * refused): false, the filter is judged.
 */
static CPROF__NOINSTR bool unprivileged(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return false; /* set, or unknown */
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	return !(d[CAP_SYS_ADMIN / 32].effective &
		 (1u << (CAP_SYS_ADMIN % 32)));
}

/*
 * Before SECCOMP_SET_MODE_FILTER with FLAGS and the sock_fprog PROG: end
 * the process's recording when the filter would not let the runtime
 * live. The whole process, with or without TSYNC: the runtime's
 * fatal-signal handler, exit path and wrappers run on whichever thread
 * the program uses, the filtered ones included.
 */
CPROF__NOINSTR void cprof__seccomp_before(unsigned long flags, const void *prog)
{
	const struct sock_fprog *fp = prog;
	const char *call, *why = NULL;
	bool unhook = false;
	int saved = errno;

	if (!cprof__started || atomic_load(&cprof__rt.finished) ||
	    !cprof__log_is_ours() || fp == NULL || fp->filter == NULL)
		goto out;
	/* Flags this runtime does not know: the kernel may refuse them. */
	if (flags & ~0x3fUL)
		goto out;
	/*
	 * A call the kernel then refuses for another reason (a TSYNC that
	 * another thread's filter prevents) has ended recording all the same.
	 */
	if (unprivileged())
		goto out;
	call = cprof__seccomp_refused(fp->filter, fp->len, cprof__log_fd(),
				      &why, &unhook);
	if (call)
		cprof__sandbox_end(why, call);
	else if (unhook)
		unhook_signals();
out:
	errno = saved;
}
