/*
 * cli.h - internal interfaces of the cprof command-line tool, grouped by
 * the file that defines them.
 *
 * The tool reads a run (a directory of per-process logs, see
 * doc/log-format.md) into a struct cp_profile, which the output code
 * prints. Reading streams: memory grows with the number of functions,
 * threads and processes, never with the number of events.
 */
#ifndef CPROF_CLI_H
#define CPROF_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* util.c: diagnostics, allocation. */
extern const char *cp_progname;
/* Print "cprof: MSG: strerror(errno)" and exit 1. */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "cprof: MSG" and exit 1. */
void fatalx(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "cprof: MSG" and exit with STATUS. */
void fatalx_status(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Print "cprof: MSG" and go on. */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* profile.c: a run read into per-function tables. */

/* Aggregated time of one function (one row), in nanoseconds. */
struct cp_stats {
	uint64_t calls;
	uint64_t self_ns;
	uint64_t total_ns; /* recursion counted once */
};

/* A function or marker site, merged over every process and thread. */
struct cp_func {
	const char *name;   /* demangled symbol, marker name or obj+0xoff */
	const char *object; /* basename of the ELF object, NULL for markers */
	const char *file;   /* source file, NULL when unknown */
	int line;           /* 0 when unknown */
	struct cp_stats st;
};

struct cp_thread_func {
	size_t func; /* index into cp_profile.funcs */
	struct cp_stats st;
};

struct cp_thread {
	int pid, tid;
	const char *name;  /* thread name, "" when unknown */
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t end_ns;
	int unfinished; /* still running when its process ended */
	struct cp_thread_func *funcs;
	size_t nfuncs;
};

struct cp_process {
	int pid, ppid;
	const char *exe;
	const char *log; /* the log file it was read from */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	int finished;              /* has an end record */
	const char *end_reason;    /* "exit", "signal", "exec", NULL */
	int signal;
	uint64_t events;
	uint64_t lost;
	uint64_t skipped_bytes; /* truncated or corrupt tail */
};

/* Frame statistics of one frame name ("" for depth-0 returns). */
struct cp_frames {
	const char *name;
	uint64_t count;
	uint64_t total_ns, min_ns, max_ns;
	uint64_t hist[64]; /* hist[i]: frames with floor(log2(ns)) == i */
};

struct cp_profile {
	struct cp_func *funcs;
	size_t nfuncs;
	struct cp_thread *threads;
	size_t nthreads;
	struct cp_process *procs;
	size_t nprocs;
	struct cp_frames *frames;
	size_t nframes;
	uint64_t total_self_ns; /* sum of self_ns over funcs */
	/* From run.meta, when present. */
	int has_meta;
	char **argv;
	int status;
};

/*
 * Read PATH, a run directory or a single log, into P (zeroed by the
 * caller). Warnings (truncated tails, killed processes) go to stderr.
 * Returns 0, or -1 after printing a one-line error naming the file.
 */
int cp_profile_load(struct cp_profile *p, const char *path);
void cp_profile_free(struct cp_profile *p);

/* output.c: printing a profile as a table, JSON or CSV. */
enum cp_format { CP_FORMAT_TABLE, CP_FORMAT_JSON, CP_FORMAT_CSV };
enum cp_sort { CP_SORT_SELF, CP_SORT_TOTAL, CP_SORT_CALLS, CP_SORT_SELFCALL, CP_SORT_NAME };

/* What to print and how; zeroed it is a table of every function by self. */
struct cp_output {
	enum cp_format format;
	enum cp_sort sort;
	size_t top;  /* rows per table, 0 for all */
	int threads; /* one table (or functions array) per thread */
};

/* Parse a --sort or --format argument; 0, or -1 when S is not one. */
int cp_sort_parse(const char *s, enum cp_sort *sort);
int cp_format_parse(const char *s, enum cp_format *format);
/* Print P to F. Returns 0, or -1 with errno set when writing failed. */
int cp_output_print(FILE *f, const struct cp_profile *p, const struct cp_output *o);
/* Format NS with 3 significant digits and a unit ("812ns", "1.25ms"). */
char *cp_format_ns(char *buf, size_t len, uint64_t ns);

/* options.c: option tables shared by getopt_long and --help. */
struct cp_option {
	const char *name; /* long name */
	int val;	  /* short option character, or a value above 255 */
	const char *arg;  /* argument name for --help, NULL for a flag */
	const char *help; /* one line */
};

/* A command's option groups, each ended by an entry with a NULL name. */
struct cp_command {
	const char *name;  /* "stat" */
	const char *usage; /* "[options] [--] prog [args]" */
	const char *about; /* a paragraph for --help */
	const struct cp_option *const *groups; /* NULL-terminated */
};

/* Values of the long-only options, above any short option character. */
enum {
	CP_OPT_SORT = 256,
	CP_OPT_TOP,
	CP_OPT_THREADS,
	CP_OPT_FORMAT,
	CP_OPT_FLUSH_MS,
	/* Reserved for report --counters, which merges the counter stream. */
	CP_OPT_COUNTERS,
};

/* --sort, --top, --threads and --format, shared by stat and report. */
extern const struct cp_option cp_output_options[];
/* --flush-ms, shared by stat and record. */
extern const struct cp_option cp_run_options[];
/*
 * Get the next option of CMD from ARGV like getopt_long with a leading "+".
 * Returns the option's val, optarg set, or -1 at the first operand or
 * "--". An unknown option or a missing argument is a usage error (exit 2).
 */
int cp_getopt(const struct cp_command *cmd, int argc, char **argv);
/* Print CMD's usage line to F. */
void cp_usage(const struct cp_command *cmd, FILE *f);
/* Print CMD's usage line to stderr after "cprof: MSG" and exit 2. */
void cp_usage_error(const struct cp_command *cmd, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* Print CMD's full help to stdout and exit 0. */
void cp_help(const struct cp_command *cmd) __attribute__((noreturn));
/* Apply an option of cp_output_options to O; 1 if C was one, else 0. */
int cp_output_option(const struct cp_command *cmd, struct cp_output *o, int c,
    const char *arg);
/* Parse a decimal integer in [MIN, MAX] given to OPT; a usage error if not. */
unsigned long cp_parse_ulong(const struct cp_command *cmd, const char *opt,
    const char *s, unsigned long min, unsigned long max);

/* run.c: running a program under the runtime. */
/*
 * Run ARGV with libcprof preloaded, recording into the existing directory
 * DIR, and write DIR/run.meta when it ends. FLUSH_MS, when not NULL, goes
 * to the runtime as CPROF_FLUSH_MS. Returns the status as a shell reports
 * it: the exit code, 128+N for signal N, 126 or 127 when ARGV[0] could not
 * be run (after saying why); *RAN is set to whether it was.
 */
int cp_run(const char *dir, char *const argv[], const char *flush_ms, int *ran);
/* The number of proc-*.log files in DIR and their total size in bytes. */
size_t cp_run_logs(const char *dir, uint64_t *bytes);

/* cmd-*.c: the subcommands; each returns cprof's exit status. */
int cmd_stat(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif /* CPROF_CLI_H */
