/*
 * unwind.c - call chains of --call-graph=dwarf samples, unwound offline.
 *
 * A dwarf sample carries the user registers a caller's frame can live
 * in (instruction and stack pointers, frame pointer, callee-saved) and a
 * copy of the top of the user stack. The report unwinds it here with
 * libunwind over a remote address space of our own: its memory is the
 * stack copy, and past it the file bytes of the objects of the recorded
 * load map (their .eh_frame_hdr and .eh_frame, and any constant the
 * unwind rules read); its registers are the recorded ones. Procedure
 * information comes from each object's .eh_frame_hdr binary-search
 * table, handed to libunwind as a remote table (the layout the
 * .eh_frame_hdr section defines: a version byte, three encodings, the
 * .eh_frame pointer, the entry count, then pairs of 4-byte
 * data-relative addresses). The chain is a list of return addresses,
 * innermost caller first, exactly the shape of a frame-pointer chain, so
 * samples.c places both alike.
 *
 * What it cannot do: objects without .eh_frame_hdr (.debug_frame alone)
 * give no procedure information and the chain stops there; a frame whose
 * stack lies beyond the copy stops it too (the copy is SIZE bytes from
 * the stack pointer); and the log must be read on the machine type it
 * was recorded on (libunwind's generic interface is the host's).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifdef HAVE_LIBUNWIND

#include <libunwind.h>

/* libunwind exports it for remote tables, without a prototype. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as,
					      unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

struct cp_unwind {
	unw_addr_space_t as;
	struct cp_symmap *map;
	size_t gen;    /* the map's generation the cache is valid for */
	uint64_t regs; /* perf register mask of the samples */
	int perf_of[UNW_REG_LAST + 1 > 64 ? UNW_REG_LAST + 1 : 64];
	/* The sample being unwound. */
	const struct cp_log_sample *s;
	uint64_t sp;
};

/* libunwind's register number to the perf one, -1 when none. */
static int perf_reg(int unw)
{
#if defined(__x86_64__)
	/* perf: ax bx cx dx si di bp sp ip ... r8-r15 from 16. */
	static const int map[] = {
		[UNW_X86_64_RAX] = 0,  [UNW_X86_64_RDX] = 3,
		[UNW_X86_64_RCX] = 2,  [UNW_X86_64_RBX] = 1,
		[UNW_X86_64_RSI] = 4,  [UNW_X86_64_RDI] = 5,
		[UNW_X86_64_RBP] = 6,  [UNW_X86_64_RSP] = 7,
		[UNW_X86_64_R8] = 16,  [UNW_X86_64_R9] = 17,
		[UNW_X86_64_R10] = 18, [UNW_X86_64_R11] = 19,
		[UNW_X86_64_R12] = 20, [UNW_X86_64_R13] = 21,
		[UNW_X86_64_R14] = 22, [UNW_X86_64_R15] = 23,
		[UNW_X86_64_RIP] = 8,
	};

	return unw >= 0 && unw < (int)(sizeof map / sizeof map[0]) ? map[unw]
								   : -1;
#elif defined(__aarch64__)
	/* Both number x0-x30, sp and pc alike. */
	return unw >= 0 && unw <= 32 ? unw : -1;
#else
	(void)unw;
	return -1;
#endif
}

/* The value of perf register R in the sample, if it was recorded. */
static int sample_reg(const struct cp_unwind *u, int r, uint64_t *v)
{
	int idx;

	if (r < 0 || r > 63 || u->s->regs == NULL || !(u->regs >> r & 1))
		return -1;
	idx = __builtin_popcountll(u->regs & ((1ull << r) - 1));
	memcpy(v, u->s->regs + 8 * idx, 8);
	return 0;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip,
			  unw_proc_info_t *pi, int need_unwind_info, void *arg)
{
	struct cp_unwind *u = arg;
	struct cp_unwind_obj o;
	unsigned char hdr[12];
	unw_dyn_info_t di;
	uint32_t count;

	if (cp_symmap_unwind_info(u->map, ip, u->gen, &o) != 0 ||
	    o.eh_frame_hdr_len < sizeof hdr ||
	    cp_symmap_read(u->map, o.eh_frame_hdr, u->gen, hdr, sizeof hdr) !=
		    0)
		return -UNW_ENOINFO;
	/*
	 * Version 1; the .eh_frame pointer and the count in 4 bytes (the
	 * low nibble 3 or 0xb: udata4 or sdata4, whatever their
	 * application); the table data-relative sdata4 (0x3b): what every
	 * linker writes. Anything else is left alone.
	 */
	if (hdr[0] != 1 || ((hdr[1] & 0x7) != 3) || ((hdr[2] & 0x7) != 3) ||
	    hdr[3] != 0x3b)
		return -UNW_ENOINFO;
	memcpy(&count, hdr + 8, 4);
	memset(&di, 0, sizeof di);
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = o.lo;
	di.end_ip = o.hi;
	di.u.rti.segbase = o.eh_frame_hdr;
	di.u.rti.table_data = o.eh_frame_hdr + sizeof hdr;
	di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi,
						  need_unwind_info, arg);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as;
	(void)pi;
	(void)arg;
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr,
				  void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

/* A word of the stack copy, else of the objects' files. */
static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp,
		      int write, void *arg)
{
	struct cp_unwind *u = arg;

	(void)as;
	if (write)
		return -UNW_EINVAL;
	if (addr >= u->sp && u->s->stack_len >= sizeof *valp &&
	    addr - u->sp <= u->s->stack_len - sizeof *valp) {
		memcpy(valp, u->s->stack + (addr - u->sp), sizeof *valp);
		return 0;
	}
	if (cp_symmap_read(u->map, addr, u->gen, valp, sizeof *valp) == 0)
		return 0;
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *valp,
		      int write, void *arg)
{
	struct cp_unwind *u = arg;
	uint64_t v;

	(void)as;
	if (write)
		return -UNW_EREADONLYREG;
	if (sample_reg(u, perf_reg(reg), &v) != 0)
		return -UNW_EBADREG;
	*valp = (unw_word_t)v;
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			 size_t len, unw_word_t *off, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_EINVAL;
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

struct cp_unwind *cp_unwind_new(struct cp_symmap *map, uint64_t regs,
				const char *arch, size_t arch_len)
{
	static int warned;
	struct cp_unwind *u;

	if (arch_len != strlen(CPROF_DWARF_ARCH) ||
	    memcmp(arch, CPROF_DWARF_ARCH, arch_len) != 0 ||
	    CPROF_DWARF_REGS == 0) {
		if (!warned++)
			warnx("the stack samples were recorded on %.*s: their "
			      "call chains cannot be unwound on this machine",
			      (int)arch_len, arch);
		return NULL;
	}
	u = xcalloc(1, sizeof *u);
	u->as = unw_create_addr_space(&accessors, 0);
	if (u->as == NULL) {
		free(u);
		if (!warned++)
			warnx("libunwind cannot make an address space: the "
			      "stack samples' call chains are not unwound");
		return NULL;
	}
	unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
	u->map = map;
	u->regs = regs;
	return u;
}

size_t cp_unwind_chain(struct cp_unwind *u, const struct cp_log_sample *s,
		       uint64_t *out, size_t max)
{
	unw_cursor_t c;
	unw_word_t ip;
	uint64_t sp, uip;
	size_t n = 0, gen;

	if (u == NULL || s->regs == NULL)
		return 0;
	u->s = s;
	if (sample_reg(u, perf_reg(UNW_REG_SP), &sp) != 0 ||
	    sample_reg(u, perf_reg(UNW_REG_IP), &uip) != 0)
		return 0;
	/* What libunwind cached holds for the objects of this map only. */
	gen = cp_symmap_gen(u->map);
	if (gen != u->gen) {
		unw_flush_cache(u->as, 0, 0);
		u->gen = gen;
	}
	u->sp = sp;
	/*
	 * A sample taken in the kernel has the user registers of its
	 * system call or fault: the user address heads the chain, as in a
	 * frame-pointer one.
	 */
	if (s->ip != uip && max > 0)
		out[n++] = uip;
	if (unw_init_remote(&c, u->as, u) < 0)
		return n;
	while (n < max && unw_step(&c) > 0) {
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		out[n++] = ip;
	}
	return n;
}

void cp_unwind_free(struct cp_unwind *u)
{
	if (u == NULL)
		return;
	unw_destroy_addr_space(u->as);
	free(u);
}

#else /* !HAVE_LIBUNWIND */

struct cp_unwind *cp_unwind_new(struct cp_symmap *map, uint64_t regs,
				const char *arch, size_t arch_len)
{
	static int warned;

	(void)map;
	(void)regs;
	(void)arch;
	(void)arch_len;
	if (!warned++)
		warnx("this cprof was built without libunwind: the stack "
		      "samples' call chains cannot be unwound");
	return NULL;
}

size_t cp_unwind_chain(struct cp_unwind *u, const struct cp_log_sample *s,
		       uint64_t *out, size_t max)
{
	(void)u;
	(void)s;
	(void)out;
	(void)max;
	return 0;
}

void cp_unwind_free(struct cp_unwind *u)
{
	(void)u;
}

#endif
