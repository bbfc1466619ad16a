/*
 * testlog.h - synthetic cprof logs for the unit tests of the CLI.
 *
 * The tests of the reader and of the profile write logs with msgpack-c's
 * packer, exactly as doc/log-format.md describes them, rather than running
 * the runtime: each test then knows every tick of its input and can check
 * exact results. Events are given with absolute times; the helpers turn
 * them into the per-chunk deltas of the format. What the CUnit programs
 * share beyond logs (assertions, skips, temporary directories, the
 * capture of stderr) is in unit.h.
 */
#ifndef CPROF_TESTLOG_H
#define CPROF_TESTLOG_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "unit.h"

struct tlog {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

/* A site of an ev chunk: an address, or a marker when NAME is set. */
struct tl_site {
	uint64_t addr;
	const char *name;
	const char *kind; /* "func", "scope", "frame", or the runtime's */
	uint64_t ctx;	  /* kind "switch": the context */
};

/* An event: 'E'nter or e'X'it of site SITE at absolute time T. */
struct tl_event {
	char what;
	unsigned site;
	uint64_t t;
};

static inline void tl_init(struct tlog *l)
{
	msgpack_sbuffer_init(&l->sb);
	msgpack_packer_init(&l->pk, &l->sb, msgpack_sbuffer_write);
}

static inline void tl_destroy(struct tlog *l)
{
	msgpack_sbuffer_destroy(&l->sb);
}

static inline void tl_str(struct tlog *l, const char *s)
{
	msgpack_pack_str(&l->pk, strlen(s));
	msgpack_pack_str_body(&l->pk, s, strlen(s));
}

static inline void tl_kv_u64(struct tlog *l, const char *k, uint64_t v)
{
	tl_str(l, k);
	msgpack_pack_uint64(&l->pk, v);
}

static inline void tl_kv_str(struct tlog *l, const char *k, const char *v)
{
	tl_str(l, k);
	tl_str(l, v);
}

/* The header of process PID running EXE, with one calibration point. */
static inline void tl_header_exe(struct tlog *l, int pid, uint64_t hz,
				 uint64_t ticks, uint64_t mono, const char *exe)
{
	msgpack_pack_map(&l->pk, 8);
	tl_kv_str(l, "magic", "cprof");
	tl_kv_u64(l, "version", 1);
	tl_kv_u64(l, "pid", (uint64_t)pid);
	tl_kv_u64(l, "ppid", 1);
	tl_kv_str(l, "exe", exe);
	tl_str(l, "argv");
	msgpack_pack_array(&l->pk, 2);
	tl_str(l, "test-prog");
	tl_str(l, "arg1");
	tl_kv_u64(l, "start_ns", 1700000000000000000ULL);
	tl_str(l, "clock");
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "source", hz == 1000000000 ? "monotonic" : "tsc");
	tl_kv_u64(l, "hz", hz);
	tl_kv_u64(l, "ticks", ticks);
	tl_kv_u64(l, "mono_ns", mono);
}

static inline void tl_header(struct tlog *l, int pid, uint64_t hz,
			     uint64_t ticks, uint64_t mono)
{
	tl_header_exe(l, pid, hz, ticks, mono, "/bin/test-prog");
}

static inline void tl_clock(struct tlog *l, uint64_t ticks, uint64_t mono)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "clock");
	tl_kv_u64(l, "ticks", ticks);
	tl_kv_u64(l, "mono_ns", mono);
}

static inline void tl_end(struct tlog *l, uint64_t ticks, uint64_t mono)
{
	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "end");
	tl_kv_u64(l, "ticks", ticks);
	tl_kv_u64(l, "mono_ns", mono);
	tl_kv_str(l, "reason", "exit");
	tl_kv_u64(l, "signal", 0);
	tl_kv_u64(l, "lost", 0);
}

static inline void tl_thread_start(struct tlog *l, int tid, uint64_t start,
				   const char *name)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "thread");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "start", start);
	tl_kv_str(l, "name", name);
}

static inline void tl_thread_end(struct tlog *l, int tid, uint64_t end)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "thread");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "end", end);
}

/*
 * A calls chunk (adaptive timing): N pairs of a function's address and
 * its calls counted, not timed, since the thread's last calls chunk.
 */
static inline void tl_calls(struct tlog *l, int tid, const uint64_t *fns,
			    size_t n)
{
	msgpack_pack_map(&l->pk, 3);
	tl_kv_str(l, "t", "calls");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_str(l, "fns");
	msgpack_pack_array(&l->pk, 2 * n);
	for (size_t i = 0; i < 2 * n; i++)
		msgpack_pack_uint64(&l->pk, fns[i]);
}

/* A map chunk with one object and one executable segment. */
static inline void tl_map(struct tlog *l, const char *path, uint64_t base,
			  const void *id, size_t idlen, uint64_t start,
			  uint64_t end)
{
	msgpack_pack_map(&l->pk, 2);
	tl_kv_str(l, "t", "map");
	tl_str(l, "objs");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_map(&l->pk, id != NULL ? 4 : 3);
	tl_kv_str(l, "path", path);
	tl_kv_u64(l, "base", base);
	if (id != NULL) {
		tl_str(l, "build_id");
		msgpack_pack_bin(&l->pk, idlen);
		msgpack_pack_bin_body(&l->pk, id, idlen);
	}
	tl_str(l, "segs");
	msgpack_pack_array(&l->pk, 1);
	msgpack_pack_array(&l->pk, 2);
	msgpack_pack_uint64(&l->pk, start);
	msgpack_pack_uint64(&l->pk, end);
}

/* Append V to B as an unsigned LEB128 number; returns the new length. */
static inline size_t tl_uleb(unsigned char *b, size_t len, uint64_t v)
{
	do {
		b[len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return len;
}

/* The sites table of an ev chunk. */
static inline void tl_sites(struct tlog *l, const struct tl_site *sites,
			    size_t nsites)
{
	msgpack_pack_array(&l->pk, nsites);
	for (size_t i = 0; i < nsites; i++) {
		if (sites[i].name == NULL) {
			msgpack_pack_uint64(&l->pk, sites[i].addr);
			continue;
		}
		if (sites[i].kind && strcmp(sites[i].kind, "switch") == 0) {
			msgpack_pack_map(&l->pk, 3);
			tl_kv_str(l, "name", sites[i].name);
			tl_kv_str(l, "kind", "switch");
			tl_kv_u64(l, "ctx", sites[i].ctx);
			continue;
		}
		msgpack_pack_map(&l->pk, 4);
		tl_kv_str(l, "name", sites[i].name);
		tl_kv_str(l, "file", "test.c");
		tl_kv_u64(l, "line", 10 + i);
		tl_kv_str(l, "kind", sites[i].kind ? sites[i].kind : "func");
	}
}

/* The events of an ev chunk, as LEB128 pairs; returns a malloc'd buffer. */
static inline unsigned char *tl_events(uint64_t t0, const struct tl_event *ev,
				       size_t nev, size_t *len)
{
	unsigned char *b = malloc(20 * nev + 1);
	uint64_t prev = t0;

	*len = 0;
	for (size_t i = 0; i < nev; i++) {
		*len = tl_uleb(b, *len,
			       (ev[i].t - prev) << 1 | (ev[i].what == 'X'));
		*len = tl_uleb(b, *len, ev[i].site);
		prev = ev[i].t;
	}
	return b;
}

static inline void tl_ev(struct tlog *l, int tid, uint64_t t0,
			 const struct tl_site *sites, size_t nsites,
			 const struct tl_event *ev, size_t nev)
{
	size_t len;
	unsigned char *b = tl_events(t0, ev, nev, &len);

	msgpack_pack_map(&l->pk, 6);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "t0", t0);
	tl_kv_u64(l, "n", nev);
	tl_str(l, "sites");
	tl_sites(l, sites, nsites);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, b, len);
	free(b);
}

/* Counters. */

/* The counter group of a header: mode, rate, names in order. */
struct tl_counters {
	const char *mode; /* "sampling" or "exact" */
	uint64_t period, freq;
	int callchain;
	const char *const *names;
	size_t n;
};

/* perf_event_attr type and config of the generic names the tests use. */
static inline void tl_encoding(const char *name, uint64_t *type,
			       uint64_t *config)
{
	static const struct {
		const char *name;
		uint64_t type, config;
	} known[] = {
		{"cycles", 0, 0},	    {"instructions", 0, 1},
		{"cache-misses", 0, 3},	    {"cpu-clock", 1, 0},
		{"task-clock", 1, 1},	    {"page-faults", 1, 2},
		{"context-switches", 1, 3},
	};

	*type = 4; /* PERF_TYPE_RAW: anything else */
	*config = 0x1234;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(known[i].name, name) == 0) {
			*type = known[i].type;
			*config = known[i].config;
		}
	}
}

/* A header as tl_header_exe() with the key "events" for C. */
/* As tl_header_counters, naming the runtime's object RUNTIME if not NULL. */
static inline void tl_header_counters_rt(struct tlog *l, int pid, uint64_t hz,
					 uint64_t ticks, uint64_t mono,
					 const char *exe,
					 const struct tl_counters *c,
					 const char *runtime)
{
	msgpack_pack_map(&l->pk, runtime != NULL ? 10 : 9);
	if (runtime != NULL)
		tl_kv_str(l, "runtime", runtime);
	tl_kv_str(l, "magic", "cprof");
	tl_kv_u64(l, "version", 1);
	tl_kv_u64(l, "pid", (uint64_t)pid);
	tl_kv_u64(l, "ppid", 1);
	tl_kv_str(l, "exe", exe);
	tl_str(l, "argv");
	msgpack_pack_array(&l->pk, 1);
	tl_str(l, "test-prog");
	tl_kv_u64(l, "start_ns", 1700000000000000000ULL);
	tl_str(l, "clock");
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "source", hz == 1000000000 ? "monotonic" : "tsc");
	tl_kv_u64(l, "hz", hz);
	tl_kv_u64(l, "ticks", ticks);
	tl_kv_u64(l, "mono_ns", mono);
	tl_str(l, "events");
	msgpack_pack_map(&l->pk, 5);
	tl_kv_str(l, "mode", c->mode);
	tl_kv_u64(l, "period", c->period);
	tl_kv_u64(l, "freq", c->freq);
	tl_str(l, "callchain");
	if (c->callchain)
		msgpack_pack_true(&l->pk);
	else
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

static inline void tl_header_counters(struct tlog *l, int pid, uint64_t hz,
				      uint64_t ticks, uint64_t mono,
				      const char *exe,
				      const struct tl_counters *c)
{
	tl_header_counters_rt(l, pid, hz, ticks, mono, exe, c, NULL);
}

/* A sample: absolute time, address, deltas, callchain. */
#define TL_MAX_COUNTERS 4
#define TL_MAX_CHAIN	8
struct tl_sample {
	uint64_t t, ip;
	uint64_t d[TL_MAX_COUNTERS];
	size_t nchain;
	uint64_t chain[TL_MAX_CHAIN];
};

/*
 * The data of a samples chunk from TIME0: K deltas a sample, and the
 * callchains when CALLCHAIN; returns a malloc'd buffer.
 */
static inline unsigned char *tl_sample_data(uint64_t time0,
					    const struct tl_sample *s, size_t n,
					    size_t k, int callchain,
					    size_t *len)
{
	unsigned char *b = malloc(10 * (3 + k + TL_MAX_CHAIN) * n + 1);
	uint64_t prev = time0;

	*len = 0;
	for (size_t i = 0; i < n; i++) {
		*len = tl_uleb(b, *len, s[i].t - prev);
		*len = tl_uleb(b, *len, s[i].ip);
		for (size_t j = 0; j < k; j++)
			*len = tl_uleb(b, *len, s[i].d[j]);
		if (callchain) {
			*len = tl_uleb(b, *len, s[i].nchain);
			for (size_t j = 0; j < s[i].nchain; j++)
				*len = tl_uleb(b, *len, s[i].chain[j]);
		}
		prev = s[i].t;
	}
	return b;
}

/* A samples chunk of N samples with the (possibly damaged) DATA given. */
static inline void tl_samples_raw(struct tlog *l, int tid, uint64_t time0,
				  uint64_t n, const void *data, size_t len)
{
	msgpack_pack_map(&l->pk, 5);
	tl_kv_str(l, "t", "samples");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "n", n);
	tl_kv_u64(l, "time0", time0);
	tl_str(l, "data");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, data, len);
}

static inline void tl_samples(struct tlog *l, int tid, uint64_t time0,
			      const struct tl_sample *s, size_t n, size_t k,
			      int callchain)
{
	size_t len;
	unsigned char *b = tl_sample_data(time0, s, n, k, callchain, &len);

	tl_samples_raw(l, tid, time0, n, b, len);
	free(b);
}

static inline void tl_lost(struct tlog *l, int tid, uint64_t lost,
			   uint64_t throttled)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "lost");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "lost", lost);
	tl_kv_u64(l, "throttled", throttled);
}

/* A counts chunk, with exact mode's "runtime" values when OWN is set. */
static inline void tl_counts_rt(struct tlog *l, int tid, const uint64_t *values,
				const uint64_t *own, size_t k, uint64_t enabled,
				uint64_t running)
{
	msgpack_pack_map(&l->pk, own != NULL ? 6 : 5);
	tl_kv_str(l, "t", "counts");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_str(l, "values");
	msgpack_pack_array(&l->pk, k);
	for (size_t i = 0; i < k; i++)
		msgpack_pack_uint64(&l->pk, values[i]);
	if (own != NULL) {
		tl_str(l, "runtime");
		msgpack_pack_array(&l->pk, k);
		for (size_t i = 0; i < k; i++)
			msgpack_pack_uint64(&l->pk, own[i]);
	}
	tl_kv_u64(l, "enabled", enabled);
	tl_kv_u64(l, "running", running);
}

static inline void tl_counts(struct tlog *l, int tid, const uint64_t *values,
			     size_t k, uint64_t enabled, uint64_t running)
{
	tl_counts_rt(l, tid, values, NULL, k, enabled, running);
}

/*
 * An ev chunk of exact mode: VALUES holds the K counters' values at each
 * of the NEV events, turned into "c0" and zigzag "cv" changes.
 */
static inline void tl_ev_exact(struct tlog *l, int tid, uint64_t t0,
			       const struct tl_site *sites, size_t nsites,
			       const struct tl_event *ev, size_t nev,
			       const uint64_t *values, size_t k)
{
	size_t len, clen = 0;
	unsigned char *b = tl_events(t0, ev, nev, &len);
	unsigned char *c = malloc(10 * k * nev + 1);

	for (size_t i = 0; i < nev; i++) {
		for (size_t j = 0; j < k; j++) {
			int64_t d = i == 0 ? 0
					   : (int64_t)(values[i * k + j] -
						       values[(i - 1) * k + j]);

			clen = tl_uleb(c, clen,
				       ((uint64_t)d << 1) ^
					       (uint64_t)(d >> 63));
		}
	}
	msgpack_pack_map(&l->pk, 8);
	tl_kv_str(l, "t", "ev");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "t0", t0);
	tl_kv_u64(l, "n", nev);
	tl_str(l, "sites");
	tl_sites(l, sites, nsites);
	tl_str(l, "ev");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, b, len);
	tl_str(l, "c0");
	msgpack_pack_array(&l->pk, k);
	for (size_t j = 0; j < k; j++)
		msgpack_pack_uint64(&l->pk, nev > 0 ? values[j] : 0);
	tl_str(l, "cv");
	msgpack_pack_bin(&l->pk, clen);
	msgpack_pack_bin_body(&l->pk, c, clen);
	free(b);
	free(c);
}

static inline void tl_write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_FATAL(f != NULL);
	if (n > 0)
		CU_ASSERT_FATAL(fwrite(p, 1, n, f) == n);
	CU_ASSERT_FATAL(fclose(f) == 0);
}

static inline void tl_write(struct tlog *l, const char *path)
{
	tl_write_bytes(path, l->sb.data, l->sb.size);
}

#endif /* CPROF_TESTLOG_H */
