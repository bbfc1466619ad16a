/*
 * reference.c - a hooked run merged with a sampled run of the plain build
 * (--reference, doc/design.md "Reference runs").
 *
 * A build with compiler hooks counts every call exactly, but its times
 * carry the hooks' cost and the inlining the hooks prevented. The plain
 * build of the same sources, sampled, has the true self times but no
 * counts. A run directory that holds both (the hooked run in RUN, the
 * plain one in RUN/reference) is loaded as one profile whose rows are
 * merged by function, name and object: calls from the hooked run; self
 * time, counters and samples from the plain run; totals from the plain
 * run's callchains when it has sound ones, else the hooked run's totals
 * scaled to the plain run's time. A function the plain build does not
 * have (it was inlined: no symbol of its name in the plain executable)
 * keeps its exact calls, has no self time of its own, and is marked, its
 * time being in its callers' self.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* From the C++ runtime (the library links -lstdc++): the ABI's demangler. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

int cp_reference_present(const char *dir)
{
	struct stat sb;
	char *ref;
	int yes;

	if (asprintf(&ref, "%s/%s", dir, CP_RUN_REFERENCE) < 0)
		fatalx("out of memory");
	yes = lstat(ref, &sb) == 0 && S_ISDIR(sb.st_mode);
	free(ref);
	return yes;
}

uint64_t cp_reference_bytes(const char *dir)
{
	uint64_t bytes = 0;
	char *ref;

	if (!cp_reference_present(dir))
		return 0;
	if (asprintf(&ref, "%s/%s", dir, CP_RUN_REFERENCE) < 0)
		fatalx("out of memory");
	cp_run_logs(ref, &bytes);
	free(ref);
	return bytes;
}

static const char *basename_of(const char *path)
{
	const char *s;

	if (path == NULL)
		return NULL;
	s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

/*
 * One name per source function: the two builds clone differently, so
 * gcc's clones (foo.part.0, foo.constprop.0, foo.isra.0, foo.cold, and
 * C++'s "foo() [clone .isra.0]") are the function they were cut from.
 */
static const char *fold(struct cp_pool *pool, const char *name)
{
	static const char *const kinds[] = {
		"part",	 "constprop", "isra",	   "cold",
		"clone", "lto_priv",  "localalias"};
	const char *dot, *cl;

	if (name == NULL)
		return NULL;
	if ((cl = strstr(name, " [clone .")) != NULL)
		return cp_pool_intern(pool, name, (size_t)(cl - name));
	for (dot = strchr(name, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			size_t n = strlen(kinds[i]);

			if (dot > name && strncmp(dot + 1, kinds[i], n) == 0 &&
			    (dot[1 + n] == '\0' || dot[1 + n] == '.'))
				return cp_pool_intern(pool, name,
						      (size_t)(dot - name));
		}
	}
	return name;
}

/* A set of interned strings, compared by pointer. */
struct nameset {
	const char **names;
	size_t n, cap;
	struct cp_index ix;
};

struct name_key {
	const struct nameset *set;
	const char *name;
};

static int name_eq(const void *ctx, uint32_t id)
{
	const struct name_key *k = ctx;

	return k->set->names[id] == k->name;
}

static int in_set(const struct nameset *set, const char *name)
{
	struct name_key k = {set, name};

	return cp_index_find(&set->ix, cp_hash_u64((uintptr_t)name), name_eq,
			     &k) != CP_INDEX_NONE;
}

static void set_add(struct nameset *set, const char *name)
{
	if (in_set(set, name))
		return;
	set->names =
		xgrow(set->names, &set->cap, set->n + 1, sizeof *set->names);
	set->names[set->n] = name;
	cp_index_add(&set->ix, cp_hash_u64((uintptr_t)name),
		     (uint32_t)set->n++);
}

static void set_free(struct nameset *set)
{
	free(set->names);
	cp_index_clear(&set->ix);
}

/* Add the symbols of section type TYPE of E to SET; 0 when E has none. */
static int add_symbols(struct cp_pool *pool, Elf *e, Elf64_Word type,
		       struct nameset *set)
{
	Elf_Scn *scn = NULL;
	int found = 0;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != type ||
		    sh.sh_entsize == 0)
			continue;
		found = 1;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d != NULL && i < sh.sh_size / sh.sh_entsize;
		     i++) {
			GElf_Sym sym;
			const char *name;
			char *dm = NULL;
			int st = -1, kind;

			if (gelf_getsym(d, (int)i, &sym) == NULL)
				continue;
			kind = GELF_ST_TYPE(sym.st_info);
			if ((kind != STT_FUNC && kind != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name == NULL || *name == '\0')
				continue;
			if (name[0] == '_' && name[1] == 'Z')
				dm = __cxa_demangle(name, NULL, NULL, &st);
			set_add(set,
				fold(pool,
				     cp_pool_str(pool, dm != NULL && st == 0
							       ? dm
							       : name)));
			free(dm);
		}
	}
	return found;
}

/*
 * The function names of the executable PATH (folded, demangled, interned
 * in POOL) into SET: its symbol table, else its dynamic symbols. -1 when
 * it cannot be read or has neither.
 */
static int exe_functions(struct cp_pool *pool, const char *path,
			 struct nameset *set)
{
	int fd, found;
	Elf *e;

	if (path == NULL || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((e = elf_begin(fd, ELF_C_READ, NULL)) == NULL) {
		close(fd);
		return -1;
	}
	found = add_symbols(pool, e, SHT_SYMTAB, set) ||
		add_symbols(pool, e, SHT_DYNSYM, set);
	elf_end(e);
	close(fd);
	return found ? 0 : -1;
}

/* A row of the merged profile, as the two runs fill it. */
struct mrow {
	const char *name, *object, *file;
	int line;
	int hooked, plain, runtime;
	uint64_t calls, hself, htotal;	/* the hooked run's */
	uint64_t lead_self, lead_total; /* the plain run's leader counts */
	uint64_t samples;
	struct cp_count *counts; /* the plain run's counters */
};

struct merge {
	struct mrow *rows;
	size_t n, cap;
	struct cp_index ix;
	size_t ncounters;
};

struct row_key {
	const struct merge *m;
	const char *name, *object;
};

static int row_eq(const void *ctx, uint32_t id)
{
	const struct row_key *k = ctx;

	return k->m->rows[id].name == k->name &&
	       k->m->rows[id].object == k->object;
}

/* The row of (NAME, OBJECT), both interned; added if new. */
static struct mrow *row_get(struct merge *m, const struct cp_func *f,
			    const char *name, const char *object)
{
	struct row_key k = {m, name, object};
	uint64_t h =
		cp_hash_u64((uintptr_t)name ^ cp_hash_u64((uintptr_t)object));
	uint32_t id = cp_index_find(&m->ix, h, row_eq, &k);
	struct mrow *r;

	if (id != CP_INDEX_NONE)
		return &m->rows[id];
	m->rows = xgrow(m->rows, &m->cap, m->n + 1, sizeof *m->rows);
	r = &m->rows[m->n];
	memset(r, 0, sizeof *r);
	r->name = name;
	r->object = object;
	r->file = f->file;
	r->line = f->line;
	if (m->ncounters > 0)
		r->counts = xcalloc(m->ncounters, sizeof *r->counts);
	cp_index_add(&m->ix, h, (uint32_t)m->n++);
	return r;
}

/* The plain run's leader: the first sampling counter, or -1. */
static int leader_of(const struct cp_profile *q)
{
	for (size_t k = 0; k < q->ncounters; k++) {
		if (q->counters[k].leader)
			return (int)k;
	}
	return -1;
}

/* V * NUM / DEN, rounded down, saturating; 0 when DEN is 0. */
static uint64_t mul_div(uint64_t v, uint64_t num, uint64_t den)
{
	unsigned __int128 x;

	if (den == 0)
		return 0;
	x = (unsigned __int128)v * num / den;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/*
 * The on-CPU time the plain run's leader counts stand for: themselves
 * when it counts nanoseconds (task-clock, cpu-clock), else the time its
 * group was enabled on the threads (a task's counters are enabled while
 * it runs), else, without counts chunks, the threads' lives.
 */
static uint64_t plain_cpu_ns(const struct cp_profile *q, int k0)
{
	const struct cp_counter *c = &q->counters[k0];
	uint64_t ns = 0;

	if (c->ns)
		return c->total_self;
	if (c->enabled > 0)
		return c->enabled;
	for (size_t i = 0; i < q->nthreads; i++) {
		if (q->threads[i].end_ns > q->threads[i].start_ns)
			ns += q->threads[i].end_ns - q->threads[i].start_ns;
	}
	return ns;
}

/* Do the plain run's samples carry callchains that can be believed? */
static int sound_chains(const struct cp_profile *q)
{
	uint64_t chains = 0, broken = 0;

	for (size_t i = 0; i < q->nprocs; i++) {
		chains += q->procs[i].callchains;
		broken += q->procs[i].broken_chains;
	}
	/* As the table's header: from 1% broken, totals are unreliable. */
	return chains > 0 && broken * 100 < chains;
}

/* The hooked run's per-thread rows and totals: not kept (see below). */
static void drop_thread_rows(struct cp_profile *p)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		struct cp_thread *t = &p->threads[i];

		for (size_t j = 0; j < t->nfuncs; j++)
			free(t->funcs[j].counts);
		free(t->funcs);
		free(t->totals);
		t->funcs = NULL;
		t->nfuncs = 0;
		t->totals = NULL;
	}
}

/*
 * Merge the plain run Q into the hooked run P, in place; both share P's
 * pool. The threads and processes stay the hooked run's, but without
 * their per-function rows and counter totals: those of a thread are its
 * hooked times, which the merged rows replace, and the counters are now
 * the plain run's (--threads is refused with a reference).
 */
static void merge(struct cp_profile *p, const struct cp_profile *q)
{
	struct cp_pool *pool = p->pool;
	struct cp_reference *r = xcalloc(1, sizeof *r);
	struct merge m;
	struct nameset syms;
	const char *hobj = NULL, *pobj = NULL;
	uint64_t lead_sum = 0;
	int k0 = leader_of(q);

	memset(&m, 0, sizeof m);
	memset(&syms, 0, sizeof syms);
	m.ncounters = q->ncounters;
	if (p->nprocs > 0 && p->procs[0].exe != NULL)
		hobj = cp_pool_str(pool, basename_of(p->procs[0].exe));
	if (q->nprocs > 0 && q->procs[0].exe != NULL) {
		pobj = cp_pool_str(pool, basename_of(q->procs[0].exe));
		r->exe = q->procs[0].exe;
		r->symbols = exe_functions(pool, q->procs[0].exe, &syms) == 0;
	}
	r->nprocs = q->nprocs;
	for (size_t i = 0; i < q->nprocs; i++)
		r->events += q->procs[i].events;
	r->has_meta = q->has_meta;
	r->status = q->status;
	if (k0 >= 0) {
		r->event = q->counters[k0].name;
		r->samples = q->counters[k0].samples;
		r->cpu_ns = plain_cpu_ns(q, k0);
		lead_sum = q->counters[k0].total_self;
	}
	r->chains = k0 >= 0 && sound_chains(q);
	if (p->total_self_ns > 0)
		r->scale = (double)r->cpu_ns / (double)p->total_self_ns;

	/* Calls, and the totals to scale, from the hooked run. */
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct cp_func *f = &p->funcs[i];
		struct mrow *row;

		if (f->st.calls == 0)
			continue;
		row = row_get(&m, f, fold(pool, f->name), f->object);
		row->hooked = 1;
		row->calls += f->st.calls;
		row->hself += f->st.self_ns;
		row->htotal += f->st.total_ns;
	}
	/* Self time, counters and samples from the plain run. */
	for (size_t i = 0; i < q->nfuncs; i++) {
		const struct cp_func *f = &q->funcs[i];
		const char *obj = f->object;
		struct mrow *row;

		/*
		 * A row of the plain run with no self count of its own only
		 * carries totals, from callchains: kept when they are used.
		 */
		if (f->counts == NULL ||
		    (k0 >= 0 && f->counts[k0].self == 0 &&
		     (!r->chains || f->counts[k0].total == 0)))
			continue;
		if (obj != NULL && obj == pobj)
			obj = hobj;
		row = row_get(&m, f, fold(pool, f->name), obj);
		row->plain = 1;
		row->runtime |= f->runtime;
		row->samples += f->samples;
		if (row->file == NULL) {
			row->file = f->file;
			row->line = f->line;
		}
		for (size_t k = 0; k < q->ncounters; k++) {
			row->counts[k].self += f->counts[k].self;
			row->counts[k].total += f->counts[k].total;
		}
		if (k0 >= 0) {
			row->lead_self += f->counts[k0].self;
			row->lead_total += f->counts[k0].total;
		}
	}

	/* The merged rows replace the hooked run's. */
	for (size_t i = 0; i < p->nfuncs; i++)
		free(p->funcs[i].counts);
	free(p->funcs);
	p->funcs = xcalloc(m.n ? m.n : 1, sizeof *p->funcs);
	p->nfuncs = m.n;
	p->total_self_ns = 0;
	for (size_t i = 0; i < m.n; i++) {
		const struct mrow *row = &m.rows[i];
		struct cp_func *f = &p->funcs[i];
		uint64_t self = mul_div(row->lead_self, r->cpu_ns, lead_sum);

		f->name = row->name;
		f->object = row->object;
		f->file = row->file;
		f->line = row->line;
		f->st.calls = row->calls;
		f->st.self_ns = self;
		f->counts = row->counts;
		f->samples = row->samples;
		f->runtime = row->runtime;
		f->ref = 1;
		f->ref_inlined = row->hooked && !row->plain && r->symbols &&
				 row->object != NULL && row->object == hobj &&
				 !in_set(&syms, row->name);
		r->inlined += f->ref_inlined;
		if (row->plain && r->chains) {
			f->ref_total = CP_REF_TOTAL_CHAINS;
			f->st.total_ns =
				mul_div(row->lead_total, r->cpu_ns, lead_sum);
		} else if (row->hooked) {
			/* Its own time the plain run's, its callees' scaled. */
			uint64_t kids = row->htotal > row->hself
						? row->htotal - row->hself
						: 0;

			f->ref_total = CP_REF_TOTAL_SCALED;
			f->st.total_ns =
				self + (uint64_t)((double)kids * r->scale);
		} else {
			f->ref_total = CP_REF_TOTAL_SELF;
			f->st.total_ns = self;
		}
		if (f->st.total_ns < self)
			f->st.total_ns = self;
		p->total_self_ns += self;
	}

	/* The plain run's counters, which the rows' counts follow. */
	free(p->counters);
	p->counters = NULL;
	p->ncounters = q->ncounters;
	if (q->ncounters > 0) {
		p->counters = xcalloc(q->ncounters, sizeof *p->counters);
		memcpy(p->counters, q->counters,
		       q->ncounters * sizeof *p->counters);
	}
	drop_thread_rows(p);
	/* The check compared the hooked run's time with its own samples. */
	p->has_dist = 0;
	p->dist_samples = 0;
	p->ref = r;

	free(m.rows);
	cp_index_clear(&m.ix);
	set_free(&syms);
}

int cp_reference_load(struct cp_profile *p, const char *path)
{
	struct cp_profile q;
	struct stat sb;
	uint64_t bytes;
	char *ref;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    !cp_reference_present(path))
		return cp_profile_load(p, path);
	if (cp_profile_load(p, path) != 0)
		return -1;
	if (asprintf(&ref, "%s/%s", path, CP_RUN_REFERENCE) < 0)
		fatalx("out of memory");
	if (cp_run_logs(ref, &bytes) == 0) {
		warnx("%s: the reference run recorded nothing: the profile is "
		      "the hooked run's alone",
		      ref);
		free(ref);
		return 0;
	}
	/* One pool: the rows of both runs are keyed by interned strings. */
	memset(&q, 0, sizeof q);
	q.pool = p->pool;
	/* A reference that cannot be read costs the merge, not the report. */
	if (cp_profile_load(&q, ref) != 0) {
		warnx("%s: the reference run cannot be read: the profile is "
		      "the hooked run's alone",
		      ref);
		q.pool = NULL;
		cp_profile_free(&q);
		free(ref);
		return 0;
	}
	merge(p, &q);
	q.pool = NULL;
	cp_profile_free(&q);
	free(ref);
	return 0;
}
