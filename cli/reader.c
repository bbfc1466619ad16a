/*
 * reader.c - streaming reader of one cprof log, and of run.meta.
 *
 * A log is a header map followed by chunk maps (doc/log-format.md). This
 * file is the only place that knows their msgpack shape: it reads the file
 * in blocks into msgpack-c's streaming unpacker, checks each object
 * against the format, and hands typed records to callbacks. Memory stays
 * bounded by the largest chunk, whatever the size of the log.
 *
 * A log may end anywhere (SIGKILL, full disk) and may be damaged, so every
 * field is type-checked before use. A tail that is not a whole object is
 * reported as truncated; bytes that are not msgpack, or a chunk that lacks
 * a required key, stop the reading at their object's offset. Either way
 * what came before has been delivered. A file whose first object is not a
 * cprof header is rejected before any record is delivered.
 *
 * Every object is walked, not built, before msgpack-c parses it: that
 * keeps a damaged length from costing memory (see mp_walk). The events of
 * an ev chunk are a byte string of LEB128 numbers, decoded here in one
 * pass that checks each of them.
 *
 * The counter chunks (samples, lost, counts, and the values of exact mode
 * in ev chunks) can only be read with the header's "events", which says
 * how many numbers a sample or an event carries: without it they are
 * skipped. Their byte strings are checked as strictly as the events: a
 * chunk that does not hold exactly what it says is corrupt.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>

#include "cli.h"

/* How much is read per system call. */
#define READ_BLOCK (1024 * 1024)
/*
 * The runtime writes chunks of a few hundred kilobytes at most. Anything
 * this large is a damaged length, and refusing it bounds the memory a bad
 * log can make the reader buffer.
 */
#define MAX_CHUNK  ((uint64_t)16 << 20)
#define MAX_HEADER ((uint64_t)16 << 20)
/* No chunk has this many keys; more means a damaged map header. */
#define MAX_KEYS 4096

struct reader {
	const char *path;
	const struct cp_log_ops *ops;
	void *arg;
	int header;	 /* the header has been read */
	int bad_header;	 /* the header was refused, and said why */
	const char *why; /* what stopped the reading at offset last */
	uint64_t fed;	 /* bytes given to the unpacker */
	uint64_t last;	 /* offset after the last object used */
	uint64_t chunks;

	/* Scratch space reused from chunk to chunk. */
	struct cp_log_event *ev;
	size_t capev;
	struct cp_log_site *sites;
	size_t capsites;
	/* An ev chunk's "short" pairs, and a header's "select" patterns. */
	uint32_t *shorts;
	size_t capshorts;
	/* An ev chunk's allocations and frees (--alloc). */
	struct cp_log_alloc *allocs;
	size_t capallocs;
	struct cp_bytes *pats;
	size_t cappats, npats;
	struct cp_log_obj *objs;
	size_t capobjs;
	uint64_t *segs;
	size_t capsegs;
	struct cp_bytes *argv;
	size_t capargv;

	/* The header's counters: how samples, counts and ev values read. */
	size_t ncounters;
	int exact, callchain;
	int nregs; /* --call-graph=dwarf: registers a sample carries */
	struct cp_log_counter *counters;
	size_t capcounters;
	struct cp_log_sample *samples;
	size_t capsamples;
	uint64_t *nums; /* sample deltas, counts values, exact values */
	size_t capnums;
	uint64_t *chain;
	size_t capchain;
	struct cp_log_offiv *offiv; /* an offcpu chunk's intervals */
	size_t capoffiv;
	struct cp_log_syscall *sysc; /* a syscalls chunk's calls */
	size_t capsysc;
};

/* Objects as bytes. */

/* How walking an object went: whole, past the bytes read so far, not it. */
enum mp { MP_OK, MP_SHORT, MP_TYPE };

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Walk the object at the N bytes at P without building it, and give its
 * length. msgpack-c allocates a container's entries when it meets its
 * header, before they are read: a damaged count of four billion would
 * make it ask for 96 GB. Only objects that this walk found whole are
 * handed to msgpack-c, which then never allocates more than some 24 bytes
 * per byte of real input. The walk keeps one count of items still due,
 * not a stack, so no nesting can exhaust it.
 */
static enum mp mp_walk(const unsigned char *p, size_t n, size_t *len)
{
	uint64_t due = 1;
	size_t i = 0;

	while (due > 0) {
		uint64_t items = 0, skip = 0;
		size_t hdr = 1;
		unsigned b;

		if (i >= n)
			return MP_SHORT;
		b = p[i];
		if (b <= 0x7f || b >= 0xe0) {
			/* a fixint */
		} else if (b <= 0x8f) {
			items = 2 * (b & 0x0f);
		} else if (b <= 0x9f) {
			items = b & 0x0f;
		} else if (b <= 0xbf) {
			skip = b & 0x1f;
		} else {
			switch (b) {
			case 0xc0: /* nil, false, true */
			case 0xc2:
			case 0xc3:
				break;
			case 0xc4: /* bin, str: a length, then bytes */
			case 0xd9:
				hdr = 2;
				break;
			case 0xc5:
			case 0xda:
				hdr = 3;
				break;
			case 0xc6:
			case 0xdb:
				hdr = 5;
				break;
			case 0xc7: /* ext: a length, a type, then bytes */
				hdr = 3;
				break;
			case 0xc8:
				hdr = 4;
				break;
			case 0xc9:
				hdr = 6;
				break;
			case 0xca: /* float 32, 64 */
				skip = 4;
				break;
			case 0xcb:
				skip = 8;
				break;
			case 0xcc: /* uint, int 8..64 */
			case 0xd0:
				skip = 1;
				break;
			case 0xcd:
			case 0xd1:
				skip = 2;
				break;
			case 0xce:
			case 0xd2:
				skip = 4;
				break;
			case 0xcf:
			case 0xd3:
				skip = 8;
				break;
			case 0xd4: /* fixext 1..16: a type, then bytes */
			case 0xd5:
			case 0xd6:
			case 0xd7:
			case 0xd8:
				skip = 1 + (1u << (b - 0xd4));
				break;
			case 0xdc: /* array, map 16 and 32 */
			case 0xde:
				hdr = 3;
				break;
			case 0xdd:
			case 0xdf:
				hdr = 5;
				break;
			default: /* 0xc1, never used */
				return MP_TYPE;
			}
		}
		if (n - i < hdr)
			return MP_SHORT;
		if (hdr > 1) {
			/* An ext's header ends with a type byte: not length. */
			int ext = b >= 0xc7 && b <= 0xc9;
			uint64_t v = be(p + i + 1, (int)hdr - 1 - ext);

			if (b == 0xdc || b == 0xdd)
				items = v;
			else if (b == 0xde || b == 0xdf)
				items = 2 * v;
			else
				skip = v;
		}
		i += hdr;
		if (n - i < skip)
			return MP_SHORT;
		i += (size_t)skip;
		due += items - 1;
		/* Each item takes a byte at least: no chunk holds more. */
		if (due > MAX_CHUNK)
			return MP_TYPE;
	}
	*len = i;
	return MP_OK;
}

/* Objects as msgpack-c trees. */

/* How a looked-up key turned out. */
enum field { FIELD_ABSENT, FIELD_OK, FIELD_BAD };

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
	size_t len = strlen(key);

	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
		    memcmp(k->via.str.ptr, key, len) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

static enum field get_u64(const msgpack_object *map, const char *key,
			  uint64_t *v)
{
	const msgpack_object *o = get(map, key);

	if (o == NULL)
		return FIELD_ABSENT;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return FIELD_BAD;
	*v = o->via.u64;
	return FIELD_OK;
}

static enum field get_int(const msgpack_object *map, const char *key, int *v)
{
	const msgpack_object *o = get(map, key);

	if (o == NULL)
		return FIELD_ABSENT;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT32_MAX)
		*v = (int)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		 o->via.i64 >= INT32_MIN)
		*v = (int)o->via.i64;
	else
		return FIELD_BAD;
	return FIELD_OK;
}

static enum field get_bytes(const msgpack_object *map, const char *key,
			    msgpack_object_type type, struct cp_bytes *v)
{
	const msgpack_object *o = get(map, key);

	if (o == NULL)
		return FIELD_ABSENT;
	if (o->type != type)
		return FIELD_BAD;
	if (type == MSGPACK_OBJECT_BIN) {
		v->ptr = o->via.bin.ptr;
		v->len = o->via.bin.size;
	} else {
		v->ptr = o->via.str.ptr;
		v->len = o->via.str.size;
	}
	return FIELD_OK;
}

static enum field get_str(const msgpack_object *map, const char *key,
			  struct cp_bytes *v)
{
	return get_bytes(map, key, MSGPACK_OBJECT_STR, v);
}

static enum field get_array(const msgpack_object *map, const char *key,
			    const msgpack_object_array **v)
{
	const msgpack_object *o = get(map, key);

	if (o == NULL)
		return FIELD_ABSENT;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return FIELD_BAD;
	*v = &o->via.array;
	return FIELD_OK;
}

static int bad(struct reader *rd, const char *why)
{
	rd->why = why;
	return -1;
}

static int str_is(struct cp_bytes b, const char *s)
{
	return b.len == strlen(s) &&
	       (b.len == 0 || memcmp(b.ptr, s, b.len) == 0);
}

/*
 * The "events" key "dwarf" of a --call-graph=dwarf run: the stack bytes
 * asked for, the perf register mask and the machine. Absent otherwise.
 */
static int read_dwarf(const msgpack_object *ev, struct cp_log_header *h)
{
	const msgpack_object *d = get(ev, CPROF_KEY_DWARF);

	h->stack = h->regs = 0;
	h->arch.ptr = NULL;
	h->arch.len = 0;
	if (d == NULL)
		return 0;
	if (d->type != MSGPACK_OBJECT_MAP ||
	    get_u64(d, CPROF_KEY_STACK, &h->stack) != FIELD_OK ||
	    get_u64(d, CPROF_KEY_REGS, &h->regs) != FIELD_OK ||
	    get_str(d, CPROF_KEY_ARCH, &h->arch) != FIELD_OK || h->stack == 0 ||
	    h->stack > 65535 || h->regs == 0)
		return -1;
	return 0;
}

/*
 * The header's "events": the counter group that samples, counts and the
 * values of exact mode refer to. A log without it has no counters; one
 * this reader cannot use makes the counter chunks unreadable, so they are
 * then skipped, and the marker stream is read as usual. Returns 0, or -1
 * when the key is there but not valid.
 */
static int read_counters(struct reader *rd, const msgpack_object *o,
			 struct cp_log_header *h)
{
	const msgpack_object *ev = get(o, CPROF_KEY_EVENTS), *cc;
	const msgpack_object_array *list;
	struct cp_bytes mode;

	if (ev == NULL)
		return 0;
	if (ev->type != MSGPACK_OBJECT_MAP ||
	    get_str(ev, CPROF_KEY_MODE, &mode) != FIELD_OK ||
	    get_array(ev, CPROF_KEY_LIST, &list) != FIELD_OK ||
	    list->size == 0 || list->size > CP_LOG_MAX_COUNTERS ||
	    get_u64(ev, CPROF_KEY_PERIOD, &h->period) == FIELD_BAD ||
	    get_u64(ev, CPROF_KEY_FREQ, &h->freq) == FIELD_BAD)
		return -1;
	if (str_is(mode, CPROF_MODE_SAMPLING))
		h->mode = CP_COUNTER_SAMPLING;
	else if (str_is(mode, CPROF_MODE_EXACT))
		h->mode = CP_COUNTER_EXACT;
	else
		return -1;
	cc = get(ev, CPROF_KEY_CALLCHAIN);
	if (cc != NULL && cc->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	h->callchain = cc != NULL && cc->via.boolean;
	if (read_dwarf(ev, h) < 0)
		return -1;
	rd->counters = xgrow(rd->counters, &rd->capcounters, list->size,
			     sizeof *rd->counters);
	for (uint32_t i = 0; i < list->size; i++) {
		struct cp_log_counter *c = &rd->counters[i];

		memset(c, 0, sizeof *c);
		if (list->ptr[i].type != MSGPACK_OBJECT_MAP ||
		    get_str(&list->ptr[i], CPROF_KEY_NAME, &c->name) !=
			    FIELD_OK ||
		    c->name.len == 0 ||
		    get_u64(&list->ptr[i], CPROF_KEY_TYPE, &c->type) ==
			    FIELD_BAD ||
		    get_u64(&list->ptr[i], CPROF_KEY_CONFIG, &c->config) ==
			    FIELD_BAD)
			return -1;
	}
	h->counters = rd->counters;
	h->ncounters = list->size;
	return 0;
}

/*
 * A calibration point's "width" (the header's clock, clock and end
 * chunks): the ticks between the counter reads around the clock's, an
 * uncertainty of the point. Optional: older runtimes do not write it.
 */
static void clock_width(struct reader *rd, const msgpack_object *o)
{
	uint64_t width;

	if (rd->ops->clock_width != NULL &&
	    get_u64(o, CPROF_KEY_WIDTH, &width) == FIELD_OK)
		rd->ops->clock_width(rd->arg, width);
}

/* Append the strings of ARRAY to rd->pats; returns how many. */
static size_t read_pats(struct reader *rd, const msgpack_object *array)
{
	size_t n = 0, base = rd->npats;

	if (array == NULL || array->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	rd->pats = xgrow(rd->pats, &rd->cappats, base + array->via.array.size,
			 sizeof *rd->pats);
	for (uint32_t i = 0; i < array->via.array.size; i++) {
		const msgpack_object *e = &array->via.array.ptr[i];

		if (e->type != MSGPACK_OBJECT_STR)
			continue;
		rd->pats[base + n].ptr = e->via.str.ptr;
		rd->pats[base + n].len = e->via.str.size;
		n++;
	}
	rd->npats += n;
	return n;
}

/* The header's "select": the record-time selection in force. */
static void read_select(struct reader *rd, const msgpack_object *o,
			struct cp_log_header *h)
{
	const msgpack_object *sel = get(o, CPROF_KEY_SELECT);

	rd->npats = 0;
	if (sel == NULL || sel->type != MSGPACK_OBJECT_MAP)
		return;
	h->has_select = 1;
	h->nfilter = read_pats(rd, get(sel, CPROF_KEY_FILTER));
	h->nexclude = read_pats(rd, get(sel, CPROF_KEY_EXCLUDE));
	h->filter = rd->pats;
	/* No pattern at all leaves pats NULL: no offset to it then. */
	h->exclude = rd->pats != NULL ? rd->pats + h->nfilter : NULL;
	get_u64(sel, CPROF_KEY_MIN_NS, &h->min_ns);
}

/*
 * The header's "calib": the measured cost of a timed call. A map that is
 * not whole is left out: the report then compensates nothing.
 */
static void read_calib(const msgpack_object *o, struct cp_log_header *h)
{
	const msgpack_object *c = get(o, CPROF_KEY_CALIB);

	if (c != NULL && c->type == MSGPACK_OBJECT_MAP &&
	    get_u64(c, CPROF_KEY_CALIB_OWN, &h->calib_own_mt) == FIELD_OK &&
	    get_u64(c, CPROF_KEY_CALIB_CALLER, &h->calib_caller_mt) == FIELD_OK)
		h->has_calib = 1;
	else
		h->calib_own_mt = h->calib_caller_mt = 0;
}

/*
 * The header's "adaptive": the runtime's rule for counting calls rather
 * than timing them. It only describes the run, so a damaged one is left
 * out.
 */
static void read_adaptive(const msgpack_object *o, struct cp_log_header *h)
{
	const msgpack_object *a = get(o, CPROF_KEY_ADAPTIVE);

	if (a == NULL || a->type != MSGPACK_OBJECT_MAP ||
	    get_u64(a, CPROF_KEY_WARMUP, &h->warmup) != FIELD_OK ||
	    get_u64(a, CPROF_KEY_THRESHOLD, &h->threshold) != FIELD_OK)
		return;
	get_u64(a, CPROF_KEY_THRESHOLD_NS, &h->threshold_ns);
	get_u64(a, CPROF_KEY_TIMED_CALL, &h->timed_call);
	get_u64(a, CPROF_KEY_COUNTED_CALL, &h->counted_call);
	h->has_adaptive = 1;
}

/*
 * Decode the header. A file that fails here is not a log this reader can
 * use at all: the error is printed and -1 returned.
 */
static int read_header(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_header h;
	const msgpack_object *clock;
	const msgpack_object_array *argv;
	struct cp_bytes magic;
	uint64_t version;

	memset(&h, 0, sizeof h);
	if (o->type != MSGPACK_OBJECT_MAP ||
	    get_str(o, CPROF_KEY_MAGIC, &magic) != FIELD_OK ||
	    !str_is(magic, CPROF_LOG_MAGIC)) {
		warnx("%s: not a cprof log", rd->path);
		return -1;
	}
	if (get_u64(o, CPROF_KEY_VERSION, &version) != FIELD_OK ||
	    get_int(o, CPROF_KEY_PID, &h.pid) != FIELD_OK) {
		warnx("%s: corrupt cprof log header: no valid version or pid",
		      rd->path);
		return -1;
	}
	if (version > CPROF_LOG_VERSION) {
		warnx("%s: unsupported log version %" PRIu64
		      " (this cprof reads version %d and older)",
		      rd->path, version, CPROF_LOG_VERSION);
		return -1;
	}
	h.version = (unsigned)version;

	/*
	 * The other keys only describe the process: a mistyped one is left
	 * out rather than making the whole log unreadable.
	 */
	get_int(o, CPROF_KEY_PPID, &h.ppid);
	get_str(o, CPROF_KEY_EXE, &h.exe);
	get_u64(o, CPROF_KEY_START_NS, &h.start_ns);
	get_u64(o, CPROF_KEY_FLUSH_MS, &h.flush_ms);
	get_str(o, CPROF_KEY_OWN_HOOKS, &h.own_hooks);
	{
		const msgpack_object *al = get(o, CPROF_KEY_ALLOC);

		h.alloc = al != NULL && al->type == MSGPACK_OBJECT_BOOLEAN &&
			  al->via.boolean;
	}
	get_str(o, CPROF_KEY_RUNTIME, &h.runtime);
	read_select(rd, o, &h);
	if (get_array(o, CPROF_KEY_ARGV, &argv) == FIELD_OK) {
		rd->argv = xgrow(rd->argv, &rd->capargv, argv->size,
				 sizeof *rd->argv);
		for (uint32_t i = 0; i < argv->size; i++) {
			if (argv->ptr[i].type != MSGPACK_OBJECT_STR)
				continue;
			rd->argv[h.argc].ptr = argv->ptr[i].via.str.ptr;
			rd->argv[h.argc].len = argv->ptr[i].via.str.size;
			h.argc++;
		}
		h.argv = rd->argv;
	}
	if (read_counters(rd, o, &h) < 0) {
		warnx("%s: the header's counters (key events) are not valid: "
		      "they are left out",
		      rd->path);
		h.ncounters = 0;
	}
	read_adaptive(o, &h);
	rd->ncounters = h.ncounters;
	rd->exact = h.ncounters > 0 && h.mode == CP_COUNTER_EXACT;
	rd->callchain = h.callchain;
	rd->nregs = h.ncounters > 0 ? __builtin_popcountll(h.regs) : 0;
	clock = get(o, CPROF_KEY_CLOCK);
	if (clock != NULL && clock->type == MSGPACK_OBJECT_MAP &&
	    get_u64(clock, CPROF_KEY_TICKS, &h.ticks) == FIELD_OK &&
	    get_u64(clock, CPROF_KEY_MONO_NS, &h.mono_ns) == FIELD_OK) {
		h.has_clock = 1;
		get_str(clock, CPROF_KEY_SOURCE, &h.clock_source);
		get_u64(clock, CPROF_KEY_HZ, &h.hz);
	}
	get_str(o, CPROF_KEY_CLOCK_NOTE, &h.clock_note);
	read_calib(o, &h);
	if (rd->ops->header != NULL)
		rd->ops->header(rd->arg, &h);
	if (h.has_clock)
		clock_width(rd, clock);
	return 0;
}

static int read_map(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *objs;
	size_t nsegs = 0;

	if (get_array(o, CPROF_KEY_OBJS, &objs) != FIELD_OK)
		return bad(rd, "map chunk without a valid objs array");
	rd->objs = xgrow(rd->objs, &rd->capobjs, objs->size, sizeof *rd->objs);

	/* Count the segments first so that their array does not move. */
	for (uint32_t i = 0; i < objs->size; i++) {
		const msgpack_object_array *segs;

		if (objs->ptr[i].type != MSGPACK_OBJECT_MAP)
			return bad(rd, "map chunk: an object is not a map");
		if (get_array(&objs->ptr[i], CPROF_KEY_SEGS, &segs) != FIELD_OK)
			return bad(rd,
				   "map chunk: an object without valid segs");
		nsegs += segs->size;
	}
	rd->segs = xgrow(rd->segs, &rd->capsegs, 2 * nsegs, sizeof *rd->segs);

	nsegs = 0;
	for (uint32_t i = 0; i < objs->size; i++) {
		const msgpack_object *m = &objs->ptr[i];
		struct cp_log_obj *obj = &rd->objs[i];
		const msgpack_object_array *segs;
		const msgpack_object *id;

		memset(obj, 0, sizeof *obj);
		if (get_str(m, CPROF_KEY_PATH, &obj->path) != FIELD_OK ||
		    get_u64(m, CPROF_KEY_BASE, &obj->base) != FIELD_OK)
			return bad(rd,
				   "map chunk: an object without path or base");
		/* An object without a build-id may say nil or nothing. */
		id = get(m, CPROF_KEY_BUILD_ID);
		if (id != NULL && id->type == MSGPACK_OBJECT_BIN) {
			obj->build_id.ptr = id->via.bin.ptr;
			obj->build_id.len = id->via.bin.size;
		} else if (id != NULL && id->type != MSGPACK_OBJECT_NIL) {
			return bad(rd, "map chunk: a build_id is not bin");
		}
		if (get_array(m, CPROF_KEY_SEGS, &segs) != FIELD_OK)
			return bad(rd,
				   "map chunk: an object without valid segs");
		obj->segs = rd->segs != NULL ? rd->segs + 2 * nsegs : NULL;
		for (uint32_t j = 0; j < segs->size; j++) {
			const msgpack_object *s = &segs->ptr[j];

			if (s->type != MSGPACK_OBJECT_ARRAY ||
			    s->via.array.size != 2 ||
			    s->via.array.ptr[0].type !=
				    MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    s->via.array.ptr[1].type !=
				    MSGPACK_OBJECT_POSITIVE_INTEGER)
				return bad(rd, "map chunk: a segment not "
					       "[start, end]");
			rd->segs[2 * nsegs] = s->via.array.ptr[0].via.u64;
			rd->segs[2 * nsegs + 1] = s->via.array.ptr[1].via.u64;
			nsegs++;
		}
		obj->nsegs = segs->size;
	}
	if (rd->ops->map != NULL)
		rd->ops->map(rd->arg, rd->objs, objs->size);
	return 0;
}

static int read_thread(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_thread t;
	enum field f;

	memset(&t, 0, sizeof t);
	if (get_int(o, CPROF_KEY_TID, &t.tid) != FIELD_OK)
		return bad(rd, "thread chunk without a valid tid");
	if ((f = get_u64(o, CPROF_KEY_START, &t.start)) == FIELD_BAD)
		return bad(rd, "thread chunk: start is not a tick count");
	t.has_start = f == FIELD_OK;
	if ((f = get_u64(o, CPROF_KEY_END, &t.end)) == FIELD_BAD)
		return bad(rd, "thread chunk: end is not a tick count");
	t.has_end = f == FIELD_OK;
	get_str(o, CPROF_KEY_NAME, &t.name);
	if (rd->ops->thread != NULL)
		rd->ops->thread(rd->arg, &t);
	return 0;
}

static int read_site(struct reader *rd, const msgpack_object *o,
		     struct cp_log_site *s)
{
	struct cp_bytes kind;

	memset(s, 0, sizeof *s);
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		s->kind = CP_SITE_ADDR;
		s->addr = o->via.u64;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_MAP)
		return bad(rd, "ev chunk: a site is no address or map");
	if (get_str(o, CPROF_KEY_NAME, &s->name) != FIELD_OK)
		return bad(rd, "ev chunk: a marker without a valid name");
	if (get_str(o, CPROF_KEY_FILE, &s->file) == FIELD_BAD ||
	    get_int(o, CPROF_KEY_LINE, &s->line) == FIELD_BAD)
		return bad(rd, "ev chunk: a marker's file or line mistyped");
	switch (get_str(o, CPROF_KEY_KIND, &kind)) {
	case FIELD_BAD:
		return bad(rd, "ev chunk: a marker's kind is no string");
	case FIELD_ABSENT:
		s->kind = CP_SITE_SCOPE;
		break;
	case FIELD_OK:
		/*
		 * A kind this reader does not know is read as a scope: it has
		 * an enter and an exit, which every kind but a frame mark has.
		 */
		if (str_is(kind, CPROF_KIND_FRAME))
			s->kind = CP_SITE_FRAME;
		else if (str_is(kind, CPROF_KIND_SWITCH))
			s->kind = CP_SITE_SWITCH;
		else if (str_is(kind, CPROF_KIND_UNKNOWN_STACK))
			s->kind = CP_SITE_UNKNOWN_STACK;
		else if (str_is(kind, CPROF_KIND_FUNC))
			s->kind = CP_SITE_FUNC;
		else
			s->kind = CP_SITE_SCOPE;
		break;
	}
	/* Contexts are numbered densely per thread: a huge one is damage. */
	if (s->kind == CP_SITE_SWITCH &&
	    (get_u64(o, CPROF_KEY_CTX, &s->ctx) != FIELD_OK ||
	     s->ctx >= (1u << 20)))
		return bad(rd, "ev chunk: a context switch without a valid "
			       "context");
	return 0;
}

/* One unsigned LEB128 number at *P, before END; -1 if it is not one. */
static inline int uleb(const unsigned char **p, const unsigned char *end,
		       uint64_t *v)
{
	const unsigned char *q = *p;
	uint64_t x = 0;

	for (unsigned shift = 0;; shift += 7) {
		unsigned b;

		/* The tenth byte holds bit 63 only. */
		if (q == end || shift > 63 || (shift == 63 && *q > 1))
			return -1;
		b = *q++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80)
			break;
	}
	*v = x;
	*p = q;
	return 0;
}

/*
 * Decode the N events of BIN, from T0, into rd->ev. This is the hot loop
 * of the reader: one pass that checks every number and turns the time
 * deltas into absolute ticks. A damaged pair rejects the whole chunk,
 * before any of it reaches the caller.
 */
static int read_events(struct reader *rd, struct cp_bytes bin, uint64_t n,
		       uint64_t t0, size_t nsites)
{
	const unsigned char *p = (const unsigned char *)bin.ptr;
	const unsigned char *end = p + bin.len;
	struct cp_log_event *ev;
	uint64_t t = t0;

	/* A pair takes two bytes at least: do not trust a larger count. */
	if (n > bin.len / 2)
		return bad(rd, "ev chunk: ev holds fewer than n events");
	rd->ev = xgrow(rd->ev, &rd->capev, (size_t)n, sizeof *rd->ev);
	ev = rd->ev;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v, idx;

		/*
		 * The usual pairs, a delta of one or two bytes and an index
		 * of one, are read without a loop. Branches, not arithmetic:
		 * the next pair's position then never waits for this one's
		 * bytes, and call patterns repeat, so they predict well.
		 */
		if (end - p >= 3 && (p[0] | p[1]) < 0x80) {
			v = p[0];
			idx = p[1];
			p += 2;
		} else if (end - p >= 3 && (p[1] | p[2]) < 0x80) {
			/* p[0] has its high bit: else the test above held. */
			v = (p[0] & 0x7fu) | (uint64_t)p[1] << 7;
			idx = p[2];
			p += 3;
		} else if (uleb(&p, end, &v) < 0 || uleb(&p, end, &idx) < 0) {
			return bad(rd, "ev chunk: ev is not n LEB128 pairs");
		}
		if (__builtin_expect(idx >= nsites, 0))
			return bad(rd,
				   "ev chunk: a site index out of its sites");
		/* Unsigned: a damaged delta wraps, it cannot trap. */
		t += v >> CPROF_EV_DELTA_SHIFT;
		ev[i].ticks = t;
		ev[i].site = (uint32_t)idx;
		ev[i].exit = (uint32_t)(v & CPROF_EV_EXIT);
	}
	if (p != end)
		return bad(rd, "ev chunk: ev holds more than n events");
	return 0;
}

/*
 * Exact mode: the counters' values at each of the N events of an ev
 * chunk, from "c0" (the first event's) and "cv" (zigzag LEB128 changes,
 * ncounters per event). A chunk may have neither, then *OUT stays NULL;
 * one without the other, or a cv that is not exactly N * ncounters
 * numbers, is corrupt.
 */
static int read_values(struct reader *rd, const msgpack_object *o, uint64_t n,
		       const uint64_t **out)
{
	const msgpack_object_array *c0;
	enum field f0, fv;
	struct cp_bytes cv;
	const unsigned char *p, *end;
	size_t k = rd->ncounters;
	uint64_t *v;

	f0 = get_array(o, CPROF_KEY_C0, &c0);
	fv = get_bytes(o, CPROF_KEY_CV, MSGPACK_OBJECT_BIN, &cv);
	if (f0 == FIELD_ABSENT && fv == FIELD_ABSENT)
		return 0;
	if (f0 != FIELD_OK || fv != FIELD_OK || c0->size != k)
		return bad(rd, "ev chunk: c0 or cv missing or mistyped");
	/* A number takes a byte at least: do not trust a larger count. */
	if (n > cv.len / k)
		return bad(rd, "ev chunk: cv holds fewer than n values");
	rd->nums = xgrow(rd->nums, &rd->capnums, (size_t)n * k + k,
			 sizeof *rd->nums);
	v = rd->nums;
	for (size_t j = 0; j < k; j++) {
		if (c0->ptr[j].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return bad(rd, "ev chunk: a c0 value is no count");
		v[j] = c0->ptr[j].via.u64;
	}
	p = (const unsigned char *)cv.ptr;
	end = p + cv.len;
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t *prev = i > 0 ? v + (i - 1) * k : v;

		for (size_t j = 0; j < k; j++) {
			uint64_t z;

			if (uleb(&p, end, &z) < 0)
				return bad(rd, "ev chunk: cv is not n values "
					       "per counter");
			/* Unsigned: a damaged change wraps, it cannot trap. */
			v[i * k + j] = prev[j] + ((z >> 1) ^ (0 - (z & 1)));
		}
	}
	if (p != end)
		return bad(rd, "ev chunk: cv holds more than n values");
	*out = v;
	return 0;
}

/*
 * An ev chunk's "short": [site, calls] pairs, the calls the runtime left
 * out as shorter than --min-duration (select.c). Optional; a malformed
 * pair is skipped: the calls it held are not counted.
 */
static void read_shorts(struct reader *rd, const msgpack_object *o,
			struct cp_log_ev *c)
{
	const msgpack_object_array *a;

	c->shorts = NULL;
	c->nshort = 0;
	if (get_array(o, CPROF_KEY_SHORT, &a) != FIELD_OK || a->size == 0)
		return;
	rd->shorts = xgrow(rd->shorts, &rd->capshorts, 2 * (size_t)a->size,
			   sizeof *rd->shorts);
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *e = &a->ptr[i];

		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
		    e->via.array.ptr[0].type !=
			    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    e->via.array.ptr[1].type !=
			    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    e->via.array.ptr[0].via.u64 >= c->nsites ||
		    e->via.array.ptr[1].via.u64 > UINT32_MAX)
			continue;
		rd->shorts[2 * c->nshort] =
			(uint32_t)e->via.array.ptr[0].via.u64;
		rd->shorts[2 * c->nshort + 1] =
			(uint32_t)e->via.array.ptr[1].via.u64;
		c->nshort++;
	}
	c->shorts = rd->shorts;
}

/*
 * --alloc: an ev chunk's "al", four LEB128 numbers an allocation or free
 * (doc/log-format.md): events since the one before, time since the one
 * before (from t0), size << 1 | freed, zigzag change of the address. A
 * damaged string rejects the chunk; a position past the N events too.
 */
static int read_allocs(struct reader *rd, const msgpack_object *o, uint64_t t0,
		       uint64_t n, struct cp_log_ev *c)
{
	struct cp_bytes bin;
	const unsigned char *p, *end;
	uint64_t t = t0, addr = 0, pos = 0;
	size_t k = 0;

	c->allocs = NULL;
	c->nallocs = 0;
	switch (get_bytes(o, CPROF_KEY_AL, MSGPACK_OBJECT_BIN, &bin)) {
	case FIELD_OK:
		break;
	case FIELD_BAD:
		return bad(rd, "ev chunk: al is no byte string");
	case FIELD_ABSENT:
		return 0;
	}
	p = (const unsigned char *)bin.ptr;
	end = p + bin.len;
	/* Four bytes an entry at least. */
	rd->allocs = xgrow(rd->allocs, &rd->capallocs, bin.len / 4 + 1,
			   sizeof *rd->allocs);
	while (p < end) {
		uint64_t dpos, dt, sz, z;
		struct cp_log_alloc *a = &rd->allocs[k];

		if (uleb(&p, end, &dpos) < 0 || uleb(&p, end, &dt) < 0 ||
		    uleb(&p, end, &sz) < 0 || uleb(&p, end, &z) < 0)
			return bad(rd, "ev chunk: al is not LEB128 quadruples");
		pos += dpos;
		if (pos > n)
			return bad(rd,
				   "ev chunk: an allocation past its events");
		t += dt;
		addr += (z >> 1) ^ (0 - (z & 1));
		a->ticks = t;
		a->addr = addr;
		a->size = sz >> 1;
		a->freed = (int)(sz & 1);
		a->pos = (size_t)pos;
		k++;
	}
	c->allocs = rd->allocs;
	c->nallocs = k;
	return 0;
}

static int read_ev(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *sites;
	struct cp_bytes bin;
	struct cp_log_ev c;
	uint64_t t0, n;

	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK)
		return bad(rd, "ev chunk without a valid tid");
	if (get_u64(o, CPROF_KEY_T0, &t0) != FIELD_OK)
		return bad(rd, "ev chunk without a valid t0");
	if (get_u64(o, CPROF_KEY_N, &n) != FIELD_OK)
		return bad(rd, "ev chunk without a valid n");
	if (get_array(o, CPROF_KEY_SITES, &sites) != FIELD_OK)
		return bad(rd, "ev chunk without a valid sites array");
	if (get_bytes(o, CPROF_KEY_EV, MSGPACK_OBJECT_BIN, &bin) != FIELD_OK)
		return bad(rd, "ev chunk without an ev byte string");

	rd->sites =
		xgrow(rd->sites, &rd->capsites, sites->size, sizeof *rd->sites);
	for (uint32_t i = 0; i < sites->size; i++) {
		if (read_site(rd, &sites->ptr[i], &rd->sites[i]) < 0)
			return -1;
	}
	if (read_events(rd, bin, n, t0, sites->size) < 0)
		return -1;
	c.values = NULL;
	if (rd->exact && read_values(rd, o, n, &c.values) < 0)
		return -1;
	c.sites = rd->sites;
	c.nsites = sites->size;
	c.ev = rd->ev;
	c.nev = (size_t)n;
	read_shorts(rd, o, &c);
	if (read_allocs(rd, o, t0, n, &c) < 0)
		return -1;
	if (rd->ops->ev != NULL)
		rd->ops->ev(rd->arg, &c);
	return 0;
}

static int read_clock(struct reader *rd, const msgpack_object *o)
{
	uint64_t ticks, mono_ns;

	if (get_u64(o, CPROF_KEY_TICKS, &ticks) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_MONO_NS, &mono_ns) != FIELD_OK)
		return bad(rd, "clock chunk without ticks and mono_ns");
	if (rd->ops->clock != NULL)
		rd->ops->clock(rd->arg, ticks, mono_ns);
	clock_width(rd, o);
	return 0;
}

static int read_end(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_end e;

	memset(&e, 0, sizeof e);
	if (get_u64(o, CPROF_KEY_TICKS, &e.ticks) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_MONO_NS, &e.mono_ns) != FIELD_OK)
		return bad(rd, "end chunk without ticks and mono_ns");
	if (get_str(o, CPROF_KEY_REASON, &e.reason) == FIELD_BAD ||
	    get_int(o, CPROF_KEY_SIGNAL, &e.signal) == FIELD_BAD ||
	    get_u64(o, CPROF_KEY_LOST, &e.lost) == FIELD_BAD)
		return bad(rd, "end chunk: reason, signal or lost mistyped");
	if (rd->ops->end != NULL)
		rd->ops->end(rd->arg, &e);
	clock_width(rd, o);
	return 0;
}

/*
 * The N samples of a samples chunk's DATA, from TIME0, into rd->samples:
 * every sample must have its time, address, one number per counter and,
 * with callchains, a count and as many addresses, and DATA must hold
 * exactly N of them. A damaged sample rejects the whole chunk.
 */
static int decode_samples(struct reader *rd, struct cp_bytes data, uint64_t n,
			  uint64_t time0)
{
	const unsigned char *p = (const unsigned char *)data.ptr;
	const unsigned char *end = p + data.len;
	size_t k = rd->ncounters, nchain = 0;
	uint64_t t = time0;

	/* A sample takes a byte per number at least. */
	if (n > data.len / (2 + k + (rd->callchain ? 1 : 0)))
		return bad(rd, "samples chunk: data holds fewer than n "
			       "samples");
	rd->samples = xgrow(rd->samples, &rd->capsamples, (size_t)n,
			    sizeof *rd->samples);
	rd->nums =
		xgrow(rd->nums, &rd->capnums, (size_t)n * k, sizeof *rd->nums);
	for (uint64_t i = 0; i < n; i++) {
		struct cp_log_sample *s = &rd->samples[i];
		uint64_t dt, nc = 0;

		if (uleb(&p, end, &dt) < 0 || uleb(&p, end, &s->ip) < 0)
			goto bad;
		t += dt;
		s->time = t;
		for (size_t j = 0; j < k; j++) {
			if (uleb(&p, end, &rd->nums[i * k + j]) < 0)
				goto bad;
		}
		if (rd->callchain &&
		    (uleb(&p, end, &nc) < 0 || nc > (uint64_t)(end - p)))
			goto bad;
		rd->chain = xgrow(rd->chain, &rd->capchain, nchain + nc,
				  sizeof *rd->chain);
		/* The chain's start, as an offset until the array is done. */
		s->nchain = (size_t)nc;
		s->chain = (const uint64_t *)(uintptr_t)nchain;
		for (uint64_t j = 0; j < nc; j++) {
			if (uleb(&p, end, &rd->chain[nchain++]) < 0)
				goto bad;
		}
	}
	if (p != end)
		return bad(rd, "samples chunk: data holds more than n samples");
	for (uint64_t i = 0; i < n; i++) {
		struct cp_log_sample *s = &rd->samples[i];

		/*
		 * Without counters or callchains the arrays may never have
		 * been allocated: arithmetic on their NULL, even adding 0,
		 * is undefined, so an empty part points nowhere.
		 */
		s->deltas = k > 0 ? rd->nums + i * k : NULL;
		s->chain =
			s->nchain > 0 ? rd->chain + (uintptr_t)s->chain : NULL;
	}
	return 0;
bad:
	return bad(rd, "samples chunk: data is not n well-formed samples");
}

/*
 * A samples chunk's "stacks" (--call-graph=dwarf): for each of its N
 * samples, the ABI word, the registers when it is not 0, the length of
 * the stack copy and its bytes. A chunk without the key (or a run
 * without dwarf) leaves every sample without; a damaged one rejects the
 * chunk. The samples point into the chunk's bytes, which live until the
 * samples callback returns.
 */
static int decode_stacks(struct reader *rd, const msgpack_object *o, uint64_t n)
{
	struct cp_bytes b;
	const unsigned char *p, *end;

	for (uint64_t i = 0; i < n; i++) {
		rd->samples[i].regs = NULL;
		rd->samples[i].stack = NULL;
		rd->samples[i].stack_len = 0;
	}
	if (rd->nregs == 0 ||
	    get_bytes(o, CPROF_KEY_STACKS, MSGPACK_OBJECT_BIN, &b) != FIELD_OK)
		return 0;
	p = (const unsigned char *)b.ptr;
	end = p + b.len;
	for (uint64_t i = 0; i < n; i++) {
		struct cp_log_sample *s = &rd->samples[i];
		uint64_t abi, len;

		if (uleb(&p, end, &abi) < 0)
			goto bad;
		if (abi != 0) {
			if ((size_t)(end - p) < (size_t)rd->nregs * 8)
				goto bad;
			s->regs = p;
			p += (size_t)rd->nregs * 8;
		}
		if (uleb(&p, end, &len) < 0 || len > (uint64_t)(end - p))
			goto bad;
		s->stack = len > 0 ? p : NULL;
		s->stack_len = (size_t)len;
		p += len;
	}
	if (p == end)
		return 0;
bad:
	return bad(rd, "samples chunk: stacks are not n well-formed stack "
		       "copies");
}

/*
 * A samples chunk's "throttled_at": the indexes of the samples that
 * follow a throttled interval. Optional; a bad index is ignored.
 */
static void throttled_at(struct reader *rd, const msgpack_object *o, uint64_t n)
{
	const msgpack_object_array *a;

	for (uint64_t i = 0; i < n; i++)
		rd->samples[i].throttled = 0;
	if (get_array(o, CPROF_KEY_THROTTLED_AT, &a) != FIELD_OK)
		return;
	for (uint32_t i = 0; i < a->size; i++) {
		if (a->ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    a->ptr[i].via.u64 < n)
			rd->samples[a->ptr[i].via.u64].throttled = 1;
	}
}

static int read_samples(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_samples c;
	struct cp_bytes data;
	uint64_t n, time0;

	/*
	 * Without the header's counters there is no knowing the layout: the
	 * chunk is skipped, as one of an unknown type.
	 */
	if (rd->ncounters == 0)
		return 0;
	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK)
		return bad(rd, "samples chunk without a valid tid");
	if (get_u64(o, CPROF_KEY_N, &n) != FIELD_OK)
		return bad(rd, "samples chunk without a valid n");
	if (get_u64(o, CPROF_KEY_TIME0, &time0) != FIELD_OK)
		return bad(rd, "samples chunk without a valid time0");
	if (get_bytes(o, CPROF_KEY_DATA, MSGPACK_OBJECT_BIN, &data) != FIELD_OK)
		return bad(rd, "samples chunk without a data byte string");
	if (decode_samples(rd, data, n, time0) < 0)
		return -1;
	if (decode_stacks(rd, o, n) < 0)
		return -1;
	throttled_at(rd, o, n);
	c.s = rd->samples;
	c.n = (size_t)n;
	if (rd->ops->samples != NULL)
		rd->ops->samples(rd->arg, &c);
	return 0;
}

static int read_lost(struct reader *rd, const msgpack_object *o)
{
	uint64_t lost = 0, throttled = 0;
	int tid;

	if (rd->ncounters == 0)
		return 0;
	if (get_int(o, CPROF_KEY_TID, &tid) != FIELD_OK)
		return bad(rd, "lost chunk without a valid tid");
	if (get_u64(o, CPROF_KEY_LOST, &lost) == FIELD_BAD ||
	    get_u64(o, CPROF_KEY_THROTTLED, &throttled) == FIELD_BAD)
		return bad(rd, "lost chunk: lost or throttled mistyped");
	if (rd->ops->lost != NULL)
		rd->ops->lost(rd->arg, tid, lost, throttled);
	if (rd->ops->unthrottled != NULL &&
	    get_u64(o, CPROF_KEY_UNTHROTTLED, &lost) == FIELD_OK)
		rd->ops->unthrottled(rd->arg, tid, lost);
	return 0;
}

static int read_counts(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *values, *own;
	struct cp_log_counts c;
	enum field fo;

	if (rd->ncounters == 0)
		return 0;
	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK)
		return bad(rd, "counts chunk without a valid tid");
	if (get_array(o, CPROF_KEY_VALUES, &values) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_ENABLED, &c.enabled) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_RUNNING, &c.running) != FIELD_OK)
		return bad(rd, "counts chunk without valid values, enabled "
			       "and running");
	if (values->size != rd->ncounters)
		return bad(rd, "counts chunk: not one value per counter");
	fo = get_array(o, CPROF_KEY_RUNTIME, &own);
	if (fo == FIELD_BAD || (fo == FIELD_OK && own->size != values->size))
		return bad(rd, "counts chunk: not one runtime value per "
			       "counter");
	rd->nums = xgrow(rd->nums, &rd->capnums, 2 * (size_t)values->size,
			 sizeof *rd->nums);
	for (uint32_t i = 0; i < values->size; i++) {
		if (values->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    (fo == FIELD_OK &&
		     own->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER))
			return bad(rd, "counts chunk: a value is no count");
		rd->nums[i] = values->ptr[i].via.u64;
		if (fo == FIELD_OK)
			rd->nums[values->size + i] = own->ptr[i].via.u64;
	}
	c.values = rd->nums;
	c.runtime = fo == FIELD_OK ? rd->nums + values->size : NULL;
	if (rd->ops->counts != NULL)
		rd->ops->counts(rd->arg, &c);
	return 0;
}

/*
 * An edge_calls chunk (adaptive timing): "edges" holds triples of a
 * function's address, the site of the frame that called it (an address,
 * 0 at the bottom of a stack, or a marker's map) and the calls counted
 * along that edge since the thread's last such chunk. Runtimes before
 * wrote calls chunks, whose "fns" holds pairs of an address and its calls
 * with no caller: read here too.
 */
static int read_calls(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *fns;
	struct cp_log_calls c = {0};
	int edges;

	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK)
		return bad(rd, "calls chunk without a valid tid");
	edges = get_array(o, CPROF_KEY_EDGES, &fns) == FIELD_OK;
	if (edges && fns->size % 3 != 0)
		return bad(rd, "calls chunk without a valid edges array");
	if (!edges && (get_array(o, CPROF_KEY_FNS, &fns) != FIELD_OK ||
		       fns->size % 2 != 0))
		return bad(rd, "calls chunk without a valid fns array");
	c.n = fns->size / (edges ? 3 : 2);
	rd->nums = xgrow(rd->nums, &rd->capnums, 2 * c.n, sizeof *rd->nums);
	if (edges)
		rd->sites =
			xgrow(rd->sites, &rd->capsites, c.n, sizeof *rd->sites);
	for (size_t i = 0; i < c.n; i++) {
		const msgpack_object *e = &fns->ptr[i * (edges ? 3 : 2)];
		const msgpack_object *n = &e[edges ? 2 : 1];

		if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    n->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return bad(rd, "calls chunk: an address or count is "
				       "no number");
		rd->nums[2 * i] = e->via.u64;
		rd->nums[2 * i + 1] = n->via.u64;
		if (edges && read_site(rd, &e[1], &rd->sites[i]) < 0)
			return -1;
	}
	c.fns = rd->nums;
	c.callers = edges ? rd->sites : NULL;
	if (rd->ops->calls != NULL && c.n > 0)
		rd->ops->calls(rd->arg, &c);
	return 0;
}

/* A forks chunk: the fork() children a process noted. */
static int read_forks(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *pids;
	uint64_t more = 0;

	if (get_array(o, CPROF_KEY_PIDS, &pids) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_MORE, &more) == FIELD_BAD)
		return bad(rd, "forks chunk without valid pids");
	rd->nums = xgrow(rd->nums, &rd->capnums, (size_t)pids->size + 1,
			 sizeof *rd->nums);
	for (uint32_t i = 0; i < pids->size; i++) {
		if (pids->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    pids->ptr[i].via.u64 == 0 ||
		    pids->ptr[i].via.u64 > (uint64_t)INT32_MAX)
			return bad(rd, "forks chunk: a pid is no pid");
		rd->nums[i] = pids->ptr[i].via.u64;
	}
	if (rd->ops->forks != NULL)
		rd->ops->forks(rd->arg, rd->nums, pids->size, more);
	return 0;
}

/*
 * Exact mode's calib chunk: the measured cost of a timed call, and the
 * counters' increments it adds ("counts": own then caller, per counter).
 * A chunk that is not whole is skipped: the report compensates nothing.
 */
static int read_calib_chunk(struct reader *rd, const msgpack_object *o)
{
	const msgpack_object_array *counts;
	struct cp_log_calib c;

	memset(&c, 0, sizeof c);
	if (get_u64(o, CPROF_KEY_CALIB_OWN, &c.own_mt) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_CALIB_CALLER, &c.caller_mt) != FIELD_OK)
		return 0;
	if (get_array(o, CPROF_KEY_CALIB_COUNTS, &counts) == FIELD_OK &&
	    counts->size == 2 * rd->ncounters) {
		rd->nums = xgrow(rd->nums, &rd->capnums, counts->size,
				 sizeof *rd->nums);
		for (uint32_t i = 0; i < counts->size; i++) {
			if (counts->ptr[i].type !=
			    MSGPACK_OBJECT_POSITIVE_INTEGER)
				return 0;
			rd->nums[i] = counts->ptr[i].via.u64;
		}
		c.counts = rd->nums;
		c.ncounters = rd->ncounters;
	}
	if (rd->ops->calib != NULL)
		rd->ops->calib(rd->arg, &c);
	return 0;
}

/*
 * An offcpu chunk: n pairs (switch-out after the previous one, or after
 * time0 for the first; length << 1 | preempted), LEB128 in data.
 */
static int read_offcpu(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_offcpu c;
	struct cp_bytes data;
	const unsigned char *p, *end;
	uint64_t n, t;

	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_N, &n) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_TIME0, &t) != FIELD_OK ||
	    get_bytes(o, CPROF_KEY_DATA, MSGPACK_OBJECT_BIN, &data) != FIELD_OK)
		return bad(rd, "offcpu chunk without a valid tid, n, time0 "
			       "and data");
	if (n > data.len / 2)
		return bad(rd, "offcpu chunk: data holds fewer than n "
			       "intervals");
	rd->offiv = xgrow(rd->offiv, &rd->capoffiv, n ? (size_t)n : 1,
			  sizeof *rd->offiv);
	p = (const unsigned char *)data.ptr;
	end = p + data.len;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t dt, len;

		if (uleb(&p, end, &dt) < 0 || uleb(&p, end, &len) < 0)
			return bad(rd, "offcpu chunk: data is not n "
				       "well-formed intervals");
		t += dt;
		rd->offiv[i].out = t;
		rd->offiv[i].in = t + (len >> 1);
		rd->offiv[i].preempt = (int)(len & 1);
	}
	if (p != end)
		return bad(rd,
			   "offcpu chunk: data holds more than n intervals");
	c.iv = rd->offiv;
	c.n = (size_t)n;
	if (rd->ops->offcpu != NULL)
		rd->ops->offcpu(rd->arg, &c);
	return 0;
}

/*
 * A syscalls chunk: n triples (entry after the previous call's, or after
 * time0 for the first; number; length in ns), LEB128 in data.
 */
static int read_syscalls(struct reader *rd, const msgpack_object *o)
{
	struct cp_log_syscalls c;
	struct cp_bytes data;
	const unsigned char *p, *end;
	uint64_t n, t;

	if (get_int(o, CPROF_KEY_TID, &c.tid) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_N, &n) != FIELD_OK ||
	    get_u64(o, CPROF_KEY_TIME0, &t) != FIELD_OK ||
	    get_bytes(o, CPROF_KEY_DATA, MSGPACK_OBJECT_BIN, &data) != FIELD_OK)
		return bad(rd, "syscalls chunk without a valid tid, n, time0 "
			       "and data");
	c.lost = 0;
	if (get_u64(o, CPROF_KEY_LOST, &c.lost) == FIELD_BAD)
		return bad(rd, "syscalls chunk: lost mistyped");
	if (n > data.len / 3)
		return bad(rd, "syscalls chunk: data holds fewer than n calls");
	rd->sysc = xgrow(rd->sysc, &rd->capsysc, n ? (size_t)n : 1,
			 sizeof *rd->sysc);
	p = (const unsigned char *)data.ptr;
	end = p + data.len;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t dt;

		if (uleb(&p, end, &dt) < 0 ||
		    uleb(&p, end, &rd->sysc[i].nr) < 0 ||
		    uleb(&p, end, &rd->sysc[i].len) < 0)
			return bad(rd, "syscalls chunk: data is not n "
				       "well-formed calls");
		t += dt;
		rd->sysc[i].enter = t;
	}
	if (p != end)
		return bad(rd, "syscalls chunk: data holds more than n calls");
	c.s = rd->sysc;
	c.n = (size_t)n;
	if (rd->ops->syscalls != NULL)
		rd->ops->syscalls(rd->arg, &c);
	return 0;
}

/* Returns 1 when the chunk was delivered, 0 when skipped, -1 if invalid. */
static int read_chunk(struct reader *rd, const msgpack_object *o)
{
	static const struct {
		const char *type;
		int (*read)(struct reader *, const msgpack_object *);
	} types[] = {
		{CPROF_CHUNK_EV, read_ev},
		{CPROF_CHUNK_THREAD, read_thread},
		{CPROF_CHUNK_CLOCK, read_clock},
		{CPROF_CHUNK_MAP, read_map},
		{CPROF_CHUNK_END, read_end},
		{CPROF_CHUNK_SAMPLES, read_samples},
		{CPROF_CHUNK_LOST, read_lost},
		{CPROF_CHUNK_COUNTS, read_counts},
		{CPROF_CHUNK_CALLS, read_calls},
		{CPROF_CHUNK_EDGE_CALLS, read_calls},
		{CPROF_CHUNK_FORKS, read_forks},
		{CPROF_CHUNK_CALIB, read_calib_chunk},
		{CPROF_CHUNK_OFFCPU, read_offcpu},
		{CPROF_CHUNK_SYSCALLS, read_syscalls},
	};
	struct cp_bytes t;

	if (o->type != MSGPACK_OBJECT_MAP)
		return bad(rd, "chunk that is not a map");
	if (get_str(o, CPROF_KEY_T, &t) != FIELD_OK)
		return bad(rd, "chunk without a valid type key t");
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (str_is(t, types[i].type))
			return types[i].read(rd, o) < 0 ? -1 : 1;
	}
	/* A chunk type of a newer runtime: skipped, as the format says. */
	return 0;
}

/* Reading a file. */

/* Bytes in the unpacker's buffer it has not looked at yet. */
static size_t unparsed(const msgpack_unpacker *u)
{
	return u->used - u->off;
}

/*
 * Every object of a log is a map. Looking at its first bytes turns most
 * garbage into an error at once, before anything is walked.
 */
static const char *check_start(const unsigned char *p, size_t n)
{
	uint64_t keys;

	if (p[0] >= 0x80 && p[0] <= 0x8f)
		return NULL;
	if (p[0] == 0xde) {
		if (n < 3)
			return NULL;
		keys = be(p + 1, 2);
	} else if (p[0] == 0xdf) {
		if (n < 5)
			return NULL;
		keys = be(p + 1, 4);
	} else {
		return "an object that is not a map";
	}
	return keys > MAX_KEYS ? "a map with too many keys" : NULL;
}

/*
 * Use every whole object in the unpacker's buffer. Returns 0 to read more
 * (the buffer ends inside an object, or at one's start), -1 to stop:
 * rd->why says what is wrong, or the header was refused.
 */
static int drain(struct reader *rd, msgpack_unpacker *u, msgpack_unpacked *obj)
{
	for (;;) {
		const unsigned char *p = (unsigned char *)u->buffer + u->off;
		size_t rest = unparsed(u), len;
		uint64_t limit = rd->header ? MAX_CHUNK : MAX_HEADER;
		enum mp r;
		int got;

		if (rest == 0)
			return 0;
		if ((rd->why = check_start(p, rest)) != NULL)
			return -1;
		r = mp_walk(p, rest, &len);
		if (r == MP_TYPE) {
			rd->why = "bytes that are not msgpack";
			return -1;
		}
		if (r == MP_SHORT) {
			if (rest <= limit)
				return 0;
			rd->why = "an object larger than any chunk";
			return -1;
		}
		/* Whole: msgpack-c parses it in one go. */
		if (msgpack_unpacker_next(u, obj) != MSGPACK_UNPACK_SUCCESS) {
			rd->why = "an object msgpack-c cannot parse";
			return -1;
		}
		if (!rd->header) {
			if (read_header(rd, &obj->data) < 0) {
				rd->bad_header = 1;
				return -1;
			}
			rd->header = 1;
		} else {
			got = read_chunk(rd, &obj->data);
			if (got < 0)
				return -1;
			rd->chunks += (uint64_t)got;
		}
		rd->last = rd->fed - unparsed(u);
		msgpack_unpacked_destroy(obj);
	}
}

/* Say what happened to the file, once, and fill R. Returns 0 or -1. */
static int report(struct reader *rd, int fd, int err, struct cp_log_result *r)
{
	const char *path = rd->path;
	struct stat sb;

	/* Bytes after a stop were not read, but they are skipped all the same.
	 */
	if ((rd->why != NULL || err != 0) && fstat(fd, &sb) == 0 &&
	    (uint64_t)sb.st_size > rd->fed)
		rd->fed = (uint64_t)sb.st_size;
	r->size = rd->fed;
	r->used = rd->last;
	r->skipped = rd->fed - rd->last;
	r->chunks = rd->chunks;

	if (rd->bad_header)
		return -1; /* read_header said why */
	if (!rd->header) {
		if (err != 0)
			warnx("%s: %s", path, strerror(err));
		else if (rd->why != NULL)
			warnx("%s: not a cprof log", path);
		else if (rd->fed == 0)
			warnx("%s: empty file, not a cprof log", path);
		else
			warnx("%s: truncated inside its header, not a "
			      "complete cprof log",
			      path);
		return -1;
	}
	if (err != 0) {
		warnx("%s: %s after byte %" PRIu64 ": the rest is skipped",
		      path, strerror(err), rd->last);
		r->truncated = 1;
	} else if (rd->why != NULL) {
		warnx("%s: corrupt at offset %" PRIu64 " (%s): the rest of "
		      "the log (%" PRIu64 " bytes) is skipped",
		      path, rd->last, rd->why, r->skipped);
		r->corrupt = 1;
	} else if (r->skipped > 0) {
		warnx("%s: truncated: %" PRIu64 " bytes after the last whole "
		      "chunk skipped",
		      path, r->skipped);
		r->truncated = 1;
	}
	return 0;
}

int cp_log_read(const char *path, const struct cp_log_ops *ops, void *arg,
		struct cp_log_result *r)
{
	struct reader rd = {.path = path, .ops = ops, .arg = arg};
	struct cp_log_result res_mem;
	msgpack_unpacker u;
	msgpack_unpacked obj;
	int rc, eof = 0, err = 0;
	size_t block = READ_BLOCK;
	struct stat sb;
	int fd;

	if (r == NULL)
		r = &res_mem;
	memset(r, 0, sizeof *r);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			warnx("%s: is a directory, not a cprof log", path);
			close(fd);
			return -1;
		}
		/* Most logs are small: their buffer need not be large. */
		if (sb.st_size >= 0 && (uint64_t)sb.st_size < READ_BLOCK)
			block = (size_t)sb.st_size + 4096;
	}
	if (!msgpack_unpacker_init(&u, block))
		fatalx("out of memory");
	msgpack_unpacked_init(&obj);

	while (!eof) {
		ssize_t n;

		if (!msgpack_unpacker_reserve_buffer(&u, block))
			fatalx("out of memory");
		n = read(fd, msgpack_unpacker_buffer(&u),
			 msgpack_unpacker_buffer_capacity(&u));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		eof = n == 0;
		msgpack_unpacker_buffer_consumed(&u, (size_t)n);
		rd.fed += (uint64_t)n;
		cp_progress_add((uint64_t)n);
		if (drain(&rd, &u, &obj) < 0)
			break;
	}
	rc = report(&rd, fd, err, r);

	msgpack_unpacked_destroy(&obj);
	msgpack_unpacker_destroy(&u);
	close(fd);
	free(rd.ev);
	free(rd.sites);
	free(rd.shorts);
	free(rd.allocs);
	free(rd.pats);
	free(rd.objs);
	free(rd.segs);
	free(rd.argv);
	free(rd.counters);
	free(rd.samples);
	free(rd.nums);
	free(rd.chain);
	free(rd.offiv);
	free(rd.sysc);
	return rc;
}

/* run.meta: one map, small, optional. */

static char *dup_str(const msgpack_object *o)
{
	char *s = xmalloc(o->via.str.size + 1);

	if (o->via.str.size > 0)
		memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

static int meta_parse(const msgpack_object *o, struct cp_run_meta *m)
{
	const msgpack_object_array *argv;
	int status;

	if (o->type != MSGPACK_OBJECT_MAP)
		return -1;
	if (get_array(o, "argv", &argv) == FIELD_OK) {
		size_t argc = 0;

		m->argv = xcalloc(argv->size + 1, sizeof *m->argv);
		for (uint32_t i = 0; i < argv->size; i++) {
			if (argv->ptr[i].type == MSGPACK_OBJECT_STR)
				m->argv[argc++] = dup_str(&argv->ptr[i]);
		}
	}
	if (get_int(o, "status", &status) == FIELD_OK)
		m->status = status;
	get_u64(o, "start_ns", &m->start_ns);
	get_u64(o, "end_ns", &m->end_ns);
	if (get_int(o, "pid", &m->pid) != FIELD_OK)
		m->pid = 0;
	if (get_int(o, "wait_status", &m->wait_status) == FIELD_OK)
		m->has_wait = 1;
	if (get_array(o, "running", &argv) == FIELD_OK) {
		m->running = xcalloc(argv->size + 1, sizeof *m->running);
		for (uint32_t i = 0; i < argv->size; i++) {
			if (argv->ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER)
				m->running[m->nrunning++] =
					(int)argv->ptr[i].via.u64;
		}
	}
	return 0;
}

int cp_meta_read(const char *path, struct cp_run_meta *m)
{
	msgpack_unpacked u;
	char *buf = NULL;
	size_t len = 0, cap = 0, whole, off = 0;
	ssize_t n = 0;
	int fd, rc = -1;

	memset(m, 0, sizeof *m);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	while (len <= MAX_HEADER) {
		buf = xgrow(buf, &cap, len + 65536, 1);
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);

	msgpack_unpacked_init(&u);
	if (n == 0 && len > 0 &&
	    mp_walk((unsigned char *)buf, len, &whole) == MP_OK &&
	    msgpack_unpack_next(&u, buf, whole, &off) == MSGPACK_UNPACK_SUCCESS)
		rc = meta_parse(&u.data, m);
	if (rc < 0)
		warnx("%s: not a valid run.meta: left out", path);
	msgpack_unpacked_destroy(&u);
	free(buf);
	return rc;
}
