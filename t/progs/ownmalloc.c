/*
 * ownmalloc.c - a program that defines the allocator itself (a bump
 * allocator in its own executable), for e2e-alloc.sh: preloaded wrappers
 * cannot come before it, and --alloc must say so once and change nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

static _Alignas(64) unsigned char heap[8 << 20];
static size_t used;

/* Each block is preceded by its size; 64-byte aligned at most. */
static void *bump(size_t n, size_t align)
{
	size_t at;

	if (align < 16)
		align = 16;
	at = (used + 16 + align - 1) & ~(align - 1);
	if (n > sizeof heap || at + n > sizeof heap) {
		errno = ENOMEM;
		return NULL;
	}
	used = at + n;
	((size_t *)(heap + at))[-1] = n;
	return heap + at;
}

void *malloc(size_t n)
{
	return bump(n, 16);
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t k, size_t n)
{
	return k && n > SIZE_MAX / k ? NULL : bump(k * n, 16);
}

void *realloc(void *p, size_t n)
{
	void *q = bump(n, 16);

	if (p && q) {
		size_t had = ((size_t *)p)[-1];

		memcpy(q, p, had < n ? had : n);
	}
	return q;
}

void *memalign(size_t a, size_t n)
{
	return bump(n, a);
}

void *aligned_alloc(size_t a, size_t n)
{
	return bump(n, a);
}

int posix_memalign(void **out, size_t a, size_t n)
{
	void *p = bump(n, a);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

static void *volatile held;

COUNTED void work(void)
{
	for (int i = 0; i < 10; i++)
		held = malloc(32);
}

int main(void)
{
	work();
	printf("own allocator done\n");
	return 5;
}
