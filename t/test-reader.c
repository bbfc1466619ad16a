/*
 * test-reader.c - unit tests of cli/reader.c, the streaming log reader.
 *
 * Each test writes a log with msgpack-c's packer and checks what the
 * reader delivers, record by record: exact header fields, absolute event
 * times, and how much of a damaged log is kept. The damage tests cut a
 * log at every possible length, overwrite bytes, and feed random bytes:
 * the reader must keep what came before, or refuse the file cleanly, and
 * never crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "testlog.h"

static char *dir;
static char path[4200];

/* Everything the callbacks saw. */
struct seen {
	int headers, maps, threads, evs, clocks, ends;
	struct cp_log_header h;
	char exe[64], argv1[64], source[16];
	struct cp_log_obj obj;
	char objpath[64];
	unsigned char build_id[8];
	uint64_t segs[2];
	struct cp_log_thread th;
	char thname[32];
	uint64_t events, ticks_sum, last_tick, exits, site_sum;
	int last_tid;
	struct cp_log_site site0, site1;
	char site1_name[32], site1_file[32];
	uint64_t clock_ticks, clock_ns;
	struct cp_log_end end;
	char reason[16];
	/* Counters. */
	int samples_chunks, lost_chunks, counts_chunks;
	uint64_t nsamples, sample_time, sample_ip, delta_sum, chain_sum;
	uint64_t nchain, lost, throttled, count0, enabled, running;
	uint64_t values_sum, values_last;
	uint64_t own_sum; /* counts chunks' "runtime" values */
	int own_chunks;
	char runtime[64]; /* the header's "runtime" */
	/* --alloc: the "al" entries seen, in order (the first 4). */
	size_t nallocs;
	struct cp_log_alloc allocs[4];
};

static void copy(char *dst, size_t n, struct cp_bytes b)
{
	size_t len = b.len < n - 1 ? b.len : n - 1;

	if (len > 0)
		memcpy(dst, b.ptr, len);
	dst[len] = '\0';
}

static void on_header(void *arg, const struct cp_log_header *h)
{
	struct seen *s = arg;

	s->headers++;
	s->h = *h;
	copy(s->exe, sizeof s->exe, h->exe);
	if (h->argc > 1)
		copy(s->argv1, sizeof s->argv1, h->argv[1]);
	copy(s->source, sizeof s->source, h->clock_source);
	copy(s->runtime, sizeof s->runtime, h->runtime);
}

static void on_map(void *arg, const struct cp_log_obj *objs, size_t n)
{
	struct seen *s = arg;

	s->maps++;
	if (n == 0)
		return;
	s->obj = objs[0];
	copy(s->objpath, sizeof s->objpath, objs[0].path);
	if (objs[0].build_id.len > 0 &&
	    objs[0].build_id.len <= sizeof s->build_id)
		memcpy(s->build_id, objs[0].build_id.ptr, objs[0].build_id.len);
	if (objs[0].nsegs > 0)
		memcpy(s->segs, objs[0].segs, sizeof s->segs);
}

static void on_thread(void *arg, const struct cp_log_thread *t)
{
	struct seen *s = arg;

	s->threads++;
	if (t->has_start) {
		s->th = *t;
		copy(s->thname, sizeof s->thname, t->name);
	}
}

static void on_ev(void *arg, const struct cp_log_ev *c)
{
	struct seen *s = arg;

	s->evs++;
	s->last_tid = c->tid;
	for (size_t i = 0; i < c->nev; i++) {
		CU_ASSERT(c->ev[i].site < c->nsites);
		s->ticks_sum += c->ev[i].ticks;
		s->exits += c->ev[i].exit;
		s->site_sum += c->ev[i].site;
		s->last_tick = c->ev[i].ticks;
	}
	s->events += c->nev;
	if (c->values != NULL && c->nev > 0) {
		for (size_t i = 0; i < c->nev * s->h.ncounters; i++)
			s->values_sum += c->values[i];
		s->values_last = c->values[c->nev * s->h.ncounters - 1];
	}
	for (size_t i = 0; i < c->nallocs; i++) {
		if (s->nallocs < 4)
			s->allocs[s->nallocs] = c->allocs[i];
		s->nallocs++;
	}
	if (c->nsites >= 1)
		s->site0 = c->sites[0];
	if (c->nsites >= 2) {
		s->site1 = c->sites[1];
		copy(s->site1_name, sizeof s->site1_name, c->sites[1].name);
		copy(s->site1_file, sizeof s->site1_file, c->sites[1].file);
	}
}

static void on_clock(void *arg, uint64_t ticks, uint64_t ns)
{
	struct seen *s = arg;

	s->clocks++;
	s->clock_ticks = ticks;
	s->clock_ns = ns;
}

static void on_end(void *arg, const struct cp_log_end *e)
{
	struct seen *s = arg;

	s->ends++;
	s->end = *e;
	copy(s->reason, sizeof s->reason, e->reason);
}

static void on_samples(void *arg, const struct cp_log_samples *c)
{
	struct seen *s = arg;

	s->samples_chunks++;
	for (size_t i = 0; i < c->n; i++) {
		s->nsamples++;
		s->sample_time = c->s[i].time;
		s->sample_ip = c->s[i].ip;
		for (size_t k = 0; k < s->h.ncounters; k++)
			s->delta_sum += c->s[i].deltas[k];
		s->nchain += c->s[i].nchain;
		for (size_t j = 0; j < c->s[i].nchain; j++)
			s->chain_sum += c->s[i].chain[j];
	}
}

static void on_lost(void *arg, int tid, uint64_t lost, uint64_t throttled)
{
	struct seen *s = arg;

	(void)tid;
	s->lost_chunks++;
	s->lost += lost;
	s->throttled += throttled;
}

static void on_counts(void *arg, const struct cp_log_counts *c)
{
	struct seen *s = arg;

	s->counts_chunks++;
	s->count0 = c->values[0];
	if (c->runtime != NULL) {
		s->own_chunks++;
		for (size_t i = 0; i < s->h.ncounters; i++)
			s->own_sum += c->runtime[i];
	}
	s->enabled = c->enabled;
	s->running = c->running;
}

static const struct cp_log_ops ops = {
	.header = on_header,
	.map = on_map,
	.thread = on_thread,
	.ev = on_ev,
	.clock = on_clock,
	.end = on_end,
	.samples = on_samples,
	.lost = on_lost,
	.counts = on_counts,
};

/* Read PATH into S, capturing stderr into *ERR. */
static int read_log(struct seen *s, struct cp_log_result *r, const char **err)
{
	int rc;

	memset(s, 0, sizeof *s);
	tu_capture();
	rc = cp_log_read(path, &ops, s, r);
	*err = tu_captured();
	return rc;
}

static const struct tl_site sites2[] = {
	{.addr = 0x401000},
	{.name = "work", .kind = "scope"},
};

/*
 * A small valid log: header, map, thread, two ev chunks, clock, end.
 * BOUNDS receives the offset after each object.
 */
static size_t small_log(struct tlog *l, size_t *bounds)
{
	static const unsigned char id[4] = {0xde, 0xad, 0xbe, 0xef};
	const struct tl_event ev1[] = {
		{'E', 0, 1010},
		{'E', 1, 1020},
		{'X', 1, 1030},
	};
	const struct tl_event ev2[] = {{'X', 0, 1100}};
	size_t n = 0;

	tl_init(l);
	tl_header(l, 42, 0, 1000, 5000);
	bounds[n++] = l->sb.size;
	tl_map(l, "", 0x400000, id, sizeof id, 0x401000, 0x402000);
	bounds[n++] = l->sb.size;
	tl_thread_start(l, 43, 1005, "main");
	bounds[n++] = l->sb.size;
	tl_ev(l, 43, 1000, sites2, 2, ev1, 3);
	bounds[n++] = l->sb.size;
	tl_ev(l, 43, 1090, sites2, 1, ev2, 1);
	bounds[n++] = l->sb.size;
	tl_clock(l, 1500, 5250);
	bounds[n++] = l->sb.size;
	tl_end(l, 2000, 5500);
	bounds[n++] = l->sb.size;
	return n;
}

static void test_valid_log(void)
{
	struct tlog l;
	size_t bounds[16];
	struct seen s;
	struct cp_log_result r;
	const char *err;

	small_log(&l, bounds);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(r.size, l.sb.size);
	ASSERT_EQ(r.used, l.sb.size);
	ASSERT_EQ(r.skipped, 0);
	ASSERT_EQ(r.chunks, 6);
	CU_ASSERT(!r.truncated && !r.corrupt);

	ASSERT_EQ(s.headers, 1);
	ASSERT_EQ(s.h.version, 1);
	ASSERT_EQ(s.h.pid, 42);
	ASSERT_EQ(s.h.ppid, 1);
	ASSERT_STR_EQ(s.exe, "/bin/test-prog");
	ASSERT_EQ(s.h.argc, 2);
	ASSERT_STR_EQ(s.argv1, "arg1");
	ASSERT_EQ(s.h.start_ns, 1700000000000000000ULL);
	CU_ASSERT(s.h.has_clock);
	ASSERT_STR_EQ(s.source, "tsc");
	ASSERT_EQ(s.h.hz, 0);
	ASSERT_EQ(s.h.ticks, 1000);
	ASSERT_EQ(s.h.mono_ns, 5000);

	ASSERT_EQ(s.maps, 1);
	ASSERT_STR_EQ(s.objpath, "");
	ASSERT_EQ(s.obj.base, 0x400000);
	ASSERT_EQ(s.obj.build_id.len, 4);
	ASSERT_EQ(s.build_id[3], 0xef);
	ASSERT_EQ(s.obj.nsegs, 1);
	ASSERT_EQ(s.segs[0], 0x401000);
	ASSERT_EQ(s.segs[1], 0x402000);

	ASSERT_EQ(s.threads, 1);
	ASSERT_EQ(s.th.tid, 43);
	ASSERT_EQ(s.th.start, 1005);
	CU_ASSERT(!s.th.has_end);
	ASSERT_STR_EQ(s.thname, "main");

	/* Deltas became absolute times. */
	ASSERT_EQ(s.evs, 2);
	ASSERT_EQ(s.events, 4);
	ASSERT_EQ(s.exits, 2);
	ASSERT_EQ(s.ticks_sum, 1010 + 1020 + 1030 + 1100);
	ASSERT_EQ(s.last_tick, 1100);
	ASSERT_EQ(s.last_tid, 43);
	ASSERT_EQ(s.site0.kind, CP_SITE_ADDR);
	ASSERT_EQ(s.site0.addr, 0x401000);
	ASSERT_EQ(s.site1.kind, CP_SITE_SCOPE);
	ASSERT_STR_EQ(s.site1_name, "work");
	ASSERT_STR_EQ(s.site1_file, "test.c");
	ASSERT_EQ(s.site1.line, 11);

	ASSERT_EQ(s.clocks, 1);
	ASSERT_EQ(s.clock_ticks, 1500);
	ASSERT_EQ(s.clock_ns, 5250);
	ASSERT_EQ(s.ends, 1);
	ASSERT_EQ(s.end.ticks, 2000);
	ASSERT_EQ(s.end.mono_ns, 5500);
	ASSERT_STR_EQ(s.reason, "exit");
	tl_destroy(&l);
}

/*
 * Integers of every msgpack width are read alike, and the LEB128 numbers
 * of the events may take up to ten bytes.
 */
static void test_integer_widths(void)
{
	static const uint64_t deltas[] = {1, 200, 70000, 5000000000ULL};
	unsigned char ev[64];
	size_t len = 0;
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;
	uint64_t t = 0;

	for (int i = 0; i < 4; i++) {
		len = tl_uleb(ev, len, deltas[i] << 1 | (i & 1));
		len = tl_uleb(ev, len, 0);
		t += deltas[i];
	}
	/* The largest delta there is, then one back to a small time. */
	len = tl_uleb(ev, len, UINT64_MAX);
	len = tl_uleb(ev, len, 0);
	ASSERT_EQ(len, (1 + 2 + 3 + 5) + 4 + 10 + 1);

	tl_init(&l);
	tl_header(&l, 1, 1000000000, 0, 0);
	msgpack_pack_map(&l.pk, 6);
	tl_kv_str(&l, "t", "ev");
	tl_str(&l, "tid");
	msgpack_pack_int16(&l.pk, 7);
	tl_str(&l, "t0");
	msgpack_pack_uint8(&l.pk, 0);
	tl_str(&l, "n");
	msgpack_pack_int64(&l.pk, 5);
	tl_str(&l, "sites");
	msgpack_pack_array(&l.pk, 1);
	msgpack_pack_uint64(&l.pk, 0xffffffff12345678ULL);
	tl_str(&l, "ev");
	msgpack_pack_bin(&l.pk, len);
	msgpack_pack_bin_body(&l.pk, ev, len);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(s.last_tid, 7);
	ASSERT_EQ(s.events, 5);
	ASSERT_EQ(s.site0.addr, 0xffffffff12345678ULL);
	/* Ticks wrap like the counter would: t + (2^63 - 1). */
	ASSERT_EQ(s.last_tick, t + (UINT64_MAX >> 1));
	ASSERT_EQ(s.exits, 3);
	tl_destroy(&l);
}

/* Keys and chunk types of a newer runtime are skipped silently. */
static void test_unknown_ignored(void)
{
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	tl_init(&l);
	msgpack_pack_map(&l.pk, 5);
	tl_kv_str(&l, "magic", "cprof");
	tl_kv_u64(&l, "version", 1);
	tl_kv_u64(&l, "pid", 9);
	tl_str(&l, "future");
	msgpack_pack_map(&l.pk, 1);
	tl_kv_u64(&l, "x", 1);
	tl_str(&l, "exe");
	msgpack_pack_int(&l.pk, 12); /* mistyped, optional: left out */

	msgpack_pack_map(&l.pk, 3);
	tl_kv_str(&l, "t", "hologram");
	tl_str(&l, "payload");
	msgpack_pack_array(&l.pk, 3);
	msgpack_pack_nil(&l.pk);
	msgpack_pack_double(&l.pk, 1.5);
	tl_str(&l, "z");
	tl_kv_u64(&l, "tid", 1);

	msgpack_pack_map(&l.pk, 5);
	tl_kv_str(&l, "t", "clock");
	tl_kv_u64(&l, "ticks", 10);
	tl_str(&l, "precision");
	msgpack_pack_true(&l.pk);
	tl_kv_u64(&l, "mono_ns", 20);
	tl_kv_str(&l, "comment", "from the future");
	tl_write(&l, path);

	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(s.headers, 1);
	ASSERT_EQ(s.h.pid, 9);
	ASSERT_STR_EQ(s.exe, "");
	CU_ASSERT(!s.h.has_clock);
	ASSERT_EQ(r.chunks, 1);
	ASSERT_EQ(s.clocks, 1);
	ASSERT_EQ(s.clock_ticks, 10);
	ASSERT_EQ(s.clock_ns, 20);
	CU_ASSERT(!r.truncated && !r.corrupt);
	tl_destroy(&l);
}

/*
 * Every prefix of a valid log is either refused (the header is cut) or
 * read up to its last whole chunk with one warning naming the bytes cut.
 */
static void test_truncated_every_length(void)
{
	struct tlog l;
	size_t bounds[16], nb = small_log(&l, bounds);
	struct seen s;
	struct cp_log_result r;
	const char *err;

	for (size_t len = 0; len < l.sb.size; len++) {
		size_t whole = 0, used = 0;
		int rc;

		for (size_t i = 0; i < nb; i++) {
			if (bounds[i] <= len) {
				whole = i + 1;
				used = bounds[i];
			}
		}
		tl_write_bytes(path, l.sb.data, len);
		rc = read_log(&s, &r, &err);
		if (whole == 0) {
			ASSERT_EQ(rc, -1);
			ASSERT_EQ(s.headers, 0);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "cprof log"));
			continue;
		}
		ASSERT_EQ(rc, 0);
		ASSERT_EQ(r.used, used);
		ASSERT_EQ(r.chunks, whole - 1);
		ASSERT_EQ(r.truncated, used != len);
		ASSERT_EQ(r.skipped, len - used);
		CU_ASSERT(!r.corrupt);
		if (used != len) {
			char want[4400];

			snprintf(want, sizeof want,
				 "cprof: %s: truncated: %zu bytes after the "
				 "last "
				 "whole chunk skipped\n",
				 path, len - used);
			ASSERT_STR_EQ(err, want);
		} else {
			ASSERT_STR_EQ(err, "");
		}
	}
	tl_destroy(&l);
}

/* A byte msgpack never uses, at the start of the fourth chunk. */
static void test_corrupt_bytes(void)
{
	struct tlog l;
	size_t bounds[16];
	struct seen s;
	struct cp_log_result r;
	const char *err;
	char want[200];
	char *copy_;

	small_log(&l, bounds);
	copy_ = malloc(l.sb.size);
	memcpy(copy_, l.sb.data, l.sb.size);
	copy_[bounds[3]] = (char)0xc1;
	tl_write_bytes(path, copy_, l.sb.size);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(r.used, bounds[3]);
	ASSERT_EQ(r.skipped, l.sb.size - bounds[3]);
	ASSERT_EQ(r.chunks, 3);
	ASSERT_EQ(s.evs, 1);
	ASSERT_EQ(s.clocks, 0);
	snprintf(want, sizeof want, "corrupt at offset %zu", bounds[3]);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));

	/* Inside a chunk: the chunk and everything after are skipped. */
	memcpy(copy_, l.sb.data, l.sb.size);
	copy_[bounds[3] - 2] = (char)0xc1;
	tl_write_bytes(path, copy_, l.sb.size);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(r.used, bounds[2]);
	ASSERT_EQ(s.evs, 0);
	ASSERT_EQ(s.threads, 1);
	snprintf(want, sizeof want, "corrupt at offset %zu", bounds[2]);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));

	/* A chunk that is not a map. */
	memcpy(copy_, l.sb.data, l.sb.size);
	copy_[bounds[1]] = 0x05;
	tl_write_bytes(path, copy_, l.sb.size);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(r.used, bounds[1]);
	ASSERT_EQ(s.maps, 1);
	ASSERT_EQ(s.threads, 0);
	free(copy_);
	tl_destroy(&l);
}

/* Write a header, a clock chunk, then the chunk BAD packs; read it. */
static void check_bad_chunk(void (*bad)(struct tlog *), const char *what)
{
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;
	size_t good;

	tl_init(&l);
	tl_header(&l, 1, 0, 0, 0);
	tl_clock(&l, 100, 100);
	good = l.sb.size;
	bad(&l);
	tl_clock(&l, 200, 200);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(r.used, good);
	ASSERT_EQ(s.clocks, 1);
	ASSERT_EQ(s.clock_ticks, 100);
	ASSERT_EQ(s.evs + s.threads + s.maps + s.ends, 0);
	if (strstr(err, what) == NULL)
		fprintf(stderr, "expected \"%s\" in: %s", what, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	tl_destroy(&l);
}

/* An ev chunk with one address site and the raw events B. */
static void raw_ev(struct tlog *l, uint64_t n, const char *b, size_t len)
{
	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", n);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_uint64(&l->pk, 0x1000);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, b, len);
}

/*
 * An ev chunk with two events (an enter and an exit of one address) and
 * the allocations AL (--alloc).
 */
static void raw_al(struct tlog *l, const char *al, size_t len)
{
	msgpack_pack_map(&l->pk, 7);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 1000);
	tl_kv_u64(l, "n", 2);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_uint64(&l->pk, 0x1000);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 4);
	msgpack_pack_bin_body(&l->pk, "\x00\x00\x15\x00", 4);
	tl_str(l, "al");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, al, len);
}

/* The last number is cut. */
static void al_cut(struct tlog *l)
{
	raw_al(l, "\x01\x02\x60\x80", 4);
}

/* After 3 events of a chunk of 2. */
static void al_past_events(struct tlog *l)
{
	raw_al(l, "\x03\x02\x60\x02", 4);
}

static void al_string(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 7);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", 0);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 0);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 0);
	tl_kv_str(l, "al", "x");
}

/*
 * "al": an allocation of 48 bytes at 0x1000 after the enter, 2 ticks
 * after t0, and its free 3 ticks later after the exit (doc/log-format.md).
 */
static void test_allocs(void)
{
	/* (1, 2, 48 << 1, zigzag 0x1000), (1, 3, 1, zigzag 0). */
	static const char al[] = "\x01\x02\x60\x80\x40\x01\x03\x01\x00";
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, 0, 0, 0);
	raw_al(&l, al, sizeof al - 1);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(!r.corrupt);
	ASSERT_EQ(s.events, 2);
	ASSERT_EQ(s.nallocs, 2);
	ASSERT_EQ(s.allocs[0].pos, 1);
	ASSERT_EQ(s.allocs[0].ticks, 1002);
	ASSERT_EQ(s.allocs[0].size, 48);
	ASSERT_EQ(s.allocs[0].addr, 0x1000);
	ASSERT_EQ(s.allocs[0].freed, 0);
	ASSERT_EQ(s.allocs[1].pos, 2);
	ASSERT_EQ(s.allocs[1].ticks, 1005);
	ASSERT_EQ(s.allocs[1].addr, 0x1000);
	ASSERT_EQ(s.allocs[1].freed, 1);
	tl_destroy(&l);
	check_bad_chunk(al_cut, "al is not LEB128 quadruples");
	check_bad_chunk(al_past_events, "an allocation past its events");
	check_bad_chunk(al_string, "al is no byte string");
}

static void ev_without_tid(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 5);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", 0);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 0);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 0);
}

static void ev_without_n(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 5);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 0);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 0);
}

/* The events as a msgpack array, which is not the format. */
static void ev_array(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", 1);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_uint64(&l->pk, 1);
	tl_str(l, "ev");
	msgpack_pack_array(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, 0);
}

static void ev_site_out_of_range(struct tlog *l)
{
	raw_ev(l, 2, "\x02\x00\x02\x01", 4);
}

static void ev_fewer_than_n(struct tlog *l)
{
	raw_ev(l, 3, "\x02\x00\x02\x00", 4);
}

static void ev_more_than_n(struct tlog *l)
{
	raw_ev(l, 1, "\x02\x00\x02\x00", 4);
}

/* The last number is cut: its byte says another one follows. */
static void ev_cut_number(struct tlog *l)
{
	raw_ev(l, 2, "\x02\x00\x82\x80", 4);
}

/* Eleven bytes: more than 64 bits. */
static void ev_number_too_long(struct tlog *l)
{
	raw_ev(l, 2, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x02\x00",
	       13);
}

static void ev_marker_without_name(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", 0);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_map(&l->pk, 1);
	tl_kv_str(l, "kind", "func");
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 0);
}

static void thread_tid_string(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "thread");
	tl_kv_str(l, "tid", "12");
	tl_kv_u64(l, "start", 5);
}

static void clock_without_mono(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 2);
	tl_kv_str(l, "t", "clock");
	tl_kv_u64(l, "ticks", 5);
}

static void map_without_base(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 2);
	tl_kv_str(l, "t", "map");
	tl_str(l, "objs");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_map(&l->pk, 2);
	tl_kv_str(l, "path", "/lib/x.so");
	tl_str(l, "segs");
	msgpack_pack_array(&l->pk, 0);
}

static void chunk_without_type(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 1);
	tl_kv_u64(l, "tid", 1);
}

static void end_with_string_signal(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "end");
	tl_kv_u64(l, "ticks", 1);
	tl_kv_u64(l, "mono_ns", 1);
	tl_kv_str(l, "signal", "SIGKILL");
}

static void test_missing_or_mistyped_keys(void)
{
	check_bad_chunk(ev_without_tid, "ev chunk without a valid tid");
	check_bad_chunk(ev_without_n, "ev chunk without a valid n");
	check_bad_chunk(ev_array, "without an ev byte string");
	check_bad_chunk(ev_site_out_of_range, "a site index out of its sites");
	check_bad_chunk(ev_fewer_than_n, "fewer than n events");
	check_bad_chunk(ev_more_than_n, "more than n events");
	check_bad_chunk(ev_cut_number, "not n LEB128 pairs");
	check_bad_chunk(ev_number_too_long, "not n LEB128 pairs");
	check_bad_chunk(ev_marker_without_name, "without a valid name");
	check_bad_chunk(thread_tid_string, "thread chunk without a valid tid");
	check_bad_chunk(clock_without_mono, "clock chunk without ticks");
	check_bad_chunk(map_without_base, "without path or base");
	check_bad_chunk(chunk_without_type, "without a valid type");
	check_bad_chunk(end_with_string_signal,
			"end chunk: reason, signal or lost");
}

/* Counter chunks. */

static const char *const two[] = {"task-clock", "page-faults"};
static const struct tl_counters smp2 = {"sampling", 0, 997, 1, two, 2};
static const struct tl_counters exact2 = {"exact", 0, 0, 0, two, 2};

/* As check_bad_chunk, in a log whose header has the counters C. */
static void check_bad_counter_chunk(const struct tl_counters *c,
				    void (*bad)(struct tlog *),
				    const char *what)
{
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;
	size_t good;

	tl_init(&l);
	tl_header_counters(&l, 1, 0, 0, 0, "/bin/x", c);
	tl_clock(&l, 100, 100);
	good = l.sb.size;
	bad(&l);
	tl_clock(&l, 200, 200);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(r.used, good);
	ASSERT_EQ(s.clocks, 1);
	ASSERT_EQ(s.samples_chunks + s.counts_chunks + s.lost_chunks + s.evs,
		  0);
	if (strstr(err, what) == NULL)
		fprintf(stderr, "expected \"%s\" in: %s", what, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	tl_destroy(&l);
}

/* Samples chunks of 2 counters with callchains: (n, data) as given. */
static void samples_raw(struct tlog *l, uint64_t n, const char *b, size_t len)
{
	tl_samples_raw(l, 1, 0, n, b, len);
}

/* Sample: time 1, ip 2, deltas 3 4, a chain of 1: 5. Six bytes. */
#define ONE_SAMPLE "\x01\x02\x03\x04\x01\x05"

static void samples_fewer_than_n(struct tlog *l)
{
	samples_raw(l, 3, ONE_SAMPLE "\x01\x02\x03\x04\x00", 11);
}

/* The second sample's chain says 2 addresses and has 1. */
static void samples_chain_short(struct tlog *l)
{
	samples_raw(l, 2, ONE_SAMPLE "\x01\x02\x03\x04\x02\x05", 12);
}

static void samples_more_than_n(struct tlog *l)
{
	samples_raw(l, 1, ONE_SAMPLE ONE_SAMPLE, 12);
}

static void samples_huge_n(struct tlog *l)
{
	samples_raw(l, UINT64_MAX, ONE_SAMPLE, 6);
}

/* A chain of 100 addresses in a handful of bytes. */
static void samples_chain_beyond(struct tlog *l)
{
	samples_raw(l, 1, "\x01\x02\x03\x04\x64\x05\x06", 7);
}

static void samples_cut_number(struct tlog *l)
{
	samples_raw(l, 1, "\x01\x02\x03\x04\x01\x85", 6);
}

static void samples_without_data(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "samples");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "n", 0);
	tl_kv_u64(l, "time0", 0);
}

static void counts_one_value(struct tlog *l)
{
	static const uint64_t v[1] = {1};

	tl_counts(l, 1, v, 1, 1, 1);
}

static void counts_runtime_string(struct tlog *l)
{
	static const uint64_t v[2] = {1, 2};

	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "counts");
	tl_kv_u64(l, "tid", 1);
	tl_str(l, "values");
	msgpack_pack_array(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, v[0]);
	msgpack_pack_uint64(&l->pk, v[1]);
	tl_kv_str(l, "runtime", "none");
	tl_kv_u64(l, "enabled", 1);
	tl_kv_u64(l, "running", 1);
}

static void counts_without_running(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "counts");
	tl_kv_u64(l, "tid", 1);
	tl_str(l, "values");
	msgpack_pack_array(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, 1);
	msgpack_pack_uint64(&l->pk, 2);
	tl_kv_u64(l, "enabled", 5);
}

static void lost_string(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "lost");
	tl_kv_u64(l, "tid", 1);
	tl_kv_str(l, "lost", "many");
}

/* Calls chunks (adaptive timing): an odd fns array, a count as text. */
static void calls_odd(struct tlog *l)
{
	static const uint64_t fns[] = {0x10, 5, 0x20};

	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "calls");
	tl_kv_u64(l, "tid", 1);
	tl_str(l, "fns");
	msgpack_pack_array(&l->pk, 3);
	for (int i = 0; i < 3; i++)
		msgpack_pack_uint64(&l->pk, fns[i]);
}

static void calls_string(struct tlog *l)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "calls");
	tl_kv_u64(l, "tid", 1);
	tl_str(l, "fns");
	msgpack_pack_array(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, 0x10);
	tl_str(l, "five");
}

/* An exact ev chunk of one event with the c0 and cv bytes given. */
static void exact_ev(struct tlog *l, int c0, const char *cv, size_t len)
{
	msgpack_pack_map(&l->pk, c0 ? (cv ? 8 : 7) : (cv ? 7 : 6));
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", 1);
	tl_kv_u64(l, "t0", 0);
	tl_kv_u64(l, "n", 2);
	tl_str(l, "sites");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_uint64(&l->pk, 0x1000);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, 4);
	msgpack_pack_bin_body(&l->pk, "\x02\x00\x03\x00", 4);
	if (c0) {
		tl_str(l, "c0");
		msgpack_pack_array(&l->pk, 2);
		msgpack_pack_uint64(&l->pk, 7);
		msgpack_pack_uint64(&l->pk, 8);
	}
	if (cv) {
		tl_str(l, "cv");
		msgpack_pack_bin(&l->pk, len);
		msgpack_pack_bin_body(&l->pk, cv, len);
	}
}

static void exact_c0_without_cv(struct tlog *l)
{
	exact_ev(l, 1, NULL, 0);
}

static void exact_cv_without_c0(struct tlog *l)
{
	exact_ev(l, 0, "\x00\x00\x02\x04", 4);
}

static void exact_cv_short(struct tlog *l)
{
	exact_ev(l, 1, "\x00\x00\x02", 3);
}

static void exact_cv_long(struct tlog *l)
{
	exact_ev(l, 1, "\x00\x00\x02\x04\x06", 5);
}

static void test_counter_chunks_bad(void)
{
	check_bad_counter_chunk(&smp2, samples_fewer_than_n,
				"fewer than n samples");
	check_bad_counter_chunk(&smp2, samples_chain_short,
				"not n well-formed samples");
	check_bad_counter_chunk(&smp2, samples_more_than_n,
				"more than n samples");
	check_bad_counter_chunk(&smp2, samples_huge_n, "fewer than n samples");
	check_bad_counter_chunk(&smp2, samples_chain_beyond,
				"not n well-formed samples");
	check_bad_counter_chunk(&smp2, samples_cut_number,
				"not n well-formed samples");
	check_bad_counter_chunk(&smp2, samples_without_data,
				"samples chunk without a data byte string");
	check_bad_counter_chunk(&smp2, counts_one_value,
				"counts chunk: not one value per counter");
	check_bad_counter_chunk(&smp2, counts_without_running,
				"counts chunk without valid values");
	check_bad_counter_chunk(&exact2, counts_runtime_string,
				"counts chunk: not one runtime value per "
				"counter");
	check_bad_counter_chunk(&smp2, lost_string,
				"lost chunk: lost or throttled mistyped");
	check_bad_counter_chunk(&exact2, exact_c0_without_cv,
				"c0 or cv missing or mistyped");
	check_bad_counter_chunk(&exact2, exact_cv_without_c0,
				"c0 or cv missing or mistyped");
	check_bad_counter_chunk(&exact2, exact_cv_short, "fewer than n values");
	check_bad_counter_chunk(&exact2, exact_cv_long, "more than n values");
	check_bad_counter_chunk(&smp2, calls_odd,
				"calls chunk without a valid fns array");
	check_bad_counter_chunk(
		&smp2, calls_string,
		"calls chunk: an address or count is no number");
}

/* --call-graph=dwarf: the samples chunks' "stacks". */

/*
 * A header with counters C and, when STACK is not 0, the key "dwarf":
 * STACK bytes of stack, the register mask 0x3 (two registers).
 */
static void dwarf_header(struct tlog *l, const struct tl_counters *c,
			 uint64_t stack)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "magic", "cprof");
	tl_kv_u64(l, "version", 1);
	tl_kv_u64(l, "pid", 1);
	tl_str(l, "events");
	msgpack_pack_map(&l->pk, stack ? 6 : 5);
	if (stack) {
		tl_str(l, "dwarf");
		msgpack_pack_map(&l->pk, 3);
		tl_kv_u64(l, "stack", stack);
		tl_kv_u64(l, "regs", 0x3);
		tl_kv_str(l, "arch", "x86_64");
	}
	tl_kv_str(l, "mode", c->mode);
	tl_kv_u64(l, "period", c->period);
	tl_kv_u64(l, "freq", c->freq);
	tl_str(l, "callchain");
	msgpack_pack_false(&l->pk);
	tl_str(l, "list");
	msgpack_pack_array(&l->pk, c->n);
	for (size_t i = 0; i < c->n; i++) {
		uint64_t type, config;

		tl_encoding(c->names[i], &type, &config);
		msgpack_pack_map(&l->pk, 3);
		tl_kv_str(l, "name", c->names[i]);
		tl_kv_u64(l, "type", type);
		tl_kv_u64(l, "config", config);
	}
}

/* What the stacks of the samples read looked like. */
struct stacks_seen {
	int chunks;
	size_t n, with_regs, stack_bytes;
	uint64_t reg_sum;
	unsigned stack_sum;
};

static void on_stack_samples(void *arg, const struct cp_log_samples *c)
{
	struct stacks_seen *s = arg;

	s->chunks++;
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_log_sample *x = &c->s[i];

		s->n++;
		if (x->regs != NULL) {
			uint64_t r[2];

			memcpy(r, x->regs, sizeof r);
			s->with_regs++;
			s->reg_sum += r[0] + r[1];
		}
		s->stack_bytes += x->stack_len;
		for (size_t j = 0; j < x->stack_len; j++)
			s->stack_sum += x->stack[j];
	}
}

/*
 * A samples chunk of two samples without callchains, with "stacks"
 * STACKS (LEN bytes), in a log whose header asks STACK bytes of stack (0:
 * no "dwarf" key); read into S.
 */
static int read_stacks(uint64_t stack, const char *stacks, size_t len,
		       struct stacks_seen *s, struct cp_log_result *r)
{
	static const struct cp_log_ops sops = {.samples = on_stack_samples};
	/* Two samples: time, ip, two deltas each. */
	static const char data[] = "\x01\x02\x03\x04\x01\x02\x03\x04";
	struct tlog l;
	int rc;

	tl_init(&l);
	dwarf_header(&l, &smp2, stack);
	msgpack_pack_map(&l.pk, 6);
	tl_kv_str(&l, "t", "samples");
	tl_kv_u64(&l, "tid", 1);
	tl_kv_u64(&l, "n", 2);
	tl_kv_u64(&l, "time0", 0);
	tl_str(&l, "data");
	msgpack_pack_bin(&l.pk, 8);
	msgpack_pack_bin_body(&l.pk, data, 8);
	tl_str(&l, "stacks");
	msgpack_pack_bin(&l.pk, len);
	msgpack_pack_bin_body(&l.pk, stacks, len);
	tl_write(&l, path);
	tl_destroy(&l);
	memset(s, 0, sizeof *s);
	tu_capture();
	rc = cp_log_read(path, &sops, s, r);
	tu_captured();
	return rc;
}

/*
 * The first sample: ABI 2, registers 1 and 2, a stack of 3 bytes; the
 * second: no registers, no stack.
 */
#define TWO_STACKS                                                             \
	"\x02\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00" \
	"\x03\x0a\x0b\x0c\x00\x00"

static void test_dwarf_stacks(void)
{
	struct stacks_seen s;
	struct cp_log_result r;

	ASSERT_EQ(read_stacks(64, TWO_STACKS, 23, &s, &r), 0);
	CU_ASSERT(!r.corrupt);
	ASSERT_EQ(s.chunks, 1);
	ASSERT_EQ(s.n, 2);
	ASSERT_EQ(s.with_regs, 1);
	ASSERT_EQ(s.reg_sum, 3);
	ASSERT_EQ(s.stack_bytes, 3);
	ASSERT_EQ(s.stack_sum, 0x0a + 0x0b + 0x0c);
	/* A run without "dwarf" in its header: the key is not looked at. */
	ASSERT_EQ(read_stacks(0, "\xff", 1, &s, &r), 0);
	CU_ASSERT(!r.corrupt);
	ASSERT_EQ(s.chunks, 1);
	ASSERT_EQ(s.n, 2);
	ASSERT_EQ(s.with_regs + s.stack_bytes, 0);
	/* A stack longer than the bytes left, and one byte too many. */
	read_stacks(64, TWO_STACKS, 20, &s, &r);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(s.chunks, 0);
	read_stacks(64, TWO_STACKS "\x00", 24, &s, &r);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(s.chunks, 0);
	/* Registers cut short. */
	read_stacks(64, "\x02\x01\x00", 3, &s, &r);
	CU_ASSERT(r.corrupt);
	ASSERT_EQ(s.chunks, 0);
}

/* The header's counters, samples, lost and counts chunks, exact values. */
static void test_counter_chunks(void)
{
	struct tl_sample smp[3];
	static const uint64_t tot[2] = {1000, 7};
	static const struct tl_event ev[] = {
		{'E', 0, 10}, {'E', 1, 20}, {'X', 1, 30}, {'X', 0, 40}};
	static const uint64_t vals[] = {100, 5, 90, 6, 200, 6, 201, 1000};
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	memset(smp, 0, sizeof smp);
	smp[0] = (struct tl_sample){.t = 1000, .ip = 0x401000, .d = {1, 2}};
	smp[1] = (struct tl_sample){.t = 2000,
				    .ip = 0x7fffffffffffULL,
				    .d = {300, 0},
				    .nchain = 3,
				    .chain = {0x10, 0x20, UINT64_MAX}};
	smp[2] = (struct tl_sample){.t = 2000, .ip = 5, .d = {0, 1 << 20}};
	tl_init(&l);
	tl_header_counters(&l, 1, 0, 0, 0, "/bin/x", &smp2);
	tl_samples(&l, 3, 900, smp, 3, 2, 1);
	tl_lost(&l, 3, 4, 2);
	tl_counts(&l, 3, tot, 2, 50, 25);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	CU_ASSERT(!r.corrupt && !r.truncated);
	ASSERT_EQ(s.h.ncounters, 2);
	ASSERT_EQ(s.h.mode, CP_COUNTER_SAMPLING);
	ASSERT_EQ(s.h.freq, 997);
	ASSERT_EQ(s.h.period, 0);
	CU_ASSERT(s.h.callchain);
	ASSERT_EQ(s.samples_chunks, 1);
	ASSERT_EQ(s.nsamples, 3);
	ASSERT_EQ(s.sample_time, 2000);
	ASSERT_EQ(s.sample_ip, 5);
	ASSERT_EQ(s.delta_sum, 1 + 2 + 300 + (1 << 20));
	ASSERT_EQ(s.nchain, 3);
	ASSERT_EQ(s.chain_sum, 0x10 + 0x20 + UINT64_MAX);
	ASSERT_EQ(s.lost, 4);
	ASSERT_EQ(s.throttled, 2);
	ASSERT_EQ(s.counts_chunks, 1);
	ASSERT_EQ(s.count0, 1000);
	ASSERT_EQ(s.enabled, 50);
	ASSERT_EQ(s.running, 25);
	tl_destroy(&l);

	/*
	 * Exact mode: values rebuilt from c0 and the zigzag changes; the
	 * runtime's object and its own counts.
	 */
	tl_init(&l);
	tl_header_counters_rt(&l, 1, 0, 0, 0, "/bin/x", &exact2,
			      "/lib/libcprof.so.0");
	tl_ev_exact(&l, 3, 0, sites2, 2, ev, 4, vals, 2);
	{
		static const uint64_t own[2] = {30, 4};

		tl_counts_rt(&l, 3, tot, own, 2, 1, 1);
		tl_counts(&l, 3, tot, 2, 1, 1);
	}
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_STR_EQ(s.runtime, "/lib/libcprof.so.0");
	ASSERT_EQ(s.counts_chunks, 2);
	ASSERT_EQ(s.own_chunks, 1);
	ASSERT_EQ(s.own_sum, 34);
	ASSERT_EQ(s.h.mode, CP_COUNTER_EXACT);
	ASSERT_EQ(s.evs, 1);
	ASSERT_EQ(s.values_sum, 100 + 5 + 90 + 6 + 200 + 6 + 201 + 1000);
	ASSERT_EQ(s.values_last, 1000);
	tl_destroy(&l);
}

/*
 * Counters a reader cannot use: an "events" key it does not understand
 * is reported and left out, and the counter chunks are then skipped; a
 * log without the key skips them too. The marker stream reads as ever.
 */
static void test_counters_unusable(void)
{
	static const char *const none[] = {"x"};
	static const struct tl_counters weird = {"sideways", 0, 0, 0, two, 2};
	static const struct tl_counters empty = {"sampling", 0, 0, 0, none, 0};
	const struct tl_counters *bad[] = {&weird, &empty};
	struct tl_sample smp[1] = {{.t = 1, .ip = 2, .d = {3, 4}}};
	static const uint64_t tot[2] = {1, 2};
	const struct tl_event ev[] = {{'E', 0, 10}};
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	for (int i = 0; i < 3; i++) {
		tl_init(&l);
		if (i < 2)
			tl_header_counters(&l, 1, 0, 0, 0, "/bin/x", bad[i]);
		else
			tl_header(&l, 1, 0, 0, 0);
		tl_samples(&l, 3, 0, smp, 1, 2, 0);
		tl_counts(&l, 3, tot, 2, 1, 1);
		tl_lost(&l, 3, 1, 1);
		tl_ev(&l, 3, 0, sites2, 2, ev, 1);
		tl_write(&l, path);
		ASSERT_EQ(read_log(&s, &r, &err), 0);
		if (i < 2) {
			CU_ASSERT_PTR_NOT_NULL(strstr(
				err, "the header's counters (key events) are "
				     "not valid: they are left out"));
		} else {
			ASSERT_STR_EQ(err, "");
		}
		CU_ASSERT(!r.corrupt);
		ASSERT_EQ(s.h.ncounters, 0);
		ASSERT_EQ(s.samples_chunks + s.counts_chunks + s.lost_chunks,
			  0);
		ASSERT_EQ(s.evs, 1);
		tl_destroy(&l);
	}
}

static void expect_error(const void *data, size_t n, const char *what)
{
	struct seen s;
	struct cp_log_result r;
	const char *err;

	tl_write_bytes(path, data, n);
	ASSERT_EQ(read_log(&s, &r, &err), -1);
	ASSERT_EQ(s.headers + s.evs + s.maps + s.clocks, 0);
	if (strstr(err, what) == NULL)
		fprintf(stderr, "expected \"%s\" in: %s", what, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	/* One line, and only one. */
	CU_ASSERT_PTR_NOT_NULL(strchr(err, '\n'));
	CU_ASSERT_PTR_EQUAL(strchr(err, '\n'), strrchr(err, '\n'));
}

static void test_not_a_log(void)
{
	static const char text[] = "hello, this is not a log\n";
	static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	expect_error(text, sizeof text - 1, "not a cprof log");
	expect_error(elf, sizeof elf, "not a cprof log");
	expect_error("", 0, "empty file");

	/* A map, but not a cprof header. */
	tl_init(&l);
	msgpack_pack_map(&l.pk, 1);
	tl_kv_str(&l, "magic", "pcap");
	tl_write(&l, path);
	expect_error(l.sb.data, l.sb.size, "not a cprof log");
	tl_destroy(&l);

	/* A newer format. */
	tl_init(&l);
	msgpack_pack_map(&l.pk, 3);
	tl_kv_str(&l, "magic", "cprof");
	tl_kv_u64(&l, "version", 2);
	tl_kv_u64(&l, "pid", 1);
	tl_clock(&l, 1, 1);
	expect_error(l.sb.data, l.sb.size, "unsupported log version 2");
	tl_destroy(&l);

	/* A header without a pid. */
	tl_init(&l);
	msgpack_pack_map(&l.pk, 2);
	tl_kv_str(&l, "magic", "cprof");
	tl_kv_u64(&l, "version", 1);
	expect_error(l.sb.data, l.sb.size, "corrupt cprof log header");
	tl_destroy(&l);

	/* Not a file at all. */
	memset(&s, 0, sizeof s);
	tu_capture();
	ASSERT_EQ(cp_log_read(dir, &ops, &s, &r), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_captured(), "is a directory"));
	tu_capture();
	ASSERT_EQ(cp_log_read("/nonexistent/x.log", &ops, &s, &r), -1);
	err = tu_captured();
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

/* A chunk larger than the reader's block crosses buffer refills. */
static void test_big_chunk(void)
{
	enum { N = 700000 };
	struct tl_event *ev = malloc(N * sizeof *ev);
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;
	uint64_t sum = 0;

	for (unsigned i = 0; i < N; i++) {
		ev[i].what = i % 2 ? 'X' : 'E';
		ev[i].site = i % 2;
		ev[i].t = 1000 + 3ULL * i + (i % 7) * 100000;
		if (i > 0 && ev[i].t < ev[i - 1].t)
			ev[i].t = ev[i - 1].t;
		sum += ev[i].t;
	}
	tl_init(&l);
	tl_header(&l, 1, 1000000000, 0, 0);
	for (int c = 0; c < 3; c++)
		tl_ev(&l, 5 + c, 1000, sites2, 2, ev, N);
	tl_end(&l, 1, 1);
	/* Each chunk is larger than the 1 MiB the reader reads at once. */
	CU_ASSERT(l.sb.size > 3 * 1200 * 1024);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(s.evs, 3);
	ASSERT_EQ(s.events, 3 * N);
	ASSERT_EQ(s.ticks_sum, 3 * sum);
	ASSERT_EQ(s.last_tid, 7);
	ASSERT_EQ(s.ends, 1);
	ASSERT_EQ(r.used, l.sb.size);
	free(ev);
	tl_destroy(&l);
}

/*
 * Deltas of every LEB128 length and indexes of one and two bytes, mixed
 * at random, decode exactly: the reader has a path per common length.
 */
static void test_leb128_lengths(void)
{
	enum { N = 20000, SITES = 300 };
	struct tl_site *sites = calloc(SITES, sizeof *sites);
	struct tl_event *ev = malloc(N * sizeof *ev);
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;
	uint64_t t = 5, sum = 0, exits = 0, site_sum = 0;

	for (unsigned i = 0; i < SITES; i++)
		sites[i].addr = 0x1000 + i;
	for (unsigned i = 0; i < N; i++) {
		/* A delta of 0 to 62 bits, so 1 to 9 bytes once shifted. */
		unsigned bits = (unsigned)(rng() % 63);

		t += bits ? rng() >> (64 - bits) : 0;
		ev[i].t = t;
		ev[i].what = rng() % 2 ? 'X' : 'E';
		ev[i].site = (unsigned)(rng() % (rng() % 2 ? 100 : SITES));
		sum += t;
		exits += ev[i].what == 'X';
		site_sum += ev[i].site;
	}
	tl_init(&l);
	tl_header(&l, 1, 0, 0, 0);
	tl_ev(&l, 3, 5, sites, SITES, ev, N);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(s.events, N);
	ASSERT_EQ(s.ticks_sum, sum);
	ASSERT_EQ(s.last_tick, t);
	ASSERT_EQ(s.exits, exits);
	ASSERT_EQ(s.site_sum, site_sum);
	tl_destroy(&l);
	free(ev);
	free(sites);
}

/* Random bytes, alone and after a valid header: refused or read, no crash. */
static void test_random_bytes(void)
{
	unsigned char *buf = malloc(8192);
	struct tlog hdr;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	tl_init(&hdr);
	tl_header(&hdr, 3, 0, 0, 0);
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = rng() % 4096, off = 0;
		int rc;

		/* Half the files start as a log, to reach the chunk code. */
		if (iter % 2) {
			memcpy(buf, hdr.sb.data, hdr.sb.size);
			off = hdr.sb.size;
		} else if (iter % 4 == 0) {
			buf[0] = (unsigned char)(0x80 + rng() % 16);
			off = 1;
		}
		for (size_t i = off; i < off + n; i++)
			buf[i] = (unsigned char)rng();
		tl_write_bytes(path, buf, off + n);
		rc = read_log(&s, &r, &err);
		CU_ASSERT(rc == 0 || rc == -1);
		CU_ASSERT(rc == -1 || s.headers == 1);
		CU_ASSERT(r.used <= r.size);
		if (iter % 2)
			ASSERT_EQ(rc, 0);
	}
	tl_destroy(&hdr);
	free(buf);
}

/* An ev chunk with keys in another order, and unusual encodings. */
static void test_unusual_ev(void)
{
	static const unsigned char chunk[] =
		{
			0xde, 0x00, 0x07,	   /* map16 of 7 keys */
			0xa2, 'e',  'v',  0xc4, 5, /* "ev": bin8 of 5: */
			20,   0x00,		   /* +10, enter, site 0 */
			0x8b, 0x00, 1,		   /* +5 in 2 bytes, exit, 1 */
			0xa2, 'z',  'z',  0x81, 0xa1, 'n',
			0x92, 1,    2, /* "zz": {...} */
			0xd9, 2,    't',  '0',	0xcd, 0x03,
			0xe8,		     /* str8 "t0": 1000 */
			0xa1, 'n',  0xd0, 2, /* "n": int8 2 */
			0xa5, 's',  'i',  't',	'e',  's',
			0x92,		  /* "sites": [ */
			0xcd, 0x10, 0x00, /* 0x1000, */
			0x82, 0xa4, 'n',  'a',	'm',  'e',
			0xa1, 'm', /* {name: m, */
			0xa4, 'k',  'i',  'n',	'd',  0xa5,
			's',  'c',  'o',  'p',	'e',  0xa3,
			't',  'i',  'd',  0xd1, 0x00, 0x07, /* "tid": int16 7 */
			0xa1, 't',  0xa2, 'e',	'v',	    /* "t": "ev" */
		};
	struct tlog l;
	struct seen s;
	struct cp_log_result r;
	const char *err;

	tl_init(&l);
	tl_header(&l, 1, 0, 0, 0);
	msgpack_sbuffer_write(&l.sb, (const char *)chunk, sizeof chunk);
	tl_clock(&l, 1, 1);
	tl_write(&l, path);
	ASSERT_EQ(read_log(&s, &r, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(r.chunks, 2);
	ASSERT_EQ(s.evs, 1);
	ASSERT_EQ(s.last_tid, 7);
	ASSERT_EQ(s.events, 2);
	ASSERT_EQ(s.ticks_sum, 1010 + 1015);
	ASSERT_EQ(s.exits, 1);
	ASSERT_EQ(s.site0.addr, 0x1000);
	ASSERT_EQ(s.site1.kind, CP_SITE_SCOPE);
	ASSERT_STR_EQ(s.site1_name, "m");
	ASSERT_EQ(s.clocks, 1);
	tl_destroy(&l);
}

/*
 * Random bytes overwritten in a valid log, which may also be cut: refused
 * or read, never a crash, and what is kept is a prefix of whole chunks.
 */
static void test_mutations(void)
{
	struct tlog l;
	size_t bounds[16], nb = small_log(&l, bounds);
	struct seen s;
	struct cp_log_result r;
	const char *err;
	char *buf;

	buf = malloc(l.sb.size);
	for (int iter = 0; iter < 10000; iter++) {
		int flips = 1 + (int)(rng() % 4), rc, whole = 0;
		size_t len = l.sb.size - (iter % 3 == 0 ? rng() % 16 : 0);

		memcpy(buf, l.sb.data, l.sb.size);
		for (int i = 0; i < flips; i++)
			buf[rng() % l.sb.size] = (char)rng();
		tl_write_bytes(path, buf, len);
		rc = read_log(&s, &r, &err);
		CU_ASSERT(rc == 0 || rc == -1);
		CU_ASSERT(r.used <= r.size);
		ASSERT_EQ(r.size, len);
		if (rc < 0)
			continue;
		/* Damage can change a length, so only the header is sure. */
		for (size_t i = 0; i < nb; i++)
			whole += bounds[i] == r.used;
		CU_ASSERT(r.used >= bounds[0] || whole == 0);
		CU_ASSERT((r.skipped > 0) == (r.truncated || r.corrupt));
		CU_ASSERT(s.events <= 4 || s.evs > 0);
	}
	free(buf);
	tl_destroy(&l);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/proc-1-1.log", dir);
	suite = CU_add_suite("reader", NULL, NULL);
	CU_add_test(suite, "a valid log is delivered record by record",
		    test_valid_log);
	CU_add_test(suite, "integers of any width are accepted",
		    test_integer_widths);
	CU_add_test(suite, "LEB128 numbers of every length",
		    test_leb128_lengths);
	CU_add_test(suite, "unknown keys and chunk types are ignored",
		    test_unknown_ignored);
	CU_add_test(suite, "every truncation keeps the whole chunks",
		    test_truncated_every_length);
	CU_add_test(suite, "corrupt bytes stop the log at their chunk",
		    test_corrupt_bytes);
	CU_add_test(suite, "counter chunks: header, samples, lost, counts",
		    test_counter_chunks);
	CU_add_test(suite, "a damaged counter chunk is corrupt",
		    test_counter_chunks_bad);
	CU_add_test(suite, "counters a reader cannot use are skipped",
		    test_counters_unusable);
	CU_add_test(suite, "allocations of an ev chunk (--alloc), and bad ones",
		    test_allocs);
	CU_add_test(suite, "a missing or mistyped required key is corrupt",
		    test_missing_or_mistyped_keys);
	CU_add_test(suite, "garbage, newer versions and non-files are refused",
		    test_not_a_log);
	CU_add_test(suite, "dwarf samples' stacks, and damaged ones",
		    test_dwarf_stacks);
	CU_add_test(suite, "chunks larger than a read block", test_big_chunk);
	CU_add_test(suite, "an ev chunk in an unusual encoding",
		    test_unusual_ev);
	CU_add_test(suite, "random bytes never crash the reader",
		    test_random_bytes);
	CU_add_test(suite, "random damage never crashes the reader",
		    test_mutations);
	{
		int rc = tu_run();

		tu_rmdir(dir);
		return rc;
	}
}
