/*
 * export.h - what the exports of report share (export.c) and each
 * format's entry point (export-*.c). Each export listens on the replay
 * through a struct cp_tap (profile.h) and writes as the logs are read,
 * so that its memory stays flat in the number of events.
 */
#ifndef CPROF_EXPORT_H
#define CPROF_EXPORT_H

#include "profile.h"

/*
 * The export's output, opened on first use so that a run that cannot be
 * read leaves FILE be; an output that cannot be opened or written is a
 * one-line error naming it (exit status 1), as for the other reports.
 */
struct cp_xout {
	const char *path; /* NULL: stdout */
	FILE *f;
};
FILE *cp_xout_file(struct cp_xout *x);
/* Flush and close; exits after the error when the output failed. */
void cp_xout_close(struct cp_xout *x);

/*
 * The exports' entry points: read RUN with their tap into P (zeroed by
 * the caller) and write to OUT. Return -1 when RUN could not be read
 * (the error is printed), else 0.
 */
int cp_export_chrome(struct cp_profile *p, const char *run,
		     const struct cp_export_opts *o, struct cp_xout *out);
int cp_export_pprof(struct cp_profile *p, const char *run,
		    const struct cp_export_opts *o, struct cp_xout *out);
int cp_export_folded(struct cp_profile *p, const char *run,
		     const struct cp_export_opts *o, struct cp_xout *out);
int cp_export_flamegraph(struct cp_profile *p, const char *run,
			 const struct cp_export_opts *o, struct cp_xout *out);

/*
 * Ticks to nanoseconds with the clock line known so far (L), for the
 * approximate filters that run before a process's clock is fixed.
 */
static inline uint64_t cp_line_ns(const struct cp_clock_line *l, uint64_t d)
{
	unsigned __int128 x = (unsigned __int128)d * l->num / l->den;

	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

#endif /* CPROF_EXPORT_H */
