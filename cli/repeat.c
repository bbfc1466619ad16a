/*
 * repeat.c - runs recorded several times over ("cprof record -r N"), and
 * the names given to runs ("cprof tag").
 *
 * A repeated run is a run directory RUN holding RUN/repeat-1 to
 * RUN/repeat-N, each a whole run directory of its own (logs, run.meta),
 * and nothing else. "cprof report" reads them all into one profile and
 * shows each function's mean over the repeats (repeat_mean()), with the
 * spread of the run's self time between them; "cprof diff" reads each
 * repeat on its own, for the spread of every function (diff.c).
 *
 * A tag is a snapshot of a run under a name: the run's files hard-linked
 * (copied where a link cannot be made) into TAGDIR/NAME, where TAGDIR is
 * $CPROF_TAGS or else .cprof-tags in the current directory. A snapshot
 * and not a link to the path, so that recording again into the same
 * directory (which moves the run to RUN.old and then removes it) never
 * changes what a tag names; the logs never change once written, so the
 * hard links cost nothing. A CI job keeps the one directory between jobs.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cp_repeat_name(const char *name, unsigned *k)
{
	size_t pre = strlen(CP_RUN_REPEAT);
	unsigned long v;
	char *end;

	if (strncmp(name, CP_RUN_REPEAT, pre) != 0 || name[pre] < '1' ||
	    name[pre] > '9')
		return 0;
	errno = 0;
	v = strtoul(name + pre, &end, 10);
	if (*end != '\0' || errno != 0 || v > CP_REPEAT_MAX)
		return 0;
	if (k != NULL)
		*k = (unsigned)v;
	return 1;
}

size_t cp_rundir_repeats(const char *dir, char ***paths)
{
	struct dirent *de;
	unsigned k, max = 0;
	char **v;
	DIR *d;

	*paths = NULL;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (cp_repeat_name(de->d_name, &k) && k > max)
			max = k;
	closedir(d);
	if (max == 0)
		return 0;
	/*
	 * By number and not by what the directory holds, so that a missing
	 * repeat (removed by hand) is an error of the run, not a silent gap.
	 */
	v = xcalloc(max, sizeof *v);
	for (k = 1; k <= max; k++)
		if (asprintf(&v[k - 1], "%s/%s%u", dir, CP_RUN_REPEAT, k) < 0)
			fatalx("out of memory");
	*paths = v;
	return max;
}

void cp_rundir_repeats_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* The self time of repeat K of P, summed over its threads. */
static uint64_t repeat_self(const struct cp_profile *p, size_t k)
{
	uint64_t sum = 0;

	for (size_t t = p->rep_threads[k]; t < p->rep_threads[k + 1]; t++)
		for (size_t i = 0; i < p->threads[t].nfuncs; i++)
			sum += p->threads[t].funcs[i].st.self_ns;
	return sum;
}

static uint64_t mean_of(uint64_t sum, size_t n)
{
	return (sum + n / 2) / n;
}

/*
 * Each function's self time in each repeat, N per function, for the
 * functions with at least 1 % of the self time (the others' spread is
 * not worth a line); NULL rows for the others.
 */
static void func_spread(struct cp_profile *p)
{
	size_t n = p->repeats;

	p->rep_func_self =
		xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *p->rep_func_self);
	for (size_t k = 0; k < n; k++)
		for (size_t t = p->rep_threads[k]; t < p->rep_threads[k + 1];
		     t++)
			for (size_t i = 0; i < p->threads[t].nfuncs; i++) {
				const struct cp_thread_func *tf =
					&p->threads[t].funcs[i];
				uint64_t **row = &p->rep_func_self[tf->func];

				if (*row == NULL)
					*row = xcalloc(n, sizeof **row);
				(*row)[k] += tf->st.self_ns;
			}
}

void cp_repeat_mean(struct cp_profile *p)
{
	size_t n = p->repeats;

	if (n < 2)
		return;
	p->rep_self = xcalloc(n, sizeof *p->rep_self);
	for (size_t k = 0; k < n; k++)
		p->rep_self[k] = repeat_self(p, k);
	func_spread(p);
	/*
	 * The loader summed the repeats as if they were processes of one
	 * run: each function's numbers over N are its mean per run.
	 */
	for (size_t i = 0; i < p->nfuncs; i++) {
		struct cp_func *f = &p->funcs[i];

		f->st.calls = mean_of(f->st.calls, n);
		f->st.self_ns = mean_of(f->st.self_ns, n);
		f->st.total_ns = mean_of(f->st.total_ns, n);
		for (size_t c = 0; c < p->ncounters && f->counts != NULL; c++) {
			f->counts[c].self = mean_of(f->counts[c].self, n);
			f->counts[c].total = mean_of(f->counts[c].total, n);
		}
	}
	p->total_self_ns = mean_of(p->total_self_ns, n);
}

/* The mean, standard deviation, min and max of the N values of V. */
static void spread(const uint64_t *v, size_t n, double *mean, double *sd,
		   uint64_t *min, uint64_t *max)
{
	double m = 0, var = 0;

	*min = UINT64_MAX;
	*max = 0;
	for (size_t k = 0; k < n; k++) {
		m += (double)v[k];
		if (v[k] < *min)
			*min = v[k];
		if (v[k] > *max)
			*max = v[k];
	}
	m /= (double)n;
	for (size_t k = 0; k < n; k++)
		var += ((double)v[k] - m) * ((double)v[k] - m);
	*mean = m;
	*sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0;
}

void cp_repeat_spread(const struct cp_profile *p, double *mean, double *sd,
		      uint64_t *min, uint64_t *max)
{
	spread(p->rep_self, p->repeats, mean, sd, min, max);
}

/* Shown in the spread: 1 % of the self time, not hidden by a filter. */
static int spread_row(const struct cp_profile *p, size_t i)
{
	return p->rep_func_self[i] != NULL && !p->funcs[i].hidden &&
	       p->funcs[i].st.self_ns * 100 >= p->total_self_ns;
}

static const struct cp_profile *sort_p;

static int self_cmp(const void *va, const void *vb)
{
	const struct cp_func *a = &sort_p->funcs[*(const size_t *)va],
			     *b = &sort_p->funcs[*(const size_t *)vb];

	if (a->st.self_ns != b->st.self_ns)
		return a->st.self_ns > b->st.self_ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The functions of the spread, by mean self time; *N of them. */
static size_t *spread_rows(const struct cp_profile *p, size_t *n)
{
	size_t *rows = xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *rows);

	*n = 0;
	for (size_t i = 0; i < p->nfuncs; i++)
		if (spread_row(p, i))
			rows[(*n)++] = i;
	sort_p = p;
	if (*n > 0)
		qsort(rows, *n, sizeof *rows, self_cmp);
	return rows;
}

void cp_repeat_table(FILE *f, const struct cp_profile *p)
{
	char a[32], b[32], c[32];
	uint64_t min, max;
	size_t n, *rows;
	double m, sd;

	if (p->repeats < 2 || p->rep_func_self == NULL)
		return;
	rows = spread_rows(p, &n);
	fprintf(f,
		"\nSpread of self time between the %zu repeats (functions with "
		"1%% of it or more):\n%10s %7s %10s %10s  %s\n",
		p->repeats, "mean", "sd", "min", "max", "function");
	for (size_t r = 0; r < n; r++) {
		spread(p->rep_func_self[rows[r]], p->repeats, &m, &sd, &min,
		       &max);
		fprintf(f, "%10s %6.1f%% %10s %10s  %s\n",
			cp_format_ns(a, sizeof a, (uint64_t)(m + 0.5)),
			m > 0 ? 100 * sd / m : 0.0,
			cp_format_ns(b, sizeof b, min),
			cp_format_ns(c, sizeof c, max), p->funcs[rows[r]].name);
	}
	free(rows);
}

void cp_repeat_table_line(FILE *f, const struct cp_profile *p)
{
	char a[32], b[32], c[32];
	uint64_t min, max;
	double m, sd;

	if (p->repeats < 2)
		return;
	cp_repeat_spread(p, &m, &sd, &min, &max);
	fprintf(f,
		"repeats: %zu runs, each function's mean per run; self time "
		"per run %s +- %.1f%% (min %s, max %s)\n",
		p->repeats, cp_format_ns(a, sizeof a, (uint64_t)(m + 0.5)),
		m > 0 ? 100 * sd / m : 0.0, cp_format_ns(b, sizeof b, min),
		cp_format_ns(c, sizeof c, max));
}

void cp_repeat_json(FILE *f, const struct cp_profile *p)
{
	uint64_t min, max;
	size_t n, *rows;
	double m, sd;

	if (p->repeats < 2 || p->rep_func_self == NULL)
		return;
	cp_repeat_spread(p, &m, &sd, &min, &max);
	fprintf(f, "  \"repeats\": {\"runs\": %zu, \"self_ns\": [", p->repeats);
	for (size_t k = 0; k < p->repeats; k++)
		fprintf(f, "%s%llu", k ? ", " : "",
			(unsigned long long)p->rep_self[k]);
	fprintf(f, "], \"self_mean_ns\": %.0f, \"self_sd_ns\": %.0f", m, sd);
	rows = spread_rows(p, &n);
	fputs(", \"functions\": [", f);
	for (size_t r = 0; r < n; r++) {
		fputs(r == 0 ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
		cp_json_str(f, p->funcs[rows[r]].name);
		fputs(", \"self_ns\": [", f);
		for (size_t k = 0; k < p->repeats; k++)
			fprintf(f, "%s%llu", k ? ", " : "",
				(unsigned long long)
					p->rep_func_self[rows[r]][k]);
		fputs("]}", f);
	}
	fputs(n == 0 ? "]},\n" : "\n  ]},\n", f);
	free(rows);
}

/* Tags. */

const char *cp_tag_dir(void)
{
	const char *d = getenv("CPROF_TAGS");

	return d != NULL && *d != '\0' ? d : CP_TAG_DIR;
}

const char *cp_tag_check(const char *name)
{
	if (*name == '\0')
		return "an empty name";
	if (*name == '.' || *name == '-')
		return "a name may not start with '.' or '-'";
	if (strlen(name) > 200)
		return "a name longer than 200 bytes";
	for (const char *s = name; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' &&
		    *s != '-' && *s != '+')
			return "only letters, digits, '.', '_', '-' and '+'";
	return NULL;
}

char *cp_tag_path(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", cp_tag_dir(), name) < 0)
		fatalx("out of memory");
	return path;
}

char *cp_run_resolve(const char *arg)
{
	struct stat sb;
	char *path;

	if (stat(arg, &sb) == 0)
		return xstrdup(arg);
	if (cp_tag_check(arg) == NULL) {
		path = cp_tag_path(arg);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			return path;
		free(path);
		fatalx_status(2, "%s: %s, and no tag of that name in %s", arg,
			      strerror(ENOENT), cp_tag_dir());
	}
	fatalx_status(2, "%s: %s", arg, strerror(ENOENT));
}
