/*
 * reference-run.c - the plain run of --reference, for stat and record.
 *
 * "cprof stat --reference PLAIN -- PROG ARGS" runs PLAIN ARGS first,
 * sampled by the runtime, into RUN/reference, then PROG ARGS as usual
 * into RUN; the report merges the two (reference.c). Both runs get the
 * same arguments, environment and input, and the program's output appears
 * once: the plain run's stdout and stderr go to /dev/null. Its stdin is
 * read again by the hooked run: a regular file is read from the same
 * offset, /dev/null is /dev/null, a terminal is left to the hooked run
 * (the plain run reads /dev/null, and a line says so); a pipe, socket or
 * other device cannot be read twice, and is refused before anything runs.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* What stdin is, for the replay. */
enum input { IN_NONE, IN_FILE, IN_NULL, IN_TERMINAL, IN_OTHER };

static enum input input_kind(const char **what)
{
	struct stat sb, null;

	*what = "closed";
	if (fstat(STDIN_FILENO, &sb) != 0)
		return IN_NONE;
	if (S_ISREG(sb.st_mode)) {
		*what = "a file";
		return IN_FILE;
	}
	if (S_ISCHR(sb.st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && sb.st_rdev == null.st_rdev) {
		*what = "/dev/null";
		return IN_NULL;
	}
	if (isatty(STDIN_FILENO)) {
		*what = "a terminal";
		return IN_TERMINAL;
	}
	*what = S_ISFIFO(sb.st_mode)   ? "a pipe"
		: S_ISSOCK(sb.st_mode) ? "a socket"
				       : "a device";
	return IN_OTHER;
}

/*
 * Is PLAIN an executable execvp() would run? Exits as a shell does when
 * not: 127 when it is not found, 126 when it cannot be run.
 */
static void check_program(const char *plain)
{
	int err;
	char *full = cp_find_program(plain, &err);

	if (full != NULL) {
		free(full);
		return;
	}
	if (err == ENOENT && strchr(plain, '/') == NULL)
		fatalx_status(127, "--reference: %s: command not found", plain);
	fatalx_status(err == ENOENT || err == ENOTDIR ? 127 : 126,
		      "--reference: %s: %s", plain, strerror(err));
}

void cp_reference_check(const struct cp_command *cmd, const char *plain,
			const struct cp_counter_opts *co, int threads)
{
	const char *what;

	if (*plain == '\0')
		cp_usage_error(cmd, "--reference: empty program name");
	if (co->none || co->exact)
		cp_usage_error(cmd,
			       "--reference takes its self times from "
			       "samples: not with %s",
			       co->none ? "--no-counters" : "--exact");
	if (threads)
		cp_usage_error(cmd, "--reference merges the two runs by "
				    "function, not by thread: not with "
				    "--threads");
	if (input_kind(&what) == IN_OTHER)
		fatalx_status(2,
			      "--reference: stdin is %s, which cannot be read "
			      "twice: give the input as a file (< FILE)",
			      what);
	check_program(plain);
}

int cp_reference_run(const char *dir, const char *plain, char *const argv[],
		     int *stop)
{
	const char *what;
	enum input in = input_kind(&what);
	char *ref, **av, *xray;
	size_t argc;
	off_t off = -1;
	int status, ran, saved = -1, sig;
	uint64_t bytes;

	if (asprintf(&ref, "%s/%s", dir, CP_RUN_REFERENCE) < 0)
		fatalx("out of memory");
	/* Never writable by others, as the run directory itself. */
	if (mkdir(ref, 0755) != 0)
		fatal("cannot create '%s'", ref);
	for (argc = 0; argv[argc] != NULL; argc++)
		continue;
	av = xcalloc(argc + 1, sizeof *av);
	av[0] = (char *)plain;
	for (size_t i = 1; i < argc; i++)
		av[i] = argv[i];

	if (in == IN_FILE &&
	    (off = lseek(STDIN_FILENO, 0, SEEK_CUR)) == (off_t)-1)
		fatal("--reference: stdin");
	if (in == IN_TERMINAL) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		saved = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (null == -1 || saved == -1 || dup2(null, STDIN_FILENO) == -1)
			fatal("--reference: /dev/null");
		close(null);
		warnx("--reference: stdin is a terminal: the plain run reads "
		      "/dev/null (give the input as a file to both runs)");
	}
	/*
	 * The plain run is sampled only: were PLAIN an XRay build, its sleds
	 * stay unpatched (they then cost about nothing).
	 */
	if ((xray = getenv(CPROF_ENV_XRAY)) != NULL)
		xray = xstrdup(xray);
	if (setenv(CPROF_ENV_XRAY, "off", 1) != 0)
		fatal("setenv");
	cp_run_quiet(1);
	status = cp_run(ref, av, &ran);
	cp_run_quiet(0);
	if (xray != NULL ? setenv(CPROF_ENV_XRAY, xray, 1)
			 : unsetenv(CPROF_ENV_XRAY))
		fatal("setenv");
	free(xray);
	if (saved != -1 && (dup2(saved, STDIN_FILENO) == -1 || close(saved)))
		fatal("--reference: stdin");
	/* The hooked run reads what the plain run read. */
	if (off != (off_t)-1 && lseek(STDIN_FILENO, off, SEEK_SET) != off)
		fatal("--reference: stdin");

	sig = status > 128 ? status - 128 : 0;
	*stop = !ran || sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
		sig == SIGQUIT;
	if (ran && cp_run_logs(ref, &bytes) == 0)
		warnx("--reference: %s: nothing was recorded: %s", plain,
		      cp_run_why_empty(plain));
	free(av);
	free(ref);
	return status;
}

void cp_reference_compare(const char *plain, int plain_status, int status)
{
	if (plain_status != status)
		warnx("--reference: %s ended with status %d, the hooked run "
		      "with %d: the two runs may not have done the same work",
		      plain, plain_status, status);
}
