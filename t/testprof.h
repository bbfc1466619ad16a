/*
 * testprof.h - what the unit tests of the CLI's profile (test-profile.c,
 * test-merge.c) share: loading a run with its warnings captured, finding
 * a function, thread or frame of the profile by name, and the objects of
 * the test program itself, whose real addresses their map chunks name.
 */
#ifndef CPROF_TESTPROF_H
#define CPROF_TESTPROF_H

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "unit.h"

/* Load WHERE into P; *ERR receives what the loader printed on stderr. */
static inline int load(struct cp_profile *p, const char *where,
		       const char **err)
{
	int rc;

	memset(p, 0, sizeof *p);
	tu_capture();
	rc = cp_profile_load(p, where);
	*err = tu_captured();
	return rc;
}

static inline const struct cp_func *func(const struct cp_profile *p,
					 const char *name)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		if (strcmp(p->funcs[i].name, name) == 0)
			return &p->funcs[i];
	}
	return NULL;
}

static inline const struct cp_thread *thread(const struct cp_profile *p,
					     int tid)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	}
	return NULL;
}

/* The row of NAME on thread TID, NULL when it has none. */
static inline const struct cp_thread_func *
thread_func(const struct cp_profile *p, int tid, const char *name)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct cp_thread *t = &p->threads[i];

		if (t->tid != tid)
			continue;
		for (size_t j = 0; j < t->nfuncs; j++) {
			if (strcmp(p->funcs[t->funcs[j].func].name, name) == 0)
				return &t->funcs[j];
		}
	}
	return NULL;
}

static inline const struct cp_frames *frames(const struct cp_profile *p,
					     const char *name)
{
	for (size_t i = 0; i < p->nframes; i++) {
		if (strcmp(p->frames[i].name, name) == 0)
			return &p->frames[i];
	}
	return NULL;
}

/* An object loaded in this process, and the executable code of it. */
struct tp_object {
	char path[4096]; /* "" for the program */
	uint64_t base, start, end;
	int found;
};

static inline int tp_named(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tp_object *o = arg;
	const char *want = o->path;

	(void)size;
	if (o->found)
		return 0;
	if (want[0] == '\0' ? info->dlpi_name[0] != '\0'
			    : strstr(info->dlpi_name, want) == NULL)
		return 0;
	o->base = info->dlpi_addr;
	o->start = UINT64_MAX;
	o->end = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (info->dlpi_addr + ph->p_vaddr < o->start)
			o->start = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > o->end)
			o->end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	snprintf(o->path, sizeof o->path, "%s", info->dlpi_name);
	o->found = 1;
	return 0;
}

/*
 * The first object whose name holds WANT ("" for the program itself): its
 * base, and the span of its executable segments. 0 when found.
 */
static inline int tp_object_named(const char *want, struct tp_object *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->path, sizeof o->path, "%s", want);
	dl_iterate_phdr(tp_named, o);
	return o->found ? 0 : -1;
}

static inline int tp_holding(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tp_object *o = arg;
	uint64_t addr = o->base;

	(void)size;
	for (int i = 0; !o->found && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    addr < lo || addr >= lo + ph->p_memsz)
			continue;
		snprintf(o->path, sizeof o->path, "%s", info->dlpi_name);
		o->base = info->dlpi_addr;
		o->start = lo;
		o->end = lo + ph->p_memsz;
		o->found = 1;
	}
	return 0;
}

/* The object whose executable segment holds ADDR, and that segment. */
static inline int tp_object_at(uint64_t addr, struct tp_object *o)
{
	memset(o, 0, sizeof *o);
	o->base = addr;
	dl_iterate_phdr(tp_holding, o);
	return o->found ? 0 : -1;
}

#endif /* CPROF_TESTPROF_H */
