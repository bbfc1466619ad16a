/*
 * export-pprof.c - report --format pprof: the run as a pprof profile
 * (profile.proto, gzip-compressed), which go tool pprof, Pyroscope and
 * Parca read.
 *
 * One sample per node of the run's calling-context tree (cct.h), its
 * stack the node's path, innermost first, and its values what the node
 * holds itself: calls, self time in nanoseconds, samples, and each
 * counter's self count. pprof's flat value of a function is then its
 * self, its cumulative value its total (a path never holds a function
 * twice), as in cprof's table. One function and one location per row of
 * the table (name, file, line), one mapping per object with its
 * build-id (from the map chunks, through the tap). The tree is built
 * during the replay, so memory follows the distinct call paths, not the
 * events; the message is encoded by protobuf-c (from cli/pprof.proto)
 * straight into zlib's gzip stream.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cct.h"
#include "cli/pprof.pb-c.h"
#include "export.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* An object of the run's load maps: the first place it was seen. */
struct obj {
	const char *path, *base; /* interned; base: what cp_func.object is */
	char *build_id;		 /* hex, "" when none */
	uint64_t start, limit;
};

struct pprof {
	struct cp_profile *p;
	struct obj *objs;
	size_t nobjs, capobjs;
	/* The string table, and its index by content. */
	char **strs;
	size_t nstrs, capstrs;
	struct cp_index str_ix;
};

/* Strings. */

struct str_key {
	const struct pprof *pp;
	const char *s;
};

static int str_eq(const void *ctx, uint32_t id)
{
	const struct str_key *k = ctx;

	return strcmp(k->pp->strs[id], k->s) == 0;
}

/* The index of S in the string table, added if new. */
static int64_t str(struct pprof *pp, const char *s)
{
	struct str_key k = {pp, s != NULL ? s : ""};
	uint64_t h = cp_hash_bytes(k.s, strlen(k.s));
	uint32_t id = cp_index_find(&pp->str_ix, h, str_eq, &k);

	if (id != CP_INDEX_NONE)
		return id;
	pp->strs =
		xgrow(pp->strs, &pp->capstrs, pp->nstrs + 1, sizeof *pp->strs);
	pp->strs[pp->nstrs] = xstrdup(k.s);
	cp_index_add(&pp->str_ix, h, (uint32_t)pp->nstrs);
	return (int64_t)pp->nstrs++;
}

/* Objects, from the tap. */

static void on_map(void *arg, struct proc *pr, const struct cp_log_obj *objs,
		   size_t n)
{
	struct pprof *pp = arg;

	for (size_t i = 0; i < n; i++) {
		const struct cp_log_obj *o = &objs[i];
		const char *path = o->path.len ? intern(pr, o->path) : pr->exe;
		const char *slash = strrchr(path, '/');
		struct obj *b;
		size_t j;

		for (j = 0; j < pp->nobjs; j++)
			if (pp->objs[j].path == path)
				break;
		if (j < pp->nobjs)
			continue;
		pp->objs = xgrow(pp->objs, &pp->capobjs, pp->nobjs + 1,
				 sizeof *pp->objs);
		b = &pp->objs[pp->nobjs++];
		b->path = path;
		b->base = slash != NULL ? cp_pool_str(pr->ld->pool, slash + 1)
					: path;
		b->build_id = xmalloc(2 * o->build_id.len + 1);
		for (size_t k = 0; k < o->build_id.len; k++)
			snprintf(b->build_id + 2 * k, 3, "%02x",
				 (unsigned char)o->build_id.ptr[k]);
		b->build_id[2 * o->build_id.len] = '\0';
		b->start = UINT64_MAX;
		b->limit = 0;
		for (size_t k = 0; k < o->nsegs; k++) {
			if (o->segs[2 * k] < b->start)
				b->start = o->segs[2 * k];
			if (o->segs[2 * k + 1] > b->limit)
				b->limit = o->segs[2 * k + 1];
		}
		if (b->start == UINT64_MAX)
			b->start = 0;
	}
}

static const struct cp_tap pprof_tap = {.map = on_map};

/* The gzip stream protobuf-c writes into. */

struct gz {
	ProtobufCBuffer base;
	z_stream z;
	FILE *f;
	int err;
};

static void gz_write(struct gz *g, int flush)
{
	unsigned char out[65536];

	do {
		g->z.next_out = out;
		g->z.avail_out = sizeof out;
		if (deflate(&g->z, flush) == Z_STREAM_ERROR)
			g->err = 1;
		if (fwrite(out, 1, sizeof out - g->z.avail_out, g->f) !=
		    sizeof out - g->z.avail_out)
			g->err = 1;
	} while (g->z.avail_out == 0);
}

static void gz_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct gz *g = (struct gz *)b;

	g->z.next_in = (unsigned char *)(uintptr_t)data;
	g->z.avail_in = (uInt)len;
	gz_write(g, Z_NO_FLUSH);
}

/* Samples: one per node of the tree with a value of its own. */

struct walk {
	struct pprof *pp;
	const struct cp_cct *t;
	size_t nvals, samples_at, counters_at;
	Sample **s;
	size_t ns, caps;
};

static int visit(void *arg, const struct cp_cct *t, uint32_t id,
		 const uint32_t *path, size_t depth)
{
	struct walk *w = arg;
	const struct cp_cct_node *n = cp_cct_node(t, id);
	const uint64_t *c = cp_cct_node_counts(t, id);
	size_t k = cp_cct_ncounters(t);
	int64_t *v = xcalloc(w->nvals, sizeof *v);
	int any = 0;
	Sample *s;

	v[0] = (int64_t)n->calls;
	v[1] = (int64_t)n->self;
	if (w->samples_at)
		v[w->samples_at] = (int64_t)n->samples;
	for (size_t j = 0; j < k && w->counters_at; j++)
		v[w->counters_at + j] = (int64_t)c[j];
	for (size_t j = 0; j < w->nvals; j++)
		any |= v[j] != 0;
	if (!any) {
		free(v);
		return 0;
	}
	s = xmalloc(sizeof *s);
	perftools__profiles__sample__init(s);
	s->n_value = w->nvals;
	s->value = v;
	s->n_location_id = depth + 1;
	s->location_id = xmalloc((depth + 1) * sizeof *s->location_id);
	for (size_t j = 0; j <= depth; j++)
		s->location_id[j] = (uint64_t)path[depth - j] + 1;
	w->s = xgrow(w->s, &w->caps, w->ns + 1, sizeof *w->s);
	w->s[w->ns++] = s;
	return 0;
}

static ValueType *value_type(struct pprof *pp, const char *type,
			     const char *unit)
{
	ValueType *v = xmalloc(sizeof *v);

	perftools__profiles__value_type__init(v);
	v->type = str(pp, type);
	v->unit = str(pp, unit);
	return v;
}

/* What the run lacks, as the profile's comments. */
static void comments(struct pprof *pp, Profile *m)
{
	const struct cp_profile *p = pp->p;
	char buf[512];

	m->comment = xcalloc(p->nprocs + 1, sizeof *m->comment);
	m->comment[m->n_comment++] = str(pp, "cprof " PACKAGE_VERSION);
	for (size_t i = 0; i < p->nprocs; i++) {
		const struct cp_process *pr = &p->procs[i];

		if (pr->finished && pr->skipped_bytes == 0)
			continue;
		snprintf(buf, sizeof buf,
			 "process %d: %s: data up to its last flush", pr->pid,
			 pr->finished ? "truncated log" : pr->state);
		m->comment[m->n_comment++] = str(pp, buf);
	}
}

static int write_profile(struct pprof *pp, FILE *f)
{
	const struct cp_profile *p = pp->p;
	const struct cp_cct *t = p->cct;
	Profile m;
	struct walk w;
	struct gz g;
	uint64_t samples = 0;
	size_t k = p->ncounters, ntypes;
	int rc;

	perftools__profiles__profile__init(&m);
	memset(&w, 0, sizeof w);
	str(pp, "");
	for (size_t i = 0; i < p->nfuncs; i++)
		samples += p->funcs[i].samples;

	/* Sample types: calls, self time, samples when any, counters. */
	ntypes = 2 + (samples > 0) + k;
	m.sample_type = xcalloc(ntypes, sizeof *m.sample_type);
	m.sample_type[m.n_sample_type++] = value_type(pp, "calls", "count");
	m.sample_type[m.n_sample_type++] =
		value_type(pp, "time", "nanoseconds");
	if (samples > 0) {
		w.samples_at = m.n_sample_type;
		m.sample_type[m.n_sample_type++] =
			value_type(pp, "samples", "count");
	}
	w.counters_at = k > 0 ? m.n_sample_type : 0;
	for (size_t j = 0; j < k; j++)
		m.sample_type[m.n_sample_type++] =
			value_type(pp, p->counters[j].name,
				   p->counters[j].ns ? "nanoseconds" : "count");
	/* A run without marker calls is its samples. */
	m.default_sample_type = str(
		pp, p->total_self_ns == 0 && samples > 0 ? "samples" : "time");
	m.period_type = value_type(pp, "time", "nanoseconds");
	m.period = 1;
	if (p->has_meta) {
		m.time_nanos = (int64_t)p->meta_start_ns;
		if (p->meta_end_ns > p->meta_start_ns)
			m.duration_nanos =
				(int64_t)(p->meta_end_ns - p->meta_start_ns);
	}

	/* Mappings, then a function and a location per row. */
	m.mapping = xcalloc(pp->nobjs ? pp->nobjs : 1, sizeof *m.mapping);
	for (size_t i = 0; i < pp->nobjs; i++) {
		Mapping *mp = xmalloc(sizeof *mp);

		perftools__profiles__mapping__init(mp);
		mp->id = i + 1;
		mp->memory_start = pp->objs[i].start;
		mp->memory_limit = pp->objs[i].limit;
		mp->filename = str(pp, pp->objs[i].path);
		mp->build_id = str(pp, pp->objs[i].build_id);
		mp->has_functions = 1;
		mp->has_filenames = 1;
		mp->has_line_numbers = 1;
		m.mapping[m.n_mapping++] = mp;
	}
	m.function = xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *m.function);
	m.location = xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *m.location);
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct cp_func *cf = &p->funcs[i];
		Function *fn = xmalloc(sizeof *fn);
		Location *loc = xmalloc(sizeof *loc);
		Line *ln = xmalloc(sizeof *ln);

		perftools__profiles__function__init(fn);
		fn->id = i + 1;
		fn->name = str(pp, cf->name);
		fn->system_name = fn->name;
		fn->filename = str(pp, cf->file);
		fn->start_line = cf->line;
		m.function[m.n_function++] = fn;
		perftools__profiles__location__init(loc);
		perftools__profiles__line__init(ln);
		loc->id = i + 1;
		for (size_t j = 0; cf->object != NULL && j < pp->nobjs; j++) {
			if (pp->objs[j].base == cf->object ||
			    strcmp(pp->objs[j].base, cf->object) == 0) {
				loc->mapping_id = j + 1;
				break;
			}
		}
		ln->function_id = i + 1;
		ln->line = cf->line;
		loc->n_line = 1;
		loc->line = xmalloc(sizeof *loc->line);
		loc->line[0] = ln;
		m.location[m.n_location++] = loc;
	}

	w.pp = pp;
	w.t = t;
	w.nvals = m.n_sample_type;
	if (t != NULL)
		cp_cct_walk(t, visit, &w);
	m.n_sample = w.ns;
	m.sample = w.s;
	comments(pp, &m);
	m.n_string_table = pp->nstrs;
	m.string_table = pp->strs;

	memset(&g, 0, sizeof g);
	g.base.append = gz_append;
	g.f = f;
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&g.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("zlib cannot start a gzip stream");
	protobuf_c_message_pack_to_buffer(&m.base, &g.base);
	g.z.avail_in = 0;
	gz_write(&g, Z_FINISH);
	deflateEnd(&g.z);
	rc = g.err ? -1 : 0;

	/* The strings belong to the table, freed by the caller. */
	m.n_string_table = 0;
	m.string_table = NULL;
	for (size_t i = 0; i < m.n_location; i++) {
		free(m.location[i]->line[0]);
		free(m.location[i]->line);
	}
	for (size_t i = 0; i < m.n_sample; i++) {
		free(m.sample[i]->value);
		free(m.sample[i]->location_id);
	}
#define FREE_ALL(a, n)                              \
	do {                                        \
		for (size_t i_ = 0; i_ < (n); i_++) \
			free((a)[i_]);              \
		free(a);                            \
	} while (0)
	FREE_ALL(m.sample_type, m.n_sample_type);
	FREE_ALL(m.mapping, m.n_mapping);
	FREE_ALL(m.function, m.n_function);
	FREE_ALL(m.location, m.n_location);
	FREE_ALL(m.sample, m.n_sample);
	free(m.period_type);
	free(m.comment);
	return rc;
}

int cp_export_pprof(struct cp_profile *p, const char *run,
		    const struct cp_export_opts *o, struct cp_xout *out)
{
	struct pprof pp;
	int rc = 0;

	(void)o;
	memset(&pp, 0, sizeof pp);
	pp.p = p;
	p->want_cct = 1;
	if (cp_profile_load_tap(p, run, &pprof_tap, &pp) != 0)
		rc = -1;
	else if (write_profile(&pp, cp_xout_file(out)) != 0)
		fatal("%s", out->path != NULL ? out->path : "stdout");
	for (size_t i = 0; i < pp.nobjs; i++)
		free(pp.objs[i].build_id);
	free(pp.objs);
	for (size_t i = 0; i < pp.nstrs; i++)
		free(pp.strs[i]);
	free(pp.strs);
	cp_index_clear(&pp.str_ix);
	return rc;
}
