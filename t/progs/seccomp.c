/*
 * seccomp.c - programs that install seccomp filters of their own once
 * running, in the shapes real ones have, and programs that enter user
 * namespaces by raw system call, for t/e2e-seccomp.sh.
 *
 *   seccomp tsync N        two threads working; main applies a TSYNC
 *                          allow-list (kill by default) to all three,
 *                          which then go on working
 *   seccomp deny CALL N    a filter without TSYNC killing CALL, a call the
 *                          program never makes (perf_event_open, prctl,
 *                          getpid, uname); then a new thread works N times
 *   seccomp privsep N      fork; the child applies an allow-list (kill by
 *                          default), works N times, writes the result to
 *                          its parent and leaves by exit_group (OpenSSH's
 *                          privilege separation)
 *   seccomp trap CALL N    a filter answering CALL (uname, sched_yield)
 *                          with SIGSYS, by syscall(SYS_prctl); a handler
 *                          counts; CALL made N times
 *   seccomp errno N        TSYNC, EPERM for futex and poll (the writer
 *                          sleeps otherwise), everything else allowed;
 *                          then N calls
 *   seccomp errno-sig N    TSYNC, EPERM for futex and rt_sigaction; N calls,
 *                          then the program dies of its own SIGTERM
 *   seccomp libseccomp N   the tsync shape through libseccomp (loaded with
 *                          dlopen: exit 77 without it)
 *   seccomp bad N          a filter the kernel refuses (a jump past its
 *                          end): EINVAL, and the program goes on
 *   seccomp nonnp N        the tsync allow-list without no_new_privs:
 *                          EACCES (unless privileged), the program goes on
 *   seccomp rawuns         syscall(SYS_unshare, CLONE_NEWUSER)
 *   seccomp rawuns-thread  the same with a thread of its own running
 *   seccomp rawsetns       syscall(SYS_setns) into a child's user namespace
 *
 * Before anything, before() is called 100 times; work() is what the
 * program does afterwards. It prints what it did and exits 0; 77 when
 * this machine cannot filter (no seccomp, another architecture).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif

COUNTED void before(void)
{
	sink++;
}

COUNTED unsigned long work(unsigned long x)
{
	sink++;
	return x * 3 + 1;
}

/*
 * The calls a program needs to work, print, join threads and end (and
 * sigaltstack and gettid, which the sanitizers' runtimes call as a thread
 * or the process ends).
 */
static const long needed[] = {
	SYS_read,	SYS_write,	  SYS_exit,	      SYS_exit_group,
	SYS_brk,	SYS_mmap,	  SYS_munmap,	      SYS_madvise,
	SYS_futex,	SYS_rt_sigreturn, SYS_rt_sigprocmask,
#ifdef SYS_fstat
	SYS_fstat,
#endif
	SYS_newfstatat, SYS_sigaltstack,  SYS_gettid,
};
#define NNEEDED (sizeof(needed) / sizeof(needed[0]))

/* Filter building: [arch check] load nr, then rules, then a default. */
struct prog {
	struct sock_filter f[128];
	unsigned short n;
};

static NOINSTR void emit(struct prog *p, struct sock_filter s)
{
	p->f[p->n++] = s;
}

static NOINSTR void start(struct prog *p)
{
	p->n = 0;
	emit(p,
	     (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					  offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1,
					     0));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					     SECCOMP_RET_KILL_PROCESS));
	emit(p,
	     (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					  offsetof(struct seccomp_data, nr)));
}

static NOINSTR void rule(struct prog *p, long nr, unsigned action)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     (unsigned)nr, 0, 1));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
}

static NOINSTR void finish(struct prog *p, unsigned dflt)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, dflt));
}

/* Set no_new_privs first (nonnp: leaves it off, for the nonnp mode). */
static int nonnp;

/*
 * Install P: by seccomp(2) with FLAGS (PRCTL_WAY 0), by the C library's
 * prctl (1), or by syscall(SYS_prctl) (2).
 */
static NOINSTR int install(struct prog *p, unsigned long flags, int prctl_way)
{
	struct sock_fprog fp = {p->n, p->f};

	if (!nonnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (prctl_way == 2)
		return (int)syscall(SYS_prctl, PR_SET_SECCOMP,
				    SECCOMP_MODE_FILTER, &fp);
	if (prctl_way)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp);
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
}

static NOINSTR void allow_list(struct prog *p)
{
	start(p);
	for (size_t i = 0; i < NNEEDED; i++)
		rule(p, needed[i], SECCOMP_RET_ALLOW);
	finish(p, SECCOMP_RET_KILL_PROCESS);
}

static NOINSTR void *worker(void *arg)
{
	unsigned long s = 0, n = (unsigned long)arg;

	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	return (void *)(s & 1);
}

/* tsync: threads started first wait for the filter, then work. */
static pthread_barrier_t bar;

static NOINSTR void *tsync_thread(void *arg)
{
	unsigned long s = 0, n = (unsigned long)arg;

	for (int i = 0; i < 10; i++)
		before();
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	return (void *)(s & 1);
}

typedef int (*libseccomp_loader)(unsigned long n);

/* The filter through libseccomp (its ABI: scmp_filter_ctx is a pointer). */
static NOINSTR int by_libseccomp(void)
{
	void *lib = dlopen("libseccomp.so.2", RTLD_NOW);
	void *(*init)(unsigned);
	int (*add)(void *, unsigned, int, unsigned, ...);
	int (*attr)(void *, int, unsigned);
	int (*load)(void *);

	if (!lib)
		return 77;
	*(void **)&init = dlsym(lib, "seccomp_init");
	*(void **)&add = dlsym(lib, "seccomp_rule_add");
	*(void **)&attr = dlsym(lib, "seccomp_attr_set");
	*(void **)&load = dlsym(lib, "seccomp_load");
	if (!init || !add || !attr || !load)
		return 77;
	/* SCMP_ACT_KILL_PROCESS, SCMP_FLTATR_CTL_TSYNC, SCMP_ACT_ALLOW */
	void *ctx = init(0x80000000U);
	if (!ctx || attr(ctx, 4, 1) != 0)
		return 77;
	for (size_t i = 0; i < NNEEDED; i++)
		if (add(ctx, 0x7fff0000U, (int)needed[i], 0) != 0)
			return 1;
	return load(ctx) == 0 ? 0 : 1;
}

static NOINSTR int tsync(unsigned long n, int lib)
{
	pthread_t th[2];
	struct prog p;
	unsigned long s = 0;
	void *r[2];
	int rc;

	pthread_barrier_init(&bar, NULL, 3);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, tsync_thread, (void *)n) != 0)
			return 3;
	pthread_barrier_wait(&bar);
	printf("sandboxing 3 threads\n");
	fflush(stdout);
	if (lib) {
		rc = by_libseccomp();
		if (rc == 77) {
			fprintf(stderr, "no libseccomp.so.2\n");
			return 77;
		}
	} else {
		allow_list(&p);
		rc = install(&p, SECCOMP_FILTER_FLAG_TSYNC, 0);
	}
	if (rc != 0) {
		perror("seccomp");
		return 77;
	}
	pthread_barrier_wait(&bar);
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], &r[i]);
	printf("computed %lu %lu %lu\n", s & 1, (unsigned long)r[0],
	       (unsigned long)r[1]);
	return 0;
}

static NOINSTR long call_nr(const char *name)
{
	static const struct {
		const char *name;
		long nr;
	} names[] = {{"perf_event_open", SYS_perf_event_open},
		     {"prctl", SYS_prctl},
		     {"getpid", SYS_getpid},
		     {"uname", SYS_uname},
		     {"sched_yield", SYS_sched_yield},
		     {"futex", SYS_futex}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].nr;
	return -1;
}

static NOINSTR int deny(const char *call, unsigned long n)
{
	struct prog p;
	pthread_t th;
	void *r;
	long nr = call_nr(call);

	if (nr < 0)
		return 99;
	start(&p);
	rule(&p, nr, SECCOMP_RET_KILL_PROCESS);
	finish(&p, SECCOMP_RET_ALLOW);
	/* By prctl, as older programs do. */
	if (install(&p, 0, 1) != 0) {
		perror("seccomp");
		return 77;
	}
	if (pthread_create(&th, NULL, worker, (void *)n) != 0)
		return 3;
	pthread_join(th, &r);
	printf("thread done %lu\n", (unsigned long)r);
	return 0;
}

static NOINSTR int privsep(unsigned long n)
{
	int fds[2], st;
	unsigned long s = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return 3;
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		struct prog p;

		for (int i = 0; i < 10; i++)
			before();
		allow_list(&p);
		if (install(&p, 0, 0) != 0)
			_exit(77);
		for (unsigned long i = 0; i < n; i++)
			s = work(s);
		if (write(fds[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		syscall(SYS_exit_group, 0);
	}
	close(fds[1]);
	if (read(fds[0], &s, sizeof(s)) != sizeof(s))
		s = 2;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 77;
	if (WIFSIGNALED(st))
		printf("sandboxed child killed by signal %d\n", WTERMSIG(st));
	else
		printf("sandboxed child exit %d, result %lu\n", WEXITSTATUS(st),
		       s & 1);
	return 0;
}

static volatile sig_atomic_t trapped;

static NOINSTR void on_sigsys(int sig)
{
	(void)sig;
	trapped++;
}

static NOINSTR int trap(const char *call, unsigned long n)
{
	struct prog p;
	struct sigaction sa;
	struct utsname u;
	unsigned long s = 0;
	long nr = call_nr(call);

	if (nr < 0)
		return 99;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigsys;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return 3;
	start(&p);
	rule(&p, nr, SECCOMP_RET_TRAP);
	finish(&p, SECCOMP_RET_ALLOW);
	if (install(&p, 0, 2) != 0) {
		perror("seccomp");
		return 77;
	}
	for (unsigned long i = 0; i < n; i++) {
		s = work(s);
		if (nr == SYS_uname)
			uname(&u);
		else
			sched_yield();
	}
	printf("%s trapped %d times, computed %lu\n", call, (int)trapped,
	       s & 1);
	return 0;
}

static NOINSTR int errno_filter(unsigned long n)
{
	static const long refused[] = {SYS_futex,
#ifdef SYS_poll
				       SYS_poll,
#endif
				       SYS_ppoll};
	struct prog p;
	unsigned long s = 0;

	start(&p);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		rule(&p, refused[i], SECCOMP_RET_ERRNO | EPERM);
	finish(&p, SECCOMP_RET_ALLOW);
	if (install(&p, SECCOMP_FILTER_FLAG_TSYNC, 0) != 0) {
		perror("seccomp");
		return 77;
	}
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	printf("computed %lu\n", s & 1);
	return 0;
}

/* Signal actions refused: the default action must still kill. */
static NOINSTR int errno_sig(unsigned long n)
{
	struct prog p;
	unsigned long s = 0;

	start(&p);
	rule(&p, SYS_futex, SECCOMP_RET_ERRNO | EPERM);
	rule(&p, SYS_rt_sigaction, SECCOMP_RET_ERRNO | EPERM);
	finish(&p, SECCOMP_RET_ALLOW);
	if (install(&p, SECCOMP_FILTER_FLAG_TSYNC, 0) != 0) {
		perror("seccomp");
		return 77;
	}
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	printf("computed %lu\n", s & 1);
	fflush(stdout);
	raise(SIGTERM);
	return 0;
}

/*
 * A sandbox tried without no_new_privs (and without CAP_SYS_ADMIN): the
 * kernel refuses it, and the program goes on unsandboxed.
 */
static NOINSTR int try_sandbox(unsigned long n)
{
	struct prog p;
	unsigned long s = 0;
	int r;

	allow_list(&p);
	nonnp = 1;
	r = install(&p, SECCOMP_FILTER_FLAG_TSYNC, 0);
	printf("sandbox without no_new_privs: %s\n",
	       r == 0 ? "installed" : strerror(errno));
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	printf("computed %lu\n", s & 1);
	return 0;
}

static NOINSTR int bad(unsigned long n)
{
	struct prog p;
	unsigned long s = 0;
	int r;

	start(&p);
	/* A jump past the end: the kernel refuses the program. */
	emit(&p,
	     (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 0));
	finish(&p, SECCOMP_RET_KILL_PROCESS);
	r = install(&p, SECCOMP_FILTER_FLAG_TSYNC, 0);
	printf("bad filter: %s\n", r == 0 ? "installed" : strerror(errno));
	for (unsigned long i = 0; i < n; i++)
		s = work(s);
	printf("computed %lu\n", s & 1);
	return 0;
}

static NOINSTR const char *outcome(long r)
{
	return r == 0 ? "ok" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

static int hold[2];

static NOINSTR void *sleeper(void *arg)
{
	char c;

	(void)arg;
	return read(hold[0], &c, 1) < 0 ? NULL : NULL;
}

/* Raw setns into the user namespace of a child that made one. */
static NOINSTR long raw_setns_child(void)
{
	int ready[2], done[2], fd, err;
	char c, path[64];
	long r;
	pid_t pid;

	if (pipe(ready) != 0 || pipe(done) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		c = syscall(SYS_unshare, CLONE_NEWUSER) == 0 ? 'y' : 'n';
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
	r = fd < 0 ? -1 : syscall(SYS_setns, fd, CLONE_NEWUSER);
	err = errno;
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
	unsigned long n = strtoul(argc > 2 ? argv[argc - 1] : "1000", NULL, 10);
	pthread_t th;

	for (int i = 0; i < 100; i++)
		before();
#ifndef ARCH
	if (strncmp(m, "raw", 3) != 0) {
		fprintf(stderr, "no seccomp architecture known here\n");
		return 77;
	}
#endif
	if (!strcmp(m, "tsync"))
		return tsync(n, 0);
	if (!strcmp(m, "libseccomp"))
		return tsync(n, 1);
	if (!strcmp(m, "deny") && argc > 3)
		return deny(argv[2], n);
	if (!strcmp(m, "privsep"))
		return privsep(n);
	if (!strcmp(m, "trap") && argc > 3)
		return trap(argv[2], n);
	if (!strcmp(m, "errno"))
		return errno_filter(n);
	if (!strcmp(m, "errno-sig"))
		return errno_sig(n);
	if (!strcmp(m, "nonnp"))
		return try_sandbox(n);
	if (!strcmp(m, "bad"))
		return bad(n);
	if (!strcmp(m, "rawuns")) {
		printf("raw unshare %s\n",
		       outcome(syscall(SYS_unshare, CLONE_NEWUSER)));
		return 0;
	}
	if (!strcmp(m, "rawuns-thread")) {
		long r;

		if (pipe(hold) != 0 ||
		    pthread_create(&th, NULL, sleeper, NULL) != 0)
			return 3;
		r = syscall(SYS_unshare, CLONE_NEWUSER);
		printf("raw unshare with a thread %s\n", outcome(r));
		if (write(hold[1], "x", 1) != 1)
			return 3;
		pthread_join(th, NULL);
		return 0;
	}
	if (!strcmp(m, "rawsetns")) {
		printf("raw setns %s\n", outcome(raw_setns_child()));
		return 0;
	}
	return 99;
}
