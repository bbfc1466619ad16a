/*
 * export.c - report's exports: the formats other tools open (Chrome
 * trace JSON, pprof, folded stacks), their options and their output.
 *
 * An export does not print the tables: it listens on the replay of the
 * run (struct cp_tap) and writes what it needs as each process is
 * finished, so that a run of hundreds of millions of calls is exported
 * with the memory of its functions and calling contexts, not of its
 * events. What a format cannot carry is said in report's --help and in
 * cprof(1); what a run lacks (a killed process, a truncated log) is said
 * on stderr by the loader, as for the table, and inside the file where
 * the format has room for it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export.h"

static const char *const export_names[] = {
	[CP_EXPORT_CHROME] = "chrome",
	[CP_EXPORT_PPROF] = "pprof",
	[CP_EXPORT_FOLDED] = "folded",
	[CP_EXPORT_FLAMEGRAPH] = "flamegraph",
};

int cp_export_parse(const char *s, enum cp_export_format *f)
{
	for (size_t i = 1; i < sizeof export_names / sizeof export_names[0];
	     i++) {
		if (export_names[i] != NULL &&
		    strcmp(s, export_names[i]) == 0) {
			*f = (enum cp_export_format)i;
			return 0;
		}
	}
	return -1;
}

int cp_parse_time(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"", 1e3}};
	char *end;
	double v;

	/* strtod would take "-1", " 5", "inf" and "nan". */
	if ((*s < '0' || *s > '9') && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v *= units[i].ns;
		if (v >= 0x1p64)
			return -1;
		*ns = (uint64_t)(v + 0.5);
		return 0;
	}
	return -1;
}

FILE *cp_xout_file(struct cp_xout *x)
{
	if (x->f != NULL)
		return x->f;
	if (x->path == NULL)
		x->f = stdout;
	else if ((x->f = cp_create_output(x->path)) == NULL)
		fatal("%s", x->path);
	return x->f;
}

void cp_xout_close(struct cp_xout *x)
{
	const char *name = x->path != NULL ? x->path : "stdout";
	FILE *f = cp_xout_file(x);

	if (fflush(f) != 0 || ferror(f))
		fatal("%s", name);
	if (f != stdout && fclose(f) != 0)
		fatal("%s", name);
	x->f = NULL;
}

int cp_export(const char *run, const struct cp_export_opts *o)
{
	struct cp_profile p = {0};
	struct cp_xout out = {o->path, NULL};
	struct stat sb;
	uint64_t bytes = 0;
	int rc = -1;

	if (stat(run, &sb) != 0)
		fatalx_status(2, "%s: %s", run, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		cp_run_logs(run, &bytes);
	else
		bytes = (uint64_t)sb.st_size;
	cp_progress_start(bytes);
	switch (o->format) {
	case CP_EXPORT_CHROME:
		rc = cp_export_chrome(&p, run, o, &out);
		break;
	case CP_EXPORT_PPROF:
		rc = cp_export_pprof(&p, run, o, &out);
		break;
	case CP_EXPORT_FOLDED:
		rc = cp_export_folded(&p, run, o, &out);
		break;
	case CP_EXPORT_FLAMEGRAPH:
		rc = cp_export_flamegraph(&p, run, o, &out);
		break;
	case CP_EXPORT_NONE:
		break;
	}
	cp_progress_end();
	if (rc != 0)
		exit(2);
	cp_xout_close(&out);
	cp_profile_free(&p);
	return 0;
}
