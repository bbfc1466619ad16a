/*
 * symbols.c - function names and source lines for recorded addresses.
 *
 * A log records where each ELF object was loaded (its `map` chunks) and
 * the entry addresses of instrumented functions. This file turns such an
 * address back into a name with elfutils' libdwfl, offline: the object
 * that holds the address is found by its recorded segments, its file is
 * opened once, its build-id compared with the recorded one, and libdwfl
 * reads its symbol table (.symtab, so static functions are named too, or
 * a separate debug file found by build-id) and its DWARF line table.
 *
 * Each object is symbolized once, not per address: libdwfl's own symbol
 * look-up (dwfl_module_addrinfo) scans the whole symbol table, and
 * dwarf_getscopes walks a whole compilation unit, so naming every
 * function of a large program that way takes time in the square of its
 * size. Instead the symbol table is read once into an array sorted by
 * address, and each compilation unit's functions (DWARF subprograms: their
 * address ranges and declaration lines) once, when the first address in
 * it is named; a look-up is then a binary search in each.
 *
 * Each file is reported to libdwfl at bias 0 and queried with the
 * address minus the recorded load bias. Every process that loaded the
 * same file therefore shares one module and one cache, whatever address
 * ASLR chose for it, which matters for runs of many short processes.
 *
 * A process's map only grows: an object loaded where another one was
 * (dlclose, then dlopen) is added after it, and an address is named with
 * the map as it stood when the address was first seen, its generation.
 *
 * An address that cannot be named is shown as "object+0xOFFSET" (offset
 * from the object's load bias), or "0xADDR" when no object holds it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>

#include "cli.h"

/* From the C++ runtime (we link -lstdc++): the ABI's demangler. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

struct symres {
	uint64_t off;
	const char *name; /* NULL when the file has no symbol there */
	const char *file;
	int line;
};

/*
 * An address range of the symbol table or of the DWARF, sorted by start;
 * reach is the largest end of it and every range before it, so that a
 * search going back from the last start at or below an address knows
 * when no earlier range can hold it.
 */
struct span {
	uint64_t lo, hi, reach;
	const char *name; /* symbols: the raw name; DWARF: the decl file */
	int rank;	  /* symbols: higher wins a tie; DWARF: decl line */
	size_t seq;	  /* the order it was read in */
};

struct spans {
	struct span *v;
	size_t n, cap;
};

/* The functions of one DWARF compilation unit, by its offset. */
struct cutab {
	Dwarf_Off off;
	struct spans fn;
};

/* An ELF file as recorded: path and build-id. */
struct objfile {
	const char *path;     /* interned */
	const char *basename; /* interned */
	unsigned char *build_id;
	size_t build_id_len;
	enum { OBJ_UNOPENED, OBJ_OK, OBJ_UNUSABLE } state;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct spans sized;    /* symbols with a size */
	struct spans sizeless; /* labels: symbols without one */
	struct cutab *cus;     /* compilation units read so far */
	size_t ncus, capcus;
	struct cp_index cu_ix; /* CU offset -> cus */
	struct cp_index cache; /* offset -> res */
	struct symres *res;
	size_t nres, capres;
};

struct cp_symbols {
	struct cp_pool *pool;
	struct objfile **files;
	size_t nfiles, capfiles;
	struct cp_index ix;
};

/* One loaded object of a process. */
struct mapobj {
	struct objfile *file;
	uint64_t base;
	uint64_t *segs; /* nsegs pairs: start, end */
	size_t nsegs;
};

struct cp_symmap {
	struct cp_symbols *syms;
	const char *exe;
	struct mapobj *objs;
	size_t nobjs, capobjs;
};

struct cp_symbols *cp_symbols_new(struct cp_pool *pool)
{
	struct cp_symbols *syms = xcalloc(1, sizeof *syms);

	syms->pool = pool;
	return syms;
}

void cp_symbols_free(struct cp_symbols *syms)
{
	if (syms == NULL)
		return;
	for (size_t i = 0; i < syms->nfiles; i++) {
		struct objfile *f = syms->files[i];

		if (f->dwfl != NULL)
			dwfl_end(f->dwfl);
		free(f->sized.v);
		free(f->sizeless.v);
		for (size_t j = 0; j < f->ncus; j++)
			free(f->cus[j].fn.v);
		free(f->cus);
		cp_index_clear(&f->cu_ix);
		cp_index_clear(&f->cache);
		free(f->res);
		free(f->build_id);
		free(f);
	}
	free(syms->files);
	cp_index_clear(&syms->ix);
	free(syms);
}

struct file_key {
	const struct cp_symbols *syms;
	const char *path;
	const struct cp_bytes *id;
};

static int file_eq(const void *ctx, uint32_t i)
{
	const struct file_key *k = ctx;
	const struct objfile *f = k->syms->files[i];

	return f->path == k->path && f->build_id_len == k->id->len &&
	       (k->id->len == 0 ||
		memcmp(f->build_id, k->id->ptr, k->id->len) == 0);
}

static struct objfile *file_get(struct cp_symbols *syms, const char *path,
				const struct cp_bytes *id)
{
	struct file_key k = {syms, path, id};
	uint64_t h =
		cp_hash_u64((uintptr_t)path ^ cp_hash_bytes(id->ptr, id->len));
	uint32_t i = cp_index_find(&syms->ix, h, file_eq, &k);
	struct objfile *f;
	const char *slash;

	if (i != CP_INDEX_NONE)
		return syms->files[i];
	f = xcalloc(1, sizeof *f);
	f->path = path;
	slash = strrchr(path, '/');
	f->basename = slash != NULL	? cp_pool_str(syms->pool, slash + 1)
		      : path[0] != '\0' ? path
					: cp_pool_str(syms->pool, "(exe)");
	if (id->len > 0) {
		f->build_id = xmalloc(id->len);
		memcpy(f->build_id, id->ptr, id->len);
		f->build_id_len = id->len;
	}
	syms->files = xgrow(syms->files, &syms->capfiles, syms->nfiles + 1,
			    sizeof *syms->files);
	syms->files[syms->nfiles] = f;
	cp_index_add(&syms->ix, h, (uint32_t)syms->nfiles);
	syms->nfiles++;
	return f;
}

struct cp_symmap *cp_symmap_new(struct cp_symbols *syms, const char *exe)
{
	struct cp_symmap *map = xcalloc(1, sizeof *map);

	map->syms = syms;
	map->exe = cp_pool_str(syms->pool, exe != NULL ? exe : "");
	return map;
}

void cp_symmap_free(struct cp_symmap *map)
{
	if (map == NULL)
		return;
	for (size_t i = 0; i < map->nobjs; i++)
		free(map->objs[i].segs);
	free(map->objs);
	free(map);
}

static int holds(const struct mapobj *m, uint64_t addr)
{
	for (size_t j = 0; j < m->nsegs; j++) {
		if (addr >= m->segs[2 * j] && addr < m->segs[2 * j + 1])
			return 1;
	}
	return 0;
}

static int overlaps(const struct mapobj *a, const struct mapobj *b)
{
	for (size_t j = 0; j < b->nsegs; j++) {
		for (size_t k = 0; k < a->nsegs; k++) {
			if (b->segs[2 * j] < a->segs[2 * k + 1] &&
			    a->segs[2 * k] < b->segs[2 * j + 1])
				return 1;
		}
	}
	return 0;
}

static int same_entry(const struct mapobj *a, const struct mapobj *b)
{
	return a->file == b->file && a->base == b->base &&
	       a->nsegs == b->nsegs &&
	       (a->nsegs == 0 ||
		memcmp(a->segs, b->segs, a->nsegs * 2 * sizeof *a->segs) == 0);
}

void cp_symmap_add(struct cp_symmap *map, const struct cp_log_obj *obj)
{
	const char *path = obj->path.len == 0 ? map->exe
					      : cp_pool_intern(map->syms->pool,
							       obj->path.ptr,
							       obj->path.len);
	struct mapobj m;

	m.file = file_get(map->syms, path, &obj->build_id);
	m.base = obj->base;
	m.nsegs = obj->nsegs;
	m.segs = xmalloc((obj->nsegs ? obj->nsegs : 1) * 2 * sizeof *m.segs);
	if (obj->nsegs > 0)
		memcpy(m.segs, obj->segs, obj->nsegs * 2 * sizeof *m.segs);

	/*
	 * The runtime lists every object again in each map chunk: an entry
	 * that is still current changes nothing. One that something loaded
	 * later covered is added again, since it is current once more.
	 */
	for (size_t i = map->nobjs; i > 0; i--) {
		const struct mapobj *o = &map->objs[i - 1];

		if (same_entry(o, &m)) {
			free(m.segs);
			return;
		}
		if (overlaps(o, &m))
			break;
	}
	map->objs = xgrow(map->objs, &map->capobjs, map->nobjs + 1,
			  sizeof *map->objs);
	map->objs[map->nobjs++] = m;
}

size_t cp_symmap_gen(const struct cp_symmap *map)
{
	return map->nobjs;
}

/* The entry that held ADDR at generation GEN, or NULL. */
static const struct mapobj *owner(const struct cp_symmap *map, uint64_t addr,
				  size_t gen)
{
	for (size_t i = gen < map->nobjs ? gen : map->nobjs; i > 0; i--) {
		if (holds(&map->objs[i - 1], addr))
			return &map->objs[i - 1];
	}
	return NULL;
}

int cp_symmap_moved(const struct cp_symmap *map, uint64_t addr, size_t then,
		    size_t now)
{
	const struct mapobj *a = owner(map, addr, then);
	const struct mapobj *b = owner(map, addr, now);

	return a != NULL && b != NULL &&
	       (a->file != b->file || a->base != b->base);
}

static void spans_add(struct spans *s, uint64_t lo, uint64_t hi,
		      const char *name, int rank)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n] = (struct span){lo, hi, hi, name, rank, s->n};
	s->n++;
}

/* By start; at one start, the best rank last (the search goes back). */
static int span_cmp(const void *va, const void *vb)
{
	const struct span *a = va, *b = vb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	/* The same start and rank: the first in the file wins. */
	return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

static void spans_sort(struct spans *s)
{
	uint64_t reach = 0;

	/* An object without symbols has no array, and qsort wants one. */
	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof *s->v, span_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].hi > reach)
			reach = s->v[i].hi;
		s->v[i].reach = reach;
	}
}

/* The number of spans of S that start at or below OFF. */
static size_t spans_upto(const struct spans *s, uint64_t off)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].lo <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The span of S that holds OFF with the highest start (the innermost),
 * the best ranked of those that start there; NULL when none holds it.
 */
static const struct span *spans_find(const struct spans *s, uint64_t off)
{
	size_t i = spans_upto(s, off);

	for (; i > 0 && s->v[i - 1].reach > off; i--) {
		if (off < s->v[i - 1].hi)
			return &s->v[i - 1];
	}
	return NULL;
}

/*
 * Which of the symbols at one address names it: a global name before a
 * weak one before a local one (as libdwfl's own look-up prefers), then a
 * function before anything else, then the first in the table.
 */
static int sym_rank(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info), r;

	r = bind == STB_GLOBAL ? 4 : bind == STB_WEAK ? 2 : 0;
	if (GELF_ST_TYPE(sym->st_info) == STT_FUNC ||
	    GELF_ST_TYPE(sym->st_info) == STT_GNU_IFUNC)
		r++;
	return r;
}

/* Read F's symbol table (.symtab, or .dynsym) once, sorted by address. */
static void read_symtab(struct objfile *f)
{
	int n = dwfl_module_getsymtab(f->mod);

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name;
		int type;

		name = dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx,
					       NULL, NULL);
		if (name == NULL || name[0] == '\0')
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		/*
		 * Only what code addresses can fall in: not files, sections,
		 * thread-local data or what another object defines.
		 */
		if (type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS || shndx == SHN_UNDEF || shndx == SHN_ABS ||
		    shndx == (GElf_Word)-1)
			continue;
		if (sym.st_size > 0)
			spans_add(&f->sized, addr, addr + sym.st_size, name,
				  sym_rank(&sym));
		else
			spans_add(&f->sizeless, addr, addr + 1, name,
				  sym_rank(&sym));
	}
	spans_sort(&f->sized);
	spans_sort(&f->sizeless);
}

/*
 * The name of the symbol holding OFF: the innermost sized symbol that
 * holds it, else the last label at or below it, provided no sized symbol
 * ends between the two (as libdwfl decides).
 */
static const char *sym_at(const struct objfile *f, uint64_t off)
{
	const struct span *s = spans_find(&f->sized, off);
	size_t i, j;

	if (s != NULL)
		return s->name;
	i = spans_upto(&f->sizeless, off);
	if (i == 0)
		return NULL;
	/*
	 * No sized symbol holds OFF, so the reach below it is where the
	 * last one before it ended.
	 */
	j = spans_upto(&f->sized, off);
	if (j > 0 && f->sized.v[j - 1].reach > f->sizeless.v[i - 1].lo)
		return NULL;
	/* The best ranked label at that address is the last of its run. */
	return f->sizeless.v[i - 1].name;
}

/*
 * Add the address ranges of every function (DW_TAG_subprogram with code:
 * not an abstract inline instance or a declaration) under DIE to T, with
 * the line the function is declared at. That is the line to show for a
 * function: the line table at the entry address is the first statement's
 * once optimized, which moves with the compiler's choices.
 */
static void read_subprograms(Dwarf_Die *die, struct spans *t,
			     struct cp_pool *pool)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return;
	do {
		if (dwarf_tag(&child) == DW_TAG_subprogram) {
			Dwarf_Addr base, lo, hi;
			const char *file = dwarf_decl_file(&child);
			int line = 0;
			ptrdiff_t r = 0;

			/*
			 * elfutils (0.188) finds the declaration's line but
			 * not its file in clang's DWARF 5: the span keeps the
			 * line, and decl_line() takes the file from the line
			 * table.
			 */
			if (dwarf_decl_line(&child, &line) != 0)
				line = 0;
			if (file != NULL)
				file = cp_pool_str(pool, file);
			while ((file != NULL || line > 0) &&
			       (r = dwarf_ranges(&child, r, &base, &lo, &hi)) >
				       0) {
				if (hi > lo)
					spans_add(t, lo, hi, file, line);
			}
		}
		/*
		 * Functions nest in namespaces, classes, and other functions
		 * (GNU C nested functions, members of local classes).
		 */
		if (dwarf_haschildren(&child) > 0)
			read_subprograms(&child, t, pool);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cu_eq(const void *ctx, uint32_t i)
{
	const struct objfile *f = ((const struct objfile *const *)ctx)[0];
	const Dwarf_Off *off = ((const Dwarf_Off *const *)ctx)[1];

	return f->cus[i].off == *off;
}

/*
 * The declaration of the function holding OFF, from the DWARF of its
 * compilation unit, each unit read once. Returns 0 when found.
 */
static int decl_line(struct objfile *f, uint64_t off, struct symres *r,
		     struct cp_pool *pool)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu;
	Dwarf_Off cuoff;
	const void *ctx[2] = {f, &cuoff};
	const struct span *s;
	uint64_t h;
	uint32_t i;

	cu = dwfl_module_addrdie(f->mod, off, &bias);
	/*
	 * That lookup goes through .debug_aranges, which clang does not
	 * emit: without it, the compilation unit whose ranges hold OFF.
	 */
	for (Dwarf_Die *c = NULL;
	     cu == NULL &&
	     (c = dwfl_module_nextcu(f->mod, c, &bias)) != NULL;) {
		if (dwarf_haspc(c, off - bias) > 0)
			cu = c;
	}
	if (cu == NULL)
		return -1;
	cuoff = dwarf_dieoffset(cu);
	h = cp_hash_u64(cuoff);
	i = cp_index_find(&f->cu_ix, h, cu_eq, ctx);
	if (i == CP_INDEX_NONE) {
		struct cutab *c;

		f->cus = xgrow(f->cus, &f->capcus, f->ncus + 1, sizeof *f->cus);
		c = &f->cus[f->ncus];
		memset(c, 0, sizeof *c);
		c->off = cuoff;
		read_subprograms(cu, &c->fn, pool);
		spans_sort(&c->fn);
		i = (uint32_t)f->ncus++;
		cp_index_add(&f->cu_ix, h, i);
	}
	/* Nested functions: the innermost holds OFF, as the scopes say. */
	s = spans_find(&f->cus[i].fn, off - bias);
	if (s == NULL)
		return -1;
	r->file = s->name;
	r->line = s->rank;
	if (r->file == NULL) {
		/* No declaration file (clang's DWARF 5): the line table's. */
		Dwarf_Line *l = dwarf_getsrc_die(cu, off - bias);
		const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;

		if (src == NULL)
			return -1;
		r->file = cp_pool_str(pool, src);
	}
	return 0;
}

/* Open F with libdwfl and check it is the file that was loaded. */
static void file_open(struct objfile *f)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n;

	f->state = OBJ_UNUSABLE;
	if (f->path[0] == '\0') {
		warnx("the log does not name its executable: its functions are "
		      "shown as offsets");
		return;
	}
	f->dwfl = dwfl_begin(&callbacks);
	if (f->dwfl == NULL) {
		warnx("%s: %s", f->path, dwfl_errmsg(-1));
		return;
	}
	dwfl_report_begin(f->dwfl);
	f->mod = dwfl_report_elf(f->dwfl, f->basename, f->path, -1, 0, true);
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (f->mod == NULL) {
		warnx("%s: %s: its functions are shown as offsets", f->path,
		      dwfl_errmsg(-1));
		return;
	}
	if (f->build_id_len > 0) {
		n = dwfl_module_build_id(f->mod, &bits, &vaddr);
		if (n <= 0 || (size_t)n != f->build_id_len ||
		    memcmp(bits, f->build_id, f->build_id_len) != 0) {
			warnx("%s: build-id differs from the recorded one "
			      "(rebuilt since the run?): its functions are "
			      "shown as offsets",
			      f->path);
			return;
		}
	}
	f->state = OBJ_OK;
	read_symtab(f);
}

static int res_eq(const void *ctx, uint32_t i)
{
	const struct objfile *f = ((const struct objfile *const *)ctx)[0];
	const uint64_t *off = ((const uint64_t *const *)ctx)[1];

	return f->res[i].off == *off;
}

/* Index the result being filled, the last of F->res. */
static const struct symres *finish_res(struct objfile *f, uint64_t h)
{
	cp_index_add(&f->cache, h, (uint32_t)f->nres);
	return &f->res[f->nres++];
}

static const struct symres *file_lookup(struct cp_symbols *syms,
					struct objfile *f, uint64_t off)
{
	const void *ctx[2] = {f, &off};
	uint64_t h = cp_hash_u64(off);
	uint32_t i = cp_index_find(&f->cache, h, res_eq, ctx);
	struct symres *r;

	if (i != CP_INDEX_NONE)
		return &f->res[i];
	if (f->state == OBJ_UNOPENED)
		file_open(f);

	f->res = xgrow(f->res, &f->capres, f->nres + 1, sizeof *f->res);
	r = &f->res[f->nres];
	memset(r, 0, sizeof *r);
	r->off = off;
	if (f->state == OBJ_OK) {
		const char *name = sym_at(f, off);
		Dwfl_Line *line;

		if (name != NULL && name[0] != '\0') {
			char *dm = NULL;
			int status = -1;

			if (name[0] == '_' && name[1] == 'Z')
				dm = __cxa_demangle(name, NULL, NULL, &status);
			r->name = cp_pool_str(syms->pool,
					      dm != NULL && status == 0 ? dm
									: name);
			free(dm);
		}
		if (decl_line(f, off, r, syms->pool) == 0)
			return finish_res(f, h);
		line = dwfl_module_getsrc(f->mod, off);
		if (line != NULL) {
			const char *src;
			int lineno = 0;

			src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL,
					    NULL);
			if (src != NULL) {
				r->file = cp_pool_str(syms->pool, src);
				r->line = lineno;
			}
		}
	}
	return finish_res(f, h);
}

/*
 * Does the instruction that ends at B + N (N bytes of code before a
 * return address) call? On x86 a call is E8 rel32, or FF /2 with a
 * ModRM operand whose length must end exactly at the return address.
 */
static int x86_call_before(const unsigned char *b, size_t n)
{
	if (n >= 5 && b[n - 5] == 0xe8)
		return 1;
	for (size_t k = 2; k <= 7 && k <= n; k++) {
		unsigned modrm = b[n - k + 1], mod = modrm >> 6, rm = modrm & 7;
		size_t len = 2;

		if (b[n - k] != 0xff || ((modrm >> 3) & 7) != 2)
			continue;
		if (mod != 3 && rm == 4) {
			len++; /* SIB */
			if (mod == 0 && (b[n - k + 2] & 7) == 5)
				len += 4;
		}
		if (mod == 0 && rm == 5)
			len += 4; /* RIP-relative */
		else if (mod == 1)
			len += 1;
		else if (mod == 2)
			len += 4;
		if (len == k)
			return 1;
	}
	return 0;
}

/* AArch64: BL, or BLR / BLRAA-family register calls, 4 bytes before. */
static int arm64_call_before(const unsigned char *b, size_t n)
{
	uint32_t i;

	if (n < 4)
		return 0;
	i = (uint32_t)b[n - 4] | (uint32_t)b[n - 3] << 8 |
	    (uint32_t)b[n - 2] << 16 | (uint32_t)b[n - 1] << 24;
	return (i & 0xfc000000u) == 0x94000000u ||
	       (i & 0xfffffc1fu) == 0xd63f0000u ||
	       (i & 0xfefff800u) == 0xd63f0800u;
}

int cp_symmap_call_before(struct cp_symmap *map, uint64_t addr, size_t gen)
{
	const struct mapobj *m = owner(map, addr, gen);
	struct objfile *f;
	Dwarf_Addr a, bias;
	Elf_Scn *scn;
	Elf_Data *d;
	GElf_Shdr shb, *sh;
	GElf_Ehdr ehb, *eh;
	Elf *elf;

	if (m == NULL)
		return 0;
	f = m->file;
	if (f->state == OBJ_UNOPENED)
		file_open(f);
	if (f->state != OBJ_OK)
		return -1;
	a = addr - m->base;
	scn = dwfl_module_address_section(f->mod, &a, &bias);
	elf = dwfl_module_getelf(f->mod, &bias);
	if (scn == NULL || elf == NULL ||
	    (eh = gelf_getehdr(elf, &ehb)) == NULL)
		return -1;
	sh = gelf_getshdr(scn, &shb);
	if (sh == NULL || sh->sh_type == SHT_NOBITS ||
	    !(sh->sh_flags & SHF_EXECINSTR))
		return 0;
	d = elf_getdata(scn, NULL);
	if (d == NULL || d->d_buf == NULL || a > d->d_size)
		return -1;
	switch (eh->e_machine) {
	case EM_X86_64:
	case EM_386:
		return x86_call_before(d->d_buf, (size_t)a);
	case EM_AARCH64:
		return arm64_call_before(d->d_buf, (size_t)a);
	default:
		return -1;
	}
}

void cp_symmap_lookup(struct cp_symmap *map, uint64_t addr, size_t gen,
		      struct cp_sym *out)
{
	const struct symres *r;
	const struct mapobj *m = owner(map, addr, gen);
	char buf[64];

	memset(out, 0, sizeof *out);
	/*
	 * An address seen before the map chunk that announces its object
	 * (written late) is named by the first object that held it after.
	 */
	for (size_t i = gen; m == NULL && i < map->nobjs; i++) {
		if (holds(&map->objs[i], addr))
			m = &map->objs[i];
	}
	if (m == NULL) {
		snprintf(buf, sizeof buf, "0x%" PRIx64, addr);
		out->name = cp_pool_str(map->syms->pool, buf);
		out->unnamed = 1;
		return;
	}

	r = file_lookup(map->syms, m->file, addr - m->base);
	out->object = m->file->basename;
	out->file = r->file;
	out->line = r->line;
	if (r->name != NULL) {
		out->name = r->name;
	} else {
		char *name = xmalloc(strlen(m->file->basename) + 32);

		sprintf(name, "%s+0x%" PRIx64, m->file->basename,
			addr - m->base);
		out->name = cp_pool_str(map->syms->pool, name);
		out->unnamed = 1;
		free(name);
	}
}

/*
 * For the DWARF unwinder (unwind.c): the file images of the recorded
 * objects, read where the process had them mapped. Each object's file
 * is opened by libdwfl as for its names; its PT_LOAD segments say which
 * bytes of the file sat at which address.
 */

/* M's ELF as libdwfl opened it, or NULL. */
static Elf *map_elf(const struct mapobj *m)
{
	Dwarf_Addr bias;

	if (m->file->state == OBJ_UNOPENED)
		file_open(m->file);
	if (m->file->state != OBJ_OK)
		return NULL;
	return dwfl_module_getelf(m->file->mod, &bias);
}

/* The bytes of ELF's file at its address VADDR, and how many follow. */
static const unsigned char *elf_at(Elf *elf, uint64_t vaddr, size_t *avail)
{
	size_t nph, rawlen;
	const unsigned char *raw =
		(const unsigned char *)elf_rawfile(elf, &rawlen);

	if (raw == NULL || elf_getphdrnum(elf, &nph) != 0)
		return NULL;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr phb, *ph = gelf_getphdr(elf, (int)i, &phb);

		if (ph == NULL || ph->p_type != PT_LOAD ||
		    vaddr < ph->p_vaddr ||
		    vaddr - ph->p_vaddr >= ph->p_filesz ||
		    ph->p_offset + (vaddr - ph->p_vaddr) >= rawlen)
			continue;
		*avail = (size_t)(ph->p_filesz - (vaddr - ph->p_vaddr));
		if (*avail > rawlen - (ph->p_offset + (vaddr - ph->p_vaddr)))
			*avail =
				rawlen - (ph->p_offset + (vaddr - ph->p_vaddr));
		return raw + ph->p_offset + (vaddr - ph->p_vaddr);
	}
	return NULL;
}

int cp_symmap_unwind_info(struct cp_symmap *map, uint64_t addr, size_t gen,
			  struct cp_unwind_obj *o)
{
	const struct mapobj *m = owner(map, addr, gen);
	Elf *elf;
	size_t nph;

	if (m == NULL || (elf = map_elf(m)) == NULL ||
	    elf_getphdrnum(elf, &nph) != 0)
		return -1;
	memset(o, 0, sizeof *o);
	o->base = m->base;
	for (size_t j = 0; j < m->nsegs; j++) {
		if (addr >= m->segs[2 * j] && addr < m->segs[2 * j + 1]) {
			o->lo = m->segs[2 * j];
			o->hi = m->segs[2 * j + 1];
		}
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr phb, *ph = gelf_getphdr(elf, (int)i, &phb);

		if (ph != NULL && ph->p_type == PT_GNU_EH_FRAME) {
			o->eh_frame_hdr = m->base + ph->p_vaddr;
			o->eh_frame_hdr_len = ph->p_filesz;
		}
	}
	return o->eh_frame_hdr != 0 ? 0 : -1;
}

/*
 * An object's segments lie at its load bias plus their addresses in the
 * file, upwards: the object holding ADDR is the one with the highest bias
 * at or below it (the latest such entry, as the map only grows). Only
 * that one's file is opened, not every object's.
 */
int cp_symmap_read(struct cp_symmap *map, uint64_t addr, size_t gen, void *buf,
		   size_t n)
{
	const struct mapobj *best = NULL;
	const unsigned char *p;
	size_t avail;
	Elf *elf;

	for (size_t i = gen < map->nobjs ? gen : map->nobjs; i > 0; i--) {
		const struct mapobj *m = &map->objs[i - 1];

		if (m->base <= addr && (best == NULL || m->base > best->base))
			best = m;
	}
	if (best == NULL || (elf = map_elf(best)) == NULL ||
	    (p = elf_at(elf, addr - best->base, &avail)) == NULL || avail < n)
		return -1;
	memcpy(buf, p, n);
	return 0;
}
