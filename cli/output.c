/*
 * output.c - printing a profile: the table people read, and the JSON and
 * CSV that other programs read.
 *
 * The table is for a terminal: human units, names cut to fit, a header
 * that says what ran and anything that makes the numbers incomplete. JSON
 * and CSV carry the same rows with raw integers (nanoseconds, counts) and
 * nothing cut; the JSON layout is a stable interface, versioned by its
 * "format_version" key: keys are added freely, and a key whose meaning
 * changes bumps the version (2: "events" became the list of counters, the
 * count of marker events moved to "marker_events"; 3: the views of
 * --call-graph and --tree, "call_graph" and "tree").
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* One row of a table: a function with the statistics shown for it. */
struct row {
	const struct cp_func *f;
	const struct cp_stats *st;
	const struct cp_count *counts; /* NULL without counters */
	size_t index; /* in cp_profile.funcs, the last tie-break */
};

/* Columns of the table besides the function's name and object. */
#define TIME_WIDTH	 9
#define PCT_WIDTH	 6
#define MIN_CALLS_WIDTH	 5
#define MIN_NAME_WIDTH	 24
#define MAX_OBJECT_WIDTH 24
/* Counter columns: a count ("1.23M") or, for clock events, a time. */
#define COUNT_WIDTH 8
#define IPC_WIDTH   5
/* Where a row's self time comes from: "time", "comp" or "smpl". */
#define SRC_WIDTH  4
#define MPKI_WIDTH 6
/* Assumed width of the output when it is not a terminal. */
#define DEFAULT_COLUMNS 120
/*
 * On a terminal (doc/cprof.1, TERMINAL OUTPUT): names are cut down to
 * TERM_NAME_WIDTH before any column is dropped (TERM_NAME_FLOOR once
 * every column that can go has gone), objects to TERM_OBJECT_WIDTH, and
 * a row whose share of self time reaches HOT_RED (HOT_YELLOW) percent is
 * red (yellow).
 */
#define TERM_NAME_WIDTH	  20
#define TERM_NAME_FLOOR	  8
#define TERM_OBJECT_WIDTH 12
#define HOT_RED		  10.0
#define HOT_YELLOW	  5.0
#define SGR_RED		  "\033[31m"
#define SGR_YELLOW	  "\033[33m"
#define SGR_BOLD	  "\033[1m"
#define SGR_RESET	  "\033[m"

/*
 * How the table being printed goes out: to a terminal WIDTH columns wide
 * (on), with colour or not. Set by print_table() for one table; the tool
 * prints from one thread.
 */
static struct {
	int on;
	size_t width;
	int color;
} term;

static const char *const sort_names[] = {
	[CP_SORT_SELF] = "self",   [CP_SORT_TOTAL] = "total",
	[CP_SORT_CALLS] = "calls", [CP_SORT_SELFCALL] = "selfcall",
	[CP_SORT_NAME] = "name",
};

static const char *const color_names[] = {
	[CP_COLOR_AUTO] = "auto",
	[CP_COLOR_NEVER] = "never",
	[CP_COLOR_ALWAYS] = "always",
};

static const char *const format_names[] = {
	[CP_FORMAT_TABLE] = "table",
	[CP_FORMAT_JSON] = "json",
	[CP_FORMAT_CSV] = "csv",
};

int cp_sort_parse(const char *s, enum cp_sort *sort)
{
	size_t i;

	for (i = 0; i < sizeof sort_names / sizeof sort_names[0]; i++) {
		if (strcmp(s, sort_names[i]) == 0) {
			*sort = (enum cp_sort)i;
			return 0;
		}
	}
	return -1;
}

int cp_color_parse(const char *s, enum cp_color *color)
{
	for (size_t i = 0; i < sizeof color_names / sizeof color_names[0];
	     i++) {
		if (strcmp(s, color_names[i]) == 0) {
			*color = (enum cp_color)i;
			return 0;
		}
	}
	return -1;
}

int cp_format_parse(const char *s, enum cp_format *format)
{
	size_t i;

	for (i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*format = (enum cp_format)i;
			return 0;
		}
	}
	return -1;
}

char *cp_format_ns(char *buf, size_t len, uint64_t ns)
{
	static const struct {
		const char *name;
		double div;
	} units[] = {{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
	const size_t nunits = sizeof units / sizeof units[0];
	double v;
	size_t i;

	if (ns < 1000) {
		snprintf(buf, len, "%" PRIu64 "ns", ns);
		return buf;
	}
	/*
	 * Three significant digits: the unit is the first one that keeps the
	 * value under 1000 once rounded, so 999.7us prints as 1.00ms.
	 */
	for (i = 0; i < nunits; i++) {
		v = (double)ns / units[i].div;
		if (v < 9.995)
			snprintf(buf, len, "%.2f%s", v, units[i].name);
		else if (v < 99.95)
			snprintf(buf, len, "%.1f%s", v, units[i].name);
		else if (v < 999.5 || i == nunits - 1)
			snprintf(buf, len, "%.0f%s", v, units[i].name);
		else
			continue;
		break;
	}
	return buf;
}

char *cp_format_count(char *buf, size_t len, uint64_t n)
{
	static const char units[] = "kMGTPE";
	double v = (double)n;
	size_t i;

	if (n < 1000) {
		snprintf(buf, len, "%" PRIu64, n);
		return buf;
	}
	/* As cp_format_ns: 999.7k prints as 1.00M. */
	for (i = 0; i < sizeof units - 1; i++) {
		v /= 1000;
		if (v < 9.995)
			snprintf(buf, len, "%.2f%c", v, units[i]);
		else if (v < 99.95)
			snprintf(buf, len, "%.1f%c", v, units[i]);
		else if (v < 999.5 || i == sizeof units - 2)
			snprintf(buf, len, "%.0f%c", v, units[i]);
		else
			continue;
		break;
	}
	return buf;
}

/* A count of counter C, in the table's human form. */
static char *format_counter(char *buf, size_t len, const struct cp_counter *c,
			    uint64_t v)
{
	return c->ns ? cp_format_ns(buf, len, v) : cp_format_count(buf, len, v);
}

static uint64_t events(const struct cp_profile *p);

/*
 * Are P's counters shown in the table and the CSV? Always when the run
 * has no marker event (a program built without hooks): its samples are
 * then the whole profile.
 */
static int show_counters(const struct cp_profile *p, const struct cp_output *o)
{
	return p->ncounters > 0 &&
	       (o->counters != CP_COUNTERS_OFF || events(p) == 0);
}

/*
 * The sort key for compare(): qsort has no argument to pass it, and the
 * tool prints from one thread.
 */
static enum cp_sort sort_key;

static uint64_t per_call(const struct cp_stats *st)
{
	return st->calls == 0 ? 0 : st->self_ns / st->calls;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

/* The first counter's self (or TOTAL) count of R; 0 without counters. */
static uint64_t count0(const struct row *r, int total)
{
	if (r->counts == NULL)
		return 0;
	return total ? r->counts[0].total : r->counts[0].self;
}

/*
 * The order of rows, a total one, as doc/cprof.1 says: by the key, marker
 * time first and the first counter's count second, so that functions
 * known from samples alone (no marker time: a program without hooks, or
 * code outside every marker) follow the timed ones in the order of their
 * samples; equal keys go by self time, then the first counter's self
 * count, then name, object and the order of the profile.
 */
static int compare(const void *va, const void *vb)
{
	const struct row *a = va, *b = vb;
	int c = 0;

	switch (sort_key) {
	case CP_SORT_SELF:
		break;
	case CP_SORT_TOTAL:
		c = cmp_u64_desc(a->st->total_ns, b->st->total_ns);
		if (c == 0)
			c = cmp_u64_desc(count0(a, 1), count0(b, 1));
		break;
	case CP_SORT_CALLS:
		c = cmp_u64_desc(a->st->calls, b->st->calls);
		break;
	case CP_SORT_SELFCALL:
		c = cmp_u64_desc(per_call(a->st), per_call(b->st));
		break;
	case CP_SORT_NAME:
		c = strcmp(a->f->name, b->f->name);
		break;
	}
	if (c == 0)
		c = cmp_u64_desc(a->st->self_ns, b->st->self_ns);
	if (c == 0)
		c = cmp_u64_desc(count0(a, 0), count0(b, 0));
	if (c == 0)
		c = strcmp(a->f->name, b->f->name);
	if (c == 0 && a->f->object != b->f->object)
		c = a->f->object == NULL   ? -1
		    : b->f->object == NULL ? 1
					   : strcmp(a->f->object, b->f->object);
	if (c == 0)
		c = a->index < b->index ? -1 : a->index > b->index;
	return c;
}

/*
 * The rows a table keeps: --top's, else on a terminal CP_TERM_TOP, else
 * all (0).
 */
static size_t top_of(const struct cp_output *o)
{
	if (o->top != 0 || o->top_set)
		return o->top;
	return term.on ? CP_TERM_TOP : 0;
}

/*
 * The sorted rows of the whole profile, or of thread T when not NULL:
 * *NROWS of them kept, of *ALL (when not NULL) there were.
 */
static struct row *make_rows(const struct cp_profile *p,
			     const struct cp_thread *t,
			     const struct cp_output *o, size_t *nrows,
			     size_t *all)
{
	struct row *rows;
	size_t i, n = t != NULL ? t->nfuncs : p->nfuncs;

	size_t m = 0;

	rows = xcalloc(n ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		struct row *r = &rows[m];

		r->index = t != NULL ? t->funcs[i].func : i;
		r->f = &p->funcs[r->index];
		r->st = t != NULL ? &t->funcs[i].st : &p->funcs[i].st;
		r->counts = t != NULL ? t->funcs[i].counts : p->funcs[i].counts;
		/*
		 * A function known from samples alone has no calls: it is
		 * only shown with the counters (JSON always has them).
		 */
		if (r->st->calls == 0 && o->format != CP_FORMAT_JSON &&
		    !show_counters(p, o) && !r->f->ref)
			continue;
		/* Report-time filters (filter.c). */
		if (r->f->hidden)
			continue;
		m++;
	}
	sort_key = o->sort;
	qsort(rows, m, sizeof *rows, compare);
	*nrows = top_of(o) != 0 && top_of(o) < m ? top_of(o) : m;
	if (all != NULL)
		*all = m;
	return rows;
}

/*
 * The order of --threads tables: by process, in the order the run lists
 * them (their start), then by the thread's start time, then by tid.
 */
struct thread_key {
	size_t proc;
	const struct cp_thread *t;
};

static int thread_cmp(const void *va, const void *vb)
{
	const struct thread_key *a = va, *b = vb;

	if (a->proc != b->proc)
		return a->proc < b->proc ? -1 : 1;
	if (a->t->start_ns != b->t->start_ns)
		return a->t->start_ns < b->t->start_ns ? -1 : 1;
	if (a->t->tid != b->t->tid)
		return a->t->tid < b->t->tid ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

/* P's threads in the order above; free the array. */
static const struct cp_thread **sorted_threads(const struct cp_profile *p)
{
	struct thread_key *k = xcalloc(p->nthreads + 1, sizeof *k);
	const struct cp_thread **out = xcalloc(p->nthreads + 1, sizeof *out);

	for (size_t i = 0; i < p->nthreads; i++) {
		k[i].t = &p->threads[i];
		k[i].proc = p->nprocs;
		for (size_t j = 0; j < p->nprocs; j++) {
			if (p->procs[j].pid == p->threads[i].pid) {
				k[i].proc = j;
				break;
			}
		}
	}
	qsort(k, p->nthreads, sizeof *k, thread_cmp);
	for (size_t i = 0; i < p->nthreads; i++)
		out[i] = k[i].t;
	free(k);
	return out;
}

static uint64_t wall_ns(const struct cp_profile *p)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;

	for (i = 0; i < p->nprocs; i++) {
		if (p->procs[i].start_ns < lo)
			lo = p->procs[i].start_ns;
		if (p->procs[i].end_ns > hi)
			hi = p->procs[i].end_ns;
	}
	return hi > lo ? hi - lo : 0;
}

static uint64_t events(const struct cp_profile *p)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < p->nprocs; i++)
		n += p->procs[i].events;
	return n;
}

/* The p-quantile of a frame's durations, estimated from its histogram. */
static uint64_t frame_quantile(const struct cp_frames *fr, double q)
{
	uint64_t target, seen = 0, lo, hi, v;
	size_t i;

	if (fr->count == 0)
		return 0;
	target = (uint64_t)(q * (double)fr->count + 0.999999);
	if (target == 0)
		target = 1;
	for (i = 0; i < 64; i++) {
		if (seen + fr->hist[i] >= target)
			break;
		seen += fr->hist[i];
	}
	if (i == 64)
		return fr->max_ns;
	/*
	 * Bucket i holds durations in [2^i, 2^(i+1)); place the quantile
	 * linearly inside it, then keep it within what was observed.
	 */
	lo = i == 0 ? 0 : (uint64_t)1 << i;
	hi = i == 63 ? UINT64_MAX : (uint64_t)1 << (i + 1);
	v = lo + (uint64_t)((double)(hi - lo) * (double)(target - seen) /
			    (double)fr->hist[i]);
	if (v < fr->min_ns)
		v = fr->min_ns;
	if (v > fr->max_ns)
		v = fr->max_ns;
	return v;
}

static const char *basename_of(const char *path)
{
	const char *s;

	if (path == NULL)
		return "?";
	s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

/* --- table --- */

/* Set once per table: whether "…" can be printed, else "...". */
static int utf8;

/* Columns a UTF-8 string takes, one per code point. */
static size_t width_of(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Print the first LEN bytes of S, with control characters as '?'. */
static void put_bytes(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i],
		      f);
}

/* Print S left-aligned in W columns, cut with an ellipsis when longer. */
static void put_cell(FILE *f, const char *s, size_t w)
{
	size_t sw = width_of(s), keep, n;

	if (sw <= w) {
		put_bytes(f, s, strlen(s));
		fprintf(f, "%*s", (int)(w - sw), "");
		return;
	}
	keep = w > (utf8 ? 1u : 3u) ? w - (utf8 ? 1 : 3) : 0;
	/* Cut after KEEP code points, never inside one. */
	for (n = 0; s[n] != '\0'; n++) {
		if (((unsigned char)s[n] & 0xc0) != 0x80) {
			if (keep == 0)
				break;
			keep--;
		}
	}
	put_bytes(f, s, n);
	fputs(utf8 ? "\xe2\x80\xa6" : "...", f);
}

/* Is S safe to show unquoted after a shell prompt? */
static int shell_plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
			   "Z"
			   "0123456789_@%+=:,./-",
			   *s) == NULL)
			return 0;
	return 1;
}

static void put_shell_word(FILE *f, const char *s)
{
	if (shell_plain(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* The line for a process without an end record: what is known of it. */
static void unended_line(FILE *f, const struct cp_process *pr)
{
	const char *s = pr->state != NULL ? pr->state : "no-end-record";
	int ws = pr->wait_status;

	fprintf(f, "  pid %d (%s): ", pr->pid, basename_of(pr->exe));
	if (strcmp(s, "running") == 0)
		fputs("still running", f);
	else if (strcmp(s, "running-at-return") == 0)
		fputs("still running when cprof returned", f);
	else if (strcmp(s, "killed") == 0)
		fprintf(f, "killed by signal %d (%s)", WTERMSIG(ws),
			strsignal(WTERMSIG(ws)));
	else if (strcmp(s, "exited") == 0)
		fprintf(f, "exited with status %d without an end record",
			WEXITSTATUS(ws));
	else
		fputs("ended without an end record", f);
	fputs("; its profile ends at its last flush\n", f);
}

/*
 * The processes of the run still running when cprof returned that had
 * not written a log yet (a daemon's child a moment after its parent).
 */
static int has_log(const struct cp_profile *p, int pid)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid)
			return 1;
	return 0;
}

static void no_log_lines(FILE *f, const struct cp_profile *p)
{
	for (size_t i = 0; i < p->meta_nrunning; i++)
		if (!has_log(p, p->meta_running[i]))
			fprintf(f,
				"  pid %d: still running when cprof returned, "
				"before its log was written; not in this "
				"profile\n",
				p->meta_running[i]);
}

static void selection_lines(FILE *f, const struct cp_profile *p);

/* The threads of process PID with samples lost or throttled. */
static size_t threads_throttled(const struct cp_profile *p, int pid)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		n += p->threads[i].pid == pid &&
		     (p->threads[i].lost != 0 || p->threads[i].throttled != 0 ||
		      p->threads[i].unthrottled != 0);
	return n;
}

/*
 * Adaptive timing: how many functions had calls counted rather than
 * timed, whose time columns read "-" until samples fill them.
 */
static void untimed_line(FILE *f, const struct cp_profile *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].st.untimed_calls > 0 &&
		    p->funcs[i].self_source == CP_SELF_SAMPLED &&
		    p->funcs[i].st.self_ns == 0)
			n++;
	if (n > 0)
		fprintf(f,
			"  %zu function%s too short to time: calls counted, "
			"times \"-\" (in their callers' self; --time-all "
			"times them)\n",
			n, n == 1 ? "" : "s");
}

/*
 * The fork() children the logs noted that left no log: not in the
 * profile, and nothing of theirs says why. At most 10 lines.
 */
static void unlogged_lines(FILE *f, const struct cp_profile *p)
{
	size_t i;

	for (i = 0; i < p->nunlogged && i < 10; i++)
		fprintf(f,
			"  pid %d (fork child of pid %d): left no log, not "
			"in this profile (a chroot or sandbox may have hidden "
			"the run directory from it)\n",
			p->unlogged[i].pid, p->unlogged[i].ppid);
	if (p->nunlogged > i)
		fprintf(f, "  %zu more fork children left no log\n",
			p->nunlogged - i);
	if (p->unlogged_more)
		fprintf(f,
			"  %" PRIu64 " fork children were not noted (too many "
			"at once): whether they left a log is not known\n",
			p->unlogged_more);
}

static void table_header(FILE *f, const struct cp_profile *p)
{
	const struct cp_process *pr;
	char buf[32];
	size_t i;

	fputs("Profile of ", f);
	if (p->has_meta && p->argv != NULL && p->argv[0] != NULL) {
		for (i = 0; p->argv[i] != NULL; i++) {
			if (i > 0)
				fputc(' ', f);
			put_shell_word(f, p->argv[i]);
		}
	} else if (p->nprocs > 0) {
		put_shell_word(f,
			       p->procs[0].exe != NULL ? p->procs[0].exe : "?");
	} else {
		fputs("an empty run", f);
	}
	fputs(":\n  ", f);
	if (p->has_meta)
		fprintf(f, "exit status %d, ", p->status);
	fprintf(f, "wall %s, %zu process%s, %zu thread%s, ",
		cp_format_ns(buf, sizeof buf, wall_ns(p)), p->nprocs,
		p->nprocs == 1 ? "" : "es", p->nthreads,
		p->nthreads == 1 ? "" : "s");
	if (events(p) > 0 || p->ncounters == 0) {
		fprintf(f, "%" PRIu64 " events\n", events(p));
	} else {
		/* Without hooks the table is the samples: say so. */
		uint64_t samples = 0;

		for (i = 0; i < p->nprocs; i++)
			samples += p->procs[i].samples;
		fprintf(f,
			"no marker events\n  (no -finstrument-functions hooks "
			"or markers): the table counts %" PRIu64
			" samples of %s\n",
			samples, p->counters[0].name);
	}

	/* Anything that makes the numbers below incomplete gets a line. */
	selection_lines(f, p);
	for (i = 0; i < p->nprocs; i++) {
		pr = &p->procs[i];
		if (!pr->finished)
			unended_line(f, pr);
		else if (pr->end_reason != NULL &&
			 strcmp(pr->end_reason, "signal") == 0)
			fprintf(f, "  pid %d (%s): killed by signal %d (%s)\n",
				pr->pid, basename_of(pr->exe), pr->signal,
				strsignal(pr->signal));
		else if (pr->end_reason != NULL &&
			 strcmp(pr->end_reason, CPROF_REASON_SANDBOX) == 0)
			fprintf(f,
				"  pid %d (%s): recording ended when it "
				"installed a seccomp filter the runtime "
				"cannot run under; the profile stops there\n",
				pr->pid, basename_of(pr->exe));
		if (pr->own_hooks != NULL)
			fprintf(f,
				"  pid %d (%s): defines its own "
				"__cyg_profile_func_enter/exit (%s): its "
				"compiler hooks never reach cprof\n",
				pr->pid, basename_of(pr->exe), pr->own_hooks);
		if (pr->skipped_bytes != 0)
			fprintf(f,
				"  pid %d (%s): log truncated or corrupt, "
				"%" PRIu64 " bytes skipped\n",
				pr->pid, basename_of(pr->exe),
				pr->skipped_bytes);
		if (pr->lost != 0)
			fprintf(f, "  pid %d (%s): %" PRIu64 " events lost\n",
				pr->pid, basename_of(pr->exe), pr->lost);
		if (pr->samples_lost != 0 || pr->throttled != 0 ||
		    pr->unthrottled != 0)
			fprintf(f,
				"  pid %d (%s): %" PRIu64 " samples lost, "
				"throttled %" PRIu64
				" time%s, unthrottled %" PRIu64
				" (in %zu thread%s; T marks the functions the "
				"samples after them went to)\n",
				pr->pid, basename_of(pr->exe), pr->samples_lost,
				pr->throttled, pr->throttled == 1 ? "" : "s",
				pr->unthrottled, threads_throttled(p, pr->pid),
				threads_throttled(p, pr->pid) == 1 ? "" : "s");
		if (pr->clock_note != NULL)
			fprintf(f,
				"  pid %d (%s): the cycle counter may not be a "
				"safe clock (%s): times and the placement of "
				"samples may be off\n",
				pr->pid, basename_of(pr->exe), pr->clock_note);
		/*
		 * A stray broken chain (a sample in a prologue) changes
		 * nothing; from 1% on, the totals cannot be trusted.
		 */
		if (pr->broken_chains != 0 &&
		    pr->broken_chains * 100 >= pr->callchains && pr->dwarf)
			fprintf(f,
				"  pid %d (%s): %" PRIu64 " of %" PRIu64
				" unwound callchains stop short (frames "
				"beyond the stack copy, or without unwind "
				"information):\n    totals are unreliable; "
				"record a larger copy "
				"(--call-graph=dwarf,SIZE)\n",
				pr->pid, basename_of(pr->exe),
				pr->broken_chains, pr->callchains);
		else if (pr->broken_chains != 0 &&
			 pr->broken_chains * 100 >= pr->callchains)
			fprintf(f,
				"  pid %d (%s): %" PRIu64 " of %" PRIu64
				" callchains are broken (code built without "
				"frame pointers?):\n    totals are unreliable; "
				"rebuild with -fno-omit-frame-pointer, or "
				"record with --call-graph=dwarf\n",
				pr->pid, basename_of(pr->exe),
				pr->broken_chains, pr->callchains);
		if (pr->unplaced != 0)
			fprintf(f,
				"  pid %d (%s): %" PRIu64 " samples came too "
				"late to be placed in marker frames, counted "
				"by address\n",
				pr->pid, basename_of(pr->exe), pr->unplaced);
	}
	for (i = 0; i < p->nthreads; i++) {
		const struct cp_thread *t = &p->threads[i];

		if (t->unreliable)
			fprintf(f,
				"  tid %d of pid %d: its stack switched to one "
				"cprof cannot follow (coroutines that are not "
				"ucontext?): its calls and times are "
				"unreliable\n",
				t->tid, t->pid);
		else if (t->contexts)
			fprintf(f,
				"  tid %d of pid %d: %zu ucontext coroutine%s "
				"followed; a frame counts the time its "
				"context ran\n",
				t->tid, t->pid, t->contexts,
				t->contexts == 1 ? "" : "s");
		if (t->counters_missing)
			fprintf(f,
				"  tid %d of pid %d: counter values missing "
				"for "
				"part of its events (its counters were taken "
				"by the program or never opened): what spans "
				"them is not counted\n",
				t->tid, t->pid);
	}
	untimed_line(f, p);
	no_log_lines(f, p);
	unlogged_lines(f, p);
	if (!p->warnings_said) {
		for (size_t w = 0; w < p->warnings.n; w++)
			cp_warnings_line(
				f, "  runtime warning: ", &p->warnings.v[w]);
		if (p->warnings.left_out)
			fprintf(f, "  %zu more runtime warnings\n",
				p->warnings.left_out);
	}
}

/* Print the newline-separated patterns of S as " OPT=PAT" each. */
static void put_patterns(FILE *f, const char *opt, const char *s)
{
	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, "\n");

		fprintf(f, " %s='%.*s'", opt, (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/*
 * The record-time selection in force, one line for each different one
 * (every process of a run normally has the same): the calls it left out
 * are not in the table.
 */
static void selection_lines(FILE *f, const struct cp_profile *p)
{
	const struct cp_process *last = NULL;
	char b[32];

	for (size_t i = 0; i < p->nprocs; i++) {
		const struct cp_process *pr = &p->procs[i];

		if (!pr->has_select ||
		    (last != NULL && last->sel_filter == pr->sel_filter &&
		     last->sel_exclude == pr->sel_exclude &&
		     last->sel_min_ns == pr->sel_min_ns))
			continue;
		last = pr;
		fputs("  selection in force:", f);
		put_patterns(f, "--filter", pr->sel_filter);
		put_patterns(f, "--exclude", pr->sel_exclude);
		if (pr->sel_min_ns != 0)
			fprintf(f, " --min-duration=%s",
				cp_format_ns(b, sizeof b, pr->sel_min_ns));
		fputs(pr->sel_min_ns != 0 ? " (shorter calls counted, their "
					    "time in their callers' self)\n"
					  : "\n",
		      f);
	}
}

/* Does a process of the run take the compiler's hooks for itself? */
static int own_hooks(const struct cp_profile *p)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].own_hooks != NULL)
			return 1;
	return 0;
}

/*
 * Is the object column worth its width? Yes when the rows come from more
 * than one ELF object, or from one that is not a profiled executable (a
 * shared library): otherwise every row would say the same program.
 */
static int want_objects(const struct cp_profile *p, const struct row *rows,
			size_t n)
{
	const char *first = NULL;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (rows[i].f->object == NULL)
			continue;
		if (first == NULL)
			first = rows[i].f->object;
		else if (strcmp(first, rows[i].f->object) != 0)
			return 1;
	}
	if (first == NULL)
		return 0;
	for (j = 0; j < p->nprocs; j++)
		if (strcmp(first, basename_of(p->procs[j].exe)) == 0)
			return 0;
	return 1;
}

static size_t columns_of(FILE *f)
{
	struct winsize ws;

	if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	return DEFAULT_COLUMNS;
}

/* The run's counter named GENERIC, or -1. */
static int counter_index(const struct cp_profile *p, const char *generic)
{
	for (size_t k = 0; k < p->ncounters; k++) {
		if (cp_counter_is(&p->counters[k], generic))
			return (int)k;
	}
	return -1;
}

/*
 * Which columns a table has. A file or pipe gets them all; a terminal
 * may go without some (fit_columns()).
 */
struct cols {
	int objects;  /* the object column */
	int time;     /* the marker time columns: Self and Self%, */
	int ttotal;   /* Total, */
	int calls;    /* Calls, */
	int selfcall; /* Self/call */
	int offcpu;   /* --off-cpu: Off-CPU and On-CPU (self) */
	/* --syscalls: Sys (self calls), Sys time, and the classes in sysmask */
	int syscalls;
	unsigned sysmask;
	size_t ncounters; /* counters shown, each with Self, */
	int cpct;	  /* Self%, */
	int ctotal;	  /* Total */
	int ipc, mpki;	  /* derived: counter indexes, -1 when absent */
	int cyc;	  /* cycles, for IPC */
	int ins;	  /* instructions */
	int flags;	  /* the distortion flag column */
	int src;	  /* where self time comes from (the hybrid) */
	size_t namew, objw, callsw;
};

/* Width of the time columns, each with the two spaces before it. */
static size_t time_width(const struct cols *c)
{
	if (!c->time)
		return 0;
	return 2 + TIME_WIDTH + 2 + PCT_WIDTH + (c->src ? 2 + SRC_WIDTH : 0) +
	       (c->ttotal ? 2 + TIME_WIDTH : 0) +
	       (c->calls ? 2 + c->callsw : 0) +
	       (c->selfcall ? 2 + TIME_WIDTH : 0) +
	       (c->offcpu ? 2 * (2 + TIME_WIDTH) : 0) +
	       (c->syscalls ? 2 + COUNT_WIDTH + 2 + TIME_WIDTH +
				      (size_t)__builtin_popcount(c->sysmask) *
					      (2 + COUNT_WIDTH)
			    : 0);
}

/* Width of one counter's columns, without the two spaces before them. */
static size_t counter_width(const struct cols *c)
{
	return COUNT_WIDTH + (c->cpct ? 2 + PCT_WIDTH : 0) +
	       (c->ctotal ? 2 + COUNT_WIDTH : 0);
}

/* Width of every column but the function's name. */
static size_t fixed_width(const struct cols *c)
{
	return (c->objects ? 2 + c->objw : 0) + time_width(c) +
	       c->ncounters * (2 + counter_width(c)) +
	       (c->ipc >= 0 ? 2 + IPC_WIDTH : 0) +
	       (c->mpki >= 0 ? 2 + MPKI_WIDTH : 0) + (c->flags ? 3 : 0);
}

/*
 * Fit C to a terminal WIDTH columns wide: names are cut to
 * TERM_NAME_WIDTH first (when longer), then columns go in the order
 * doc/cprof.1 gives, least read first, until the line fits; the function
 * name, Self and Self% (or the first counter's Self, in a run without
 * markers) always stay. Names then take what is left, TERM_NAME_FLOOR at
 * least.
 */
static void fit_columns(struct cols *c, size_t width)
{
	size_t need = c->namew < TERM_NAME_WIDTH ? c->namew : TERM_NAME_WIDTH;

#define TOO_WIDE (fixed_width(c) + need > width)
	if (TOO_WIDE && c->objects && c->objw > TERM_OBJECT_WIDTH)
		c->objw = TERM_OBJECT_WIDTH;
	if (TOO_WIDE)
		c->ctotal = 0;
	if (TOO_WIDE)
		c->selfcall = 0;
	if (TOO_WIDE)
		c->mpki = -1;
	if (TOO_WIDE)
		c->cpct = 0;
	while (TOO_WIDE && c->ncounters > (c->time ? 0u : 1u))
		c->ncounters--;
	if (TOO_WIDE)
		c->ipc = -1;
	if (TOO_WIDE)
		c->objects = 0;
	if (TOO_WIDE)
		c->src = 0;
	if (TOO_WIDE)
		c->ttotal = 0;
	if (TOO_WIDE)
		c->flags = 0;
	if (TOO_WIDE)
		c->calls = 0;
#undef TOO_WIDE
	if (fixed_width(c) + c->namew > width)
		c->namew = width > fixed_width(c) + TERM_NAME_FLOOR
				   ? width - fixed_width(c)
				   : TERM_NAME_FLOOR;
}

/* A percentage of WHOLE, or "-" without one. */
static char *pct(char *buf, size_t len, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%",
			 100.0 * (double)part / (double)whole);
	return buf;
}

static void table_head(FILE *f, const struct cp_profile *p,
		       const struct cols *c)
{
	size_t w = c->namew + (c->objects ? 2 + c->objw : 0);

	if (term.color)
		fputs(SGR_BOLD, f);
	/* Counter names go over their columns, right-aligned. */
	if (c->ncounters > 0) {
		const size_t gw = counter_width(c);

		fprintf(f, "%*s", (int)w, "");
		if (c->time)
			fprintf(f, "%*s", (int)time_width(c), "");
		for (size_t k = 0; k < c->ncounters; k++) {
			const char *name = p->counters[k].name;
			size_t nw = width_of(name);

			fputs("  ", f);
			if (nw < gw)
				fprintf(f, "%*s", (int)(gw - nw), "");
			put_cell(f, name, nw < gw ? nw : gw);
		}
		/* Each line on its own, so that a wrapped one stays plain. */
		fputs(term.color ? SGR_RESET "\n" SGR_BOLD : "\n", f);
	}
	put_cell(f, "Function", c->namew);
	if (c->objects) {
		fputs("  ", f);
		put_cell(f, "Object", c->objw);
	}
	if (c->time) {
		fprintf(f, "  %*s  %*s", TIME_WIDTH, "Self", PCT_WIDTH,
			"Self%");
		if (c->ttotal)
			fprintf(f, "  %*s", TIME_WIDTH, "Total");
		if (c->calls)
			fprintf(f, "  %*s", (int)c->callsw, "Calls");
		if (c->selfcall)
			fprintf(f, "  %*s", TIME_WIDTH, "Self/call");
		if (c->src)
			fprintf(f, "  %-*s", SRC_WIDTH, "Src");
		if (c->offcpu)
			fprintf(f, "  %*s  %*s", TIME_WIDTH, "Off-CPU",
				TIME_WIDTH, "On-CPU");
		if (c->syscalls) {
			fprintf(f, "  %*s  %*s", COUNT_WIDTH, "Sys", TIME_WIDTH,
				"Sys time");
			for (int k = 0; k < CP_SYS_CLASSES; k++)
				if (c->sysmask & (1u << k))
					fprintf(f, "  %*s", COUNT_WIDTH,
						cp_syscall_class_names[k]);
		}
	}
	for (size_t k = 0; k < c->ncounters; k++) {
		fprintf(f, "  %*s", COUNT_WIDTH, "Self");
		if (c->cpct)
			fprintf(f, "  %*s", PCT_WIDTH, "Self%");
		if (c->ctotal)
			fprintf(f, "  %*s", COUNT_WIDTH, "Total");
	}
	if (c->ipc >= 0)
		fprintf(f, "  %*s", IPC_WIDTH, "IPC");
	if (c->mpki >= 0)
		fprintf(f, "  %*s", MPKI_WIDTH, "MPKI");
	if (c->flags)
		fputs("  !", f);
	if (term.color)
		fputs(SGR_RESET, f);
	fputc('\n', f);
}

/*
 * The colour of row R on a terminal: by its share of marker self time,
 * or in a run without markers of the first counter's self count; NULL
 * for none.
 */
static const char *row_color(const struct cp_profile *p, const struct cols *c,
			     const struct row *r)
{
	double share = 0;

	if (!term.color)
		return NULL;
	if (c->time && (r->st->calls > 0 || r->f->ref) && p->total_self_ns > 0)
		share = 100.0 * (double)r->st->self_ns /
			(double)p->total_self_ns;
	else if (!c->time && r->counts != NULL && p->counters[0].total_self > 0)
		share = 100.0 * (double)r->counts[0].self /
			(double)p->counters[0].total_self;
	return share >= HOT_RED	     ? SGR_RED
	       : share >= HOT_YELLOW ? SGR_YELLOW
				     : NULL;
}

/* The Src column: where the self time of F comes from. */
static const char *src_mark(const struct cp_func *f)
{
	static const char *const marks[] = {
		[CP_SELF_TIMED] = "time",
		[CP_SELF_COMPENSATED] = "comp",
		[CP_SELF_SAMPLED] = "smpl",
	};

	/* A reference run's samples of the plain build (reference.c). */
	if (f->ref)
		return "ref";
	return marks[f->self_source];
}

/*
 * --syscalls: R's system calls as innermost function, their time, and
 * their count in each class shown; "-" for a thread's row (--threads)
 * and with R NULL.
 */
static void syscall_cells(FILE *f, const struct cols *c, const struct row *r)
{
	uint64_t n = 0, ns = 0, cls[CP_SYS_CLASSES] = {0};
	char b[2][32];

	if (r == NULL || r->st != &r->f->st) {
		fprintf(f, "  %*s  %*s", COUNT_WIDTH, "-", TIME_WIDTH, "-");
		for (int k = 0; k < CP_SYS_CLASSES; k++)
			if (c->sysmask & (1u << k))
				fprintf(f, "  %*s", COUNT_WIDTH, "-");
		return;
	}
	for (size_t i = 0; i < r->f->nsys; i++) {
		n += r->f->sys[i].self_count;
		ns += r->f->sys[i].self_ns;
		cls[cp_syscall_class(r->f->sys[i].nr)] +=
			r->f->sys[i].self_count;
	}
	fprintf(f, "  %*s  %*s", COUNT_WIDTH,
		cp_format_count(b[0], sizeof b[0], n), TIME_WIDTH,
		cp_format_ns(b[1], sizeof b[1], ns));
	for (int k = 0; k < CP_SYS_CLASSES; k++)
		if (c->sysmask & (1u << k))
			fprintf(f, "  %*s", COUNT_WIDTH,
				cp_format_count(b[0], sizeof b[0], cls[k]));
}

/*
 * --off-cpu: R's off-CPU (blocked) and on-CPU self time. The numbers are
 * the run's, not a thread's: a thread's row (--threads) shows "-".
 */
static void offcpu_cells(FILE *f, const struct row *r)
{
	char b[2][32];

	if (r->st != &r->f->st) {
		fprintf(f, "  %*s  %*s", TIME_WIDTH, "-", TIME_WIDTH, "-");
		return;
	}
	fprintf(f, "  %*s  %*s", TIME_WIDTH,
		cp_format_ns(b[0], sizeof b[0], r->f->off_self_ns), TIME_WIDTH,
		cp_format_ns(b[1], sizeof b[1], cp_on_cpu_self(r->f)));
}

static void table_row(FILE *f, const struct cp_profile *p, const struct cols *c,
		      const struct row *r)
{
	const struct cp_stats *st = r->st;
	const char *color = row_color(p, c, r);
	char b[4][32];

	if (color != NULL)
		fputs(color, f);
	put_cell(f, r->f->name, c->namew);
	if (c->objects) {
		fputs("  ", f);
		put_cell(f, r->f->object != NULL ? r->f->object : "", c->objw);
	}
	if (c->time && st->calls == 0 && st->self_ns == 0 && !r->f->ref) {
		/* Known from samples alone: no marker time to show. */
		fprintf(f, "  %*s  %*s", TIME_WIDTH, "-", PCT_WIDTH, "-");
		if (c->ttotal)
			fprintf(f, "  %*s", TIME_WIDTH, "-");
		if (c->calls)
			fprintf(f, "  %*s", (int)c->callsw, "-");
		if (c->selfcall)
			fprintf(f, "  %*s", TIME_WIDTH, "-");
		if (c->src)
			fprintf(f, "  %-*s", SRC_WIDTH, "-");
		if (c->offcpu)
			fprintf(f, "  %*s  %*s", TIME_WIDTH, "-", TIME_WIDTH,
				"-");
		if (c->syscalls)
			syscall_cells(f, c, NULL);
	} else if (c->time && st->untimed_calls > 0 && st->self_ns == 0 &&
		   st->total_ns == 0) {
		/* Counted, not timed (adaptive timing): exact calls only. */
		fprintf(f, "  %*s  %*s", TIME_WIDTH, "-", PCT_WIDTH, "-");
		if (c->ttotal)
			fprintf(f, "  %*s", TIME_WIDTH, "-");
		if (c->calls)
			fprintf(f, "  %*" PRIu64, (int)c->callsw, st->calls);
		if (c->selfcall)
			fprintf(f, "  %*s", TIME_WIDTH, "-");
		if (c->src)
			fprintf(f, "  %-*s", SRC_WIDTH, src_mark(r->f));
		if (c->offcpu)
			fprintf(f, "  %*s  %*s", TIME_WIDTH, "-", TIME_WIDTH,
				"-");
		if (c->syscalls)
			syscall_cells(f, c, NULL);
	} else if (c->time) {
		fprintf(f, "  %*s  %*s", TIME_WIDTH,
			cp_format_ns(b[0], sizeof b[0], st->self_ns), PCT_WIDTH,
			pct(b[1], sizeof b[1], st->self_ns, p->total_self_ns));
		if (c->ttotal)
			fprintf(f, "  %*s", TIME_WIDTH,
				cp_format_ns(b[2], sizeof b[2], st->total_ns));
		/* A reference row known from samples alone has no calls. */
		if (c->calls && st->calls == 0)
			fprintf(f, "  %*s", (int)c->callsw, "-");
		else if (c->calls)
			fprintf(f, "  %*" PRIu64, (int)c->callsw, st->calls);
		if (c->selfcall && st->calls == 0)
			fprintf(f, "  %*s", TIME_WIDTH, "-");
		else if (c->selfcall)
			fprintf(f, "  %*s", TIME_WIDTH,
				cp_format_ns(b[3], sizeof b[3], per_call(st)));
		if (c->src)
			fprintf(f, "  %-*s", SRC_WIDTH, src_mark(r->f));
		if (c->offcpu)
			offcpu_cells(f, r);
		if (c->syscalls)
			syscall_cells(f, c, r);
	}
	for (size_t k = 0; k < c->ncounters; k++) {
		const struct cp_counter *ct = &p->counters[k];
		const struct cp_count *n = &r->counts[k];

		fprintf(f, "  %*s", COUNT_WIDTH,
			format_counter(b[0], sizeof b[0], ct, n->self));
		if (c->cpct)
			fprintf(f, "  %*s", PCT_WIDTH,
				pct(b[1], sizeof b[1], n->self,
				    ct->total_self));
		if (c->ctotal)
			fprintf(f, "  %*s", COUNT_WIDTH,
				format_counter(b[2], sizeof b[2], ct,
					       n->total));
	}
	if (c->ipc >= 0) {
		uint64_t cyc = r->counts[c->cyc].self;

		if (cyc == 0)
			snprintf(b[0], sizeof b[0], "-");
		else
			snprintf(b[0], sizeof b[0], "%.2f",
				 (double)r->counts[c->ins].self / (double)cyc);
		fprintf(f, "  %*s", IPC_WIDTH, b[0]);
	}
	if (c->mpki >= 0) {
		uint64_t ins = r->counts[c->ins].self;

		if (ins == 0)
			snprintf(b[0], sizeof b[0], "-");
		else
			snprintf(b[0], sizeof b[0], "%.2f",
				 1000.0 * (double)r->counts[c->mpki].self /
					 (double)ins);
		fprintf(f, "  %*s", MPKI_WIDTH, b[0]);
	}
	/* ! the distortion check, T samples after a throttled interval. */
	if (c->flags)
		fputs(r->f->ref_inlined ? "  i"
		      : r->f->dist.flagged
			      ? (r->f->throttled_samples ? " !T" : "  !")
			      : (r->f->throttled_samples ? "  T" : "   "),
		      f);
	if (color != NULL)
		fputs(SGR_RESET, f);
	fputc('\n', f);
}

static void table_rows(FILE *f, const struct cp_profile *p,
		       const struct cp_output *o, const struct row *rows,
		       size_t n, size_t all)
{
	struct cols c;
	size_t i, w, fixed, cap, cols = term.on ? term.width : columns_of(f);

	memset(&c, 0, sizeof c);
	c.objects = want_objects(p, rows, n);
	c.ncounters = show_counters(p, o) ? p->ncounters : 0;
	/* A run without a single marker event has no time to show. */
	c.time = c.ncounters == 0 || events(p) > 0;
	c.ttotal = c.calls = c.selfcall = c.cpct = c.ctotal = 1;
	c.offcpu = o->offcpu && c.time;
	c.syscalls = o->syscalls && c.time;
	for (i = 0; c.syscalls && i < p->nfuncs; i++)
		for (size_t k = 0; k < p->funcs[i].nsys; k++)
			if (p->funcs[i].sys[k].self_count > 0)
				c.sysmask |= 1u << cp_syscall_class(
						     p->funcs[i].sys[k].nr);
	c.cyc = c.ncounters ? counter_index(p, "cycles") : -1;
	c.ins = c.ncounters ? counter_index(p, "instructions") : -1;
	c.ipc = c.cyc >= 0 && c.ins >= 0 ? c.cyc : -1;
	c.mpki = c.ins >= 0 ? counter_index(p, "cache-misses") : -1;
	for (i = 0; c.ncounters > 0 && i < p->nfuncs; i++)
		c.flags |= p->funcs[i].dist.flagged ||
			   p->funcs[i].throttled_samples != 0;
	/* A reference profile's mark of the functions the plain build inlines.
	 */
	if (p->ref != NULL && p->ref->inlined > 0)
		c.flags = 1;
	/* The Src column, once some self time is not marker time as is. */
	for (i = 0; c.time && i < p->nfuncs; i++)
		c.src |= p->funcs[i].self_source != CP_SELF_TIMED &&
			 (p->funcs[i].st.self_ns > 0 ||
			  p->funcs[i].st.comp_ns > 0);
	c.namew = strlen("Function");
	c.callsw = MIN_CALLS_WIDTH;
	for (i = 0; i < n; i++) {
		if ((w = width_of(rows[i].f->name)) > c.namew)
			c.namew = w;
		if (c.objects && rows[i].f->object != NULL &&
		    (w = width_of(rows[i].f->object)) > c.objw)
			c.objw = w;
		if ((w = (size_t)snprintf(NULL, 0, "%" PRIu64,
					  rows[i].st->calls)) > c.callsw)
			c.callsw = w;
	}
	if (c.objects) {
		if (c.objw < strlen("Object"))
			c.objw = strlen("Object");
		if (c.objw > MAX_OBJECT_WIDTH)
			c.objw = MAX_OBJECT_WIDTH;
	}
	/* Names take what the other columns leave of the line. */
	if (term.on) {
		fit_columns(&c, cols);
	} else {
		fixed = fixed_width(&c);
		cap = cols > fixed + MIN_NAME_WIDTH ? cols - fixed
						    : MIN_NAME_WIDTH;
		if (c.namew > cap)
			c.namew = cap;
	}

	table_head(f, p, &c);
	for (i = 0; i < n; i++)
		table_row(f, p, &c, &rows[i]);
	/* A terminal shows the top rows: say what else there is. */
	if (term.on && all > n)
		fprintf(f,
			"... %zu more function%s (--top 0 or a pipe shows "
			"all)\n",
			all - n, all - n == 1 ? "" : "s");
	if (n == 0 && p->ncounters > 0 && c.ncounters == 0)
		fputs("(no functions recorded with markers; the run has "
		      "counters: --counters shows its samples)\n",
		      f);
	else if (n == 0 && own_hooks(p))
		fputs("(no functions recorded: the program's own "
		      "__cyg_profile_func_enter/exit took the compiler's "
		      "hooks)\n",
		      f);
	else if (n == 0)
		fputs("(no functions recorded: was the program built with"
		      " -finstrument-functions?)\n",
		      f);
}

/* The counters of the run: one line each, then what makes them partial. */
static void table_counters(FILE *f, const struct cp_profile *p)
{
	size_t w = strlen("Counter"), uncovered = 0;
	int scaled = 0, lost = !term.on;

	for (size_t k = 0; k < p->ncounters; k++) {
		if (width_of(p->counters[k].name) > w)
			w = width_of(p->counters[k].name);
		/* A terminal shows Lost and Throttled only when not all 0. */
		lost |= p->counters[k].lost != 0 || p->counters[k].throttled;
	}
	if (w > 32)
		w = 32;
	fputs("\n  ", f);
	put_cell(f, "Counter", w);
	fprintf(f, "  %-8s  %10s  %8s", "Mode", "Rate", "Samples");
	if (lost)
		fprintf(f, "  %6s  %9s", "Lost", "Throttled");
	fprintf(f, "  %8s  %8s\n", "Coverage", "Count");
	for (size_t k = 0; k < p->ncounters; k++) {
		const struct cp_counter *c = &p->counters[k];
		int exact = c->mode == CP_COUNTER_EXACT;
		char rate[32], cov[16], n[3][32];

		if (exact)
			snprintf(rate, sizeof rate, "markers");
		else if (!c->leader)
			snprintf(rate, sizeof rate, "in samples");
		else if (c->period != 0)
			snprintf(rate, sizeof rate, "every %s",
				 cp_format_count(n[0], sizeof n[0], c->period));
		else
			snprintf(rate, sizeof rate, "%" PRIu64 "/s", c->freq);
		if (c->enabled == 0)
			snprintf(cov, sizeof cov, "?");
		else if (c->running >= c->enabled)
			snprintf(cov, sizeof cov, "100%%");
		else
			snprintf(cov, sizeof cov, "%.1f%%%s",
				 100.0 * (double)c->running /
					 (double)c->enabled,
				 c->scaled ? "*" : "");
		scaled |= c->scaled;
		if (c->uncovered > uncovered)
			uncovered = c->uncovered;
		fputs("  ", f);
		put_cell(f, c->name, w);
		fprintf(f, "  %-8s  %10s", exact ? "exact" : "sampling", rate);
		if (exact)
			fprintf(f, "  %8s", "-");
		else
			fprintf(f, "  %8" PRIu64, c->samples);
		if (lost && exact)
			fprintf(f, "  %6s  %9s", "-", "-");
		else if (lost)
			fprintf(f, "  %6" PRIu64 "  %9" PRIu64, c->lost,
				c->throttled);
		fprintf(f, "  %8s  %8s\n", cov,
			c->enabled == 0 ? "-"
					: format_counter(n[1], sizeof n[1], c,
							 c->count));
	}
	if (scaled)
		fputs("  * the kernel multiplexed the counters: each thread's "
		      "counts are scaled by\n    its enabled/running time "
		      "(estimates)\n",
		      f);
	if (uncovered > 0)
		fprintf(f,
			"  ? %zu thread%s counted without recording totals: "
			"coverage unknown, counts not scaled\n",
			uncovered, uncovered == 1 ? "" : "s");
}

/*
 * Under the table, when the hooks moved much of the time: the functions
 * that are mostly hook, and how to build without their hooks (advice.c).
 */
static void table_advice(FILE *f, const struct cp_profile *p)
{
	const struct cp_advice *a = &p->advice;
	const char *cc = a->compiler;

	if (!a->large)
		return;
	fprintf(f,
		"! The hooks took %.0f%% of the run's time; compensated, but "
		"the "
		"build itself is moved\n  (calls and inlining the hooks "
		"change). Mostly hook (%.0f%% of it):\n    ",
		100 * a->share, 100 * a->named_share);
	for (size_t i = 0; i < a->nfuncs; i++) {
		if (i > 0)
			fputs(", ", f);
		put_bytes(f, p->funcs[a->funcs[i]].name,
			  strlen(p->funcs[a->funcs[i]].name));
	}
	if (cc != NULL && strcmp(cc, "clang") == 0)
		fputs("\n  clang builds have no exclude list; an XRay build "
		      "leaves unpatched functions nearly free:\n    ",
		      f);
	else
		fprintf(f, "\n  rebuild %swithout their hooks:\n    ",
			cc != NULL ? "(gcc) " : "with gcc ");
	cp_advice_line(f, p);
	fputc('\n', f);
}

/*
 * Under the table: the hooks' cost the calibration took out of the
 * marker times (doc/design.md, "The hybrid").
 */
static void table_hybrid(FILE *f, const struct cp_profile *p)
{
	double own = 0, caller = 0;
	size_t n = 0;
	char b[32];

	for (size_t i = 0; i < p->nprocs; i++) {
		if (!p->procs[i].has_calib)
			continue;
		own += p->procs[i].calib_own_ns;
		caller += p->procs[i].calib_caller_ns;
		n++;
	}
	if (n == 0 || events(p) == 0)
		return;
	fprintf(f,
		"\nHook cost compensated: %s of marker self time (%.1fns "
		"inside each timed call,\n  %.1fns in its caller, measured "
		"at start%s; raw times in the JSON)\n",
		cp_format_ns(b, sizeof b, p->comp_ns), own / (double)n,
		caller / (double)n, n > 1 ? ", mean over processes" : "");
	table_advice(f, p);
}

/* Under the table: what the cross-check of time and samples found. */
static void table_distortion(FILE *f, const struct cp_profile *p)
{
	const char *ev;
	size_t i, n = 0;

	/* A program without markers has nothing to check. */
	if (!p->has_dist || events(p) == 0)
		return;
	ev = p->counters[p->dist_counter].name;
	if (p->dist_samples < CP_DIST_MIN_SAMPLES) {
		fprintf(f,
			"\nDistortion check: %" PRIu64 " %s samples inside "
			"markers, %d needed: not done\n",
			p->dist_samples, ev, CP_DIST_MIN_SAMPLES);
		return;
	}
	for (i = 0; i < p->nfuncs; i++)
		n += p->funcs[i].dist.flagged != 0;
	if (n == 0) {
		fprintf(f,
			"\nDistortion check: every function's share of marker "
			"time agrees with its share\nof %s samples (%" PRIu64
			" inside markers)\n",
			ev, p->dist_samples);
		return;
	}
	fprintf(f,
		"\n! share of marker self time and of %s samples disagree "
		"(%" PRIu64 " samples\n  inside markers; beyond 3 standard "
		"errors + 1 point):\n",
		ev, p->dist_samples);
	for (i = 0; i < p->nfuncs; i++) {
		const struct cp_func *fn = &p->funcs[i];

		if (!fn->dist.flagged)
			continue;
		fputs("  ", f);
		put_bytes(f, fn->name, strlen(fn->name));
		fprintf(f, ": time %.1f%%, samples %.1f%%: %s\n",
			100 * fn->dist.time_share, 100 * fn->dist.sample_share,
			fn->dist.reason);
	}
}

static const char *frame_label(const struct cp_frames *fr)
{
	return fr->name != NULL && fr->name[0] != '\0' ? fr->name : "(depth 0)";
}

static void table_frames(FILE *f, const struct cp_profile *p)
{
	const struct cp_frames *fr;
	char b[6][32];
	size_t i, w = strlen("Frames"), cw = MIN_CALLS_WIDTH, n = 0, rest;
	uint64_t count = 0;
	int marked = 0;

	for (i = 0; i < p->nframes; i++) {
		fr = &p->frames[i];
		if (fr->count == 0)
			continue;
		n++;
		count += fr->count;
		marked |= fr->name != NULL && fr->name[0] != '\0';
		if (width_of(frame_label(fr)) > w)
			w = width_of(frame_label(fr));
		if ((size_t)snprintf(NULL, 0, "%" PRIu64, fr->count) > cw)
			cw = (size_t)snprintf(NULL, 0, "%" PRIu64, fr->count);
	}
	if (n == 0)
		return;
	/*
	 * On a terminal, the single return of main() says nothing the
	 * function table does not: frames are shown when the program marks
	 * them, or has more than one.
	 */
	if (term.on && !marked && count <= 1)
		return;
	if (w > 40)
		w = 40;
	/* On a terminal, names go down to the floor to fit the rest. */
	rest = 2 + cw + 5 * (2 + TIME_WIDTH);
	if (term.on && w + rest > term.width &&
	    term.width >= rest + TERM_NAME_FLOOR)
		w = term.width - rest;
	fputc('\n', f);
	put_cell(f, "Frames", w);
	fprintf(f, "  %*s  %*s  %*s  %*s  %*s  %*s\n", (int)cw, "Count",
		TIME_WIDTH, "Mean", TIME_WIDTH, "Min", TIME_WIDTH, "p50",
		TIME_WIDTH, "p95", TIME_WIDTH, "Max");
	for (i = 0; i < p->nframes; i++) {
		fr = &p->frames[i];
		if (fr->count == 0)
			continue;
		put_cell(f, frame_label(fr), w);
		fprintf(f, "  %*" PRIu64 "  %*s  %*s  %*s  %*s  %*s\n", (int)cw,
			fr->count, TIME_WIDTH,
			cp_format_ns(b[0], sizeof b[0],
				     fr->total_ns / fr->count),
			TIME_WIDTH, cp_format_ns(b[1], sizeof b[1], fr->min_ns),
			TIME_WIDTH,
			cp_format_ns(b[2], sizeof b[2],
				     frame_quantile(fr, 0.50)),
			TIME_WIDTH,
			cp_format_ns(b[3], sizeof b[3],
				     frame_quantile(fr, 0.95)),
			TIME_WIDTH,
			cp_format_ns(b[4], sizeof b[4], fr->max_ns));
	}
}

/* A thread's samples and coverage, after its heading. */
static void thread_counters(FILE *f, const struct cp_thread *t)
{
	if (t->samples > 0)
		fprintf(f, ", %" PRIu64 " samples", t->samples);
	if (t->lost > 0)
		fprintf(f, ", %" PRIu64 " lost", t->lost);
	if (t->totals != NULL && t->running < t->enabled)
		fprintf(f, ", counters %.1f%% of the time",
			100.0 * (double)t->running / (double)t->enabled);
}

/* Under the header of a reference profile: where its numbers come from. */
static void table_reference(FILE *f, const struct cp_profile *p)
{
	const struct cp_reference *r = p->ref;

	fputs("  --reference: self times and counters from ", f);
	if (r->event != NULL)
		fprintf(f, "%" PRIu64 " samples of %s", r->samples, r->event);
	else
		fputs("no samples", f);
	fputs(" in the plain build ", f);
	put_shell_word(f, r->exe != NULL ? r->exe : "?");
	if (r->has_meta)
		fprintf(f, " (exit status %d)", r->status);
	fputs(";\n  calls from the hooks of this run; totals ", f);
	if (r->chains)
		fputs("from the plain run's callchains", f);
	else
		fprintf(f,
			"are the plain self plus this run's callee time "
			"scaled by %.3g (no -g)",
			r->scale);
	fputc('\n', f);
	if (r->event == NULL)
		fputs("  the plain run recorded no samples: no self times\n",
		      f);
	if (r->events > 0)
		fprintf(f,
			"  the plain run recorded %" PRIu64 " marker events: "
			"it is no plain build, its times carry hooks\n",
			r->events);
	if (r->inlined > 0)
		fprintf(f,
			"  i: %zu function%s the plain build inlines: exact "
			"calls, time in the callers' Self\n",
			r->inlined, r->inlined == 1 ? "" : "s");
	else if (r->exe != NULL && !r->symbols)
		fputs("  the plain build's symbol table cannot be read: "
		      "inlined functions are not marked\n",
		      f);
}

static void print_table_to(FILE *f, const struct cp_profile *p,
			   const struct cp_output *o)
{
	const struct cp_thread *t, **order;
	struct row *rows;
	char buf[32];
	size_t i, n, all;

	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	table_header(f, p);
	cp_repeat_table_line(f, p);
	cp_rfilter_table_line(f, p);
	if (p->ref != NULL)
		table_reference(f, p);
	if (show_counters(p, o))
		table_counters(f, p);
	else if (o->counters == CP_COUNTERS_ON)
		fputs("  no counters were recorded in this run (cprof record "
		      "-e EVENTS counts them)\n",
		      f);
	if (o->call_graph || o->tree || o->frames) {
		/* The views replace the function tables (views.c). */
		cp_views_table(f, p, o, top_of(o));
		cp_frames_table(f, p, o);
		if (o->alloc)
			cp_alloc_table(f, p, top_of(o));
		return;
	}
	if (!o->threads) {
		fputc('\n', f);
		rows = make_rows(p, NULL, o, &n, &all);
		table_rows(f, p, o, rows, n, all);
		free(rows);
	}
	table_hybrid(f, p);
	order = o->threads ? sorted_threads(p) : NULL;
	for (i = 0; o->threads && i < p->nthreads; i++) {
		t = order[i];
		fprintf(f, "\nThread %d", t->tid);
		if (t->name != NULL && t->name[0] != '\0') {
			fputs(" (", f);
			put_bytes(f, t->name, strlen(t->name));
			fputc(')', f);
		}
		fprintf(f, " of pid %d, %s", t->pid,
			cp_format_ns(buf, sizeof buf,
				     t->end_ns > t->start_ns
					     ? t->end_ns - t->start_ns
					     : 0));
		if (t->unfinished)
			fputs(", still running when its process ended", f);
		if (show_counters(p, o))
			thread_counters(f, t);
		fputs(":\n", f);
		rows = make_rows(p, t, o, &n, &all);
		table_rows(f, p, o, rows, n, all);
		free(rows);
	}
	free(order);
	if (show_counters(p, o))
		table_distortion(f, p);
	/* --syscalls: calls the full rings dropped are in no row. */
	if (o->syscalls && p->has_syscalls && p->syscalls_lost > 0)
		fprintf(f,
			"\n! system calls: %" PRIu64 " records lost to full "
			"rings (a thread making more\n  calls between two "
			"drains than its ring holds): counts are low\n",
			p->syscalls_lost);
	table_frames(f, p);
	if (o->alloc)
		cp_alloc_table(f, p, top_of(o));
}

/*
 * A table for a terminal is laid out to its width, then every line still
 * wider (the notes of the header, a long command line) is wrapped; a
 * file or pipe gets it as it is.
 */
static void print_table(FILE *f, const struct cp_profile *p,
			const struct cp_output *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	term.on = o->term_width != 0 || isatty(fileno(f));
	term.width = o->term_width != 0 ? o->term_width
		     : term.on		? cp_term_columns(fileno(f))
					: DEFAULT_COLUMNS;
	if (term.width < CP_TERM_MIN_WIDTH)
		term.width = CP_TERM_MIN_WIDTH;
	term.color = cp_term_color(o->color, fileno(f));
	if (!term.on || (mem = open_memstream(&buf, &len)) == NULL) {
		print_table_to(f, p, o);
	} else {
		print_table_to(mem, p, o);
		if (fclose(mem) == 0)
			cp_term_fit(f, buf, len, term.width);
		else
			print_table_to(f, p, o);
		free(buf);
	}
	memset(&term, 0, sizeof term);
}

/* --- JSON --- */

/*
 * Write S as a JSON string. Control characters are escaped; bytes that are
 * not valid UTF-8 (a name is whatever the program's symbol table held)
 * become U+FFFD so that the document stays valid.
 */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*u != '\0') {
		if (*u < 0x80) {
			switch (*u) {
			case '"':
				fputs("\\\"", f);
				break;
			case '\\':
				fputs("\\\\", f);
				break;
			case '\n':
				fputs("\\n", f);
				break;
			case '\r':
				fputs("\\r", f);
				break;
			case '\t':
				fputs("\\t", f);
				break;
			default:
				if (*u < 0x20)
					fprintf(f, "\\u%04x", *u);
				else
					fputc(*u, f);
			}
			u++;
			continue;
		}
		/* A lead byte announces the length of its sequence. */
		if (*u >= 0xc2 && *u <= 0xdf)
			len = 2;
		else if (*u >= 0xe0 && *u <= 0xef)
			len = 3;
		else if (*u >= 0xf0 && *u <= 0xf4)
			len = 4;
		else
			len = 0;
		for (i = 1; i < len; i++)
			if ((u[i] & 0xc0) != 0x80)
				break;
		/* Reject overlong forms, surrogates and values past U+10FFFF.
		 */
		if (len != 0 && i == len && !(u[0] == 0xe0 && u[1] < 0xa0) &&
		    !(u[0] == 0xed && u[1] >= 0xa0) &&
		    !(u[0] == 0xf0 && u[1] < 0x90) &&
		    !(u[0] == 0xf4 && u[1] >= 0x90)) {
			fwrite(u, 1, len, f);
			u += len;
		} else {
			fputs("\\ufffd", f);
			u++;
		}
	}
	fputc('"', f);
}

void cp_json_str(FILE *f, const char *s)
{
	json_str(f, s);
}

static void json_key(FILE *f, const char *key, int *first)
{
	if (!*first)
		fputs(", ", f);
	*first = 0;
	json_str(f, key);
	fputs(": ", f);
}

static void json_u64(FILE *f, const char *key, uint64_t v, int *first)
{
	json_key(f, key, first);
	fprintf(f, "%" PRIu64, v);
}

static void json_int(FILE *f, const char *key, long long v, int *first)
{
	json_key(f, key, first);
	fprintf(f, "%lld", v);
}

static void json_strkey(FILE *f, const char *key, const char *v, int *first)
{
	json_key(f, key, first);
	json_str(f, v);
}

static void json_bool(FILE *f, const char *key, int v, int *first)
{
	json_key(f, key, first);
	fputs(v ? "true" : "false", f);
}

static void json_double(FILE *f, const char *key, double v, int *first)
{
	json_key(f, key, first);
	fprintf(f, "%.6g", v);
}

/*
 * A function's off-CPU time (the run recorded context switches): blocked
 * and preempted, self and total, and the on-CPU self time left.
 */
static void json_offcpu(FILE *f, const struct cp_func *fn, int *first)
{
	json_key(f, "off_cpu_ns", first);
	fprintf(f, "{\"self\": %" PRIu64 ", \"total\": %" PRIu64 "}",
		fn->off_self_ns, fn->off_total_ns);
	json_key(f, "preempted_ns", first);
	fprintf(f, "{\"self\": %" PRIu64 ", \"total\": %" PRIu64 "}",
		fn->preempt_self_ns, fn->preempt_total_ns);
	json_u64(f, "on_cpu_self_ns", cp_on_cpu_self(fn), first);
}

/*
 * A function's system calls by name (the run traced them): count and
 * time as innermost function and anywhere on the stack.
 */
static void json_syscalls(FILE *f, const struct cp_func *fn, int *first)
{
	char buf[32];

	json_key(f, "syscalls", first);
	for (int tot = 0; tot < 2; tot++) {
		int inner = 1;

		fputs(tot ? ", \"total\": {" : "{\"self\": {", f);
		for (size_t i = 0; i < fn->nsys; i++) {
			const struct cp_sysstat *s = &fn->sys[i];
			uint64_t n = tot ? s->total_count : s->self_count;

			if (n == 0)
				continue;
			json_key(f, cp_syscall_name(s->nr, buf, sizeof buf),
				 &inner);
			fprintf(f,
				"{\"count\": %" PRIu64 ", \"ns\": %" PRIu64 "}",
				n, tot ? s->total_ns : s->self_ns);
		}
		fputc('}', f);
	}
	fputc('}', f);
}

/* A row's "counters" object and "distortion" value. */
static void json_row_counters(FILE *f, const struct cp_profile *p,
			      const struct row *r, int *first)
{
	const struct cp_distortion *d = &r->f->dist;
	int inner;

	json_key(f, "counters", first);
	fputc('{', f);
	inner = 1;
	for (size_t k = 0; r->counts != NULL && k < p->ncounters; k++) {
		json_key(f, p->counters[k].name, &inner);
		fprintf(f, "{\"self\": %" PRIu64 ", \"total\": %" PRIu64 "}",
			r->counts[k].self, r->counts[k].total);
	}
	fputc('}', f);
	json_u64(f, "samples", r->f->samples, first);
	json_u64(f, "throttled_samples", r->f->throttled_samples, first);
	/*
	 * null: not checked (no task-clock, cpu-clock or cycles samples, or
	 * too few); false: checked, the shares agree; else what disagrees.
	 */
	json_key(f, "distortion", first);
	if (!p->has_dist || p->dist_samples < CP_DIST_MIN_SAMPLES ||
	    (d->time_share == 0 && d->sample_share == 0 && !d->flagged)) {
		fputs("null", f);
		return;
	}
	if (!d->flagged) {
		fputs("false", f);
		return;
	}
	fputc('{', f);
	inner = 1;
	json_double(f, "time_share", d->time_share, &inner);
	json_double(f, "sample_share", d->sample_share, &inner);
	json_strkey(f, "reason", d->reason, &inner);
	json_strkey(f, "trusted", d->trust_samples ? "samples" : "markers",
		    &inner);
	fputc('}', f);
}

/* The N newline-separated strings of S as a JSON array. */
static void json_lines(FILE *f, const char *s)
{
	char buf[4096];
	int first = 1;

	fputc('[', f);
	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, "\n");

		snprintf(buf, sizeof buf, "%.*s", (int)n, s);
		fputs(first ? "" : ", ", f);
		json_str(f, buf);
		first = 0;
		s += n + (s[n] == '\n');
	}
	fputc(']', f);
}

/*
 * A process's record-time selection: null when none was in force, else
 * its patterns and threshold (what was left out is not in the profile).
 */
static void json_selection(FILE *f, const struct cp_process *pr)
{
	int first = 1;

	if (!pr->has_select) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	json_key(f, "filter", &first);
	json_lines(f, pr->sel_filter);
	json_key(f, "exclude", &first);
	json_lines(f, pr->sel_exclude);
	json_u64(f, "min_duration_ns", pr->sel_min_ns, &first);
	fputc('}', f);
}

/*
 * Where row R's self time comes from: the function's own verdict for a
 * run-wide row; a thread's row whose calls were counted there is left to
 * the samples.
 */
static const char *self_source(const struct row *r)
{
	static const char *const names[] = {
		[CP_SELF_TIMED] = "timed",
		[CP_SELF_COMPENSATED] = "compensated",
		[CP_SELF_SAMPLED] = "sampled",
	};
	enum cp_self_source s = r->f->self_source;

	if (r->f->ref)
		return "reference";
	if (r->st != &r->f->st && r->st->untimed_calls > 0)
		s = CP_SELF_SAMPLED;
	return names[s];
}

/* A "functions" array whose key sits INDENT columns in. */
static void json_functions(FILE *f, const struct cp_profile *p,
			   const struct row *rows, size_t n, int indent)
{
	size_t i;
	int first;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n%*s{", i == 0 ? "" : ",", indent + 2, "");
		first = 1;
		json_strkey(f, "name", rows[i].f->name, &first);
		json_strkey(f, "object", rows[i].f->object, &first);
		json_strkey(f, "file", rows[i].f->file, &first);
		json_key(f, "line", &first);
		if (rows[i].f->line > 0)
			fprintf(f, "%d", rows[i].f->line);
		else
			fputs("null", f);
		json_u64(f, "calls", rows[i].st->calls, &first);
		/*
		 * Where the calls come from: marker events, each one counted
		 * ("exact"), or nothing that counts them ("none": a function
		 * known from samples alone, such as one without hooks, an
		 * XRay function without sleds or left unpatched, or one
		 * --exclude left out): its 0 is no count, never exact.
		 */
		json_strkey(f, "calls_source",
			    rows[i].st->calls != 0 ? "exact" : "none", &first);
		json_u64(f, "self_ns", rows[i].st->self_ns, &first);
		json_u64(f, "total_ns", rows[i].st->total_ns, &first);
		json_u64(f, "self_marker_ns", rows[i].st->self_marker_ns,
			 &first);
		json_u64(f, "compensated_ns", rows[i].st->comp_ns, &first);
		json_u64(f, "sampled_ns", rows[i].st->sampled_ns, &first);
		json_strkey(f, "self_source", self_source(&rows[i]), &first);
		json_u64(f, "untimed_calls", rows[i].st->untimed_calls, &first);
		json_u64(f, "timed_self_ns", rows[i].st->timed_self_ns, &first);
		json_u64(f, "timed_total_ns", rows[i].st->timed_total_ns,
			 &first);
		json_bool(f, "runtime", rows[i].f->runtime, &first);
		/* A reference profile (cli/reference.c): where numbers come
		 * from. */
		if (rows[i].f->ref) {
			static const char *const totals[] = {
				[CP_REF_TOTAL_CHAINS] = "reference-callchains",
				[CP_REF_TOTAL_SCALED] = "hooked-scaled",
				[CP_REF_TOTAL_SELF] = "self"};

			json_bool(f, "inlined_in_reference",
				  rows[i].f->ref_inlined, &first);
			json_strkey(f, "total_source",
				    totals[rows[i].f->ref_total], &first);
		}
		json_row_counters(f, p, &rows[i], &first);
		/* --alloc: per function of the run, not per thread. */
		if (p->has_alloc && rows[i].st == &rows[i].f->st)
			cp_alloc_json_func(f, rows[i].f);
		if (p->has_offcpu && rows[i].st == &rows[i].f->st)
			json_offcpu(f, rows[i].f, &first);
		if (p->has_syscalls && rows[i].st == &rows[i].f->st)
			json_syscalls(f, rows[i].f, &first);
		fputc('}', f);
	}
	if (n != 0)
		fprintf(f, "\n%*s", indent, "");
	fputc(']', f);
}

/*
 * The top-level "events", the counters of the run, and the parameters of
 * the distortion check.
 */
static void json_counters(FILE *f, const struct cp_profile *p)
{
	int first;

	fputs("  \"events\": [", f);
	for (size_t k = 0; k < p->ncounters; k++) {
		const struct cp_counter *c = &p->counters[k];

		fprintf(f, "%s\n    {", k == 0 ? "" : ",");
		first = 1;
		json_strkey(f, "name", c->name, &first);
		json_strkey(f, "mode",
			    c->mode == CP_COUNTER_EXACT ? "exact" : "sampling",
			    &first);
		json_bool(f, "leader", c->leader, &first);
		json_u64(f, "period", c->period, &first);
		json_u64(f, "freq", c->freq, &first);
		json_u64(f, "samples", c->samples, &first);
		json_u64(f, "lost", c->lost, &first);
		json_u64(f, "throttled", c->throttled, &first);
		json_key(f, "coverage", &first);
		if (c->enabled > 0)
			fprintf(f, "%.6g",
				(double)c->running / (double)c->enabled);
		else
			fputs("null", f);
		json_bool(f, "scaled", c->scaled, &first);
		json_u64(f, "count", c->count, &first);
		json_u64(f, "total_self", c->total_self, &first);
		fputs("}", f);
	}
	fputs(p->ncounters == 0 ? "],\n" : "\n  ],\n", f);
	fputs("  \"distortion_check\": ", f);
	if (!p->has_dist) {
		fputs("null,\n", f);
		return;
	}
	fputc('{', f);
	first = 1;
	json_strkey(f, "event", p->counters[p->dist_counter].name, &first);
	json_u64(f, "samples_in_markers", p->dist_samples, &first);
	json_u64(f, "min_samples", CP_DIST_MIN_SAMPLES, &first);
	fputs("},\n", f);
}

/* The top-level "reference" of a profile merged with a reference run. */
static void json_reference(FILE *f, const struct cp_reference *r)
{
	int first = 1;

	fputs("  \"reference\": {", f);
	json_strkey(f, "exe", r->exe, &first);
	json_key(f, "status", &first);
	if (r->has_meta)
		fprintf(f, "%d", r->status);
	else
		fputs("null", f);
	json_strkey(f, "event", r->event, &first);
	json_u64(f, "samples", r->samples, &first);
	json_u64(f, "cpu_ns", r->cpu_ns, &first);
	json_u64(f, "processes", r->nprocs, &first);
	json_u64(f, "marker_events", r->events, &first);
	json_strkey(f, "totals",
		    r->chains ? "reference-callchains" : "hooked-scaled",
		    &first);
	json_double(f, "scale", r->scale, &first);
	json_bool(f, "symbols", r->symbols, &first);
	json_u64(f, "inlined", r->inlined, &first);
	fputs("},\n", f);
}

/*
 * "build_advice" (advice.c): null without a calibration, else the hooks'
 * share of marker time and, when it is large, the functions mostly hook
 * and the build option that leaves them out.
 */
static void json_advice(FILE *f, const struct cp_profile *p)
{
	const struct cp_advice *a = &p->advice;
	int first = 1;

	fputs("  \"build_advice\": ", f);
	if (!a->has_share) {
		fputs("null,\n", f);
		return;
	}
	fputc('{', f);
	json_double(f, "hook_share", a->share, &first);
	json_bool(f, "large", a->large, &first);
	json_strkey(f, "compiler", a->compiler, &first);
	json_key(f, "functions", &first);
	fputc('[', f);
	for (size_t i = 0; i < a->nfuncs; i++) {
		if (i > 0)
			fputs(", ", f);
		json_str(f, p->funcs[a->funcs[i]].name);
	}
	fputc(']', f);
	json_double(f, "functions_share", a->named_share, &first);
	json_key(f, "option", &first);
	if (a->large) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (m != NULL) {
			cp_advice_line(m, p);
			fclose(m);
		}
		json_str(f, buf != NULL ? buf : "");
		free(buf);
	} else {
		fputs("null", f);
	}
	fputs("},\n", f);
}

/*
 * The hooks' cost compensated (doc/design.md, "The hybrid"): null when no
 * log of the run has a calibration.
 */
static void json_hybrid(FILE *f, const struct cp_profile *p)
{
	double own = 0, caller = 0;
	size_t n = 0;
	int first = 1;

	for (size_t i = 0; i < p->nprocs; i++) {
		if (!p->procs[i].has_calib)
			continue;
		own += p->procs[i].calib_own_ns;
		caller += p->procs[i].calib_caller_ns;
		n++;
	}
	fputs("  \"compensation\": ", f);
	if (n == 0) {
		fputs("null,\n", f);
		return;
	}
	fputc('{', f);
	json_double(f, "own_ns", own / (double)n, &first);
	json_double(f, "caller_ns", caller / (double)n, &first);
	json_u64(f, "compensated_ns", p->comp_ns, &first);
	json_double(f, "rho", p->rho, &first);
	fputs("},\n", f);
	json_advice(f, p);
}

static void print_json(FILE *f, const struct cp_profile *p,
		       const struct cp_output *o)
{
	const struct cp_process *pr;
	const struct cp_thread *t, **order;
	const struct cp_frames *fr;
	struct row *rows;
	size_t i, n;
	int first, inner;

	fputs("{\n  \"format_version\": 3,\n  \"command\": [", f);
	for (i = 0; p->has_meta && p->argv != NULL && p->argv[i] != NULL; i++) {
		if (i > 0)
			fputs(", ", f);
		json_str(f, p->argv[i]);
	}
	fputs("],\n  \"status\": ", f);
	if (p->has_meta)
		fprintf(f, "%d", p->status);
	else
		fputs("null", f);
	fputs(",\n  \"running_at_return\": [", f);
	for (i = 0; i < p->meta_nrunning; i++)
		fprintf(f, "%s%d", i == 0 ? "" : ", ", p->meta_running[i]);
	fputs("]", f);
	/* Fork children without a log, and forks not noted. */
	fputs(",\n  \"unrecorded_processes\": [", f);
	for (i = 0; i < p->nunlogged; i++)
		fprintf(f, "%s{\"pid\": %d, \"ppid\": %d}", i == 0 ? "" : ", ",
			p->unlogged[i].pid, p->unlogged[i].ppid);
	fprintf(f, "],\n  \"unnoted_forks\": %" PRIu64, p->unlogged_more);
	/* The runtime's warnings, each once: its text and how many said it. */
	fputs(",\n  \"warnings\": [", f);
	for (i = 0; i < p->warnings.n; i++) {
		fputs(i == 0 ? "{" : ", {", f);
		first = 1;
		json_strkey(f, "text", p->warnings.v[i].text, &first);
		json_u64(f, "count", p->warnings.v[i].count, &first);
		fputs("}", f);
	}
	fputs("]", f);
	fprintf(f,
		",\n  \"wall_ns\": %" PRIu64 ",\n  \"marker_events\": %" PRIu64
		",\n  \"total_self_ns\": %" PRIu64 ",\n",
		wall_ns(p), events(p), p->total_self_ns);
	if (p->ref != NULL)
		json_reference(f, p->ref);
	json_counters(f, p);
	json_hybrid(f, p);
	/* System calls traced: those the kernel's full rings dropped. */
	if (p->has_syscalls)
		fprintf(f, "  \"syscalls_lost\": %" PRIu64 ",\n",
			p->syscalls_lost);

	fputs("  \"processes\": [", f);
	for (i = 0; i < p->nprocs; i++) {
		pr = &p->procs[i];
		fprintf(f, "%s\n    {", i == 0 ? "" : ",");
		first = 1;
		json_int(f, "pid", pr->pid, &first);
		json_int(f, "ppid", pr->ppid, &first);
		json_strkey(f, "exe", pr->exe, &first);
		json_strkey(f, "log", pr->log, &first);
		json_u64(f, "start_ns", pr->start_ns, &first);
		json_u64(f, "end_ns", pr->end_ns, &first);
		json_bool(f, "finished", pr->finished, &first);
		json_strkey(f, "end_reason", pr->end_reason, &first);
		json_strkey(f, "state", pr->finished ? "ended" : pr->state,
			    &first);
		json_int(f, "signal", pr->signal, &first);
		json_u64(f, "events", pr->events, &first);
		json_u64(f, "lost", pr->lost, &first);
		json_u64(f, "skipped_bytes", pr->skipped_bytes, &first);
		json_u64(f, "samples", pr->samples, &first);
		json_u64(f, "samples_lost", pr->samples_lost, &first);
		json_u64(f, "throttled", pr->throttled, &first);
		json_u64(f, "unthrottled", pr->unthrottled, &first);
		json_u64(f, "unplaced_samples", pr->unplaced, &first);
		json_u64(f, "clock_skew_ns", pr->skew_ns, &first);
		json_u64(f, "samples_placed_by_address", pr->by_ip, &first);
		json_strkey(f, "clock_note", pr->clock_note, &first);
		json_u64(f, "callchains", pr->callchains, &first);
		json_u64(f, "broken_callchains", pr->broken_chains, &first);
		json_strkey(f, "own_hooks", pr->own_hooks, &first);
		json_key(f, "selection", &first);
		json_selection(f, pr);
		json_key(f, "adaptive", &first);
		if (pr->adaptive) {
			int ainner = 1;

			fputc('{', f);
			json_u64(f, "warmup", pr->adapt_warmup, &ainner);
			json_u64(f, "threshold_ns", pr->adapt_threshold_ns,
				 &ainner);
			json_u64(f, "timed_call_ns", pr->adapt_timed_call_ns,
				 &ainner);
			json_u64(f, "counted_call_ns",
				 pr->adapt_counted_call_ns, &ainner);
			fputc('}', f);
		} else {
			fputs("null", f);
		}
		fputs("}", f);
	}
	fputs(p->nprocs == 0 ? "],\n" : "\n  ],\n", f);

	fputs("  \"threads\": [", f);
	order = sorted_threads(p);
	for (i = 0; i < p->nthreads; i++) {
		t = order[i];
		fprintf(f, "%s\n    {", i == 0 ? "" : ",");
		first = 1;
		json_int(f, "pid", t->pid, &first);
		json_int(f, "tid", t->tid, &first);
		json_strkey(f, "name", t->name != NULL ? t->name : "", &first);
		json_u64(f, "start_ns", t->start_ns, &first);
		json_u64(f, "end_ns", t->end_ns, &first);
		json_bool(f, "unfinished", t->unfinished, &first);
		json_bool(f, "unreliable", t->unreliable, &first);
		json_bool(f, "counters_missing", t->counters_missing, &first);
		json_u64(f, "contexts", t->contexts, &first);
		json_u64(f, "samples", t->samples, &first);
		json_u64(f, "lost", t->lost, &first);
		json_u64(f, "throttled", t->throttled, &first);
		json_u64(f, "unthrottled", t->unthrottled, &first);
		json_key(f, "counters", &first);
		fputc('{', f);
		inner = 1;
		for (size_t k = 0; t->totals != NULL && k < p->ncounters; k++)
			json_u64(f, p->counters[k].name, t->totals[k], &inner);
		fputc('}', f);
		json_key(f, "coverage", &first);
		if (t->totals != NULL && t->enabled > 0)
			fprintf(f, "%.6g",
				(double)t->running / (double)t->enabled);
		else
			fputs("null", f);
		if (o->threads) {
			json_key(f, "functions", &first);
			rows = make_rows(p, t, o, &n, NULL);
			json_functions(f, p, rows, n, 4);
			free(rows);
		}
		fputs("}", f);
	}
	free(order);
	fputs(p->nthreads == 0 ? "],\n" : "\n  ],\n", f);

	fputs("  \"frames\": [", f);
	for (i = 0; i < p->nframes; i++) {
		fr = &p->frames[i];
		fprintf(f, "%s\n    {", i == 0 ? "" : ",");
		first = 1;
		json_strkey(f, "name", fr->name != NULL ? fr->name : "",
			    &first);
		json_u64(f, "count", fr->count, &first);
		json_u64(f, "total_ns", fr->total_ns, &first);
		json_u64(f, "min_ns", fr->min_ns, &first);
		json_u64(f, "max_ns", fr->max_ns, &first);
		json_u64(f, "mean_ns",
			 fr->count != 0 ? fr->total_ns / fr->count : 0, &first);
		json_u64(f, "p50_ns", frame_quantile(fr, 0.50), &first);
		json_u64(f, "p95_ns", frame_quantile(fr, 0.95), &first);
		fputs("}", f);
	}
	fputs(p->nframes == 0 ? "],\n" : "\n  ],\n", f);

	cp_views_json(f, p, o);
	cp_frames_json(f, p, o);
	cp_repeat_json(f, p);
	cp_budgets_json(f, o->budgets);
	cp_rfilter_json(f, p);
	cp_alloc_json_run(f, p);
	fputs("  \"functions\": ", f);
	rows = make_rows(p, NULL, o, &n, NULL);
	json_functions(f, p, rows, n, 2);
	free(rows);
	fputs("\n}\n", f);
}

/* --- CSV --- */

/* Write S as a CSV field, quoted as RFC 4180 asks when it must be. */
static void csv_field(FILE *f, const char *s, int last)
{
	if (s != NULL && s[strcspn(s, ",\"\r\n")] != '\0') {
		fputc('"', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s != NULL) {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_rows(FILE *f, const struct cp_thread *t, const struct row *rows,
		     size_t n, size_t ncounters)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t != NULL) {
			fprintf(f, "%d,%d,", t->pid, t->tid);
			csv_field(f, t->name, 0);
		}
		csv_field(f, rows[i].f->name, 0);
		csv_field(f, rows[i].f->object, 0);
		csv_field(f, rows[i].f->file, 0);
		if (rows[i].f->line > 0)
			fprintf(f, "%d", rows[i].f->line);
		fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
			rows[i].st->calls, rows[i].st->self_ns,
			rows[i].st->total_ns);
		for (size_t k = 0; k < ncounters; k++)
			fprintf(f, ",%" PRIu64 ",%" PRIu64,
				rows[i].counts[k].self,
				rows[i].counts[k].total);
		fputc('\n', f);
	}
}

static void print_csv(FILE *f, const struct cp_profile *p,
		      const struct cp_output *o)
{
	struct row *rows;
	size_t i, n, k = show_counters(p, o) ? p->ncounters : 0;

	if (o->threads)
		fputs("pid,tid,thread,", f);
	fputs("name,object,file,line,calls,self_ns,total_ns", f);
	fputc(k == 0 ? '\n' : ',', f);
	/* Two columns per counter: NAME_self and NAME_total. */
	for (i = 0; i < k; i++) {
		char *col = xmalloc(strlen(p->counters[i].name) + 8);

		sprintf(col, "%s_self", p->counters[i].name);
		csv_field(f, col, 0);
		sprintf(col, "%s_total", p->counters[i].name);
		csv_field(f, col, i + 1 == k);
		free(col);
	}
	if (!o->threads) {
		rows = make_rows(p, NULL, o, &n, NULL);
		csv_rows(f, NULL, rows, n, k);
		free(rows);
	}
	if (o->threads) {
		const struct cp_thread **order = sorted_threads(p);

		for (i = 0; i < p->nthreads; i++) {
			rows = make_rows(p, order[i], o, &n, NULL);
			csv_rows(f, order[i], rows, n, k);
			free(rows);
		}
		free(order);
	}
}

int cp_output_print(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o)
{
	switch (o->format) {
	case CP_FORMAT_TABLE:
		print_table(f, p, o);
		cp_repeat_table(f, p);
		cp_budgets_table(f, o->budgets);
		break;
	case CP_FORMAT_JSON:
		print_json(f, p, o);
		break;
	case CP_FORMAT_CSV:
		print_csv(f, p, o);
		break;
	}
	if (fflush(f) != 0 || ferror(f)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
