/*
 * advice.c - when the build itself distorts the profile, say so, and how
 * to build it so that it does not (issue 8, target 3).
 *
 * Every timed call costs the hooks' work, measured at start (lib/calib.c)
 * and taken out of the marker times (doc/design.md, "The hybrid"); what
 * was taken out of a function's self time is how far its hooks moved it.
 * The compensation removes the cost it measured, but not what the hooks
 * did to the code around them (the calls and spills they force, the
 * inlining they prevent), nor their cost beyond the measurement. So when
 * the hooks' share of the marker time is large, the report names the
 * functions that are mostly hook (tiny, called often) and prints the
 * build option that leaves them out: gcc's
 * -finstrument-functions-exclude-function-list, or for clang, which has no
 * such list, an XRay build whose unpatched sleds cost next to nothing.
 * The compiler is the one the main program's DWARF names
 * (DW_AT_producer), when it has debug information.
 */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * The compiler that built most of PATH's compilation units: "gcc",
 * "clang", or NULL when its DWARF does not say (or cannot be read).
 */
static const char *compiler_of(const char *path)
{
	int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	Dwarf *dw;
	Dwarf_Off off = 0, next;
	size_t hsize, gnu = 0, clang = 0, n = 0;

	if (fd < 0)
		return NULL;
	dw = dwarf_begin(fd, DWARF_C_READ);
	/* The first units are enough to tell, and keep this cheap. */
	while (dw != NULL && n < 64 &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die die;
		Dwarf_Attribute at;
		const char *prod;

		if (dwarf_offdie(dw, off + hsize, &die) != NULL &&
		    dwarf_attr(&die, DW_AT_producer, &at) != NULL &&
		    (prod = dwarf_formstring(&at)) != NULL) {
			if (strncmp(prod, "GNU ", 4) == 0)
				gnu++;
			else if (strstr(prod, "clang") != NULL)
				clang++;
		}
		off = next;
		n++;
	}
	if (dw != NULL)
		dwarf_end(dw);
	close(fd);
	if (gnu == 0 && clang == 0)
		return NULL;
	return clang > gnu ? "clang" : "gcc";
}

/* Functions named, at most, and the share that makes the advice worth it. */
#define ADVICE_MAX	12
#define ADVICE_SHARE	0.10
#define ADVICE_COVERAGE 0.8

struct cand {
	size_t func;
	uint64_t comp;
};

static int cand_cmp(const void *va, const void *vb)
{
	const struct cand *a = va, *b = vb;

	if (a->comp != b->comp)
		return a->comp > b->comp ? -1 : 1;
	return a->func < b->func ? -1 : a->func > b->func;
}

/*
 * The hooks' share of the program's time: with samples, those in the
 * runtime's code among all (the hooks' cost as the program paid it, on
 * CPU); else the calibrated cost COMP over the marker self time RAW,
 * which a loaded machine's waits for a CPU dilute.
 */
static double hook_share(const struct cp_profile *p, uint64_t comp,
			 uint64_t raw)
{
	uint64_t rt = 0, all = 0;

	for (size_t i = 0; i < p->nfuncs; i++) {
		all += p->funcs[i].samples;
		if (p->funcs[i].runtime)
			rt += p->funcs[i].samples;
	}
	if (all >= CP_DIST_MIN_SAMPLES && rt > 0)
		return (double)rt / (double)all;
	return (double)comp / (double)raw;
}

/*
 * The wall time per CPU time of P's threads, when a counter of CPU time
 * says (1 otherwise): on a loaded machine a marker interval also holds
 * the time its thread waited for a CPU.
 */
static double dilation(const struct cp_profile *p)
{
	double wall = 0, cpu = 0;

	for (size_t k = 0; k < p->ncounters; k++) {
		if (!p->counters[k].ns)
			continue;
		for (size_t i = 0; i < p->nthreads; i++) {
			const struct cp_thread *t = &p->threads[i];

			if (t->totals == NULL || t->totals[k] == 0)
				continue;
			wall += (double)(t->end_ns - t->start_ns);
			cpu += (double)t->totals[k];
		}
		break;
	}
	return cpu > 0 && wall > cpu ? wall / cpu : 1;
}

/* What one timed call costs, c_own + c_caller, over P's processes (ns). */
static double call_cost(const struct cp_profile *p)
{
	double sum = 0;
	size_t n = 0;

	for (size_t i = 0; i < p->nprocs; i++) {
		if (!p->procs[i].has_calib)
			continue;
		sum += p->procs[i].calib_own_ns + p->procs[i].calib_caller_ns;
		n++;
	}
	return n > 0 ? sum / (double)n : 0;
}

void cp_advice(struct cp_profile *p)
{
	struct cp_advice *a = &p->advice;
	uint64_t raw = 0, comp = 0, named = 0;
	struct cand *c;
	size_t nc = 0;
	double dil, percall;

	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < p->nfuncs; i++) {
		raw += p->funcs[i].st.self_marker_ns;
		comp += p->funcs[i].st.comp_ns;
	}
	if (raw == 0 || comp == 0)
		return;
	a->has_share = 1;
	a->compiler = compiler_of(p->nprocs > 0 ? p->procs[0].exe : NULL);
	a->share = hook_share(p, comp, raw);
	if (a->share < ADVICE_SHARE)
		return;
	/*
	 * The functions that are mostly hook: the cost of their own hooks
	 * (c_own in them, c_caller in their callers, per call) is at least
	 * what their body costs on CPU (their marker self time over the
	 * threads' wall time per CPU time, less the hooks' cost in it), the
	 * costliest first, until they hold most of the hooks' cost. Leaving
	 * one out of the build saves its own hooks, not its callees'.
	 */
	dil = dilation(p);
	percall = call_cost(p);
	c = xcalloc(p->nfuncs + 1, sizeof *c);
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct cp_func *f = &p->funcs[i];
		double own = (double)f->st.calls * percall;
		double body = (double)f->st.self_marker_ns / dil -
			      (double)f->st.comp_ns;

		if (f->object == NULL || f->runtime || f->st.calls == 0 ||
		    body > own)
			continue;
		c[nc].func = i;
		c[nc].comp = (uint64_t)own;
		nc++;
	}
	qsort(c, nc, sizeof *c, cand_cmp);
	a->funcs = xcalloc(ADVICE_MAX, sizeof *a->funcs);
	for (size_t i = 0; i < nc && a->nfuncs < ADVICE_MAX; i++) {
		if ((double)named >= ADVICE_COVERAGE * (double)comp)
			break;
		a->funcs[a->nfuncs++] = c[i].func;
		named += c[i].comp;
	}
	free(c);
	a->named_share = a->share * (double)named / (double)comp;
	if (a->named_share > a->share)
		a->named_share = a->share;
	a->large = a->nfuncs > 0;
}

void cp_advice_free(struct cp_profile *p)
{
	free(p->advice.funcs);
	p->advice.funcs = NULL;
	p->advice.nfuncs = 0;
}

/*
 * The length of NAME gcc's list can match: gcc matches each entry as a
 * part of a function's user-visible name, so foo.part.0 and a C++
 * name's parameters are left out; 0 for a name with a comma left, which
 * the list cannot hold.
 */
static size_t list_name(const char *name)
{
	size_t n = strcspn(name, ".(");

	return memchr(name, ',', n) != NULL || memchr(name, ' ', n) != NULL ? 0
									    : n;
}

void cp_advice_line(FILE *f, const struct cp_profile *p)
{
	const struct cp_advice *a = &p->advice;
	int first = 1;

	if (a->compiler != NULL && strcmp(a->compiler, "clang") == 0) {
		fputs("-fxray-instrument -fxray-instruction-threshold=1", f);
		return;
	}
	fputs("-finstrument-functions-exclude-function-list=", f);
	for (size_t i = 0; i < a->nfuncs; i++) {
		const char *name = p->funcs[a->funcs[i]].name;
		size_t n = list_name(name);

		if (n == 0)
			continue;
		if (!first)
			fputc(',', f);
		fwrite(name, 1, n, f);
		first = 0;
	}
}
