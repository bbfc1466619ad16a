/*
 * loadmap.c - the load map: which ELF objects are mapped where, with their
 * build-ids, so that the CLI can name the addresses the compiler hooks
 * record (static functions, PIE executables, shared libraries) offline.
 *
 * dl_iterate_phdr() reports objects in load order and counts additions and
 * removals; a new map chunk is written only when those counts change (a
 * dlopen or dlclose), so the check each flush costs almost nothing.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <msgpack.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MAX_SEGS  8
#define MAX_OBJS  1024
#define PATH_POOL (256 * 1024)
#define MAX_BID	  64

/*
 * One walk copies what it needs here, so that an object loaded by another
 * thread during the walk cannot make the packed count disagree with the
 * entries that follow it. Only the writer (under its lock) uses this.
 */
static struct obj {
	const char *path;
	uint64_t base;
	unsigned char bid[MAX_BID];
	size_t bid_len;
	size_t nsegs;
	uint64_t segs[MAX_SEGS][2];
} * objs; /* MAX_OBJS of them */

static struct walk_state {
	size_t nobjs, pool_used;
	unsigned long long adds, subs;
	char pool[PATH_POOL];
} * walk;

/*
 * Both are mapped at the first walk rather than kept in the library's
 * .bss, which a program under a small address-space limit must be able
 * to load; false when they cannot be (the log then has no map, and
 * cprof__log_open reports the error).
 */
static CPROF__NOINSTR bool walk_mapped(void)
{
	size_t len = sizeof(*walk) + MAX_OBJS * sizeof(*objs);
	void *m;

	if (walk)
		return true;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED) {
		static bool warned;

		if (!warned) {
			warned = true;
			cprof__warn("cannot map the list of loaded objects",
				    NULL, ENOMEM, "the profile has no symbols");
		}
		return false;
	}
	objs = (struct obj *)((struct walk_state *)m + 1);
	walk = m;
	return true;
}

static unsigned long long seen_adds, seen_subs;

/* The object's NT_GNU_BUILD_ID note, found in its loaded PT_NOTE segments. */
static CPROF__NOINSTR const unsigned char *
find_build_id(const struct dl_phdr_info *info, size_t *len)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t name = (nh->n_namesz + 3) & ~(size_t)3;
			size_t desc = (nh->n_descsz + 3) & ~(size_t)3;
			const char *d = p + sizeof(*nh) + name;

			if (d + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 &&
			    memcmp(p + sizeof(*nh), "GNU", 4) == 0) {
				*len = nh->n_descsz;
				return (const unsigned char *)d;
			}
			p = d + desc;
		}
	}
	*len = 0;
	return NULL;
}

static CPROF__NOINSTR const char *pool_copy(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (walk->pool_used + n > PATH_POOL)
		return "";
	p = walk->pool + walk->pool_used;
	memcpy(p, s, n);
	walk->pool_used += n;
	return p;
}

static CPROF__NOINSTR int visit(struct dl_phdr_info *info, size_t size,
				void *arg)
{
	const unsigned char *bid;
	struct obj *o;

	(void)size;
	(void)arg;
	walk->adds = info->dlpi_adds;
	walk->subs = info->dlpi_subs;
	/* The first object is the executable; the vDSO has no file. */
	if (walk->nobjs > 0 && !(info->dlpi_name && info->dlpi_name[0] == '/'))
		return 0;
	if (walk->nobjs == MAX_OBJS)
		return 0;
	o = &objs[walk->nobjs++];
	if (walk->nobjs == 1) {
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = '\0';
		o->path = pool_copy(exe);
	} else {
		o->path = pool_copy(info->dlpi_name);
	}
	o->base = info->dlpi_addr;
	bid = find_build_id(info, &o->bid_len);
	if (o->bid_len > MAX_BID)
		o->bid_len = 0;
	if (o->bid_len)
		memcpy(o->bid, bid, o->bid_len);
	o->nsegs = 0;
	for (int i = 0; i < info->dlpi_phnum && o->nsegs < MAX_SEGS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		o->segs[o->nsegs][0] = info->dlpi_addr + ph->p_vaddr;
		o->segs[o->nsegs][1] =
			info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		o->nsegs++;
	}
	return 0;
}

static CPROF__NOINSTR int peek_counts(struct dl_phdr_info *info, size_t size,
				      void *arg)
{
	(void)size;
	(void)arg;
	walk->adds = info->dlpi_adds;
	walk->subs = info->dlpi_subs;
	return 1; /* the counts are the same in every entry: stop here */
}

CPROF__NOINSTR void cprof__loadmap_write(struct msgpack_packer *pk, bool force)
{
	if (!walk_mapped())
		return;
	dl_iterate_phdr(peek_counts, NULL);
	if (!force && walk->adds == seen_adds && walk->subs == seen_subs)
		return;
	walk->nobjs = 0;
	walk->pool_used = 0;
	dl_iterate_phdr(visit, NULL);
	seen_adds = walk->adds;
	seen_subs = walk->subs;

	msgpack_pack_map(pk, 2);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_MAP);
	cprof__pack_str(pk, CPROF_KEY_OBJS);
	msgpack_pack_array(pk, walk->nobjs);
	for (size_t i = 0; i < walk->nobjs; i++) {
		const struct obj *o = &objs[i];

		msgpack_pack_map(pk, 4);
		cprof__pack_str(pk, CPROF_KEY_PATH);
		cprof__pack_str(pk, o->path);
		cprof__pack_str(pk, CPROF_KEY_BASE);
		msgpack_pack_uint64(pk, o->base);
		cprof__pack_str(pk, CPROF_KEY_BUILD_ID);
		msgpack_pack_bin(pk, o->bid_len);
		msgpack_pack_bin_body(pk, o->bid, o->bid_len);
		cprof__pack_str(pk, CPROF_KEY_SEGS);
		msgpack_pack_array(pk, o->nsegs);
		for (size_t j = 0; j < o->nsegs; j++) {
			msgpack_pack_array(pk, 2);
			msgpack_pack_uint64(pk, o->segs[j][0]);
			msgpack_pack_uint64(pk, o->segs[j][1]);
		}
	}
}
