/*
 * pool.c - interned strings and a small hash index for the reading side.
 *
 * A profile names thousands of functions, files and objects that repeat
 * over processes and threads. The pool stores each distinct string once,
 * in large blocks freed together, so two names are equal exactly when
 * their pointers are, and the merge can key tables by pointer. The index
 * maps a 64-bit hash to element numbers of an array the caller owns; the
 * caller decides what "equal" means, so one index serves every table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Strings longer than a quarter block get a block of their own. */
#define POOL_BLOCK (64 * 1024)

struct pool_block {
	struct pool_block *next;
	size_t used, size;
	char data[];
};

struct cp_pool {
	struct pool_block *blocks;
	struct cp_index index;
	const char **strs; /* element i of the index */
	size_t nstrs, capstrs;
};

uint64_t cp_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	/* FNV-1a, then a finalizer so that the low bits used for slots mix. */
	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return cp_hash_u64(h);
}

uint64_t cp_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint32_t cp_index_find(const struct cp_index *ix, uint64_t hash,
		       int (*eq)(const void *ctx, uint32_t id), const void *ctx)
{
	if (ix->cap == 0)
		return CP_INDEX_NONE;
	for (size_t i = hash & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
		const struct cp_index_slot *s = &ix->slots[i];

		if (s->id == CP_INDEX_NONE)
			return CP_INDEX_NONE;
		if (s->hash == hash && eq(ctx, s->id))
			return s->id;
	}
}

static void index_put(struct cp_index_slot *slots, size_t cap, uint64_t hash,
		      uint32_t id)
{
	size_t i = hash & (cap - 1);

	while (slots[i].id != CP_INDEX_NONE)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].id = id;
}

void cp_index_add(struct cp_index *ix, uint64_t hash, uint32_t id)
{
	/* Keep the load under one half so that probes stay short. */
	if (2 * (ix->n + 1) > ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 64;
		struct cp_index_slot *slots = xmalloc(cap * sizeof *slots);

		for (size_t i = 0; i < cap; i++)
			slots[i].id = CP_INDEX_NONE;
		for (size_t i = 0; i < ix->cap; i++) {
			if (ix->slots[i].id != CP_INDEX_NONE)
				index_put(slots, cap, ix->slots[i].hash,
					  ix->slots[i].id);
		}
		free(ix->slots);
		ix->slots = slots;
		ix->cap = cap;
	}
	index_put(ix->slots, ix->cap, hash, id);
	ix->n++;
}

void cp_index_clear(struct cp_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}

struct cp_pool *cp_pool_new(void)
{
	return xcalloc(1, sizeof(struct cp_pool));
}

void cp_pool_free(struct cp_pool *pool)
{
	struct pool_block *b, *next;

	if (pool == NULL)
		return;
	for (b = pool->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	cp_index_clear(&pool->index);
	free(pool->strs);
	free(pool);
}

static char *pool_alloc(struct cp_pool *pool, size_t n)
{
	struct pool_block *b = pool->blocks;

	if (b == NULL || b->size - b->used < n) {
		size_t size = n > POOL_BLOCK / 4 ? n : POOL_BLOCK;

		b = xmalloc(sizeof *b + size);
		b->used = 0;
		b->size = size;
		/*
		 * A block made for one long string goes behind the current
		 * one, which keeps its free space for the short strings.
		 */
		if (size != POOL_BLOCK && pool->blocks != NULL) {
			b->next = pool->blocks->next;
			pool->blocks->next = b;
		} else {
			b->next = pool->blocks;
			pool->blocks = b;
		}
	}
	b->used += n;
	return b->data + b->used - n;
}

struct pool_key {
	const struct cp_pool *pool;
	const char *s;
	size_t len;
};

static int pool_eq(const void *ctx, uint32_t id)
{
	const struct pool_key *k = ctx;
	const char *t = k->pool->strs[id];

	return strncmp(t, k->s, k->len) == 0 && t[k->len] == '\0';
}

const char *cp_pool_intern(struct cp_pool *pool, const char *s, size_t len)
{
	struct pool_key k;
	uint64_t h;
	uint32_t id;
	char *t;

	/* An absent string of the log has no pointer at all. */
	if (len == 0)
		s = "";
	k.pool = pool;
	k.s = s;
	k.len = len;
	h = cp_hash_bytes(s, len);

	/*
	 * A string with a NUL inside cannot be told apart from its prefix
	 * once stored; the logs never hold one, and a corrupt one is cut
	 * there so that equal pointers still mean equal C strings.
	 */
	t = memchr(s, '\0', len);
	if (t != NULL) {
		len = (size_t)(t - s);
		k.len = len;
		h = cp_hash_bytes(s, len);
	}
	id = cp_index_find(&pool->index, h, pool_eq, &k);
	if (id != CP_INDEX_NONE)
		return pool->strs[id];

	t = pool_alloc(pool, len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	if (pool->nstrs == pool->capstrs) {
		pool->capstrs = pool->capstrs ? 2 * pool->capstrs : 256;
		pool->strs = xrealloc(pool->strs,
				      pool->capstrs * sizeof *pool->strs);
	}
	pool->strs[pool->nstrs] = t;
	cp_index_add(&pool->index, h, (uint32_t)pool->nstrs);
	pool->nstrs++;
	return t;
}

const char *cp_pool_str(struct cp_pool *pool, const char *s)
{
	return cp_pool_intern(pool, s, strlen(s));
}
