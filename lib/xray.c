/*
 * xray.c - LLVM XRay as a marker source. A program built with
 * `clang -fxray-instrument` carries, in each instrumented function, a
 * short run of skipped bytes (a "sled") at its entry and at each exit, and
 * a table of them, the section `xray_instr_map`. Unpatched, a sled costs
 * one taken jump. When recording starts, the runtime reads that table
 * from the executable, writes into each sled a call to its own
 * trampolines (below), and the trampolines hand the function's entry
 * address and stack position to the same enter/leave path as the
 * compiler hooks (record.c): the log and the CLI do not know the
 * difference.
 *
 * XRay's own runtime (compiler-rt) is linked statically into the
 * executable and its API (__xray_set_handler, __xray_patch) is reachable
 * from a preloaded library only when the executable exports it (-Wl,-E),
 * which builds rarely do. The sleds are therefore patched here from the
 * table's public format, whether the API is exported or not: one path,
 * and the handler gets the function's exact stack position.
 *
 * The format (LLVM's XRay documentation, "XRay instrumentation map"): 32
 * bytes an entry, a sled's address (8 bytes), its function's entry
 * address (8 bytes), its kind (entry 0, exit 1, tail exit 2, entry with
 * arguments 3, custom and typed events 4 and 5), an always-instrument
 * flag and a version. From version 2 on, both addresses are relative to
 * the field that holds them; before, they are absolute (relocated by the
 * dynamic loader in a PIE), so they are read from memory, not the file.
 * On x86-64 an entry or tail sled is `jmp .+11` over 9 bytes of nops, an
 * exit sled is the function's `ret` and 10 bytes of nops. Patched, each
 * becomes `mov $id, %r10d; call TRAMPOLINE` (entry, tail) or
 * `mov $id, %r10d; jmp TRAMPOLINE` (exit, in place of the `ret`), 11
 * bytes.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The functions' entry addresses, indexed by the id written in the sleds. */
const uintptr_t *cprof__xray_fns;

#if defined(__x86_64__)

/* One entry of xray_instr_map. */
struct sled_entry {
	int64_t address;
	int64_t function;
	unsigned char kind;
	unsigned char always;
	unsigned char version;
	unsigned char pad[13];
};

enum { K_ENTRY = 0, K_EXIT = 1, K_TAIL = 2, K_ENTRY_ARGS = 3 };

#define SLED_LEN 11

/*
 * The sleds are in the program's code, which ThreadSanitizer keeps no
 * shadow for: an instrumented load or store there faults inside TSan
 * (its shadow of a text segment is not writable). Reading and patching
 * code is no data shared between threads in its sense (the patch is one
 * 2-byte store, see patch()), so those functions are not instrumented.
 */
#define CODE_ACCESS __attribute__((no_sanitize("thread")))

/*
 * The trampolines. A sled reaches them through a stub near the executable
 * (a rel32 call cannot reach a library mapped gigabytes away), which
 * jumps on through %r11: scratch at a function's entry and at its return.
 * The entry and tail trampolines keep every argument register (and %al,
 * the vector count of a variadic call); the exit trampoline keeps the
 * return registers. The stack is aligned for the C call whatever the
 * sled's position. Each passes the sled's id in %edi and, in %rsi, the
 * function's stack position: its stack pointer at entry (where its return
 * address lies), below the positions of the frames that called it and
 * above those of the functions it calls, as the shadow stack needs.
 * CET: each starts with endbr64 (a nop elsewhere), calls and returns
 * pair up (the exit trampoline returns for the function it replaces).
 */
/*
 * What every trampoline does first: a frame, the argument and return
 * registers saved, and the handler's arguments (the function id XRay
 * puts in %r10d, the function's stack position) in place.
 */
#define TRAMP_SAVE                     \
	"endbr64\n"                    \
	"pushq %rbp\n"                 \
	".cfi_def_cfa_offset 16\n"     \
	".cfi_offset %rbp, -16\n"      \
	"movq %rsp, %rbp\n"            \
	".cfi_def_cfa_register %rbp\n" \
	"andq $-16, %rsp\n"            \
	"subq $192, %rsp\n"            \
	"movq %rdi, 0(%rsp)\n"         \
	"movq %rsi, 8(%rsp)\n"         \
	"movq %rdx, 16(%rsp)\n"        \
	"movq %rcx, 24(%rsp)\n"        \
	"movq %r8, 32(%rsp)\n"         \
	"movq %r9, 40(%rsp)\n"         \
	"movq %rax, 48(%rsp)\n"        \
	"movdqa %xmm0, 64(%rsp)\n"     \
	"movdqa %xmm1, 80(%rsp)\n"     \
	"movdqa %xmm2, 96(%rsp)\n"     \
	"movdqa %xmm3, 112(%rsp)\n"    \
	"movdqa %xmm4, 128(%rsp)\n"    \
	"movdqa %xmm5, 144(%rsp)\n"    \
	"movdqa %xmm6, 160(%rsp)\n"    \
	"movdqa %xmm7, 176(%rsp)\n"    \
	"movl %r10d, %edi\n"           \
	"leaq 16(%rbp), %rsi\n"

__asm__(".text\n"
	".p2align 4\n"
	".type cprof__xray_tramp_entry, @function\n"
	".hidden cprof__xray_tramp_entry\n"
	".globl cprof__xray_tramp_entry\n"
	"cprof__xray_tramp_entry:\n"
	".cfi_startproc\n" TRAMP_SAVE "call cprof__xray_enter\n"
	"jmp cprof__xray_restore_args\n"
	".cfi_endproc\n"
	".size cprof__xray_tramp_entry, .-cprof__xray_tramp_entry\n"

	".p2align 4\n"
	".type cprof__xray_tramp_tail, @function\n"
	".hidden cprof__xray_tramp_tail\n"
	".globl cprof__xray_tramp_tail\n"
	"cprof__xray_tramp_tail:\n"
	".cfi_startproc\n" TRAMP_SAVE "call cprof__xray_leave\n"
	"cprof__xray_restore_args:\n"
	"movq 0(%rsp), %rdi\n"
	"movq 8(%rsp), %rsi\n"
	"movq 16(%rsp), %rdx\n"
	"movq 24(%rsp), %rcx\n"
	"movq 32(%rsp), %r8\n"
	"movq 40(%rsp), %r9\n"
	"movq 48(%rsp), %rax\n"
	"movdqa 64(%rsp), %xmm0\n"
	"movdqa 80(%rsp), %xmm1\n"
	"movdqa 96(%rsp), %xmm2\n"
	"movdqa 112(%rsp), %xmm3\n"
	"movdqa 128(%rsp), %xmm4\n"
	"movdqa 144(%rsp), %xmm5\n"
	"movdqa 160(%rsp), %xmm6\n"
	"movdqa 176(%rsp), %xmm7\n"
	"movq %rbp, %rsp\n"
	"popq %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"ret\n"
	".cfi_endproc\n"
	".size cprof__xray_tramp_tail, .-cprof__xray_tramp_tail\n"

	".p2align 4\n"
	".type cprof__xray_tramp_exit, @function\n"
	".hidden cprof__xray_tramp_exit\n"
	".globl cprof__xray_tramp_exit\n"
	"cprof__xray_tramp_exit:\n"
	".cfi_startproc\n"
	"endbr64\n"
	"pushq %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"movq %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	"andq $-16, %rsp\n"
	"subq $48, %rsp\n"
	"movq %rax, 0(%rsp)\n"
	"movq %rdx, 8(%rsp)\n"
	"movdqa %xmm0, 16(%rsp)\n"
	"movdqa %xmm1, 32(%rsp)\n"
	"movl %r10d, %edi\n"
	"leaq 8(%rbp), %rsi\n"
	"call cprof__xray_leave\n"
	"movq 0(%rsp), %rax\n"
	"movq 8(%rsp), %rdx\n"
	"movdqa 16(%rsp), %xmm0\n"
	"movdqa 32(%rsp), %xmm1\n"
	"movq %rbp, %rsp\n"
	"popq %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"ret\n"
	".cfi_endproc\n"
	".size cprof__xray_tramp_exit, .-cprof__xray_tramp_exit\n"
	".previous\n");

void cprof__xray_tramp_entry(void);
void cprof__xray_tramp_tail(void);
void cprof__xray_tramp_exit(void);

/* A sled to patch: where, what kind, the id of its function. */
struct sled {
	uintptr_t at;
	uint32_t id;
	unsigned char kind;
};

/* The executable as loaded: its load bias and program headers. */
struct image {
	uintptr_t bias;
	const ElfW(Phdr) * phdr;
	size_t phnum;
};

static CPROF__NOINSTR int first_object(struct dl_phdr_info *info, size_t size,
				       void *arg)
{
	struct image *im = arg;

	(void)size;
	im->bias = info->dlpi_addr;
	im->phdr = info->dlpi_phdr;
	im->phnum = info->dlpi_phnum;
	return 1; /* the first object is the executable */
}

static CPROF__NOINSTR void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Where xray_instr_map lies in memory, from the executable's section
 * headers (sections are not in the program headers, so the file is
 * read). False when it has none.
 */
static CPROF__NOINSTR bool find_map(const struct image *im, uintptr_t *addr,
				    size_t *len)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	const unsigned char *f;
	const ElfW(Ehdr) * eh;
	const ElfW(Shdr) * sh;
	bool found = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return false;
	}
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return false;
	eh = (const ElfW(Ehdr) *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_shentsize != sizeof(*sh) || eh->e_shnum == 0 ||
	    eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) >
		    (uint64_t)st.st_size)
		goto out;
	sh = (const ElfW(Shdr) *)(f + eh->e_shoff);
	const ElfW(Shdr) *strs = &sh[eh->e_shstrndx];

	if (strs->sh_offset + strs->sh_size > (uint64_t)st.st_size)
		goto out;
	for (size_t i = 0; i < eh->e_shnum; i++) {
		static const char name[] = "xray_instr_map";

		if (sh[i].sh_name + sizeof(name) > strs->sh_size ||
		    memcmp(f + strs->sh_offset + sh[i].sh_name, name,
			   sizeof(name)) != 0 ||
		    !(sh[i].sh_flags & SHF_ALLOC))
			continue;
		*addr = im->bias + sh[i].sh_addr;
		*len = sh[i].sh_size;
		found = *len >= sizeof(struct sled_entry);
		break;
	}
out:
	munmap((void *)f, (size_t)st.st_size);
	return found;
}

/*
 * Entry I of the map at MAP: its sled's address, its function's, its
 * kind. The section is byte-aligned, so the entry is copied out.
 */
static CPROF__NOINSTR void read_entry(uintptr_t map, size_t i, uintptr_t *at,
				      uintptr_t *fn, unsigned char *kind)
{
	uintptr_t p = map + i * sizeof(struct sled_entry);
	struct sled_entry e;

	memcpy(&e, (const void *)p, sizeof(e));
	*at = (uintptr_t)e.address;
	*fn = (uintptr_t)e.function;
	if (e.version >= 2) {
		*at += p + offsetof(struct sled_entry, address);
		*fn += p + offsetof(struct sled_entry, function);
	}
	*kind = e.kind;
}

/* The loaded segment with FLAGS that holds [A, A + N), or NULL. */
static CPROF__NOINSTR const ElfW(Phdr) * segment_of(const struct image *im,
						    uintptr_t a, size_t n,
						    unsigned flags)
{
	for (size_t i = 0; i < im->phnum; i++) {
		const ElfW(Phdr) *p = &im->phdr[i];
		uintptr_t lo = im->bias + p->p_vaddr;

		if (p->p_type == PT_LOAD && (p->p_flags & flags) == flags &&
		    a >= lo && a + n <= lo + p->p_memsz)
			return p;
	}
	return NULL;
}

/* The sled as the compiler left it, never run nor patched. */
static CPROF__NOINSTR CODE_ACCESS bool unpatched(const struct sled *s)
{
	const unsigned char *b = (const unsigned char *)s->at;

	if (s->kind == K_EXIT)
		return b[0] == 0xc3;
	return b[0] == 0xeb && b[1] == SLED_LEN - 2;
}

static CPROF__NOINSTR uintptr_t dist(uintptr_t a, uintptr_t b)
{
	return a > b ? a - b : b - a;
}

/* A page within reach of a rel32 from every sled in [LO, HI). */
static CPROF__NOINSTR unsigned char *near_page(uintptr_t lo, uintptr_t hi,
					       size_t page)
{
	/*
	 * Below the executable first: above it lies the heap, which a
	 * mapping there would keep from growing with brk.
	 */
	static const uintptr_t gaps[] = {UINT64_C(2) << 20, UINT64_C(64) << 20,
					 UINT64_C(1) << 30};

	for (size_t i = 0; i < 2 * (sizeof(gaps) / sizeof(gaps[0])); i++) {
		uintptr_t g = gaps[i % 3], hint;
		unsigned char *p;

		if (i < 3) {
			if (lo < g + page)
				continue;
			hint = (lo - g) & ~(page - 1);
		} else {
			hint = (hi + g + page - 1) & ~(page - 1);
		}
		p = mmap((void *)hint, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue;
		if (dist((uintptr_t)p, hi) < (UINT64_C(1) << 31) - page &&
		    dist((uintptr_t)p, lo) < (UINT64_C(1) << 31) - page)
			return p;
		munmap(p, page);
	}
	return NULL;
}

/* Write `movabs $TARGET, %r11; jmp *%r11` at P; returns its address. */
static CPROF__NOINSTR uintptr_t put_stub(unsigned char *p, void (*target)(void))
{
	uint64_t t = (uint64_t)(uintptr_t)target;

	p[0] = 0x49;
	p[1] = 0xbb;
	memcpy(p + 2, &t, 8);
	p[10] = 0x41;
	p[11] = 0xff;
	p[12] = 0xe3;
	return (uintptr_t)p;
}

/*
 * Patch sled S to reach STUB. The 9 bytes after the first two are dead
 * code until those two change (skipped by the jump, or after the `ret`),
 * so they are written first and the first two last, in one store: a
 * thread running the function meanwhile sees the old sled or the new.
 */
static CPROF__NOINSTR CODE_ACCESS void patch(const struct sled *s,
					     uintptr_t stub)
{
	unsigned char *b = (unsigned char *)s->at;
	int32_t rel = (int32_t)((intptr_t)stub - (intptr_t)(s->at + SLED_LEN));
	uint16_t op = 0xba41; /* mov $imm32, %r10d */

	memcpy(b + 2, &s->id, 4);
	b[6] = s->kind == K_EXIT ? 0xe9 : 0xe8; /* jmp or call rel32 */
	memcpy(b + 7, &rel, 4);
	atomic_signal_fence(memory_order_seq_cst);
	__asm__ __volatile__("movw %1, %0"
			     : "=m"(*(unsigned char(*)[2])b)
			     : "r"(op));
}

/*
 * Which functions to patch: every one, or none with CPROF_XRAY=off (the
 * sleds then cost what they cost without cprof). Choosing per function
 * (a filter, the adaptive timing) is a question asked per id here; the
 * sleds of a function are patched all or none, so that its log stays
 * balanced.
 */
static CPROF__NOINSTR bool wanted(uintptr_t fn)
{
	/* --exclude: such a function's sleds cost what they do unpatched. */
	return cprof__sel_wanted(fn);
}

static CPROF__NOINSTR bool xray_off(void)
{
	const char *v = getenv(CPROF_ENV_XRAY);

	return v && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
		     strcmp(v, "none") == 0);
}

static CPROF__NOINSTR void start(void)
{
	struct image im = {0};
	uintptr_t map;
	size_t len, n, nfn = 0, nsled = 0, skipped = 0;
	struct sled *sleds;
	uintptr_t *fns, lo = UINTPTR_MAX, hi = 0;
	const ElfW(Phdr) *seg = NULL;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *stubs;
	uintptr_t st_entry, st_exit, st_tail;
	int prot;

	if (cprof__xray_fns || xray_off())
		return;
	dl_iterate_phdr(first_object, &im);
	if (!im.phdr || !find_map(&im, &map, &len) ||
	    !segment_of(&im, map, len, PF_R))
		return;
	n = len / sizeof(struct sled_entry);
	sleds = map_anon(n * sizeof(*sleds));
	fns = map_anon((n + 1) * sizeof(*fns));
	if (!sleds || !fns) {
		cprof__warn("cannot map the XRay function table", NULL, ENOMEM,
			    "XRay functions are not profiled");
		if (sleds)
			munmap(sleds, n * sizeof(*sleds));
		if (fns)
			munmap(fns, (n + 1) * sizeof(*fns));
		return;
	}
	/*
	 * A function's sleds are consecutive in the table; one that is
	 * patched already (the program's XRay runtime, XRAY_OPTIONS=
	 * patch_premain=true) or of an unknown shape is left as it is.
	 */
	for (size_t i = 0; i < n;) {
		uintptr_t fn, at, f;
		unsigned char kind;
		size_t j, first = nsled;
		bool ok, bad = false;

		read_entry(map, i, &at, &fn, &kind);
		ok = wanted(fn);
		for (j = i; j < n; j++) {
			const ElfW(Phdr) * p;

			read_entry(map, j, &at, &f, &kind);
			if (f != fn)
				break;
			if (kind > K_ENTRY_ARGS)
				continue; /* custom events: not ours */
			p = segment_of(&im, at, SLED_LEN, PF_R | PF_X);
			sleds[nsled] = (struct sled){
				at, 0, kind == K_ENTRY_ARGS ? K_ENTRY : kind};
			if (!p || (seg && p != seg) ||
			    !unpatched(&sleds[nsled])) {
				bad = true;
				continue;
			}
			seg = p;
			nsled++;
		}
		i = j;
		if (!ok || bad) {
			skipped += bad;
			nsled = first;
			continue;
		}
		if (nsled == first)
			continue;
		fns[++nfn] = fn;
		for (size_t k = first; k < nsled; k++) {
			sleds[k].id = (uint32_t)nfn;
			lo = sleds[k].at < lo ? sleds[k].at : lo;
			hi = sleds[k].at + SLED_LEN > hi
				     ? sleds[k].at + SLED_LEN
				     : hi;
		}
	}
	if (skipped)
		cprof__warn("XRay sleds patched already or not understood "
			    "(XRAY_OPTIONS=patch_premain?)",
			    NULL, 0, "those functions are not profiled");
	if (!nsled)
		goto none;
	stubs = near_page(lo, hi, page);
	if (!stubs) {
		cprof__warn("no room near the program for the XRay "
			    "trampolines",
			    NULL, 0, "XRay functions are not profiled");
		goto none;
	}
	st_entry = put_stub(stubs, cprof__xray_tramp_entry);
	st_exit = put_stub(stubs + 16, cprof__xray_tramp_exit);
	st_tail = put_stub(stubs + 32, cprof__xray_tramp_tail);
	if (mprotect(stubs, page, PROT_READ | PROT_EXEC) != 0) {
		cprof__warn("cannot make the XRay trampolines executable", NULL,
			    errno, "XRay functions are not profiled");
		munmap(stubs, page);
		goto none;
	}
	/* The table is complete before the first patched sled can run. */
	cprof__xray_fns = fns;
	/*
	 * Writable text: where a policy refuses writable and executable
	 * pages at once, writable only, while the patching lasts (it runs
	 * before main(), when the program's code runs nowhere else).
	 */
	prot = (seg->p_flags & PF_R ? PROT_READ : 0) | PROT_EXEC;
	lo &= ~(uintptr_t)(page - 1);
	if (mprotect((void *)lo, hi - lo, prot | PROT_WRITE) != 0 &&
	    mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) != 0) {
		cprof__warn("cannot write the program's code to patch its "
			    "XRay sleds",
			    NULL, errno, "XRay functions are not profiled");
		munmap(stubs, page);
		goto none;
	}
	for (size_t k = 0; k < nsled; k++)
		patch(&sleds[k], sleds[k].kind == K_ENTRY  ? st_entry
				 : sleds[k].kind == K_EXIT ? st_exit
							   : st_tail);
	if (mprotect((void *)lo, hi - lo, prot) != 0)
		cprof__warn("cannot protect the program's code again after "
			    "patching its XRay sleds",
			    NULL, errno, NULL);
	munmap(sleds, n * sizeof(*sleds));
	return;
none:
	munmap(sleds, n * sizeof(*sleds));
	munmap(fns, (n + 1) * sizeof(*fns));
	cprof__xray_fns = NULL;
}

CPROF__NOINSTR void cprof__xray_start(void)
{
	int saved = errno; /* the program's, whatever happens here */

	start();
	errno = saved;
}

#else /* !__x86_64__ */

CPROF__NOINSTR void cprof__xray_start(void)
{
	/* XRay sleds are patched on x86-64 only; elsewhere they stay off. */
}

#endif
