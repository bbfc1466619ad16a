/*
 * select.c - record-time selection: which calls are recorded at all
 * (`--filter`, `--exclude`) and which are too short to keep
 * (`--min-duration`), as uftrace's -F, -N and -t.
 *
 * The CLI hands the glob patterns over in CPROF_FILTER and CPROF_EXCLUDE
 * (one pattern a line) and the threshold in CPROF_MIN_NS. The hooks see
 * addresses, not names, so the patterns are resolved here, in the
 * process, to a set of function entry addresses: at start for every
 * object loaded, and for an object loaded later (dlopen) at the first
 * event whose address lies in no object scanned yet. The CLI cannot do
 * it ahead: it does not know what the program will load. A name is
 * matched as the symbol table spells it and, for C++, demangled, with and
 * without its parameter list (`ns::f(int)` and `ns::f`); the demangler
 * is the program's own C++ library (__cxa_demangle), present whenever
 * there are C++ names to demangle. Marker sites are matched by their
 * name, the first time each is seen.
 *
 * The hot path asks cprof__sel_class() (internal.h): one hash probe in a
 * table of the matched addresses (open addressing, read without a lock;
 * a new table is built and published whole when objects are added, and
 * old ones are never freed, as a reader may still hold one), and, for an
 * address not in it, a check that it lies in an object scanned already.
 * Everything else (scanning, inserting a site's class) is on a slow
 * path under a lock word.
 *
 * Short calls are dropped by the writer (cprof__sel_short), which sees
 * both ends of a call; it counts them, so the calls stay exact.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <link.h>
#include <msgpack.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

bool cprof__sel_active;
bool cprof__sel_filter;
uint64_t cprof__sel_min_ns;
_Atomic(struct cprof__sel_table *) cprof__sel_tab;

/* The patterns, split out of the environment at start (never freed). */
static char **filters, **excludes;
static size_t nfilters, nexcludes;

/* An object scanned already, by its load bias and path. */
struct scanned {
	uintptr_t base;
	uintptr_t lo, hi; /* its executable segments' span */
};
static struct scanned *objs;
static size_t nobjs, capobjs;

/* The matched addresses, gathered before a table is built. */
struct match {
	uintptr_t key;
	unsigned char cls;
};
static struct match *found;
static size_t nfound, capfound;

/* The slow path's lock: the tid of its holder, 0 when free. */
static _Atomic pid_t sel_lock;

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
static demangle_fn demangle;

static CPROF__NOINSTR void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	if (p) {
		memcpy(q, p, *cap * size);
		munmap(p, *cap * size);
	}
	*cap = n;
	return q;
}

/*
 * Split the lines of S into a NULL-terminated array; N gets the count.
 * One mapping holds the array and the copy of S: the runtime's memory
 * never comes from the program's allocator (--alloc would see it). Kept
 * for the process's life.
 */
static CPROF__NOINSTR char **split(const char *s, size_t *n)
{
	size_t k = 1, i = 0, len;
	char *copy, **v, *save = NULL;

	*n = 0;
	if (!s || !*s)
		return NULL;
	for (const char *p = s; *p; p++)
		k += *p == '\n';
	len = strlen(s) + 1;
	v = mmap(NULL, (k + 1) * sizeof(*v) + len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return NULL;
	copy = (char *)(v + k + 1);
	memcpy(copy, s, len);
	for (char *p = strtok_r(copy, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save))
		v[i++] = p;
	*n = i;
	return v;
}

/*
 * Does a pattern match NAME? With TYPED, NAME is a demangled name with
 * its return type (a template function's, `int ns::twice<int>(int)`):
 * only a pattern that spells a return type too (one with a space) is
 * tried on it, so that `ns::*` does not catch `ns::A* std::copy<...>(...)`.
 */
static CPROF__NOINSTR bool any_match(char **pats, size_t n, const char *name,
				     bool typed)
{
	for (size_t i = 0; i < n; i++)
		if ((!typed || strchr(pats[i], ' ') != NULL) &&
		    fnmatch(pats[i], name, 0) == 0)
			return true;
	return false;
}

/* The class of a name, as such (no demangling). */
static CPROF__NOINSTR unsigned class_of_plain(const char *name, bool typed)
{
	if (any_match(excludes, nexcludes, name, typed))
		return CPROF__SEL_DROP;
	if (any_match(filters, nfilters, name, typed))
		return CPROF__SEL_KEEP;
	return CPROF__SEL_OTHER;
}

/*
 * Where the name of demangled DM starts after a return type, or DM: the
 * last space outside <> and () before the parameter list, unless it is
 * part of an operator's name (`operator new`, `operator int`).
 */
static CPROF__NOINSTR char *after_return_type(char *dm)
{
	char *start = dm;
	int angle = 0;

	for (char *p = dm; *p; p++) {
		angle += *p == '<';
		angle -= *p == '>' && angle > 0;
		if (angle == 0 && *p == '(' && p != dm)
			break;
		if (angle == 0 && *p == ' ' &&
		    !(p - dm >= 8 && strncmp(p - 8, "operator", 8) == 0))
			start = p + 1;
	}
	return start;
}

/*
 * The class of symbol NAME: the more restrictive of its spellings', so
 * that `--exclude='ns::*'` catches `_ZN2ns1fEv` however it is written.
 */
static CPROF__NOINSTR unsigned class_of(const char *name)
{
	unsigned c = class_of_plain(name, false), d;
	char *dm, *nm;
	int st = -1;

	if (c == CPROF__SEL_DROP || name[0] != '_' || name[1] != 'Z' ||
	    !demangle || !(dm = demangle(name, NULL, NULL, &st)))
		return c;
	if (st == 0) {
		nm = after_return_type(dm);
		/* As demangled: with a return type, for typed patterns. */
		d = class_of_plain(dm, nm != dm);
		if (d != CPROF__SEL_OTHER)
			c = d;
		if (nm != dm && c != CPROF__SEL_DROP &&
		    (d = class_of_plain(nm, false)) != CPROF__SEL_OTHER)
			c = d;
		/* Without its parameter list: the first '(' outside <>. */
		int depth = 0;
		for (char *p = nm; *p && c != CPROF__SEL_DROP; p++) {
			depth += *p == '<';
			depth -= *p == '>' && depth > 0;
			if (*p == '(' && depth == 0 && p != nm) {
				*p = '\0';
				d = class_of_plain(nm, false);
				if (d != CPROF__SEL_OTHER)
					c = d;
				break;
			}
		}
	}
	free(dm);
	return c;
}

static CPROF__NOINSTR void add_found(uintptr_t key, unsigned cls)
{
	struct match *m = grow(found, &capfound, nfound + 1, sizeof(*found));

	if (!m)
		return;
	found = m;
	found[nfound++] = (struct match){key, (unsigned char)cls};
}

/*
 * Scan the symbol table of the object at PATH loaded at BASE: its
 * functions that match a pattern join `found`. .symtab when the file
 * has one (static functions), else .dynsym.
 */
static CPROF__NOINSTR void scan_file(const char *path, uintptr_t base)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const unsigned char *f;
	const ElfW(Ehdr) * eh;
	const ElfW(Shdr) * sh, *sym = NULL;
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return;
	}
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return;
	eh = (const ElfW(Ehdr) *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] !=
		    (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    eh->e_shentsize != sizeof(*sh) || eh->e_shnum == 0 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) >
		    (uint64_t)st.st_size)
		goto out;
	sh = (const ElfW(Shdr) *)(f + eh->e_shoff);
	for (size_t i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_SYMTAB)
			sym = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM && !sym)
			sym = &sh[i];
	}
	if (!sym || sym->sh_link >= eh->e_shnum ||
	    sym->sh_offset + sym->sh_size > (uint64_t)st.st_size)
		goto out;
	const ElfW(Shdr) *strs = &sh[sym->sh_link];
	const char *names = (const char *)f + strs->sh_offset;
	const ElfW(Sym) *s = (const ElfW(Sym) *)(f + sym->sh_offset);
	size_t n = sym->sh_size / sizeof(*s);

	if (strs->sh_offset + strs->sh_size > (uint64_t)st.st_size)
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned type = ELF64_ST_TYPE(s[i].st_info);
		unsigned cls;

		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    s[i].st_shndx == SHN_UNDEF || s[i].st_value == 0 ||
		    s[i].st_name >= strs->sh_size)
			continue;
		/* The strings are NUL-terminated within the section. */
		if (!memchr(names + s[i].st_name, '\0',
			    strs->sh_size - s[i].st_name))
			continue;
		cls = class_of(names + s[i].st_name);
		if (cls != CPROF__SEL_OTHER)
			add_found((base + s[i].st_value) << 1, cls);
	}
out:
	munmap((void *)f, (size_t)st.st_size);
}

static CPROF__NOINSTR bool is_scanned(uintptr_t base, uintptr_t lo)
{
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].base == base && objs[i].lo == lo)
			return true;
	return false;
}

static CPROF__NOINSTR int visit(struct dl_phdr_info *info, size_t size,
				void *arg)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	bool *first = arg;
	const char *path = info->dlpi_name;
	char exe[4096];
	struct scanned *o;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		lo = a < lo ? a : lo;
		hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
	}
	if (*first) {
		ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[k > 0 ? k : 0] = '\0';
		path = exe;
	}
	*first = false;
	if (hi == 0 || is_scanned(info->dlpi_addr, lo))
		return 0;
	o = grow(objs, &capobjs, nobjs + 1, sizeof(*objs));
	if (!o)
		return 0;
	objs = o;
	objs[nobjs++] = (struct scanned){info->dlpi_addr, lo, hi};
	/*
	 * The vDSO has no file (open fails on its name); a library opened
	 * by a relative path is found from the current directory, as long
	 * as the program has not changed it.
	 */
	if (path && path[0])
		scan_file(path, info->dlpi_addr);
	return 0;
}

static CPROF__NOINSTR int cmp_range(const void *a, const void *b)
{
	const struct cprof__sel_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Build a table of `found` (and OLD's entries, the sites among them) and
 * the scanned objects' ranges, and publish it.
 */
static CPROF__NOINSTR bool publish(const struct cprof__sel_table *old)
{
	size_t keep = old ? old->used : 0, need = nfound + keep + 256, cap = 64;
	size_t len;
	struct cprof__sel_table *t;
	char *m;

	while (cap < 2 * need)
		cap *= 2;
	len = sizeof(*t) + cap * sizeof(uintptr_t) + cap +
	      nobjs * sizeof(struct cprof__sel_range) + 16;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED)
		return false;
	t = (struct cprof__sel_table *)m;
	t->mask = cap - 1;
	t->keys = (_Atomic uintptr_t *)(m + sizeof(*t));
	t->ranges = (struct cprof__sel_range *)(m + sizeof(*t) +
						cap * sizeof(uintptr_t));
	t->cls = (unsigned char *)(t->ranges + nobjs);
	t->nranges = nobjs;
	t->used = 0;
	for (size_t i = 0; i < nobjs; i++)
		t->ranges[i] =
			(struct cprof__sel_range){objs[i].lo, objs[i].hi};
	qsort(t->ranges, t->nranges, sizeof(*t->ranges), cmp_range);
	for (size_t i = 0; i < nfound; i++)
		cprof__sel_insert(t, found[i].key, found[i].cls);
	/*
	 * The sites decided so far; functions come from `found` alone, so
	 * that those of an object unloaded since are gone.
	 */
	for (size_t i = 0; old && i <= old->mask; i++) {
		uintptr_t k = atomic_load_explicit(&old->keys[i],
						   memory_order_acquire);

		if (k & 1)
			cprof__sel_insert(t, k, old->cls[i]);
	}
	atomic_store_explicit(&cprof__sel_tab, t, memory_order_release);
	return true;
}

CPROF__NOINSTR bool cprof__sel_insert(struct cprof__sel_table *t, uintptr_t key,
				      unsigned cls)
{
	uintptr_t h = cprof__sel_hash(key) & t->mask;

	if (4 * (t->used + 1) > 3 * (t->mask + 1))
		return false;
	for (;;) {
		uintptr_t k =
			atomic_load_explicit(&t->keys[h], memory_order_acquire);

		if (k == key)
			return true;
		if (k == 0) {
			t->cls[h] = (unsigned char)cls;
			atomic_store_explicit(&t->keys[h], key,
					      memory_order_release);
			t->used++;
			return true;
		}
		h = (h + 1) & t->mask;
	}
}

static CPROF__NOINSTR pid_t self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * Take the slow path's lock; false when the calling thread holds it (a
 * signal handler inside the slow path). Another holder is waited for:
 * it scans one object, and answering before it is done could record one
 * end of a call and drop the other.
 */
static CPROF__NOINSTR bool lock(void)
{
	pid_t me = self_tid(), none = 0;

	if (atomic_load(&sel_lock) == me)
		return false;
	while (!atomic_compare_exchange_weak(&sel_lock, &none, me)) {
		none = 0;
		sched_yield();
	}
	return true;
}

static CPROF__NOINSTR void unlock(void)
{
	atomic_store(&sel_lock, 0);
}

/*
 * In a fork child: a thread of the parent that held the lock does not
 * exist here, and would never release it.
 */
CPROF__NOINSTR void cprof__sel_forked(void)
{
	atomic_store(&sel_lock, 0);
}

CPROF__NOINSTR unsigned cprof__sel_slow(uintptr_t key, bool site)
{
	struct cprof__sel_table *t;
	unsigned cls = CPROF__SEL_OTHER;
	int saved = errno;
	bool first = true;

	if (!lock())
		return CPROF__SEL_OTHER;
	t = atomic_load_explicit(&cprof__sel_tab, memory_order_acquire);
	/* Decided meanwhile by another thread? */
	if (t && cprof__sel_find(t, key, &cls))
		goto out;
	if (site) {
		const struct cprof_site *s =
			(const struct cprof_site *)(key >> 1);

		cls = s->name ? class_of_plain(s->name, false)
			      : CPROF__SEL_OTHER;
		if (!cprof__sel_insert(t, key, cls) && publish(t))
			cprof__sel_insert(atomic_load(&cprof__sel_tab), key,
					  cls);
		goto out;
	}
	/* An address in no object scanned: objects were added. */
	if (!demangle) /* a C program that loads C++ code */
		demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
	dl_iterate_phdr(visit, &first);
	if (!publish(t))
		goto out;
	t = atomic_load(&cprof__sel_tab);
	if (!cprof__sel_find(t, key, &cls)) {
		/* In no object at all (generated code): decided for good. */
		cls = CPROF__SEL_OTHER;
		if (!cprof__sel_in_objects(t, key >> 1))
			cprof__sel_insert(t, key, cls);
	}
out:
	unlock();
	errno = saved;
	return cls;
}

CPROF__NOINSTR void cprof__sel_start(void)
{
	const char *min = getenv(CPROF_ENV_MIN_NS);
	bool first = true;

	filters = split(getenv(CPROF_ENV_FILTER), &nfilters);
	excludes = split(getenv(CPROF_ENV_EXCLUDE), &nexcludes);
	cprof__sel_min_ns = min ? strtoull(min, NULL, 10) : 0;
	if (!nfilters && !nexcludes)
		return;
	demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
	lock();
	dl_iterate_phdr(visit, &first);
	if (publish(NULL)) {
		cprof__sel_filter = nfilters > 0;
		cprof__sel_active = true;
	} else {
		cprof__warn("cannot map the table of --filter/--exclude", NULL,
			    ENOMEM, "every function is recorded");
	}
	unlock();
}

/*
 * An object was unloaded (the dlclose wrapper): another may be loaded at
 * its addresses, so every object is scanned again.
 */
CPROF__NOINSTR void cprof__sel_unloaded(void)
{
	int saved = errno;
	bool first = true;

	if (!cprof__sel_active || !lock())
		return;
	nobjs = 0;
	nfound = 0;
	dl_iterate_phdr(visit, &first);
	publish(atomic_load(&cprof__sel_tab));
	unlock();
	errno = saved;
}

/* The header's "select": what was in force, as the user gave it. */
CPROF__NOINSTR bool cprof__sel_any(void)
{
	return nfilters || nexcludes || cprof__sel_min_ns;
}

CPROF__NOINSTR void cprof__sel_pack_header(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	cprof__pack_str(pk, CPROF_KEY_FILTER);
	msgpack_pack_array(pk, nfilters);
	for (size_t i = 0; i < nfilters; i++)
		cprof__pack_str(pk, filters[i]);
	cprof__pack_str(pk, CPROF_KEY_EXCLUDE);
	msgpack_pack_array(pk, nexcludes);
	for (size_t i = 0; i < nexcludes; i++)
		cprof__pack_str(pk, excludes[i]);
	cprof__pack_kv_u64(pk, CPROF_KEY_MIN_NS, cprof__sel_min_ns);
}

CPROF__NOINSTR bool cprof__sel_wanted(uintptr_t fn)
{
	unsigned cls;

	if (!cprof__sel_active)
		return true;
	cls = cprof__sel_class(fn, 0);
	return cls != CPROF__SEL_DROP;
}

/* --min-duration. */

/* The cycle counter's ticks per second, measured from the start on. */
static uint64_t start_ticks, start_ns;

/*
 * The threshold in ticks: from the counter's stated rate, or measured
 * from the start to now, at least a millisecond (a drain sooner waits
 * for the rest of it, once: a rate measured on less would be off by more
 * than a part in ten thousand). 0 keeps everything.
 */
static CPROF__NOINSTR uint64_t min_ticks(void)
{
	uint64_t hz = cprof__clock_hz(), ticks, ns;

	if (hz)
		return (uint64_t)((unsigned __int128)cprof__sel_min_ns * hz /
				  1000000000u);
	do
		cprof__clock_point(&ticks, &ns);
	while (ns >= start_ns && ns < start_ns + 1000000);
	if (ns < start_ns || ticks <= start_ticks)
		return 0;
	return (uint64_t)((unsigned __int128)cprof__sel_min_ns *
			  (ticks - start_ticks) / (ns - start_ns));
}

CPROF__NOINSTR void cprof__sel_clock_start(void)
{
	cprof__clock_point(&start_ticks, &start_ns);
}

/* Whether the event at R may go inside a dropped call. */
static CPROF__NOINSTR bool droppable(const struct cprof__rec *r)
{
	const struct cprof_site *s;

	/* A call with an allocation inside is kept: it owns the bytes. */
	if (r->tick & CPROF__REC_ALLOC)
		return false;
	if (!(r->tick & CPROF__REC_SITE))
		return true;
	s = (const struct cprof_site *)r->addr;
	return s && (s->kind == CPROF_SITE_FUNC || s->kind == CPROF_SITE_SCOPE);
}

/*
 * One pass with a stack of the enters of this stretch still open: an
 * exit that closes the top one within the threshold drops the call and
 * everything between (shorter still). A call whose enter came in an
 * earlier stretch is kept (the writer cannot take back what it wrote),
 * as is any call holding an event that is not a plain enter or exit (a
 * context switch, a frame mark). A mismatched exit empties the stack.
 */
CPROF__NOINSTR uint64_t cprof__sel_short(const struct cprof__thread *t,
					 uint64_t tail, uint64_t n,
					 unsigned char *drop)
{
	/*
	 * The open enters, mapped at first use rather than kept in the
	 * library's .bss (see writer.c's encoder scratch).
	 */
	static uint32_t *open;
	const size_t cap = 16384;
	const uint64_t mask = CPROF__RING_CAP - 1;
	uint64_t limit, dropped = 0;
	size_t depth = 0;

	memset(drop, 0, n);
	if (!cprof__sel_min_ns)
		return 0;
	if (!open) {
		void *m =
			mmap(NULL, cap * sizeof(*open), PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return 0;
		open = m;
	}
	if (!(limit = min_ticks()))
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		const struct cprof__rec *r = &t->ring[(tail + i) & mask];

		if (!droppable(r)) {
			depth = 0;
			continue;
		}
		if (!(r->tick & CPROF__REC_EXIT)) {
			if (depth < cap)
				open[depth++] = (uint32_t)i;
			else
				depth = 0;
			continue;
		}
		if (depth == 0)
			continue;
		const struct cprof__rec *e =
			&t->ring[(tail + open[depth - 1]) & mask];

		if (e->addr != r->addr || (e->tick & CPROF__REC_SITE) !=
						  (r->tick & CPROF__REC_SITE)) {
			depth = 0;
			continue;
		}
		depth--;
		if ((r->tick & CPROF__TICK_MASK) -
			    (e->tick & CPROF__TICK_MASK) >=
		    limit)
			continue;
		for (uint64_t j = open[depth]; j <= i; j++) {
			dropped += !drop[j];
			drop[j] = 1;
		}
	}
	return dropped;
}
