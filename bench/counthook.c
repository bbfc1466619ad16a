/* counthook.c - the call-count truth for `make bench-real`: a preloaded
 * library whose own __cyg_profile_func_enter counts the calls of every
 * instrumented function, by address, into a fixed lock-free table, and
 * writes "OBJECT OFFSET COUNT" lines to $CPROF_BENCH_COUNTS at exit. The
 * bench script symbolizes the offsets with nm and compares the counts with
 * cprof's report. Both hooks then call the next definition in the lookup
 * order (libcprof's, when it is preloaded after this one), so that the
 * counts and cprof's report come from the same run: a second run would not
 * make the same calls, as Lua hashes some table keys by address.
 * It is as simple as it can be on purpose: it must be obviously right,
 * not fast. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <link.h>
#include <stdlib.h>

#define NOINSTR __attribute__((no_instrument_function))
/* Far more slots than any of the bench programs has functions, so that
 * the table never fills; a full table is reported, not hidden. */
#define SLOTS (1u << 16)

static void *keys[SLOTS];
static unsigned long counts[SLOTS];
static unsigned long dropped;
static void (*next_enter)(void *, void *);
static void (*next_exit)(void *, void *);

/* Resolved before the program's own code runs: preloaded libraries are
 * initialized before the executable. */
NOINSTR __attribute__((constructor)) static void find_next(void)
{
	next_enter = (void (*)(void *, void *))dlsym(
		RTLD_NEXT, "__cyg_profile_func_enter");
	next_exit = (void (*)(void *, void *))dlsym(RTLD_NEXT,
						    "__cyg_profile_func_exit");
}

NOINSTR void __cyg_profile_func_enter(void *fn, void *site)
{
	uintptr_t h = ((uintptr_t)fn >> 4) * 0x9e3779b97f4a7c15ull;
	unsigned i = (unsigned)(h >> 48) & (SLOTS - 1);

	if (next_enter != NULL)
		next_enter(fn, site);
	for (unsigned n = 0; n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
		void *k = __atomic_load_n(&keys[i], __ATOMIC_ACQUIRE);
		if (k == NULL) {
			void *expected = NULL;
			if (__atomic_compare_exchange_n(&keys[i], &expected, fn,
							0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				k = fn;
			else
				k = expected;
		}
		if (k == fn) {
			__atomic_fetch_add(&counts[i], 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
}

NOINSTR void __cyg_profile_func_exit(void *fn, void *site)
{
	if (next_exit != NULL)
		next_exit(fn, site);
}

/* Offsets from the object's load base are what nm prints for a PIE or a
 * shared object (their first segment is linked at 0), and the address
 * itself for a fixed-address executable. */
NOINSTR __attribute__((destructor)) static void dump(void)
{
	const char *path = getenv("CPROF_BENCH_COUNTS");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	for (unsigned i = 0; i < SLOTS; i++) {
		Dl_info info;
		uintptr_t off;

		if (keys[i] == NULL)
			continue;
		if (dladdr(keys[i], &info) && info.dli_fname != NULL) {
			const ElfW(Ehdr) *eh = info.dli_fbase;
			off = (uintptr_t)keys[i];
			if (eh->e_type != ET_EXEC)
				off -= (uintptr_t)info.dli_fbase;
			fprintf(f, "%s %#lx %lu\n",
				info.dli_fname[0] ? info.dli_fname : "?",
				(unsigned long)off, counts[i]);
		} else {
			fprintf(f, "? %#lx %lu\n",
				(unsigned long)(uintptr_t)keys[i], counts[i]);
		}
	}
	if (dropped)
		fprintf(f, "dropped - %lu\n", dropped);
	fclose(f);
}
