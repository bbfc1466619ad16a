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

/* An ELF file as recorded: path and build-id. */
struct objfile {
	const char *path;     /* interned */
	const char *basename; /* interned */
	unsigned char *build_id;
	size_t build_id_len;
	enum { OBJ_UNOPENED, OBJ_OK, OBJ_UNUSABLE } state;
	Dwfl *dwfl;
	Dwfl_Module *mod;
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
}

static int res_eq(const void *ctx, uint32_t i)
{
	const struct objfile *f = ((const struct objfile *const *)ctx)[0];
	const uint64_t *off = ((const uint64_t *const *)ctx)[1];

	return f->res[i].off == *off;
}

/*
 * The line a function is declared at, from the DWARF subprogram holding
 * OFF. For a table of functions this is the line to show: the line table
 * at the entry address is the first statement's once optimized, which
 * moves with the compiler's choices. Returns 0 when found.
 */
static int decl_line(Dwfl_Module *mod, uint64_t off, struct symres *r,
		     struct cp_pool *pool)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu, *scopes = NULL;
	const char *file = NULL;
	int n, line = 0;

	cu = dwfl_module_addrdie(mod, off, &bias);
	/*
	 * That lookup goes through .debug_aranges, which clang does not
	 * emit: without it, the compilation unit whose ranges hold OFF.
	 */
	for (Dwarf_Die *c = NULL;
	     cu == NULL && (c = dwfl_module_nextcu(mod, c, &bias)) != NULL;) {
		if (dwarf_haspc(c, off - bias) > 0)
			cu = c;
	}
	if (cu == NULL)
		return -1;
	n = dwarf_getscopes(cu, off - bias, &scopes);
	/* Inlined code at the entry is not the function itself. */
	for (int i = 0; i < n; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_subprogram)
			continue;
		if (dwarf_decl_line(&scopes[i], &line) != 0)
			line = 0;
		else
			file = dwarf_decl_file(&scopes[i]);
		break;
	}
	free(scopes);
	/*
	 * elfutils (0.188) finds the declaration's line but not its file in
	 * clang's DWARF 5: the file is then the line table's at OFF, where
	 * the function starts.
	 */
	if (file == NULL) {
		Dwarf_Line *l = dwarf_getsrc_die(cu, off - bias);

		if (l == NULL ||
		    (file = dwarf_linesrc(l, NULL, NULL)) == NULL ||
		    (line == 0 && dwarf_lineno(l, &line) != 0))
			return -1;
	}
	r->file = cp_pool_str(pool, file);
	r->line = line;
	return 0;
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
		GElf_Off symoff;
		GElf_Sym sym;
		const char *name;
		Dwfl_Line *line;

		name = dwfl_module_addrinfo(f->mod, off, &symoff, &sym, NULL,
					    NULL, NULL);
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
		if (decl_line(f->mod, off, r, syms->pool) == 0)
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
