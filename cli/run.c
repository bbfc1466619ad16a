/*
 * run.c - running a program under the runtime, for stat and record.
 *
 * The program is started as a shell would start it (same stdin, stdout,
 * stderr, the shell's 126 and 127 when it cannot be run) with libcprof
 * preloaded and pointed at the run directory, and told which counters to
 * open, through the environment.
 * While it runs, cprof only waits: a terminal's ^C reaches the program by
 * itself, a signal someone sends to cprof is passed on to the program, and
 * neither kills cprof before the program has ended and the run is closed
 * with its run.meta.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "cli.h"

/*
 * The signals passed on when someone sends them to cprof: to the program,
 * or, when they come from the run itself (a program notifying or stopping
 * its parent), to cprof's own parent, the process the program would have
 * signalled without cprof.
 */
static const int forwarded[] = {SIGINT,	 SIGTERM, SIGHUP,
				SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])

/* What cp_run() says once the program has started, NULL for nothing. */
static char *note;

/* The program being waited for, 0 when none: read by on_signal(). */
static volatile pid_t child;

/*
 * --wait-all: cprof is the subreaper of the run, and waits after the
 * program for every process left (a daemon's). A signal for the job ends
 * that wait.
 */
static int wait_all;
static volatile sig_atomic_t stop_waiting;

void cp_run_wait_all(int on)
{
	wait_all = on;
}

/*
 * --no-inherit: the runtime leaves an environment the program builds for
 * a child as it is (the child then runs unprofiled).
 */
void cp_run_inherit(int on)
{
	if (on ? unsetenv(CPROF_ENV_INHERIT)
	       : setenv(CPROF_ENV_INHERIT, "0", 1))
		fatal("setenv");
}

/*
 * --reference: the plain run's stdout and stderr go to /dev/null, so that
 * the program's output appears once, from the hooked run.
 */
static int quiet;

void cp_run_quiet(int on)
{
	quiet = on;
}

/* PID's parent, from /proc/PID/stat; 0 when unknown. Async-signal-safe. */
static pid_t parent_of(pid_t pid)
{
	char path[64] = "/proc/", digits[16], buf[512], *p;
	size_t len = strlen(path), nd = 0;
	ssize_t n;
	int fd;

	/* No snprintf: this runs in a signal handler. */
	do
		digits[nd++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0 && nd < sizeof digits);
	while (nd > 0)
		path[len++] = digits[--nd];
	memcpy(path + len, "/stat", sizeof "/stat");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0' ||
	    p[3] != ' ')
		return 0;
	return (pid_t)strtol(p + 4, NULL, 10);
}

/*
 * Did PID, a signal's sender, belong to the run: the program or one of its
 * descendants (a process whose chain of parents leads to cprof)?
 */
static int from_run(pid_t pid)
{
	pid_t self = getpid();

	if (pid == child)
		return 1;
	for (int i = 0; i < 64 && pid > 1 && pid != self; i++)
		if ((pid = parent_of(pid)) == self)
			return 1;
	return 0;
}

/* The signal that killed the program, 0 when it was not killed. */
static int program_signal;

void cp_run_die_like_program(void)
{
	struct sigaction dfl;
	sigset_t set;
	int sig = program_signal;

	if (sig == 0)
		return;
	/*
	 * Die by the program's signal, as a shell or timeout(1) would show
	 * it to whoever waits for cprof (a shell stops its loop on a child
	 * killed by SIGINT), but never with a core of cprof's own: the core,
	 * if any, was the program's.
	 */
	fflush(NULL);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	/*
	 * A signal from the terminal (si_code > 0, SI_KERNEL) went to the
	 * whole foreground process group, the program included: sending it
	 * again would deliver it twice. One from kill(2), sigqueue(3) or
	 * tgkill(2) (si_code <= 0) was meant for the job, so pass it on.
	 */
	if (si->si_code <= 0 && child > 0) {
		pid_t up = getppid();

		if (!from_run(si->si_pid))
			kill(child, sig);
		else if (up > 1)
			kill(up, sig);
	}
	stop_waiting = 1;
	errno = saved;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The installed runtime: in the libdir that configure chose, found from
 * the directory of cprof itself first, so that an installed tree that
 * was moved, or installed under another prefix or DESTDIR than the one
 * configured, still preloads its own runtime; then at the configured
 * libdir. NULL when neither holds it.
 */
static char *installed_runtime(char *beside, size_t size)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n;

	*beside = '\0';
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		if (asprintf(&path, "%s/%s", self, CPROF_LIBDIR_FROM_BINDIR) <
		    0)
			fatalx("out of memory");
		snprintf(beside, size, "%s, ", path);
		free(path);
		if (asprintf(&path, "%s/%s/%s", self, CPROF_LIBDIR_FROM_BINDIR,
			     CPROF_RUNTIME_SONAME) < 0)
			fatalx("out of memory");
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	if (asprintf(&path, "%s/%s", CPROF_LIBDIR, CPROF_RUNTIME_SONAME) < 0)
		fatalx("out of memory");
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* The runtime library to preload, as an absolute path. */
static char *runtime_library(void)
{
	const char *lib = getenv(CPROF_ENV_LIBRARY);
	char *found = NULL, *path, beside[PATH_MAX + 8];

	if (lib == NULL || *lib == '\0') {
		if ((found = installed_runtime(beside, sizeof beside)) == NULL)
			fatalx("cannot find the runtime library %s in %s%s: "
			       "install cprof with `make install`, or set "
			       "CPROF_LIBRARY to the library's path",
			       CPROF_RUNTIME_SONAME, beside, CPROF_LIBDIR);
		lib = found;
	}
	/*
	 * Absolute, so that a program that changes directory and runs
	 * another still finds it; checked now, because the dynamic loader
	 * would only warn and run the program unprofiled.
	 */
	if ((path = realpath(lib, NULL)) == NULL)
		fatal("runtime library '%s'", lib);
	free(found);
	/* LD_PRELOAD separates its entries with spaces and colons. */
	if (path[strcspn(path, " :")] != '\0')
		fatalx("runtime library '%s': LD_PRELOAD cannot hold a path "
		       "with a space or colon",
		       path);
	return path;
}

static int want_alloc;

void cp_run_want_alloc(const struct cp_command *cmd)
{
#if defined(CPROF_PRELOAD_PREFIX) || defined(CPROF_PRELOAD_SUFFIX)
	cp_usage_error(cmd, "--alloc: not in a build with sanitizers, whose "
			    "allocator replaces the program's");
#else
	(void)cmd;
	want_alloc = 1;
#endif
}

/*
 * --alloc: the allocator wrappers' library, beside the runtime LIB, and
 * a colon after it; "" without --alloc.
 */
static char *alloc_library(const char *lib)
{
	const char *slash = strrchr(lib, '/');
	char *path;

	if (!want_alloc) {
		if (unsetenv(CPROF_ENV_ALLOC) != 0)
			fatal("unsetenv");
		return xstrdup("");
	}
	if (asprintf(&path, "%.*s/" CPROF_ALLOC_LIBRARY ":", (int)(slash - lib),
		     lib) < 0)
		fatalx("out of memory");
	path[strlen(path) - 1] = '\0';
	if (access(path, R_OK) != 0)
		fatal("allocator library '%s' (--alloc)", path);
	path[strlen(path)] = ':';
	if (setenv(CPROF_ENV_ALLOC, "1", 1) != 0)
		fatal("setenv");
	return path;
}

void cp_run_setup(const char *flush_ms)
{
	const char *old = getenv("LD_PRELOAD");
	char *lib = runtime_library(), *preload;
	char *alloc = alloc_library(lib);
	const char *prefix = "", *suffix = "";

#ifdef CPROF_PRELOAD_PREFIX
	/* ASan's runtime must be loaded before any other library. */
	prefix = CPROF_PRELOAD_PREFIX ":";
#endif
#ifdef CPROF_PRELOAD_SUFFIX
	/*
	 * TSan's comes right after ours, so that our pthread_create wraps
	 * its own and a new thread is set up by TSan before our code runs.
	 */
	suffix = ":" CPROF_PRELOAD_SUFFIX;
#endif
	if (asprintf(&preload, "%s%s%s%s%s%s", prefix, alloc, lib, suffix,
		     old != NULL && *old != '\0' ? ":" : "",
		     old != NULL ? old : "") < 0)
		fatalx("out of memory");
	/*
	 * Set in cprof's own environment, which the program inherits: cprof
	 * never runs anything else, and nothing has to be allocated between
	 * fork and exec.
	 */
	if (setenv("LD_PRELOAD", preload, 1) != 0 ||
	    (flush_ms != NULL && setenv(CPROF_ENV_FLUSH_MS, flush_ms, 1) != 0))
		fatal("setenv");
	free(preload);
	free(alloc);
	free(lib);
}

void cp_run_note(const char *s)
{
	free(note);
	note = s != NULL ? xstrdup(s) : NULL;
}

void cp_run_counters(const struct cp_evsel *sel)
{
	char *events, *sample;

	/*
	 * cprof's selection is the whole truth: a variable left in its own
	 * environment by an outer run or by hand must not add sampling to
	 * --exact, or callchains to a run without -g.
	 */
	if (unsetenv(CPROF_ENV_EVENTS) != 0 ||
	    unsetenv(CPROF_ENV_SAMPLE) != 0 || unsetenv(CPROF_ENV_EXACT) != 0 ||
	    unsetenv(CPROF_ENV_CALLCHAIN) != 0 ||
	    unsetenv(CPROF_ENV_DWARF) != 0)
		fatal("unsetenv");
	if (!sel->counters || sel->nev == 0)
		return;
	events = cp_events_env(sel);
	if (setenv(CPROF_ENV_EVENTS, events, 1) != 0)
		fatal("setenv");
	free(events);
	if (sel->exact) {
		if (setenv(CPROF_ENV_EXACT, "1", 1) != 0)
			fatal("setenv");
	} else {
		sample = cp_sample_env(sel);
		if (setenv(CPROF_ENV_SAMPLE, sample, 1) != 0 ||
		    (sel->callchain &&
		     setenv(CPROF_ENV_CALLCHAIN, "1", 1) != 0))
			fatal("setenv");
		free(sample);
		if (sel->stack != 0) {
			char size[24];

			snprintf(size, sizeof size, "%lu", sel->stack);
			if (setenv(CPROF_ENV_DWARF, size, 1) != 0)
				fatal("setenv");
		}
	}
}

static void put_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

/*
 * The processes of the run in DIR still running, in *PIDS (allocated):
 * those holding a log of the run open, and those with the run in their
 * environment that have not opened one yet. Returns how many.
 */
static size_t still_running(const char *dir, int **pids)
{
	struct dirent *de;
	size_t n, cap = 0;
	char *path;
	DIR *d;
	int pid;

	n = cp_run_live(dir, pids);
	cap = n;
	if ((d = opendir(dir)) == NULL)
		return n;
	while ((de = readdir(d)) != NULL) {
		size_t i;

		if (!cp_log_name(de->d_name, NULL, NULL))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			fatalx("out of memory");
		pid = cp_log_holder(path);
		free(path);
		for (i = 0; i < n && (*pids)[i] != pid; i++)
			continue;
		if (pid == 0 || i < n)
			continue;
		*pids = xgrow(*pids, &cap, n + 1, sizeof **pids);
		(*pids)[n++] = pid;
	}
	closedir(d);
	return n;
}

/*
 * Write DIR/run.meta; a failure costs only the header of the report. The
 * file is made under a name of its own, relative to the directory and
 * never through a link (O_EXCL|O_NOFOLLOW), then renamed over run.meta: a
 * link planted as run.meta is replaced, never followed.
 */
static void write_meta(const char *dir, char *const argv[], int status,
		       uint64_t start_ns, uint64_t end_ns, pid_t pid, int ws,
		       const int *running, size_t nrunning)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char *path, tmp[64];
	size_t i, argc, off;
	ssize_t n;
	int fd = -1, dfd, ok;

	for (argc = 0; argv[argc] != NULL; argc++)
		continue;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 7);
	put_str(&pk, "argv");
	msgpack_pack_array(&pk, argc);
	for (i = 0; i < argc; i++)
		put_str(&pk, argv[i]);
	put_str(&pk, "status");
	msgpack_pack_int(&pk, status);
	put_str(&pk, "start_ns");
	msgpack_pack_uint64(&pk, start_ns);
	put_str(&pk, "end_ns");
	msgpack_pack_uint64(&pk, end_ns);
	put_str(&pk, "pid");
	msgpack_pack_int(&pk, (int)pid);
	put_str(&pk, "wait_status");
	msgpack_pack_int(&pk, ws);
	put_str(&pk, "running");
	msgpack_pack_array(&pk, nrunning);
	for (i = 0; i < nrunning; i++)
		msgpack_pack_int(&pk, running[i]);

	path = cp_rundir_meta(dir);
	snprintf(tmp, sizeof tmp, "." CP_RUN_META ".%ld", (long)getpid());
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd != -1)
		fd = openat(dfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0644);
	for (off = 0; fd != -1 && off < sb.size; off += (size_t)n) {
		if ((n = write(fd, sb.data + off, sb.size - off)) < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			break;
		}
	}
	ok = fd != -1 && off == sb.size;
	if (fd != -1 && close(fd) != 0)
		ok = 0;
	if (ok && renameat(dfd, tmp, dfd, CP_RUN_META) != 0)
		ok = 0;
	if (!ok) {
		warnx("cannot write %s: %s", path, strerror(errno));
		if (fd != -1)
			unlinkat(dfd, tmp, 0);
	}
	if (dfd != -1)
		close(dfd);
	free(path);
	msgpack_sbuffer_destroy(&sb);
}

/* Say why PROG could not be run, and return the shell's status for it. */
static int exec_failed(const char *prog, int err)
{
	if (err == ENOENT && strchr(prog, '/') == NULL) {
		warnx("%s: command not found", prog);
		return 127;
	}
	warnx("%s: %s", prog, strerror(err));
	return err == ENOENT ? 127 : 126;
}

int cp_run(const char *dir, char *const argv[], int *ran)
{
	struct sigaction sa, old[NFORWARDED], oldchld;
	sigset_t block, oldmask;
	uint64_t start_ns;
	int *running;
	size_t nrunning;
	char *absdir;
	int pfd[2], err, ws, status;
	size_t i;
	ssize_t n;
	pid_t pid;

	/* Only the last run's signal is the one to die by (--reference). */
	program_signal = 0;
	/* Absolute, for a program that changes directory before it forks. */
	if ((absdir = realpath(dir, NULL)) == NULL)
		fatal("%s", dir);
	if (setenv(CPROF_ENV_DIR, absdir, 1) != 0)
		fatal("setenv");
	free(absdir);

	/*
	 * Handlers go in before the fork with the signals blocked, so none
	 * can kill cprof, or find no child to pass to, in between. A signal
	 * ignored when cprof started stays ignored, as a shell leaves it.
	 */
	sigemptyset(&block);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < NFORWARDED; i++) {
		sigaction(forwarded[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(forwarded[i], &sa, NULL);
	}
	/* An ignored SIGCHLD would have the kernel reap the program for us. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, &oldchld);

	/* The child reports a failed exec on this pipe; exec closes it. */
	if (pipe2(pfd, O_CLOEXEC) != 0)
		fatal("pipe");
	/*
	 * The processes a daemon leaves behind become cprof's children, to
	 * be waited for; without --wait-all they stay init's, as without
	 * cprof.
	 */
	if (wait_all && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		warnx("--wait-all: cannot wait for the processes the program "
		      "leaves: %s",
		      strerror(errno));
	fflush(NULL);
	start_ns = realtime_ns();
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(pfd[0]);
		for (i = 0; i < NFORWARDED; i++)
			sigaction(forwarded[i], &old[i], NULL);
		sigaction(SIGCHLD, &oldchld, NULL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);

			if (null != -1) {
				dup2(null, STDOUT_FILENO);
				dup2(null, STDERR_FILENO);
				if (null > STDERR_FILENO)
					close(null);
			}
		}
		execvp(argv[0], argv);
		err = errno;
		while (write(pfd[1], &err, sizeof err) == -1 && errno == EINTR)
			continue;
		_exit(127);
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	close(pfd[1]);

	do
		n = read(pfd[0], &err, sizeof err);
	while (n == -1 && errno == EINTR);
	close(pfd[0]);
	/* The end of the pipe without an error: the exec went through. */
	if (n == 0 && note != NULL)
		warnx("%s", note);
	cp_run_note(NULL);

	while (waitpid(pid, &ws, 0) == -1) {
		if (errno != EINTR)
			fatal("waitpid");
	}
	if (wait_all && n == 0) {
		int st;

		/* No restart now: a signal for the job ends the wait. */
		child = 0;
		stop_waiting = 0;
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO;
		sigfillset(&sa.sa_mask);
		for (i = 0; i < NFORWARDED; i++)
			if (old[i].sa_handler != SIG_IGN)
				sigaction(forwarded[i], &sa, NULL);
		while (!stop_waiting &&
		       (waitpid(-1, &st, 0) > 0 || errno == EINTR))
			continue;
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = 0;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
	sigaction(SIGCHLD, &oldchld, NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	if (n == (ssize_t)sizeof err) {
		*ran = 0;
		return exec_failed(argv[0], err);
	}
	*ran = 1;
	if (WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		status = 128 + (program_signal = WTERMSIG(ws));
	else
		status = 1;
	/* What the runtime had to say, into the run directory: once each. */
	cp_warnings_say(dir);
	nrunning = still_running(dir, &running);
	for (i = 0; i < nrunning; i++)
		warnx("process %d of the run is still running: its profile "
		      "ends at its last flush%s",
		      running[i], wait_all ? "" : " (--wait-all waits for it)");
	write_meta(dir, argv, status, start_ns, realtime_ns(), pid, ws, running,
		   nrunning);
	free(running);
	return status;
}

char *cp_find_program(const char *prog, int *err)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat sb;
	char *full;

	*err = ENOENT;
	if (strchr(prog, '/') != NULL) {
		if (stat(prog, &sb) != 0)
			*err = errno;
		else if (S_ISDIR(sb.st_mode))
			*err = EISDIR;
		else if (access(prog, X_OK) != 0)
			*err = errno;
		else
			return xstrdup(prog);
		return NULL;
	}
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (asprintf(&full, "%.*s/%s", (int)(end - p),
			     end == p ? "." : p, prog) < 0)
			fatalx("out of memory");
		if (stat(full, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
			if (access(full, X_OK) == 0)
				return full;
			*err = EACCES;
		}
		free(full);
		if (*end == '\0')
			return NULL;
	}
}

/* 1 if the ELF file FD has no program interpreter, 0 if it has, -1 if
 * it is not an ELF file this reads. */
static int elf_is_static(int fd)
{
	unsigned char id[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize, type;

	if (pread(fd, id, sizeof id, 0) != (ssize_t)sizeof id ||
	    memcmp(id, ELFMAG, SELFMAG) != 0)
		return -1;
	if (id[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return -1;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else if (id[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
			return -1;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else {
		return -1;
	}
	/* p_type is the first word of a program header in both classes. */
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t t;

		if (pread(fd, &t, sizeof t,
			  (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof t)
			return -1;
		type = t;
		if (type == PT_INTERP)
			return 0;
	}
	return 1;
}

const char *cp_run_why_empty(const char *prog)
{
	const char *why = "a statically linked or set-user-ID program cannot "
			  "preload libcprof, and a program that defines its "
			  "own __cyg_profile_func_enter/exit records nothing";
	int err;
	char *path = cp_find_program(prog, &err);
	struct stat sb;
	int fd;

	if (path == NULL)
		return why;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return why;
	if (fstat(fd, &sb) == 0 && (sb.st_mode & (S_ISUID | S_ISGID)))
		why = "it is set-user-ID or set-group-ID: the dynamic loader "
		      "does not preload libcprof into it, and the runtime "
		      "stays off in it";
	else if (elf_is_static(fd) == 1)
		why = "it is statically linked: LD_PRELOAD cannot load "
		      "libcprof into it; build it as a dynamically linked "
		      "program to profile it";
	close(fd);
	return why;
}
