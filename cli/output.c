/*
 * output.c - printing a profile: the table people read, and the JSON and
 * CSV that other programs read.
 *
 * The table is for a terminal: human units, names cut to fit, a header
 * that says what ran and anything that makes the numbers incomplete. JSON
 * and CSV carry the same rows with raw integers (nanoseconds, counts) and
 * nothing cut; the JSON layout is a stable interface, versioned by its
 * "format_version" key, so keys are only ever added to it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* One row of a table: a function with the statistics shown for it. */
struct row {
	const struct cp_func *f;
	const struct cp_stats *st;
	size_t index; /* in cp_profile.funcs, the last tie-break */
};

/* Columns of the table besides the function's name and object. */
#define TIME_WIDTH	 9
#define PCT_WIDTH	 6
#define MIN_CALLS_WIDTH	 5
#define MIN_NAME_WIDTH	 24
#define MAX_OBJECT_WIDTH 24
/* Assumed width of the output when it is not a terminal. */
#define DEFAULT_COLUMNS 120

static const char *const sort_names[] = {
	[CP_SORT_SELF] = "self",   [CP_SORT_TOTAL] = "total",
	[CP_SORT_CALLS] = "calls", [CP_SORT_SELFCALL] = "selfcall",
	[CP_SORT_NAME] = "name",
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

static int compare(const void *va, const void *vb)
{
	const struct row *a = va, *b = vb;
	int c = 0;

	switch (sort_key) {
	case CP_SORT_SELF:
		c = cmp_u64_desc(a->st->self_ns, b->st->self_ns);
		break;
	case CP_SORT_TOTAL:
		c = cmp_u64_desc(a->st->total_ns, b->st->total_ns);
		break;
	case CP_SORT_CALLS:
		c = cmp_u64_desc(a->st->calls, b->st->calls);
		break;
	case CP_SORT_SELFCALL:
		c = cmp_u64_desc(per_call(a->st), per_call(b->st));
		break;
	case CP_SORT_NAME:
		break;
	}
	/* Ties go by name, then by input order, so output is reproducible. */
	if (c == 0)
		c = strcmp(a->f->name, b->f->name);
	if (c == 0)
		c = a->index < b->index ? -1 : a->index > b->index;
	return c;
}

/* The sorted rows of the whole profile, or of thread T when not NULL. */
static struct row *make_rows(const struct cp_profile *p,
			     const struct cp_thread *t,
			     const struct cp_output *o, size_t *nrows)
{
	struct row *rows;
	size_t i, n = t != NULL ? t->nfuncs : p->nfuncs;

	rows = xcalloc(n, sizeof *rows);
	for (i = 0; i < n; i++) {
		rows[i].index = t != NULL ? t->funcs[i].func : i;
		rows[i].f = &p->funcs[rows[i].index];
		rows[i].st = t != NULL ? &t->funcs[i].st : &p->funcs[i].st;
	}
	sort_key = o->sort;
	qsort(rows, n, sizeof *rows, compare);
	*nrows = o->top != 0 && o->top < n ? o->top : n;
	return rows;
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
	fprintf(f, "wall %s, %zu process%s, %zu thread%s, %" PRIu64 " events\n",
		cp_format_ns(buf, sizeof buf, wall_ns(p)), p->nprocs,
		p->nprocs == 1 ? "" : "es", p->nthreads,
		p->nthreads == 1 ? "" : "s", events(p));

	/* Anything that makes the numbers below incomplete gets a line. */
	for (i = 0; i < p->nprocs; i++) {
		pr = &p->procs[i];
		if (!pr->finished)
			fprintf(f,
				"  pid %d (%s): did not finish (killed, or "
				"still"
				" running); its profile ends at its last "
				"flush\n",
				pr->pid, basename_of(pr->exe));
		else if (pr->end_reason != NULL &&
			 strcmp(pr->end_reason, "signal") == 0)
			fprintf(f, "  pid %d (%s): killed by signal %d (%s)\n",
				pr->pid, basename_of(pr->exe), pr->signal,
				strsignal(pr->signal));
		if (pr->skipped_bytes != 0)
			fprintf(f,
				"  pid %d (%s): log truncated or corrupt, "
				"%" PRIu64 " bytes skipped\n",
				pr->pid, basename_of(pr->exe),
				pr->skipped_bytes);
		if (pr->lost != 0)
			fprintf(f, "  pid %d (%s): %" PRIu64 " events lost\n",
				pr->pid, basename_of(pr->exe), pr->lost);
	}
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

static void table_rows(FILE *f, const struct cp_profile *p,
		       const struct row *rows, size_t n)
{
	char self[32], total[32], pc[32];
	size_t i, w, namew = strlen("Function"), objw = 0,
		     callsw = MIN_CALLS_WIDTH;
	size_t fixed, cap, cols = columns_of(f);
	int objects = want_objects(p, rows, n);

	for (i = 0; i < n; i++) {
		if ((w = width_of(rows[i].f->name)) > namew)
			namew = w;
		if (objects && rows[i].f->object != NULL &&
		    (w = width_of(rows[i].f->object)) > objw)
			objw = w;
		if ((w = (size_t)snprintf(NULL, 0, "%" PRIu64,
					  rows[i].st->calls)) > callsw)
			callsw = w;
	}
	if (objects) {
		if (objw < strlen("Object"))
			objw = strlen("Object");
		if (objw > MAX_OBJECT_WIDTH)
			objw = MAX_OBJECT_WIDTH;
	}
	/* Names take what the other columns leave of the line. */
	fixed = 3 * (2 + TIME_WIDTH) + 2 + PCT_WIDTH + 2 + callsw +
		(objects ? 2 + objw : 0);
	cap = cols > fixed + MIN_NAME_WIDTH ? cols - fixed : MIN_NAME_WIDTH;
	if (namew > cap)
		namew = cap;

	put_cell(f, "Function", namew);
	if (objects) {
		fputs("  ", f);
		put_cell(f, "Object", objw);
	}
	fprintf(f, "  %*s  %*s  %*s  %*s  %*s\n", TIME_WIDTH, "Self", PCT_WIDTH,
		"Self%", TIME_WIDTH, "Total", (int)callsw, "Calls", TIME_WIDTH,
		"Self/call");
	for (i = 0; i < n; i++) {
		const struct cp_stats *st = rows[i].st;
		char pct[16];

		put_cell(f, rows[i].f->name, namew);
		if (objects) {
			fputs("  ", f);
			put_cell(f,
				 rows[i].f->object != NULL ? rows[i].f->object
							   : "",
				 objw);
		}
		if (p->total_self_ns != 0)
			snprintf(pct, sizeof pct, "%.1f%%",
				 100.0 * (double)st->self_ns /
					 (double)p->total_self_ns);
		else
			snprintf(pct, sizeof pct, "-");
		fprintf(f, "  %*s  %*s  %*s  %*" PRIu64 "  %*s\n", TIME_WIDTH,
			cp_format_ns(self, sizeof self, st->self_ns), PCT_WIDTH,
			pct, TIME_WIDTH,
			cp_format_ns(total, sizeof total, st->total_ns),
			(int)callsw, st->calls, TIME_WIDTH,
			st->calls != 0
				? cp_format_ns(pc, sizeof pc, per_call(st))
				: "-");
	}
	if (n == 0)
		fputs("(no functions recorded: was the program built with"
		      " -finstrument-functions?)\n",
		      f);
}

static const char *frame_label(const struct cp_frames *fr)
{
	return fr->name != NULL && fr->name[0] != '\0' ? fr->name : "(depth 0)";
}

static void table_frames(FILE *f, const struct cp_profile *p)
{
	const struct cp_frames *fr;
	char b[6][32];
	size_t i, w = strlen("Frames"), cw = MIN_CALLS_WIDTH, n = 0;

	for (i = 0; i < p->nframes; i++) {
		fr = &p->frames[i];
		if (fr->count == 0)
			continue;
		n++;
		if (width_of(frame_label(fr)) > w)
			w = width_of(frame_label(fr));
		if ((size_t)snprintf(NULL, 0, "%" PRIu64, fr->count) > cw)
			cw = (size_t)snprintf(NULL, 0, "%" PRIu64, fr->count);
	}
	if (n == 0)
		return;
	if (w > 40)
		w = 40;
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

static void print_table(FILE *f, const struct cp_profile *p,
			const struct cp_output *o)
{
	const struct cp_thread *t;
	struct row *rows;
	char buf[32];
	size_t i, n;

	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	table_header(f, p);
	if (!o->threads) {
		fputc('\n', f);
		rows = make_rows(p, NULL, o, &n);
		table_rows(f, p, rows, n);
		free(rows);
	}
	for (i = 0; o->threads && i < p->nthreads; i++) {
		t = &p->threads[i];
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
		fputs(":\n", f);
		rows = make_rows(p, t, o, &n);
		table_rows(f, p, rows, n);
		free(rows);
	}
	table_frames(f, p);
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

/* A "functions" array whose key sits INDENT columns in. */
static void json_functions(FILE *f, const struct row *rows, size_t n,
			   int indent)
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
		json_u64(f, "self_ns", rows[i].st->self_ns, &first);
		json_u64(f, "total_ns", rows[i].st->total_ns, &first);
		fputc('}', f);
	}
	if (n != 0)
		fprintf(f, "\n%*s", indent, "");
	fputc(']', f);
}

static void print_json(FILE *f, const struct cp_profile *p,
		       const struct cp_output *o)
{
	const struct cp_process *pr;
	const struct cp_thread *t;
	const struct cp_frames *fr;
	struct row *rows;
	size_t i, n;
	int first;

	fputs("{\n  \"format_version\": 1,\n  \"command\": [", f);
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
	fprintf(f,
		",\n  \"wall_ns\": %" PRIu64 ",\n  \"events\": %" PRIu64
		",\n  \"total_self_ns\": %" PRIu64 ",\n",
		wall_ns(p), events(p), p->total_self_ns);

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
		json_int(f, "signal", pr->signal, &first);
		json_u64(f, "events", pr->events, &first);
		json_u64(f, "lost", pr->lost, &first);
		json_u64(f, "skipped_bytes", pr->skipped_bytes, &first);
		fputs("}", f);
	}
	fputs(p->nprocs == 0 ? "],\n" : "\n  ],\n", f);

	fputs("  \"threads\": [", f);
	for (i = 0; i < p->nthreads; i++) {
		t = &p->threads[i];
		fprintf(f, "%s\n    {", i == 0 ? "" : ",");
		first = 1;
		json_int(f, "pid", t->pid, &first);
		json_int(f, "tid", t->tid, &first);
		json_strkey(f, "name", t->name != NULL ? t->name : "", &first);
		json_u64(f, "start_ns", t->start_ns, &first);
		json_u64(f, "end_ns", t->end_ns, &first);
		json_bool(f, "unfinished", t->unfinished, &first);
		if (o->threads) {
			json_key(f, "functions", &first);
			rows = make_rows(p, t, o, &n);
			json_functions(f, rows, n, 4);
			free(rows);
		}
		fputs("}", f);
	}
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

	fputs("  \"functions\": ", f);
	rows = make_rows(p, NULL, o, &n);
	json_functions(f, rows, n, 2);
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
		     size_t n)
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
		fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
			rows[i].st->calls, rows[i].st->self_ns,
			rows[i].st->total_ns);
	}
}

static void print_csv(FILE *f, const struct cp_profile *p,
		      const struct cp_output *o)
{
	struct row *rows;
	size_t i, n;

	if (o->threads)
		fputs("pid,tid,thread,", f);
	fputs("name,object,file,line,calls,self_ns,total_ns\n", f);
	if (!o->threads) {
		rows = make_rows(p, NULL, o, &n);
		csv_rows(f, NULL, rows, n);
		free(rows);
	}
	for (i = 0; o->threads && i < p->nthreads; i++) {
		rows = make_rows(p, &p->threads[i], o, &n);
		csv_rows(f, &p->threads[i], rows, n);
		free(rows);
	}
}

int cp_output_print(FILE *f, const struct cp_profile *p,
		    const struct cp_output *o)
{
	switch (o->format) {
	case CP_FORMAT_TABLE:
		print_table(f, p, o);
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
