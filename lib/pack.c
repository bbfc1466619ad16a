/*
 * pack.c - msgpack helpers shared by the encoders of the log (writer.c,
 * counters.c, loadmap.c). The packer they are given writes into the
 * writer's fixed buffer, so these allocate nothing either.
 */
#include "config.h"

#include <msgpack.h>
#include <string.h>

#include "internal.h"

CPROF__NOINSTR void cprof__pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s ? s : "", n);
}

CPROF__NOINSTR void cprof__pack_kv_u64(msgpack_packer *pk, const char *k,
				       uint64_t v)
{
	cprof__pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
}
