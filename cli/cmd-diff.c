/*
 * cmd-diff.c - "cprof diff": compare two runs function by function, for
 * "did my change help" and as a regression gate in CI.
 *
 * Each side is a run directory or a tag (repeat.c), recorded once or with
 * "record -r N". Every run of a side is read on its own and its functions
 * matched by name (a name that several rows share, static functions of
 * two objects, is one function here); a function missing from a run
 * counts zero in it. A side's numbers are means per run.
 *
 * Whether a change is significant (cprof(1), DIFF):
 *  - with repeats on both sides, Welch's t-test on the per-run self
 *    times; with repeats on one side only, a t-test using that side's
 *    spread for both. A function is tested when it has at least 1 % of
 *    the self time on either side; a change is significant when its
 *    two-sided p-value is below ALPHA (0.01) divided by the number of
 *    tests (Bonferroni: the chance of one false alarm in the whole diff
 *    stays below ALPHA) and it is at least --min-change percent of the
 *    base (so a real but tiny change is not called a regression);
 *  - with one run on each side there is no spread between runs to judge
 *    against, only a within-run lower bound on the noise: the Poisson
 *    error of the sample counts of the rows that are sampled, nothing for
 *    the exactly timed ones. A change is then significant when it is
 *    three times that bound and --min-change percent; the output says it
 *    is a lower bound, since the run-to-run spread is nearly always
 *    larger.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_FAIL_ABOVE = 0x1b00, OPT_MIN_CHANGE, OPT_VALUE };

static const struct cp_option diff_options[] = {
	{"output", 'o', "FILE", "write the diff to FILE instead of stdout"},
	{"format", CP_OPT_FORMAT, "FMT",
	 "print a table (default), json or csv"},
	{"top", CP_OPT_TOP, "N", "print only the first N functions (0: all)"},
	{"fail-above", OPT_FAIL_ABOVE, "PCT",
	 "exit 1 when the total or a function with >= 1% of the time got "
	 "slower by more than PCT percent"},
	{"min-change", OPT_MIN_CHANGE, "PCT",
	 "call no change below PCT percent of the base significant "
	 "(default: 5)"},
	{"value", OPT_VALUE, "COUNTER",
	 "compare a counter's self counts instead of self time (task-clock: "
	 "CPU time)"},
	{NULL, 0, NULL, NULL}};
static const struct cp_option *const diff_groups[] = {diff_options, NULL};

static int cmd_diff(int argc, char **argv);

const struct cp_command cp_cmd_diff = {
	.name = "diff",
	.summary = "compare two runs function by function",
	.usage = "[options] BASE NEW",
	.about = "Compare the runs BASE and NEW (run directories or tags): "
		 "per function the\n"
		 "base and new self time, total time and calls (means per "
		 "run), the change\n"
		 "of self time, and whether it is significant, sorted by the "
		 "size of the\n"
		 "change. Significance is judged against the spread between "
		 "the runs of\n"
		 "\"record -r N\"; with one run on each side only against a "
		 "within-run\n"
		 "lower bound of the noise. Exit status: 0, 1 when "
		 "--fail-above found a\n"
		 "regression, 2 for bad input.",
	.groups = diff_groups,
	.exec = cmd_diff,
};

/* A function is tested, and can fail the gate, from this share on. */
#define MIN_SHARE 0.01
#define ALPHA	  0.01

/* One run's numbers for one function. */
struct entry {
	const char *name; /* interned in the diff's pool */
	unsigned side, run;
	double calls, self, total, samples;
};

/* A side's mean per run of one function, and its spread. */
struct sidestat {
	size_t runs, present; /* runs of the side, runs that have it */
	double calls, self, total;
	double var;   /* of the per-run self times (repeats) */
	double bound; /* within-run lower bound of the self's error */
};

struct dfunc {
	const char *name;
	struct sidestat s[2];
	double delta, pct; /* pct is NAN when the base is 0 */
	int tested, significant;
	double p; /* NAN when not tested */
};

struct side {
	const char *arg;
	char *path;
	size_t runs;
	const char *exe; /* the first process's program, or NULL */
	double *tot;	 /* per run: the self time of the run */
	double samples;	 /* of the runs, for the total's bound */
};

struct diff {
	struct cp_pool *pool;
	struct side side[2];
	struct entry *e;
	size_t ne, cape;
	struct dfunc *f;
	size_t nf;
	struct dfunc total;
	size_t tests;
	double min_change;
	const char *method; /* "welch" or "lower-bound" */
	/*
	 * --value: the counter compared instead of self time, NULL for
	 * self time; counts is set when its values are no nanoseconds.
	 */
	const char *value;
	int counts;
};

/* --- reading --- */

static void add_run(struct diff *d, unsigned side, unsigned run,
		    const char *path)
{
	struct cp_profile p = {0};
	struct side *s = &d->side[side];
	size_t k = SIZE_MAX;

	if (cp_reference_load(&p, path) != 0)
		exit(2);
	if (s->exe == NULL && p.nprocs > 0 && p.procs[0].exe != NULL)
		s->exe = cp_pool_str(d->pool, p.procs[0].exe);
	if (d->value != NULL) {
		for (k = 0; k < p.ncounters; k++)
			if (strcmp(p.counters[k].name, d->value) == 0)
				break;
		if (k == p.ncounters)
			fatalx_status(2,
				      "%s: --value: the run counted no '%s' "
				      "(record -e %s, --exact for exact "
				      "counts)",
				      path, d->value, d->value);
		d->counts = !p.counters[k].ns;
		s->tot[run] = (double)p.counters[k].total_self;
	} else {
		s->tot[run] = (double)p.total_self_ns;
	}
	for (size_t i = 0; i < p.nfuncs; i++) {
		const struct cp_func *f = &p.funcs[i];
		struct entry *e;

		if (f->st.calls == 0 && f->st.self_ns == 0 &&
		    f->st.total_ns == 0)
			continue;
		d->e = xgrow(d->e, &d->cape, d->ne + 1, sizeof *d->e);
		e = &d->e[d->ne++];
		e->name = cp_pool_str(d->pool, f->name);
		e->side = side;
		e->run = run;
		e->calls = (double)f->st.calls;
		e->self = (double)f->st.self_ns;
		e->total = (double)f->st.total_ns;
		if (k != SIZE_MAX) {
			e->self = f->counts != NULL ? (double)f->counts[k].self
						    : 0;
			e->total = f->counts != NULL
					   ? (double)f->counts[k].total
					   : 0;
		}
		/* Only rows timed by samples alone carry their error. */
		e->samples = f->st.calls == 0 ? (double)f->samples : 0;
		s->samples += (double)f->samples;
	}
	cp_profile_free(&p);
}

static void load_side(struct diff *d, unsigned side, const char *arg)
{
	struct side *s = &d->side[side];
	char **reps;
	size_t n;

	s->arg = arg;
	s->path = cp_run_resolve(arg);
	n = cp_rundir_repeats(s->path, &reps);
	s->runs = n > 0 ? n : 1;
	s->tot = xcalloc(s->runs, sizeof *s->tot);
	if (n == 0)
		add_run(d, side, 0, s->path);
	for (size_t k = 0; k < n; k++)
		add_run(d, side, (unsigned)k, reps[k]);
	cp_rundir_repeats_free(reps, n);
}

static int entry_cmp(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->side != b->side)
		return a->side < b->side ? -1 : 1;
	return a->run < b->run ? -1 : a->run > b->run;
}

/* --- statistics --- */

/*
 * The p-value of the change of F between the sides' runs, or NAN when
 * neither side has repeats.
 */
static double change_p(const struct sidestat *b, const struct sidestat *n)
{
	double vb = b->var / (double)b->runs, vn = n->var / (double)n->runs;
	double diff = n->self - b->self, se, df;

	if (b->runs < 2 && n->runs < 2)
		return NAN;
	if (b->runs < 2 || n->runs < 2) {
		/* One side's spread stands for both. */
		const struct sidestat *r = b->runs >= 2 ? b : n;

		se = sqrt(r->var *
			  (1.0 / (double)b->runs + 1.0 / (double)n->runs));
		df = (double)r->runs - 1;
	} else {
		se = sqrt(vb + vn);
		df = (vb + vn) * (vb + vn) /
		     (vb * vb / (double)(b->runs - 1) +
		      vn * vn / (double)(n->runs - 1));
	}
	if (se == 0)
		return diff == 0 ? 1 : 0;
	return cp_t_pvalue(diff / se, df);
}

/* Judge F, its sides filled in; TESTS: the number of tests made. */
static void judge(struct diff *d, struct dfunc *f)
{
	double big = fabs(f->delta), base = f->s[0].self;

	f->significant = 0;
	if (!f->tested)
		return;
	/* A change smaller than --min-change of the base is no news. */
	if (base > 0 && big < d->min_change / 100 * base)
		return;
	if (!isnan(f->p)) {
		f->significant = f->p < ALPHA / (double)d->tests;
		return;
	}
	f->significant = big > 3 * sqrt(f->s[0].bound * f->s[0].bound +
					f->s[1].bound * f->s[1].bound);
}

static void finish(struct dfunc *f)
{
	f->delta = f->s[1].self - f->s[0].self;
	f->pct = f->s[0].self > 0 ? 100 * f->delta / f->s[0].self : NAN;
	f->p = f->tested ? change_p(&f->s[0], &f->s[1]) : NAN;
}

/* Group the sorted entries E[0..N) of one name into F. */
static void group(struct diff *d, const struct entry *e, size_t n,
		  struct dfunc *f)
{
	double sum[2] = {0, 0}, sq[2] = {0, 0}, run_self = 0;

	memset(f, 0, sizeof *f);
	f->name = e[0].name;
	for (unsigned s = 0; s < 2; s++)
		f->s[s].runs = d->side[s].runs;
	for (size_t i = 0; i < n; i++) {
		struct sidestat *st = &f->s[e[i].side];

		st->calls += e[i].calls;
		st->self += e[i].self;
		st->total += e[i].total;
		if (e[i].samples > 0)
			st->bound += e[i].self * e[i].self / e[i].samples;
		run_self += e[i].self;
		/* The last row of this name in this run: one value. */
		if (i + 1 == n || e[i + 1].side != e[i].side ||
		    e[i + 1].run != e[i].run) {
			sum[e[i].side] += run_self;
			sq[e[i].side] += run_self * run_self;
			st->present++;
			run_self = 0;
		}
	}
	for (unsigned s = 0; s < 2; s++) {
		struct sidestat *st = &f->s[s];
		double r = (double)st->runs, m = sum[s] / r;

		st->calls /= r;
		st->self /= r;
		st->total /= r;
		/* The bound of the mean of R runs' sums. */
		st->bound = sqrt(st->bound) / r;
		st->var = st->runs > 1 ? (sq[s] - r * m * m) / (r - 1) : 0;
		if (st->var < 0)
			st->var = 0;
	}
}

static double side_mean(const struct side *s)
{
	double m = 0;

	for (size_t k = 0; k < s->runs; k++)
		m += s->tot[k];
	return m / (double)s->runs;
}

static void total_row(struct diff *d)
{
	struct dfunc *t = &d->total;

	memset(t, 0, sizeof *t);
	t->name = "[total]";
	for (unsigned s = 0; s < 2; s++) {
		const struct side *sd = &d->side[s];
		double m = side_mean(sd), v = 0;

		t->s[s].runs = t->s[s].present = sd->runs;
		t->s[s].self = t->s[s].total = m;
		for (size_t k = 0; k < sd->runs; k++)
			v += (sd->tot[k] - m) * (sd->tot[k] - m);
		t->s[s].var = sd->runs > 1 ? v / (double)(sd->runs - 1) : 0;
		/* A sampled run's total carries the error of its samples. */
		t->s[s].bound = sd->samples > 0 ? m / sqrt(sd->samples) : 0;
		for (size_t i = 0; i < d->nf; i++)
			t->s[s].calls += d->f[i].s[s].calls;
	}
	t->tested = 1;
}

static int dfunc_cmp(const void *va, const void *vb)
{
	const struct dfunc *a = va, *b = vb;

	if (fabs(a->delta) != fabs(b->delta))
		return fabs(a->delta) > fabs(b->delta) ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void compute(struct diff *d)
{
	double base = side_mean(&d->side[0]), nw = side_mean(&d->side[1]);
	size_t i, j;

	if (d->ne > 0)
		qsort(d->e, d->ne, sizeof *d->e, entry_cmp);
	d->f = xcalloc(d->ne + 1, sizeof *d->f);
	for (i = 0; i < d->ne; i = j) {
		for (j = i + 1; j < d->ne && d->e[j].name == d->e[i].name; j++)
			;
		group(d, d->e + i, j - i, &d->f[d->nf++]);
	}
	d->tests = 1; /* the total */
	for (i = 0; i < d->nf; i++) {
		struct dfunc *f = &d->f[i];

		f->tested = (base > 0 && f->s[0].self >= MIN_SHARE * base) ||
			    (nw > 0 && f->s[1].self >= MIN_SHARE * nw);
		d->tests += (size_t)f->tested;
		finish(f);
	}
	total_row(d);
	finish(&d->total);
	judge(d, &d->total);
	for (i = 0; i < d->nf; i++)
		judge(d, &d->f[i]);
	if (d->nf > 0)
		qsort(d->f, d->nf, sizeof *d->f, dfunc_cmp);
	d->method = d->side[0].runs < 2 && d->side[1].runs < 2 ? "lower-bound"
							       : "welch";
}

static char *fmt_ns(char *buf, size_t len, double ns);

/* What is compared: "self" (time) or the counter's name. */
static const char *what(const struct diff *d)
{
	return d->value != NULL ? d->value : "self";
}

/* --- the gate --- */

/*
 * Did F get slower by more than PCT? A function needs 1 % of the time;
 * with repeats the change must be significant too. A function that
 * appeared with 1 % of the time counts as slower by any percentage.
 */
static int offends(const struct diff *d, const struct dfunc *f, double pct)
{
	int repeats = d->side[0].runs > 1 || d->side[1].runs > 1;

	if (!f->tested || f->delta <= 0)
		return 0;
	if (repeats && !f->significant)
		return 0;
	return isnan(f->pct) || f->pct > pct;
}

static int gate(const struct diff *d, double pct)
{
	char a[32], b[32];
	int bad = 0;

	for (size_t i = 0; i <= d->nf; i++) {
		const struct dfunc *f = i == 0 ? &d->total : &d->f[i - 1];

		if (!offends(d, f, pct))
			continue;
		bad = 1;
		if (isnan(f->pct))
			fprintf(stderr,
				"%s: regression: %s appeared, %s %s "
				"(above %g%%)\n",
				cp_progname, f->name, what(d),
				fmt_ns(b, sizeof b, f->s[1].self), pct);
		else
			fprintf(stderr,
				"%s: regression: %s %s %s -> %s (%+.1f%%, "
				"above %g%%)\n",
				cp_progname, f->name, what(d),
				fmt_ns(a, sizeof a, f->s[0].self),
				fmt_ns(b, sizeof b, f->s[1].self), f->pct, pct);
	}
	return bad;
}

/* --- output --- */

/* The values are counts, not nanoseconds (--value of a counter). */
static int as_counts;

static char *fmt_ns(char *buf, size_t len, double ns)
{
	if (as_counts)
		return cp_format_count(buf, len, (uint64_t)(ns + 0.5));
	return cp_format_ns(buf, len, (uint64_t)(ns + 0.5));
}

static char *fmt_delta(char *buf, size_t len, double ns)
{
	buf[0] = ns < 0 ? '-' : '+';
	fmt_ns(buf + 1, len - 1, fabs(ns));
	return buf;
}

static const char *status_of(const struct dfunc *f)
{
	if (f->s[0].present == 0)
		return "appeared";
	if (f->s[1].present == 0)
		return "vanished";
	return "changed";
}

static const char *basename_of(const char *path)
{
	const char *s = path != NULL ? strrchr(path, '/') : NULL;

	return s != NULL ? s + 1 : path != NULL ? path : "?";
}

static int same_program(const struct diff *d)
{
	if (d->side[0].exe == NULL || d->side[1].exe == NULL)
		return 1;
	return strcmp(basename_of(d->side[0].exe),
		      basename_of(d->side[1].exe)) == 0;
}

static void side_line(FILE *f, const char *what, const struct side *s)
{
	fprintf(f, "%s: %s (%s, %zu run%s%s)\n", what, s->arg,
		basename_of(s->exe), s->runs, s->runs == 1 ? "" : "s",
		s->runs == 1 ? "" : ", means per run");
}

static void table_line(FILE *f, const struct dfunc *x)
{
	char a[32], b[32], c[32], e[32], g[32], pc[32];

	if (x->s[0].present == 0)
		strcpy(pc, "new");
	else if (x->s[1].present == 0)
		strcpy(pc, "gone");
	else if (isnan(x->pct))
		strcpy(pc, "-");
	else
		snprintf(pc, sizeof pc, "%+.1f%%", x->pct);
	fprintf(f, "%10s %10s %10s %8s %1s %10.0f %10.0f %10s %10s  %s\n",
		fmt_ns(a, sizeof a, x->s[0].self),
		fmt_ns(b, sizeof b, x->s[1].self),
		fmt_delta(c, sizeof c, x->delta), pc, x->significant ? "*" : "",
		x->s[0].calls, x->s[1].calls,
		fmt_ns(e, sizeof e, x->s[0].total),
		fmt_ns(g, sizeof g, x->s[1].total), x->name);
}

static void print_table(FILE *f, const struct diff *d, size_t top)
{
	size_t n = top != 0 && top < d->nf ? top : d->nf;

	side_line(f, "base", &d->side[0]);
	side_line(f, "new ", &d->side[1]);
	if (!same_program(d))
		fprintf(f,
			"different programs (%s, %s): functions compared by "
			"name\n",
			basename_of(d->side[0].exe),
			basename_of(d->side[1].exe));
	if (d->value != NULL)
		fprintf(f, "compared: %s self counts (--value), not time\n",
			d->value);
	if (strcmp(d->method, "welch") == 0)
		fprintf(f,
			"significant (*): p < %g/%zu between the runs (Welch's "
			"t-test) and at least %g%% of the base\n",
			ALPHA, d->tests, d->min_change);
	else
		fprintf(f,
			"significant (*): one run each side, judged against a "
			"within-run lower bound\nof the noise only (record -r "
			"N "
			"measures the spread between runs); at least %g%%\n",
			d->min_change);
	fprintf(f, "\n%10s %10s %10s %8s %1s %10s %10s %10s %10s  %s\n",
		"base self", "new self", "delta", "delta%", "", "base calls",
		"new calls", "base total", "new total", "function");
	table_line(f, &d->total);
	for (size_t i = 0; i < n; i++)
		table_line(f, &d->f[i]);
	if (n < d->nf)
		fprintf(f, "... %zu more functions (--top 0 shows all)\n",
			d->nf - n);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_side(FILE *f, const struct sidestat *s)
{
	fprintf(f,
		"{\"runs\": %zu, \"present\": %zu, \"calls\": %.0f, "
		"\"self_ns\": %.0f, \"total_ns\": %.0f, \"self_sd_ns\": ",
		s->runs, s->present, s->calls, s->self, s->total);
	json_num(f, s->runs > 1 ? sqrt(s->var) : NAN);
	fputs("}", f);
}

static void json_func(FILE *f, const struct dfunc *x)
{
	fputs("{\"name\": ", f);
	cp_json_str(f, x->name);
	fprintf(f, ", \"status\": \"%s\", \"base\": ", status_of(x));
	json_side(f, &x->s[0]);
	fputs(", \"new\": ", f);
	json_side(f, &x->s[1]);
	fprintf(f, ", \"delta_self_ns\": %.0f, \"delta_self_pct\": ", x->delta);
	json_num(f, x->pct);
	fputs(", \"p_value\": ", f);
	json_num(f, x->p);
	fprintf(f, ", \"tested\": %s, \"significant\": %s}",
		x->tested ? "true" : "false",
		x->significant ? "true" : "false");
}

static void json_run(FILE *f, const char *key, const struct side *s)
{
	fprintf(f, "  \"%s\": {\"run\": ", key);
	cp_json_str(f, s->arg);
	fputs(", \"path\": ", f);
	cp_json_str(f, s->path);
	fputs(", \"program\": ", f);
	if (s->exe != NULL)
		cp_json_str(f, s->exe);
	else
		fputs("null", f);
	fprintf(f, ", \"runs\": %zu},\n", s->runs);
}

static void print_json(FILE *f, const struct diff *d, size_t top, double fail)
{
	size_t n = top != 0 && top < d->nf ? top : d->nf;
	int first = 1;

	fputs("{\n  \"format\": \"cprof-diff\",\n  \"format_version\": 1,\n",
	      f);
	json_run(f, "base", &d->side[0]);
	json_run(f, "new", &d->side[1]);
	fprintf(f,
		"  \"value\": \"%s\",\n"
		"  \"same_program\": %s,\n  \"method\": \"%s\",\n  "
		"\"alpha\": %g,\n  \"tests\": %zu,\n  \"min_change_pct\": "
		"%g,\n  \"total\": ",
		d->value != NULL ? d->value : "self_ns",
		same_program(d) ? "true" : "false", d->method, ALPHA, d->tests,
		d->min_change);
	json_func(f, &d->total);
	fputs(",\n  \"functions\": [", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i == 0 ? "\n    " : ",\n    ", f);
		json_func(f, &d->f[i]);
	}
	fputs(n == 0 ? "]" : "\n  ]", f);
	if (!isnan(fail)) {
		fputs(",\n  \"offenders\": [", f);
		for (size_t i = 0; i <= d->nf; i++) {
			const struct dfunc *x =
				i == 0 ? &d->total : &d->f[i - 1];

			if (!offends(d, x, fail))
				continue;
			fputs(first ? "" : ", ", f);
			cp_json_str(f, x->name);
			first = 0;
		}
		fputs("]", f);
	}
	fputs("\n}\n", f);
}

static void csv_name(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_line(FILE *f, const struct dfunc *x)
{
	csv_name(f, x->name);
	fprintf(f, ",%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,", status_of(x),
		x->s[0].calls, x->s[0].self, x->s[0].total, x->s[1].calls,
		x->s[1].self, x->s[1].total, x->delta);
	if (!isnan(x->pct))
		fprintf(f, "%.2f", x->pct);
	fprintf(f, ",%d\n", x->significant);
}

static void print_csv(FILE *f, const struct diff *d, size_t top)
{
	size_t n = top != 0 && top < d->nf ? top : d->nf;

	fputs("function,status,base_calls,base_self_ns,base_total_ns,"
	      "new_calls,new_self_ns,new_total_ns,delta_self_ns,"
	      "delta_self_pct,significant\n",
	      f);
	csv_line(f, &d->total);
	for (size_t i = 0; i < n; i++)
		csv_line(f, &d->f[i]);
}

static double parse_pct(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= 0) || isinf(v))
		cp_usage_error(&cp_cmd_diff,
			       "%s: '%s' is not a percentage (a number, 0 or "
			       "more)",
			       opt, arg);
	return v;
}

static int cmd_diff(int argc, char **argv)
{
	struct diff d = {0};
	struct cp_output out = {0};
	const char *path = NULL;
	double fail = NAN;
	const char *runs[2];
	FILE *f = stdout;
	int c, bad = 0, rc, nrun = 0;

	d.min_change = 5;
	/*
	 * Options may follow the runs too ("diff base new --fail-above 5",
	 * as CI scripts are written): diff runs no program whose options
	 * they could be.
	 */
	for (;;) {
		c = cp_getopt(&cp_cmd_diff, argc, argv);
		if (c == -1) {
			if (optind >= argc ||
			    strcmp(argv[optind - 1], "--") == 0)
				break;
			if (nrun == 2)
				cp_usage_error(&cp_cmd_diff,
					       "unexpected argument '%s'",
					       argv[optind]);
			runs[nrun++] = argv[optind++];
			continue;
		}
		if (cp_output_option(&cp_cmd_diff, &out, c, optarg))
			continue;
		if (c == 'o')
			path = optarg;
		else if (c == OPT_FAIL_ABOVE)
			fail = parse_pct("--fail-above", optarg);
		else if (c == OPT_MIN_CHANGE)
			d.min_change = parse_pct("--min-change", optarg);
		else if (c == OPT_VALUE)
			d.value = optarg;
	}
	for (; optind < argc; optind++) {
		if (nrun == 2)
			cp_usage_error(&cp_cmd_diff, "unexpected argument '%s'",
				       argv[optind]);
		runs[nrun++] = argv[optind];
	}
	if (nrun < 2)
		cp_usage_error(&cp_cmd_diff, "diff needs two runs, BASE and "
					     "NEW");
	d.pool = cp_pool_new();
	load_side(&d, 0, runs[0]);
	load_side(&d, 1, runs[1]);
	compute(&d);
	as_counts = d.counts;
	if (path != NULL && (f = cp_create_output(path)) == NULL)
		fatal("%s", path);
	if (out.format == CP_FORMAT_JSON)
		print_json(f, &d, out.top, fail);
	else if (out.format == CP_FORMAT_CSV)
		print_csv(f, &d, out.top);
	else
		print_table(f, &d, out.top);
	if (fflush(f) != 0 || ferror(f))
		fatal("%s", path != NULL ? path : "stdout");
	if (f != stdout && fclose(f) != 0)
		fatal("%s", path);
	if (!same_program(&d) && out.format != CP_FORMAT_TABLE)
		warnx("base and new ran different programs (%s, %s): "
		      "functions compared by name",
		      basename_of(d.side[0].exe), basename_of(d.side[1].exe));
	if (!isnan(fail))
		bad = gate(&d, fail);
	rc = bad ? 1 : 0;
	for (unsigned s = 0; s < 2; s++) {
		free(d.side[s].path);
		free(d.side[s].tot);
	}
	free(d.e);
	free(d.f);
	cp_pool_free(d.pool);
	return rc;
}
