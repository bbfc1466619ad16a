/*
 * budget.c - "cprof report --budget FUNC=TIME[/call]" and "--budgets
 * FILE": time budgets per function, set against what the run measured.
 *
 * A budget is on a function's total time (its own time and its callees',
 * recursion counted once, as the table's Total column), since a budget
 * is what a piece of work may cost whatever it calls; with "/call" on its
 * total time per call. The efficiency is budget / actual: 100 % or more
 * is within the budget. A function named in a budget must be in the run
 * (a typo must not pass a CI gate silently), and a malformed budget is
 * an error naming its position; both exit with status 2, an exceeded
 * budget with 1 (cmd-report.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cp_budget {
	char *func;
	uint64_t ns;
	int per_call;
	char *where; /* "--budget #2" or "FILE:3", for errors */
	/* Set by cp_budgets_check(): */
	uint64_t actual;
	int found, over;
};

struct cp_budgets {
	struct cp_budget *b;
	size_t n, cap;
	size_t nopt; /* --budget options so far */
};

/*
 * Parse S ("FUNC=TIME" or "FUNC=TIME/call") into a new budget; WHERE
 * names it in errors. The name is split at the last '=', so that C++'s
 * operator= can have a budget.
 */
static void add(struct cp_budgets **bs, const char *s, char *where)
{
	const char *eq = strrchr(s, '=');
	struct cp_budget *b;
	char *t, *slash;
	size_t len;

	if (*bs == NULL)
		*bs = xcalloc(1, sizeof **bs);
	if (eq == NULL || eq == s || eq[1 + strspn(eq + 1, " \t")] == '\0')
		fatalx_status(2,
			      "%s: malformed budget '%s' (FUNC=TIME or "
			      "FUNC=TIME/call, as main=20ms)",
			      where, s);
	/* Spaces around the '=' are allowed (a budget file's "f = 2ms"). */
	t = xstrdup(eq + 1 + strspn(eq + 1, " \t"));
	slash = strchr(t, '/');
	(*bs)->b = xgrow((*bs)->b, &(*bs)->cap, (*bs)->n + 1, sizeof *b);
	b = &(*bs)->b[(*bs)->n++];
	memset(b, 0, sizeof *b);
	if (slash != NULL) {
		if (strcmp(slash, "/call") != 0)
			fatalx_status(2,
				      "%s: malformed budget '%s': after the "
				      "time, only '/call'",
				      where, s);
		*slash = '\0';
		b->per_call = 1;
	}
	if (cp_sel_parse_ns(t, &b->ns) != 0 || b->ns == 0)
		fatalx_status(2,
			      "%s: malformed budget '%s': '%s' is no time "
			      "above 0 (a number and ns, us, ms or s)",
			      where, s, t);
	free(t);
	len = (size_t)(eq - s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		fatalx_status(2, "%s: malformed budget '%s': no function name",
			      where, s);
	b->func = xstrdup(s);
	b->func[len] = '\0';
	b->where = where;
}

void cp_budget_option(struct cp_budgets **bs, const char *arg)
{
	char *where;
	size_t k = *bs != NULL ? (*bs)->nopt + 1 : 1;

	if (asprintf(&where, "--budget #%zu", k) < 0)
		fatalx("out of memory");
	add(bs, arg, where);
	(*bs)->nopt = k;
}

void cp_budget_file(struct cp_budgets **bs, const char *path)
{
	char *line = NULL, *s, *e, *where;
	size_t cap = 0, no = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		fatalx_status(2, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) != -1) {
		no++;
		/* Blank lines and # comments; spaces around a budget. */
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (asprintf(&where, "%s:%zu", path, no) < 0)
			fatalx("out of memory");
		add(bs, s, where);
	}
	if (ferror(f))
		fatalx_status(2, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	if (*bs == NULL)
		*bs = xcalloc(1, sizeof **bs);
}

size_t cp_budgets_check(struct cp_budgets *bs, const struct cp_profile *p)
{
	size_t over = 0;

	for (size_t i = 0; bs != NULL && i < bs->n; i++) {
		struct cp_budget *b = &bs->b[i];
		uint64_t calls = 0, total = 0;

		for (size_t k = 0; k < p->nfuncs; k++) {
			if (strcmp(p->funcs[k].name, b->func) != 0)
				continue;
			b->found = 1;
			calls += p->funcs[k].st.calls;
			total += p->funcs[k].st.total_ns;
		}
		if (!b->found)
			fatalx_status(2, "%s: no function '%s' in the run",
				      b->where, b->func);
		b->actual =
			b->per_call ? (calls != 0 ? total / calls : 0) : total;
		b->over = b->actual > b->ns;
		over += (size_t)b->over;
	}
	return over;
}

static double efficiency(const struct cp_budget *b)
{
	return b->actual != 0 ? 100.0 * (double)b->ns / (double)b->actual
			      : 100.0;
}

void cp_budgets_table(FILE *f, const struct cp_budgets *bs)
{
	char a[32], c[32], t[40];

	if (bs == NULL || bs->n == 0)
		return;
	fprintf(f, "\nBudgets (total time, per call where /call):\n");
	fprintf(f, "%12s %12s %10s  %-4s  %s\n", "budget", "actual",
		"efficiency", "", "function");
	for (size_t i = 0; i < bs->n; i++) {
		const struct cp_budget *b = &bs->b[i];

		snprintf(t, sizeof t, "%s%s", cp_format_ns(a, sizeof a, b->ns),
			 b->per_call ? "/call" : "");
		fprintf(f, "%12s %12s %9.0f%%  %-4s  %s\n", t,
			cp_format_ns(c, sizeof c, b->actual), efficiency(b),
			b->over ? "OVER" : "ok", b->func);
	}
}

void cp_budgets_json(FILE *f, const struct cp_budgets *bs)
{
	if (bs == NULL)
		return;
	fputs("  \"budgets\": [", f);
	for (size_t i = 0; i < bs->n; i++) {
		const struct cp_budget *b = &bs->b[i];

		fputs(i == 0 ? "\n    {\"function\": "
			     : ",\n    {\"function\": ",
		      f);
		cp_json_str(f, b->func);
		fprintf(f,
			", \"budget_ns\": %llu, \"per_call\": %s, "
			"\"actual_ns\": %llu, \"efficiency_pct\": %.1f, "
			"\"over\": %s}",
			(unsigned long long)b->ns,
			b->per_call ? "true" : "false",
			(unsigned long long)b->actual, efficiency(b),
			b->over ? "true" : "false");
	}
	fputs(bs->n == 0 ? "],\n" : "\n  ],\n", f);
}

void cp_budgets_report(const struct cp_budgets *bs)
{
	char a[32], c[32];

	for (size_t i = 0; bs != NULL && i < bs->n; i++) {
		const struct cp_budget *b = &bs->b[i];

		if (!b->over)
			continue;
		fprintf(stderr, "%s: over budget: %s %s%s > %s%s\n",
			cp_progname, b->func,
			cp_format_ns(c, sizeof c, b->actual),
			b->per_call ? "/call" : "",
			cp_format_ns(a, sizeof a, b->ns),
			b->per_call ? "/call" : "");
	}
}

void cp_budgets_free(struct cp_budgets *bs)
{
	for (size_t i = 0; bs != NULL && i < bs->n; i++) {
		free(bs->b[i].func);
		free(bs->b[i].where);
	}
	if (bs != NULL)
		free(bs->b);
	free(bs);
}
